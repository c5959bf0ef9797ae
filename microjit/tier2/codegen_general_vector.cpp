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

constexpr u32 max_streams = 6;     // pointer registers: EBX ESI EDI EBP ECX, then EAX (scratch anyway)
constexpr u32 max_reductions = 2;
constexpr u32 max_invariants = 4;
constexpr u32 vector_registers = 8;

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

// A base pointer the vector code steps: view + 4 * (iv + terms). Accesses
// through it add their own constant (v[iv + terms + c] is c elements on).
struct VectorStream {
    const Inst* view;
    const Inst* terms[2]; // loop-invariant i32 values added to the induction variable
    u32 term_count;
    i32 constant;         // while matching an index; then the access's own
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
    const Inst* loads[16]; // each load's stream and element offset from it
    u8 load_stream[16];
    i32 load_offset[16];
    i32 store_offset;
    u32 load_count;
    const Inst* invariants[max_invariants];
    u32 invariant_count;
    u8 unroll;
    u8 temps;          // vector registers an expression needs
    bool direct_exit;  // only the accumulators (and the stepped iv) are used after the loop
    const Inst* store; // a map's one store (then there are no reductions), or nullptr
    u8 store_stream;
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
