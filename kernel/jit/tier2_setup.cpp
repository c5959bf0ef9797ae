// Tier 2 in the kernel (see tier2_setup.h).
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/cpu_info.h>
#include <kernel/jit/jit_system.h>
#include <kernel/jit/tier2_setup.h>
#include <kernel/lib/kprintf.h>
#include <microjit/tier2/tier2_compiler.h>

namespace {

// Scratch for one compilation's IR. The kernels in modules/ need a few tens
// of KiB (docs/tier2.md); a larger function runs out and is OutOfMemory, so
// it simply stays at tier 1. Static, so it costs no pool space and does not
// shift the pools' layout that snapshots depend on.
alignas(16) u8 s_scratch[256 * 1024];
Tier2::Tier2Compiler s_tier2(s_scratch, sizeof(s_scratch));
IsaSetting s_setting = IsaSetting::Auto;

// XCR0 bit 1 (SSE state) and bit 2 (AVX state): SDM Vol. 1, 13.3.
constexpr u64 xcr0_sse_avx = 0x6;

}

bool cpu_allows_avx2()
{
    const CpuInfo& cpu = cpu_info();
    if (!cpu.has_avx || !cpu.has_avx2 || !cpu.has_osxsave)
        return false;
    // XGETBV faults unless CR4.OSXSAVE is set, which only the entry code does.
    if (!(kernel_cpu_enabled & x86::CPU_ENABLED_XSAVE) || !(kernel_cpu_enabled & x86::CPU_ENABLED_AVX))
        return false;
    return (x86::read_xcr0() & xcr0_sse_avx) == xcr0_sse_avx;
}

CodeIsa effective_isa()
{
    switch (s_setting) {
    case IsaSetting::Sse2:
        return CodeIsa::Sse2;
    case IsaSetting::Avx2:
        return CodeIsa::Avx2;
    case IsaSetting::Auto:
        break;
    }
    return cpu_allows_avx2() ? CodeIsa::Avx2 : CodeIsa::Sse2;
}

IsaSetting isa_setting() { return s_setting; }

ErrorOr<void> set_isa_setting(IsaSetting setting)
{
    if (setting == IsaSetting::Avx2 && !cpu_allows_avx2())
        return Error::NotSupported;
    s_setting = setting;
    s_tier2.set_avx2(effective_isa() == CodeIsa::Avx2);
    s_tier2.set_fma(cpu_info().has_fma);
    return {};
}

ErrorOr<void> register_tier2_compiler()
{
    s_tier2.set_avx2(effective_isa() == CodeIsa::Avx2);
    s_tier2.set_fma(cpu_info().has_fma);
    jit_runtime().set_compiler(2, &s_tier2);
    kprintf("jit: tier 2 compiles for %s (CPU %s AVX2)\n", isa_name(effective_isa()),
            cpu_allows_avx2() ? "and kernel allow" : "or kernel lacks");
    return {};
}

const char* isa_name(CodeIsa isa)
{
    switch (isa) {
    case CodeIsa::None:
        return "-";
    case CodeIsa::Sse2:
        return "sse2";
    case CodeIsa::Avx2:
        return "avx2";
    }
    return "?";
}
