"""The kernel's serial shell, booted for real in QEMU.

Each test boots a private copy of BUILD/bareflow.img (tests/boot/harness.py),
drives COM1 and checks what the kernel prints and how QEMU exits. Boots are
short: a few commands, then `poweroff` (status 33) or a fault (status 35).
Everything runs under TCG; the KVM class repeats the essentials when this
host's KVM can run the kernel.
"""
import os
import re
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, kvm_usable, make_image_copy  # noqa: E402

BANNER = re.compile(r"BareFlow (\d+\.\d+\.\d+) ready")
EXIT_POWEROFF = 33
EXIT_PANIC = 35
REGISTER_LINES = [
    r"EAX=[0-9a-f]{8} EBX=[0-9a-f]{8} ECX=[0-9a-f]{8} EDX=[0-9a-f]{8}",
    r"ESI=[0-9a-f]{8} EDI=[0-9a-f]{8} EBP=[0-9a-f]{8} ESP=[0-9a-f]{8}",
    r"EIP=[0-9a-f]{8} EFLAGS=[0-9a-f]{8} CS=0008 DS=0010",
    r"CR0=[0-9a-f]{8} CR2=[0-9a-f]{8} CR3=[0-9a-f]{8} CR4=[0-9a-f]{8}",
    r"stack at ESP:\n(  [0-9a-f]{8}:( [0-9a-f]{8}){4}\n){4}",
]

_image = None


def plain(text):
    """Serial output with line ends as "\n" (the harness turns CRLF into LF
    only when both bytes arrive in one read)."""
    return text.replace("\r", "")


# -snapshot: QEMU opens the image read-only and keeps writes in a temporary
# overlay, so boots never hold the image's write lock and one private copy
# serves every test, even while a killed QEMU is still winding down.
SNAPSHOT = ("-snapshot",)


def image():
    """One private copy of the image for the whole module."""
    global _image
    if _image is None:
        _image = make_image_copy()
    return _image


def version_h():
    root = os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "kernel", "version.h")) as f:
        return re.search(r'BAREFLOW_VERSION "([^"]+)"', f.read()).group(1)


class ShellTests:
    """Mixed into one TestCase per accelerator; ACCEL names it."""

    ACCEL = "tcg"

    def boot(self, memory_mb=64, cpu=None):
        return Qemu(image(), memory_mb=memory_mb, accel=self.ACCEL, cpu=cpu, extra_args=SNAPSHOT, timeout=60)

    def poweroff(self, vm):
        vm.send_line("poweroff")
        self.assertEqual(vm.wait_exit(), EXIT_POWEROFF, vm.output)

    def usable_kib(self, memory_mb):
        with self.boot(memory_mb=memory_mb) as vm:
            vm.wait_prompt()
            out = vm.command("mem")
            self.poweroff(vm)
        m = re.search(r"usable RAM \(E820\): (\d+) KiB \((\d+) MiB\)", out)
        self.assertTrue(m, out)
        self.assertRegex(out, r"heap: \d+ KiB in \d+ arena\(s\); \d+ bytes used by \d+ allocation\(s\); \d+ KiB free")
        return int(m.group(1))

    def test_banner_then_prompt(self):
        with self.boot() as vm:
            vm.wait_prompt()
            out = vm.output
            self.poweroff(vm)
        banners = BANNER.findall(out)
        self.assertEqual(banners, [version_h()], out)
        self.assertLess(out.index("ready"), out.index("bf> "), "the banner comes before the first prompt")

    def test_mem_follows_qemu_memory(self):
        # QEMU's E820 map gives all of -m as usable except the 384 KiB hole
        # below 1 MiB and a few KiB of BIOS tables at the top.
        for memory_mb in (32, 512):
            with self.subTest(memory_mb=memory_mb):
                kib = self.usable_kib(memory_mb)
                self.assertLessEqual(kib, memory_mb * 1024)
                self.assertGreaterEqual(kib, memory_mb * 1024 - 1024)

    def test_cpu_reports_vendor_and_features(self):
        with self.boot() as vm:
            vm.wait_prompt()
            out = vm.command("cpu")
            self.poweroff(vm)
        self.assertRegex(out, r"vendor: +\w{12}")
        self.assertRegex(out, r"family \d+, model \d+, stepping \d+")
        features = re.search(r"features:(.*)", out).group(1).split()
        self.assertIn("sse2", features)
        self.assertRegex(out, r"enabled: +sse/sse2")

    def test_uptime_advances(self):
        with self.boot() as vm:
            vm.wait_prompt()
            first = vm.command("uptime")
            vm.command("mem -v")  # some work in between
            second = vm.command("uptime")
            self.poweroff(vm)
        pattern = r"up (\d+)\.(\d{3}) s \(\d+:\d\d:\d\d\), (\d+) timer ticks at 100 Hz, TSC \d+\.\d{3} MHz"
        a, b = re.search(pattern, first), re.search(pattern, second)
        self.assertTrue(a and b, first + second)
        ms = [int(m.group(1)) * 1000 + int(m.group(2)) for m in (a, b)]
        self.assertGreater(ms[1], ms[0])
        self.assertLess(ms[1] - ms[0], 30000, "two commands apart, not half a minute")

    def test_poweroff_exits_with_status_33(self):
        with self.boot() as vm:
            vm.wait_prompt()
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(), EXIT_POWEROFF)
            self.assertIn("Powering off.", vm.output)


