// The general code generator's loop vectoriser: innermost counted loops
// whose whole body is a float accumulation the module marked as a reduction
// (Reassociable; docs/flow-language.md, "The float reduction rule") run
// their first iterations 4 (SSE) or 8 (AVX2) lanes at a time, whatever the
// loop nest around them, the names or the index arithmetic.
//
// What qualifies is a meaning, not a spelling: a single-block counted loop
// whose phis are its induction variable and one or two accumulators
// s' = s + e or s' = s - e (marked), where every other instruction computes
// e: f32 loads whose index is the induction variable plus loop-invariant
// terms (unit stride, in any order of addition, with the bounds check proven
// by the loop's guards), loop invariants, constants and lane-exact f32
// operations (add, sub, mul, div, min, max, sqrt) in any tree. Dot products
// in matrix-vector loops, sums of squares, attention scores and
// sums of differences all have this meaning.
//
// How: the vectoriser runs at the entry of the loop's unchecked copy (after
// the guards held, codegen_general_loops.cpp), with the phis holding their
// entry values. It saves the registers it borrows, runs blocks of U vectors
// (U accumulators per reduction, U = 4, 2 or 1 by register pressure) and
// then single vectors while more than one vector's worth of trips remain,
// adds the lanes together, combines them with the entry value
// (s + lanes, or s - lanes), writes the induction variable and the
// accumulators back into the phis' homes and enters the scalar unchecked
// copy, which runs the remaining 1 to W trips exactly as written. Lanes
// start at -0.0, the identity of IEEE addition, so zeros keep their signs
// as well as regrouping allows. With FMA (AVX2 path) a product e = x * y is
// fused into its accumulator, which the rule allows for a reduction.
//
// This file emits; codegen_general_vector_plan.cpp decides what qualifies.
#include <microjit/tier2/codegen_general_emit.h>
#include <microjit/tier2/codegen_general_vector.h>
#include <microjit/tier2/vector_lanes.h>

namespace Tier2 {

using namespace x86;

namespace {

// The borrowed stack area, below the pushed ECX EBX ESI EDI EBP.
constexpr i32 area_save = 0;        // XMM1-XMM7, 16 bytes each
constexpr i32 area_pointers = 112;  // a pointer per stream (max_streams of them)
constexpr i32 area_iv = area_pointers + 4 * static_cast<i32>(max_streams);
constexpr i32 area_minus_zero = area_iv + 4;
constexpr i32 area_entry = area_minus_zero + 4; // the accumulators' entry values, then their results
constexpr i32 area_invariants = area_entry + 4 * static_cast<i32>(max_reductions);
constexpr i32 area_remaining = area_invariants + 4 * static_cast<i32>(max_invariants); // trips left to the scalar copy
constexpr i32 area_lanes = 192;     // 32 bytes per reduction, to add the lanes
static_assert(area_remaining + 4 <= area_lanes && area_lanes + 32 * static_cast<i32>(max_reductions) <= 256);
constexpr i32 area_size = 256;

// The pointer registers, pushed in this order (only as many as there are
// streams, and never EAX, which is scratch), above the area.
const Gp32 stream_registers[max_streams] = { ebx, esi, edi, ebp, ecx, eax };
u32 pushed_registers(u32 streams) { return streams < 5 ? streams : 5; }

// Where pushed register `id` is kept, or -1 when it is not one of the `count` pushed.
i32 saved_gpr(u8 id, u32 count)
{
    for (u32 k = 0; k < count; ++k)
        if (stream_registers[k].id == id)
            return area_size + 4 * static_cast<i32>(count - 1 - k);
    return -1;
}

// Emits the vector code; register numbers are vector registers 0-7.
class VectorEmitter {
public:
    VectorEmitter(GeneralEmitter& g, const VectorLoop& plan, Lanes& lanes, bool fma)
        : m_g(g)
        , m_plan(plan)
        , m_v(lanes)
        , m_fma(fma)
    {
        // Registers: accumulators first, then invariants, then temporaries.
        m_invariant_base = static_cast<u8>(plan.reduction_count * plan.unroll);
        m_temp_base = static_cast<u8>(m_invariant_base + plan.invariant_count);
    }

    u8 accumulator(u32 r, u32 u) const { return static_cast<u8>(r * m_plan.unroll + u); }

    // value of `v` for the lanes at byte displacement disp, into register d
    void eval(const Inst* v, i32 disp, u8 d)
    {
        if (const Mem* m = memory(v, disp)) {
            m_v.load(d, *m);
            return;
        }
        if (u8 r = invariant(v); r != 0xFF) {
            m_v.copy(d, r);
            return;
        }
        if (v->op == Op::SQRT_F32) {
            eval(v->args[0], disp, d);
            m_v.sqrt(d);
            return;
        }
        eval(v->args[0], disp, d);
        apply(v->op, d, v->args[1], disp, static_cast<u8>(d + 1));
    }

