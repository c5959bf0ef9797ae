// The tier contract of instance.h: profile counters, on_hot at the
// thresholds, native dispatch through call_native, re-entry with
// interpret_call, the shared call depth, the step limit, and the host entry
// point's argument checks.
#include "test_support.h"

using namespace test;

namespace {

// outer(n): s = 0; for i in 0..n { s = s + inner(i) }; return s
// inner(x): return x * 2
ModuleBuilder two_functions()
{
    ModuleBuilder b;
    auto& outer = b.function("outer", { I32 }, I32, { I32, I32, I32 });
    outer.code.op(Opcode::CONST_I32, { 1, 0 }) // 0: s
        .op(Opcode::CONST_I32, { 2, 0 })       // 6: i
        .op(Opcode::BR_GE_I32, { 2, 0, 37 })   // 12
        .op(Opcode::CALL, { 3, 1, 2 })         // 19
        .op(Opcode::ADD_I32, { 1, 1, 3 })      // 24
        .op(Opcode::FORLOOP, { 2, 0, 19 })     // 28
        .op(Opcode::RET, { 1 })                // 35
        .op(Opcode::RET, { 1 });               // 37
    auto& inner = b.function("inner", { I32 }, I32, { I32 });
    inner.code.op(Opcode::MULI_I32, { 1, 0, 2 }).op(Opcode::RET, { 1 });
    return b;
}

// A stand-in for a JIT tier: "compiles" inner when it gets hot (installs a
// non-zero dispatch entry) and runs it by re-entering the interpreter, as
// native code that calls interpreted code would.
class FakeTier final : public TierHooks {
public:
    void on_hot(ModuleInstance& instance, u32 function, HotReason reason) override
    {
        hot.push_back({ function, reason, instance.profiles[function].calls, instance.profiles[function].loop_iterations });
        if (run_in_hook) {
            // A tier may run module code while deciding (say, to warm up):
            // its frames must not land on the running ones.
            Value arg = Value::from_i32(1000), result {};
            hook_result = interpret_call(&instance, 0, &arg, &result);
            hook_value = result.i;
        }
        if (reason == HotReason::Calls && install)
            instance.dispatch[function] = 0x1000; // any non-zero address
    }
    Error call_native(ModuleInstance& instance, u32 function, const Value* args, Value* result) override
    {
        ++native_calls;
        depth_seen = instance.call_depth;
        if (trap_next) {
            instance.trap = TrapInfo { Error::TrapDivideByZero, function, TrapInfo::unknown_offset };
            return Error::TrapDivideByZero;
        }
        return interpret_call(&instance, function, args, result);
    }
    struct Hot {
        u32 function;
        HotReason reason;
        u32 calls;
        u32 loops;
    };
    std::vector<Hot> hot;
    int native_calls = 0;
    u32 depth_seen = 0;
    bool install = true;
    bool trap_next = false;
    bool run_in_hook = false;
    Error hook_result = Error::Ok;
    i32 hook_value = 0;
};

}

TEST(Instance, CountsCallsAndLoopIterations)
{
    auto b = two_functions();
    auto m = load_built(b);
    ASSERT_TRUE(m->instance);
    EXPECT_EQ(call(*m, "outer", { I(10) }).i, 90);
    EXPECT_EQ(m->instance->profiles[0].calls, 1u);
    EXPECT_EQ(m->instance->profiles[1].calls, 10u);
    EXPECT_EQ(m->instance->profiles[0].loop_iterations, 9u) << "the forloop jumps back n-1 times";
    EXPECT_EQ(m->instance->dispatch[0], 0u);
}

TEST(Instance, HotCallThresholdInstallsNativeCodeThatIsThenUsed)
{
    FakeTier tier;
    InstanceConfig config;
    config.hooks = &tier;
    config.hot_call_threshold = 5;
    config.hot_loop_threshold = 7;
    auto b = two_functions();
    auto m = load_built(b, config);
    ASSERT_TRUE(m->instance);
    EXPECT_EQ(call(*m, "outer", { I(20) }).i, 380);
    ASSERT_EQ(tier.hot.size(), 2u);
    EXPECT_EQ(tier.hot[0].function, 1u);
    EXPECT_EQ(tier.hot[0].reason, HotReason::Calls);
    EXPECT_EQ(tier.hot[0].calls, 5u) << "reported at the crossing, once";
    EXPECT_EQ(tier.hot[1].function, 0u);
    EXPECT_EQ(tier.hot[1].reason, HotReason::LoopIterations);
    EXPECT_EQ(tier.hot[1].loops, 7u);
    EXPECT_EQ(tier.native_calls, 16) << "calls 5..20 of inner went through dispatch";
    EXPECT_EQ(tier.depth_seen, 1u) << "outer's frame is counted while native code runs";
    // interpret_call counts the re-entered frames too.
    EXPECT_EQ(m->instance->profiles[1].calls, 20u + 16u);
    EXPECT_EQ(m->instance->call_depth, 0u);

    // A host call of a native function goes through the hook as well.
    EXPECT_EQ(call(*m, "inner", { I(21) }).i, 42);
    EXPECT_EQ(tier.native_calls, 17);
}

