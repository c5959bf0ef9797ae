// Stopping the running module call from an interrupt (see running_call.h).
//
// Ctrl-C: the serial and keyboard interrupt handlers offer the key to
// on_break_key (kernel/drivers/break_key.h). The watchdog: IRQ 0 calls
// on_tick at PIT_TICK_HZ, which compares the tick count with the call's
// deadline. Either sets the instance's interrupt request; then the EIP of
// the interrupted context is handed to JitInstance::interrupt_target, which
// sends native code to its trap exit. When the interrupt came in C++ code
// (the interpreter, a compile, a helper), EIP stays; the interpreter stops
// at its next back edge or call, and every later tick tries again for code
// that went back to native code.
#include <kernel/arch/x86/interrupt_frame.h>
#include <kernel/drivers/break_key.h>
#include <kernel/init.h>
#include <kernel/jit/running_call.h>
#include <kernel/lib/kprintf.h>
#include <kernel/time/clock.h>
#include <kernel/time/pit.h>

namespace {

// Written by the shell with interrupts on, read by interrupt handlers: one
// aligned word each, so a handler sees the old value or the new one.
JitInstance* volatile s_running;
volatile u64 s_deadline; // tick count at which the watchdog fires; 0: never
volatile StopReason s_reason;
u32 s_watchdog_seconds = default_watchdog_seconds;

void stop(InterruptFrame* frame, StopReason reason)
{
    JitInstance* jit = s_running;
    if (!jit || !jit->instance())
        return;
    if (!interrupt_requested(*jit->instance())) {
        s_reason = reason;
        request_interrupt(*jit->instance());
    }
    if (!frame)
        return;
    if (const void* target = jit->interrupt_target(frame->eip))
        frame->eip = static_cast<u32>(reinterpret_cast<uptr>(target));
}

bool on_break_key(InterruptFrame* frame)
{
    if (!s_running)
        return false; // no call: Ctrl-C is input for the line editor
    stop(frame, StopReason::BreakKey);
    return true;
}

void on_tick(InterruptFrame& frame)
{
    JitInstance* jit = s_running;
    if (!jit || !jit->instance())
        return;
    u64 deadline = s_deadline;
    if (deadline && timer_ticks() >= deadline)
        stop(&frame, StopReason::Watchdog);
    else if (interrupt_requested(*jit->instance()))
        stop(&frame, StopReason::BreakKey); // a request native code has not seen yet
}

ErrorOr<void> install_handlers()
{
    set_break_handler(on_break_key);
    pit_set_tick_handler(on_tick);
    return {};
}
KERNEL_INIT(KERNEL_INIT_SERVICES, "call-interrupts", install_handlers);

}

RunningCall::RunningCall(JitInstance& jit)
{
    s_reason = StopReason::None;
    clear_interrupt(*jit.instance());
    s_deadline = s_watchdog_seconds ? timer_ticks() + u64(s_watchdog_seconds) * PIT_TICK_HZ : 0;
    s_running = &jit;
}

RunningCall::~RunningCall()
{
    s_running = nullptr;
    s_deadline = 0;
}

StopReason last_stop_reason() { return s_reason; }
u32 watchdog_seconds() { return s_watchdog_seconds; }
void set_watchdog_seconds(u32 seconds) { s_watchdog_seconds = seconds; }

void print_stop_reason()
{
    switch (s_reason) {
    case StopReason::BreakKey:
        kprintf("stopped by Ctrl-C\n");
        break;
    case StopReason::Watchdog:
        kprintf("stopped by the watchdog: the call ran longer than %u s (`watchdog SECONDS` sets the limit, 0 turns it off)\n",
                s_watchdog_seconds);
        break;
    case StopReason::None:
        break;
    }
}
