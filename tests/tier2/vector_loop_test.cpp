// The general code generator's loop vectoriser (codegen_general_vector.cpp)
// on tests/tier2/vector_loops.flow: every trip count from 0 to past a few
// vectors, row counts 0 to 3, at tier 0, tier 1 and tier 2 on the SSE2 path
// and the AVX2 path with and without FMA, must give the same bits (the data
// make every grouping exact). The functions named v_* must get vector code,
// the x_* ones must not: a long-form sum `s = s + e` is not an accumulation
// the float reduction rule lets anyone regroup, and a loop that both sums
// and stores is neither kind. c_overlap runs maps whose store overlaps their
// load within a vector's reach: the run-time check must send those to the
// scalar loop (without it, this test fails).
#include <cpuid.h>
#include <gtest/gtest.h>
#include <microjit/tier2/tier2_compiler.h>
#include <tests/jit/jit_harness.h>

#include <cstring>
#include <string>
#include <vector>

using namespace JitTest;

namespace {

bool host_has_avx2_fma()
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 5)))
        return false;
    __get_cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 27)) || !(c & (1u << 12))) // OSXSAVE, FMA
        return false;
    unsigned lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

struct Path {
    const char* name;
    bool avx2;
    bool fma;
};

const i32 trip_counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 47, 48, 49, 63, 64, 65, 100, 127, 128, 129, 255, 256, 288, 300 };

} // namespace

TEST(VectorLoops, EveryTierAndPathGivesTheSameBits)
{
    std::vector<Path> paths { { "sse2", false, false } };
    if (host_has_avx2_fma()) {
        paths.push_back({ "avx2", true, false });
        paths.push_back({ "avx2+fma", true, true });
    }
    for (const Path& path : paths) {
        System system;
        std::vector<u8> scratch(1u << 20);
        Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
        tier2.set_avx2(path.avx2);
        tier2.set_fma(path.fma);
        system.runtime().set_compiler(2, &tier2);
        const Module* module = system.load("tests/VECLOOPS.BFM");
        ASSERT_NE(module, nullptr);
        Runner t0(system, *module, Mode::Interpreter);
        Runner t1(system, *module, Mode::Tier1);
        Runner t2(system, *module, Mode::Tier1);
        u32 vectorised_functions = 0;
        for (u32 f = 0; f < module->function_count; ++f) {
            const char* name = module->functions[f].name;
            ASSERT_FALSE(t2.jit().compile(f, 2).is_error()) << name;
            bool expect_vector = !std::strncmp(name, "v_", 2) || !std::strcmp(name, "dot_rows");
            bool expect_none = !std::strncmp(name, "x_", 2);
            if (expect_vector) {
                EXPECT_GE(tier2.last_vectorised_loops(), 1u) << name << " on " << path.name << ": no vector code";
            }
            if (expect_none) {
                EXPECT_EQ(tier2.last_vectorised_loops(), 0u) << name << " on " << path.name << ": must not be regrouped";
            }
            vectorised_functions += tier2.last_vectorised_loops() != 0;
        }
        EXPECT_GE(vectorised_functions, 6u);
        for (u32 f = 0; f < module->function_count; ++f) {
            const char* name = module->functions[f].name;
            if (std::strncmp(name, "v_", 2) && std::strncmp(name, "x_", 2) && std::strncmp(name, "c_", 2))
                continue;
            for (i32 rows = 0; rows <= 3; ++rows)
                for (i32 n : trip_counts) {
                    std::vector<Value> args { Value::from_i32(rows), Value::from_i32(n) };
                    Outcome expected = t0.call(name, args);
                    EXPECT_EQ(t1.call(name, args), expected) << name << "(" << rows << ", " << n << ") tier 1";
                    EXPECT_EQ(t2.call(name, args), expected) << name << "(" << rows << ", " << n << ") tier 2 " << path.name;
                }
        }
        system.runtime().set_compiler(2, nullptr);
    }
}
