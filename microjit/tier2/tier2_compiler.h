// Tier 2 as a tier of the JIT runtime (microjit/jit/tier_compiler.h): a
// function that one of the function-level patterns matches is compiled to
// pattern code following the tier ABI and handed back for installation in
// the dispatch table; any other function is JitUnsupported, so the runtime
// keeps it at its current tier (the general tier-2 code generator, which
// would compile everything, is not written yet: docs/tier2.md).
//
//   Tier2Compiler tier2(memory, size);       // scratch for one compilation
//   runtime.set_compiler(2, &tier2);
//   TRY(jit.compile(function, 2));
#pragma once

#include <microjit/jit/construct.h>
#include <microjit/jit/tier_compiler.h>
#include <microjit/tier2/codegen.h>

namespace Tier2 {

class Tier2Compiler final : public TierCompiler {
public:
    // `scratch` backs the IR of one compilation at a time (a few tens of KiB
    // suffice for the kernels in modules/); it must outlive the compiler.
    Tier2Compiler(void* scratch, usize scratch_size)
        : m_scratch(scratch)
        , m_scratch_size(scratch_size)
    {
    }

    // The ISA to use; set from CPUID and XCR0 (avx2) by the caller.
    void set_avx2(bool allowed) { m_avx2 = allowed; }
    // FMA3 as well (CPUID): used with AVX2 only, for dot products.
    void set_fma(bool allowed) { m_fma = allowed; }

    ErrorOr<CodeBlock> compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason reason) override;
    u8 tier() const override { return 2; }

    // The pattern of the last successful compile (the compile log).
    CompiledPattern last_pattern() const { return m_last; }
    // Loops of the last function compiled by the general code generator that got vector code.
    u32 last_vectorised_loops() const { return m_last_vectorised; }

private:
    void* m_scratch;
    usize m_scratch_size;
    bool m_avx2 { false };
    bool m_fma { false };
    CompiledPattern m_last { CompiledPattern::None };
    u32 m_last_vectorised { 0 };
    InPlace<x86::Assembler> m_assembler;
};

}
