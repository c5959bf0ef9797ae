"""flowrun with file items: a module reads real files under --root, computes,
writes a result file and prints, with the same bytes at every tier; --bind
and --size change a file item and a buffer from the command line.
Uses $BAREFLOW_BUILD/host/flowrun."""
import os
import struct
import subprocess
import tempfile
import unittest

from flowc_support import compile_text, evaluator
from flowrun_support import FLOWRUN

SOURCE = """
file WEIGHTS = "/DATA/W.BIN";
file OUT;
buf W: [f32; 4];
buf Y: [f32; 2];

// y = W x for a 2 x (n/2) matrix W read from the file, x = (1, 2, 3, ...).
fn main() -> i32 {
    var size = file_size(WEIGHTS);
    if size < 0 { return size; }
    var got = read_file(WEIGHTS, W, 0, 0, len(W));
    if got < 0 { return got; }
    var n = got / 4;
    var cols = n / 2;
    for r in 0..2 {
        var s: f32 = 0.0;
        for c in 0..cols { s += W[r * cols + c] * f32(c + 1); }
        Y[r] = s;
        print_f32(s);
        print_char(10);
    }
    print_i32(size);
    print_char(10);
    return write_file(OUT, Y, 0, 2);
}
"""


@unittest.skipUnless(os.path.exists(FLOWRUN), "flowrun not built")
class FlowrunFiles(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        os.makedirs(os.path.join(self.root, "DATA"))
        self.module = os.path.join(self.root, "MAT.BFM")
        with open(self.module, "wb") as f:
            f.write(compile_text(SOURCE, "MAT")[1])
        self.weights = [0.5, -1.25, 3.0, 0.1, 2.0, 1e-3, -7.5, 0.25]
        with open(os.path.join(self.root, "DATA", "W.BIN"), "wb") as f:
            f.write(struct.pack("<8f", *self.weights))

    def tearDown(self):
        self.tmp.cleanup()

    def run_flowrun(self, *args):
        return subprocess.run([FLOWRUN, self.module, "main", "--root", self.root] + list(args),
                              capture_output=True, text=True, timeout=60)

    def expected(self, rows, cols):
        f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]
        out = []
        for r in range(rows):
            s = 0.0
            for c in range(cols):
                s = f32(s + f32(f32(self.weights[r * cols + c]) * (c + 1)))
            out.append(s)
        return out

    def test_every_tier_reads_computes_writes_and_prints_the_same(self):
        outputs = set()
        for tier in ("0", "1", "2", "auto"):
            r = self.run_flowrun("--tier", tier, "--bind", "OUT=/DATA/Y.BIN")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(self.root, "DATA", "Y.BIN"), "rb") as f:
                y = f.read()
            outputs.add((r.stdout, y))
        self.assertEqual(len(outputs), 1, outputs)
        stdout, y = outputs.pop()
        expected = self.expected(2, 2)  # W holds 4 of the file's 8 floats
        self.assertEqual(y, struct.pack("<2f", *expected))
        self.assertEqual(stdout.splitlines(), ["%.9g" % expected[0], "%.9g" % expected[1], "32", "8"])

    def test_the_reference_evaluator_agrees(self):
        r = self.run_flowrun("--tier", "1", "--bind", "OUT=/Y.BIN")
        self.assertEqual(r.returncode, 0, r.stderr)
        ev = evaluator(SOURCE, "MAT")
        with open(os.path.join(self.root, "DATA", "W.BIN"), "rb") as f:
            ev.files["/DATA/W.BIN"] = f.read()
        ev.paths[1] = "/Y.BIN"
        result = ev.call("main")
        self.assertEqual("".join(ev.console) + "%d\n" % result, r.stdout)
        with open(os.path.join(self.root, "Y.BIN"), "rb") as f:
            self.assertEqual(ev.files["/Y.BIN"], f.read())

    def test_size_gives_the_buffer_room_for_the_whole_file(self):
        r = self.run_flowrun("--tier", "1", "--size", "W=8", "--bind", "OUT=/Y.BIN")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.root, "Y.BIN"), "rb") as f:
            self.assertEqual(f.read(), struct.pack("<2f", *self.expected(2, 4)))

    def test_errors_come_back_as_values(self):
        r = self.run_flowrun()  # OUT is not bound
        self.assertEqual((r.returncode, r.stdout.splitlines()[-1]), (0, "-2"))
        r = self.run_flowrun("--bind", "OUT=/NODIR/Y.BIN")  # the directory must exist
        self.assertEqual((r.returncode, r.stdout.splitlines()[-1]), (0, "-4"))
        r = self.run_flowrun("--bind", "WEIGHTS=/DATA/NONE.BIN")
        self.assertEqual((r.returncode, r.stdout), (0, "-1\n"))
        r = self.run_flowrun("--bind", "WEIGHTS=/../etc/passwd")  # nothing outside the root
        self.assertEqual((r.returncode, r.stdout), (0, "-1\n"))

    def test_bad_options_are_usage_errors(self):
        for args in (["--bind", "NOPE=/X"], ["--bind", "OUT=relative"], ["--bind", "OUT"],
                     ["--size", "Q=4"], ["--size", "W=0"], ["--size", "W=16777217"], ["--root"]):
            r = self.run_flowrun(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.startswith("flowrun: "), r.stderr)


if __name__ == "__main__":
    unittest.main()