    // d = d op v
    void apply(Op op, u8 d, const Inst* v, i32 disp, u8 spare)
    {
        if (const Mem* m = memory(v, disp)) {
            m_v.binary_mem(op, d, *m, spare);
        } else if (u8 r = invariant(v); r != 0xFF) {
            m_v.binary(op, d, r);
        } else {
            eval(v, disp, spare);
            m_v.binary(op, d, spare);
        }
    }

    // accumulator += e (e at byte displacement disp)
    void accumulate(u32 r, u8 acc, i32 disp)
    {
        const Inst* e = m_plan.reductions[r].update->args[1];
        u8 t = m_temp_base;
        if (m_fma && e->op == Op::MUL_F32 && in_loop(*m_plan.loop, e)) {
            eval(e->args[0], disp, t);
            const Inst* y = e->args[1];
            if (const Mem* m = memory(y, disp)) {
                m_g.m_a.vfmadd231ps(Ymm { acc }, Ymm { t }, *m);
            } else if (u8 ir = invariant(y); ir != 0xFF) {
                m_g.m_a.vfmadd231ps(Ymm { acc }, Ymm { t }, Ymm { ir });
            } else {
                eval(y, disp, static_cast<u8>(t + 1));
                m_g.m_a.vfmadd231ps(Ymm { acc }, Ymm { t }, Ymm { static_cast<u8>(t + 1) });
            }
            return;
        }
        eval(e, disp, t);
        m_v.binary(Op::ADD_F32, acc, t);
    }

    // One vector of a map: the value at byte displacement disp, then stored.
    void map_step(i32 disp)
    {
        const Inst* value = m_plan.store->args[2];
        u8 t = m_temp_base;
        eval(value, disp, t);
        m_v.store(ptr(stream_registers[m_plan.store_stream], disp + 4 * m_plan.store_offset), t);
    }

    u8 invariant(const Inst* v) const
    {
        for (u32 k = 0; k < m_plan.invariant_count; ++k)
            if (m_plan.invariants[k] == v)
                return static_cast<u8>(m_invariant_base + k);
        return 0xFF;
    }

    const Mem* memory(const Inst* v, i32 disp)
    {
        for (u32 k = 0; k < m_plan.load_count; ++k) {
            if (m_plan.loads[k] == v) {
                m_mem = ptr(stream_registers[m_plan.load_stream[k]], disp + 4 * m_plan.load_offset[k]);
                return &m_mem;
            }
        }
        return nullptr;
    }

