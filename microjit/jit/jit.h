// The JIT runtime: per-function profiles, tier-up through TierPolicy, the
// dispatch-table swap and the entry into native code.
//
//   JitRuntime   one per system: the pools, the policy, the compilers of
//                each tier, the runtime stubs and the retired-code list
//   JitInstance  one per ModuleInstance: it is the instance's TierHooks, so
//                the interpreter reports hot counters to it and runs native
//                code through it; it keeps the per-function JIT profile
//
// Typical use (flowrun, the kernel shell, tests):
//
//   JitRuntime runtime(pools);            TRY(runtime.init());
//   JitInstance jit(runtime);             TRY(jit.prepare(*module));
//   auto* instance = TRY(create_instance(*module, allocator, jit.instance_config()));
//   jit.attach(*instance);
//   TRY(jit.compile_all(1));              // --tier 1; leave out for --tier auto
//   Value v = TRY(jit.call(f, args, n));
//   jit.detach();                         // before destroy_instance
#pragma once

#include <bareflow/error_or.h>
#include <microjit/jit/code_swap.h>
#include <microjit/jit/construct.h>
#include <microjit/jit/native_abi.h>
#include <microjit/jit/specialisation.h>
#include <microjit/jit/tier_compiler.h>
#include <microjit/jit/tier_policy.h>
#include <microjit/module/instance.h>
#include <microjit/pool/pool.h>
#include <microjit/tier1/compiler.h>

// What `flowrun --stats` and the shell show for one function.
struct JitFunctionProfile {
    u8 tier;                       // what runs the function now: 0 interpreter, 1, 2
    u8 failed_tier;                // the tier of the last failed compile (0: none)
    u16 consecutive_failures;      // at failed_tier; reset by a success
    Error last_error;              // of the last failed compile
    bool given_up;                 // max_attempts reached: stays at its tier
    u32 code_size;                 // bytes of the installed code (0 at tier 0)
    const u8* code;                // its address
    CodeIsa isa;                   // what the installed code was compiled for (None at tier 0)
    const AbsoluteFields* absolutes; // where the code embeds absolute addresses (nullptr: not recorded)
    u64 calls_outside;             // calls counted before a rewind (back-off; see calls())
    u64 loops_outside;
    u32 wait_left;                 // back-off: calls still to wait before the next attempt
    u64 total_cycles;              // rdtsc cycles in calls entered from outside native code
    u64 last_cycles;
    u64 compile_cycles[max_tier + 1];
    u32 tier_ups;
    u32 backoffs;                  // failed compiles, each followed by a back-off
    u32 tier_up_at_calls[max_tier + 1]; // calls() when each tier was installed

    // Value specialisation at tier 2 (docs/specialisation.md).
    bool specialised;              // the installed code is specialised on `spec`
    bool spec_given_up;            // max_attempts back-offs: generic tier 2 for good
    Specialisation spec;           // the values the installed code folds in
    const u8* generic_code;        // while specialised: the generic tier-2 code its guard falls back to
    u32 generic_size;
    const AbsoluteFields* generic_absolutes; // the generic code's address fields (`absolutes` is the specialised code's)
    u32 specialisations;           // specialised blocks compiled (the first and every re-specialisation)
    u32 respecialisations;         // of those, replacing a failing specialisation
    u32 spec_backoffs;             // decisions that found no stable value, or dropped a failing specialisation
    u64 guard_failures;            // calls the guard sent to the generic code, all windows together
    u64 window_start;              // calls() when the current profile window began
    u32 next_check;                // the instance's call counter at the next decision
};

// What a JIT snapshot keeps of a function's specialisation state
// (docs/snapshot-format.md, FunctionRecord).
struct SpecialisationProfile {
    bool spec_given_up;
    u32 specialisations;
    u32 respecialisations;
    u32 spec_backoffs;
    u64 guard_failures;            // all windows together
    ArgumentProfile arguments[max_profiled_arguments];
};

class JitRuntime {
public:
    explicit JitRuntime(PoolSet& pools);
    ~JitRuntime();
    JitRuntime(const JitRuntime&) = delete;
    JitRuntime& operator=(const JitRuntime&) = delete;

    // Emits the runtime stubs into the code pool (PoolExhausted if it is full).
    ErrorOr<void> init();

    TierPolicy& policy() { return m_policy; }
    PoolSet& pools() { return m_pools; }
    const NativeStubs& stubs() const { return m_stubs; }
    // What the interrupt_exit stub will report as the trapping function.
    void set_interrupted_function(u32 function) { m_unwind.interrupted_function = function; }
    CodeRetirement& retirement() { return m_retirement; }

    // Tier 1 is built in; tier 2 registers itself here. nullptr removes.
    void set_compiler(u8 tier, TierCompiler* compiler);
    TierCompiler* compiler(u8 tier) const { return tier <= max_tier ? m_compilers[tier] : nullptr; }
    Tier1Compiler& tier1() { return m_tier1; }

private:
    PoolSet& m_pools;
    TierPolicy m_policy;
    NativeStubs m_stubs;
    NativeUnwindPoint m_unwind { 0, 0 };
    CodeRetirement m_retirement;
    Tier1Compiler m_tier1;
    TierCompiler* m_compilers[max_tier + 1] { nullptr, nullptr, nullptr };
};

class JitInstance final : public TierHooks {
public:
    explicit JitInstance(JitRuntime& runtime) : m_runtime(runtime) { }
    ~JitInstance() { detach(); }
    JitInstance(const JitInstance&) = delete;
    JitInstance& operator=(const JitInstance&) = delete;

