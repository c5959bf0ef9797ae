"""What the llama2.c reference tests share: where the reference builds are,
small checkpoints and tokenizers in a temporary directory, a call of the
reference with its output parsed, and run.c's xorshift64* and f32 rounding in
Python integers and floats."""
import os
import struct
import subprocess
import sys
import tempfile
import unittest

ROOT = os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BAREFLOW_BUILD") or os.path.join(ROOT, "build")
sys.path.insert(0, os.path.join(ROOT, "tools"))

import llmckpt  # noqa: E402
import llmtok  # noqa: E402

REFERENCE = os.path.join(BUILD, "llm", "reference")
REFERENCE_FAST = os.path.join(BUILD, "llm", "reference_fast")
REFERENCE_64 = os.path.join(BUILD, "llm", "reference64")
SMALL_VOCAB = len(llmtok.small())
MASK64 = (1 << 64) - 1


class Workdir:
    """A temporary directory holding the checkpoints and tokenizers of one test class."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.path = self._tmp.name

    def close(self):
        self._tmp.cleanup()

    def file(self, name):
        return os.path.join(self.path, name)

    def checkpoint(self, name, dim, hidden, layers, heads, kv_heads, vocab, seq_len, shared=True, seed=1):
        path = self.file(name)
        llmckpt.write(path, llmckpt.Config(dim, hidden, layers, heads, kv_heads, vocab, seq_len, shared), seed)
        return path

    def tokenizer(self, name, vocab=None):
        path = self.file(name)
        llmtok.write(path, llmtok.small() if vocab is None else llmtok.pieces(vocab))
        return path


# Ids of the small tokenizer's single characters (llmtok.small()): " ", a, b,
# c, d, e, h, i, "!", "é". Byte b is id b + 3.
SP, A, B, C, D, E, H, I, BANG, EACUTE = range(267, 277)


class SmallModelCase(unittest.TestCase):
    """A test class with the small unit-test tokenizer in cls.tok and a tiny
    checkpoint of its vocabulary in cls.ckpt."""

    @classmethod
    def setUpClass(cls):
        cls.dir = Workdir()
        cls.tok = cls.dir.tokenizer("small.bin")
        cls.ckpt = cls.dir.checkpoint("small.ckpt", 16, 40, 1, 2, 1, SMALL_VOCAB, 32)

    @classmethod
    def tearDownClass(cls):
        cls.dir.close()


def run(checkpoint, *args, binary=REFERENCE, tokenizer=None):
    if not os.path.exists(binary):
        raise AssertionError(f"{binary} is missing; build it with: make {os.path.relpath(binary, ROOT)}")
    cmd = [binary, checkpoint] + (["-z", tokenizer] if tokenizer else []) + [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, timeout=300)


class Output:
    """The reference's generation output: text, token ids and logits rows."""

    def __init__(self, stdout):
        lines = stdout.split(b"\n")
        at = next(i for i, line in enumerate(lines) if line.startswith(b"tokens:"))
        self.text = b"\n".join(lines[:at])
        self.tokens = [int(v) for v in lines[at].split()[1:]]
        self.logits = []
        for line in lines[at + 1:]:
            if line.startswith(b"logits "):
                head, values = line.split(b":", 1)
                assert int(head.split()[1]) == len(self.logits)
                self.logits.append([f32(float(v)) for v in values.split()])


def generate(test, checkpoint, *args, **kw):
    proc = run(checkpoint, *args, **kw)
    test.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))
    return Output(proc.stdout)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def xorshift_u32(state):
    """(new state, random_u32) as run.c computes them."""
    state ^= state >> 12
    state ^= (state << 25) & MASK64
    state ^= state >> 27
    return state, ((state * 0x2545F4914F6CDD1D) & MASK64) >> 32


def xorshift_f32(state):
    state, u = xorshift_u32(state)
    return state, (u >> 8) / 16777216.0
