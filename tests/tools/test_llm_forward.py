"""The reference's forward pass and generation loop on random checkpoints:
greedy output is not degenerate, every supported shape runs (grouped-query
attention, an unshared classifier, dims that are no multiple of 8, odd head
sizes, the stories15M shape), the classifier and GQA indexing are checked by
equivalent checkpoints, and the three builds agree."""
import math
import os
import unittest
from array import array

import llm_support as ls


def read_tensors(path, cfg):
    """{name: array('f')} of a checkpoint written by tools/llmckpt.py."""
    out = {}
    with open(path, "rb") as f:
        f.seek(28)
        for name, count, _ in cfg.tensors():
            vals = array("f")
            vals.fromfile(f, count)
            out[name] = vals
    return out


def write_tensors(path, cfg, tensors):
    with open(path, "wb") as f:
        f.write(cfg.header())
        for name, _, _ in cfg.tensors():
            tensors[name].tofile(f)


class Forward(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = ls.Workdir()
        cls.tok512 = cls.dir.tokenizer("tok512.bin", 512)

    @classmethod
    def tearDownClass(cls):
        cls.dir.close()

    def shape_ckpt(self, name, shared=True, seed=1):
        cfg = ls.llmckpt.shape(name, shared)
        path = self.dir.file(f"{name}-{shared}-{seed}.bin")
        if not os.path.exists(path):
            ls.llmckpt.write(path, cfg, seed)
        return path, cfg

    def assert_not_degenerate(self, tokens, steps):
        gen = tokens[1:]
        self.assertTrue(len(gen) == steps or gen[-1] == 1, tokens)
        self.assertGreaterEqual(len(gen), min(steps, 24), "stopped on BOS almost at once")
        self.assertGreaterEqual(len(set(gen)), len(gen) // 4, tokens)
        tail = gen[-12:]
        self.assertGreater(len(set(tail)), 1, "one token repeated at the end")

    def test_greedy_is_not_degenerate(self):
        for seed in (1, 2, 3):
            ckpt, _ = self.shape_ckpt("tiny", seed=seed)
            out = ls.generate(self, ckpt, "-t", 0, "-n", 64, "-i", "Once upon a time", "--logits", 1,
                              tokenizer=self.tok512)
            self.assert_not_degenerate(out.tokens, 64)
            logits = out.logits[0]
            mean = sum(logits) / len(logits)
            spread = math.sqrt(sum((v - mean) ** 2 for v in logits) / len(logits))
            self.assertGreater(spread, 1.0)
            self.assertLess(spread, 20.0)
            self.assertTrue(all(math.isfinite(v) for v in logits))

    def test_shapes_run(self):
        cases = [("tiny-gqa", True), ("tiny-gqa", False), ("odd", True), ("odd", False), ("micro", False)]
        for name, shared in cases:
            with self.subTest(shape=name, shared=shared):
                ckpt, cfg = self.shape_ckpt(name, shared)
                tok = self.dir.file(f"tok{cfg.vocab}.bin")
                if not os.path.exists(tok):
                    tok = self.dir.tokenizer(f"tok{cfg.vocab}.bin", cfg.vocab)
                steps = min(cfg.seq_len, 40)
                out = ls.generate(self, ckpt, "-t", 0, "-n", steps, "--logits", 2, tokenizer=tok)
                self.assert_not_degenerate(out.tokens, steps)
                self.assertEqual([len(row) for row in out.logits], [cfg.vocab, cfg.vocab])

    def test_head_size_odd(self):
        # dim 20, 4 heads: head_size 5; 2 kv heads: kv_dim 10
        ckpt = self.dir.checkpoint("hs5.bin", 20, 52, 2, 4, 2, 512, 32, seed=4)
        out = ls.generate(self, ckpt, "-t", 0, "-n", 32, tokenizer=self.tok512)
        self.assert_not_degenerate(out.tokens, 32)

    def test_stories15m_shape(self):
        ckpt, cfg = self.shape_ckpt("stories15M")
        tok = self.dir.tokenizer("tok32000.bin", 32000)
        out = ls.generate(self, ckpt, "-t", 0, "-n", 64, "-i", "Once upon a time", tokenizer=tok)
        self.assert_not_degenerate(out.tokens, 64)
        self.assertTrue(out.text.startswith(b"Once upon a time"))

    def test_unshared_classifier_is_read(self):
        # Same seed: the files differ only in the header's sign and the trailing wcls.
        shared, cfg = self.shape_ckpt("micro", True, seed=9)
        unshared, ucfg = self.shape_ckpt("micro", False, seed=9)
        tok = self.dir.tokenizer("tok300.bin", cfg.vocab)
        a = ls.generate(self, shared, "-t", 0, "-n", 8, "--logits", 8, tokenizer=tok)
        b = ls.generate(self, unshared, "-t", 0, "-n", 8, "--logits", 8, tokenizer=tok)
        self.assertNotEqual(a.logits[0], b.logits[0])
        # an unshared classifier equal to the embedding table behaves as the shared one
        t = read_tensors(shared, cfg)
        t["wcls"] = array("f", t["token_embedding_table"])
        copy = self.dir.file("unshared-as-shared.bin")
        write_tensors(copy, ucfg, t)
        c = ls.generate(self, copy, "-t", 0, "-n", 8, "--logits", 8, tokenizer=tok)
        self.assertEqual(c.logits, a.logits)
        self.assertEqual(c.tokens, a.tokens)

    def test_gqa_equals_replicated_heads(self):
        # kv head j serves query heads j*kv_mul .. j*kv_mul+kv_mul-1; copying its wk/wv
        # rows to each of them gives a multi-head model with identical outputs.
        gqa = ls.llmckpt.Config(32, 64, 2, 8, 2, 512, 24)
        mha = ls.llmckpt.Config(32, 64, 2, 8, 8, 512, 24)
        path = self.dir.file("gqa8x2.bin")
        ls.llmckpt.write(path, gqa, 21)
        t = read_tensors(path, gqa)
        hs, kv_mul, dim = gqa.head_size, gqa.heads // gqa.kv_heads, gqa.dim
        for name in ("wk", "wv"):
            src, dst = t[name], array("f")
            for layer in range(gqa.layers):
                base = layer * gqa.kv_dim * dim
                for h in range(gqa.heads):
                    j = h // kv_mul
                    dst.extend(src[base + j * hs * dim: base + (j + 1) * hs * dim])
            t[name] = dst
        mpath = self.dir.file("mha8.bin")
        write_tensors(mpath, mha, t)
        args = ("-t", 0, "-n", 20, "-i", "Once upon a time", "--logits", 20)
        a = ls.generate(self, path, *args, tokenizer=self.tok512)
        b = ls.generate(self, mpath, *args, tokenizer=self.tok512)
        self.assertEqual(a.tokens, b.tokens)
        self.assertEqual(a.logits, b.logits)

    def test_steps(self):
        ckpt, cfg = self.shape_ckpt("micro")
        tok = self.dir.tokenizer("tok300.bin", cfg.vocab)
        for n in (0, cfg.seq_len + 5, -3):
            tokens = ls.generate(self, ckpt, "-t", 0, "-n", n, tokenizer=tok).tokens
            # -n 0 and -n beyond seq_len mean seq_len; a negative -n becomes 0, then seq_len
            self.assertTrue(len(tokens) == cfg.seq_len + 1 or tokens[-1] == 1, (n, tokens))
        tokens = ls.generate(self, ckpt, "-t", 0, "-n", 5, tokenizer=tok).tokens
        self.assertTrue(len(tokens) == 6 or tokens[-1] == 1)

    def test_prompt_is_forced_and_logits_do_not_depend_on_sampling(self):
        ckpt, _ = self.shape_ckpt("tiny")
        ids = [int(v) for v in ls.run(ckpt, "--encode", "Once upon a time", tokenizer=self.tok512).stdout.split()]
        a = ls.generate(self, ckpt, "-t", 0, "-n", 10, "-i", "Once upon a time", "--logits", len(ids),
                        tokenizer=self.tok512)
        b = ls.generate(self, ckpt, "-t", 1.0, "-p", 0.9, "-s", 5, "-n", 10, "-i", "Once upon a time",
                        "--logits", len(ids), tokenizer=self.tok512)
        self.assertEqual(a.tokens[:len(ids)], ids)
        self.assertEqual(b.tokens[:len(ids)], ids)
        self.assertEqual(a.logits, b.logits)
        # greedy picks the first maximum of the printed logits
        last = a.logits[len(ids) - 1]
        self.assertEqual(a.tokens[len(ids)], last.index(max(last)))

    def test_builds_agree(self):
        ckpt, _ = self.shape_ckpt("tiny-gqa")
        args = ("-t", 0, "-n", 32, "-i", "Once upon a time", "--logits", 6)
        o2 = ls.run(ckpt, *args, tokenizer=self.tok512)
        b64 = ls.run(ckpt, *args, tokenizer=self.tok512, binary=ls.REFERENCE_64)
        self.assertEqual(o2.returncode, 0)
        self.assertEqual(b64.stdout, o2.stdout)
        fast = ls.generate(self, ckpt, *args, tokenizer=self.tok512, binary=ls.REFERENCE_FAST)
        ref = ls.Output(o2.stdout)
        self.assertEqual(len(fast.logits), len(ref.logits))
        for row_f, row_r in zip(fast.logits, ref.logits):
            scale = max(abs(v) for v in row_r)
            self.assertLess(max(abs(x - y) for x, y in zip(row_f, row_r)), 1e-3 * scale)


if __name__ == "__main__":
    unittest.main()
