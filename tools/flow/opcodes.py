"""The opcode list, read from microjit/opcodes.def at run time.

opcodes.def is the single source of truth shared with microjit/: the C++ side
includes it as an X-macro and this module parses the same lines with a regular
expression, so a renumbered or added opcode never needs a second edit here.
"""
import os
import re

from .deffile import load_def

# Operand kinds and their encoded sizes (docs/module-format.md, "Bytecode").
OPERAND_SIZES = {
    "W_I32": 1, "W_F32": 1, "R_I32": 1, "R_F32": 1, "RW_I32": 1,
    "R_VIEW": 1, "R_VIEW_I32": 1, "R_VIEW_F32": 1, "W_VIEW": 1,
    "W_ANY": 1, "R_ANY": 1, "R_RET": 1, "W_RESULT": 1, "ARGS": 1, "IO_ARGS": 1,
    "IMM_I32": 4, "IMM_F32": 4, "BUF": 2, "FUNC": 2, "TARGET": 4, "FILE": 2,
}

REGISTER_KINDS = {k for k, size in OPERAND_SIZES.items() if size == 1}

_OP_LINE = re.compile(
    r'^\s*OP\(\s*(?P<name>[A-Z0-9_]+)\s*,\s*(?P<code>0x[0-9A-Fa-f]+|\d+)\s*,\s*'
    r'"(?P<mnemonic>[a-z0-9.]+)"\s*(?P<operands>(?:,\s*[A-Z0-9_]+\s*)*)\)')


class Opcode:
    __slots__ = ("name", "code", "mnemonic", "operands", "size")

    def __init__(self, name, code, mnemonic, operands):
        self.name = name
        self.code = code
        self.mnemonic = mnemonic
        self.operands = tuple(operands)
        self.size = 1 + sum(OPERAND_SIZES[k] for k in operands)

    def __repr__(self):
        return f"Opcode({self.mnemonic}, 0x{self.code:02X})"


class OpcodeTableError(Exception):
    pass


def default_path():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(os.path.dirname(here)), "microjit", "opcodes.def")


def parse_opcodes(text, source="opcodes.def"):
    """Returns {mnemonic: Opcode} for every OP(...) line of `text`."""
    table = {}
    codes = set()
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.split("//", 1)[0].strip()
        if not stripped.startswith("OP("):
            continue
        m = _OP_LINE.match(stripped)
        if not m:
            raise OpcodeTableError(f"{source}:{number}: cannot parse: {line.strip()}")
        operands = [o.strip() for o in m.group("operands").split(",") if o.strip()]
        for kind in operands:
            if kind not in OPERAND_SIZES:
                raise OpcodeTableError(f"{source}:{number}: unknown operand kind {kind}")
        code = int(m.group("code"), 0)
        if code in codes or code > 0xFF:
            raise OpcodeTableError(f"{source}:{number}: bad or duplicate opcode 0x{code:X}")
        codes.add(code)
        op = Opcode(m.group("name"), code, m.group("mnemonic"), operands)
        table[op.mnemonic] = op
    if not table:
        raise OpcodeTableError(f"{source}: no OP(...) lines found")
    return table


def load(path=None):
    """The opcode table from `path` (default: the repository's microjit/opcodes.def)."""
    return load_def(path or default_path(), parse_opcodes, OpcodeTableError, "opcode list")


def by_code(table):
    return {op.code: op for op in table.values()}
