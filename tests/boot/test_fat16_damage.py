"""Boot suite for a damaged boot volume: the kernel may refuse to write, it may
never make the damage worse (issue 15, "Data loss on a damaged volume").

Each case damages a copy of the real image the way the issue describes it,
boots it, and tries the writes a session makes (the boot count at boot, then
`write`, `mkdir` and a snapshot save at the prompt). The kernel must say the volume is read-only and why,
name fsck.fat as the repair, keep running (and run modules where the damage
leaves them readable), and leave every byte of the partition as it was. A
clean boot reports what the mount check cost.
"""
import os
import random
import re
import shutil
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy  # noqa: E402
from test_fat16 import fat_partition, fsck_partition  # noqa: E402
from test_modules import shipped_module_names  # noqa: E402

READ_ONLY = r"fat16: volume mounted read-only: (.*); repair with fsck\.fat -a"


def fsck_findings(image):
    """fsck.fat's exit status and report, without the temporary file's name."""
    status, report = fsck_partition(image)
    return status, re.sub(r"/tmp/\S+\.img", "IMAGE", report)


class Partition:
    """The FAT16 partition of an image file, read and patched in place."""

    def __init__(self, image):
        self.image = image
        self.lba, self.count = fat_partition(image)
        bpb = self.read(0, 1)
        (self.reserved,) = struct.unpack_from("<H", bpb, 14)
        self.fat_count = bpb[16]
        (self.root_entries,) = struct.unpack_from("<H", bpb, 17)
        (self.fat_size,) = struct.unpack_from("<H", bpb, 22)
        self.spc = bpb[13]
        self.root = self.reserved + self.fat_count * self.fat_size
        self.data = self.root + self.root_entries * 32 // 512

    def read(self, sector, count):
        with open(self.image, "rb") as f:
            f.seek((self.lba + sector) * 512)
            return f.read(count * 512)

    def write(self, sector, data):
        with open(self.image, "r+b") as f:
            f.seek((self.lba + sector) * 512)
            f.write(data)

    def everything(self):
        return self.read(0, self.count)

    def set_fat(self, copy, cluster, value):
        sector = self.reserved + copy * self.fat_size + cluster * 2 // 512
        data = bytearray(self.read(sector, 1))
        struct.pack_into("<H", data, cluster * 2 % 512, value)
        self.write(sector, bytes(data))

    def entry(self, sector, count, name):
        """(first cluster, size) of the short entry `name` (11 bytes) in a
        directory region."""
        data = self.read(sector, count)
        for off in range(0, len(data), 32):
            if data[off:off + 11] == name:
                cluster, size = struct.unpack_from("<HI", data, off + 26)
                return cluster, size
        raise AssertionError(f"{name!r} not found")

    def cluster_sector(self, cluster):
        return self.data + (cluster - 2) * self.spc

    def modules_cluster(self):
        return self.entry(self.root, self.root_entries * 32 // 512, b"MODULES    ")[0]

    def fib_cluster(self):
        return self.entry(self.cluster_sector(self.modules_cluster()), self.spc, b"FIB     BFM")[0]


@unittest.skipUnless(shutil.which("fsck.fat"), "needs dosfstools")
class DamagedBootVolume(unittest.TestCase):
    def boot_damaged(self, damage, modules_readable, all_modules=False):
        """Damages a fresh image, boots it, tries to write; returns the reason
        the kernel gave. Asserts the partition is unchanged afterwards. With
        `all_modules`, the second FAT copy must stand in for the first, so
        every module loads, FIB.BFM included."""
        image = make_image_copy()
        part = Partition(image)
        damage(part)
        before = part.everything()
        status_before, report_before = fsck_findings(image)
        with Qemu(image) as vm:
            vm.wait_prompt(timeout=90)
            m = re.search(READ_ONLY, vm.output)
            self.assertIsNotNone(m, vm.output)
            self.assertIn("boot-count failed: nothing was written", vm.output)
            answer = vm.command("write /NOTE.TXT hello")
            self.assertIn("nothing was written", answer)
            self.assertIn("mounted read-only", answer)
            if all_modules:
                self.assertIn("the second FAT copy passes the check and is used for reading", m.group(1))
                self.assertIn(f"modules: {len(shipped_module_names())} loaded", vm.output)
                self.assertIn("\n6765\n", vm.command("run fib.fib_iter 20").replace("\r", ""))
            if modules_readable:
                # FIB itself may be unreadable (its chain is what is damaged);
                # the other modules load and run.
                self.assertIn("\n21\n", vm.command("run gcd.gcd 1071 462").replace("\r", ""))
                # Native code now exists, so a snapshot save reaches the disk
                # write, and is refused there.
                self.assertIn("tier reached: 1", vm.command("bench gcd.gcd 150 1071 462"))
                self.assertIn("GCD.SNP not saved: nothing was written", vm.command("snap save"))
            self.assertIn("nothing was written", vm.command("mkdir /NEWDIR"))
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(timeout=30), 33)
        self.assertTrue(part.everything() == before, "the kernel wrote to a volume it mounted read-only")
        status_after, report_after = fsck_findings(image)
        self.assertEqual(status_after, status_before)
        self.assertEqual(report_after, report_before)
        return m.group(1)

    def test_first_fat_frees_fib_cluster_while_second_is_right(self):
        saved = {}

        def damage(part):
            saved["fib"] = part.fib_cluster()
            part.set_fat(0, saved["fib"], 0)

        reason = self.boot_damaged(damage, modules_readable=True, all_modules=True)
        self.assertIn(f"cluster {saved['fib']} belongs to a file but the FAT marks it free", reason)
        self.assertIn("FAT copies also differ", reason)

    def test_modules_directory_cluster_free_in_both_fats(self):
        saved = {}

        def damage(part):
            saved["modules"] = part.modules_cluster()
            for copy in range(part.fat_count):
                part.set_fat(copy, saved["modules"], 0)

        reason = self.boot_damaged(damage, modules_readable=False)
        self.assertIn(f"cluster {saved['modules']} belongs to a file but the FAT marks it free", reason)

    def test_random_bytes_over_the_first_fats_first_sector(self):
        rng = random.Random(15)
        reason = self.boot_damaged(lambda part: part.write(part.reserved, bytes(rng.randrange(256) for _ in range(512))),
                                   modules_readable=True, all_modules=True)
        self.assertIn("the FAT is not where the boot sector says", reason)

    def test_random_bytes_over_a_later_sector_of_the_first_fat(self):
        rng = random.Random(16)
        reason = self.boot_damaged(
            lambda part: part.write(part.reserved + part.fat_size - 1, bytes(rng.randrange(256) for _ in range(512))),
            modules_readable=True, all_modules=True)
        self.assertRegex(reason, r"FAT copies differ at sector \d+ and the first copy has errors")

    def test_reserved_sectors_one_too_many(self):
        reason = self.boot_damaged(lambda part: self.patch_bpb_u16(part, 14, 1), modules_readable=False)
        self.assertIn("the FAT is not where the boot sector says", reason)

    def patch_bpb_u16(self, part, offset, delta):
        bpb = bytearray(part.read(0, 1))
        (value,) = struct.unpack_from("<H", bpb, offset)
        struct.pack_into("<H", bpb, offset, value + delta)
        part.write(0, bytes(bpb))

    def test_fat_size_one_sector_larger(self):
        reason = self.boot_damaged(lambda part: self.patch_bpb_u16(part, 22, 1), modules_readable=False)
        self.assertIn("the FAT is not where the boot sector says", reason)

    def test_root_entry_count_one_sector_larger(self):
        reason = self.boot_damaged(lambda part: self.patch_bpb_u16(part, 17, 16), modules_readable=False)
        self.assertIn('does not start with its "." and ".." entries', reason)

    def test_clean_boot_reports_the_mount_check_cost(self):
        image = make_image_copy()
        with Qemu(image) as vm:
            vm.wait_prompt(timeout=90)
            m = re.search(r"fat16: mount check passed: (\d+) entries, (\d+) sector reads, (\d+) us", vm.output)
            self.assertIsNotNone(m, vm.output)
            self.assertNotRegex(vm.output, READ_ONLY)
            self.assertIn("(boot 1)", vm.output)
            part = Partition(image)
            # Both FAT copies once, plus the root and /MODULES: the FAT reads dominate.
            self.assertGreaterEqual(int(m.group(2)), 2 * part.fat_size)
            self.assertLessEqual(int(m.group(2)), 2 * part.fat_size + 64)
            print(f"\nmount check on the shipped image: {m.group(1)} entries, {m.group(2)} sector reads, "
                  f"{m.group(3)} us (QEMU TCG)", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
