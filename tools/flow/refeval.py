"""A reference evaluator of .bfm bytecode, in plain Python.

It executes a ModuleImage instruction by instruction with the semantics of
docs/module-format.md ("Semantics that every tier shares"), traps included.
It is slow and trusts its input (it is no verifier): the tests use it to check
that flowc's code computes what the Flow source says; the real tier-0
interpreter is microjit's.
"""
import math
import struct

from . import f32math
from . import fold
from .spec import SPEC
from .text import decode


# microjit's one definition (microjit/spec.def), so the two never disagree.
CALL_DEPTH_LIMIT = SPEC.constants["max_call_depth"]
I32_TYPES = (SPEC.type_code("I32"),)


class Trap(Exception):
    def __init__(self, name, function):
        super().__init__(f"{name} in {function}")
        self.name = name
        self.function = function


def _i32_from_f32(a, fn):
    if math.isnan(a) or not (-2**31 <= math.trunc(a) <= 2**31 - 1):
        raise Trap("TrapBadConversion", fn)
    return math.trunc(a)


def _min_f32(a, b):
    return a if a < b else b


def _max_f32(a, b):
    return a if a > b else b


class Evaluator:
    def __init__(self, image, ops, step_limit=50_000_000):
        self.image = image
        self.ops = ops
        self.buffers = [[0.0 if t == 4 else 0] * count for _, t, count in image.bufs]
        self.steps = 0
        self.step_limit = step_limit
        self.calls = {}
        self.programs = [self._decode(f) for f in image.functions]
        # Files and the console, in memory: path -> bytes, what each file item
        # is bound to, and everything printed (docs/flow-language.md, "Files").
        self.files = {}
        self.paths = [path for _, path in getattr(image, "files", [])]
        self.console = []

    def _decode(self, f):
        instrs = list(decode(f.code, self.ops))
        index = {pc: k for k, (pc, _, _) in enumerate(instrs)}
        out = []
        for pc, op, values in instrs:
            values = list(values)
            for j, kind in enumerate(op.operands):
                if kind == "TARGET":
                    values[j] = index[values[j]]
            out.append((op.mnemonic, values))
        return out

    def function_index(self, name):
        for i, f in enumerate(self.image.functions):
            if f.name == name:
                return i
        raise KeyError(name)

    def call(self, name_or_index, *args):
        index = name_or_index if isinstance(name_or_index, int) else self.function_index(name_or_index)
        return self._run(index, list(args), 1)

    def _run(self, index, args, depth):
        f = self.image.functions[index]
        if depth > CALL_DEPTH_LIMIT:
            raise Trap("TrapCallDepth", f.name)
        self.calls[f.name] = self.calls.get(f.name, 0) + 1
        r = args + [None] * (len(f.reg_types) - len(args))
        prog = self.programs[index]
        fn = f.name
        wrap = fold.wrap32
        f32 = fold.f32
        pc = 0
        while True:
            self.steps += 1
            if self.steps > self.step_limit:
                raise Trap("StepLimit", fn)
            m, v = prog[pc]
            pc += 1
            if m == "const.i32" or m == "const.f32":
                r[v[0]] = v[1]
            elif m == "mov":
                r[v[0]] = r[v[1]]
            elif m == "gview":
                r[v[0]] = self.buffers[v[1]]
            elif m == "addi.i32":
                r[v[0]] = wrap(r[v[1]] + v[2])
            elif m == "muli.i32":
                r[v[0]] = wrap(r[v[1]] * v[2])
            elif m in _I32_BIN:
                r[v[0]] = _I32_BIN[m](r[v[1]], r[v[2]], fn)
            elif m in _F32_BIN:
                r[v[0]] = f32(_F32_BIN[m](r[v[1]], r[v[2]]))
            elif m in _CMP:
                r[v[0]] = 1 if _CMP[m](r[v[1]], r[v[2]]) else 0
            elif m in _UNARY:
                r[v[0]] = _UNARY[m](r[v[1]], fn)
            elif m == "len":
                r[v[0]] = len(r[v[1]])
            elif m in ("load.i32", "load.f32"):
                view, i = r[v[1]], r[v[2]]
                if not 0 <= i < len(view):
                    raise Trap("TrapOutOfBounds", fn)
                r[v[0]] = view[i]
            elif m in ("store.i32", "store.f32"):
                view, i = r[v[0]], r[v[1]]
                if not 0 <= i < len(view):
                    raise Trap("TrapOutOfBounds", fn)
                view[i] = r[v[2]]
            elif m == "jmp":
                pc = v[0]
            elif m == "jz":
                if r[v[0]] == 0:
                    pc = v[1]
            elif m == "jnz":
                if r[v[0]] != 0:
                    pc = v[1]
            elif m in _BRANCH:
                if _BRANCH[m](r[v[0]], r[v[1]]):
                    pc = v[2]
            elif m == "forloop":
                r[v[0]] = wrap(r[v[0]] + 1)
                if r[v[0]] < r[v[1]]:
                    pc = v[2]
            elif m == "call":
                callee = self.image.functions[v[1]]
                n = len(callee.param_types)
                result = self._run(v[1], r[v[2]:v[2] + n], depth + 1)
                if v[0] != 255:
                    r[v[0]] = result
            elif m == "ret":
                return r[v[0]]
            elif m == "ret.void":
                return None
            elif m in _IO:
                result = _io(self, m, v, r, f, fn)
                if result is not None:
                    r[v[0]] = result
            elif m == "nop":
                pass
            else:
                raise AssertionError(f"refeval: no semantics for {m}")


