// sin_f32 and cos_f32: reduce |x| to r = |x| - n*pi/2 with |r| <= pi/4, then
// a Taylor polynomial of sin or cos of r in double and one rounding to float.
//
// Reduction (Payne & Hanek, "Radian reduction for trigonometric functions",
// SIGNUM Newsletter 18, 1983; Muller, "Elementary Functions", ch. 11): an f32
// is m * 2^k with a 24-bit integer m, so |x| * 2/pi mod 4 only needs the bits
// of 2/pi from weight 2^-(k-1) on; bits above that add multiples of 4. We
// multiply m by a 96-bit window of 2/pi in integer arithmetic, which gives
// the quadrant n and r's fraction to 2^-70 absolute for every finite x. One
// path for every |x| >= pi/4 (no Cody-Waite fast path) keeps one method to
// check; the floats closest to a multiple of pi/2 still keep |r| > 1e-10, so
// r has a relative error near 1e-16 before the polynomial.
//
// Polynomials: Taylor to r^15 for sin and r^16 for cos; at |r| = pi/4 the
// truncation is below 1e-16 relative, so the single final rounding to float
// decides the result (see trig_f32.h). tools/flow/refeval.py repeats every
// step in Python with the same double operations.
#include <microjit/runtime/trig_f32.h>

namespace {

// 2/pi after the binary point, 32 bits per word, most significant first
// (word i holds bits 32i+1 .. 32i+32). tests/tools/test_math_builtins.py
// recomputes them from Machin's formula.
constexpr u32 two_over_pi[] = {
    0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0, 0xdb629599,
    0x3c439041, 0xfe5163ab, 0xdebbc561, 0xb7246e3a, 0x424dd2e0,
};

// floor(2/pi * 2^p) mod 2^32: the 32 bits ending at weight 2^-p.
u32 two_over_pi_bits(u32 p)
{
    u32 q = p / 32;
    u32 s = p % 32;
    u32 high = q == 0 ? 0 : two_over_pi[q - 1];
    if (s == 0)
        return high;
    return (high << s) | (two_over_pi[q] >> (32 - s));
}

// pi/2 * 2^-94: scales the 96-bit fixed-point remainder back to radians.
constexpr double pi_over_2_scaled = 1.5707963267948966 / 19807040628566084398385987584.0;
constexpr u32 pi_over_4_bits = 0x3f490fdb; // the float just above pi/4

struct Reduced {
    double r; // |x| - n*pi/2, in [-pi/4, pi/4]
    u32 n;    // quadrant, mod 4
};

// |x| = bits (sign cleared, finite, >= pi/4, so normal).
Reduced reduce(u32 bits)
{
    u32 m = (bits & 0x7fffff) | 0x800000;
    u32 e = bits >> 23;
    // |x| = m * 2^k, k = e - 150. P = |x| * 2/pi mod 4 as a 96-bit number with
    // 94 fraction bits is m * floor(2/pi * 2^(k+94)) mod 2^96, short of the
    // dropped bits' part, below m units of 2^-94.
    u32 top = e - 150 + 94; // in [70, 198] for e in [126, 254]
    u32 w2 = two_over_pi_bits(top - 64);
    u32 w1 = two_over_pi_bits(top - 32);
    u32 w0 = two_over_pi_bits(top);
    u64 p0 = static_cast<u64>(m) * w0;
    u64 p1 = static_cast<u64>(m) * w1 + (p0 >> 32);
    u64 p2 = static_cast<u64>(m) * w2 + (p1 >> 32);
    u32 l0 = static_cast<u32>(p0);
    u32 l1 = static_cast<u32>(p1);
    u32 l2 = static_cast<u32>(p2); // 2 integer bits, then 30 fraction bits
    // Round to the nearest quadrant; the remainder becomes signed.
    u32 n = (l2 + (1u << 29)) >> 30;
    i32 high = static_cast<i32>(l2 - (n << 30));
    double fixed = (static_cast<double>(high) * 4294967296.0 + static_cast<double>(l1)) * 4294967296.0
        + static_cast<double>(l0);
    return { fixed * pi_over_2_scaled, n & 3 };
}

double sin_poly(double r)
{
    // r - r^3/3! + ... - r^15/15!, Horner in r^2.
    double z = r * r;
    double p = -1.0 / 1307674368000.0;
    p = p * z + 1.0 / 6227020800.0;
    p = p * z + -1.0 / 39916800.0;
    p = p * z + 1.0 / 362880.0;
    p = p * z + -1.0 / 5040.0;
    p = p * z + 1.0 / 120.0;
    p = p * z + -1.0 / 6.0;
    return r + r * z * p;
}

double cos_poly(double r)
{
    // 1 - r^2/2! + ... + r^16/16!, Horner in r^2.
    double z = r * r;
    double p = 1.0 / 20922789888000.0;
    p = p * z + -1.0 / 87178291200.0;
    p = p * z + 1.0 / 479001600.0;
    p = p * z + -1.0 / 3628800.0;
    p = p * z + 1.0 / 40320.0;
    p = p * z + -1.0 / 720.0;
    p = p * z + 1.0 / 24.0;
    p = p * z + -0.5;
    return 1.0 + z * p;
}

u32 bits_of(f32 x) { return __builtin_bit_cast(u32, x); }
f32 from_bits(u32 bits) { return __builtin_bit_cast(f32, bits); }

constexpr u32 default_nan = 0x7fc00000;

// sin (cosine == false) or cos of x; quadrant q of the reduced argument
// picks +-sin(r) or +-cos(r).
f32 sin_or_cos(f32 x, bool cosine)
{
    if (x != x)
        return x + x; // NaN: quiet it, keep the payload
    u32 bits = bits_of(x);
    u32 magnitude = bits & 0x7fffffff;
    if (magnitude == 0x7f800000)
        return from_bits(default_nan);
    bool negative = (bits >> 31) != 0;
    Reduced red { static_cast<double>(from_bits(magnitude)), 0 };
    if (magnitude >= pi_over_4_bits)
        red = reduce(magnitude);
    // sin(-x) = -sin(x), cos(-x) = cos(x); cos(x + n*pi/2) = sin(x + (n+1)*pi/2).
    u32 q = cosine ? (red.n + 1) & 3 : red.n;
    double v = (q & 1) ? cos_poly(red.r) : sin_poly(red.r);
    if (q & 2)
        v = -v;
    if (negative && !cosine)
        v = -v;
    return static_cast<f32>(v);
}

}

f32 sin_f32(f32 x) { return sin_or_cos(x, false); }

f32 cos_f32(f32 x) { return sin_or_cos(x, true); }
