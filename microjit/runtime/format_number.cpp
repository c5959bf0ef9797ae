// format_i32 and format_f32; see format_number.h.
//
// format_f32 follows C99 7.19.6.1 for %.9g: the value is rounded to 9
// significant digits (ties to even, as glibc does in the default rounding
// mode); with X the decimal exponent of the rounded value, X in [-4, 9)
// prints in fixed style and anything else as d.dddddddde±XX, and trailing
// zeros of the fraction are removed, with the point when nothing follows it.
// The rounding works on the exact decimal expansion of the float: a finite
// f32 is m * 2^e with m < 2^24 and e in [-149, 104], so m * 2^e (e >= 0) or
// m * 5^-e, times 10^e (e < 0) has at most 113 decimal digits.
#include <microjit/runtime/format_number.h>

namespace {

constexpr u32 max_digits = 120;

// A decimal integer, least significant digit first.
struct Decimal {
    u8 digits[max_digits];
    u32 count;

    void set(u32 value)
    {
        count = 0;
        do {
            digits[count++] = static_cast<u8>(value % 10);
            value /= 10;
        } while (value != 0);
    }
    void multiply(u32 factor) // factor <= 10
    {
        u32 carry = 0;
        for (u32 i = 0; i < count; ++i) {
            u32 product = digits[i] * factor + carry;
            digits[i] = static_cast<u8>(product % 10);
            carry = product / 10;
        }
        while (carry != 0) {
            digits[count++] = static_cast<u8>(carry % 10);
            carry /= 10;
        }
    }
    u32 most(u32 k) const { return digits[count - 1 - k]; } // k-th digit from the most significant
};

u32 copy(char* out, u32 at, const char* text)
{
    while (*text)
        out[at++] = *text++;
    return at;
}

}

u32 format_i32(char* out, i32 value)
{
    u32 magnitude = value < 0 ? 0u - static_cast<u32>(value) : static_cast<u32>(value);
    char reversed[10];
    u32 n = 0;
    do {
        reversed[n++] = static_cast<char>('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    u32 at = 0;
    if (value < 0)
        out[at++] = '-';
    while (n > 0)
        out[at++] = reversed[--n];
    out[at] = '\0';
    return at;
}

u32 format_f32(char* out, f32 value)
{
    constexpr u32 precision = 9;
    u32 bits = __builtin_bit_cast(u32, value);
    bool negative = (bits >> 31) != 0;
    u32 biased = (bits >> 23) & 0xFF;
    u32 fraction = bits & 0x7FFFFF;
    u32 at = 0;
    if (biased == 0xFF) {
        at = copy(out, 0, fraction != 0 ? "nan" : negative ? "-inf" : "inf");
        out[at] = '\0';
        return at;
    }
    if (negative)
        out[at++] = '-';
    if (biased == 0 && fraction == 0) {
        out[at++] = '0';
        out[at] = '\0';
        return at;
    }
    u32 mantissa = biased == 0 ? fraction : fraction | 0x800000;
    i32 exponent = biased == 0 ? -149 : static_cast<i32>(biased) - 150;

    // value = N * 10^decimal_exponent, exactly.
    Decimal n;
    n.set(mantissa);
    i32 decimal_exponent = 0;
    if (exponent >= 0) {
        for (i32 i = 0; i < exponent; ++i)
            n.multiply(2);
    } else {
        for (i32 i = 0; i < -exponent; ++i)
            n.multiply(5);
        decimal_exponent = exponent;
    }

    // Round to `precision` significant digits, ties to even.
    u8 digits[precision + 1];
    for (u32 k = 0; k < precision; ++k)
        digits[k] = k < n.count ? static_cast<u8>(n.most(k)) : 0;
    i32 x = static_cast<i32>(n.count) - 1 + decimal_exponent; // exponent of the leading digit
    if (n.count > precision) {
        u32 next = n.most(precision);
        bool rest = false;
        for (u32 k = precision + 1; k < n.count && !rest; ++k)
            rest = n.most(k) != 0;
        bool up = next > 5 || (next == 5 && (rest || (digits[precision - 1] & 1)));
        if (up) {
            u32 k = precision;
            while (k > 0 && digits[k - 1] == 9)
                digits[--k] = 0;
            if (k == 0) { // 999999999 + 1: one more digit before the point
                digits[0] = 1;
                ++x;
            } else {
                ++digits[k - 1];
            }
        }
    }
    u32 significant = precision; // without trailing zeros
    while (significant > 1 && digits[significant - 1] == 0)
        --significant;

    if (x >= -4 && x < static_cast<i32>(precision)) {
        if (x < 0) {
            out[at++] = '0';
            out[at++] = '.';
            for (i32 i = -1; i > x; --i)
                out[at++] = '0';
            for (u32 k = 0; k < significant; ++k)
                out[at++] = static_cast<char>('0' + digits[k]);
        } else {
            u32 whole = static_cast<u32>(x) + 1;
            for (u32 k = 0; k < whole; ++k)
                out[at++] = static_cast<char>('0' + digits[k]);
            if (significant > whole) {
                out[at++] = '.';
                for (u32 k = whole; k < significant; ++k)
                    out[at++] = static_cast<char>('0' + digits[k]);
            }
        }
    } else {
        out[at++] = static_cast<char>('0' + digits[0]);
        if (significant > 1) {
            out[at++] = '.';
            for (u32 k = 1; k < significant; ++k)
                out[at++] = static_cast<char>('0' + digits[k]);
        }
        out[at++] = 'e';
        out[at++] = x < 0 ? '-' : '+';
        u32 magnitude = static_cast<u32>(x < 0 ? -x : x);
        if (magnitude >= 10)
            out[at++] = static_cast<char>('0' + magnitude / 10);
        else
            out[at++] = '0';
        out[at++] = static_cast<char>('0' + magnitude % 10);
    }
    out[at] = '\0';
    return at;
}
