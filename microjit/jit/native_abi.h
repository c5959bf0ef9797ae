// The native calling convention shared by every JIT tier ("the tier ABI"),
// and the environment a tier compiler needs to follow it.
//
// Code in instance.dispatch[f] is entered with `call` and obeys:
//   entry    EAX = const Value* args: param_count 8-byte slots (instance.h);
//            EDX = the caller's call depth (frames running, every tier
//            together; 0 when the host calls): this frame is EDX + 1;
//            ESP + 4 is 16-byte aligned (the caller's ESP was, before `call`)
//   return   EAX = the result: an i32, or an f32's bit pattern; undefined for
//            a void function
//   kept     EBX ESI EDI EBP ESP; the direction flag stays clear; MXCSR is
//            never changed (round to nearest, no flush-to-zero)
//   clobbered EAX ECX EDX EFLAGS and every XMM register
//   depth    the code traps TrapCallDepth when EDX + 1 > max_call_depth,
//            keeps its depth (in its frame or a register) and passes it in EDX
//            to native callees. instance.call_depth is the interpreter's
//            counter: native code writes its own depth there only before it
//            calls jit_call_interpreted, and never decrements it; jit_enter
//            restores it when native code returns or traps. (A memory counter
//            updated in every frame made each call wait on the previous
//            frame's store: twice the cost of a recursive call.)
//   calls    the CALLER counts the call
//            in profiles[f].calls, as the interpreter and call_function do,
//            so native call sites increment the callee's counter before
//            calling native code (interpret_call counts for itself); the
//            callee compares the counter with states[f].next_threshold on
//            entry and calls jit_native_hot() when it is reached, so the
//            policy can tier up
//   traps    never return: the code jumps to trap_exit with EAX = Error,
//            EDX = function index, ECX = bytecode offset (or
//            TrapInfo::unknown_offset); after a callee (interpret_call) has
//            already filled instance.trap it jumps to propagate_exit with
//            EAX = Error. Both unwind to the innermost jit_enter frame.
// Calls out of native code (helpers below, interpret_call) are made with ESP
// 16-byte aligned, as the i386 System V ABI asks.
//
// jit_enter is the only way in from C++ (JitInstance::call_native): it saves
// the callee-saved registers, the previous unwind point and call_depth, runs
// the code, and on a trap restores them and returns the Error.
#pragma once

#include <bareflow/types.h>
#include <microjit/module/instance.h>

class JitInstance;

// What tier 1 and generic tier-2 code record about one i32 parameter at
// every entry: the value seen most (a majority vote, Boyer-Moore style, that
// keeps the current candidate while it has at least as many hits as misses)
// and how often the arguments matched it since the profile was last reset.
// hits / (hits + misses) is the share of recent calls with that value
// (docs/specialisation.md).
struct ArgumentProfile {
    i32 value;
    u32 hits;
    u32 misses;
};

// Parameters 0 .. max_profiled_arguments - 1 of type i32 are profiled.
inline constexpr u32 max_profiled_arguments = 4;

// Per-function JIT state that native code reads and writes by absolute address.
struct NativeFunctionState {
    u32 next_threshold; // calls at which native code calls jit_native_hot (0xFFFFFFFF: never)
    u32 guard_failures; // entries of specialised code whose guard sent the call to generic_code
    const u8* generic_code; // where a failed specialisation guard jumps (the generic tier-2 code)
    i32 loop_budget;        // back edges tier-1 code may still run before it calls jit_native_hot_loop
    ArgumentProfile arguments[max_profiled_arguments]; // by parameter index
};
static_assert(sizeof(NativeFunctionState) == 16 + 12 * max_profiled_arguments);

// The runtime stubs, emitted once per JitRuntime into its code pool.
struct NativeStubs {
    // Error jit_enter(const void* code, const Value* args, ModuleInstance* instance, u32* result)
    using EnterFunction = u32 (*)(const void* code, const Value* args, ModuleInstance* instance, u32* result);
    EnterFunction enter { nullptr };
    const u8* trap_exit { nullptr };
    const u8* propagate_exit { nullptr };
    // Where an interrupted EIP in native code is sent: traps TrapInterrupted
    // in NativeUnwindPoint::interrupted_function (no bytecode offset).
    const u8* interrupt_exit { nullptr };
    const u8* block { nullptr }; // the code-pool block holding the stubs
    u32 size { 0 };              // its bytes: no function's code lies in [block, block + size)
};

// Where the innermost jit_enter frame is; native code never touches it.
struct NativeUnwindPoint {
    u32 entry_esp;
    u32 interrupted_function; // what interrupt_exit reports (JitInstance::interrupt_target)
};

// Everything a tier compiler embeds into code for one function of one
// instance: code is compiled per instance, so addresses are constants.
struct NativeEnvironment {
    ModuleInstance* instance;
    JitInstance* jit;                  // first argument of the helpers
    const NativeStubs* stubs;
    NativeFunctionState* states;       // function_count entries
};

// Helpers native code calls; regparm(3) passes the first three arguments in
// EAX, EDX, ECX (GCC's i386 extension), so call sites stay short.
#define JIT_HELPER [[gnu::regparm(3)]]

// The call of `function` reached its next threshold: lets the policy compile
// a higher tier. Native code calls it from the prologue; it may swap
// dispatch entries but never frees code that can still run.
extern "C" JIT_HELPER void jit_native_hot(JitInstance* jit, u32 function);

// Tier-1 code of `function` used up its loop budget: its loops, not its
// calls, are where the time goes, so the policy may compile tier 2 now. The
// running activation goes on in its tier-1 code; the next call runs tier 2.
extern "C" JIT_HELPER void jit_native_hot_loop(JitInstance* jit, u32 function);

// A call from native code to a function whose dispatch entry is 0: runs it
// in the interpreter. Returns (result << 32) | Error, in EDX:EAX.
extern "C" JIT_HELPER u64 jit_call_interpreted(JitInstance* jit, u32 function, const Value* args);

// exp.f32 through the same routine as tier 0 (microjit/runtime/exp_f32.h),
// with bit patterns in and out so JIT code needs no x87 instruction.
extern "C" JIT_HELPER u32 jit_exp_f32_bits(u32 bits);

// The other math opcodes, likewise through microjit/runtime's routines
// (trig_f32.h, log_f32.h, pow_f32.h, floor_f32.h). Like every helper they
// live in the kernel's text, which snapshot loading accepts as a call target.
extern "C" JIT_HELPER u32 jit_sin_f32_bits(u32 bits);
extern "C" JIT_HELPER u32 jit_cos_f32_bits(u32 bits);
extern "C" JIT_HELPER u32 jit_log_f32_bits(u32 bits);
extern "C" JIT_HELPER u32 jit_floor_f32_bits(u32 bits);
extern "C" JIT_HELPER u32 jit_pow_f32_bits(u32 x_bits, u32 y_bits);
extern "C" JIT_HELPER u32 jit_to_bits_f32(u32 bits); // i32.bits.f32: canonical NaNs

// The file and print opcodes (microjit/module/files.h) from tier-1 code.
// `registers` is the frame's register slots (the operands' values are in
// them); `operation` packs the opcode (bits 0-7), the file item (8-15) and
// the first operand register (16-23: the IO_ARGS register, or the printed
// one). Returns (result << 32) | Error in EDX:EAX: Error::Ok, or
// TrapOutOfBounds for a bad element range.
extern "C" JIT_HELPER u64 jit_io(JitInstance* jit, const Value* registers, u32 operation);
