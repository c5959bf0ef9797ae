// Code every tier's entry shares: the call-counter check against the
// policy's next threshold and the call of jit_native_hot it leads to, the
// argument profile that tier 1 and generic tier-2 code update on each call,
// and the guard in front of specialised code (docs/specialisation.md). They
// address the instance's counters and the function's NativeFunctionState
// directly, and note every such address for snapshots.
//
//   emit_threshold_check(a, env, function, hot);   // in the prologue
//   ...
//   a.bind(hot); (save EAX) emit_native_hot_call(a, env, function); (restore, jump back)
//
//   ArgumentProfileEmitter profile;
//   profile.emit(a, env, function);     // at entry: EAX = args (kept), clobbers ECX
//   ...body...
//   profile.emit_misses(a);             // once, after the body (out of line)
//
//   SpecialisationGuard guard;
//   guard.emit(a, env, function, spec); // the very first instructions
//   ...body...
//   guard.emit_failure(a);              // once, after the body
#pragma once

#include <microjit/jit/native_abi.h>
#include <microjit/jit/specialisation.h>
#include <microjit/x86/assembler.h>

// The caller has counted this call (native_abi.h): compares the function's
// call counter with NativeFunctionState::next_threshold and jumps to `hot`
// when it is reached. Clobbers ECX.
void emit_threshold_check(x86::Assembler&, const NativeEnvironment&, u32 function, x86::Label hot);

// jit_native_hot(env.jit, function): the policy may compile a higher tier or
// re-specialise. The caller keeps what it needs of EAX ECX EDX and has ESP
// 16-byte aligned (native_abi.h).
void emit_native_hot_call(x86::Assembler&, const NativeEnvironment&, u32 function);

// At a loop back edge of tier-1 code: one back edge of the function's loop
// budget (NativeFunctionState::loop_budget) is spent; when it runs out the
// code jumps to `hot`. Changes only the flags.
void emit_loop_budget_check(x86::Assembler&, const NativeEnvironment&, u32 function, x86::Label hot);

// The out-of-line routine those jumps reach through `call`: it keeps every
// register (EAX ECX EDX, all XMM, the flags need not survive), calls
// jit_native_hot_loop with ESP 16-byte aligned, and returns.
void emit_loop_budget_stub(x86::Assembler&, const NativeEnvironment&, u32 function);

class ArgumentProfileEmitter {
public:
    // The hit path per profiled parameter: load, compare with the
    // candidate, count a hit; a miss leaves the line.
    void emit(x86::Assembler&, const NativeEnvironment&, u32 function);
    // The miss paths: count the miss; when misses outnumber hits, the
    // argument becomes the candidate with one hit.
    void emit_misses(x86::Assembler&);

private:
    struct Site {
        u32 param;
        ArgumentProfile* profile;
        x86::Label miss;
        x86::Label back;
    };
    Site m_sites[max_profiled_arguments];
    u32 m_count { 0 };
};

class SpecialisationGuard {
public:
    // With EAX = args, compares each folded parameter with its value; any
    // difference goes to the failure path. Emits nothing for an empty spec.
    void emit(x86::Assembler&, const NativeEnvironment&, u32 function, const Specialisation&);
    // Counts the failure in NativeFunctionState::guard_failures and jumps,
    // with every register as it was at entry, to NativeFunctionState::generic_code.
    void emit_failure(x86::Assembler&);

private:
    NativeFunctionState* m_state { nullptr };
    x86::Label m_fail;
    bool m_used { false };
};
