"""One test for every message in flow.errors.MESSAGES, and a check that none is missed.

Each case is a program that must fail with the given message key at the given
line and column. test_every_message_has_a_case keeps this table complete.
"""
import re
import unittest

from flowc_support import CompileError, compile_text
from flow.errors import MESSAGES

LONG = "a" * 32
MANY_PARAMS = ", ".join(f"p{i}: i32" for i in range(17))
MANY_BUFS = "\n".join(f"buf B{i}: [i32; 1];" for i in range(257)) + "\nfn f() {}"
# 256 locals live at once in one function: one more than the 255 registers.
MANY_REGS = "fn f() -> i32 {\n" + "".join(f"    var v{i}: i32 = {i};\n" for i in range(256)) \
    + "    return v0;\n}\n"
# 9400 instructions of 7 bytes (addi.i32) are over the 65536-byte limit.
HUGE = "fn f(x: i32) -> i32 {\n" + "    x += 1;\n" * 9400 + "    return x;\n}\n"

DEEP_PARENS = "fn f() -> i32 { return " + "(" * 30000 + "1" + ")" * 30000 + "; }"
LONG_CHAIN = "fn f(x: i32) -> i32 { return " + "x + " * 30000 + "1; }"

# key -> [(source, line, col), ...]
CASES = {
    "bad_char": [("fn f() { @ }", 1, 10)],
    "int_too_large": [("const K: i32 = 2147483648;", 1, 16),
                      ("const K: i32 = 0x100000000;", 1, 16),
                      ("fn f(x: i32) -> i32 { return x - 2147483648; }", 1, 34)],
    "bad_number": [("const K: i32 = 12ab;", 1, 16), ("const K: i32 = 0xZZ;", 1, 16)],
    "float_range": [("const K: f32 = 1e39;", 1, 16)],
    "bad_string": [('file F = "/A.BIN;', 1, 10), ('file F = "/A\tB";', 1, 10)],
    "bad_path": [('file F = "A.BIN";', 1, 10), ('file F = "";', 1, 10),
                 ('file F = "/' + "A" * 127 + '";', 1, 10)],
    "expected": [("fn f( { }", 1, 7), ("fn f() {", 1, 9), ("fn f() -> i32 { return 1 }", 1, 26)],
    "bad_item": [("var x = 1;", 1, 1)],
    "view_type_here": [("fn f() -> [i32] { }", 1, 11), ("fn f() { var x: [f32] = 1; }", 1, 17)],
    "not_statement": [("fn f(x: i32) { x + 2; }", 1, 16)],
    "bad_assign_target": [("fn f() { 1 = 2; }", 1, 10)],
    "duplicate_item": [("fn f() {}\nbuf f: [i32; 2];", 2, 5)],
    "builtin_name": [("fn sqrt() {}", 1, 4), ("fn f() { var len = 1; }", 1, 14)],
    "name_too_long": [(f"fn {LONG}() {{}}", 1, 4)],
    "shadow": [("fn f(x: i32) { var x = 1; }", 1, 20),
               ("fn f() { for i in 0..2 { var i = 1; } }", 1, 30),
               ("const K: i32 = 1;\nfn f() { var K = 2; }", 2, 14),
               ("fn f(a: i32, a: i32) {}", 1, 14)],
    "undefined": [("fn f() -> i32 { return y; }", 1, 24), ("fn f() { y = 1; }", 1, 10),
                  ("fn f() -> i32 { return len(q); }", 1, 28)],
    "undefined_fn": [("fn f() { g(); }", 1, 10)],
    "not_a_value": [("fn f() -> i32 { return f; }", 1, 24)],
    "not_a_function": [("const K: i32 = 1;\nfn f() { K(); }", 2, 10)],
    "assign_const": [("const K: i32 = 1;\nfn f() { K = 2; }", 2, 10),
                     ("buf B: [i32; 2];\nfn f() { B = 2; }", 2, 10),
                     ("fn f(a: [i32]) { a = 2; }", 1, 18)],
    "const_cycle": [("const A: i32 = B;\nconst B: i32 = A;", 1, 7)],
    "const_not_constant": [("fn g() -> i32 { return 1; }\nconst A: i32 = g();", 2, 16)],
    "const_unfoldable": [("const K: f32 = 0.0 / 0.0;", 1, 20), ("const K: f32 = exp(1.0);", 1, 16)],
    "buf_count": [("buf B: [i32; 0];", 1, 14), ("buf B: [f32; 16777217];", 1, 14)],
    "not_a_file": [("buf B: [i32; 2];\nfn f() -> i32 { return file_size(B); }", 2, 34),
                   ("fn f() -> i32 { return file_size(Q); }", 1, 34),
                   ("buf B: [i32; 2];\nfn f() -> i32 { return read_file(1, B, 0, 0, 1); }", 2, 34),
                   ("file F;\nbuf B: [i32; 2];\nfn f() -> i32 { return write_file(B, F, 0, 1); }", 3, 35)],
    "file_value": [("file F;\nfn f() -> i32 { return F; }", 2, 24),
                   ("file F;\nfn g(x: i32) {}\nfn f() { g(F); }", 3, 12)],
    "type_mismatch": [("fn f() -> i32 { return 1 + 1.0; }", 1, 26),
                      ("fn f() -> i32 { return min(1, 2.0); }", 1, 24)],
    "bad_operand": [("fn f() -> f32 { return 1.0 % 2.0; }", 1, 28),
                    ("fn f() -> f32 { return ~1.0; }", 1, 24),
                    ("fn f() -> i32 { return 1.0 && 2.0; }", 1, 28)],
    "expected_type": [("fn f() -> i32 { return 1.0; }", 1, 24),
                      ("fn f() { var x: i32 = 1.5; }", 1, 23),
                      ("fn g(a: f32) {}\nfn f() { g(1); }", 2, 12),
                      ("fn f() { for i in 0..2.0 { } }", 1, 22),
                      ("fn f() -> f32 { return sqrt(2); }", 1, 29)],
    "cond_type": [("fn f() { if 1.0 { } }", 1, 13), ("fn f() { while 0.5 { } }", 1, 16)],
    "view_value": [("buf B: [i32; 4];\nfn f() -> i32 { var x = B; return 0; }", 2, 25)],
    "not_indexable": [("fn f(x: i32) -> i32 { return x[0]; }", 1, 30),
                      ("fn f(x: i32) -> i32 { return len(x); }", 1, 34)],
    "view_arg": [("fn g(a: [i32]) {}\nfn f(x: i32) { g(x); }", 2, 18),
                 ("buf B: [f32; 4];\nfn g(a: [i32]) {}\nfn f() { g(B); }", 3, 12)],
    "arg_count": [("fn g(a: i32) {}\nfn f() { g(); }", 2, 10),
                  ("fn f() -> f32 { return sqrt(1.0, 2.0); }", 1, 24)],
    "void_value": [("fn g() {}\nfn f() -> i32 { return g(); }", 2, 24),
                   ("fn f() -> i32 { var x = 1; x = print_i32(2); return x; }", 1, 32)],
    "return_value_void": [("fn f() { return 1; }", 1, 17)],
    "return_missing_value": [("fn f() -> i32 { return; }", 1, 17)],
    "missing_return": [("fn f(x: i32) -> i32 { if x > 0 { return 1; } }", 1, 4),
                       ("fn f(x: i32) -> i32 { for i in 0..x { return i; } }", 1, 4)],
    "break_outside": [("fn f() { break; }", 1, 10), ("fn f() { continue; }", 1, 10)],
    "loop_var_assign": [("fn f() { for i in 0..3 { i += 2; } }", 1, 26)],
    "const_div_zero": [("fn f(x: i32) -> i32 { return x / 0; }", 1, 32),
                       ("const K: i32 = 5 % (3 - 3);", 1, 18)],
    "const_overflow": [("const K: i32 = -2147483648 / -1;", 1, 28)],
    "const_conversion": [("const K: i32 = i32(3.0e9);", 1, 16),
                         ("const K: i32 = i32(1.0 / 0.0);", 1, 16)],
    "too_many_regs": [(MANY_REGS, 1, 4)],
    "too_many_params": [(f"fn f({MANY_PARAMS}) {{}}", 1, 4)],
    "too_many_items": [(MANY_BUFS, 257, 5)],
    "too_deep": [(DEEP_PARENS, 1, 4), (LONG_CHAIN, 1, 4)],
    "no_functions": [("const K: i32 = 1;", 1, 1), ("", 1, 1)],
    "code_too_large": [(HUGE, 1, 4)],
    "main_params": [("fn main(x: i32) -> i32 { return x; }", 1, 4)],
}


class EveryErrorMessage(unittest.TestCase):
    def test_every_message_has_a_case(self):
        self.assertEqual(sorted(MESSAGES), sorted(CASES),
                         "each message in flow/errors.py needs a case here, and vice versa")

    def check(self, key, source, line, col):
        with self.assertRaises(CompileError, msg=f"{key}: {source[:60]!r}") as ctx:
            compile_text(source)
        err = ctx.exception
        self.assertEqual(err.key, key, f"{source[:80]!r} gave {err.key}: {err.message}")
        self.assertEqual((err.line, err.col), (line, col), f"{key}: {err.message}")
        self.assertTrue(err.message)
        self.assertIsNone(re.search(r"\{[a-z_]+\}", err.message), err.message)


def _make_test(key):
    def test(self):
        for source, line, col in CASES[key]:
            with self.subTest(source=source[:60]):
                self.check(key, source, line, col)
    return test


for _key in CASES:
    setattr(EveryErrorMessage, f"test_{_key}", _make_test(_key))


if __name__ == "__main__":
    unittest.main()
