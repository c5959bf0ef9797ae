// Value specialisation in the JIT runtime: the decisions taken at the
// re-specialisation threshold of tier-2 code, installing specialised code in
// front of the generic code, and backing off (docs/specialisation.md).
//
// A function at tier 2 has a window: the calls since its argument profile
// was last reset. At the end of each window (the policy's
// respecialise_calls), decide_specialisation() looks at it:
//   generic code     a stable profile (one value in spec_stable_percent of
//                    the samples) is compiled in, behind an entry guard;
//                    no stable value backs off
//   specialised      guard failures above guard_failure_percent of the
//                    window's calls: re-specialise when most calls now fail
//                    and the failing calls (which the generic code profiled)
//                    agree on new values, else drop back to the generic
//                    code and back off
// Backing off waits respecialise_calls << backoffs calls before the next
// window ends; after max_attempts back-offs the generic code stays for good.
#include <microjit/jit/jit.h>

namespace {

constexpr u32 never = 0xFFFFFFFF;

}

void JitInstance::start_window(u32 function)
{
    auto& p = m_profiles[function];
    p.window_start = calls(function);
    m_states[function].guard_failures = 0;
    reset_argument_profile(m_states[function]);
}

void JitInstance::schedule_check(u32 function, u64 calls_from_now)
{
    auto& p = m_profiles[function];
    u64 at = static_cast<u64>(m_instance->profiles[function].calls) + (calls_from_now ? calls_from_now : 1);
    p.next_check = at >= never ? never - 1 : static_cast<u32>(at);
    m_states[function].next_threshold = next_native_threshold(function);
}

ErrorOr<void> JitInstance::install_specialised(u32 function, const Specialisation& spec)
{
    auto& p = m_profiles[function];
    TierCompiler* compiler = m_runtime.compiler(2);
    if (!compiler || !m_instance || p.tier != 2 || spec.empty())
        return Error::JitUnsupported;
    m_request = &spec;
    auto compiled = compiler->compile(m_environment, function, m_runtime.pools().code, CompileReason::Respecialise);
    m_request = nullptr;
    CodeBlock block = TRY(compiled);

    CodeBlock old {};
    if (p.specialised) {
        old = CodeBlock { const_cast<u8*>(p.code), p.code_size };
    } else {
        p.generic_code = p.code;
        p.generic_size = p.code_size;
        p.generic_absolutes = p.absolutes;
    }
    // The guard's way out must be in place before the code can run.
    m_states[function].generic_code = p.generic_code;
    store_dispatch_entry(m_instance->dispatch, function, block.code);
    p.code = block.code;
    p.code_size = block.size;
    p.isa = block.isa;
    // Each block keeps its own list of address fields: a snapshot relocates
    // the specialised and the generic code separately.
    p.absolutes = block.absolutes;
    p.specialised = true;
    p.spec = spec;
    ++p.specialisations;
    if (old.code)
        m_runtime.retirement().retire(old);
    return {};
}

void JitInstance::drop_specialisation(u32 function)
{
    auto& p = m_profiles[function];
    if (!p.specialised)
        return;
    CodeBlock old { const_cast<u8*>(p.code), p.code_size };
    if (m_instance)
        store_dispatch_entry(m_instance->dispatch, function, p.generic_code);
    p.code = p.generic_code;
    p.code_size = p.generic_size;
    p.absolutes = p.generic_absolutes;
    p.generic_code = nullptr;
    p.generic_size = 0;
    p.generic_absolutes = nullptr;
    p.specialised = false;
    p.spec = {};
    // NativeFunctionState::generic_code keeps pointing at the generic code:
    // the old block may still be running, and it is retired, not freed.
    m_runtime.retirement().retire(old);
}

void JitInstance::back_off_specialisation(u32 function)
{
    auto& p = m_profiles[function];
    const TierPolicy& policy = m_runtime.policy();
    ++p.spec_backoffs;
    start_window(function);
    if (p.spec_backoffs >= policy.max_attempts) {
        p.spec_given_up = true;
        m_states[function].next_threshold = never;
        return;
    }
    u32 shift = p.spec_backoffs < 16 ? p.spec_backoffs : 16;
    schedule_check(function, static_cast<u64>(policy.respecialise_calls) << shift);
}

