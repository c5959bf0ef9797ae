// JitRuntime and JitInstance: tier-up, back-off, the swap, native entry.
// The policy numbers live in TierPolicy; this file applies them.
#include <microjit/jit/cycles.h>
#include <microjit/jit/jit.h>
#include <microjit/jit/native_stubs.h>
#include <microjit/module/interpreter.h>
#include <microjit/runtime/exp_f32.h>
#include <microjit/runtime/floor_f32.h>
#include <microjit/runtime/log_f32.h>
#include <microjit/runtime/pow_f32.h>
#include <microjit/runtime/to_bits_f32.h>
#include <microjit/runtime/trig_f32.h>

namespace {

constexpr u32 never = 0xFFFFFFFF;

}

// --- JitRuntime ---------------------------------------------------------------

JitRuntime::JitRuntime(PoolSet& pools)
    : m_pools(pools)
    , m_retirement(pools.code)
{
    m_compilers[1] = &m_tier1;
    m_tier1.set_metadata_pool(&pools.metadata);
}

JitRuntime::~JitRuntime()
{
    if (m_stubs.block)
        m_pools.code.free(const_cast<u8*>(m_stubs.block));
}

ErrorOr<void> JitRuntime::init()
{
    if (m_stubs.block)
        return {};
    m_stubs = TRY(emit_native_stubs(m_pools.code, m_tier1.assembler_storage(), &m_unwind));
    return {};
}

void JitRuntime::set_compiler(u8 tier, TierCompiler* compiler)
{
    if (tier >= 1 && tier <= max_tier)
        m_compilers[tier] = compiler;
}

// --- JitInstance: setup -----------------------------------------------------------

ErrorOr<void> JitInstance::prepare(const Module& module)
{
    detach();
    auto& metadata = m_runtime.pools().metadata;
    u32 count = module.function_count;
    auto* profiles = static_cast<JitFunctionProfile*>(TRY(metadata.allocate(sizeof(JitFunctionProfile) * count)));
    auto states_or = metadata.allocate(sizeof(NativeFunctionState) * count);
    if (states_or.is_error()) {
        metadata.free(profiles);
        return states_or.error();
    }
    __builtin_memset(profiles, 0, sizeof(JitFunctionProfile) * count);
    m_profiles = profiles;
    m_states = static_cast<NativeFunctionState*>(states_or.value());
    for (u32 f = 0; f < count; ++f) {
        m_states[f].next_threshold = never;
        m_states[f].loop_budget = 0x7FFFFFFF;
    }
    m_module = &module;
    m_function_count = count;
    return {};
}

InstanceConfig JitInstance::instance_config() const
{
    InstanceConfig config;
    config.hooks = const_cast<JitInstance*>(this);
    const TierPolicy& policy = m_runtime.policy();
    config.hot_call_threshold = m_auto_tier_up ? policy.tier1_calls : 0;
    config.hot_loop_threshold = m_auto_tier_up ? policy.tier1_loop_iterations : 0;
    return config;
}

void JitInstance::attach(ModuleInstance& instance)
{
    m_instance = &instance;
    const TierPolicy& policy = m_runtime.policy();
    instance.hooks = this;
    instance.hot_call_threshold = m_auto_tier_up ? policy.tier1_calls : 0;
    instance.hot_loop_threshold = m_auto_tier_up ? policy.tier1_loop_iterations : 0;
    m_environment = NativeEnvironment { &instance, this, &m_runtime.stubs(), m_states };
    // Attaching again applies a changed policy to native code too.
    for (u32 f = 0; f < m_function_count; ++f) {
        if (m_profiles[f].tier > 0) {
            m_states[f].next_threshold = next_native_threshold(f);
            m_states[f].loop_budget = loop_budget(f);
        }
    }
}

