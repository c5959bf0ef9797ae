// Matching counted loops; see loops.h.
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/loops.h>

namespace Tier2 {

namespace {

// Does control reaching `block` imply lhs < rhs? Looks for a dominating branch
// on the straight-line chain of single-predecessor blocks above it whose edge
// into the chain carries that relation.
bool edge_implies_less(const Block* block, const Inst* lhs, const Inst* rhs)
{
    if (lhs->op == Op::CONST_I32 && rhs->op == Op::CONST_I32)
        return lhs->imm < rhs->imm;
    for (int steps = 0; steps < 8 && block->pred_count == 1; ++steps) {
        const Block* pred = block->preds[0];
        const Inst* br = pred->terminator();
        if (br->op == Op::Branch && pred->succ[0] != pred->succ[1]) {
            Cond c = pred->succ[0] == block ? br->cond : negate(br->cond);
            const Inst* a = br->args[0];
            const Inst* b = br->args[1];
            if (c == Cond::Lt && a == lhs && b == rhs)
                return true;
            if (c == Cond::Gt && a == rhs && b == lhs)
                return true;
            return false;
        }
        block = pred;
    }
    return false;
}

}

bool index_is_iv_plus_constant(const Inst* index, const Inst* iv, i32& offset)
{
    if (index == iv) {
        offset = 0;
        return true;
    }
    if (index->op == Op::ADDI_I32 && index->args[0] == iv) {
        offset = index->imm;
        return true;
    }
    return false;
}

bool match_counted_loop(const Function& fn, Loop* loop, CountedLoop& out)
{
    Block* latch = loop->latch;
    Block* header = loop->header;
    if (!latch || !loop->preheader || header->pred_count != 2)
        return false;
    Inst* br = latch->terminator();
    if (br->op != Op::Branch || latch->succ_count != 2)
        return false;
    int back = latch->succ[0] == header ? 0 : latch->succ[1] == header ? 1 : -1;
    if (back < 0 || latch->succ[1 - back] == header)
        return false;
    Cond c = back == 0 ? br->cond : negate(br->cond);
    Inst* next;
    Inst* end;
    if (c == Cond::Lt) {
        next = br->args[0];
        end = br->args[1];
    } else if (c == Cond::Gt) {
        next = br->args[1];
        end = br->args[0];
    } else {
        return false;
    }
    if (next->op != Op::ADDI_I32 || next->imm != 1)
        return false;
    Inst* iv = next->args[0];
    if (iv->op != Op::Phi || iv->block != header)
        return false;
    u32 latch_index = header->pred_index(latch);
    u32 entry_index = header->pred_index(loop->preheader);
    if (iv->args[latch_index] != next)
        return false;
    if (!defined_outside(end, loop))
        return false;
    out.loop = loop;
    out.iv = iv;
    out.next = next;
    out.start = iv->args[entry_index];
    out.end = end;
    out.exit = latch->succ[1 - back];
    out.single_exit = true;
    for (u32 b = 0; b < fn.block_count; ++b) {
        Block* block = fn.blocks[b];
        if (!loop->contains(block) || block == latch)
            continue;
        for (u32 s = 0; s < block->succ_count; ++s)
            if (!loop->contains(block->succ[s]))
                out.single_exit = false;
    }
    out.entry_proven = edge_implies_less(loop->preheader, out.start, end);
    return true;
}

}