_IO = {"file.size", "read.file", "write.file", "print.char", "print.i32", "print.f32"}


def _io(self, m, v, r, f, fn):
    """The file and print opcodes over self.files, self.paths and self.console."""
    if m == "print.char":
        self.console.append(chr(r[v[0]] & 255))
        return None
    if m == "print.i32":
        self.console.append(str(r[v[0]]))
        return None
    if m == "print.f32":
        x = r[v[0]]
        self.console.append("nan" if math.isnan(x) else "%.9g" % x)
        return None
    path = self.paths[v[1]]
    if m == "file.size":
        return -2 if path is None else len(self.files[path]) if path in self.files else -1
    a = v[2]
    view = r[a]
    fmt = "<i" if f.reg_types[a] == 3 else "<f"
    at, count = r[a + 1], r[a + 3] if m == "read.file" else r[a + 2]
    if at < 0 or count < 0 or at + count > len(view):
        raise Trap("TrapOutOfBounds", fn)
    if path is None:
        return -2
    if m == "write.file":
        self.files[path] = b"".join(struct.pack(fmt, view[at + k]) for k in range(count))
        return 4 * count
    if path not in self.files:
        return -1
    data, offset = self.files[path], r[a + 2]
    if offset < 0 or offset > len(data):
        return -5
    chunk = data[offset:offset + 4 * count]
    for k in range(0, len(chunk), 4):
        view[at + k // 4] = struct.unpack(fmt, chunk[k:k + 4].ljust(4, b"\0"))[0]
    return len(chunk)


def _div(a, b, fn):
    try:
        return fold.i32_div(a, b)
    except fold.FoldTrap as trap:
        raise Trap("TrapDivideByZero" if trap.key == "const_div_zero" else "TrapOverflow", fn)


def _rem(a, b, fn):
    return a - b * _div(a, b, fn)


_W = fold.wrap32
_I32_BIN = {
    "add.i32": lambda a, b, fn: _W(a + b), "sub.i32": lambda a, b, fn: _W(a - b),
    "mul.i32": lambda a, b, fn: _W(a * b), "div.i32": _div, "rem.i32": _rem,
    "and.i32": lambda a, b, fn: _W(a & b), "or.i32": lambda a, b, fn: _W(a | b),
    "xor.i32": lambda a, b, fn: _W(a ^ b), "shl.i32": lambda a, b, fn: _W(a << (b & 31)),
    "shr.i32": lambda a, b, fn: a >> (b & 31),
    "min.i32": lambda a, b, fn: min(a, b), "max.i32": lambda a, b, fn: max(a, b),
}
_F32_BIN = {
    "add.f32": lambda a, b: a + b, "sub.f32": lambda a, b: a - b,
    # A reduction mark permits a JIT to regroup; evaluated in order it is the plain op.
    "radd.f32": lambda a, b: a + b, "rsub.f32": lambda a, b: a - b,
    "mul.f32": lambda a, b: a * b, "div.f32": fold._f32_div,
    "min.f32": _min_f32, "max.f32": _max_f32,
    "pow.f32": f32math.pow_f32,
}
_CMP = {}
_BRANCH = {}
for _cc, _f in fold.COMPARE.items():
    _name = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[_cc]
    _CMP[_name + ".i32"] = _f
    _CMP[_name + ".f32"] = _f
    _BRANCH["br." + _name + ".i32"] = _f
_UNARY = {
    "neg.i32": lambda a, fn: _W(-a), "not.i32": lambda a, fn: _W(~a),
    "eqz.i32": lambda a, fn: 1 if a == 0 else 0, "abs.i32": lambda a, fn: _W(abs(a)),
    "neg.f32": lambda a, fn: -a, "abs.f32": lambda a, fn: math.fabs(a),
    "sqrt.f32": lambda a, fn: fold.f32(math.sqrt(a)) if a >= 0 else (a if math.isnan(a) else math.nan),
    "exp.f32": lambda a, fn: f32math.exp_f32(a),
    "sin.f32": lambda a, fn: f32math.sin_f32(a),
    "cos.f32": lambda a, fn: f32math.cos_f32(a),
    "log.f32": lambda a, fn: f32math.log_f32(a),
    "floor.f32": lambda a, fn: f32math.floor_f32(a),
    "i32.bits.f32": lambda a, fn: 0x7FC00000 if math.isnan(a) else fold.wrap32(fold.f32_bits(a)),
    "f32.bits.i32": lambda a, fn: fold.f32_from_bits(a & 0xFFFFFFFF),
    "f32.from.i32": lambda a, fn: fold.f32(float(a)),
    "i32.from.f32": _i32_from_f32,
}
