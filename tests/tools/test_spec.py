"""microjit/spec.def against everything that uses its numbers.

spec.def is the one definition of the value type codes, the call-depth limit
and the .bfm format's sizes and limits. microjit/ includes it (and its
format.h asserts the struct sizes against it at compile time); flowc reads it
through tools/flow/spec.py. These tests read spec.def on their own and fail
when flowc, its reference evaluator, docs/module-format.md or a second
definition in the C++ sources disagrees with it.
"""
import os
import re
import unittest

from flowc_support import ROOT, bfm, refeval
from flow import checker, codegen, compiler, nodes, parser, regs, spec, text

SPEC_DEF = os.path.join(ROOT, "microjit", "spec.def")
MODULE_FORMAT = os.path.join(ROOT, "docs", "module-format.md")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def spec_lines():
    """(types {Name: (code, text)}, constants {name: value}, bfm {name: value}),
    read without flow.spec."""
    source = read(SPEC_DEF)
    types = {m.group(1): (int(m.group(2)), m.group(3))
             for m in re.finditer(r'^VALUE_TYPE\((\w+), (\d+), "([^"]+)"\)', source, re.M)}
    constants = {m.group(1): int(m.group(2))
                 for m in re.finditer(r"^CONSTANT\((\w+), (\d+)\)", source, re.M)}
    bfm_numbers = {m.group(1): int(m.group(2))
                   for m in re.finditer(r"^BFM\((\w+), (\d+)\)", source, re.M)}
    return types, constants, bfm_numbers


class SpecDefinition(unittest.TestCase):
    def setUp(self):
        self.types, self.constants, self.bfm = spec_lines()

    def test_lists_the_five_type_codes_and_the_constants(self):
        self.assertEqual(sorted(code for code, _ in self.types.values()), [0, 1, 2, 3, 4])
        self.assertIn("max_call_depth", self.constants)
        for name in ("header_size", "function_entry_size", "constant_entry_size", "buffer_entry_size",
                     "file_entry_size", "max_functions", "max_constants", "max_buffers", "max_files",
                     "max_params", "max_registers", "max_function_code", "max_buffer_elements",
                     "max_identifier", "max_file_path"):
            self.assertIn(name, self.bfm)

    def test_flowc_reads_the_same_lines(self):
        loaded = spec.load()
        self.assertEqual(loaded.types, self.types)
        self.assertEqual(loaded.constants, self.constants)
        self.assertEqual(loaded.bfm, self.bfm)

    def test_a_line_flowc_cannot_read_is_an_error_not_a_skip(self):
        with self.assertRaises(spec.SpecError):
            spec.parse_spec('VALUE_TYPE(I32, 1, "i32")\nCONSTANT(max_call_depth, 5l2)\n')
        with self.assertRaises(spec.SpecError):
            spec.parse_spec('VALUE_TYPE(I32, 1, "i32")\nVALUE_TYPE(F32, 1, "f32")\nCONSTANT(x, 1)\n')


