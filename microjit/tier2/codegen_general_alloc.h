// Register allocation for the general tier-2 code generator
// (codegen_general.h): where every SSA value of a function lives.
//
// A linear scan (Poletto and Sarkar, "Linear Scan Register Allocation",
// TOPLAS 1999) over the function's blocks in reverse post-order:
//   - positions: each block has a start (its phis), two positions per
//     instruction, and an end (the copies into its successors' phis);
//   - live intervals: one [definition, last live position] per value, found
//     by walking back from every use to the definition through the
//     predecessors (a value live into a loop header is live out of the
//     latch, so its interval covers the whole loop);
//   - registers: i32 values take ECX EBX ESI EDI EBP (EAX and EDX are the
//     scratch pair that division, calls and memory-to-memory copies need),
//     f32 values XMM1-XMM7 (XMM0 is scratch). A value live across a call
//     (call, exp.f32) may only take EBX ESI EDI EBP, whose contents the
//     tier ABI keeps: f32 values live across calls go to the frame;
//   - spilling: when a class runs out, the interval with the smallest
//     loop-weighted use count (8^depth per use, ties: the one ending last)
//     goes to a frame slot for its whole life, so values of inner loops keep
//     their registers. Slots are shared by values whose intervals are apart;
//   - views (base and length) live in 8-byte frame slots, each its own;
//     module buffers (gview) are constants of the instance and need none.
// Private to microjit/tier2's general code generator.
#pragma once

#include <microjit/tier2/ir.h>

namespace Tier2 {

enum class Home : u8 {
    None,    // no value, or a value nobody reads (emitted into scratch)
    Const,   // const.i32 / const.f32: used as an immediate
    Undef,   // read only on paths that never happen: copies skip it
    Gpr,     // reg = Gp32 id
    Xmm,     // reg = Xmm id
    Slot,    // 4 bytes at [esp + offset]
    View,    // 8 bytes at [esp + offset]: base, then length
    Buffer,  // gview: module buffer imm, a constant of the instance
};

struct Location {
    Home home;
    u8 reg;
    i32 offset;
};

struct GeneralLayout {
    Location* where;        // by Inst::id
    u32* position;          // by Inst::id (analysis order; used for tests and logs)
    u32* use_count;         // by Inst::id
    u32* last;              // by Inst::id: the last position its home holds it
    u8* select;             // by block id: Select::Branch or Select::Arm, see select_diamond
    u32 selects;            // diamonds emitted as CMOV
    i32 frame_size;         // the `sub esp` amount
    u8 saved[4];            // callee-saved registers the code uses, in push order
    u8 saved_count;
    i32 out_args;           // outgoing argument area (8 bytes per parameter)
    i32 view_temp;          // scratch for parallel copies of views
    u32 calls;              // call and exp.f32 instructions
    u32 spilled;            // values that live in slots
    u32 in_registers;       // values that live in registers
};

// Frame offsets below out_args (ESP-relative, after the prologue).
struct GeneralFrame {
    static constexpr i32 saved_eax = 0;    // EAX across the hot stub
    static constexpr i32 depth = 4;        // this frame's call depth
    static constexpr i32 constant_a = 8;   // an f32 or i32 constant as a memory operand
    static constexpr i32 constant_b = 12;
    static constexpr i32 fixed = 16;
};

// Computes the layout; everything lives in fn.arena. With if_convert,
// diamonds that select_diamond accepts become CMOV. The frame keeps ESP
// 16-byte aligned after the prologue (the tier ABI enters with ESP + 4
// aligned), so calls out of the code are aligned. JitUnsupported when the
// function has something it cannot place.
ErrorOr<GeneralLayout> allocate_registers(const Function& fn, bool if_convert = false);

// Blocks in emission order (fn.blocks without the removed ones).
u32 live_blocks(const Function& fn, Block** out);

// If-conversion: a branch whose two arms are short, trap-free i32 code that
// meet again at a block with a single i32 phi, the arms following the branch
// in emission order. Such a diamond is emitted without jumps: both arms run,
// then the phi takes one arm's value by CMOV on the branch's condition. The
// allocator keeps the first arm's values and the condition's operands in
// their homes until the second arm ends, so both arms can run in sequence.
enum Select : u8 { NoSelect = 0, SelectBranch = 1, SelectArm = 2 };
bool select_diamond(const Block& branch, const Block* first_arm, const Block* second_arm);

}
