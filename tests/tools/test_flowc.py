"""flowc: lexer, parser, checker (names, types, constant folding) and code generation."""
import math
import struct
import unittest

from flowc_support import OPS, bfm, compile_text, CompileError
from flowc_verify import verify_image
from flow import fold, nodes as N, opcodes, text
from flow.checker import check
from flow.lexer import tokenize
from flow.parser import parse
from flow.text import decode


def kinds(source):
    return [(t.kind, t.value) if t.value is not None else t.kind for t in tokenize(source)]


def function_code(source, name):
    image, data = compile_text(source)
    image = bfm.read(data)
    verify_image(image, OPS)
    f = next(f for f in image.functions if f.name == name)
    return f, [(pc, op.mnemonic, values) for pc, op, values in decode(f.code, OPS)]


def mnemonics(source, name="f"):
    return [m for _, m, _ in function_code(source, name)[1]]


class OpcodeList(unittest.TestCase):
    def test_every_op_line_of_opcodes_def_is_parsed(self):
        with open(opcodes.default_path()) as f:
            text = f.read()
        lines = [l for l in text.splitlines() if l.strip().startswith("OP(")]
        self.assertEqual(len(OPS), len(lines))
        self.assertEqual(OPS["call"].operands, ("W_RESULT", "FUNC", "ARGS"))
        self.assertEqual(OPS["forloop"].size, 1 + 1 + 1 + 4)
        self.assertEqual(OPS["const.f32"].size, 1 + 1 + 4)

    def test_the_table_is_read_not_built_in(self):
        with open(opcodes.default_path()) as f:
            text = f.read()
        renumbered = text.replace('OP(RET_VOID,     0x72,', 'OP(RET_VOID,     0xEE,')
        self.assertNotEqual(renumbered, text)
        custom = opcodes.parse_opcodes(renumbered)
        from flow.compiler import compile_source
        image, _ = compile_source("fn f() {}", "T", custom)
        self.assertEqual(image.functions[0].code, bytes([0xEE]))

    def test_malformed_lists_are_rejected(self):
        for text in ("", 'OP(NOP, 0x00, "nop", FOO)', 'OP(A, 0x01, "a")\nOP(B, 0x01, "b")',
                     "OP(NOP 0x00)"):
            with self.subTest(text=text):
                with self.assertRaises(opcodes.OpcodeTableError):
                    opcodes.parse_opcodes(text)

    def test_text_form_decodes_every_opcode(self):
        image = bfm.ModuleImage("T", [], [], [("B", 3, 4)], 0xFFFF)
        callee = bfm.FunctionImage("g", [], 0, [1], b"")
        image.functions = [callee]
        for op in OPS.values():
            code = bytes([op.code]) + bytes(op.size - 1)
            f = bfm.FunctionImage("f", [], 0, [1], code)
            decoded = list(decode(f.code, OPS))
            self.assertEqual([(pc, o.mnemonic) for pc, o, _ in decoded], [(0, op.mnemonic)])
            image.functions = [f]
            self.assertIn(op.mnemonic, text.render(image, OPS))


class Lexer(unittest.TestCase):
    def test_keywords_identifiers_and_punctuation(self):
        self.assertEqual(kinds("fn f(a: [i32]) -> f32 { x += 1; }"),
                         ["fn", "ident", "(", "ident", ":", "[", "i32", "]", ")", "->", "f32",
                          "{", "ident", "+=", ("int", 1), ";", "}", "eof"])

    def test_range_after_integer_is_not_a_float(self):
        self.assertEqual(kinds("0..10"), [("int", 0), "..", ("int", 10), "eof"])

    def test_hex_literals_name_32_bit_patterns(self):
        self.assertEqual(kinds("0x10 0xFFFFFFFF 0x80000000"),
                         [("int", 16), ("int", -1), ("int", -2**31), "eof"])

    def test_float_literals_are_rounded_to_f32(self):
        t = tokenize("0.1 1e3 2.5e-1")
        self.assertEqual(t[0].value, struct.unpack("<f", struct.pack("<f", 0.1))[0])
        self.assertNotEqual(t[0].value, 0.1)
        self.assertEqual([t[1].value, t[2].value], [1000.0, 0.25])

    def test_comments_and_positions(self):
        t = tokenize("// header\n  var x // trailing\n\tx")
        self.assertEqual([(x.kind, x.line, x.col) for x in t[:3]],
                         [("var", 2, 3), ("ident", 2, 7), ("ident", 3, 2)])


