"""sin, cos, log, pow, floor, to_bits and from_bits: flowc's types and
folding, the reference evaluator's bit-exact copies of microjit's routines
(tools/flow/f32math.py) against flowrun at tiers 0, 1 and 2, and the table of
2/pi both copies hold, recomputed here from Machin's formula."""
import math
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from flowc_support import OPS, ROOT, CompileError, compile_text, evaluator
from flowrun_support import FLOWRUN
from flow import f32math, fold
from flow.text import decode

SOURCE = """
fn s(x: f32) -> f32 { return sin(x); }
fn c(x: f32) -> f32 { return cos(x); }
fn l(x: f32) -> f32 { return log(x); }
fn p(x: f32, y: f32) -> f32 { return pow(x, y); }
fn fl(x: f32) -> f32 { return floor(x); }
fn tb(x: f32) -> i32 { return to_bits(x); }
fn fb(i: i32) -> f32 { return from_bits(i); }

// A hash of the bits of every routine over n pseudo-random patterns (xorshift):
// one call checks thousands of inputs, NaNs, infinities and huge values included.
fn sweep(n: i32, seed: i32) -> i32 {
    var h: i32 = 0;
    var r: i32 = seed;
    for i in 0..n {
        r = r ^ (r << 13);
        r = r ^ ((r >> 17) & 0x7FFF);
        r = r ^ (r << 5);
        var x: f32 = from_bits(r);
        var small: f32 = from_bits((r & 0x807FFFFF) | 0x3F000000) * 8.0;
        h = h * 31 + to_bits(sin(x));
        h = h * 31 + to_bits(cos(x));
        h = h * 31 + to_bits(sin(small));
        h = h * 31 + to_bits(log(x));
        h = h * 31 + to_bits(log(abs(small)));
        h = h * 31 + to_bits(pow(abs(small), from_bits(r ^ 0x40000000) * 0.001));
        h = h * 31 + to_bits(pow(small, f32(i % 9 - 4)));
        h = h * 31 + to_bits(floor(x)) + to_bits(floor(small));
    }
    return h;
}
"""

SAMPLES = [0.0, -0.0, 0.5, -0.5, 1.0, 2.0, 3.1415927, -3.1415927, 1.5707964, 10.0, 100.5, -1234.5678, 1e6,
           3e30, float.fromhex('0x1.fffffep127'), 1e-40, math.inf, -math.inf, math.nan]


