"""tools/mkimage.py: disk layout, FAT16 formatting, options and errors.

Images are built from small synthetic inputs (a stage1/stage2 with the
right signatures, a kernel with a KernelHeader) so the tests need no build;
fsck.fat and mtools judge the filesystem where they are installed.
"""
import contextlib
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

ROOT = os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import mkimage  # noqa: E402
from fatimage import Fat16Volume, Geometry, ImageError, prepare_kernel, short_name  # noqa: E402
from fatimage import boot as bootlayout  # noqa: E402

SECTOR = 512
MIB = 1 << 20


def make_kernel(body=b"\x90" * 64, bss_extra=0x100):
    """A kernel.bin: KernelHeader, then `body`; entry right after the header."""
    size = 32 + len(body)
    header = struct.pack("<8I", 0x4E4B4642, 1, 32, 0, 0, 0x100000 + 32, 0x100000 + size + bss_extra, 0)
    return header + body


class Workspace(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="bareflow-mkimage-")
        self.dir = self.tmp.name
        self.stage1 = self.write("stage1.bin", b"\xEB\x58\x90" + b"\x00" * 87 + b"\xFA\xF4" * 20)
        self.stage2 = self.write("stage2.bin", b"BFS2" + b"\x00" * 12 + b"\xF4" * 900)
        self.kernel = self.write("kernel.bin", make_kernel())
        self.readme = self.write("README.TXT", b"hello from the test\r\n")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run_mkimage(self, *extra, base=True):
        args = list(extra)
        if base:
            args = ["--stage1", self.stage1, "--stage2", self.stage2, "--kernel", self.kernel,
                    "-o", os.path.join(self.dir, "disk.img")] + args
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = mkimage.main(args)
            except SystemExit as e:      # argparse errors and --help
                code = e.code
        return code, out.getvalue(), err.getvalue()

    def build(self, *extra):
        code, out, err = self.run_mkimage(*extra)
        self.assertEqual(code, 0, err)
        with open(os.path.join(self.dir, "disk.img"), "rb") as f:
            return f.read()


