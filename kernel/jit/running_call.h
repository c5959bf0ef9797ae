// The module call the shell is running, so that an interrupt can stop it:
// Ctrl-C on the serial console or the keyboard, or the watchdog when the
// call has run longer than its limit. Both end the call with the trap
// TrapInterrupted at whatever tier it runs (microjit/jit/interrupt.cpp);
// the module, its instance and its profile stay usable.
//
//   {
//       RunningCall running(*slot->jit);   // clears any old request, arms the watchdog
//       auto result = slot->jit->call(...);
//   }                                       // disarms
//   if (running.reason() ...)               // see stop_reason()
#pragma once

#include <bareflow/types.h>
#include <microjit/jit/jit.h>

enum class StopReason : u8 { None, BreakKey, Watchdog };

class RunningCall {
public:
    explicit RunningCall(JitInstance& jit);
    ~RunningCall();
    RunningCall(const RunningCall&) = delete;
    RunningCall& operator=(const RunningCall&) = delete;
};

// Why the last call was stopped (None: it was not).
StopReason last_stop_reason();

// The per-call time limit in seconds; 0 turns the watchdog off.
u32 watchdog_seconds();
void set_watchdog_seconds(u32 seconds);
inline constexpr u32 default_watchdog_seconds = 60;

// After a TrapInterrupted: one line that says what stopped the call.
void print_stop_reason();
