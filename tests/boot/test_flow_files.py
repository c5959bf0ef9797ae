"""Modules that read and write files of the boot volume and print
(docs/flow-language.md, "Files" and "Printing"), and the shell commands
around them: `bind MOD`, `bind MOD.FILE PATH`, `resize MOD.BUF N`. A module
reads a file put on the image, computes, prints and writes a result file;
after poweroff the image's files are read back with flowimg.py (mtools'
view of the volume) and the partition passes fsck.fat.
"""
import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy, repo_root  # noqa: E402
from test_modules import command, result_of  # noqa: E402

FLOWIMG = os.path.join(repo_root(), "tools", "flowimg.py")

SOURCE = """
file INPUT = "/DATA/IN.BIN";
file OUTPUT = "/DATA/OUT.BIN";
file SCRATCH;
buf X: [f32; 4];

// Doubles what it reads, prints the sum of the input and returns the bytes written.
fn scale() -> i32 {
    var n = read_file(INPUT, X, 0, 0, len(X));
    if n < 0 { return n; }
    var s: f32 = 0.0;
    for i in 0..n / 4 { s += X[i]; X[i] = X[i] * 2.0; }
    print_f32(s);
    print_char(10);
    return write_file(OUTPUT, X, 0, n / 4);
}
fn size() -> i32 { return file_size(INPUT); }
fn unbound() -> i32 { return write_file(SCRATCH, X, 0, 1); }
fn count() -> i32 { return len(X); }
fn loop(n: i32) -> i32 { var t = 0; for i in 0..n { t += scale(); } return t; }
"""


def flowimg(*args):
    return subprocess.run([sys.executable, FLOWIMG, *args], check=True, capture_output=True, text=True).stdout


def f32s(values):
    return struct.pack(f"<{len(values)}f", *values)


class FlowFilesAtTheShell(unittest.TestCase):

    def test_a_module_reads_computes_prints_and_writes(self):
        first = [1.5, -2.25, 8.0, 0.125, 100.0]
        second = [0.5 * k for k in range(1, 9)]
        image = make_image_copy()
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "iotest.flow")
            with open(source, "w") as f:
                f.write(SOURCE)
            flowimg("put", image, source)
            for name, values in (("IN.BIN", first), ("IN2.BIN", second)):
                path = os.path.join(tmp, name)
                with open(path, "wb") as f:
                    f.write(f32s(values))
                flowimg("put", image, path, "/DATA/")
        with Qemu(image, timeout=240) as vm:
            vm.wait_prompt(timeout=60)
            listing = command(vm, "bind iotest")
            self.assertIn("IOTEST.INPUT", listing)
            self.assertIn("/DATA/IN.BIN", listing)
            self.assertIn("(not bound)", listing)
            self.assertIn("  file OUTPUT: /DATA/OUT.BIN", command(vm, "mods"))
            self.assertEqual(result_of(command(vm, "run iotest.size")), "20")
            out = command(vm, "run iotest.scale")
            self.assertIn("\n%.9g\n" % sum(first[:4]), "\n" + out)
            self.assertEqual(result_of(out), "16")
            self.assertEqual(result_of(command(vm, "run iotest.unbound")), "-2")
            # Many calls: the functions tier up, and the output stays the same.
            out = command(vm, "run iotest.loop 300")
            self.assertEqual(result_of(out), str(300 * 16))
            self.assertEqual(out.count("%.9g\n" % sum(first[:4])), 300)
            # A buffer sized to the data, and the input rebound.
            self.assertIn("IOTEST.X: 4 -> 8 elements", command(vm, "resize iotest.X 8"))
            self.assertEqual(result_of(command(vm, "run iotest.count")), "8")
            self.assertIn("bind: IOTEST.INPUT -> /data/in2.bin", command(vm, "bind iotest.INPUT /data/in2.bin"))
            out = command(vm, "run iotest.scale")
            self.assertIn("%.9g\n" % sum(second), out)
            self.assertEqual(result_of(out), "32")
            # Refusals that leave the shell working.
            self.assertIn("has no file item 'NOPE'", command(vm, "bind iotest.NOPE /X"))
            self.assertIn("is not a path", command(vm, "bind iotest.SCRATCH relative"))
            self.assertIn("is not an element count", command(vm, "resize iotest.X 0"))
            self.assertRegex(command(vm, "resize iotest.X 16777216"),
                             r"the data pool has \d+ KiB free in one block \(of \d+ KiB; the pools get 60% of free memory\)")
            self.assertEqual(result_of(command(vm, "run iotest.count")), "8")
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(timeout=60), 33)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            flowimg("get", image, "/DATA/OUT.BIN", "-o", out)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), f32s([2 * v for v in second]))
            partition = os.path.join(tmp, "part.img")
            with open(image, "rb") as src, open(partition, "wb") as dst:
                src.seek(2048 * 512)
                dst.write(src.read())
            fsck = subprocess.run(["fsck.fat", "-n", partition], capture_output=True, text=True)
            self.assertEqual(fsck.returncode, 0, fsck.stdout + fsck.stderr)


if __name__ == "__main__":
    unittest.main()
