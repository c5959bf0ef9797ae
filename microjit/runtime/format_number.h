// Decimal text for Flow's print builtins (print_i32, print_f32), the same
// bytes at every tier, in the kernel and on the host: the digits come from
// exact integer arithmetic here, never from a C library or the FPU.
//
//   format_i32   as C's printf("%d")
//   format_f32   as C's printf("%.9g"), which is enough digits for any f32 to
//                read back to the same bits; "inf", "-inf", and "nan" for
//                every NaN (whatever its sign or payload); -0 is "-0"
#pragma once

#include <bareflow/types.h>

inline constexpr u32 format_i32_capacity = 12; // "-2147483648" and the NUL
inline constexpr u32 format_f32_capacity = 20; // "-1.17549435e-38" and the NUL, with room

// Both write a NUL-terminated string to out and return its length.
u32 format_i32(char* out, i32 value);
u32 format_f32(char* out, f32 value);
