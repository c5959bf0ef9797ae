// Tier 2's optimisation IR: SSA over basic blocks, built from a verified
// function's bytecode (see ssa_builder.cpp), with the control-flow graph,
// dominator tree and natural loops kept beside it (cfg.cpp).
//
// Shape, in one paragraph: a Function owns Blocks in reverse post-order; a
// Block is a doubly linked list of Insts, phis first and exactly one
// terminator (jmp, branch, ret) last. Each Inst is one SSA value (or none, for
// stores, terminators and void calls). The bytecode's value opcodes keep their
// byte codes as IR opcodes, so folding and evaluation share one switch with
// the interpreter's semantics; the IR adds Param, Phi, Undef and a two-way
// Branch with a condition. `mov` disappears during construction (copies are
// propagated as SSA is built) and `forloop i end T` becomes `i' = addi i 1`
// plus `branch lt i' end` flagged ForloopBackEdge. Counted loops are found by
// their shape (loops.h), whichever statement wrote them, which is sound for
// the exact rewrites made on them; the one permission that depends on what
// the user wrote, regrouping a float sum, travels as its own mark
// (Reassociable, from radd.f32 and rsub.f32). Everything lives in the
// caller's Arena.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <microjit/tier2/arena.h>
#include <microjit/tier2/bytecode.h>

namespace Tier2 {

enum class Op : u8 {
#define OP(name, code, ...) name = code,
#include <microjit/opcodes.def>
#undef OP
    Param = 0x80, // imm = parameter index
    Phi,          // one argument per predecessor, in Block::preds order
    Undef,        // a register read on a path where it was never written (dead)
    Branch,       // if (args[0] cond args[1]) goto succ[0] else goto succ[1]
};

enum class Cond : u8 { Eq, Ne, Lt, Le, Gt, Ge };
Cond negate(Cond c);
Cond swap_operands(Cond c); // a < b  <=>  b > a
bool evaluate_cond(Cond c, i32 a, i32 b);

enum InstFlag : u8 {
    ForloopBackEdge = 1 << 0, // Branch that came from `forloop`
    Unchecked = 1 << 1,       // load/store whose bounds check a loop guard proves (see Inst::guard)
    Reassociable = 1 << 2,    // add.f32/sub.f32 from radd.f32/rsub.f32: the float reduction rule lets
                              // the accumulation it belongs to be regrouped (docs/flow-language.md)
};

struct Block;

struct Inst {
    Op op;
    Type type; // Void when the instruction yields no value
    Cond cond; // Branch only
    u8 flags;
    u16 arg_count;
    u16 guard; // for Unchecked memory ops: index into Function::guards
    u32 id;
    i32 imm;    // constant bits, addi/muli immediate, buffer/function/parameter index
    u32 offset; // bytecode offset it came from, for compile logs and traps
    Inst** args;
    Inst* inline_args[3];
    Block* block;
    Inst* prev;
    Inst* next;

    Inst* arg(u32 i) const { return args[i]; }
    bool is_const() const { return op == Op::CONST_I32 || op == Op::CONST_F32; }
    bool is_terminator() const { return op == Op::JMP || op == Op::Branch || op == Op::RET || op == Op::RET_VOID; }
    f32 const_f32() const;
};

struct Loop;

struct Block {
    u32 id;     // position in Function::blocks (reverse post-order) after each analysis
    u32 offset; // bytecode offset of its first instruction (or of its source edge)
    Inst* first;
    Inst* last;
    Block* succ[2];
    u8 succ_count;
    Block** preds;
    u32 pred_count;
    Block* idom;
    u32 dom_depth;
    Loop* loop; // innermost loop containing this block, or nullptr
    bool removed;

    Inst* terminator() const { return last; }
    u32 pred_index(const Block* pred) const;
};

// A loop-entry fact for bounds-check elimination. Every Unchecked access
// that names this guard indexes `view` with an affine function of the counted
// loop's induction variable:
//   index = iv * scale + offset      scale = scale_value ?: scale_const,
//                                    offset = offset_const + (offset_value ?: 0)
// where scale_value and offset_value are loop-invariant. With iv running over
// [start, end - 1], the guard checks at the preheader, in 64-bit arithmetic:
//   scale >= 0
//   start < end                           (skipped when entry_proven)
//   start * scale + offset >= 0           (skipped when lower_proven)
//   (end - 1) * scale + offset < len(view)
// Then every such access is in range, and since the exact index fits, the
// i32 arithmetic that computes it cannot have wrapped. When the guard fails,
// code must run the checked loop instead, which traps exactly where the
// bytecode would. For `for i in 0..n` over a[i] (scale 1, offset 0, start 0,
// entry proven) all that remains is the single check n <= len(a).
struct Guard {
    Loop* loop;
    Inst* view;
    Inst* start;
    Inst* end;
    Inst* scale_value;  // or nullptr: scale_const
    Inst* offset_value; // or nullptr
    i32 scale_const;
    i32 offset_const;
    bool lower_proven;
    bool entry_proven;
};

struct Loop {
    Block* header;
    Block* preheader; // sole outside predecessor, ends in a jmp to header
    Block* latch;     // sole back-edge source, or nullptr if several
    Loop* parent;
    u32 depth;        // 1 for outermost
    u32* members;     // bit set over block ids
    u32 block_count;
    bool contains(const Block* b) const { return (members[b->id >> 5] >> (b->id & 31)) & 1; }
};

struct Function {
    Arena* arena;
    const ModuleInfo* module;
    u32 index; // in the module's function table
    const FunctionInfo* info;
    Block** blocks; // reverse post-order after analyses; blocks[0] is the entry
    u32 block_count;
    u32 next_block_id;
    u32 next_inst_id;
    Loop** loops; // innermost loops first
    u32 loop_count;
    Guard* guards;
    u32 guard_count;
    u32 guard_capacity;
    Inst** params; // param_count Param instructions in the entry block
    Block* entry() const { return blocks[0]; }
};

// --- construction helpers (ir.cpp) ---------------------------------------
ErrorOr<Inst*> create_inst(Function&, Op, Type, u32 arg_count);
ErrorOr<Block*> create_block(Function&, u32 offset);
void append_inst(Block*, Inst*);
void insert_before(Inst* before, Inst*);
void remove_inst(Inst*);
ErrorOr<Inst*> make_const_i32(Function&, i32 value, Inst* before);
ErrorOr<void> add_pred(Function&, Block* block, Block* pred);
// Removes the edge from `pred` to `block` from block's preds (and the
// matching phi arguments); the caller fixes pred's successors.
void remove_pred(Block* block, Block* pred);
void replace_all_uses(Function&, Inst* from, Inst* to);
u32 count_uses(const Function&, const Inst* inst);

// True if executing the instruction can trap, write memory or call: such an
// instruction is never removed, moved across a loop boundary or duplicated.
bool has_side_effect(const Inst*);
bool is_pure(const Inst*); // no side effect, no trap, no memory read

// A human-readable listing ("b2: v7 = add.i32 v3 v5"), NUL-terminated and cut
// to `size`; used by compile logs and test failure messages.
usize print_function(const Function&, char* out, usize size);
const char* op_name(Op);

}
