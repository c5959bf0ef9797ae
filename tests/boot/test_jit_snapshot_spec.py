"""Boot suite for specialised code in JIT snapshots (docs/snapshot-format.md,
version 3; docs/specialisation.md).

A cold boot with a low tier policy (`jit policy 10 20 50`) runs FIB's
fib_iter until it reaches tier 2 and specialises on n = 25, makes one call
fail the guard, and powers off, which saves FIB's snapshot. Copies of that
disk then show:
  - the file holds fib_iter's generic and specialised code, the folded value
    and the guard failures, and `flowimg.py snapshots` reads it so;
  - warm: the next boot (default policy) runs fib_iter at tier 2,
    specialised on 25, from the snapshot with zero compiles, from the first
    call, with the cold boot's results; another n goes through the guard to
    the generic code and is right too, and the guard failures carry on from
    the saved count;
  - a snapshot whose specialised code has lost its generic code is refused
    with that reason, and fib_iter runs right from tier 0.
And FMA is part of the CPU key (tier 2 fuses multiply-adds on the AVX2 path
when the CPU has FMA): a snapshot made on Haswell is refused on Haswell
without FMA. Everything under TCG.
"""
import os
import re
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy  # noqa: E402
from test_jit_snapshots import HEADER, read_snapshot, reseal, tier_row  # noqa: E402
from test_modules import ROOT, command, fib, output_of, put_file, result_of  # noqa: E402

CODE_ENTRY = struct.Struct("<IBBBxII")  # function, tier, isa, kind, code_size, relocation_count
RECORD = struct.Struct("<IIBBHBBH4iQIIII" + "iII" * 4)  # FunctionRecord, 104 bytes
assert RECORD.size == 104
KIND_INSTALLED, KIND_GENERIC, KIND_SPECIALISED = 0, 1, 2
FIB_ITER = 0  # fib_iter is FIB's first function

COLD = ["jit policy 10 20 50", "bench fib.fib_iter 300 25", "run fib.fib_iter 25", "run fib.fib_iter 20", "tiers fib"]


def spec_of(tiers, function):
    """(spec, guard failures) of `function`'s row in `tiers`."""
    m = re.search(rf"^\s+{function}\s.*\s(\S+) guard failures (\d+)", tiers, re.M)
    if not m:
        raise AssertionError(f"no specialisation shown for {function} in:\n{tiers}")
    return m.group(1), int(m.group(2))


def code_entries(data):
    """[(offset in the file, size in the file, CodeEntry fields)]."""
    fields = HEADER.unpack_from(data)
    at, out = fields[15], []
    for _ in range(fields[11]):
        entry = CODE_ENTRY.unpack_from(data, at)
        size = 16 + 12 * entry[5] + entry[4]
        size += -size % 4
        out.append((at, size, entry))
        at += size
    return out


