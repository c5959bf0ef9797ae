// Liveness and linear-scan register allocation for the general code
// generator; see codegen_general_alloc.h for the model.
#include <microjit/tier2/codegen_general_alloc.h>

namespace Tier2 {

namespace {

// Allocatable registers, in order of preference: ECX costs no save in the
// prologue, the callee-saved ones a push and a pop each.
constexpr u8 gpr_order[5] = { 1 /* ecx */, 3 /* ebx */, 6 /* esi */, 7 /* edi */, 5 /* ebp */ };
constexpr u8 ecx_id = 1;
constexpr u32 xmm_first = 1, xmm_count = 7; // XMM1-XMM7
constexpr u32 max_active = 16;
constexpr u32 max_weight_depth = 5;

bool needs_interval(const Inst* v)
{
    if (v->type != Type::I32 && v->type != Type::F32)
        return false;
    return !v->is_const() && v->op != Op::Undef;
}

// CALL, and the math opcodes that call microjit's routines (jit_*_f32_bits).
bool is_call(const Inst* v)
{
    switch (v->op) {
    case Op::CALL: case Op::EXP_F32: case Op::SIN_F32: case Op::COS_F32: case Op::LOG_F32:
    case Op::POW_F32: case Op::FLOOR_F32: case Op::I32_BITS_F32:
        return true;
    default:
        return false;
    }
}

struct Scan {
    const Function& fn;
    Arena& arena;
    Block** order { nullptr };
    u32 order_count { 0 };
    u32* start { nullptr };     // by block id
    u32* end { nullptr };       // by block id
    u32* position { nullptr };  // by inst id
    u32* last { nullptr };      // by inst id: last live position
    u32* weight { nullptr };    // by inst id
    u32* use_begin { nullptr }; // by inst id, use_count + 1 entries
    Inst** uses { nullptr };
    u32* calls { nullptr };     // positions of calls, ascending
    u32 call_count { 0 };

    u32 depth_weight(const Block* b) const
    {
        u32 depth = b->loop ? b->loop->depth : 0;
        return 1u << (3 * (depth < max_weight_depth ? depth : max_weight_depth));
    }

    ErrorOr<void> number()
    {
        u32 n = fn.next_inst_id, blocks = fn.next_block_id;
        order = TRY(arena.allocate<Block*>(fn.block_count));
        order_count = live_blocks(fn, order);
        start = TRY(arena.allocate<u32>(blocks));
        end = TRY(arena.allocate<u32>(blocks));
        position = TRY(arena.allocate<u32>(n));
        last = TRY(arena.allocate<u32>(n));
        weight = TRY(arena.allocate<u32>(n));
        use_begin = TRY(arena.allocate<u32>(n + 1));
        u32 p = 2, arg_total = 0, call_total = 0;
        for (u32 i = 0; i < order_count; ++i) {
            Block* b = order[i];
            start[b->id] = p;
            for (Inst* inst = b->first; inst; inst = inst->next) {
                if (inst->op == Op::Phi || inst->op == Op::Param) {
                    position[inst->id] = start[b->id];
                } else {
                    p += 2;
                    position[inst->id] = p;
                }
                call_total += is_call(inst);
                for (u32 k = 0; k < inst->arg_count; ++k)
                    ++use_begin[inst->arg(k)->id];
                arg_total += inst->arg_count;
            }
            end[b->id] = p + 1;
            p += 4;
        }
        // Counts to offsets (use_begin[v] .. use_begin[v + 1]).
        u32 sum = 0;
        for (u32 v = 0; v <= n; ++v) {
            u32 c = v < n ? use_begin[v] : 0;
            use_begin[v] = sum;
            sum += c;
        }
        uses = TRY(arena.allocate<Inst*>(arg_total + 1));
        u32* fill = TRY(arena.allocate<u32>(n));
        calls = TRY(arena.allocate<u32>(call_total + 1));
        for (u32 i = 0; i < order_count; ++i)
            for (Inst* inst = order[i]->first; inst; inst = inst->next) {
                if (is_call(inst))
                    calls[call_count++] = position[inst->id];
                for (u32 k = 0; k < inst->arg_count; ++k) {
                    u32 v = inst->arg(k)->id;
                    uses[use_begin[v] + fill[v]++] = inst;
                }
            }
        return {};
    }

