// Tier 1: the baseline JIT. One linear pass over verified bytecode turns a
// function into x86 code that follows the tier ABI (microjit/jit/native_abi.h).
//
// Compile time matters more than code quality (docs/jit.md, "Tier 1"):
//   - a pre-pass decodes the function once, finds jump targets and loops and
//     counts register uses (weighted x16 inside loops);
//   - the most used i32 registers live in EBX ESI EDI EBP and the most used
//     f32 registers in XMM2-XMM7 for the whole function ("pinned"); every
//     other register has a fixed 8-byte slot in the frame;
//   - the emission pass is a switch per opcode, each op a few instructions,
//     with EAX ECX EDX XMM0 XMM1 as scratch;
//   - traps jump to one stub per kind at the end of the function, which
//     leaves through the runtime's shared trap exit.
#pragma once

#include <microjit/jit/construct.h>
#include <microjit/jit/tier_compiler.h>
#include <microjit/x86/assembler.h>

class Tier1Compiler final : public TierCompiler {
public:
    Tier1Compiler() = default;

    // Where per-compile scratch (decoded instructions) comes from.
    void set_metadata_pool(MetadataPool* pool) { m_metadata = pool; }

    ErrorOr<CodeBlock> compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason reason) override;
    u8 tier() const override { return 1; }

    // The 16 KiB Assembler lives here, not on the (kernel) stack; the
    // runtime borrows it to emit its stubs.
    InPlace<x86::Assembler>& assembler_storage() { return m_assembler; }

    // Test hook: makes the next `count` compiles fail with `error`, as a full
    // pool or an emitter limit would.
    void fail_next(u32 count, Error error)
    {
        m_fail_count = count;
        m_fail_error = error;
    }

private:
    InPlace<x86::Assembler> m_assembler;
    MetadataPool* m_metadata { nullptr };
    u32 m_fail_count { 0 };
    Error m_fail_error { Error::Ok };
};