TEST(Instance, HooksMayRunModuleCodeWithoutDisturbingTheRunningFrames)
{
    FakeTier tier;
    tier.install = false;
    tier.run_in_hook = true;
    InstanceConfig config;
    config.hooks = &tier;
    config.hot_call_threshold = 3;
    config.hot_loop_threshold = 4;
    auto b = two_functions();
    auto m = load_built(b, config);
    ASSERT_TRUE(m->instance);
    EXPECT_EQ(call(*m, "outer", { I(10) }).i, 90) << "the running call is unaffected";
    EXPECT_GE(tier.hot.size(), 2u);
    EXPECT_EQ(tier.hook_result, Error::Ok);
    EXPECT_EQ(tier.hook_value, 999000) << "outer(1000) run from inside the hook";
    EXPECT_EQ(m->instance->call_depth, 0u);
}

TEST(Instance, TrapInNativeCodeUnwindsTheInterpreter)
{
    FakeTier tier;
    InstanceConfig config;
    config.hooks = &tier;
    config.hot_call_threshold = 2;
    auto b = two_functions();
    auto m = load_built(b, config);
    ASSERT_TRUE(m->instance);
    tier.trap_next = true;
    EXPECT_EQ(call_error(*m, "outer", { I(5) }), Error::TrapDivideByZero);
    EXPECT_EQ(m->instance->trap.function, 1u);
    EXPECT_EQ(m->instance->trap.offset, TrapInfo::unknown_offset);
    EXPECT_EQ(m->instance->call_depth, 0u);
    EXPECT_EQ(m->instance->stack_top, m->instance->stack_base);
    tier.trap_next = false;
    EXPECT_EQ(call(*m, "outer", { I(5) }).i, 20);
}

TEST(Instance, InterpretCallIgnoresTheDispatchEntryAndChecksDepth)
{
    auto b = two_functions();
    auto m = load_built(b);
    ASSERT_TRUE(m->instance);
    Value arg = I(4), result {};
    EXPECT_EQ(interpret_call(m->instance, 0, &arg, &result), Error::Ok);
    EXPECT_EQ(result.i, 12);
    m->instance->call_depth = max_call_depth;
    EXPECT_EQ(interpret_call(m->instance, 1, &arg, &result), Error::TrapCallDepth);
    m->instance->call_depth = max_call_depth - 1;
    EXPECT_EQ(interpret_call(m->instance, 0, &arg, &result), Error::TrapCallDepth) << "outer's call to inner is frame 513";
    EXPECT_EQ(m->instance->call_depth, max_call_depth - 1);
}

TEST(Instance, StepLimitStopsEndlessLoops)
{
    ModuleBuilder b;
    auto& spin = b.function("spin", {}, VOID, { I32 });
    spin.code.op(Opcode::NOP).op(Opcode::JMP, { 0 });
    auto& count = b.function("count", { I32 }, I32, { I32, I32 });
    count.code.op(Opcode::CONST_I32, { 1, 0 }).op(Opcode::FORLOOP, { 1, 0, 6 }).op(Opcode::RET, { 1 });
    InstanceConfig config;
    config.step_limit = 1000;
    auto m = load_built(b, config);
    ASSERT_TRUE(m->instance);
    EXPECT_EQ(call_error(*m, "spin"), Error::TrapStepLimit);
    EXPECT_EQ(call(*m, "count", { I(900) }).i, 900) << "within the budget";
    EXPECT_EQ(call_error(*m, "count", { I(2000) }), Error::TrapStepLimit);
    EXPECT_EQ(call(*m, "count", { I(900) }).i, 900) << "the budget is per top-level call";
}

TEST(Instance, HostEntryChecksFunctionAndArguments)
{
    auto b = two_functions();
    auto m = load_built(b);
    ASSERT_TRUE(m->instance);
    Value arg = I(1);
    EXPECT_EQ(call_function(*m->instance, 7, &arg, 1).error(), Error::NoSuchFunction);
    EXPECT_EQ(call_function(*m->instance, 0, &arg, 0).error(), Error::InvalidArgument);
    EXPECT_EQ(call_function(*m->instance, 0, &arg, 2).error(), Error::InvalidArgument);
    EXPECT_EQ(find_function(*m->module, "inner").value(), 1u);
    EXPECT_EQ(find_function(*m->module, "nope").error(), Error::NoSuchFunction);
}

TEST(Instance, BuffersAreZeroedAlignedAndReleased)
{
    ModuleBuilder b;
    b.buffers.push_back({ "A", VF32, 1000 });
    b.buffers.push_back({ "B", VI32, 3 });
    b.function("f", {}, VOID, { I32 }).code.op(Opcode::RET_VOID);
    host::CountingAllocator allocator;
    auto bytes = b.build();
    auto m = load_module(bytes.data(), bytes.size(), allocator, nullptr);
    ASSERT_FALSE(m.is_error());
    auto i = create_instance(*m.value(), allocator, {});
    ASSERT_FALSE(i.is_error());
    for (u32 k = 0; k < 2; ++k) {
        const View& v = i.value()->buffers[k];
        EXPECT_EQ(reinterpret_cast<uptr>(v.base) % 16, 0u);
        for (u32 e = 0; e < v.length; ++e)
            ASSERT_EQ(static_cast<const i32*>(v.base)[e], 0);
    }
    EXPECT_EQ(i.value()->buffers[0].length, 1000u);
    destroy_instance(i.value());
    allocator.set_limit(3000);
    EXPECT_EQ(create_instance(*m.value(), allocator, {}).error(), Error::OutOfMemory);
    destroy_module(m.value(), allocator);
    EXPECT_EQ(allocator.live_allocations(), 0);
}
