"""flowrun --tier spec: every function compiled at tier 2, then FUNC
specialised on the arguments given (docs/specialisation.md). The results are
tier 0's on both ISA paths, --stats names the folded values, and the dumped
specialised code starts with its guard and decodes completely with objdump."""
import os
import shutil
import tempfile
import unittest

from flowrun_support import BENCH, FLOWRUN, flowrun, host_has_avx2, objdump_lines


@unittest.skipUnless(os.path.exists(FLOWRUN) and os.path.exists(BENCH), "flowrun or BENCH.BFM not built")
class FlowrunSpec(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="flowrun-spec-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_specialised_code_gives_the_tier0_results_on_both_isas(self):
        cases = [("fib_iter", "40"), ("fib_iter", "0"), ("fib_iter", "-3"), ("fib_rec", "25"), ("fib_rec", "1"),
                 ("sum", "10000"), ("bench_dot", "256"), ("bench_matmul", "16"), ("gcd", "1071", "462")]
        isas = ["sse2"] + (["avx2"] if host_has_avx2() else [])
        for function, *args in cases:
            tier0 = flowrun(function, *args, "--tier", "0")
            self.assertEqual(tier0.returncode, 0, tier0.stderr)
            for isa in isas:
                r = flowrun(function, *args, "--tier", "spec", "--isa", isa, "--repeat", "3")
                self.assertEqual((r.returncode, r.stdout), (0, tier0.stdout), (function, args, isa, r.stderr))

    def test_stats_name_the_folded_values(self):
        r = flowrun("fib_iter", "40", "--tier", "spec", "--stats")
        self.assertEqual((r.returncode, r.stdout), (0, "102334155\n"), r.stderr)
        self.assertRegex(r.stderr, r"\n  fib_iter\s+tier 2, \w+, \d+ bytes, specialised on arg0=40 \(generic code \d+ bytes\)\n")
        self.assertRegex(r.stderr, r"fib_iter .*spec arg0=40 \(1 compiled, 0 re-specialised, guard failures 0, back-offs 0\)")
        r = flowrun("gcd", "12", "18", "--tier", "spec", "--stats")
        self.assertEqual((r.returncode, r.stdout), (0, "6\n"), r.stderr)

    def test_dumped_specialised_code_starts_with_its_guard_and_decodes(self):
        path = os.path.join(self.dir, "fib_iter.bin")
        r = flowrun("fib_iter", "40", "--tier", "spec", "--dump-code", "fib_iter", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = objdump_lines(path)
        self.assertFalse([line for line in lines if "(bad)" in line])
        last = lines[-1].split("\t")
        self.assertEqual(int(last[0].strip().rstrip(":"), 16) + len(last[1].split()), os.path.getsize(path))
        self.assertIn("cmpl   $0x28,(%eax)", lines[0])
        self.assertIn("jne", lines[1])
        # Forty steps of fib, fully unrolled: additions and no backward branch.
        adds = [line for line in lines if "\tadd " in line and "%esp" not in line]
        self.assertGreaterEqual(len(adds), 39)

    def test_nothing_to_fold_is_reported_and_the_run_goes_on(self):
        r = flowrun("bench_sum_i32", "--tier", "spec")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("bench_sum_i32 is not specialised", r.stderr)

    def test_bad_tier_names_spec(self):
        r = flowrun("fib_iter", "10", "--tier", "3")
        self.assertEqual(r.returncode, 2)
        self.assertIn("choose 0, 1, 2, spec or auto", r.stderr)


if __name__ == "__main__":
    unittest.main()
