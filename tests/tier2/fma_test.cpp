// Dot products on the AVX2 path with FMA: the products are fused into the
// accumulators (VFMADD231PS, docs/flow-language.md "The float reduction
// rule"), the result stays within the reassociation bound of the strict
// sequential sum, and nothing else is fused.
#include "../jit/jit_harness.h"

#include <cmath>
#include <microjit/tier2/tier2_compiler.h>
#include <random>

using namespace JitTest;

namespace {

bool host_fma() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

// VEX3 (C4), map 0F38, opcode B8: VFMADD231PS.
u32 count_fmadd231ps(const u8* code, u32 size)
{
    u32 count = 0;
    for (u32 i = 0; i + 3 < size; ++i)
        if (code[i] == 0xC4 && (code[i + 1] & 0x1F) == 2 && code[i + 3] == 0xB8)
            ++count;
    return count;
}

struct FmaSystem {
    System system;
    std::vector<u8> scratch = std::vector<u8>(1 << 20);
    Tier2::Tier2Compiler compiler { scratch.data(), scratch.size() };
    explicit FmaSystem(bool fma)
    {
        compiler.set_avx2(true);
        compiler.set_fma(fma);
        system.runtime().set_compiler(2, &compiler);
    }
};

}

TEST(Fma, DotFusesWithinTheReductionBoundAndMapsNever)
{
    if (!host_fma())
        GTEST_SKIP() << "this CPU has no AVX2 and FMA";
    FmaSystem fused(true), plain(false);
    const Module* dot_fused = fused.system.load("modules/DOT.BFM");
    const Module* dot_plain = plain.system.load("modules/DOT.BFM");
    ASSERT_TRUE(dot_fused && dot_plain);
    Runner a(fused.system, *dot_fused, Mode::Interpreter);
    Runner b(plain.system, *dot_plain, Mode::Interpreter);
    Runner strict(plain.system, *dot_plain, Mode::Interpreter);
    u32 f = a.function("dot");
    ASSERT_FALSE(a.jit().compile(f, 2).is_error());
    ASSERT_FALSE(b.jit().compile(f, 2).is_error());
    EXPECT_GT(count_fmadd231ps(a.jit().profile(f).code, a.jit().profile(f).code_size), 0u);
    EXPECT_EQ(count_fmadd231ps(b.jit().profile(f).code, b.jit().profile(f).code_size), 0u);

    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (u32 n : { 1u, 7u, 8u, 31u, 32u, 33u, 100u, 1000u, 4096u }) {
        std::vector<float> x(n), y(n);
        double magnitude = 0;
        for (u32 i = 0; i < n; ++i) {
            x[i] = dist(rng);
            y[i] = dist(rng);
            magnitude += std::fabs(static_cast<double>(x[i]) * y[i]);
        }
        std::vector<Value> args { Value::from_view(x.data(), n), Value::from_view(y.data(), n), i32v(static_cast<i32>(n)) };
        Outcome reference = strict.call(f, args);
        Outcome got = a.call(f, args);
        float r, g;
        std::memcpy(&r, &reference.bits, 4);
        std::memcpy(&g, &got.bits, 4);
        // Each of two summation orders of n terms (each term rounded at most
        // once) lies within (n + 1) u sum|terms| of the exact sum, u = 2^-24.
        double bound = 2.0 * (n + 1) * std::ldexp(1.0, -24) * magnitude;
        EXPECT_LE(std::fabs(static_cast<double>(g) - r), bound) << "n " << n;
    }

    const Module* saxpy = fused.system.load("modules/SAXPY.BFM");
    ASSERT_NE(saxpy, nullptr);
    Runner m(fused.system, *saxpy, Mode::Interpreter);
    u32 s = m.function("saxpy");
    ASSERT_FALSE(m.jit().compile(s, 2).is_error());
    EXPECT_EQ(count_fmadd231ps(m.jit().profile(s).code, m.jit().profile(s).code_size), 0u) << "maps are evaluated as written";
}