def flowrun_value(bfm, *args):
    r = subprocess.run([FLOWRUN, bfm] + [str(a) for a in args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"flowrun {args}: {r.stderr}")
    return r.stdout.strip()


def literal(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def same(text, want):
    """flowrun prints an f32 with %.9g, which names one float exactly."""
    if isinstance(want, int):
        return int(text) == want
    got = fold.f32(float(text))
    if math.isnan(want):
        return math.isnan(got)
    return fold.f32_bits(got) == fold.f32_bits(want)


def two_over_pi_words(count):
    """The bits of 2/pi after the point, 32 per word, from Machin's formula."""
    def arctan_inv(x, bits):
        total = term = (1 << bits) // x
        n, sign = 1, -1
        while term:
            term //= x * x
            total += sign * (term // (2 * n + 1))
            sign, n = -sign, n + 1
        return total
    bits = 32 * count + 64
    pi = 16 * arctan_inv(5, bits) - 4 * arctan_inv(239, bits)  # pi * 2^bits, short by a few units
    scaled = (1 << (2 * bits + 1)) // pi  # 2/pi * 2^bits
    return [(scaled >> (bits - 32 * (i + 1))) & 0xFFFFFFFF for i in range(count)]


class Types(unittest.TestCase):
    def check(self, key, source):
        with self.assertRaises(CompileError, msg=source) as ctx:
            compile_text(source)
        self.assertEqual(ctx.exception.key, key, ctx.exception.message)

    def test_argument_types(self):
        self.check("expected_type", "fn f(x: i32) -> f32 { return sin(x); }")
        self.check("expected_type", "fn f(x: i32) -> f32 { return log(x); }")
        self.check("expected_type", "fn f(x: i32) -> f32 { return floor(x); }")
        self.check("expected_type", "fn f(x: f32, y: i32) -> f32 { return pow(x, y); }")
        self.check("expected_type", "fn f(x: i32) -> i32 { return to_bits(x); }")
        self.check("expected_type", "fn f(x: f32) -> f32 { return from_bits(x); }")

    def test_result_types(self):
        self.check("expected_type", "fn f(x: f32) -> f32 { return to_bits(x); }")
        self.check("expected_type", "fn f(x: i32) -> i32 { return from_bits(x); }")
        self.check("expected_type", "fn f(x: f32) -> i32 { return floor(x); }")

    def test_arity(self):
        self.check("arg_count", "fn f(x: f32) -> f32 { return pow(x); }")
        self.check("arg_count", "fn f(x: f32) -> f32 { return cos(x, x); }")

    def test_the_names_are_taken(self):
        for name in ("sin", "cos", "log", "pow", "floor", "to_bits", "from_bits"):
            self.check("builtin_name", f"fn f() -> i32 {{ var {name}: i32 = 1; return {name}; }}")


class Folding(unittest.TestCase):
    def mnemonics(self, source):
        image, _ = compile_text(source)
        return [op.mnemonic for f in image.functions for _, op, _ in decode(f.code, OPS)]

    def test_floor_and_bit_casts_fold_exactly(self):
        for expr, want in [("floor(-1.5)", -2.0), ("floor(2.75)", 2.0), ("floor(-0.25)", -1.0),
                           ("floor(0.25)", 0.0), ("from_bits(0x3F800000)", 1.0), ("from_bits(0x80000000)", -0.0),
                           ("floor(from_bits(0x4B7FFFFF))", 16777215.0)]:
            source = f"fn f() -> f32 {{ return {expr}; }}"
            ops = self.mnemonics(source)
            self.assertNotIn("floor.f32", ops, expr)
            self.assertNotIn("f32.bits.i32", ops, expr)
            got = evaluator(source).call("f")
            self.assertEqual(fold.f32_bits(got), fold.f32_bits(want), expr)
        for expr, want in [("to_bits(1.0)", 0x3F800000), ("to_bits(-2.0)", fold.wrap32(0xC0000000)),
                           ("to_bits(-0.0)", fold.wrap32(0x80000000)), ("to_bits(floor(-0.5))", fold.wrap32(0xBF800000))]:
            source = f"fn f() -> i32 {{ return {expr}; }}"
            self.assertNotIn("i32.bits.f32", self.mnemonics(source), expr)
            self.assertEqual(evaluator(source).call("f"), want, expr)

    def test_microjits_routines_are_left_to_run_time(self):
        for expr, op in [("sin(1.0)", "sin.f32"), ("cos(1.0)", "cos.f32"), ("log(2.0)", "log.f32"),
                         ("pow(2.0, 0.5)", "pow.f32")]:
            self.assertIn(op, self.mnemonics(f"fn f() -> f32 {{ return {expr}; }}"), expr)

    def test_a_nan_is_not_folded(self):
        # from_bits(0x7FC00000) is a NaN, whose bits stay the CPU's business.
        self.assertIn("f32.bits.i32", self.mnemonics("fn f() -> f32 { return from_bits(0x7FC00000); }"))


class ReferenceCopies(unittest.TestCase):
    def test_the_2_over_pi_table_is_right_in_both_copies(self):
        words = two_over_pi_words(len(f32math.TWO_OVER_PI))
        self.assertEqual(list(f32math.TWO_OVER_PI), words)
        with open(os.path.join(ROOT, "microjit", "runtime", "trig_f32.cpp"), encoding="utf-8") as f:
            text = f.read()
        table = re.search(r"two_over_pi\[\] = \{([^}]*)\}", text).group(1)
        self.assertEqual([int(w, 16) for w in re.findall(r"0x[0-9a-f]+", table)], words)

    def test_known_values(self):
        # Correctly rounded results (checked against a double libm).
        self.assertEqual(f32math.sin_f32(fold.f32(1.0)), fold.f32(math.sin(1.0)))
        self.assertEqual(f32math.cos_f32(fold.f32(1e22)), fold.f32(math.cos(fold.f32(1e22))))
        self.assertEqual(f32math.log_f32(2.0), fold.f32(math.log(2.0)))
        self.assertEqual(f32math.pow_f32(2.0, 10.0), 1024.0)
        self.assertEqual(f32math.pow_f32(-2.0, 3.0), -8.0)
        self.assertTrue(math.isnan(f32math.pow_f32(-2.0, 0.5)))
        self.assertEqual(f32math.pow_f32(math.nan, 0.0), 1.0)
        self.assertEqual(f32math.exp_f32(1.0), fold.f32(math.e))


@unittest.skipUnless(os.path.exists(FLOWRUN), "flowrun not built")
class AgreementWithMicrojit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="math-builtins-")
        _, data = compile_text(SOURCE)
        cls.bfm = os.path.join(cls.dir, "MATH.BFM")
        with open(cls.bfm, "wb") as f:
            f.write(data)
        cls.ref = evaluator(SOURCE)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def agree(self, fn, *args):
        want = self.ref.call(fn, *args)
        for tier in ("0", "1", "2"):
            text = flowrun_value(self.bfm, fn, *[literal(a) if isinstance(a, float) else a for a in args],
                                 "--tier", tier)
            self.assertTrue(same(text, want), f"{fn}{args} at tier {tier}: flowrun {text}, refeval {want!r}")

    def test_sample_values(self):
        for x in SAMPLES:
            x = fold.f32(x)
            for fn in ("s", "c", "l", "fl", "tb"):
                self.agree(fn, x)
        for x, y in [(2.0, 10.0), (2.0, 0.5), (-2.0, 3.0), (-2.0, 0.5), (0.0, -1.0), (-0.0, -3.0), (10.0, -40.0),
                     (1.0, math.nan), (math.nan, 0.0), (-1.0, math.inf), (0.5, 200.0), (1.0001, 1e6)]:
            self.agree("p", fold.f32(x), fold.f32(y))
        for i in (0, 0x3F800000, fold.wrap32(0x80000000), 1, fold.wrap32(0xFF800000)):
            self.agree("fb", i)

    def test_nan_bits_are_canonical(self):
        for i in (0x7FC00000, 0x7F800001, fold.wrap32(0xFFC00000), fold.wrap32(0xFFFFFFFF)):
            self.assertEqual(self.ref.call("tb", self.ref.call("fb", i)), 0x7FC00000)
        for tier in ("0", "1", "2"):
            self.assertEqual(flowrun_value(self.bfm, "tb", "nan", "--tier", tier), str(0x7FC00000))

    def test_a_sweep_of_thousands_of_inputs(self):
        for seed in (1, 12345):
            self.agree("sweep", 3000, seed)
