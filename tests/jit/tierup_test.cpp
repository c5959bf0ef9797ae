// Tier-up from the counters, the dispatch swap and its free rule, back-off.
#include "jit_harness.h"

#include <microjit/jit/stats_format.h>
#include <microjit/tier2/tier2_compiler.h>

using namespace JitTest;

namespace {

// Stands in for tier 2: recompiles with tier 1 into a fresh block, and
// records what the runtime looked like at each compile.
class RecompilingTier final : public TierCompiler {
public:
    explicit RecompilingTier(JitRuntime& runtime) : m_runtime(runtime) { }

    ErrorOr<CodeBlock> compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason reason) override
    {
        Snapshot s;
        s.reason = reason;
        s.native_depth = m_runtime.retirement().native_depth();
        s.pending = m_runtime.retirement().pending();
        s.installed = env.jit->profile(function).code;
        s.installed_size = env.jit->profile(function).code_size;
        if (s.installed)
            std::memcpy(s.first_bytes, s.installed, sizeof(s.first_bytes));
        s.calls = static_cast<u32>(env.jit->calls(function));
        // Every block retired so far must still hold its code while frames may run in it.
        for (auto& earlier : snapshots)
            s.earlier_blocks_intact = s.earlier_blocks_intact && std::memcmp(earlier.installed, earlier.first_bytes, sizeof(earlier.first_bytes)) == 0;
        snapshots.push_back(s);
        return m_runtime.tier1().compile(env, function, pool, reason);
    }
    u8 tier() const override { return 2; }

    struct Snapshot {
        CompileReason reason;
        u32 native_depth;
        u32 pending;
        const u8* installed;
        u32 installed_size;
        u8 first_bytes[16];
        u32 calls;
        bool earlier_blocks_intact { true };
    };
    std::vector<Snapshot> snapshots;

private:
    JitRuntime& m_runtime;
};

bool all_int3(const u8* p, u32 n)
{
    for (u32 i = 0; i < n; ++i)
        if (p[i] != 0xCC)
            return false;
    return true;
}

} // namespace

TEST(TierUp, HostCallsTierUpAtTheCallThreshold)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    u32 f = run.function("gcd");
    for (int i = 1; i < 100; ++i) {
        ASSERT_EQ(run.call(f, { i32v(12), i32v(18) }).bits, 6u);
        ASSERT_EQ(run.jit().profile(f).tier, 0) << "call " << i;
    }
    // The 100th call reaches the threshold: compiled then, native from the next call.
    EXPECT_EQ(run.call(f, { i32v(12), i32v(18) }).bits, 6u);
    EXPECT_EQ(run.jit().profile(f).tier, 1);
    EXPECT_EQ(run.jit().profile(f).tier_ups, 1u);
    EXPECT_EQ(run.jit().profile(f).tier_up_at_calls[1], 100u);
    EXPECT_NE(run.instance().dispatch[f], 0u);
    EXPECT_EQ(run.call(f, { i32v(1071), i32v(462) }).bits, 21u);
    EXPECT_EQ(run.jit().calls(f), 101u);
    EXPECT_GT(run.jit().profile(f).compile_cycles[1], 0u);
    EXPECT_GT(run.jit().profile(f).code_size, 0u);

    char text[4096];
    format_jit_profiles(run.jit(), text, sizeof(text), 0);
    std::string report = text;
    EXPECT_NE(report.find("gcd"), std::string::npos) << report;
    EXPECT_NE(report.find("1@100"), std::string::npos) << "the report shows the call at which tier 1 came\n" << report;
    // A buffer too small for the report is filled and cut, never overrun,
    // and the writer never waits for room that cannot come.
    for (usize size : { usize(1), usize(21), usize(60), usize(100), usize(150) }) {
        std::vector<char> small(size + 8, '#');
        usize length = format_jit_profiles(run.jit(), small.data(), size, 0);
        EXPECT_LT(length, size);
        EXPECT_EQ(small[length], 0) << size;
        EXPECT_EQ(small[size], '#') << size;
    }
    format_pool_stats("code", system.pools().code.stats(), text, sizeof(text));
    EXPECT_EQ(std::string(text).rfind("code pool: ", 0), 0u) << text;
    format_tier_policy(system.runtime().policy(), text, sizeof(text));
    EXPECT_NE(std::string(text).find("tier 0->1 after 100 calls or 1000 loop iterations"), std::string::npos) << text;
}

