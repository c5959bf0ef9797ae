"""flowrun's tier-2 options: --tier 2 (and what --stats says about it),
--isa sse2|avx2|auto, and --dump-code FUNC FILE, whose blobs objdump decodes
completely. Uses $BAREFLOW_BUILD/host/flowrun and the compiled modules."""
import os
import shutil
import tempfile
import unittest

from flowrun_support import BENCH, FLOWRUN, flowrun, host_has_avx2, objdump_lines


@unittest.skipUnless(os.path.exists(FLOWRUN) and os.path.exists(BENCH), "flowrun or BENCH.BFM not built")
class FlowrunTier2(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="flowrun-tier2-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_tier2_gives_the_tier0_results_on_both_isas(self):
        cases = [("bench_dot", "4096"), ("bench_saxpy", "4096"), ("bench_matmul", "64"), ("fib_rec", "25"),
                 ("fib_iter", "40"), ("bench_sum", "10000"), ("primes", "1000")]
        isas = ["sse2"] + (["avx2"] if host_has_avx2() else [])
        for function, arg in cases:
            tier0 = flowrun(function, arg, "--tier", "0")
            self.assertEqual(tier0.returncode, 0, tier0.stderr)
            for isa in isas:
                r = flowrun(function, arg, "--tier", "2", "--isa", isa)
                self.assertEqual((r.returncode, r.stdout), (0, tier0.stdout), (function, isa, r.stderr))

    def test_stats_say_which_functions_tier_2_took(self):
        r = flowrun("bench_dot", "4096", "--tier", "2", "--isa", "sse2", "--stats")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("tier 2 ISA: sse2", r.stderr)
        self.assertRegex(r.stderr, r"\n  dot\s+tier 2, sse2, \d+ bytes\n")
        # No pattern for the wrapper, but the general code generator takes it.
        self.assertRegex(r.stderr, r"\n  bench_dot\s+tier 2, sse2, \d+ bytes\n")
        self.assertNotIn("cannot be compiled", r.stderr)

    def test_dumped_code_decodes_completely(self):
        isas = ["sse2"] + (["avx2"] if host_has_avx2() else [])
        for isa in isas:
            for function in ("dot", "fib_rec", "matmul", "bench_dot"):
                path = os.path.join(self.dir, f"{function}-{isa}.bin")
                r = flowrun("bench_matmul", "64", "--tier", "2", "--isa", isa, "--dump-code", function, path)
                self.assertEqual(r.returncode, 0, r.stderr)
                size = os.path.getsize(path)
                self.assertGreater(size, 16)
                lines = objdump_lines(path)
                self.assertTrue(lines)
                self.assertFalse([line for line in lines if "(bad)" in line], (function, isa))
                last = lines[-1].split("\t")
                end = int(last[0].strip().rstrip(":"), 16) + len(last[1].split())
                self.assertEqual(end, size, (function, isa))
                if isa == "avx2" and function == "dot":
                    self.assertTrue(any("ymm" in line for line in lines))
                if isa == "sse2":
                    self.assertFalse(any("ymm" in line for line in lines))

    def test_bad_options_are_clear_errors(self):
        r = flowrun("fib_iter", "10", "--isa", "avx512")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--isa avx512: choose sse2, avx2 or auto", r.stderr)
        r = flowrun("fib_iter", "10", "--tier", "0", "--dump-code", "fib_iter", os.path.join(self.dir, "x.bin"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("fib_iter runs in the interpreter: it has no machine code", r.stderr)
        r = flowrun("fib_iter", "10", "--tier", "1", "--dump-code", "nope", os.path.join(self.dir, "x.bin"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("has no function 'nope'", r.stderr)
        r = flowrun("fib_iter", "10", "--dump-code", "fib_iter")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--dump-code needs FUNC FILE", r.stderr)
        if not host_has_avx2():
            r = flowrun("fib_iter", "10", "--isa", "avx2")
            self.assertEqual(r.returncode, 2)
            self.assertIn("cannot run AVX2 code", r.stderr)


if __name__ == "__main__":
    unittest.main()
