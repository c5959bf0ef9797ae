// ModuleInstance: a loaded module made runnable, and the contract between
// the interpreter (tier 0) and the JIT tiers. docs/runtime.md explains the
// whole protocol; in short:
//   - dispatch[f] is one aligned u32 per function: 0 means "interpret", any
//     other value is the address of native code for f. A tier installs code
//     with one aligned 32-bit store, so a reader sees either the old or the
//     new entry, never a torn one.
//   - profiles[f] counts calls and loop back edges (every backward jump and
//     every forloop that jumps back). When a counter reaches its threshold the
//     interpreter calls hooks->on_hot() once for that crossing.
//   - when a call reaches a function whose dispatch entry is non-zero, the
//     interpreter asks hooks->call_native() to run it; native code calls back
//     into the interpreter with interpret_call() (interpreter.h).
//   - call_depth is shared by every tier: whoever starts running a function
//     frame increments it and traps with TrapCallDepth past max_call_depth.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <microjit/module/module.h>

// A view: base address and element count. Elements are 4 bytes (i32 or f32).
struct View {
    void* base;
    u32 length;
};

// One register slot. On i686 it is 8 bytes: an i32, an f32 or a view.
union Value {
    i32 i;
    f32 f;
    View view;
    u64 raw;

    static Value from_i32(i32 v)
    {
        Value value {};
        value.i = v;
        return value;
    }
    static Value from_f32(f32 v)
    {
        Value value {};
        value.f = v;
        return value;
    }
    static Value from_view(void* base, u32 length)
    {
        Value value {};
        value.view = View { base, length };
        return value;
    }
};
#if defined(__i386__)
static_assert(sizeof(Value) == 8, "register slots are 8 bytes on i686");
static_assert(sizeof(View) == 8 && __builtin_offsetof(View, length) == 4);
#endif

struct FunctionProfile {
    u32 calls;
    u32 loop_iterations;
};

enum class HotReason : u8 {
    Calls,          // profiles[f].calls reached hot_call_threshold
    LoopIterations, // profiles[f].loop_iterations reached hot_loop_threshold
};

// What went wrong in the last failed call: the trap (or other error), the
// function it happened in, and the bytecode offset inside that function
// (unknown_offset when native code trapped and could not say).
struct TrapInfo {
    Error error;
    u32 function;
    u32 offset;

    static constexpr u32 unknown_offset = 0xFFFFFFFF;
};

struct ModuleInstance;

// Implemented by the JIT tiers (microjit/tier1 and later).
class TierHooks {
public:
    // A counter of `function` crossed its threshold. The hook may compile
    // the function and install the code in instance.dispatch[function].
    virtual void on_hot(ModuleInstance& instance, u32 function, HotReason reason) = 0;

    // Runs the native code installed in instance.dispatch[function] with
    // param_count arguments, and stores the result in *result (untouched for a
    // void function). The native code keeps call_depth itself (it counts its
    // own frame). Returns Error::Ok, or the trap it raised with
    // instance.trap filled in.
    virtual Error call_native(ModuleInstance& instance, u32 function, const Value* args, Value* result) = 0;

    // Which tier runs `function` now (for statistics): 0 is the interpreter.
    virtual u8 function_tier(const ModuleInstance& instance, u32 function) { return instance_dispatch_is_native(instance, function) ? 1 : 0; }

protected:
    ~TierHooks() = default;
    static bool instance_dispatch_is_native(const ModuleInstance& instance, u32 function);
};

struct InstanceConfig {
    TierHooks* hooks = nullptr;       // nullptr: interpret everything
    u32 hot_call_threshold = 0;       // 0: never report
    u32 hot_loop_threshold = 0;       // 0: never report
    u64 step_limit = 0;               // calls + back edges per top-level call; 0: unlimited (fixed at creation)
};

struct InterpreterCode; // the interpreter's pre-decoded functions (private)
class ModuleHost;       // files and the console (host.h)

// The room for one file item's bound path, NUL included (bfm::max_file_path + 1).
inline constexpr u32 file_path_capacity = 128;

struct ModuleInstance {
    const Module* module;
    u32* dispatch;              // function_count entries, 4-aligned
    FunctionProfile* profiles;  // function_count entries
    View* buffers;              // buffer_count views of zero-filled, 16-aligned memory
    u32 call_depth;             // frames currently running, every tier together
    u32 hot_call_threshold;
    u32 hot_loop_threshold;
    TierHooks* hooks;
    TrapInfo trap;              // valid after a call returned an error

    // Bounded execution for untrusted experiments (the mutation test,
    // fuzzing): every call and back edge costs one step; at zero the call
    // fails with TrapStepLimit. step_limit 0 means unlimited. Whether steps
    // are counted at all is decided at create_instance(); a limit set later
    // on an instance created without one is not enforced.
    u64 step_limit;
    u64 steps_left;

    // Non-zero: the host asks the running call to stop (Ctrl-C, a
    // watchdog). Set from an interrupt or a signal handler, so it is read
    // with interrupt_requested(). The interpreter tests it at every back
    // edge and call and traps TrapInterrupted; native code is stopped from
    // the interrupt itself (JitInstance::interrupt_target). The host clears
    // it before it starts the next call.
    u32 interrupt;

    // Interpreter internals: pre-decoded code and the register stack.
    InterpreterCode* code;
    Value* stack_base;
    Value* stack_top;           // first free slot
    Value* stack_end;

    ModuleAllocator* allocator;
    void* allocation;
    usize allocation_size;

    // Files and the console (host.h); nullptr: file builtins return -3 and
    // prints go nowhere. Set by the host at any time between calls.
    ModuleHost* host;
    // module->file_count paths of file_path_capacity bytes each: where each
    // file item points now ("" when unbound). They start as the items'
    // default paths; bind_file() (files.h) changes them.
    char* file_paths;
};

inline bool interrupt_requested(const ModuleInstance& instance)
{
    return __atomic_load_n(&instance.interrupt, __ATOMIC_RELAXED) != 0;
}
inline void request_interrupt(ModuleInstance& instance) { __atomic_store_n(&instance.interrupt, 1u, __ATOMIC_RELAXED); }
inline void clear_interrupt(ModuleInstance& instance) { __atomic_store_n(&instance.interrupt, 0u, __ATOMIC_RELAXED); }

inline bool TierHooks::instance_dispatch_is_native(const ModuleInstance& instance, u32 function)
{
    return instance.dispatch[function] != 0;
}

// Makes `module` runnable: allocates its buffers (zero-filled, 16-aligned),
// the dispatch table (all zero: interpret), the profile counters, the
// interpreter's decoded code and a register stack deep enough for
// max_call_depth frames. The module must outlive the instance.
ErrorOr<ModuleInstance*> create_instance(const Module& module, ModuleAllocator& allocator, const InstanceConfig& config);

void destroy_instance(ModuleInstance* instance);
