// `watchdog [SECONDS]`: the time limit for one module call (`run`, each
// call of `bench`, and the same commands in AUTORUN.TXT). A call that runs
// longer ends with the trap TrapInterrupted, as Ctrl-C ends it; 0 turns the
// watchdog off. See kernel/jit/running_call.h.
#include <kernel/jit/arguments.h>
#include <kernel/jit/running_call.h>
#include <kernel/lib/kprintf.h>
#include <kernel/shell/command.h>

namespace {

// Up to a day: the tick deadline stays far from any overflow.
constexpr u32 max_seconds = 86400;

ErrorOr<void> cmd_watchdog(int argc, char** argv)
{
    if (argc > 2)
        return Error::BadArguments;
    if (argc == 2) {
        i32 seconds;
        if (!parse_i32_literal(argv[1], seconds) || seconds < 0 || static_cast<u32>(seconds) > max_seconds) {
            kprintf("watchdog: '%s' is not a number of seconds (0 .. %u; 0 turns the watchdog off)\n", argv[1], max_seconds);
            return Error::BadArguments;
        }
        set_watchdog_seconds(static_cast<u32>(seconds));
    }
    if (watchdog_seconds())
        kprintf("watchdog: a module call is stopped after %u s (Ctrl-C stops it at once)\n", watchdog_seconds());
    else
        kprintf("watchdog: off (Ctrl-C stops a module call)\n");
    return {};
}
SHELL_COMMAND("watchdog", "watchdog [SECONDS]",
              "show or set the time limit for one module call (0: off); Ctrl-C stops a call at once", cmd_watchdog);

}
