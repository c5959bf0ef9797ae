// Counted loops unrolled by 4 in general tier-2 code (loop_unroll.cpp): the
// IR holds four copies of the body plus the remainder loop, and the native
// code agrees with the interpreter on results, traps and buffer contents for
// trip counts 0 to 9, ranges near INT_MIN and INT_MAX, negative ranges, and
// a trap in the third copy of the main loop.
#include "../jit/jit_harness.h"

#include <climits>
#include <cstdio>
#include <cstring>
#include <microjit/tier2/module_adapter.h>
#include <microjit/tier2/optimize.h>
#include <microjit/tier2/patterns.h>
#include <microjit/tier2/ssa_builder.h>
#include <microjit/tier2/tier2_compiler.h>

using namespace JitTest;

namespace {

constexpr const char* source = R"(
buf OUT: [i32; 16];

fn mix(lo: i32, hi: i32) -> i32 {
    var s = 17;
    for i in lo..hi {
        s = (s ^ i) * 31 + 7;
    }
    return s;
}

fn swap_pair(lo: i32, hi: i32) -> i32 {
    var a = 1;
    var b = 2;
    for i in lo..hi {
        var t = a;
        a = b + i;
        b = t;
    }
    return a * 1000 + b;
}

fn scaled(lo: i32, hi: i32) -> f32 {
    var x = 1.0;
    for i in lo..hi {
        x = x * 0.5 + f32(i & 7);
    }
    return x;
}

fn divide_by(lo: i32, hi: i32, z: i32) -> i32 {
    var s = 0;
    for i in lo..hi {
        s = s + 1000 / (i - z);
    }
    return s;
}

fn branchy(lo: i32, hi: i32) -> i32 {
    var s = 0;
    var t = 5;
    for i in lo..hi {
        if (i & 1) == 0 {
            s = s + i;
        } else {
            t = t ^ s;
        }
    }
    return s * 7 + t;
}

fn divide_if_above(lo: i32, hi: i32, z: i32) -> i32 {
    var s = 0;
    for i in lo..hi {
        if i > z - 3 {
            s = s + 1000 / (i - z);
        }
    }
    return s;
}

fn stride_store(lo: i32, hi: i32, k: i32) -> i32 {
    var j = k;
    for i in lo..hi {
        OUT[j] = i;
        j = j + 3;
    }
    return j;
}
)";

class Unroll : public ::testing::Test {
protected:
    static void SetUpTestSuite() { ASSERT_EQ(compile_flow_source(source, "UNROLL"), module_path); }
    static constexpr const char* module_path = "tests/source/UNROLL.BFM";

    // The IR general code is generated from, listed; `stats` says how many
    // loops were unrolled.
    std::string general_ir(const Module& module, const char* name, Tier2::OptimizeStats& stats)
    {
        std::vector<u8> scratch(1 << 20);
        Tier2::Arena arena(scratch.data(), scratch.size());
        Tier2::ModuleInfo info;
        EXPECT_FALSE(Tier2::describe_module(module, arena, info).is_error());
        auto index = find_function(module, name);
        EXPECT_FALSE(index.is_error());
        auto fn = Tier2::build_function(arena, info, index.value());
        EXPECT_FALSE(fn.is_error());
        EXPECT_FALSE(Tier2::prepare_for_patterns(*fn.value()).is_error());
        EXPECT_FALSE(Tier2::unroll_counted_loops(*fn.value(), stats).is_error());
        EXPECT_FALSE(Tier2::optimize(*fn.value(), stats).is_error());
        std::vector<char> text(1 << 16);
        Tier2::print_function(*fn.value(), text.data(), text.size());
        return text.data();
    }
};

u32 count(const std::string& text, const char* word)
{
    u32 n = 0;
    for (usize at = text.find(word); at != std::string::npos; at = text.find(word, at + 1))
        ++n;
    return n;
}

std::vector<i32> buffer(Runner& run)
{
    const View& view = run.instance().buffers[0];
    std::vector<i32> out(view.length);
    std::memcpy(out.data(), view.base, view.length * 4);
    return out;
}

void clear_buffer(Runner& run)
{
    const View& view = run.instance().buffers[0];
    std::memset(view.base, 0, view.length * 4);
}

// (lo, hi) pairs: 0 to 9 trips from 0 and from -5, none (hi < lo), and 0 to
// 9 trips ending at INT_MAX and starting at INT_MIN.
std::vector<std::pair<i32, i32>> ranges()
{
    std::vector<std::pair<i32, i32>> out;
    for (i32 n = 0; n <= 9; ++n) {
        out.push_back({ 0, n });
        out.push_back({ -5, -5 + n });
        out.push_back({ INT_MAX - n, INT_MAX });
        out.push_back({ INT_MIN, INT_MIN + n });
        out.push_back({ INT_MIN + 1, INT_MIN + 1 + n });
        out.push_back({ INT_MAX - 3 - n, INT_MAX - 3 });
    }
    out.push_back({ 7, 3 });
    out.push_back({ INT_MAX, INT_MIN });
    out.push_back({ 5, INT_MIN });
    out.push_back({ INT_MIN, INT_MIN + 2 });
    out.push_back({ -1000, 1001 });
    return out;
}

}

TEST_F(Unroll, SingleBlockCountedLoopGetsFourCopiesAndARemainder)
{
    System system;
    const Module* module = system.load(module_path);
    ASSERT_NE(module, nullptr);
    Tier2::OptimizeStats stats {};
    std::string ir = general_ir(*module, "mix", stats);
    EXPECT_EQ(stats.unrolled, 1u) << ir;
    // Four copies in the main loop, one in the remainder loop.
    EXPECT_EQ(count(ir, "xor.i32"), 5u) << ir;
    EXPECT_EQ(count(ir, "[forloop]"), 1u) << ir;
}

