// The general-code suite's kernels (tests/suite/suite.flow) at tier 0, tier 1,
// tier 2 on both ISA paths and under `auto` must return exactly what gcc -O2
// computes from tests/suite/suite.c: the same checksums, bit for bit. The
// benchmark (make bench) times them; this keeps them right in make test.
#include "../jit/jit_harness.h"

#include <microjit/tier2/tier2_compiler.h>

#include <cpuid.h>

extern "C" {
#define SUITE_KERNEL(name) int32_t suite_##name(void);
#include "suite_kernels.def"
#undef SUITE_KERNEL
}

using namespace JitTest;

namespace {

struct Kernel {
    const char* name;
    int32_t (*gcc_o2)();
};

constexpr Kernel kernels[] = {
#define SUITE_KERNEL(name) { #name, suite_##name },
#include "suite_kernels.def"
#undef SUITE_KERNEL
};

bool host_has_avx2()
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 5)))
        return false;
    __get_cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 27))) // OSXSAVE
        return false;
    unsigned lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

} // namespace

TEST(GeneralSuite, EveryTierGivesGccO2sChecksums)
{
    for (bool avx2 : { false, true }) {
        if (avx2 && !host_has_avx2())
            continue;
        System system;
        std::vector<u8> scratch(1u << 20);
        Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
        tier2.set_avx2(avx2);
        system.runtime().set_compiler(2, &tier2);
        const Module* module = system.load("bench/SUITE.BFM");
        ASSERT_NE(module, nullptr);
        Runner t0(system, *module, Mode::Interpreter);
        Runner t1(system, *module, Mode::Tier1);
        Runner t2(system, *module, Mode::Tier1);
        EXPECT_FALSE(t2.jit().compile_all(2).is_error());
        Runner automatic(system, *module, Mode::Auto);
        for (const Kernel& k : kernels) {
            std::string entry = std::string("k_") + k.name;
            u32 expected = static_cast<u32>(k.gcc_o2());
            EXPECT_EQ(t0.call(entry.c_str(), {}).bits, expected) << entry << " tier 0";
            EXPECT_EQ(t1.call(entry.c_str(), {}).bits, expected) << entry << " tier 1";
            EXPECT_EQ(t2.jit().profile(t2.function(entry.c_str())).tier, 2) << entry;
            EXPECT_EQ(t2.call(entry.c_str(), {}).bits, expected) << entry << " tier 2" << (avx2 ? " avx2" : " sse2");
            for (int i = 0; i < 40; ++i)
                ASSERT_EQ(automatic.call(entry.c_str(), {}).bits, expected) << entry << " auto, call " << i;
        }
        system.runtime().set_compiler(2, nullptr);
    }
}
