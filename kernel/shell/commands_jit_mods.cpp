// `mods` and `tiers [MOD]`: what is loaded, and what the JIT made of it.
//
// `tiers` shows one line per function from its JitFunctionProfile: calls,
// the tier running it now, the instruction set its code uses, code size,
// where the code came from ("jit": compiled in this boot, "snap": loaded
// from a snapshot), how many times a JIT tier compiled it since it loaded,
// compile time per tier, the call count at each tier-up, and back-offs.
// The ISA is the one the installed code was compiled for (its profile):
// tier 1 emits SSE2 only, tier 2 SSE2 or AVX2 (`jit isa`). `spec` names the
// parameter values the installed code is specialised on ("-": generic
// code), followed by the guard failures counted so far and any
// re-specialisations and back-offs (docs/specialisation.md).
#include <kernel/jit/arguments.h>
#include <kernel/jit/jit_system.h>
#include <kernel/jit/tier2_setup.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/shell/command.h>
#include <kernel/time/clock.h>
#include <microjit/jit/stats_format.h>
#include <microjit/module/files.h>

namespace {

ErrorOr<void> cmd_mods(int argc, char**)
{
    if (argc != 1)
        return Error::BadArguments;
    if (!jit_system_ready())
        return Error::NotSupported;
    char signature[160];
    u32 modules = 0;
    for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
        if (!slot->used)
            continue;
        const Module& m = *slot->module;
        ++modules;
        kprintf("%s (%s, %u bytes, hash %016llx): %u function%s\n", m.name, slot->file_name, m.image_size,
                m.content_hash, m.function_count, m.function_count == 1 ? "" : "s");
        for (u32 f = 0; f < m.function_count; ++f) {
            format_signature(m.functions[f], signature, sizeof(signature));
            kprintf("  %s\n", signature);
        }
        // Buffers: what `run` takes for a view argument, `load` fills and `save` writes.
        for (u32 b = 0; b < m.buffer_count; ++b)
            kprintf("  buf %s: [%s; %u]\n", m.buffers[b].name, m.buffers[b].type == ValueType::ViewI32 ? "i32" : "f32",
                    slot->instance->buffers[b].length);
        // File items: what the module may read and write (`bind` changes them).
        for (u32 i = 0; i < m.file_count; ++i) {
            const char* path = file_path(*slot->instance, i);
            kprintf("  file %s: %s\n", m.files[i].name, path[0] ? path : "(not bound)");
        }
    }
    kprintf("%u module%s loaded\n", modules, modules == 1 ? "" : "s");
    return {};
}
SHELL_COMMAND("mods", "mods", "list the loaded Flow modules with their functions, signatures, buffers and file items", cmd_mods);

u64 cycles_to_us(u64 cycles)
{
    u64 hz = tsc_hz();
    return hz ? cycles * 1000000 / hz : 0;
}

void print_tiers(const LoadedModule& slot)
{
    const Module& m = *slot.module;
    const JitInstance& jit = *slot.jit;
    kprintf("%s:\n", m.name);
    kprintf("  %-20s %10s %4s %5s %6s %-4s %8s %9s %9s %13s %7s  %s\n", "function", "calls", "tier", "isa", "code", "from",
            "compiles", "t1 us", "t2 us", "tier-up at", "backoff", "spec");
    for (u32 f = 0; f < m.function_count; ++f) {
        const JitFunctionProfile& p = jit.profile(f);
        char up_at[32];
        if (p.tier_up_at_calls[2])
            format_to(up_at, sizeof(up_at), "%u/%u", p.tier_up_at_calls[1], p.tier_up_at_calls[2]);
        else if (p.tier >= 1)
            format_to(up_at, sizeof(up_at), "%u", p.tier_up_at_calls[1]);
        else
            format_to(up_at, sizeof(up_at), "-");
        const char* from = !p.code ? "-" : (p.code == slot.snapshot_code[f] ? "snap" : "jit");
        char spec[64];
        format_specialisation(p.spec, spec, sizeof(spec));
        u64 guard_failures = p.guard_failures + (p.specialised ? jit.native_state(f).guard_failures : 0);
        kprintf("  %-20s %10llu %4u %5s %6u %-4s %8u %9llu %9llu %13s %7u  %s", m.functions[f].name, jit.calls(f), p.tier,
                p.tier ? isa_name(p.isa) : "-", p.code_size, from, slot.compiles[f], cycles_to_us(p.compile_cycles[1]),
                cycles_to_us(p.compile_cycles[2]), up_at, p.backoffs, spec);
        if (p.specialised || p.specialisations)
            kprintf(" guard failures %llu", guard_failures);
        if (p.respecialisations)
            kprintf(", re-specialised %u", p.respecialisations);
        if (p.spec_backoffs)
            kprintf(", spec back-offs %u%s", p.spec_backoffs, p.spec_given_up ? " (given up)" : "");
        if (p.given_up)
            kprintf(" given up: %s", error_message(p.last_error));
        else if (p.failed_tier)
            kprintf(" last failure at tier %u: %s", p.failed_tier, error_message(p.last_error));
        kprintf("\n");
    }
}

ErrorOr<void> cmd_tiers(int argc, char** argv)
{
    if (argc > 2)
        return Error::BadArguments;
    if (!jit_system_ready())
        return Error::NotSupported;
    if (argc == 2) {
        LoadedModule* slot = find_loaded_module(argv[1]);
        if (!slot)
            return Error::NoSuchModule;
        print_tiers(*slot);
        return {};
    }
    for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
        if (slot->used)
            print_tiers(*slot);
    }
    return {};
}
SHELL_COMMAND("tiers", "tiers [MOD]",
              "per function: calls, tier, ISA, code size, compile times, tier-up points, back-offs", cmd_tiers);

} // namespace
