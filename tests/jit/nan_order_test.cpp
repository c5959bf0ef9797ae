// Which NaN an f32 operation returns when both operands are NaN: the first
// operand's, as ADDSS/MULSS give it in native code (SDM Vol. 1, 4.8.3.5).
// Every tier must agree bit for bit, including the interpreter's fused
// superinstructions (mul then add), where C++'s a + b let the compiler swap
// the operands. The sign of a NaN shows in printed results ("-nan").
#include "jit_harness.h"

#include <microjit/tier2/tier2_compiler.h>

using namespace JitTest;

namespace {

const char* const source = R"(
fn mul_add(a: f32, b: f32, c: f32) -> f32 { var s: f32 = a; s = s + b * c; return s; }
fn add(a: f32, b: f32) -> f32 { return a + b; }
fn mul(a: f32, b: f32) -> f32 { return a * b; }
fn loop_mul_add(a: f32, b: f32, n: i32) -> f32 { var s: f32 = a; for i in 0..n { s = s + b * b; } return s; }
)";

Value nan_bits(u32 bits)
{
    Value v {};
    v.i = static_cast<i32>(bits);
    return v;
}

constexpr u32 first = 0xFFC00001;  // a negative quiet NaN, payload 1
constexpr u32 second = 0x7FC00002; // a positive quiet NaN, payload 2

u32 bits_of(Runner& runner, const char* name, const std::vector<Value>& args)
{
    Outcome o = runner.call(name, args);
    EXPECT_EQ(o.error, Error::Ok) << name;
    return o.bits;
}

} // namespace

TEST(NanOperandOrder, EveryTierReturnsTheFirstOperandsNan)
{
    System system;
    std::vector<u8> scratch(1u << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    system.runtime().set_compiler(2, &tier2);
    const Module* module = system.load(compile_flow_source(source, "NANORDER"));
    ASSERT_TRUE(module);
    Runner t0(system, *module, Mode::Interpreter);
    Runner t1(system, *module, Mode::Tier1);
    Runner t2(system, *module, Mode::Tier1);
    ASSERT_FALSE(t2.jit().compile_all(2).is_error());
    for (Runner* r : { &t0, &t1, &t2 }) {
        const char* tier = r == &t0 ? "tier 0" : r == &t1 ? "tier 1" : "tier 2";
        EXPECT_EQ(bits_of(*r, "add", { nan_bits(first), nan_bits(second) }), first) << tier;
        EXPECT_EQ(bits_of(*r, "add", { nan_bits(second), nan_bits(first) }), second) << tier;
        EXPECT_EQ(bits_of(*r, "mul", { nan_bits(first), nan_bits(second) }), first) << tier;
        EXPECT_EQ(bits_of(*r, "mul", { nan_bits(second), nan_bits(first) }), second) << tier;
        // s + b * c with b * c a NaN: s's NaN wins.
        EXPECT_EQ(bits_of(*r, "mul_add", { nan_bits(first), nan_bits(second), f32v(1.0f) }), first) << tier;
        EXPECT_EQ(bits_of(*r, "loop_mul_add", { nan_bits(first), nan_bits(second), i32v(3) }), first) << tier;
    }
    system.runtime().set_compiler(2, nullptr);
}
