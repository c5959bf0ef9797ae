// CPUID decoding for the boot CPU (Intel SDM Vol. 2A, CPUID, Tables 3-8
// and 3-10; leaf 7 for AVX2/BMI).
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/cpu_info.h>

static CpuInfo s_info;
static bool s_ready;

static void copy_register(char* out, u32 value)
{
    for (int i = 0; i < 4; ++i)
        out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

static void read_cpu_info(CpuInfo& info)
{
    auto leaf0 = x86::cpuid(0);
    info.max_basic_leaf = leaf0.eax;
    copy_register(info.vendor + 0, leaf0.ebx);
    copy_register(info.vendor + 4, leaf0.edx);
    copy_register(info.vendor + 8, leaf0.ecx);
    info.vendor[12] = 0;

    auto leaf1 = x86::cpuid(1);
    u32 base_family = (leaf1.eax >> 8) & 0xf;
    u32 base_model = (leaf1.eax >> 4) & 0xf;
    info.stepping = leaf1.eax & 0xf;
    // SDM: the extended family only counts for family 0Fh; the extended
    // model for families 06h and 0Fh.
    info.family = base_family == 0xf ? base_family + ((leaf1.eax >> 20) & 0xff) : base_family;
    info.model = (base_family == 0x6 || base_family == 0xf) ? base_model + (((leaf1.eax >> 16) & 0xf) << 4) : base_model;

    info.has_tsc = leaf1.edx & (1u << 4);
    info.has_sse = leaf1.edx & (1u << 25);
    info.has_sse2 = leaf1.edx & (1u << 26);
    info.has_sse3 = leaf1.ecx & (1u << 0);
    info.has_ssse3 = leaf1.ecx & (1u << 9);
    info.has_fma = leaf1.ecx & (1u << 12);
    info.has_sse41 = leaf1.ecx & (1u << 19);
    info.has_sse42 = leaf1.ecx & (1u << 20);
    info.has_popcnt = leaf1.ecx & (1u << 23);
    info.has_xsave = leaf1.ecx & (1u << 26);
    info.has_osxsave = leaf1.ecx & (1u << 27);
    info.has_avx = leaf1.ecx & (1u << 28);

    if (info.max_basic_leaf >= 7) {
        auto leaf7 = x86::cpuid(7, 0);
        info.has_bmi1 = leaf7.ebx & (1u << 3);
        info.has_avx2 = leaf7.ebx & (1u << 5);
        info.has_bmi2 = leaf7.ebx & (1u << 8);
    }

    info.brand[0] = 0;
    if (x86::cpuid(0x80000000).eax >= 0x80000004) {
        for (u32 i = 0; i < 3; ++i) {
            auto r = x86::cpuid(0x80000002 + i);
            copy_register(info.brand + 16 * i + 0, r.eax);
            copy_register(info.brand + 16 * i + 4, r.ebx);
            copy_register(info.brand + 16 * i + 8, r.ecx);
            copy_register(info.brand + 16 * i + 12, r.edx);
        }
        info.brand[48] = 0;
    }
}

const CpuInfo& cpu_info()
{
    if (!s_ready) {
        read_cpu_info(s_info);
        s_ready = true;
    }
    return s_info;
}
