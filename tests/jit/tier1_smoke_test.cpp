// Tier 1 against answers known independently of tier 0: mathematics (the
// bench module's self-check `main`, Fibonacci numbers, arithmetic series) and
// the same kernels compiled by gcc (values in the comments' C reference).
#include "jit_harness.h"

using namespace JitTest;

namespace {

Outcome i32_result(i32 v) { return Outcome { Error::Ok, ValueType::I32, static_cast<u32>(v) }; }
Outcome f32_result(float v)
{
    Outcome o { Error::Ok, ValueType::F32, 0 };
    std::memcpy(&o.bits, &v, 4);
    return o;
}

}

TEST(Tier1KnownAnswers, BenchModuleSelfCheckPasses)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner t1(system, *module, Mode::Tier1);
    EXPECT_EQ(t1.call("main", {}), i32_result(0)) << "main counts wrong answers";
}

TEST(Tier1KnownAnswers, FibonacciAndSums)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner t1(system, *module, Mode::Tier1);
    i32 fib[] = { 0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55 };
    for (i32 n = 0; n <= 10; ++n) {
        EXPECT_EQ(t1.call("fib_iter", { i32v(n) }), i32_result(fib[n])) << n;
        EXPECT_EQ(t1.call("fib_rec", { i32v(n) }), i32_result(fib[n])) << n;
    }
    EXPECT_EQ(t1.call("fib_rec", { i32v(25) }), i32_result(75025));
    EXPECT_EQ(t1.call("fib_iter", { i32v(40) }), i32_result(102334155));
    EXPECT_EQ(t1.call("sum", { i32v(10000) }), i32_result(49995000));
    EXPECT_EQ(t1.call("sum", { i32v(-5) }), i32_result(0));
    EXPECT_EQ(t1.call("collatz", { i32v(27) }), i32_result(111));
    EXPECT_EQ(t1.call("gcd", { i32v(1071), i32v(462) }), i32_result(21));
    EXPECT_EQ(t1.call("primes", { i32v(1000) }), i32_result(168));
}

// Reference: the same loops in C, gcc -O2 -m32 -msse2 -mfpmath=sse (every
// product and partial sum here is exact in f32, see modules/bench.flow).
TEST(Tier1KnownAnswers, FloatKernelsMatchGcc)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner t1(system, *module, Mode::Tier1);
    EXPECT_EQ(t1.call("bench_matmul", { i32v(16) }), i32_result(16467));
    EXPECT_EQ(t1.call("bench_dot", { i32v(4096) }), f32_result(3071.625f));
    EXPECT_EQ(t1.call("bench_saxpy", { i32v(4096) }), i32_result(49126));
}
