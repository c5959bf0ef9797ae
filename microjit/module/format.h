// The .bfm on-disk layout (format version 1), byte for byte as in
// docs/module-format.md. Only the loader reads these structs; everything else
// uses the checked, native structures in module.h.
#pragma once

#include <bareflow/types.h>
#include <microjit/spec.h> // the limits, and the sizes asserted below

namespace bfm {

inline constexpr u8 magic[4] = { 0x42, 0x46, 0x4D, 0x1A }; // "BFM" + 0x1A
inline constexpr u16 format_version = 1;
inline constexpr u16 no_entry_function = 0xFFFF;

// The limits (max_functions, max_params, ...) and the sizes asserted below
// come from microjit/spec.def, through microjit/spec.h.
inline constexpr u32 no_path = 0xFFFFFFFF;    // FileEntry::path_offset of an item without a default path
inline constexpr u32 max_module_name = 16;
inline constexpr u8 no_result_register = 255;

struct [[gnu::packed]] Header {
    u8 magic[4];
    u16 format_version;
    u16 flags;
    char name[16];
    u32 file_size;
    u32 crc32;
    u64 content_hash;
    u16 entry_function;
    u8 opt_level;
    u8 reserved0;
    u32 func_count;
    u32 func_table_offset;
    u32 const_count;
    u32 const_table_offset;
    u32 buf_count;
    u32 buf_table_offset;
    u32 code_offset;
    u32 code_size;
    u32 strings_offset;
    u32 strings_size;
    u32 types_offset;
    u32 types_size;
    u32 file_count;        // 0 in modules written before file items existed
    u32 file_table_offset;
    u8 reserved1[28];
};
static_assert(sizeof(Header) == header_size);

// Byte offsets of header fields the loader names in its diagnostics.
inline constexpr u32 header_crc32_offset = 28;

struct [[gnu::packed]] FunctionEntry {
    u32 name_offset;
    u8 param_count;
    u8 return_type;
    u16 reg_count;
    u32 types_offset;
    u32 code_offset;
    u32 code_size;
    u32 flags;
    u8 reserved[8];
};
static_assert(sizeof(FunctionEntry) == function_entry_size);

struct [[gnu::packed]] ConstantEntry {
    u32 name_offset;
    u8 type;
    u8 zero[3];
    u32 value;
};
static_assert(sizeof(ConstantEntry) == constant_entry_size);

struct [[gnu::packed]] BufferEntry {
    u32 name_offset;
    u8 type;
    u8 zero[3];
    u32 count;
};
static_assert(sizeof(BufferEntry) == buffer_entry_size);

// `file` items: the files a module may reach (docs/flow-language.md).
struct [[gnu::packed]] FileEntry {
    u32 name_offset;
    u32 path_offset; // into the string area, or no_path
};
static_assert(sizeof(FileEntry) == file_entry_size);

}