class FlowcUsesTheSpec(unittest.TestCase):
    def setUp(self):
        self.types, self.constants, self.bfm = spec_lines()

    def test_flowc_type_codes_and_names(self):
        for name, type_ in (("Void", nodes.VOID), ("I32", nodes.I32), ("F32", nodes.F32),
                            ("ViewI32", nodes.VIEW_I32), ("ViewF32", nodes.VIEW_F32)):
            self.assertEqual((type_.code, type_.name), self.types[name])
        self.assertEqual(text.TYPE_NAMES, {code: t for code, t in self.types.values()})
        self.assertEqual(nodes.VIEW_F32.element, nodes.F32)

    def test_bfm_header_and_entry_sizes(self):
        b = self.bfm
        self.assertEqual(bfm.HEADER_SIZE, b["header_size"])
        self.assertEqual(bfm.FUNC_ENTRY, b["function_entry_size"])
        self.assertEqual(bfm.CONST_ENTRY, b["constant_entry_size"])
        self.assertEqual(bfm.BUF_ENTRY, b["buffer_entry_size"])
        self.assertEqual(bfm.FILE_ENTRY, b["file_entry_size"])

    def test_flowc_limits(self):
        b = self.bfm
        self.assertEqual(compiler.MAX_FUNCTIONS, b["max_functions"])
        self.assertEqual(compiler.MAX_CONSTS, b["max_constants"])
        self.assertEqual(compiler.MAX_BUFS, b["max_buffers"])
        self.assertEqual(compiler.MAX_FILES, b["max_files"])
        self.assertEqual(codegen.MAX_PARAMS, b["max_params"])
        self.assertEqual(codegen.MAX_CODE, b["max_function_code"])
        self.assertEqual(regs.MAX_REGISTERS, b["max_registers"])
        self.assertEqual(checker.MAX_BUF_COUNT, b["max_buffer_elements"])
        self.assertEqual(checker.MAX_NAME, b["max_identifier"])
        self.assertEqual(parser.MAX_FILE_PATH, b["max_file_path"])

    def test_reference_evaluator_call_depth(self):
        self.assertEqual(refeval.CALL_DEPTH_LIMIT, self.constants["max_call_depth"])


class DocumentMatchesTheSpec(unittest.TestCase):
    def setUp(self):
        self.types, self.constants, self.bfm = spec_lines()
        self.doc = read(MODULE_FORMAT)

    def test_type_codes_table(self):
        table = self.doc.split("## Type codes", 1)[1].split("\n## ", 1)[0]
        rows = dict(re.findall(r"^\| (\d+) \| (\S+?),? ", table + " ", re.M))
        self.assertEqual({int(code): name for code, name in rows.items()},
                         {code: t for code, t in self.types.values()})

    def test_section_sizes(self):
        for heading, name in (("Header", "header_size"),
                              ("Function table entry", "function_entry_size"),
                              ("Constant table entry", "constant_entry_size"),
                              ("Buffer table entry", "buffer_entry_size"),
                              ("File table entry", "file_entry_size")):
            self.assertIn(f"## {heading} ({self.bfm[name]} bytes)", self.doc)

    def test_call_depth_limit(self):
        self.assertIn(f"exceed {self.constants['max_call_depth']} frames", self.doc)


class NoSecondDefinitionInCpp(unittest.TestCase):
    """Only spec.def writes these numbers; C++ code names them."""

    def setUp(self):
        self.types, self.constants, self.bfm = spec_lines()

    def cpp_sources(self):
        for folder in ("microjit", "kernel", "tools", "tests", "fs", "include"):
            for base, _dirs, files in os.walk(os.path.join(ROOT, folder)):
                for name in files:
                    if name.endswith((".h", ".cpp")):
                        path = os.path.join(base, name)
                        yield os.path.relpath(path, ROOT), read(path)

    def test_no_other_type_code_enum_or_spec_constant(self):
        # A spec name defined again with the spec's value is a copy; a local
        # array bound of another size under a similar name is not.
        numbers = dict(self.bfm, max_call_depth=self.constants["max_call_depth"])
        copies = "|".join(rf"{name}\s*=\s*{value}\b" for name, value in numbers.items())
        enum = re.compile(r"enum class \w+ : u8 \{\s*Void = 0,\s*I32 = 1,")
        number = re.compile(rf"constexpr u32 ({copies})|depth \+ 1 > 512\b|max_buffer_elements = 16 \* 1024")
        found = [path for path, source in self.cpp_sources() if enum.search(source) or number.search(source)]
        self.assertEqual(found, [])

    def test_format_h_asserts_the_sizes_against_the_spec(self):
        source = read(os.path.join(ROOT, "microjit", "module", "format.h"))
        for struct_name, name in (("Header", "header_size"), ("FunctionEntry", "function_entry_size"),
                                  ("ConstantEntry", "constant_entry_size"),
                                  ("BufferEntry", "buffer_entry_size"), ("FileEntry", "file_entry_size")):
            self.assertIn(f"static_assert(sizeof({struct_name}) == {name});", source)


if __name__ == "__main__":
    unittest.main()