    // The last position at which v is live, walking back from every use to
    // the definition through the predecessors (phi arguments are read at the
    // end of the matching predecessor).
    ErrorOr<void> intervals()
    {
        u32* seen = TRY(arena.allocate<u32>(fn.next_block_id));
        Block** work = TRY(arena.allocate<Block*>(fn.next_block_id + 1));
        for (u32 i = 0; i < order_count; ++i)
            for (Inst* v = order[i]->first; v; v = v->next) {
                if (!needs_interval(v))
                    continue;
                const Block* home = v->block;
                u32 stamp = v->id + 1;
                u32 top = 0;
                u32 live_end = position[v->id];
                u32 w = use_begin[v->id] == use_begin[v->id + 1] ? 0 : depth_weight(home);
                auto live_in = [&](Block* b) {
                    if (b != home && seen[b->id] != stamp) {
                        seen[b->id] = stamp;
                        work[top++] = b;
                    }
                };
                for (u32 u = use_begin[v->id]; u < use_begin[v->id + 1]; ++u) {
                    Inst* user = uses[u];
                    if (user->op == Op::Phi) {
                        Block* s = user->block;
                        for (u32 k = 0; k < user->arg_count; ++k) {
                            if (user->arg(k) != v)
                                continue;
                            Block* pred = s->preds[k];
                            if (end[pred->id] > live_end)
                                live_end = end[pred->id];
                            w += depth_weight(pred);
                            live_in(pred);
                        }
                        continue;
                    }
                    if (position[user->id] > live_end)
                        live_end = position[user->id];
                    w += depth_weight(user->block);
                    live_in(user->block);
                }
                while (top) {
                    Block* b = work[--top];
                    for (u32 k = 0; k < b->pred_count; ++k) {
                        Block* pred = b->preds[k];
                        if (end[pred->id] > live_end)
                            live_end = end[pred->id];
                        live_in(pred);
                    }
                }
                last[v->id] = live_end;
                weight[v->id] = w;
            }
        return {};
    }

    // Diamonds that become CMOV (select_diamond): the first arm's values and
    // the condition's operands stay in their homes until the second arm ends.
    ErrorOr<u8*> selects(u32& count)
    {
        u8* select = TRY(arena.allocate<u8>(fn.next_block_id));
        for (u32 i = 0; i + 2 < order_count; ++i) {
            Block* b = order[i];
            if (select[b->id] || !select_diamond(*b, order[i + 1], order[i + 2]))
                continue;
            u32 until = end[order[i + 2]->id];
            auto extend = [&](const Inst* v) {
                if (needs_interval(v) && last[v->id] < until)
                    last[v->id] = until;
            };
            Inst* branch = b->last;
            extend(branch->arg(0));
            extend(branch->arg(1));
            if (branch->prev && branch->prev->op == Op::REM_I32)
                extend(branch->prev->arg(0)); // a low-bits test reads the dividend
            for (Inst* v = order[i + 1]->first; v; v = v->next)
                extend(v);
            select[b->id] = SelectBranch;
            select[order[i + 1]->id] = SelectArm;
            select[order[i + 2]->id] = SelectArm;
            ++count;
        }
        return select;
    }

