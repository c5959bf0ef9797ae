// Pattern recognition: each kernel is recognised as what it is, in several
// spellings, and near-misses written for the purpose are not.
#include "harness.h"
#include "kernels.h"

#include <microjit/tier2/patterns.h>

using namespace Tier2Test;

namespace {

struct Prepared {
    Harness h;
    Function* fn = nullptr;
    std::string log;

    Function* prepare(const std::string& name)
    {
        h.finish();
        fn = h.build(name, false);
        EXPECT_NE(fn, nullptr);
        auto r = prepare_for_patterns(*fn);
        EXPECT_FALSE(r.is_error());
        std::vector<char> text(4096);
        describe_patterns(*fn, text.data(), text.size());
        log = text.data();
        return fn;
    }
    Loop* innermost() { return fn->loop_count ? fn->loops[0] : nullptr; }
};

TEST(Tier2Patterns, CountedLoopExposesCounterBoundsAndEntryTest)
{
    Prepared p;
    add_sum(p.h.module, "sum", T::I32, false);
    p.prepare("sum");
    ASSERT_EQ(p.fn->loop_count, 1u);
    CountedLoop c;
    ASSERT_TRUE(match_counted_loop(*p.fn, p.innermost(), c)) << listing(*p.fn);
    EXPECT_EQ(c.start->op, Op::CONST_I32);
    EXPECT_EQ(c.start->imm, 0);
    EXPECT_EQ(c.end->op, Op::LEN);
    EXPECT_TRUE(c.single_exit);
    EXPECT_TRUE(c.entry_proven);
    EXPECT_NE(p.log.find("counted"), std::string::npos);
}

TEST(Tier2Patterns, SumDotAndMaxAreReductions)
{
    struct Case {
        const char* name;
        ReductionOp op;
        T elem;
    } cases[] = {
        { "sum_i32", ReductionOp::Sum, T::I32 },
        { "sum_f32", ReductionOp::Sum, T::F32 },
        { "dot_f32", ReductionOp::Dot, T::F32 },
        { "dot_i32", ReductionOp::Dot, T::I32 },
        { "dot_swapped_i32", ReductionOp::Dot, T::I32 },
        { "max_f32", ReductionOp::Max, T::F32 },
        { "max_i32", ReductionOp::Max, T::I32 },
        { "max_swapped", ReductionOp::Max, T::F32 },
    };
    for (const Case& c : cases) {
        Prepared p;
        std::string name = c.name;
        if (name == "sum_i32")
            add_sum(p.h.module, c.name, T::I32, false);
        else if (name == "sum_f32")
            add_sum(p.h.module, c.name, T::F32, true);
        else if (name == "dot_f32")
            add_dot(p.h.module, c.name, T::F32);
        else if (name == "dot_i32")
            add_dot(p.h.module, c.name, T::I32);
        else if (name == "dot_swapped_i32")
            add_dot(p.h.module, c.name, T::I32, Accumulation::Swapped);
        else if (name == "max_swapped")
            add_max(p.h.module, c.name, c.elem, false);
        else
            add_max(p.h.module, c.name, c.elem);
        p.prepare(c.name);
        ReductionPattern r;
        ASSERT_TRUE(p.innermost() && match_reduction(*p.fn, p.innermost(), r)) << c.name << "\n" << listing(*p.fn);
        EXPECT_EQ(r.op, c.op) << c.name;
        EXPECT_EQ(r.element, c.elem) << c.name;
        EXPECT_EQ(r.acc_first, name != "dot_swapped_i32" && name != "max_swapped") << c.name;
        FunctionReduction f;
        EXPECT_TRUE(match_function_reduction(*p.fn, f)) << c.name << "\n" << listing(*p.fn);
        EXPECT_EQ(f.a.kind, Operand::Kind::Param) << c.name;
        MapPattern m;
        EXPECT_FALSE(match_map(*p.fn, p.innermost(), m)) << c.name;
    }
}

// The float reduction rule covers `s += e;` and `s -= e;` in a for loop, which
// flowc marks (radd.f32, rsub.f32). The same loop written `s = s + e` or
// `s = e + s`, or the same shape reached by a while loop, is a plain add that
// every tier evaluates in order: no f32 sum or dot pattern may take it.
TEST(Tier2Patterns, OnlyMarkedFloatAccumulationsAreReductions)
{
    struct Case {
        const char* name;
        bool dot;
        bool subtract;
        Accumulation how;
        bool reduction;
    } cases[] = {
        { "sum_marked", false, false, Accumulation::Reduction, true },
        { "sub_marked", false, true, Accumulation::Reduction, true },
        { "dot_marked", true, false, Accumulation::Reduction, true },
        { "sum_plain", false, false, Accumulation::Plain, false },
        { "sub_plain", false, true, Accumulation::Plain, false },
        { "sum_swapped", false, false, Accumulation::Swapped, false },
        { "dot_plain", true, false, Accumulation::Plain, false },
        { "dot_swapped", true, false, Accumulation::Swapped, false },
    };
    for (const Case& c : cases) {
        Prepared p;
        if (c.dot)
            add_dot(p.h.module, c.name, T::F32, c.how);
        else
            add_sum(p.h.module, c.name, T::F32, true, c.subtract, c.how);
        p.prepare(c.name);
        ASSERT_TRUE(p.innermost()) << c.name;
        ReductionPattern r;
        EXPECT_EQ(match_reduction(*p.fn, p.innermost(), r), c.reduction) << c.name << "\n" << listing(*p.fn);
        FunctionReduction f;
        EXPECT_EQ(match_function_reduction(*p.fn, f), c.reduction) << c.name;
    }
}

TEST(Tier2Patterns, MaxReductionBindsItsInitialElement)
{
    Prepared p;
    add_max(p.h.module, "vmax", T::F32);
    p.prepare("vmax");
    FunctionReduction f;
    ASSERT_TRUE(match_function_reduction(*p.fn, f)) << listing(*p.fn);
    EXPECT_EQ(f.init.kind, Operand::Kind::Element);
    EXPECT_EQ(f.init.index, 0);
    EXPECT_EQ(f.init.bits, 0u);
    EXPECT_EQ(f.start.kind, Operand::Kind::Constant);
    EXPECT_EQ(f.start.bits, 1u);
    EXPECT_EQ(f.end.kind, Operand::Kind::Param);
}

TEST(Tier2Patterns, ReductionWithASideEffectIsNotAReduction)
{
    Prepared p;
    add_map(p.h.module, "prefix", MapShape::PrefixSum);
    p.prepare("prefix");
    ReductionPattern r;
    MapPattern m;
    ASSERT_TRUE(p.innermost());
    EXPECT_FALSE(match_reduction(*p.fn, p.innermost(), r)) << listing(*p.fn);
    EXPECT_FALSE(match_map(*p.fn, p.innermost(), m)) << "a map has no loop-carried value";
}

TEST(Tier2Patterns, ReductionThatAlsoReadsAnotherIndexIsRejected)
{
    // s += a[i] + a[i + 1]: the term is not a[i].
    Prepared p;
    auto& f = p.h.module.function("pairs", { T::ViewI32, T::I32 }, T::I32);
    u8 i = f.reg(T::I32), s = f.reg(T::I32), zero = f.reg(T::I32), x = f.reg(T::I32), y = f.reg(T::I32), j = f.reg(T::I32);
    f.const_i32(s, 0);
    f.const_i32(zero, 0);
    f.for_range(i, zero, 1, [&] {
        f.load(O::LOAD_I32, x, 0, i);
        f.op_imm(O::ADDI_I32, j, i, 1);
        f.load(O::LOAD_I32, y, 0, j);
        f.op(O::ADD_I32, s, s, x);
        f.op(O::ADD_I32, s, s, y);
    });
    f.ret(s);
    p.prepare("pairs");
    ReductionPattern r;
    EXPECT_FALSE(match_reduction(*p.fn, p.innermost(), r)) << listing(*p.fn);
}

TEST(Tier2Patterns, ElementwiseMapsAreClassified)
{
    struct Case {
        const char* name;
        MapShape kind;
        Tier2::MapKind expected;
    } cases[] = {
        { "saxpy", MapShape::Saxpy, Tier2::MapKind::ScalarTimesPlus },
        { "relu", MapShape::Relu, Tier2::MapKind::MaxZero },
        { "scale", MapShape::Scale, Tier2::MapKind::ScalarTimes },
        { "vadd", MapShape::Add, Tier2::MapKind::Plus },
    };
    for (const Case& c : cases) {
        Prepared p;
        add_map(p.h.module, c.name, c.kind);
        p.prepare(c.name);
        MapPattern m;
        ASSERT_TRUE(p.innermost() && match_map(*p.fn, p.innermost(), m)) << c.name << "\n" << listing(*p.fn);
        EXPECT_EQ(m.kind, c.expected) << c.name;
        FunctionMap fm;
        EXPECT_TRUE(match_function_map(*p.fn, fm)) << c.name << "\n" << listing(*p.fn);
        ReductionPattern r;
        EXPECT_FALSE(match_reduction(*p.fn, p.innermost(), r));
    }
}

TEST(Tier2Patterns, MapWithAShiftedAliasingWriteIsRejected)
{
    Prepared p;
    add_map(p.h.module, "shifted", MapShape::AliasShifted);
    p.prepare("shifted");
    MapPattern m;
    ASSERT_TRUE(p.innermost());
    EXPECT_FALSE(match_map(*p.fn, p.innermost(), m)) << listing(*p.fn);
}

TEST(Tier2Patterns, MapWithACallInTheBodyIsRejected)
{
    Prepared p;
    auto& g = p.h.module.function("g", { T::I32 }, T::I32);
    g.ret(0);
    add_map(p.h.module, "calls", MapShape::CallInBody, 0);
    p.prepare("calls");
    MapPattern m;
    ASSERT_TRUE(p.innermost());
    EXPECT_FALSE(match_map(*p.fn, p.innermost(), m)) << listing(*p.fn);
}

TEST(Tier2Patterns, MatmulNestIsRecognised)
{
    Prepared p;
    add_matmul(p.h.module, "matmul");
    p.prepare("matmul");
    ASSERT_EQ(p.fn->loop_count, 3u);
    MatmulPattern m;
    Loop* outer = p.fn->loops[2];
    ASSERT_TRUE(match_matmul(*p.fn, outer, m)) << listing(*p.fn);
    EXPECT_EQ(m.a->op, Op::Param);
    EXPECT_EQ(m.a->imm, 0);
    EXPECT_EQ(m.b->imm, 1);
    EXPECT_EQ(m.c->imm, 2);
    EXPECT_EQ(m.n->imm, 3);
    EXPECT_NE(p.log.find("matmul"), std::string::npos) << p.log;
}

TEST(Tier2Patterns, MatmulWithTransposedIndexingIsNotThisPattern)
{
    Prepared p;
    add_matmul(p.h.module, "matmul_t", true); // b[j*n + k]
    p.prepare("matmul_t");
    MatmulPattern m;
    ASSERT_EQ(p.fn->loop_count, 3u);
    EXPECT_FALSE(match_matmul(*p.fn, p.fn->loops[2], m));
}

TEST(Tier2Patterns, IterativeFibonacciIsALinearRecurrence)
{
    Prepared p;
    add_fib_iter(p.h.module);
    p.prepare("fib_iter");
    RecurrencePattern r;
    ASSERT_TRUE(p.innermost() && match_recurrence(*p.fn, p.innermost(), r)) << listing(*p.fn);
    ASSERT_EQ(r.state_count, 2u);
    // Whichever order the phis are in: one state takes the other, the other
    // takes the sum of both.
    int a = r.coeff[0][0] == 0 ? 0 : 1, b = 1 - a;
    EXPECT_EQ(r.coeff[a][a], 0);
    EXPECT_EQ(r.coeff[a][b], 1);
    EXPECT_EQ(r.coeff[b][a], 1);
    EXPECT_EQ(r.coeff[b][b], 1);
    EXPECT_EQ(r.constant[0], 0);
    EXPECT_EQ(r.constant[1], 0);
    FunctionRecurrence f;
    ASSERT_TRUE(match_function_recurrence(*p.fn, f)) << listing(*p.fn);
    EXPECT_EQ(f.inits[f.result].kind, Operand::Kind::Constant);
    EXPECT_EQ(f.inits[f.result].bits, 0u); // returns a, which starts at 0
}

TEST(Tier2Patterns, NonlinearUpdateIsNotARecurrence)
{
    Prepared p;
    add_fib_iter(p.h.module, "fib_mul", true); // t = a * b
    p.prepare("fib_mul");
    RecurrencePattern r;
    ASSERT_TRUE(p.innermost());
    EXPECT_FALSE(match_recurrence(*p.fn, p.innermost(), r)) << listing(*p.fn);
}

TEST(Tier2Patterns, RecursiveFibonacciIsRecognisedInEveryShape)
{
    for (FibShape shape : { FibShape::BranchGe, FibShape::CompareJz, FibShape::TernaryPhi, FibShape::SubRegisters }) {
        Prepared p;
        add_fib_rec(p.h.module, "fib", shape);
        p.prepare("fib");
        FunctionFibonacci f;
        EXPECT_TRUE(match_fibonacci(*p.fn, f)) << static_cast<int>(shape) << "\n" << listing(*p.fn);
        EXPECT_NE(p.log.find("fibonacci"), std::string::npos);
    }
}

TEST(Tier2Patterns, RecursiveNearMissesAreRejected)
{
    for (FibShape shape : { FibShape::WrongThreshold, FibShape::WrongOffsets, FibShape::ConstantBase, FibShape::ExtraStore }) {
        Prepared p;
        p.h.module.buffer(T::ViewI32, 4);
        add_fib_rec(p.h.module, "fib", shape, 0);
        p.prepare("fib");
        FunctionFibonacci f;
        EXPECT_FALSE(match_fibonacci(*p.fn, f)) << static_cast<int>(shape) << "\n" << listing(*p.fn);
    }
}

}
