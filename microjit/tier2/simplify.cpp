// Constant folding/propagation, copy propagation, canonicalisation, branch
// folding, block merging and dead-code removal; see optimize.h.
//
// Folding goes through evaluate_scalar() (semantics.cpp), the same function
// the evaluator uses, so a folded constant is by construction the value the
// instruction would have computed; when it reports a trap the instruction
// stays, so the trap still happens at run time.
#include <bareflow/panic.h>
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/optimize.h>
#include <microjit/tier2/semantics.h>

namespace Tier2 {

namespace {

bool is_foldable(Op op)
{
    switch (op) {
    case Op::Param:
    case Op::Phi:
    case Op::Undef:
    case Op::GVIEW:
    case Op::LEN:
    case Op::LOAD_I32:
    case Op::LOAD_F32:
    case Op::STORE_I32:
    case Op::STORE_F32:
    case Op::CALL:
    case Op::JMP:
    case Op::Branch:
    case Op::RET:
    case Op::RET_VOID:
    case Op::EXP_F32:
    case Op::CONST_I32:
    case Op::CONST_F32:
        return false;
    default:
        return true;
    }
}

bool is_i32_compare(Op op) { return op >= Op::EQ_I32 && op <= Op::GE_I32; }

Cond compare_cond(Op op)
{
    switch (op) {
    case Op::EQ_I32: return Cond::Eq;
    case Op::NE_I32: return Cond::Ne;
    case Op::LT_I32: return Cond::Lt;
    case Op::LE_I32: return Cond::Le;
    case Op::GT_I32: return Cond::Gt;
    default: return Cond::Ge;
    }
}

void make_constant(Inst* inst, u32 bits)
{
    inst->op = inst->type == Type::F32 ? Op::CONST_F32 : Op::CONST_I32;
    inst->arg_count = 0;
    inst->imm = static_cast<i32>(bits);
}

bool is_const_i32(const Inst* v, i32 value) { return v->op == Op::CONST_I32 && v->imm == value; }

// The value `inst` always equals, if it is a copy of another (else nullptr).
Inst* copy_source(Inst* inst)
{
    switch (inst->op) {
    case Op::Phi: {
        Inst* same = nullptr;
        for (u32 i = 0; i < inst->arg_count; ++i) {
            Inst* a = inst->args[i];
            if (a == inst || a == same)
                continue;
            if (same)
                return nullptr;
            same = a;
        }
        return same;
    }
    case Op::ADDI_I32:
        return inst->imm == 0 ? inst->args[0] : nullptr;
    case Op::MULI_I32:
        return inst->imm == 1 ? inst->args[0] : nullptr;
    case Op::OR_I32:
    case Op::AND_I32:
    case Op::MIN_I32:
    case Op::MAX_I32:
        return inst->args[0] == inst->args[1] ? inst->args[0] : nullptr;
    default:
        return nullptr;
    }
}

// Rewrites `inst` in place into a canonical form; returns whether it did.
// Canonical forms keep pattern matching simple: a constant operand of
// add/sub/mul becomes an immediate, addi chains collapse, and a branch on a
// comparison's 0/1 result becomes the comparing branch itself.
bool canonicalise(Inst* inst)
{
    switch (inst->op) {
    case Op::ADD_I32:
    case Op::MUL_I32: {
        Op imm_form = inst->op == Op::ADD_I32 ? Op::ADDI_I32 : Op::MULI_I32;
        for (u32 k = 0; k < 2; ++k) {
            if (inst->args[k]->op == Op::CONST_I32) {
                inst->imm = inst->args[k]->imm;
                inst->args[0] = inst->args[1 - k];
                inst->op = imm_form;
                inst->arg_count = 1;
                return true;
            }
        }
        return false;
    }
    case Op::SUB_I32:
        if (inst->args[1]->op == Op::CONST_I32) {
            inst->imm = static_cast<i32>(0u - static_cast<u32>(inst->args[1]->imm));
            inst->op = Op::ADDI_I32;
            inst->arg_count = 1;
            return true;
        }
        return false;
    case Op::SHL_I32:
        // x << k is x * 2^k modulo 2^32 for every k in 0..31.
        if (inst->args[1]->op == Op::CONST_I32) {
            inst->imm = static_cast<i32>(1u << (inst->args[1]->imm & 31));
            inst->op = Op::MULI_I32;
            inst->arg_count = 1;
            return true;
        }
        return false;
    case Op::ADDI_I32:
    case Op::MULI_I32: {
        Inst* a = inst->args[0];
        if (a->op != inst->op)
            return false;
        u32 combined = inst->op == Op::ADDI_I32 ? static_cast<u32>(a->imm) + static_cast<u32>(inst->imm)
                                                : static_cast<u32>(a->imm) * static_cast<u32>(inst->imm);
        inst->imm = static_cast<i32>(combined);
        inst->args[0] = a->args[0];
        return true;
    }
    case Op::Branch: {
        Inst* a = inst->args[0];
        Inst* b = inst->args[1];
        if (a->op == Op::CONST_I32 && b->op != Op::CONST_I32) {
            inst->args[0] = b;
            inst->args[1] = a;
            inst->cond = swap_operands(inst->cond);
            return true;
        }
        if ((inst->cond == Cond::Ne || inst->cond == Cond::Eq) && is_const_i32(b, 0)) {
            if (is_i32_compare(a->op)) {
                Cond c = compare_cond(a->op);
                inst->cond = inst->cond == Cond::Ne ? c : negate(c);
                inst->args[0] = a->args[0];
                inst->args[1] = a->args[1];
                return true;
            }
            if (a->op == Op::EQZ_I32) {
                inst->cond = negate(inst->cond);
                inst->args[0] = a->args[0];
                return true;
            }
        }
        return false;
    }
    default:
        return false;
    }
}

// Replaces a branch whose outcome is known by a jump.
ErrorOr<bool> fold_branch(Function& fn, Inst* br)
{
    Inst* a = br->args[0];
    Inst* b = br->args[1];
    bool known = false, taken = false;
    if (a->op == Op::CONST_I32 && b->op == Op::CONST_I32) {
        known = true;
        taken = evaluate_cond(br->cond, a->imm, b->imm);
    } else if (a == b) {
        known = true;
        taken = br->cond == Cond::Eq || br->cond == Cond::Le || br->cond == Cond::Ge;
    }
    if (!known)
        return false;
    Block* block = br->block;
    Block* keep = block->succ[taken ? 0 : 1];
    Block* drop = block->succ[taken ? 1 : 0];
    if (drop != keep)
        remove_pred(drop, block);
    block->succ[0] = keep;
    block->succ_count = 1;
    br->op = Op::JMP;
    br->arg_count = 0;
    br->flags = 0;
    return true;
}

// Folds a block into its single predecessor when that predecessor jumps only
// to it, so that straight-line code is one block.
ErrorOr<bool> merge_blocks(Function& fn, OptimizeStats& stats)
{
    bool changed = false;
    for (u32 i = 0; i < fn.block_count; ++i) {
        Block* b = fn.blocks[i];
        if (b->removed)
            continue;
        while (b->succ_count == 1 && b->last->op == Op::JMP) {
            Block* s = b->succ[0];
            if (s == b || s->pred_count != 1 || s == fn.blocks[0])
                break;
            for (Inst* phi = s->first; phi && phi->op == Op::Phi;) {
                Inst* next = phi->next;
                replace_all_uses(fn, phi, phi->args[0]);
                remove_inst(phi);
                phi = next;
            }
            remove_inst(b->last);
            while (Inst* inst = s->first) {
                remove_inst(inst);
                append_inst(b, inst);
            }
            b->succ_count = s->succ_count;
            for (u32 k = 0; k < s->succ_count; ++k) {
                b->succ[k] = s->succ[k];
                Block* t = s->succ[k];
                for (u32 p = 0; p < t->pred_count; ++p)
                    if (t->preds[p] == s)
                        t->preds[p] = b;
            }
            s->removed = true;
            s->succ_count = 0;
            s->pred_count = 0;
            stats.blocks_merged++;
            changed = true;
        }
    }
    if (changed) {
        u32 live = 0;
        for (u32 i = 0; i < fn.block_count; ++i)
            if (!fn.blocks[i]->removed)
                fn.blocks[live++] = fn.blocks[i];
        fn.block_count = live;
    }
    return changed;
}

}

void remove_dead_code(Function& fn, OptimizeStats& stats)
{
    // Mark from the roots (side effects) through operands; sweep the rest.
    // Marks live in the otherwise unused `flags` bit 7 during the pass.
    constexpr u8 live_mark = 0x80;
    for (u32 b = 0; b < fn.block_count; ++b)
        for (Inst* inst = fn.blocks[b]->first; inst; inst = inst->next)
            inst->flags &= ~live_mark;
    bool changed = true;
    for (u32 b = 0; b < fn.block_count; ++b)
        for (Inst* inst = fn.blocks[b]->first; inst; inst = inst->next)
            if (has_side_effect(inst) || inst->op == Op::Param)
                inst->flags |= live_mark;
    for (u32 g = 0; g < fn.guard_count; ++g) {
        fn.guards[g].view->flags |= live_mark;
        fn.guards[g].start->flags |= live_mark;
        fn.guards[g].end->flags |= live_mark;
        if (fn.guards[g].offset_value)
            fn.guards[g].offset_value->flags |= live_mark;
        if (fn.guards[g].scale_value)
            fn.guards[g].scale_value->flags |= live_mark;
    }
    while (changed) {
        changed = false;
        for (u32 b = fn.block_count; b-- > 0;)
            for (Inst* inst = fn.blocks[b]->last; inst; inst = inst->prev)
                if (inst->flags & live_mark)
                    for (u32 k = 0; k < inst->arg_count; ++k)
                        if (!(inst->args[k]->flags & live_mark)) {
                            inst->args[k]->flags |= live_mark;
                            changed = true;
                        }
    }
    for (u32 b = 0; b < fn.block_count; ++b) {
        for (Inst* inst = fn.blocks[b]->first; inst;) {
            Inst* next = inst->next;
            if (!(inst->flags & live_mark)) {
                remove_inst(inst);
                stats.removed++;
            } else {
                inst->flags &= ~live_mark;
            }
            inst = next;
        }
    }
}

ErrorOr<void> simplify(Function& fn, OptimizeStats& stats)
{
    for (int round = 0; round < 16; ++round) {
        bool changed = false;
        bool cfg_changed = false;
        for (u32 b = 0; b < fn.block_count; ++b) {
            for (Inst* inst = fn.blocks[b]->first; inst;) {
                Inst* next = inst->next;
                if (Inst* source = copy_source(inst)) {
                    replace_all_uses(fn, inst, source);
                    remove_inst(inst);
                    stats.copies++;
                    changed = true;
                    inst = next;
                    continue;
                }
                if (is_foldable(inst->op)) {
                    bool all_const = inst->arg_count > 0;
                    u32 operands[3];
                    for (u32 k = 0; k < inst->arg_count; ++k) {
                        all_const &= inst->args[k]->is_const();
                        operands[k] = static_cast<u32>(inst->args[k]->imm);
                    }
                    if (all_const) {
                        auto folded = evaluate_scalar(inst->op, operands, inst->arg_count, inst->imm);
                        if (!folded.is_error()) {
                            make_constant(inst, folded.value());
                            stats.folded++;
                            changed = true;
                            inst = next;
                            continue;
                        }
                    }
                }
                if (canonicalise(inst)) {
                    stats.canonicalised++;
                    changed = true;
                    continue; // look at the new form again
                }
                if (inst->op == Op::Branch && TRY(fold_branch(fn, inst))) {
                    stats.branches_folded++;
                    changed = cfg_changed = true;
                }
                inst = next;
            }
        }
        if (cfg_changed) {
            TRY(order_and_dominate(fn));
            changed = true;
        }
        if (TRY(merge_blocks(fn, stats)))
            changed = true;
        remove_dead_code(fn, stats);
        if (!changed)
            break;
    }
    TRY(analyze(fn));
    return {};
}

}
