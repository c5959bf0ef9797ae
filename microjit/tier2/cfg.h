// Control-flow analyses over the tier-2 IR: reverse post-order (dropping
// unreachable blocks), dominators (Cooper, Harvey and Kennedy, "A Simple,
// Fast Dominance Algorithm", 2001), natural loops with their nesting, and a
// preheader for every loop (inserted when missing, so that loop-invariant code
// and loop-entry guards have one place to go).
//
// Passes that change the CFG call analyze() again afterwards; it is cheap for
// the function sizes Flow produces.
#pragma once

#include <microjit/tier2/ir.h>

namespace Tier2 {

ErrorOr<void> analyze(Function&);
// Only the ordering and the dominator tree (no loops, no CFG change beyond
// dropping unreachable blocks); the SSA builder needs this before loops exist.
ErrorOr<void> order_and_dominate(Function&);

bool dominates(const Block* a, const Block* b);
// True if `value` is defined outside `loop` (so it is invariant in it).
bool defined_outside(const Inst* value, const Loop* loop);

}
