// Tier-2 scalar and loop optimisations: each one is checked for its effect on
// the IR and for unchanged results and traps (evaluating the IR before and
// after), including a randomised differential run.
#include "harness.h"
#include "kernels.h"

#include <microjit/runtime/floor_f32.h>
#include <microjit/runtime/log_f32.h>
#include <microjit/runtime/pow_f32.h>
#include <microjit/runtime/trig_f32.h>

#include <random>

using namespace Tier2Test;

namespace {

TEST(Tier2Optimize, FoldsConstantsWithI32Wrap)
{
    Harness h;
    auto& f = h.module.function("k", {}, T::I32);
    u8 a = f.reg(T::I32), b = f.reg(T::I32), c = f.reg(T::I32);
    f.const_i32(a, INT32_MAX);
    f.const_i32(b, 1);
    f.op(O::ADD_I32, c, a, b);     // wraps to INT32_MIN
    f.op(O::MUL_I32, c, c, b);
    f.op(O::SHL_I32, c, a, a);     // count taken modulo 32: << 31
    f.op(O::ADD_I32, c, c, b);
    f.ret(c);
    h.finish();
    OptimizeStats stats {};
    Function* fn = h.build("k", true, &stats);
    EXPECT_GT(stats.folded, 0u);
    EXPECT_EQ(count_ops(*fn, Op::ADD_I32) + count_ops(*fn, Op::SHL_I32) + count_ops(*fn, Op::ADDI_I32), 0u) << listing(*fn);
    Outcome o = h.run(fn, {});
    EXPECT_EQ(o.value.i, static_cast<i32>(0x80000001u));
    EXPECT_EQ(o, h.run(h.build("k", false), {}));
}

TEST(Tier2Optimize, NeverFoldsATrapAway)
{
    struct Case {
        O op;
        i32 a, b;
        Error trap;
    } cases[] = {
        { O::DIV_I32, 7, 0, Error::TrapDivideByZero },
        { O::REM_I32, 7, 0, Error::TrapDivideByZero },
        { O::DIV_I32, INT32_MIN, -1, Error::TrapOverflow },
        { O::REM_I32, INT32_MIN, -1, Error::TrapOverflow },
    };
    for (const Case& c : cases) {
        Harness h;
        auto& f = h.module.function("k", {}, T::I32);
        u8 a = f.reg(T::I32), b = f.reg(T::I32), d = f.reg(T::I32);
        f.const_i32(a, c.a);
        f.const_i32(b, c.b);
        f.op(c.op, d, a, b); // result unused: still must trap
        f.ret(a);
        h.finish();
        Function* fn = h.build("k", true);
        EXPECT_EQ(count_ops(*fn, static_cast<Op>(c.op)), 1u) << listing(*fn);
        EXPECT_EQ(h.run(fn, {}).error, c.trap);
    }
    // A NaN conversion stays too.
    Harness h;
    auto& f = h.module.function("k", {}, T::I32);
    u8 x = f.reg(T::F32), d = f.reg(T::I32);
    f.const_f32(x, __builtin_nanf(""));
    f.op(O::I32_FROM_F32, d, x);
    f.const_i32(d, 1);
    f.ret(d);
    h.finish();
    Function* fn = h.build("k", true);
    EXPECT_EQ(h.run(fn, {}).error, Error::TrapBadConversion) << listing(*fn);
}

TEST(Tier2Optimize, FoldsSafeDivisionAndFloatMinMaxExactly)
{
    Harness h;
    auto& f = h.module.function("k", {}, T::F32);
    u8 a = f.reg(T::I32), b = f.reg(T::I32), x = f.reg(T::F32), y = f.reg(T::F32);
    f.const_i32(a, -7);
    f.const_i32(b, 2);
    f.op(O::REM_I32, a, a, b); // -1: sign of the dividend
    f.op(O::F32_FROM_I32, x, a);
    f.const_f32(y, __builtin_nanf(""));
    f.op(O::MIN_F32, x, y, x); // MINSS: the second operand when either is NaN -> -1.0
    f.ret(x);
    h.finish();
    Function* fn = h.build("k", true);
    EXPECT_EQ(count_ops(*fn, Op::REM_I32) + count_ops(*fn, Op::MIN_F32), 0u) << listing(*fn);
    EXPECT_EQ(h.run(fn, {}).value.f, -1.0f);
}

TEST(Tier2Optimize, FoldsTheMathOpsWithMicrojitsRoutines)
{
    // sin, cos, log, pow, floor and the bit casts of constants fold through
    // the routines tier 0 calls: the folded function returns tier 0's bits.
    Harness h;
    auto& f = h.module.function("k", {}, T::I32);
    u8 x = f.reg(T::F32), y = f.reg(T::F32), s = f.reg(T::F32), b = f.reg(T::I32), n = f.reg(T::I32);
    f.const_f32(x, 1e22f);
    f.const_f32(y, 2.5f);
    f.op(O::SIN_F32, s, x);
    f.op(O::COS_F32, x, s);
    f.op(O::LOG_F32, x, x);
    f.op(O::POW_F32, x, y, x);
    f.op(O::FLOOR_F32, y, y);
    f.op(O::MUL_F32, x, x, y);
    f.op(O::I32_BITS_F32, b, x);
    f.const_i32(n, 0x7FC12345); // a NaN pattern: to_bits must give 0x7FC00000
    f.op(O::F32_BITS_I32, s, n);
    f.op(O::I32_BITS_F32, n, s);
    f.op(O::XOR_I32, b, b, n);
    f.ret(b);
    h.finish();
    Function* fn = h.build("k", true);
    for (Op op : { Op::SIN_F32, Op::COS_F32, Op::LOG_F32, Op::POW_F32, Op::FLOOR_F32, Op::I32_BITS_F32, Op::F32_BITS_I32 })
        EXPECT_EQ(count_ops(*fn, op), 0u) << listing(*fn);
    f32 want = pow_f32(2.5f, log_f32(cos_f32(sin_f32(1e22f)))) * floor_f32(2.5f);
    EXPECT_EQ(static_cast<u32>(h.run(fn, {}).value.i), __builtin_bit_cast(u32, want) ^ 0x7FC00000u);
    EXPECT_EQ(h.run(fn, {}), h.run(h.build("k", false), {}));
}

TEST(Tier2Optimize, PropagatesCopiesAndRemovesDeadCode)
{
    Harness h;
    auto& f = h.module.function("k", { T::I32 }, T::I32);
    u8 a = f.reg(T::I32), b = f.reg(T::I32), dead = f.reg(T::I32);
    f.mov(a, 0);
    f.mov(b, a);
    f.op(O::MUL_I32, dead, a, b);  // unused
    f.op(O::XOR_I32, dead, dead, a);
    f.op_imm(O::ADDI_I32, b, b, 0); // a copy
    f.ret(b);
    h.finish();
    OptimizeStats stats {};
    Function* fn = h.build("k", true, &stats);
    EXPECT_GT(stats.removed, 0u);
    EXPECT_EQ(count_ops(*fn, Op::MUL_I32) + count_ops(*fn, Op::XOR_I32) + count_ops(*fn, Op::ADDI_I32), 0u) << listing(*fn);
    Inst* ret = fn->blocks[fn->block_count - 1]->terminator();
    ASSERT_EQ(ret->op, Op::RET);
    EXPECT_EQ(ret->args[0]->op, Op::Param);
}

// Global value numbering: an equal pure value that dominates replaces a later
// one (commuted i32 operands included); one in a sibling branch does not; f32
// operations merge only with the same operands in the same order, and a value
// that may trap is never merged away.
TEST(Tier2Optimize, NumbersEqualValuesThatDominate)
{
    Harness h;
    auto& f = h.module.function("k", { T::I32, T::I32, T::F32 }, T::I32);
    u8 p = 0, q = 1, x = 2;
    u8 a = f.reg(T::I32), b = f.reg(T::I32), c = f.reg(T::I32), d = f.reg(T::I32), r = f.reg(T::I32);
    u8 fa = f.reg(T::F32), fb = f.reg(T::F32), fc = f.reg(T::F32), cmp = f.reg(T::I32), e = f.reg(T::I32);
    int other = f.label(), join = f.label();
    f.op(O::MUL_I32, a, p, q);
    f.op(O::MUL_I32, b, q, p);           // = a, operands commuted
    f.op(O::ADD_F32, fa, x, x);
    f.op(O::SUB_F32, fb, x, fa);
    f.op(O::SUB_F32, fc, fa, x);         // not = fb: another order
    f.op(O::LT_F32, cmp, fb, fc);
    f.jz(cmp, other);
    f.op(O::MUL_I32, c, p, q);           // = a, dominated
    f.op(O::DIV_I32, d, p, q);           // may trap: stays
    f.op(O::XOR_I32, e, p, q);
    f.jmp(join);
    f.bind(other);
    f.op(O::MUL_I32, c, q, p);           // = a too
    f.op(O::DIV_I32, d, p, q);           // not the other arm's (a sibling), and may trap
    f.op(O::XOR_I32, e, q, p);           // equal to the other arm's, which does not dominate it
    f.bind(join);
    f.op(O::ADD_I32, r, a, b);
    f.op(O::ADD_I32, r, r, c);
    f.op(O::ADD_I32, r, r, d);
    f.op(O::ADD_I32, r, r, cmp);
    f.op(O::ADD_I32, r, r, e);
    f.ret(r);
    h.finish();
    OptimizeStats stats {};
    Function* fn = h.build("k", true, &stats);
    EXPECT_GE(stats.numbered, 3u) << listing(*fn);
    EXPECT_EQ(count_ops(*fn, Op::MUL_I32), 1u) << listing(*fn);
    EXPECT_EQ(count_ops(*fn, Op::SUB_F32), 2u) << listing(*fn);
    EXPECT_EQ(count_ops(*fn, Op::DIV_I32), 2u) << listing(*fn);
    EXPECT_EQ(count_ops(*fn, Op::XOR_I32), 2u) << listing(*fn);
    Function* plain = h.build("k", false);
    for (i32 pv : { 7, -3, 0, 1 })
        for (i32 qv : { 2, 0, -1 })
            for (f32 xv : { 1.5f, -0.0f, 3.0f })
                EXPECT_EQ(h.run(fn, { I(pv), I(qv), F(xv) }), h.run(plain, { I(pv), I(qv), F(xv) })) << pv << " " << qv;
}

TEST(Tier2Optimize, FoldsKnownBranchesAndDropsDeadArms)
{
    Harness h;
    auto& f = h.module.function("k", { T::I32 }, T::I32);
    u8 c = f.reg(T::I32), r = f.reg(T::I32);
    int other = f.label();
    f.const_i32(c, 3);
    f.br(O::BR_LT_I32, c, c, other); // never taken
    f.op_imm(O::MULI_I32, r, 0, 2);
    f.ret(r);
    f.bind(other);
    f.const_i32(r, 99);
    f.ret(r);
    h.finish();
    OptimizeStats stats {};
    Function* fn = h.build("k", true, &stats);
    EXPECT_EQ(stats.branches_folded, 1u);
    EXPECT_EQ(fn->block_count, 1u) << listing(*fn);
    EXPECT_EQ(h.run(fn, { I(21) }).value.i, 42);
}

TEST(Tier2Optimize, HoistsLoopInvariantArithmetic)
{
    Harness h;
    auto& f = h.module.function("k", { T::I32, T::I32, T::I32 }, T::I32);
    u8 i = f.reg(T::I32), s = f.reg(T::I32), zero = f.reg(T::I32), t = f.reg(T::I32);
    f.const_i32(s, 0);
    f.const_i32(zero, 0);
    f.for_range(i, zero, 0, [&] {
        f.op(O::MUL_I32, t, 1, 2); // invariant
        f.op(O::XOR_I32, t, t, 1); // invariant, depends on the first
        f.op(O::ADD_I32, t, t, i);
        f.op(O::ADD_I32, s, s, t);
    });
    f.ret(s);
    h.finish();
    OptimizeStats stats {};
    Function* fn = h.build("k", true, &stats);
    ASSERT_EQ(fn->loop_count, 1u);
    Loop* loop = fn->loops[0];
    EXPECT_GE(stats.hoisted, 2u);
    EXPECT_EQ(count_ops(*fn, Op::MUL_I32, loop) + count_ops(*fn, Op::XOR_I32, loop), 0u) << listing(*fn);
    Function* plain = h.build("k", false);
    for (i32 n : { -1, 0, 1, 7, 100 })
        EXPECT_EQ(h.run(fn, { I(n), I(3), I(-5) }), h.run(plain, { I(n), I(3), I(-5) })) << n;
}

TEST(Tier2Optimize, DoesNotHoistAPossibleTrapOutOfALoop)
{
    // `q = a / b` inside a loop that may run zero times must not trap when
    // the loop does not run.
    Harness h;
    auto& f = h.module.function("k", { T::I32, T::I32, T::I32 }, T::I32);
    u8 i = f.reg(T::I32), s = f.reg(T::I32), zero = f.reg(T::I32), q = f.reg(T::I32);
    f.const_i32(s, 0);
    f.const_i32(zero, 0);
    f.for_range(i, zero, 0, [&] {
        f.op(O::DIV_I32, q, 1, 2);
        f.op(O::ADD_I32, s, s, q);
    });
    f.ret(s);
    h.finish();
    Function* fn = h.build("k", true);
    EXPECT_EQ(h.run(fn, { I(0), I(5), I(0) }).value.i, 0);
    EXPECT_EQ(h.run(fn, { I(2), I(5), I(0) }).error, Error::TrapDivideByZero);
    EXPECT_EQ(count_ops(*fn, Op::DIV_I32, fn->loops[0]), 1u) << listing(*fn);
}

TEST(Tier2Optimize, StrengthReducesIndexMultiplication)
{
    Harness h;
    auto& f = h.module.function("k", { T::I32, T::I32 }, T::I32);
    u8 i = f.reg(T::I32), s = f.reg(T::I32), zero = f.reg(T::I32), t = f.reg(T::I32), seven = f.reg(T::I32);
    f.const_i32(s, 0);
    f.const_i32(zero, 0);
    f.const_i32(seven, 7);
    f.for_range(i, zero, 0, [&] {
        f.op(O::MUL_I32, t, i, 1);     // i * k, k invariant
        f.op(O::ADD_I32, s, s, t);
        f.op(O::MUL_I32, t, seven, i); // i * 7
        f.op(O::XOR_I32, s, s, t);
    });
    f.ret(s);
    h.finish();
    OptimizeStats stats {};
    Function* fn = h.build("k", true, &stats);
    EXPECT_EQ(stats.strength_reduced, 2u);
    Loop* loop = fn->loops[0];
    EXPECT_EQ(count_ops(*fn, Op::MUL_I32, loop) + count_ops(*fn, Op::MULI_I32, loop), 0u) << listing(*fn);
    Function* plain = h.build("k", false);
    for (i32 n : { 0, 1, 5, 300 })
        for (i32 k : { 0, 3, -9, 0x12345677 }) // the last wraps
            EXPECT_EQ(h.run(fn, { I(n), I(k) }), h.run(plain, { I(n), I(k) })) << n << " " << k;
}

TEST(Tier2Optimize, ForLoopOverAViewNeedsOneGuardNLessEqualLen)
{
    Harness h;
    add_sum(h.module, "sum_n", T::F32, true);
    h.finish();
    OptimizeStats stats {};
    Function* fn = h.build("sum_n", true, &stats);
    EXPECT_EQ(stats.unchecked, 1u);
    ASSERT_EQ(fn->guard_count, 1u) << listing(*fn);
    const Guard& g = fn->guards[0];
    EXPECT_TRUE(g.lower_proven);
    EXPECT_TRUE(g.entry_proven);
    EXPECT_EQ(g.scale_const, 1);
    EXPECT_EQ(g.offset_const, 0);
    EXPECT_EQ(g.offset_value, nullptr);
    EXPECT_EQ(g.end->op, Op::Param); // n
    // n <= len: the guard holds and the proof is checked on every access.
    std::vector<float> data = { 1, 2, 3, 4, 5 };
    Value a = Value::from_view(data.data(), 5);
    Outcome o = h.run(fn, { a, I(5) });
    EXPECT_EQ(o.value.f, 15.0f);
    EXPECT_EQ(o.fact_violations, 0u);
    // n > len: the guard fails, the checked loop traps like the bytecode.
    Outcome trap = h.run(fn, { a, I(6) });
    EXPECT_EQ(trap.error, Error::TrapOutOfBounds);
    EXPECT_EQ(trap.fact_violations, 0u);
    EXPECT_EQ(trap, h.run(h.build("sum_n", false), { a, I(6) }));
}

TEST(Tier2Optimize, AffineIndicesInMatmulAreCoveredByGuards)
{
    Harness h;
    add_matmul(h.module, "matmul");
    h.finish();
    OptimizeStats stats {};
    Function* fn = h.build("matmul", true, &stats);
    EXPECT_EQ(stats.unchecked, 3u) << listing(*fn); // a[i*n+k], b[k*n+j], c[i*n+j]
    EXPECT_GE(stats.strength_reduced, 1u);
    Function* plain = h.build("matmul", false);
    for (i32 n : { 0, 1, 3, 4 }) {
        for (u32 len_c : { u32(n * n), u32(n > 0 ? n * n - 1 : 0) }) {
            std::vector<float> a(n * n), b(n * n), c1(len_c), c2(len_c);
            for (int q = 0; q < n * n; ++q) {
                a[q] = static_cast<float>(q % 5) - 1.5f;
                b[q] = static_cast<float>(q % 7) * 0.25f;
            }
            Outcome o1 = h.run(fn, { Value::from_view(a.data(), n * n), Value::from_view(b.data(), n * n), Value::from_view(c1.data(), len_c), I(n) });
            Outcome o2 = h.run(plain, { Value::from_view(a.data(), n * n), Value::from_view(b.data(), n * n), Value::from_view(c2.data(), len_c), I(n) });
            EXPECT_EQ(o1, o2) << n;
            EXPECT_EQ(o1.fact_violations, 0u);
            EXPECT_EQ(c1, c2);
        }
    }
}

TEST(Tier2Optimize, IndicesThatAreNotAffineInTheCounterKeepTheirChecks)
{
    // a[n - 1 - i] and a[a[i]]: not iv * k + c.
    Harness h;
    auto& f = h.module.function("k", { T::ViewI32, T::I32 }, T::I32);
    u8 i = f.reg(T::I32), s = f.reg(T::I32), zero = f.reg(T::I32), j = f.reg(T::I32), x = f.reg(T::I32);
    f.const_i32(s, 0);
    f.const_i32(zero, 0);
    f.for_range(i, zero, 1, [&] {
        f.op(O::SUB_I32, j, 1, i);
        f.op_imm(O::ADDI_I32, j, j, -1);
        f.load(O::LOAD_I32, x, 0, j);
        f.load(O::LOAD_I32, x, 0, x);
        f.op(O::ADD_I32, s, s, x);
    });
    f.ret(s);
    h.finish();
    OptimizeStats stats {};
    Function* fn = h.build("k", true, &stats);
    EXPECT_EQ(stats.unchecked, 0u) << listing(*fn);
}

// Random straight-line and looping programs over constants and parameters:
// the optimised IR must give the same value or the same trap.
TEST(Tier2Optimize, RandomProgramsKeepTheirResultsAndTraps)
{
    std::mt19937 rng(20261121);
    const O int_ops[] = { O::ADD_I32, O::SUB_I32, O::MUL_I32, O::DIV_I32, O::REM_I32, O::AND_I32, O::OR_I32,
        O::XOR_I32, O::SHL_I32, O::SHR_I32, O::MIN_I32, O::MAX_I32, O::EQ_I32, O::LT_I32, O::GE_I32 };
    const i32 interesting[] = { 0, 1, -1, 2, 31, 32, 33, INT32_MIN, INT32_MAX, 7, -7, 1 << 16 };
    int compared = 0;
    for (int program = 0; program < 300; ++program) {
        Harness h(256 << 10);
        h.step_limit = 100'000;
        auto& f = h.module.function("p", { T::I32, T::I32 }, T::I32);
        u8 regs[6];
        for (u8& r : regs)
            r = f.reg(T::I32);
        for (int k = 0; k < 6; ++k) {
            if (k < 2)
                f.mov(regs[k], static_cast<u8>(k));
            else
                f.const_i32(regs[k], interesting[rng() % 12]);
        }
        u8 i = f.reg(T::I32), zero = f.reg(T::I32);
        f.const_i32(zero, 0);
        auto random_op = [&] {
            O op = int_ops[rng() % 15];
            f.op(op, regs[rng() % 6], regs[rng() % 6], regs[rng() % 6]);
        };
        for (int k = 0; k < 6; ++k)
            random_op();
        if (rng() % 2) {
            u8 bound = regs[rng() % 6];
            f.for_range(i, zero, bound, [&] {
                for (int k = 0; k < 4; ++k)
                    random_op();
            });
        }
        for (int k = 0; k < 3; ++k)
            random_op();
        f.ret(regs[rng() % 6]);
        h.finish();
        Function* opt = h.build("p", true);
        Function* plain = h.build("p", false);
        ASSERT_TRUE(opt && plain);
        for (int run = 0; run < 4; ++run) {
            i32 a = interesting[rng() % 12], b = static_cast<i32>(rng() % 200) - 100;
            Outcome o1 = h.run(plain, { I(a), I(b) });
            if (o1.error == Error::Busy)
                continue; // a loop with a huge bound
            Outcome o2 = h.run(opt, { I(a), I(b) });
            ASSERT_EQ(o1, o2) << "program " << program << " args " << a << "," << b << "\n" << listing(*opt);
            ++compared;
        }
    }
    EXPECT_GT(compared, 800);
}

}
