// Shared between loader.cpp and verifier.cpp; not part of the public API.
#pragma once

#include <bareflow/error_or.h>
#include <microjit/module/module.h>
#include <microjit/module/reporter.h>

// Verifies the body of module.functions[index] (rules 3-8 of
// docs/module-format.md). The tables are already checked. Scratch memory
// comes from `allocator` and is returned before this returns.
ErrorOr<void> verify_function(const Module& module, u32 index, ModuleAllocator& allocator, Reporter& reporter);
