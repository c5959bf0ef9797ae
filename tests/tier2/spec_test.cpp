// Value specialisation inside the JIT runtime (docs/specialisation.md):
// argument profiles recorded by tier-1 and tier-2 code, specialised code
// behind its entry guard for every pattern, guard failures falling back to
// the generic code, re-specialisation and back-off. Results are always
// compared with the interpreter's.
#include "../jit/jit_harness.h"

#include <microjit/jit/stats_format.h>
#include <microjit/tier2/tier2_compiler.h>
#include <microjit/x86/length_decoder.h>

using namespace JitTest;
using Tier2::CompiledPattern;

namespace {

struct SpecSystem {
    System system;
    std::vector<u8> scratch = std::vector<u8>(1 << 20);
    Tier2::Tier2Compiler compiler { scratch.data(), scratch.size() };

    explicit SpecSystem(bool avx2 = false)
    {
        compiler.set_avx2(avx2);
        compiler.set_fma(avx2 && __builtin_cpu_supports("fma"));
        system.runtime().set_compiler(2, &compiler);
        // Small thresholds: tier 1 after 5 calls, tier 2 after 10, the
        // first specialisation decision at 100, then every 100 calls.
        TierPolicy& p = system.runtime().policy();
        p.tier1_calls = 5;
        p.tier1_loop_iterations = 1u << 30;
        p.tier2_calls = 10;
        p.respecialise_calls = 100;
        p.max_attempts = 3;
    }
};

bool host_avx2() { return __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2"); }

std::vector<bool> isas()
{
    if (host_avx2())
        return { false, true };
    return { false };
}

}

TEST(Specialisation, Tier1AndTier2RecordArgumentProfiles)
{
    SpecSystem t;
    const Module* module = t.system.load("modules/FIB.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(t.system, *module, Mode::Interpreter);
    u32 f = run.function("fib_iter");
    ASSERT_FALSE(run.jit().compile(f, 1).is_error());
    for (int i = 0; i < 50; ++i)
        run.call(f, { i32v(30) });
    for (int i = 0; i < 3; ++i)
        run.call(f, { i32v(7) });
    const ArgumentProfile& a = run.jit().native_state(f).arguments[0];
    EXPECT_EQ(a.value, 30);
    EXPECT_EQ(a.hits, 50u);
    EXPECT_EQ(a.misses, 3u);
    // A value that takes over the majority becomes the candidate.
    for (int i = 0; i < 60; ++i)
        run.call(f, { i32v(12) });
    EXPECT_EQ(run.jit().native_state(f).arguments[0].value, 12);

    ASSERT_FALSE(run.jit().compile(f, 2).is_error());
    reset_argument_profile(const_cast<NativeFunctionState&>(run.jit().native_state(f)));
    for (int i = 0; i < 20; ++i)
        run.call(f, { i32v(33) });
    EXPECT_EQ(run.jit().native_state(f).arguments[0].value, 33);
    EXPECT_EQ(run.jit().native_state(f).arguments[0].hits, 20u); // the first call replaced the candidate and counts
}

TEST(Specialisation, StableProfileSpecialisesAtTheThreshold)
{
    SpecSystem t;
    const Module* module = t.system.load("modules/FIB.BFM");
    ASSERT_NE(module, nullptr);
    Runner reference(t.system, *module, Mode::Interpreter);
    Runner run(t.system, *module, Mode::Auto);
    u32 f = run.function("fib_iter");
    for (int i = 0; i < 99; ++i)
        ASSERT_EQ(run.call(f, { i32v(40) }), reference.call(f, { i32v(40) }));
    EXPECT_EQ(run.jit().profile(f).tier, 2);
    EXPECT_FALSE(run.jit().profile(f).specialised);
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(run.call(f, { i32v(40) }), reference.call(f, { i32v(40) }));
    const JitFunctionProfile& p = run.jit().profile(f);
    ASSERT_TRUE(p.specialised);
    EXPECT_EQ(p.spec.mask, 1u);
    EXPECT_EQ(p.spec.values[0], 40);
    EXPECT_EQ(t.compiler.last_pattern(), CompiledPattern::Recurrence);
    EXPECT_NE(p.generic_code, nullptr);
    EXPECT_EQ(run.jit().native_state(f).generic_code, p.generic_code);
    // Other values pass through the guard to the generic code, with the
    // same results, and are counted.
    for (i32 n : { -5, 0, 1, 2, 39, 41, 47, 1000 })
        EXPECT_EQ(run.call(f, { i32v(n) }), reference.call(f, { i32v(n) })) << n;
    EXPECT_EQ(run.jit().native_state(f).guard_failures, 8u);
    EXPECT_EQ(run.call(f, { i32v(40) }).bits, 102334155u);
}

TEST(Specialisation, UnstableProfileBacksOffAndGivesUp)
{
    SpecSystem t;
    const Module* module = t.system.load("modules/FIB.BFM");
    ASSERT_NE(module, nullptr);
    Runner reference(t.system, *module, Mode::Interpreter);
    Runner run(t.system, *module, Mode::Auto);
    u32 f = run.function("fib_iter");
    // Four values in turn: none reaches 95% of a window.
    u32 calls = 0;
    auto spin = [&](u32 n) {
        for (u32 i = 0; i < n; ++i, ++calls) {
            i32 v = static_cast<i32>(calls % 4) + 10;
            ASSERT_EQ(run.call(f, { i32v(v) }), reference.call(f, { i32v(v) }));
        }
    };
    spin(110);
    const JitFunctionProfile& p = run.jit().profile(f);
    EXPECT_EQ(p.tier, 2);
    EXPECT_FALSE(p.specialised);
    EXPECT_EQ(p.spec_backoffs, 1u);
    // The next decision waits twice the window (100 << 1), then 400: the
    // third back-off reaches max_attempts (3) and ends specialisation.
    spin(200);
    EXPECT_EQ(p.spec_backoffs, 2u);
    EXPECT_FALSE(p.spec_given_up);
    spin(400);
    EXPECT_EQ(p.spec_backoffs, 3u);
    EXPECT_TRUE(p.spec_given_up);
    EXPECT_EQ(run.jit().native_state(f).next_threshold, 0xFFFFFFFFu);
    EXPECT_EQ(p.specialisations, 0u);
}

TEST(Specialisation, FailingGuardRespecialisesOnTheNewValue)
{
    SpecSystem t;
    const Module* module = t.system.load("modules/FIB.BFM");
    ASSERT_NE(module, nullptr);
    Runner reference(t.system, *module, Mode::Interpreter);
    Runner run(t.system, *module, Mode::Auto);
    u32 f = run.function("fib_iter");
    for (int i = 0; i < 110; ++i)
        run.call(f, { i32v(20) });
    const JitFunctionProfile& p = run.jit().profile(f);
    ASSERT_TRUE(p.specialised);
    EXPECT_EQ(p.spec.values[0], 20);
    // The workload moves to n = 25: every call fails the guard until the
    // window ends, then the function is specialised on 25.
    for (int i = 0; i < 120; ++i) {
        ASSERT_EQ(run.call(f, { i32v(25) }), reference.call(f, { i32v(25) }));
    }
    EXPECT_TRUE(p.specialised);
    EXPECT_EQ(p.spec.values[0], 25);
    EXPECT_EQ(p.respecialisations, 1u);
    EXPECT_EQ(p.specialisations, 2u);
    EXPECT_GE(p.guard_failures, 80u);
    EXPECT_EQ(run.call(f, { i32v(25) }).bits, 75025u);
}

TEST(Specialisation, MixedFailuresDropTheSpecialisation)
{
    SpecSystem t;
    const Module* module = t.system.load("modules/FIB.BFM");
    ASSERT_NE(module, nullptr);
    Runner reference(t.system, *module, Mode::Interpreter);
    Runner run(t.system, *module, Mode::Auto);
    u32 f = run.function("fib_iter");
    for (int i = 0; i < 110; ++i)
        run.call(f, { i32v(20) });
    const JitFunctionProfile& p = run.jit().profile(f);
    ASSERT_TRUE(p.specialised);
    // Then a third of the calls use other values, all different: more than
    // 10% fail, but no new value is stable: back to the generic code.
    for (int i = 0; i < 120; ++i) {
        i32 v = i % 3 == 0 ? 21 + i : 20;
        ASSERT_EQ(run.call(f, { i32v(v) }), reference.call(f, { i32v(v) })) << v;
    }
    EXPECT_FALSE(p.specialised);
    EXPECT_EQ(p.spec_backoffs, 1u);
    EXPECT_EQ(p.generic_code, nullptr);
    EXPECT_EQ(run.instance().dispatch[f], static_cast<u32>(reinterpret_cast<uptr>(p.code)));
    EXPECT_EQ(run.call(f, { i32v(20) }), reference.call(f, { i32v(20) }));
}

// Every pattern compiles specialised, on either ISA, and gives the
// interpreter's results for the folded value and (through the guard) others.
TEST(Specialisation, EveryPatternSpecialisesAndKeepsItsResults)
{
    struct Case {
        const char* module;
        const char* function;
        CompiledPattern pattern;
    } cases[] = {
        { "modules/FIB.BFM", "fib_iter", CompiledPattern::Recurrence },
        { "modules/FIB.BFM", "fib_rec", CompiledPattern::Fibonacci },
        { "modules/SUM.BFM", "sum", CompiledPattern::Recurrence },
        { "modules/SCALE.BFM", "scale", CompiledPattern::Map },
        { "modules/DOT.BFM", "dot", CompiledPattern::Reduction },
        { "modules/SAXPY.BFM", "saxpy", CompiledPattern::Map },
        { "modules/RELU.BFM", "relu", CompiledPattern::Map },
        { "modules/MATMUL.BFM", "matmul", CompiledPattern::Matmul },
    };
    for (bool avx2 : isas()) {
        SpecSystem t(avx2);
        for (const Case& c : cases) {
            const Module* module = t.system.load(c.module);
            ASSERT_NE(module, nullptr);
            Runner reference(t.system, *module, Mode::Interpreter);
            Runner run(t.system, *module, Mode::Interpreter);
            u32 f = run.function(c.function);
            const FunctionInfo& info = module->functions[f];
            bool matmul = std::string(c.function) == "matmul";
            i32 folded = matmul ? 8 : 24;
            auto make_args = [&](i32 n, std::vector<std::vector<u32>>& arrays) {
                std::vector<Value> args;
                arrays.clear();
                arrays.reserve(4);
                for (u32 p = 0; p < info.param_count; ++p) {
                    ValueType type = info.register_types[p];
                    if (is_view_type(type)) {
                        std::vector<u32> words(64);
                        for (u32 k = 0; k < 64; ++k) {
                            float v = static_cast<float>(static_cast<int>((k * 5 + p) % 11) - 3) * 0.5f;
                            if (type == ValueType::ViewI32)
                                words[k] = static_cast<u32>(static_cast<i32>(v * 2));
                            else
                                std::memcpy(&words[k], &v, 4);
                        }
                        arrays.push_back(words);
                        args.push_back(Value::from_view(arrays.back().data(), 64));
                    } else if (type == ValueType::F32) {
                        args.push_back(f32v(0.5f));
                    } else {
                        args.push_back(i32v(n));
                    }
                }
                return args;
            };
            std::vector<std::vector<u32>> arrays;
            std::vector<Value> spec_args = make_args(folded, arrays);
            auto specialised = run.jit().specialise(f, spec_args.data(), static_cast<u32>(spec_args.size()));
            ASSERT_FALSE(specialised.is_error()) << c.function << ": " << error_name(specialised.error());
            EXPECT_EQ(t.compiler.last_pattern(), c.pattern) << c.function;
            EXPECT_TRUE(run.jit().profile(f).specialised) << c.function;
            // The code decodes completely (maps end in constant data: up to there).
            if (c.pattern != CompiledPattern::Map) {
                usize bad = 0;
                EXPECT_FALSE(x86::validate_code(run.jit().profile(f).code, run.jit().profile(f).code_size, &bad).is_error())
                    << c.function << " at +" << bad;
            }
            u32 failures = 0;
            bool recursive = std::string(c.function) == "fib_rec"; // the interpreter takes 1.6^n calls
            for (i32 n : { folded, 0, 5, folded, 9, 64, 65, folded }) {
                if (recursive && n > folded)
                    n = folded - 2;
                std::vector<std::vector<u32>> a1, a2;
                std::vector<Value> args1 = make_args(n, a1), args2 = make_args(n, a2);
                EXPECT_EQ(run.call(f, args2), reference.call(f, args1)) << c.function << "(" << n << ") avx2 " << avx2;
                EXPECT_EQ(a2, a1) << c.function << "(" << n << "): memory";
                failures += n != folded;
            }
            EXPECT_EQ(run.jit().native_state(f).guard_failures, failures) << c.function;
        }
    }
}

// A function with no i32 parameter has nothing to fold: it keeps its code.
TEST(Specialisation, NothingToFoldIsUnsupported)
{
    SpecSystem t;
    const Module* module = t.system.load("modules/SUM.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(t.system, *module, Mode::Interpreter);
    u32 f = run.function("sum_i32");
    std::vector<u32> words(8, 1);
    Value args[1] = { Value::from_view(words.data(), 8) };
    auto specialised = run.jit().specialise(f, args, 1);
    ASSERT_TRUE(specialised.is_error());
    EXPECT_EQ(specialised.error(), Error::JitUnsupported);
    EXPECT_FALSE(run.jit().profile(f).specialised);
    EXPECT_EQ(run.jit().profile(f).tier, 0); // nothing was compiled for it
    EXPECT_EQ(run.call(f, { args[0] }).bits, 8u);
}

// Specialised recursion keeps the interpreter's call-depth trap: fib_rec(n)
// reaches depth n - 1 below its caller.
TEST(Specialisation, SpecialisedFibonacciTrapsLikeTheRecursion)
{
    SpecSystem t;
    const Module* module = t.system.load("modules/FIB.BFM");
    ASSERT_NE(module, nullptr);
    Runner reference(t.system, *module, Mode::Interpreter);
    u32 f = reference.function("fib_rec");
    u32 iterative = reference.function("fib_iter");
    for (i32 n : { 1, 2, 100, 128, 129, 512, 513, 600 }) {
        Runner run(t.system, *module, Mode::Interpreter);
        std::vector<Value> args { i32v(n) };
        ASSERT_FALSE(run.jit().specialise(f, args.data(), 1).is_error()) << n;
        // Interpreting fib_rec(100) would take 1.6^100 calls: below the
        // depth limit the value is fib_iter's, and past it (n - 1 + the
        // caller's depth 1 > 512) both trap at once.
        Outcome expected = n <= 512 ? reference.call(iterative, args) : reference.call(f, args);
        EXPECT_EQ(run.call(f, args), expected) << n;
    }
}

TEST(Specialisation, DecisionsFollowThePolicy)
{
    TierPolicy policy;
    FunctionInfo fn {};
    ValueType types[3] = { ValueType::I32, ValueType::F32, ValueType::I32 };
    fn.register_types = types;
    fn.param_count = 3;
    fn.reg_count = 3;
    NativeFunctionState state {};
    state.arguments[0] = { 64, 99, 1 };  // 99%: stable
    state.arguments[1] = { 7, 100, 0 };  // an f32 parameter: never folded
    state.arguments[2] = { 3, 94, 6 };   // 94%: below 95
    Specialisation s = stable_values(fn, state, policy, 100);
    EXPECT_EQ(s.mask, 1u);
    EXPECT_EQ(s.values[0], 64);
    EXPECT_TRUE(stable_values(fn, state, policy, 101).empty()); // too few samples
    EXPECT_FALSE(guard_fails_too_often(10, 100, policy));
    EXPECT_TRUE(guard_fails_too_often(11, 100, policy));
    char text[64];
    format_specialisation(s, text, sizeof(text));
    EXPECT_STREQ(text, "arg0=64");
    Value args[3] = { i32v(-4), f32v(1.0f), i32v(9) };
    Specialisation all = specialisation_for(fn, args, 3);
    format_specialisation(all, text, sizeof(text));
    EXPECT_STREQ(text, "arg0=-4,arg2=9");
}

// A dot product specialised on a length that is a whole number of 4-vector
// trips has no remainder code: smaller than the generic code, same results
// (the data are quarters: every sum is exact, in any order).
TEST(Specialisation, WholeTripDotHasNoRemainderCode)
{
    for (bool avx2 : isas()) {
        SpecSystem t(avx2);
        const Module* module = t.system.load("modules/DOT.BFM");
        ASSERT_NE(module, nullptr);
        Runner reference(t.system, *module, Mode::Interpreter);
        Runner run(t.system, *module, Mode::Interpreter);
        u32 f = run.function("dot");
        std::vector<float> x(128), y(128);
        for (u32 i = 0; i < 128; ++i) {
            x[i] = static_cast<float>(static_cast<int>(i % 9) - 4) * 0.25f;
            y[i] = static_cast<float>(static_cast<int>(i % 5) - 2) * 0.5f;
        }
        auto args = [&](i32 n) {
            return std::vector<Value> { Value::from_view(x.data(), 128), Value::from_view(y.data(), 128), i32v(n) };
        };
        ASSERT_FALSE(run.jit().compile(f, 2).is_error());
        u32 generic_size = run.jit().profile(f).code_size;
        std::vector<Value> folded = args(64);
        ASSERT_FALSE(run.jit().specialise(f, folded.data(), 3).is_error());
        EXPECT_LT(run.jit().profile(f).code_size, generic_size) << "avx2 " << avx2;
        for (i32 n : { 64, 0, 1, 63, 65, 128, 129, 64 })
            EXPECT_EQ(run.call(f, args(n)), reference.call(f, args(n))) << n << " avx2 " << avx2;
    }
}

// Matmul specialised on n (a multiple of 4) runs its k loop four steps a
// trip with b's rows at constant offsets: the same products and sums in the
// same order, so the results are bit-identical to the interpreter's.
TEST(Specialisation, MatmulOnAConstantNUnrollsItsInnerLoop)
{
    for (bool avx2 : isas()) {
        SpecSystem t(avx2);
        const Module* module = t.system.load("modules/MATMUL.BFM");
        ASSERT_NE(module, nullptr);
        Runner reference(t.system, *module, Mode::Interpreter);
        Runner run(t.system, *module, Mode::Interpreter);
        u32 f = run.function("matmul");
        auto fill = [](std::vector<float>& v, int seed) {
            for (u32 i = 0; i < v.size(); ++i)
                v[i] = static_cast<float>(static_cast<int>((i * 7 + seed) % 13) - 6) * 0.125f + 0.1f * static_cast<float>(i % 3);
        };
        auto call = [&](Runner& r, i32 n) {
            std::vector<float> a(400), b(400), c(400, 0.0f);
            fill(a, 1);
            fill(b, 2);
            Outcome o = r.call(f, { Value::from_view(a.data(), 400), Value::from_view(b.data(), 400), Value::from_view(c.data(), 400), i32v(n) });
            return std::make_pair(o, c);
        };
        ASSERT_FALSE(run.jit().compile(f, 2).is_error());
        u32 generic_size = run.jit().profile(f).code_size;
        std::vector<float> a(400), b(400), c(400);
        Value spec_args[4] = { Value::from_view(a.data(), 400), Value::from_view(b.data(), 400), Value::from_view(c.data(), 400), i32v(16) };
        ASSERT_FALSE(run.jit().specialise(f, spec_args, 4).is_error());
        EXPECT_GT(run.jit().profile(f).code_size, generic_size) << "the unrolled k loop";
        for (i32 n : { 16, 4, 15, 20, 21, 16 }) {
            auto expected = call(reference, n);
            auto got = call(run, n);
            EXPECT_EQ(got.first, expected.first) << n;
            EXPECT_EQ(0, std::memcmp(got.second.data(), expected.second.data(), 400 * sizeof(float))) << "n " << n << " avx2 " << avx2;
        }
    }
}
