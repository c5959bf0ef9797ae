// Tier 1: f32 arithmetic, comparisons, conversions and exp (opcodes
// 0x30-0x4F). IEEE single, round to nearest even; MINSS/MAXSS already have
// Flow's "b when either is NaN" rule. exp goes through the runtime routine
// tier 0 uses, so the bits are the same.
#include <microjit/tier1/codegen.h>

namespace Tier1 {

namespace {

struct SseOp {
    void (Assembler::*rr)(Xmm, Xmm);
    void (Assembler::*rm)(Xmm, const Mem&);
};

#define SSE_OP(name) SseOp { static_cast<void (Assembler::*)(Xmm, Xmm)>(&Assembler::name), static_cast<void (Assembler::*)(Xmm, const Mem&)>(&Assembler::name) }
constexpr SseOp sse_add = SSE_OP(addss);
constexpr SseOp sse_sub = SSE_OP(subss);
constexpr SseOp sse_mul = SSE_OP(mulss);
constexpr SseOp sse_div = SSE_OP(divss);
constexpr SseOp sse_min = SSE_OP(minss);
constexpr SseOp sse_max = SSE_OP(maxss);
constexpr SseOp sse_sqrt = SSE_OP(sqrtss);
#undef SSE_OP

// CMPSS predicates (SDM Vol. 2A, CMPSS, Table 3-1).
constexpr u8 predicate_eq = 0;
constexpr u8 predicate_lt = 1;
constexpr u8 predicate_le = 2;
constexpr u8 predicate_neq = 4; // true for unordered: NaN != anything

constexpr i32 f32_sign = static_cast<i32>(0x80000000u);
constexpr i32 f32_minus_two_to_31 = static_cast<i32>(0xCF000000u); // -2147483648.0f

void apply(CodeGen& g, const SseOp& op, Xmm dst, u32 r)
{
    if (g.is_xmm(r))
        (g.a.*op.rr)(dst, g.xmm(r));
    else
        (g.a.*op.rm)(dst, g.slot(r));
}

// d = a op b; the operand order is kept (NaN payloads follow the first
// operand, as in tier 0), so d == b computes in XMM0.
void binary(CodeGen& g, const SseOp& op, u32 d, u32 x, u32 y)
{
    if (g.is_xmm(d) && d != y) {
        if (d != x)
            g.load_f32(g.xmm(d), x);
        apply(g, op, g.xmm(d), y);
        return;
    }
    g.load_f32(xmm0, x);
    apply(g, op, xmm0, y);
    g.store_f32(d, xmm0);
}

void compare(CodeGen& g, u8 predicate, bool swap, u32 d, u32 x, u32 y)
{
    if (swap) {
        u32 t = x;
        x = y;
        y = t;
    }
    g.load_f32(xmm0, x);
    if (g.is_xmm(y))
        g.a.cmpss(xmm0, g.xmm(y), predicate);
    else
        g.a.cmpss(xmm0, g.slot(y), predicate);
    g.a.movd(eax, xmm0);
    g.a.and_(eax, 1); // all ones -> 1
    g.store_i32(d, eax);
}

// Sign-bit operations, done on the bit pattern in EAX.
void sign_op(CodeGen& g, bool negate, u32 d, u32 x)
{
    g.load_f32_bits(eax, x);
    if (negate)
        g.a.xor_(eax, f32_sign);
    else
        g.a.and_(eax, ~f32_sign);
    g.store_f32_bits(d, eax);
}

} // namespace

// --- f32 homes ------------------------------------------------------------------

void CodeGen::load_f32(Xmm dst, u32 r)
{
    if (is_xmm(r)) {
        if (xmm(r) != dst)
            a.movaps(dst, xmm(r));
    } else {
        a.movss(dst, slot(r));
    }
}

void CodeGen::store_f32(u32 r, Xmm src)
{
    if (is_xmm(r)) {
        if (xmm(r) != src)
            a.movaps(xmm(r), src);
    } else {
        a.movss(slot(r), src);
    }
}

void CodeGen::load_f32_bits(Gp32 dst, u32 r)
{
    if (is_xmm(r))
        a.movd(dst, xmm(r));
    else
        a.mov(dst, slot(r));
}

void CodeGen::store_f32_bits(u32 r, Gp32 src)
{
    if (is_xmm(r))
        a.movd(xmm(r), src);
    else
        a.mov(slot(r), src);
}

void CodeGen::finish_f32(u32 d, Xmm computed)
{
    if (!is_xmm(d))
        a.movss(slot(d), computed);
}

// Every XMM register is clobbered by a call (the tier ABI, and the i386
// System V ABI for helpers): pinned f32 registers go to their slots.
void CodeGen::spill_pinned_xmms()
{
    for (u32 i = 0; i < pinned_xmm_count; ++i)
        a.movss(slot(pinned_xmms[i]), Xmm { pinned_xmm_regs[i] });
}

void CodeGen::reload_pinned_xmms()
{
    for (u32 i = 0; i < pinned_xmm_count; ++i)
        a.movss(Xmm { pinned_xmm_regs[i] }, slot(pinned_xmms[i]));
}

// A call of one of microjit's math routines (native_abi.h): bit patterns in
// EAX (and EDX, loaded by the caller) and out in EAX, so every tier runs the
// same routine and no x87 instruction is needed.
void CodeGen::call_math_helper(const void* helper, u32 d, u32 x)
{
    load_f32_bits(eax, x);
    spill_pinned_xmms();
    a.call(helper);
    reload_pinned_xmms();
    store_f32_bits(d, eax);
}

bool CodeGen::emit_float(const Instruction& in)
{
    u32 d = in.operands[0], x = in.operands[1], y = in.operands[2];
    switch (in.opcode) {
    case Opcode::ADD_F32:
    case Opcode::RADD_F32: // tier 1 never regroups: a reduction is a plain add
        binary(*this, sse_add, d, x, y);
        return true;
    case Opcode::SUB_F32:
    case Opcode::RSUB_F32:
        binary(*this, sse_sub, d, x, y);
        return true;
    case Opcode::MUL_F32:
        binary(*this, sse_mul, d, x, y);
        return true;
    case Opcode::DIV_F32:
        binary(*this, sse_div, d, x, y);
        return true;
    case Opcode::MIN_F32:
        binary(*this, sse_min, d, x, y);
        return true;
    case Opcode::MAX_F32:
        binary(*this, sse_max, d, x, y);
        return true;
    case Opcode::NEG_F32:
        sign_op(*this, true, d, x);
        return true;
    case Opcode::ABS_F32:
        sign_op(*this, false, d, x);
        return true;
    case Opcode::SQRT_F32: {
        Xmm dst = def_f32(d, xmm0);
        apply(*this, sse_sqrt, dst, x);
        finish_f32(d, dst);
        return true;
    }
    case Opcode::EXP_F32:
        call_math_helper(reinterpret_cast<const void*>(&jit_exp_f32_bits), d, x);
        return true;
    case Opcode::SIN_F32:
        call_math_helper(reinterpret_cast<const void*>(&jit_sin_f32_bits), d, x);
        return true;
    case Opcode::COS_F32:
        call_math_helper(reinterpret_cast<const void*>(&jit_cos_f32_bits), d, x);
        return true;
    case Opcode::LOG_F32:
        call_math_helper(reinterpret_cast<const void*>(&jit_log_f32_bits), d, x);
        return true;
    case Opcode::FLOOR_F32:
        call_math_helper(reinterpret_cast<const void*>(&jit_floor_f32_bits), d, x);
        return true;
    case Opcode::POW_F32:
        load_f32_bits(edx, y); // regparm: the second argument in EDX
        call_math_helper(reinterpret_cast<const void*>(&jit_pow_f32_bits), d, x);
        return true;
    case Opcode::I32_BITS_F32: // a call too: it makes NaNs canonical (to_bits_f32.h)
        load_f32_bits(eax, x);
        spill_pinned_xmms();
        a.call(reinterpret_cast<const void*>(&jit_to_bits_f32));
        reload_pinned_xmms();
        store_i32(d, eax);
        return true;
    case Opcode::F32_BITS_I32:
        load_i32(eax, x);
        store_f32_bits(d, eax);
        return true;
    case Opcode::EQ_F32:
        compare(*this, predicate_eq, false, d, x, y);
        return true;
    case Opcode::NE_F32:
        compare(*this, predicate_neq, false, d, x, y);
        return true;
    case Opcode::LT_F32:
        compare(*this, predicate_lt, false, d, x, y);
        return true;
    case Opcode::LE_F32:
        compare(*this, predicate_le, false, d, x, y);
        return true;
    case Opcode::GT_F32: // a > b is b < a, and false for NaN like lt
        compare(*this, predicate_lt, true, d, x, y);
        return true;
    case Opcode::GE_F32:
        compare(*this, predicate_le, true, d, x, y);
        return true;
    case Opcode::F32_FROM_I32: {
        Xmm dst = def_f32(d, xmm0);
        if (is_gpr(x))
            a.cvtsi2ss(dst, gpr(x));
        else
            a.cvtsi2ss(dst, slot(x));
        finish_f32(d, dst);
        return true;
    }
    case Opcode::I32_FROM_F32: {
        // CVTTSS2SI returns 0x80000000 for NaN and out-of-range input; that is
        // also the right answer for exactly -2^31, so only then look closer.
        Xmm value = is_xmm(x) ? xmm(x) : xmm0;
        if (!is_xmm(x))
            a.movss(xmm0, slot(x));
        a.cvttss2si(eax, value);
        Label ok = a.new_label();
        a.cmp(eax, f32_sign);
        a.jne(ok);
        a.mov(ecx, f32_minus_two_to_31);
        a.movd(xmm1, ecx);
        a.ucomiss(value, xmm1);
        a.jne(trap(TrapKind::BadConversion));
        a.jp(trap(TrapKind::BadConversion)); // unordered: NaN
        a.bind(ok);
        store_i32(d, eax);
        return true;
    }
    default:
        return false;
    }
}

} // namespace Tier1
