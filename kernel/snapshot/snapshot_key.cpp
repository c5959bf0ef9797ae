// The parts of a snapshot's key that describe the running system: the JIT
// version and the CPU feature set (docs/snapshot-format.md, "Key").
//
// The JIT version is a hash of the kernel's text and read-only data, which
// hold the compilers, the runtime helpers native code calls and the layout
// of everything static: any rebuild that could change what code is emitted
// or what it calls changes it. (The oneDNN cache keys on the library
// version and build hash for the same reason.)
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/cpu_info.h>
#include <kernel/snapshot/snapshot_format.h>
#include <kernel/version.h>
#include <microjit/runtime/fnv1a64.h>

extern "C" u8 __kernel_start[];
extern "C" u8 __init_array_start[];

namespace snapshot {

u64 current_jit_version()
{
    static u64 s_version = 0;
    if (!s_version) {
        const char* version = "BareFlow " BAREFLOW_VERSION;
        u64 hash = fnv1a64(reinterpret_cast<const u8*>(version), sizeof("BareFlow " BAREFLOW_VERSION) - 1);
        s_version = fnv1a64_update(hash, __kernel_start, static_cast<usize>(__init_array_start - __kernel_start));
    }
    return s_version;
}

u32 current_cpu_features()
{
    const CpuInfo& cpu = cpu_info();
    u32 bits = 0;
    bits |= cpu.has_sse3 ? u32(CPU_SSE3) : 0u;
    bits |= cpu.has_ssse3 ? u32(CPU_SSSE3) : 0u;
    bits |= cpu.has_sse41 ? u32(CPU_SSE41) : 0u;
    bits |= cpu.has_sse42 ? u32(CPU_SSE42) : 0u;
    bits |= cpu.has_popcnt ? u32(CPU_POPCNT) : 0u;
    bits |= cpu.has_avx ? u32(CPU_AVX) : 0u;
    bits |= cpu.has_avx2 ? u32(CPU_AVX2) : 0u;
    // Tier 2 emits VFMADD231PS on the AVX2 path when the CPU has FMA
    // (tier2_setup.cpp): code made with it must not run without it.
    bits |= cpu.has_fma ? u32(CPU_FMA) : 0u;
    bits |= cpu.has_bmi1 ? u32(CPU_BMI1) : 0u;
    bits |= cpu.has_bmi2 ? u32(CPU_BMI2) : 0u;
    bits |= (kernel_cpu_enabled & x86::CPU_ENABLED_AVX) ? u32(CPU_AVX_ENABLED) : 0u;
    return bits;
}

} // namespace snapshot
