// The general tier-2 code generator: native code for a function that no
// pattern (codegen.h) matches, straight from its optimised SSA IR, under the
// tier ABI (CodegenOptions::tier_abi; docs/jit.md) or, for tests, the
// standalone convention of codegen.h.
//
// It covers every opcode a verified function can contain: i32 and f32
// arithmetic, comparisons and conversions, division and conversion traps,
// bounds-checked loads and stores, len, gview, calls through the dispatch
// table (the callee's call counter, the depth in EDX, jit_call_interpreted
// for an interpreted callee, trap propagation) and exp.f32 through
// jit_exp_f32_bits. The prologue checks the call depth and the call counter
// against the policy's next threshold (jit_native_hot), as tier 1 does, so
// tier-up and re-specialisation keep working.
//
// Values live in registers chosen by a linear scan over the whole function
// (codegen_general_alloc.h): five GPRs and seven XMM registers, loop-weighted
// spilling, out of SSA by parallel copies on the edges. Innermost loops whose
// accesses the IR proved in range under an entry guard run without bounds
// checks when the guard holds (codegen_general_loops.cpp). Under the
// standalone convention there is no instance, so calls and gview are refused
// there. docs/tier2.md, "General code generation", has the whole story.
#pragma once

#include <microjit/tier2/codegen.h>

namespace Tier2 {

// True if compile_general can compile the function (under the tier ABI, or
// standalone when tier_abi is false). A false answer means JitUnsupported:
// the function stays at its tier.
bool general_supports(const Function&, bool tier_abi = true);

// Choices of the general code generator beyond CodegenOptions.
struct GeneralOptions {
    // Short trap-free if/else diamonds that join in one i32 phi become CMOV
    // (codegen_general_alloc.h, select_diamond). Off by default: with
    // predictable branches (collatz(27) called again and again) the branches
    // are faster, with unpredictable ones (collatz_max over many starts) the
    // CMOV; tier 1 records no branch profile to choose from yet.
    bool if_convert { false };
};

// What the allocator and the emitter did, for tests and compile logs.
struct GeneralStats {
    u32 in_registers;    // values that live in registers
    u32 spilled;         // values that live in frame slots
    u32 versioned_loops; // loops emitted twice, the second without the bounds checks their guards prove
    u32 selects;         // diamonds emitted as CMOV
    u32 vectorised_loops; // reduction loops that also got vector code (codegen_general_vector.cpp)
};

// Emits the function into `assembler` (the caller calls finish()). The
// function's arena provides the allocator's scratch, which is released again.
ErrorOr<void> compile_general(const Function&, x86::Assembler&, const CodegenOptions&, GeneralStats* stats = nullptr,
    const GeneralOptions& general = {});

}
