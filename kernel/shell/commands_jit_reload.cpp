// `reload [MOD]`: re-read modules from /MODULES while the system runs.
//
// A file whose content hash is unchanged is left alone. A changed file is
// verified in full first; if it is refused, the loaded version stays. If it
// is accepted it gets a new instance, and each of its functions is matched by
// name against the old module:
//   - same bytecode hash (code, register types, signature, name): the
//     function keeps its profile: its call and loop counters carry over and
//     it is compiled at once to the tier it had, so it does not go back
//     through the interpreter;
//   - otherwise (changed or new) it starts again at tier 0.
// Then the table entry switches to the new module and the old one is
// destroyed: its native code leaves the old dispatch table and goes back to
// the code pool under the rule of docs/jit.md ("When superseded code is
// freed"): at the prompt no native frame exists (jit_enter depth zero), so
// it is freed at once and its bytes become int3.
// Buffers are per instance: a reloaded module starts with zeroed buffers.
// A full reload also unloads modules whose file is gone.
//
// The disk may have changed behind the kernel's back (a host writing the
// image with mtools or tools/flowimg.py, another OS on a shared disk), so
// reload first mounts the boot volume again: that drops the driver's sector
// and FAT caches and re-reads the BPB. The kernel's own changes are never
// pending at the prompt (every file command syncs), so the unmount writes
// nothing over the other writer's work.
#include <kernel/fs/boot_volume.h>
#include <kernel/snapshot/compile_tracker.h>
#include <kernel/jit/jit_system.h>
#include <kernel/jit/module_files.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/shell/command.h>
#include <kernel/time/clock.h>

namespace {

ModuleFileList s_files;

bool base_name_matches(const char* file_name, const char* wanted)
{
    if (equals_ignoring_case(file_name, wanted))
        return true;
    usize base = 0;
    while (file_name[base] && file_name[base] != '.')
        ++base;
    return strlen(wanted) == base && equals_ignoring_case(file_name, wanted, base);
}

LoadedModule* slot_for_file(const char* file_name)
{
    for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
        if (slot->used && equals_ignoring_case(slot->file_name, file_name))
            return slot;
    }
    return nullptr;
}

// Carries the profile of every unchanged function from `old` to `fresh`.
void carry_profiles(const LoadedModule& old, LoadedModule& fresh, u32& kept, u32& restarted)
{
    const Module& m = *fresh.module;
    for (u32 f = 0; f < m.function_count; ++f) {
        u32 match = 0xFFFFFFFF;
        for (u32 g = 0; g < old.module->function_count; ++g) {
            if (string_equals(old.module->functions[g].name, m.functions[f].name)) {
                match = g;
                break;
            }
        }
        if (match == 0xFFFFFFFF || old.function_hashes[match] != fresh.function_hashes[f]) {
            ++restarted;
            continue;
        }
        ++kept;
        u64 calls = old.jit->calls(match);
        u64 loops = old.jit->loop_iterations(match);
        fresh.instance->profiles[f].calls = calls > 0xFFFFFFF0ull ? 0xFFFFFFF0u : static_cast<u32>(calls);
        fresh.instance->profiles[f].loop_iterations = loops > 0xFFFFFFF0ull ? 0xFFFFFFF0u : static_cast<u32>(loops);
        u8 tier = old.jit->profile(match).tier;
        if (tier) {
            auto compiled = fresh.jit->compile(f, tier);
            if (compiled.is_error())
                kprintf("reload: %s.%s stays at tier 0: tier %u compile failed: %s\n", m.name, m.functions[f].name, tier,
                        error_message(compiled.error()));
        }
    }
}

void reload_file(const char* file_name)
{
    LoadedModule fresh;
    LoadedModule* old = slot_for_file(file_name);
    if (build_module_from_file(file_name, fresh).is_error()) {
        if (old)
            kprintf("reload: %s: keeping the loaded version\n", old->module->name);
        return;
    }
    if (old && old->module->content_hash == fresh.module->content_hash) {
        kprintf("reload: %s unchanged\n", old->module->name);
        destroy_loaded_module(fresh);
        return;
    }
    LoadedModule* clash = find_module_named(fresh.module->name);
    if (clash && clash != old) {
        kprintf("modules: skipped %s: it holds module %s, which is already loaded from %s\n", file_name, fresh.module->name,
                clash->file_name);
        destroy_loaded_module(fresh);
        return;
    }
    if (!old) {
        auto added = add_loaded_module(fresh);
        if (added.is_error()) {
            kprintf("modules: skipped %s: the module table is full\n", file_name);
            destroy_loaded_module(fresh);
            return;
        }
        kprintf("reload: %s loaded from %s (%u functions, new)\n", fresh.module->name, file_name,
                fresh.module->function_count);
        return;
    }
    u32 kept = 0, restarted = 0;
    set_tracking_slot(&fresh);
    carry_profiles(*old, fresh, kept, restarted);
    set_tracking_slot(nullptr);
    destroy_loaded_module(*old);
    *old = fresh;
    old->used = true;
    kprintf("reload: %s replaced from %s: %u function%s kept %s profile, %u changed or new (tier 0)\n",
            fresh.module->name, file_name, kept, kept == 1 ? "" : "s", kept == 1 ? "its" : "their", restarted);
}

ErrorOr<void> remount_boot_volume()
{
    fat16::Volume* volume = TRY(boot_volume());
    TRY(volume->unmount());
    u64 start = now_ns();
    auto mounted = mount_boot_partition(*volume);
    if (mounted.is_error())
        kprintf("reload: the boot volume could not be mounted again: %s\n", error_message(mounted.error()));
    else if (!volume->mount_report().ok())
        report_mount_check(*volume, now_ns() - start);
    return mounted;
}

ErrorOr<void> cmd_reload(int argc, char** argv)
{
    if (argc > 2)
        return Error::BadArguments;
    if (!jit_system_ready())
        return Error::NotSupported;
    TRY(remount_boot_volume());
    TRY(list_module_files(s_files));
    if (argc == 2) {
        // A loaded module by its name, or a file by its base name.
        LoadedModule* loaded = find_loaded_module(argv[1]);
        for (u32 i = 0; i < s_files.count; ++i) {
            if ((loaded && equals_ignoring_case(loaded->file_name, s_files.names[i]))
                || base_name_matches(s_files.names[i], argv[1])) {
                reload_file(s_files.names[i]);
                return {};
            }
        }
        return loaded ? Error::FsNotFound : Error::NoSuchModule;
    }
    for (u32 i = 0; i < s_files.count; ++i)
        reload_file(s_files.names[i]);
    for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
        if (!slot->used)
            continue;
        bool present = false;
        for (u32 i = 0; i < s_files.count && !present; ++i)
            present = equals_ignoring_case(slot->file_name, s_files.names[i]);
        if (!present) {
            kprintf("reload: %s unloaded (%s/%s is gone)\n", slot->module->name, modules_directory, slot->file_name);
            destroy_loaded_module(*slot);
        }
    }
    return {};
}
SHELL_COMMAND("reload", "reload [MOD]",
              "re-read modules from /MODULES; unchanged functions keep their profile, changed ones restart at tier 0",
              cmd_reload);

} // namespace
