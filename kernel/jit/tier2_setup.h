// Tier 2 in the kernel: the Tier2Compiler registered at boot and the
// instruction set it compiles for (`jit isa [auto|sse2|avx2]`).
//
// AVX2 code is allowed only when CPUID reports AVX, AVX2 and OSXSAVE and
// XCR0 has the SSE and AVX state bits (SDM Vol. 1, 14.3 "Detection of Intel
// AVX instructions"): the entry code (entry.asm) sets CR4.OSXSAVE and XCR0
// when the CPU offers them, so this checks what the kernel really enabled.
#pragma once

#include <bareflow/error_or.h>
#include <microjit/jit/tier_compiler.h>

enum class IsaSetting : u8 {
    Auto, // AVX2 when the CPU and the kernel allow it, else SSE2
    Sse2,
    Avx2, // refused on a CPU without it
};

// True when CPUID and XCR0 allow VEX-encoded AVX2 code.
bool cpu_allows_avx2();

// Creates the tier-2 compiler and registers it with the runtime (boot, before
// the compile trackers wrap the compilers).
ErrorOr<void> register_tier2_compiler();

// The setting and the ISA it resolves to on this CPU.
IsaSetting isa_setting();
CodeIsa effective_isa();
// NotSupported for Avx2 on a CPU (or kernel) without AVX2.
ErrorOr<void> set_isa_setting(IsaSetting setting);

const char* isa_name(CodeIsa isa);
