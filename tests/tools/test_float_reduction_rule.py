"""The float reduction rule of docs/flow-language.md, end to end.

flowc marks exactly the statements the rule names (radd.f32, rsub.f32), and
every tier of the JIT gives tier 0's bits for everything else: the same sum
written with a while loop, as `s = s + e`, or as `s = e + s`; a max whose
accumulator is the second operand; data where the order of additions shows
(one large value and many small ones). Uses $BAREFLOW_BUILD/host/flowrun.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

from flowc_support import compile_text
from flowrun_support import FLOWRUN, host_has_avx2
from test_flowc import mnemonics


def accumulation_ops(source, name="f"):
    return [m for m in mnemonics(source, name) if m.endswith(".f32") and m[:-4] in ("add", "sub", "radd", "rsub")]


class CompilerMarksOnlyWhatTheRuleNames(unittest.TestCase):

    def check(self, body, expected, params="x: [f32], n: i32"):
        source = f"fn f({params}) -> f32 {{ var s: f32 = 0.0; {body} return s; }}"
        self.assertEqual(accumulation_ops(source), expected, body)

    def test_compound_assignment_in_a_for_loop_is_a_reduction(self):
        self.check("for i in 0..n { s += x[i]; }", ["radd.f32"])
        self.check("for i in 0..n { s -= x[i]; }", ["rsub.f32"])
        self.check("for i in 0..n { s += x[i] * x[i]; }", ["radd.f32"])
        self.check("for i in 0..n { if x[i] > 0.0 { s += x[i]; } }", ["radd.f32"])

    def test_a_parameter_can_be_the_accumulator(self):
        source = "fn f(x: [f32], n: i32, s: f32) -> f32 { for i in 0..n { s += x[i]; } return s; }"
        self.assertEqual(accumulation_ops(source), ["radd.f32"])

    def test_the_long_forms_are_not_reductions(self):
        self.check("for i in 0..n { s = s + x[i]; }", ["add.f32"])
        self.check("for i in 0..n { s = x[i] + s; }", ["add.f32"])
        self.check("for i in 0..n { s = s - x[i]; }", ["sub.f32"])

    def test_a_while_loop_has_no_reductions(self):
        self.check("var i: i32 = 0; while i < n { s += x[i]; i += 1; }", ["add.f32"])

    def test_the_innermost_loop_must_be_the_for_loop(self):
        self.check("for i in 0..n { var j: i32 = 0; while j < 2 { s += x[i]; j += 1; } }", ["add.f32"])
        # A nested for loop is the statement's loop: the inner one counts.
        self.check("for i in 0..n { for j in 0..2 { s += x[j]; } }", ["radd.f32"])
        self.check("for i in 0..n { for j in 0..2 { s += x[j]; } s = s * 0.5; }", ["radd.f32"])

    def test_an_accumulator_named_elsewhere_in_the_loop_is_not_a_reduction(self):
        self.check("for i in 0..n { s += x[i] * s; }", ["add.f32"])
        self.check("for i in 0..n { s += x[i]; if s > 10.0 { x[i] = 1.0; } }", ["add.f32"])
        self.check("for i in 0..n { s += x[i]; s += 1.0; }", ["add.f32", "add.f32"])
        self.check("for i in 0..n { s += x[i]; x[i] = s; }", ["add.f32"])

    def test_a_variable_declared_in_the_loop_is_not_an_accumulator(self):
        source = "fn f(x: [f32], n: i32) -> f32 { var t: f32 = 0.0; for i in 0..n { var s: f32 = 1.0; s += x[i]; t = s; } return t; }"
        self.assertEqual(accumulation_ops(source), ["add.f32"])

    def test_integer_accumulations_are_never_marked(self):
        source = "fn f(x: [i32], n: i32) -> i32 { var s: i32 = 0; for i in 0..n { s += x[i]; } return s; }"
        self.assertNotIn("radd.f32", mnemonics(source))
        self.assertIn("add.i32", mnemonics(source))


# One 2^24 and many 1.0s: in order, every 1.0 is lost to rounding (ties to
# even), so the sequential sum is exactly 16777216; any regrouping that adds
# some 1.0s together first gives a larger number.
SPELLINGS = """
buf X: [f32; 64];
buf Y: [f32; 64];
fn fill() { X[0] = 16777216.0; for i in 1..64 { X[i] = 1.0; } for i in 0..64 { Y[i] = 1.0; } }
fn w_sum(x: [f32], n: i32) -> f32 { var s: f32 = 0.0; var i: i32 = 0; while i < n { s += x[i]; i += 1; } return s; }
fn f_long(x: [f32], n: i32) -> f32 { var s: f32 = 0.0; for i in 0..n { s = s + x[i]; } return s; }
fn f_swapped(x: [f32], n: i32) -> f32 { var s: f32 = 0.0; for i in 0..n { s = x[i] + s; } return s; }
fn f_sub_long(x: [f32], n: i32) -> f32 { var s: f32 = 0.0; for i in 0..n { s = s - x[i]; } return s; }
fn w_dot(x: [f32], y: [f32], n: i32) -> f32 { var s: f32 = 0.0; var i: i32 = 0; while i < n { s += x[i] * y[i]; i += 1; } return s; }
fn f_dot_long(x: [f32], y: [f32], n: i32) -> f32 { var s: f32 = 0.0; for i in 0..n { s = s + x[i] * y[i]; } return s; }
fn f_marked(x: [f32], n: i32) -> f32 { var s: f32 = 0.0; for i in 0..n { s += x[i]; } return s; }
fn max_second(x: [f32], n: i32) -> f32 { var m: f32 = x[0]; for i in 1..n { m = max(x[i], m); } return m; }
fn min_second(x: [f32], n: i32) -> f32 { var m: f32 = x[0]; for i in 1..n { m = min(x[i], m); } return m; }

