"""tools/flowimg.py and tools/fatimage/volume.py: swapping modules on images.

Every image is judged by outside tools: fsck.fat -n after each command, and
mtools (mdir, mtype, mcopy with IMG@@OFFSET) for what is on it. Images come
from tools/mkimage.py (MBR + FAT16 partition), from mkfs.fat (partitionless,
and inside a hand-made MBR), with long-named files copied in by mcopy. A
power-loss test replays every prefix of a command's writes and asks fsck.fat
and the reader for at worst lost clusters and the old or the new file.
"""
import contextlib
import hashlib
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
from unittest import mock

ROOT = os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import flowimg  # noqa: E402
from fatimage import volume as volume_module  # noqa: E402
from fatimage.volume import NoSpaceError, Volume  # noqa: E402

FLOWIMG = os.path.join(ROOT, "tools", "flowimg.py")
FLOWC = os.path.join(ROOT, "tools", "flowc.py")
MKIMAGE = os.path.join(ROOT, "tools", "mkimage.py")
SECTOR = 512
TOOLS = all(shutil.which(t) for t in ("fsck.fat", "mkfs.fat", "mdir", "mtype", "mcopy", "mmd"))
MTOOLS_ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", MTOOLS_NO_VFAT="0", TZ="UTC")
# fsck.fat -n messages that a cut may leave and that lose nothing the user
# had: clusters marked used that nothing reaches, FAT copies caught between
# writes, the dirty bit.
BENIGN_FSCK = ("FATs differ but appear to be intact", "Using first FAT", "Dirty bit is set",
               "Automatically removing dirty bit", "Leaving filesystem unchanged", "Reclaimed",
               "unused cluster", "Checking for unused clusters", "Free cluster summary wrong",
               "Fs was not properly unmounted")

FIB_V2 = """fn fib_iter(n: i32) -> i32 {
    return n + 1000;
}
"""


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, env=MTOOLS_ENV, **kw)


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def flowimg_in_process(args):
    """flowimg.main() with captured output: the machine is shared, and a
    Python start per command would cost more than the commands themselves.
    An exception escaping main() fails the test, as a traceback would."""
    out_bytes, err = io.BytesIO(), io.StringIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = flowimg.main(list(args))
        except SystemExit as e:      # argparse: usage errors and --help
            code = e.code
    out.flush()
    return Result(code, out_bytes.getvalue().decode("utf-8", "replace"), err.getvalue())


