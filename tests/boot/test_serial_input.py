"""Typed and piped input on COM1 reaches the shell whole: no byte lost or
garbled however much is sent at once (the UART is left unread while the
kernel's ring is full, so QEMU holds the rest back), a line past the limit
is refused with a message instead of being cut, and a stray escape sequence
never eats the Enter after it.
"""
import os
import re
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu  # noqa: E402
from test_interrupts import image_with_spin  # noqa: E402

LINES = 10000


class SerialInput(unittest.TestCase):

    def test_ten_thousand_piped_lines_arrive_whole(self):
        # Every line names its own number, so a lost or garbled byte shows
        # as a missing, repeated or wrong result.
        lines = [f"run spin.add {i} 1000000" for i in range(LINES)] + ["poweroff"]
        payload = ("\n".join(lines) + "\n").encode()
        with Qemu(image_with_spin(), timeout=900, extra_args=("-snapshot",)) as vm:
            vm.wait_prompt(60)
            writer = threading.Thread(target=lambda: (vm.proc.stdin.write(payload), vm.proc.stdin.flush()),
                                      daemon=True)
            writer.start()
            self.assertEqual(vm.wait_exit(840), 33, vm.output[-2000:])
            writer.join(10)
            results = [int(r) for r in re.findall(r"^(\d+)\r?$", vm.output, re.M)]
            self.assertEqual(results, [1000000 + i for i in range(LINES)])
            self.assertNotIn("unknown command", vm.output)
            self.assertNotIn("bad arguments", vm.output)
            print(f"\nserial input: {len(payload)} bytes in {LINES + 1} lines, all {LINES} results in order",
                  file=sys.stderr)

    def test_a_line_past_the_limit_is_refused_whole(self):
        with Qemu(image_with_spin(), timeout=120, extra_args=("-snapshot",)) as vm:
            vm.wait_prompt(60)
            long_line = "run spin.add 1 " + "2" * 300
            out = vm.command(long_line)
            self.assertIn(f"line too long: {len(long_line)} characters, the limit is 255; not run", out)
            self.assertNotRegex(out, r"^\d+\r?$")
            # 255 characters still fit.
            fits = "run spin.add 1 " + " " * (255 - len("run spin.add 1 ") - 1) + "2"
            self.assertEqual(len(fits), 255)
            self.assertRegex(vm.command(fits), r"(?m)^3\r?$")
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(60), 33)

    def test_an_unfinished_escape_sequence_does_not_swallow_enter(self):
        with Qemu(image_with_spin(), timeout=120, extra_args=("-snapshot",)) as vm:
            vm.wait_prompt(60)
            # `run spin.add 2 3`, ESC, '[', Enter: the line runs.
            start = len(vm.output)
            vm.proc.stdin.write(b"run spin.add 2 3\x1b[\r")
            vm.proc.stdin.flush()
            vm.wait_for(r"(?m)^5\r?$", 30, start)
            vm.wait_prompt(30)
            # ESC alone, then Enter.
            start = len(vm.output)
            vm.proc.stdin.write(b"run spin.add 4 3\x1b\r")
            vm.proc.stdin.flush()
            vm.wait_for(r"(?m)^7\r?$", 30, start)
            vm.wait_prompt(30)
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(60), 33)


if __name__ == "__main__":
    unittest.main()
