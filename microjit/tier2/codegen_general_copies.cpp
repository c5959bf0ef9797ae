// Out of SSA for the general code generator: the phis of a block take
// their arguments for each incoming edge as one parallel copy, at the end of
// the predecessor (or on the edge, when both of a branch's edges copy).
#include <microjit/tier2/codegen_general_emit.h>

namespace Tier2 {

using namespace x86;

namespace {

bool has_phis(const Block& b) { return b.first && b.first->op == Op::Phi; }

bool same_place(const Location& a, const Location& b)
{
    if (a.home != b.home)
        return false;
    if (a.home == Home::Gpr || a.home == Home::Xmm)
        return a.reg == b.reg;
    if (a.home == Home::Slot)
        return a.offset == b.offset;
    return false;
}

}

// The phis of `to` take their arguments for the edge from `from`, all at
// once: a parallel copy, sequentialised so that no source is overwritten
// before it is read; a cycle is broken through EDX (i32) or XMM0 (f32).
// Views go through the frame's view area. No instruction here changes the
// flags, so a copy may sit between a compare and its jump.
void GeneralEmitter::edge_copies(const Block& from, const Block& to)
{
    if (!edge_moves(from, to))
        return;
    u32 index = to.pred_index(&from);
    struct Move {
        Location dst;
        Location src;
        i32 imm;
        bool f32;
        bool done;
    };
    constexpr u32 max_moves = 64;
    Move moves[max_moves];
    u32 count = 0;
    u32 views = 0;
    for (Inst* phi = to.first; phi && phi->op == Op::Phi; phi = phi->next) {
        const Inst* source = phi->arg(index);
        const Location& dst = where(phi);
        if (dst.home == Home::View) {
            // Into the view area first: a view phi may read another one.
            i32 at = m_layout.view_temp + 8 * static_cast<i32>(views++);
            if (where(source).home == Home::View) {
                m_a.mov(eax, slot(source));
                m_a.mov(dword_ptr(esp, at), eax);
                m_a.mov(eax, slot(source, 4));
                m_a.mov(dword_ptr(esp, at + 4), eax);
            } else if (where(source).home == Home::Buffer) {
                const View& b = m_env->instance->buffers[source->imm];
                m_a.mov(dword_ptr(esp, at), static_cast<i32>(reinterpret_cast<uptr>(b.base)));
                m_a.note_absolute(); // rebased when a snapshot moves the code
                m_a.mov(dword_ptr(esp, at + 4), static_cast<i32>(b.length));
            }
            continue;
        }
        const Location& src = where(source);
        if (dst.home == Home::None || src.home == Home::Undef || src.home == Home::None || same_place(dst, src))
            continue;
        if (count == max_moves) {
            m_a.ud2(); // general_supports keeps phis per block under the limit
            return;
        }
        moves[count++] = Move { dst, src, source->is_const() ? source->imm : 0, phi->type == Type::F32, false };
    }
    views = 0;
    for (Inst* phi = to.first; phi && phi->op == Op::Phi; phi = phi->next) {
        if (where(phi).home != Home::View)
            continue;
        i32 at = m_layout.view_temp + 8 * static_cast<i32>(views++);
        if (where(phi->arg(index)).home == Home::View || where(phi->arg(index)).home == Home::Buffer) {
            m_a.mov(eax, dword_ptr(esp, at));
            m_a.mov(slot(phi), eax);
            m_a.mov(eax, dword_ptr(esp, at + 4));
            m_a.mov(slot(phi, 4), eax);
        }
    }
    auto emit_move = [&](const Location& dst, const Location& src, i32 imm) {
        Gp32 d { dst.reg };
        Xmm dx { dst.reg };
        Mem ds = dword_ptr(esp, dst.offset);
        switch (src.home) {
        case Home::Gpr:
            if (dst.home == Home::Gpr)
                m_a.mov(d, Gp32 { src.reg });
            else if (dst.home == Home::Xmm)
                m_a.movd(dx, Gp32 { src.reg });
            else
                m_a.mov(ds, Gp32 { src.reg });
            break;
        case Home::Xmm:
            if (dst.home == Home::Xmm)
                m_a.movaps(dx, Xmm { src.reg });
            else if (dst.home == Home::Gpr)
                m_a.movd(d, Xmm { src.reg });
            else
                m_a.movss(ds, Xmm { src.reg });
            break;
        case Home::Slot:
            if (dst.home == Home::Gpr) {
                m_a.mov(d, dword_ptr(esp, src.offset));
            } else if (dst.home == Home::Xmm) {
                m_a.movss(dx, dword_ptr(esp, src.offset));
            } else {
                m_a.mov(eax, dword_ptr(esp, src.offset));
                m_a.mov(ds, eax);
            }
            break;
        default: // a constant
            if (dst.home == Home::Gpr) {
                m_a.mov(d, imm);
            } else if (dst.home == Home::Xmm) {
                m_a.mov(eax, imm);
                m_a.movd(dx, eax);
            } else {
                m_a.mov(ds, imm);
            }
            break;
        }
    };
    for (u32 left = count; left;) {
        bool progress = false;
        for (u32 i = 0; i < count; ++i) {
            if (moves[i].done)
                continue;
            bool blocked = false;
            for (u32 j = 0; j < count && !blocked; ++j)
                blocked = j != i && !moves[j].done && same_place(moves[j].src, moves[i].dst);
            if (blocked)
                continue;
            emit_move(moves[i].dst, moves[i].src, moves[i].imm);
            moves[i].done = true;
            --left;
            progress = true;
        }
        if (progress)
            continue;
        // Only cycles are left: park one destination's value in scratch.
        for (u32 i = 0; i < count; ++i) {
            if (moves[i].done)
                continue;
            Location parked = moves[i].f32 ? Location { Home::Xmm, 0, 0 } : Location { Home::Gpr, 2 /* edx */, 0 };
            emit_move(parked, moves[i].dst, 0);
            for (u32 j = 0; j < count; ++j)
                if (!moves[j].done && same_place(moves[j].src, moves[i].dst))
                    moves[j].src = parked;
            break;
        }
    }
}

// True if the edge from -> to copies anything (a phi whose argument already
// sits in the phi's home costs nothing, which the allocator's hints make the
// common case on loop back edges).
bool GeneralEmitter::edge_moves(const Block& from, const Block& to) const
{
    if (!has_phis(to))
        return false;
    u32 index = to.pred_index(&from);
    for (Inst* phi = to.first; phi && phi->op == Op::Phi; phi = phi->next) {
        const Location& dst = where(phi);
        const Location& src = where(phi->arg(index));
        if (dst.home == Home::View) {
            if (src.home == Home::View || src.home == Home::Buffer)
                return true;
            continue;
        }
        if (dst.home == Home::None || src.home == Home::Undef || src.home == Home::None || same_place(dst, src))
            continue;
        return true;
    }
    return false;
}

}
