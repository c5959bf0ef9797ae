// `pools`, `jit policy [A B C]` and `jit isa [auto|sse2|avx2]`: the JIT's
// memory, its thresholds and the instruction set tier 2 compiles for.
//
// A new policy applies to every loaded module at once: each JitInstance is
// attached again, which sets the instance's tier-0 thresholds. The
// interpreter reports a counter when it *reaches* the threshold, so a
// function whose call count is already past a lowered threshold waits for
// its next tier-up check (native code re-reads the policy at each
// install). See docs/jit.md, "Tier policy".
#include <kernel/jit/arguments.h>
#include <kernel/jit/jit_system.h>
#include <kernel/jit/tier2_setup.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/shell/command.h>

namespace {

template<typename P>
void print_pool(const P& pool)
{
    PoolStats s = pool.stats();
    kprintf("%-9s %8u KiB %12u %12u %6u %10u KiB %8u %8u %5u\n", pool.name(), static_cast<u32>(s.capacity / 1024),
            static_cast<u32>(s.used), static_cast<u32>(s.peak), static_cast<u32>(s.free_blocks),
            static_cast<u32>(s.largest_free / 1024), s.allocations, s.frees, s.failures);
}

ErrorOr<void> cmd_pools(int argc, char**)
{
    if (argc != 1)
        return Error::BadArguments;
    if (!jit_system_ready())
        return Error::NotSupported;
    PoolSet& pools = jit_pools();
    kprintf("%-9s %12s %12s %12s %6s %14s %8s %8s %5s\n", "pool", "capacity", "used bytes", "peak bytes", "holes", "largest free",
            "allocs", "frees", "fails");
    print_pool(pools.code);
    print_pool(pools.data);
    print_pool(pools.metadata);
    CodeRetirement& retirement = jit_runtime().retirement();
    kprintf("retired code: %u freed, %u waiting, %u kept forever (list full)\n", retirement.freed(),
            retirement.pending(), retirement.leaked());
    return {};
}
SHELL_COMMAND("pools", "pools", "the JIT's code, data and metadata pools: size, use, peak, fragmentation", cmd_pools);

void print_policy(const TierPolicy& p)
{
    kprintf("tier 0 -> 1: %u calls or %u loop iterations\n", p.tier1_calls, p.tier1_loop_iterations);
    kprintf("tier 1 -> 2: %u calls%s\n", p.tier2_calls, jit_runtime().compiler(2) ? "" : " (no tier-2 compiler in this kernel)");
    kprintf("re-specialisation: %u calls\n", p.respecialise_calls);
    kprintf("back-off: %u calls doubling up to %u, give up after %u failures\n", p.backoff_initial, p.backoff_max,
            p.max_attempts);
}

const char* setting_name(IsaSetting setting)
{
    switch (setting) {
    case IsaSetting::Auto:
        return "auto";
    case IsaSetting::Sse2:
        return "sse2";
    case IsaSetting::Avx2:
        return "avx2";
    }
    return "?";
}

// A new ISA applies to every later tier-2 compile, and the functions running
// at tier 2 now are compiled again for it, so `tiers` and the code agree.
ErrorOr<void> cmd_jit_isa(int argc, char** argv)
{
    if (argc > 3)
        return Error::BadArguments;
    if (argc == 3) {
        IsaSetting setting;
        if (string_equals(argv[2], "auto"))
            setting = IsaSetting::Auto;
        else if (string_equals(argv[2], "sse2"))
            setting = IsaSetting::Sse2;
        else if (string_equals(argv[2], "avx2"))
            setting = IsaSetting::Avx2;
        else {
            kprintf("jit isa: '%s' is not an ISA (auto, sse2 or avx2)\n", argv[2]);
            return Error::BadArguments;
        }
        if (set_isa_setting(setting).is_error()) {
            kprintf("jit isa: this CPU cannot run AVX2 code (CPUID lacks AVX/AVX2/OSXSAVE or XCR0 lacks AVX state)\n");
            return Error::NotSupported;
        }
        u32 recompiled = 0, failed = 0;
        for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
            if (!slot->used)
                continue;
            for (u32 f = 0; f < slot->module->function_count; ++f) {
                if (slot->jit->profile(f).tier != 2 || slot->jit->profile(f).isa == effective_isa())
                    continue;
                if (slot->jit->compile(f, 2).is_error())
                    ++failed;
                else
                    ++recompiled;
            }
        }
        if (recompiled || failed)
            kprintf("jit isa: %u tier-2 function%s compiled again (%u failed)\n", recompiled, recompiled == 1 ? "" : "s",
                    failed);
    }
    kprintf("jit isa: %s, tier 2 compiles for %s (AVX2 %s by CPUID and XCR0)\n", setting_name(isa_setting()),
            isa_name(effective_isa()), cpu_allows_avx2() ? "allowed" : "not allowed");
    return {};
}

ErrorOr<void> cmd_jit(int argc, char** argv)
{
    if (argc < 2)
        return Error::BadArguments;
    if (!jit_system_ready())
        return Error::NotSupported;
    if (string_equals(argv[1], "isa"))
        return cmd_jit_isa(argc, argv);
    if (!string_equals(argv[1], "policy"))
        return Error::BadArguments;
    TierPolicy& policy = jit_runtime().policy();
    if (argc == 2) {
        print_policy(policy);
        return {};
    }
    if (argc != 5 && argc != 6)
        return Error::BadArguments;
    u32 values[4];
    for (int i = 2; i < argc; ++i) {
        if (!parse_count(argv[i], values[i - 2])) {
            kprintf("jit policy: '%s' is not a threshold (1 .. 2^31-1)\n", argv[i]);
            return Error::BadArguments;
        }
    }
    char text[64];
    if (argc == 5)
        format_to(text, sizeof(text), "%u,%u,%u", values[0], values[1], values[2]);
    else
        format_to(text, sizeof(text), "%u,%u,%u,%u", values[0], values[1], values[2], values[3]);
    TierPolicy candidate = policy;
    if (candidate.parse_thresholds(text).is_error() || candidate.validate().is_error()) {
        kprintf("jit policy: thresholds must rise with the tier (A < B < C)\n");
        return Error::BadArguments;
    }
    policy = candidate;
    for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
        if (slot->used)
            slot->jit->attach(*slot->instance);
    }
    print_policy(policy);
    return {};
}
SHELL_COMMAND("jit", "jit policy [A B C [L]] | jit isa [auto|sse2|avx2]",
              "show or set the tier-up thresholds (A calls to tier 1, B to tier 2, C to re-specialise, L loop "
              "iterations) or the ISA tier 2 compiles for",
              cmd_jit);

} // namespace
