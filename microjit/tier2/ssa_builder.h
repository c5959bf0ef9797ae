// Building the tier-2 IR from one verified function's bytecode: basic blocks
// split at jump targets and after control transfers, then SSA form by the
// classic construction (Cytron et al., "Efficiently Computing Static Single
// Assignment Form and the Control Dependence Graph", TOPLAS 1991): phis at the
// iterated dominance frontier of each register's definitions, then renaming
// along the dominator tree. `mov` becomes no instruction at all (the copy is
// propagated while renaming). The result has its analyses (cfg.h) computed.
#pragma once

#include <microjit/tier2/ir.h>

namespace Tier2 {

ErrorOr<Function*> build_function(Arena&, const ModuleInfo&, u32 function_index);

}
