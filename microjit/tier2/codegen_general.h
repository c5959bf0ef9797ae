// The general tier-2 code generator: native code for a function that no
// pattern (codegen.h) matches, straight from its optimised SSA IR, under the
// standalone convention or the tier ABI (CodegenOptions::tier_abi).
//
// This first version covers the scalar i32 subset: parameters, constants,
// every i32 arithmetic, logic, shift and compare opcode, division and
// remainder with the interpreter's traps, phis, branches and returns. The
// three hottest values (loop-carried phis of the deepest loops first) live
// in EBX, ESI, EDI, every other SSA value in a frame slot of its own; out of
// SSA is by parallel copies on the edges. Memory, calls and f32 are not
// handled yet and make compile_general return JitUnsupported, so such
// functions stay at their current tier.
#pragma once

#include <microjit/tier2/codegen.h>

namespace Tier2 {

// True if compile_general can compile the function.
bool general_supports(const Function&);

// Emits the function into `assembler` (the caller calls finish()).
ErrorOr<void> compile_general(const Function&, x86::Assembler&, const CodegenOptions&);

}