class TcgShellTests(ShellTests, unittest.TestCase):
    ACCEL = "tcg"

    def test_help_lists_every_builtin_command(self):
        with self.boot() as vm:
            vm.wait_prompt()
            out = vm.command("help")
            usage = vm.command("help mem")
            self.poweroff(vm)
        names = re.findall(r"^  (\S+) +\S", out, re.M)
        for name in ("cpu", "help", "mem", "panic-test", "poweroff", "uptime"):
            self.assertIn(name, names)
        self.assertEqual(names, sorted(names), "help lists commands by name")
        self.assertIn("usage: mem [-v]", usage)

    def test_unknown_command_is_reported_and_the_shell_carries_on(self):
        with self.boot() as vm:
            vm.wait_prompt()
            out = vm.command("frobnicate now")
            self.assertIn("unknown command: 'frobnicate'", out)
            self.assertIn("usable RAM", vm.command("mem"))
            bad = vm.command("uptime extra")
            self.assertIn("uptime: bad arguments", bad)
            self.assertIn("usage: uptime", bad)
            self.poweroff(vm)

    def test_cr_lf_and_crlf_all_end_a_line(self):
        with self.boot() as vm:
            vm.wait_prompt()
            for ending in (b"\r", b"\n", b"\r\n"):
                start = len(vm.output)
                vm.proc.stdin.write(b"uptime" + ending)
                vm.proc.stdin.flush()
                m = vm.wait_for(r"up \d+\.\d{3} s[^\n]*\nbf> ", start=start)
                self.assertNotIn("unknown command", vm.output[start:m.end()])
            # A CRLF must not produce an empty extra command, nor eat the next line.
            self.assertIn("usable RAM", vm.command("mem"))
            self.poweroff(vm)

    def test_backspace_and_history(self):
        with self.boot() as vm:
            vm.wait_prompt()
            vm.command("uptime")
            # "memx" + DEL -> "mem"; then BS over "cpX" -> "cpu".
            start = len(vm.output)
            vm.proc.stdin.write(b"memx\x7f\n")
            vm.proc.stdin.flush()
            vm.wait_for(r"usable RAM", start=start)
            vm.wait_prompt()
            start = len(vm.output)
            vm.proc.stdin.write(b"cpX\x08u\n")
            vm.proc.stdin.flush()
            vm.wait_for(r"vendor:", start=start)
            vm.wait_prompt()
            # Up three times: cpu, mem, uptime. Down once: back to mem.
            start = len(vm.output)
            vm.proc.stdin.write(b"\x1b[A\x1b[A\x1b[A\x1b[B\n")
            vm.proc.stdin.flush()
            vm.wait_for(r"usable RAM", start=start)
            vm.wait_prompt()
            # Up three times reaches the oldest line, uptime.
            start = len(vm.output)
            vm.proc.stdin.write(b"\x1b[A\x1b[A\x1b[A\x1b[A\n")
            vm.proc.stdin.flush()
            vm.wait_for(r"up \d+\.\d{3} s", start=start)
            vm.wait_prompt()
            self.poweroff(vm)

    def test_ps2_keyboard_types_into_the_shell(self):
        # Keys pressed through QEMU's monitor (sendkey) reach the shell like
        # serial input: letters, Backspace, Enter, the up arrow, Shift, Ctrl-U.
        with tempfile.TemporaryDirectory() as tmp:
            monitor = os.path.join(tmp, "monitor.sock")
            extra = SNAPSHOT + ("-monitor", f"unix:{monitor},server,nowait")
            with Qemu(image(), accel=self.ACCEL, extra_args=extra, timeout=60) as vm:
                vm.wait_prompt()
                start = len(vm.output)
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(monitor)
                    keys = ["m", "e", "m", "x", "backspace", "ret", "up", "ret",
                            "shift-h", "ctrl-u", "c", "p", "u", "ret"]
                    for key in keys:
                        s.sendall(f"sendkey {key}\n".encode())
                        time.sleep(0.05)
                    out = plain(vm.wait_for(r"vendor:[^\n]*\n[\s\S]*bf> ", start=start).string[start:])
                self.poweroff(vm)
        self.assertEqual(out.count("usable RAM"), 2, out)  # "mem", then "mem" again from the history
        self.assertIn("vendor:", out)
        self.assertNotIn("unknown command", out)

    def check_fault(self, argument, title_regex):
        with self.boot() as vm:
            vm.wait_prompt()
            vm.send_line("panic-test" + (" " + argument if argument else ""))
            status = vm.wait_exit()
            out = plain(vm.output)
        self.assertEqual(status, EXIT_PANIC, out)
        self.assertRegex(out, r"\*\*\* " + title_regex)
        for line in REGISTER_LINES:
            self.assertRegex(out, line)
        self.assertIn("*** system halted (QEMU exit status 35)", out)
        return out

    def test_panic_test_raises_invalid_opcode_with_register_dump(self):
        self.check_fault("", r"CPU EXCEPTION Invalid Opcode \(#UD\), vector 06, error code 0x00000000")

    def test_panic_test_divide_error(self):
        out = self.check_fault("de", r"CPU EXCEPTION Divide Error \(#DE\), vector 00")
        self.assertRegex(out, r"ECX=00000000", "the divisor register is shown")

    def test_panic_test_general_protection_has_the_selector_error_code(self):
        self.check_fault("gp", r"CPU EXCEPTION General Protection \(#GP\), vector 13, error code 0x00001234")

    def test_double_fault_is_reported_on_its_own_task(self):
        self.check_fault("df", r"CPU EXCEPTION Double Fault \(#DF\), vector 08, .*double-fault task")

    def test_stack_overflow_into_the_guard_panics(self):
        self.check_fault("stack", r"PANIC: kernel stack overflow: ESP is inside the 4 KiB guard")

    def test_panic_prints_message_and_registers(self):
        self.check_fault("panic", r"PANIC: panic-test: panic\(\) called on purpose")

    def test_old_machine_profile(self):
        # An Intel Core Duo (2006: SSE3, no SSSE3, no AVX, no XSAVE, no
        # x86-64) with 24 MiB: nothing may assume newer hardware or much RAM.
        with self.boot(memory_mb=24, cpu="coreduo") as vm:
            vm.wait_prompt()
            cpu = vm.command("cpu")
            mem = vm.command("mem")
            self.poweroff(vm)
        features = re.search(r"features:(.*)", cpu).group(1).split()
        self.assertIn("sse3", features)
        self.assertNotIn("ssse3", features)
        self.assertNotIn("avx", features)
        self.assertRegex(cpu, r"enabled: +sse/sse2[^\n]*\n")
        self.assertNotIn("xsave (CR4.OSXSAVE)", cpu)
        kib = int(re.search(r"usable RAM \(E820\): (\d+) KiB", mem).group(1))
        self.assertGreaterEqual(kib, 23 * 1024)

    def test_cpu_without_sse2_is_refused_with_a_message(self):
        # A Pentium III has SSE but not SSE2, the kernel's baseline.
        with self.boot(cpu="pentium3") as vm:
            status = vm.wait_exit()
            out = vm.output
        self.assertEqual(status, EXIT_PANIC, out)
        self.assertIn("BareFlow needs a CPU with SSE2", out)
        self.assertNotIn("bf> ", out)

    def test_avx_state_is_enabled_when_the_cpu_has_it(self):
        # TCG emulates AVX for a Haswell model: the entry code must set
        # CR4.OSXSAVE and XCR0 = x87 | SSE | AVX.
        with self.boot(cpu="Haswell") as vm:
            vm.wait_prompt()
            cpu = vm.command("cpu")
            self.poweroff(vm)
        features = re.search(r"features:(.*)", cpu).group(1).split()
        for flag in ("ssse3", "sse4.1", "sse4.2", "avx", "avx2", "fma", "xsave", "osxsave"):
            self.assertIn(flag, features)
        self.assertIn("xsave (CR4.OSXSAVE)", cpu)
        self.assertIn("avx (XCR0=0x7)", cpu)