    bool crosses_call(const Inst* v) const
    {
        u32 from = position[v->id], to = last[v->id];
        u32 low = 0, high = call_count;
        while (low < high) {
            u32 mid = (low + high) / 2;
            if (calls[mid] <= from)
                low = mid + 1;
            else
                high = mid;
        }
        return low < call_count && calls[low] < to;
    }
};

}

namespace {

bool safe_in_arm(const Inst* inst)
{
    if (inst->op == Op::JMP)
        return true;
    if (inst->type != Type::I32)
        return false;
    switch (inst->op) {
    case Op::CONST_I32:
    case Op::ADD_I32: case Op::SUB_I32: case Op::MUL_I32: case Op::AND_I32: case Op::OR_I32: case Op::XOR_I32:
    case Op::ADDI_I32: case Op::MULI_I32: case Op::NEG_I32: case Op::NOT_I32: case Op::EQZ_I32: case Op::ABS_I32:
    case Op::MIN_I32: case Op::MAX_I32:
    case Op::EQ_I32: case Op::NE_I32: case Op::LT_I32: case Op::LE_I32: case Op::GT_I32: case Op::GE_I32:
        return true;
    case Op::SHL_I32:
    case Op::SHR_I32:
        return inst->arg(1)->is_const();
    case Op::DIV_I32:
    case Op::REM_I32: {
        // Only divisions that cannot trap: by a positive power of two.
        const Inst* d = inst->arg(1);
        return d->is_const() && d->imm > 0 && (d->imm & (d->imm - 1)) == 0;
    }
    default:
        return false;
    }
}

bool short_arm(const Block* arm, const Block* join)
{
    if (arm->pred_count != 1 || arm->succ_count != 1 || arm->succ[0] != join || !arm->last || arm->last->op != Op::JMP)
        return false;
    u32 count = 0;
    for (const Inst* inst = arm->first; inst; inst = inst->next)
        if (!safe_in_arm(inst) || ++count > 7)
            return false;
    return true;
}

}

bool select_diamond(const Block& b, const Block* first_arm, const Block* second_arm)
{
    const Inst* branch = b.last;
    if (!branch || branch->op != Op::Branch || b.succ_count != 2)
        return false;
    const Block* taken = b.succ[0];
    const Block* other = b.succ[1];
    if (taken == other || !((first_arm == taken && second_arm == other) || (first_arm == other && second_arm == taken)))
        return false;
    const Block* join = taken->succ_count == 1 ? taken->succ[0] : nullptr;
    if (!join || join == &b || join->pred_count != 2 || !short_arm(taken, join) || !short_arm(other, join))
        return false;
    const Inst* phi = join->first;
    if (!phi || phi->op != Op::Phi || phi->type != Type::I32 || (phi->next && phi->next->op == Op::Phi))
        return false;
    for (u32 k = 0; k < phi->arg_count; ++k)
        if (phi->arg(k)->op == Op::Undef)
            return false;
    return true;
}

u32 live_blocks(const Function& fn, Block** out)
{
    u32 count = 0;
    for (u32 i = 0; i < fn.block_count; ++i)
        if (!fn.blocks[i]->removed)
            out[count++] = fn.blocks[i];
    return count;
}

ErrorOr<GeneralLayout> allocate_registers(const Function& fn, bool if_convert)
{
    Arena& arena = *fn.arena;
    Scan scan { fn, arena };
    TRY(scan.number());
    TRY(scan.intervals());
    u32 selects = 0;
    u8* select = if_convert ? TRY(scan.selects(selects)) : TRY(arena.allocate<u8>(fn.next_block_id));

    GeneralLayout layout {};
    layout.where = TRY(arena.allocate<Location>(fn.next_inst_id));
    layout.position = scan.position;
    layout.last = scan.last;
    layout.select = select;
    layout.selects = selects;
    layout.use_count = TRY(arena.allocate<u32>(fn.next_inst_id));
    for (u32 v = 0; v < fn.next_inst_id; ++v)
        layout.use_count[v] = scan.use_begin[v + 1] - scan.use_begin[v];
    layout.calls = scan.call_count;

    // Values in start order: parameters, then each block's phis and
    // instructions (positions only grow along this walk).
    u32 value_count = 0;
    Inst** values = TRY(arena.allocate<Inst*>(fn.next_inst_id + 1));
    for (u32 p = 0; p < fn.info->param_count; ++p)
        values[value_count++] = fn.params[p];
    u32 max_args = 0, max_view_phis = 0, view_count = 0;
    for (u32 i = 0; i < scan.order_count; ++i) {
        u32 view_phis = 0;
        for (Inst* v = scan.order[i]->first; v; v = v->next) {
            if (v->op == Op::CALL && v->arg_count > max_args)
                max_args = v->arg_count;
            if (v->op == Op::Phi && is_view(v->type))
                ++view_phis;
            if (v->op != Op::Param)
                values[value_count++] = v;
        }
        if (view_phis > max_view_phis)
            max_view_phis = view_phis;
    }

    // --- the scan ---------------------------------------------------------------
    Inst* active[max_active];
    u32 active_count = 0;
    bool used_gpr[8] = {};
    Inst** spilled = TRY(arena.allocate<Inst*>(value_count + 1));
    u32 spilled_count = 0;
    auto in_class = [](const Inst* v, bool f32) { return (v->type == Type::F32) == f32; };
    for (u32 i = 0; i < value_count; ++i) {
        Inst* v = values[i];
        Location& loc = layout.where[v->id];
        if (v->is_const()) {
            loc.home = Home::Const;
            continue;
        }
        if (v->op == Op::Undef) {
            loc.home = Home::Undef;
            continue;
        }
        if (v->op == Op::GVIEW) {
            loc.home = Home::Buffer;
            continue;
        }
        if (is_view(v->type)) {
            loc.home = Home::View;
            ++view_count;
            continue;
        }
        if (!needs_interval(v) || scan.use_begin[v->id] == scan.use_begin[v->id + 1]) {
            loc.home = Home::None;
            continue;
        }
        u32 here = scan.position[v->id];
        for (u32 k = 0; k < active_count;) {
            if (scan.last[active[k]->id] <= here) {
                active[k] = active[--active_count];
            } else {
                ++k;
            }
        }
        bool f32 = v->type == Type::F32;
        bool across = scan.crosses_call(v);
        // Which registers v may take, and which of those are free.
        bool taken[8] = {};
        for (u32 k = 0; k < active_count; ++k)
            if (in_class(active[k], f32))
                taken[layout.where[active[k]->id].reg] = true;
        // Hints first: the home of a phi that v feeds (then the loop's back
        // edge copies nothing), of a phi's incoming value, or of v's first
        // operand when v is its last use (x = x + 1 in place).
        i32 chosen = -1;
        auto usable = [&](const Inst* other) {
            const Location& at = layout.where[other->id];
            if (chosen >= 0 || at.home != (f32 ? Home::Xmm : Home::Gpr) || taken[at.reg])
                return;
            if (across && (f32 || at.reg == ecx_id))
                return;
            chosen = at.reg;
        };
        for (u32 u = scan.use_begin[v->id]; u < scan.use_begin[v->id + 1]; ++u) {
            const Inst* phi = scan.uses[u];
            if (phi->op != Op::Phi)
                continue;
            if (scan.position[phi->id] < here) {
                usable(phi);
                continue;
            }
            // A join phi not placed yet: the loop phi it feeds, if any.
            for (u32 w = scan.use_begin[phi->id]; w < scan.use_begin[phi->id + 1]; ++w)
                if (scan.uses[w]->op == Op::Phi && scan.position[scan.uses[w]->id] < here)
                    usable(scan.uses[w]);
        }
        if (v->op == Op::Phi) {
            for (u32 k = 0; k < v->arg_count; ++k)
                if (scan.position[v->arg(k)->id] < here && in_class(v->arg(k), f32))
                    usable(v->arg(k));
        } else if (v->arg_count && in_class(v->arg(0), f32) && scan.last[v->arg(0)->id] == here) {
            usable(v->arg(0));
        }
        if (f32) {
            for (u32 r = xmm_first; !across && r < xmm_first + xmm_count && chosen < 0; ++r)
                if (!taken[r])
                    chosen = static_cast<i32>(r);
        } else {
            for (u8 r : gpr_order)
                if (chosen < 0 && !taken[r] && !(across && r == ecx_id))
                    chosen = r;
        }
        if (chosen < 0 && !(f32 && across)) {
            // Full: the cheapest of v and the active values whose register v
            // could take goes to the frame.
            i32 victim = -1;
            for (u32 k = 0; k < active_count; ++k) {
                const Inst* a = active[k];
                if (!in_class(a, f32))
                    continue;
                if (!f32 && across && layout.where[a->id].reg == ecx_id)
                    continue;
                if (victim < 0 || scan.weight[a->id] < scan.weight[active[victim]->id]
                    || (scan.weight[a->id] == scan.weight[active[victim]->id] && scan.last[a->id] > scan.last[active[victim]->id]))
                    victim = static_cast<i32>(k);
            }
            if (victim >= 0) {
                Inst* a = active[victim];
                if (scan.weight[a->id] < scan.weight[v->id]
                    || (scan.weight[a->id] == scan.weight[v->id] && scan.last[a->id] > scan.last[v->id])) {
                    chosen = layout.where[a->id].reg;
                    layout.where[a->id].home = Home::Slot;
                    spilled[spilled_count++] = a;
                    active[victim] = active[--active_count];
                }
            }
        }
        if (chosen < 0) {
            loc.home = Home::Slot;
            spilled[spilled_count++] = v;
            continue;
        }
        loc.home = f32 ? Home::Xmm : Home::Gpr;
        loc.reg = static_cast<u8>(chosen);
        if (!f32)
            used_gpr[chosen] = true;
        if (active_count == max_active)
            return Error::JitUnsupported; // cannot happen: 12 registers in all
        active[active_count++] = v;
    }
    layout.spilled = spilled_count;
    layout.in_registers = 0;
    for (u32 i = 0; i < value_count; ++i) {
        Home h = layout.where[values[i]->id].home;
        layout.in_registers += h == Home::Gpr || h == Home::Xmm;
    }

    // --- the frame ----------------------------------------------------------------
    i32 offset = GeneralFrame::fixed;
    layout.out_args = offset;
    offset += 8 * static_cast<i32>(max_args);
    layout.view_temp = offset;
    offset += 8 * static_cast<i32>(max_view_phis);
    for (u32 i = 0; i < value_count; ++i) {
        Location& loc = layout.where[values[i]->id];
        if (loc.home == Home::View) {
            loc.offset = offset;
            offset += 8;
        }
    }
    // Spill slots, shared by values whose intervals do not meet; the
    // spilled list is not in start order (victims join late), so sort it.
    for (u32 i = 1; i < spilled_count; ++i) {
        Inst* v = spilled[i];
        u32 j = i;
        while (j > 0 && scan.position[spilled[j - 1]->id] > scan.position[v->id]) {
            spilled[j] = spilled[j - 1];
            --j;
        }
        spilled[j] = v;
    }
    u32* slot_free_at = TRY(arena.allocate<u32>(spilled_count + 1));
    u32 slot_count = 0;
    for (u32 i = 0; i < spilled_count; ++i) {
        Inst* v = spilled[i];
        u32 slot = slot_count;
        for (u32 s = 0; s < slot_count; ++s)
            if (slot_free_at[s] <= scan.position[v->id]) {
                slot = s;
                break;
            }
        if (slot == slot_count)
            ++slot_count;
        slot_free_at[slot] = scan.last[v->id];
        layout.where[v->id].offset = offset + 4 * static_cast<i32>(slot);
    }
    offset += 4 * static_cast<i32>(slot_count);

    constexpr u8 callee_saved[4] = { 3 /* ebx */, 6 /* esi */, 7 /* edi */, 5 /* ebp */ };
    for (u8 r : callee_saved)
        if (used_gpr[r])
            layout.saved[layout.saved_count++] = r;
    // After the pushes and the return address, ESP must be 16-byte aligned.
    i32 above = 4 + 4 * layout.saved_count;
    layout.frame_size = ((offset + above + 15) & ~15) - above;
    return layout;
}

}
