"""Bit-exact Python versions of microjit's math routines (microjit/runtime/
exp_f32.cpp, trig_f32.cpp, log_f32.cpp, pow_f32.cpp, floor_f32.cpp), for the
reference evaluator.

How the bits stay the same: every C++ step is a double operation (+ - * /,
each rounded to nearest once, no FMA: the build has none) or integer
arithmetic on u32/u64/i32. Python floats are IEEE doubles with the same
rounding, so each line below repeats one C++ line; integer steps use Python
ints masked to the C++ width. A conversion to float is fold.f32 (one rounding
to nearest, overflow to infinity, as CVTSD2SS does). Keep the two step for
step identical; tests/tools/test_math_builtins.py compares them through
flowrun at every tier.
"""
import math
import struct

from .fold import f32, f32_bits, f32_from_bits

_MASK32 = 0xFFFFFFFF
_DEFAULT_NAN = f32_from_bits(0x7FC00000)
_INF = math.inf

# --- exp (exp_f32.cpp) -------------------------------------------------------
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LOG2_E = 1.44269504088896338700e+00


def _scale_by_power_of_two(value, n):
    return value * struct.unpack("<d", struct.pack("<Q", (n + 1023) << 52))[0]


def exp_double_in_range(xd):
    t = xd * _LOG2_E
    n = int(t - 0.5 if t < 0 else t + 0.5)  # C's conversion truncates, as int() does
    r = (xd - n * _LN2_HI) - n * _LN2_LO
    p = 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    return _scale_by_power_of_two(p, n)


def exp_f32(x):
    if math.isnan(x):
        return x
    if x > 89.0:
        return _INF
    if x < -104.0:
        return 0.0
    return f32(exp_double_in_range(x))


# --- sin, cos (trig_f32.cpp) ---------------------------------------------------
TWO_OVER_PI = (
    0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0, 0xdb629599,
    0x3c439041, 0xfe5163ab, 0xdebbc561, 0xb7246e3a, 0x424dd2e0,
)
_PI_OVER_2_SCALED = 1.5707963267948966 / 19807040628566084398385987584.0
_PI_OVER_4_BITS = 0x3f490fdb


def _two_over_pi_bits(p):
    q, s = divmod(p, 32)
    high = 0 if q == 0 else TWO_OVER_PI[q - 1]
    if s == 0:
        return high
    return ((high << s) | (TWO_OVER_PI[q] >> (32 - s))) & _MASK32


def _reduce(bits):
    m = (bits & 0x7fffff) | 0x800000
    e = bits >> 23
    top = e - 150 + 94
    w2 = _two_over_pi_bits(top - 64)
    w1 = _two_over_pi_bits(top - 32)
    w0 = _two_over_pi_bits(top)
    p0 = m * w0
    p1 = m * w1 + (p0 >> 32)
    p2 = m * w2 + (p1 >> 32)
    l0, l1, l2 = p0 & _MASK32, p1 & _MASK32, p2 & _MASK32
    n = ((l2 + (1 << 29)) & _MASK32) >> 30
    high = (l2 - (n << 30)) & _MASK32
    if high & 0x80000000:
        high -= 1 << 32
    fixed = (float(high) * 4294967296.0 + float(l1)) * 4294967296.0 + float(l0)
    return fixed * _PI_OVER_2_SCALED, n & 3


def _sin_poly(r):
    z = r * r
    p = -1.0 / 1307674368000.0
    p = p * z + 1.0 / 6227020800.0
    p = p * z + -1.0 / 39916800.0
    p = p * z + 1.0 / 362880.0
    p = p * z + -1.0 / 5040.0
    p = p * z + 1.0 / 120.0
    p = p * z + -1.0 / 6.0
    return r + r * z * p


def _cos_poly(r):
    z = r * r
    p = 1.0 / 20922789888000.0
    p = p * z + -1.0 / 87178291200.0
    p = p * z + 1.0 / 479001600.0
    p = p * z + -1.0 / 3628800.0
    p = p * z + 1.0 / 40320.0
    p = p * z + -1.0 / 720.0
    p = p * z + 1.0 / 24.0
    p = p * z + -0.5
    return 1.0 + z * p


