"""flowc: the command line, the .bfm bytes, and the shipped modules."""
import glob
import os
import re
import struct
import tempfile
import unittest
import zlib

from flowc_support import FLOWC, MODULES, OPS, bfm, compile_text, module_source, run_flowc
from flowc_verify import verify_image


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) % 2**64
    return h


class CommandLine(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text, mode="w"):
        path = os.path.join(self.dir, name)
        with open(path, mode) as f:
            f.write(text)
        return path

    def test_help(self):
        r = run_flowc("--help")
        self.assertEqual(r.returncode, 0)
        for word in ("--emit-text", "--name", "-o", "Exit status"):
            self.assertIn(word, r.stdout)

    def test_usage_errors_exit_2(self):
        for args in ([], ["a.flow", "--bogus"], ["a.flow", "-o"]):
            with self.subTest(args=args):
                r = run_flowc(*args)
                self.assertEqual(r.returncode, 2)
                self.assertIn("usage: flowc", r.stderr)
                self.assertNotIn("Traceback", r.stderr)

    def test_emit_text_into_a_closed_pipe(self):
        import subprocess
        import sys
        # A pipe whose reader is already gone: the first write fails with EPIPE.
        read_end, write_end = os.pipe()
        os.close(read_end)
        src = os.path.join(MODULES, "fib.flow")
        try:
            r = subprocess.run([sys.executable, FLOWC, src, "--emit-text"], stdout=write_end,
                               stderr=subprocess.PIPE, text=True, timeout=60)
        finally:
            os.close(write_end)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertNotIn("BrokenPipe", r.stderr)

    def test_compiles_to_the_named_file(self):
        src = self.write("fib.flow", module_source("fib"))
        out = os.path.join(self.dir, "out.bfm")
        r = run_flowc(src, "-o", out)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        with open(out, "rb") as f:
            data = f.read()
        self.assertEqual(data, compile_text(module_source("fib"), "FIB")[1])

    def test_output_directory_and_default_name(self):
        src = self.write("fib.flow", module_source("fib"))
        self.assertEqual(run_flowc(src, "-o", self.dir).returncode, 0)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "FIB.BFM")))
        os.remove(os.path.join(self.dir, "FIB.BFM"))
        self.assertEqual(run_flowc(src).returncode, 0)
        with open(os.path.join(self.dir, "FIB.BFM"), "rb") as f:
            self.assertEqual(f.read()[8:24], b"FIB".ljust(16, b"\0"))

    def test_name_option(self):
        src = self.write("fib.flow", module_source("fib"))
        self.assertEqual(run_flowc(src, "--name", "FIB_2", "-o", self.dir).returncode, 0)
        with open(os.path.join(self.dir, "FIB_2.BFM"), "rb") as f:
            self.assertEqual(f.read()[8:24], b"FIB_2".ljust(16, b"\0"))

    def test_bad_module_names_exit_2(self):
        src = self.write("fib.flow", module_source("fib"))
        long_src = self.write("toolongname.flow", module_source("fib"))
        for args in ([src, "--name", "fib"], [src, "--name", "NINECHARS"], [src, "--name", ""],
                     [long_src]):
            with self.subTest(args=args[1:]):
                r = run_flowc(*args, "-o", self.dir)
                self.assertEqual(r.returncode, 2)
                self.assertIn("invalid module name", r.stderr)

    def test_compile_error_prints_location_source_line_and_caret(self):
        src = self.write("bad.flow", "fn f() -> i32 {\n    var x: i32 = 1.5;\n    return x;\n}\n")
        r = run_flowc(src, "-o", self.dir)
        self.assertEqual(r.returncode, 1)
        lines = r.stderr.splitlines()
        self.assertEqual(lines[0], f"{src}:2:18: expected i32, found f32")
        self.assertEqual(lines[1], "    var x: i32 = 1.5;")
        self.assertEqual(lines[2], " " * 17 + "^")
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "BAD.BFM")))

    def test_caret_follows_tabs(self):
        src = self.write("tab.flow", "fn f() {\n\tvar x = @;\n}\n")
        r = run_flowc(src, "-o", self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.splitlines()[2], "\t" + " " * 8 + "^")

    def test_io_errors_exit_2_without_traceback(self):
        src = self.write("fib.flow", module_source("fib"))
        cases = [
            ([os.path.join(self.dir, "missing.flow")], "cannot read"),
            ([self.dir], "cannot read"),
            ([src, "-o", os.path.join(self.dir, "no", "such", "dir", "X.BFM")], "cannot write"),
            ([src, "--opcodes", os.path.join(self.dir, "missing.def")], "opcode list"),
        ]
        for args, text in cases:
            with self.subTest(args=args):
                r = run_flowc(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(text, r.stderr)
                self.assertNotIn("Traceback", r.stderr)

    def test_bad_opcode_list_is_reported(self):
        src = self.write("fib.flow", module_source("fib"))
        bad = self.write("ops.def", "OP(NOP, 0x00, \"nop\", BOGUS)\n")
        r = run_flowc(src, "--opcodes", bad, "-o", self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown operand kind BOGUS", r.stderr)

    def test_binary_input_is_a_clean_error(self):
        src = self.write("bin.flow", b"\xff\xfe\x00fn", "wb")
        r = run_flowc(src, "-o", self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not valid UTF-8", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_emit_text(self):
        src = self.write("fib.flow", module_source("fib"))
        r = run_flowc(src, "--emit-text")
        self.assertEqual(r.returncode, 0)
        self.assertIn("fn #0 fib_iter(r0: i32) -> i32", r.stdout)
        self.assertIn("; registers: r0:i32", r.stdout)
        self.assertRegex(r.stdout, r"\n  \d{4}  forloop +r\d+, r\d+, @\d{4}\n")
        self.assertRegex(r.stdout, r"\n  \d{4}  call +r\d+, fib_rec#1, r\d+\n")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "FIB.BFM")))
        mnemonics = {op.mnemonic for op in OPS.values()}
        for line in r.stdout.splitlines():
            m = re.match(r"  \d{4}  (\S+)", line)
            if m:
                self.assertIn(m.group(1), mnemonics)


