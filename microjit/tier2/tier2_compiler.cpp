// Tier2Compiler; see tier2_compiler.h.
#include <microjit/tier2/module_adapter.h>
#include <microjit/tier2/ssa_builder.h>
#include <microjit/tier2/tier2_compiler.h>

namespace Tier2 {

namespace {

// Every pattern's code is well under this (matmul, the largest, is about
// 700 bytes); the block is trimmed to the real size afterwards.
constexpr usize code_capacity = 4096;

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
