// Tier 2 inside the JIT runtime: Tier2Compiler registered as the runtime's
// tier-2 compiler, pattern functions of modules/ compiled with the tier ABI
// (docs/jit.md), installed in the dispatch table and called through it,
// against the interpreter. Uses tier 1's test harness (tests/jit).
#include "../jit/jit_harness.h"

#include <microjit/tier2/tier2_compiler.h>

using namespace JitTest;
using Tier2::CompiledPattern;

namespace {

struct Tier2System {
    System system;
    std::vector<u8> scratch = std::vector<u8>(1 << 20);
    Tier2::Tier2Compiler compiler { scratch.data(), scratch.size() };

    Tier2System()
    {
        compiler.set_avx2(__builtin_cpu_supports("avx2"));
        system.runtime().set_compiler(2, &compiler);
    }
};

std::vector<float> pattern(u32 count, int seed)
{
    std::vector<float> v(count);
    for (u32 i = 0; i < count; ++i)
        v[i] = static_cast<float>(static_cast<int>((i * 7 + seed) % 13) - 4) * 0.25f;
    return v;
}

TEST(Tier2Runtime, RecursiveAndIterativeFibonacciRunAtTier2)
{
    Tier2System t;
    const Module* module = t.system.load("modules/FIB.BFM");
    ASSERT_NE(module, nullptr);
    Runner reference(t.system, *module, Mode::Interpreter);
    Runner tier2(t.system, *module, Mode::Interpreter);
    for (const char* name : { "fib_rec", "fib_iter" }) {
        u32 f = tier2.function(name);
        auto compiled = tier2.jit().compile(f, 2);
        ASSERT_FALSE(compiled.is_error()) << name << ": " << error_name(compiled.error());
        EXPECT_EQ(t.compiler.last_pattern(), std::string(name) == "fib_rec" ? CompiledPattern::Fibonacci : CompiledPattern::Recurrence);
        EXPECT_EQ(tier2.jit().profile(f).tier, 2);
        for (i32 n : { -3, 0, 1, 2, 10, 20, 24 })
            EXPECT_EQ(tier2.call(f, { i32v(n) }), reference.call(f, { i32v(n) })) << name << "(" << n << ")";
    }
    // Past the call-depth limit the recursion traps; so does its loop.
    u32 rec = tier2.function("fib_rec");
    Outcome deep = tier2.call(rec, { i32v(600) });
    EXPECT_EQ(deep.error, Error::TrapCallDepth);
    EXPECT_EQ(deep, reference.call(rec, { i32v(600) }));
    EXPECT_EQ(tier2.call(rec, { i32v(46) }).bits, 1836311903u); // and works again afterwards
}

TEST(Tier2Runtime, ReductionsMapsAndMatmulRunAtTier2)
{
    Tier2System t;
    struct Case {
        const char* module;
        const char* function;
        CompiledPattern pattern;
    } cases[] = {
        { "modules/SUM.BFM", "sum", CompiledPattern::Recurrence },
        { "modules/SUM.BFM", "sum_i32", CompiledPattern::Reduction },
        { "modules/SUM.BFM", "sum_f32", CompiledPattern::Reduction },
        { "modules/DOT.BFM", "dot", CompiledPattern::Reduction },
        { "modules/SAXPY.BFM", "saxpy", CompiledPattern::Map },
        { "modules/RELU.BFM", "relu", CompiledPattern::Map },
        { "modules/SCALE.BFM", "scale", CompiledPattern::Map },
        { "modules/MATMUL.BFM", "matmul", CompiledPattern::Matmul },
    };
    for (const Case& c : cases) {
        const Module* module = t.system.load(c.module);
        ASSERT_NE(module, nullptr);
        Runner reference(t.system, *module, Mode::Interpreter);
        Runner tier2(t.system, *module, Mode::Interpreter);
        u32 f = tier2.function(c.function);
        auto compiled = tier2.jit().compile(f, 2);
        ASSERT_FALSE(compiled.is_error()) << c.function << ": " << error_name(compiled.error());
        EXPECT_EQ(t.compiler.last_pattern(), c.pattern) << c.function;
        const FunctionInfo& info = module->functions[f];
        // Arguments: views over 64 quarters (exact sums in any order),
        // scalars 1.5 and n = 8 (64 for sums over a whole view).
        for (i32 n : { 0, 5, 8, 64, 65 }) {
            // Compared as words: i32 views hold small integers, f32 views
            // quarters.
            std::vector<std::vector<u32>> arrays1, arrays2;
            std::vector<Value> args1, args2;
            arrays1.reserve(4);
            arrays2.reserve(4);
            for (u32 p = 0; p < info.param_count; ++p) {
                ValueType type = info.register_types[p];
                if (is_view_type(type)) {
                    std::vector<float> values = pattern(64, static_cast<int>(p));
                    std::vector<u32> words(64);
                    for (u32 k = 0; k < 64; ++k) {
                        if (type == ValueType::ViewI32) {
                            words[k] = static_cast<u32>(static_cast<i32>(values[k] * 4));
                        } else {
                            std::memcpy(&words[k], &values[k], 4);
                        }
                    }
                    arrays1.push_back(words);
                    arrays2.push_back(words);
                    args1.push_back(Value::from_view(arrays1.back().data(), 64));
                    args2.push_back(Value::from_view(arrays2.back().data(), 64));
                } else if (type == ValueType::F32) {
                    args1.push_back(f32v(1.5f));
                    args2.push_back(f32v(1.5f));
                } else {
                    i32 v = std::string(c.function) == "matmul" ? (n > 8 ? 9 : n) : n; // 9*9 > 64: traps
                    args1.push_back(i32v(v));
                    args2.push_back(i32v(v));
                }
            }
            Outcome expected = reference.call(f, args1);
            Outcome got = tier2.call(f, args2);
            EXPECT_EQ(got, expected) << c.function << " n " << n;
            EXPECT_EQ(arrays2, arrays1) << c.function << " n " << n << ": memory";
        }
    }
}

// Functions no pattern matches (collatz, primes with its call, gcd) now get
// the general code generator's tier-2 code: installed at tier 2, reported
// as pattern None, and equal to tier 0 on every argument, traps included.
TEST(Tier2Runtime, FunctionsWithoutAPatternGetGeneralTier2Code)
{
    Tier2System t;
    struct Case {
        const char* module;
        const char* function;
        std::vector<std::vector<i32>> args;
    } cases[] = {
        { "modules/COLLATZ.BFM", "collatz", { { 27 }, { 1 }, { 0 }, { -5 }, { 97 }, { 871 } } },
        { "modules/COLLATZ.BFM", "collatz_max", { { 1 }, { 10 }, { 100 }, { 1000 } } },
        { "modules/PRIMES.BFM", "is_prime", { { 0 }, { 1 }, { 2 }, { 9 }, { 97 }, { 7919 }, { -7 } } },
        { "modules/PRIMES.BFM", "primes", { { 0 }, { 3 }, { 100 }, { 2000 } } },
        { "modules/GCD.BFM", "gcd", { { 48, 18 }, { 0, 5 }, { 5, 0 }, { -36, 24 }, { 17, 5 } } },
    };
    for (const Case& c : cases) {
        const Module* module = t.system.load(c.module);
        ASSERT_NE(module, nullptr);
        Runner reference(t.system, *module, Mode::Interpreter);
        Runner tier2(t.system, *module, Mode::Interpreter);
        u32 f = tier2.function(c.function);
        auto compiled = tier2.jit().compile(f, 2);
        ASSERT_FALSE(compiled.is_error()) << c.function << ": " << error_name(compiled.error());
        EXPECT_EQ(t.compiler.last_pattern(), CompiledPattern::None) << c.function;
        EXPECT_EQ(tier2.jit().profile(f).tier, 2) << c.function;
        for (const auto& a : c.args) {
            std::vector<Value> args;
            for (i32 v : a)
                args.push_back(i32v(v));
            EXPECT_EQ(tier2.call(f, args), reference.call(f, args)) << c.function << "(" << a[0] << ")";
        }
    }
}

// Traps in general tier-2 code, also inside a recursive callee (gcd_rec's
// INT_MIN % -1 one call down), reach the host as tier 0's trap, at the same
// function and bytecode offset.
TEST(Tier2Runtime, GeneralCodeTrapsLikeTier0)
{
    Tier2System t;
    const Module* module = t.system.load("modules/GCD.BFM");
    ASSERT_NE(module, nullptr);
    Runner reference(t.system, *module, Mode::Interpreter);
    Runner tier2(t.system, *module, Mode::Interpreter);
    ASSERT_FALSE(tier2.jit().compile_all(1).is_error());
    for (u32 f = 0; f < module->function_count; ++f)
        ASSERT_FALSE(tier2.jit().compile(f, 2).is_error()) << module->functions[f].name;
    for (u32 f = 0; f < module->function_count; ++f) {
        std::vector<Value> args;
        for (u32 p = 0; p < module->functions[f].param_count; ++p)
            args.push_back(i32v(p == 0 ? -2147483647 - 1 : -1));
        Outcome expected = reference.call(f, args);
        EXPECT_EQ(tier2.call(f, args), expected) << module->functions[f].name;
        if (expected.error != Error::Ok && expected.error != Error::TrapCallDepth) {
            EXPECT_EQ(tier2.instance().trap.function, reference.instance().trap.function);
            EXPECT_EQ(tier2.instance().trap.offset, reference.instance().trap.offset);
        }
    }
}

}
