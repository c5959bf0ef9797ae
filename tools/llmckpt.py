#!/usr/bin/env python3
"""llmckpt: write a random-weight transformer checkpoint in llama2.c's legacy format.

The file is a header of seven little-endian i32 (dim, hidden_dim, n_layers,
n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size marks an
unshared classifier) followed by f32 weights in run.c's order:

  token_embedding_table[vocab*dim]  rms_att_weight[layers*dim]
  wq[layers*dim*dim]  wk[layers*dim*kv_dim]  wv[layers*dim*kv_dim]
  wo[layers*dim*dim]  rms_ffn_weight[layers*dim]  w1[layers*hidden*dim]
  w2[layers*dim*hidden]  w3[layers*hidden*dim]  rms_final_weight[dim]
  freq_cis_real[seq_len*head_size/2]  freq_cis_imag[seq_len*head_size/2]
  wcls[vocab*dim]                   (only with an unshared classifier)

with kv_dim = dim*n_kv_heads/n_heads and head_size = dim/n_heads. Readers skip
the two freq_cis tables; they hold cos and sin of pos*10000^(-2i/head_size).

Weights come from Python's seeded Mersenne Twister, drawn in bulk, so a seed
always gives the same bytes. They are scaled so that a model's outputs are
not degenerate: embeddings ~U(-1,1), matrices ~U(-1,1)*GAIN/sqrt(fan_in),
RMSNorm weights ~1+U(-0.2,0.2), and the classifier's row of token 1 (BOS)
scaled down. Greedy decoding then gives varied text for nearly every seed
(a one-token loop or an early BOS is rare, and rarer the bigger the model).

  llmckpt.py --shape stories15M --seed 1 -o s15.bin
  llmckpt.py --dim 36 --hidden 96 --layers 2 --heads 6 --kv-heads 2 \
             --vocab 512 --seq-len 64 --unshared --seed 7 -o tiny.bin
"""
import argparse
import math
import random
import struct
import sys
from array import array

HEADER = struct.Struct("<7i")
# Matrices are scaled up by this factor over 1/sqrt(fan_in) so that the layers
# move the residual stream well away from the token's own embedding.
GAIN = 4.0
# The classifier's row for token 1 (BOS, where run.c stops) is scaled by this,
# so that random models do not end their text after a handful of tokens.
BOS_ROW_SCALE = 0.25
CHUNK = 1 << 20

# name: (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len)
SHAPES = {
    "stories15M": (288, 768, 6, 6, 6, 32000, 256),
    "tiny": (64, 172, 2, 4, 4, 512, 128),
    "tiny-gqa": (64, 172, 2, 8, 2, 512, 128),
    "odd": (36, 100, 2, 6, 3, 300, 48),
    "micro": (24, 64, 2, 4, 2, 300, 32),
}


