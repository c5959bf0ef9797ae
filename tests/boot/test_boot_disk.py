"""Boot suite for the boot disk (issue 14): the kernel finds the disk it
booted from by its MBR signature, reaches it on every path a BIOS machine
offers, and writes no other disk.

Each boot puts the BareFlow image at one place (IDE primary master, primary
slave, secondary master and AHCI on q35, each with the kernel's own driver; a
USB stick on UHCI, EHCI, xHCI through the BIOS's INT 13h) and a
second disk holding its own FAT16 volume (USERDATA, another signature) at
another, before or after it in the kernel's probe order. In one boot the
test checks that:
  - the kernel names the path it took (`boot-disk: ... via ...`, `disk`);
  - modules load from the boot volume (`mods`, `run fib.fib_iter 20`);
  - a `write` and a `snap save` land on the boot disk, `poweroff` exits 33
    and fsck.fat finds the boot partition clean;
  - the other disk's image is byte-for-byte what it was (SHA-256).
Two more boots cover the corner cases: two ATA disks with the same
signature (a cloned disk) make the kernel ask the BIOS instead of guessing,
and a boot disk the kernel cannot find leaves every disk untouched.
"""
import hashlib
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
from harness import EXIT_POWEROFF, Qemu, build_dir, disk_args_for, make_image_copy, repo_root  # noqa: E402
from test_fat16 import fsck_partition, mtools  # noqa: E402

OTHER_SIGNATURE = 0x55534552  # "RESU": USERDATA's, never the boot image's


def clean(text):
    """Serial output without carriage returns (a CR-LF split across two reads
    keeps its CR)."""
    return text.replace("\r", "")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def build_image(path, *extra, stage2=None):
    """A disk image by tools/mkimage.py from the built boot chain and kernel."""
    build = build_dir()
    args = [sys.executable, os.path.join(repo_root(), "tools", "mkimage.py"),
            "--stage1", os.path.join(build, "boot", "stage1.bin"),
            "--stage2", stage2 or os.path.join(build, "boot", "stage2.bin"),
            "--kernel", os.path.join(build, "kernel", "kernel.bin"), "-o", path] + list(extra)
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return path


