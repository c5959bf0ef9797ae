// ModuleHost: the one way a running module reaches the world outside its
// buffers. The file builtins (file_size, read_file, write_file) and the
// print builtins of docs/flow-language.md go through it, at every tier; the
// kernel implements it over the boot volume's FAT16 partition and its
// console, flowrun over a root directory and stdout, the tests over memory.
//
// An instance without a host (ModuleInstance::host == nullptr) is legal:
// its file builtins return FileResult::IoError and its prints go nowhere.
#pragma once

#include <bareflow/types.h>

// What the file builtins return when they fail (docs/flow-language.md,
// "Files"); success is a byte count >= 0.
namespace FileResult {
inline constexpr i32 Missing = -1;     // the file does not exist
inline constexpr i32 Unbound = -2;     // the file item has no path
inline constexpr i32 IoError = -3;     // a read or write failed, the volume is damaged, or no host
inline constexpr i32 CannotWrite = -4; // read-only or full volume, or a name that cannot be created
inline constexpr i32 BadOffset = -5;   // offset < 0 or past the end of the file
}

class ModuleHost {
public:
    // The size of the file at `path` in bytes, or Missing / IoError.
    virtual i32 file_size(const char* path) = 0;
    // Reads up to `bytes` bytes from byte `offset` (at most the file's size)
    // into dst; returns the bytes read (fewer at the end of the file) or a
    // negative FileResult.
    virtual i32 read_file(const char* path, u32 offset, void* dst, u32 bytes) = 0;
    // Makes the file's contents src[0, bytes), creating the file if needed;
    // returns `bytes` or a negative FileResult.
    virtual i32 write_file(const char* path, const void* src, u32 bytes) = 0;
    // Writes text[0, length) to the console (no NUL; may contain any byte).
    virtual void write_console(const char* text, u32 length) = 0;

protected:
    ~ModuleHost() = default;
};