TEST_F(Unroll, ABodyWithAnIfIsCopiedBlockByBlock)
{
    System system;
    const Module* module = system.load(module_path);
    ASSERT_NE(module, nullptr);
    Tier2::OptimizeStats stats {};
    std::string ir = general_ir(*module, "branchy", stats);
    EXPECT_EQ(stats.unrolled, 1u) << ir;
    EXPECT_EQ(count(ir, "xor.i32"), 5u) << ir;
    EXPECT_EQ(count(ir, "[forloop]"), 1u) << ir;
}

TEST_F(Unroll, LoopsThatBoundsCheckEliminationCoversStayWhole)
{
    System system;
    const Module* module = system.load("modules/BENCH.BFM");
    ASSERT_NE(module, nullptr);
    Tier2::OptimizeStats stats {};
    std::string ir = general_ir(*module, "fill", stats); // x[i] = ...: one guard beats four checked copies
    EXPECT_EQ(stats.unrolled, 0u) << ir;
    EXPECT_GT(stats.unchecked, 0u) << ir;
}

TEST_F(Unroll, ResultsMatchTheInterpreterAtEveryTripCountAndBound)
{
    System system;
    std::vector<u8> scratch(1 << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    system.runtime().set_compiler(2, &tier2);
    const Module* module = system.load(module_path);
    ASSERT_NE(module, nullptr);
    Runner reference(system, *module, Mode::Interpreter);
    Runner run(system, *module, Mode::Interpreter);
    for (const char* name : { "mix", "swap_pair", "scaled", "branchy" }) {
        u32 f = run.function(name);
        ASSERT_FALSE(run.jit().compile(f, 2).is_error()) << name;
        EXPECT_EQ(tier2.last_pattern(), Tier2::CompiledPattern::None) << name << " should be general code";
        for (auto [lo, hi] : ranges())
            EXPECT_EQ(run.call(f, { i32v(lo), i32v(hi) }), reference.call(f, { i32v(lo), i32v(hi) }))
                << name << "(" << lo << ", " << hi << ")";
    }
}

TEST_F(Unroll, TrapsComeFromTheSameTripIncludingTheThirdCopy)
{
    System system;
    std::vector<u8> scratch(1 << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    system.runtime().set_compiler(2, &tier2);
    const Module* module = system.load(module_path);
    ASSERT_NE(module, nullptr);
    Runner reference(system, *module, Mode::Interpreter);
    Runner run(system, *module, Mode::Interpreter);
    for (const char* name : { "divide_by", "divide_if_above" }) {
        u32 f = run.function(name);
        ASSERT_FALSE(run.jit().compile(f, 2).is_error()) << name;
        EXPECT_EQ(tier2.last_pattern(), Tier2::CompiledPattern::None) << name << " should be general code";
        // z = lo + 2: the division by zero is in the third copy of main's
        // first trip; other z put it in every copy, the remainder, or nowhere.
        for (auto [lo, hi] : ranges())
            for (i32 dz : { 0, 1, 2, 3, 4, 6, 9, -1 }) {
                i32 z = static_cast<i32>(static_cast<u32>(lo) + static_cast<u32>(dz));
                Outcome expected = reference.call(f, { i32v(lo), i32v(hi), i32v(z) });
                EXPECT_EQ(run.call(f, { i32v(lo), i32v(hi), i32v(z) }), expected) << name << "(" << lo << ", " << hi << ", " << z << ")";
            }
        EXPECT_EQ(run.call(f, { i32v(0), i32v(8), i32v(2) }).error, Error::TrapDivideByZero) << name;
    }
}

TEST_F(Unroll, StoresAndOutOfBoundsTrapsLeaveTheSameBuffer)
{
    System system;
    std::vector<u8> scratch(1 << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    system.runtime().set_compiler(2, &tier2);
    const Module* module = system.load(module_path);
    ASSERT_NE(module, nullptr);
    Runner reference(system, *module, Mode::Interpreter);
    Runner run(system, *module, Mode::Interpreter);
    u32 f = run.function("stride_store");
    ASSERT_FALSE(run.jit().compile(f, 2).is_error());
    Tier2::OptimizeStats stats {};
    EXPECT_EQ((general_ir(*module, "stride_store", stats), stats.unrolled), 1u);
    // OUT has 16 elements and j steps by 3 from k: k = 12 traps on the third
    // trip (j = 15 is the last in range, 18 is not), k = -1 on the first.
    for (auto [lo, hi] : ranges())
        for (i32 k : { 0, 1, 9, 10, 12, 15, -1 }) {
            clear_buffer(reference);
            clear_buffer(run);
            Outcome expected = reference.call(f, { i32v(lo), i32v(hi), i32v(k) });
            EXPECT_EQ(run.call(f, { i32v(lo), i32v(hi), i32v(k) }), expected) << "stride_store(" << lo << ", " << hi << ", " << k << ")";
            EXPECT_EQ(buffer(run), buffer(reference)) << "stride_store(" << lo << ", " << hi << ", " << k << ")";
        }
    clear_buffer(run);
    EXPECT_EQ(run.call(f, { i32v(0), i32v(8), i32v(12) }).error, Error::TrapOutOfBounds);
    std::vector<i32> expected(16, 0);
    expected[12] = 0;
    expected[15] = 1;
    EXPECT_EQ(buffer(run), expected);
}