TEST(TierUp, ALongLoopTriggersTierUpWithinOneCall)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    u32 f = run.function("sum");
    EXPECT_EQ(run.call(f, { i32v(5000) }).bits, 12497500u);
    // One call, 5000 back edges: hot by the loop threshold (1000); no OSR, so
    // that call finished in the interpreter and the next one is native.
    EXPECT_EQ(run.jit().profile(f).tier, 1);
    EXPECT_EQ(run.jit().calls(f), 1u);
    EXPECT_EQ(run.call(f, { i32v(10000) }).bits, 49995000u);
}

// Tier-1 code counts its back edges: a function called a handful of times,
// each call a long loop, reaches tier 2 without waiting for 1,000 calls.
TEST(TierUp, Tier1LoopsReachTier2WithoutWaitingForCalls)
{
    System system;
    std::vector<u8> scratch(1u << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    system.runtime().set_compiler(2, &tier2);
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    u32 f = run.function("sum");
    const JitFunctionProfile& p = run.jit().profile(f);
    // Call 1, interpreted: its loop makes it hot, tier 1 is installed.
    EXPECT_EQ(run.call(f, { i32v(5000) }).bits, 12497500u);
    EXPECT_EQ(p.tier, 1);
    // Call 2 runs tier 1, whose back edges use up the budget (10,000):
    // tier 2 is compiled during the call and runs from the next one.
    EXPECT_EQ(run.call(f, { i32v(20000) }).bits, 199990000u);
    EXPECT_EQ(p.tier, 2);
    EXPECT_EQ(p.tier_up_at_calls[2], 2u);
    EXPECT_EQ(run.call(f, { i32v(20000) }).bits, 199990000u);
    EXPECT_EQ(run.jit().calls(f), 3u);
    // A short loop spends the budget without reaching the end of it.
    u32 g = run.function("gcd");
    EXPECT_EQ(run.call(g, { i32v(1071), i32v(462) }).bits, 21u);
    ASSERT_FALSE(run.jit().compile(g, 1).is_error());
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(run.call(g, { i32v(1071), i32v(462) }).bits, 21u);
    EXPECT_EQ(run.jit().profile(g).tier, 1);
    EXPECT_GT(run.jit().native_state(g).loop_budget, 0);
    EXPECT_LT(run.jit().native_state(g).loop_budget, static_cast<i32>(system.runtime().policy().tier2_loop_iterations));
    system.runtime().set_compiler(2, nullptr);
}

// Past 16 back edges a function's budget checks call the stub inline
// (jns over a call): the same tier-up, from the 20th loop of a function.
TEST(TierUp, TheInlineBudgetCheckOfManyLoopsTiersUpToo)
{
    std::string source = "fn many(n: i32) -> i32 {\n    var s: i32 = 0;\n";
    for (int k = 0; k < 19; ++k)
        source += "    for i in 0..2 { s = s + i * " + std::to_string(k + 1) + "; }\n";
    source += "    for i in 0..n { s = s ^ (i * 3); }\n    return s;\n}\n";
    System system;
    std::vector<u8> scratch(1u << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    system.runtime().set_compiler(2, &tier2);
    const Module* module = system.load(compile_flow_source(source.c_str(), "MANYLOOP"));
    ASSERT_NE(module, nullptr);
    Runner reference(system, *module, Mode::Interpreter);
    Runner run(system, *module, Mode::Tier1);
    run.jit().set_auto_tier_up(true);
    run.jit().attach(run.instance()); // the policy's thresholds and budgets, with tier-up on
    u32 f = run.function("many");
    ASSERT_EQ(run.jit().profile(f).tier, 1);
    u32 expected = reference.call(f, { i32v(30000) }).bits;
    EXPECT_EQ(run.call(f, { i32v(30000) }).bits, expected);
    EXPECT_EQ(run.jit().profile(f).tier, 2) << "the 20th loop's back edges used up the budget";
    EXPECT_EQ(run.call(f, { i32v(30000) }).bits, expected);
    system.runtime().set_compiler(2, nullptr);
}

TEST(TierUp, CallsFromInterpretedCodeTierUpTheCallee)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    EXPECT_EQ(run.call("primes", { i32v(1000) }).bits, 168u);
    u32 is_prime = run.function("is_prime");
    EXPECT_EQ(run.jit().profile(is_prime).tier, 1);
    EXPECT_EQ(run.jit().profile(is_prime).tier_up_at_calls[1], 100u);
    EXPECT_EQ(run.jit().calls(is_prime), 998u);
}

TEST(TierUp, MidRecursionSwapFreesTheOldBlockOnlyAfterTheOutermostReturn)
{
    System system;
    RecompilingTier tier2(system.runtime());
    system.runtime().set_compiler(2, &tier2);
    ASSERT_FALSE(system.runtime().policy().parse_thresholds("100,1000,5000").is_error());
    // fib_rec's arguments vary too much for any real specialisation; with
    // the stability bar at 0% of 1 sample any candidate value counts, so the
    // decision at 5,000 calls compiles (docs/specialisation.md).
    system.runtime().policy().spec_stable_percent = 0;
    system.runtime().policy().spec_min_samples = 1;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    u32 f = run.function("fib_rec");
    // Tier 1 up front, so the whole recursion below runs in native frames
    // under one native entry.
    ASSERT_FALSE(run.jit().compile(f, 1).is_error());
    u32 freed_before = system.runtime().retirement().freed();

    // fib_rec(22) makes 57,313 calls: "tier 2" at call 1,000 and a
    // specialisation at 5,000, both from native code deep inside the
    // recursion, while frames of the superseded blocks wait to return.
    EXPECT_EQ(run.call(f, { i32v(22) }).bits, 17711u);

    ASSERT_EQ(tier2.snapshots.size(), 2u);
    auto& up = tier2.snapshots[0];
    auto& again = tier2.snapshots[1];
    EXPECT_EQ(up.reason, CompileReason::Hot);
    EXPECT_EQ(up.calls, 1000u);
    EXPECT_GT(up.native_depth, 0u) << "the swap happened inside native frames";
    EXPECT_EQ(again.reason, CompileReason::Respecialise);
    EXPECT_EQ(again.calls, 5000u);
    EXPECT_GT(again.native_depth, 0u);
    EXPECT_EQ(again.pending, 1u) << "the tier-1 block waits while frames may return into it";
    EXPECT_TRUE(again.earlier_blocks_intact) << "a retired block was overwritten while still in use";

    // After the outermost return the tier-1 block went back to the pool, and
    // its bytes are int3; the generic tier-2 block stays, as the target of
    // the specialised code's guard.
    EXPECT_EQ(system.runtime().retirement().pending(), 0u);
    EXPECT_EQ(system.runtime().retirement().freed(), freed_before + 1);
    EXPECT_TRUE(all_int3(up.installed, up.installed_size));
    EXPECT_FALSE(all_int3(again.installed, again.installed_size));
    EXPECT_EQ(run.jit().profile(f).generic_code, again.installed);
    EXPECT_TRUE(run.jit().profile(f).specialised);
    EXPECT_EQ(run.jit().profile(f).tier, 2);
    // The newest block still runs.
    EXPECT_EQ(run.call(f, { i32v(15) }).bits, 610u);
    system.runtime().set_compiler(2, nullptr);
}

// The same swaps when the recursion starts in the interpreter: each native
// subtree is its own native entry, so a superseded block may be freed as soon
// as the subtree that retired it returns to interpreted frames.
TEST(TierUp, SwapsAcrossInterpretedAndNativeFramesKeepTheAnswer)
{
    System system;
    RecompilingTier tier2(system.runtime());
    system.runtime().set_compiler(2, &tier2);
    ASSERT_FALSE(system.runtime().policy().parse_thresholds("100,1000,5000").is_error());
    system.runtime().policy().spec_stable_percent = 0; // as above: the decision at 5,000 compiles
    system.runtime().policy().spec_min_samples = 1;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    u32 f = run.function("fib_rec");
    EXPECT_EQ(run.call(f, { i32v(22) }).bits, 17711u);
    ASSERT_EQ(tier2.snapshots.size(), 2u);
    EXPECT_EQ(system.runtime().retirement().pending(), 0u);
    EXPECT_TRUE(all_int3(tier2.snapshots[0].installed, tier2.snapshots[0].installed_size));
    EXPECT_EQ(run.jit().profile(f).generic_code, tier2.snapshots[1].installed); // kept for the guard
    EXPECT_FALSE(all_int3(tier2.snapshots[1].installed, tier2.snapshots[1].installed_size));
    EXPECT_EQ(run.jit().profile(f).tier_up_at_calls[1], 100u);
    EXPECT_EQ(run.jit().calls(f), 57313u);
    system.runtime().set_compiler(2, nullptr);
}

TEST(TierUp, AFailedCompileBacksOffExponentiallyAndIsReported)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    // is_prime(1) returns before its loop: only the call counter moves.
    u32 f = run.function("is_prime");
    system.runtime().tier1().fail_next(3, Error::PoolExhausted);

    std::vector<u64> tier_up_call;
    u8 tier = 0;
    for (u32 call = 1; call <= 1000; ++call) {
        ASSERT_EQ(run.call(f, { i32v(1) }).bits, 0u);
        if (run.jit().profile(f).tier != tier) {
            tier = run.jit().profile(f).tier;
            tier_up_call.push_back(call);
        }
    }
    const auto& p = run.jit().profile(f);
    // Attempts at calls 100 (fail), +64 = 164 (fail), +128 = 292 (fail),
    // +256 = 548: compiled.
    EXPECT_EQ(p.backoffs, 3u);
    EXPECT_EQ(p.last_error, Error::PoolExhausted);
    ASSERT_EQ(tier_up_call.size(), 1u);
    EXPECT_EQ(tier_up_call[0], 548u);
    EXPECT_EQ(p.tier_up_at_calls[1], 548u);
    EXPECT_EQ(p.consecutive_failures, 0u);
    EXPECT_EQ(run.jit().calls(f), 1000u) << "rewinding the counter keeps the call count exact";
}

