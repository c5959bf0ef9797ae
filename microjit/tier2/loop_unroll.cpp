// Unrolling of small innermost counted loops by 4, for general tier-2 code
// (issue 7: "counted loops ... unrolled by 4 with a remainder loop"). See
// optimize.h for the contract and docs/tier2.md ("General code generation").
//
// A counted loop (loops.h) of a few blocks that only its latch leaves is
// rewritten as
//
//   preheader:  limit = max(end, INT_MIN + 3) - 3
//               branch lt start limit -> main, remainder_entry
//   main:       phis; body(iv); body(iv+1); body(iv+2); body(iv+3)
//               (each body all of the loop's blocks, the latch of one
//               copy jumping to the header of the next)
//               branch lt iv+4 limit -> main, main_exit
//   main_exit:  branch lt iv+4 end -> remainder_entry, exit_join
//   remainder_entry: phis merging the entry values and main's results
//               jmp header
//   header:     the original loop, now the remainder (0 to 3 trips after
//               main; every trip when main is never entered)
//   exit_join:  phis for the loop's values used after it; jmp exit
//
// Why it is exact: the original loop is do-while shaped (its header runs
// once it is reached; `for` tests start < end before the preheader), and it
// runs trip v + 1 after trip v exactly when v + 1 < end, with v + 1 wrapping
// as addi does. Main is entered at iv = v only when v < end - 3 holds in
// exact arithmetic: the clamp makes limit = end - 3 when that does not
// underflow, and INT_MIN (no v is below it) when it would. Then v + 1,
// v + 2, v + 3 are below end without wrapping, so the original would run all
// four trips, and v + 4 <= end <= INT_MAX cannot wrap either. Main's copies
// keep the instructions' bytecode offsets and run in the original order, so
// traps and memory effects are the original's. After main, trip v + 4 runs
// (in the remainder loop) exactly when the original would run it.
//
// The pass runs before bounds-check elimination and strength reduction,
// which then see the remainder loop as an ordinary counted loop; main is no
// counted loop (its step is 4), so it keeps every check. Loops whose
// accesses a guard would cover (index affine in iv) are therefore left alone:
// the unchecked copy of the whole loop is worth more than the unrolling.
#include <bareflow/panic.h>
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/loops.h>
#include <microjit/tier2/optimize.h>

