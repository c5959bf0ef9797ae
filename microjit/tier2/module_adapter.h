// The bridge from a loaded, verified module (microjit/module/module.h) to the
// ModuleInfo that tier 2 reads. Tier 2 keeps its own small description so its
// IR and tests do not depend on the loader; this is the one place that
// translates.
#pragma once

#include <microjit/module/module.h>
#include <microjit/tier2/arena.h>
#include <microjit/tier2/bytecode.h>

namespace Tier2 {

// Fills `out` from `module`; the tables live in `arena`, the code and names
// stay in the module (which must outlive `out`).
ErrorOr<void> describe_module(const Module& module, Arena& arena, ModuleInfo& out);

}