    u8 invariant_base() const { return m_invariant_base; }

private:
    GeneralEmitter& m_g;
    const VectorLoop& m_plan;
    Lanes& m_v;
    bool m_fma;
    u8 m_invariant_base;
    u8 m_temp_base;
    Mem m_mem {};
};

} // namespace

// sum = the four lanes of sum added (into lane 0), tmp scratch.
void GeneralEmitter::fold_lanes(Xmm sum, Xmm tmp)
{
    m_a.movhlps(tmp, sum);
    m_a.addps(sum, tmp);
    m_a.movaps(tmp, sum);
    m_a.shufps(tmp, tmp, 0x55);
    m_a.addss(sum, tmp);
}

// An i32 value into dst, reading frame slots across the borrowed area.
void GeneralEmitter::vector_read_i32(Gp32 dst, const Inst* v)
{
    const Location& l = where(v);
    switch (l.home) {
    case Home::Gpr: m_a.mov(dst, Gp32 { l.reg }); break;
    case Home::Slot: m_a.mov(dst, dword_ptr(esp, l.offset + m_vector_shift)); break;
    case Home::Const: m_a.mov(dst, v->imm); break;
    default: m_a.ud2(); break;
    }
}

void GeneralEmitter::emit_vector_prefix(const VectorLoop& plan)
{
    Lanes v { m_a, m_avx2 };
    v.fma = m_avx2 && m_fma;
    const i32 width = v.width();
    const i32 block = width * plan.unroll;
    Label skip = m_a.new_label(), blocks_done = m_a.new_label(), singles_done = m_a.new_label();
    Label block_loop = m_a.new_label(), pair_loop = m_a.new_label(), single_loop = m_a.new_label();

    // Worth it only for more than two vectors' worth of trips.
    load_i32(eax, plan.end);
    load_i32(edx, plan.iv);
    m_a.sub(eax, edx);
    m_a.cmp(eax, 2 * width);
    m_a.jle(skip);

    // Only the pointer registers are borrowed (besides EAX and EDX, scratch anyway).
    const u32 pushed = pushed_registers(plan.stream_count);
    for (u32 k = 0; k < pushed; ++k)
        m_a.push(stream_registers[k]);
    m_a.sub(esp, area_size);
    const i32 shift = area_size + 4 * static_cast<i32>(pushed); // frame offsets grow by this
    m_vector_shift = shift;
    u8 saved = vector_saved_xmms(plan);
    for (u8 r = 1; r < 8; ++r)
        if (saved & (1u << r))
            m_a.movups(ptr(esp, area_save + 16 * (r - 1)), Xmm { r });

    // The entry values, while every register still holds its own.
    vector_read_i32(eax, plan.iv);
    m_a.mov(dword_ptr(esp, area_iv), eax);
    for (u32 k = 0; k < plan.stream_count; ++k) {
        const VectorStream& s = plan.streams[k];
        vector_read_i32(eax, plan.iv);
        for (u32 t = 0; t < s.term_count; ++t) {
            vector_read_i32(edx, s.terms[t]);
            m_a.add(eax, edx);
        }
        const Location& view = where(s.view);
        if (view.home == Home::Buffer) {
            m_a.mov(edx, static_cast<i32>(reinterpret_cast<uptr>(m_env->instance->buffers[s.view->imm].base)));
            m_a.note_absolute(); // a snapshot rebases it
        } else {
            m_a.mov(edx, dword_ptr(esp, view.offset + shift));
        }
        m_a.lea(eax, ptr(edx, eax, 4));
        m_a.mov(dword_ptr(esp, area_pointers + 4 * static_cast<i32>(k)), eax);
    }
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        const Location& l = where(plan.reductions[r].phi);
        Mem entry = dword_ptr(esp, area_entry + 4 * static_cast<i32>(r));
        if (l.home == Home::Xmm) {
            m_a.movss(entry, Xmm { l.reg });
        } else {
            m_a.mov(eax, dword_ptr(esp, l.offset + shift));
            m_a.mov(entry, eax);
        }
    }
    for (u32 k = 0; k < plan.invariant_count; ++k) {
        const Inst* inv = plan.invariants[k];
        const Location& l = where(inv);
        Mem copy = dword_ptr(esp, area_invariants + 4 * static_cast<i32>(k));
        if (inv->is_const() || l.home == Home::Const) {
            m_a.mov(copy, inv->imm);
        } else if (l.home == Home::Xmm) {
            m_a.movss(copy, Xmm { l.reg });
        } else {
            m_a.mov(eax, dword_ptr(esp, l.offset + shift));
            m_a.mov(copy, eax);
        }
    }
    // A map's loads must not read, within one vector, what an earlier lane
    // of the same vector stores: with the store d bytes past a load, that
    // happens for 0 < d < one vector. Then the scalar copy does everything.
    Label no_vectors = m_a.new_label();
    if (plan.store) {
        Mem store_pointer = dword_ptr(esp, area_pointers + 4 * static_cast<i32>(plan.store_stream));
        for (u32 k = 0; k < plan.load_count; ++k) {
            i32 ahead = plan.load_offset[k] - plan.store_offset; // elements the load reads past the store
            if (plan.load_stream[k] == plan.store_stream && ahead >= 0)
                continue; // on the stored element or ahead of it: read before any lane writes it
            m_a.mov(eax, store_pointer);
            m_a.sub(eax, dword_ptr(esp, area_pointers + 4 * static_cast<i32>(plan.load_stream[k])));
            m_a.sub(eax, 4 * ahead + 1);
            m_a.cmp(eax, v.bytes() - 1);
            m_a.jb(no_vectors); // the store 1 .. W-1 elements past the load
        }
    }
    // Trips: r - 1 of them may run in vectors (at least one is left to the scalar copy).
    vector_read_i32(eax, plan.end);
    m_a.sub(eax, dword_ptr(esp, area_iv));
    if (!plan.direct_exit)
        m_a.dec(eax); // keep a trip for the scalar copy, which cannot be entered with none
    m_a.mov(edx, eax);
    m_a.and_(eax, ~(width - 1));
    m_a.sub(edx, eax);
    m_a.mov(dword_ptr(esp, area_remaining), edx);
    if (!plan.direct_exit)
        m_a.inc(dword_ptr(esp, area_remaining));
    m_a.mov(edx, eax);
    m_a.add(dword_ptr(esp, area_iv), eax); // the induction variable after the vectors
    for (u32 k = 0; k < plan.stream_count; ++k)
        m_a.mov(stream_registers[k], dword_ptr(esp, area_pointers + 4 * static_cast<i32>(k)));

