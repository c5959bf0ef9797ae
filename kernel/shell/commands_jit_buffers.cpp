// `load MOD.BUF FILE [OFFSET]` and `save MOD.BUF FILE [COUNT]`: data between
// files on the boot volume and a module's buffers, so a module can work on
// real data and its results can be kept. The bytes are the buffer's elements
// as they lie in memory (little-endian i32 or IEEE f32), which is what
// numpy's tofile(), C's fwrite() of a float array and llama2.c's checkpoints
// are. Whole elements only; nothing is ever written past the buffer.
#include <kernel/fs/boot_volume.h>
#include <kernel/jit/arguments.h>
#include <kernel/jit/jit_system.h>
#include <kernel/lib/kprintf.h>
#include <kernel/shell/command.h>

namespace {

ErrorOr<BufferRef> buffer_argument(const char* command, const char* spec)
{
    if (!jit_system_ready())
        return Error::NotSupported;
    auto found = resolve_buffer(spec, nullptr);
    if (found.is_error())
        kprintf("%s: '%s' is not a buffer of a loaded module (MOD.BUF; `mods` lists them)\n", command, spec);
    return found;
}

ErrorOr<void> cmd_load(int argc, char** argv)
{
    if (argc < 3 || argc > 4)
        return Error::BadArguments;
    BufferRef buffer = TRY(buffer_argument("load", argv[1]));
    i32 offset = 0;
    if (argc == 4 && (!parse_i32_literal(argv[3], offset) || offset < 0)) {
        kprintf("load: '%s' is not a byte offset (0 .. 2^31-1)\n", argv[3]);
        return Error::BadArguments;
    }
    fat16::Volume* volume = TRY(boot_volume());
    fat16::File file;
    TRY(volume->open(argv[2], file));
    if (static_cast<u32>(offset) > file.size) {
        kprintf("load: offset %d is past the end of %s (%u bytes)\n", offset, argv[2], file.size);
        return Error::BadArguments;
    }
    View view = buffer.view();
    u32 available = file.size - static_cast<u32>(offset);
    u32 capacity = view.length * 4;
    u32 bytes = (available < capacity ? available : capacity) & ~3u; // whole elements
    TRY(volume->seek(file, static_cast<u32>(offset)));
    u32 got = TRY(volume->read(file, view.base, bytes));
    if (got != bytes) {
        kprintf("load: %s ended after %u of %u bytes\n", argv[2], got, bytes);
        return Error::FsCorrupt;
    }
    const char* type = buffer.info().type == ValueType::ViewI32 ? "i32" : "f32";
    kprintf("load: %s.%s <- %s: %u bytes (%u %s of %u) from offset %d", buffer.slot->module->name, buffer.info().name,
            argv[2], bytes, bytes / 4, type, view.length, offset);
    if (available > capacity)
        kprintf("; %u more bytes in the file", available - capacity);
    else if (available & 3)
        kprintf("; the last %u bytes are not a whole element", available & 3);
    kprintf("\n");
    return {};
}
SHELL_COMMAND("load", "load MOD.BUF FILE [OFFSET]",
              "read a file (from byte OFFSET) into a module's buffer: as many whole elements as fit", cmd_load);

ErrorOr<void> cmd_save(int argc, char** argv)
{
    if (argc < 3 || argc > 4)
        return Error::BadArguments;
    BufferRef buffer = TRY(buffer_argument("save", argv[1]));
    View view = buffer.view();
    i32 count = static_cast<i32>(view.length);
    if (argc == 4 && (!parse_i32_literal(argv[3], count) || count < 0 || static_cast<u32>(count) > view.length)) {
        kprintf("save: '%s' is not an element count (0 .. %u, the size of %s.%s)\n", argv[3], view.length,
                buffer.slot->module->name, buffer.info().name);
        return Error::BadArguments;
    }
    fat16::Volume* volume = TRY(boot_volume());
    // Replaced whole, so a power cut leaves the old file or the new one.
    TRY(volume->replace_file(argv[2], view.base, static_cast<u32>(count) * 4));
    TRY(volume->sync());
    kprintf("save: %s.%s -> %s: %d %s (%u bytes)\n", buffer.slot->module->name, buffer.info().name, argv[2], count,
            buffer.info().type == ValueType::ViewI32 ? "i32" : "f32", static_cast<u32>(count) * 4);
    return {};
}
SHELL_COMMAND("save", "save MOD.BUF FILE [COUNT]",
              "write a module's buffer (its first COUNT elements) to a file, replacing it whole", cmd_save);

}
