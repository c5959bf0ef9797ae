// `run MOD.FUNC ARGS...` and `bench MOD.FUNC N ARGS...`: calls through the
// JIT with its tier policy, as any caller would, so a hot function tiers up
// inside the kernel while it is being measured.
//
// Times come from now_ns() (the TSC) around each call; they include the
// shell's call path into the instance (call_function and the native entry),
// which is what a user of the module pays. Ctrl-C and the watchdog stop a
// call (running_call.h).
#include <kernel/jit/arguments.h>
#include <kernel/jit/jit_system.h>
#include <kernel/jit/running_call.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/shell/command.h>
#include <kernel/time/clock.h>

namespace {

constexpr u32 max_params = 32;

void print_duration(u64 ns)
{
    if (ns < 10000)
        kprintf("%llu ns", ns);
    else if (ns < 10000000)
        kprintf("%llu.%03llu us", ns / 1000, ns % 1000);
    else
        kprintf("%llu.%03llu ms", ns / 1000000, ns / 1000 % 1000);
}

ErrorOr<FunctionRef> lookup(const char* spec)
{
    if (!jit_system_ready())
        return Error::NotSupported;
    auto found = resolve_function(spec);
    if (found.is_error() && found.error() == Error::NoSuchFunction)
        kprintf("%s: no function of that name (see `mods`)\n", spec);
    return found;
}

ErrorOr<void> cmd_run(int argc, char** argv)
{
    if (argc < 2)
        return Error::BadArguments;
    FunctionRef ref = TRY(lookup(argv[1]));
    const FunctionInfo& f = ref.slot->module->functions[ref.function];
    Value args[max_params];
    TRY(parse_function_arguments(*ref.slot, f, argv + 2, argc - 2, args));

    u64 start = now_ns();
    ErrorOr<Value> result = Error::Ok;
    {
        RunningCall running(*ref.slot->jit);
        result = ref.slot->jit->call(ref.function, args, f.param_count);
    }
    u64 elapsed = now_ns() - start;
    if (result.is_error()) {
        print_trap(*ref.slot->instance);
        if (result.error() == Error::TrapInterrupted)
            print_stop_reason();
        return {};
    }
    print_result(f, result.value());
    kprintf("time: ");
    print_duration(elapsed);
    kprintf(" (tier %u)\n", ref.slot->jit->profile(ref.function).tier);
    return {};
}
SHELL_COMMAND("run", "run MOD.FUNC [ARGS...]",
              "call a module function (tier policy applies); print the result and the time", cmd_run);

// `bench`: the first call is the "start" figure (interpreted unless the
// function is already hot); the "end" figure is the mean of the last tenth
// of the calls (at least one), when the tier has settled.
ErrorOr<void> cmd_bench(int argc, char** argv)
{
    if (argc < 3)
        return Error::BadArguments;
    FunctionRef ref = TRY(lookup(argv[1]));
    u32 count;
    if (!parse_count(argv[2], count)) {
        kprintf("bench: '%s' is not a call count (1 .. 2^31-1)\n", argv[2]);
        return Error::BadArguments;
    }
    const FunctionInfo& f = ref.slot->module->functions[ref.function];
    Value args[max_params];
    TRY(parse_function_arguments(*ref.slot, f, argv + 3, argc - 3, args));

    JitInstance& jit = *ref.slot->jit;
    u8 first_tier = jit.profile(ref.function).tier;
    u32 tail = count / 10 ? count / 10 : 1;
    u64 first_ns = 0, tail_ns = 0;
    u64 start = now_ns();
    Value last {};
    for (u32 i = 0; i < count; ++i) {
        u64 t0 = now_ns();
        ErrorOr<Value> result = Error::Ok;
        {
            RunningCall running(jit);
            result = jit.call(ref.function, args, f.param_count);
        }
        u64 t1 = now_ns();
        if (result.is_error()) {
            kprintf("bench: call %u of %u: ", i + 1, count);
            print_trap(*ref.slot->instance);
            if (result.error() == Error::TrapInterrupted)
                print_stop_reason();
            return {};
        }
        last = result.value();
        if (i == 0)
            first_ns = t1 - t0;
        if (i >= count - tail)
            tail_ns += t1 - t0;
    }
    u64 total = now_ns() - start;
    const JitFunctionProfile& p = jit.profile(ref.function);
    kprintf("start: %llu ns per call (first call, tier %u)\n", first_ns, first_tier);
    kprintf("end: %llu ns per call (mean of the last %u call%s, tier %u)\n", tail_ns / tail, tail, tail == 1 ? "" : "s",
            p.tier);
    kprintf("tier reached: %u after %llu calls in all; %u calls took ", p.tier, jit.calls(ref.function), count);
    print_duration(total);
    kprintf("\n");
    if (f.return_type != ValueType::Void) {
        kprintf("result: ");
        print_result(f, last);
    }
    return {};
}
SHELL_COMMAND("bench", "bench MOD.FUNC N [ARGS...]",
              "call a module function N times; ns per call at the start and at the end, tier reached", cmd_bench);

} // namespace
