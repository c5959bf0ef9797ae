// `bind MOD`, `bind MOD.FILE PATH` and `resize MOD.BUF N`: what the shell
// changes in a loaded module between runs. A module's file items are the
// only files it can reach (docs/flow-language.md, "Files"); `bind` points
// one at another path of the boot volume. `resize` sizes a buffer to the
// data (the first elements are kept, new ones are zero) and sends the
// module's functions back to tier 0, since native code may have embedded
// the old buffer (microjit/jit/jit_resize.cpp).
#include <kernel/jit/arguments.h>
#include <kernel/jit/jit_system.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/shell/command.h>
#include <microjit/module/files.h>
#include <microjit/module/format.h>

namespace {

void list_files(const LoadedModule& slot)
{
    const Module& module = *slot.module;
    if (module.file_count == 0) {
        kprintf("%s has no file items\n", module.name);
        return;
    }
    for (u32 i = 0; i < module.file_count; ++i) {
        const char* path = file_path(*slot.instance, i);
        kprintf("  %s.%-16s %s\n", module.name, module.files[i].name, path[0] ? path : "(not bound)");
    }
}

ErrorOr<void> cmd_bind(int argc, char** argv)
{
    if (argc < 2 || argc > 3 || !jit_system_ready())
        return Error::BadArguments;
    const char* spec = argv[1];
    const char* dot = spec;
    while (*dot && *dot != '.')
        ++dot;
    if (!*dot)
        dot = nullptr;
    char module_name[64];
    usize length = dot ? static_cast<usize>(dot - spec) : strlen(spec);
    if (length == 0 || length >= sizeof(module_name))
        return Error::NoSuchModule;
    memcpy(module_name, spec, length);
    module_name[length] = 0;
    LoadedModule* slot = find_loaded_module(module_name);
    if (!slot)
        return Error::NoSuchModule;
    if (!dot) {
        if (argc != 2)
            return Error::BadArguments;
        list_files(*slot);
        return {};
    }
    if (argc != 3)
        return Error::BadArguments;
    const Module& module = *slot->module;
    for (u32 i = 0; i < module.file_count; ++i) {
        if (!equals_ignoring_case(module.files[i].name, dot + 1))
            continue;
        if (bind_file(*slot->instance, i, argv[2]).is_error()) {
            kprintf("bind: '%s' is not a path: it must start with '/' and have 1-%u printable characters\n", argv[2],
                    bfm::max_file_path);
            return Error::BadArguments;
        }
        kprintf("bind: %s.%s -> %s\n", module.name, module.files[i].name, argv[2]);
        return {};
    }
    kprintf("bind: %s has no file item '%s' (`bind %s` lists them)\n", module.name, dot + 1, module.name);
    return Error::NoSuchFileItem;
}
SHELL_COMMAND("bind", "bind MOD [.FILE PATH]",
              "list a module's file items and their paths, or point one at a file of the boot volume", cmd_bind);

ErrorOr<void> cmd_resize(int argc, char** argv)
{
    if (argc != 3 || !jit_system_ready())
        return Error::BadArguments;
    auto found = resolve_buffer(argv[1], nullptr);
    if (found.is_error()) {
        kprintf("resize: '%s' is not a buffer of a loaded module (MOD.BUF; `mods` lists them)\n", argv[1]);
        return found.error();
    }
    BufferRef buffer = found.value();
    i32 count = 0;
    if (!parse_i32_literal(argv[2], count) || count < 1 || static_cast<u32>(count) > bfm::max_buffer_elements) {
        kprintf("resize: '%s' is not an element count (1 .. %u)\n", argv[2], bfm::max_buffer_elements);
        return Error::BadArguments;
    }
    LoadedModule& slot = *buffer.slot;
    u32 old = buffer.view().length;
    auto resized = slot.jit->resize_buffer(buffer.buffer, static_cast<u32>(count));
    if (resized.is_error()) {
        if (resized.error() == Error::OutOfMemory || resized.error() == Error::PoolExhausted) {
            PoolStats data = jit_pools().data.stats();
            kprintf("resize: %s.%s needs %u KiB; the data pool has %u KiB free in one block (of %u KiB; the pools get %u%% "
                    "of free memory): boot with more memory (QEMU -m)\n",
                    slot.module->name, buffer.info().name, static_cast<u32>((4ull * static_cast<u32>(count) + 1023) / 1024),
                    static_cast<u32>(data.largest_free / 1024), static_cast<u32>(data.capacity / 1024), pool_share_percent);
        }
        return resized.error();
    }
    // The native code is gone: what a snapshot would keep starts afresh.
    slot.has_environment = false;
    for (u32 f = 0; f < slot.module->function_count; ++f)
        slot.snapshot_code[f] = nullptr;
    kprintf("resize: %s.%s: %u -> %d elements; its functions run at tier 0 again\n", slot.module->name, buffer.info().name, old,
            count);
    return {};
}
SHELL_COMMAND("resize", "resize MOD.BUF N",
              "give a module's buffer N elements (the first ones are kept, new ones are zero)", cmd_resize);

}
