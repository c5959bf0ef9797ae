"""Power loss during snapshot saves (docs/snapshot-format.md, "When snapshots
are written and read").

AUTORUN.TXT makes two modules hot and then saves their snapshots again and
again; QEMU is killed at a random moment of that stream (seeded), 30 times
in a row on one disk. Each boot is also the check of the previous kill:
  - fsck.fat -n finds at most lost clusters (and the dirty bit) on the disk;
  - every module file is byte for byte what the build put there;
  - the boot either loads each snapshot or ignores it with a reason;
  - the mount check never finds the cut disk damaged (it stays writable);
  - the results are right.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, build_dir, make_image_copy  # noqa: E402
from test_modules import fat_partition_offset, fib, mtools, output_of, put_file, read_file  # noqa: E402

KILLS = 30
SEED = 8
SCRIPT = ("run fib.fib_iter 20\nbench fib.fib_iter 120 20\nbench gcd.gcd 120 48 18\n"
          + "snap save\n" * 40 + "poweroff\n")
SNAPSHOT_LINE = re.compile(r"snap: /JIT/(FIB|GCD)\.SNP (loaded: |ignored: (.+)|not loaded: (.+))")
# What fsck.fat -n may report after a cut: lost clusters, the volume's dirty
# bit (clear while writes are in flight), and a second FAT copy one update
# behind the first (the driver writes the first copy first; fsck finds both
# intact and uses the first). Anything else is damage.
FSCK_ALLOWED = re.compile(r"^(fsck\.fat .*|Checking .*|Starting check/repair pass\.|Reclaiming unconnected clusters\.|"
                          r"Checking free cluster summary\.|Starting verification pass\.|"
                          r"Dirty bit is set\. Fs was not properly unmounted.*|.*Automatically removing dirty bit\.|"
                          r"\d+ unused clusters? found in \d+ chains?\.?|Reclaimed \d+ unused clusters? \(\d+ bytes\)"
                          r"( in \d+ chains?)?\.?|Free cluster summary wrong.*|  \d+ vs\. corrected \d+|"
                          r"Leaving filesystem unchanged\.|/dev/.*|.*: \d+ files, \d+/\d+ clusters|"
                          r"There are differences between boot sector and its backup\..*|.*Not automatically fixing.*|"
                          r"Performing changes\.|FATs differ but appear to be intact\.|  Using first FAT\.|\s*)$")


def fsck_report(image):
    """fsck.fat -n over a sparse copy of the FAT16 partition."""
    offset = fat_partition_offset(image)
    with tempfile.NamedTemporaryFile(suffix=".img", delete=False) as out, open(image, "rb") as f:
        f.seek(offset)
        while chunk := f.read(1 << 20):
            if chunk.count(0) == len(chunk):
                out.seek(len(chunk), os.SEEK_CUR)
            else:
                out.write(chunk)
        out.truncate()
        path = out.name
    try:
        proc = subprocess.run(["fsck.fat", "-n", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    finally:
        os.unlink(path)
    return proc.stdout


@unittest.skipUnless(shutil.which("mcopy") and shutil.which("fsck.fat"), "needs mtools and dosfstools")
class PowerLossDuringSnapshotSaves(unittest.TestCase):

    def check_modules_intact(self, image, tmp):
        out = os.path.join(tmp, "MODULES")
        shutil.rmtree(out, ignore_errors=True)
        mtools(image, "mcopy", "-n", "-s", "::/MODULES", tmp)
        for name in os.listdir(os.path.join(build_dir(), "modules")):
            if name.endswith(".BFM"):
                self.assertEqual(read_file(os.path.join(out, name), "rb"),
                                 read_file(os.path.join(build_dir(), "modules", name), "rb"), name)

    def check_boot_log(self, log, i):
        """The snapshot lines and the results of one boot's log."""
        outcomes = []
        for m in SNAPSHOT_LINE.finditer(log):
            if m.group(3):
                # Ignored with a reason: never a crash, never a silent load.
                self.assertRegex(m.group(3), r"^snapshot .+ \(.+\)$", f"kill {i}: {m.group(0)}")
            outcomes.append(m.group(2).split(":")[0])
        if "bf> run fib.fib_iter 20\n" in log:
            after = log.split("bf> run fib.fib_iter 20\n", 1)[1]
            if "\n" in after:
                self.assertEqual(after.split("\n", 1)[0], str(fib(20)), f"kill {i}")
        for m in re.finditer(r"^result: (.*)$", log, re.M):
            self.assertIn(m.group(1), (str(fib(20)), "6"), f"kill {i}")
        self.assertNotIn("*** ", log, f"kill {i}: the kernel crashed:\n{log}")
        # What a cut leaves (lost clusters, FAT copies differing where the
        # first is newer) passes the mount check: a cut never costs writes.
        self.assertNotIn("mounted read-only", log, f"kill {i}: a cut made the volume read-only:\n{log}")
        return outcomes

    def test_random_kills_leave_a_usable_disk(self):
        image = make_image_copy()
        put_file(image, SCRIPT.encode(), "/AUTORUN.TXT")
        rng = random.Random(SEED)
        # The stream's length, from one run that is not killed.
        with Qemu(image, timeout=120) as vm:
            vm.wait_for(r"autorun: running", timeout=60)
            start = time.monotonic()
            self.assertEqual(vm.wait_exit(timeout=100), 33, vm.output)
            stream = time.monotonic() - start
            self.check_boot_log(output_of(vm), 0)
        loaded = ignored = cut_in_stream = 0
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(1, KILLS + 1):
                with Qemu(image, timeout=120) as vm:
                    vm.wait_for(r"autorun: running", timeout=60)
                    time.sleep(rng.uniform(0, stream))
                    log = output_of(vm)
                # The with-block killed QEMU: a power cut at that moment.
                outcomes = self.check_boot_log(log, i)
                cut_in_stream += "bf> snap save" in log and "Powering off." not in log
                loaded += outcomes.count("loaded")
                ignored += outcomes.count("ignored")
                report = fsck_report(image)
                damage = [line for line in report.splitlines() if not FSCK_ALLOWED.match(line)]
                self.assertEqual(damage, [], f"kill {i}: fsck.fat -n:\n{report}")
                self.check_modules_intact(image, tmp)
        # The last cut is checked by one more, complete boot.
        with Qemu(image, timeout=120) as vm:
            self.assertEqual(vm.wait_exit(timeout=100), 33, vm.output)
            outcomes = self.check_boot_log(output_of(vm), KILLS + 1)
        self.assertTrue(outcomes, "the final boot says nothing about the snapshots")
        self.assertGreater(loaded, 0)
        # Most cuts must fall inside the stream of saves, or the test shows little.
        self.assertGreaterEqual(cut_in_stream, KILLS // 2, (loaded, ignored, cut_in_stream))
        sys.stderr.write(f"power loss: {KILLS} cuts, {cut_in_stream} during the saves; at the next boots "
                         f"{loaded} snapshots loaded, {ignored} ignored with a reason\n")
