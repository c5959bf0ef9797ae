"""Boot-chain tests: stage1 and stage2 booted for real in QEMU.

Two kinds of kernel:
  - the stub (tests/boot/stub_kernel.asm), which reports on COM1 exactly what
    stage2 handed over, so the loader is tested on its own: registers,
    BootInfo fields, a 2 MiB+ kernel, corrupted images, too little memory;
  - the real kernel in <build>/bareflow.img and bareflow-big.img (make
    image), booted to its banner and prompt and powered off.
Plus the image's FAT16 partition against the real judges, fsck.fat and
mtools. Each QEMU run lasts a second or so under TCG.
"""
import contextlib
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

from harness import EXIT_POWEROFF, Qemu, build_dir, kill_process_group, kvm_usable, make_image_copy, repo_root

sys.path.insert(0, os.path.join(repo_root(), "tools"))
import mkimage  # noqa: E402

SECTOR = 512
KERNEL_LBA = 64
STAGE2_LBA = 1
BOOT_INFO_MAGIC = 0x49424642
TWO_MIB = 2 * 1024 * 1024


def nasm(source, output, include=None):
    cmd = ["nasm", "-f", "bin", "-o", output, source]
    if include:
        cmd[1:1] = ["-I" + include]
    subprocess.run(cmd, check=True)


def run_mkimage(args):
    """tools/mkimage.py in-process, its summary line kept out of the test log."""
    with contextlib.redirect_stdout(io.StringIO()):
        return mkimage.main(args)


def partition_entry(image):
    with open(image, "rb") as f:
        mbr = f.read(SECTOR)
    status, ptype, lba, count = mbr[446], mbr[450], *struct.unpack_from("<II", mbr, 454)
    return status, ptype, lba, count


def stub_report(output):
    """{'eax': 0x49424642, ...} from the stub's 'key=hex' line."""
    line = re.search(r"stub: (eax=.*)", output)
    if not line:
        raise AssertionError("the stub kernel printed no report; serial output:\n" + output)
    return {k: int(v, 16) for k, v in re.findall(r"(\w+)=([0-9A-F]{8})", line.group(1))}


