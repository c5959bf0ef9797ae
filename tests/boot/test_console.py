"""Boot suite for the VGA console's scrollback (issue 14: a PC with no
serial port must still be able to read `help`, `mods` or `tiers`).

Keys go in through QEMU's monitor (sendkey), and the screen comes out of it
too: `pmemsave` dumps the 80x25 text buffer at 0xB8000, two bytes a cell.
"""
import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import EXIT_POWEROFF, Qemu, make_image_copy  # noqa: E402

COLUMNS, ROWS = 80, 25


class Monitor:
    """QEMU's human monitor on a Unix socket: one command at a time."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(10)

    def run(self, command):
        self.sock.sendall(command.encode() + b"\n")
        time.sleep(0.3)                 # only the side effects matter; the echo is read and dropped
        self.sock.setblocking(False)
        try:
            while self.sock.recv(65536):
                pass
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)
            self.sock.settimeout(10)

    def close(self):
        self.sock.close()


class ScrollbackTest(unittest.TestCase):
    def screen(self, monitor, path):
        """The text screen as 25 strings of 80 characters."""
        if os.path.exists(path):
            os.unlink(path)
        # Quoted: unquoted, the monitor reads "4000 /tmp/..." as a division.
        monitor.run(f'pmemsave 0xb8000 {COLUMNS * ROWS * 2} "{path}"')
        deadline = time.monotonic() + 10
        while not (os.path.exists(path) and os.path.getsize(path) == COLUMNS * ROWS * 2):
            self.assertLess(time.monotonic(), deadline, "pmemsave wrote nothing")
            time.sleep(0.1)
        with open(path, "rb") as f:
            data = f.read()
        return ["".join(chr(data[2 * (row * COLUMNS + col)]) for col in range(COLUMNS)) for row in range(ROWS)]

    def test_shift_page_up_shows_older_lines_and_page_down_returns(self):
        with tempfile.TemporaryDirectory() as tmp:
            socket_path = os.path.join(tmp, "monitor.sock")
            dump = os.path.join(tmp, "screen.bin")
            extra = ("-snapshot", "-monitor", f"unix:{socket_path},server,nowait")
            with Qemu(make_image_copy(), extra_args=extra, timeout=90) as vm:
                vm.wait_prompt(timeout=60)
                vm.command("help")      # far more than a screenful: two of them
                vm.command("help")
                monitor = Monitor(socket_path)
                try:
                    live = self.screen(monitor, dump)
                    monitor.run("sendkey shift-pgup")
                    back = self.screen(monitor, dump)
                    monitor.run("sendkey shift-pgup")
                    further = self.screen(monitor, dump)
                    monitor.run("sendkey shift-pgdn")
                    monitor.run("sendkey shift-pgdn")
                    again = self.screen(monitor, dump)
                    monitor.run("sendkey shift-pgup")
                    vm.command("uptime")  # new output returns to the live screen
                    after_output = self.screen(monitor, dump)
                finally:
                    monitor.close()
                vm.send_line("poweroff")
                self.assertEqual(vm.wait_exit(), EXIT_POWEROFF)
        self.assertTrue(any("bf>" in line for line in live), live)
        self.assertNotEqual(back, live)
        # One page is 24 lines: the live screen's top line is now the bottom one.
        self.assertEqual(back[ROWS - 1], live[0])
        self.assertEqual(further[ROWS - 1], back[0])
        # The lines above were printed by `help` before they scrolled away.
        serial = vm.output
        for line in back[:ROWS - 1]:
            if line.strip():
                self.assertIn(line.rstrip(), serial)
        self.assertEqual(again, live, "Shift+PgDn comes back to the live screen")
        self.assertTrue(any(line.startswith("up ") for line in after_output), after_output)


if __name__ == "__main__":
    unittest.main()
