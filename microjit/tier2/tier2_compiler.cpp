// Tier2Compiler; see tier2_compiler.h.
#include <microjit/tier2/codegen_general.h>
#include <microjit/tier2/module_adapter.h>
#include <microjit/tier2/optimize.h>
#include <microjit/tier2/ssa_builder.h>
#include <microjit/tier2/tier2_compiler.h>

namespace Tier2 {

namespace {

// Every pattern's code is well under this (matmul, the largest, is about
// 700 bytes); the block is trimmed to the real size afterwards.
constexpr usize code_capacity = 4096;

// The general code generator (codegen_general.h) for functions that match no
// pattern; with it off they stay JitUnsupported, at tier 1.
constexpr bool use_general_codegen = true;
// Its worst case grows with the function (about 40 bytes per instruction).
usize general_capacity(const Function& fn) { return code_capacity + 48 * static_cast<usize>(fn.next_inst_id); }

}

ErrorOr<CodeBlock> Tier2Compiler::compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason)
{
    if (!env.instance || function >= env.instance->module->function_count)
        return Error::InvalidArgument;
    Arena arena(m_scratch, m_scratch_size);
    ModuleInfo info;
    TRY(describe_module(*env.instance->module, arena, info));
    Function* fn = TRY(build_function(arena, info, function));
    TRY(prepare_for_patterns(*fn));
    u8* code = static_cast<u8*>(TRY(pool.allocate(code_capacity)));
    x86::Assembler& a = m_assembler.construct(code, code_capacity);
    a.allow_avx2(m_avx2);
    CodegenOptions options;
    options.avx2 = m_avx2;
    options.tier_abi = &env;
    options.function = function;
    auto compiled = compile_pattern(*fn, a, options);
    if (use_general_codegen && compiled.is_error() && compiled.error() == Error::JitUnsupported && general_supports(*fn)) {
        pool.free(code);
        OptimizeStats stats {};
        TRY(optimize(*fn, stats)); // strength reduction and bounds facts on top of the patterns' preparation
        usize capacity = general_capacity(*fn);
        code = static_cast<u8*>(TRY(pool.allocate(capacity)));
        x86::Assembler& general = m_assembler.construct(code, capacity);
        auto emitted = compile_general(*fn, general, options);
        auto size = emitted.is_error() ? ErrorOr<usize>(emitted.error()) : general.finish();
        if (size.is_error()) {
            pool.free(code);
            return Error::JitUnsupported; // too big for the block: stays at its tier
        }
        pool.shrink(code, size.value());
        m_last = CompiledPattern::None;
        return CodeBlock { code, static_cast<u32>(size.value()), m_avx2 ? CodeIsa::Avx2 : CodeIsa::Sse2 };
    }
    if (compiled.is_error()) {
        pool.free(code);
        return compiled.error();
    }
    auto size = a.finish();
    if (size.is_error()) {
        pool.free(code);
        return size.error();
    }
    pool.shrink(code, size.value());
    m_last = compiled.value().pattern;
    return CodeBlock { code, static_cast<u32>(size.value()), m_avx2 ? CodeIsa::Avx2 : CodeIsa::Sse2 };
}

}