    // Allocates the per-function state for `module` (metadata pool).
    ErrorOr<void> prepare(const Module& module);
    // The InstanceConfig to create the instance with: this object as hooks,
    // thresholds from the policy.
    InstanceConfig instance_config() const;
    // Becomes the instance's hooks and sets its thresholds from the policy;
    // attaching again after a policy change applies the new thresholds (the
    // tier-0 ones and native code's next tier-up).
    void attach(ModuleInstance& instance);
    // Frees every block of native code and the per-function state. The
    // instance must not be running; call before destroy_instance().
    void detach();

    // Compiles `function` at `tier` now and installs it (flowrun --tier 1).
    // On failure the function keeps its current tier and the error is
    // returned (and counted in the profile, without back-off).
    ErrorOr<void> compile(u32 function, u8 tier);
    // Every function; returns the first error after trying them all.
    ErrorOr<void> compile_all(u8 tier);

    // Specialises `function` on these argument values now (flowrun --tier
    // spec, the shell): compiles the generic tier-2 code first if needed,
    // then code with every profiled parameter folded in behind a guard.
    // JitUnsupported when tier 2 cannot compile it or there is nothing to fold.
    ErrorOr<void> specialise(u32 function, const Value* args, u32 arg_count);
    ErrorOr<void> specialise(u32 function, const Specialisation&);
    // During a CompileReason::Respecialise compile: what to fold in.
    const Specialisation* specialisation_request() const { return m_request; }
    const NativeFunctionState& native_state(u32 function) const { return m_states[function]; }
    // A snapshot's specialisation profile, restored once the function's
    // code is installed (kernel/snapshot/snapshot_load.cpp): the counters, the
    // guard failures and the argument profiles. The next decision is
    // scheduled as after a fresh specialisation, or, for generic code, as
    // after `spec_backoffs` back-offs.
    void restore_specialisation_profile(u32 function, const SpecialisationProfile&);

    // Automatic tier-up from the counters (on by default: --tier auto). Off
    // keeps every function at the tier it was explicitly compiled to
    // (--tier 0 / --tier 1). Set before attach().
    void set_auto_tier_up(bool enabled) { m_auto_tier_up = enabled; }
    bool auto_tier_up() const { return m_auto_tier_up; }

    // The cycle profile (total_cycles, last_cycles) reads the time-stamp
    // counter around every call entered from outside native code. On by
    // default; a benchmark that times calls itself turns it off, since two
    // clock reads can cost more than a short native call (about 10 ns each
    // under some hypervisors).
    void set_cycle_profile(bool enabled) { m_cycle_profile = enabled; }

    // Gives buffer `buffer` `count` elements between calls (files.h:
    // resize_buffer keeps the prefix, zero-fills the rest) and drops every
    // function of the module back to tier 0 with fresh counters, since
    // native code may embed the old base and length (jit_resize.cpp).
    ErrorOr<void> resize_buffer(u32 buffer, u32 count);

    // The host entry: call_function() plus the cycle profile.
    ErrorOr<Value> call(u32 function, const Value* args, u32 arg_count);

    const JitFunctionProfile& profile(u32 function) const { return m_profiles[function]; }
    // Calls of `function` so far, every tier together (exact across back-off rewinds).
    u64 calls(u32 function) const;
    u64 loop_iterations(u32 function) const;
    ModuleInstance* instance() const { return m_instance; }
    JitRuntime& runtime() const { return m_runtime; }
    u32 function_count() const { return m_function_count; }

    // TierHooks
    void on_hot(ModuleInstance& instance, u32 function, HotReason reason) override;
    Error call_native(ModuleInstance& instance, u32 function, const Value* args, Value* result) override;
    u8 function_tier(const ModuleInstance& instance, u32 function) override;

    // From jit_native_hot(): native code's call counter reached its threshold.
    void native_hot(u32 function);
    // From jit_native_hot_loop(): tier-1 code used up its loop budget.
    void native_hot_loop(u32 function);

    // For an interrupt handler (the kernel's IRQ, a host signal) that found
    // instance().interrupt set: `eip` is the interrupted instruction. When
    // it lies in native code of this runtime, returns where to resume
    // instead (NativeStubs::interrupt_exit, which traps TrapInterrupted and
    // unwinds to the entry); otherwise nullptr, and the interpreter or the
    // next interrupt stops the call. Reads only fixed ranges and this
    // instance's code table, so it is safe in an interrupt (interrupt.cpp).
    const void* interrupt_target(uptr eip);

private:
    ErrorOr<void> compile_and_install(u32 function, u8 tier, CompileReason reason);
    void back_off(u32 function, u8 tier, Error error);
    void rewind(u32 function, HotReason reason);
    u32 next_native_threshold(u32 function) const;
    i32 loop_budget(u32 function) const; // NativeFunctionState::loop_budget after an install
    // Specialisation (jit_specialise.cpp).
    void decide_specialisation(u32 function);
    ErrorOr<void> install_specialised(u32 function, const Specialisation&);
    void drop_specialisation(u32 function);
    void back_off_specialisation(u32 function);
    void start_window(u32 function);
    void schedule_check(u32 function, u64 calls_from_now);

    JitRuntime& m_runtime;
    const Module* m_module { nullptr };
    ModuleInstance* m_instance { nullptr };
    u32 m_function_count { 0 };
    JitFunctionProfile* m_profiles { nullptr };
    NativeFunctionState* m_states { nullptr };
    NativeEnvironment m_environment {};
    // The function a host call() is timing, so call_native does not count it twice.
    u32 m_timed_function { 0xFFFFFFFF };
    // The function the host called (for an interrupt outside any known code).
    u32 m_host_function { 0 };
    bool m_auto_tier_up { true };
    bool m_cycle_profile { true };
    const Specialisation* m_request { nullptr };
};
