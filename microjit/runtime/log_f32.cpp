// log_f32: x = 2^e * m with m in [sqrt(1/2), sqrt(2)), then
// ln(x) = e*ln2 + 2*atanh(s) with s = (m-1)/(m+1), all in double, and one
// rounding to float.
//
// Method: the atanh series (Muller, "Elementary Functions", the classical
// reduction for log; fdlibm's e_log.c uses the same s). |s| <= 0.1716, so
// the terms up to s^21/21 leave a truncation error below 1e-18 relative;
// m - 1 and m + 1 are exact in double, so s carries one rounding. e*ln2 uses
// the fdlibm split of ln2 so that e*ln2_hi is exact. The error in double is a
// few 1e-16, against a float ulp of 6e-8 (see log_f32.h).
// tools/flow/refeval.py repeats every step in Python.
#include <microjit/runtime/log_f32.h>

namespace {

constexpr double ln2_hi = 6.93147180369123816490e-01;
constexpr double ln2_lo = 1.90821492927058770002e-10;
// The largest 24-bit mantissa m with m / 2^23 < sqrt(2).
constexpr u32 sqrt2_mantissa = 0xb504f3;

}

double log_double_of_positive(f32 x)
{
    u32 bits = __builtin_bit_cast(u32, x);
    i32 e = static_cast<i32>(bits >> 23) - 127;
    u32 m = bits & 0x7fffff;
    if (e == -127) {
        // Subnormal: normalise the mantissa so that m has its bit 23 set.
        e = -126;
        while (m < 0x800000) {
            m <<= 1;
            e -= 1;
        }
    } else {
        m |= 0x800000;
    }
    double md = static_cast<double>(static_cast<i32>(m)) * (1.0 / 8388608.0); // m / 2^23, in [1, 2)
    if (m > sqrt2_mantissa) {
        md = md * 0.5;
        e += 1;
    }
    double s = (md - 1.0) / (md + 1.0);
    double z = s * s;
    // 2*atanh(s) = 2s + 2s^3/3 + ... + 2s^21/21, Horner in s^2.
    double p = 2.0 / 21.0;
    p = p * z + 2.0 / 19.0;
    p = p * z + 2.0 / 17.0;
    p = p * z + 2.0 / 15.0;
    p = p * z + 2.0 / 13.0;
    p = p * z + 2.0 / 11.0;
    p = p * z + 2.0 / 9.0;
    p = p * z + 2.0 / 7.0;
    p = p * z + 2.0 / 5.0;
    p = p * z + 2.0 / 3.0;
    double log_m = 2.0 * s + s * z * p;
    double ed = static_cast<double>(e);
    return ed * ln2_hi + (ed * ln2_lo + log_m);
}

f32 log_f32(f32 x)
{
    if (x != x)
        return x + x; // NaN: quiet it, keep the payload
    if (x == 0.0f)
        return -__builtin_inff();
    if (x < 0.0f)
        return __builtin_bit_cast(f32, 0x7fc00000u); // the default NaN
    if (x == __builtin_inff())
        return x;
    return static_cast<f32>(log_double_of_positive(x));
}
