"""The text form of a module (`flowc --emit-text`): bytecode for people to read.

One header line per module, constants, buffers and file items, then per function a header
with its signature and register types and one instruction per line:
    0012  br.ge.i32   r1, r2, @0030
Offsets are bytes from the start of the function; `@N` is a jump target.
"""
import struct

from . import bfm, opcodes
from .spec import SPEC

TYPE_NAMES = SPEC.type_names


class DecodeError(Exception):
    pass


def decode(code, ops):
    """Yields (offset, Opcode, [operand values]) for a function's bytecode."""
    table = opcodes.by_code(ops)
    pc = 0
    while pc < len(code):
        op = table.get(code[pc])
        if op is None:
            raise DecodeError(f"unknown opcode 0x{code[pc]:02X} at {pc}")
        if pc + op.size > len(code):
            raise DecodeError(f"instruction at {pc} runs past the end")
        at = pc + 1
        values = []
        for kind in op.operands:
            size = opcodes.OPERAND_SIZES[kind]
            raw = code[at:at + size]
            if kind == "IMM_I32":
                values.append(struct.unpack("<i", raw)[0])
            elif kind == "IMM_F32":
                values.append(struct.unpack("<f", raw)[0])
            elif size == 1:
                values.append(raw[0])
            else:
                values.append(int.from_bytes(raw, "little"))
            at += size
        yield pc, op, values
        pc += op.size


def format_operand(kind, value, image):
    if kind == "W_RESULT" and value == 255:
        return "_"
    if kind == "TARGET":
        return f"@{value:04d}"
    if kind == "IMM_I32":
        return str(value)
    if kind == "IMM_F32":
        return f"{value!r}f"
    if kind == "FUNC":
        name = image.functions[value].name if value < len(image.functions) else "?"
        return f"{name}#{value}"
    if kind == "BUF":
        name = image.bufs[value][0] if value < len(image.bufs) else "?"
        return f"{name}#{value}"
    if kind == "FILE":
        name = image.files[value][0] if value < len(image.files) else "?"
        return f"{name}#{value}"
    return f"r{value}"


def render(image, ops):
    out = [f"module {image.name}  ; format {bfm.FORMAT_VERSION}, "
           f"{len(image.functions)} function(s), entry "
           + ("none" if image.entry == bfm.NO_ENTRY else image.functions[image.entry].name)]
    for name, type_code, value in image.consts:
        out.append(f"const {name}: {TYPE_NAMES[type_code]} = {value!r}")
    for i, (name, type_code, count) in enumerate(image.bufs):
        out.append(f"buf #{i} {name}: [{TYPE_NAMES[type_code - 2]}; {count}]")
    for i, (name, path) in enumerate(image.files):
        out.append(f"file #{i} {name}" + ("" if path is None else f' = "{path}"'))
    for i, f in enumerate(image.functions):
        params = ", ".join(f"r{k}: {TYPE_NAMES[t]}" for k, t in enumerate(f.param_types))
        out.append("")
        out.append(f"fn #{i} {f.name}({params}) -> {TYPE_NAMES[f.return_type]}"
                   f"  ; {len(f.reg_types)} registers, {len(f.code)} bytes")
        out.append("  ; registers: " + " ".join(
            f"r{k}:{TYPE_NAMES[t]}" for k, t in enumerate(f.reg_types)))
        for pc, op, values in decode(f.code, ops):
            operands = ", ".join(format_operand(k, v, image) for k, v in zip(op.operands, values))
            out.append(f"  {pc:04d}  {op.mnemonic:<13s}{operands}".rstrip())
    return "\n".join(out) + "\n"