TEST(TierUp, RepeatedFailureGivesUpAndNeverRetriesEveryCall)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    u32 f = run.function("gcd");
    system.runtime().tier1().fail_next(1000000, Error::PoolExhausted);
    for (u32 call = 1; call <= 100000; ++call)
        ASSERT_EQ(run.call(f, { i32v(12), i32v(18) }).bits, 6u);
    const auto& p = run.jit().profile(f);
    EXPECT_EQ(p.tier, 0);
    EXPECT_EQ(p.backoffs, system.runtime().policy().max_attempts);
    EXPECT_TRUE(p.given_up);
    EXPECT_EQ(run.jit().calls(f), 100000u);
    system.runtime().tier1().fail_next(0, Error::Ok);
}

TEST(TierUp, AFullCodePoolKeepsTheInterpreterRunning)
{
    System system({ 1024, 64u << 20, 8u << 20 }); // room for the stubs only
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    u32 f = run.function("matmul");
    EXPECT_EQ(run.call("bench_matmul", { i32v(8) }).error, Error::Ok);
    for (int i = 0; i < 300; ++i)
        ASSERT_EQ(run.call("bench_matmul", { i32v(4) }).error, Error::Ok);
    const auto& p = run.jit().profile(f);
    EXPECT_EQ(p.tier, 0);
    EXPECT_GE(p.backoffs, 1u);
    EXPECT_EQ(p.last_error, Error::PoolExhausted);
    EXPECT_GT(system.pools().code.stats().failures, 0u);
}

