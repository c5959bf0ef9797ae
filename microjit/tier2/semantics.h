// The meaning of one scalar IR operation, exactly as docs/module-format.md
// ("Semantics that every tier shares") defines it: i32 wraps modulo 2^32,
// shifts take their count modulo 32, division truncates and traps, f32 is
// IEEE single with the MINSS/MAXSS rule for min/max. Constant folding and the
// IR evaluator both call this one function, so the optimiser can never fold a
// value differently from how the code would compute it, and an operation that
// would trap is never folded: the trap comes back as an Error and the folder
// leaves the instruction in place.
#pragma once

#include <bareflow/error_or.h>
#include <microjit/tier2/ir.h>

namespace Tier2 {

// Scalar operands and result as raw 32-bit patterns (an f32 by its bits).
// Returns NotSupported for operations that are not scalar arithmetic
// (memory, calls, control) and for exp.f32, whose value belongs to
// microjit/runtime and is never folded.
ErrorOr<u32> evaluate_scalar(Op op, const u32* args, u32 arg_count, i32 imm);

inline u32 f32_bits(f32 f)
{
    u32 u;
    __builtin_memcpy(&u, &f, 4);
    return u;
}
inline f32 bits_f32(u32 u)
{
    f32 f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

}