_kvm_runs_kernel = None


def kvm_runs_kernel():
    """KVM can be usable and still unable to run this kernel: hosts whose
    KVM executes 32-bit guests through its instruction emulator (nested,
    e.g. PVM-based, sandboxes) stop at the first SSE instruction with
    "KVM internal error. Suberror: 1". Probed once with one boot."""
    global _kvm_runs_kernel
    if _kvm_runs_kernel is None:
        _kvm_runs_kernel = False
        if kvm_usable():
            with Qemu(image(), memory_mb=64, accel="kvm", extra_args=SNAPSHOT, timeout=30) as vm:
                try:
                    vm.wait_for(r"bf> |KVM internal error", timeout=20)
                except AssertionError:
                    pass
                _kvm_runs_kernel = "bf> " in vm.output
                if _kvm_runs_kernel:
                    vm.send_line("poweroff")
                    vm.wait_exit()
    return _kvm_runs_kernel


class KvmShellTests(ShellTests, unittest.TestCase):
    ACCEL = "kvm"

    def setUp(self):
        if not kvm_usable():
            self.skipTest("KVM is not usable on this host")
        if not kvm_runs_kernel():
            self.skipTest("this host's KVM cannot execute the kernel (it emulates 32-bit guest code "
                          "and stops at SSE instructions: 'KVM internal error. Suberror: 1')")

    def test_panic_test_exits_with_status_35(self):
        with self.boot() as vm:
            vm.wait_prompt()
            vm.send_line("panic-test")
            self.assertEqual(vm.wait_exit(), EXIT_PANIC)
            self.assertIn("Invalid Opcode (#UD)", vm.output)


if __name__ == "__main__":
    unittest.main()