    VectorEmitter e(*this, plan, v, v.fma);
    m_a.mov(dword_ptr(esp, area_minus_zero), static_cast<i32>(0x80000000u));
    for (u32 r = 0; r < plan.reduction_count; ++r)
        for (u32 u = 0; u < plan.unroll; ++u)
            v.broadcast(e.accumulator(r, u), dword_ptr(esp, area_minus_zero));
    for (u32 k = 0; k < plan.invariant_count; ++k)
        v.broadcast(static_cast<u8>(e.invariant_base() + k), dword_ptr(esp, area_invariants + 4 * static_cast<i32>(k)));

    // Blocks of `unroll` vectors while at least a block is left (EDX holds
    // the trips, a whole number of vectors), ...
    m_a.cmp(edx, block);
    m_a.jl(blocks_done);
    m_a.align(16);
    m_a.bind(block_loop);
    for (u32 u = 0; u < plan.unroll; ++u) {
        for (u32 r = 0; r < plan.reduction_count; ++r)
            e.accumulate(r, e.accumulator(r, u), static_cast<i32>(u) * v.bytes());
        if (plan.store)
            e.map_step(static_cast<i32>(u) * v.bytes());
    }
    for (u32 k = 0; k < plan.stream_count; ++k)
        m_a.add(stream_registers[k], block * 4);
    m_a.sub(edx, block);
    m_a.cmp(edx, block);
    m_a.jge(block_loop);
    m_a.bind(blocks_done);
    // ... then pairs of vectors into the first two accumulators, then one.
    bool pairs = plan.unroll >= 2;
    if (pairs) {
        m_a.cmp(edx, 2 * width);
        m_a.jl(single_loop);
        m_a.bind(pair_loop);
        for (u32 r = 0; r < plan.reduction_count; ++r) {
            e.accumulate(r, e.accumulator(r, 0), 0);
            e.accumulate(r, e.accumulator(r, 1), v.bytes());
        }
        if (plan.store) {
            e.map_step(0);
            e.map_step(v.bytes());
        }
        for (u32 k = 0; k < plan.stream_count; ++k)
            m_a.add(stream_registers[k], 2 * v.bytes());
        m_a.sub(edx, 2 * width);
        m_a.cmp(edx, 2 * width);
        m_a.jge(pair_loop);
    }
    m_a.bind(single_loop);
    m_a.test(edx, edx);
    m_a.jz(singles_done);
    for (u32 r = 0; r < plan.reduction_count; ++r)
        e.accumulate(r, e.accumulator(r, 0), 0);
    if (plan.store)
        e.map_step(0);
    for (u32 k = 0; k < plan.stream_count; ++k)
        m_a.add(stream_registers[k], v.bytes());
    m_a.sub(edx, width);
    m_a.jnz(single_loop);
    m_a.bind(singles_done);
    // The accumulators of each reduction added pairwise into its first.
    for (u32 r = 0; r < plan.reduction_count; ++r)
        for (u32 step = 1; step < plan.unroll; step *= 2)
            for (u32 u = 0; u + step < plan.unroll; u += 2 * step)
                v.binary(Op::ADD_F32, e.accumulator(r, u), e.accumulator(r, u + step));

