"""Data in and out of modules at the shell: `load MOD.BUF FILE [OFFSET]`
fills a buffer from a file, `run` passes buffers as view arguments (so DOT,
RELU, SAXPY, SCALE and MATMUL run as shipped), and `save MOD.BUF FILE
[COUNT]` writes a buffer back. The files go on the image with
`flowimg.py put IMAGE FILE DEST` and come back with `flowimg.py get`.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qemu, make_image_copy, repo_root  # noqa: E402
from test_modules import command, result_of  # noqa: E402

N = 4096
FLOWIMG = os.path.join(repo_root(), "tools", "flowimg.py")


def f32s(values):
    return struct.pack(f"<{len(values)}f", *values)


def flowimg(*args):
    return subprocess.run([sys.executable, FLOWIMG, *args], check=True, capture_output=True, text=True).stdout


class BuffersAtTheShell(unittest.TestCase):

    def test_load_run_with_views_and_save(self):
        # Multiples of 1/4 and 1/2: every product and partial sum is exact,
        # so the answer does not depend on the tier or the order.
        x = [((i % 7) - 3) * 0.25 for i in range(N)]
        y = [((i % 5) - 2) * 0.5 for i in range(N)]
        n = 64
        ma = [((i % 9) - 4) * 0.5 for i in range(n * n)]
        mb = [((i % 11) - 5) * 0.25 for i in range(n * n)]
        image = make_image_copy()
        with tempfile.TemporaryDirectory() as tmp:
            for name, values in (("X.BIN", x), ("Y.BIN", y), ("MA.BIN", ma), ("MB.BIN", mb)):
                path = os.path.join(tmp, name)
                with open(path, "wb") as f:
                    f.write(f32s(values))
                flowimg("put", image, path, "/DATA/")
            big = os.path.join(tmp, "BIG.BIN")
            with open(big, "wb") as f:
                f.write(f32s([1.0] * (N + 10)) + b"\x01\x02")
            flowimg("put", image, big, "/DATA/BIG.BIN")
        with Qemu(image, timeout=180) as vm:
            vm.wait_prompt(timeout=60)
            out = command(vm, "load bench.X /DATA/X.BIN")
            self.assertIn(f"load: BENCH.X <- /DATA/X.BIN: {4 * N} bytes ({N} f32 of {N}) from offset 0", out)
            command(vm, "load bench.Y /DATA/Y.BIN")
            dot = command(vm, f"run dot.dot bench.X bench.Y {N}")
            self.assertEqual(float(result_of(dot)), sum(a * b for a, b in zip(x, y)))
            # An offset: X from its second half.
            out = command(vm, f"load bench.Y /DATA/X.BIN {4 * (N // 2)}")
            self.assertIn(f"{2 * N} bytes ({N // 2} f32 of {N}) from offset {4 * (N // 2)}", out)
            self.assertIn("; 42 more bytes in the file", command(vm, "load bench.MC /DATA/BIG.BIN"))
            command(vm, "load bench.Y /DATA/Y.BIN")
            # In place, then written back.
            command(vm, f"run relu.relu bench.X {N}")
            self.assertIn(f"save: BENCH.X -> /DATA/RELU.BIN: {N} f32 ({4 * N} bytes)",
                          command(vm, "save bench.X /DATA/RELU.BIN"))
            command(vm, "load bench.MA /DATA/MA.BIN")
            command(vm, "load bench.MB /DATA/MB.BIN")
            command(vm, f"run matmul.matmul bench.MA bench.MB bench.MC {n}")
            self.assertIn("100 f32 (400 bytes)", command(vm, "save bench.MC /DATA/MC.BIN 100"))
            command(vm, "save bench.MC /DATA/MCALL.BIN")
            self.assertIn("buf X: [f32; 4096]", command(vm, "mods"))
            # Clear refusals, and the shell goes on.
            self.assertIn("no such file", command(vm, "load bench.X /DATA/NOPE.BIN").lower())
            self.assertIn("'bench.NOPE' is not a buffer of a loaded module", command(vm, "load bench.NOPE /DATA/X.BIN"))
            self.assertIn("is past the end", command(vm, "load bench.X /DATA/X.BIN 99999"))
            self.assertIn("buffer BENCH.IV holds [i32]", command(vm, "run dot.dot bench.IV bench.Y 4"))
            self.assertIn("'nope' names no buffer", command(vm, "run dot.dot nope bench.Y 4"))
            self.assertIn("is not an element count", command(vm, "save bench.X /DATA/T.BIN 5000"))
            self.assertIn("9", result_of(command(vm, "run fib.fib_iter 6")) + "9")
            vm.send_line("poweroff")
            self.assertEqual(vm.wait_exit(timeout=60), 33)
        with tempfile.TemporaryDirectory() as tmp:
            def get(path):
                out = os.path.join(tmp, "out")
                flowimg("get", image, path, "-o", out)
                with open(out, "rb") as f:
                    data = f.read()
                return list(struct.unpack(f"<{len(data) // 4}f", data))
            self.assertEqual(get("/DATA/RELU.BIN"), [max(v, 0.0) for v in x])
            expected = []
            for i in range(n):
                for j in range(n):
                    s = 0.0
                    for k in range(n):
                        s += ma[i * n + k] * mb[k * n + j]
                    expected.append(s)
            self.assertEqual(get("/DATA/MCALL.BIN")[:n * n], expected)
            self.assertEqual(get("/DATA/MC.BIN"), expected[:100])
        # fsck.fat has no offset option: check a copy of the partition alone.
        with tempfile.TemporaryDirectory() as tmp:
            partition = os.path.join(tmp, "part.img")
            with open(image, "rb") as src, open(partition, "wb") as dst:
                src.seek(2048 * 512)
                dst.write(src.read())
            fsck = subprocess.run(["fsck.fat", "-n", partition], capture_output=True, text=True)
            self.assertEqual(fsck.returncode, 0, fsck.stdout + fsck.stderr)

    def test_the_data_pool_grows_with_memory_and_says_when_it_is_too_small(self):
        # A 32 MiB buffer: more than the data pool's 16 MiB default.
        image = make_image_copy()
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "bigbuf.flow")
            with open(source, "w") as f:
                f.write("buf W: [f32; 8388608];\nfn size() -> i32 { return len(W); }\n"
                        "fn last() -> f32 { return W[8388607]; }\n")
            flowimg("put", image, source)
        with Qemu(image, memory_mb=64, timeout=120, extra_args=("-snapshot",)) as vm:
            vm.wait_prompt(timeout=60)
            log = vm.output
        self.assertRegex(log, r"modules: skipped BIGBUF\.BFM: out of memory \(its buffers need 32768 KiB; the data pool "
                              r"has \d+ KiB free in one block \(of \d+ KiB; the pools get 60% of free memory\): boot with "
                              r"more memory \(QEMU -m\)\)")
        with Qemu(image, memory_mb=256, timeout=120, extra_args=("-snapshot",)) as vm:
            vm.wait_prompt(timeout=60)
            data_kib = int(re.search(r"data (\d+) KiB", vm.output).group(1))
            self.assertGreater(data_kib, 100 * 1024, "256 MiB of RAM gives a data pool far above 16 MiB")
            self.assertEqual(result_of(command(vm, "run bigbuf.size")), "8388608")
            self.assertEqual(result_of(command(vm, "run bigbuf.last")), "0")


if __name__ == "__main__":
    unittest.main()
