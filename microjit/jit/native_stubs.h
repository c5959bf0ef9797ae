// Emits the runtime stubs of the tier ABI (native_abi.h): jit_enter, the
// shared trap exit and the propagate exit. They are emitted once per
// JitRuntime into its code pool, so the unwind point's address is a constant
// in them.
#pragma once

#include <bareflow/error_or.h>
#include <microjit/jit/construct.h>
#include <microjit/jit/native_abi.h>
#include <microjit/pool/pool.h>
#include <microjit/x86/assembler.h>

ErrorOr<NativeStubs> emit_native_stubs(CodePool& pool, InPlace<x86::Assembler>& assembler, NativeUnwindPoint* unwind);
