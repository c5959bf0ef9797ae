// pow_f32: the special cases of C99 F.9.4.4 first, then
// |x|^y = e^(y * ln|x|) in double with microjit's own cores
// (log_double_of_positive, exp_double_in_range) and one rounding to float.
//
// Why that is accurate enough (Muller, "Elementary Functions", on pow through
// exp and log): ln|x| has a relative error near 3e-16, so y*ln|x| = z has an
// absolute error near 3e-16 * |z|; any z outside [-104, 89] gives +0 or +inf
// whatever the error, so inside it the absolute error stays below 1e-13, and
// e^z's relative error is the same size, far under a float ulp (6e-8).
// tools/flow/refeval.py repeats every step in Python.
#include <microjit/runtime/exp_f32.h>
#include <microjit/runtime/log_f32.h>
#include <microjit/runtime/pow_f32.h>

namespace {

u32 bits_of(f32 x) { return __builtin_bit_cast(u32, x); }
f32 from_bits(u32 bits) { return __builtin_bit_cast(f32, bits); }

constexpr u32 default_nan = 0x7fc00000;
constexpr u32 infinity_bits = 0x7f800000;

enum class IntegerKind {
    NotInteger,
    Even,
    Odd,
};

// y finite or infinite; infinities count as even integers (as in C99).
IntegerKind integer_kind(f32 y)
{
    u32 magnitude = bits_of(y) & 0x7fffffff;
    i32 e = static_cast<i32>(magnitude >> 23) - 127;
    if (e >= 24)
        return IntegerKind::Even; // every float >= 2^24 is an even integer
    if (e < 0)
        return magnitude == 0 ? IntegerKind::Even : IntegerKind::NotInteger;
    u32 m = (magnitude & 0x7fffff) | 0x800000;
    u32 fraction_bits = 23 - static_cast<u32>(e);
    if (fraction_bits > 0 && (m & ((1u << fraction_bits) - 1)) != 0)
        return IntegerKind::NotInteger;
    return ((m >> fraction_bits) & 1) ? IntegerKind::Odd : IntegerKind::Even;
}

f32 with_sign(f32 magnitude, bool negative) { return negative ? -magnitude : magnitude; }

}

f32 pow_f32(f32 x, f32 y)
{
    u32 xb = bits_of(x);
    u32 yb = bits_of(y);
    u32 xm = xb & 0x7fffffff;
    u32 ym = yb & 0x7fffffff;
    if (ym == 0 || xb == bits_of(1.0f))
        return 1.0f;
    if (x != x || y != y)
        return x + y; // NaN: quiet it, keep a payload
    bool y_negative = (yb >> 31) != 0;
    bool x_negative = (xb >> 31) != 0;
    IntegerKind kind = integer_kind(y);
    if (ym == infinity_bits) {
        if (xm == bits_of(1.0f))
            return 1.0f; // pow(-1, +-inf)
        bool below_one = xm < bits_of(1.0f);
        return (below_one != y_negative) ? 0.0f : from_bits(infinity_bits);
    }
    if (xm == 0 || xm == infinity_bits) {
        // x = +-0 or +-inf: the magnitude is 0 or inf, the sign comes from an
        // odd integer y. pow(+-inf, y) is pow(+-0, -y).
        bool zero_result = (xm == 0) != y_negative;
        f32 magnitude = zero_result ? 0.0f : from_bits(infinity_bits);
        return with_sign(magnitude, x_negative && kind == IntegerKind::Odd);
    }
    if (x_negative && kind == IntegerKind::NotInteger)
        return from_bits(default_nan);
    bool negate = x_negative && kind == IntegerKind::Odd;

    double z = static_cast<double>(y) * log_double_of_positive(from_bits(xm));
    if (z > 89.0)
        return with_sign(from_bits(infinity_bits), negate);
    if (z < -104.0)
        return with_sign(0.0f, negate);
    return with_sign(static_cast<f32>(exp_double_in_range(z)), negate);
}
