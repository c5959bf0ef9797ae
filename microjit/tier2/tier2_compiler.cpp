// Tier2Compiler; see tier2_compiler.h.
#include <microjit/jit/jit.h>
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
// Room for the vector code the loop vectoriser may add to each loop, too.
usize general_capacity(const Function& fn) { return code_capacity + 48 * static_cast<usize>(fn.next_inst_id) + 1024 * static_cast<usize>(fn.loop_count); }

// The function's IR with each folded parameter's uses replaced by its
// constant, prepared like any other.
ErrorOr<Function*> build_specialised_function(Arena& arena, const ModuleInfo& info, u32 function, const Specialisation& spec)
{
    Function& fn = *TRY(build_function(arena, info, function));
    Inst* before = fn.entry()->first;
    while (before && (before->op == Op::Param || before->op == Op::Phi))
        before = before->next;
    for (u32 p = 0; p < fn.info->param_count && p < max_profiled_arguments; ++p) {
        if (!spec.has(p))
            continue;
        Inst* value = TRY(make_const_i32(fn, spec.values[p], before));
        replace_all_uses(fn, fn.params[p], value);
    }
    TRY(prepare_for_patterns(fn));
    return &fn;
}

// Reading and writing files and printing go through the module's host, which
// tier 2 does not call: a function that does I/O stays at tier 1, whose code
// calls the same routines as the interpreter (docs/tier2.md). Its loops are
// usually bounded by the I/O anyway.
bool does_io(const ::FunctionInfo& f)
{
    for (u32 at = 0; at < f.code_size;) {
        auto decoded = ::decode_instruction(f.code, f.code_size, at);
        if (decoded.is_error())
            return true; // never for a verified module; refuse rather than guess
        if (is_io_opcode(decoded.value().opcode))
            return true;
        at += decoded.value().length;
    }
    return false;
}

}

ErrorOr<CodeBlock> Tier2Compiler::compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason reason)
{
    if (!env.instance || function >= env.instance->module->function_count)
        return Error::InvalidArgument;
    if (does_io(env.instance->module->functions[function]))
        return Error::JitUnsupported;
    // Re-specialisation: the runtime says which values to fold in; the
    // guard's failures go to the generic code it keeps installed.
    const Specialisation* spec = nullptr;
    if (reason == CompileReason::Respecialise) {
        spec = env.jit ? env.jit->specialisation_request() : nullptr;
        if (!spec || spec->empty())
            return Error::JitUnsupported;
    }
    Arena arena(m_scratch, m_scratch_size);
    ModuleInfo info;
    TRY(describe_module(*env.instance->module, arena, info));
    usize module_mark = arena.mark();
    Function* fn = TRY(build_function(arena, info, function));
    TRY(prepare_for_patterns(*fn));
    u8* code = static_cast<u8*>(TRY(pool.allocate(code_capacity)));
    x86::Assembler& a = m_assembler.construct(code, code_capacity);
    a.allow_avx2(m_avx2);
    CodegenOptions options;
    options.avx2 = m_avx2;
    options.fma = m_avx2 && m_fma;
    options.tier_abi = &env;
    options.function = function;
    options.spec = spec;
    auto compiled = compile_pattern(*fn, a, options);
    if (use_general_codegen && spec && compiled.is_error() && compiled.error() == Error::JitUnsupported) {
        // No pattern: the general code generator gets the IR with the folded
        // parameters as constants, so folding and branch pruning see them.
        arena.rewind(module_mark);
        auto folded = build_specialised_function(arena, info, function, *spec);
        if (folded.is_error()) {
            pool.free(code);
            return folded.error();
        }
        fn = folded.value();
    }
    if (use_general_codegen && compiled.is_error() && compiled.error() == Error::JitUnsupported && general_supports(*fn)) {
        pool.free(code);
        OptimizeStats stats {};
        TRY(unroll_counted_loops(*fn, stats));
        TRY(optimize(*fn, stats)); // strength reduction and bounds facts on top of the patterns' preparation
        usize capacity = general_capacity(*fn);
        code = static_cast<u8*>(TRY(pool.allocate(capacity)));
        x86::Assembler& general = m_assembler.construct(code, capacity);
        general.allow_avx2(m_avx2);
        GeneralStats general_stats {};
        auto emitted = compile_general(*fn, general, options, &general_stats);
        auto size = emitted.is_error() ? ErrorOr<usize>(emitted.error()) : general.finish();
        // The block keeps the list of absolute addresses after the code.
        auto block = size.is_error() ? ErrorOr<CodeBlock>(size.error())
                                     : seal_code_block(general, pool, code, capacity, size.value(), m_avx2 ? CodeIsa::Avx2 : CodeIsa::Sse2);
        if (block.is_error()) {
            pool.free(code);
            return Error::JitUnsupported; // too big for the block: stays at its tier
        }
        m_last = CompiledPattern::None;
        m_last_vectorised = general_stats.vectorised_loops;
        return block.value();
    }
    if (compiled.is_error()) {
        pool.free(code);
        return compiled.error();
    }
    auto size = a.finish();
    // The block keeps the list of absolute addresses after the code.
    auto block = size.is_error() ? ErrorOr<CodeBlock>(size.error())
                                 : seal_code_block(a, pool, code, code_capacity, size.value(), m_avx2 ? CodeIsa::Avx2 : CodeIsa::Sse2);
    if (block.is_error()) {
        pool.free(code);
        return block.error();
    }
    m_last = compiled.value().pattern;
    m_last_vectorised = 0;
    return block.value();
}

}