fn t_w_sum() -> f32 { fill(); return w_sum(X, 64); }
fn t_f_long() -> f32 { fill(); return f_long(X, 64); }
fn t_f_swapped() -> f32 { fill(); return f_swapped(X, 64); }
fn t_f_sub_long() -> f32 { fill(); return f_sub_long(X, 64); }
fn t_w_dot() -> f32 { fill(); return w_dot(X, Y, 64); }
fn t_f_dot_long() -> f32 { fill(); return f_dot_long(X, Y, 64); }
fn t_f_marked() -> f32 { fill(); return f_marked(X, 64); }
// A NaN in the middle: max(x, m) returns m (its second operand) for a NaN
// x, so the NaN is dropped; max(m, x) would keep it.
fn t_max_nan() -> f32 { for i in 0..64 { X[i] = f32(i); } X[40] = 0.0 / 0.0; return max_second(X, 64); }
fn t_min_nan() -> f32 { for i in 0..64 { X[i] = f32(i); } X[40] = 0.0 / 0.0; return min_second(X, 64); }
// Zeros of both signs tie: which one wins depends on the order.
fn t_max_zeros() -> f32 { for i in 0..64 { X[i] = -1.0; } X[5] = -0.0; X[17] = 0.0; X[34] = -0.0; return max_second(X, 64); }
"""

EXACT = ["t_w_sum", "t_f_long", "t_f_swapped", "t_f_sub_long", "t_w_dot", "t_f_dot_long",
         "t_max_nan", "t_min_nan", "t_max_zeros"]


@unittest.skipUnless(os.path.exists(FLOWRUN), "flowrun not built")
class EveryTierKeepsTheBitsOfWhatIsNotMarked(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="float-rule-")
        cls.module = os.path.join(cls.dir, "SPELL.BFM")
        with open(cls.module, "wb") as f:
            f.write(compile_text(SPELLINGS, "SPELL")[1])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def run_at(self, function, *options):
        r = subprocess.run([FLOWRUN, self.module, function, *options], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, (function, options, r.stderr))
        return r.stdout.strip()

    def tiers(self):
        isas = ["sse2"] + (["avx2"] if host_has_avx2() else [])
        yield ("--tier", "1")
        for isa in isas:
            yield ("--tier", "2", "--isa", isa)
            yield ("--tier", "auto", "--isa", isa, "--thresholds", "2,5,50", "--repeat", "300")

    def test_unmarked_spellings_are_bit_identical_to_tier_0(self):
        for function in EXACT:
            tier0 = self.run_at(function, "--tier", "0")
            for options in self.tiers():
                self.assertEqual(self.run_at(function, *options), tier0, (function, options))

    def test_the_expected_tier_0_values(self):
        # The reference itself: in order, the 1.0s vanish; the NaN is dropped
        # by max(x, m) and min(x, m); the last zero in order wins the tie.
        self.assertEqual(self.run_at("t_w_sum", "--tier", "0"), "16777216")
        self.assertEqual(self.run_at("t_f_swapped", "--tier", "0"), "16777216")
        self.assertEqual(self.run_at("t_max_nan", "--tier", "0"), "63")
        self.assertEqual(self.run_at("t_min_nan", "--tier", "0"), "0")
        self.assertEqual(self.run_at("t_max_zeros", "--tier", "0"), "-0")

    def test_the_marked_sum_is_regrouped_within_the_bound(self):
        tier0 = float(self.run_at("t_f_marked", "--tier", "0"))
        self.assertEqual(tier0, 16777216.0)
        for isa in ["sse2"] + (["avx2"] if host_has_avx2() else []):
            value = float(self.run_at("t_f_marked", "--tier", "2", "--isa", isa))
            # The exact sum is 2^24 + 63; a regrouped sum lies between the
            # sequential one and the exact one.
            self.assertGreater(value, tier0, isa)
            self.assertLessEqual(value, 16777216.0 + 64, isa)


if __name__ == "__main__":
    unittest.main()
