"""Boot suite for Flow modules in the kernel (docs/shell.md).

The kernel loads every *.BFM in /MODULES at boot and the shell runs them
through the JIT: `mods` lists the shipped modules, `run` gives the answers a
Python reference computes here, `bench` takes a function to tier 1 inside
the kernel, `tiers` and `dis` show its native code. Files put on a copy of the
image with mtools drive the rest: a corrupt module and one that breaks a
verifier rule are skipped with their reasons while the boot carries on,
AUTORUN.TXT runs at boot, the boot count in the banner increments across
boots, and `reload` after replacing a module on the running machine's disk
makes the results follow the new file.

Everything runs under TCG, a few short boots.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, build_dir, make_image_copy  # noqa: E402

ROOT = os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from flow import bfm, compiler  # noqa: E402

FAT16_TYPES = (0x04, 0x06, 0x0E)
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1")
BANNER = re.compile(r"BareFlow \d+\.\d+\.\d+ ready \(boot (\d+)\)")


def fat_partition_offset(image):
    with open(image, "rb") as f:
        mbr = f.read(512)
    for i in range(4):
        _, ptype, lba, _ = struct.unpack_from("<B3xB3xII", mbr, 446 + 16 * i)
        if ptype in FAT16_TYPES:
            return lba * 512
    raise AssertionError("no FAT16 partition in the image's MBR")


def mtools(image, *args):
    cmd = [args[0], "-i", f"{image}@@{fat_partition_offset(image)}"] + list(args[1:])
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}")
    return proc.stdout


def put_file(image, data, path):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(data)
    try:
        mtools(image, "mcopy", "-o", f.name, "::" + path)
    finally:
        os.unlink(f.name)


def read_file(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def module_bytes(source, name):
    _, data = compiler.compile_source(source, name)
    return data


def shipped_module_names():
    return sorted(os.path.splitext(n)[0].upper() for n in os.listdir(os.path.join(ROOT, "modules"))
                  if n.endswith(".flow"))


def quarters(i, seed):
    """bench.flow's fill pattern: x[i] = ((i * 7 + seed) % 13 - 4) / 4."""
    return ((i * 7 + seed) % 13 - 4) / 4


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) & 0xFFFFFFFF
    return a


def collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def prime_count(n):
    return sum(1 for k in range(2, n) if all(k % d for d in range(2, int(k ** 0.5) + 1)))


def command(vm, line, timeout=60):
    """vm.command() with line ends normalised (the serial log mixes CRLF and LF)."""
    return vm.command(line, timeout=timeout).replace("\r\n", "\n")


def output_of(vm):
    return vm.output.replace("\r\n", "\n")


def result_of(output):
    """The result line `run` prints before its time line."""
    m = re.search(r"^(-?[0-9][^\s]*|nan|-?inf)\s*\ntime: ", output, re.M)
    if not m:
        raise AssertionError(f"no result line in:\n{output}")
    return m.group(1)


