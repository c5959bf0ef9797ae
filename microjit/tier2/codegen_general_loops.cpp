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

// index = iv * scale + offset at iv = start (lower) or iv = end - 1 (upper),
// as a 64-bit value in EDX:EAX; then the bound's test, jumping to `fail`.
void GeneralEmitter::emit_guard(const Guard& g, Label fail)
{
    if (g.scale_value) {
        load_i32(eax, g.scale_value);
        m_a.test(eax, eax);
        m_a.js(fail); // scale >= 0
    }
    if (!g.entry_proven) {
        load_i32(eax, g.start);
        load_i32(edx, g.end);
        m_a.cmp(eax, edx);
        m_a.jge(fail); // start < end; below, end - 1 cannot wrap
    }
    auto index_at = [&](const Inst* iv, bool minus_one) {
        load_i32(eax, iv);
        if (minus_one)
            m_a.dec(eax);
        if (g.scale_value && in_gpr(g.scale_value)) {
            m_a.imul(gpr(g.scale_value)); // EDX:EAX = EAX * scale, signed
        } else if (g.scale_value && where(g.scale_value).home == Home::Slot) {
            m_a.imul(slot(g.scale_value));
        } else {
            i32 scale = g.scale_value ? (g.scale_value->is_const() ? g.scale_value->imm : 0) : g.scale_const;
            m_a.mov(dword_ptr(esp, GeneralFrame::constant_a), scale);
            m_a.imul(dword_ptr(esp, GeneralFrame::constant_a));
        }
        m_a.add(eax, g.offset_const);
        m_a.adc(edx, g.offset_const < 0 ? -1 : 0);
        if (g.offset_value) {
            m_a.mov(dword_ptr(esp, GeneralFrame::constant_a), eax);
            m_a.mov(dword_ptr(esp, GeneralFrame::constant_b), edx);
            load_i32(eax, g.offset_value);
            m_a.cdq();
            m_a.add(dword_ptr(esp, GeneralFrame::constant_a), eax);
            m_a.adc(dword_ptr(esp, GeneralFrame::constant_b), edx);
            m_a.mov(eax, dword_ptr(esp, GeneralFrame::constant_a));
            m_a.mov(edx, dword_ptr(esp, GeneralFrame::constant_b));
        }
    };
    if (!g.lower_proven) {
        index_at(g.start, false);
        m_a.test(edx, edx);
        m_a.js(fail); // start * scale + offset >= 0
    }
    index_at(g.end, true);
    m_a.test(edx, edx);
    m_a.jnz(fail); // negative or past 2^32: not below any length
    const Location& view = where(g.view);
    if (view.home == Home::Buffer) {
        m_a.cmp(eax, static_cast<i32>(m_env->instance->buffers[g.view->imm].length));
    } else {
        m_a.cmp(eax, slot(g.view, 4));
    }
    m_a.jae(fail); // (end - 1) * scale + offset < len(view), unsigned
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
