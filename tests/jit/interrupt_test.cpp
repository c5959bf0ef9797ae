// Stopping a runaway call: a timer signal plays the kernel's interrupt (a
// Ctrl-C or a watchdog tick). It sets ModuleInstance::interrupt and, like
// the kernel's IRQ handler, moves an EIP that is in native code to
// JitInstance::interrupt_target. Every tier must end the call with
// TrapInterrupted, and the instance must stay usable: the next calls give
// their results, at the tier they had.
#include "jit_harness.h"

#include <microjit/tier2/tier2_compiler.h>

#include <csignal>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

using namespace JitTest;

namespace {

const char* const source = R"(
fn spin() -> i32 { var x: i32 = 0; while 1 { x += 1; } return x; }
fn nest(n: i32) -> i32 { var s: i32 = 0; for i in 0..n { for j in 0..n { s += i ^ j; } } return s; }
fn count(n: i32) -> i32 { var s: i32 = 0; for i in 0..n { s += i; } return s; }
fn fibi(n: i32) -> i32 { var a: i32 = 0; var b: i32 = 1; for i in 0..n { var t: i32 = a + b; a = b; b = t; } return a; }
fn fib(n: i32) -> i32 { if n < 2 { return n; } return fib(n - 1) + fib(n - 2); }
fn caller() -> i32 { return spin() + 1; }
fn add(a: i32, b: i32) -> i32 { return a + b; }
)";

JitInstance* g_jit = nullptr;
sig_atomic_t g_ticks = 0;   // written by the handler, read after the call
sig_atomic_t g_redirects = 0;

void on_tick(int, siginfo_t*, void* context)
{
    if (!g_jit)
        return;
    if (__atomic_add_fetch(&g_ticks, 1, __ATOMIC_RELAXED) > 2000) {
        // 20 s of ticks without the call ending: the interrupt is broken.
        static const char message[] = "interrupt_test: the call was not interrupted\n";
        [[maybe_unused]] auto written = write(2, message, sizeof message - 1);
        _exit(1);
    }
    request_interrupt(*g_jit->instance());
    auto* uc = static_cast<ucontext_t*>(context);
    const void* target = g_jit->interrupt_target(static_cast<uptr>(uc->uc_mcontext.gregs[REG_EIP]));
    if (target) {
        uc->uc_mcontext.gregs[REG_EIP] = static_cast<greg_t>(reinterpret_cast<uptr>(target));
        __atomic_add_fetch(&g_redirects, 1, __ATOMIC_RELAXED);
    }
}

// Runs `name` with a 10 ms timer that interrupts it; returns the outcome.
Outcome interrupted_call(Runner& runner, const char* name, const std::vector<Value>& args)
{
    struct sigaction action {};
    action.sa_sigaction = on_tick;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, nullptr);
    __atomic_store_n(&g_ticks, 0, __ATOMIC_RELAXED);
    clear_interrupt(runner.instance());
    g_jit = &runner.jit();
    itimerval timer {};
    timer.it_value.tv_usec = 10000;
    timer.it_interval.tv_usec = 10000;
    setitimer(ITIMER_REAL, &timer, nullptr);
    Outcome outcome = runner.call(name, args);
    itimerval off {};
    setitimer(ITIMER_REAL, &off, nullptr);
    g_jit = nullptr;
    clear_interrupt(runner.instance());
    return outcome;
}

struct Fixture {
    System system;
    std::vector<u8> scratch = std::vector<u8>(1u << 20);
    Tier2::Tier2Compiler tier2 { scratch.data(), scratch.size() };
    const Module* module { nullptr };

    Fixture()
    {
        system.runtime().set_compiler(2, &tier2);
        module = system.load(compile_flow_source(source, "SPIN"));
    }
    ~Fixture() { system.runtime().set_compiler(2, nullptr); }
};

// After an interrupt the instance is as good as new.
void expect_usable(Runner& runner, u8 tier_of_add)
{
    EXPECT_EQ(runner.instance().call_depth, 0u);
    EXPECT_EQ(runner.call("add", { i32v(2), i32v(3) }), (Outcome { Error::Ok, ValueType::I32, 5 }));
    EXPECT_EQ(runner.call("count", { i32v(10) }), (Outcome { Error::Ok, ValueType::I32, 45 }));
    EXPECT_EQ(runner.jit().profile(runner.function("add")).tier, tier_of_add);
}

} // namespace