@unittest.skipUnless(shutil.which("mcopy") and shutil.which("fsck.fat"), "needs mtools and dosfstools")
class BootDiskTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="bareflow-bootdisk-")
        readme = os.path.join(cls.tmp.name, "NOTES.TXT")
        with open(readme, "w") as f:
            f.write("someone's data: the kernel must never write this disk\n")
        cls.userdata = build_image(os.path.join(cls.tmp.name, "userdata.img"), "--size", "16M",
                                   "--label", "USERDATA", "--disk-signature", hex(OTHER_SIGNATURE),
                                   "--add", f"{readme}=/NOTES.TXT")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def other_disk(self):
        path = os.path.join(self.tmp.name, f"other-{self.id().rsplit('.', 1)[-1]}.img")
        shutil.copyfile(self.userdata, path)
        return path

    def boot_and_check(self, boot_place, other_place, expected_path):
        image = make_image_copy()
        other = self.other_disk()
        other_hash = sha256(other)
        machine, args = disk_args_for([(boot_place, image), (other_place, other)])
        with Qemu(image, machine=machine, disk_args=args, timeout=180) as vm:
            vm.wait_prompt(timeout=120)
            boot_log = clean(vm.output)
            disk = clean(vm.command("disk", timeout=60))
            mods = clean(vm.command("mods"))
            fib = clean(vm.command("run fib.fib_iter 20"))
            write = clean(vm.command("write bootdisk.txt written on the boot disk"))
            vm.command("bench fib.fib_iter 150 20", timeout=60)
            snap = clean(vm.command("snap save", timeout=60))
            vm.send_line("poweroff")
            status = vm.wait_exit(timeout=60)
        log = clean(vm.output)
        self.assertEqual(status, EXIT_POWEROFF, log)
        self.assertRegex(boot_log, rf"boot-disk: signature 0x[0-9a-f]{{8}}, FAT16 at LBA \d+, via {expected_path}\n")
        self.assertIn('fat16: volume "BAREFLOW"', boot_log, "the boot volume, not USERDATA, is mounted")
        self.assertNotIn("USERDATA", boot_log)
        self.assertRegex(disk, rf"boot disk: {expected_path} \(signature 0x[0-9a-f]{{8}}, BIOS drive 0x80\), "
                               r"\d+ sectors, writable")
        speed = re.search(r"read 1024 KiB in [\d.]+ ms: (\d+) KiB/s", disk)
        self.assertIsNotNone(speed, disk)
        self.assertGreater(int(speed.group(1)), 0)
        self.assertRegex(mods, r"FIB \(FIB\.BFM, \d+ bytes")
        self.assertRegex(fib, r"(^|\n)6765\n")
        self.assertIn("wrote 25 bytes to bootdisk.txt", write)
        self.assertRegex(snap, r"snap: saved /JIT/FIB\.SNP \(\d+ bytes\)")
        # The boot disk took the writes, and its volume is clean.
        self.assertEqual(mtools(image, "mtype", "::/BOOTDISK.TXT").strip(), "written on the boot disk")
        self.assertIn("FIB.SNP", mtools(image, "mdir", "-b", "::/JIT"))
        status, report = fsck_partition(image)
        self.assertEqual(status, 0, report)
        # The other disk was never written.
        self.assertEqual(sha256(other), other_hash, f"the USERDATA disk changed; log:\n{log}")
        return speed

    # --- ATA PIO ----------------------------------------------------------------

    def test_ide_primary_master_with_userdata_on_the_slave(self):
        self.boot_and_check("ide-primary-master", "ide-primary-slave", "ata primary master")

    def test_ide_primary_slave_with_userdata_on_the_master(self):
        self.boot_and_check("ide-primary-slave", "ide-primary-master", "ata primary slave")

    def test_ide_secondary_master_with_userdata_on_the_primary_master(self):
        self.boot_and_check("ide-secondary-master", "ide-primary-master", "ata secondary master")

    def test_ide_primary_master_with_userdata_on_a_usb_stick(self):
        self.boot_and_check("ide-primary-master", "usb-ehci", "ata primary master")

    # --- AHCI, natively -----------------------------------------------------------

    def test_ahci_port_0_with_userdata_on_port_1(self):
        self.boot_and_check("ahci", "ahci-port-1", "ahci port 0")

    def test_ahci_port_1_with_userdata_on_port_0(self):
        self.boot_and_check("ahci-port-1", "ahci", "ahci port 1")

    # --- INT 13h through the BIOS -------------------------------------------------

    def test_usb_stick_on_q35_with_userdata_on_ahci(self):
        # The AHCI port is borrowed to read its MBR and handed back to the
        # BIOS; the stick is then reached through INT 13h.
        self.boot_and_check("usb-ehci", "ahci", r"bios int13h drive 0x80")

    def test_usb_stick_on_uhci_with_userdata_on_ide(self):
        # The report in issue 14: USERDATA was mounted and written.
        self.boot_and_check("usb-uhci", "ide-primary-master", r"bios int13h drive 0x80")

    def test_usb_stick_on_ehci_with_userdata_on_ide_secondary(self):
        self.boot_and_check("usb-ehci", "ide-secondary-master", r"bios int13h drive 0x80")

    def test_usb_stick_on_xhci_with_userdata_on_a_second_stick(self):
        self.boot_and_check("usb-xhci", "usb-xhci", r"bios int13h drive 0x80")

    def test_keyboard_and_serial_work_after_bios_calls(self):
        # `disk` makes dozens of INT 13h calls; afterwards the kernel's PIC
        # layout, masks and IDT must be back: PS/2 keys (IRQ 1) and serial
        # lines (IRQ 4) still reach the shell.
        image = make_image_copy()
        machine, args = disk_args_for([("usb-xhci", image)])
        monitor = os.path.join(self.tmp.name, "monitor.sock")
        extra = ("-monitor", f"unix:{monitor},server,nowait")
        with Qemu(image, machine=machine, disk_args=args, extra_args=extra, timeout=120) as vm:
            vm.wait_prompt(timeout=90)
            self.assertIn("bios int13h drive 0x80", vm.command("disk", timeout=60))
            start = len(vm.output)
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(monitor)
                for key in ["c", "p", "u", "ret"]:
                    s.sendall(f"sendkey {key}\n".encode())
                    time.sleep(0.05)
                vm.wait_for(r"vendor:", timeout=30, start=start)
            vm.wait_prompt()
            self.assertIn("up ", vm.command("uptime"))
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(timeout=60), EXIT_POWEROFF, vm.output)

    # --- corner cases -------------------------------------------------------------

    def test_cloned_ata_disks_are_told_apart_by_the_bios(self):
        image = make_image_copy()
        clone = make_image_copy()
        clone_hash = sha256(clone)
        machine, args = disk_args_for([("ide-primary-slave", image), ("ide-primary-master", clone)])
        with Qemu(image, machine=machine, disk_args=args, timeout=120) as vm:
            vm.wait_prompt(timeout=90)
            vm.command("write clone.txt x")
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(timeout=60), EXIT_POWEROFF, vm.output)
        log = clean(vm.output)
        self.assertIn("boot-disk: 2 ATA disks carry signature", log)
        self.assertRegex(log, r"boot-disk: signature 0x[0-9a-f]{8}, FAT16 at LBA \d+, via bios int13h drive 0x80")
        self.assertEqual(sha256(clone), clone_hash, "the clone on the master was written")
        self.assertEqual(mtools(image, "mtype", "::/CLONE.TXT").strip(), "x")

    def test_boot_disk_not_found_writes_nothing(self):
        # A stage2 that hands over a signature no disk carries: the kernel
        # must say so, run without a volume, and write nothing anywhere.
        stage2 = os.path.join(self.tmp.name, "stage2-wrong-signature.bin")
        subprocess.run(["nasm", "-f", "bin", "-DTEST_WRONG_DISK_SIGNATURE", "-I" + os.path.join(repo_root(), "boot") + "/",
                        "-o", stage2, os.path.join(repo_root(), "boot", "stage2.asm")], check=True)
        image = build_image(os.path.join(self.tmp.name, "wrong-signature.img"), "--size", "16M", stage2=stage2)
        other = self.other_disk()
        hashes = (sha256(image), sha256(other))
        machine, args = disk_args_for([("ide-primary-master", image), ("ide-primary-slave", other)])
        with Qemu(image, machine=machine, disk_args=args, timeout=120) as vm:
            vm.wait_prompt(timeout=90)
            write = clean(vm.command("write lost.txt x"))
            disk = clean(vm.command("disk"))
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(timeout=60), EXIT_POWEROFF, vm.output)
        self.assertRegex(clean(vm.output), r"boot disk \(signature 0x[0-9a-f]{8}, BIOS drive 0x80\) not found on ATA "
                                    r"\(2 disks checked\), AHCI \(0\) or through INT 13h: running without a volume")
        self.assertIn("no volume is mounted", write)
        self.assertIn("boot disk: not found", disk)
        self.assertEqual((sha256(image), sha256(other)), hashes, "a disk was written")


if __name__ == "__main__":
    unittest.main()
