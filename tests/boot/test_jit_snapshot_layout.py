"""Boot suite for snapshots across a change of memory layout
(docs/snapshot-format.md, "Relocations").

A cold boot makes five modules hot (BENCH with its buffers, COLLATZ, FIB,
GCD, SUM) and powers off, which saves their snapshots. Copies of that disk
then show:
  - a module that grows (FIB gets one more function) moves every module
    loaded after it; their snapshots still load, with zero compiles, their
    code is the saved code with its addresses rebased (`dis` shows the same
    instructions with other address bytes), and the results are right;
  - a new module put first in /MODULES and BENCH put back after the others
    moves every module, buffers included; every snapshot loads and every
    result is the cold boot's;
  - a relocation pointing outside its region, or naming a region the module
    does not have, is refused with the reason, and the results stay right.
Everything under TCG.
"""
import os
import re
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy  # noqa: E402
from test_jit_snapshots import HEADER, read_snapshot, reseal, tier_row  # noqa: E402
from test_modules import ROOT, command, module_bytes, mtools, output_of, put_file, read_file, result_of  # noqa: E402

RELOCATION = struct.Struct("<IHHI")  # offset, region, reserved, value
CODE_ENTRY = struct.Struct("<IBB2xII")  # function, tier, isa, reserved, code_size, relocation_count
REGION_RUNTIME = 0

# (module, function, bench line, run line); results are compared with the cold boot's.
HOT = [
    ("BENCH", "bench_dot", "bench bench.bench_dot 150 1000", "run bench.bench_dot 1000"),
    ("COLLATZ", "collatz", "bench collatz.collatz 150 27", "run collatz.collatz 27"),
    ("FIB", "fib_iter", "bench fib.fib_iter 150 25", "run fib.fib_iter 25"),
    ("GCD", "gcd", "bench gcd.gcd 150 1071 462", "run gcd.gcd 1071 462"),
    ("SUM", "sum", "bench sum.sum 150 100", "run sum.sum 100"),
]


def dis_lines(text):
    """`dis` output as [(offset, bytes)], without the addresses."""
    return re.findall(r"^\s+[0-9a-f]{8} \+([0-9a-f]{4})  ([0-9a-f ]+)$", text, re.M)


def code_entries(data):
    """[(entry offset, CodeEntry fields, [(relocation offset in file, fields)])]."""
    fields = HEADER.unpack_from(data)
    at, out = fields[15], []
    for _ in range(fields[11]):
        entry = CODE_ENTRY.unpack_from(data, at)
        relocations = [(at + 16 + 12 * k, RELOCATION.unpack_from(data, at + 16 + 12 * k)) for k in range(entry[4])]
        out.append((at, entry, relocations))
        at += 16 + 12 * entry[4] + entry[3]
        at += -at % 4
    return out


def first_absolute(data):
    """The file offset and fields of the first relocation that is not a branch."""
    for _, _, relocations in code_entries(data):
        for where, fields in relocations:
            if fields[1] != REGION_RUNTIME:
                return where, fields
    raise AssertionError("no absolute-address relocation in the snapshot")


