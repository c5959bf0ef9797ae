// sin and cos for f32, the routines behind `sin.f32` and `cos.f32` at every
// tier (the interpreter calls them, JIT code calls them by address), so no
// tier uses the FPU's fsin or a libm: all tiers give the same bits.
//
// Accuracy: the result is the correctly rounded float of sin(x) / cos(x)
// except within about 1e-15 (relative) of a midpoint between two floats,
// where it may be the other neighbour: within 1 ulp everywhere, for every
// finite x including the huge ones (the reduction is exact enough up to
// FLT_MAX; see trig_f32.cpp). tests/module/math_routines_test.cpp measures it.
// Special values: NaN -> NaN (quieted), +-inf -> NaN, sin(+-0) = +-0,
// cos(+-0) = 1.
#pragma once

#include <bareflow/types.h>

f32 sin_f32(f32 x);
f32 cos_f32(f32 x);
