"""The Flow transformer (modules/llama2.flow) run by build/host/llm, the
kernel's microjit on the host, against the C reference (tests/llm/reference.c,
gcc -O2): the same text and token ids, greedy and sampled, on shared and
unshared classifiers, grouped-query attention, dimensions that are no
multiple of 8 and a stories15M-shaped checkpoint; logits within 1e-4; the
prompt encodings worked by hand in test_llm_encode.py; every tier; and the
bad inputs the issue lists, each with a clear message.
"""
import os
import subprocess
import unittest

import llm_support as ls

LLM = os.path.join(ls.BUILD, "host", "llm")
MODULE = os.path.join(ls.BUILD, "modules", "LLAMA2.BFM")
from llm_support import SP, A, B, C, D, E, H, I, BANG, EACUTE  # noqa: E402


def run_flow(checkpoint, *args, tokenizer=None, tier="auto"):
    for path in (LLM, MODULE):
        if not os.path.exists(path):
            raise AssertionError(f"{path} is missing; build it with: make {os.path.relpath(path, ls.ROOT)}")
    cmd = [LLM, checkpoint] + (["-z", tokenizer] if tokenizer else []) + [str(a) for a in args]
    cmd += ["--module", MODULE, "--tier", tier, "--tokens"]
    return subprocess.run(cmd, capture_output=True, timeout=300)


def flow(test, checkpoint, *args, **kw):
    proc = run_flow(checkpoint, *args, **kw)
    test.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))
    return ls.Output(proc.stdout), proc.stderr.decode(errors="replace")


