"""Constant folding with the exact run-time semantics of docs/module-format.md.

i32 results wrap modulo 2^32; f32 results are computed in double precision and
rounded once to single, which gives the correctly rounded single result for
+ - * / and sqrt (a double has more than 2*24+2 bits, so the double rounding
is innocuous). An operation is left unfolded (None) when its result or an
operand is NaN, because NaN bit patterns are the CPU's business, and `exp`,
`sin`, `cos`, `log` and `pow` are never folded because microjit computes them
with its own routines. `floor` and the bit casts are exact, so they fold.

Operations that would trap raise FoldTrap; the checker turns that into a
compile error, since the expression would trap every time it runs.
"""
import math
import struct

from .nodes import I32, F32

INT_MIN = -(2**31)


class FoldTrap(Exception):
    def __init__(self, key, **fields):
        super().__init__(key)
        self.key = key
        self.fields = fields


def wrap32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def f32(v):
    """Rounds to the nearest f32; overflow gives a signed infinity, as SSE does."""
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:
        return math.copysign(math.inf, v)


def f32_bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def f32_from_bits(b):
    return struct.unpack("<f", struct.pack("<I", b))[0]


def i32_div(a, b):
    if b == 0:
        raise FoldTrap("const_div_zero")
    if a == INT_MIN and b == -1:
        raise FoldTrap("const_overflow")
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def i32_rem(a, b):
    return a - b * i32_div(a, b)


def _f32_div(a, b):
    if b == 0:
        if a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


_I32_BINARY = {
    "+": lambda a, b: wrap32(a + b),
    "-": lambda a, b: wrap32(a - b),
    "*": lambda a, b: wrap32(a * b),
    "/": lambda a, b: i32_div(a, b),
    "%": lambda a, b: i32_rem(a, b),
    "&": lambda a, b: wrap32(a & b),
    "|": lambda a, b: wrap32(a | b),
    "^": lambda a, b: wrap32(a ^ b),
    "<<": lambda a, b: wrap32(a << (b & 31)),
    ">>": lambda a, b: a >> (b & 31),
    "min": min,
    "max": max,
}

_F32_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _f32_div,
    "min": lambda a, b: a if a < b else b,
    "max": lambda a, b: a if a > b else b,
}

COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _finite_result(v):
    return None if math.isnan(v) else v


def binary(op, operand_type, a, b):
    """Folds `a op b` (both of operand_type); None when it must stay a run-time op."""
    if op in COMPARE:
        if operand_type is F32 and (math.isnan(a) or math.isnan(b)):
            return None
        return 1 if COMPARE[op](a, b) else 0
    if op == "&&":
        return 1 if (a != 0 and b != 0) else 0
    if op == "||":
        return 1 if (a != 0 or b != 0) else 0
    if operand_type is I32:
        return _I32_BINARY[op](a, b)
    if math.isnan(a) or math.isnan(b):
        return None
    return _finite_result(f32(_F32_BINARY[op](a, b)))


def unary(op, operand_type, a):
    """Folds a unary operator or one-argument builtin; None when left to run time."""
    if operand_type is I32:
        if op == "-":
            return wrap32(-a)
        if op == "~":
            return wrap32(~a)
        if op == "!":
            return 1 if a == 0 else 0
        if op == "abs":
            return wrap32(abs(a))
        if op == "f32":
            return f32(float(a))
        if op == "i32":
            return a
        if op == "from_bits":
            v = f32_from_bits(a & 0xFFFFFFFF)
            return None if math.isnan(v) else v
        raise AssertionError(op)
    if math.isnan(a):
        return None
    if op == "-":
        return -a
    if op == "abs":
        return math.fabs(a)
    if op == "sqrt":
        return None if a < 0 else f32(math.sqrt(a))
    if op == "f32":
        return a
    if op == "i32":
        if math.isinf(a) or not (INT_MIN <= math.trunc(a) <= 2**31 - 1):
            raise FoldTrap("const_conversion", value=repr(a))
        return math.trunc(a)
    if op in ("exp", "sin", "cos", "log"):
        return None
    if op == "floor":
        return float(math.floor(a)) if math.isfinite(a) and a != 0 else a
    if op == "to_bits":
        return wrap32(f32_bits(a))
    raise AssertionError(op)
