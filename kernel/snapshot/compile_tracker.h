// The kernel's view of every JIT compile.
//
// CompileTracker sits in the runtime in front of each tier's compiler
// (JitRuntime::set_compiler): it forwards the compile, counts it per
// function in the module's slot (`tiers` shows the count; a warm boot from a
// snapshot must show zero), and records the NativeEnvironment the code was
// compiled against, which a snapshot must match.
//
// It is also how code from a snapshot is installed: with an install pending,
// the "compile" copies the checked bytes into the code pool and applies the
// relocations against the environment it is given (branches to the runtime,
// absolute addresses rebased into this instance's regions), then compiles
// the function again with the saved decisions and installs the result only
// if it is byte for byte the relocated code. So JitInstance::compile()
// installs it through the dispatch table with all its bookkeeping (profile,
// tier, next threshold), exactly like compiled code, and code from disk that
// this kernel would not have produced never runs. The check compiles, but
// it is not counted as a compile: a warm boot still shows zero.
#pragma once

#include <bareflow/error_or.h>
#include <kernel/jit/jit_system.h>
#include <kernel/snapshot/snapshot_format.h>
#include <microjit/jit/tier_compiler.h>

struct PendingInstall {
    const u8* code;
    u32 size;
    const snapshot::Relocation* relocations; // checked (snapshot_load.cpp, check 6)
    u32 relocation_count;
    CodeIsa isa;
};

// Wraps the compilers present in the runtime now (call once, after init).
void install_compile_trackers();

// A slot not yet in the table that compiles should be accounted to (reload
// compiles a replacement before it takes the old module's place).
void set_tracking_slot(LoadedModule* slot);

// Installs `install` as the code of `function` at `tier` in `slot`.
// Refused (SnapshotBadCode) when a relocation names a region this instance
// does not have or points past its end, or when the relocated code does not
// walk as the stored code did; nothing is installed then.
// With `spec`, `install` is specialised code, installed in front of the
// function's generic tier-2 code (which must be installed first) through
// JitInstance::specialise, so its guard falls back to that code.
ErrorOr<void> install_native_code(LoadedModule& slot, u32 function, u8 tier, const PendingInstall& install,
                                  const Specialisation* spec = nullptr);
