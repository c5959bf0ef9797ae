// Global value numbering (optimize.h, number_values): a pure instruction
// that computes what an earlier one computes, in a block the earlier one
// dominates, is replaced by it. After hoisting, the copies of `i * n` that
// a loop nest's indices each spelled out become one value, so the loop
// vectoriser sees accesses that share a base and a pointer, and the
// allocator keeps one register instead of several.
//
// Equal means: the same opcode, type, immediate, flags and arguments (for
// i32 operations that commute, in either order). Pure instructions
// (ir.h, is_pure) neither trap, nor read memory, nor write it, so the
// earlier value is the later one's value on every path that reaches the
// later one; f32 operations are deterministic, so this holds for them too,
// bit for bit. Reassociable adds keep their mark apart from unmarked ones.
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/optimize.h>

namespace Tier2 {

namespace {

bool commutes(Op op)
{
    switch (op) {
    case Op::ADD_I32:
    case Op::MUL_I32:
    case Op::AND_I32:
    case Op::OR_I32:
    case Op::XOR_I32:
    case Op::MIN_I32:
    case Op::MAX_I32:
    case Op::EQ_I32:
    case Op::NE_I32:
        return true;
    default:
        return false;
    }
}

bool numbered(const Inst* inst)
{
    return is_pure(inst) && inst->type != Type::Void && inst->op != Op::Undef && inst->arg_count <= 3;
}

u32 hash(const Inst* inst)
{
    u32 h = static_cast<u32>(inst->op) * 0x9E3779B1u ^ static_cast<u32>(inst->imm) * 0x85EBCA77u ^ inst->flags;
    u32 sum = 0, x = 0;
    for (u32 k = 0; k < inst->arg_count; ++k) {
        sum += inst->args[k]->id;
        x ^= inst->args[k]->id * (k + 1) * 0xC2B2AE3Du;
    }
    return h ^ (commutes(inst->op) ? sum * 0x27D4EB2Fu : x);
}

bool same(const Inst* a, const Inst* b)
{
    if (a->op != b->op || a->type != b->type || a->imm != b->imm || a->flags != b->flags || a->arg_count != b->arg_count)
        return false;
    bool in_order = true;
    for (u32 k = 0; k < a->arg_count; ++k)
        in_order = in_order && a->args[k] == b->args[k];
    if (in_order)
        return true;
    return commutes(a->op) && a->arg_count == 2 && a->args[0] == b->args[1] && a->args[1] == b->args[0];
}

} // namespace

ErrorOr<void> number_values(Function& fn, OptimizeStats& stats)
{
    TRY(analyze(fn));
    u32 size = 64;
    while (size < 2 * fn.next_inst_id)
        size *= 2;
    Arena& arena = *fn.arena;
    usize mark = arena.mark();
    Inst** table = TRY(arena.allocate<Inst*>(size));
    Inst** chain = TRY(arena.allocate<Inst*>(fn.next_inst_id));
    for (u32 i = 0; i < size; ++i)
        table[i] = nullptr;
    u32 replaced = 0;
    // Blocks in reverse post-order: a dominator comes before what it dominates.
    for (u32 b = 0; b < fn.block_count; ++b) {
        Block* block = fn.blocks[b];
        for (Inst* inst = block->first; inst;) {
            Inst* next = inst->next;
            if (!numbered(inst)) {
                inst = next;
                continue;
            }
            u32 slot = hash(inst) & (size - 1);
            Inst* found = nullptr;
            for (Inst* c = table[slot]; c && !found; c = chain[c->id])
                if (same(c, inst) && c->block && dominates(c->block, block))
                    found = c;
            if (found) {
                replace_all_uses(fn, inst, found);
                remove_inst(inst);
                ++replaced;
            } else {
                chain[inst->id] = table[slot];
                table[slot] = inst;
            }
            inst = next;
        }
    }
    arena.rewind(mark);
    stats.numbered += replaced;
    return {};
}

}
