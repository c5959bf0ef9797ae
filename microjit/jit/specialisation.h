// Value specialisation: which argument values a function is specialised on,
// and the decisions the runtime takes from argument profiles and guard
// failures (docs/specialisation.md). The decisions are plain functions of
// the counters, so tests can check them without running code.
#pragma once

#include <bareflow/types.h>
#include <microjit/jit/native_abi.h>
#include <microjit/jit/tier_policy.h>
#include <microjit/module/module.h>

// Parameters folded in as constants: bit p of `mask` means parameter p (an
// i32, p < max_profiled_arguments) is values[p] in every call that passes the
// entry guard. mask 0: no specialisation.
struct Specialisation {
    u32 mask;
    i32 values[max_profiled_arguments];

    bool empty() const { return mask == 0; }
    bool has(u32 param) const { return param < max_profiled_arguments && (mask >> param) & 1; }
    bool operator==(const Specialisation& other) const
    {
        if (mask != other.mask)
            return false;
        for (u32 p = 0; p < max_profiled_arguments; ++p)
            if (has(p) && values[p] != other.values[p])
                return false;
        return true;
    }
};

// True if parameter `p` of `fn` is one the entry code profiles.
bool is_profiled_parameter(const FunctionInfo& fn, u32 p);

// The stable values of a profile: every profiled parameter whose candidate
// took at least policy.spec_stable_percent of at least `min_samples`
// samples. Returns an empty Specialisation when there is none.
Specialisation stable_values(const FunctionInfo& fn, const NativeFunctionState& state, const TierPolicy& policy, u64 min_samples);

// A specialisation of every profiled parameter on the values in `args`
// (flowrun --tier spec, the shell). Empty when the function has no i32
// parameter among the first max_profiled_arguments.
Specialisation specialisation_for(const FunctionInfo& fn, const Value* args, u32 arg_count);

// True when `failures` out of `calls` guarded entries is more than the
// policy's guard_failure_percent.
bool guard_fails_too_often(u64 failures, u64 calls, const TierPolicy& policy);

// Forgets the argument profile (a new window starts).
void reset_argument_profile(NativeFunctionState& state);