class SnapshotsAcrossLayouts(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.saved = make_image_copy()
        with Qemu(cls.saved, timeout=120) as vm:
            vm.wait_prompt(timeout=60)
            cls.cold = {}
            for module, _, bench, run in HOT:
                command(vm, bench)
                cls.cold[module] = result_of(command(vm, run))
            cls.cold_dis = command(vm, "dis gcd.gcd")
            vm.send_line("poweroff")
            cls.cold_status = vm.wait_exit(timeout=60)
            cls.cold_log = output_of(vm)

    def boot(self, image, lines):
        with Qemu(image, timeout=120) as vm:
            vm.wait_prompt(timeout=60)
            outputs = [command(vm, line) for line in lines]
            return output_of(vm), outputs

    def test_cold_boot_saves_every_hot_module_with_absolute_relocations(self):
        self.assertEqual(self.cold_status, 33, self.cold_log)
        for module, _, _, _ in HOT:
            self.assertRegex(self.cold_log, rf"snap: saved /JIT/{module}\.SNP")
        data = read_snapshot(self.saved, "GCD.SNP")
        self.assertEqual(HEADER.unpack_from(data)[1], 3)
        regions = {fields[1] for _, _, relocations in code_entries(data) for _, fields in relocations}
        self.assertIn(REGION_RUNTIME, regions)
        self.assertTrue(regions - {REGION_RUNTIME}, "no absolute address was relocated")
        # BENCH's code embeds its buffers (regions 16 and up).
        bench = read_snapshot(self.saved, "BENCH.SNP")
        self.assertTrue(any(fields[1] >= 16 for _, _, relocations in code_entries(bench) for _, fields in relocations))

    def test_a_grown_module_leaves_the_later_snapshots_usable(self):
        image = make_image_copy(self.saved)
        source = read_file(os.path.join(ROOT, "modules", "fib.flow"))
        grown = source + "\nfn fib_plus(n: i32) -> i32 {\n    return fib_iter(n) + 1;\n}\n"
        put_file(image, module_bytes(grown, "FIB"), "/MODULES/FIB.BFM")
        lines = [run for _, _, _, run in HOT] + ["run fib.fib_plus 25", "tiers gcd", "tiers sum", "dis gcd.gcd"]
        log, outputs = self.boot(image, lines)
        self.assertNotIn("different memory layout", log)
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP ignored: snapshot is for a different version of the module")
        for module in ("BENCH", "COLLATZ", "GCD", "SUM"):
            self.assertRegex(log, rf"snap: /JIT/{module}\.SNP loaded: ")
        for (module, _, _, _), out in zip(HOT, outputs):
            self.assertEqual(result_of(out), self.cold[module], out)
        self.assertEqual(result_of(outputs[5]), str(int(self.cold["FIB"]) + 1))
        for out, module, function in ((outputs[6], "GCD", "gcd"), (outputs[7], "SUM", "sum")):
            row = tier_row(out, function, module)
            self.assertEqual((row["from"], row["compiles"]), ("snap", 0), out)
        # The same instructions, and the addresses in them moved with GCD.
        cold, warm = dis_lines(self.cold_dis), dis_lines(outputs[8])
        self.assertTrue(cold)
        self.assertEqual([offset for offset, _ in cold], [offset for offset, _ in warm])
        self.assertNotEqual([code for _, code in cold], [code for _, code in warm],
                            "GCD's instance did not move, so this test shows nothing")

    def test_every_module_moved_and_buffers_too(self):
        image = make_image_copy(self.saved)
        bench = os.path.join(os.path.dirname(image), "BENCH.BFM.out")
        mtools(image, "mcopy", "-o", "::/MODULES/BENCH.BFM", bench)
        mtools(image, "mdel", "::/MODULES/BENCH.BFM")
        # AAA takes BENCH's directory slot, so it loads first and BENCH last.
        source = read_file(os.path.join(ROOT, "modules", "sum.flow"))
        put_file(image, module_bytes(source, "AAA"), "/MODULES/AAA.BFM")
        put_file(image, read_file(bench, "rb"), "/MODULES/BENCH.BFM")
        lines = [run for _, _, _, run in HOT] + ["tiers bench", "mods"]
        log, outputs = self.boot(image, lines)
        self.assertNotIn("ignored", log)
        for module, _, _, _ in HOT:
            self.assertRegex(log, rf"snap: /JIT/{module}\.SNP loaded: ")
        self.assertLess(outputs[6].index("AAA ("), outputs[6].index("BENCH ("), outputs[6])
        for (module, _, _, _), out in zip(HOT, outputs):
            self.assertEqual(result_of(out), self.cold[module], out)
        row = tier_row(outputs[5], "bench_dot", "BENCH")
        self.assertEqual((row["tier"], row["from"], row["compiles"]), (1, "snap", 0), outputs[5])

    def test_relocations_outside_their_region_are_refused(self):
        image = make_image_copy(self.saved)
        gcd = bytearray(read_snapshot(image, "GCD.SNP"))
        where, fields = first_absolute(gcd)
        struct.pack_into("<I", gcd, where + 8, 0x7FFFFFF0)            # far past the end of its region
        sum_snp = bytearray(read_snapshot(image, "SUM.SNP"))
        where, fields = first_absolute(sum_snp)
        struct.pack_into("<H", sum_snp, where + 4, 16 + 7)            # buffer 7: SUM has no buffers
        collatz = bytearray(read_snapshot(image, "COLLATZ.SNP"))
        where, fields = first_absolute(collatz)
        struct.pack_into("<H", collatz, where + 4, 9)                 # no region 9 at all
        for name, data in (("GCD.SNP", gcd), ("SUM.SNP", sum_snp), ("COLLATZ.SNP", collatz)):
            put_file(image, reseal(bytes(data)), "/JIT/" + name)
        lines = ["tiers"] + [run for _, _, _, run in HOT]
        log, outputs = self.boot(image, lines)
        self.assertRegex(log, r"snap: /JIT/GCD\.SNP ignored: snapshot code failed validation \(function \d+: relocation "
                              r"at \+0x[0-9a-f]+ points 0x7ffffff0 bytes into [a-z ]+, which has 0x[0-9a-f]+\)")
        self.assertRegex(log, r"snap: /JIT/SUM\.SNP ignored: snapshot code failed validation \(function \d+: relocation "
                              r"at \+0x[0-9a-f]+ names buffer 7, which this module does not have\)")
        self.assertRegex(log, r"snap: /JIT/COLLATZ\.SNP ignored: snapshot code failed validation \(function \d+: "
                              r"relocation at \+0x[0-9a-f]+ names unknown region 9, which this module does not have\)")
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP loaded: ")
        for module, function in (("GCD", "gcd"), ("SUM", "sum"), ("COLLATZ", "collatz")):
            row = tier_row(outputs[0], function, module)
            self.assertEqual((row["tier"], row["from"]), (0, "-"), outputs[0])
        for (module, _, _, _), out in zip(HOT, outputs[1:]):
            self.assertEqual(result_of(out), self.cold[module], out)


if __name__ == "__main__":
    unittest.main()
