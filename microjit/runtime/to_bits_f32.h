// The bit pattern of an f32, as `i32.bits.f32` (Flow's to_bits) gives it at
// every tier: the IEEE pattern, except that every NaN gives 0x7FC00000.
//
// Why canonical NaNs: the tiers agree on every non-NaN result bit for bit,
// but not on which NaN an operation with two NaN operands returns (tier 2
// may swap the operands of a commutative op, and SSE returns the first
// one's payload). Before to_bits no Flow program could see a payload; with
// one canonical NaN it still cannot, so differential testing stays exact.
#pragma once

#include <bareflow/types.h>

inline u32 to_bits_f32(f32 x)
{
    u32 bits = __builtin_bit_cast(u32, x);
    return (bits & 0x7fffffffu) > 0x7f800000u ? 0x7fc00000u : bits;
}
