// Flow modules on the boot volume: finding the *.BFM files in /MODULES,
// reading one whole, and loading them into the module table with a one-line
// report for each file that is refused (used at boot and by `reload`).
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <kernel/jit/jit_system.h>

struct ModuleFileList {
    static constexpr u32 capacity = max_loaded_modules;
    char names[capacity][13]; // 8.3 names as stored, e.g. "FIB.BFM"
    u32 count;
    u32 dropped;              // *.BFM files beyond capacity
};

// The *.BFM files (any case) directly in /MODULES, in directory order.
ErrorOr<void> list_module_files(ModuleFileList& out);

// Reads a whole file of the boot volume into kmalloc'd memory (the caller
// kfrees); FsFileTooLarge above `limit` bytes.
ErrorOr<u8*> read_volume_file(const char* path, u32& size, u32 limit);

// Reads /MODULES/<file_name> whole into kmalloc'd memory (the caller kfrees).
ErrorOr<u8*> read_module_file(const char* file_name, u32& size);

// Reads, verifies and builds one module (nothing is entered in the table).
// On failure prints "modules: skipped NAME: <reason>" with the verifier's
// offset and rule, and returns the error.
ErrorOr<void> build_module_from_file(const char* file_name, LoadedModule& out);

// Loads every module in /MODULES into the table (boot): prints one line per
// refused file and a summary line.
ErrorOr<void> load_all_modules();
