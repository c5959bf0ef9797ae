"""Runaway calls on the real kernel: Ctrl-C on COM1 and the watchdog stop a
module call that never ends, at the tier it runs (interpreter or native
code), and the shell, the module and its profile stay usable; AUTORUN.TXT
reaches the prompt even when it starts such a call.

Each test boots a private copy of BUILD/bareflow.img with a SPIN module added
(tools/flowimg.py put), under TCG.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy, repo_root  # noqa: E402

SPIN = """
fn spin() -> i32 { var x: i32 = 0; while 1 { x += 1; } return x; }
fn nest(n: i32) -> i32 { var s: i32 = 0; for i in 0..n { for j in 0..n { s += i ^ j; } } return s; }
fn add(a: i32, b: i32) -> i32 { return a + b; }
"""
STOPPED_BY_WATCHDOG = r"trap TrapInterrupted in function '{}'.*\nstopped by the watchdog"
STOPPED_BY_CTRL_C = r"trap TrapInterrupted in function '{}'.*\nstopped by Ctrl-C"


def image_with_spin(autorun=None):
    image = make_image_copy()
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "spin.flow")
        with open(source, "w") as f:
            f.write(SPIN)
        subprocess.run([sys.executable, os.path.join(repo_root(), "tools", "flowimg.py"), "put", image, source],
                       check=True, capture_output=True)
        if autorun is not None:
            script = os.path.join(tmp, "AUTORUN.TXT")
            with open(script, "w") as f:
                f.write(autorun)
            subprocess.run(["mcopy", "-o", "-i", f"{image}@@1048576", script, "::/AUTORUN.TXT"], check=True,
                           capture_output=True)
    return image


class RunawayCalls(unittest.TestCase):

    def test_the_watchdog_stops_interpreted_and_native_calls(self):
        with Qemu(image_with_spin(), timeout=180, extra_args=("-snapshot",)) as vm:
            vm.wait_prompt(60)
            self.assertIn("stopped after 60 s", vm.command("watchdog"))
            self.assertIn("stopped after 1 s", vm.command("watchdog 1"))
            out = vm.command("run spin.spin", timeout=60)
            self.assertRegex(out, STOPPED_BY_WATCHDOG.format("spin"))
            self.assertIn("5", vm.command("run spin.add 2 3"))
            # Native code: tier the nest up with small calls, then a huge one.
            vm.command("jit policy 1 2 1000")
            for _ in range(4):
                self.assertIn("result: ", vm.command("run spin.nest 4") + "result: ")
            self.assertRegex(vm.command("tiers spin"), r"nest\s+\S*\s*.*2")
            out = vm.command("run spin.nest 1048576", timeout=60)
            self.assertRegex(out, STOPPED_BY_WATCHDOG.format("nest"))
            self.assertRegex(vm.command("run spin.nest 4"), r"\b24\b.*\n.*\(tier 2\)")
            self.assertIn("off", vm.command("watchdog 0"))
            self.assertIn("not a number of seconds", vm.command("watchdog -1"))
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(60), 33)

    def test_ctrl_c_on_the_serial_console_stops_the_call(self):
        with Qemu(image_with_spin(), timeout=180, extra_args=("-snapshot",)) as vm:
            vm.wait_prompt(60)
            vm.command("watchdog 0")
            start = len(vm.output)
            vm.send_line("run spin.spin")
            vm.wait_for(r"run spin\.spin", 30, start)
            time.sleep(1.0)
            self.assertNotIn("TrapInterrupted", vm.output[start:], "the call ended by itself")
            vm.proc.stdin.write(b"\x03")
            vm.proc.stdin.flush()
            vm.wait_for(STOPPED_BY_CTRL_C.format("spin"), 30, start)
            vm.wait_prompt(30)
            # The key was consumed by the call: the next line is not abandoned.
            self.assertIn("7", vm.command("run spin.add 3 4"))
            # Without a running call, Ctrl-C abandons the line being typed.
            vm.proc.stdin.write(b"run spin.add 1 1\x03")
            vm.proc.stdin.flush()
            vm.wait_prompt(30)
            out = vm.command("run spin.add 20 22")
            self.assertIn("42", out)
            self.assertNotIn("result: 2\n", out)
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(60), 33)

    def test_ctrl_c_on_the_ps2_keyboard_stops_native_code(self):
        # QEMU's monitor types Ctrl-C on the emulated PS/2 keyboard.
        directory = tempfile.mkdtemp(prefix="bareflow-mon-")
        self.addCleanup(shutil.rmtree, directory, True)
        monitor = os.path.join(directory, "monitor.sock")
        args = ("-snapshot", "-monitor", f"unix:{monitor},server=on,wait=off")
        with Qemu(image_with_spin(), timeout=180, extra_args=args) as vm:
            vm.wait_prompt(60)
            vm.command("watchdog 0")
            vm.command("jit policy 1 2 1000")
            for _ in range(4):
                vm.command("run spin.nest 4")
            start = len(vm.output)
            vm.send_line("run spin.nest 1048576")
            vm.wait_for(r"run spin\.nest 1048576", 30, start)
            time.sleep(1.0)
            self.assertNotIn("TrapInterrupted", vm.output[start:], "the call ended by itself")
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(monitor)
                time.sleep(0.2)
                s.recv(4096)  # the monitor's banner
                s.sendall(b"sendkey ctrl-c\n")
                vm.wait_for(STOPPED_BY_CTRL_C.format("nest"), 30, start)
            vm.wait_prompt(30)
            self.assertRegex(vm.command("run spin.nest 4"), r"\b24\b[\s\S]*\(tier 2\)")
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(60), 33)

    def test_autorun_reaches_the_prompt_past_a_runaway_call(self):
        script = "watchdog 1\nrun spin.spin\nrun spin.add 40 2\n"
        with Qemu(image_with_spin(script), timeout=180, extra_args=("-snapshot",)) as vm:
            vm.wait_for(STOPPED_BY_WATCHDOG.format("spin"), 90)
            vm.wait_for(r"run spin\.add 40 2\r?\n(.*\n)?.*\b42\b", 60)  # the serial log mixes CRLF and LF
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(60), 33)


if __name__ == "__main__":
    unittest.main()
