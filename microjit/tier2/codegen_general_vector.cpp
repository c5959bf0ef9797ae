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
#include <microjit/tier2/codegen_general_emit.h>
#include <microjit/tier2/loops.h>
#include <microjit/tier2/vector_lanes.h>

namespace Tier2 {

using namespace x86;

namespace {

constexpr u32 max_streams = 5;     // pointer registers: EBX ESI EDI EBP ECX
constexpr u32 max_reductions = 2;
constexpr u32 max_invariants = 4;
constexpr u32 vector_registers = 8;

// The borrowed stack area, below the pushed ECX EBX ESI EDI EBP.
constexpr i32 area_save = 0;        // XMM1-XMM7, 16 bytes each
constexpr i32 area_pointers = 112;  // a pointer per stream
constexpr i32 area_iv = 132;
constexpr i32 area_minus_zero = 136;
constexpr i32 area_entry = 140;     // the accumulators' entry values
constexpr i32 area_invariants = 148;
constexpr i32 area_remaining = 164; // trips left to the scalar copy
constexpr i32 area_lanes = 192;     // 32 bytes per reduction, to add the lanes
constexpr i32 area_size = 256;
constexpr i32 pushed = 20;
constexpr i32 shift = area_size + pushed; // what ESP moved by: frame offsets grow by this

// Where a pushed register is kept (push order ECX EBX ESI EDI EBP).
i32 saved_gpr(u8 id)
{
    switch (id) {
    case 5: return area_size + 0;  // EBP
    case 7: return area_size + 4;  // EDI
    case 6: return area_size + 8;  // ESI
    case 3: return area_size + 12; // EBX
    default: return area_size + 16; // ECX
    }
}

const Gp32 stream_registers[max_streams] = { ebx, esi, edi, ebp, ecx };

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

} // namespace

struct VectorStream {
    const Inst* view;
    const Inst* terms[2]; // loop-invariant i32 values added to the induction variable
    u32 term_count;
    i32 constant;
};

struct VectorReduction {
    const Inst* phi;
    const Inst* update; // add.f32 / sub.f32 (Reassociable), phi as its first operand
    bool subtract;
};

struct VectorLoop {
    const Loop* loop;
    const Inst* iv;
    const Inst* end;
    VectorReduction reductions[max_reductions];
    u32 reduction_count;
    VectorStream streams[max_streams];
    u32 stream_count;
    const Inst* loads[16]; // each load's stream, by position
    u8 load_stream[16];
    u32 load_count;
    const Inst* invariants[max_invariants];
    u32 invariant_count;
    u8 unroll;
    u8 temps;          // vector registers an expression needs
    bool direct_exit;  // only the accumulators (and the stepped iv) are used after the loop
    const Inst* next;  // the stepped induction variable
    const Block* exit;
};

namespace {

bool in_loop(const Loop& loop, const Inst* v) { return v->block && loop.contains(v->block); }

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
    if (a.view != b.view || a.constant != b.constant || a.term_count != b.term_count)
        return false;
    for (u32 i = 0; i < a.term_count; ++i)
        if (a.terms[i] != b.terms[i])
            return false;
    return true;
}

// Vector registers to evaluate v (Sethi-Ullman, with a load or an invariant
// as a right operand taken from memory or its own register).
u32 need(const VectorLoop& plan, const Inst* v)
{
    if (v->op == Op::LOAD_F32 || v->op == Op::CONST_F32 || !in_loop(*plan.loop, v))
        return 1;
    if (v->op == Op::SQRT_F32)
        return need(plan, v->args[0]);
    const Inst* r = v->args[1];
    bool direct = r->op == Op::LOAD_F32 || r->op == Op::CONST_F32 || !in_loop(*plan.loop, r);
    u32 left = need(plan, v->args[0]);
    u32 right = direct ? 1 : need(plan, r) + 1; // SSE takes a memory operand through a register
    return left > right ? left : right;
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
    if (!plan.reduction_count)
        return nullptr;
    // Every other instruction serves an accumulation.
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
                plan.streams[plan.stream_count++] = s;
            }
            plan.loads[plan.load_count] = i;
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
            bool fine = i == cl.next || (i->op == Op::LOAD_F32 && a == 1) || i->op == Op::ADD_I32 || i->op == Op::ADDI_I32;
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
    u32 temps = 0;
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        u32 t = need(plan, plan.reductions[r].update->args[1]) + 1;
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
    u32 unroll = free / plan.reduction_count;
    plan.unroll = static_cast<u8>(unroll >= 4 ? 4 : unroll >= 2 ? 2 : 1);

    auto allocated = m_fn.arena->allocate<VectorLoop>(1);
    if (allocated.is_error())
        return nullptr;
    VectorLoop* kept = allocated.value();
    *kept = plan;
    return kept;
}

