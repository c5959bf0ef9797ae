// `snap save|load|ls|clear`, and the snapshot steps at boot and poweroff.
//
// At boot each module's snapshot is tried right after the module loads
// (module_files.cpp calls load_snapshot); `poweroff` saves every module that
// has native code (KERNEL_SHUTDOWN_SERVICES, before the volume is flushed).
// `snap every` sets the period of the periodic save (snapshot_periodic.cpp).
#include <kernel/fs/boot_volume.h>
#include <kernel/init.h>
#include <kernel/jit/arguments.h>
#include <kernel/jit/module_files.h>
#include <kernel/snapshot/snapshot.h>
#include <kernel/snapshot/snapshot_format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>
#include <kernel/shell/command.h>

namespace {

fat16::EntryInfo s_entry;

bool is_snapshot_name(const char* name)
{
    usize n = strlen(name);
    return n > 4 && equals_ignoring_case(name + n - 4, ".snp");
}

// The loaded module a snapshot file belongs to (same file base name).
LoadedModule* owner_of(const char* snp_name)
{
    usize base = 0;
    while (snp_name[base] && snp_name[base] != '.')
        ++base;
    for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
        if (!slot->used)
            continue;
        usize n = 0;
        while (slot->file_name[n] && slot->file_name[n] != '.')
            ++n;
        if (n == base && equals_ignoring_case(slot->file_name, snp_name, n))
            return slot;
    }
    return nullptr;
}

// Calls fn(name) for each *.SNP in /JIT; names are copied first, since fn
// may change the directory.
template<typename Fn>
ErrorOr<u32> for_each_snapshot(Fn fn)
{
    fat16::Volume* volume = TRY(boot_volume());
    fat16::DirectoryIterator it;
    auto opened = volume->open_directory(snapshot::directory, it);
    if (opened.is_error())
        return opened.error() == Error::FsNotFound ? ErrorOr<u32>(0u) : ErrorOr<u32>(opened.error());
    static char names[64][13];
    u32 count = 0;
    while (TRY(it.next(s_entry)) && count < 64) {
        if (!s_entry.is_directory() && is_snapshot_name(s_entry.short_name))
            copy_string(names[count++], sizeof(names[0]), s_entry.short_name);
    }
    for (u32 i = 0; i < count; ++i)
        fn(names[i]);
    return count;
}

void list_one(const char* name)
{
    char path[32];
    snapshot_path_for_file(name, path, sizeof(path));
    u32 size = 0;
    auto read = read_volume_file(path, size, 8u << 20);
    if (read.is_error()) {
        kprintf("%-12s cannot read: %s\n", name, error_message(read.error()));
        return;
    }
    u8* data = read.value();
    char why[160];
    LoadedModule* owner = owner_of(name);
    auto checked = check_snapshot(data, size, owner, why, sizeof(why));
    snapshot::Header h {};
    if (size >= sizeof(h))
        memcpy(&h, data, sizeof(h));
    // Functions with code, from the records (a specialised function has two
    // code entries), when the file is of this version and holds them.
    u32 with_code = 0, specialised = 0;
    bool counted = size >= sizeof(h) && h.format_version == snapshot::format_version
        && static_cast<u64>(h.profiles_offset) + sizeof(snapshot::FunctionRecord) * static_cast<u64>(h.function_count) <= size;
    for (u32 f = 0; counted && f < h.function_count; ++f) {
        snapshot::FunctionRecord r;
        memcpy(&r, data + h.profiles_offset + sizeof(r) * f, sizeof(r));
        with_code += r.code_entries ? 1 : 0;
        specialised += r.code_entries == 2 ? 1 : 0;
    }
    kfree(data);
    if (checked.is_error() && (checked.error() == Error::SnapshotBadMagic || checked.error() == Error::SnapshotTruncated
                               || checked.error() == Error::SnapshotBadChecksum || checked.error() == Error::SnapshotCorrupt)) {
        kprintf("%-12s %8u bytes  unusable: %s (%s)\n", name, size, error_message(checked.error()), why);
        return;
    }
    h.module_name[sizeof(h.module_name) - 1] = 0;
    kprintf("%-12s %8u bytes  module %s hash %016llx, jit %016llx, cpu %#x, ", name, size, h.module_name, h.module_hash,
            h.jit_version, h.cpu_features);
    if (counted)
        kprintf("%u of %u functions with code (%u specialised), boot %u\n", with_code, h.function_count, specialised,
                h.boot_count);
    else
        kprintf("%u code entries, boot %u\n", h.code_count, h.boot_count);
    if (checked.is_error())
        kprintf("%-12s would be ignored: %s (%s)\n", "", error_message(checked.error()), why);
    else if (!owner)
        kprintf("%-12s no loaded module of that name\n", "");
    else
        kprintf("%-12s valid for the loaded %s\n", "", owner->module->name);
}

ErrorOr<void> set_period(const char* text)
{
    i32 seconds;
    if (!parse_i32_literal(text, seconds) || seconds < 0) {
        kprintf("snap every: '%s' is not a number of seconds (0 turns periodic saving off)\n", text);
        return Error::BadArguments;
    }
    set_snapshot_period_seconds(static_cast<u32>(seconds));
    print_snapshot_period();
    return {};
}

ErrorOr<void> cmd_snap(int argc, char** argv)
{
    if (!jit_system_ready())
        return Error::NotSupported;
    if (argc == 1) {
        print_snapshot_period();
        return {};
    }
    if (argc == 3 && string_equals(argv[1], "every"))
        return set_period(argv[2]);
    if (argc != 2)
        return Error::BadArguments;
    if (string_equals(argv[1], "save"))
        return save_all_snapshots();
    if (string_equals(argv[1], "load")) {
        u32 loaded = 0;
        for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
            if (slot->used && !load_snapshot(*slot, false).is_error())
                ++loaded;
        }
        kprintf("snap: %u snapshot%s loaded\n", loaded, loaded == 1 ? "" : "s");
        return {};
    }
    if (string_equals(argv[1], "ls")) {
        u32 n = TRY(for_each_snapshot(list_one));
        kprintf("%u snapshot%s in %s\n", n, n == 1 ? "" : "s", snapshot::directory);
        print_snapshot_period();
        return {};
    }
    if (string_equals(argv[1], "clear")) {
        fat16::Volume* volume = TRY(boot_volume());
        u32 removed = 0;
        Error first = Error::Ok;
        TRY(for_each_snapshot([&](const char* name) {
            char path[32];
            snapshot_path_for_file(name, path, sizeof(path));
            auto done = volume->remove(path);
            if (done.is_error() && first == Error::Ok)
                first = done.error();
            removed += done.is_error() ? 0 : 1;
        }));
        TRY(volume->sync());
        kprintf("snap: %u snapshot%s removed\n", removed, removed == 1 ? "" : "s");
        if (first != Error::Ok)
            return first;
        return {};
    }
    return Error::BadArguments;
}
SHELL_COMMAND("snap", "snap [save|load|ls|clear|every SECONDS]",
              "JIT snapshots in /JIT: save native code and profiles, load them, list them with their keys, delete them, "
              "save changed ones every SECONDS (0: off)",
              cmd_snap);

ErrorOr<void> save_at_poweroff()
{
    if (!jit_system_ready())
        return {};
    return save_all_snapshots();
}
KERNEL_SHUTDOWN(KERNEL_SHUTDOWN_SERVICES, "jit-snapshots", save_at_poweroff);

} // namespace
