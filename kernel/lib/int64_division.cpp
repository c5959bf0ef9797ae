// 64-bit division for a 32-bit kernel without libgcc.
//
// On i686, GCC compiles u64 / u64 and u64 % u64 into calls to these
// libgcc helpers (GCC internals manual, "Integer library routines"). Portable
// code (microjit/, the formatter, the clock) divides 64-bit values, so the
// kernel provides them. Divisors that fit in 32 bits, the common case, take
// two DIVL instructions; wider divisors take a shift-and-subtract loop.
#include <bareflow/panic.h>
#include <bareflow/types.h>

// (high:low) / divisor with high < divisor, so the quotient fits in 32 bits
// and DIVL cannot fault (Intel SDM Vol. 2A, DIV).
static inline u32 divide_64_by_32(u32 high, u32 low, u32 divisor, u32* remainder)
{
    u32 quotient;
    asm("divl %4" : "=a"(quotient), "=d"(*remainder) : "a"(low), "d"(high), "rm"(divisor));
    return quotient;
}

extern "C" u64 __udivmoddi4(u64 numerator, u64 divisor, u64* remainder_out)
{
    if (divisor == 0)
        panic("64-bit division by zero");
    u64 quotient;
    u64 remainder;
    if ((divisor >> 32) == 0) {
        u32 d = static_cast<u32>(divisor);
        u32 high = static_cast<u32>(numerator >> 32);
        u32 r;
        u32 q_high = divide_64_by_32(0, high, d, &r);
        u32 q_low = divide_64_by_32(r, static_cast<u32>(numerator), d, &r);
        quotient = (static_cast<u64>(q_high) << 32) | q_low;
        remainder = r;
    } else {
        // divisor >= 2^32, so the quotient has at most 32 bits: restoring
        // division over the bits where it can be non-zero.
        quotient = 0;
        remainder = 0;
        for (int bit = 63; bit >= 0; --bit) {
            remainder = (remainder << 1) | ((numerator >> bit) & 1);
            if (remainder >= divisor) {
                remainder -= divisor;
                quotient |= 1ull << bit;
            }
        }
    }
    if (remainder_out)
        *remainder_out = remainder;
    return quotient;
}

extern "C" u64 __udivdi3(u64 numerator, u64 divisor) { return __udivmoddi4(numerator, divisor, nullptr); }

extern "C" u64 __umoddi3(u64 numerator, u64 divisor)
{
    u64 remainder;
    __udivmoddi4(numerator, divisor, &remainder);
    return remainder;
}

// Signed forms: C truncates towards zero, so the quotient is negative when
// the signs differ and the remainder takes the sign of the numerator.
// INT64_MIN / -1 overflows, as in hardware; the result wraps.
static u64 magnitude(i64 value) { return value < 0 ? 0 - static_cast<u64>(value) : static_cast<u64>(value); }

extern "C" i64 __divmoddi4(i64 numerator, i64 divisor, i64* remainder_out)
{
    u64 remainder;
    u64 quotient = __udivmoddi4(magnitude(numerator), magnitude(divisor), &remainder);
    if ((numerator < 0) != (divisor < 0))
        quotient = 0 - quotient;
    if (numerator < 0)
        remainder = 0 - remainder;
    if (remainder_out)
        *remainder_out = static_cast<i64>(remainder);
    return static_cast<i64>(quotient);
}

extern "C" i64 __divdi3(i64 numerator, i64 divisor) { return __divmoddi4(numerator, divisor, nullptr); }

extern "C" i64 __moddi3(i64 numerator, i64 divisor)
{
    i64 remainder;
    __divmoddi4(numerator, divisor, &remainder);
    return remainder;
}