class SameAsTheReference(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = ls.Workdir()
        d = cls.dir
        cls.tok512 = d.tokenizer("tok512.bin", 512)
        cls.tok300 = d.tokenizer("tok300.bin", 300)
        cls.models = {
            "tiny": (d.checkpoint("tiny.bin", 64, 172, 2, 4, 4, 512, 128, seed=1), cls.tok512),
            "gqa": (d.checkpoint("gqa.bin", 64, 172, 2, 8, 2, 512, 128, seed=2), cls.tok512),
            "odd-unshared": (d.checkpoint("odd.bin", 36, 100, 2, 6, 3, 300, 48, shared=False, seed=3), cls.tok300),
            "micro": (d.checkpoint("micro.bin", 24, 64, 2, 4, 2, 300, 32, seed=4), cls.tok300),
        }

    @classmethod
    def tearDownClass(cls):
        cls.dir.close()

    def compare(self, model, *args, tier="auto"):
        ckpt, tok = self.models[model]
        ref = ls.generate(self, ckpt, *args, tokenizer=tok)
        ours, _ = flow(self, ckpt, *args, tokenizer=tok, tier=tier)
        self.assertEqual(ours.tokens, ref.tokens, f"{model} {args} tier {tier}")
        self.assertEqual(ours.text, ref.text, f"{model} {args} tier {tier}")
        return ours, ref

    def test_greedy_64_steps_on_every_shape(self):
        for model in self.models:
            ours, _ = self.compare(model, "-t", 0, "-n", 64 if model != "micro" else 0, "-i", "Once upon a time")
            self.assertGreater(len(set(ours.tokens)), 8, f"{model}: degenerate text says little")

    def test_seeded_temperature_sampling(self):
        for model in ("tiny", "gqa", "odd-unshared"):
            self.compare(model, "-t", 1.0, "-p", 0, "-s", 42, "-n", 64)
            self.compare(model, "-t", 0.7, "-p", 0.9, "-s", 7, "-n", 64, "-i", "The cat")
            self.compare(model, "-t", 1.3, "-p", 0.5, "-s", -3, "-n", 40)

    def test_every_tier(self):
        for tier in ("0", "1", "2", "auto"):
            self.compare("gqa", "-t", 0, "-n", 40, "-i", "a big dog", tier=tier)
            self.compare("odd-unshared", "-t", 0.9, "-s", 5, "-n", 30, tier=tier)

    def test_logits_of_the_first_positions(self):
        for model in ("tiny", "gqa", "odd-unshared"):
            ckpt, tok = self.models[model]
            ref = ls.generate(self, ckpt, "-t", 0, "-n", 8, "--logits", 3, tokenizer=tok)
            proc = run_flow(ckpt, "-t", 0, "-n", 8, "--logits", 3, tokenizer=tok)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            ours = ls.Output(proc.stdout)
            self.assertEqual(len(ours.logits), 3)
            for p, (a_row, b_row) in enumerate(zip(ours.logits, ref.logits)):
                self.assertEqual(len(a_row), len(b_row))
                scale = max(abs(v) for v in b_row)
                for i, (a, b) in enumerate(zip(a_row, b_row)):
                    self.assertLessEqual(abs(a - b), 1e-4 * max(abs(b), 1e-2 * scale),
                                         f"{model}: logit {i} at position {p}: {a} vs {b}")

    def test_text_streams_as_it_is_generated_and_speed_is_reported(self):
        ours, err = flow(self, *self.models["tiny"][:1], "-t", 0, "-n", 20, tokenizer=self.tok512)
        self.assertRegex(err, r"achieved tok/s: [0-9]+\.[0-9]+")
        self.assertRegex(err, r"llm: load [0-9.]+ ms, first token [0-9.]+ ms \(matmul at tier [012]\), 20 positions")


class Stories15MShape(unittest.TestCase):
    """dim 288, hidden 768, 6 layers, 6 heads, vocab 32000, seq_len 256: 60 MB."""

    def test_greedy_text_matches(self):
        d = ls.Workdir()
        try:
            ckpt = d.checkpoint("s15.bin", 288, 768, 6, 6, 6, 32000, 256, seed=9)
            tok = d.tokenizer("tok32k.bin", 32000)
            ref = ls.generate(self, ckpt, "-t", 0, "-n", 24, "-i", "Once upon a time", tokenizer=tok)
            ours, err = flow(self, ckpt, "-t", 0, "-n", 24, "-i", "Once upon a time", tokenizer=tok)
            self.assertEqual(ours.tokens, ref.tokens)
            self.assertEqual(ours.text, ref.text)
            self.assertIn("(matmul at tier 2)", err, "the matrix-vector products should have reached tier 2 by the first token")
        finally:
            d.close()


class PromptEncoding(ls.SmallModelCase):
    """The hand-worked encodings of test_llm_encode.py, from the Flow module."""

    def encode(self, text, expected):
        ours, _ = flow(self, self.ckpt, "-t", 0, "-n", len(expected), "-i", text, tokenizer=self.tok)
        self.assertEqual(ours.tokens[:len(expected)], expected, repr(text))

    def test_hand_worked(self):
        self.encode("abc", [1, SP, 263])
        self.encode("bcd", [1, SP, 260, D])
        self.encode("cde", [1, SP, 261, E])
        self.encode("a", [1, 264])
        self.encode("ab", [1, 265])
        self.encode("a b", [1, 264, SP, B])
        self.encode("hi!", [1, SP, 266, BANG])
        self.encode("\u00e9", [1, SP, EACUTE])
        self.encode("a\u00e9a", [1, 264, EACUTE, A])
        self.encode("\u00fc", [1, SP, 198, 191])

    def test_empty_prompt_is_just_bos(self):
        ours, _ = flow(self, self.ckpt, "-t", 0, "-n", 3, tokenizer=self.tok)
        self.assertEqual(ours.tokens[0], 1)


class BadInputs(unittest.TestCase):
    """Each gives one clear line and exit status 2; nothing crashes."""

    @classmethod
    def setUpClass(cls):
        cls.dir = ls.Workdir()
        cls.tok = cls.dir.tokenizer("tok300.bin", 300)
        cls.ckpt = cls.dir.checkpoint("good.bin", 24, 64, 2, 4, 2, 300, 32)
        with open(cls.ckpt, "rb") as f:
            cls.bytes = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.dir.close()

    def refused(self, ckpt, tok, pattern, *args):
        proc = run_flow(ckpt, "-n", 4, *args, tokenizer=tok)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertRegex(proc.stderr.decode(), pattern)
        self.assertNotIn(b"trap", proc.stderr)

    def write(self, name, data):
        path = self.dir.file(name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_truncated_checkpoint(self):
        self.refused(self.write("short.bin", self.bytes[:len(self.bytes) - 100]), self.tok, r"shorter than its header says")
        self.refused(self.write("tiny.bin", self.bytes[:20]), self.tok, r"shorter than its header says")

    def test_header_that_does_not_add_up(self):
        import struct
        for fields in ((24, 64, 2, 5, 2, 300, 32),     # 5 heads do not divide dim 24
                       (24, 64, 2, 4, 3, 300, 32),     # 3 kv heads do not divide 4 heads
                       (0, 64, 2, 4, 2, 300, 32),
                       (24, 64, -2, 4, 2, 300, 32),
                       (65536, 65536, 4096, 1, 1, 300, 32)):  # sizes beyond any buffer
            data = struct.pack("<7i", *fields) + self.bytes[28:]
            self.refused(self.write("bad.bin", data), self.tok, r"header|too large|shorter")

    def test_missing_and_corrupt_tokenizer(self):
        self.refused(self.ckpt, self.dir.file("nowhere.bin"), r"tokenizer .* does not exist")
        with open(self.tok, "rb") as f:
            tok = f.read()
        self.refused(self.ckpt, self.write("cut.bin", tok[:len(tok) // 2]), r"not a tokenizer for this model")
        self.refused(self.ckpt, self.write("empty.bin", b""), r"not a tokenizer for this model")

    def test_missing_checkpoint(self):
        self.refused(self.dir.file("absent.bin"), self.tok, r"checkpoint .* does not exist")

    def test_bad_options(self):
        proc = run_flow(self.ckpt, "-n", "many", tokenizer=self.tok)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"-n many", proc.stderr)


if __name__ == "__main__":
    unittest.main()
