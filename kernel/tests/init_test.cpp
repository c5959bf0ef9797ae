// KERNEL_INIT ordering and error reporting (kernel/init.cpp).
#include <kernel/init.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>

#include <gtest/gtest.h>
#include <cstdarg>
#include <string>

// The section bounds the kernel's linker script provides; empty here.
extern "C" const KernelInitStep __kernel_init_start[1] = {};
extern "C" const KernelInitStep __kernel_init_end[1] = {};
extern "C" const KernelInitStep __kernel_shutdown_start[1] = {};
extern "C" const KernelInitStep __kernel_shutdown_end[1] = {};

static std::string g_console;
static std::string g_trace;

void kprintf(const char* format, ...)
{
    char buffer[256];
    va_list args;
    va_start(args, format);
    vformat_to(buffer, sizeof(buffer), format, args);
    va_end(args);
    g_console += buffer;
}

static ErrorOr<void> step_a() { g_trace += "a"; return {}; }
static ErrorOr<void> step_b() { g_trace += "b"; return {}; }
static ErrorOr<void> step_c() { g_trace += "c"; return {}; }
static ErrorOr<void> step_fails() { g_trace += "x"; return Error::FsNoPartition; }

TEST(KernelInit, RunsInAscendingOrderAndEqualOrdersInArrayOrder)
{
    g_trace.clear();
    const KernelInitStep steps[] = {
        { 300, "c", step_c }, { 100, "a", step_a }, { 300, "c2", step_c }, { 200, "b", step_b }, { 100, "a2", step_a },
    };
    run_init_steps(steps, steps + 5);
    EXPECT_EQ(g_trace, "aabcc");
}

TEST(KernelInit, AFailedStepIsReportedAndTheRestStillRun)
{
    g_trace.clear();
    g_console.clear();
    const KernelInitStep steps[] = { { 300, "fat16-mount", step_fails }, { 400, "modules", step_b } };
    run_init_steps(steps, steps + 2);
    EXPECT_EQ(g_trace, "xb");
    EXPECT_EQ(g_console, "init: fat16-mount failed: no FAT16 partition found\n");
}

TEST(KernelInit, ShutdownFailuresNameTheirPhase)
{
    g_console.clear();
    const KernelInitStep steps[] = { { 200, "fat16-sync", step_fails } };
    run_init_steps(steps, steps + 1, "shutdown");
    EXPECT_EQ(g_console, "shutdown: fat16-sync failed: no FAT16 partition found\n");
}

TEST(KernelInit, NoStepsIsFine)
{
    g_trace.clear();
    run_init_steps(nullptr, nullptr);
    EXPECT_EQ(g_trace, "");
}
