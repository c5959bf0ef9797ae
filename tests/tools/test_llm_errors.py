"""Bad input to the reference is a clear one-line error and exit status 1: a
truncated checkpoint, a header whose sizes do not add up, a header that
describes no model, a tokenizer with too few tokens, missing files."""
import struct
import unittest

import llm_support as ls

DIM, HIDDEN, LAYERS, HEADS, KV, VOCAB, SEQ = 16, 40, 1, 2, 1, 300, 16


class Errors(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = ls.Workdir()
        cls.tok = cls.dir.tokenizer("tok.bin", VOCAB)
        cls.good = cls.dir.checkpoint("good.bin", DIM, HIDDEN, LAYERS, HEADS, KV, VOCAB, SEQ)
        with open(cls.good, "rb") as f:
            cls.data = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.dir.close()

    def variant(self, name, data):
        path = self.dir.file(name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def with_header(self, name, *fields):
        return self.variant(name, struct.pack("<7i", *fields) + self.data[28:])

    def fails(self, ckpt, *words, tok=None):
        proc = ls.run(ckpt, "-t", 0, "-n", 4, tokenizer=tok or self.tok)
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 1, err)
        self.assertTrue(err.startswith("reference: "), err)
        self.assertEqual(err.count("\n"), 1, err)
        for w in words:
            self.assertIn(w, err)
        self.assertEqual(proc.stdout, b"")
        return err

    def test_good_file_runs(self):
        proc = ls.run(self.good, "-t", 0, "-n", 4, tokenizer=self.tok)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_truncated(self):
        size = len(self.data)
        err = self.fails(self.variant("cut.bin", self.data[:-4]), "truncated", str(size - 4), str(size))
        self.assertIn("dim 16", err)
        self.fails(self.variant("half.bin", self.data[:len(self.data) // 2]), "truncated")

    def test_shorter_than_header(self):
        self.fails(self.variant("tiny.bin", self.data[:10]), "header")
        self.fails(self.variant("empty.bin", b""), "header")

    def test_trailing_data(self):
        self.fails(self.variant("long.bin", self.data + b"\0" * 8), "trailing data")

    def test_sizes_do_not_add_up(self):
        # a header that claims more layers, a wider model or a longer context
        self.fails(self.with_header("layers.bin", DIM, HIDDEN, 2, HEADS, KV, VOCAB, SEQ), "implies", "n_layers 2")
        self.fails(self.with_header("seq.bin", DIM, HIDDEN, LAYERS, HEADS, KV, VOCAB, 2 * SEQ), "implies")
        self.fails(self.with_header("hidden.bin", DIM, HIDDEN - 2, LAYERS, HEADS, KV, VOCAB, SEQ), "trailing data")
        # the same weights read as an unshared classifier miss their wcls
        self.fails(self.with_header("unshared.bin", DIM, HIDDEN, LAYERS, HEADS, KV, -VOCAB, SEQ),
                   "unshared", "truncated")

    def test_header_describes_no_model(self):
        self.fails(self.with_header("heads.bin", DIM, HIDDEN, LAYERS, 3, 1, VOCAB, SEQ), "does not describe")
        self.fails(self.with_header("kv.bin", DIM, HIDDEN, LAYERS, HEADS, 3, VOCAB, SEQ), "does not describe")
        self.fails(self.with_header("zero.bin", 0, HIDDEN, LAYERS, HEADS, KV, VOCAB, SEQ), "does not describe")
        self.fails(self.with_header("neg.bin", DIM, -1, LAYERS, HEADS, KV, VOCAB, SEQ), "does not describe")
        # a version-1+ llama2.c file starts with the magic "ak42"
        self.fails(self.variant("v1.bin", b"ak42" + self.data[4:]), "does not describe")

    def test_tokenizer_too_small(self):
        small = self.dir.tokenizer("small.bin")  # 277 tokens for a 300-token model
        self.fails(self.good, "fewer tokens", "277", "300", tok=small)

    def test_byte_fallback_without_byte_tokens(self):
        # five tokens: specials, " " and "a"; "b" would fall back to id 0x62+3 = 101
        tok = self.dir.file("five.tok")
        ls.llmtok.write(tok, [(b"<unk>", 0.0), (b"\n<s>\n", 0.0), (b"\n</s>\n", 0.0), (b" ", -1.0), (b"a", -1.0)])
        ckpt = self.dir.checkpoint("five.bin", DIM, HIDDEN, LAYERS, HEADS, KV, 5, SEQ)
        proc = ls.run(ckpt, "--encode", "a", tokenizer=tok)
        self.assertEqual(proc.stdout.split(), [b"1", b"3", b"4"])
        proc = ls.run(ckpt, "--encode", "ab", tokenizer=tok)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b"no byte token", proc.stderr)

    def test_missing_files(self):
        self.fails(self.dir.file("nope.bin"), "cannot open checkpoint")
        self.fails(self.good, "cannot open tokenizer", tok=self.dir.file("nope.tok"))

    def test_usage(self):
        proc = ls.run(self.good, "-q", 1, tokenizer=self.tok)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b"usage:", proc.stderr)


if __name__ == "__main__":
    unittest.main()