class ModuleBytes(unittest.TestCase):
    def test_golden_bytes_of_a_tiny_module(self):
        _, data = compile_text("fn main() -> i32 { return 42; }", "T")
        code = bytes([0x02, 0x00]) + struct.pack("<i", 42) + bytes([0x71, 0x00])
        strings = b"main\0\0\0\0"
        func = struct.pack("<IBBHIIII8s", 0, 0, 1, 1, 0, 0, len(code), 0, b"")
        body = func + strings + code + bytes([1])
        size = 128 + len(body)
        header = bytearray(128)
        header[0:8] = b"BFM\x1a\x01\x00\x00\x00"
        header[8:24] = b"T".ljust(16, b"\0")
        struct.pack_into("<IIQHBB", header, 24, size, 0, fnv1a64(body), 0, 1, 0)
        struct.pack_into("<12I", header, 44, 1, 128, 0, 0, 0, 0,
                         128 + 32 + 8, len(code), 128 + 32, 8, 128 + 32 + 8 + len(code), 1)
        struct.pack_into("<I", header, 28, zlib.crc32(bytes(header) + body))
        self.assertEqual(data.hex(), (bytes(header) + body).hex())

    def test_header_tables_and_checksums(self):
        source = ("const K: i32 = -5;\nconst PI: f32 = 3.14159;\nbuf A: [i32; 10];\nbuf B: [f32; 7];\n"
                  "fn g(a: [i32], x: f32) -> f32 { return x; }\n"
                  "fn main() -> f32 { A[0] = K; return g(A, PI) + B[1]; }\n")
        _, data = compile_text(source, "HDR-1")
        self.assertEqual(data[:4], b"BFM\x1a")
        version, flags = struct.unpack_from("<HH", data, 4)
        self.assertEqual((version, flags), (1, 0))
        self.assertEqual(data[8:24], b"HDR-1" + b"\0" * 11)
        size, crc, content = struct.unpack_from("<IIQ", data, 24)
        self.assertEqual(size, len(data))
        self.assertEqual(crc, zlib.crc32(data[:28] + b"\0" * 4 + data[32:]))
        self.assertEqual(content, fnv1a64(data[128:]))
        entry, opt, reserved = struct.unpack_from("<HBB", data, 40)
        self.assertEqual((entry, reserved), (1, 0))
        self.assertLessEqual(opt, 3)
        fields = struct.unpack_from("<12I", data, 44)
        fc, fo, cc, co, bc, bo, code_off, code_size, so, ss, to, ts = fields
        self.assertEqual((fc, cc, bc), (2, 2, 2))
        self.assertEqual(data[92:128], b"\0" * 36)
        for off in (fo, co, bo, code_off):
            self.assertEqual(off % 4, 0)
        areas = sorted([(fo, fc * 32), (co, cc * 12), (bo, bc * 12), (code_off, code_size),
                        (so, ss), (to, ts)])
        self.assertEqual(areas[0][0], 128)
        for (a, an), (b, _) in zip(areas, areas[1:]):
            self.assertEqual(a + an, b, "areas are contiguous and do not overlap")
        self.assertEqual(areas[-1][0] + areas[-1][1], len(data))
        strings = data[so:so + ss]

        def name(off):
            return strings[off:strings.index(b"\0", off)].decode()

        consts = [struct.unpack_from("<IB3s4s", data, co + 12 * i) for i in range(cc)]
        self.assertEqual([(name(n), t, z) for n, t, z, _ in consts],
                         [("K", 1, b"\0\0\0"), ("PI", 2, b"\0\0\0")])
        self.assertEqual(struct.unpack("<i", consts[0][3])[0], -5)
        self.assertEqual(consts[1][3], struct.pack("<f", 3.14159))
        bufs = [struct.unpack_from("<IB3sI", data, bo + 12 * i) for i in range(bc)]
        self.assertEqual([(name(n), t, z, c) for n, t, z, c in bufs],
                         [("A", 3, b"\0\0\0", 10), ("B", 4, b"\0\0\0", 7)])
        funcs = [struct.unpack_from("<IBBHIIII8s", data, fo + 32 * i) for i in range(fc)]
        g, main = funcs
        self.assertEqual((name(g[0]), g[1], g[2]), ("g", 2, 2))
        self.assertEqual(list(data[to + g[4]:to + g[4] + 2]), [3, 2])
        self.assertEqual((name(main[0]), main[1], main[2]), ("main", 0, 2))
        self.assertEqual(g[5], 0)
        self.assertEqual(main[5], g[6], "function bodies follow each other")
        self.assertEqual(g[6] + main[6], code_size)
        for f in funcs:
            self.assertEqual((f[7], f[8]), (0, b"\0" * 8))

    def test_no_main_means_no_entry(self):
        _, data = compile_text("fn f() {}")
        self.assertEqual(struct.unpack_from("<H", data, 40)[0], 0xFFFF)

    def test_output_is_deterministic_and_reads_back(self):
        src = module_source("bench")
        image, first = compile_text(src, "BENCH")
        self.assertEqual(first, compile_text(src, "BENCH")[1])
        back = bfm.read(first)
        self.assertEqual([f.name for f in back.functions], [f.name for f in image.functions])
        self.assertEqual(back.bufs, image.bufs)


