// The loop optimisations: loop-invariant code motion, strength reduction of
// index arithmetic, and bounds-check elimination by loop-entry guards. See
// optimize.h for the contracts and ir.h (Guard) for the guard formula.
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/loops.h>
#include <microjit/tier2/optimize.h>

namespace Tier2 {

namespace {

bool all_args_outside(const Inst* inst, const Loop* loop)
{
    for (u32 k = 0; k < inst->arg_count; ++k)
        if (!defined_outside(inst->args[k], loop))
            return false;
    return true;
}

void move_to_preheader(Inst* inst, Block* preheader)
{
    remove_inst(inst);
    insert_before(preheader->terminator(), inst);
}

ErrorOr<u32> find_or_add_guard(Function& fn, const Guard& wanted)
{
    for (u32 g = 0; g < fn.guard_count; ++g) {
        const Guard& have = fn.guards[g];
        if (have.loop == wanted.loop && have.view == wanted.view && have.offset_const == wanted.offset_const
            && have.offset_value == wanted.offset_value && have.scale_const == wanted.scale_const
            && have.scale_value == wanted.scale_value)
            return g;
    }
    if (fn.guard_count == fn.guard_capacity) {
        u32 capacity = fn.guard_capacity ? fn.guard_capacity * 2 : 8;
        Guard* guards = TRY(fn.arena->allocate<Guard>(capacity));
        for (u32 g = 0; g < fn.guard_count; ++g)
            guards[g] = fn.guards[g];
        fn.guards = guards;
        fn.guard_capacity = capacity;
    }
    fn.guards[fn.guard_count] = wanted;
    return fn.guard_count++;
}

// Reads `index` as iv * scale + offset (see Guard in ir.h). Accepts iv,
// iv * k, iv * inv, then any number of + constant and at most one + inv.
bool parse_affine_index(const Inst* index, const CountedLoop& counted, Guard& out, int depth = 0)
{
    const Loop* loop = counted.loop;
    if (depth > 6)
        return false;
    if (index == counted.iv) {
        out.scale_const = 1;
        return true;
    }
    switch (index->op) {
    case Op::MULI_I32:
        if (index->args[0] != counted.iv || index->imm < 0)
            return false;
        out.scale_const = index->imm;
        return true;
    case Op::MUL_I32:
        for (u32 k = 0; k < 2; ++k) {
            if (index->args[k] == counted.iv && defined_outside(index->args[1 - k], loop)) {
                out.scale_value = index->args[1 - k];
                return true;
            }
        }
        return false;
    case Op::ADDI_I32: {
        if (!parse_affine_index(index->args[0], counted, out, depth + 1))
            return false;
        i64 sum = static_cast<i64>(out.offset_const) + index->imm;
        if (sum < INT32_MIN || sum > INT32_MAX)
            return false;
        out.offset_const = static_cast<i32>(sum);
        return true;
    }
    case Op::ADD_I32:
        for (u32 k = 0; k < 2; ++k) {
            if (defined_outside(index->args[1 - k], loop) && !out.offset_value) {
                Guard saved = out;
                out.offset_value = index->args[1 - k];
                if (parse_affine_index(index->args[k], counted, out, depth + 1))
                    return true;
                out = saved;
            }
        }
        return false;
    default:
        return false;
    }
}

}

ErrorOr<void> hoist_invariants(Function& fn, OptimizeStats& stats)
{
    for (u32 l = 0; l < fn.loop_count; ++l) {
        Loop* loop = fn.loops[l];
        if (!loop->preheader)
            continue;
        // Reverse post-order visits definitions before their in-loop uses,
        // so a chain of invariant instructions moves out in one sweep.
        for (u32 b = 0; b < fn.block_count; ++b) {
            Block* block = fn.blocks[b];
            if (!loop->contains(block))
                continue;
            for (Inst* inst = block->first; inst;) {
                Inst* next = inst->next;
                if (is_pure(inst) && all_args_outside(inst, loop)) {
                    move_to_preheader(inst, loop->preheader);
                    stats.hoisted++;
                }
                inst = next;
            }
        }
    }
    return {};
}

ErrorOr<void> reduce_strength(Function& fn, OptimizeStats& stats)
{
    for (u32 l = 0; l < fn.loop_count; ++l) {
        CountedLoop counted;
        if (!match_counted_loop(fn, fn.loops[l], counted))
            continue;
        Loop* loop = counted.loop;
        Block* header = loop->header;
        Block* latch = loop->latch;
        u32 entry_index = header->pred_index(loop->preheader);
        u32 latch_index = header->pred_index(latch);
        for (u32 b = 0; b < fn.block_count; ++b) {
            Block* block = fn.blocks[b];
            if (!loop->contains(block))
                continue;
            for (Inst* inst = block->first; inst;) {
                Inst* next = inst->next;
                // iv * k with k an immediate (muli) or a loop-invariant value.
                Inst* factor = nullptr;
                bool immediate = false;
                if (inst->op == Op::MULI_I32 && inst->args[0] == counted.iv) {
                    immediate = true;
                } else if (inst->op == Op::MUL_I32) {
                    for (u32 k = 0; k < 2; ++k)
                        if (inst->args[k] == counted.iv && defined_outside(inst->args[1 - k], loop))
                            factor = inst->args[1 - k];
                }
                if (!immediate && !factor) {
                    inst = next;
                    continue;
                }
                // t = phi(start * k, t + k): equal to iv * k modulo 2^32 on
                // every trip, since iv steps by exactly 1.
                Inst* init = TRY(create_inst(fn, immediate ? Op::MULI_I32 : Op::MUL_I32, Type::I32, immediate ? 1 : 2));
                Inst* step = TRY(create_inst(fn, immediate ? Op::ADDI_I32 : Op::ADD_I32, Type::I32, immediate ? 1 : 2));
                Inst* phi = TRY(create_inst(fn, Op::Phi, Type::I32, header->pred_count));
                init->args[0] = counted.start;
                step->args[0] = phi;
                if (immediate) {
                    init->imm = step->imm = inst->imm;
                } else {
                    init->args[1] = factor;
                    step->args[1] = factor;
                }
                init->offset = step->offset = phi->offset = inst->offset;
                phi->args[entry_index] = init;
                phi->args[latch_index] = step;
                insert_before(loop->preheader->terminator(), init);
                insert_before(latch->terminator(), step);
                insert_before(header->first, phi);
                replace_all_uses(fn, inst, phi);
                remove_inst(inst);
                stats.strength_reduced++;
                inst = next;
            }
        }
    }
    return {};
}

// See eliminate_bounds_checks: loops of at most this many constant trips
// keep their checks.
constexpr i64 max_trips_left_checked = 8;

ErrorOr<void> eliminate_bounds_checks(Function& fn, OptimizeStats& stats)
{
    for (u32 l = 0; l < fn.loop_count; ++l) {
        CountedLoop counted;
        if (!match_counted_loop(fn, fn.loops[l], counted))
            continue;
        Loop* loop = counted.loop;
        // A loop of a few constant trips (a 3x3 window's inner loop) runs its
        // checks fewer times than a loop-entry guard would cost: each entry
        // pays the guard's 64-bit range arithmetic, and the unchecked copy
        // would save only a compare per access per trip.
        if (counted.start->op == Op::CONST_I32 && counted.end->op == Op::CONST_I32
            && static_cast<i64>(counted.end->imm) - counted.start->imm <= max_trips_left_checked)
            continue;
        for (u32 b = 0; b < fn.block_count; ++b) {
            Block* block = fn.blocks[b];
            if (!loop->contains(block))
                continue;
            for (Inst* inst = block->first; inst; inst = inst->next) {
                bool memory = inst->op == Op::LOAD_I32 || inst->op == Op::LOAD_F32 || inst->op == Op::STORE_I32
                    || inst->op == Op::STORE_F32;
                if (!memory || (inst->flags & Unchecked) || !defined_outside(inst->args[0], loop))
                    continue;
                Guard guard {};
                guard.loop = loop;
                guard.view = inst->args[0];
                guard.start = counted.start;
                guard.end = counted.end;
                guard.entry_proven = counted.entry_proven;
                if (!parse_affine_index(inst->args[1], counted, guard))
                    continue;
                guard.lower_proven = counted.start->op == Op::CONST_I32 && !guard.scale_value && !guard.offset_value
                    && static_cast<i64>(counted.start->imm) * guard.scale_const + guard.offset_const >= 0;
                inst->guard = static_cast<u16>(TRY(find_or_add_guard(fn, guard)));
                inst->flags |= Unchecked;
                stats.unchecked++;
            }
        }
    }
    return {};
}

ErrorOr<void> optimize(Function& fn, OptimizeStats& stats)
{
    TRY(simplify(fn, stats));
    TRY(hoist_invariants(fn, stats));
    TRY(number_values(fn, stats)); // hoisting brought the copies of i * n side by side
    // Bounds facts read index arithmetic in its affine form (iv * n + j), so
    // they come before strength reduction rewrites iv * n into a new phi; the
    // value of each index does not change, so the facts stay true.
    TRY(eliminate_bounds_checks(fn, stats));
    TRY(reduce_strength(fn, stats));
    TRY(simplify(fn, stats));
    TRY(hoist_invariants(fn, stats));
    TRY(number_values(fn, stats));
    return {};
}

}
