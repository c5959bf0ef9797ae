// Every trap of docs/module-format.md, with the function and bytecode offset
// it is reported at, and the edge cases of the shared semantics next to each
// trap (the values that must NOT trap, wrapping, shift counts, NaN rules).
#include "test_support.h"

#include <cmath>
#include <microjit/runtime/exp_f32.h>
#include <microjit/runtime/floor_f32.h>
#include <microjit/runtime/log_f32.h>
#include <microjit/runtime/pow_f32.h>
#include <microjit/runtime/trig_f32.h>

using namespace test;

namespace {

// fn f(a: ta, b: tb) -> tr { r2 = op(a, b); ret r2 } (or op(a) when unary)
std::unique_ptr<host::LoadedModule> op_module(Opcode op, u8 ta, u8 tb, u8 tr)
{
    ModuleBuilder b;
    bool unary = opcode_info(static_cast<u8>(op)).operand_count == 2;
    auto& f = b.function("f", unary ? std::vector<u8> { ta } : std::vector<u8> { ta, tb }, tr, { tr });
    u32 result = unary ? 1 : 2;
    if (unary)
        f.code.op(op, { result, 0 });
    else
        f.code.op(op, { result, 0, 1 });
    f.code.op(Opcode::RET, { result });
    return load_built(b);
}

Value run1(host::LoadedModule& m, Value a) { return call(m, "f", { a }); }
Value run2(host::LoadedModule& m, Value a, Value b) { return call(m, "f", { a, b }); }

}

TEST(Traps, DivisionByZeroNamesFunctionAndOffset)
{
    for (Opcode op : { Opcode::DIV_I32, Opcode::REM_I32 }) {
        ModuleBuilder b;
        auto& f = b.function("g", { I32, I32 }, I32, { I32 });
        f.code.op(Opcode::NOP).op(op, { 2, 0, 1 }).op(Opcode::RET, { 2 });
        auto m = load_built(b);
        ASSERT_TRUE(m->instance);
        EXPECT_EQ(call_error(*m, "g", { I(7), I(0) }), Error::TrapDivideByZero);
        EXPECT_EQ(m->instance->trap.error, Error::TrapDivideByZero);
        EXPECT_EQ(m->instance->trap.function, 0u);
        EXPECT_EQ(m->instance->trap.offset, 1u) << "the div/rem instruction, after the nop";
        EXPECT_EQ(m->instance->call_depth, 0u) << "a trap unwinds every frame";
    }
}

TEST(Traps, IntMinByMinusOneOverflows)
{
    auto div = op_module(Opcode::DIV_I32, I32, I32, I32);
    auto rem = op_module(Opcode::REM_I32, I32, I32, I32);
    EXPECT_EQ(call_error(*div, "f", { I(INT_MIN), I(-1) }), Error::TrapOverflow);
    EXPECT_EQ(call_error(*rem, "f", { I(INT_MIN), I(-1) }), Error::TrapOverflow);
    // Neighbours that must not trap; truncation toward zero, sign of the dividend.
    EXPECT_EQ(run2(*div, I(INT_MIN), I(1)).i, INT_MIN);
    EXPECT_EQ(run2(*div, I(INT_MIN + 1), I(-1)).i, INT_MAX);
    EXPECT_EQ(run2(*div, I(-7), I(2)).i, -3);
    EXPECT_EQ(run2(*rem, I(-7), I(2)).i, -1);
    EXPECT_EQ(run2(*rem, I(7), I(-2)).i, 1);
    EXPECT_EQ(run2(*rem, I(INT_MIN), I(1)).i, 0);
}

