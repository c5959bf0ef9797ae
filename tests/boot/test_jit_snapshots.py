"""Boot suite for JIT snapshots (docs/snapshot-format.md).

A cold boot makes four modules hot and powers off, which saves their
snapshots to /JIT. Copies of that disk then show:
  - warm: the next boot loads the code and runs it at the saved tier from
    the first call, with zero compiles (`tiers`), and the results are the
    same;
  - corruption: a flipped byte, a truncated file, a wrong key and a blob the
    length decoder cannot walk (with a correct CRC) are each ignored with
    their reason, and the results stay right;
  - swap: a changed module put on the disk with mtools runs its new code,
    and its stale snapshot is ignored because the module changed;
  - CPU change: another CPU feature set refuses the snapshots.
Everything under TCG; the CPU change uses two TCG CPU models.
"""
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy  # noqa: E402
from test_modules import (ROOT, collatz_steps, command, fib, module_bytes, mtools, output_of,  # noqa: E402
                          put_file, read_file, result_of)

HEADER = struct.Struct("<4sHHIIQQII20sIIIIII12x")
assert HEADER.size == 96

# (module, bench line, run line, expected result of the run line)
HOT = [
    ("FIB", "bench fib.fib_iter 150 25", "run fib.fib_iter 25", str(fib(25))),
    ("GCD", "bench gcd.gcd 150 1071 462", "run gcd.gcd 1071 462", "21"),
    ("COLLATZ", "bench collatz.collatz 150 27", "run collatz.collatz 27", str(collatz_steps(27))),
    ("SUM", "bench sum.sum 150 100", "run sum.sum 100", str(sum(range(100)))),
]


def reseal(data):
    """Recompute the CRC-32 (whole file, the CRC field taken as zero)."""
    data = bytearray(data)
    data[12:16] = b"\0\0\0\0"
    struct.pack_into("<I", data, 12, zlib.crc32(bytes(data)) & 0xFFFFFFFF)
    return bytes(data)


def mutate(data, rng):
    """1 to 4 random byte changes, most in the code entries (blobs and
    relocations) and some anywhere after the key, then a valid CRC."""
    data = bytearray(data)
    code_offset = HEADER.unpack_from(data)[15]
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.8 and code_offset < len(data):
            at = rng.randrange(code_offset, len(data))
        else:
            at = rng.randrange(44, len(data))
        data[at] = rng.randrange(256) if rng.random() < 0.5 else data[at] ^ (1 << rng.randrange(8))
    return reseal(bytes(data))


def read_snapshot(image, name):
    out = os.path.join(os.path.dirname(image), name + ".out")
    if os.path.exists(out):
        os.unlink(out)
    mtools(image, "mcopy", "::/JIT/" + name, out)
    return read_file(out, "rb")


def tier_row(tiers, function, module):
    """One function's row in the table of `module` (BENCH has functions of
    the same names)."""
    start = tiers.index(f"{module}:\n")
    end = re.search(r"^\w+:$", tiers[start + len(module) + 2:], re.M)
    tiers = tiers[start:start + len(module) + 2 + end.start()] if end else tiers[start:]
    m = re.search(rf"^\s+{function}\s+(\d+)\s+(\d)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)", tiers, re.M)
    if not m:
        raise AssertionError(f"no row for {function} in:\n{tiers}")
    return {"calls": int(m.group(1)), "tier": int(m.group(2)), "from": m.group(5), "compiles": int(m.group(6))}


