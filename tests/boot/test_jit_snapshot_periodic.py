"""Boot suite for periodic snapshot saving (docs/snapshot-format.md, "When
snapshots are written and read"; docs/shell.md, `snap every`).

  - at the idle prompt: with `snap every 1`, a module made hot is saved
    within a few seconds without `snap save` or `poweroff`; QEMU is then
    killed (a power cut) and the next boot loads the snapshot and runs the
    code at its saved tier with zero compiles; an idle machine writes nothing
    more;
  - between the lines of AUTORUN.TXT: a save falls between two commands of a
    script that never reaches the prompt before the cut;
  - `snap every 0` turns it off: nothing is saved, however long it waits;
  - the default period is 60 seconds.
Everything under TCG.
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy  # noqa: E402
from test_modules import command, fib, output_of, put_file, result_of  # noqa: E402
from test_jit_snapshots import tier_row  # noqa: E402

WRITTEN = re.compile(r"(\d+) files? written periodically since boot")


def written_periodically(status):
    m = WRITTEN.search(status)
    return int(m.group(1)) if m else 0


def wait_for_periodic_save(vm, at_least, timeout=20):
    """Polls `snap` (the machine idles at the prompt in between) until the
    count of periodically written files reaches `at_least`."""
    deadline = time.monotonic() + timeout
    while True:
        status = command(vm, "snap")
        if written_periodically(status) >= at_least:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"no periodic save within {timeout} s:\n{status}")
        time.sleep(0.5)


class PeriodicSnapshotSaves(unittest.TestCase):

    def warm_boot(self, image, lines):
        with Qemu(image, timeout=120) as vm:
            vm.wait_prompt(timeout=60)
            outputs = [command(vm, line) for line in lines]
            return output_of(vm), outputs

    def test_default_period_is_sixty_seconds(self):
        with Qemu(make_image_copy(), timeout=60) as vm:
            vm.wait_prompt(timeout=60)
            self.assertIn("snap: periodic save every 60 s", command(vm, "snap"))
            self.assertIn("usage: snap [save|load|ls|clear|every SECONDS]", command(vm, "snap every soon"))
            self.assertIn("usage: snap [save|load|ls|clear|every SECONDS]", command(vm, "snap every -1"))

    def test_idle_prompt_saves_changed_modules_and_the_next_boot_starts_hot(self):
        image = make_image_copy()
        with Qemu(image, timeout=120) as vm:
            vm.wait_prompt(timeout=60)
            self.assertIn("every 1 s", command(vm, "snap every 1"))
            self.assertEqual(result_of(command(vm, "run fib.fib_iter 25")), str(fib(25)))
            command(vm, "bench fib.fib_iter 150 25")
            status = wait_for_periodic_save(vm, 1)
            self.assertEqual(written_periodically(status), 1, status)
            # Idle, and nothing changed since: later periods write nothing.
            time.sleep(2.5)
            status = command(vm, "snap")
            self.assertRegex(status, r"last check at [\d.]+ s wrote 0;")
            self.assertEqual(written_periodically(status), 1, status)
            cold_log = output_of(vm)
        # The with-block killed QEMU: no poweroff, no `snap save`.
        self.assertNotIn("snap save", cold_log)
        self.assertNotIn("poweroff", cold_log)
        log, outputs = self.warm_boot(image, ["tiers fib", "run fib.fib_iter 25", "snap"])
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP loaded: \d+ functions? with native code")
        self.assertNotIn("ignored", log)
        row = tier_row(outputs[0], "fib_iter", "FIB")
        self.assertGreaterEqual(row["tier"], 1, outputs[0])
        self.assertEqual((row["from"], row["compiles"]), ("snap", 0), outputs[0])
        self.assertEqual(result_of(outputs[1]), str(fib(25)))
        # A loaded snapshot is current: nothing to write in this boot yet.
        self.assertEqual(written_periodically(outputs[2]), 0, outputs[2])

    def test_autorun_script_saves_between_commands(self):
        image = make_image_copy()
        # The long bench outlasts the 1 s period, so the save falls between
        # it and the next line, before the script ever reaches the prompt.
        script = ("snap every 1\nbench gcd.gcd 150 1071 462\nbench fib.fib_iter 2000000 25\nsnap\n"
                  "snap ls\n")
        put_file(image, script.encode(), "/AUTORUN.TXT")
        with Qemu(image, timeout=120) as vm:
            vm.wait_for(r"autorun: \d+ commands done", timeout=100)
            log = output_of(vm)
        took = re.search(r"2000000 calls took ([\d.]+) (ms|us)", log)
        self.assertIsNotNone(took, log)
        millis = float(took.group(1)) / (1000 if took.group(2) == "us" else 1)
        self.assertGreater(millis, 1000, "the long bench must outlast the period; raise its count")
        status = log.split("bf> snap\n", 1)[1]
        self.assertGreaterEqual(written_periodically(status), 2, status)  # GCD and FIB
        self.assertRegex(log, r"GCD\.SNP .*\n\s+valid for the loaded GCD")
        self.assertRegex(log, r"FIB\.SNP .*\n\s+valid for the loaded FIB")
        put_file(image, b"", "/AUTORUN.TXT")
        log, outputs = self.warm_boot(image, ["run gcd.gcd 1071 462", "tiers gcd"])
        self.assertRegex(log, r"snap: /JIT/GCD\.SNP loaded: ")
        self.assertRegex(log, r"snap: /JIT/FIB\.SNP loaded: ")
        self.assertEqual(result_of(outputs[0]), "21")
        self.assertEqual(tier_row(outputs[1], "gcd", "GCD")["from"], "snap", outputs[1])

    def test_every_zero_turns_periodic_saving_off(self):
        image = make_image_copy()
        with Qemu(image, timeout=120) as vm:
            vm.wait_prompt(timeout=60)
            command(vm, "snap every 1")
            self.assertIn("snap: periodic save off", command(vm, "snap every 0"))
            command(vm, "bench fib.fib_iter 150 25")
            time.sleep(3)
            status = command(vm, "snap")
            self.assertIn("snap: periodic save off", status)
            self.assertIn("0 snapshots in /JIT", command(vm, "snap ls"))
        log, outputs = self.warm_boot(image, ["tiers fib", "snap ls"])
        self.assertNotIn("FIB.SNP", log)
        self.assertEqual(tier_row(outputs[0], "fib_iter", "FIB")["tier"], 0, outputs[0])
        self.assertIn("0 snapshots in /JIT", outputs[1])


if __name__ == "__main__":
    unittest.main()