void JitInstance::decide_specialisation(u32 function)
{
    auto& p = m_profiles[function];
    auto& state = m_states[function];
    const TierPolicy& policy = m_runtime.policy();
    const FunctionInfo& fn = m_module->functions[function];
    if (p.spec_given_up || !m_auto_tier_up) {
        state.next_threshold = never;
        return;
    }
    u64 window = calls(function) - p.window_start;
    // The samples a stable value needs out of `count` profiled calls: half
    // of them (a profile may start late in its window, at tier 1's install,
    // and a failed guard is counted before the generic code profiles the
    // call), up to spec_min_samples.
    auto min_samples_of = [&](u64 count) -> u64 {
        u64 half = count / 2 ? count / 2 : 1;
        return half < policy.spec_min_samples ? half : policy.spec_min_samples;
    };

    if (p.specialised) {
        u32 failures = state.guard_failures;
        p.guard_failures += failures;
        if (!guard_fails_too_often(failures, window, policy)) {
            start_window(function);
            schedule_check(function, policy.respecialise_calls);
            return;
        }
        // The guard fails too often. If most calls now fail, and on the same
        // values, follow them; a mixed workload is not worth specialising.
        Specialisation next = stable_values(fn, state, policy, min_samples_of(failures));
        if (static_cast<u64>(failures) * 2 >= window && !next.empty() && !(next == p.spec)) {
            auto installed = install_specialised(function, next);
            if (!installed.is_error()) {
                ++p.respecialisations;
                start_window(function);
                schedule_check(function, policy.respecialise_calls);
                return;
            }
        }
        drop_specialisation(function);
        back_off_specialisation(function);
        return;
    }

    Specialisation next = stable_values(fn, state, policy, min_samples_of(window));
    if (next.empty()) {
        back_off_specialisation(function);
        return;
    }
    auto installed = install_specialised(function, next);
    if (installed.is_error()) {
        p.last_error = installed.error();
        // Unsupported is a property of the function: no use trying again.
        if (installed.error() == Error::JitUnsupported) {
            p.spec_given_up = true;
            state.next_threshold = never;
            return;
        }
        back_off_specialisation(function);
        return;
    }
    start_window(function);
    schedule_check(function, policy.respecialise_calls);
}

ErrorOr<void> JitInstance::specialise(u32 function, const Specialisation& spec)
{
    if (!m_instance || function >= m_function_count)
        return Error::InvalidArgument;
    if (spec.empty())
        return Error::JitUnsupported;
    if (m_profiles[function].tier != 2)
        TRY(compile(function, 2));
    TRY(install_specialised(function, spec));
    start_window(function);
    schedule_check(function, m_runtime.policy().respecialise_calls);
    return {};
}

ErrorOr<void> JitInstance::specialise(u32 function, const Value* args, u32 arg_count)
{
    if (!m_instance || function >= m_function_count)
        return Error::InvalidArgument;
    return specialise(function, specialisation_for(m_module->functions[function], args, arg_count));
}

void JitInstance::restore_specialisation_profile(u32 function, const SpecialisationProfile& saved)
{
    if (!m_instance || function >= m_function_count)
        return;
    auto& p = m_profiles[function];
    auto& state = m_states[function];
    p.spec_given_up = saved.spec_given_up;
    p.specialisations = saved.specialisations;
    p.respecialisations = saved.respecialisations;
    p.spec_backoffs = saved.spec_backoffs;
    p.guard_failures = saved.guard_failures;
    // A new window starts now, with the saved argument profile: it describes
    // the calls the installed code did not cover, which is what the next
    // decision weighs.
    start_window(function);
    for (u32 a = 0; a < max_profiled_arguments; ++a)
        state.arguments[a] = saved.arguments[a];
    if (p.tier != 2) {
        state.next_threshold = next_native_threshold(function);
        return;
    }
    const TierPolicy& policy = m_runtime.policy();
    if (p.spec_given_up || !m_auto_tier_up) {
        state.next_threshold = never;
        return;
    }
    u32 shift = p.specialised || !p.spec_backoffs ? 0 : (p.spec_backoffs < 16 ? p.spec_backoffs : 16);
    schedule_check(function, static_cast<u64>(policy.respecialise_calls) << shift);
}