class Snapshots(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.saved = make_image_copy()
        with Qemu(cls.saved, timeout=120) as vm:
            vm.wait_prompt(timeout=60)
            cls.cold = {}
            for module, bench, run, expected in HOT:
                command(vm, bench, timeout=60)
                cls.cold[module] = result_of(command(vm, run))
            cls.cold_tiers = command(vm, "tiers")
            vm.send_line("poweroff")
            cls.cold_status = vm.wait_exit(timeout=60)
            cls.cold_log = output_of(vm)

    def boot(self, image, lines, cpu=None):
        with Qemu(image, timeout=120, cpu=cpu) as vm:
            vm.wait_prompt(timeout=60)
            outputs = [command(vm, line, timeout=60) for line in lines]
            return output_of(vm), outputs

    def copy(self):
        return make_image_copy(self.saved)

    def test_cold_boot_saves_a_snapshot_per_hot_module_at_poweroff(self):
        self.assertEqual(self.cold_status, 33, self.cold_log)
        for module, _, _, expected in HOT:
            self.assertEqual(self.cold[module], expected)
            self.assertRegex(self.cold_log, rf"snap: saved /JIT/{module}\.SNP \(\d+ bytes\)")
        data = read_snapshot(self.saved, "FIB.SNP")
        fields = HEADER.unpack_from(data)
        self.assertEqual(fields[0], b"SNAP")
        self.assertEqual(fields[1:4], (3, 96, len(data)))
        self.assertEqual(reseal(data), data)
        self.assertEqual(fields[9].rstrip(b"\0"), b"FIB")

    def test_warm_boot_runs_saved_code_from_the_first_call_without_compiling(self):
        lines = ["tiers"] + [run for _, _, run, _ in HOT] + ["bench fib.fib_iter 3 25", "tiers fib"]
        log, outputs = self.boot(self.copy(), lines)
        for module, _, _, _ in HOT:
            self.assertRegex(log, rf"snap: /JIT/{module}\.SNP loaded: \d+ functions? with native code")
        self.assertNotIn("ignored", log)
        tiers = outputs[0]
        saved_tier = {}
        for module, function in (("FIB", "fib_iter"), ("GCD", "gcd"), ("COLLATZ", "collatz"), ("SUM", "sum")):
            row = tier_row(tiers, function, module)
            # The tier the cold boot left (1, or 2 where the loops used up
            # tier 1's loop budget), from the snapshot, nothing compiled.
            saved_tier[module] = tier_row(self.cold_tiers, function, module)["tier"]
            self.assertGreaterEqual(saved_tier[module], 1, self.cold_tiers)
            self.assertEqual((row["tier"], row["from"], row["compiles"]), (saved_tier[module], "snap", 0), tiers)
            self.assertGreaterEqual(row["calls"], 150)
        self.assertEqual(saved_tier["FIB"], 1, "fib_iter(25) x 150 stays inside tier 1's loop budget")
        for (module, _, _, expected), out in zip(HOT, outputs[1:5]):
            self.assertEqual(result_of(out), expected, out)
            self.assertEqual(result_of(out), self.cold[module])
            self.assertIn(f"(tier {saved_tier[module]})", out)
        self.assertIn("start: ", outputs[5])
        self.assertRegex(outputs[5], r"\(first call, tier 1\)")
        # Still nothing compiled after running.
        self.assertEqual(tier_row(outputs[6], "fib_iter", "FIB")["compiles"], 0, outputs[6])

    def test_damaged_snapshots_are_ignored_with_their_reason(self):
        image = self.copy()
        fib_snp = bytearray(read_snapshot(image, "FIB.SNP"))
        fib_snp[len(fib_snp) - 20] ^= 0x01                     # a flipped byte
        gcd_snp = read_snapshot(image, "GCD.SNP")[:-7]         # truncated
        collatz_snp = bytearray(read_snapshot(image, "COLLATZ.SNP"))
        struct.pack_into("<Q", collatz_snp, 24, struct.unpack_from("<Q", collatz_snp, 24)[0] ^ 1)  # another JIT
        sum_snp = bytearray(read_snapshot(image, "SUM.SNP"))
        # The first blob's first byte becomes hlt, which the emitter never
        # makes and the length decoder does not know; the CRC is made valid.
        code_offset = HEADER.unpack_from(sum_snp)[15]
        relocations = struct.unpack_from("<I", sum_snp, code_offset + 12)[0]
        blob = code_offset + 16 + 12 * relocations
        sum_snp[blob] = 0xF4
        for name, data in (("FIB.SNP", bytes(fib_snp)), ("GCD.SNP", gcd_snp),
                           ("COLLATZ.SNP", reseal(bytes(collatz_snp))), ("SUM.SNP", reseal(bytes(sum_snp)))):
            put_file(image, data, "/JIT/" + name)

        lines = ["tiers"] + [run for _, _, run, _ in HOT]
        log, outputs = self.boot(image, lines)
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP ignored: snapshot is corrupt \(checksum mismatch\) \(CRC-32 is ")
        self.assertRegex(log, r"snap: /JIT/GCD\.SNP ignored: snapshot is truncated \(the header says \d+ bytes, "
                              r"the file has \d+\)")
        self.assertRegex(log, r"snap: /JIT/COLLATZ\.SNP ignored: snapshot was made by a different JIT version")
        self.assertRegex(log, r"snap: /JIT/SUM\.SNP ignored: snapshot code failed validation \(function \d+: "
                              r"instruction at \+0x0 does not decode \(unknown instruction bytes\)\)")
        self.assertNotIn("loaded:", log)
        for module, function in (("FIB", "fib_iter"), ("GCD", "gcd"), ("COLLATZ", "collatz"), ("SUM", "sum")):
            row = tier_row(outputs[0], function, module)
            self.assertEqual((row["tier"], row["from"]), (0, "-"), outputs[0])
        for (_, _, _, expected), out in zip(HOT, outputs[1:]):
            self.assertEqual(result_of(out), expected, out)

    def test_crc_fixed_mutants_never_run_wrong_code(self):
        """Random changes to the saved bytes, with the CRC made valid again:
        each mutant is refused with a reason or loads code that is exactly
        what this kernel compiles, so every answer is right, nothing
        crashes and nothing hangs. Four mutants a boot (one per module);
        BAREFLOW_SNAP_MUTANT_BOOTS boots (make fuzz runs 250: 1000 mutants)."""
        boots = int(os.environ.get("BAREFLOW_SNAP_MUTANT_BOOTS", "25"))
        rng = random.Random(int(os.environ.get("BAREFLOW_SNAP_MUTANT_SEED", "1")))
        originals = {module: read_snapshot(self.saved, module + ".SNP") for module, _, _, _ in HOT}
        refused = loaded = 0
        for boot in range(boots):
            image = self.copy()
            for module, _, _, _ in HOT:
                put_file(image, mutate(originals[module], rng), f"/JIT/{module}.SNP")
            lines = [run for _, _, run, _ in HOT] + ["tiers"]
            with Qemu(image, timeout=120) as vm:
                vm.wait_prompt(timeout=60)
                outputs = [command(vm, line, timeout=60) for line in lines]
                vm.send_line("poweroff")
                status = vm.wait_exit(timeout=60)
                log = output_of(vm)
            self.assertEqual(status, 33, log)
            for (module, _, _, expected), out in zip(HOT, outputs):
                self.assertEqual(result_of(out), expected, f"boot {boot}, {module}:\n{log}")
            refused += len(re.findall(r"snap: /JIT/\w+\.SNP (ignored|partly loaded)", log))
            loaded += len(re.findall(r"snap: /JIT/\w+\.SNP loaded", log))
        print(f"\nsnapshot mutants: {4 * boots}, refused {refused}, loaded {loaded} (changes outside code and "
              f"relocations), 0 wrong answers", file=sys.stderr)
        self.assertEqual(refused + loaded, 4 * boots)

    def test_math_builtins_run_native_in_the_kernel_and_come_back_from_a_snapshot(self):
        """sin, cos, log, pow, floor and the bit casts at tier 2 in the kernel:
        the same bits as the interpreter, and the code that calls the
        routines is saved, recompiled, matched and run on a warm boot."""
        source = (
            "fn wave(n: i32) -> i32 {\n"
            "    var h: i32 = 0;\n"
            "    for i in 0..n {\n"
            "        var x: f32 = f32(i) * 0.37 - 3.0;\n"
            "        var y: f32 = sin(x) * cos(x * 1.5) + log(1.0 + x * x) - pow(1.25, x) + floor(x * 2.5);\n"
            "        h = h * 31 + to_bits(y) + to_bits(from_bits(i * 7919));\n"
            "    }\n"
            "    return h;\n"
            "}\n")
        image = self.copy()
        wave = module_bytes(source, "WAVE")
        put_file(image, wave, "/MODULES/WAVE.BFM")
        # The reference: the host's interpreter (the same microjit code).
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "WAVE.BFM")
            with open(path, "wb") as f:
                f.write(wave)
            flowrun = os.path.join(os.environ.get("BAREFLOW_BUILD") or os.path.join(ROOT, "build"), "host", "flowrun")
            tier0 = subprocess.run([flowrun, path, "wave", "200", "--tier", "0"], capture_output=True, text=True,
                                   check=True).stdout.strip()
        log, outputs = self.boot(image, ["jit policy 1 2 100000", "run wave.wave 200", "bench wave.wave 40 200",
                                         "run wave.wave 200", "tiers wave", "snap save"])
        self.assertEqual(result_of(outputs[1]), tier0)
        self.assertEqual(result_of(outputs[3]), tier0)
        self.assertIn("(tier 2)", outputs[3])
        self.assertIn("snap: saved /JIT/WAVE.SNP", outputs[5])
        log, outputs = self.boot(image, ["run wave.wave 200", "tiers wave"])
        self.assertRegex(log, r"snap: /JIT/WAVE\.SNP loaded: 1 function with native code .*code recompiled and matched")
        self.assertEqual(result_of(outputs[0]), tier0)
        self.assertIn("(tier 2)", outputs[0])
        self.assertEqual(tier_row(outputs[1], "wave", "WAVE")["from"], "snap")

    def test_file_and_print_builtins_come_back_from_a_snapshot(self):
        """A function that reads a file and prints runs at tier 1 (tier 2
        leaves I/O alone); its code, which calls the runtime's I/O helper, is
        saved, recompiled, matched and run on a warm boot, reading and
        printing the same."""
        source = (
            'file INPUT = "/SNAPIN.BIN";\n'
            "buf X: [i32; 4];\n"
            "fn show(n: i32) -> i32 {\n"
            "    var t = 0;\n"
            "    for i in 0..n {\n"
            "        var got = read_file(INPUT, X, 0, 4 * (i & 3), 2);\n"
            "        print_i32(X[0]); print_char(44); print_i32(got); print_char(59);\n"
            "        t += X[0] + got;\n"
            "    }\n"
            "    print_char(10);\n"
            "    return t;\n"
            "}\n")
        image = self.copy()
        put_file(image, module_bytes(source, "SHOW"), "/MODULES/SHOW.BFM")
        put_file(image, struct.pack("<4i", 11, -22, 33, -44), "/SNAPIN.BIN")
        expected_line = "".join(f"{[11, -22, 33, -44][i & 3]},{8 if (i & 3) < 3 else 4};" for i in range(8))
        expected = str(sum([11, -22, 33, -44][i & 3] + (8 if (i & 3) < 3 else 4) for i in range(8)))
        log, outputs = self.boot(image, ["jit policy 1 2 100000", "run show.show 8", "bench show.show 40 8",
                                         "run show.show 8", "tiers show", "snap save"])
        self.assertIn(expected_line + "\n", outputs[1])
        self.assertEqual(result_of(outputs[1]), expected)
        self.assertIn(expected_line + "\n", outputs[3])
        self.assertEqual(result_of(outputs[3]), expected)
        self.assertIn("(tier 1)", outputs[3])
        self.assertIn("snap: saved /JIT/SHOW.SNP", outputs[5])
        log, outputs = self.boot(image, ["run show.show 8", "tiers show"])
        self.assertRegex(log, r"snap: /JIT/SHOW\.SNP loaded: 1 function with native code .*code recompiled and matched")
        self.assertIn(expected_line + "\n", outputs[0])
        self.assertEqual(result_of(outputs[0]), expected)
        self.assertIn("(tier 1)", outputs[0])
        self.assertEqual(tier_row(outputs[1], "show", "SHOW")["from"], "snap")

    def test_swapped_module_runs_new_code_and_ignores_the_stale_snapshot(self):
        image = self.copy()
        source = read_file(os.path.join(ROOT, "modules", "fib.flow"))
        put_file(image, module_bytes(source.replace("    return a;\n}", "    return a + 1000;\n}", 1), "FIB"),
                 "/MODULES/FIB.BFM")
        log, outputs = self.boot(image, ["run fib.fib_iter 25", "run fib.fib_rec 10", "tiers fib"])
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP ignored: snapshot is for a different version of the module "
                              r"\(module hash [0-9a-f]{16}, FIB\.BFM is now [0-9a-f]{16}\)")
        self.assertEqual(result_of(outputs[0]), str(fib(25) + 1000))
        self.assertEqual(result_of(outputs[1]), "55")
        self.assertEqual(tier_row(outputs[2], "fib_iter", "FIB")["from"], "-")

    def test_another_cpu_feature_set_refuses_the_snapshots(self):
        other = "qemu64,+ssse3,+sse4.1"
        image = self.copy()
        log, outputs = self.boot(image, ["run fib.fib_iter 25", "snap ls", "bench fib.fib_iter 150 25", "snap save"],
                                 cpu=other)
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP ignored: snapshot was made for a different CPU feature set "
                              r"\(made for CPU features 0x[0-9a-f]+, this CPU has 0x[0-9a-f]+\)")
        self.assertNotIn("loaded:", log)
        self.assertEqual(result_of(outputs[0]), str(fib(25)))
        self.assertIn("would be ignored: snapshot was made for a different CPU feature set", outputs[1])
        self.assertIn("snap: saved /JIT/FIB.SNP", outputs[3])
        # And the other way round: made on that CPU, refused on the first.
        log, outputs = self.boot(image, ["run fib.fib_iter 25"])
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP ignored: snapshot was made for a different CPU feature set")
        self.assertEqual(result_of(outputs[0]), str(fib(25)))
        self.assertIn("(tier 0)", outputs[0])

    def test_snap_commands(self):
        image = self.copy()
        log, outputs = self.boot(image, ["snap ls", "snap load", "snap clear", "snap ls", "snap save", "snap bogus"])
        self.assertEqual(len(re.findall(r"valid for the loaded", outputs[0])), len(HOT), outputs[0])
        self.assertIn(f"{len(HOT)} snapshots in /JIT", outputs[0])
        self.assertIn(f"snap: {len(HOT)} snapshots loaded", outputs[1])
        self.assertIn(f"snap: {len(HOT)} snapshots removed", outputs[2])
        self.assertIn("0 snapshots in /JIT", outputs[3])
        # The loaded code is still installed, so it can be saved again.
        self.assertEqual(len(re.findall(r"snap: saved /JIT/\w+\.SNP", outputs[4])), len(HOT), outputs[4])
        self.assertIn("usage: snap [save|load|ls|clear|every SECONDS]", outputs[5])


if __name__ == "__main__":
    unittest.main()
