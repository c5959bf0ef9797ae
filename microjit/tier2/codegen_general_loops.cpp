// Bounds-check elimination in the general code generator: loop versioning
// on the IR's guards (ir.h, Guard; optimize.h, eliminate_bounds_checks).
//
// An innermost loop whose loads and stores the IR marked Unchecked is
// emitted twice with the same register allocation (the two copies are
// alternatives at the same program points, so every value keeps its home):
// the checked copy in its place, and after the body an unchecked copy whose
// marked accesses have no compare. At the end of the preheader every guard
// of the loop is evaluated once, in 64-bit arithmetic; when all hold the
// code enters the unchecked copy, otherwise the checked one, which traps
// exactly where the bytecode does. Exits of both copies lead to the same
// blocks. For `for i in 0..n` over a[i] the guard is the single test
// n <= len(a), as issue 7 asks.
#include <microjit/tier2/codegen_general_emit.h>

namespace Tier2 {

using namespace x86;

bool GeneralEmitter::available_at(const Inst* v, const Inst* at) const
{
    switch (where(v).home) {
    case Home::Const:
    case Home::Buffer:
        return true;
    case Home::View:
        return m_layout.position[v->id] < m_layout.position[at->id];
    case Home::Gpr:
    case Home::Slot:
        // Still in its home at the preheader's jump (guard operands are not
        // IR uses, so the allocator may have let them go earlier).
        return m_layout.position[v->id] < m_layout.position[at->id] && m_layout.last[v->id] > m_layout.position[at->id];
    default:
        return false;
    }
}

ErrorOr<void> GeneralEmitter::plan_versions(Block** order, u32 count)
{
    Arena& arena = *m_fn.arena;
    m_versioned = TRY(arena.allocate<const Loop*>(m_fn.next_block_id));
    m_alt_labels = TRY(arena.allocate<Label>(m_fn.next_block_id));
    m_vector = TRY(arena.allocate<const VectorLoop*>(m_fn.next_block_id));
    for (u32 l = 0; l < m_fn.loop_count; ++l) {
        const Loop* loop = m_fn.loops[l];
        const Block* pre = loop->preheader;
        if (!pre || pre->removed || !pre->last || pre->last->op != Op::JMP || pre->succ[0] != loop->header)
            continue;
        bool innermost = true;
        for (u32 k = 0; k < m_fn.loop_count && innermost; ++k)
            innermost = k == l || !loop->contains(m_fn.loops[k]->header);
        if (!innermost)
            continue;
        // Some access must profit, and every guard of this loop must be
        // computable at the preheader's jump.
        u32 unchecked = 0, blocks = 0;
        for (u32 i = 0; i < count; ++i) {
            if (!loop->contains(order[i]))
                continue;
            ++blocks;
            for (const Inst* inst = order[i]->first; inst; inst = inst->next)
                unchecked += (inst->flags & Unchecked) && inst->guard < m_fn.guard_count && m_fn.guards[inst->guard].loop
                    && m_fn.guards[inst->guard].loop->header == loop->header;
        }
        if (!unchecked || blocks > 32)
            continue;
        bool ready = true;
        for (u32 g = 0; g < m_fn.guard_count && ready; ++g) {
            const Guard& guard = m_fn.guards[g];
            if (!guard.loop || guard.loop->header != loop->header)
                continue;
            ready = available_at(guard.view, pre->last) && available_at(guard.start, pre->last) && available_at(guard.end, pre->last)
                && (!guard.scale_value || available_at(guard.scale_value, pre->last))
                && (!guard.offset_value || available_at(guard.offset_value, pre->last));
        }
        if (!ready)
            continue;
        m_versioned[pre->id] = loop;
        m_vector[pre->id] = plan_vector_loop(*loop);
        m_vector_count += m_vector[pre->id] != nullptr;
        for (u32 i = 0; i < count; ++i)
            if (loop->contains(order[i]))
                m_alt_labels[order[i]->id] = m_a.new_label();
        ++m_version_count;
    }
    return {};
}

// index = iv * scale + offset at iv = start (lower) or iv = end - 1
// (upper), then the bound's test, jumping to `fail`. The arithmetic is i32
// with every overflow sent to `fail` too: the checked loop is always right,
// so a guard need only be sure when it lets the unchecked copy run, and an
// index whose exact value does not fit in an i32 cannot be in range anyway.
// Constant parts are folded here, so a short inner loop's guard is a few
// instructions (the general suite's 3x3 blur and gemm pay it per row).
void GeneralEmitter::emit_guard(const Guard& g, Label fail)
{
    auto constant = [&](const Inst* v, i64& out) {
        if (v && v->is_const()) {
            out = v->imm;
            return true;
        }
        return false;
    };
    i64 scale = g.scale_const, start = 0, end = 0;
    bool scale_known = !g.scale_value || constant(g.scale_value, scale);
    bool start_known = constant(g.start, start), end_known = constant(g.end, end);
    if (scale_known && scale < 0) {
        m_a.jmp(fail);
        return;
    }
    if (!scale_known) {
        load_i32(eax, g.scale_value);
        m_a.test(eax, eax);
        m_a.js(fail); // scale >= 0
    }
    if (!g.entry_proven) {
        if (start_known && end_known) {
            if (start >= end) {
                m_a.jmp(fail);
                return;
            }
        } else {
            load_i32(eax, g.start);
            load_i32(edx, g.end);
            m_a.cmp(eax, edx);
            m_a.jge(fail); // start < end; below, end - 1 cannot wrap
        }
    }
    // EAX = iv * scale + offset, exactly, or a jump to fail.
    auto index_at = [&](const Inst* iv, bool minus_one) {
        i64 known_iv = 0;
        if (scale_known && constant(iv, known_iv)) {
            i64 value = (known_iv - (minus_one ? 1 : 0)) * scale + g.offset_const;
            if (value < INT32_MIN || value > INT32_MAX) {
                m_a.jmp(fail);
                return;
            }
            m_a.mov(eax, static_cast<i32>(value));
        } else {
            load_i32(eax, iv);
            if (minus_one)
                m_a.dec(eax);
            if (!scale_known) {
                if (in_gpr(g.scale_value))
                    m_a.imul(eax, gpr(g.scale_value));
                else
                    m_a.imul(eax, slot(g.scale_value));
                m_a.jo(fail);
            } else if (scale != 1) {
                m_a.imul(eax, static_cast<i32>(scale));
                m_a.jo(fail);
            }
            if (g.offset_const) {
                m_a.add(eax, g.offset_const);
                m_a.jo(fail);
            }
        }
        if (g.offset_value) {
            if (in_gpr(g.offset_value))
                m_a.add(eax, gpr(g.offset_value));
            else if (g.offset_value->is_const())
                m_a.add(eax, g.offset_value->imm);
            else
                m_a.add(eax, slot(g.offset_value));
            m_a.jo(fail);
        }
    };
    if (!g.lower_proven) {
        index_at(g.start, false);
        m_a.test(eax, eax);
        m_a.js(fail); // start * scale + offset >= 0
    }
    index_at(g.end, true);
    const Location& view = where(g.view);
    if (view.home == Home::Buffer) {
        m_a.cmp(eax, static_cast<i32>(m_env->instance->buffers[g.view->imm].length));
    } else {
        m_a.cmp(eax, slot(g.view, 4));
    }
    m_a.jae(fail); // (end - 1) * scale + offset < len(view), unsigned: a negative index fails too
}

void GeneralEmitter::emit_versioned_entry(const Block& preheader, const Loop& loop)
{
    // The guards read their operands before any phi copy can overwrite them.
    Label checked = m_a.new_label();
    for (u32 g = 0; g < m_fn.guard_count; ++g)
        if (m_fn.guards[g].loop && m_fn.guards[g].loop->header == loop.header)
            emit_guard(m_fn.guards[g], checked);
    edge_copies(preheader, *loop.header);
    if (m_vector[preheader.id])
        emit_vector_prefix(*m_vector[preheader.id]);
    m_a.jmp(m_alt_labels[loop.header->id]);
    m_a.bind(checked);
    jump_to(preheader, *loop.header);
}

void GeneralEmitter::emit_copies(Block** order, u32 count)
{
    for (u32 l = 0; l < m_fn.loop_count; ++l) {
        const Loop* loop = m_fn.loops[l];
        if (!loop->preheader || m_versioned[loop->preheader->id] != loop)
            continue;
        m_copy = loop;
        for (u32 i = 0; i < count; ++i) {
            if (!loop->contains(order[i]))
                continue;
            m_next = nullptr;
            for (u32 j = i + 1; j < count && !m_next; ++j)
                if (loop->contains(order[j]))
                    m_next = order[j];
            emit_block(*order[i]);
        }
        m_copy = nullptr;
    }
}

}
