// Counted loops in the tier-2 IR: the shape that `for i in start..end`
// leaves after SSA construction, found by structure rather than by the
// bytecode's exact bytes. Bounds-check elimination, strength reduction and
// every loop pattern start from here.
//
//   preheader:  ... jmp header
//   header:     iv = phi(start from preheader, next from latch) ...
//   latch:      next = addi iv 1; branch lt next end -> header, exit
//
// with `end` defined outside the loop. The latch's branch may be written with
// the operands swapped or the successors exchanged; what counts is that the
// edge back to the header is taken exactly when next < end (signed).
#pragma once

#include <microjit/tier2/ir.h>

namespace Tier2 {

struct CountedLoop {
    Loop* loop;
    Inst* iv;    // the header phi
    Inst* next;  // addi iv 1, in the latch
    Inst* start; // iv's value on entry
    Inst* end;   // loop-invariant bound
    Block* exit; // the latch's successor outside the loop
    bool single_exit;  // the latch is the only block that leaves the loop
    bool entry_proven; // the loop is entered only when start < end
};

bool match_counted_loop(const Function&, Loop*, CountedLoop& out);

// If `index` is iv or `addi iv c` (c constant), sets offset and returns true.
bool index_is_iv_plus_constant(const Inst* index, const Inst* iv, i32& offset);

}
