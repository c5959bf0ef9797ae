// The general code generator's memory access: len, loads and stores on
// views (8-byte frame slots) and module buffers (constants of the instance).
// Every element access compares the index unsigned with the length (one
// compare covers index < 0 and index >= length) and traps TrapOutOfBounds at
// the access's bytecode offset, as tier 0 does, except inside the unchecked
// copy of a versioned loop (codegen_general_loops.cpp).
#include <microjit/tier2/codegen_general_emit.h>

namespace Tier2 {

using namespace x86;

void GeneralEmitter::emit_memory(const Inst& inst)
{
    const Inst* view = inst.arg(0);
    const Location& v = where(view);
    bool buffer = v.home == Home::Buffer;
    u32 base = 0, length = 0;
    if (buffer) {
        // Buffers never move while the instance lives: the view is a constant.
        const View& b = m_env->instance->buffers[view->imm];
        base = static_cast<u32>(reinterpret_cast<uptr>(b.base));
        length = b.length;
    }
    if (inst.op == Op::LEN) {
        Gp32 out = def_gpr(&inst);
        if (buffer)
            m_a.mov(out, static_cast<i32>(length));
        else if (v.home == Home::View)
            m_a.mov(out, slot(view, 4));
        else
            m_a.xor_(out, out);
        finish_i32(&inst, out);
        return;
    }
    const Inst* index = inst.arg(1);
    Label out_of_bounds = trap(TrapKind::OutOfBounds, inst.offset);
    if (v.home != Home::Buffer && v.home != Home::View) {
        m_a.jmp(out_of_bounds); // an undefined view: a path that never runs
        return;
    }
    // The element's address, after one unsigned compare that covers both
    // index < 0 and index >= length.
    Mem element;
    if (index->is_const()) {
        u32 k = static_cast<u32>(index->imm);
        if (buffer) {
            if (k >= length) {
                m_a.jmp(out_of_bounds);
                return;
            }
            element = dword_ptr_abs(base + 4 * k);
        } else {
            m_a.cmp(slot(view, 4), static_cast<i32>(k));
            m_a.jbe(out_of_bounds);
            m_a.mov(edx, slot(view));
            element = dword_ptr(edx, static_cast<i32>(4 * k));
        }
    } else {
        // Inside a versioned loop's unchecked copy, the entry guard proved
        // this access in range (ir.h, Guard): no compare.
        bool check = !bounds_proven(inst);
        Gp32 i = in_gpr(index) ? gpr(index) : eax;
        load_i32(i, index);
        if (buffer) {
            if (check) {
                m_a.cmp(i, static_cast<i32>(length));
                m_a.jae(out_of_bounds);
            }
            element = dword_ptr_index(i, 4, static_cast<i32>(base));
        } else {
            if (check) {
                m_a.cmp(i, slot(view, 4));
                m_a.jae(out_of_bounds);
            }
            m_a.mov(edx, slot(view));
            element = dword_ptr(edx, i, 4);
        }
    }
    // A buffer element's address is a constant of the instance, the last
    // field of each instruction below that uses it: noted for snapshots.
    auto noted = [&] {
        if (buffer)
            m_a.note_absolute();
    };
    switch (inst.op) {
    case Op::LOAD_I32: {
        if (where(&inst).home == Home::None)
            return; // nobody reads it: the check was all that mattered
        Gp32 out = def_gpr(&inst);
        m_a.mov(out, element);
        noted();
        finish_i32(&inst, out);
        return;
    }
    case Op::LOAD_F32: {
        if (where(&inst).home == Home::None)
            return;
        Xmm out = def_xmm(&inst);
        m_a.movss(out, element);
        noted();
        finish_f32(&inst, out);
        return;
    }
    case Op::STORE_I32:
    case Op::STORE_F32: {
        const Inst* value = inst.arg(2);
        if (in_gpr(value)) {
            m_a.mov(element, gpr(value));
            noted();
        } else if (in_xmm(value)) {
            m_a.movss(element, xmm(value));
            noted();
        } else if (where(value).home == Home::Slot) {
            // EAX may be the index and EDX the base: fold them first.
            m_a.lea(edx, element);
            noted();
            m_a.mov(eax, slot(value));
            m_a.mov(dword_ptr(edx), eax);
        } else if (buffer) {
            // Through EDX (never an index or a buffer's base), so that the
            // address stays the instruction's last field.
            m_a.mov(edx, value->is_const() ? value->imm : 0);
            m_a.mov(element, edx);
            noted();
        } else {
            m_a.mov(element, value->is_const() ? value->imm : 0);
        }
        return;
    }
    default:
        m_a.ud2();
        return;
    }
}

}
