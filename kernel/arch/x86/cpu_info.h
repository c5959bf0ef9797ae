// The boot CPU as CPUID describes it: vendor, family/model/stepping, brand
// string and the feature flags BareFlow cares about (the `cpu` command, and
// the SSE2 check already done in entry.asm).
#pragma once

#include <bareflow/types.h>

struct CpuInfo {
    char vendor[13];     // "GenuineIntel", "AuthenticAMD", ...
    char brand[49];      // CPUID 80000002h..80000004h, "" if absent
    u32 family;          // display family (base + extended)
    u32 model;           // display model (base + extended)
    u32 stepping;
    u32 max_basic_leaf;
    bool has_tsc;
    bool has_sse, has_sse2, has_sse3, has_ssse3, has_sse41, has_sse42;
    bool has_avx, has_avx2, has_fma, has_xsave, has_osxsave;
    bool has_popcnt, has_bmi1, has_bmi2;
};

// Reads CPUID once (cached).
const CpuInfo& cpu_info();