class LayoutTest(Workspace):
    def test_default_image_is_64_mib(self):
        self.assertEqual(len(self.build()), 64 * MIB)

    def test_mbr_keeps_stage1_signature_and_boot_flag(self):
        image = self.build()
        with open(self.stage1, "rb") as f:
            stage1 = f.read()
        self.assertEqual(image[:len(stage1)], stage1)
        self.assertEqual(image[510:512], b"\x55\xAA")
        self.assertNotEqual(image[440:444], b"\0\0\0\0", "a disk signature is written")

    def test_disk_signature_option_is_written_at_440(self):
        image = self.build("--disk-signature", "0x1234ABCD")
        self.assertEqual(struct.unpack_from("<I", image, 440)[0], 0x1234ABCD)

    def test_disk_signature_zero_is_refused(self):
        code, _, err = self.run_mkimage("--disk-signature", "0")
        self.assertNotEqual(code, 0)
        self.assertIn("non-zero", err)

    def test_derived_disk_signature_differs_per_label(self):
        os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
        try:
            first = self.build()
            second = self.build("--label", "USERDATA")
        finally:
            del os.environ["SOURCE_DATE_EPOCH"]
        self.assertNotEqual(first[440:444], b"\0\0\0\0")
        self.assertNotEqual(first[440:444], second[440:444], "two images, two signatures")

    def test_one_active_fat16_partition_from_lba_2048_to_the_end(self):
        image = self.build()
        entry = image[446:462]
        self.assertEqual(entry[0], 0x80)
        self.assertEqual(entry[4], 0x06)
        lba, count = struct.unpack_from("<II", entry, 8)
        self.assertEqual(lba, 2048)
        self.assertEqual(lba + count, len(image) // SECTOR)
        self.assertEqual(image[462:510], bytes(48), "the other three entries stay empty")

    def test_stage2_at_lba_1_with_kernel_lba_and_zero_word_sum(self):
        image = self.build()
        area = image[SECTOR:SECTOR * 33]
        self.assertEqual(area[:4], b"BFS2")
        self.assertEqual(struct.unpack_from("<I", area, 8)[0], 64)
        self.assertEqual(sum(struct.unpack("<8192H", area)) & 0xFFFF, 0)

    def test_kernel_at_lba_64_with_size_and_crc(self):
        image = self.build()
        kernel = bytearray(image[64 * SECTOR:64 * SECTOR + 96])
        self.assertEqual(struct.unpack_from("<I", kernel, 12)[0], 96)
        stored = struct.unpack_from("<I", kernel, 16)[0]
        struct.pack_into("<I", kernel, 16, 0)
        self.assertEqual(zlib.crc32(kernel), stored)

    def test_padded_kernel_moves_the_partition_past_it(self):
        image = self.build("--pad-kernel", "2M")
        size = struct.unpack_from("<I", image, 64 * SECTOR + 12)[0]
        self.assertEqual(size, 2 * MIB)
        lba = struct.unpack_from("<I", image, 454)[0]
        self.assertGreaterEqual(lba, 64 + size // SECTOR)
        self.assertEqual(lba % 2048, 0)
        tail = image[64 * SECTOR + size - 1024:64 * SECTOR + size]
        self.assertNotEqual(tail, bytes(1024), "filler must be non-zero so a short load fails the CRC")

    def test_padding_keeps_bss_zero(self):
        kernel = make_kernel(bss_extra=4096)
        padded = prepare_kernel(kernel, 64 * 1024)
        self.assertEqual(padded[len(kernel):len(kernel) + 4096], bytes(4096))
        self.assertNotEqual(padded[-16:], bytes(16))

    def test_layout_constants_match_boot_layout_inc(self):
        with open(os.path.join(ROOT, "boot", "layout.inc")) as f:
            text = f.read()
        values = {k: int(v, 0) for k, v in re.findall(r"^(\w+)\s+equ\s+(0x[0-9A-Fa-f]+|\d+)", text, re.M)}
        self.assertEqual(values["STAGE2_LBA"], bootlayout.STAGE2_LBA)
        self.assertEqual(values["STAGE2_SECTORS"], bootlayout.STAGE2_SECTORS)
        self.assertEqual(values["STAGE2_CHECKSUM_OFF"], bootlayout.STAGE2_CHECKSUM_OFF)
        self.assertEqual(values["STAGE2_KERNEL_LBA"], bootlayout.STAGE2_KERNEL_LBA)
        self.assertEqual(values["MBR_CODE_LIMIT"], bootlayout.MBR_CODE_LIMIT)
        self.assertEqual(values["KERNEL_ADDR"], bootlayout.KERNEL_LOAD_ADDRESS)
        self.assertLess(values["STAGE2_LBA"] + values["STAGE2_SECTORS"], bootlayout.KERNEL_LBA)

    def test_boot_info_inc_matches_boot_info_h(self):
        with open(os.path.join(ROOT, "kernel", "boot_info.h")) as f:
            header = f.read()
        with open(os.path.join(ROOT, "boot", "boot_info.inc")) as f:
            inc = f.read()
        values = {k: int(v, 0) for k, v in re.findall(r"^(\w+)\s+equ\s+(0x[0-9A-Fa-f]+|\d+)", inc, re.M)}
        for name in ("KERNEL_HEADER_MAGIC", "BOOT_INFO_MAGIC", "BOOT_INFO_MAX_E820"):
            m = re.search(rf"{name}\s*=\s*(0x[0-9A-Fa-f]+|\d+)", header)
            self.assertEqual(int(m.group(1), 0), values[name], name)
        # Field offsets: walk the struct's u32/u64 members in order.
        body = re.search(r"struct \[\[gnu::packed\]\] BootInfo \{(.*?)\};", header, re.S).group(1)
        offset = 0
        for kind, field in re.findall(r"^\s*(u32|u64|E820Entry)\s+(\w+)", body, re.M):
            self.assertEqual(values["BI_" + field.upper()], offset, field)
            offset += {"u32": 4, "u64": 8, "E820Entry": 24}[kind]
        body = re.search(r"struct \[\[gnu::packed\]\] KernelHeader \{(.*?)\};", header, re.S).group(1)
        offset = 0
        for kind, field in re.findall(r"^\s*(u32)\s+(\w+)", body, re.M):
            if field != "reserved":
                self.assertEqual(values["KH_" + field.upper()], offset, field)
            offset += 4

    def test_same_inputs_give_the_same_image(self):
        os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
        try:
            first = self.build("--add", f"{self.readme}=/README.TXT")
            second = self.build("--add", f"{self.readme}=/README.TXT")
        finally:
            del os.environ["SOURCE_DATE_EPOCH"]
        self.assertEqual(first, second)


class FilesystemTest(Workspace):
    def partition(self, image):
        lba = struct.unpack_from("<I", image, 454)[0]
        return image[lba * SECTOR:], lba

    def test_boot_sector_describes_fat16_with_the_label(self):
        part, lba = self.partition(self.build("--label", "testvol"))
        self.assertEqual(part[54:62], b"FAT16   ")
        self.assertEqual(part[43:54], b"TESTVOL    ")
        self.assertEqual(struct.unpack_from("<H", part, 11)[0], 512)
        self.assertEqual(struct.unpack_from("<I", part, 28)[0], lba, "hidden sectors = partition LBA")
        self.assertEqual(part[510:512], b"\x55\xAA")

    def test_root_directory_starts_with_the_volume_label_entry(self):
        part, _ = self.partition(self.build())
        g = Geometry(len(part) // SECTOR)
        root = part[g.root_offset * SECTOR:]
        self.assertEqual(root[:11], b"BAREFLOW   ")
        self.assertEqual(root[11], 0x08)

    def test_geometry_stays_within_fat16_cluster_limits(self):
        for mib in (3, 16, 63, 255, 1023, 2040):
            g = Geometry(mib * MIB // SECTOR)
            self.assertTrue(4085 <= g.clusters <= 65524, (mib, g.clusters))
            self.assertGreaterEqual(g.fat_sectors * SECTOR // 2, g.clusters + 2)

    def test_short_names(self):
        self.assertEqual(short_name("readme.txt"), b"README  TXT")
        self.assertEqual(short_name("MODULES"), b"MODULES    ")
        for bad in ("toolongname.txt", "a.text", "sp ace.txt", "a+b.bfm", ".hidden", "x.", "a.b.c"):
            with self.assertRaises(ImageError, msg=bad):
                short_name(bad)

    def test_files_in_nested_directories_round_trip(self):
        volume = Fat16Volume(8192, 2048)
        volume.add_file("/MODULES/SUM.BFM", b"S" * 5000)
        volume.add_file("/modules/deep/x.bin", b"")
        volume.add_directory("/EMPTY")
        pieces = volume.build()
        g = volume.geometry
        root = pieces[g.root_offset]
        self.assertIn(b"MODULES    \x10", root)
        self.assertIn(b"EMPTY      \x10", root)

    def test_mkdir_option_creates_an_empty_directory(self):
        part, _ = self.partition(self.build("--mkdir", "/MODULES", "--mkdir", "/MODULES"))
        g = Geometry(len(part) // SECTOR)
        root = part[g.root_offset * SECTOR:(g.root_offset + 1) * SECTOR]
        self.assertEqual(root.count(b"MODULES    \x10"), 1, "created once, however often it is named")
        cluster = struct.unpack_from("<H", root, root.index(b"MODULES    \x10") + 26)[0]
        directory = part[g.cluster_sector(cluster) * SECTOR:][:96]
        self.assertEqual(directory[:11], b".          ")
        self.assertEqual(directory[32:43], b"..         ")
        self.assertEqual(directory[64], 0, "nothing after . and ..")

    def test_duplicate_and_file_as_directory_are_refused(self):
        volume = Fat16Volume(8192, 2048)
        volume.add_file("/A.TXT", b"1")
        with self.assertRaisesRegex(ImageError, "given twice"):
            volume.add_file("/a.txt", b"2")
        with self.assertRaisesRegex(ImageError, "is a file, not a directory"):
            volume.add_file("/A.TXT/B.TXT", b"3")

    @unittest.skipUnless(shutil.which("fsck.fat") and shutil.which("mtype"), "dosfstools and mtools needed")
    def test_fsck_and_mtools_accept_a_populated_volume(self):
        big = self.write("BIG.BIN", bytes(range(256)) * 1000)
        image = self.build("--add", f"{self.readme}=/README.TXT", "--add", f"{big}=/MODULES/BIG.BIN",
                           "--add", f"{self.readme}=/MODULES/SUB/NOTE.TXT", "--size", "32M")
        part, lba = self.partition(image)
        part_path = self.write("part.img", part)
        proc = subprocess.run(["fsck.fat", "-n", "-V", part_path], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
        target = f"{os.path.join(self.dir, 'disk.img')}@@{lba * SECTOR}"
        for path, expected in (("::/README.TXT", b"hello from the test\r\n"),
                               ("::/MODULES/BIG.BIN", bytes(range(256)) * 1000),
                               ("::/MODULES/SUB/NOTE.TXT", b"hello from the test\r\n")):
            proc = subprocess.run(["mtype", "-i", target, path], capture_output=True, env=env)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout, expected, path)


class OptionsAndErrorsTest(Workspace):
    def assert_clean_error(self, pattern, *args, base=True):
        code, out, err = self.run_mkimage(*args, base=base)
        self.assertNotEqual(code, 0)
        self.assertNotIn("Traceback", err)
        self.assertRegex(err, pattern)

    def test_help_explains_every_option(self):
        code, out, _ = self.run_mkimage("--help", base=False)
        self.assertEqual(code, 0)
        for option in ("--size", "--stage1", "--stage2", "--kernel", "--add", "--mkdir", "--pad-kernel", "--label", "-o"):
            self.assertIn(option, out)

    def test_size_option_accepts_suffixes(self):
        self.assertEqual(len(self.build("--size", "8M")), 8 * MIB)
        self.assertEqual(len(self.build("--size", "12MiB")), 12 * MIB)

    def test_bad_size(self):
        self.assert_clean_error(r"not a size", "--size", "big")
        self.assert_clean_error(r"multiple of 512", "--size", "1000")

    def test_image_too_small_for_fat16(self):
        self.assert_clean_error(r"FAT16 needs at least 4085", "--size", "2M")

    def test_image_too_large_for_fat16(self):
        self.assert_clean_error(r"at most 65524", "--size", "3G")

    def test_missing_input_file(self):
        self.assert_clean_error(r"cannot read kernel '.*nothere.bin'", "--stage1", self.stage1, "--stage2",
                                self.stage2, "--kernel", os.path.join(self.dir, "nothere.bin"), "-o",
                                os.path.join(self.dir, "x.img"), base=False)

    def test_missing_required_option(self):
        self.assert_clean_error(r"required: .*--kernel", "--stage1", self.stage1, "--stage2", self.stage2,
                                "-o", "x.img", base=False)

    def test_kernel_without_header(self):
        self.kernel = self.write("kernel.bin", b"\x90" * 100)
        self.assert_clean_error(r"does not start with a KernelHeader")

    def test_kernel_entry_outside_image(self):
        kernel = bytearray(make_kernel())
        struct.pack_into("<I", kernel, 20, 0x200000)
        self.kernel = self.write("kernel.bin", bytes(kernel))
        self.assert_clean_error(r"entry 0x200000 is not inside the loaded image")

    def test_stage1_too_big(self):
        self.stage1 = self.write("stage1.bin", b"\xEB\x58\x90" + bytes(440))
        self.assert_clean_error(r"stage1 is 443 bytes; the MBR code area holds 440")

    def test_stage2_too_big_or_wrong(self):
        self.stage2 = self.write("stage2.bin", b"BFS2" + bytes(16384))
        self.assert_clean_error(r"stage2 is 16388 bytes")
        self.stage2 = self.write("stage2.bin", b"XXXX" + bytes(100))
        self.assert_clean_error(r"magic 'BFS2'")

    def test_bad_add_arguments(self):
        self.assert_clean_error(r"HOST_PATH=IMAGE_PATH", "--add", "README.TXT")
        self.assert_clean_error(r"not an 8.3 FAT name", "--add", f"{self.readme}=/averylongname.txt")
        self.assert_clean_error(r"cannot read file to add", "--add", f"{self.dir}/none=/X.TXT")

    def test_bad_label(self):
        self.assert_clean_error(r"volume label", "--label", "much-too-long-label")

    def test_unwritable_output(self):
        self.assert_clean_error(r"cannot write", "-o", os.path.join(self.dir, "no", "such", "dir.img"))


if __name__ == "__main__":
    unittest.main()
