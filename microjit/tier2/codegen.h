// Pattern code generators: native x86 for a function that a function-level
// recogniser (patterns.h) has matched, written through the x86 emitter.
//
// Calling convention of the code produced here (the "standalone" convention,
// i386 cdecl, callable from C++ as StandaloneEntry):
//
//   u32 entry(const Value* args, Value* result, u32 depth)
//
//   args    param_count 8-byte slots (microjit/module/instance.h): an i32 or
//           the f32 bits in the low word; a view's base then its length
//   result  receives the return value (raw bits in the low word, 0 above;
//           all 0 for a void function) when the function returns normally;
//           untouched on a trap
//   depth   the call depth of this frame (1 for the outermost call), for the
//           patterns that stand for recursion
//   returns 0 (Error::Ok) or the trap's Error, the same one the bytecode
//           would have raised at every tier
//   keeps   EBX ESI EDI EBP, as cdecl asks; never changes MXCSR
//
// With CodegenOptions::tier_abi set, the same bodies follow the tier ABI of
// docs/jit.md instead (EAX = args, EDX = the caller's call depth, result in
// EAX, traps through the runtime's trap_exit): only the prologue, the
// epilogue and the trap exits differ, and they live in one place
// (NativeFrame, codegen_frame.h). Tier2Compiler (tier2_compiler.h) uses that.
#pragma once

#include <bareflow/error_or.h>
#include <microjit/jit/native_abi.h>
#include <microjit/jit/specialisation.h>
#include <microjit/module/instance.h>
#include <microjit/tier2/patterns.h>
#include <microjit/x86/assembler.h>

namespace Tier2 {

using StandaloneEntry = u32 (*)(const Value* args, Value* result, u32 depth);

struct CodegenOptions {
    // 8-lane AVX2 instead of 4-lane SSE. Set only when CPUID and XCR0 say the
    // CPU and the OS support it; the assembler refuses VEX instructions
    // otherwise.
    bool avx2 { false };
    // With avx2: the CPU has FMA3 (CPUID.1:ECX bit 12), and dot-product
    // reductions fuse their products into the accumulators, which the float
    // reduction rule allows. Maps and everything else never fuse.
    bool fma { false };
    // Non-null: emit for the tier ABI, for function `function` of
    // tier_abi->instance (trap exits and stubs come from there).
    const NativeEnvironment* tier_abi { nullptr };
    u32 function { 0 };
    // Non-null and not empty (tier ABI only): code specialised on these
    // parameter values, behind an entry guard (docs/specialisation.md).
    // The recognisers see the generic function; the pattern's operands that
    // read a folded parameter become constants (specialise_operand).
    const Specialisation* spec { nullptr };
};

// `op` with a folded parameter replaced by its constant.
Operand specialise_operand(const Operand& op, const CodegenOptions&);

enum class CompiledPattern : u8 { None, Fibonacci, Recurrence, Reduction, Map, Matmul };
const char* compiled_pattern_name(CompiledPattern);

struct PatternCode {
    CompiledPattern pattern;
    // Where constant data (sign masks) starts, if any: instructions end
    // there, which is what a disassembler or length decoder should cover.
    x86::Label data;
};

// Recognises the prepared function (prepare_for_patterns) as one of the
// compilable function patterns and emits it into `assembler` (the caller
// calls finish()). Returns which pattern was compiled, or JitUnsupported
// when none applies.
ErrorOr<PatternCode> compile_pattern(const Function&, x86::Assembler&, const CodegenOptions&);

ErrorOr<void> compile_fibonacci(const FunctionFibonacci&, x86::Assembler&, const CodegenOptions&);
ErrorOr<void> compile_recurrence(const FunctionRecurrence&, x86::Assembler&, const CodegenOptions&);
ErrorOr<void> compile_reduction(const FunctionReduction&, x86::Assembler&, const CodegenOptions&);
ErrorOr<void> compile_map(const FunctionMap&, x86::Assembler&, const CodegenOptions&, x86::Label* data = nullptr);
ErrorOr<void> compile_matmul(const FunctionMatmul&, x86::Assembler&, const CodegenOptions&);

}