@unittest.skipUnless(TOOLS, "needs dosfstools (fsck.fat, mkfs.fat) and mtools")
class ImageCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="bareflow-flowimg-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    # --- making images ---------------------------------------------------------

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(self.path(name), mode) as f:
            f.write(data)
        return self.path(name)

    def compiled(self, source, name):
        out = self.path(name + ".BFM")
        subprocess.run([sys.executable, FLOWC, source, "-o", out, "--name", name], check=True)
        with open(out, "rb") as f:
            return out, f.read()

    def mkimage(self, size="6M", adds=()):
        stage1 = self.write("stage1.bin", b"\xEB\x58\x90" + b"\x00" * 87 + b"\xFA\xF4" * 20)
        stage2 = self.write("stage2.bin", b"BFS2" + b"\x00" * 12 + b"\xF4" * 900)
        header = struct.pack("<8I", 0x4E4B4642, 1, 32, 0, 0, 0x100000 + 32, 0x100000 + 0x200, 0)
        kernel = self.write("kernel.bin", header + b"\x90" * 64)
        readme = self.write("README.TXT", "hello from the image\r\n")
        args = [sys.executable, MKIMAGE, "--stage1", stage1, "--stage2", stage2, "--kernel", kernel,
                "--size", size, "--add", f"{readme}=/README.TXT", "-o", self.path("disk.img")]
        for host, image_path in adds:
            args += ["--add", f"{host}={image_path}"]
        subprocess.run(args, check=True, capture_output=True)
        return self.path("disk.img"), 2048 * SECTOR

    def mkfs(self, kib=8192, name="vol.img", *extra):
        """Small volumes keep the many fsck.fat runs cheap; one sector per
        cluster keeps a small FAT16 above its 4085-cluster minimum."""
        img = self.path(name)
        if extra[:2] == ("-F", "16") and "-s" not in extra:
            extra += ("-s", "1")
        subprocess.run(["mkfs.fat", "-C", *extra, img, str(kib)], check=True, capture_output=True)
        return img

    def mkfs_in_mbr(self, kib=8192, lba=2048, ptype=0x06):
        """A hand-made MBR (one partition of type `ptype`) around a mkfs.fat volume."""
        part = self.mkfs(kib, "part.img", "-F", "16", "-n", "HANDMADE", "-h", str(lba))
        with open(part, "rb") as f:
            body = f.read()
        mbr = bytearray(SECTOR)
        mbr[446:462] = struct.pack("<B3sB3sII", 0x80, b"\0\0\0", ptype, b"\0\0\0", lba, len(body) // SECTOR)
        mbr[510:512] = b"\x55\xAA"
        img = self.path("mbr.img")
        with open(img, "wb") as f:
            f.write(mbr)
            f.seek(lba * SECTOR)
            f.write(body)
        return img, lba * SECTOR

    # --- judges ----------------------------------------------------------------

    def flowimg(self, *args, expect=0):
        p = flowimg_in_process(args)
        self.assertEqual(p.returncode, expect, f"flowimg {args}: {p.stdout}{p.stderr}")
        return p

    def fsck_output(self, img, offset):
        if offset:
            with open(img, "rb") as f:
                f.seek(offset)
                part = self.write("fsck-part.img", f.read())
        else:
            part = img
        return run(["fsck.fat", "-n", part])

    def assert_fsck_clean(self, img, offset):
        p = self.fsck_output(img, offset)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("Dirty", p.stdout)

    def mtools(self, tool, img, offset, *args, check=True):
        p = run([tool, "-i", f"{img}@@{offset}", *args])
        if check:
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p

    def mtype(self, img, offset, path):
        p = subprocess.run(["mtype", "-i", f"{img}@@{offset}", "::" + path], capture_output=True,
                           env=MTOOLS_ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def digest(self, img):
        with open(img, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()


class PutTest(ImageCase):
    def test_put_flow_compiles_into_modules_of_a_mkimage_image(self):
        img, off = self.mkimage()
        _, expected = self.compiled(os.path.join(ROOT, "modules", "fib.flow"), "FIB")
        p = self.flowimg("put", img, os.path.join(ROOT, "modules", "fib.flow"))
        self.assertIn("added /MODULES/FIB.BFM", p.stdout)
        self.assert_fsck_clean(img, off)
        self.assertEqual(self.mtype(img, off, "/MODULES/FIB.BFM"), expected)
        self.assertEqual(self.mtype(img, off, "/README.TXT"), b"hello from the image\r\n")

    def test_put_replaces_the_module_and_frees_the_old_chain(self):
        old_bfm, old = self.compiled(os.path.join(ROOT, "modules", "fib.flow"), "FIB")
        img, off = self.mkimage(adds=[(old_bfm, "/MODULES/FIB.BFM")])
        with Volume(img) as v:
            free_before = v.free_bytes()
        src = self.write("fib.flow", FIB_V2)
        _, new = self.compiled(src, "FIB")
        self.assertNotEqual(old, new)
        p = self.flowimg("put", img, src)
        self.assertIn("replaced /MODULES/FIB.BFM", p.stdout)
        self.assert_fsck_clean(img, off)
        self.assertEqual(self.mtype(img, off, "/MODULES/FIB.BFM"), new)
        listing = self.mtools("mdir", img, off, "-b", "::/MODULES").stdout.split()
        self.assertEqual([n for n in listing if "FIB" in n.upper()], ["::/MODULES/FIB.BFM"])
        with Volume(img) as v:
            self.assertEqual(v.free_bytes(), free_before)

    def test_put_a_compiled_module_checks_and_copies_it(self):
        img = self.mkfs(8192, "vol.img", "-F", "16")
        bfm, data = self.compiled(os.path.join(ROOT, "modules", "gcd.flow"), "GCD")
        self.flowimg("put", img, bfm)
        self.assert_fsck_clean(img, 0)
        self.assertEqual(self.mtype(img, 0, "/MODULES/GCD.BFM"), data)

    def test_put_refuses_files_that_are_not_modules(self):
        img, off = self.mkimage()
        before = self.digest(img)
        bfm, data = self.compiled(os.path.join(ROOT, "modules", "gcd.flow"), "GCD")
        cases = {
            "TEXT.BFM": (b"just some text, not a module\n", "not a BareFlow module"),
            "CRC.BFM": (data[:-1] + bytes((data[-1] ^ 0x40,)), "CRC-32 does not match"),
            "SHORT.BFM": (data[:-8], "damaged module"),
            "TINY.BFM": (data[:60], "truncated module"),
        }
        for name, (content, message) in cases.items():
            with self.subTest(name=name):
                p = self.flowimg("put", img, self.write(name, content), expect=1)
                self.assertIn(message, p.stderr)
        p = self.flowimg("put", img, self.write("gcd.txt", data), expect=1)
        self.assertIn("NAME.BFM", p.stderr)
        self.assertEqual(self.digest(img), before, "a refused put changed the image")

    def test_put_warns_when_another_file_holds_a_module_of_the_same_name(self):
        fib_bfm, _ = self.compiled(os.path.join(ROOT, "modules", "fib.flow"), "FIB")
        img, off = self.mkimage(adds=[(fib_bfm, "/MODULES/FIB.BFM")])
        other, data = self.compiled(os.path.join(ROOT, "modules", "gcd.flow"), "FIB")
        renamed = self.write("OTHER.BFM", data)
        p = self.flowimg("put", img, renamed)
        self.assertIn("the module inside OTHER.BFM is named FIB", p.stderr)
        self.assertIn("/MODULES/FIB.BFM also holds a module named FIB", p.stderr)
        self.assertEqual(self.mtype(img, off, "/MODULES/OTHER.BFM"), data)
        again = self.flowimg("put", img, os.path.join(ROOT, "modules", "fib.flow"))
        self.assertIn("/MODULES/OTHER.BFM also holds a module named FIB", again.stderr)
        self.assertNotIn("note:", again.stderr)
        self.assert_fsck_clean(img, off)

    def test_compile_errors_print_as_flowc_prints_them(self):
        img, _ = self.mkimage()
        before = self.digest(img)
        src = self.write("bad.flow", "fn f() -> i32 {\n    return x;\n}\n")
        p = self.flowimg("put", img, src, expect=1)
        flowc = run([sys.executable, FLOWC, src, "-o", self.path("out.bfm")])
        self.assertEqual(flowc.returncode, 1)
        self.assertEqual(p.stderr, flowc.stderr)
        self.assertIn(f"{src}:2:12: undefined name 'x'", p.stderr)
        self.assertEqual(self.digest(img), before)

    def test_put_creates_the_modules_directory_on_a_plain_volume(self):
        img, off = self.mkfs_in_mbr()
        self.flowimg("put", img, os.path.join(ROOT, "modules", "sum.flow"))
        self.assert_fsck_clean(img, off)
        self.assertIn("SUM", self.mtools("mdir", img, off, "::/MODULES").stdout)

    def test_a_full_directory_grows_by_a_cluster(self):
        img = self.mkfs(4096, "vol.img", "-F", "16", "-s", "1")   # 16 entries per cluster
        with Volume(img, writable=True) as v:
            for i in range(40):
                v.write_file(f"/MODULES/M{i}.BFM", bytes([i]) * (100 + i), create_dirs=True)
        self.assert_fsck_clean(img, 0)
        names = self.mtools("mdir", img, 0, "-b", "::/MODULES").stdout.split()
        self.assertEqual(len(names), 40)
        self.assertEqual(self.mtype(img, 0, "/MODULES/M39.BFM"), bytes([39]) * 139)


@unittest.skipUnless(shutil.which("make"), "needs make")
class MakeSwapTest(ImageCase):
    def make(self, *args):
        return run(["make", "-s", "--no-print-directory", "-C", ROOT, f"BUILD={self.dir}", "swap", *args])

    def test_make_swap_puts_the_module_on_the_existing_image_without_rebuilding_it(self):
        img, off = self.mkimage()
        os.rename(img, self.path("bareflow.img"))
        img = self.path("bareflow.img")
        p = self.make("MOD=modules/gcd.flow")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("added /MODULES/GCD.BFM", p.stdout)
        self.assertNotIn("mkimage", p.stdout + p.stderr)
        self.assert_fsck_clean(img, off)
        _, expected = self.compiled(os.path.join(ROOT, "modules", "gcd.flow"), "GCD")
        self.assertEqual(self.mtype(img, off, "/MODULES/GCD.BFM"), expected)
        self.assertEqual(self.mtype(img, off, "/README.TXT"), b"hello from the image\r\n")

    def test_make_swap_without_a_module_says_how(self):
        for args, message in (((), "make swap MOD=modules/fib.flow"),
                              (("MOD=modules/nothing.flow",), "MOD=modules/nothing.flow: no such file")):
            with self.subTest(args=args):
                p = self.make(*args)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(message, p.stderr)
        self.assertFalse(os.path.exists(self.path("bareflow.img")), "a failed swap built an image")


class ReadTest(ImageCase):
    def long_named_image(self):
        img, off = self.mkfs_in_mbr()
        src = self.write("A rather long file name.txt", "long-named content\n")
        self.mtools("mmd", img, off, "::/Deep Directory")
        self.mtools("mcopy", img, off, src, "::/Deep Directory/")
        self.mtools("mcopy", img, off, src, "::/")
        return img, off

    def test_ls_shows_long_names_sizes_and_dates(self):
        img, off = self.long_named_image()
        out = self.flowimg("ls", img, "/deep directory").stdout
        line = next(l for l in out.splitlines() if "A rather long file name.txt" in l)
        self.assertRegex(line, r"^ARATHE~1\.TXT\s+19\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+A rather long file name\.txt$")
        # The same date and time as mtools reads from the entry.
        mdir = self.mtools("mdir", img, off, "::/Deep Directory").stdout
        mline = next(l for l in mdir.splitlines() if "A rather long file name.txt" in l)
        date, hour, minute = re.search(r"(\d{4}-\d\d-\d\d)\s+(\d\d?):(\d\d)", mline).groups()
        self.assertIn(f"  {date} {int(hour):02}:{minute}  ", line)    # mdir drops the hour's leading 0
        root = self.flowimg("ls", img).stdout
        self.assertIn("HANDMADE", root)
        self.assertRegex(root, r"DEEPDI~1\s+<DIR>.*Deep Directory")

    def test_get_by_long_name_alias_or_any_case(self):
        img, off = self.long_named_image()
        for path in ("/Deep Directory/A rather long file name.txt", "/DEEPDI~1/ARATHE~1.TXT",
                     "/deep directory/a RATHER long FILE name.TXT"):
            with self.subTest(path=path):
                self.assertEqual(self.flowimg("get", img, path).stdout, "long-named content\n")
        self.flowimg("get", img, "/Deep Directory/A rather long file name.txt", "-o", self.path("out.txt"))
        with open(self.path("out.txt")) as f:
            self.assertEqual(f.read(), "long-named content\n")

    def test_rm_removes_a_long_named_file_and_its_chain(self):
        img, off = self.long_named_image()
        with Volume(img) as v:
            free_before = v.free_bytes()
        self.flowimg("rm", img, "/Deep Directory/a rather long file name.txt")
        self.assert_fsck_clean(img, off)
        self.assertNotIn("rather", self.mtools("mdir", img, off, "::/Deep Directory").stdout)
        self.assertIn("rather", self.mtools("mdir", img, off, "::/").stdout)
        with Volume(img) as v:
            self.assertEqual(v.free_bytes(), free_before + v.bpb.cluster_bytes)

    def test_missing_paths_are_clear_errors(self):
        img, off = self.mkimage()
        self.mtools("mmd", img, off, "::/MODULES")
        before = self.digest(img)
        for args, message in ((("get", img, "/NOPE/X.BFM"), "'/NOPE': no such file or directory"),
                              (("ls", img, "/MODULES/NONE"), "'/MODULES/NONE': no such file or directory"),
                              (("rm", img, "/README.TXT/X"), "is a file, not a directory"),
                              (("rm", img, "/MODULES"), "only files can be removed"),
                              (("rm", img, "/GONE.BFM"), "no such file")):
            with self.subTest(args=args[0]):
                self.assertIn(message, self.flowimg(*args, expect=1).stderr)
        self.assertEqual(self.digest(img), before)


# A specialised function: its generic code, its specialised code, and the
# values folded in (docs/snapshot-format.md, version 3).
SPECIALISED = (b"\x31\xc0\xc3", b"\x83\x38\x19\x90\xc3", 0b1, (25, 0, 0, 0))


def make_snapshot(module_hash, functions=((5, 2, b"\x90\xc3"), (100, 1, b"\x31\xc0\xc3"), (3, 0, None),
                                          (300, 2, SPECIALISED)),
                  cpu_features=0x10067, boot_count=4, name=b"FIB", version=3):
    """A snapshot laid out as docs/snapshot-format.md says (version 3, or
    2): header, regions (no buffers), function records, code entries. A
    function's code is None, its bytes, or SPECIALISED's shape (version 3)."""
    records, entries = b"", b""

    def entry(index, tier, kind, code):
        relocation = struct.pack("<IHHI", 0, 0, 0, 0x101000)
        if version == 2:
            head = struct.pack("<IBB2xII", index, tier, 1, len(code), 1)
        else:
            head = struct.pack("<IBBBxII", index, tier, 1, kind, len(code), 1)
        return head + relocation + code + bytes(-len(code) % 4)

    codes = 0
    for index, (calls, tier, code) in enumerate(functions):
        specialised = isinstance(code, tuple)
        count = 0 if code is None else 2 if specialised else 1
        codes += count
        if version == 2:
            records += struct.pack("<IIBBHI", calls, 0, tier, count, 1, 0)
        else:
            mask, values = (code[2], code[3]) if specialised else (0, (0, 0, 0, 0))
            arguments = (25, 280, 1) + (0, 0, 0) * 3
            records += struct.pack("<IIBBHBBH4iQIIII" + "iII" * 4, calls, 0, tier, count, 1, int(specialised), mask, 0,
                                   *values, 7 if specialised else 0, int(specialised), 0, 0, 0, *arguments)
        if specialised:
            entries += entry(index, tier, 1, code[0]) + entry(index, tier, 2, code[1])
        elif code is not None:
            entries += entry(index, tier, 0, code)
    regions = struct.pack("<8I", 0x200000, 0x2c0, 4096, 256, 16, 0, 0, 0)
    profiles = 96 + len(regions)
    code_at = profiles + len(records)
    size = code_at + len(entries)
    header = struct.pack("<4sHHIIQQII20sIIIIII12s", b"SNAP", version, 96, size, 0, module_hash, 0x1234ABCD5678EF00,
                         cpu_features, boot_count, name, len(functions), codes, 0, 96, profiles, code_at, bytes(12))
    data = bytearray(header + regions + records + entries)
    struct.pack_into("<I", data, 12, zlib.crc32(bytes(data)) & 0xFFFFFFFF)
    return bytes(data)


class SnapshotTest(ImageCase):
    def test_snapshots_shows_key_integrity_and_whether_the_module_still_matches(self):
        fib_bfm, fib = self.compiled(os.path.join(ROOT, "modules", "fib.flow"), "FIB")
        img, off = self.mkimage(adds=[(fib_bfm, "/MODULES/FIB.BFM")])
        self.assertIn("no snapshots", self.flowimg("snapshots", img).stdout)
        fib_hash = struct.unpack_from("<Q", fib, 32)[0]
        good = make_snapshot(fib_hash)
        flipped = bytearray(good)
        flipped[-2] ^= 0x01
        self.mtools("mmd", img, off, "::/JIT")
        for name, data in (("FIB.SNP", good), ("GCD.SNP", make_snapshot(fib_hash, name=b"GCD")),
                           ("OLD.SNP", make_snapshot(fib_hash, functions=((9, 1, b"\x90\xc3"),), version=2)),
                           ("BAD.SNP", b"JUNKJUNK"), ("CUT.SNP", good[:100]), ("FLIP.SNP", bytes(flipped)),
                           ("BOOT.CNT", b"7")):
            self.mtools("mcopy", img, off, self.write(name, data), "::/JIT/" + name)
        self.mtools("mcopy", img, off, self.write("BOOTCNT.TXT", b"12\n"), "::/BOOTCNT.TXT")
        out = self.flowimg("snapshots", img).stdout
        blocks = {b.split()[0]: b for b in ("\n" + out).split("\n/JIT/")[1:]}
        self.assertIn("boot count 12 (/BOOTCNT.TXT)", out)
        self.assertEqual(sorted(blocks), ["BAD.SNP", "CUT.SNP", "FIB.SNP", "FLIP.SNP", "GCD.SNP", "OLD.SNP"])
        fib_block = blocks["FIB.SNP"]
        self.assertRegex(fib_block, rf"^FIB\.SNP\s+{len(good)} bytes")
        for pattern in (r"module_name\s+FIB", rf"module_hash\s+{fib_hash:#018x}", r"jit_version\s+0x1234abcd5678ef00",
                        r"cpu_features\s+0x10067 \(SSE3 SSSE3 SSE4.1 AVX AVX2 AVX-state\)", r"boot_count\s+4",
                        r"checksum\s+CRC-32 matches", r"functions\s+4 \(2 at tier 2, 1 at tier 1, 1 at tier 0\)",
                        r"code\s+4 entries, 13 bytes of machine code", r"module\s+matches /MODULES/FIB.BFM",
                        # Named from the matching module (FIB.BFM has 3 functions;
                        # an index past them stays a number).
                        r"entry\s+fib_iter: tier 2 sse2, 2 bytes, 1 relocation\n",
                        r"entry\s+fib_rec: tier 1 sse2, 3 bytes, 1 relocation\n",
                        r"entry\s+function 3: tier 2 sse2 generic, 3 bytes, 1 relocation\n",
                        r"entry\s+function 3: tier 2 sse2 specialised, 5 bytes, 1 relocation, spec arg0=25, "
                        r"guard failures 7, 1 compiled, 0 re-specialised, back-offs 0\n"):
            self.assertRegex(fib_block, pattern)
        self.assertNotIn("format ", fib_block)
        # Version 2 is still read (the kernel ignores it and rewrites it).
        for pattern in (r"format_version\s+2\n", r"format\s+version 2: the kernel reads version 3 only",
                        r"checksum\s+CRC-32 matches", r"code\s+1 entries, 2 bytes of machine code",
                        r"entry\s+function 0: tier 1 sse2, 2 bytes, 1 relocation\n"):
            self.assertRegex(blocks["OLD.SNP"], pattern)
        self.assertIn("not a snapshot", blocks["BAD.SNP"])
        self.assertIn("truncated", blocks["CUT.SNP"])
        self.assertIn("CRC-32 mismatch", blocks["FLIP.SNP"])
        self.assertIn("no /MODULES/GCD.BFM", blocks["GCD.SNP"])

        # A swap makes the snapshot stale, and the listing says so.
        self.flowimg("put", img, self.write("fib.flow", FIB_V2))
        self.assertIn("stale: /MODULES/FIB.BFM is now", self.flowimg("snapshots", img).stdout)


class RefusalTest(ImageCase):
    def test_the_command_line_exits_with_a_message_not_a_traceback(self):
        for args, code, message in ((("ls", self.path("nothing.img")), 1, "flowimg: error: cannot open image"),
                                    (("put",), 2, "usage: flowimg.py put"),
                                    (("get", self.write("junk.img", b"\x01" * 4096), "/X"), 1,
                                     "not a FAT16 disk image")):
            with self.subTest(args=args):
                p = run([sys.executable, FLOWIMG, *args])
                self.assertEqual(p.returncode, code)
                self.assertIn(message, p.stderr)
                self.assertNotIn("Traceback", p.stderr)

    def test_an_image_locked_by_another_program_is_left_alone(self):
        # QEMU locks the images it runs (OFD locks, which conflict with lockf).
        img, _ = self.mkimage()
        before = self.digest(img)
        holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time\n"
                                   "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
                                   "fcntl.lockf(fd, fcntl.LOCK_SH)\nprint('locked', flush=True)\n"
                                   "time.sleep(60)\n", img], stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(holder.stdout.readline().strip(), "locked")
            p = self.flowimg("put", img, os.path.join(ROOT, "modules", "fib.flow"), expect=1)
            self.assertIn("is in use (is QEMU running on it?)", p.stderr)
            self.flowimg("ls", img)          # reading does not need the lock
        finally:
            holder.kill()
            holder.wait()
            holder.stdout.close()
        self.assertEqual(self.digest(img), before)

    def test_missing_image(self):
        p = self.flowimg("ls", self.path("nothing.img"), expect=1)
        self.assertIn("cannot open image", p.stderr)
        self.assertIn("No such file", p.stderr)

    def test_images_that_are_not_fat16(self):
        fat12 = self.mkfs(2048, "fat12.img", "-F", "12")
        fat32 = self.mkfs(70000, "fat32.img", "-F", "32", "-s", "1")
        junk = self.write("junk.img", bytes(range(256)) * 64)
        linux, _ = self.mkfs_in_mbr(ptype=0x83)
        for img, message in ((fat12, "FAT12"), (fat32, "not FAT16"), (junk, "not a FAT16 disk image"),
                             (self.write("tiny.img", b"x" * 100), "too small"),
                             (linux, "no FAT16 partition")):
            with self.subTest(img=os.path.basename(img)):
                self.assertIn(message, self.flowimg("ls", img, expect=1).stderr)
                self.flowimg("put", img, os.path.join(ROOT, "modules", "fib.flow"), expect=1)

    def test_corrupt_boot_sectors(self):
        base = self.mkfs(8192, "vol.img", "-F", "16")
        with open(base, "rb") as f:
            good = f.read()
        for name, offset, value, message in (("bps", 11, struct.pack("<H", 1024), "512"),
                                             ("spc", 13, b"\x03", "power of two"),
                                             ("fats", 16, b"\x03", "3 FATs"),
                                             ("root", 17, struct.pack("<H", 0), "root directory"),
                                             ("sig", 510, b"\x00\x00", "55AA")):
            with self.subTest(field=name):
                bad = bytearray(good)
                bad[offset:offset + len(value)] = value
                img = self.write(f"{name}.img", bytes(bad))
                self.assertIn(message, self.flowimg("ls", img, expect=1).stderr)
        img = self.write("cut.img", good[:len(good) // 2])
        self.assertIn("truncated", self.flowimg("ls", img, expect=1).stderr)

    def test_full_disk_changes_nothing(self):
        img = self.mkfs(2200, "small.img", "-F", "16", "-s", "1")
        with Volume(img, writable=True) as v:
            v.write_file("/FILLER.BIN", b"\xAA" * (v.free_bytes() - 600))
        before = self.digest(img)
        p = self.flowimg("put", img, os.path.join(ROOT, "modules", "matmul.flow"), expect=1)
        self.assertIn("the disk is full", p.stderr)
        self.assertEqual(self.digest(img), before)
        self.assert_fsck_clean(img, 0)

    def test_a_replace_that_does_not_fit_beside_the_old_copy_keeps_it(self):
        img = self.mkfs(2200, "small.img", "-F", "16", "-s", "1")
        with Volume(img, writable=True) as v:
            v.write_file("/MODULES/BIG.BFM", b"o" * 600 * 1024, create_dirs=True)
            v.write_file("/FILLER.BIN", b"\xAA" * (v.free_bytes() - 500 * 1024))
            with self.assertRaisesRegex(NoSpaceError, "written beside the old copy"):
                v.write_file("/MODULES/BIG.BFM", b"n" * 600 * 1024)
        self.assert_fsck_clean(img, 0)
        self.assertEqual(self.mtype(img, 0, "/MODULES/BIG.BFM"), b"o" * 600 * 1024)

    def test_full_root_directory(self):
        img = self.mkfs(8192, "vol.img", "-F", "16", "-r", "16")
        with Volume(img, writable=True) as v:
            slots = v.bpb.root_entries
            written = 0
            with self.assertRaisesRegex(NoSpaceError, "root directory is full"):
                for i in range(slots + 1):
                    v.write_file(f"/F{i}.TXT", b"x")
                    written += 1
        self.assertGreaterEqual(written, slots - 1)    # a label entry may take a slot
        self.assert_fsck_clean(img, 0)
        self.assertEqual(len(self.mtools("mdir", img, 0, "-b", "::/").stdout.split()), written)

    def test_usage_errors_and_help(self):
        img, _ = self.mkimage()
        for args in ((), ("put", img), ("frobnicate", img), ("get", img), ("ls",)):
            with self.subTest(args=args):
                p = self.flowimg(*args, expect=2)
                self.assertIn("usage:", p.stderr)
        for command in ("put", "ls", "get", "rm", "snapshots"):
            with self.subTest(command=command):
                self.assertIn(f"usage: flowimg.py {command}", self.flowimg(command, "--help").stdout)
        p = self.flowimg("put", img, self.path("missing.flow"), expect=1)
        self.assertIn("cannot read", p.stderr)
        p = self.flowimg("put", img, self.write("x.bfm", b"BFM\x1a" + bytes(20)), expect=1)
        self.assertIn("truncated module", p.stderr)


class CleanBitTest(ImageCase):
    def fat1(self, img):
        with Volume(img) as v:
            words = []
            for copy in range(v.bpb.fat_count):
                offset = v._offset(v.bpb.fat_offset + copy * v.bpb.fat_sectors) + 2
                words.append(struct.unpack("<H", os.pread(v.fd, 2, offset))[0])
            return words

    def test_every_fat_copy_is_written_and_one_fat_volumes_work(self):
        for fats in ("2", "1"):
            with self.subTest(fats=fats):
                img = self.mkfs(8192, f"fats{fats}.img", "-F", "16", "-f", fats)
                self.flowimg("put", img, os.path.join(ROOT, "modules", "fib.flow"))
                self.flowimg("put", img, os.path.join(ROOT, "modules", "gcd.flow"))
                self.flowimg("rm", img, "/MODULES/FIB.BFM")
                self.assert_fsck_clean(img, 0)
                with Volume(img) as v:
                    b = v.bpb
                    copies = {os.pread(v.fd, b.fat_sectors * SECTOR, v._offset(b.fat_offset + i * b.fat_sectors))
                              for i in range(b.fat_count)}
                    self.assertEqual(b.fat_count, int(fats))
                self.assertEqual(len(copies), 1, "the FAT copies differ")
                self.assertIn("GCD", self.mtools("mdir", img, 0, "::/MODULES").stdout)

    def test_a_clean_volume_stays_clean_and_a_dirty_one_stays_dirty(self):
        img = self.mkfs(8192, "vol.img", "-F", "16")
        self.flowimg("put", img, os.path.join(ROOT, "modules", "fib.flow"))
        self.assertTrue(all(w & 0x8000 for w in self.fat1(img)))
        with Volume(img, writable=True) as v:
            for copy in range(v.bpb.fat_count):
                offset = v._offset(v.bpb.fat_offset + copy * v.bpb.fat_sectors) + 2
                os.pwrite(v.fd, struct.pack("<H", v.fat[1] & 0x7FFF), offset)
        self.flowimg("put", img, os.path.join(ROOT, "modules", "gcd.flow"))
        self.assertFalse(any(w & 0x8000 for w in self.fat1(img)))
        self.assertIn("Dirty bit", self.fsck_output(img, 0).stdout)


class PowerLossTest(ImageCase):
    """Every prefix of a command's writes, as a power cut would leave it."""

    def replay(self, img, offset, action, check):
        with open(img, "rb") as f:
            original = f.read()
        writes = []
        real = os.pwrite

        def recording(fd, data, at):
            writes.append((bytes(data), at))
            return real(fd, data, at)
        with mock.patch.object(volume_module.os, "pwrite", recording):
            action(img)
        self.assertGreater(len(writes), 4)
        for cut in range(len(writes) + 1):
            state = bytearray(original)
            for data, at in writes[:cut]:
                state[at:at + len(data)] = data
            cut_img = self.write("cut.img", bytes(state))
            p = self.fsck_output(cut_img, offset)
            problems = [l for l in p.stdout.splitlines()[1:] if l.strip() and not l.startswith(os.path.dirname(cut_img))
                        and not any(b in l for b in BENIGN_FSCK)]
            self.assertEqual(problems, [], f"after {cut} of {len(writes)} writes:\n{p.stdout}")
            with Volume(cut_img) as v:
                check(v, cut)

    def test_replacing_a_module_leaves_old_or_new(self):
        old_bfm, old = self.compiled(os.path.join(ROOT, "modules", "matmul.flow"), "FIB")
        img, off = self.mkimage(adds=[(old_bfm, "/MODULES/FIB.BFM")])
        new = b"N" * 5000

        def check(v, cut):
            self.assertIn(v.read_file("/MODULES/FIB.BFM"), (old, new), f"cut after {cut} writes")
            self.assertEqual(v.read_file("/README.TXT"), b"hello from the image\r\n")
        def replace(p):
            with Volume(p, writable=True) as v:
                v.write_file("/MODULES/FIB.BFM", new)
        self.replay(img, off, replace, check)

    def test_new_file_in_a_growing_directory_and_delete(self):
        img = self.mkfs(4096, "vol.img", "-F", "16", "-s", "1")
        with Volume(img, writable=True) as v:
            for i in range(14):      # . and .. + 14 fill the 16-slot cluster
                v.write_file(f"/MODULES/M{i}.BFM", b"m" * 700, create_dirs=True)

        def add(p):
            with Volume(p, writable=True) as v:
                v.write_file("/MODULES/NEW.BFM", b"n" * 1500)
                v.remove("/MODULES/M3.BFM")

        def check(v, cut):
            names = {e.short_name for e in v.list("/MODULES")}
            if "NEW.BFM" in names:
                self.assertEqual(v.read_file("/MODULES/NEW.BFM"), b"n" * 1500)
            for i in range(14):
                if i != 3 or "M3.BFM" in names:
                    self.assertEqual(v.read_file(f"/MODULES/M{i}.BFM"), b"m" * 700)
        self.replay(img, 0, add, check)


if __name__ == "__main__":
    unittest.main()