class Config:
    """The seven header fields, with the derived sizes the format implies."""

    def __init__(self, dim, hidden, layers, heads, kv_heads, vocab, seq_len, shared=True):
        self.dim, self.hidden, self.layers = dim, hidden, layers
        self.heads, self.kv_heads, self.vocab, self.seq_len = heads, kv_heads, vocab, seq_len
        self.shared = shared
        self.check()

    def check(self):
        for name in ("dim", "hidden", "layers", "heads", "kv_heads", "vocab", "seq_len"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not a multiple of heads {self.heads}")
        if self.heads % self.kv_heads:
            raise ValueError(f"heads {self.heads} is not a multiple of kv_heads {self.kv_heads}")
        if self.dim % 2 or self.kv_dim % 2:
            raise ValueError(f"dim {self.dim} and kv_dim {self.kv_dim} must be even (RoPE rotates pairs)")

    @property
    def head_size(self):
        return self.dim // self.heads

    @property
    def kv_dim(self):
        return self.dim * self.kv_heads // self.heads

    def header(self):
        vocab = self.vocab if self.shared else -self.vocab
        return HEADER.pack(self.dim, self.hidden, self.layers, self.heads, self.kv_heads, vocab, self.seq_len)

    def tensors(self):
        """(name, element count, kind) in file order; kind picks the distribution."""
        d, h, n, kv = self.dim, self.hidden, self.layers, self.kv_dim
        half = self.seq_len * self.head_size // 2
        out = [
            ("token_embedding_table", self.vocab * d, "emb"),
            ("rms_att_weight", n * d, "rms"),
            ("wq", n * d * d, ("mat", d)),
            ("wk", n * d * kv, ("mat", d)),
            ("wv", n * d * kv, ("mat", d)),
            ("wo", n * d * d, ("mat", d)),
            ("rms_ffn_weight", n * d, "rms"),
            ("w1", n * h * d, ("mat", d)),
            ("w2", n * d * h, ("mat", h)),
            ("w3", n * h * d, ("mat", d)),
            ("rms_final_weight", d, "rms"),
            ("freq_cis_real", half, "cos"),
            ("freq_cis_imag", half, "sin"),
        ]
        if not self.shared:
            out.append(("wcls", self.vocab * d, "emb"))
        return out

    def file_size(self):
        return HEADER.size + 4 * sum(count for _, count, _ in self.tensors())


def shape(name, shared=True):
    if name not in SHAPES:
        raise ValueError(f"unknown shape {name!r}; known: {', '.join(SHAPES)}")
    return Config(*SHAPES[name], shared=shared)


def uniform(rng, count, lo, hi):
    """count f32 values, uniform in [lo, hi), drawn 32 bits each from rng."""
    out = array("f")
    mid, half = (lo + hi) / 2.0, (hi - lo) / 2.0
    scale = half / 2147483648.0
    while count > 0:
        n = min(count, CHUNK)
        ints = array("i", rng.getrandbits(32 * n).to_bytes(4 * n, "little"))
        if sys.byteorder != "little":
            ints.byteswap()
        vals = array("f", map(scale.__mul__, ints))
        if mid:
            vals = array("f", map(mid.__add__, vals))
        out.extend(vals)
        count -= n
    return out


def rope_table(cfg, fn):
    out = array("f")
    for pos in range(cfg.seq_len):
        for i in range(0, cfg.head_size - 1, 2):
            freq = 1.0 / (10000.0 ** (i / cfg.head_size))
            out.append(fn(pos * freq))
    return out


def tensor_values(rng, cfg, count, kind):
    if kind == "emb":
        return uniform(rng, count, -1.0, 1.0)
    if kind == "rms":
        return uniform(rng, count, 0.8, 1.2)
    if kind in ("cos", "sin"):
        table = rope_table(cfg, math.cos if kind == "cos" else math.sin)
        return table[:count] if len(table) >= count else table + array("f", bytes(4 * (count - len(table))))
    a = GAIN / math.sqrt(kind[1])
    return uniform(rng, count, -a, a)


def write(path, cfg, seed):
    """Writes the checkpoint; returns its size in bytes."""
    rng = random.Random(seed)
    classifier = "token_embedding_table" if cfg.shared else "wcls"
    with open(path, "wb") as f:
        f.write(cfg.header())
        for name, count, kind in cfg.tensors():
            vals = tensor_values(rng, cfg, count, kind)
            if name == classifier and cfg.vocab > 1:
                for i in range(cfg.dim, 2 * cfg.dim):
                    vals[i] *= BOS_ROW_SCALE
            if sys.byteorder != "little":
                vals.byteswap()
            vals.tofile(f)
        return f.tell()


FIELDS = ("dim", "hidden", "layers", "heads", "kv-heads", "vocab", "seq-len")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", help="a named shape: " + ", ".join(SHAPES) + "; other options override its fields")
    for name in FIELDS:
        ap.add_argument("--" + name, type=int)
    ap.add_argument("--unshared", action="store_true", help="write a separate classifier (negative vocab_size)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", action="store_true", help="print the file size the shape implies and write nothing")
    ap.add_argument("-o", "--output")
    args = ap.parse_args(argv)
    try:
        fields = [None] * 7
        if args.shape:
            shape(args.shape)  # an unknown name is an error
            fields = list(SHAPES[args.shape])
        for i, name in enumerate(FIELDS):
            value = getattr(args, name.replace("-", "_"))
            if value is not None:
                fields[i] = value
        missing = [name for name, value in zip(FIELDS, fields) if value is None]
        if missing:
            ap.error("missing --" + ", --".join(missing) + " (or give --shape)")
        cfg = Config(*fields, shared=not args.unshared)
    except ValueError as exc:
        print(f"llmckpt: {exc}", file=sys.stderr)
        return 1
    if args.size:
        print(cfg.file_size())
        return 0
    if not args.output:
        ap.error("-o FILE is required")
    write(args.output, cfg, args.seed)
    return 0

if __name__ == "__main__":
    sys.exit(main())
