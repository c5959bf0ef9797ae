// e^x for f32, the one routine behind the `exp.f32` opcode at every tier.
//
// Every tier (interpreter and JIT code) must produce the same bits, so none of
// them may use the FPU's or a libm's exp: the interpreter calls this function
// and JIT code calls it too (by address, with the cdecl convention: argument
// on the stack, result in st(0) as for any i386 float return). It uses only
// SSE2 double arithmetic and integer operations, so the result is the same on
// every x86 CPU with SSE2.
//
// Accuracy: the result is the correctly rounded float of e^x except when e^x
// lies within about 1e-15 (relative) of a midpoint between two floats, where
// it may be the other neighbour: within 1 ulp everywhere.
// Special values: NaN -> NaN, +inf -> +inf, -inf -> +0, overflow -> +inf,
// underflow -> subnormal or +0 (gradual, round to nearest).
#pragma once

#include <bareflow/types.h>

f32 exp_f32(f32 x);

// The double core of exp_f32, for pow_f32: e^x in double for x in
// [-104, 89] (the range where the f32 result is neither +inf nor +0), with a
// relative error near 1e-15. exp_f32(x) is exactly static_cast<f32> of it.
double exp_double_in_range(double x);