TEST(Traps, LoadAndStoreOutOfBounds)
{
    ModuleBuilder b;
    b.buffers.push_back({ "BUF", VI32, 10 });
    // load(i) = BUF[i]; store(i, x) { BUF[i] = x }
    auto& load = b.function("load", { I32 }, I32, { VI32, I32 });
    load.code.op(Opcode::GVIEW, { 1, 0 }).op(Opcode::LOAD_I32, { 2, 1, 0 }).op(Opcode::RET, { 2 });
    auto& store = b.function("store", { I32, I32 }, VOID, { VI32 });
    store.code.op(Opcode::GVIEW, { 2, 0 }).op(Opcode::STORE_I32, { 2, 0, 1 }).op(Opcode::RET_VOID);
    auto& fload = b.function("fload", { VF32, I32 }, F32, { F32 });
    fload.code.op(Opcode::LOAD_F32, { 2, 0, 1 }).op(Opcode::RET, { 2 });
    auto m = load_built(b);
    ASSERT_TRUE(m->instance);

    for (i32 i : { -1, 10, 11, INT_MIN, INT_MAX }) {
        EXPECT_EQ(call_error(*m, "load", { I(i) }), Error::TrapOutOfBounds) << i;
        EXPECT_EQ(m->instance->trap.offset, 4u) << "the load, after the 4-byte gview";
        EXPECT_EQ(call_error(*m, "store", { I(i), I(5) }), Error::TrapOutOfBounds) << i;
        EXPECT_EQ(m->instance->trap.function, 1u);
    }
    call(*m, "store", { I(9), I(-42) });
    call(*m, "store", { I(0), I(7) });
    EXPECT_EQ(call(*m, "load", { I(9) }).i, -42);
    EXPECT_EQ(call(*m, "load", { I(0) }).i, 7);
    EXPECT_EQ(call(*m, "load", { I(5) }).i, 0) << "buffers start zero-filled";

    std::vector<f32> empty;
    EXPECT_EQ(call_error(*m, "fload", { Value::from_view(nullptr, 0), I(0) }), Error::TrapOutOfBounds);
    std::vector<f32> three = { 1.5f, 2.5f, 3.5f };
    EXPECT_EQ(call(*m, "fload", { V(three), I(2) }).f, 3.5f);
    EXPECT_EQ(call_error(*m, "fload", { V(three), I(3) }), Error::TrapOutOfBounds);
}

TEST(Traps, CallDepthLimitIs512Frames)
{
    // down(n) = n <= 1 ? 0 : down(n - 1): n frames deep.
    ModuleBuilder b;
    auto& f = b.function("down", { I32 }, I32, { I32, I32 });
    f.code.op(Opcode::CONST_I32, { 1, 1 });   // 0
    f.code.op(Opcode::BR_GT_I32, { 0, 1, 0 }); // 6: patched below
    u32 branch_target_at = f.code.here() - 4;
    f.code.op(Opcode::CONST_I32, { 2, 0 });
    f.code.op(Opcode::RET, { 2 });
    u32 recurse = f.code.here();
    f.code.op(Opcode::ADDI_I32, { 1, 0, static_cast<u32>(-1) });
    f.code.op(Opcode::CALL, { 2, 0, 1 });
    f.code.op(Opcode::RET, { 2 });
    std::memcpy(&f.code.bytes[branch_target_at], &recurse, 4);
    auto m = load_built(b);
    ASSERT_TRUE(m->instance);

    EXPECT_EQ(call(*m, "down", { I(512) }).i, 0) << "512 frames are allowed";
    EXPECT_EQ(call_error(*m, "down", { I(513) }), Error::TrapCallDepth);
    EXPECT_EQ(m->instance->trap.function, 0u);
    EXPECT_EQ(m->instance->call_depth, 0u);
    EXPECT_EQ(call_error(*m, "down", { I(1000000) }), Error::TrapCallDepth);
    EXPECT_EQ(call(*m, "down", { I(100) }).i, 0) << "the instance is usable after a trap";
}

TEST(Traps, BadConversionOfNaNAndOutOfRange)
{
    auto m = op_module(Opcode::I32_FROM_F32, F32, 0, I32);
    for (f32 x : { std::nanf(""), -std::nanf(""), INFINITY, -INFINITY, 2147483648.0f, -2147483904.0f, 3e9f, -1e20f })
        EXPECT_EQ(call_error(*m, "f", { F(x) }), Error::TrapBadConversion) << x;
    EXPECT_EQ(run1(*m, F(-2147483648.0f)).i, INT_MIN);
    EXPECT_EQ(run1(*m, F(2147483520.0f)).i, 2147483520);
    EXPECT_EQ(run1(*m, F(-0.9f)).i, 0);
    EXPECT_EQ(run1(*m, F(1.9f)).i, 1);
    EXPECT_EQ(run1(*m, F(-1.9f)).i, -1);
}

TEST(Traps, TrapInCalleeNamesTheCallee)
{
    ModuleBuilder b;
    auto& outer = b.function("outer", { I32 }, I32, { I32 });
    outer.code.op(Opcode::CALL, { 1, 1, 0 }).op(Opcode::RET, { 1 });
    auto& inner = b.function("inner", { I32 }, I32, { I32, I32 });
    inner.code.op(Opcode::CONST_I32, { 1, 0 }).op(Opcode::DIV_I32, { 2, 0, 1 }).op(Opcode::RET, { 2 });
    auto m = load_built(b);
    ASSERT_TRUE(m->instance);
    EXPECT_EQ(call_error(*m, "outer", { I(1) }), Error::TrapDivideByZero);
    EXPECT_EQ(m->instance->trap.function, 1u);
    EXPECT_EQ(m->instance->trap.offset, 6u);
    EXPECT_EQ(m->instance->call_depth, 0u);
}

