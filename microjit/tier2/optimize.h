// Tier 2's scalar optimisations over the SSA IR, and the pipeline that runs
// them. Each pass keeps the function's results and traps exactly as the
// bytecode defines them (docs/module-format.md): i32 wraps, nothing that may
// trap is folded, removed, hoisted or duplicated, and no float operation is
// reassociated (reductions are reassociated only by the pattern code
// generators, under the rule in docs/tier2.md).
#pragma once

#include <microjit/tier2/ir.h>

namespace Tier2 {

struct OptimizeStats {
    u32 folded;            // instructions replaced by constants
    u32 copies;            // values replaced by another value (phis of one value, x+0, ...)
    u32 canonicalised;     // e.g. sub x,c -> addi x,-c; branch on a compare result -> compare-and-branch
    u32 branches_folded;   // conditional branches with a known outcome
    u32 blocks_merged;
    u32 removed;           // dead instructions
    u32 hoisted;           // loop-invariant instructions moved to a preheader
    u32 strength_reduced;  // iv * k turned into an added induction variable
    u32 unchecked;         // loads and stores whose bounds check a loop guard covers
    u32 unrolled;          // counted loops unrolled by 4 (unroll_counted_loops)
    u32 numbered;          // instructions replaced by an equal earlier value (number_values)
};

// Constant folding and propagation, copy propagation, canonical forms and
// branch folding, to a fixed point; then dead-code removal and CFG cleanup.
ErrorOr<void> simplify(Function&, OptimizeStats&);
// Removes instructions whose values are unused and that have no side effect.
void remove_dead_code(Function&, OptimizeStats&);
// Global value numbering: a pure instruction equal to one that dominates it
// is replaced by that one (gvn.cpp).
ErrorOr<void> number_values(Function&, OptimizeStats&);

// Moves pure loop-invariant instructions to the loop's preheader.
ErrorOr<void> hoist_invariants(Function&, OptimizeStats&);
// In counted loops, iv * k (k invariant) becomes a new induction variable
// stepped by k.
ErrorOr<void> reduce_strength(Function&, OptimizeStats&);
// Marks loads/stores indexed by a counted loop's iv + c as Unchecked under
// a Guard at the loop's preheader (see Guard in ir.h).
ErrorOr<void> eliminate_bounds_checks(Function&, OptimizeStats&);

// Unrolls small innermost counted loops (a few blocks, left only through the
// latch) by 4: a main loop that runs while at least 4 trips remain, then the
// original loop for the rest (loop_unroll.cpp). General code only, before optimize(), which then treats
// the remainder like any counted loop.
ErrorOr<void> unroll_counted_loops(Function&, OptimizeStats&);

// Everything above except the unrolling, in order.
ErrorOr<void> optimize(Function&, OptimizeStats&);

}
