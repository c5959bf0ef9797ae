"""Boot suite for tier 2 in the kernel (docs/tier2.md, "In the kernel").

Under TCG, on a CPU with AVX2 (Haswell) and on one without (qemu64):
  - `bench` on the bench module's dot, sum, fib_iter and fib_rec makes them
    tier up 0 -> 1 -> 2 at the policy's 1,000 calls, and every result after
    that is the tier-0 one; functions without a pattern (bench_dot) get the
    general code generator's tier-2 code;
  - `tiers` shows the ISA each function's code was compiled for: avx2 where
    CPUID and XCR0 allow it, sse2 otherwise; `jit isa sse2` forces the SSE2
    path (and recompiles what runs at tier 2), `jit isa avx2` is refused on
    a CPU without AVX2;
  - tier-2 code decodes completely with the kernel's length decoder (`dis`);
  - a snapshot of tier-2 code saved at poweroff gives the next boot tier 2
    from the first call with zero compiles, and the ISA it was made for.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy  # noqa: E402
from test_modules import command, fib, output_of, result_of  # noqa: E402
from test_jit_snapshots import tier_row  # noqa: E402

AVX2_CPU = "Haswell"
SSE2_CPU = "qemu64"

# (function whose tier is checked, run line, bench line)
KERNELS = [
    ("dot", "run bench.bench_dot 4096", "bench bench.bench_dot 1100 4096"),
    ("sum", "run bench.bench_sum 10000", "bench bench.bench_sum 1100 10000"),
    ("fib_iter", "run bench.fib_iter 40", "bench bench.fib_iter 1100 40"),
    # fib_rec(18) is 8,361 calls: tier 1 and tier 2 arrive inside the first
    # call's recursion.
    ("fib_rec", "run bench.fib_rec 18", "bench bench.fib_rec 3 18"),
]


def isa_row(tiers, function):
    """(tier, isa, from, compiles) of `function` in the BENCH table."""
    m = re.search(rf"^\s+{function}\s+\d+\s+(\d)\s+(\S+)\s+\d+\s+(\S+)\s+(\d+)", tiers, re.M)
    if not m:
        raise AssertionError(f"no row for {function} in:\n{tiers}")
    return int(m.group(1)), m.group(2), m.group(3), int(m.group(4))


def session(image, cpu, lines, poweroff=False):
    with Qemu(image, timeout=240, cpu=cpu) as vm:
        vm.wait_prompt(timeout=60)
        outputs = [command(vm, line, timeout=120) for line in lines]
        status = None
        if poweroff:
            vm.send_line("poweroff")
            status = vm.wait_exit(timeout=60)
        return output_of(vm), outputs, status


class Tier2WithAvx2(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.image = make_image_copy()
        lines = [run for _, run, _ in KERNELS] + [bench for _, _, bench in KERNELS]
        lines += [run for _, run, _ in KERNELS] + ["tiers bench", "dis bench.dot", "jit isa", "jit isa sse2",
                                                  "tiers bench"] + [run for _, run, _ in KERNELS]
        lines += ["jit isa auto", "tiers bench"]
        cls.log, cls.out, cls.status = session(cls.image, AVX2_CPU, lines, poweroff=True)
        n = len(KERNELS)
        cls.tier0 = [result_of(o) for o in cls.out[:n]]
        cls.benches = cls.out[n:2 * n]
        cls.tier2 = cls.out[2 * n:3 * n]
        cls.tiers_avx2, cls.dis, cls.isa_show, cls.isa_sse2, cls.tiers_sse2 = cls.out[3 * n:3 * n + 5]
        cls.sse2_runs = cls.out[3 * n + 5:4 * n + 5]
        cls.tiers_auto = cls.out[4 * n + 6]

    def test_tier0_results_are_the_reference_answers(self):
        self.assertEqual(self.tier0[0], "3071.625")  # the bench module's exact quarter pattern
        self.assertEqual(self.tier0[1], str(sum(range(10000))))
        self.assertEqual(self.tier0[2], str(fib(40)))
        self.assertEqual(self.tier0[3], str(fib(18)))
        for out in self.out[:len(KERNELS) - 1]:
            self.assertIn("(tier 0)", out)
        # fib_rec(18) recurses 8,361 times: it reaches tier 2 inside its own
        # first call, and still gives fib(18).
        self.assertIn("(tier 2)", self.out[len(KERNELS) - 1])

    def test_kernels_tier_up_to_2_with_avx2_and_give_the_tier0_results(self):
        self.assertIn("jit: tier 2 compiles for avx2", self.log)
        self.assertRegex(self.benches[2], r"tier reached: 2 after 1101 calls in all")
        for (function, _, _), out in zip(KERNELS, self.benches):
            self.assertNotIn("error", out.lower())
        for expected, out in zip(self.tier0, self.tier2):
            self.assertEqual(result_of(out), expected, out)
        self.assertIn("(tier 2)", self.tier2[2])
        self.assertIn("(tier 2)", self.tier2[3])
        for function, _, _ in KERNELS:
            tier, isa, origin, compiles = isa_row(self.tiers_avx2, function)
            self.assertEqual((tier, isa, origin), (2, "avx2", "jit"), self.tiers_avx2)
            self.assertEqual(compiles, 2)  # tier 1, then tier 2
        # Functions no pattern matches (bench_dot, the prepare it calls,
        # bench_sum) reach tier 2 too, with the general code generator, and
        # their results stay the tier-0 ones (checked above).
        for function in ("bench_dot", "prepare", "bench_sum"):
            tier, isa, origin, compiles = isa_row(self.tiers_avx2, function)
            self.assertEqual((tier, isa, origin, compiles), (2, "avx2", "jit", 2), self.tiers_avx2)
        self.assertNotRegex(self.tiers_avx2, r"bench_dot .*function cannot be compiled")

    def test_tier2_code_decodes_completely(self):
        size = re.search(r"BENCH\.dot: tier 2, (\d+) bytes at 0x[0-9a-f]+", self.dis)
        self.assertIsNotNone(size, self.dis)
        offset = 0
        for at, hexbytes in re.findall(r"^  [0-9a-f]{8} \+([0-9a-f]{4})  ((?:[0-9a-f]{2} ?)+)$", self.dis, re.M):
            self.assertEqual(int(at, 16), offset)
            offset += len(hexbytes.split())
        self.assertEqual(offset, int(size.group(1)))
        self.assertNotIn("could not walk", self.dis)
        # VEX (C4/C5) instructions are there: the AVX2 path was taken.
        self.assertRegex(self.dis, r"\+[0-9a-f]{4}  c[45] ")

    def test_jit_isa_sse2_forces_the_sse2_path(self):
        self.assertIn("jit isa: auto, tier 2 compiles for avx2 (AVX2 allowed by CPUID and XCR0)", self.isa_show)
        # Every tier-2 function: the four kernels' patterns, the general code
        # of bench_dot, prepare and bench_sum, and whatever else its loops
        # took to tier 2 (fill).
        at_tier2 = len(re.findall(r"^\s+\w+\s+\d+\s+2\s", self.tiers_avx2, re.M))
        self.assertGreaterEqual(at_tier2, 7, self.tiers_avx2)
        self.assertIn(f"jit isa: {at_tier2} tier-2 functions compiled again (0 failed)", self.isa_sse2)
        self.assertIn("jit isa: sse2, tier 2 compiles for sse2", self.isa_sse2)
        for function in [k for k, _, _ in KERNELS] + ["bench_dot", "prepare", "bench_sum"]:
            tier, isa, _, compiles = isa_row(self.tiers_sse2, function)
            self.assertEqual((tier, isa, compiles), (2, "sse2", 3), self.tiers_sse2)
        for expected, out in zip(self.tier0, self.sse2_runs):
            self.assertEqual(result_of(out), expected, out)
        for function, _, _ in KERNELS:
            self.assertEqual(isa_row(self.tiers_auto, function)[:2], (2, "avx2"), self.tiers_auto)

    def test_warm_boot_runs_tier2_code_from_the_snapshot_without_compiling(self):
        self.assertEqual(self.status, 33, self.log)
        self.assertRegex(self.log, r"snap: saved /JIT/BENCH\.SNP \(\d+ bytes\)")
        lines = ["tiers bench"] + [run for _, run, _ in KERNELS] + [bench for _, _, bench in KERNELS] + ["tiers bench"]
        log, out, _ = session(make_image_copy(self.image), AVX2_CPU, lines)
        self.assertRegex(log, r"snap: /JIT/BENCH\.SNP loaded: \d+ functions with native code")
        self.assertNotIn("ignored", log)
        for function, _, _ in KERNELS:
            self.assertEqual(isa_row(out[0], function), (2, "avx2", "snap", 0), out[0])
            self.assertEqual(isa_row(out[-1], function), (2, "avx2", "snap", 0), out[-1])
        for expected, run in zip(self.tier0, out[1:1 + len(KERNELS)]):
            self.assertEqual(result_of(run), expected, run)
        self.assertIn("(tier 2)", out[3])
        self.assertEqual(tier_row(out[-1], "fib_iter", "BENCH")["compiles"], 0)


class Tier2WithoutAvx2(unittest.TestCase):

    def test_sse2_only_cpu_compiles_sse2_and_refuses_avx2(self):
        lines = [run for _, run, _ in KERNELS] + [bench for _, _, bench in KERNELS[:2]]
        lines += [run for _, run, _ in KERNELS[:2]] + ["jit isa", "jit isa avx2", "jit isa", "tiers bench"]
        log, out, _ = session(make_image_copy(), SSE2_CPU, lines)
        self.assertIn("jit: tier 2 compiles for sse2", log)
        tier0 = [result_of(o) for o in out[:len(KERNELS)]]
        after = out[len(KERNELS) + 2:len(KERNELS) + 4]
        for expected, run in zip(tier0[:2], after):
            self.assertEqual(result_of(run), expected, run)
        show, refused, again, tiers = out[-4:]
        self.assertIn("jit isa: auto, tier 2 compiles for sse2 (AVX2 not allowed by CPUID and XCR0)", show)
        self.assertIn("jit isa: this CPU cannot run AVX2 code", refused)
        self.assertIn("jit isa: auto, tier 2 compiles for sse2", again)
        for function in ("dot", "sum"):
            self.assertEqual(isa_row(tiers, function)[:2], (2, "sse2"), tiers)


if __name__ == "__main__":
    unittest.main()
