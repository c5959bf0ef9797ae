// Tier 1: views and bounds-checked element access (opcodes 0x50-0x5F).
// A view register's slot holds {base, length}; views are never pinned.
// One unsigned compare covers both index < 0 and index >= length.
#include <microjit/tier1/codegen.h>

namespace Tier1 {

namespace {

// Checks index r against view v and leaves the element address's parts:
// EDX = base, the returned register = index. Traps TrapOutOfBounds.
// Within a basic block a (view, index) pair is checked once, and EDX keeps
// the base of the last view used (CodeGen::note_writes forgets both when a
// register involved is written).
Gp32 check_index(CodeGen& g, u32 view, u32 index)
{
    Gp32 i = g.use_i32(index, ecx);
    bool checked = false;
    for (u32 k = 0; k < g.checked_count; ++k)
        checked = checked || (g.checked_views[k] == view && g.checked_indices[k] == index);
    if (!checked) {
        g.a.cmp(i, g.slot(view, 4));
        g.a.jae(g.trap(TrapKind::OutOfBounds));
        if (g.checked_count < CodeGen::max_checked) {
            g.checked_views[g.checked_count] = static_cast<u8>(view);
            g.checked_indices[g.checked_count++] = static_cast<u8>(index);
        }
    }
    if (g.edx_view != view) {
        g.a.mov(edx, g.slot(view));
        g.edx_view = view;
    }
    return i;
}

} // namespace

bool CodeGen::emit_memory(const Instruction& in)
{
    u32 r0 = in.operands[0], r1 = in.operands[1], r2 = in.operands[2];
    switch (in.opcode) {
    case Opcode::LEN: {
        Gp32 dst = def_i32(r0, eax);
        a.mov(dst, slot(r1, 4));
        finish_i32(r0, dst);
        return true;
    }
    case Opcode::LOAD_I32: {
        Gp32 i = check_index(*this, r1, r2);
        Gp32 dst = def_i32(r0, eax);
        a.mov(dst, dword_ptr(edx, i, 4));
        finish_i32(r0, dst);
        return true;
    }
    case Opcode::LOAD_F32: {
        Gp32 i = check_index(*this, r1, r2);
        if (is_xmm(r0)) {
            a.movss(xmm(r0), dword_ptr(edx, i, 4));
        } else {
            a.mov(eax, dword_ptr(edx, i, 4)); // the bits, no need for an XMM register
            a.mov(slot(r0), eax);
        }
        return true;
    }
    case Opcode::STORE_I32: {
        Gp32 i = check_index(*this, r0, r1);
        Gp32 value = use_i32(r2, eax);
        a.mov(dword_ptr(edx, i, 4), value);
        return true;
    }
    case Opcode::STORE_F32: {
        Gp32 i = check_index(*this, r0, r1);
        if (is_xmm(r2)) {
            a.movss(dword_ptr(edx, i, 4), xmm(r2));
        } else {
            a.mov(eax, slot(r2));
            a.mov(dword_ptr(edx, i, 4), eax);
        }
        return true;
    }
    default:
        return false;
    }
}

} // namespace Tier1