TEST(Semantics, IntegerArithmeticWrapsAndShiftsTakeCountModulo32)
{
    EXPECT_EQ(run2(*op_module(Opcode::ADD_I32, I32, I32, I32), I(INT_MAX), I(1)).i, INT_MIN);
    EXPECT_EQ(run2(*op_module(Opcode::SUB_I32, I32, I32, I32), I(INT_MIN), I(1)).i, INT_MAX);
    EXPECT_EQ(run2(*op_module(Opcode::MUL_I32, I32, I32, I32), I(65536), I(65536)).i, 0);
    auto shl = op_module(Opcode::SHL_I32, I32, I32, I32);
    auto shr = op_module(Opcode::SHR_I32, I32, I32, I32);
    EXPECT_EQ(run2(*shl, I(1), I(33)).i, 2);
    EXPECT_EQ(run2(*shl, I(1), I(31)).i, INT_MIN);
    EXPECT_EQ(run2(*shl, I(5), I(-1)).i, INT_MIN) << "-1 & 31 = 31";
    EXPECT_EQ(run2(*shr, I(-8), I(1)).i, -4) << "arithmetic shift";
    EXPECT_EQ(run2(*shr, I(-8), I(32)).i, -8);
    EXPECT_EQ(run2(*shr, I(INT_MIN), I(31)).i, -1);
    EXPECT_EQ(run1(*op_module(Opcode::NEG_I32, I32, 0, I32), I(INT_MIN)).i, INT_MIN);
    EXPECT_EQ(run1(*op_module(Opcode::ABS_I32, I32, 0, I32), I(INT_MIN)).i, INT_MIN);
    EXPECT_EQ(run1(*op_module(Opcode::ABS_I32, I32, 0, I32), I(-5)).i, 5);
    EXPECT_EQ(run1(*op_module(Opcode::EQZ_I32, I32, 0, I32), I(0)).i, 1);
    EXPECT_EQ(run1(*op_module(Opcode::NOT_I32, I32, 0, I32), I(0)).i, -1);
    EXPECT_EQ(run2(*op_module(Opcode::MIN_I32, I32, I32, I32), I(-3), I(2)).i, -3);
    EXPECT_EQ(run2(*op_module(Opcode::MAX_I32, I32, I32, I32), I(-3), I(2)).i, 2);
    EXPECT_EQ(run2(*op_module(Opcode::LT_I32, I32, I32, I32), I(-1), I(0)).i, 1) << "signed compare";
    EXPECT_EQ(run2(*op_module(Opcode::GE_I32, I32, I32, I32), I(INT_MIN), I(0)).i, 0);
}

TEST(Semantics, MathOpsCallMicrojitsRoutines)
{
    auto sn = op_module(Opcode::SIN_F32, F32, 0, F32);
    auto cs = op_module(Opcode::COS_F32, F32, 0, F32);
    auto lg = op_module(Opcode::LOG_F32, F32, 0, F32);
    auto fl = op_module(Opcode::FLOOR_F32, F32, 0, F32);
    auto pw = op_module(Opcode::POW_F32, F32, F32, F32);
    for (f32 x : { 0.0f, -0.0f, 1.0f, -1.5f, 10.5f, 1e30f, 0x1p-149f }) {
        EXPECT_EQ(bits(run1(*sn, F(x)).f), bits(sin_f32(x))) << x;
        EXPECT_EQ(bits(run1(*cs, F(x)).f), bits(cos_f32(x))) << x;
        EXPECT_EQ(bits(run1(*lg, F(x)).f), bits(log_f32(x))) << x;
        EXPECT_EQ(bits(run1(*fl, F(x)).f), bits(floor_f32(x))) << x;
        EXPECT_EQ(bits(run2(*pw, F(x), F(2.5f)).f), bits(pow_f32(x, 2.5f))) << x;
        EXPECT_EQ(bits(run2(*pw, F(2.5f), F(x)).f), bits(pow_f32(2.5f, x))) << x;
    }
    EXPECT_EQ(run2(*pw, F(-2.0f), F(3.0f)).f, -8.0f) << "operand order: a^b";
    EXPECT_EQ(run1(*fl, F(-0.5f)).f, -1.0f);
}