def _sin_or_cos(x, cosine):
    if math.isnan(x):
        return x
    bits = f32_bits(x)
    magnitude = bits & 0x7fffffff
    if magnitude == 0x7f800000:
        return _DEFAULT_NAN
    negative = (bits >> 31) != 0
    r, n = f32_from_bits(magnitude), 0
    if magnitude >= _PI_OVER_4_BITS:
        r, n = _reduce(magnitude)
    q = (n + 1) & 3 if cosine else n
    v = _cos_poly(r) if q & 1 else _sin_poly(r)
    if q & 2:
        v = -v
    if negative and not cosine:
        v = -v
    return f32(v)


def sin_f32(x):
    return _sin_or_cos(x, False)


def cos_f32(x):
    return _sin_or_cos(x, True)


# --- log (log_f32.cpp) ---------------------------------------------------------
_SQRT2_MANTISSA = 0xb504f3


def log_double_of_positive(x):
    bits = f32_bits(x)
    e = (bits >> 23) - 127
    m = bits & 0x7fffff
    if e == -127:
        e = -126
        while m < 0x800000:
            m <<= 1
            e -= 1
    else:
        m |= 0x800000
    md = float(m) * (1.0 / 8388608.0)
    if m > _SQRT2_MANTISSA:
        md = md * 0.5
        e += 1
    s = (md - 1.0) / (md + 1.0)
    z = s * s
    p = 2.0 / 21.0
    p = p * z + 2.0 / 19.0
    p = p * z + 2.0 / 17.0
    p = p * z + 2.0 / 15.0
    p = p * z + 2.0 / 13.0
    p = p * z + 2.0 / 11.0
    p = p * z + 2.0 / 9.0
    p = p * z + 2.0 / 7.0
    p = p * z + 2.0 / 5.0
    p = p * z + 2.0 / 3.0
    log_m = 2.0 * s + s * z * p
    ed = float(e)
    return ed * _LN2_HI + (ed * _LN2_LO + log_m)


def log_f32(x):
    if math.isnan(x):
        return x
    if x == 0.0:
        return -_INF
    if x < 0.0:
        return _DEFAULT_NAN
    if x == _INF:
        return x
    return f32(log_double_of_positive(x))


# --- pow (pow_f32.cpp) ---------------------------------------------------------
_NOT_INTEGER, _EVEN, _ODD = 0, 1, 2
_ONE_BITS = 0x3f800000


def _integer_kind(y):
    magnitude = f32_bits(y) & 0x7fffffff
    e = (magnitude >> 23) - 127
    if e >= 24:
        return _EVEN
    if e < 0:
        return _EVEN if magnitude == 0 else _NOT_INTEGER
    m = (magnitude & 0x7fffff) | 0x800000
    fraction_bits = 23 - e
    if fraction_bits > 0 and (m & ((1 << fraction_bits) - 1)) != 0:
        return _NOT_INTEGER
    return _ODD if (m >> fraction_bits) & 1 else _EVEN


def _with_sign(magnitude, negative):
    return -magnitude if negative else magnitude


def pow_f32(x, y):
    xb, yb = f32_bits(x), f32_bits(y)
    xm, ym = xb & 0x7fffffff, yb & 0x7fffffff
    if ym == 0 or xb == _ONE_BITS:
        return 1.0
    if math.isnan(x) or math.isnan(y):
        return x + y
    y_negative = (yb >> 31) != 0
    x_negative = (xb >> 31) != 0
    kind = _integer_kind(y)
    if ym == 0x7f800000:
        if xm == _ONE_BITS:
            return 1.0
        below_one = xm < _ONE_BITS
        return 0.0 if below_one != y_negative else _INF
    if xm == 0 or xm == 0x7f800000:
        zero_result = (xm == 0) != y_negative
        return _with_sign(0.0 if zero_result else _INF, x_negative and kind == _ODD)
    if x_negative and kind == _NOT_INTEGER:
        return _DEFAULT_NAN
    negate = x_negative and kind == _ODD
    z = y * log_double_of_positive(f32_from_bits(xm))
    if z > 89.0:
        return _with_sign(_INF, negate)
    if z < -104.0:
        return _with_sign(0.0, negate)
    return _with_sign(f32(exp_double_in_range(z)), negate)


# --- floor (floor_f32.cpp; exact, so any exact method agrees) -------------------
def floor_f32(x):
    if math.isnan(x) or math.isinf(x) or x == 0.0:
        return x
    return float(math.floor(x))