TEST(TierUp, ThresholdsParseAndValidate)
{
    TierPolicy policy;
    EXPECT_FALSE(policy.parse_thresholds("5,50,500").is_error());
    EXPECT_EQ(policy.tier1_calls, 5u);
    EXPECT_EQ(policy.tier2_calls, 50u);
    EXPECT_EQ(policy.respecialise_calls, 500u);
    EXPECT_EQ(policy.tier1_loop_iterations, 50u);
    EXPECT_FALSE(policy.parse_thresholds("1,2,3,7").is_error());
    EXPECT_EQ(policy.tier1_loop_iterations, 7u);
    for (const char* bad : { "", "1,2", "1,2,3,4,5", "0,1,2", "10,5,20", "1,,2", "a,b,c", "1,2,3,", "99999999999,1,1" })
        EXPECT_TRUE(policy.parse_thresholds(bad).is_error()) << bad;
    EXPECT_EQ(policy.tier1_calls, 1u) << "a bad string leaves the policy unchanged";
    EXPECT_EQ(policy.backoff_after(1), 64u);
    EXPECT_EQ(policy.backoff_after(2), 128u);
    EXPECT_EQ(policy.backoff_after(40), policy.backoff_max);
}

TEST(TierUp, AFunctionWhoseFrameCouldOverflowTheStackStaysInTheInterpreter)
{
    System system;
    system.runtime().policy().max_native_frame_bytes = 64; // fits only the smallest functions
    const Module* module = system.load("tests/jit/OPS.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    EXPECT_FALSE(run.jit().compile(run.function("neg"), 1).is_error());
    u32 f = run.function("pressure");
    EXPECT_EQ(run.jit().compile(f, 1).error(), Error::JitUnsupported);
    EXPECT_EQ(run.jit().profile(f).tier, 0);
    EXPECT_EQ(run.call(f, { i32v(20), f32v(1.5f) }).error, Error::Ok);
}

TEST(TierUp, AttachingAgainAppliesANewPolicyToNativeCode)
{
    System system;
    RecompilingTier tier2(system.runtime());
    system.runtime().set_compiler(2, &tier2);
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    u32 f = run.function("gcd");
    ASSERT_FALSE(run.jit().compile(f, 1).is_error());
    for (int i = 0; i < 10; ++i)
        run.call(f, { i32v(12), i32v(18) });
    EXPECT_EQ(run.jit().profile(f).tier, 1) << "default: tier 2 after 1000 calls";
    ASSERT_FALSE(system.runtime().policy().parse_thresholds("5,20,50").is_error());
    run.jit().attach(run.instance());
    EXPECT_EQ(run.instance().hot_call_threshold, 5u);
    for (int i = 0; i < 10; ++i)
        run.call(f, { i32v(12), i32v(18) });
    EXPECT_EQ(run.jit().profile(f).tier, 2);
    EXPECT_EQ(run.jit().profile(f).tier_up_at_calls[2], 20u);
    system.runtime().set_compiler(2, nullptr);
}

TEST(TierUp, AnUnsupportedFunctionIsNotTriedAgain)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Runner run(system, *module, Mode::Auto);
    u32 f = run.function("gcd");
    system.runtime().tier1().fail_next(1000, Error::JitUnsupported);
    for (u32 call = 1; call <= 2000; ++call)
        ASSERT_EQ(run.call(f, { i32v(12), i32v(18) }).bits, 6u);
    const auto& p = run.jit().profile(f);
    EXPECT_EQ(p.tier, 0);
    EXPECT_EQ(p.backoffs, 1u);
    EXPECT_TRUE(p.given_up);
    EXPECT_EQ(p.last_error, Error::JitUnsupported);
    system.runtime().tier1().fail_next(0, Error::Ok);
}
