// Building the tier-2 IR: blocks, dominators, loops and SSA from bytecode,
// checked by structure and by evaluating the IR.
#include "bytecode_builder.h"

#include <gtest/gtest.h>
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/eval.h>
#include <microjit/tier2/ssa_builder.h>

#include <vector>

using namespace Tier2;
using namespace Tier2Test;

namespace {

struct Compiled {
    std::vector<u8> memory = std::vector<u8>(1 << 20);
    Arena arena { memory.data(), memory.size() };
    Function* fn = nullptr;
};

std::string listing(const Function& fn)
{
    std::vector<char> text(1 << 16);
    print_function(fn, text.data(), text.size());
    return text.data();
}

i32 eval_i32(Compiled& c, std::vector<Value> args, Error* trap = nullptr)
{
    EvalContext ctx {};
    ctx.depth = 1;
    ctx.step_limit = 1'000'000;
    auto r = evaluate(*c.fn, args.data(), ctx, c.arena);
    if (trap)
        *trap = r.is_error() ? r.error() : Error::Ok;
    return r.is_error() ? -999999 : r.value().i;
}

TEST(Tier2Ir, StraightLineFunctionHasOneBlockAndEvaluates)
{
    ModuleBuilder m;
    auto& f = m.function("add3", { Type::I32, Type::I32 }, Type::I32);
    u8 t = f.reg(Type::I32);
    f.op(Opcode::ADD_I32, t, 0, 1);
    f.op_imm(Opcode::ADDI_I32, t, t, 3);
    f.ret(t);
    const ModuleInfo& mod = m.finish();
    Compiled c;
    auto built = build_function(c.arena, mod, 0);
    ASSERT_FALSE(built.is_error()) << error_name(built.error());
    c.fn = built.value();
    EXPECT_EQ(c.fn->block_count, 1u);
    EXPECT_EQ(c.fn->loop_count, 0u);
    EXPECT_EQ(eval_i32(c, { Value::from_i32(4), Value::from_i32(5) }), 12);
    EXPECT_EQ(eval_i32(c, { Value::from_i32(INT32_MAX), Value::from_i32(1) }), INT32_MIN + 3) << "i32 wraps";
}

TEST(Tier2Ir, CountedLoopBecomesNaturalLoopWithPreheaderAndPhis)
{
    ModuleBuilder m;
    auto& f = m.function("sum_to", { Type::I32 }, Type::I32);
    u8 i = f.reg(Type::I32), s = f.reg(Type::I32), zero = f.reg(Type::I32);
    f.const_i32(s, 0);
    f.const_i32(zero, 0);
    f.for_range(i, zero, 0, [&] { f.op(Opcode::ADD_I32, s, s, i); });
    f.ret(s);
    const ModuleInfo& mod = m.finish();
    Compiled c;
    auto built = build_function(c.arena, mod, 0);
    ASSERT_FALSE(built.is_error()) << error_name(built.error());
    c.fn = built.value();
    ASSERT_EQ(c.fn->loop_count, 1u) << listing(*c.fn);
    Loop* loop = c.fn->loops[0];
    ASSERT_NE(loop->preheader, nullptr);
    ASSERT_NE(loop->latch, nullptr);
    EXPECT_FALSE(loop->contains(loop->preheader));
    EXPECT_TRUE(dominates(loop->preheader, loop->header));
    u32 phis = 0;
    for (Inst* p = loop->header->first; p && p->op == Op::Phi; p = p->next)
        ++phis;
    EXPECT_GE(phis, 2u) << listing(*c.fn);
    Inst* back = loop->latch->terminator();
    EXPECT_EQ(back->op, Op::Branch);
    EXPECT_TRUE(back->flags & ForloopBackEdge);
    EXPECT_EQ(eval_i32(c, { Value::from_i32(10) }), 45);
    EXPECT_EQ(eval_i32(c, { Value::from_i32(0) }), 0);
    EXPECT_EQ(eval_i32(c, { Value::from_i32(-5) }), 0);
}

TEST(Tier2Ir, JumpToOffsetZeroGetsAFreshEntryBlock)
{
    ModuleBuilder m;
    auto& f = m.function("countdown", { Type::I32 }, Type::I32);
    int top = f.label(), done = f.label();
    u8 zero = f.reg(Type::I32);
    f.bind(top);
    f.const_i32(zero, 0);
    f.br(Opcode::BR_LE_I32, 0, zero, done);
    f.op_imm(Opcode::ADDI_I32, 0, 0, -1);
    f.jmp(top);
    f.bind(done);
    f.ret(0);
    const ModuleInfo& mod = m.finish();
    Compiled c;
    auto built = build_function(c.arena, mod, 0);
    ASSERT_FALSE(built.is_error()) << error_name(built.error());
    c.fn = built.value();
    EXPECT_EQ(c.fn->blocks[0]->pred_count, 0u);
    EXPECT_EQ(c.fn->loop_count, 1u);
    EXPECT_EQ(eval_i32(c, { Value::from_i32(7) }), 0);
    EXPECT_EQ(eval_i32(c, { Value::from_i32(-3) }), -3);
}

TEST(Tier2Ir, NestedLoopsAreOrderedInnermostFirst)
{
    ModuleBuilder m;
    auto& f = m.function("tri", { Type::I32 }, Type::I32);
    u8 i = f.reg(Type::I32), j = f.reg(Type::I32), s = f.reg(Type::I32), zero = f.reg(Type::I32);
    f.const_i32(s, 0);
    f.const_i32(zero, 0);
    f.for_range(i, zero, 0, [&] { f.for_range(j, zero, i, [&] { f.op_imm(Opcode::ADDI_I32, s, s, 1); }); });
    f.ret(s);
    const ModuleInfo& mod = m.finish();
    Compiled c;
    c.fn = build_function(c.arena, mod, 0).release_value();
    ASSERT_NE(c.fn, nullptr);
    ASSERT_EQ(c.fn->loop_count, 2u);
    EXPECT_EQ(c.fn->loops[0]->depth, 2u);
    EXPECT_EQ(c.fn->loops[0]->parent, c.fn->loops[1]);
    EXPECT_EQ(eval_i32(c, { Value::from_i32(10) }), 45);
}

TEST(Tier2Ir, DivisionTrapsSurviveTranslation)
{
    ModuleBuilder m;
    auto& f = m.function("div", { Type::I32, Type::I32 }, Type::I32);
    u8 t = f.reg(Type::I32);
    f.op(Opcode::DIV_I32, t, 0, 1);
    f.ret(t);
    const ModuleInfo& mod = m.finish();
    Compiled c;
    c.fn = build_function(c.arena, mod, 0).release_value();
    Error trap;
    eval_i32(c, { Value::from_i32(1), Value::from_i32(0) }, &trap);
    EXPECT_EQ(trap, Error::TrapDivideByZero);
    eval_i32(c, { Value::from_i32(INT32_MIN), Value::from_i32(-1) }, &trap);
    EXPECT_EQ(trap, Error::TrapOverflow);
    EXPECT_EQ(eval_i32(c, { Value::from_i32(-7), Value::from_i32(2) }), -3);
}

TEST(Tier2Ir, MalformedCodeIsAnErrorNotACrash)
{
    ModuleBuilder m;
    auto& f = m.function("bad", {}, Type::I32);
    u8 t = f.reg(Type::I32);
    f.const_i32(t, 1);
    f.m_code.push_back(0xEE); // no such opcode
    const ModuleInfo& mod = m.finish();
    Compiled c;
    auto built = build_function(c.arena, mod, 0);
    ASSERT_TRUE(built.is_error());
    EXPECT_EQ(built.error(), Error::ModuleBadOpcode);

    ModuleBuilder m2;
    auto& g = m2.function("falls_off", {}, Type::I32);
    u8 r = g.reg(Type::I32);
    g.const_i32(r, 1);
    const ModuleInfo& mod2 = m2.finish();
    auto built2 = build_function(c.arena, mod2, 0);
    ASSERT_TRUE(built2.is_error());
    EXPECT_EQ(built2.error(), Error::ModuleNoReturn);
}

TEST(Tier2Ir, TinyArenaFailsCleanly)
{
    ModuleBuilder m;
    auto& f = m.function("sum_to", { Type::I32 }, Type::I32);
    u8 i = f.reg(Type::I32), s = f.reg(Type::I32), zero = f.reg(Type::I32);
    f.const_i32(s, 0);
    f.const_i32(zero, 0);
    f.for_range(i, zero, 0, [&] { f.op(Opcode::ADD_I32, s, s, i); });
    f.ret(s);
    const ModuleInfo& mod = m.finish();
    for (usize size : { 0u, 64u, 512u, 2048u }) {
        std::vector<u8> memory(size + 1);
        Arena arena(memory.data(), size);
        auto built = build_function(arena, mod, 0);
        ASSERT_TRUE(built.is_error()) << size;
        EXPECT_EQ(built.error(), Error::OutOfMemory);
        EXPECT_LE(arena.used(), size);
    }
}

}