class ShellSession(unittest.TestCase):
    """One boot of the shipped image: the commands against reference answers."""

    @classmethod
    def setUpClass(cls):
        cls.vm = Qemu(make_image_copy(), timeout=120).__enter__()
        cls.vm.wait_prompt(timeout=60)

    @classmethod
    def tearDownClass(cls):
        cls.vm.__exit__(None, None, None)

    def run_cmd(self, line, timeout=60):
        return command(self.vm, line, timeout)

    def test_boot_log_reports_pools_and_modules(self):
        out = output_of(self.vm)
        self.assertRegex(out, r"jit: pools code \d+ KiB at 0x[0-9a-f]+, data \d+ KiB at 0x[0-9a-f]+, "
                              r"metadata \d+ KiB at 0x[0-9a-f]+")
        n = len(shipped_module_names())
        self.assertRegex(out, rf"modules: {n} loaded from /MODULES \(\d+ functions\), 0 skipped")
        self.assertRegex(out, BANNER)

    def test_mods_lists_every_shipped_module_with_signatures(self):
        out = self.run_cmd("mods")
        listed = sorted(re.findall(r"^(\w+) \((\w+)\.BFM, \d+ bytes, hash [0-9a-f]{16}\)", out, re.M))
        self.assertEqual([m for m, _ in listed], shipped_module_names())
        self.assertIn("  fib_iter(i32) -> i32\n", out)
        self.assertIn("  saxpy(f32, [f32], [f32], i32)\n", out)
        self.assertIn("  prepare()\n", out)

    def test_run_gives_the_reference_answers(self):
        cases = [
            ("run fib.fib_iter 40", str(fib(40))),
            ("run FIB.FIB_ITER 50", str(struct.unpack("<i", struct.pack("<I", fib(50)))[0])),
            ("run fib.fib_rec 18", str(fib(18))),
            ("run collatz.collatz 27", str(collatz_steps(27))),
            ("run primes.primes 500", str(prime_count(500))),
            ("run gcd.gcd 1071 462", "21"),
            ("run gcd.gcd_rec 0x30 18", "6"),
            ("run sum.sum 1000", str(sum(range(1000)))),
            ("run bench.bench_dot 1000", "%.9g" % sum(quarters(i, 1) * quarters(i, 2) for i in range(1000))),
            ("run bench.bench_sum_f32 3", "%.9g" % (3 * sum(quarters(i, 1) for i in range(4096)))),
            ("run bench.bench_dot 3", "%.9g" % sum(quarters(i, 1) * quarters(i, 2) for i in range(3))),
        ]
        for line, expected in cases:
            with self.subTest(line=line):
                out = self.run_cmd(line)
                self.assertEqual(result_of(out), expected, out)
                self.assertRegex(out, r"time: [0-9.]+ (ns|us|ms) \(tier [0-2]\)")

    def test_bench_reaches_tier_1_inside_the_kernel(self):
        out = self.run_cmd("bench fib.fib_iter 300 30", timeout=90)
        self.assertRegex(out, r"start: \d+ ns per call \(first call, tier 0\)")
        self.assertRegex(out, r"end: \d+ ns per call \(mean of the last 30 calls, tier 1\)")
        self.assertRegex(out, r"tier reached: 1 after 300 calls in all")
        self.assertIn(f"result: {fib(30)}\n", out)
        # Native code gives the same answer as the interpreter did.
        self.assertEqual(result_of(self.run_cmd("run fib.fib_iter 30")), str(fib(30)))
        tiers = self.run_cmd("tiers fib")
        row = re.search(r"^\s+fib_iter\s+(\d+)\s+(\d)\s+(\S+)\s+(\d+)", tiers, re.M)
        self.assertIsNotNone(row, tiers)
        self.assertGreaterEqual(int(row.group(1)), 301)
        self.assertEqual(row.group(2), "1")
        self.assertEqual(row.group(3), "sse2")
        self.assertGreater(int(row.group(4)), 0)
        dis = self.run_cmd("dis fib.fib_iter")
        size = re.search(r"FIB\.fib_iter: tier 1, (\d+) bytes at 0x[0-9a-f]+", dis)
        self.assertIsNotNone(size, dis)
        lines = re.findall(r"^  [0-9a-f]{8} \+([0-9a-f]{4})  ((?:[0-9a-f]{2} ?)+)$", dis, re.M)
        # Instruction boundaries tile the code exactly.
        offset = 0
        for at, hexbytes in lines:
            self.assertEqual(int(at, 16), offset)
            offset += len(hexbytes.split())
        self.assertEqual(offset, int(size.group(1)))
        self.assertIn(f"{len(lines)} instructions\n", dis)
        self.assertNotIn("could not walk", dis)
        self.assertIn("runs in the interpreter", self.run_cmd("dis collatz.collatz_max"))

    def test_traps_are_reported_with_the_function(self):
        out = self.run_cmd("run bench.bench_dot 5000")
        self.assertIn("trap TrapOutOfBounds in function 'dot'", out)
        self.assertIn("index out of bounds", out)

    def test_bad_input_gets_clear_messages(self):
        self.assertIn("run: no such module", self.run_cmd("run nosuch.f 1"))
        self.assertIn("no function of that name", self.run_cmd("run fib.nosuch 1"))
        self.assertIn("fib_iter takes 1 argument, 2 given", self.run_cmd("run fib.fib_iter 1 2"))
        self.assertIn("'x' is not an i32 literal", self.run_cmd("run fib.fib_iter x"))
        self.assertIn("argument 1 of dot is a view ([f32]): '1' names no buffer", self.run_cmd("run dot.dot 1 2 3"))
        self.assertIn("'0' is not a call count", self.run_cmd("bench fib.fib_iter 0 1"))
        self.assertIn("usage: run MOD.FUNC", self.run_cmd("run fib"))
        self.assertIn("tiers: no such module", self.run_cmd("tiers nosuch"))

    def test_pools_show_three_pools(self):
        out = self.run_cmd("pools")
        for name in ("code", "data", "metadata"):
            self.assertRegex(out, re.compile(rf"^{name}\s+\d+ KiB\s+\d+\s+\d+", re.M))
        self.assertIn("retired code:", out)

    def test_jit_policy_show_set_and_refuse(self):
        self.assertIn("tier 0 -> 1: 100 calls", self.run_cmd("jit policy"))
        out = self.run_cmd("jit policy 20 200 2000")
        self.assertIn("tier 0 -> 1: 20 calls or 200 loop iterations", out)
        self.assertIn("thresholds must rise", self.run_cmd("jit policy 50 5 3"))
        self.assertIn("tier 0 -> 1: 20 calls", self.run_cmd("jit policy"))
        # The new threshold applies to a module already loaded.
        self.run_cmd("bench gcd.gcd 25 12 18")
        row = re.search(r"^\s+gcd\s+(\d+)\s+(\d)", self.run_cmd("tiers gcd"), re.M)
        self.assertEqual(row.group(2), "1")
        self.run_cmd("jit policy 100 1000 10000")


