// Reverse post-order, dominators, natural loops and preheaders; see cfg.h.
#include <bareflow/panic.h>
#include <microjit/tier2/cfg.h>

namespace Tier2 {

namespace {

// Depth-first walk from the entry; blocks never reached are cut out of the
// graph (their edges into live blocks, and the phi slots for them, go too).
ErrorOr<void> compute_rpo(Function& fn)
{
    u32 total = fn.block_count;
    Block** order = TRY(fn.arena->allocate<Block*>(total));
    Block** stack = TRY(fn.arena->allocate<Block*>(total));
    u8* next_succ = TRY(fn.arena->allocate<u8>(total));
    u8* state = TRY(fn.arena->allocate<u8>(total)); // 0 new, 1 on stack, 2 done
    // Index blocks by their current position so the scratch arrays fit.
    for (u32 i = 0; i < total; ++i)
        fn.blocks[i]->id = i;
    u32 post_count = 0;
    u32 depth = 0;
    stack[depth++] = fn.blocks[0];
    state[0] = 1;
    while (depth) {
        Block* b = stack[depth - 1];
        if (next_succ[b->id] < b->succ_count) {
            Block* s = b->succ[next_succ[b->id]++];
            if (state[s->id] == 0) {
                state[s->id] = 1;
                stack[depth++] = s;
            }
            continue;
        }
        state[b->id] = 2;
        order[post_count++] = b;
        --depth;
    }
    for (u32 i = 0; i < total; ++i) {
        Block* b = fn.blocks[i];
        if (state[i] != 0)
            continue;
        b->removed = true;
        for (u32 s = 0; s < b->succ_count; ++s)
            if (state[b->succ[s]->id] != 0)
                remove_pred(b->succ[s], b);
    }
    for (u32 i = 0; i < post_count; ++i) {
        fn.blocks[i] = order[post_count - 1 - i];
        fn.blocks[i]->id = i;
    }
    fn.block_count = post_count;
    fn.next_block_id = post_count;
    return {};
}

Block* intersect(Block* a, Block* b)
{
    while (a != b) {
        while (a->id > b->id)
            a = a->idom;
        while (b->id > a->id)
            b = b->idom;
    }
    return a;
}

void compute_dominators(Function& fn)
{
    for (u32 i = 0; i < fn.block_count; ++i)
        fn.blocks[i]->idom = nullptr;
    Block* entry = fn.blocks[0];
    entry->idom = entry;
    bool changed = true;
    while (changed) {
        changed = false;
        for (u32 i = 1; i < fn.block_count; ++i) {
            Block* b = fn.blocks[i];
            Block* new_idom = nullptr;
            for (u32 p = 0; p < b->pred_count; ++p) {
                Block* pred = b->preds[p];
                if (!pred->idom)
                    continue;
                new_idom = new_idom ? intersect(pred, new_idom) : pred;
            }
            if (new_idom != b->idom) {
                b->idom = new_idom;
                changed = true;
            }
        }
    }
    entry->dom_depth = 0;
    for (u32 i = 1; i < fn.block_count; ++i)
        fn.blocks[i]->dom_depth = fn.blocks[i]->idom->dom_depth + 1;
}

ErrorOr<void> find_loops(Function& fn)
{
    // Room for the preheaders analyze() may add before the next renumbering,
    // so that contains() stays inside the set for them.
    u32 words = (2 * fn.block_count + 31) / 32;
    Block** worklist = TRY(fn.arena->allocate<Block*>(fn.block_count));
    Loop** by_header = TRY(fn.arena->allocate<Loop*>(fn.block_count));
    u32 loop_count = 0;
    for (u32 i = 0; i < fn.block_count; ++i)
        fn.blocks[i]->loop = nullptr;
    for (u32 i = 0; i < fn.block_count; ++i) {
        Block* b = fn.blocks[i];
        for (u32 s = 0; s < b->succ_count; ++s) {
            Block* h = b->succ[s];
            if (!dominates(h, b))
                continue; // a retreating edge of an irreducible region: no loop
            Loop*& loop = by_header[h->id];
            if (!loop) {
                loop = TRY(fn.arena->allocate<Loop>());
                loop->header = h;
                loop->members = TRY(fn.arena->allocate<u32>(words));
                loop->members[h->id >> 5] |= 1u << (h->id & 31);
                loop->block_count = 1;
                ++loop_count;
            }
            u32 top = 0;
            if (!loop->contains(b)) {
                loop->members[b->id >> 5] |= 1u << (b->id & 31);
                loop->block_count++;
                worklist[top++] = b;
            }
            while (top) {
                Block* x = worklist[--top];
                for (u32 p = 0; p < x->pred_count; ++p) {
                    Block* y = x->preds[p];
                    if (loop->contains(y))
                        continue;
                    loop->members[y->id >> 5] |= 1u << (y->id & 31);
                    loop->block_count++;
                    worklist[top++] = y;
                }
            }
        }
    }
    // Recount latches exactly: the number of in-loop predecessors of the header.
    fn.loops = TRY(fn.arena->allocate<Loop*>(loop_count ? loop_count : 1));
    fn.loop_count = 0;
    for (u32 i = 0; i < fn.block_count; ++i) {
        Loop* loop = by_header[i];
        if (!loop)
            continue;
        u32 back_edges = 0;
        Block* latch = nullptr;
        for (u32 p = 0; p < loop->header->pred_count; ++p) {
            if (loop->contains(loop->header->preds[p])) {
                ++back_edges;
                latch = loop->header->preds[p];
            }
        }
        loop->latch = back_edges == 1 ? latch : nullptr;
        fn.loops[fn.loop_count++] = loop;
    }
    // Innermost first: a loop nested in another has fewer blocks.
    for (u32 i = 1; i < fn.loop_count; ++i) {
        Loop* l = fn.loops[i];
        u32 j = i;
        while (j > 0 && fn.loops[j - 1]->block_count > l->block_count) {
            fn.loops[j] = fn.loops[j - 1];
            --j;
        }
        fn.loops[j] = l;
    }
    for (u32 i = 0; i < fn.loop_count; ++i) {
        Loop* l = fn.loops[i];
        l->parent = nullptr;
        for (u32 j = i + 1; j < fn.loop_count; ++j) {
            if (fn.loops[j]->contains(l->header)) {
                l->parent = fn.loops[j];
                break;
            }
        }
    }
    for (u32 i = 0; i < fn.loop_count; ++i) {
        Loop* l = fn.loops[i];
        l->depth = 1;
        for (Loop* p = l->parent; p; p = p->parent)
            l->depth++;
    }
    // Innermost loop per block: the first (smallest) loop that contains it.
    for (u32 b = 0; b < fn.block_count; ++b) {
        Block* block = fn.blocks[b];
        for (u32 i = 0; i < fn.loop_count; ++i) {
            if (fn.loops[i]->contains(block)) {
                block->loop = fn.loops[i];
                break;
            }
        }
    }
    return {};
}

void replace_successor(Block* b, Block* from, Block* to)
{
    for (u32 s = 0; s < b->succ_count; ++s)
        if (b->succ[s] == from)
            b->succ[s] = to;
}

// Gives `loop` a preheader: one block outside the loop that ends in a jump to
// the header and is the header's only outside predecessor. Returns whether
// the CFG changed.
ErrorOr<bool> ensure_preheader(Function& fn, Loop* loop)
{
    Block* header = loop->header;
    u32 outside = 0;
    Block* only = nullptr;
    for (u32 p = 0; p < header->pred_count; ++p) {
        if (!loop->contains(header->preds[p])) {
            ++outside;
            only = header->preds[p];
        }
    }
    if (outside == 0)
        panic("tier2: loop header unreachable from outside");
    if (outside == 1 && only->succ_count == 1) {
        loop->preheader = only;
        return false;
    }
    Block* pre = TRY(create_block(fn, header->offset));
    Inst* jump = TRY(create_inst(fn, Op::JMP, Type::Void, 0));
    jump->offset = header->offset;
    append_inst(pre, jump);
    pre->succ[0] = header;
    pre->succ_count = 1;
    pre->preds = TRY(fn.arena->allocate<Block*>(outside));
    Block** new_preds = TRY(fn.arena->allocate<Block*>(header->pred_count - outside + 1));
    u32 inside_count = 0;
    for (u32 p = 0; p < header->pred_count; ++p) {
        Block* pred = header->preds[p];
        if (loop->contains(pred)) {
            new_preds[inside_count++] = pred;
        } else {
            pre->preds[pre->pred_count++] = pred;
            replace_successor(pred, header, pre);
        }
    }
    new_preds[inside_count] = pre;
    for (Inst* phi = header->first; phi && phi->op == Op::Phi; phi = phi->next) {
        Inst** args = TRY(fn.arena->allocate<Inst*>(inside_count + 1));
        Inst* entry_value = nullptr;
        bool all_same = true;
        u32 in = 0;
        for (u32 p = 0; p < header->pred_count; ++p) {
            if (loop->contains(header->preds[p])) {
                args[in++] = phi->args[p];
            } else {
                if (entry_value && entry_value != phi->args[p])
                    all_same = false;
                if (!entry_value)
                    entry_value = phi->args[p];
            }
        }
        if (!all_same) {
            Inst* merged = TRY(create_inst(fn, Op::Phi, phi->type, outside));
            merged->offset = phi->offset;
            u32 k = 0;
            for (u32 p = 0; p < header->pred_count; ++p)
                if (!loop->contains(header->preds[p]))
                    merged->args[k++] = phi->args[p];
            insert_before(jump, merged);
            entry_value = merged;
        }
        args[inside_count] = entry_value;
        phi->args = args;
        phi->arg_count = static_cast<u16>(inside_count + 1);
    }
    header->preds = new_preds;
    header->pred_count = inside_count + 1;
    // The new block joins the list; analyze() renumbers everything.
    Block** blocks = TRY(fn.arena->allocate<Block*>(fn.block_count + 1));
    for (u32 i = 0; i < fn.block_count; ++i)
        blocks[i] = fn.blocks[i];
    blocks[fn.block_count++] = pre;
    fn.blocks = blocks;
    return true;
}

}

ErrorOr<void> order_and_dominate(Function& fn)
{
    TRY(compute_rpo(fn));
    compute_dominators(fn);
    return {};
}

bool dominates(const Block* a, const Block* b)
{
    while (b->dom_depth > a->dom_depth)
        b = b->idom;
    return a == b;
}

bool defined_outside(const Inst* value, const Loop* loop)
{
    return !loop->contains(value->block);
}

ErrorOr<void> analyze(Function& fn)
{
    for (int round = 0; round < 3; ++round) {
        TRY(order_and_dominate(fn));
        TRY(find_loops(fn));
        bool changed = false;
        for (u32 i = 0; i < fn.loop_count; ++i)
            changed |= TRY(ensure_preheader(fn, fn.loops[i]));
        if (!changed)
            return {};
    }
    panic("tier2: preheader insertion did not converge");
}

}
