// Periodic snapshot saving (issue 8: "at `snap save`, at `poweroff`, and
// (configurable) periodically"), so a machine that loses power without a
// `poweroff` still starts hot at its next boot.
//
// Every `snap every SECONDS` (default 60; 0 turns it off) the kernel saves
// the snapshot of each module whose JIT state changed since its snapshot was
// last written or loaded: a tier change, new or replaced code. Counters
// alone do not count, so an idle machine, or one running code that has
// settled at its tier, never rewrites the disk.
//
// The check runs only where no module code can be running and no command is
// half-way through the volume: from the shell's idle wait at an empty prompt
// (line_editor.h, once per timer tick) and between the lines of
// /AUTORUN.TXT. Never from an interrupt handler. A successful periodic save
// prints nothing (the prompt is already on the screen); `snap` shows when it
// last ran. A failure prints one line.
#include <kernel/init.h>
#include <kernel/snapshot/snapshot.h>
#include <kernel/lib/kprintf.h>
#include <kernel/shell/line_editor.h>
#include <kernel/time/clock.h>
#include <microjit/runtime/fnv1a64.h>

namespace {

constexpr u64 ns_per_second = 1000000000ull;

u32 s_period_seconds = default_snapshot_period_seconds;
u64 s_next_due_ns; // now_ns() at which the next check is due (0: not yet set)
bool s_busy;       // a save is running (a hook must never re-enter it)

// Figures for `snap`.
u64 s_last_run_ns;
u32 s_last_saved;
u32 s_files_saved;

void idle_hook() { snapshot_periodic_tick(); }

ErrorOr<void> install_idle_hook()
{
    set_line_idle_hook(idle_hook);
    return {};
}
KERNEL_INIT(KERNEL_INIT_SERVICES, "snapshot-periodic", install_idle_hook);

} // namespace

u64 snapshot_state_fingerprint(const LoadedModule& slot)
{
    // What a save would write as code: which functions have code, at which
    // tier and ISA, and which blocks (a recompile or a specialisation always
    // gives a new block).
    u64 hash = fnv1a64_offset_basis;
    for (u32 f = 0; f < slot.module->function_count; ++f) {
        const JitFunctionProfile& p = slot.jit->profile(f);
        struct [[gnu::packed]] {
            u32 function, code, size, generic_code;
            u8 tier, isa;
        } item { f, reinterpret_cast<u32>(p.code), p.code_size, reinterpret_cast<u32>(p.generic_code), p.tier,
                 static_cast<u8>(p.isa) };
        hash = fnv1a64_update(hash, reinterpret_cast<const u8*>(&item), sizeof(item));
    }
    // Never 0, which means "no snapshot written or loaded".
    return hash ? hash : 1;
}

void mark_snapshot_current(LoadedModule& slot) { slot.saved_fingerprint = snapshot_state_fingerprint(slot); }

bool snapshot_is_stale(const LoadedModule& slot)
{
    return slot.used && slot.has_environment && slot.saved_fingerprint != snapshot_state_fingerprint(slot);
}

u32 snapshot_period_seconds() { return s_period_seconds; }

void set_snapshot_period_seconds(u32 seconds)
{
    s_period_seconds = seconds;
    s_next_due_ns = seconds ? now_ns() + seconds * ns_per_second : 0;
}

void snapshot_periodic_tick()
{
    if (!s_period_seconds || s_busy || !jit_system_ready())
        return;
    u64 now = now_ns();
    if (!s_next_due_ns) {
        s_next_due_ns = now + s_period_seconds * ns_per_second;
        return;
    }
    if (now < s_next_due_ns)
        return;
    // Native code never runs here (the prompt, or between script lines); a
    // non-zero depth would mean a caller broke that rule: wait for the next.
    if (jit_runtime().retirement().native_depth() != 0)
        return;
    s_busy = true;
    u32 saved = 0;
    for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
        if (!snapshot_is_stale(*slot))
            continue;
        auto size = save_snapshot(*slot, false);
        if (size.is_error()) {
            char path[32];
            snapshot_path(*slot, path, sizeof(path));
            kprintf("snap: periodic save of %s failed: %s\n", path, error_message(size.error()));
            // Not retried every period: it is tried again once the state changes.
            mark_snapshot_current(*slot);
            continue;
        }
        ++saved;
    }
    s_last_run_ns = now;
    s_last_saved = saved;
    s_files_saved += saved;
    s_next_due_ns = now_ns() + s_period_seconds * ns_per_second;
    s_busy = false;
}

void print_snapshot_period()
{
    if (!s_period_seconds) {
        kprintf("snap: periodic save off (snap every SECONDS turns it on)\n");
        return;
    }
    kprintf("snap: periodic save every %u s of the modules whose code changed", s_period_seconds);
    if (s_last_run_ns)
        kprintf("; last check at %llu.%03llu s wrote %u; %u file%s written periodically since boot\n",
                s_last_run_ns / ns_per_second, s_last_run_ns % ns_per_second / 1000000, s_last_saved, s_files_saved,
                s_files_saved == 1 ? "" : "s");
    else
        kprintf("; none due yet\n");
}
