// Code generators for reductions (sum, dot, max, min) and element-wise maps:
// 4 lanes with SSE, or 8 with AVX2 when allowed; several accumulators to hide
// the add latency; a scalar remainder loop. On the AVX2 path with FMA, dot
// products fuse each product into its accumulator (VFMADD231PS), which
// docs/flow-language.md ("The float reduction rule") allows for a float
// accumulation, as it allows regrouping; maps never fuse.
//
// Exactness: maps compute each element with the same IEEE operations as the
// bytecode (MINPS/MAXPS follow the MINSS/MAXSS rule lane by lane), so their
// results are bit-identical. i32 reductions are exact too (wrapping addition
// is associative). f32 sums and dot products are reassociated, which the
// language allows for an accumulation the module marks as a reduction;
// docs/tier2.md gives the error bound the tests hold them to. f32 max/min are
// vectorised too: without NaNs and zeros, MAXSS/MINSS select a value that
// does not depend on the order (equal non-zero floats have equal bits), so
// the lanes give the exact result; an initial value or an element that is a
// NaN or a zero of either sign sends the whole call to the strict scalar
// order, with the operands as the bytecode wrote them.
//
// Bounds: a reduction has no side effect, so a range the bytecode would
// index outside of simply traps (TrapOutOfBounds) up front. A map stops at
// the first index any of its views cannot serve, after storing every element
// before it, and then traps, exactly as the bytecode loop would.
#include <microjit/tier2/codegen.h>
#include <microjit/tier2/codegen_frame.h>
#include <microjit/tier2/vector_lanes.h>