TEST(Semantics, BitCastsKeepThePatternButCanonicaliseNaNs)
{
    auto to_bits = op_module(Opcode::I32_BITS_F32, F32, 0, I32);
    auto from_bits = op_module(Opcode::F32_BITS_I32, I32, 0, F32);
    EXPECT_EQ(run1(*to_bits, F(1.0f)).i, 0x3F800000);
    EXPECT_EQ(static_cast<u32>(run1(*to_bits, F(-0.0f)).i), 0x80000000u);
    EXPECT_EQ(run1(*to_bits, F(INFINITY)).i, 0x7F800000);
    EXPECT_EQ(run1(*to_bits, F(0x1p-149f)).i, 1);
    for (u32 nan : { 0x7FC00000u, 0x7F800001u, 0xFFC00000u, 0xFFFFFFFFu, 0x7FC12345u })
        EXPECT_EQ(run1(*to_bits, F(__builtin_bit_cast(f32, nan))).i, 0x7FC00000) << std::hex << nan;
    for (u32 pattern : { 0x3F800000u, 0x80000000u, 0x00000001u, 0x7F7FFFFFu, 0x7FC12345u, 0xFF800000u })
        EXPECT_EQ(bits(run1(*from_bits, I(static_cast<i32>(pattern))).f), pattern) << std::hex << pattern;
}

TEST(Semantics, FloatMinMaxFollowMinssMaxss)
{
    auto mn = op_module(Opcode::MIN_F32, F32, F32, F32);
    auto mx = op_module(Opcode::MAX_F32, F32, F32, F32);
    f32 nan = std::nanf("");
    EXPECT_EQ(run2(*mn, F(1.0f), F(2.0f)).f, 1.0f);
    EXPECT_EQ(run2(*mx, F(1.0f), F(2.0f)).f, 2.0f);
    EXPECT_EQ(run2(*mn, F(nan), F(2.0f)).f, 2.0f) << "b when either is NaN";
    EXPECT_TRUE(std::isnan(run2(*mn, F(2.0f), F(nan)).f));
    EXPECT_EQ(run2(*mx, F(nan), F(2.0f)).f, 2.0f);
    EXPECT_EQ(bits(run2(*mn, F(0.0f), F(-0.0f)).f), bits(-0.0f)) << "equal: b";
    EXPECT_EQ(bits(run2(*mx, F(-0.0f), F(0.0f)).f), bits(0.0f));
}

TEST(Semantics, FloatSignOperationsSqrtExpAndComparisons)
{
    auto neg = op_module(Opcode::NEG_F32, F32, 0, F32);
    auto abs = op_module(Opcode::ABS_F32, F32, 0, F32);
    EXPECT_EQ(bits(run1(*neg, F(0.0f)).f), 0x80000000u);
    EXPECT_EQ(bits(run1(*abs, F(-std::nanf(""))).f) >> 31, 0u);
    EXPECT_EQ(run1(*op_module(Opcode::SQRT_F32, F32, 0, F32), F(2.0f)).f, std::sqrt(2.0f));
    EXPECT_TRUE(std::isnan(run1(*op_module(Opcode::SQRT_F32, F32, 0, F32), F(-1.0f)).f));
    auto ex = op_module(Opcode::EXP_F32, F32, 0, F32);
    for (f32 x : { 0.0f, 1.0f, -1.0f, 10.5f, -87.0f, 88.7f, -103.0f })
        EXPECT_EQ(bits(run1(*ex, F(x)).f), bits(exp_f32(x))) << x;
    f32 nan = std::nanf("");
    EXPECT_EQ(run2(*op_module(Opcode::EQ_F32, F32, F32, I32), F(nan), F(nan)).i, 0);
    EXPECT_EQ(run2(*op_module(Opcode::NE_F32, F32, F32, I32), F(nan), F(nan)).i, 1);
    EXPECT_EQ(run2(*op_module(Opcode::LT_F32, F32, F32, I32), F(nan), F(1.0f)).i, 0);
    EXPECT_EQ(run2(*op_module(Opcode::GE_F32, F32, F32, I32), F(nan), F(1.0f)).i, 0);
    EXPECT_EQ(run2(*op_module(Opcode::LE_F32, F32, F32, I32), F(-0.0f), F(0.0f)).i, 1);
    EXPECT_EQ(run1(*op_module(Opcode::F32_FROM_I32, I32, 0, F32), I(16777217)).f, 16777216.0f) << "round to nearest even";
    EXPECT_EQ(run1(*op_module(Opcode::F32_FROM_I32, I32, 0, F32), I(INT_MIN)).f, -2147483648.0f);
}