namespace {

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
                m_mem = ptr(stream_registers[m_plan.load_stream[k]], disp);
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

// An i32 value into dst, reading frame slots across the borrowed area.
void GeneralEmitter::vector_read_i32(Gp32 dst, const Inst* v)
{
    const Location& l = where(v);
    switch (l.home) {
    case Home::Gpr: m_a.mov(dst, Gp32 { l.reg }); break;
    case Home::Slot: m_a.mov(dst, dword_ptr(esp, l.offset + shift)); break;
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
    Label block_loop = m_a.new_label(), single_loop = m_a.new_label();

    // Worth it only for more than two vectors' worth of trips.
    load_i32(eax, plan.end);
    load_i32(edx, plan.iv);
    m_a.sub(eax, edx);
    m_a.cmp(eax, 2 * width);
    m_a.jle(skip);

    m_a.push(ecx);
    m_a.push(ebx);
    m_a.push(esi);
    m_a.push(edi);
    m_a.push(ebp);
    m_a.sub(esp, area_size);
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
        if (s.constant)
            m_a.add(eax, s.constant);
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

    // Blocks of `unroll` vectors: EDX holds the trips, EAX counts blocks.
    m_a.mov(eax, edx);
    i32 block_shift = 0;
    while ((1 << block_shift) < block)
        ++block_shift;
    m_a.shr(eax, static_cast<u8>(block_shift));
    m_a.jz(blocks_done);
    m_a.align(16);
    m_a.bind(block_loop);
    for (u32 u = 0; u < plan.unroll; ++u)
        for (u32 r = 0; r < plan.reduction_count; ++r)
            e.accumulate(r, e.accumulator(r, u), static_cast<i32>(u) * v.bytes());
    for (u32 k = 0; k < plan.stream_count; ++k)
        m_a.add(stream_registers[k], block * 4);
    m_a.dec(eax);
    m_a.jnz(block_loop);
    m_a.bind(blocks_done);
    for (u32 r = 0; r < plan.reduction_count; ++r)
        for (u32 u = 1; u < plan.unroll; ++u)
            v.binary(Op::ADD_F32, e.accumulator(r, 0), e.accumulator(r, u));
    // Then single vectors.
    m_a.mov(eax, edx);
    m_a.and_(eax, block - 1);
    i32 width_shift = width == 8 ? 3 : 2;
    m_a.shr(eax, static_cast<u8>(width_shift));
    m_a.jz(singles_done);
    m_a.bind(single_loop);
    for (u32 r = 0; r < plan.reduction_count; ++r)
        e.accumulate(r, e.accumulator(r, 0), 0);
    for (u32 k = 0; k < plan.stream_count; ++k)
        m_a.add(stream_registers[k], v.bytes());
    m_a.dec(eax);
    m_a.jnz(single_loop);
    m_a.bind(singles_done);

    // Lanes to memory, then added in SSE (after VZEROUPPER), then combined
    // with the entry value and written into the accumulator's phi home.
    for (u32 r = 0; r < plan.reduction_count; ++r)
        v.store(ptr(esp, area_lanes + 32 * static_cast<i32>(r)), e.accumulator(r, 0));
    if (m_avx2)
        m_a.vzeroupper();
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        i32 at = area_lanes + 32 * static_cast<i32>(r);
        m_a.movups(xmm0, ptr(esp, at));
        if (width == 8) {
            m_a.movups(xmm1, ptr(esp, at + 16));
            m_a.addps(xmm0, xmm1);
        }
        m_a.movhlps(xmm1, xmm0);
        m_a.addps(xmm0, xmm1);
        m_a.movaps(xmm1, xmm0);
        m_a.shufps(xmm1, xmm1, 0x55);
        m_a.addss(xmm0, xmm1);
        m_a.movss(xmm1, dword_ptr(esp, area_entry + 4 * static_cast<i32>(r)));
        if (plan.reductions[r].subtract)
            m_a.subss(xmm1, xmm0);
        else
            m_a.addss(xmm1, xmm0);
        const Location& l = where(plan.reductions[r].phi);
        if (l.home == Home::Xmm && (saved & (1u << l.reg)))
            m_a.movss(dword_ptr(esp, area_save + 16 * (l.reg - 1)), xmm1); // restored below
        else if (l.home == Home::Xmm)
            m_a.movss(Xmm { l.reg }, xmm1); // a register the vector code leaves alone
        else
            m_a.movss(dword_ptr(esp, l.offset + shift), xmm1);
    }
    m_a.mov(eax, dword_ptr(esp, area_iv));
    const Location& ivl = where(plan.iv);
    if (ivl.home == Home::Gpr)
        m_a.mov(dword_ptr(esp, saved_gpr(ivl.reg)), eax);
    else
        m_a.mov(dword_ptr(esp, ivl.offset + shift), eax);

    // What is left to the scalar copy decides where to go; nothing below
    // changes the flags.
    m_a.cmp(dword_ptr(esp, area_remaining), 0);
    for (u8 r = 1; r < 8; ++r)
        if (saved & (1u << r))
            m_a.movups(Xmm { r }, ptr(esp, area_save + 16 * (r - 1)));
    m_a.lea(esp, ptr(esp, area_size));
    m_a.pop(ebp);
    m_a.pop(edi);
    m_a.pop(esi);
    m_a.pop(ebx);
    m_a.pop(ecx);
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

// The XMM registers the vector code must give back: those holding a value
// live across the loop's entry, and the homes it writes.
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
    for (u32 r = 0; r < plan.reduction_count; ++r) {
        if (where(plan.reductions[r].phi).home == Home::Xmm)
            saved |= static_cast<u8>(1u << where(plan.reductions[r].phi).reg);
    }
    // Only what the vector code overwrites: its registers, and XMM1 when it adds the lanes.
    u32 used = plan.reduction_count * plan.unroll + plan.invariant_count + plan.temps;
    u32 clobbered = ((1u << (used < 8 ? used : 8)) - 1) | 3u;
    return static_cast<u8>(saved & clobbered);
}

}
