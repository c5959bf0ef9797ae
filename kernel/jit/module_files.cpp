// Flow modules on the boot volume (see module_files.h).
//
// A refused module never stops anything: the boot, or a reload, carries on
// with the others, and the line printed names the file, the verifier's rule
// and the byte offset it applies to (docs/module-format.md, "Verifier rules").
#include <kernel/fs/boot_volume.h>
#include <kernel/jit/module_files.h>
#include <kernel/snapshot/snapshot.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>

namespace {

// Too big for the stack; the shell runs one command at a time.
fat16::EntryInfo s_entry;

bool has_bfm_extension(const char* name)
{
    usize n = strlen(name);
    return n > 4 && equals_ignoring_case(name + n - 4, ".bfm");
}

// Module files are small (the format caps functions and code); anything
// bigger than this is refused before it is read.
constexpr u32 max_module_file = 4u << 20;

} // namespace

ErrorOr<void> list_module_files(ModuleFileList& out)
{
    out.count = 0;
    out.dropped = 0;
    fat16::Volume* volume = TRY(boot_volume());
    fat16::DirectoryIterator it;
    TRY(volume->open_directory(modules_directory, it));
    while (TRY(it.next(s_entry))) {
        if (s_entry.is_directory() || !has_bfm_extension(s_entry.short_name))
            continue;
        if (out.count == ModuleFileList::capacity) {
            ++out.dropped;
            continue;
        }
        copy_string(out.names[out.count++], sizeof(out.names[0]), s_entry.short_name);
    }
    return {};
}

ErrorOr<u8*> read_volume_file(const char* path, u32& size, u32 limit)
{
    fat16::Volume* volume = TRY(boot_volume());
    fat16::File file;
    TRY(volume->open(path, file));
    if (file.size > limit)
        return Error::FsFileTooLarge;
    u8* bytes = static_cast<u8*>(kmalloc(file.size ? file.size : 1));
    if (!bytes)
        return Error::OutOfMemory;
    u32 done = 0;
    while (done < file.size) {
        auto got = volume->read(file, bytes + done, file.size - done);
        if (got.is_error() || got.value() == 0) {
            kfree(bytes);
            return got.is_error() ? got.error() : Error::IoError;
        }
        done += got.value();
    }
    size = file.size;
    return bytes;
}

ErrorOr<u8*> read_module_file(const char* file_name, u32& size)
{
    char path[32];
    format_to(path, sizeof(path), "%s/%s", modules_directory, file_name);
    return read_volume_file(path, size, max_module_file);
}

ErrorOr<void> build_module_from_file(const char* file_name, LoadedModule& out)
{
    u32 size = 0;
    auto bytes = read_module_file(file_name, size);
    if (bytes.is_error()) {
        kprintf("modules: skipped %s: cannot read it: %s\n", file_name, error_message(bytes.error()));
        return bytes.error();
    }
    ModuleDiagnostic diagnostic {};
    auto built = build_module(file_name, bytes.value(), size, out, diagnostic);
    kfree(bytes.value());
    if (built.is_error()) {
        if (diagnostic.error == built.error() && diagnostic.message[0])
            kprintf("modules: skipped %s: %s (%s)\n", file_name, error_message(built.error()), diagnostic.message);
        else
            kprintf("modules: skipped %s: %s\n", file_name, error_message(built.error()));
        return built.error();
    }
    return {};
}

ErrorOr<void> load_all_modules()
{
    static ModuleFileList files;
    TRY(list_module_files(files));
    u32 loaded = 0, skipped = 0, functions = 0;
    for (u32 i = 0; i < files.count; ++i) {
        LoadedModule built;
        if (build_module_from_file(files.names[i], built).is_error()) {
            ++skipped;
            continue;
        }
        if (LoadedModule* clash = find_module_named(built.module->name)) {
            kprintf("modules: skipped %s: it holds module %s, which is already loaded from %s\n", files.names[i],
                    built.module->name, clash->file_name);
            destroy_loaded_module(built);
            ++skipped;
            continue;
        }
        auto added = add_loaded_module(built);
        if (added.is_error()) {
            kprintf("modules: skipped %s: the module table is full (%u modules)\n", files.names[i], max_loaded_modules);
            destroy_loaded_module(built);
            ++skipped;
            continue;
        }
        ++loaded;
        functions += built.module->function_count;
        usize base = 0;
        while (files.names[i][base] && files.names[i][base] != '.')
            ++base;
        if (base != strlen(built.module->name) || !equals_ignoring_case(files.names[i], built.module->name, base))
            kprintf("modules: %s holds module %s (the file is named after another module); it runs as %s\n",
                    files.names[i], built.module->name, built.module->name);
        // Right after the module, before the next one allocates: a snapshot
        // only takes code-pool and heap memory, so the layout of the modules
        // after it is the same with or without snapshots.
        (void)load_snapshot(*added.value(), false);
    }
    if (files.dropped)
        kprintf("modules: %u more *.BFM files in %s were not looked at (table of %u)\n", files.dropped,
                modules_directory, max_loaded_modules);
    kprintf("modules: %u loaded from %s (%u functions), %u skipped\n", loaded, modules_directory, functions, skipped);
    return {};
}
