"""tools/llmckpt.py: llama2.c legacy checkpoints of exactly the size the
header implies, for every kind of shape, deterministic for a seed, with
weights in the promised ranges, and the stories15M shape in a few seconds."""
import hashlib
import math
import os
import struct
import subprocess
import sys
import tempfile
import time
import unittest
from array import array

import llm_support as ls

llmckpt = ls.llmckpt
SCRIPT = os.path.join(ls.ROOT, "tools", "llmckpt.py")


def size_by_hand(dim, hidden, layers, heads, kv_heads, vocab, seq_len, shared):
    """The legacy format's size, written out independently of the tool."""
    kv_dim = dim * kv_heads // heads
    head_size = dim // heads
    floats = (vocab * dim                      # token_embedding_table
              + layers * dim                   # rms_att_weight
              + layers * dim * dim             # wq
              + 2 * layers * dim * kv_dim      # wk, wv
              + layers * dim * dim             # wo
              + layers * dim                   # rms_ffn_weight
              + 3 * layers * dim * hidden      # w1, w2, w3
              + dim                            # rms_final_weight
              + 2 * (seq_len * head_size // 2)  # freq_cis_real, freq_cis_imag
              + (0 if shared else vocab * dim))  # wcls
    return 28 + 4 * floats


SHAPES = [
    # dim hidden layers heads kv vocab seq   shared
    (16, 40, 1, 2, 2, 300, 16, True),
    (16, 40, 1, 2, 2, 300, 16, False),
    (32, 64, 2, 8, 2, 512, 24, True),      # GQA, kv_mul 4
    (32, 64, 2, 8, 1, 512, 24, False),     # multi-query, unshared
    (36, 100, 2, 6, 3, 300, 48, True),     # dims no multiple of 8
    (20, 52, 3, 4, 2, 301, 17, False),     # head_size 5, odd vocab and seq_len
    (30, 70, 1, 3, 3, 297, 9, True),       # head_size 10, odd seq_len
]


class Sizes(unittest.TestCase):

    def test_every_shape_writes_the_size_its_header_implies(self):
        with tempfile.TemporaryDirectory() as d:
            for shape in SHAPES:
                with self.subTest(shape=shape):
                    cfg = llmckpt.Config(*shape[:7], shared=shape[7])
                    path = os.path.join(d, "c.bin")
                    written = llmckpt.write(path, cfg, 3)
                    want = size_by_hand(*shape)
                    self.assertEqual(os.path.getsize(path), want)
                    self.assertEqual(written, want)
                    self.assertEqual(cfg.file_size(), want)
                    with open(path, "rb") as f:
                        header = struct.unpack("<7i", f.read(28))
                    vocab = shape[5] if shape[7] else -shape[5]
                    self.assertEqual(header, shape[:5] + (vocab, shape[6]))

    def test_stories15m(self):
        cfg = llmckpt.shape("stories15M")
        # the size of Karpathy's published stories15M.bin
        self.assertEqual(cfg.file_size(), 60816028)
        self.assertEqual(size_by_hand(288, 768, 6, 6, 6, 32000, 256, True), 60816028)
        self.assertEqual(llmckpt.shape("stories15M", shared=False).file_size(), 60816028 + 4 * 32000 * 288)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s15.bin")
            start = time.monotonic()
            proc = subprocess.run([sys.executable, SCRIPT, "--shape", "stories15M", "--seed", "1", "-o", path],
                                  capture_output=True, text=True)
            secs = time.monotonic() - start
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(os.path.getsize(path), 60816028)
            self.assertLess(secs, 30.0)
            with open(path, "rb") as f:
                self.assertEqual(struct.unpack("<7i", f.read(28)), (288, 768, 6, 6, 6, 32000, 256))

    def test_size_option(self):
        out = subprocess.run([sys.executable, SCRIPT, "--shape", "odd", "--unshared", "--size"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertEqual(int(out.stdout), size_by_hand(*llmckpt.SHAPES["odd"], False))


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Content(unittest.TestCase):

    def write(self, d, name, seed, shared=True, shape=(36, 100, 2, 6, 3, 300, 48)):
        path = os.path.join(d, name)
        llmckpt.write(path, llmckpt.Config(*shape, shared=shared), seed)
        return path

    def test_deterministic_for_a_seed(self):
        with tempfile.TemporaryDirectory() as d:
            a, b, c = self.write(d, "a", 5), self.write(d, "b", 5), self.write(d, "c", 6)
            self.assertEqual(digest(a), digest(b))
            self.assertNotEqual(digest(a), digest(c))
            # the command line writes the same bytes as the library
            cli = os.path.join(d, "cli")
            subprocess.run([sys.executable, SCRIPT, "--dim", "36", "--hidden", "100", "--layers", "2", "--heads", "6",
                            "--kv-heads", "3", "--vocab", "300", "--seq-len", "48", "--seed", "5", "-o", cli],
                           check=True)
            self.assertEqual(digest(cli), digest(a))
            # --shape with an override
            cli2 = os.path.join(d, "cli2")
            subprocess.run([sys.executable, SCRIPT, "--shape", "odd", "--seed", "5", "-o", cli2], check=True)
            self.assertEqual(digest(cli2), digest(a))

    def test_shared_and_unshared_share_their_common_tensors(self):
        with tempfile.TemporaryDirectory() as d:
            s, u = self.write(d, "s", 8, True), self.write(d, "u", 8, False)
            with open(s, "rb") as f:
                sd = f.read()
            with open(u, "rb") as f:
                ud = f.read()
            # the same bytes after the header, except the embedding row of BOS (token 1),
            # which is scaled down only where it is also the classifier
            row = 4 * 36
            self.assertEqual(ud[28:28 + row], sd[28:28 + row])
            self.assertNotEqual(ud[28 + row:28 + 2 * row], sd[28 + row:28 + 2 * row])
            self.assertEqual(ud[28 + 2 * row:len(sd)], sd[28 + 2 * row:])
            self.assertEqual(len(ud) - len(sd), 4 * 300 * 36)

    def test_value_ranges(self):
        shape = (36, 100, 2, 6, 3, 300, 48)
        cfg = llmckpt.Config(*shape)
        with tempfile.TemporaryDirectory() as d:
            path = self.write(d, "c", 2, shape=shape)
            with open(path, "rb") as f:
                f.seek(28)
                tensors = {}
                for name, count, _ in cfg.tensors():
                    vals = array("f")
                    vals.fromfile(f, count)
                    tensors[name] = vals
                self.assertEqual(f.read(), b"")
        emb = tensors["token_embedding_table"]
        self.assertTrue(all(-1.0 <= v <= 1.0 for v in emb))
        self.assertGreater(max(emb), 0.95)
        self.assertLess(min(emb), -0.95)
        for name in ("rms_att_weight", "rms_ffn_weight", "rms_final_weight"):
            self.assertTrue(all(0.8 <= v <= 1.2 for v in tensors[name]), name)
        for name, fan_in in (("wq", 36), ("wk", 36), ("wo", 36), ("w1", 36), ("w2", 100), ("w3", 36)):
            bound = llmckpt.GAIN / math.sqrt(fan_in)
            vals = tensors[name]
            self.assertTrue(all(abs(v) <= bound * 1.0001 for v in vals), name)
            mean = sum(vals) / len(vals)
            self.assertLess(abs(mean), bound / 10, name)
        # freq_cis: cos and sin of pos * 10000^(-i/head_size), i = 0, 2, ..
        hs = cfg.head_size
        for pos in (0, 1, 47):
            for k in range(hs // 2):
                angle = pos * 10000.0 ** (-(2 * k) / hs)
                self.assertAlmostEqual(tensors["freq_cis_real"][pos * hs // 2 + k], math.cos(angle), places=5)
                self.assertAlmostEqual(tensors["freq_cis_imag"][pos * hs // 2 + k], math.sin(angle), places=5)


class Cli(unittest.TestCase):

    def run_cli(self, *args):
        return subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True)

    def test_bad_shapes_are_errors(self):
        for args, word in ((["--shape", "odd", "--heads", "5"], "multiple of heads"),
                           (["--shape", "odd", "--kv-heads", "4"], "multiple of kv_heads"),
                           (["--shape", "odd", "--vocab", "0"], "positive"),
                           (["--shape", "nosuch"], "unknown shape")):
            proc = self.run_cli(*args, "-o", os.devnull)
            self.assertEqual(proc.returncode, 1, args)
            self.assertIn(word, proc.stderr)

    def test_missing_fields_are_usage_errors(self):
        proc = self.run_cli("--dim", "16", "-o", os.devnull)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--hidden", proc.stderr)


if __name__ == "__main__":
    unittest.main()
