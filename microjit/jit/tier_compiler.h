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

// The instruction set a block was compiled for; part of the function's
// profile (issue 7, "CPU features"). Sse2 is the baseline every tier may use.
enum class CodeIsa : u8 {
    None, // no code (tier 0)
    Sse2,
    Avx2, // VEX code: only when CPUID and XCR0 allow it
};

struct CodeBlock {
    u8* code { nullptr };
    u32 size { 0 };
    CodeIsa isa { CodeIsa::Sse2 };
};

enum class CompileReason : u8 {
    Explicit,     // flowrun --tier N, a test, the shell
    Hot,          // the function crossed the tier-up threshold
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
