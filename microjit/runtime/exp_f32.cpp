// exp_f32: argument reduction x = n*ln2 + r with |r| <= ln2/2, a degree-12
// Taylor polynomial for e^r in double, then scaling by 2^n through the double
// exponent field and one rounding to float.
//
// Why double: the polynomial's truncation error at |r| = 0.347 is below 1e-15
// relative and each double operation adds about 1.1e-16, against a float ulp
// of 6e-8, so the single final rounding decides the result (see exp_f32.h).
// Why no libm: the kernel has none, and every tier must agree bit for bit.
// pow_f32 reuses the double core (exp_double_in_range) on y*log|x|.
#include <microjit/runtime/exp_f32.h>

namespace {

// ln 2 split so that n * ln2_hi is exact for |n| < 2^11 (ln2_hi has 32
// significant bits); the pair is the fdlibm split.
constexpr double ln2_hi = 6.93147180369123816490e-01;
constexpr double ln2_lo = 1.90821492927058770002e-10;
constexpr double log2_e = 1.44269504088896338700e+00;

// Beyond these, the float result is +inf or +0 whatever the rounding:
// ln(FLT_MAX) = 88.7228..., and e^x < 2^-150 (half the smallest subnormal)
// once x < -103.97...
constexpr float overflow_above = 89.0f;
constexpr float underflow_below = -104.0f;

double scale_by_power_of_two(double value, int n)
{
    // n is in [-152, 130] here, well inside the double exponent range, so
    // building 2^n directly is exact.
    union {
        double d;
        u64 bits;
    } scale;
    scale.bits = static_cast<u64>(static_cast<u32>(n + 1023)) << 52;
    return value * scale.d;
}

}

f32 exp_f32(f32 x)
{
    if (x != x)
        return x + x; // NaN: quiet it, keep the payload
    if (x > overflow_above)
        return __builtin_inff();
    if (x < underflow_below)
        return 0.0f;
    return static_cast<f32>(exp_double_in_range(x));
}

double exp_double_in_range(double xd)
{
    double t = xd * log2_e;
    int n = static_cast<int>(t < 0 ? t - 0.5 : t + 0.5);
    double r = (xd - n * ln2_hi) - n * ln2_lo;

    // Horner form of sum r^k / k!, k = 0..12.
    double p = 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;

    return scale_by_power_of_two(p, n);
}
