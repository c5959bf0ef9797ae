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
// relocations instead of compiling, so JitInstance::compile() installs the
// block through the dispatch table with all its bookkeeping (profile, tier,
// next threshold), exactly like compiled code.
#pragma once

#include <bareflow/error_or.h>
#include <kernel/jit/jit_system.h>
#include <microjit/jit/tier_compiler.h>

// A rel32 field in a code blob whose branch leaves the blob: the absolute
// target it must reach wherever the blob lands.
struct CodeRelocation {
    u32 offset; // of the 4-byte rel32 field, from the blob's start
    u32 target; // absolute address
};

struct PendingInstall {
    const u8* code;
    u32 size;
    const CodeRelocation* relocations;
    u32 relocation_count;
    CodeIsa isa;
    NativeEnvironment expected;
};

// Wraps the compilers present in the runtime now (call once, after init).
void install_compile_trackers();

// A slot not yet in the table that compiles should be accounted to (reload
// compiles a replacement before it takes the old module's place).
void set_tracking_slot(LoadedModule* slot);

// Installs `install` as the code of `function` at `tier` in `slot`.
// Refused (SnapshotBadCode) when the instance's environment differs from
// the one the code was made for.
ErrorOr<void> install_native_code(LoadedModule& slot, u32 function, u8 tier, const PendingInstall& install);

// True if the two environments give code the same embedded addresses.
bool same_environment(const NativeEnvironment& a, const NativeEnvironment& b);
