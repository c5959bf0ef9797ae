// Natural logarithm for f32, the routine behind `log.f32` at every tier (the
// interpreter calls it, JIT code calls it by address), so every tier gives
// the same bits whatever the CPU's or a libm's log would.
//
// Accuracy: the result is the correctly rounded float of ln(x) except within
// about 1e-15 (relative) of a midpoint between two floats: within 1 ulp
// everywhere. tests/module/math_routines_test.cpp measures it.
// Special values: NaN -> NaN (quieted), x < 0 (and -inf) -> NaN,
// +-0 -> -inf, +inf -> +inf, 1 -> +0.
#pragma once

#include <bareflow/types.h>

f32 log_f32(f32 x);

// The double core of log_f32, for pow_f32: ln(x) in double, relative error
// near 3e-16, for a positive finite x (subnormals included).
double log_double_of_positive(f32 x);
