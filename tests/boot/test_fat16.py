"""Boot suite for the FAT16 volume: the kernel and the host tools must agree.

A file placed on a copy of the image by mcopy (with a long name, in a
subdirectory) is listed and printed by the kernel; files written by the kernel
(`write`, `mkdir`, then `poweroff`) are read back by mtype on the host, and
fsck.fat finds the partition clean. The shell's error messages for a missing
file, a full root directory and a full volume are the documented ones.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy  # noqa: E402

FAT16_TYPES = (0x04, 0x06, 0x0E)
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8")


def fat_partition(image):
    """(first LBA, sector count) of the first FAT16 partition in the MBR."""
    with open(image, "rb") as f:
        mbr = f.read(512)
    for i in range(4):
        status, ptype, lba, count = struct.unpack_from("<B3xB3xII", mbr, 446 + 16 * i)
        if ptype in FAT16_TYPES:
            return lba, count
    raise AssertionError("no FAT16 partition in the image's MBR")


def mtools(image, *args, check=True):
    lba, _ = fat_partition(image)
    cmd = [args[0], "-i", f"{image}@@{lba * 512}"] + list(args[1:])
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV, text=True,
                          errors="replace")
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}")
    return proc.stdout


def fsck_partition(image):
    """fsck.fat -n -V over the partition (copied out: fsck takes no offset)."""
    lba, count = fat_partition(image)
    with tempfile.NamedTemporaryFile(suffix=".img", delete=False) as out:
        with open(image, "rb") as f:
            f.seek(lba * 512)
            remaining = count * 512
            while remaining:
                chunk = f.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                out.write(chunk)
                remaining -= len(chunk)
        path = out.name
    try:
        proc = subprocess.run(["fsck.fat", "-n", "-V", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    finally:
        os.unlink(path)
    return proc.returncode, proc.stdout


def accel():
    # TCG: the FAT16 checks are about the disk, not speed, and TCG runs the
    # same everywhere (KVM may exist and still fail to run the kernel).
    return "tcg"


@unittest.skipUnless(shutil.which("mcopy") and shutil.which("fsck.fat"), "needs mtools and dosfstools")
class Fat16Boot(unittest.TestCase):
    def test_boot_log_shows_label_size_and_free_space(self):
        image = make_image_copy()
        with Qemu(image, accel=accel()) as vm:
            vm.wait_prompt(timeout=60)
            m = re.search(r'fat16: volume "([^"]*)" at LBA (\d+): (\d+) KiB, (\d+) KiB free', vm.output)
            self.assertIsNotNone(m, vm.output)
            self.assertEqual(int(m.group(2)), fat_partition(image)[0])
            self.assertLessEqual(int(m.group(4)), int(m.group(3)))
            df = vm.command("df")
            self.assertRegex(df, r"KiB total, \d+ KiB used, \d+ KiB free")

    def test_file_placed_by_mcopy_is_listed_and_printed(self):
        image = make_image_copy()
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "Notes From Host.txt")
            with open(src, "w") as f:
                f.write("placed by mcopy\nsecond line\n")
            mtools(image, "mmd", "::/Host Dir")
            mtools(image, "mcopy", src, "::/Host Dir/Notes From Host.txt")
        with Qemu(image, accel=accel()) as vm:
            vm.wait_prompt(timeout=60)
            listing = vm.command("ls")
            self.assertIn("Host Dir", listing)
            listing = vm.command('ls "/host dir"')
            self.assertRegex(listing, r"\s28\s+\d{4}-\d\d-\d\d \d\d:\d\d  Notes From Host\.txt")
            # The console sends \r\n; a split between reads can leave a \r.
            text = vm.command('cat "/Host Dir/notes from host.TXT"').replace("\r", "")
            self.assertIn("placed by mcopy\nsecond line\n", text)
            alias = vm.command("cat HOSTDI~1/NOTESF~1.TXT")
            self.assertIn("placed by mcopy", alias)

    def test_files_written_by_the_kernel_are_read_by_mtype_and_fsck_is_clean(self):
        image = make_image_copy()
        with Qemu(image, accel=accel()) as vm:
            vm.wait_prompt(timeout=60)
            self.assertIn("wrote 20 bytes", vm.command("write notes.txt hello from BareFlow"))
            self.assertNotIn("error", vm.command("mkdir LOGS"))
            vm.command("write LOGS/RUN1.LOG first")
            vm.command("write LOGS/RUN1.LOG second run")  # replaces
            vm.command("write GONE.TXT x")
            vm.command("rm gone.txt")
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(timeout=30), 33)
        self.assertEqual(mtools(image, "mtype", "::/notes.txt"), "hello from BareFlow\n")
        self.assertEqual(mtools(image, "mtype", "::/LOGS/RUN1.LOG"), "second run\n")
        self.assertNotIn("GONE", mtools(image, "mdir", "-b", "::/").upper())
        self.assertNotIn("RUN1.NEW", mtools(image, "mdir", "-b", "::/LOGS").upper())
        status, report = fsck_partition(image)
        self.assertEqual(status, 0, report)
        self.assertNotRegex(report, r"(?i)dirty|differ|reclaim|cross|truncat|free cluster", report)

    def test_partition_beyond_lba28_uses_lba48(self):
        """The FAT16 partition moved past 128 GiB (a sparse file): the ATA
        driver must use LBA48 to read and write it."""
        src = make_image_copy()
        lba, count = fat_partition(src)
        far = (1 << 28) + 2048
        with tempfile.TemporaryDirectory() as tmp:
            image = os.path.join(tmp, "far.img")
            with open(src, "rb") as f:
                head = bytearray(f.read(lba * 512))
                f.seek(lba * 512)
                volume = f.read(count * 512)
            for i in range(4):
                off = 446 + 16 * i
                if head[off + 4] in FAT16_TYPES:
                    struct.pack_into("<I", head, off + 8, far)
                    head[off + 4] = 0x0E
            # BPB_HiddSec follows the partition, as a partition mover sets it
            # (the mount check refuses to write a BPB made for another place).
            volume = bytearray(volume)
            struct.pack_into("<I", volume, 28, far)
            with open(image, "wb") as f:
                f.write(head)
                f.seek(far * 512)
                f.write(volume)
                f.truncate((far + count + 2048) * 512)
            with Qemu(image, accel=accel()) as vm:
                vm.wait_prompt(timeout=60)
                self.assertIn("LBA48", vm.output)
                self.assertIn(f"at LBA {far}:", vm.output)
                self.assertIn("README.TXT", vm.command("ls"))
                vm.command("write FAR.TXT beyond LBA28")
                vm.send_line("poweroff")
                self.assertEqual(vm.wait_exit(timeout=30), 33)
            self.assertEqual(mtools(image, "mtype", "::/FAR.TXT"), "beyond LBA28\n")

    def test_errors_are_clear_messages(self):
        image = make_image_copy()
        lba, count = fat_partition(image)
        with tempfile.TemporaryDirectory() as tmp:
            # Fill the root directory: 512 entries minus what is there.
            existing = len([l for l in mtools(image, "mdir", "-a", "-b", "::/").splitlines() if l.strip()])
            names = []
            for i in range(512 - existing - 1):  # -1: the volume label entry
                path = os.path.join(tmp, f"R{i}.TXT")
                open(path, "w").close()
                names.append(path)
            mtools(image, "mcopy", *names, "::/", check=False)
        with Qemu(image, accel=accel()) as vm:
            vm.wait_prompt(timeout=60)
            self.assertIn("cat: no such file or directory", vm.command("cat nothing.txt"))
            self.assertIn("no such file or directory", vm.command("ls /nowhere"))
            self.assertIn("the root directory is full", vm.command("write ONEMORE.TXT x"))
            self.assertIn("is a directory", vm.command("rm MODULES"))
            self.assertIn("8.3", vm.command("mkdir MODULES/a_long_directory_name"))
            # A subdirectory grows instead; then fill the disk.
            self.assertIn("wrote", vm.command("write MODULES/OK.TXT fine"))
            vm.send_line("poweroff")
            vm.wait_exit(timeout=30)
        free = int(re.search(r"(\d[\d ]*) bytes free", mtools(image, "mdir", "::/MODULES")).group(1).replace(" ", ""))
        with tempfile.TemporaryDirectory() as tmp:
            big = os.path.join(tmp, "BIG.BIN")
            with open(big, "wb") as f:
                f.truncate(free)
            mtools(image, "mcopy", big, "::/MODULES/BIG.BIN")
        with Qemu(image, accel=accel()) as vm:
            vm.wait_prompt(timeout=60)
            self.assertIn("no space left on the volume", vm.command("write MODULES/MORE.TXT no room"))
            self.assertRegex(vm.command("df"), r" 0 KiB free")
        status, report = fsck_partition(image)
        self.assertEqual(status, 0, report)


if __name__ == "__main__":
    unittest.main()