void JitInstance::detach()
{
    if (!m_profiles)
        return;
    for (u32 f = 0; f < m_function_count; ++f) {
        drop_specialisation(f);
        auto& p = m_profiles[f];
        if (!p.code)
            continue;
        if (m_instance)
            store_dispatch_entry(m_instance->dispatch, f, nullptr);
        m_runtime.retirement().retire(CodeBlock { const_cast<u8*>(p.code), p.code_size });
        p.code = nullptr;
    }
    auto& metadata = m_runtime.pools().metadata;
    metadata.free(m_profiles);
    metadata.free(m_states);
    m_profiles = nullptr;
    m_states = nullptr;
    m_instance = nullptr;
    m_module = nullptr;
    m_function_count = 0;
}

u64 JitInstance::calls(u32 function) const
{
    return m_instance->profiles[function].calls + m_profiles[function].calls_outside;
}

u64 JitInstance::loop_iterations(u32 function) const
{
    return m_instance->profiles[function].loop_iterations + m_profiles[function].loops_outside;
}

// --- compiling and installing -----------------------------------------------------

u32 JitInstance::next_native_threshold(u32 function) const
{
    const auto& p = m_profiles[function];
    const TierPolicy& policy = m_runtime.policy();
    if (!m_auto_tier_up || p.given_up)
        return never;
    u32 calls_now = m_instance->profiles[function].calls;
    if (p.tier == 1 && m_runtime.compiler(2))
        return policy.tier2_calls > calls_now ? policy.tier2_calls : calls_now + 1;
    if (p.tier == 2 && m_runtime.compiler(2) && !p.spec_given_up)
        return p.next_check > calls_now ? p.next_check : calls_now + 1;
    return never;
}

ErrorOr<void> JitInstance::compile_and_install(u32 function, u8 tier, CompileReason reason)
{
    TierCompiler* compiler = m_runtime.compiler(tier);
    if (!compiler || !m_instance)
        return Error::JitUnsupported;
    u64 start = read_cycles();
    CodeBlock block = TRY(compiler->compile(m_environment, function, m_runtime.pools().code, reason));
    u64 cycles = read_cycles() - start;

    auto& p = m_profiles[function];
    drop_specialisation(function); // new code replaces the generic code too
    CodeBlock old { const_cast<u8*>(p.code), p.code_size };
    store_dispatch_entry(m_instance->dispatch, function, block.code);
    if (tier > p.tier)
        ++p.tier_ups;
    p.tier = tier;
    p.code = block.code;
    p.code_size = block.size;
    p.isa = block.isa;
    p.absolutes = block.absolutes;
    p.compile_cycles[tier] = cycles;
    p.tier_up_at_calls[tier] = static_cast<u32>(calls(function));
    if (p.failed_tier == tier) {
        p.failed_tier = 0;
        p.consecutive_failures = 0;
    }
    p.wait_left = 0;
    if (tier == 2) {
        // The first specialisation decision: at respecialise_calls calls.
        u32 calls_now = m_instance->profiles[function].calls;
        u32 at = m_runtime.policy().respecialise_calls;
        p.next_check = at > calls_now ? at : calls_now + 1;
    }
    m_states[function].next_threshold = next_native_threshold(function);
    m_states[function].loop_budget = loop_budget(function);
    m_runtime.retirement().retire(old);
    return {};
}

i32 JitInstance::loop_budget(u32 function) const
{
    const auto& p = m_profiles[function];
    u32 budget = m_runtime.policy().tier2_loop_iterations;
    if (!m_auto_tier_up || p.given_up || p.tier != 1 || !m_runtime.compiler(2) || budget == 0 || budget > 0x7FFFFFFFu)
        return 0x7FFFFFFF; // never runs out (a back edge a cycle would take years)
    return static_cast<i32>(budget);
}

void JitInstance::native_hot_loop(u32 function)
{
    auto& p = m_profiles[function];
    auto& state = m_states[function];
    state.loop_budget = 0x7FFFFFFF; // whatever happens below, not again from this code
    if (!m_auto_tier_up || p.given_up || p.tier != 1 || !m_runtime.compiler(2))
        return;
    auto result = compile_and_install(function, 2, CompileReason::HotLoop);
    if (result.is_error()) {
        // As a failed tier-up by calls: wait, then try again by calls.
        back_off(function, 2, result.error());
        u32 calls_now = m_instance->profiles[function].calls;
        state.next_threshold = p.given_up ? never : calls_now + p.wait_left;
        p.wait_left = 0;
    }
}