namespace Tier2 {

using namespace x86;

namespace {

// Scalar f32 d = d op s (the remainder loops).
void scalar_binary(Assembler& a, Op op, Xmm d, Xmm s)
{
    switch (op) {
    case Op::ADD_F32: a.addss(d, s); break;
    case Op::SUB_F32: a.subss(d, s); break;
    case Op::MUL_F32: a.mulss(d, s); break;
    case Op::DIV_F32: a.divss(d, s); break;
    case Op::MIN_F32: a.minss(d, s); break;
    case Op::MAX_F32: a.maxss(d, s); break;
    default: a.ud2(); break;
    }
}

Mem element(Gp32 base, i32 disp = 0) { return ptr(base, ecx, 4, disp); }

ErrorOr<void> compile_f32_sum_or_dot(const FunctionReduction& r, Assembler& a, NativeFrame& frame, Lanes& v)
{
    bool dot = r.loop.op == ReductionOp::Dot;
    Label big = a.new_label(), single = a.new_label(), tail = a.new_label(), rest = a.new_label(), finish = a.new_label();
    // Specialised code with constant bounds (the caller has already
    // returned when there are no trips): a whole number of 4-vector trips
    // needs no test before the first trip and no remainder code at all.
    bool whole_trips = false;
    if (r.start.kind == Operand::Kind::Constant && r.end.kind == Operand::Kind::Constant) {
        i64 trips = static_cast<i64>(static_cast<i32>(r.end.bits)) - static_cast<i32>(r.start.bits);
        whole_trips = trips > 0 && trips % (4 * v.width()) == 0;
    }
    for (u8 k = 0; k < 4; ++k)
        v.zero(k);
    // Four accumulators, one vector each per trip.
    a.align(16);
    a.bind(big);
    if (!whole_trips) {
        a.lea(eax, ptr(ecx, 4 * v.width()));
        a.cmp(eax, edx);
        a.jg(single);
    }
    for (u8 k = 0; k < 4; ++k) {
        u8 x = static_cast<u8>(4 + (k & 1) * 2), y = static_cast<u8>(x + 1);
        v.load(x, element(esi, k * v.bytes()));
        if (dot && v.fma) {
            // The reduction rule lets a float accumulation be regrouped and
            // its products fused into it (docs/flow-language.md).
            a.vfmadd231ps(Ymm { k }, Ymm { x }, element(edi, k * v.bytes()));
            continue;
        }
        if (dot) {
            v.load(y, element(edi, k * v.bytes()));
            v.binary(Op::MUL_F32, x, y);
        }
        v.binary(Op::ADD_F32, k, x);
    }
    a.add(ecx, 4 * v.width());
    if (whole_trips) {
        a.cmp(ecx, edx);
        a.jl(big);
    } else {
        a.jmp(big);
    }
    // One vector at a time.
    if (!whole_trips) {
        a.bind(single);
        a.lea(eax, ptr(ecx, v.width()));
        a.cmp(eax, edx);
        a.jg(tail);
        v.load(4, element(esi));
        if (dot && v.fma) {
            a.vfmadd231ps(Ymm { 0 }, Ymm { 4 }, element(edi));
        } else if (dot) {
            v.load(5, element(edi));
            v.binary(Op::MUL_F32, 4, 5);
            v.binary(Op::ADD_F32, 0, 4);
        } else {
            v.binary(Op::ADD_F32, 0, 4);
        }
        a.add(ecx, v.width());
        a.jmp(single);
    }
    a.bind(tail);
    v.binary(Op::ADD_F32, 0, 1);
    v.binary(Op::ADD_F32, 2, 3);
    v.binary(Op::ADD_F32, 0, 2);
    v.fold_to_scalar(0, 1, Op::ADD_F32, NativeFrame::spill_offset);
    // The scalar remainder.
    if (!whole_trips) {
        a.bind(rest);
        a.cmp(ecx, edx);
        a.jge(finish);
        a.movss(xmm1, element(esi));
        if (dot)
            a.mulss(xmm1, element(edi));
        a.addss(xmm0, xmm1);
        a.inc(ecx);
        a.jmp(rest);
    }
    a.bind(finish);
    a.movss(xmm1, frame.local(0)); // init +- (the reassociated sum)
    if (r.loop.subtract)
        a.subss(xmm1, xmm0);
    else
        a.addss(xmm1, xmm0);
    a.movd(eax, xmm1);
    frame.return_eax();
    return {};
}

ErrorOr<void> compile_f32_max_or_min(const FunctionReduction& r, Assembler& a, NativeFrame& frame, Lanes& v)
{
    Op op = r.loop.op == ReductionOp::Max ? Op::MAX_F32 : Op::MIN_F32;
    // SSE only: the emitter has no VEX compare for the NaN and zero test.
    Label big = a.new_label(), tail = a.new_label(), rest = a.new_label(), finish = a.new_label();
    Label strict = a.new_label(), strict_loop = a.new_label(), strict_done = a.new_label();
    // An initial NaN or zero: the order can show from the first step on.
    // UCOMISS sets ZF for equal and for unordered, so one JE catches both.
    a.movss(xmm1, frame.local(0));
    a.xorps(xmm6, xmm6);
    a.ucomiss(xmm1, xmm6);
    a.je(strict);
    // xmm/ymm 0..3 accumulators (all lanes start at init), 7 collects the
    // lanes that saw a NaN or a zero.
    for (u8 k = 0; k < 4; ++k)
        v.broadcast(k, frame.local(0));
    v.zero(7);
    a.align(16);
    a.bind(big);
    a.lea(eax, ptr(ecx, 4 * v.width()));
    a.cmp(eax, edx);
    a.jg(tail);
    for (u8 k = 0; k < 4; ++k) {
        u8 x = static_cast<u8>(4 + (k & 1));
        v.load(x, element(esi, k * v.bytes()));
        // NaN lanes: x unordered with itself (CMPPS predicate 3); zero
        // lanes: 0 equal to x (predicate 0).
        a.movaps(xmm6, Xmm { x });
        a.cmpps(xmm6, xmm6, 3);
        a.orps(xmm7, xmm6);
        a.xorps(xmm6, xmm6);
        a.cmpps(xmm6, Xmm { x }, 0);
        a.orps(xmm7, xmm6);
        v.binary(op, k, x);
    }
    a.add(ecx, 4 * v.width());
    a.jmp(big);
    a.bind(tail);
    v.binary(op, 0, 1);
    v.binary(op, 2, 3);
    v.binary(op, 0, 2);
    a.movmskps(eax, xmm7);
    a.test(eax, eax);
    a.jnz(strict);
    v.fold_to_scalar(0, 1, op, NativeFrame::spill_offset);
    a.bind(rest);
    a.cmp(ecx, edx);
    a.jge(finish);
    a.movss(xmm1, element(esi));
    a.xorps(xmm6, xmm6);
    a.ucomiss(xmm1, xmm6);
    a.je(strict); // a NaN or a zero: the order matters, start over strictly
    scalar_binary(a, op, xmm0, xmm1);
    a.inc(ecx);
    a.jmp(rest);
    a.bind(finish);
    a.movd(eax, xmm0);
    frame.return_eax();
    // The strict order of the bytecode: acc = acc OP a[i] (or a[i] OP acc),
    // i = start..end-1.
    a.bind(strict);
    a.mov(ecx, frame.local(1));
    a.movss(xmm0, frame.local(0));
    a.bind(strict_loop);
    a.cmp(ecx, edx);
    a.jge(strict_done);
    a.movss(xmm1, element(esi));
    if (r.loop.acc_first) {
        scalar_binary(a, op, xmm0, xmm1);
    } else {
        scalar_binary(a, op, xmm1, xmm0);
        a.movaps(xmm0, xmm1);
    }
    a.inc(ecx);
    a.jmp(strict_loop);
    a.bind(strict_done);
    a.movd(eax, xmm0);
    frame.return_eax();
    return {};
}

ErrorOr<void> compile_i32_reduction(const FunctionReduction& r, Assembler& a, NativeFrame& frame)
{
    Label big = a.new_label(), tail = a.new_label(), rest = a.new_label(), finish = a.new_label();
    ReductionOp op = r.loop.op;
    if (op == ReductionOp::Sum) {
        // Wrapping addition is associative: PADDD lanes give the exact sum.
        for (u8 k = 0; k < 4; ++k)
            a.pxor(Xmm { k }, Xmm { k });
        a.align(16);
        a.bind(big);
        a.lea(eax, ptr(ecx, 16));
        a.cmp(eax, edx);
        a.jg(tail);
        for (u8 k = 0; k < 4; ++k) {
            a.movdqu(Xmm { static_cast<u8>(4 + k) }, element(esi, 16 * k));
            a.paddd(Xmm { k }, Xmm { static_cast<u8>(4 + k) });
        }
        a.add(ecx, 16);
        a.jmp(big);
        a.bind(tail);
        a.paddd(xmm0, xmm1);
        a.paddd(xmm2, xmm3);
        a.paddd(xmm0, xmm2);
        a.pshufd(xmm1, xmm0, 0x4E);
        a.paddd(xmm0, xmm1);
        a.pshufd(xmm1, xmm0, 0xB1);
        a.paddd(xmm0, xmm1);
        a.movd(eax, xmm0); // the terms' total so far; init comes last
    } else if (op == ReductionOp::Dot) {
        a.xor_(eax, eax);
    } else {
        a.mov(eax, frame.local(0));
    }
    a.bind(rest);
    a.cmp(ecx, edx);
    a.jge(finish);
    switch (op) {
    case ReductionOp::Sum:
        a.add(eax, element(esi));
        break;
    case ReductionOp::Dot:
        a.mov(ebx, element(esi));
        a.imul(ebx, element(edi));
        a.add(eax, ebx);
        break;
    case ReductionOp::Max: // acc = acc > x ? acc : x
        a.cmp(eax, element(esi));
        a.cmovle(eax, element(esi));
        break;
    case ReductionOp::Min: // acc = acc < x ? acc : x
        a.cmp(eax, element(esi));
        a.cmovge(eax, element(esi));
        break;
    }
    a.inc(ecx);
    a.jmp(rest);
    a.bind(finish);
    if (op == ReductionOp::Sum || op == ReductionOp::Dot) {
        // Wrapping arithmetic: init - (t0 + t1 + ...) is exactly
        // (init - t0) - t1 - ..., and likewise for +.
        if (r.loop.subtract) {
            a.mov(ecx, frame.local(0));
            a.sub(ecx, eax);
            a.mov(eax, ecx);
        } else {
            a.add(eax, frame.local(0));
        }
    }
    frame.return_eax();
    return {};
}

}

ErrorOr<void> compile_reduction(const FunctionReduction& r, Assembler& a, const CodegenOptions& options)
{
    bool dot = r.loop.op == ReductionOp::Dot;
    bool f32 = r.loop.element == Type::F32;
    bool minmax = r.loop.op == ReductionOp::Max || r.loop.op == ReductionOp::Min;
    Lanes v { a, options.avx2 && f32 && !minmax };
    v.fma = v.avx && options.fma;
    NativeFrame frame(a, options);
    frame.prologue();
    Label return_init = a.new_label();
    frame.load_args(esi);
    frame.load_operand(r.start, ecx, esi);
    frame.load_operand(r.end, edx, esi);
    frame.load_operand(r.init, eax, esi); // an Element init may trap here, as in the bytecode
    a.mov(frame.local(0), eax);
    a.mov(frame.local(1), ecx);
    a.cmp(ecx, edx);
    a.jge(return_init);
    // Every index in [start, end) must be valid, or the loop traps somewhere.
    a.test(ecx, ecx);
    a.js(frame.trap_bounds());
    a.cmp(edx, dword_ptr(esi, 8 * r.a.index + 4));
    a.ja(frame.trap_bounds());
    if (dot) {
        a.cmp(edx, dword_ptr(esi, 8 * r.b.index + 4));
        a.ja(frame.trap_bounds());
        a.mov(edi, dword_ptr(esi, 8 * r.b.index));
    }
    a.mov(esi, dword_ptr(esi, 8 * r.a.index));
    if (!f32)
        TRY(compile_i32_reduction(r, a, frame));
    else if (minmax)
        TRY(compile_f32_max_or_min(r, a, frame, v));
    else
        TRY(compile_f32_sum_or_dot(r, a, frame, v));
    a.bind(return_init);
    a.mov(eax, frame.local(0));
    frame.return_eax();
    frame.finish();
    return {};
}

namespace {

// Register assignment for a map's expression tree.
struct MapEmitter {
    Assembler& a;
    const FunctionMap& m;
    Lanes& v;
    bool scalar;              // the remainder loop: one element, SS forms
    Gp32 input_base[MapPattern::max_inputs];
    u8 scalar_reg[MapPattern::max_nodes];
    u8 next_temp;             // temps grow from xmm0; scalars sit at the top
    u8 temp_limit;
    Label sign_mask, abs_mask;
    i32 disp { 0 };           // bytes past element ecx (the unrolled loop's later vectors)

