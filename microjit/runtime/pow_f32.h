// x^y for f32, the routine behind `pow.f32` at every tier (the interpreter
// calls it, JIT code calls it by address), so every tier gives the same bits.
//
// Accuracy: the result is the correctly rounded float of x^y except within
// about 1e-13 (relative) of a midpoint between two floats: within 1 ulp
// everywhere; exact powers (2^10, 10^3, 0.5^-3) come out exact.
// tests/module/math_routines_test.cpp measures it.
// Special values follow C99 Annex F for powf (F.9.4.4):
//   pow(x, +-0) = 1 and pow(1, y) = 1, even for a NaN x or y;
//   otherwise a NaN operand gives NaN (quieted);
//   pow(+-0, y): y < 0 odd integer -> +-inf, y < 0 other -> +inf,
//                y > 0 odd integer -> +-0,   y > 0 other -> +0;
//   pow(-1, +-inf) = 1; pow(x, -inf) = +inf for |x| < 1, +0 for |x| > 1;
//   pow(x, +inf) = +0 for |x| < 1, +inf for |x| > 1;
//   pow(-inf, y) = pow(-0, -y); pow(+inf, y) = +inf for y > 0, +0 for y < 0;
//   a finite x < 0 with a finite non-integer y -> NaN; with an integer y,
//   pow(|x|, y) negated when y is odd. Overflow -> +-inf, underflow -> +-0
//   or a subnormal (gradual, round to nearest).
#pragma once

#include <bareflow/types.h>

f32 pow_f32(f32 x, f32 y);