TEST(Interrupt, StopsTheInterpreterAtABackEdgeAndACall)
{
    Fixture fx;
    ASSERT_TRUE(fx.module);
    Runner runner(fx.system, *fx.module, Mode::Interpreter);
    Outcome spin = interrupted_call(runner, "spin", {});
    EXPECT_EQ(spin.error, Error::TrapInterrupted);
    EXPECT_EQ(runner.instance().trap.function, runner.function("spin"));
    EXPECT_NE(runner.instance().trap.offset, TrapInfo::unknown_offset) << "the interpreter knows the back edge";
    EXPECT_EQ(interrupted_call(runner, "fib", { i32v(60) }).error, Error::TrapInterrupted);
    expect_usable(runner, 0);
}

TEST(Interrupt, StopsTier1CodeFromTheInterrupt)
{
    Fixture fx;
    ASSERT_TRUE(fx.module);
    Runner runner(fx.system, *fx.module, Mode::Tier1);
    __atomic_store_n(&g_redirects, 0, __ATOMIC_RELAXED);
    for (const char* name : { "spin", "caller" }) {
        EXPECT_EQ(interrupted_call(runner, name, {}).error, Error::TrapInterrupted) << name;
        EXPECT_EQ(runner.instance().trap.function, runner.function("spin")) << name;
    }
    EXPECT_EQ(interrupted_call(runner, "nest", { i32v(1 << 20) }).error, Error::TrapInterrupted);
    EXPECT_EQ(interrupted_call(runner, "fib", { i32v(60) }).error, Error::TrapInterrupted);
    EXPECT_GE(__atomic_load_n(&g_redirects, __ATOMIC_RELAXED), 4) << "native code was moved by the interrupt, not stopped elsewhere";
    EXPECT_EQ(fx.system.runtime().retirement().native_depth(), 0u);
    expect_usable(runner, 1);
}

TEST(Interrupt, StopsTier2GeneralAndPatternCode)
{
    Fixture fx;
    ASSERT_TRUE(fx.module);
    Runner runner(fx.system, *fx.module, Mode::Tier1);
    ASSERT_FALSE(runner.jit().compile_all(2).is_error());
    for (const char* name : { "spin", "nest", "fibi" })
        EXPECT_EQ(runner.jit().profile(runner.function(name)).tier, 2) << name;
    EXPECT_EQ(interrupted_call(runner, "spin", {}).error, Error::TrapInterrupted);
    EXPECT_EQ(interrupted_call(runner, "nest", { i32v(1 << 20) }).error, Error::TrapInterrupted);
    // A recurrence pattern of 2^31 - 1 trips (about a second when it runs).
    EXPECT_EQ(interrupted_call(runner, "fibi", { i32v(0x7FFFFFFF) }).error, Error::TrapInterrupted);
    EXPECT_EQ(runner.instance().trap.function, runner.function("fibi"));
    expect_usable(runner, 2);
}

TEST(Interrupt, NativeCodeCallingTheInterpreterUnwindsBoth)
{
    Fixture fx;
    ASSERT_TRUE(fx.module);
    Runner runner(fx.system, *fx.module, Mode::Interpreter);
    ASSERT_FALSE(runner.jit().compile(runner.function("caller"), 1).is_error());
    EXPECT_EQ(interrupted_call(runner, "caller", {}).error, Error::TrapInterrupted);
    EXPECT_EQ(runner.instance().trap.function, runner.function("spin"));
    EXPECT_EQ(fx.system.runtime().retirement().native_depth(), 0u);
    expect_usable(runner, 0);
}

TEST(Interrupt, AnUnsetFlagNeverMovesCode)
{
    Fixture fx;
    ASSERT_TRUE(fx.module);
    Runner runner(fx.system, *fx.module, Mode::Tier1);
    const JitFunctionProfile& p = runner.jit().profile(runner.function("spin"));
    ASSERT_TRUE(p.code);
    uptr inside = reinterpret_cast<uptr>(p.code) + 1;
    EXPECT_EQ(runner.jit().interrupt_target(inside), nullptr) << "no request";
    request_interrupt(runner.instance());
    EXPECT_EQ(runner.jit().interrupt_target(inside), nullptr) << "no native frame is running";
    clear_interrupt(runner.instance());
}
