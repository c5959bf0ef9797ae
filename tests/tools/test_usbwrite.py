"""tools/usbwrite.py (`make usb`): what it refuses, what it asks, what it writes.

Each test builds a fake /sys and /proc in a temporary directory (a disk
"sdb" with partition "sdb1", its model, size, removable flag, and whether
its device path runs through USB) and writes to a plain file in place of
/dev/sdb.
"""
import contextlib
import io
import os
import sys
import tempfile
import unittest
from unittest import mock

ROOT = os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import usbwrite  # noqa: E402

MIB = 1 << 20


class UsbWriteTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        self.image = self.file("bareflow.img", os.urandom(64 * 1024) * 16)  # 1 MiB
        self.target = self.file("sdb.dev", b"\0" * (2 * MIB))
        self.fake_disk("sdb", removable=True, usb=True, sectors=4 * MIB // 512)
        self.mounts("")

    def tearDown(self):
        self.tmp.cleanup()

    def file(self, name, data):
        path = os.path.join(self.root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def fake_disk(self, name, removable, usb, sectors, model="Cruzer Blade"):
        sys_dir = os.path.join(self.root, "sys")
        device_dir = os.path.join(sys_dir, "devices", "pci0000:00", "usb1" if usb else "ata1", name)
        os.makedirs(device_dir, exist_ok=True)
        self.file(f"sys/devices/pci0000:00/{'usb1' if usb else 'ata1'}/{name}/model", model.encode())
        self.file(f"sys/devices/pci0000:00/{'usb1' if usb else 'ata1'}/{name}/vendor", b"SanDisk")
        block = os.path.join(sys_dir, "block", name)
        os.makedirs(os.path.join(block, name + "1"), exist_ok=True)
        self.file(f"sys/block/{name}/{name}1/partition", b"1")
        self.file(f"sys/block/{name}/size", str(sectors).encode())
        self.file(f"sys/block/{name}/removable", b"1" if removable else b"0")
        link = os.path.join(block, "device")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(device_dir, link)

    def mounts(self, mounts, swaps="Filename Type Size Used Priority\n"):
        self.file("proc/mounts", mounts.encode())
        self.file("proc/swaps", swaps.encode())

    def run_tool(self, *extra, answer=None):
        args = ["--image", self.image, "--sysfs", os.path.join(self.root, "sys"),
                "--procfs", os.path.join(self.root, "proc"), "--target", self.target] + list(extra)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                mock.patch("builtins.input", side_effect=[answer] if answer is not None else EOFError):
            code = usbwrite.main(args)
        return code, out.getvalue(), err.getvalue()

    def written(self):
        with open(self.target, "rb") as f, open(self.image, "rb") as g:
            return f.read(os.path.getsize(self.image)) == g.read()

    def test_a_usb_stick_is_written_after_its_name_is_typed_back(self):
        code, out, err = self.run_tool("/dev/sdb", answer="sdb")
        self.assertEqual(code, 0, err)
        self.assertIn("SanDisk Cruzer Blade, 4.0 MiB, usb", out)
        self.assertIn("wrote and verified", out)
        self.assertTrue(self.written())

    def test_any_other_answer_writes_nothing(self):
        code, _, err = self.run_tool("/dev/sdb", answer="y")
        self.assertEqual(code, 2)
        self.assertIn("not confirmed", err)
        self.assertFalse(self.written())

    def test_a_mounted_partition_is_refused(self):
        self.mounts("/dev/sdb1 /media/stick vfat rw 0 0\n")
        code, _, err = self.run_tool("/dev/sdb", "--yes")
        self.assertEqual(code, 2)
        self.assertIn("/dev/sdb1 is mounted on /media/stick", err)
        self.assertFalse(self.written())

    def test_swap_on_the_disk_is_refused(self):
        self.mounts("", "Filename Type Size Used Priority\n/dev/sdb1 partition 1024 0 -2\n")
        code, _, err = self.run_tool("/dev/sdb", "--yes")
        self.assertEqual(code, 2)
        self.assertIn("in use as swap", err)

    def test_a_built_in_disk_is_refused_without_force(self):
        self.fake_disk("sdb", removable=False, usb=False, sectors=4 * MIB // 512, model="Samsung SSD 860")
        code, _, err = self.run_tool("/dev/sdb", "--yes")
        self.assertEqual(code, 2)
        self.assertIn("not removable", err)
        self.assertIn("--force", err)
        self.assertFalse(self.written())
        code, _, err = self.run_tool("/dev/sdb", "--yes", "--force")
        self.assertEqual(code, 0, err)
        self.assertTrue(self.written())

    def test_a_partition_is_refused_with_the_whole_disk_named(self):
        code, _, err = self.run_tool("/dev/sdb1", "--yes")
        self.assertEqual(code, 2)
        self.assertIn("give the whole disk: /dev/sdb", err)

    def test_an_unknown_device_is_refused(self):
        code, _, err = self.run_tool("/dev/sdz", "--yes")
        self.assertEqual(code, 2)
        self.assertIn("not a block device", err)

    def test_a_stick_smaller_than_the_image_is_refused(self):
        self.fake_disk("sdb", removable=True, usb=True, sectors=1024)  # 512 KiB
        code, _, err = self.run_tool("/dev/sdb", "--yes")
        self.assertEqual(code, 2)
        self.assertIn("the image needs", err)

    def test_no_answer_at_all_writes_nothing(self):
        code, _, _ = self.run_tool("/dev/sdb")
        self.assertNotEqual(code, 0)
        self.assertFalse(self.written())


if __name__ == "__main__":
    unittest.main()
