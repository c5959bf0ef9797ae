"""The reference's prompt encoding (run.c's encode) against hand-worked merges
on the small unit-test tokenizer, and real prompts on a generated one.

The small tokenizer (tools/llmtok.py, small()): 0 <unk>, 1 BOS, 2 EOS,
3..258 the bytes <0x00>..<0xFF> (byte b is id b+3), then
  259 "ab" -1   260 "bc" -2   261 "cd" -3   262 "de" -3   263 "abc" -4
  264 " a" -5   265 " ab" -6  266 "hi" -7
  267 " "  268 "a"  269 "b"  270 "c"  271 "d"  272 "e"  273 "h"  274 "i"
  275 "!"  276 "é"                                    (single characters, -100)
Encoding starts with BOS and, for non-empty text, the dummy prefix " " (267);
then every code point is looked up, and the adjacent pair whose concatenation
has the highest score is merged until no pair is in the vocabulary.
"""
import unittest

import llm_support as ls

from llm_support import SP, A, B, C, D, E, H, I, BANG, EACUTE  # noqa: E402


class Encode(ls.SmallModelCase):

    def encode(self, text):
        proc = ls.run(self.ckpt, "--encode", text, tokenizer=self.tok)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return [int(v) for v in proc.stdout.split()]

    def test_empty_prompt_is_just_bos(self):
        # no text, so no dummy prefix either
        self.assertEqual(self.encode(""), [1])

    def test_higher_score_merges_first(self):
        # " a b c" = [1 267 268 269 270]; pairs " a" -5, "ab" -1, "bc" -2: "ab" wins
        # -> [1 267 259 270]; pairs " ab" -6, "abc" -4: "abc" wins
        # -> [1 267 263]; " abc" is not a token: done.
        self.assertEqual(self.encode("abc"), [1, SP, 263])

    def test_lower_score_merges_when_alone(self):
        # [1 267 269 270 271]: " b" no, "bc" -2, "cd" -3: "bc" -> [1 267 260 271]; "bcd" no.
        self.assertEqual(self.encode("bcd"), [1, SP, 260, D])

    def test_tie_takes_the_first_pair(self):
        # [1 267 270 271 272]: "cd" -3 at index 2 and "de" -3 at index 3 tie: the first wins
        # -> [1 267 261 272]; "cde" no.
        self.assertEqual(self.encode("cde"), [1, SP, 261, E])

    def test_dummy_prefix_merges_with_the_first_word(self):
        # [1 267 268]: " a" -5 -> [1 264]
        self.assertEqual(self.encode("a"), [1, 264])
        # [1 267 268 269]: " a" -5, "ab" -1: "ab" -> [1 267 259]; " ab" -6 -> [1 265]
        self.assertEqual(self.encode("ab"), [1, 265])

    def test_spaces_are_characters(self):
        # [1 267 268 267 269]: " a" -5 at index 1 ("a " and " b" are no tokens) -> [1 264 267 269]
        self.assertEqual(self.encode("a b"), [1, 264, SP, B])

    def test_bos_never_merges(self):
        # "\n<s>\n " is no token; [1 267 273 274 275]: "hi" -7 -> [1 267 266 275]
        self.assertEqual(self.encode("hi!"), [1, SP, 266, BANG])

    def test_multibyte_character_in_vocab(self):
        # "é" = C3 A9 is one code point and one token; " é" is no token.
        self.assertEqual(self.encode("\u00e9"), [1, SP, EACUTE])
        # [1 267 268 276 268]: " a" -5 -> [1 264 276 268]
        self.assertEqual(self.encode("a\u00e9a"), [1, 264, EACUTE, A])

    def test_multibyte_character_not_in_vocab_falls_back_to_bytes(self):
        # "ü" = C3 BC is not a token: ids 0xC3+3 = 198 and 0xBC+3 = 191
        self.assertEqual(self.encode("\u00fc"), [1, SP, 198, 191])
        # a four-byte code point, U+1F600 = F0 9F 98 80 -> 243 162 155 131
        self.assertEqual(self.encode("\U0001F600"), [1, SP, 243, 162, 155, 131])
        # ASCII missing from the vocabulary: "x" = 0x78 -> 123;
        # [1 267 123 268]: " <0x78>" and "<0x78>a" are no tokens -> unchanged
        self.assertEqual(self.encode("xa"), [1, SP, 123, A])

    def test_no_eos(self):
        self.assertNotIn(2, self.encode("abcde"))


class EncodeGenerated(unittest.TestCase):
    """Real prompts on tools/llmtok.py's generated tokenizers give several multi-character tokens."""

    @classmethod
    def setUpClass(cls):
        cls.dir = ls.Workdir()

    @classmethod
    def tearDownClass(cls):
        cls.dir.close()

    def check_vocab(self, vocab):
        tok = self.dir.tokenizer(f"tok{vocab}.bin", vocab)
        ckpt = self.dir.checkpoint(f"c{vocab}.bin", 16, 40, 1, 2, 1, vocab, 16)
        proc = ls.run(ckpt, "--encode", "Once upon a time", tokenizer=tok)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        ids = [int(v) for v in proc.stdout.split()]
        self.assertEqual(ids[0], 1)
        pieces = dict(enumerate(s for s, _ in ls.llmtok.pieces(vocab)))
        self.assertEqual(b"".join(pieces[i] for i in ids[1:]), b" Once upon a time")
        self.assertGreaterEqual(sum(1 for i in ids[1:] if len(pieces[i]) > 1), 3, [pieces[i] for i in ids])
        self.assertLessEqual(len(ids), 8)

    def test_vocab_512(self):
        self.check_vocab(512)

    def test_vocab_32000(self):
        self.check_vocab(32000)


if __name__ == "__main__":
    unittest.main()
