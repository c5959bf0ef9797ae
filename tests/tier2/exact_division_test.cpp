// Division by 2^k of a value known to be a multiple of 2^k (the branch into
// the block tested x % 2^m == 0 or x & (2^m - 1) == 0 with m >= k) is one
// arithmetic shift in general tier-2 code; every other division keeps the
// round-toward-zero bias. Both agree with the interpreter for either sign.
#include "../jit/jit_harness.h"

#include <cstdio>
#include <microjit/tier2/tier2_compiler.h>

using namespace JitTest;

namespace {

constexpr const char* source = R"(
fn halve_even(x: i32) -> i32 {
    if x % 2 == 0 {
        return x / 2;
    }
    return x;
}
fn quarter_if_even(x: i32) -> i32 {
    if x % 2 == 0 {
        return x / 4;
    }
    return 7;
}
fn quarter_if_masked(x: i32) -> i32 {
    if (x & 3) == 0 {
        return x / 4;
    }
    return 7;
}
fn halve_unless_odd(x: i32) -> i32 {
    if x % 2 != 0 {
        return 7;
    } else {
        return x / 2;
    }
}
)";

// A signed division by 2^k with its rounding bias: shr r, 32-k (C1 E8+r),
// add r, x (01 /r), sar r, k (D1 F8+r or C1 F8+r k). (x % 2^k ends in an
// AND instead, so it is not counted.)
bool has_division_bias(const u8* code, u32 size)
{
    for (u32 i = 0; i + 6 < size; ++i) {
        if (code[i] != 0xC1 || (code[i + 1] & 0xF8) != 0xE8 || code[i + 2] < 30 || code[i + 3] != 0x01)
            continue;
        u8 r = code[i + 1] & 7;
        if ((code[i + 5] == 0xD1 || code[i + 5] == 0xC1) && code[i + 6] == (0xF8 | r))
            return true;
    }
    return false;
}

}

TEST(ExactDivision, KnownMultiplesShiftAndEveryResultMatchesTier0)
{
    std::string path = compile_flow_source(source, "EXACTDIV");
    ASSERT_FALSE(path.empty());

    System system;
    std::vector<u8> scratch(1 << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    system.runtime().set_compiler(2, &tier2);
    const Module* module = system.load(path);
    ASSERT_NE(module, nullptr);
    Runner reference(system, *module, Mode::Interpreter);
    Runner run(system, *module, Mode::Interpreter);
    struct Case {
        const char* name;
        bool shift_only;
    } cases[] = { { "halve_even", true }, { "quarter_if_even", false }, { "quarter_if_masked", true }, { "halve_unless_odd", true } };
    for (const Case& c : cases) {
        u32 f = run.function(c.name);
        ASSERT_FALSE(run.jit().compile(f, 2).is_error()) << c.name;
        const JitFunctionProfile& p = run.jit().profile(f);
        EXPECT_EQ(has_division_bias(p.code, p.code_size), !c.shift_only) << c.name;
        for (i32 x : { 0, 1, -1, 2, -2, 3, -3, 4, -4, 6, -6, 8, -8, 12, -12, 1000, -1000, 2147483647, -2147483647 - 1, -2147483646 })
            EXPECT_EQ(run.call(f, { i32v(x) }), reference.call(f, { i32v(x) })) << c.name << "(" << x << ")";
    }
}
