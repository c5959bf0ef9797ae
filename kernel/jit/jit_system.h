// The kernel's JIT system: the three pools carved at boot, the one
// JitRuntime, and the table of loaded Flow modules that the shell commands
// (mods, run, bench, tiers, reload, dis) work on.
//
// Every module lives in its own slot: the verified Module, its instance (the
// dispatch table every call reads), its JitInstance (profile, tier-ups) and
// one hash per function's bytecode, so `reload` can tell which functions
// changed. All memory for modules comes from the pools (docs/jit.md), in
// the same order at every boot, so that an unchanged set of modules gets
// the same addresses (JIT snapshots depend on it: docs/snapshot-format.md).
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <microjit/jit/jit.h>
#include <microjit/module/module.h>
#include <microjit/pool/pool.h>

struct LoadedModule {
    bool used;
    char file_name[13];    // "FIB.BFM", as found in /MODULES
    Module* module;
    ModuleInstance* instance;
    JitInstance* jit;      // in the metadata pool
    u64* function_hashes;  // function_count entries (metadata pool)
    u32* compiles;         // per function: compiles by a JIT tier since load (metadata pool)
    const u8** snapshot_code; // per function: code installed from a snapshot (nullptr: none)
    // What the tier compilers embed in this instance's code (native_abi.h),
    // seen at the first compile; snapshots are only valid for the same.
    NativeEnvironment environment;
    bool has_environment;
    // The state its snapshot file holds (snapshot_state_fingerprint; 0: no
    // file written or loaded in this boot), for periodic saving.
    u64 saved_fingerprint;
};

inline constexpr u32 max_loaded_modules = 32;
// The share of the free memory the JIT pools take at boot (kernel/jit/
// jit_boot.cpp); the data pool, which holds module buffers, gets most of it.
inline constexpr u32 pool_share_percent = 60;
inline constexpr const char* modules_directory = "/MODULES";

// False until the boot step carved the pools and started the runtime.
bool jit_system_ready();
void jit_system_mark_ready(); // by the boot step, once pools and runtime are up
PoolSet& jit_pools();
JitRuntime& jit_runtime();

// The slots in load order (unused slots have used == false).
LoadedModule* loaded_modules_begin();
LoadedModule* loaded_modules_end();
u32 loaded_module_count();

// Finds a loaded module by its name in the module header or its file's base
// name, case-insensitively ("fib", "FIB", "fib.bfm"); nullptr if none.
// A module's own name (in its header) wins over another module's file name,
// so a module whose file was renamed is still found by its name.
LoadedModule* find_loaded_module(const char* name);
// Only by the name in the module header: what makes two modules clash.
LoadedModule* find_module_named(const char* name);

// "MOD.FUNC", case-insensitively: NoSuchModule, NoSuchFunction, or
// BadArguments when there is no dot.
struct FunctionRef {
    LoadedModule* slot;
    u32 function;
};
ErrorOr<FunctionRef> resolve_function(const char* spec);

// "MOD.BUF", or "BUF" for a buffer of `own` (nullptr: the module is
// required), case-insensitively: NoSuchModule, or BadArguments when the
// module has no buffer of that name.
struct BufferRef {
    LoadedModule* slot;
    u32 buffer;
    View view() const { return slot->instance->buffers[buffer]; }
    const BufferInfo& info() const { return slot->module->buffers[buffer]; }
};
ErrorOr<BufferRef> resolve_buffer(const char* spec, LoadedModule* own);

// A hash of what a function is: its bytecode, its signature and its name.
u64 function_hash(const FunctionInfo& function);

// Verifies `bytes` and makes a runnable module of it (module, instance,
// JitInstance, hashes). On a verifier rejection `diagnostic` says where.
// The slot is filled but not yet entered in the table.
ErrorOr<void> build_module(const char* file_name, const u8* bytes, usize size, LoadedModule& out,
                           ModuleDiagnostic& diagnostic);
// Frees everything build_module() made. No native frame may be running
// (true at the prompt: the shell is never inside a module call).
void destroy_loaded_module(LoadedModule& slot);

// The slot whose instance is `instance`, or nullptr.
LoadedModule* slot_for_instance(const ModuleInstance* instance);

// Puts a built module in a free slot (OutOfMemory when all are taken).
ErrorOr<LoadedModule*> add_loaded_module(const LoadedModule& built);

// Case-insensitive ASCII comparison, for module and function names.
bool equals_ignoring_case(const char* a, const char* b);
bool equals_ignoring_case(const char* a, const char* b, usize length);
