"""The Flow specification's numbers, read from microjit/spec.def at run time.

spec.def is the single source of truth shared with microjit/: the C++ side
includes it as an X-macro (microjit/spec.h) and this module parses the same
lines with regular expressions, the way opcodes.py reads opcodes.def. The
value type codes, the call-depth limit and the .bfm format's sizes and limits
are therefore written once.
"""
import os
import re

from .deffile import load_def

_TYPE_LINE = re.compile(r'^VALUE_TYPE\(\s*(?P<name>[A-Za-z0-9_]+)\s*,\s*(?P<code>\d+)\s*,\s*"(?P<text>[^"]+)"\s*\)$')
_CONSTANT_LINE = re.compile(r'^(?P<kind>CONSTANT|BFM)\(\s*(?P<name>[a-z0-9_]+)\s*,\s*(?P<value>0x[0-9A-Fa-f]+|\d+)\s*\)$')


class SpecError(Exception):
    pass


class Spec:
    """types: {Name: (code, text)} in file order; constants: {name: value}
    of the runtime; bfm: {name: value} of the .bfm format."""

    def __init__(self, types, constants, bfm):
        self.types = types
        self.constants = constants
        self.bfm = bfm

    def type_code(self, name):
        return self.types[name][0]

    @property
    def type_names(self):
        """{code: "i32"}, as flowc's listings and messages spell the types."""
        return {code: text for code, text in self.types.values()}


def default_path():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(os.path.dirname(here)), "microjit", "spec.def")


def parse_spec(text, source="spec.def"):
    types, numbers = {}, {"CONSTANT": {}, "BFM": {}}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.split("//", 1)[0].strip()
        if not stripped.startswith(("VALUE_TYPE(", "CONSTANT(", "BFM(")):
            continue
        t = _TYPE_LINE.match(stripped)
        c = _CONSTANT_LINE.match(stripped)
        if t:
            code = int(t.group("code"))
            if t.group("name") in types or code in (v[0] for v in types.values()):
                raise SpecError(f"{source}:{number}: duplicate type {t.group('name')} or code {code}")
            types[t.group("name")] = (code, t.group("text"))
        elif c:
            table = numbers[c.group("kind")]
            if c.group("name") in table:
                raise SpecError(f"{source}:{number}: duplicate {c.group('kind')} {c.group('name')}")
            table[c.group("name")] = int(c.group("value"), 0)
        else:
            raise SpecError(f"{source}:{number}: cannot parse: {line.strip()}")
    if not types or not numbers["CONSTANT"] or not numbers["BFM"]:
        raise SpecError(f"{source}: a VALUE_TYPE(...), CONSTANT(...) or BFM(...) line is missing")
    return Spec(types, numbers["CONSTANT"], numbers["BFM"])


def load(path=None):
    """The specification from `path` (default: the repository's microjit/spec.def)."""
    return load_def(path or default_path(), parse_spec, SpecError, "the spec list")


SPEC = load()
