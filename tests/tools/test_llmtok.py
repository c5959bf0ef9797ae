"""tools/llmtok.py: tokenizer.bin files in llama2.c's format with Llama's
layout (specials, byte tokens, merges by falling score, single characters),
of exactly the requested size, deterministic, every merge reachable from two
earlier tokens, and the small unit-test tokenizer as documented."""
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import llm_support as ls

llmtok = ls.llmtok
SCRIPT = os.path.join(ls.ROOT, "tools", "llmtok.py")


def parse(data):
    """(max_token_length, [(bytes, score)]) read back by the format's rules."""
    (max_len,), at, toks = struct.unpack_from("<i", data), 4, []
    while at < len(data):
        score, n = struct.unpack_from("<fi", data, at)
        at += 8
        toks.append((data[at:at + n], score))
        at += n
    return max_len, toks


def write_cli(*args):
    """Runs the tool with args; (process, the file written)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.bin")
        proc = subprocess.run([sys.executable, SCRIPT] + list(args) + ["-o", path], capture_output=True, text=True)
        data = b""
        if proc.returncode == 0:
            with open(path, "rb") as f:
                data = f.read()
        return proc, data


class Layout(unittest.TestCase):

    def check_layout(self, toks, n):
        self.assertEqual(len(toks), n)
        self.assertEqual(toks[0], (b"<unk>", 0.0))
        self.assertEqual(toks[1], (b"\n<s>\n", 0.0))
        self.assertEqual(toks[2], (b"\n</s>\n", 0.0))
        for b in range(256):
            self.assertEqual(toks[3 + b], (b"<0x%02X>" % b, 0.0))
        rest = toks[259:]
        self.assertEqual([s for _, s in rest], [-float(i) for i in range(len(rest))])
        self.assertEqual(len({t for t, _ in toks}), n, "duplicate pieces")
        self.assertIn(b" ", [t for t, _ in rest])

    def test_sizes(self):
        for n in (llmtok.MIN_VOCAB, 300, 512, 4096, 32000):
            with self.subTest(vocab=n):
                proc, data = write_cli("--vocab", str(n))
                self.assertEqual(proc.returncode, 0, proc.stderr)
                max_len, toks = parse(data)
                self.check_layout(toks, n)
                self.assertEqual(max_len, max(len(t) for t, _ in toks))
                self.assertEqual(len(data), 4 + sum(8 + len(t) for t, _ in toks))

    def test_merges_are_reachable(self):
        # every merged token splits into two tokens that come before it
        # (earlier merges or single characters), as BPE needs
        toks = llmtok.pieces(32000)
        chars = set(llmtok.characters())
        merges = [t for t, _ in toks[259:len(toks) - len(chars)]]
        self.assertEqual({t for t, _ in toks[len(toks) - len(chars):]}, chars)
        known = set(chars)
        for m in merges:
            self.assertTrue(any(m[:i] in known and m[i:] in known for i in range(1, len(m))), m)
            known.add(m)

    def test_text_merges_come_first_and_make_words(self):
        merges = llmtok.text_merges()
        self.assertEqual(llmtok.pieces(512)[259:259 + 20], [(m, -float(i)) for i, m in enumerate(merges[:20])])
        for word in (b" the", b" Once", b" upon", b" time", b" Lily"):
            self.assertIn(word, merges)

    def test_deterministic(self):
        a, b = write_cli("--vocab", "5000")[1], write_cli("--vocab", "5000")[1]
        self.assertEqual(hashlib.sha256(a).digest(), hashlib.sha256(b).digest())
        c = write_cli("--vocab", "5000", "--seed", "2")[1]
        self.assertNotEqual(a, c)
        # the seed changes only the synthesized merges, not the text's own
        n_text = len(llmtok.text_merges())
        self.assertEqual(parse(a)[1][:259 + n_text], parse(c)[1][:259 + n_text])
        # a smaller vocabulary is the same list cut short, characters moved up
        small, big = llmtok.pieces(400), llmtok.pieces(500)
        n_chars = len(llmtok.characters())
        self.assertEqual(small[:400 - n_chars], big[:400 - n_chars])

    def test_small_tokenizer(self):
        proc, data = write_cli("--small")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        max_len, toks = parse(data)
        self.assertEqual(len(toks), ls.SMALL_VOCAB)
        self.assertEqual(max_len, 6)
        self.assertEqual(toks[259:267], [(b"ab", -1.0), (b"bc", -2.0), (b"cd", -3.0), (b"de", -3.0),
                                         (b"abc", -4.0), (b" a", -5.0), (b" ab", -6.0), (b"hi", -7.0)])
        self.assertEqual(toks[267][0], b" ")
        self.assertEqual(toks[276][0], "\u00e9".encode())

    def test_errors(self):
        proc, _ = write_cli("--vocab", str(llmtok.MIN_VOCAB - 1))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("minimum", proc.stderr)
        proc, _ = write_cli()
        self.assertEqual(proc.returncode, 2)
        proc, _ = write_cli("--small", "--vocab", "400")
        self.assertEqual(proc.returncode, 2)


if __name__ == "__main__":
    unittest.main()
