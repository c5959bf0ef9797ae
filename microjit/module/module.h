// A loaded and verified Flow module (see docs/module-format.md).
//
// load_module() copies the file into caller-provided memory, checks every
// rule in "Verifier rules" and returns a Module whose tables are native,
// checked structures. After that, every tier may assume well-formed code:
// register indices are < reg_count with the right types, targets land on
// instruction starts, calls match their callee, and registers are written
// before they are read. Only the run-time traps remain to be checked.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <microjit/module/allocator.h>
#include <microjit/spec.h> // ValueType

constexpr bool is_view_type(ValueType t) { return t == ValueType::ViewI32 || t == ValueType::ViewF32; }
const char* value_type_name(ValueType type); // "i32", "[f32]", ...

struct FunctionInfo {
    const char* name;                 // NUL-terminated, inside the module image
    const ValueType* register_types;  // reg_count entries; params first
    const u8* code;                   // the function's bytecode
    u32 code_size;
    u32 code_file_offset;             // where `code` starts in the file (for messages)
    u16 reg_count;
    u8 param_count;
    ValueType return_type;
};

struct BufferInfo {
    const char* name;
    ValueType type; // ViewI32 or ViewF32
    u32 count;      // elements (4 bytes each)
};

// A `file` item: a file the module may reach, by name. The host binds it to
// a path at run time (bind_file in files.h); default_path is where it
// points until then, or nullptr when the host must bind it first.
struct FileInfo {
    const char* name;
    const char* default_path; // "/DATA/MODEL.BIN", inside the module image, or nullptr
};

struct ConstantInfo {
    const char* name;
    ValueType type; // I32 or F32
    u32 bits;
};

struct Module {
    char name[17];            // NUL-terminated module name
    u64 content_hash;
    u32 entry_function;       // index, or no_entry when there is none
    u8 opt_level;
    u32 function_count;
    u32 constant_count;
    u32 buffer_count;
    u32 file_count;
    u16 max_reg_count;        // largest reg_count of any function
    const FunctionInfo* functions;
    const ConstantInfo* constants;
    const BufferInfo* buffers;
    const FileInfo* files;
    const u8* image;          // the verified file, copied
    u32 image_size;

    // Total bytes this module took from its allocator (released by destroy_module).
    void* allocation;
    usize allocation_size;

    static constexpr u32 no_entry = 0xFFFFFFFF;
};

// Where and why a module was rejected. `offset` is a byte offset into the
// file; `function` is the function index, or -1 when the problem is not
// inside a function. `message` is a full sentence for a person, e.g.
// "offset 0x94 (function 'dot', +0x12): register r7 is [f32], operand needs i32".
struct ModuleDiagnostic {
    Error error;
    u32 offset;
    i32 function;
    char message[160];
};

// Loads and verifies the module in bytes[0, size). On failure returns the
// error and, if `diagnostic` is non-null, fills it in. Work is linear in the
// file size apart from the register dataflow, which is bounded by
// (blocks x registers x a fixed pass limit); see verifier.cpp.
ErrorOr<Module*> load_module(const u8* bytes, usize size, ModuleAllocator& allocator, ModuleDiagnostic* diagnostic);

// Returns the module's memory to the allocator it was loaded with.
void destroy_module(Module* module, ModuleAllocator& allocator);

// Index of the function called `name`, or Error::NoSuchFunction.
ErrorOr<u32> find_function(const Module& module, const char* name);

// Index of the file item called `name`, or Error::NoSuchFile.
ErrorOr<u32> find_file_item(const Module& module, const char* name);

// Index of the buffer called `name`, or Error::NoSuchBuffer.
ErrorOr<u32> find_buffer(const Module& module, const char* name);
