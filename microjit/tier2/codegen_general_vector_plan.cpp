// The loop vectoriser's planning (GeneralEmitter::plan_vector_loop): which
// innermost loops are marked accumulations or element-wise maps that vector
// code can run, as codegen_general_vector.cpp describes, and with how many
// accumulators and registers.
#include <microjit/tier2/codegen_general_emit.h>
#include <microjit/tier2/codegen_general_vector.h>
#include <microjit/tier2/loops.h>

namespace Tier2 {

namespace {

bool lane_exact(Op op)
{
    switch (op) {
    case Op::ADD_F32:
    case Op::SUB_F32:
    case Op::MUL_F32:
    case Op::DIV_F32:
    case Op::MIN_F32:
    case Op::MAX_F32:
    case Op::SQRT_F32:
        return true;
    default:
        return false;
    }
}

// index = iv + constant + terms, the terms invariant in the loop.
bool unit_stride(const Loop& loop, const Inst* index, const Inst* iv, VectorStream& s, int depth = 0)
{
    if (index == iv)
        return true;
    if (depth > 4 || !in_loop(loop, index))
        return false;
    if (index->op == Op::ADDI_I32)
        return (s.constant += index->imm, unit_stride(loop, index->args[0], iv, s, depth + 1));
    if (index->op != Op::ADD_I32)
        return false;
    for (int side = 0; side < 2; ++side) {
        const Inst* other = index->args[1 - side];
        if (!in_loop(loop, other) && other->type == Type::I32 && s.term_count < 2) {
            VectorStream saved = s;
            s.terms[s.term_count++] = other;
            if (unit_stride(loop, index->args[side], iv, s, depth + 1))
                return true;
            s = saved;
        }
    }
    return false;
}

bool same_stream(const VectorStream& a, const VectorStream& b)
{
    if (a.view != b.view || a.term_count != b.term_count)
        return false;
    for (u32 i = 0; i < a.term_count; ++i)
        if (a.terms[i] != b.terms[i])
            return false;
    return true;
}

bool direct_operand(const VectorLoop& plan, const Inst* v)
{
    return v->op == Op::LOAD_F32 || v->op == Op::CONST_F32 || !in_loop(*plan.loop, v);
}

// Vector registers VectorEmitter::eval needs for v (Sethi-Ullman): a load
// or an invariant as a right operand comes from memory or its own register,
// except that SSE loads a memory operand into a spare register first.
u32 need(const VectorLoop& plan, const Inst* v, bool avx)
{
    if (direct_operand(plan, v))
        return 1;
    if (v->op == Op::SQRT_F32)
        return need(plan, v->args[0], avx);
    u32 left = need(plan, v->args[0], avx);
    u32 right = direct_operand(plan, v->args[1]) ? (avx ? 0 : 2) : need(plan, v->args[1], avx) + 1;
    return left > right ? left : right;
}

// Temporaries for one accumulation step of e (VectorEmitter::accumulate).
u32 step_temps(const VectorLoop& plan, const Inst* e, bool avx, bool fma)
{
    if (fma && e->op == Op::MUL_F32 && in_loop(*plan.loop, e)) {
        u32 left = need(plan, e->args[0], avx);
        u32 right = direct_operand(plan, e->args[1]) ? 0 : need(plan, e->args[1], avx) + 1;
        return left > right ? left : right;
    }
    return need(plan, e, avx);
}

} // namespace

const VectorLoop* GeneralEmitter::plan_vector_loop(const Loop& loop_in)
{
    Loop& loop = const_cast<Loop&>(loop_in);
    CountedLoop cl;
    if (!m_env || !match_counted_loop(m_fn, &loop, cl) || !cl.single_exit || loop.header != loop.latch)
        return nullptr;
    if (!loop.header->pred_count || loop.header->pred_count != 2)
        return nullptr;
    VectorLoop plan {};
    plan.loop = &loop;
    plan.iv = cl.iv;
    plan.end = cl.end;
    u32 back = loop.header->pred_index(loop.latch);
    // Phis: the induction variable and marked accumulators only.
    for (const Inst* i = loop.header->first; i && i->op == Op::Phi; i = i->next) {
        if (i == cl.iv)
            continue;
        const Inst* update = i->args[back];
        if (i->type != Type::F32 || !(update->flags & Reassociable) || update->args[0] != i
            || (update->op != Op::ADD_F32 && update->op != Op::SUB_F32) || plan.reduction_count == max_reductions)
            return nullptr;
        if (!in_loop(loop, update) || count_uses(m_fn, i) != 1)
            return nullptr;
        plan.reductions[plan.reduction_count++] = { i, update, update->op == Op::SUB_F32 };
    }
    // Every other instruction serves an accumulation, or the one store of an
    // element-wise map.
    for (const Inst* i = loop.header->first; i; i = i->next) {
        if (i->op == Op::Phi || i == cl.next || i->is_terminator() || i->is_const())
            continue;
        bool update = false;
        for (u32 r = 0; r < plan.reduction_count; ++r)
            update |= i == plan.reductions[r].update;
        if (update)
            continue;
        if (i->op == Op::ADD_I32 || i->op == Op::ADDI_I32)
            continue; // an index: checked with the loads that use it
        if (i->op == Op::STORE_F32) {
            if (plan.store || !(i->flags & Unchecked) || i->guard >= m_fn.guard_count || !m_fn.guards[i->guard].loop
                || m_fn.guards[i->guard].loop->header != loop.header)
                return nullptr;
            VectorStream st {};
            st.view = i->args[0];
            if (in_loop(loop, st.view) || !unit_stride(loop, i->args[1], cl.iv, st))
                return nullptr;
            plan.store = i;
            plan.store_offset = st.constant;
            st.constant = 0;
            u32 k = 0;
            while (k < plan.stream_count && !same_stream(plan.streams[k], st))
                ++k;
            if (k == plan.stream_count) {
                if (k == max_streams)
                    return nullptr;
                plan.streams[plan.stream_count++] = st;
            }
            plan.store_stream = static_cast<u8>(k);
            const Inst* value = i->args[2];
            if (!in_loop(loop, value)) {
                if (plan.invariant_count == max_invariants)
                    return nullptr;
                plan.invariants[plan.invariant_count++] = value;
            }
            continue;
        }
        if (i->op == Op::LOAD_F32) {
            if (!(i->flags & Unchecked) || i->guard >= m_fn.guard_count || !m_fn.guards[i->guard].loop || m_fn.guards[i->guard].loop->header != loop.header
                || plan.load_count == 16)
                return nullptr;
            VectorStream s {};
            s.view = i->args[0];
            if (in_loop(loop, s.view) || !unit_stride(loop, i->args[1], cl.iv, s))
                return nullptr;
            u32 k = 0;
            while (k < plan.stream_count && !same_stream(plan.streams[k], s))
                ++k;
            if (k == plan.stream_count) {
                if (k == max_streams)
                    return nullptr;
                plan.streams[plan.stream_count] = s;
                plan.streams[plan.stream_count++].constant = 0;
            }
            plan.loads[plan.load_count] = i;
            plan.load_offset[plan.load_count] = s.constant;
            plan.load_stream[plan.load_count++] = static_cast<u8>(k);
            continue;
        }
        if (!lane_exact(i->op))
            return nullptr;
        for (u32 a = 0; a < i->arg_count; ++a) {
            const Inst* arg = i->args[a];
            if (in_loop(loop, arg))
                continue;
            if (arg->type != Type::F32)
                return nullptr;
            u32 k = 0;
            while (k < plan.invariant_count && plan.invariants[k] != arg)
                ++k;
            if (k == plan.invariant_count) {
                if (k == max_invariants)
                    return nullptr;
                plan.invariants[plan.invariant_count++] = arg;
            }
        }
    }
    // An accumulated value from outside the loop is an invariant too.
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        const Inst* e = plan.reductions[r].update->args[1];
        if (in_loop(loop, e))
            continue;
        u32 k = 0;
        while (k < plan.invariant_count && plan.invariants[k] != e)
            ++k;
        if (k == plan.invariant_count) {
            if (k == max_invariants)
                return nullptr;
            plan.invariants[plan.invariant_count++] = e;
        }
    }
    // The induction variable only indexes (and steps); indices only feed loads.
    for (const Inst* i = loop.header->first; i; i = i->next) {
        for (u32 a = 0; a < i->arg_count; ++a) {
            const Inst* arg = i->args[a];
            bool index = arg == cl.iv || (in_loop(loop, arg) && (arg->op == Op::ADD_I32 || arg->op == Op::ADDI_I32) && arg != cl.next);
            if (!index)
                continue;
            bool fine = i == cl.next || ((i->op == Op::LOAD_F32 || i->op == Op::STORE_F32) && a == 1) || i->op == Op::ADD_I32
                || i->op == Op::ADDI_I32;
            if (!fine)
                return nullptr;
        }
    }
    // Constants inside the loop are broadcast like invariants.
    for (const Inst* i = loop.header->first; i; i = i->next) {
        if (i->op != Op::CONST_F32)
            continue;
        if (plan.invariant_count == max_invariants)
            return nullptr;
        plan.invariants[plan.invariant_count++] = i;
    }
    // Every value an operand names must be placeable: invariants in a register, slot or constant.
    for (u32 k = 0; k < plan.invariant_count; ++k) {
        Home h = where(plan.invariants[k]).home;
        if (h != Home::Xmm && h != Home::Slot && h != Home::Const)
            return nullptr;
    }
    for (u32 k = 0; k < plan.stream_count; ++k) {
        Home h = where(plan.streams[k].view).home;
        if (h != Home::View && h != Home::Buffer)
            return nullptr;
        for (u32 t = 0; t < plan.streams[k].term_count; ++t) {
            Home th = where(plan.streams[k].terms[t]).home;
            if (th != Home::Gpr && th != Home::Slot && th != Home::Const)
                return nullptr;
        }
    }
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        Home h = where(plan.reductions[r].phi).home;
        if (h != Home::Xmm && h != Home::Slot)
            return nullptr;
    }
    Home ivh = where(cl.iv).home, endh = where(cl.end).home;
    if ((ivh != Home::Gpr && ivh != Home::Slot) || (endh != Home::Gpr && endh != Home::Slot && endh != Home::Const))
        return nullptr;
    if (!plan.reduction_count && !plan.store)
        return nullptr;
    if (plan.reduction_count && plan.store)
        return nullptr; // one kind of loop at a time
    u32 temps = plan.store ? need(plan, plan.store->args[2], m_avx2) : 0;
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        u32 t = step_temps(plan, plan.reductions[r].update->args[1], m_avx2, m_avx2 && m_fma);
        temps = t > temps ? t : temps;
    }
    plan.temps = static_cast<u8>(temps);
    // When nothing else computed in the loop is used after it, the vectors
    // may run every whole vector of trips and leave the loop themselves.
    plan.next = cl.next;
    plan.exit = cl.exit;
    plan.direct_exit = true;
    for (u32 b = 0; b < m_fn.block_count && plan.direct_exit; ++b) {
        const Block* block = m_fn.blocks[b];
        if (block->removed || loop.contains(block))
            continue;
        for (const Inst* user = block->first; user && plan.direct_exit; user = user->next)
            for (u32 a = 0; a < user->arg_count; ++a) {
                const Inst* arg = user->args[a];
                if (!in_loop(loop, arg) || arg == cl.next)
                    continue;
                bool update = false;
                for (u32 r = 0; r < plan.reduction_count; ++r)
                    update |= arg == plan.reductions[r].update;
                if (!update)
                    plan.direct_exit = false;
            }
    }
    u32 free = vector_registers - plan.invariant_count - temps;
    if (free < plan.reduction_count || free > vector_registers)
        return nullptr;
    if (plan.store) {
        plan.unroll = 4; // one vector after another through the same registers
    } else
    {
        // As many accumulators as the registers allow: a short row's sum is a
        // chain of dependent adds, and more chains hide more of their latency.
        plan.unroll = static_cast<u8>(free / plan.reduction_count);
    }

    auto allocated = m_fn.arena->allocate<VectorLoop>(1);
    if (allocated.is_error())
        return nullptr;
    VectorLoop* kept = allocated.value();
    *kept = plan;
    return kept;
}

}
