// The literals a person types for a function's arguments: `run MOD.FUNC
// ARGS` in the kernel shell and `flowrun FILE FUNC ARGS` on the host read
// them with these two functions, so both hosts accept the same text and
// give the same bits (docs/shell.md, "run").
//
//   i32  [+-] decimal digits (leading zeros are decimal: 017 is 17), at most
//        2147483647 (2147483648 with '-'); or [+-] 0x hex digits, a 32-bit
//        pattern up to 0xFFFFFFFF (0xFFFFFFFF is -1).
//   f32  [+-] decimal digits with an optional point and an optional
//        exponent (1, 1.5, .5, 1., 2.5e-3, 0e400), correctly rounded to the
//        nearest f32 (ties to even), so a value too small for f32 becomes a
//        zero of its sign; or [+-] inf, infinity, nan (any case).
//        A value that rounds past the largest finite f32 is refused, as in
//        Flow source; so are hex (0x10), hex floats (0x1p3) and nan(...).
#pragma once

#include <bareflow/types.h>

bool parse_i32_literal(const char* text, i32& out);
bool parse_f32_literal(const char* text, f32& out);