class SpecialisedSnapshots(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.saved = make_image_copy()
        with Qemu(cls.saved, timeout=120) as vm:
            vm.wait_prompt(timeout=60)
            cls.cold = [command(vm, line, timeout=60) for line in COLD]
            vm.send_line("poweroff")
            cls.cold_status = vm.wait_exit(timeout=60)
            cls.cold_log = output_of(vm)

    def boot(self, image, lines):
        with Qemu(image, timeout=120) as vm:
            vm.wait_prompt(timeout=60)
            outputs = [command(vm, line, timeout=60) for line in lines]
            return output_of(vm), outputs

    def test_cold_boot_specialises_and_saves_both_blocks_with_the_profile(self):
        self.assertEqual(self.cold_status, 33, self.cold_log)
        self.assertIn("tier 2", self.cold[1])
        self.assertEqual(result_of(self.cold[2]), str(fib(25)))
        self.assertEqual(result_of(self.cold[3]), str(fib(20)))
        self.assertEqual(spec_of(self.cold[4], "fib_iter"), ("arg0=25", 1), self.cold[4])
        self.assertRegex(self.cold_log, r"snap: saved /JIT/FIB\.SNP \(\d+ bytes\)")
        self.assertNotIn("left out", self.cold_log)

        data = read_snapshot(self.saved, "FIB.SNP")
        fields = HEADER.unpack_from(data)
        self.assertEqual(fields[1:4], (3, 96, len(data)))
        self.assertEqual(reseal(data), data)
        record = RECORD.unpack_from(data, fields[14] + RECORD.size * FIB_ITER)
        self.assertEqual(record[2:4], (2, 2))                   # tier 2, two code entries
        self.assertEqual(record[5:7], (1, 0b1))                 # specialised, on parameter 0
        self.assertEqual(record[7:12], (0, 25, 0, 0, 0))        # reserved, the folded value
        self.assertEqual(record[12], 1)                         # guard failures
        self.assertEqual(record[13], 1)                         # one specialisation compiled
        kinds = [(entry[0], entry[1], entry[3]) for _, _, entry in code_entries(data)]
        self.assertEqual(kinds, [(FIB_ITER, 2, KIND_GENERIC), (FIB_ITER, 2, KIND_SPECIALISED)])

    def test_flowimg_lists_the_kernels_file_entry_by_entry(self):
        out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "flowimg.py"), "snapshots", self.saved],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True).stdout
        block = out[out.index("/JIT/FIB.SNP"):]
        self.assertRegex(block, r"format_version\s+3\n")
        self.assertRegex(block, r"checksum\s+CRC-32 matches")
        # Named from /MODULES/FIB.BFM, which the snapshot matches.
        self.assertRegex(block, r"module\s+matches /MODULES/FIB.BFM")
        self.assertRegex(block, r"entry\s+fib_iter: tier 2 (sse2|avx2) generic, \d+ bytes, \d+ relocations?\n")
        self.assertRegex(block, r"entry\s+fib_iter: tier 2 (sse2|avx2) specialised, \d+ bytes, \d+ relocations?, "
                                r"spec arg0=25, guard failures 1, 1 compiled, 0 re-specialised, back-offs 0\n")

    def test_warm_boot_runs_the_specialised_code_at_once_and_the_guard_still_falls_back(self):
        lines = ["tiers fib", "bench fib.fib_iter 3 25", "run fib.fib_iter 25", "run fib.fib_iter 30", "tiers fib",
                 "snap ls"]
        log, outputs = self.boot(make_image_copy(self.saved), lines)
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP loaded: 1 function with native code \(1 specialised\)")
        self.assertNotIn("ignored", log)
        row = tier_row(outputs[0], "fib_iter", "FIB")
        self.assertEqual((row["tier"], row["from"], row["compiles"]), (2, "snap", 0), outputs[0])
        self.assertEqual(spec_of(outputs[0], "fib_iter"), ("arg0=25", 1), outputs[0])
        self.assertRegex(outputs[1], r"\(first call, tier 2\)")
        self.assertEqual(result_of(outputs[2]), result_of(self.cold[2]))
        self.assertIn("(tier 2)", outputs[2])
        # n = 30 fails the guard: the generic code, installed from the file
        # as the guard's way out, gives the answer.
        self.assertEqual(result_of(outputs[3]), str(fib(30)))
        row = tier_row(outputs[4], "fib_iter", "FIB")
        self.assertEqual((row["tier"], row["from"], row["compiles"]), (2, "snap", 0), outputs[4])
        self.assertEqual(spec_of(outputs[4], "fib_iter"), ("arg0=25", 2), outputs[4])
        self.assertRegex(outputs[5], r"FIB\.SNP .* 1 of 2 functions with code \(1 specialised\), boot 1\n"
                                     r"\s+valid for the loaded")

    def test_specialised_code_without_its_generic_code_is_refused(self):
        image = make_image_copy(self.saved)
        data = bytearray(read_snapshot(image, "FIB.SNP"))
        (at, size, _), _ = code_entries(bytes(data))
        del data[at:at + size]                                   # the generic entry
        struct.pack_into("<I", data, 64, struct.unpack_from("<I", data, 64)[0] - 1)   # code_count
        struct.pack_into("<I", data, 8, len(data))                                    # file_size
        put_file(image, reseal(bytes(data)), "/JIT/FIB.SNP")
        log, outputs = self.boot(image, ["run fib.fib_iter 25", "run fib.fib_iter 30", "tiers fib"])
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP ignored: snapshot code failed validation \(function 0: specialised code "
                              r"without its generic code\)")
        self.assertEqual(result_of(outputs[0]), str(fib(25)))
        self.assertEqual(result_of(outputs[1]), str(fib(30)))
        row = tier_row(outputs[2], "fib_iter", "FIB")
        self.assertEqual((row["tier"], row["from"]), (0, "-"), outputs[2])


class FmaInTheKey(unittest.TestCase):

    def test_a_snapshot_made_with_fma_is_refused_without_it(self):
        image = make_image_copy()
        with Qemu(image, timeout=120, cpu="Haswell") as vm:
            vm.wait_prompt(timeout=60)
            command(vm, "bench fib.fib_iter 150 25", timeout=60)
            self.assertIn("snap: saved /JIT/FIB.SNP", command(vm, "snap save"))
        with Qemu(image, timeout=120, cpu="Haswell,-fma") as vm:
            vm.wait_prompt(timeout=60)
            out = command(vm, "run fib.fib_iter 25")
            log = output_of(vm)
        m = re.search(r"snap: /JIT/FIB\.SNP ignored: snapshot was made for a different CPU feature set "
                      r"\(made for CPU features 0x([0-9a-f]+), this CPU has 0x([0-9a-f]+)\)", log)
        self.assertTrue(m, log)
        self.assertEqual(int(m.group(1), 16) ^ int(m.group(2), 16), 1 << 7)  # the FMA bit alone
        self.assertEqual(result_of(out), str(fib(25)))
        self.assertIn("(tier 0)", out)


if __name__ == "__main__":
    unittest.main()
