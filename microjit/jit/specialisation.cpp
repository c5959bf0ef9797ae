// Specialisation decisions; see specialisation.h.
#include <microjit/jit/specialisation.h>

bool is_profiled_parameter(const FunctionInfo& fn, u32 p)
{
    return p < fn.param_count && p < max_profiled_arguments && fn.register_types[p] == ValueType::I32;
}

Specialisation stable_values(const FunctionInfo& fn, const NativeFunctionState& state, const TierPolicy& policy, u64 min_samples)
{
    Specialisation spec {};
    for (u32 p = 0; p < max_profiled_arguments; ++p) {
        if (!is_profiled_parameter(fn, p))
            continue;
        const ArgumentProfile& profile = state.arguments[p];
        u64 samples = static_cast<u64>(profile.hits) + profile.misses;
        if (samples == 0 || samples < min_samples)
            continue;
        if (static_cast<u64>(profile.hits) * 100 < samples * policy.spec_stable_percent)
            continue;
        spec.mask |= 1u << p;
        spec.values[p] = profile.value;
    }
    return spec;
}

Specialisation specialisation_for(const FunctionInfo& fn, const Value* args, u32 arg_count)
{
    Specialisation spec {};
    for (u32 p = 0; p < max_profiled_arguments && p < arg_count; ++p) {
        if (!is_profiled_parameter(fn, p))
            continue;
        spec.mask |= 1u << p;
        spec.values[p] = args[p].i;
    }
    return spec;
}

bool guard_fails_too_often(u64 failures, u64 calls, const TierPolicy& policy)
{
    if (calls == 0)
        return false;
    return failures * 100 > calls * policy.guard_failure_percent;
}

void reset_argument_profile(NativeFunctionState& state)
{
    for (u32 p = 0; p < max_profiled_arguments; ++p) {
        state.arguments[p].hits = 0;
        state.arguments[p].misses = 0;
    }
}
