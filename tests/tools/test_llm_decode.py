"""The reference's decoding and printing (run.c's decode and safe_printf): a
piece's leading space is dropped right after BOS, "<0xXX>" pieces are raw
bytes, and a single byte that is neither printable nor whitespace is skipped.

`--decode "IDS"` prints every id after the first, each decoded with the one
before it as the previous token, as generation prints them; generation with a
prompt prints the same pieces. Ids are those of the small tokenizer
(test_llm_encode.py lists them; byte b is id b+3).
"""
import unittest

import llm_support as ls


class Decode(ls.SmallModelCase):

    def decode(self, ids):
        proc = ls.run(self.ckpt, "--decode", " ".join(map(str, ids)), tokenizer=self.tok)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout.endswith(b"\n"))
        return proc.stdout[:-1]

    def test_leading_space_dropped_only_after_bos(self):
        self.assertEqual(self.decode([1, 264]), b"a")          # " a" after BOS
        self.assertEqual(self.decode([268, 264]), b" a")       # " a" after "a"
        self.assertEqual(self.decode([1, 265, 264]), b"ab a")  # only the first piece loses it
        self.assertEqual(self.decode([1, 267]), b"")           # " " after BOS is empty: nothing

    def test_byte_pieces_are_raw_bytes(self):
        self.assertEqual(self.decode([268, 0x48 + 3]), b"H")
        self.assertEqual(self.decode([268, 0x0A + 3]), b"\n")  # whitespace is printed
        self.assertEqual(self.decode([268, 0x09 + 3]), b"\t")

    def test_non_printable_single_bytes_are_skipped(self):
        self.assertEqual(self.decode([268, 0x01 + 3, 268]), b"a")
        self.assertEqual(self.decode([268, 0x00 + 3, 268]), b"a")   # <0x00> is the empty piece
        self.assertEqual(self.decode([268, 0x7F + 3, 268]), b"a")
        # bytes >= 0x80 alone are not printable either: a byte-fallback "ü" vanishes
        self.assertEqual(self.decode([268, 0xC3 + 3, 0xBC + 3, 268]), b"a")

    def test_multibyte_pieces_are_printed(self):
        self.assertEqual(self.decode([268, 276]), "\u00e9".encode())

    def test_special_pieces_print_as_text(self):
        self.assertEqual(self.decode([268, 0]), b"<unk>")
        self.assertEqual(self.decode([268, 2]), b"\n</s>\n")

    def test_generation_prints_the_prompt_pieces(self):
        # "ab a\x01\u00fc!" encodes to [1 265 264 4 198 191 275]; with -n 6 the
        # loop runs six forced positions and prints pieces 1..6.
        proc = ls.run(self.ckpt, "--encode", "ab a\x01\u00fc!", tokenizer=self.tok)
        ids = [int(v) for v in proc.stdout.split()]
        self.assertEqual(ids, [1, 265, 264, 4, 198, 191, 275])
        out = ls.generate(self, self.ckpt, "-n", 6, "-t", 0, "-i", "ab a\x01\u00fc!", tokenizer=self.tok)
        self.assertEqual(out.text, b"ab a!")
        self.assertEqual(out.tokens, ids)


if __name__ == "__main__":
    unittest.main()