    ErrorOr<u8> temp()
    {
        if (next_temp >= temp_limit)
            return Error::JitUnsupported;
        return next_temp++;
    }

    // Evaluates node `index` into a register; `writable` asks for a register
    // this code may overwrite (a temp, never a scalar's home).
    ErrorOr<u8> eval(u32 index, bool writable)
    {
        const MapNode& node = m.loop.nodes[index];
        switch (node.kind) {
        case MapNode::Kind::Scalar: {
            u8 home = scalar_reg[index];
            if (!writable)
                return home;
            u8 t = TRY(temp());
            scalar ? a.movaps(Xmm { t }, Xmm { home }) : v.copy(t, home);
            return t;
        }
        case MapNode::Kind::Input: {
            u8 t = TRY(temp());
            if (scalar)
                a.movss(Xmm { t }, element(input_base[node.input], disp));
            else
                v.load(t, element(input_base[node.input], disp));
            return t;
        }
        case MapNode::Kind::Op:
            break;
        }
        u8 left = TRY(eval(node.left, true));
        switch (node.op) {
        case Op::NEG_F32:
            scalar ? a.xorps(Xmm { left }, ptr(sign_mask)) : v.xor_mem(left, ptr(sign_mask));
            return left;
        case Op::ABS_F32:
            scalar ? a.andps(Xmm { left }, ptr(abs_mask)) : v.and_mem(left, ptr(abs_mask));
            return left;
        case Op::SQRT_F32:
            scalar ? a.sqrtss(Xmm { left }, Xmm { left }) : v.sqrt(left);
            return left;
        default:
            break;
        }
        u8 saved = next_temp;
        u8 right = TRY(eval(node.right, false));
        if (scalar)
            scalar_binary(a, node.op, Xmm { left }, Xmm { right });
        else
            v.binary(node.op, left, right);
        next_temp = saved;
        return left;
    }
};

}

ErrorOr<void> compile_map(const FunctionMap& m, Assembler& a, const CodegenOptions& options, Label* data)
{
    const MapPattern& map = m.loop;
    if (map.input_count > 3)
        return Error::JitUnsupported;
    Lanes v { a, options.avx2 };
    NativeFrame frame(a, options);
    frame.prologue();
    Label done = a.new_label(), vector_loop = a.new_label(), scalar_loop = a.new_label(), after = a.new_label();
    Label in_order = a.new_label();
    Label sign_mask = a.new_label(), abs_mask = a.new_label();
    frame.load_args(esi);
    frame.load_operand(m.start, ecx, esi);
    frame.load_operand(m.end, edx, esi);
    a.cmp(ecx, edx);
    a.jge(done);
    a.test(ecx, ecx);
    a.js(frame.trap_bounds()); // the first trip already reads outside
    // The first index some view cannot serve: min(end, every length).
    a.mov(eax, edx);
    auto clamp = [&](u8 param) {
        a.cmp(eax, dword_ptr(esi, 8 * param + 4));
        a.cmova(eax, dword_ptr(esi, 8 * param + 4));
    };
    clamp(m.out.index);
    for (u32 k = 0; k < map.input_count; ++k)
        clamp(m.inputs[k].index);
    a.mov(frame.local(2), eax); // stop
    a.mov(frame.local(3), edx); // end
    // Scalars in the top registers, broadcast to every lane.
    u8 top = 8;
    u8 scalar_reg[MapPattern::max_nodes] = {};
    for (u32 k = 0; k < map.node_count; ++k) {
        if (map.nodes[k].kind != MapNode::Kind::Scalar)
            continue;
        // Share a register between nodes naming the same value.
        bool shared = false;
        for (u32 j = 0; j < k; ++j) {
            if (map.nodes[j].kind == MapNode::Kind::Scalar && map.nodes[j].value == map.nodes[k].value) {
                scalar_reg[k] = scalar_reg[j];
                shared = true;
            }
        }
        if (shared)
            continue;
        if (top <= 3)
            return Error::JitUnsupported;
        scalar_reg[k] = --top;
        const Operand& s = m.scalars[k];
        if (s.kind == Operand::Kind::Param) {
            v.broadcast(scalar_reg[k], dword_ptr(esi, 8 * s.index));
        } else {
            a.mov(frame.local(0), static_cast<i32>(s.bits));
            v.broadcast(scalar_reg[k], frame.local(0));
        }
    }
    // Views that overlap without being the same array would let a store feed
    // a later load: then every element is done in order, one at a time.
    for (u32 k = 0; k < map.input_count; ++k) {
        u8 in = m.inputs[k].index, out = m.out.index;
        if (in == out)
            continue;
        Label disjoint = a.new_label();
        a.mov(eax, dword_ptr(esi, 8 * in));
        a.cmp(eax, dword_ptr(esi, 8 * out));
        a.je(disjoint); // the very same elements: element-wise is still in order
        a.mov(eax, dword_ptr(esi, 8 * out + 4));
        a.shl(eax, 2);
        a.add(eax, dword_ptr(esi, 8 * out));
        a.cmp(dword_ptr(esi, 8 * in), eax);
        a.jae(disjoint);
        a.mov(eax, dword_ptr(esi, 8 * in + 4));
        a.shl(eax, 2);
        a.add(eax, dword_ptr(esi, 8 * in));
        a.cmp(dword_ptr(esi, 8 * out), eax);
        a.jb(in_order);
        a.bind(disjoint);
    }
    // Base registers: out in EDI, inputs in EBX, EBP, ESI (ESI last: it
    // holds args until then). Inputs that are the out view share EDI.
    const Gp32 homes[3] = { ebx, ebp, esi };
    Gp32 input_base[MapPattern::max_inputs] = { edi, edi, edi, edi };
    for (u32 k = 0; k < map.input_count; ++k)
        if (m.inputs[k].index != m.out.index)
            input_base[k] = homes[k];
    for (u32 k = 0; k < map.input_count; ++k)
        if (input_base[k] != esi && input_base[k] != edi)
            a.mov(input_base[k], dword_ptr(esi, 8 * m.inputs[k].index));
    a.mov(edi, dword_ptr(esi, 8 * m.out.index));
    for (u32 k = 0; k < map.input_count; ++k)
        if (input_base[k] == esi)
            a.mov(esi, dword_ptr(esi, 8 * m.inputs[k].index));
    a.mov(edx, frame.local(2));
    MapEmitter vector { a, m, v, false, {}, {}, 0, top, sign_mask, abs_mask };
    MapEmitter single { a, m, v, true, {}, {}, 0, top, sign_mask, abs_mask };
    for (u32 k = 0; k < MapPattern::max_inputs; ++k)
        vector.input_base[k] = single.input_base[k] = input_base[k];
    for (u32 k = 0; k < MapPattern::max_nodes; ++k)
        vector.scalar_reg[k] = single.scalar_reg[k] = scalar_reg[k];
    // Four vectors a trip while they fit, so the loop's compare and branch
    // are paid once per 4 vectors; then one vector a trip; then elements.
    constexpr i32 unroll = 4;
    Label unrolled_loop = a.new_label();
    a.lea(eax, ptr(ecx, unroll * v.width()));
    a.cmp(eax, edx);
    a.jg(vector_loop);
    a.align(16);
    a.bind(unrolled_loop);
    for (i32 u = 0; u < unroll; ++u) {
        vector.disp = u * v.bytes();
        u8 r = TRY(vector.eval(map.node_count - 1, true));
        v.store(element(edi, u * v.bytes()), r);
        vector.next_temp = 0;
    }
    vector.disp = 0;
    a.add(ecx, unroll * v.width());
    a.lea(eax, ptr(ecx, unroll * v.width()));
    a.cmp(eax, edx);
    a.jle(unrolled_loop);
    a.align(16);
    a.bind(vector_loop);
    a.lea(eax, ptr(ecx, v.width()));
    a.cmp(eax, edx);
    a.jg(scalar_loop);
    u8 r = TRY(vector.eval(map.node_count - 1, true));
    v.store(element(edi), r);
    vector.next_temp = 0;
    a.add(ecx, v.width());
    a.jmp(vector_loop);
    a.bind(scalar_loop);
    if (v.avx)
        a.vzeroupper();
    Label scalar_top = a.new_label();
    a.bind(scalar_top);
    a.cmp(ecx, edx);
    a.jge(after);
    r = TRY(single.eval(map.node_count - 1, true));
    a.movss(element(edi), Xmm { r });
    single.next_temp = 0;
    a.inc(ecx);
    a.jmp(scalar_top);
    a.bind(after);
    // Stopped early because a view ran out: the next trip traps.
    a.cmp(edx, frame.local(3));
    a.jl(frame.trap_bounds());
    a.bind(done);
    frame.return_void();
    // Overlapping views: the whole range, in order, one element at a time.
    a.bind(in_order);
    {
        for (u32 k = 0; k < map.input_count; ++k)
            if (input_base[k] != esi && input_base[k] != edi)
                a.mov(input_base[k], dword_ptr(esi, 8 * m.inputs[k].index));
        a.mov(edi, dword_ptr(esi, 8 * m.out.index));
        for (u32 k = 0; k < map.input_count; ++k)
            if (input_base[k] == esi)
                a.mov(esi, dword_ptr(esi, 8 * m.inputs[k].index));
        a.mov(edx, frame.local(2));
        if (v.avx)
            a.vzeroupper();
        a.jmp(scalar_top);
    }
    frame.finish();
    a.align(32, Fill::Int3);
    if (data)
        *data = sign_mask;
    a.bind(sign_mask);
    for (int k = 0; k < 8; ++k)
        a.dd(0x80000000u);
    a.bind(abs_mask);
    for (int k = 0; k < 8; ++k)
        a.dd(0x7FFFFFFFu);
    return {};
}

}
