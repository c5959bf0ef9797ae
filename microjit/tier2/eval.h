// An evaluator for the tier-2 IR. It runs a Function (before or after
// optimisation) with the semantics every tier shares, so tests can check that
// an optimisation preserved a function's results and traps, and that every
// bounds-check fact was true: when a loop guard holds, an access it marked
// Unchecked must be in range, and the evaluator records a violation
// otherwise (a wrong proof, never a user error). It is a checking tool, not a
// tier: it is simple and slow.
#pragma once

#include <microjit/module/instance.h>
#include <microjit/tier2/ir.h>

namespace Tier2 {

struct EvalContext {
    const Value* buffers; // module buffer views, indexed like the buffer table
    // Runs callee `function` at call depth `depth`; nullptr makes calls fail
    // with NotSupported.
    ErrorOr<Value> (*call)(void* user, u32 function, const Value* args, u32 depth);
    void* user;
    f32 (*exp)(f32); // microjit's exp routine; nullptr: exp.f32 is NotSupported
    u32 depth;        // this frame's call depth (1 for the outermost call)
    u64 step_limit;   // instructions before giving up with Error::Busy
    u64 steps;
    u32 fact_violations; // Unchecked accesses out of range while their guard held
};

// Runs `fn` with its param_count arguments. Scratch memory comes from `arena`
// and is given back before returning. Traps come back as their Error.
ErrorOr<Value> evaluate(const Function& fn, const Value* args, EvalContext& context, Arena& arena);

// The guard formula of ir.h's Guard, on concrete values.
bool guard_holds(i32 start, i32 end, i32 scale, i64 offset, u32 length, bool lower_proven, bool entry_proven);

}
