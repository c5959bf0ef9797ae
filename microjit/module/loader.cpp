// load_module(): the structural half of verification (docs/module-format.md,
// verifier rules 1, 2, 9 and the table rules), then verify_function() for
// each body (verifier.cpp).
//
// The file is copied into caller memory before anything is checked, so the
// bytes that were verified are the bytes that run, whatever happens to the
// caller's buffer later. All offset arithmetic is done in u64 so that no sum
// of two u32 fields can wrap.
#include <microjit/module/format.h>
#include <microjit/module/loader_internal.h>
#include <microjit/module/reporter.h>
#include <microjit/runtime/crc32.h>
#include <microjit/runtime/fnv1a64.h>

namespace {

constexpr usize align_up(usize value, usize align) { return (value + align - 1) & ~(align - 1); }

struct Area {
    const char* what;
    u32 field_offset; // header field naming the area's offset, for messages
    u32 offset;
    u64 size;
};

bool is_identifier(const char* s, u32 length)
{
    if (length == 0 || length > bfm::max_identifier)
        return false;
    for (u32 i = 0; i < length; ++i) {
        char c = s[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (!(alpha || (digit && i > 0)))
            return false;
    }
    return true;
}

bool same_string(const char* a, const char* b)
{
    while (*a && *a == *b)
        ++a, ++b;
    return *a == *b;
}

// Resolves a name_offset: a NUL-terminated identifier inside the string area.
ErrorOr<const char*> read_name(const u8* image, const bfm::Header& h, u32 name_offset, u32 field_offset, const char* owner, u32 index, Reporter& r)
{
    if (name_offset >= h.strings_size)
        return r.fail(Error::ModuleOutOfRange, field_offset, "%s %u: name offset %u is outside the string area (%u bytes)", owner, index, name_offset, h.strings_size);
    const char* s = reinterpret_cast<const char*>(image + h.strings_offset + name_offset);
    u32 room = h.strings_size - name_offset;
    u32 length = 0;
    while (length < room && s[length] != '\0')
        ++length;
    if (length == room)
        return r.fail(Error::ModuleBadName, h.strings_offset + name_offset, "%s %u: name is not NUL-terminated inside the string area", owner, index);
    if (!is_identifier(s, length))
        return r.fail(Error::ModuleBadName, h.strings_offset + name_offset, "%s %u: name is not an identifier of 1-31 characters [A-Za-z_][A-Za-z0-9_]*", owner, index);
    return s;
}

// Resolves a file item's default path: NUL-terminated inside the string
// area, 1-127 printable ASCII characters starting with '/'.
ErrorOr<const char*> read_path(const u8* image, const bfm::Header& h, u32 path_offset, u32 field_offset, const char* item, Reporter& r)
{
    if (path_offset == bfm::no_path)
        return static_cast<const char*>(nullptr);
    if (path_offset >= h.strings_size)
        return r.fail(Error::ModuleOutOfRange, field_offset, "file '%s': path offset %u is outside the string area (%u bytes)", item, path_offset, h.strings_size);
    const char* s = reinterpret_cast<const char*>(image + h.strings_offset + path_offset);
    u32 room = h.strings_size - path_offset;
    u32 length = 0;
    while (length < room && s[length] != '\0')
        ++length;
    if (length == room)
        return r.fail(Error::ModuleBadName, h.strings_offset + path_offset, "file '%s': path is not NUL-terminated inside the string area", item);
    if (length == 0 || length > bfm::max_file_path || s[0] != '/')
        return r.fail(Error::ModuleBadName, h.strings_offset + path_offset, "file '%s': path must be 1-%u characters starting with '/'", item, bfm::max_file_path);
    for (u32 i = 0; i < length; ++i) {
        if (s[i] < 0x20 || s[i] > 0x7E)
            return r.fail(Error::ModuleBadName, h.strings_offset + path_offset + i, "file '%s': path has a byte 0x%x that is not printable ASCII", item, static_cast<u8>(s[i]));
    }
    return s;
}

ErrorOr<void> check_header(const u8* image, u32 size, Reporter& r)
{
    auto& h = *reinterpret_cast<const bfm::Header*>(image);
    for (u32 i = 0; i < 4; ++i) {
        if (h.magic[i] != bfm::magic[i])
            return r.fail(Error::ModuleBadMagic, i, "magic must be 42 46 4D 1A (\"BFM\\x1a\")");
    }
    if (h.format_version != bfm::format_version)
        return r.fail(Error::ModuleBadVersion, 4, "format version %u is not supported (only %u)", h.format_version, bfm::format_version);
    if (h.file_size > size)
        return r.fail(Error::ModuleTruncated, 24, "header says the file has %u bytes, but only %u are present", h.file_size, size);
    if (h.file_size != size)
        return r.fail(Error::ModuleOutOfRange, 24, "header says the file has %u bytes, but it has %u", h.file_size, size);

    u8 zero[4] = { 0, 0, 0, 0 };
    u32 crc = crc32_update(0, image, bfm::header_crc32_offset);
    crc = crc32_update(crc, zero, 4);
    crc = crc32_update(crc, image + bfm::header_crc32_offset + 4, size - bfm::header_crc32_offset - 4);
    if (crc != h.crc32)
        return r.fail(Error::ModuleBadChecksum, 28, "CRC-32 is 0x%x, the file's bytes give 0x%x", h.crc32, crc);
    if (fnv1a64(image + sizeof(bfm::Header), size - sizeof(bfm::Header)) != h.content_hash)
        return r.fail(Error::ModuleBadHash, 32, "FNV-1a 64 content hash does not match bytes [128, %u)", size);

    if (h.flags != 0)
        return r.fail(Error::ModuleBadVersion, 6, "flags are 0x%x; no flags are defined in version 1", h.flags);
    if (h.reserved0 != 0)
        return r.fail(Error::ModuleBadVersion, 43, "reserved byte is not zero");
    for (u32 i = 0; i < sizeof(h.reserved1); ++i) {
        if (h.reserved1[i] != 0)
            return r.fail(Error::ModuleBadVersion, 100 + i, "reserved header byte is not zero");
    }
    if (h.opt_level > 3)
        return r.fail(Error::ModuleOutOfRange, 42, "opt_level %u is outside 0-3", h.opt_level);

    u32 name_length = 0;
    while (name_length < bfm::max_module_name && h.name[name_length] != '\0')
        ++name_length;
    if (name_length == 0)
        return r.fail(Error::ModuleBadName, 8, "module name is empty");
    for (u32 i = 0; i < bfm::max_module_name; ++i) {
        char c = h.name[i];
        bool ok = i < name_length ? ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') : c == '\0';
        if (!ok)
            return r.fail(Error::ModuleBadName, 8 + i, "module name must be 1-16 characters of A-Z 0-9 _ -, NUL-padded");
    }

    if (h.func_count < 1 || h.func_count > bfm::max_functions)
        return r.fail(Error::ModuleOutOfRange, 44, "function count %u is outside 1-%u", h.func_count, bfm::max_functions);
    if (h.const_count > bfm::max_constants)
        return r.fail(Error::ModuleOutOfRange, 52, "constant count %u is over %u", h.const_count, bfm::max_constants);
    if (h.buf_count > bfm::max_buffers)
        return r.fail(Error::ModuleOutOfRange, 60, "buffer count %u is over %u", h.buf_count, bfm::max_buffers);
    if (h.file_count > bfm::max_files)
        return r.fail(Error::ModuleOutOfRange, 92, "file count %u is over %u", h.file_count, bfm::max_files);

    Area areas[] = {
        { "function table", 48, h.func_table_offset, static_cast<u64>(h.func_count) * sizeof(bfm::FunctionEntry) },
        { "constant table", 56, h.const_table_offset, static_cast<u64>(h.const_count) * sizeof(bfm::ConstantEntry) },
        { "buffer table", 64, h.buf_table_offset, static_cast<u64>(h.buf_count) * sizeof(bfm::BufferEntry) },
        { "file table", 96, h.file_table_offset, static_cast<u64>(h.file_count) * sizeof(bfm::FileEntry) },
        { "bytecode area", 68, h.code_offset, h.code_size },
        { "string area", 76, h.strings_offset, h.strings_size },
        { "register-type area", 84, h.types_offset, h.types_size },
    };
    constexpr u32 area_count = sizeof(areas) / sizeof(areas[0]);
    for (u32 i = 0; i < area_count; ++i) {
        Area& a = areas[i];
        if (a.size == 0)
            continue;
        if (i < 4 && (a.offset & 3) != 0)
            return r.fail(Error::ModuleOutOfRange, a.field_offset, "%s offset %u is not 4-aligned", a.what, a.offset);
        if (a.offset < sizeof(bfm::Header) || a.offset + a.size > size)
            return r.fail(Error::ModuleOutOfRange, a.field_offset, "%s [%u, +%u) is not inside the file after the header", a.what, a.offset, static_cast<u32>(a.size));
        for (u32 j = 0; j < i; ++j) {
            Area& b = areas[j];
            if (b.size == 0)
                continue;
            if (a.offset < b.offset + b.size && b.offset < a.offset + a.size)
                return r.fail(Error::ModuleOutOfRange, a.field_offset, "%s overlaps the %s", a.what, b.what);
        }
    }
    return {};
}

ErrorOr<void> read_tables(const u8* image, Module& m, FunctionInfo* functions, ConstantInfo* constants, BufferInfo* buffers, FileInfo* files, Reporter& r)
{
    auto& h = *reinterpret_cast<const bfm::Header*>(image);
    // An empty area's offset is unchecked (it may be anything), so the
    // area's address is formed only once a function proves it non-empty.

    for (u32 i = 0; i < h.func_count; ++i) {
        u32 at = h.func_table_offset + i * sizeof(bfm::FunctionEntry);
        auto& e = *reinterpret_cast<const bfm::FunctionEntry*>(image + at);
        FunctionInfo& f = functions[i];
        f.name = TRY(read_name(image, h, e.name_offset, at, "function", i, r));
        if (e.reg_count < 1 || e.reg_count > bfm::max_registers)
            return r.fail(Error::ModuleOutOfRange, at + 6, "function '%s': register count %u is outside 1-%u", f.name, e.reg_count, bfm::max_registers);
        if (e.param_count > bfm::max_params || e.param_count > e.reg_count)
            return r.fail(Error::ModuleOutOfRange, at + 4, "function '%s': %u parameters (at most 16 and at most reg_count %u)", f.name, e.param_count, e.reg_count);
        if (e.return_type > 2)
            return r.fail(Error::ModuleTypeMismatch, at + 5, "function '%s': return type code %u is not void, i32 or f32", f.name, e.return_type);
        if (static_cast<u64>(e.types_offset) + e.reg_count > h.types_size)
            return r.fail(Error::ModuleOutOfRange, at + 8, "function '%s': register types [%u, +%u) run past the register-type area (%u bytes)", f.name, e.types_offset, e.reg_count, h.types_size);
        auto* types = reinterpret_cast<const ValueType*>(image + h.types_offset);
        for (u32 k = 0; k < e.reg_count; ++k) {
            u8 t = static_cast<u8>(types[e.types_offset + k]);
            if (t < 1 || t > 4)
                return r.fail(Error::ModuleTypeMismatch, h.types_offset + e.types_offset + k, "function '%s': register r%u has type code %u (must be 1-4)", f.name, k, t);
        }
        if (e.code_size < 1 || e.code_size > bfm::max_function_code)
            return r.fail(Error::ModuleOutOfRange, at + 16, "function '%s': code size %u is outside 1-%u", f.name, e.code_size, bfm::max_function_code);
        if (static_cast<u64>(e.code_offset) + e.code_size > h.code_size)
            return r.fail(Error::ModuleOutOfRange, at + 12, "function '%s': code [%u, +%u) runs past the bytecode area (%u bytes)", f.name, e.code_offset, e.code_size, h.code_size);
        if (e.flags != 0)
            return r.fail(Error::ModuleBadVersion, at + 20, "function '%s': flags 0x%x are not zero", f.name, e.flags);
        for (u32 k = 0; k < sizeof(e.reserved); ++k) {
            if (e.reserved[k] != 0)
                return r.fail(Error::ModuleBadVersion, at + 24 + k, "function '%s': reserved byte is not zero", f.name);
        }
        for (u32 j = 0; j < i; ++j) {
            if (same_string(functions[j].name, f.name))
                return r.fail(Error::ModuleBadName, at, "function name '%s' is used twice (functions %u and %u)", f.name, j, i);
        }
        f.register_types = types + e.types_offset;
        f.code = image + h.code_offset + e.code_offset;
        f.code_size = e.code_size;
        f.code_file_offset = h.code_offset + e.code_offset;
        f.reg_count = e.reg_count;
        f.param_count = e.param_count;
        f.return_type = static_cast<ValueType>(e.return_type);
        if (f.reg_count > m.max_reg_count)
            m.max_reg_count = f.reg_count;
    }

    for (u32 i = 0; i < h.const_count; ++i) {
        u32 at = h.const_table_offset + i * sizeof(bfm::ConstantEntry);
        auto& e = *reinterpret_cast<const bfm::ConstantEntry*>(image + at);
        ConstantInfo& c = constants[i];
        c.name = TRY(read_name(image, h, e.name_offset, at, "constant", i, r));
        if (e.type != 1 && e.type != 2)
            return r.fail(Error::ModuleTypeMismatch, at + 4, "constant '%s': type code %u is not i32 or f32", c.name, e.type);
        if (e.zero[0] | e.zero[1] | e.zero[2])
            return r.fail(Error::ModuleBadVersion, at + 5, "constant '%s': reserved bytes are not zero", c.name);
        for (u32 j = 0; j < i; ++j) {
            if (same_string(constants[j].name, c.name))
                return r.fail(Error::ModuleBadName, at, "constant name '%s' is used twice", c.name);
        }
        c.type = static_cast<ValueType>(e.type);
        c.bits = e.value;
    }

    for (u32 i = 0; i < h.buf_count; ++i) {
        u32 at = h.buf_table_offset + i * sizeof(bfm::BufferEntry);
        auto& e = *reinterpret_cast<const bfm::BufferEntry*>(image + at);
        BufferInfo& b = buffers[i];
        b.name = TRY(read_name(image, h, e.name_offset, at, "buffer", i, r));
        if (e.type != 3 && e.type != 4)
            return r.fail(Error::ModuleTypeMismatch, at + 4, "buffer '%s': type code %u is not [i32] or [f32]", b.name, e.type);
        if (e.zero[0] | e.zero[1] | e.zero[2])
            return r.fail(Error::ModuleBadVersion, at + 5, "buffer '%s': reserved bytes are not zero", b.name);
        if (e.count < 1 || e.count > bfm::max_buffer_elements)
            return r.fail(Error::ModuleOutOfRange, at + 8, "buffer '%s': %u elements is outside 1-%u", b.name, e.count, bfm::max_buffer_elements);
        for (u32 j = 0; j < i; ++j) {
            if (same_string(buffers[j].name, b.name))
                return r.fail(Error::ModuleBadName, at, "buffer name '%s' is used twice", b.name);
        }
        b.type = static_cast<ValueType>(e.type);
        b.count = e.count;
    }

    for (u32 i = 0; i < h.file_count; ++i) {
        u32 at = h.file_table_offset + i * sizeof(bfm::FileEntry);
        auto& e = *reinterpret_cast<const bfm::FileEntry*>(image + at);
        FileInfo& f = files[i];
        f.name = TRY(read_name(image, h, e.name_offset, at, "file", i, r));
        f.default_path = TRY(read_path(image, h, e.path_offset, at + 4, f.name, r));
        for (u32 j = 0; j < i; ++j) {
            if (same_string(files[j].name, f.name))
                return r.fail(Error::ModuleBadName, at, "file name '%s' is used twice", f.name);
        }
    }

    if (h.entry_function != bfm::no_entry_function) {
        if (h.entry_function >= h.func_count)
            return r.fail(Error::ModuleOutOfRange, 40, "entry function %u does not exist (%u functions)", h.entry_function, h.func_count);
        if (functions[h.entry_function].param_count != 0)
            return r.fail(Error::ModuleBadCall, 40, "entry function '%s' takes parameters; it must take none", functions[h.entry_function].name);
    }
    return {};
}

}

const char* value_type_name(ValueType type)
{
    return value_type_text(type);
}

ErrorOr<Module*> load_module(const u8* bytes, usize size, ModuleAllocator& allocator, ModuleDiagnostic* diagnostic)
{
    Reporter r(diagnostic);
    if (diagnostic) {
        diagnostic->error = Error::Ok;
        diagnostic->offset = 0;
        diagnostic->function = -1;
        diagnostic->message[0] = '\0';
    }
    if (!bytes || size < sizeof(bfm::Header))
        return r.fail(Error::ModuleTruncated, static_cast<u32>(size), "the file has %u bytes, less than the 128-byte header", static_cast<u32>(size));
    if (size > 0x7FFFFFFF)
        return r.fail(Error::ModuleOutOfRange, 24, "the file is larger than 2 GiB");
    // Read the three counts from the caller's buffer only to size the
    // allocation; they are checked again, on the copy, by check_header().
    auto& caller_header = *reinterpret_cast<const bfm::Header*>(bytes);
    u32 func_count = caller_header.func_count;
    u32 const_count = caller_header.const_count;
    u32 buf_count = caller_header.buf_count;
    u32 file_count = caller_header.file_count;
    if (func_count > bfm::max_functions || const_count > bfm::max_constants || buf_count > bfm::max_buffers || file_count > bfm::max_files)
        func_count = const_count = buf_count = file_count = 0; // check_header() rejects these before any table is read

    usize functions_at = align_up(sizeof(Module), 16);
    usize constants_at = align_up(functions_at + func_count * sizeof(FunctionInfo), 16);
    usize buffers_at = align_up(constants_at + const_count * sizeof(ConstantInfo), 16);
    usize files_at = align_up(buffers_at + buf_count * sizeof(BufferInfo), 16);
    usize image_at = align_up(files_at + file_count * sizeof(FileInfo), 16);
    usize total = image_at + size;
    auto* block = static_cast<u8*>(allocator.allocate(total, 16));
    if (!block)
        return r.fail(Error::OutOfMemory, 0, "no memory for a %u-byte module", static_cast<u32>(total));

    u8* image = block + image_at;
    for (usize i = 0; i < size; ++i)
        image[i] = bytes[i];

    auto* m = reinterpret_cast<Module*>(block);
    *m = Module {};
    m->allocation = block;
    m->allocation_size = total;
    m->image = image;
    m->image_size = static_cast<u32>(size);

    auto result = [&]() -> ErrorOr<void> {
        TRY(check_header(image, static_cast<u32>(size), r));
        auto& h = *reinterpret_cast<const bfm::Header*>(image);
        if (h.func_count != func_count || h.const_count != const_count || h.buf_count != buf_count || h.file_count != file_count)
            return r.fail(Error::ModuleOutOfRange, 44, "table counts changed while the module was being copied");
        auto* functions = reinterpret_cast<FunctionInfo*>(block + functions_at);
        auto* constants = reinterpret_cast<ConstantInfo*>(block + constants_at);
        auto* buffers = reinterpret_cast<BufferInfo*>(block + buffers_at);
        auto* files = reinterpret_cast<FileInfo*>(block + files_at);
        for (u32 i = 0; i < bfm::max_module_name; ++i)
            m->name[i] = h.name[i];
        m->name[bfm::max_module_name] = '\0';
        m->content_hash = h.content_hash;
        m->entry_function = h.entry_function == bfm::no_entry_function ? Module::no_entry : h.entry_function;
        m->opt_level = h.opt_level;
        m->function_count = h.func_count;
        m->constant_count = h.const_count;
        m->buffer_count = h.buf_count;
        m->functions = functions;
        m->constants = constants;
        m->buffers = buffers;
        m->file_count = h.file_count;
        m->files = files;
        TRY(read_tables(image, *m, functions, constants, buffers, files, r));
        for (u32 i = 0; i < m->function_count; ++i)
            TRY(verify_function(*m, i, allocator, r));
        return {};
    }();
    if (result.is_error()) {
        allocator.deallocate(block, total);
        return result.error();
    }
    return m;
}

void destroy_module(Module* module, ModuleAllocator& allocator)
{
    if (module)
        allocator.deallocate(module->allocation, module->allocation_size);
}

ErrorOr<u32> find_file_item(const Module& module, const char* name)
{
    for (u32 i = 0; i < module.file_count; ++i) {
        if (same_string(module.files[i].name, name))
            return i;
    }
    return Error::NoSuchFileItem;
}

ErrorOr<u32> find_buffer(const Module& module, const char* name)
{
    for (u32 i = 0; i < module.buffer_count; ++i) {
        if (same_string(module.buffers[i].name, name))
            return i;
    }
    return Error::NoSuchBuffer;
}

ErrorOr<u32> find_function(const Module& module, const char* name)
{
    for (u32 i = 0; i < module.function_count; ++i) {
        if (same_string(module.functions[i].name, name))
            return i;
    }
    return Error::NoSuchFunction;
}
