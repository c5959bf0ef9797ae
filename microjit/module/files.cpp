// The file and print builtins and the host's bindings; see files.h.
#include <microjit/module/files.h>
#include <microjit/module/format.h>
#include <microjit/runtime/format_number.h>

namespace {

// The element range [at, at + count) of v, computed without overflow.
bool range_ok(View v, i32 at, i32 count)
{
    return at >= 0 && count >= 0 && static_cast<u64>(static_cast<u32>(at)) + static_cast<u32>(count) <= v.length;
}

// The bound path of `file`, or the FileResult that says why there is none.
i32 reachable(const ModuleInstance& instance, u32 file, const char** path)
{
    if (!instance.host)
        return FileResult::IoError;
    *path = file_path(instance, file);
    return (*path)[0] == '\0' ? FileResult::Unbound : 0;
}

void print(ModuleInstance& instance, const char* text, u32 length)
{
    if (instance.host)
        instance.host->write_console(text, length);
}

bool same_string(const char* a, const char* b)
{
    while (*a && *a == *b)
        ++a, ++b;
    return *a == *b;
}

}

i32 flow_file_size(ModuleInstance& instance, u32 file)
{
    const char* path = nullptr;
    if (i32 status = reachable(instance, file, &path); status < 0)
        return status;
    return instance.host->file_size(path);
}

Error flow_read_file(ModuleInstance& instance, u32 file, View v, i32 at, i32 offset, i32 count, i32* result)
{
    if (!range_ok(v, at, count))
        return Error::TrapOutOfBounds;
    const char* path = nullptr;
    if (i32 status = reachable(instance, file, &path); status < 0) {
        *result = status;
        return Error::Ok;
    }
    i32 size = instance.host->file_size(path);
    if (size < 0) {
        *result = size;
        return Error::Ok;
    }
    if (offset < 0 || offset > size) {
        *result = FileResult::BadOffset;
        return Error::Ok;
    }
    u32 bytes = static_cast<u32>(count) * 4;
    u8* dst = static_cast<u8*>(v.base) + static_cast<u32>(at) * 4;
    i32 got = instance.host->read_file(path, static_cast<u32>(offset), dst, bytes);
    if (got > static_cast<i32>(bytes))
        got = FileResult::IoError; // a host that overran would be a bug; never report it as data
    if (got > 0 && (got & 3) != 0) { // a partly read last element: its high bytes are zero
        for (u32 k = static_cast<u32>(got); (k & 3) != 0; ++k)
            dst[k] = 0;
    }
    *result = got;
    return Error::Ok;
}

Error flow_write_file(ModuleInstance& instance, u32 file, View v, i32 at, i32 count, i32* result)
{
    if (!range_ok(v, at, count))
        return Error::TrapOutOfBounds;
    const char* path = nullptr;
    if (i32 status = reachable(instance, file, &path); status < 0) {
        *result = status;
        return Error::Ok;
    }
    const u8* src = static_cast<const u8*>(v.base) + static_cast<u32>(at) * 4;
    *result = instance.host->write_file(path, src, static_cast<u32>(count) * 4);
    return Error::Ok;
}

void flow_print_char(ModuleInstance& instance, i32 c)
{
    char byte = static_cast<char>(c & 255);
    print(instance, &byte, 1);
}

void flow_print_i32(ModuleInstance& instance, i32 value)
{
    char text[format_i32_capacity];
    print(instance, text, format_i32(text, value));
}

void flow_print_f32(ModuleInstance& instance, f32 value)
{
    char text[format_f32_capacity];
    print(instance, text, format_f32(text, value));
}

const char* file_path(const ModuleInstance& instance, u32 file)
{
    return instance.file_paths + file * file_path_capacity;
}

ErrorOr<void> bind_file(ModuleInstance& instance, u32 file, const char* path)
{
    if (file >= instance.module->file_count)
        return Error::NoSuchFileItem;
    u32 length = 0;
    while (path[length] != '\0') {
        if (length >= bfm::max_file_path || path[length] < 0x20 || path[length] > 0x7E)
            return Error::InvalidArgument;
        ++length;
    }
    if (length > 0 && path[0] != '/')
        return Error::InvalidArgument;
    char* to = instance.file_paths + file * file_path_capacity;
    for (u32 i = 0; i <= length; ++i)
        to[i] = path[i];
    return {};
}

ErrorOr<void> bind_file(ModuleInstance& instance, const char* name, const char* path)
{
    for (u32 i = 0; i < instance.module->file_count; ++i) {
        if (same_string(instance.module->files[i].name, name))
            return bind_file(instance, i, path);
    }
    return Error::NoSuchFileItem;
}

ErrorOr<void> resize_buffer(ModuleInstance& instance, u32 buffer, u32 count)
{
    if (buffer >= instance.module->buffer_count)
        return Error::NoSuchBuffer;
    if (count < 1 || count > bfm::max_buffer_elements)
        return Error::InvalidArgument;
    View& view = instance.buffers[buffer];
    auto* memory = static_cast<u32*>(instance.allocator->allocate(static_cast<usize>(count) * 4, 16));
    if (!memory)
        return Error::OutOfMemory;
    const u32* old = static_cast<const u32*>(view.base);
    u32 keep = count < view.length ? count : view.length;
    for (u32 i = 0; i < keep; ++i)
        memory[i] = old[i]; // the allocator zero-fills the rest
    instance.allocator->deallocate(view.base, static_cast<usize>(view.length) * 4);
    view = View { memory, count };
    return {};
}