class ShippedModules(unittest.TestCase):
    EXPECTED = {"fib", "sum", "gcd", "collatz", "primes", "dot", "saxpy", "relu", "scale",
                "matmul", "bench"}

    def sources(self):
        return sorted(glob.glob(os.path.join(MODULES, "*.flow")))

    def test_the_issue_modules_exist_with_short_names(self):
        names = {os.path.basename(p)[:-5] for p in self.sources()}
        self.assertLessEqual(self.EXPECTED, names)
        for n in names:
            self.assertRegex(n.upper(), r"^[A-Z0-9_-]{1,8}$")

    def test_every_module_compiles_and_passes_the_verifier_rules(self):
        for path in self.sources():
            with self.subTest(module=os.path.basename(path)):
                r = run_flowc(path, "--emit-text")
                self.assertEqual(r.returncode, 0, r.stderr)
                base = os.path.basename(path)[:-5]
                _, data = compile_text(module_source(base), base.upper())
                verify_image(bfm.read(data), OPS)

    def test_bench_kernels_are_copies_of_the_standalone_modules(self):
        bench = functions_of(module_source("bench"))
        for base in sorted(self.EXPECTED - {"bench"}):
            for name, text in functions_of(module_source(base)).items():
                with self.subTest(function=f"{base}.{name}"):
                    self.assertEqual(bench.get(name), text)

    def test_build_fragment_lists_every_module(self):
        with open(os.path.join(MODULES, "build.mk")) as f:
            mk = f.read()
        self.assertIn("modules/*.flow", mk)
        self.assertIn("MODULE_BFMS", mk)
        self.assertIn("opcodes.def", mk)


def functions_of(source):
    """{name: text} of each top-level `fn` (from `fn` to its closing brace at column 1)."""
    out = {}
    for m in re.finditer(r"^fn (\w+)\(.*?^\}", source, re.S | re.M):
        out[m.group(1)] = m.group(0)
    return out


if __name__ == "__main__":
    unittest.main()