namespace Tier2 {

namespace {

// The pass is complete and tested; this switches it off for measurements.
constexpr bool enable_unrolling = true;
constexpr u32 unroll_factor = 4;
// Instructions in the body (not counting phis and the branch): four copies
// of more than this cost more in code size and registers than the three
// saved compare-and-branches win.
constexpr u32 max_body_instructions = 40;
// A body with an `if` or two; more blocks rarely stay under the size limit.
constexpr u32 max_body_blocks = 6;
// Enough for every loop a Flow function realistically has.
constexpr u32 max_unrolled_loops = 16;

bool follows_iv(const Inst* index, const Inst* iv, const Loop* loop, int depth = 0)
{
    if (index == iv)
        return true;
    if (depth > 4)
        return false;
    switch (index->op) {
    case Op::ADDI_I32:
    case Op::MULI_I32:
        return follows_iv(index->args[0], iv, loop, depth + 1);
    case Op::ADD_I32:
    case Op::MUL_I32:
        for (u32 k = 0; k < 2; ++k)
            if (defined_outside(index->args[1 - k], loop) && follows_iv(index->args[k], iv, loop, depth + 1))
                return true;
        return false;
    default:
        return false;
    }
}

bool is_candidate(const Function& fn, Loop* loop, CountedLoop& counted)
{
    if (!match_counted_loop(fn, loop, counted))
        return false;
    if (!counted.single_exit || loop->block_count > max_body_blocks)
        return false;
    for (u32 l = 0; l < fn.loop_count; ++l)
        if (fn.loops[l] != loop && loop->contains(fn.loops[l]->header))
            return false; // not innermost
    u32 body = 0;
    for (u32 b = 0; b < fn.block_count; ++b) {
        if (!loop->contains(fn.blocks[b]))
            continue;
        for (const Inst* inst = fn.blocks[b]->first; inst; inst = inst->next) {
            if (inst->op == Op::Phi || inst->is_terminator())
                continue;
            if (++body > max_body_instructions || inst->op == Op::CALL)
                return false;
            bool memory = inst->op == Op::LOAD_I32 || inst->op == Op::LOAD_F32 || inst->op == Op::STORE_I32 || inst->op == Op::STORE_F32;
            if (memory && defined_outside(inst->args[0], loop) && follows_iv(inst->args[1], counted.iv, loop))
                return false;
        }
    }
    return true;
}

// The value `v` has in the copy being built: its clone if the loop defines
// it, else itself. (Only original values are looked up, whose blocks the
// loop's member set covers.)
Inst* in_copy(Inst** map, const Loop* loop, Inst* v)
{
    return loop->contains(v->block) ? map[v->id] : v;
}

ErrorOr<Inst*> make_inst(Function& fn, Op op, Type type, u32 offset, u32 arg_count)
{
    Inst* inst = TRY(create_inst(fn, op, type, arg_count));
    inst->offset = offset;
    return inst;
}

ErrorOr<Inst*> make_branch(Function& fn, Block* block, Inst* lhs, Inst* rhs, Block* taken, Block* other, u32 offset)
{
    Inst* br = TRY(make_inst(fn, Op::Branch, Type::Void, offset, 2));
    br->cond = Cond::Lt;
    br->args[0] = lhs;
    br->args[1] = rhs;
    append_inst(block, br);
    block->succ[0] = taken;
    block->succ[1] = other;
    block->succ_count = 2;
    return br;
}

ErrorOr<void> make_jump(Function& fn, Block* block, Block* target, u32 offset)
{
    Inst* jump = TRY(make_inst(fn, Op::JMP, Type::Void, offset, 0));
    append_inst(block, jump);
    block->succ[0] = target;
    block->succ_count = 1;
    return {};
}

ErrorOr<void> set_preds(Function& fn, Block* block, Block* first, Block* second)
{
    block->preds = TRY(fn.arena->allocate<Block*>(2));
    block->preds[0] = first;
    block->preds[1] = second;
    block->pred_count = 2;
    return {};
}

ErrorOr<void> unroll(Function& fn, const CountedLoop& counted)
{
    Loop* loop = counted.loop;
    Block* header = loop->header;
    Block* latch = loop->latch;
    Block* pre = loop->preheader;
    Block* exit = counted.exit;
    u32 entry_index = header->pred_index(pre);
    u32 back_index = header->pred_index(latch);
    u32 offset = header->offset;
    u32 original_ids = fn.next_inst_id;
    Inst** previous = TRY(fn.arena->allocate<Inst*>(original_ids));
    Inst** current = TRY(fn.arena->allocate<Inst*>(original_ids));

    // The loop's blocks in reverse post-order: the header first, the latch
    // (the only block that leaves or closes the loop) last, every definition
    // before its uses.
    u32 member_count = 0;
    Block** members = TRY(fn.arena->allocate<Block*>(loop->block_count));
    for (u32 b = 0; b < fn.block_count; ++b)
        if (loop->contains(fn.blocks[b]))
            members[member_count++] = fn.blocks[b];
    if (members[0] != header || members[member_count - 1] != latch)
        panic("tier2: unroll: loop blocks out of order");
    // copies[c * member_count + m] is copy c's clone of members[m].
    Block** copies = TRY(fn.arena->allocate<Block*>(unroll_factor * member_count));
    auto clone_of = [&](u32 copy, const Block* original) -> Block* {
        for (u32 m = 0; m < member_count; ++m)
            if (members[m] == original)
                return copies[copy * member_count + m];
        panic("tier2: unroll: block outside the loop");
    };
    for (u32 i = 0; i < unroll_factor * member_count; ++i)
        copies[i] = TRY(create_block(fn, members[i % member_count]->offset));
    Block* main = copies[0];
    Block* main_exit = TRY(create_block(fn, offset));
    Block* remainder_entry = TRY(create_block(fn, offset));
    Block* exit_join = TRY(create_block(fn, offset));

    // The preheader decides once whether four trips remain.
    Inst* jump = pre->terminator();
    Inst* floor = TRY(make_const_i32(fn, INT32_MIN + 3, jump));
    Inst* clamped = TRY(make_inst(fn, Op::MAX_I32, Type::I32, jump->offset, 2));
    clamped->args[0] = counted.end;
    clamped->args[1] = floor;
    insert_before(jump, clamped);
    Inst* limit = TRY(make_inst(fn, Op::ADDI_I32, Type::I32, jump->offset, 1));
    limit->args[0] = clamped;
    limit->imm = -3;
    insert_before(jump, limit);
    u32 jump_offset = jump->offset;
    remove_inst(jump);
    TRY(make_branch(fn, pre, counted.start, limit, main, remainder_entry, jump_offset));

    // Main's phis start from the loop's entry values; their back-edge
    // arguments are the fourth copy's, filled in below.
    for (Inst* phi = header->first; phi && phi->op == Op::Phi; phi = phi->next) {
        Inst* merged = TRY(make_inst(fn, Op::Phi, phi->type, phi->offset, 2));
        merged->args[0] = phi->args[entry_index];
        append_inst(main, merged);
        previous[phi->id] = merged;
    }
    for (u32 copy = 0; copy < unroll_factor; ++copy) {
        // A header phi's value in this copy is its back-edge argument's
        // value in the previous one (all read before any is written).
        for (Inst* phi = header->first; phi && phi->op == Op::Phi; phi = phi->next)
            current[phi->id] = copy == 0 ? previous[phi->id] : in_copy(previous, loop, phi->args[back_index]);
        for (u32 m = 0; m < member_count; ++m) {
            Block* original = members[m];
            Block* clone_block = copies[copy * member_count + m];
            // Inner blocks keep their predecessors (all inside the copy);
            // the header's copy has one, the previous copy's latch.
            if (original != header) {
                clone_block->preds = TRY(fn.arena->allocate<Block*>(original->pred_count));
                for (u32 p = 0; p < original->pred_count; ++p)
                    clone_block->preds[p] = clone_of(copy, original->preds[p]);
                clone_block->pred_count = original->pred_count;
            } else if (copy == 0) {
                TRY(set_preds(fn, main, pre, clone_of(unroll_factor - 1, latch)));
            } else {
                clone_block->preds = TRY(fn.arena->allocate<Block*>(1));
                clone_block->preds[0] = clone_of(copy - 1, latch);
                clone_block->pred_count = 1;
            }
            for (Inst* inst = original->first; inst; inst = inst->next) {
                if ((inst->op == Op::Phi && original == header) || inst == latch->terminator())
                    continue;
                Inst* clone = TRY(make_inst(fn, inst->op, inst->type, inst->offset, inst->arg_count));
                clone->cond = inst->cond;
                clone->flags = static_cast<u8>(inst->flags & ~(Unchecked | ForloopBackEdge));
                clone->imm = inst->imm;
                append_inst(clone_block, clone);
                current[inst->id] = clone;
                if (inst->is_terminator()) {
                    clone_block->succ_count = original->succ_count;
                    for (u32 s = 0; s < original->succ_count; ++s)
                        clone_block->succ[s] = clone_of(copy, original->succ[s]);
                }
            }
        }
        // Arguments last: an inner phi may name a value of a later block.
        for (u32 m = 0; m < member_count; ++m) {
            Block* original = members[m];
            Inst* clone = copies[copy * member_count + m]->first;
            if (original == header && copy == 0)
                while (clone && clone->op == Op::Phi)
                    clone = clone->next;
            for (Inst* inst = original->first; inst; inst = inst->next) {
                if ((inst->op == Op::Phi && original == header) || inst == latch->terminator())
                    continue;
                for (u32 k = 0; k < inst->arg_count; ++k)
                    clone->args[k] = in_copy(current, loop, inst->args[k]);
                clone = clone->next;
            }
        }
        // Copies 1 to 3 run on into the next copy: the trip is known to follow.
        if (copy + 1 < unroll_factor)
            TRY(make_jump(fn, clone_of(copy, latch), clone_of(copy + 1, header), latch->terminator()->offset));
        Inst** swap = previous;
        previous = current;
        current = swap;
    }
    for (Inst* phi = header->first, *merged = main->first; phi && phi->op == Op::Phi; phi = phi->next, merged = merged->next)
        merged->args[1] = in_copy(previous, loop, phi->args[back_index]);
    Inst* next4 = in_copy(previous, loop, counted.next);
    u32 branch_offset = latch->terminator()->offset;
    TRY(make_branch(fn, clone_of(unroll_factor - 1, latch), next4, limit, main, main_exit, branch_offset));

    // After main, trip iv + 4 runs exactly when the original would run it.
    main_exit->preds = TRY(fn.arena->allocate<Block*>(1));
    main_exit->preds[0] = clone_of(unroll_factor - 1, latch);
    main_exit->pred_count = 1;
    TRY(make_branch(fn, main_exit, next4, counted.end, remainder_entry, exit_join, branch_offset));

    // The remainder loop starts from the entry values or from main's.
    TRY(set_preds(fn, remainder_entry, pre, main_exit));
    for (Inst* phi = header->first; phi && phi->op == Op::Phi; phi = phi->next) {
        Inst* merged = TRY(make_inst(fn, Op::Phi, phi->type, phi->offset, 2));
        merged->args[0] = phi->args[entry_index];
        merged->args[1] = in_copy(previous, loop, phi->args[back_index]);
        append_inst(remainder_entry, merged);
        phi->args[entry_index] = merged;
    }
    TRY(make_jump(fn, remainder_entry, header, offset));
    header->preds[entry_index] = remainder_entry;

    // Both loops leave through exit_join, where each value of the loop that
    // is used later gets a phi of its two versions. Uses outside the loop
    // are all dominated by its single exit edge, which now runs through
    // exit_join.
    TRY(set_preds(fn, exit_join, latch, main_exit));
    TRY(make_jump(fn, exit_join, exit, offset));
    for (u32 s = 0; s < latch->succ_count; ++s)
        if (latch->succ[s] == exit)
            latch->succ[s] = exit_join;
    exit->preds[exit->pred_index(latch)] = exit_join;
    Inst* join_jump = exit_join->first;
    for (u32 m = 0; m < member_count; ++m) {
        for (Inst* value = members[m]->first; value; value = value->next) {
            if (value->type == Type::Void)
                continue;
            Inst* merged = nullptr;
            for (u32 b = 0; b < fn.block_count; ++b) {
                Block* block = fn.blocks[b];
                if (loop->contains(block))
                    continue;
                for (Inst* user = block->first; user; user = user->next) {
                    for (u32 k = 0; k < user->arg_count; ++k) {
                        if (user->args[k] != value)
                            continue;
                        if (!merged) {
                            merged = TRY(make_inst(fn, Op::Phi, value->type, value->offset, 2));
                            merged->args[0] = value;
                            merged->args[1] = in_copy(previous, loop, value);
                            insert_before(join_jump, merged);
                        }
                        user->args[k] = merged;
                    }
                }
            }
        }
    }

    Block** blocks = TRY(fn.arena->allocate<Block*>(fn.block_count + unroll_factor * member_count + 3));
    for (u32 b = 0; b < fn.block_count; ++b)
        blocks[b] = fn.blocks[b];
    for (u32 i = 0; i < unroll_factor * member_count; ++i)
        blocks[fn.block_count++] = copies[i];
    blocks[fn.block_count++] = main_exit;
    blocks[fn.block_count++] = remainder_entry;
    blocks[fn.block_count++] = exit_join;
    fn.blocks = blocks;
    return {};
}

}

ErrorOr<void> unroll_counted_loops(Function& fn, OptimizeStats& stats)
{
    // Guards name loops and values that the rewrite would leave stale; the
    // pass belongs before bounds-check elimination.
    if (!enable_unrolling || fn.guard_count)
        return {};
    TRY(analyze(fn));
    // Each rewrite changes the CFG, so loops are found again after it; the
    // remainder loops are remembered so that they are not unrolled again.
    Block* done[max_unrolled_loops];
    u32 done_count = 0;
    while (done_count < max_unrolled_loops) {
        CountedLoop counted;
        bool found = false;
        for (u32 l = 0; l < fn.loop_count && !found; ++l) {
            bool seen = false;
            for (u32 d = 0; d < done_count; ++d)
                seen |= done[d] == fn.loops[l]->header;
            found = !seen && is_candidate(fn, fn.loops[l], counted);
        }
        if (!found)
            break;
        done[done_count++] = counted.loop->header;
        TRY(unroll(fn, counted));
        TRY(analyze(fn));
        stats.unrolled++;
    }
    return {};
}

}
