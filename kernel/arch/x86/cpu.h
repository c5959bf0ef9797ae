// x86 CPU access: CPUID, control registers, the TSC, interrupts on/off, halt.
// Intel SDM Vol. 2 for each instruction; Vol. 3A 2.5 for the control
// registers. Only kernel code includes this (microjit/ detects features
// through its own CPUID wrapper so it builds on the host as well).
#pragma once

#include <bareflow/types.h>

namespace x86 {

struct CpuidResult {
    u32 eax;
    u32 ebx;
    u32 ecx;
    u32 edx;
};

inline CpuidResult cpuid(u32 leaf, u32 subleaf = 0)
{
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

inline u32 read_cr0()
{
    u32 v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
inline u32 read_cr2()
{
    u32 v;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
inline u32 read_cr3()
{
    u32 v;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
inline u32 read_cr4()
{
    u32 v;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

// XCR0 (XGETBV with ECX = 0); only valid when CR4.OSXSAVE is set.
inline u64 read_xcr0()
{
    u32 lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<u64>(hi) << 32) | lo;
}

inline u64 rdtsc()
{
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (static_cast<u64>(hi) << 32) | lo;
}

inline u32 read_eflags()
{
    u32 v;
    asm volatile("pushfl; popl %0" : "=r"(v));
    return v;
}

inline void enable_interrupts() { asm volatile("sti" ::: "memory"); }
inline void disable_interrupts() { asm volatile("cli" ::: "memory"); }

// STI takes effect after the next instruction, so "sti; hlt" cannot lose an
// interrupt that arrives between the check and the halt.
inline void enable_interrupts_and_halt() { asm volatile("sti; hlt" ::: "memory"); }

[[noreturn]] inline void halt_forever()
{
    for (;;)
        asm volatile("cli; hlt");
}

// What the entry code (entry.asm) enabled; bits of kernel_cpu_enabled.
enum CpuEnabled : u32 {
    CPU_ENABLED_SSE = 1u << 0,   // CR0.EM=0 MP=1, CR4.OSFXSR, OSXMMEXCPT
    CPU_ENABLED_XSAVE = 1u << 1, // CR4.OSXSAVE
    CPU_ENABLED_AVX = 1u << 2,   // XCR0 = x87 | SSE | AVX
};

} // namespace x86

extern "C" u32 kernel_cpu_enabled;