class BootChainFixture(unittest.TestCase):
    """Builds stage1, stage2 (from the build dir, else from source) and the
    stub kernel once, and makes stub images on demand."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="bareflow-chain-")
        cls.dir = cls.tmp.name
        root = repo_root()
        boot = os.path.join(build_dir(), "boot")
        cls.stage1 = os.path.join(boot, "stage1.bin")
        cls.stage2 = os.path.join(boot, "stage2.bin")
        if not (os.path.exists(cls.stage1) and os.path.exists(cls.stage2)):
            cls.stage1 = os.path.join(cls.dir, "stage1.bin")
            cls.stage2 = os.path.join(cls.dir, "stage2.bin")
            nasm(os.path.join(root, "boot", "stage1.asm"), cls.stage1, os.path.join(root, "boot") + "/")
            nasm(os.path.join(root, "boot", "stage2.asm"), cls.stage2, os.path.join(root, "boot") + "/")
        cls.stub = os.path.join(cls.dir, "stub.bin")
        nasm(os.path.join(root, "tests", "boot", "stub_kernel.asm"), cls.stub)
        cls.count = 0

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def stub_image(self, *extra):
        type(self).count += 1
        image = os.path.join(self.dir, f"stub{self.count}.img")
        code = run_mkimage(["--stage1", self.stage1, "--stage2", self.stage2, "--kernel", self.stub,
                             "--size", "16M", "-o", image, *extra])
        self.assertEqual(code, 0, "mkimage failed on the stub kernel")
        return image

    def boot_stub(self, image, accel="tcg", memory_mb=32, cpu=None):
        with Qemu(image, memory_mb=memory_mb, accel=accel, cpu=cpu, timeout=60) as vm:
            vm.wait_for(r"stub: done", timeout=45)
            self.assertEqual(vm.wait_exit(10), EXIT_POWEROFF, vm.output)
            return stub_report(vm.output), vm.output

    def boot_expecting_failure(self, image, message, memory_mb=32):
        with Qemu(image, memory_mb=memory_mb, timeout=30) as vm:
            vm.wait_for(re.escape(message), timeout=20)
            self.assertNotIn("stub:", vm.output, "the kernel ran despite the failure")
            return vm.output

    def a20_masked_image(self, *stage2_defines):
        """Stage1 built with TEST_DISABLE_A20 masks A20 before stage2 runs
        (TCG models the gate; KVM does not); stage2 leaves out the methods
        named by TEST_A20_SKIP_* so a later one has to work."""
        boot = os.path.join(repo_root(), "boot")
        name = "-".join(("a20",) + stage2_defines)
        stage1 = os.path.join(self.dir, f"{name}-stage1.bin")
        stage2 = os.path.join(self.dir, f"{name}-stage2.bin")
        subprocess.run(["nasm", "-f", "bin", "-DTEST_DISABLE_A20", f"-I{boot}/", "-o", stage1,
                        os.path.join(boot, "stage1.asm")], check=True)
        subprocess.run(["nasm", "-f", "bin", *(f"-D{d}" for d in stage2_defines), f"-I{boot}/", "-o", stage2,
                        os.path.join(boot, "stage2.asm")], check=True)
        image = os.path.join(self.dir, f"{name}.img")
        self.assertEqual(run_mkimage(["--stage1", stage1, "--stage2", stage2, "--kernel", self.stub,
                                       "--size", "16M", "--pad-kernel", "2M", "-o", image]), 0)
        return image

    def patch(self, image, offset, data):
        with open(image, "r+b") as f:
            f.seek(offset)
            f.write(data)


class HandOverTest(BootChainFixture):
    """What stage2 promises the kernel (kernel/boot_info.h)."""

    def check_hand_over(self, report, image, kernel_size):
        _, _, fat_lba, fat_sectors = partition_entry(image)
        self.assertEqual(report["eax"], BOOT_INFO_MAGIC)
        self.assertEqual(report["ebx"], 0x1000)
        self.assertEqual(report["bi_magic"], BOOT_INFO_MAGIC)
        self.assertEqual(report["bi_version"], 2, "BootInfo version 2 carries the disk signature")
        with open(image, "rb") as f:
            f.seek(440)
            signature = struct.unpack("<I", f.read(4))[0]
        self.assertNotEqual(signature, 0, "mkimage writes a disk signature")
        self.assertEqual(report["disk_sig"], signature, "BootInfo.disk_signature is MBR bytes 440-443")
        self.assertEqual(report["cs"], 0x08)
        self.assertEqual(report["ds"], 0x10)
        self.assertEqual(report["ss"], 0x10)
        self.assertEqual(report["eflags"] & 0x200, 0, "interrupts must be off at hand-over")
        self.assertEqual(report["cr0"] & 0x80000001, 1, "protected mode on, paging off")
        self.assertEqual(report["drive"], 0x80)
        self.assertEqual(report["kaddr"], 0x100000)
        self.assertEqual(report["ksize"], kernel_size)
        self.assertEqual((report["fat_lba"], report["fat_sectors"]), (fat_lba, fat_sectors))
        self.assertTrue(report["flags"] & 1, "QEMU's BIOS has E820")
        self.assertGreaterEqual(report["e820"], 2)

    def test_stub_kernel_boots_under_tcg(self):
        image = self.stub_image()
        report, output = self.boot_stub(image)
        self.check_hand_over(report, image, os.path.getsize(self.stub))
        self.assertRegex(output, r"BareFlow stage2: kernel \d+ bytes, E820 entries \d+, A20 method 0")

    @unittest.skipUnless(kvm_usable(), "KVM is not usable on this machine")
    def test_stub_kernel_boots_under_kvm(self):
        image = self.stub_image()
        report, _ = self.boot_stub(image, accel="kvm")
        self.check_hand_over(report, image, os.path.getsize(self.stub))

    def test_kernel_over_2_mib_loads_completely(self):
        image = self.stub_image("--pad-kernel", "2304K")
        report, _ = self.boot_stub(image)
        self.check_hand_over(report, image, 2304 * 1024)
        with open(image, "rb") as f:
            f.seek(KERNEL_LBA * SECTOR + 2304 * 1024 - 4)
            last = struct.unpack("<I", f.read(4))[0]
        self.assertNotEqual(last, 0, "padding must not be zeros, or a short load would go unnoticed")
        self.assertEqual(report["tail"], last, "the last dword of the image did not arrive at 1 MiB + size")
        self.assertGreaterEqual(report["fat_lba"], KERNEL_LBA + 2304 * 1024 // SECTOR)

    def test_a20_masked_at_boot_is_opened_by_the_bios_call(self):
        # The wrap-around test must notice, or the kernel copied to 1 MiB
        # would land on the interrupt table at 0.
        image = self.a20_masked_image()
        report, output = self.boot_stub(image)
        self.assertEqual(report["a20"], 1, output)
        self.check_hand_over(report, image, TWO_MIB)

    def test_a20_through_the_keyboard_controller(self):
        report, output = self.boot_stub(self.a20_masked_image("TEST_A20_SKIP_BIOS"))
        self.assertEqual(report["a20"], 2, output)
        self.assertEqual(report["ksize"], TWO_MIB)

    def test_a20_through_port_92h(self):
        report, output = self.boot_stub(self.a20_masked_image("TEST_A20_SKIP_BIOS", "TEST_A20_SKIP_KBC"))
        self.assertEqual(report["a20"], 3, output)
        self.assertEqual(report["ksize"], TWO_MIB)

    def stage2_variant(self, define):
        """stage2 assembled with a TEST_* switch (see boot/stage2/memory.inc)."""
        stage2 = os.path.join(self.dir, f"stage2-{define}.bin")
        subprocess.run(["nasm", "-f", "bin", "-D" + define, "-I" + os.path.join(repo_root(), "boot") + "/",
                        "-o", stage2, os.path.join(repo_root(), "boot", "stage2.asm")], check=True)
        image = os.path.join(self.dir, f"{define}.img")
        self.assertEqual(run_mkimage(["--stage1", self.stage1, "--stage2", stage2, "--kernel", self.stub,
                                       "--size", "16M", "--pad-kernel", "2M", "-o", image]), 0)
        return image

    def test_e820_24_byte_entries_carry_the_valid_attribute(self):
        report, _ = self.boot_stub(self.stub_image())
        self.assertEqual(report["e820_0_type"], 1, "QEMU's first range is usable low memory")
        self.assertEqual(report["e820_0_attr"] & 1, 1)

    def test_e820_20_byte_replies_are_stored_as_valid_24_byte_entries(self):
        report, output = self.boot_stub(self.stage2_variant("TEST_E820_20_BYTES"))
        self.assertTrue(report["flags"] & 1, output)
        self.assertGreaterEqual(report["e820"], 2)
        self.assertEqual(report["e820_0_type"], 1)
        self.assertEqual(report["e820_0_attr"], 1, "a 20-byte reply must read as a valid entry")

    def test_without_e820_the_e801_sizes_are_handed_over(self):
        report, output = self.boot_stub(self.stage2_variant("TEST_NO_E820"), memory_mb=32)
        self.assertEqual(report["flags"], 2, "BOOT_INFO_E801 only")
        self.assertEqual(report["e820"], 0)
        self.assertEqual(report["mem_lower"], 15 * 1024, "KiB from 1 to 16 MiB")
        # -m 32 leaves 16 MiB above 16 MiB, less what SeaBIOS keeps at the top (ACPI tables).
        self.assertTrue(15 * 1024 <= report["mem_upper"] <= 16 * 1024, report["mem_upper"])
        self.assertEqual(report["ksize"], TWO_MIB, "the kernel still loads, bounded by E801's figure")

    def test_old_machine_486_with_8_mib(self):
        # The oldest CPU QEMU models that can run stage2 (a 486: no CPUID
        # leaves beyond the basics, no PAE/PSE/TSC assumptions allowed) with
        # 8 MiB: catches a loader that relies on modern CPUs or plenty of RAM.
        image = self.stub_image("--pad-kernel", "2M")
        report, _ = self.boot_stub(image, memory_mb=8, cpu="486")
        self.check_hand_over(report, image, TWO_MIB)


class BuildCheckTest(unittest.TestCase):
    """boot/build.mk refuses boot stages that outgrow their space. The real
    stages are far below the limits, so the limits are lowered for the test."""

    def make(self, build, target, *overrides):
        # boot/build.mk alone (the root Makefile would parse every subsystem).
        return subprocess.run(["make", "--no-print-directory", "-f", "boot/build.mk", "NASM=nasm",
                               f"BUILD={build}", *overrides, f"{build}/{target}"],
                              cwd=repo_root(), capture_output=True, text=True)

    def test_oversized_stages_fail_the_build_with_a_message(self):
        with tempfile.TemporaryDirectory() as build:
            proc = self.make(build, "boot/stage1.bin", "BOOT_STAGE1_LIMIT=100")
            self.assertNotEqual(proc.returncode, 0)
            self.assertRegex(proc.stderr, r"boot: stage1 is \d+ bytes; the MBR code area holds 100")
            self.assertFalse(os.path.exists(f"{build}/boot/stage1.bin"), "no oversized stage1 left behind")
            proc = self.make(build, "boot/stage2.bin", "BOOT_STAGE2_LIMIT=1000")
            self.assertNotEqual(proc.returncode, 0)
            self.assertRegex(proc.stderr, r"boot: stage2 is \d+ bytes; its reserved sectors .* hold 1000")

    def test_real_stages_fit(self):
        with tempfile.TemporaryDirectory() as build:
            for target in ("boot/stage1.bin", "boot/stage2.bin"):
                proc = self.make(build, target)
                self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertLessEqual(os.path.getsize(f"{build}/boot/stage1.bin"), 440)
            self.assertLessEqual(os.path.getsize(f"{build}/boot/stage2.bin"), 16384)


class KvmProbeTest(unittest.TestCase):
    def test_probe_firmware_passes_where_the_cpu_is_trusted(self):
        # tools/kvm-probe.asm must succeed under TCG, or kvm_usable() would
        # quietly say "no" on every machine and KVM would never be tested.
        with tempfile.TemporaryDirectory() as tmp:
            firmware = os.path.join(tmp, "probe.bin")
            nasm(os.path.join(repo_root(), "tools", "kvm-probe.asm"), firmware)
            self.assertEqual(os.path.getsize(firmware), 65536)
            proc = subprocess.run(["timeout", "20", "qemu-system-i386", "-accel", "tcg", "-cpu", "n270",
                                   "-machine", "pc", "-bios", firmware, "-m", "16", "-display", "none",
                                   "-nic", "none", "-nodefaults", "-monitor", "none", "-serial", "none",
                                   "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"], capture_output=True)
            self.assertEqual(proc.returncode, EXIT_POWEROFF, proc.stderr)


class LoudFailureTest(BootChainFixture):
    """Broken images stop with a message on COM1, never a hang or a jump into garbage."""

    def test_corrupt_stage2_is_refused_by_stage1(self):
        image = self.stub_image()
        self.patch(image, (STAGE2_LBA + 31) * SECTOR + 100, b"\x5A")   # in stage2's reserved tail
        self.boot_expecting_failure(image, "BareFlow stage1: stage2 corrupt (magic/checksum)")

    def test_stage2_without_magic_is_refused(self):
        image = self.stub_image()
        self.patch(image, STAGE2_LBA * SECTOR, b"XXXX")
        self.boot_expecting_failure(image, "BareFlow stage1: stage2 corrupt")

    def test_corrupt_kernel_fails_the_crc_check(self):
        image = self.stub_image("--pad-kernel", "2304K")
        self.patch(image, KERNEL_LBA * SECTOR + 2304 * 1024 - 8, b"\x00\x11\x22\x33")
        output = self.boot_expecting_failure(image, "BareFlow stage2: kernel checksum mismatch (CRC-32)")
        self.assertNotIn("stub:", output)

    def test_kernel_without_header_magic_is_refused(self):
        image = self.stub_image()
        self.patch(image, KERNEL_LBA * SECTOR, b"NOPE")
        self.boot_expecting_failure(image, "BareFlow stage2: kernel header magic missing")

    def test_kernel_with_entry_outside_the_image_is_refused(self):
        image = self.stub_image()
        self.patch(image, KERNEL_LBA * SECTOR + 20, struct.pack("<I", 0x00500000))
        self.boot_expecting_failure(image, "BareFlow stage2: kernel header invalid")

    def test_a20_that_will_not_open_is_reported(self):
        image = self.a20_masked_image("TEST_A20_SKIP_BIOS", "TEST_A20_SKIP_KBC", "TEST_A20_SKIP_PORT92")
        self.boot_expecting_failure(image, "BareFlow stage2: A20 gate would not open")

    def test_kernel_larger_than_memory_is_refused(self):
        image = self.stub_image("--pad-kernel", "2304K")
        self.boot_expecting_failure(image, "BareFlow stage2: kernel does not fit in the memory above 1 MiB",
                                    memory_mb=3)


def real_image(name):
    path = os.path.join(build_dir(), name)
    if not os.path.exists(path):
        raise AssertionError(f"{path} is missing: build it with make BUILD={build_dir()} {name}")
    return path


class RealKernelTest(unittest.TestCase):
    """The images `make image` builds, with the real kernel."""

    def boot_to_prompt_and_power_off(self, image, accel="tcg", memory_mb=64, cpu=None):
        with Qemu(make_image_copy(image), memory_mb=memory_mb, accel=accel, cpu=cpu, timeout=90) as vm:
            vm.wait_for(r"BareFlow \S+ ready", timeout=60)
            vm.wait_prompt(timeout=30)
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(30), EXIT_POWEROFF, vm.output)

    def test_boots_to_prompt_under_tcg(self):
        self.boot_to_prompt_and_power_off(real_image("bareflow.img"))

    @unittest.skipUnless(kvm_usable(), "KVM is not usable on this machine")
    def test_boots_to_prompt_under_kvm(self):
        self.boot_to_prompt_and_power_off(real_image("bareflow.img"), accel="kvm")

    def test_kernel_padded_past_2_mib_boots(self):
        image = real_image("bareflow-big.img")
        with open(image, "rb") as f:
            f.seek(KERNEL_LBA * SECTOR + 12)
            self.assertGreaterEqual(struct.unpack("<I", f.read(4))[0], TWO_MIB)
        self.boot_to_prompt_and_power_off(image)

    def run_make_run(self, script):
        """What `printf SCRIPT | make run` does: tools/qemu-run.sh on a pipe."""
        proc = subprocess.run(["timeout", "120", "bash", os.path.join(repo_root(), "tools", "qemu-run.sh"),
                               make_image_copy(real_image("bareflow.img"))], input=script, capture_output=True,
                              env=dict(os.environ, BAREFLOW_ACCEL="tcg", BAREFLOW_MEMORY="64"),
                              start_new_session=True)
        return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")

    def test_make_run_with_piped_commands_exits_0_after_poweroff(self):
        code, out, err = self.run_make_run(b"help\nmem\ncpu\npoweroff\n")
        self.assertEqual(code, 0, out + err)
        self.assertRegex(out, r"BareFlow \S+ ready")
        for command in ("help", "mem", "cpu", "poweroff"):
            self.assertIn("bf> " + command, out, "each piped line reaches the shell, the first one too")

    def test_make_run_exits_3_after_a_panic(self):
        code, out, err = self.run_make_run(b"panic-test\n")
        self.assertEqual(code, 3, out + err)
        self.assertIn("panicked", err)

    def test_old_machine_atom_n270_with_32_mib(self):
        # An Atom N270 netbook (2008): 32-bit only, SSE2/SSSE3 but none of
        # the later extensions, and 32 MiB: the kernel's SSE2 baseline still
        # holds, anything newer it assumes would show here.
        self.boot_to_prompt_and_power_off(real_image("bareflow.img"), memory_mb=32, cpu="n270")


def free_tcp_port():
    import socket
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, timeout=30):
    """Until QEMU's gdb stub accepts connections (it keeps listening after
    this probe disconnects)."""
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("localhost", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"QEMU's gdb stub never listened on port {port}")


@unittest.skipUnless(shutil.which("gdb"), "gdb is not installed")
class DebugTest(unittest.TestCase):
    def test_make_debug_stops_at_kernel_entry_with_the_hand_over_registers(self):
        # What `make debug` runs: qemu-run.sh --debug, then gdb with our script.
        root = repo_root()
        elf = os.path.join(build_dir(), "kernel", "kernel.elf")
        self.assertTrue(os.path.exists(elf), f"{elf} is missing: make BUILD={build_dir()} image")
        env = dict(os.environ, BAREFLOW_ACCEL="tcg", BAREFLOW_GDB_PORT=str(free_tcp_port()))
        qemu = subprocess.Popen(["timeout", "60", "bash", os.path.join(root, "tools", "qemu-run.sh"), "--debug",
                                 make_image_copy(real_image("bareflow.img")), elf],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            wait_for_port(int(env["BAREFLOW_GDB_PORT"]), qemu)
            gdb = subprocess.run(["timeout", "60", "gdb", "-q", "-batch", "-nx", elf,
                                  "-x", os.path.join(root, "tools", "gdb", "bareflow.gdb"),
                                  "-ex", "info registers eip eax ebx", "-ex", "kill"],
                                 capture_output=True, text=True, env=env)
        finally:
            kill_process_group(qemu)
        self.assertRegex(gdb.stdout, r"Breakpoint 1, kernel_entry", gdb.stdout + gdb.stderr)
        self.assertRegex(gdb.stdout, r"eax\s+0x49424642")
        self.assertRegex(gdb.stdout, r"ebx\s+0x1000\b")


class Fat16PartitionTest(unittest.TestCase):
    """The image's filesystem as fsck.fat and mtools see it."""

    @classmethod
    def setUpClass(cls):
        cls.image = real_image("bareflow.img")
        _, _, cls.lba, cls.sectors = partition_entry(cls.image)
        cls.tmp = tempfile.TemporaryDirectory(prefix="bareflow-fat-")
        # fsck.fat has no offset option: check a copy of the partition alone.
        cls.partition = os.path.join(cls.tmp.name, "partition.img")
        with open(cls.image, "rb") as src, open(cls.partition, "wb") as dst:
            src.seek(cls.lba * SECTOR)
            shutil.copyfileobj(src, dst)
        cls.mtools_target = f"{cls.image}@@{cls.lba * SECTOR}"

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_partition_is_active_fat16_after_the_boot_gap(self):
        status, ptype, lba, count = partition_entry(self.image)
        self.assertEqual((status, ptype), (0x80, 0x06))
        self.assertGreaterEqual(lba, 2048)
        self.assertEqual(lba % 2048, 0)
        self.assertEqual(lba + count, os.path.getsize(self.image) // SECTOR)

    def test_fsck_finds_the_partition_clean(self):
        proc = subprocess.run(["fsck.fat", "-n", "-V", self.partition], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_mtools_lists_label_and_readme(self):
        proc = subprocess.run(["mdir", "-i", self.mtools_target, "::"], capture_output=True, text=True,
                              env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("Volume in drive : is BAREFLOW", proc.stdout)
        self.assertRegex(proc.stdout, r"README\s+TXT")

    def test_mtools_reads_readme_unchanged(self):
        proc = subprocess.run(["mtype", "-i", self.mtools_target, "::/README.TXT"], capture_output=True,
                              env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(repo_root(), "boot", "README.TXT"), "rb") as f:
            self.assertEqual(proc.stdout, f.read())

    def test_kernel_header_is_filled_and_checksum_matches(self):
        with open(self.image, "rb") as f:
            f.seek(KERNEL_LBA * SECTOR)
            header = f.read(32)
            size = struct.unpack_from("<I", header, 12)[0]
            f.seek(KERNEL_LBA * SECTOR)
            kernel = bytearray(f.read(size))
        stored = struct.unpack_from("<I", kernel, 16)[0]
        struct.pack_into("<I", kernel, 16, 0)
        self.assertEqual(zlib.crc32(kernel), stored)


if __name__ == "__main__":
    unittest.main()