    // The lanes added together (the upper half of a YMM register taken out
    // before VZEROUPPER, the rest in SSE), combined with the entry value,
    // and kept in the area until the registers are given back.
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        u8 acc = e.accumulator(r, 0);
        u8 high = static_cast<u8>(acc == 7 ? 6 : 7); // not another reduction's sum: those are at 0 and unroll
        if (r + 1 < plan.reduction_count && m_avx2) {
            // another sum still lives in a YMM register: this one goes through memory
            v.store(ptr(esp, area_lanes + 32 * static_cast<i32>(r)), acc);
            continue;
        }
        if (m_avx2) {
            m_a.vextractf128(Xmm { high }, Ymm { acc }, 1);
            m_a.vzeroupper();
            m_a.addps(Xmm { acc }, Xmm { high });
        }
        fold_lanes(Xmm { acc }, Xmm { high });
        m_a.movss(Xmm { high }, dword_ptr(esp, area_entry + 4 * static_cast<i32>(r)));
        if (plan.reductions[r].subtract)
            m_a.subss(Xmm { high }, Xmm { acc });
        else
            m_a.addss(Xmm { high }, Xmm { acc });
        m_a.movss(dword_ptr(esp, area_entry + 4 * static_cast<i32>(r)), Xmm { high }); // now the result
    }
    for (u32 r = 0; r + 1 < plan.reduction_count && m_avx2; ++r) {
        i32 at = area_lanes + 32 * static_cast<i32>(r);
        m_a.movups(xmm0, ptr(esp, at));
        m_a.movups(xmm1, ptr(esp, at + 16));
        m_a.addps(xmm0, xmm1);
        fold_lanes(xmm0, xmm1);
        m_a.movss(xmm1, dword_ptr(esp, area_entry + 4 * static_cast<i32>(r)));
        if (plan.reductions[r].subtract)
            m_a.subss(xmm1, xmm0);
        else
            m_a.addss(xmm1, xmm0);
        m_a.movss(dword_ptr(esp, area_entry + 4 * static_cast<i32>(r)), xmm1);
    }

    Label restore = m_a.new_label();
    if (plan.store && m_avx2)
        m_a.vzeroupper();
    m_a.jmp(restore);
    m_a.bind(no_vectors);
    m_a.mov(dword_ptr(esp, area_remaining), 1); // the scalar copy runs every trip
    m_a.bind(restore);

    // Give the registers back, then the results go into the phis' homes
    // (whose registers were not saved: their old values are the entry
    // values, used above). Nothing from the comparison on changes the flags.
    const Location& ivl = where(plan.iv);
    i32 iv_saved = ivl.home == Home::Gpr ? saved_gpr(ivl.reg, pushed) : -1;
    m_a.mov(eax, dword_ptr(esp, area_iv));
    if (iv_saved >= 0)
        m_a.mov(dword_ptr(esp, iv_saved), eax);
    else if (ivl.home == Home::Slot)
        m_a.mov(dword_ptr(esp, ivl.offset + shift), eax);
    for (u8 r = 1; r < 8; ++r)
        if (saved & (1u << r))
            m_a.movups(Xmm { r }, ptr(esp, area_save + 16 * (r - 1)));
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        const Location& l = where(plan.reductions[r].phi);
        Mem result = dword_ptr(esp, area_entry + 4 * static_cast<i32>(r));
        if (l.home == Home::Xmm) {
            m_a.movss(Xmm { l.reg }, result);
        } else {
            m_a.mov(edx, result);
            m_a.mov(dword_ptr(esp, l.offset + shift), edx);
        }
    }
    m_a.cmp(dword_ptr(esp, area_remaining), 0);
    m_a.lea(esp, ptr(esp, area_size));
    for (u32 k = pushed; k-- > 0;)
        m_a.pop(stream_registers[k]);
    if (ivl.home == Home::Gpr && iv_saved < 0)
        m_a.mov(Gp32 { ivl.reg }, eax);
    if (plan.direct_exit) {
        m_a.jne(skip);
        // Every trip ran in vectors: leave the loop as its latch would.
        for (u32 r = 0; r < plan.reduction_count; ++r) {
            load_f32(xmm0, plan.reductions[r].phi);
            finish_f32(plan.reductions[r].update, xmm0);
        }
        if (where(plan.next).home != Home::None) {
            load_i32(eax, plan.end);
            finish_i32(plan.next, eax);
        }
        edge_copies(*plan.loop->latch, *plan.exit);
        m_a.jmp(label(plan.exit));
    }
    m_a.bind(skip);
}

// The XMM registers the vector code must give back: those it overwrites
// that hold a value live across the loop's entry.
u8 GeneralEmitter::vector_saved_xmms(const VectorLoop& plan) const
{
    u32 here = m_layout.position[plan.loop->preheader->last->id];
    u8 saved = 0;
    for (u32 b = 0; b < m_fn.block_count; ++b) {
        const Block* block = m_fn.blocks[b];
        if (block->removed)
            continue;
        for (const Inst* v = block->first; v; v = v->next)
            if (where(v).home == Home::Xmm && m_layout.position[v->id] <= here && m_layout.last[v->id] > here)
                saved |= static_cast<u8>(1u << where(v).reg);
    }
    // Not the accumulators' own registers: they receive the results.
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        if (where(plan.reductions[r].phi).home == Home::Xmm)
            saved &= static_cast<u8>(~(1u << where(plan.reductions[r].phi).reg));
    }
    // Only what the vector code overwrites: its registers, and XMM1 when it
    // adds the lanes (XMM0 is everyone's scratch).
    u32 used = plan.reduction_count * plan.unroll + plan.invariant_count + plan.temps;
    u32 clobbered = ((1u << (used < 8 ? used : 8)) - 1) | 2u | 0xC0u; // XMM6/7: the folds' scratch
    return static_cast<u8>(saved & clobbered & ~1u);
}

}
