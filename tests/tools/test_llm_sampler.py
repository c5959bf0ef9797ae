"""The reference's sampler (run.c's): the xorshift64* generator, argmax with
the first maximum, sample_mult, and sample_topp with its cutoff, cumulative
cut and the documented tie rule (equal probabilities sort by ascending id).

Sampling is observed on the first generated token (no prompt, -n 1): its
coin is the first random_f32 of the seed. A checkpoint whose classifier rows
are all equal gives exactly equal logits, so every probability is exactly
1/vocab and the f32 sums can be replayed in Python bit for bit. On ordinary
logits the choice is replayed in double precision and compared only where
no boundary is within a small margin.
"""
import math
import subprocess
import unittest

import llm_support as ls

f32 = ls.f32


class Xorshift(unittest.TestCase):

    def test_first_outputs_match_python_ints(self):
        for seed in (1, 2, 42, 123456789, 2147483647):
            out = subprocess.run([ls.REFERENCE, "--rng", "8", "-s", str(seed)], capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            rows = [line.split() for line in out.stdout.splitlines()]
            self.assertEqual(len(rows), 8)
            state_u = state_f = seed
            for u_text, f_text in rows:
                state_u, u = ls.xorshift_u32(state_u)
                state_f, f = ls.xorshift_f32(state_f)
                self.assertEqual(int(u_text), u)
                self.assertEqual(f32(float(f_text)), f32(f))

    def test_seed_one_by_hand(self):
        # seed 1: 1 ^= 1>>12 -> 1; ^= 1<<25 -> 2^25+1; ^= (2^25+1)>>27 = 0 -> 2^25+1;
        # ((2^25+1) * 0x2545F4914F6CDD1D mod 2^64) >> 32 = 1206177355.
        self.assertEqual((((2 ** 25 + 1) * 0x2545F4914F6CDD1D) % 2 ** 64) >> 32, 1206177355)
        state, u = ls.xorshift_u32(1)
        self.assertEqual((state, u), (2 ** 25 + 1, 1206177355))
        self.assertEqual([ls.xorshift_u32(ls.xorshift_u32(1)[0])[1]], [2882512552])
        # random_f32 = (u >> 8) / 2^24
        self.assertEqual(ls.xorshift_f32(1)[1], (1206177355 >> 8) / 16777216.0)


def uniform_checkpoint(workdir, vocab=300, dim=16):
    """A checkpoint with an unshared classifier whose rows are all the same."""
    path = workdir.checkpoint("uniform.bin", dim, 40, 1, 2, 1, vocab, 16, shared=False, seed=5)
    with open(path, "r+b") as f:
        f.seek(-4 * vocab * dim, 2)
        row = f.read(4 * dim)
        f.seek(-4 * vocab * dim, 2)
        f.write(row * vocab)
    return path


def first_coin(seed):
    return f32(ls.xorshift_f32(seed)[1])


class UniformLogits(unittest.TestCase):
    VOCAB = 300

    @classmethod
    def setUpClass(cls):
        cls.dir = ls.Workdir()
        cls.ckpt = uniform_checkpoint(cls.dir, cls.VOCAB)
        cls.tok = cls.dir.tokenizer("tok.bin", cls.VOCAB)

    @classmethod
    def tearDownClass(cls):
        cls.dir.close()

    def first_token(self, *args):
        out = ls.generate(self, self.ckpt, "-n", 1, *args, tokenizer=self.tok)
        self.assertEqual(len(out.tokens), 2)
        return out.tokens[1]

    def test_logits_are_equal(self):
        out = ls.generate(self, self.ckpt, "-n", 1, "-t", 0, "--logits", 1, tokenizer=self.tok)
        self.assertEqual(len(set(out.logits[0])), 1)

    def test_argmax_takes_the_first_maximum(self):
        self.assertEqual(self.first_token("-t", 0), 0)

    def test_sample_mult(self):
        p = f32(1.0 / self.VOCAB)
        for seed in (1, 2, 3, 42, 1000):
            coin, cdf, want = first_coin(seed), 0.0, self.VOCAB - 1
            for i in range(self.VOCAB):
                cdf = f32(cdf + p)
                if coin < cdf:
                    want = i
                    break
            self.assertEqual(self.first_token("-t", 1, "-p", 1, "-s", seed), want, seed)

    def test_topp_ties_sort_by_ascending_id(self):
        # every token passes the cutoff (1-0.5)/(n-1) < 1/n; sorted by ascending id,
        # the cut comes where the f32 cumulative sum first exceeds 0.5.
        p, topp = f32(1.0 / self.VOCAB), f32(0.5)
        cum, last = 0.0, self.VOCAB - 1
        for i in range(self.VOCAB):
            cum = f32(cum + p)
            if cum > topp:
                last = i
                break
        picks = set()
        for seed in (1, 2, 3, 42, 1000, 77):
            r, cdf, want = f32(first_coin(seed) * cum), 0.0, last
            for i in range(last + 1):
                cdf = f32(cdf + p)
                if r < cdf:
                    want = i
                    break
            got = self.first_token("-t", 1, "-p", 0.5, "-s", seed)
            self.assertEqual(got, want, seed)
            picks.add(got)
        self.assertTrue(all(i <= last for i in picks))
        self.assertGreater(len(picks), 3)


def replay(logits, temp, topp, coin):
    """(token, margin): run.c's choice in double precision, and how close it came to a boundary."""
    vals = [f32(v / temp) for v in logits]
    m = max(vals)
    e = [math.exp(v - m) for v in vals]
    s = sum(e)
    p = [v / s for v in e]
    margins = []
    if topp <= 0 or topp >= 1:
        cdf = 0.0
        for i, pi in enumerate(p):
            cdf += pi
            margins.append(abs(coin - cdf))
            if coin < cdf:
                return i, min(margins)
        return len(p) - 1, min(margins)
    cutoff = (1.0 - topp) / (len(p) - 1)
    cand = sorted((i for i in range(len(p)) if p[i] >= cutoff), key=lambda i: (-p[i], i))
    cum, last = 0.0, len(cand) - 1
    for k, i in enumerate(cand):
        cum += p[i]
        margins.append(abs(cum - topp))
        if cum > topp:
            last = k
            break
    if last == len(cand) - 1:  # no early cut: which tokens passed the cutoff matters
        margins += [abs(pi - cutoff) for pi in p]
    r, cdf = coin * cum, 0.0
    for k in range(last + 1):
        cdf += p[cand[k]]
        margins.append(abs(r - cdf))
        if r < cdf:
            return cand[k], min(margins)
    return cand[last], min(margins)


class RandomLogits(unittest.TestCase):
    VOCAB = 320

    @classmethod
    def setUpClass(cls):
        cls.dir = ls.Workdir()
        cls.ckpt = cls.dir.checkpoint("c.bin", 32, 64, 2, 4, 2, cls.VOCAB, 24, seed=11)
        cls.tok = cls.dir.tokenizer("tok.bin", cls.VOCAB)

    @classmethod
    def tearDownClass(cls):
        cls.dir.close()

    def check(self, temp, topp):
        checked, picks = 0, set()
        for seed in range(1, 31):
            out = ls.generate(self, self.ckpt, "-n", 1, "-t", temp, "-p", topp, "-s", seed, "--logits", 1,
                              tokenizer=self.tok)
            want, margin = replay(out.logits[0], f32(temp), f32(topp), first_coin(seed))
            picks.add(out.tokens[1])
            if margin > 1e-5:
                self.assertEqual(out.tokens[1], want, seed)
                checked += 1
        self.assertGreaterEqual(checked, 20)
        self.assertGreater(len(picks), 1)

    def test_sample_mult(self):
        self.check(1.0, 1.0)

    def test_sample_topp(self):
        self.check(0.8, 0.9)

    def test_sample_topp_narrow(self):
        self.check(1.5, 0.5)

    def test_tiny_temperature_is_greedy(self):
        greedy = ls.generate(self, self.ckpt, "-n", 20, "-t", 0, tokenizer=self.tok).tokens
        for topp in (0.9, 1.0):
            got = ls.generate(self, self.ckpt, "-n", 20, "-t", 1e-4, "-p", topp, "-s", 3, tokenizer=self.tok).tokens
            self.assertEqual(got, greedy)


if __name__ == "__main__":
    unittest.main()