ErrorOr<void> JitInstance::compile(u32 function, u8 tier)
{
    if (!m_instance || function >= m_function_count || tier == 0 || tier > max_tier)
        return Error::InvalidArgument;
    auto result = compile_and_install(function, tier, CompileReason::Explicit);
    if (result.is_error()) {
        auto& p = m_profiles[function];
        p.failed_tier = tier;
        p.last_error = result.error();
    }
    return result;
}

ErrorOr<void> JitInstance::compile_all(u8 tier)
{
    Error first = Error::Ok;
    for (u32 f = 0; f < m_function_count; ++f) {
        auto result = compile(f, tier);
        if (result.is_error() && first == Error::Ok)
            first = result.error();
    }
    if (first != Error::Ok)
        return first;
    return {};
}

// A failed compile: count it and wait exponentially longer before the next
// attempt (TierPolicy::backoff_after), so a full pool is never retried on
// every call; after max_attempts, or at once when the tier says the function
// is unsupported, the function stays where it is.
void JitInstance::back_off(u32 function, u8 tier, Error error)
{
    auto& p = m_profiles[function];
    const TierPolicy& policy = m_runtime.policy();
    if (p.failed_tier != tier)
        p.consecutive_failures = 0;
    p.failed_tier = tier;
    p.last_error = error;
    ++p.consecutive_failures;
    ++p.backoffs;
    // JitUnsupported is a property of the function (no tier-2 pattern
    // matches, too big for the emitter's tables): trying again cannot help.
    if (error == Error::JitUnsupported || p.consecutive_failures >= policy.max_attempts) {
        p.given_up = true;
        p.wait_left = 0;
        return;
    }
    p.wait_left = policy.backoff_after(p.consecutive_failures);
}

// The interpreter reports a counter once, when it reaches its threshold.
// Waiting N more events is done LuaJIT-style, by setting the counter back:
// at most one threshold's worth per report, so it reaches the threshold (and
// reports) again after that many events. The amount set back is kept in the
// profile, so calls() stays exact.
void JitInstance::rewind(u32 function, HotReason reason)
{
    auto& p = m_profiles[function];
    auto& counters = m_instance->profiles[function];
    u32 threshold = reason == HotReason::Calls ? m_instance->hot_call_threshold : m_instance->hot_loop_threshold;
    u32& counter = reason == HotReason::Calls ? counters.calls : counters.loop_iterations;
    u32 amount = p.wait_left < threshold ? p.wait_left : threshold;
    if (amount > counter)
        amount = counter;
    counter -= amount;
    (reason == HotReason::Calls ? p.calls_outside : p.loops_outside) += amount;
    p.wait_left -= amount;
}

// --- TierHooks ------------------------------------------------------------------------

void JitInstance::on_hot(ModuleInstance& instance, u32 function, HotReason reason)
{
    if (&instance != m_instance || function >= m_function_count || !m_auto_tier_up)
        return;
    auto& p = m_profiles[function];
    if (p.tier > 0 || p.given_up)
        return;
    if (p.wait_left) {
        rewind(function, reason);
        return;
    }
    auto result = compile_and_install(function, 1, CompileReason::Hot);
    if (result.is_error()) {
        back_off(function, 1, result.error());
        if (p.wait_left)
            rewind(function, reason);
    }
}

void JitInstance::native_hot(u32 function)
{
    auto& p = m_profiles[function];
    auto& state = m_states[function];
    if (!m_auto_tier_up || p.given_up) {
        state.next_threshold = never;
        return;
    }
    if (p.tier == max_tier) {
        decide_specialisation(function);
        return;
    }
    u8 target = static_cast<u8>(p.tier + 1);
    CompileReason reason = CompileReason::Hot;
    if (!m_runtime.compiler(target)) {
        state.next_threshold = never;
        return;
    }
    auto result = compile_and_install(function, target, reason);
    if (result.is_error()) {
        back_off(function, target, result.error());
        u32 calls_now = m_instance->profiles[function].calls;
        state.next_threshold = p.given_up ? never : calls_now + p.wait_left;
        p.wait_left = 0;
    }
}

