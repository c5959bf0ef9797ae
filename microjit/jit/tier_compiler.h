// TierCompiler: what the JIT runtime asks of a tier (1, 2, ...).
//
// A compiler turns one verified function of one instance into native code
// that follows the tier ABI (native_abi.h), in a block of the code pool. It
// keeps nothing between calls that the runtime does not own; the runtime
// installs the block in the dispatch table and frees it when superseded (see
// code_swap.h for when that is safe).
#pragma once

#include <bareflow/error_or.h>
#include <microjit/jit/native_abi.h>
#include <microjit/pool/pool.h>
#include <microjit/x86/assembler.h>

// The instruction set a block was compiled for; part of the function's
// profile (issue 7, "CPU features"). Sse2 is the baseline every tier may use.
enum class CodeIsa : u8 {
    None, // no code (tier 0)
    Sse2,
    Avx2, // VEX code: only when CPUID and XCR0 allow it
};

// Where a block's code embeds absolute addresses of data (the instance's
// counters and dispatch table, its buffers, the JitInstance, the stubs'
// table, the block's own constants): x86::Assembler::note_absolute(). A
// count, then that many 4-byte field offsets, ascending. It is kept in the
// code block right after the code (4-aligned), so it lives and is freed with
// the code. JIT snapshots rebase these fields when they load code into
// another layout (docs/snapshot-format.md).
struct AbsoluteFields {
    u32 count;
    const u32* offsets() const { return &count + 1; }
};

struct CodeBlock {
    u8* code { nullptr };
    u32 size { 0 };
    CodeIsa isa { CodeIsa::Sse2 };
    // nullptr: the compiler did not record where the code embeds absolute
    // addresses; such code is never saved in a snapshot.
    const AbsoluteFields* absolutes { nullptr };
};

// After `a.finish()` returned `size` for code emitted at `code` (a block of
// `capacity` bytes from `pool`): puts the assembler's list of absolute
// fields after the code and trims the block to both. EmitBufferFull (and
// nothing changed) when the list does not fit in the block.
inline ErrorOr<CodeBlock> seal_code_block(const x86::Assembler& a, CodePool& pool, u8* code, usize capacity, usize size,
                                          CodeIsa isa)
{
    usize table = (size + 3) & ~static_cast<usize>(3);
    usize total = table + 4 * (1 + static_cast<usize>(a.absolute_count()));
    if (total > capacity)
        return Error::EmitBufferFull;
    for (usize i = size; i < table; ++i)
        code[i] = 0xCC; // int3: never executed
    auto* fields = reinterpret_cast<u32*>(code + table);
    fields[0] = a.absolute_count();
    for (u32 i = 0; i < a.absolute_count(); ++i)
        fields[1 + i] = a.absolute_offsets()[i];
    pool.shrink(code, total);
    return CodeBlock { code, static_cast<u32>(size), isa, reinterpret_cast<const AbsoluteFields*>(fields) };
}

enum class CompileReason : u8 {
    Explicit,     // flowrun --tier N, a test, the shell
    Hot,          // the function crossed the tier-up threshold
    HotLoop,      // tier-1 code used up its loop budget (TierPolicy::tier2_loop_iterations)
    Respecialise, // the re-specialisation threshold (tier 2 decides what to do)
};

class TierCompiler {
public:
    // Returns the block (allocated from `pool`, trimmed to size), or:
    //   PoolExhausted    the code pool is full (the runtime backs off)
    //   JitUnsupported   the function cannot be compiled at this tier
    //   other errors     passed on from the emitter
    virtual ErrorOr<CodeBlock> compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason reason) = 0;
    virtual u8 tier() const = 0;

protected:
    ~TierCompiler() = default;
};
