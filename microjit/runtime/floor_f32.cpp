// floor_f32: clear the fraction bits of the pattern; for a negative x with
// fraction bits set, first add the fraction mask so the magnitude carries up
// to the next integer (the method of musl's floorf).
#include <microjit/runtime/floor_f32.h>

f32 floor_f32(f32 x)
{
    if (x != x)
        return x + x; // NaN: quiet it, keep the payload
    u32 bits = __builtin_bit_cast(u32, x);
    i32 e = static_cast<i32>((bits >> 23) & 0xff) - 127;
    if (e >= 23)
        return x; // already an integer, or infinite
    bool negative = (bits >> 31) != 0;
    if (e < 0) {
        // |x| < 1: +-0 stay, positives go to +0, negatives to -1.
        if ((bits & 0x7fffffff) == 0)
            return x;
        return negative ? -1.0f : 0.0f;
    }
    u32 fraction = 0x7fffffu >> e;
    if ((bits & fraction) == 0)
        return x;
    if (negative)
        bits += fraction;
    return __builtin_bit_cast(f32, bits & ~fraction);
}
