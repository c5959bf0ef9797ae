"""microjit/spec.def against everything that uses its numbers.

spec.def is the one definition of the value type codes, the call-depth limit
and the .bfm header and table entry sizes. microjit/ includes it (and its
format.h asserts the struct sizes against it at compile time); flowc reads it
through tools/flow/spec.py. These tests read spec.def on their own and fail
when flowc, its reference evaluator, docs/module-format.md or a second
definition in the C++ sources disagrees with it.
"""
import os
import re
import unittest

from flowc_support import ROOT, bfm, refeval
from flow import nodes, spec, text

SPEC_DEF = os.path.join(ROOT, "microjit", "spec.def")
MODULE_FORMAT = os.path.join(ROOT, "docs", "module-format.md")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def spec_lines():
    """(types {Name: (code, text)}, constants {name: value}), read without flow.spec."""
    source = read(SPEC_DEF)
    types = {m.group(1): (int(m.group(2)), m.group(3))
             for m in re.finditer(r'^VALUE_TYPE\((\w+), (\d+), "([^"]+)"\)', source, re.M)}
    constants = {m.group(1): int(m.group(2))
                 for m in re.finditer(r"^CONSTANT\((\w+), (\d+)\)", source, re.M)}
    return types, constants


class SpecDefinition(unittest.TestCase):
    def setUp(self):
        self.types, self.constants = spec_lines()

    def test_lists_the_five_type_codes_and_the_constants(self):
        self.assertEqual(sorted(code for code, _ in self.types.values()), [0, 1, 2, 3, 4])
        for name in ("max_call_depth", "bfm_header_size", "bfm_function_entry_size",
                     "bfm_constant_entry_size", "bfm_buffer_entry_size", "bfm_file_entry_size"):
            self.assertIn(name, self.constants)

    def test_flowc_reads_the_same_lines(self):
        loaded = spec.load()
        self.assertEqual(loaded.types, self.types)
        self.assertEqual(loaded.constants, self.constants)

    def test_a_line_flowc_cannot_read_is_an_error_not_a_skip(self):
        with self.assertRaises(spec.SpecError):
            spec.parse_spec('VALUE_TYPE(I32, 1, "i32")\nCONSTANT(max_call_depth, 5l2)\n')
        with self.assertRaises(spec.SpecError):
            spec.parse_spec('VALUE_TYPE(I32, 1, "i32")\nVALUE_TYPE(F32, 1, "f32")\nCONSTANT(x, 1)\n')


class FlowcUsesTheSpec(unittest.TestCase):
    def setUp(self):
        self.types, self.constants = spec_lines()

    def test_flowc_type_codes_and_names(self):
        for name, type_ in (("Void", nodes.VOID), ("I32", nodes.I32), ("F32", nodes.F32),
                            ("ViewI32", nodes.VIEW_I32), ("ViewF32", nodes.VIEW_F32)):
            self.assertEqual((type_.code, type_.name), self.types[name])
        self.assertEqual(text.TYPE_NAMES, {code: t for code, t in self.types.values()})
        self.assertEqual(nodes.VIEW_F32.element, nodes.F32)

    def test_bfm_header_and_entry_sizes(self):
        c = self.constants
        self.assertEqual(bfm.HEADER_SIZE, c["bfm_header_size"])
        self.assertEqual(bfm.FUNC_ENTRY, c["bfm_function_entry_size"])
        self.assertEqual(bfm.CONST_ENTRY, c["bfm_constant_entry_size"])
        self.assertEqual(bfm.BUF_ENTRY, c["bfm_buffer_entry_size"])
        self.assertEqual(bfm.FILE_ENTRY, c["bfm_file_entry_size"])

    def test_reference_evaluator_call_depth(self):
        self.assertEqual(refeval.CALL_DEPTH_LIMIT, self.constants["max_call_depth"])


class DocumentMatchesTheSpec(unittest.TestCase):
    def setUp(self):
        self.types, self.constants = spec_lines()
        self.doc = read(MODULE_FORMAT)

    def test_type_codes_table(self):
        table = self.doc.split("## Type codes", 1)[1].split("\n## ", 1)[0]
        rows = dict(re.findall(r"^\| (\d+) \| (\S+?),? ", table + " ", re.M))
        self.assertEqual({int(code): name for code, name in rows.items()},
                         {code: t for code, t in self.types.values()})

    def test_section_sizes(self):
        for heading, name in (("Header", "bfm_header_size"),
                              ("Function table entry", "bfm_function_entry_size"),
                              ("Constant table entry", "bfm_constant_entry_size"),
                              ("Buffer table entry", "bfm_buffer_entry_size"),
                              ("File table entry", "bfm_file_entry_size")):
            self.assertIn(f"## {heading} ({self.constants[name]} bytes)", self.doc)

    def test_call_depth_limit(self):
        self.assertIn(f"exceed {self.constants['max_call_depth']} frames", self.doc)


class NoSecondDefinitionInCpp(unittest.TestCase):
    """Only spec.def writes these numbers; C++ code names them."""

    def cpp_sources(self):
        for folder in ("microjit", "kernel", "tools", "tests", "fs", "include"):
            for base, _dirs, files in os.walk(os.path.join(ROOT, folder)):
                for name in files:
                    if name.endswith((".h", ".cpp")):
                        path = os.path.join(base, name)
                        yield os.path.relpath(path, ROOT), read(path)

    def test_no_other_type_code_enum_or_call_depth_constant(self):
        enum = re.compile(r"enum class \w+ : u8 \{\s*Void = 0,\s*I32 = 1,")
        depth = re.compile(r"\bmax_call_depth\s*=|depth \+ 1 > 512\b")
        found = [path for path, source in self.cpp_sources() if enum.search(source) or depth.search(source)]
        self.assertEqual(found, [])

    def test_format_h_asserts_the_sizes_against_the_spec(self):
        source = read(os.path.join(ROOT, "microjit", "module", "format.h"))
        for struct_name, name in (("Header", "bfm_header_size"), ("FunctionEntry", "bfm_function_entry_size"),
                                  ("ConstantEntry", "bfm_constant_entry_size"),
                                  ("BufferEntry", "bfm_buffer_entry_size"), ("FileEntry", "bfm_file_entry_size")):
            self.assertIn(f"static_assert(sizeof({struct_name}) == ::{name});", source)


if __name__ == "__main__":
    unittest.main()