class ModuleFilesAndBoots(unittest.TestCase):
    """Images changed with mtools: bad modules, AUTORUN.TXT, the boot count."""

    def test_bad_modules_are_skipped_and_autorun_runs_and_boots_are_counted(self):
        image = make_image_copy()
        fib_bfm = read_file(os.path.join(build_dir(), "modules", "FIB.BFM"), "rb")
        corrupt = bytearray(fib_bfm)
        corrupt[len(corrupt) // 2] ^= 0x40
        put_file(image, bytes(corrupt), "/MODULES/CORRUPT.BFM")
        image_obj, _ = compiler.compile_source(read_file(os.path.join(ROOT, "modules", "fib.flow")), "BADOP")
        f = image_obj.functions[0]
        f.code = bytes([0xFE]) + bytes(f.code[1:])
        put_file(image, bfm.write(image_obj), "/MODULES/BADOP.BFM")
        put_file(image, b"# start-up script\r\nmods\r\n\r\nrun fib.fib_iter 20\r\npoweroff\r\n", "/AUTORUN.TXT")

        with Qemu(image, timeout=90) as vm:
            status = vm.wait_exit(timeout=80)
            out = output_of(vm)
        self.assertEqual(status, 33, out)
        self.assertRegex(out, r"modules: skipped CORRUPT\.BFM: module checksum \(CRC32\) does not match "
                              r"\(offset 0x1c: CRC-32 is 0x[0-9a-f]+, the file's bytes give 0x[0-9a-f]+\)")
        self.assertRegex(out, r"modules: skipped BADOP\.BFM: unknown opcode \(offset 0x[0-9a-f]+ "
                              r"\(function 'fib_iter' \+0x0\): unknown opcode 0xfe\)")
        n = len(shipped_module_names())
        self.assertIn(f"modules: {n} loaded from /MODULES", out)
        self.assertIn(", 2 skipped", out)
        self.assertEqual(BANNER.search(out).group(1), "1")
        # The script ran after the banner, each line echoed after the prompt.
        after = out[BANNER.search(out).end():]
        self.assertIn("bf> mods\n", after)
        self.assertIn(f"bf> run fib.fib_iter 20\n{fib(20)}\ntime: ", after)
        self.assertIn("bf> poweroff\n", after)
        self.assertNotIn("start-up script", after)
        self.assertEqual(mtools(image, "mtype", "::/BOOTCNT.TXT").strip(), "1")

        mtools(image, "mdel", "::/AUTORUN.TXT")
        for expected in ("2", "3"):
            with Qemu(image, timeout=60) as vm:
                vm.wait_prompt(timeout=50)
                self.assertEqual(BANNER.search(vm.output).group(1), expected)
                vm.send_line("poweroff")
                self.assertEqual(vm.wait_exit(timeout=20), 33)
        self.assertEqual(mtools(image, "mtype", "::/BOOTCNT.TXT").strip(), "3")

    def test_modules_with_swapped_file_names_run_under_their_own_names(self):
        image = make_image_copy()
        fib_bfm = read_file(os.path.join(build_dir(), "modules", "FIB.BFM"), "rb")
        gcd_bfm = read_file(os.path.join(build_dir(), "modules", "GCD.BFM"), "rb")
        put_file(image, gcd_bfm, "/MODULES/FIB.BFM")
        put_file(image, fib_bfm, "/MODULES/GCD.BFM")
        with Qemu(image, timeout=90, extra_args=("-snapshot",)) as vm:
            vm.wait_prompt(timeout=60)
            fib_out = command(vm, "run fib.fib_iter 10")
            gcd_out = command(vm, "run gcd.gcd 12 18")
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(timeout=30), 33)
            out = output_of(vm)
        self.assertIn(", 0 skipped", out)
        self.assertIn("modules: FIB.BFM holds module GCD (the file is named after another module); it runs as GCD", out)
        self.assertIn("modules: GCD.BFM holds module FIB (the file is named after another module); it runs as FIB", out)
        self.assertEqual(result_of(fib_out), "55")
        self.assertEqual(result_of(gcd_out), "6")

    def test_two_files_holding_one_module_name_the_real_clash(self):
        image = make_image_copy()
        fib_bfm = read_file(os.path.join(build_dir(), "modules", "FIB.BFM"), "rb")
        put_file(image, fib_bfm, "/MODULES/ZFIB.BFM")
        with Qemu(image, timeout=90, extra_args=("-snapshot",)) as vm:
            vm.wait_prompt(timeout=60)
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(timeout=30), 33)
            out = output_of(vm)
        self.assertIn("modules: skipped ZFIB.BFM: it holds module FIB, which is already loaded from FIB.BFM", out)

    def test_reload_follows_the_new_file(self):
        image = make_image_copy()
        source = read_file(os.path.join(ROOT, "modules", "fib.flow"))
        changed = source.replace("    return a;\n}", "    return a + 1000;\n}", 1)
        self.assertNotEqual(changed, source)
        with Qemu(image, timeout=120) as vm:
            vm.wait_prompt(timeout=60)
            self.assertEqual(result_of(command(vm, "run fib.fib_iter 10")), "55")
            command(vm, "bench fib.fib_iter 150 10", timeout=60)
            # 40 x 15 calls: tier 1, below tier 2's 1,000 calls.
            command(vm, "bench fib.fib_rec 40 5", timeout=60)
            tiers = command(vm, "tiers fib")
            self.assertRegex(tiers, r"fib_iter\s+\d+\s+1 ")
            self.assertRegex(tiers, r"fib_rec\s+\d+\s+1 ")
            self.assertIn("reload: FIB unchanged", command(vm, "reload fib"))

            put_file(image, module_bytes(changed, "FIB"), "/MODULES/FIB.BFM")
            out = command(vm, "reload", timeout=60)
            self.assertIn("reload: FIB replaced from FIB.BFM: 1 function kept its profile, 1 changed or new (tier 0)", out)
            self.assertIn("reload: COLLATZ unchanged", out)
            self.assertEqual(result_of(command(vm, "run fib.fib_iter 10")), "1055")
            self.assertEqual(result_of(command(vm, "run fib.fib_rec 10")), "55")
            tiers = command(vm, "tiers fib")
            # The changed function starts again; the unchanged one keeps its
            # calls and its tier.
            iter_row = re.search(r"fib_iter\s+(\d+)\s+(\d)", tiers)
            rec_row = re.search(r"fib_rec\s+(\d+)\s+(\d)", tiers)
            self.assertEqual((iter_row.group(1), iter_row.group(2)), ("1", "0"), tiers)
            self.assertEqual(rec_row.group(2), "1", tiers)
            self.assertGreater(int(rec_row.group(1)), 150)
            # Hot again, the new code still gives the new answer natively.
            out = command(vm, "bench fib.fib_iter 150 10", timeout=60)
            self.assertIn("tier reached: 1", out)
            self.assertIn("result: 1055", out)
            self.assertRegex(command(vm, "pools"), r"retired code: [1-9]\d* freed")

            # A refused file leaves the loaded version running.
            broken = bytearray(module_bytes(source, "FIB"))
            broken[-3] ^= 0x10
            put_file(image, bytes(broken), "/MODULES/FIB.BFM")
            out = command(vm, "reload fib")
            self.assertIn("modules: skipped FIB.BFM: module checksum (CRC32) does not match", out)
            self.assertIn("reload: FIB: keeping the loaded version", out)
            self.assertEqual(result_of(command(vm, "run fib.fib_iter 10")), "1055")
            # A new file is loaded; a module whose file is gone is unloaded.
            put_file(image, module_bytes(read_file(os.path.join(ROOT, "modules", "sum.flow")), "NEWSUM"),
                     "/MODULES/NEWSUM.BFM")
            mtools(image, "mdel", "::/MODULES/GCD.BFM")
            out = command(vm, "reload", timeout=60)
            self.assertIn("reload: NEWSUM loaded from NEWSUM.BFM (3 functions, new)", out)
            self.assertIn("reload: GCD unloaded (/MODULES/GCD.BFM is gone)", out)
            self.assertEqual(result_of(command(vm, "run newsum.sum 10")), "45")
            self.assertIn("no such module", command(vm, "run gcd.gcd 4 6"))


if __name__ == "__main__":
    unittest.main()