u8 JitInstance::function_tier(const ModuleInstance&, u32 function)
{
    return function < m_function_count ? m_profiles[function].tier : 0;
}

Error JitInstance::call_native(ModuleInstance& instance, u32 function, const Value* args, Value* result)
{
    auto& retirement = m_runtime.retirement();
    bool timed = m_cycle_profile && retirement.native_depth() == 0 && function != m_timed_function;
    const void* code = reinterpret_cast<const void*>(static_cast<uptr>(instance.dispatch[function]));
    u32 bits = 0;
    retirement.enter_native();
    // Only the outermost entry not already timed by call() reads the clock:
    // two rdtsc cost about as much as a short native call.
    u64 start = timed ? read_cycles() : 0;
    u32 error = m_runtime.stubs().enter(code, args, &instance, &bits);
    retirement.leave_native();
    if (timed && function < m_function_count) {
        u64 cycles = read_cycles() - start;
        m_profiles[function].last_cycles = cycles;
        m_profiles[function].total_cycles += cycles;
    }
    if (error == 0 && instance.module->functions[function].return_type != ValueType::Void) {
        result->raw = 0;
        result->i = static_cast<i32>(bits);
    }
    return static_cast<Error>(error);
}

ErrorOr<Value> JitInstance::call(u32 function, const Value* args, u32 arg_count)
{
    if (!m_instance)
        return Error::InvalidArgument;
    if (m_runtime.retirement().native_depth() == 0)
        m_host_function = function;
    if (!m_cycle_profile)
        return call_function(*m_instance, function, args, arg_count);
    u32 outer = m_timed_function;
    m_timed_function = function;
    u64 start = read_cycles();
    auto result = call_function(*m_instance, function, args, arg_count);
    u64 cycles = read_cycles() - start;
    m_timed_function = outer;
    if (function < m_function_count) {
        m_profiles[function].last_cycles = cycles;
        m_profiles[function].total_cycles += cycles;
    }
    return result;
}

// --- helpers called from native code (native_abi.h) --------------------------------

extern "C" JIT_HELPER void jit_native_hot(JitInstance* jit, u32 function)
{
    jit->native_hot(function);
}

extern "C" JIT_HELPER void jit_native_hot_loop(JitInstance* jit, u32 function)
{
    jit->native_hot_loop(function);
}

extern "C" JIT_HELPER u64 jit_call_interpreted(JitInstance* jit, u32 function, const Value* args)
{
    Value result {};
    Error error = interpret_call(jit->instance(), function, args, &result);
    return (static_cast<u64>(static_cast<u32>(result.i)) << 32) | static_cast<u8>(error);
}

extern "C" JIT_HELPER u32 jit_exp_f32_bits(u32 bits)
{
    return __builtin_bit_cast(u32, exp_f32(__builtin_bit_cast(f32, bits)));
}

extern "C" JIT_HELPER u32 jit_sin_f32_bits(u32 bits)
{
    return __builtin_bit_cast(u32, sin_f32(__builtin_bit_cast(f32, bits)));
}

extern "C" JIT_HELPER u32 jit_cos_f32_bits(u32 bits)
{
    return __builtin_bit_cast(u32, cos_f32(__builtin_bit_cast(f32, bits)));
}

extern "C" JIT_HELPER u32 jit_log_f32_bits(u32 bits)
{
    return __builtin_bit_cast(u32, log_f32(__builtin_bit_cast(f32, bits)));
}

extern "C" JIT_HELPER u32 jit_floor_f32_bits(u32 bits)
{
    return __builtin_bit_cast(u32, floor_f32(__builtin_bit_cast(f32, bits)));
}

extern "C" JIT_HELPER u32 jit_to_bits_f32(u32 bits)
{
    return to_bits_f32(__builtin_bit_cast(f32, bits));
}

extern "C" JIT_HELPER u32 jit_pow_f32_bits(u32 x_bits, u32 y_bits)
{
    return __builtin_bit_cast(u32, pow_f32(__builtin_bit_cast(f32, x_bits), __builtin_bit_cast(f32, y_bits)));
}