class Parser(unittest.TestCase):
    def expr(self, text):
        return parse(f"const K: i32 = {text};").items[0].expr

    def shape(self, e):
        if isinstance(e, N.Binary):
            return f"({self.shape(e.left)} {e.op} {self.shape(e.right)})"
        if isinstance(e, N.Unary):
            return f"{e.op}{self.shape(e.operand)}"
        if isinstance(e, N.IntLit):
            return str(e.value)
        return e.name

    def test_c_precedence(self):
        cases = {
            "1 + 2 * 3": "(1 + (2 * 3))",
            "a & b == c": "(a & (b == c))",
            "a || b && c": "(a || (b && c))",
            "a | b ^ c & d": "(a | (b ^ (c & d)))",
            "1 << 2 + 3": "(1 << (2 + 3))",
            "a < b == c > d": "((a < b) == (c > d))",
            "-a * !b": "(-a * !b)",
            "a - b - c": "((a - b) - c)",
            "~a % b / c": "((~a % b) / c)",
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(self.shape(self.expr(text)), expected)

    def test_int_min_literal(self):
        e = self.expr("-2147483648")
        self.assertIsInstance(e, N.IntLit)
        self.assertEqual(e.value, -2**31)

    def test_else_if_chain(self):
        fn = parse("fn f(x: i32) { if x { } else if x { } else { } }").items[0]
        stmt = fn.body.stmts[0]
        self.assertIsInstance(stmt.orelse, N.If)
        self.assertIsInstance(stmt.orelse.orelse, N.Block)

    def test_items(self):
        m = parse("buf B: [f32; 8];\nconst C: f32 = 1.5;\nfn f(a: [i32], x: f32) -> i32 { return 0; }")
        b, c, f = m.items
        self.assertEqual((b.name, b.element, b.count), ("B", N.F32, 8))
        self.assertEqual((c.name, c.type), ("C", N.F32))
        self.assertEqual([(p.name, p.type) for p in f.params], [("a", N.VIEW_I32), ("x", N.F32)])
        self.assertIs(f.ret, N.I32)


class Folding(unittest.TestCase):
    def const(self, text, type="i32"):
        image, _ = compile_text(f"const K: {type} = {text};\nfn f() {{}}")
        return image.consts[0][2]

    def test_i32_wraps(self):
        self.assertEqual(self.const("2147483647 + 1"), -2**31)
        self.assertEqual(self.const("65536 * 65536"), 0)
        self.assertEqual(self.const("-(-2147483648)"), -2**31)
        self.assertEqual(self.const("abs(-2147483648)"), -2**31)

    def test_division_truncates_and_remainder_follows_the_dividend(self):
        self.assertEqual([self.const("-7 / 2"), self.const("-7 % 2"), self.const("7 % -2")],
                         [-3, -1, 1])

    def test_shifts_take_the_count_modulo_32_and_shift_right_arithmetically(self):
        self.assertEqual([self.const("1 << 33"), self.const("-16 >> 2"), self.const("1 << -1")],
                         [2, -4, -2**31])

    def test_logic_and_comparisons_give_0_or_1(self):
        self.assertEqual([self.const("3 && 4"), self.const("0 || 0"), self.const("!5"),
                          self.const("2 < 3"), self.const("1.5 >= 2.0")], [1, 0, 0, 1, 0])

    def test_f32_rounds_like_single_precision(self):
        expected = fold.f32(fold.f32(0.1) + fold.f32(0.2))
        self.assertEqual(self.const("0.1 + 0.2", "f32"), expected)
        self.assertEqual(self.const("f32(16777217)", "f32"), 16777216.0)
        self.assertEqual(self.const("3.0e38 * 10.0", "f32"), math.inf)
        self.assertEqual(self.const("sqrt(2.0)", "f32"), fold.f32(math.sqrt(2)))

    def test_conversions(self):
        self.assertEqual([self.const("i32(-2.9)"), self.const("i32(2147483520.0)")],
                         [-2, 2147483520])

    def test_constants_may_use_later_constants(self):
        image, _ = compile_text("const A: i32 = B * 2;\nconst B: i32 = 21;\nfn f() {}")
        self.assertEqual(image.consts, [("A", 1, 42), ("B", 1, 21)])

    def test_nan_and_exp_are_left_to_run_time(self):
        f, code = function_code("fn f() -> f32 { return exp(0.0) + 0.0 / 0.0; }", "f")
        self.assertIn("exp.f32", [m for _, m, _ in code])
        self.assertIn("div.f32", [m for _, m, _ in code])

    def test_short_circuit_folds_without_the_right_side(self):
        self.assertEqual(mnemonics("fn g() -> i32 { return 1; }\n"
                                   "fn f() -> i32 { return 0 && g(); }"), ["const.i32", "ret"])


class Checking(unittest.TestCase):
    def test_var_type_is_inferred_from_the_initialiser(self):
        m = parse("fn f() -> f32 { var x = 1.5; return x; }")
        check(m)
        self.assertIs(m.items[0].body.stmts[0].symbol.type, N.F32)

    def test_sibling_blocks_may_reuse_names(self):
        compile_text("fn f(c: i32) { if c { var t = 1; } else { var t = 2.0; } "
                     "for i in 0..2 { } for i in 0..3 { } }")

    def test_functions_may_be_used_before_their_declaration_and_recurse(self):
        compile_text("fn f(n: i32) -> i32 { return g(n); }\n"
                     "fn g(n: i32) -> i32 { if n > 0 { return f(n - 1); } return 0; }")

    def test_views_pass_from_buffers_and_parameters(self):
        compile_text("buf B: [f32; 4];\nfn g(a: [f32]) -> i32 { return len(a); }\n"
                     "fn h(a: [f32]) -> i32 { return g(a); }\nfn f() -> i32 { return h(B); }")

    def test_parameters_are_assignable(self):
        compile_text("fn f(x: i32) -> i32 { x += 1; return x; }")

    def test_long_chains_and_deep_nesting_compile(self):
        compile_text("fn f(x: i32) -> i32 { return " + "x + " * 3000 + "1; }")
        compile_text("fn f(x: i32) -> i32 { return " + "(" * 500 + "x" + ")" * 500 + "; }")


class CodeGeneration(unittest.TestCase):
    def test_for_loop_shape(self):
        f, code = function_code("fn f(n: i32) -> i32 { var s = 0; for i in 0..n { s += i; } return s; }", "f")
        self.assertEqual([m for _, m, _ in code],
                         ["const.i32", "const.i32", "mov", "br.ge.i32", "add.i32", "forloop", "ret"])
        offsets = {m: (pc, v) for pc, m, v in code}
        br_pc, br = offsets["br.ge.i32"]
        loop_pc, loop = offsets["forloop"]
        self.assertEqual(br[2], offsets["ret"][0])            # exits past the loop
        self.assertEqual(loop[2], offsets["add.i32"][0])      # back to the body's top
        self.assertEqual(br[:2], loop[:2])                    # i and end

    def test_constant_bounds_skip_the_entry_test(self):
        self.assertEqual(mnemonics("fn f() -> i32 { var s = 0; for i in 0..4 { s += i; } return s; }"),
                         ["const.i32", "const.i32", "const.i32", "add.i32", "forloop", "ret"])

    def test_continue_jumps_to_the_forloop_and_break_past_it(self):
        f, code = function_code(
            "fn f(n: i32) -> i32 { var s = 0; for i in 0..n { if i == 3 { continue; } "
            "if i == 7 { break; } s += i; } return s; }", "f")
        loop_pc = next(pc for pc, m, _ in code if m == "forloop")
        ret_pc = next(pc for pc, m, _ in code if m == "ret")
        jumps = [v[-1] for _, m, v in code if m == "br.ne.i32"]
        plain = [v[0] for _, m, v in code if m == "jmp"]
        self.assertEqual(plain, [loop_pc, ret_pc])
        self.assertEqual(len(jumps), 2)

    def test_fused_compare_and_branch(self):
        cases = {"a < b": "br.ge.i32", "a >= b": "br.lt.i32", "a == b": "br.ne.i32",
                 "a != b": "br.eq.i32", "a <= b": "br.gt.i32", "a > b": "br.le.i32",
                 "a == 0": "jnz", "a != 0": "jz", "a": "jz", "!a": "jnz"}
        for cond, branch in cases.items():
            with self.subTest(cond=cond):
                ms = mnemonics(f"fn f(a: i32, b: i32) -> i32 {{ if {cond} {{ return 1; }} return 0; }}")
                self.assertEqual(ms[0], branch)

    def test_float_conditions_compare_then_branch(self):
        ms = mnemonics("fn f(a: f32, b: f32) -> i32 { if a < b { return 1; } return 0; }")
        self.assertEqual(ms[:2], ["lt.f32", "jz"])

    def test_immediate_forms(self):
        ms = mnemonics("fn f(x: i32) -> i32 { return (x + 5) * 3 - 2 + 4 * x; }")
        self.assertEqual(ms, ["addi.i32", "muli.i32", "addi.i32", "muli.i32", "add.i32", "ret"])

    def test_short_circuit_branches(self):
        ms = mnemonics("fn g() -> i32 { return 1; }\n"
                       "fn f(a: i32) -> i32 { if a > 0 && g() > 0 { return 1; } return 0; }")
        self.assertEqual(ms[:4], ["const.i32", "br.le.i32", "call", "const.i32"])

    def test_buffers_are_materialised_at_entry(self):
        f, code = function_code("buf A: [i32; 4];\nbuf B: [f32; 4];\n"
                                "fn f(x: i32) -> f32 { if x > 0 { A[0] = x; } return B[x]; }", "f")
        self.assertEqual([(m, v) for _, m, v in code[:2]], [("gview", [1, 0]), ("gview", [2, 1])])
        self.assertEqual(f.reg_types[:3], [1, 3, 4])

    def test_call_arguments_are_consecutive_registers(self):
        f, code = function_code("fn g(a: i32, b: f32, c: i32) -> f32 { return b; }\n"
                                "fn f(x: i32) -> f32 { return g(x + 1, 2.0, x * 2); }", "f")
        call = next(v for _, m, v in code if m == "call")
        base = call[2]
        self.assertEqual(f.reg_types[base:base + 3], [1, 2, 1])

    def test_arguments_already_in_place_are_not_copied(self):
        ms = mnemonics("fn g(a: [f32], b: [f32], n: i32) -> f32 { return 0.0; }\n"
                       "fn f(a: [f32], b: [f32], n: i32) -> f32 { return g(a, b, n); }")
        self.assertEqual(ms, ["call", "ret"])

    def test_void_calls_have_no_result_register(self):
        f, code = function_code("fn g() {}\nfn f() { g(); }", "f")
        self.assertEqual(code[0][2][0], 255)
        self.assertEqual(code[-1][1], "ret.void")

    def test_temporaries_are_reused(self):
        f, _ = function_code("fn f(x: i32) -> i32 { var a = x * x + x; var b = a * a + a; "
                             "var c = b * b + b; return c; }", "f")
        self.assertLessEqual(len(f.reg_types), 6)

    def test_unreachable_code_is_not_emitted(self):
        self.assertEqual(mnemonics("fn f() -> i32 { return 1; var x = 2; x += 3; }"),
                         ["const.i32", "ret"])
        self.assertEqual(mnemonics("fn f() -> i32 { if 0 { return 1; } return 2; }"),
                         ["const.i32", "ret"])

    def test_while_true_needs_no_return_after_it(self):
        ms = mnemonics("fn f(x: i32) -> i32 { while 1 { x += 1; if x > 9 { return x; } } }")
        self.assertEqual(ms[-1], "jmp")

    def test_empty_void_function_gets_ret_void_and_one_register(self):
        f, code = function_code("fn f() {}", "f")
        self.assertEqual([m for _, m, _ in code], ["ret.void"])
        self.assertEqual(len(f.reg_types), 1)

    def test_while_tests_at_the_bottom_without_a_jmp(self):
        f, code = function_code("fn f(x: i32) -> i32 { while x < 100 { x *= 3; } return x; }", "f")
        ms = [m for _, m, _ in code]
        self.assertNotIn("jmp", ms)
        top = next(pc for pc, m, _ in code if m == "muli.i32")
        bottom = [v for _, m, v in code if m == "br.lt.i32"]
        self.assertEqual(len(bottom), 1)
        self.assertEqual(bottom[0][2], top)
        self.assertEqual(ms.count("br.ge.i32"), 1)   # the entry test, inverted

    def test_loop_constants_are_loaded_once_at_entry(self):
        f, code = function_code("fn f(x: i32) -> i32 { var n = 0; while x > 1 { x = x / 2; n += 1; } "
                                "return n; }", "f")
        ms = [m for _, m, _ in code]
        self.assertEqual(ms[0], "const.i32")
        loop = ms[ms.index("div.i32") - 1:]
        self.assertNotIn("const.i32", loop[1:])
        targets = [v[-1] for _, m, v in code if m.startswith("br.")]
        starts = {pc for pc, _, _ in code}
        self.assertTrue(all(t in starts for t in targets))

    def test_hoisted_f32_constants_keep_their_sign(self):
        e_code = function_code("fn f(n: i32) -> f32 { var s = 0.0; for i in 0..n { s += -0.0; "
                               "s *= 0.0; } return s; }", "f")[1]
        consts = [v[1] for _, m, v in e_code if m == "const.f32"]
        self.assertEqual(sorted(struct.pack("<f", c) for c in consts),
                         sorted([struct.pack("<f", 0.0), struct.pack("<f", -0.0),
                                 struct.pack("<f", 0.0)]))

    def test_int_min_literal_in_code(self):
        f, code = function_code("fn f() -> i32 { var x = 0; x = -2147483648; return x; }", "f")
        self.assertIn(-2**31, [v[1] for _, m, v in code if m == "const.i32"])


if __name__ == "__main__":
    unittest.main()
