// The general code generator: i32 and f32 arithmetic, comparisons and
// conversions, each instruction computed into its value's home
// (codegen_general_alloc.h); memory is in codegen_general_memory.cpp. Results and traps are the
// interpreter's: i32 wraps, division traps on zero and INT_MIN / -1, f32 is
// IEEE single with MINSS/MAXSS's NaN rule and the operand order kept (so NaN
// payloads follow tier 0's), i32.from.f32 traps on NaN and out-of-range
// values, and every element access outside its view traps TrapOutOfBounds
// at the access's bytecode offset.
#include <microjit/tier2/codegen_general_emit.h>

namespace Tier2 {

using namespace x86;

namespace {

constexpr i32 int_min = static_cast<i32>(0x80000000u);
constexpr i32 f32_sign = static_cast<i32>(0x80000000u);
constexpr i32 f32_minus_two_to_31 = static_cast<i32>(0xCF000000u); // -2147483648.0f

// CMPSS predicates (Intel SDM Vol. 2A, CMPSS, Table 3-1).
constexpr u8 predicate_eq = 0;
constexpr u8 predicate_lt = 1;
constexpr u8 predicate_le = 2;
constexpr u8 predicate_neq = 4; // true for unordered: NaN != anything

Condition compare_condition(Op op)
{
    switch (op) {
    case Op::EQ_I32: return Condition::E;
    case Op::NE_I32: return Condition::NE;
    case Op::LT_I32: return Condition::L;
    case Op::LE_I32: return Condition::LE;
    case Op::GT_I32: return Condition::G;
    default: return Condition::GE;
    }
}

Condition swapped(Condition cc)
{
    switch (cc) {
    case Condition::L: return Condition::G;
    case Condition::LE: return Condition::GE;
    case Condition::G: return Condition::L;
    case Condition::GE: return Condition::LE;
    default: return cc;
    }
}

}

// --- homes ------------------------------------------------------------------------

void GeneralEmitter::load_i32(Gp32 dst, const Inst* v)
{
    switch (where(v).home) {
    case Home::Gpr:
        if (gpr(v) != dst)
            m_a.mov(dst, gpr(v));
        break;
    case Home::Slot:
        m_a.mov(dst, slot(v));
        break;
    case Home::Const:
        if (v->imm == 0)
            m_a.xor_(dst, dst);
        else
            m_a.mov(dst, v->imm);
        break;
    default:
        m_a.xor_(dst, dst); // undef: read only on paths that never run
        break;
    }
}

void GeneralEmitter::load_bits(Gp32 dst, const Inst* v)
{
    if (in_xmm(v))
        m_a.movd(dst, xmm(v));
    else
        load_i32(dst, v);
}

void GeneralEmitter::load_f32(Xmm dst, const Inst* v)
{
    switch (where(v).home) {
    case Home::Xmm:
        if (xmm(v) != dst)
            m_a.movaps(dst, xmm(v));
        break;
    case Home::Slot:
        m_a.movss(dst, slot(v));
        break;
    case Home::Const:
        if (v->imm == 0) {
            m_a.xorps(dst, dst);
        } else {
            m_a.mov(eax, v->imm);
            m_a.movd(dst, eax);
        }
        break;
    default:
        m_a.xorps(dst, dst);
        break;
    }
}

Mem GeneralEmitter::f32_memory(const Inst* v, i32 constant_slot)
{
    if (where(v).home == Home::Slot)
        return slot(v);
    // A constant (or an undef) goes through a frame word.
    m_a.mov(dword_ptr(esp, constant_slot), v->is_const() ? v->imm : 0);
    return dword_ptr(esp, constant_slot);
}

void GeneralEmitter::finish_i32(const Inst* v, Gp32 computed)
{
    if (in_gpr(v)) {
        if (gpr(v) != computed)
            m_a.mov(gpr(v), computed);
    } else if (where(v).home == Home::Slot) {
        m_a.mov(slot(v), computed);
    }
}

void GeneralEmitter::finish_f32(const Inst* v, Xmm computed)
{
    if (in_xmm(v)) {
        if (xmm(v) != computed)
            m_a.movaps(xmm(v), computed);
    } else if (where(v).home == Home::Slot) {
        m_a.movss(slot(v), computed);
    }
}

void GeneralEmitter::finish_bits(const Inst* v, Gp32 bits)
{
    if (in_xmm(v))
        m_a.movd(xmm(v), bits);
    else
        finish_i32(v, bits);
}

// Calls f with v as an x86 operand: its register, its slot or its value.
#define WITH_I32_OPERAND(v, body)                                \
    do {                                                         \
        const Inst* operand_ = (v);                              \
        if (in_gpr(operand_)) {                                  \
            Gp32 src = gpr(operand_);                            \
            body;                                                \
        } else if (where(operand_).home == Home::Slot) {         \
            Mem src = slot(operand_);                            \
            body;                                                \
        } else {                                                 \
            i32 src = operand_->is_const() ? operand_->imm : 0;  \
            body;                                                \
        }                                                        \
    } while (0)

#define WITH_F32_OPERAND(v, constant_slot, body)                 \
    do {                                                         \
        const Inst* operand_ = (v);                              \
        if (in_xmm(operand_)) {                                  \
            Xmm src = xmm(operand_);                             \
            body;                                                \
        } else {                                                 \
            Mem src = f32_memory(operand_, constant_slot);       \
            body;                                                \
        }                                                        \
    } while (0)

// --- i32 ---------------------------------------------------------------------------

bool GeneralEmitter::low_bits_test(const Inst& rem, const GeneralLayout& layout)
{
    if (rem.op != Op::REM_I32 || !rem.arg(1)->is_const() || rem.arg(1)->imm <= 0 || (rem.arg(1)->imm & (rem.arg(1)->imm - 1)))
        return false;
    const Inst* branch = rem.next;
    if (!branch || branch->op != Op::Branch || (branch->cond != Cond::Eq && branch->cond != Cond::Ne))
        return false;
    // x % 2^k is 0 exactly when the low k bits of x are, whatever its sign.
    return layout.use_count[rem.id] == 1 && branch->arg(0) == &rem && branch->arg(1)->is_const() && branch->arg(1)->imm == 0;
}

// True if `x` is a multiple of 2^k wherever `block` runs: the block's only
// predecessor branches into it on x % 2^m == 0 or x & (2^m - 1) == 0, m >= k
// (collatz's `if x % 2 == 0 { x = x / 2 }`). Then x / 2^k is exact, and an
// arithmetic shift computes it for either sign.
static bool known_multiple(const Inst* x, u32 k, const Block* block)
{
    if (!block || block->pred_count != 1)
        return false;
    const Block* pred = block->preds[0];
    const Inst* branch = pred->last;
    if (!branch || branch->op != Op::Branch || pred->succ_count != 2 || pred->succ[0] == pred->succ[1])
        return false;
    bool taken = pred->succ[0] == block;
    if (!((branch->cond == Cond::Eq && taken) || (branch->cond == Cond::Ne && !taken)))
        return false;
    const Inst* test = branch->arg(0);
    const Inst* zero = branch->arg(1);
    if (!zero->is_const() || zero->imm != 0 || test->arg_count != 2 || test->arg(0) != x || !test->arg(1)->is_const())
        return false;
    u32 c = static_cast<u32>(test->arg(1)->imm);
    if (test->op == Op::REM_I32)
        return c && (c & (c - 1)) == 0 && static_cast<u32>(__builtin_ctz(c)) >= k;
    if (test->op == Op::AND_I32)
        return c != 0xFFFFFFFFu && ((c + 1) & c) == 0 && static_cast<u32>(__builtin_ctz(c + 1)) >= k;
    return false;
}

void GeneralEmitter::emit_integer(const Inst& inst)
{
    const Inst* d = &inst;
    const Inst* x = inst.arg_count > 0 ? inst.arg(0) : nullptr;
    const Inst* y = inst.arg_count > 1 ? inst.arg(1) : nullptr;
    Gp32 out = def_gpr(d);
    auto same_gpr = [&](const Inst* v, Gp32 r) { return in_gpr(v) && gpr(v) == r; };
    switch (inst.op) {
    case Op::ADD_I32: case Op::MUL_I32: case Op::AND_I32: case Op::OR_I32: case Op::XOR_I32:
    case Op::SUB_I32: case Op::MIN_I32: case Op::MAX_I32: {
        bool commutative = inst.op != Op::SUB_I32;
        if (same_gpr(y, out) && x != y) {
            if (commutative) {
                const Inst* t = x;
                x = y;
                y = t;
            } else {
                out = eax;
            }
        }
        load_i32(out, x);
        switch (inst.op) {
        case Op::ADD_I32: WITH_I32_OPERAND(y, m_a.add(out, src)); break;
        case Op::SUB_I32: WITH_I32_OPERAND(y, m_a.sub(out, src)); break;
        case Op::AND_I32: WITH_I32_OPERAND(y, m_a.and_(out, src)); break;
        case Op::OR_I32: WITH_I32_OPERAND(y, m_a.or_(out, src)); break;
        case Op::XOR_I32: WITH_I32_OPERAND(y, m_a.xor_(out, src)); break;
        case Op::MUL_I32: WITH_I32_OPERAND(y, m_a.imul(out, src)); break;
        default: {
            // min: a < b ? a : b (a kept when equal); max likewise.
            if (y->is_const() || where(y).home == Home::Undef) {
                load_i32(edx, y);
                m_a.cmp(out, edx);
                m_a.cmovcc(inst.op == Op::MIN_I32 ? Condition::G : Condition::L, out, edx);
            } else if (in_gpr(y)) {
                m_a.cmp(out, gpr(y));
                m_a.cmovcc(inst.op == Op::MIN_I32 ? Condition::G : Condition::L, out, gpr(y));
            } else {
                m_a.cmp(out, slot(y));
                m_a.cmovcc(inst.op == Op::MIN_I32 ? Condition::G : Condition::L, out, slot(y));
            }
            break;
        }
        }
        finish_i32(d, out);
        return;
    }
    case Op::SHL_I32:
    case Op::SHR_I32: {
        if (y->is_const()) {
            load_i32(out, x);
            u8 count = static_cast<u8>(y->imm & 31); // the language masks the count, as the CPU does
            if (inst.op == Op::SHL_I32)
                m_a.shl(out, count);
            else
                m_a.sar(out, count);
            finish_i32(d, out);
            return;
        }
        // The count must be in CL; ECX may hold another value, kept in EDX.
        load_i32(eax, x);
        bool count_in_ecx = same_gpr(y, ecx);
        if (!count_in_ecx) {
            m_a.mov(edx, ecx);
            load_i32(ecx, y);
        }
        if (inst.op == Op::SHL_I32)
            m_a.shl(eax, cl);
        else
            m_a.sar(eax, cl);
        if (!count_in_ecx)
            m_a.mov(ecx, edx);
        finish_i32(d, eax);
        return;
    }
    case Op::ADDI_I32:
        if (in_gpr(x) && gpr(x) != out) {
            m_a.lea(out, ptr(gpr(x), inst.imm));
        } else {
            load_i32(out, x);
            if (inst.imm == 1)
                m_a.inc(out);
            else if (inst.imm == -1)
                m_a.dec(out);
            else if (inst.imm)
                m_a.add(out, inst.imm);
        }
        finish_i32(d, out);
        return;
    case Op::MULI_I32:
        if (in_gpr(x) && (inst.imm == 2 || inst.imm == 3 || inst.imm == 5 || inst.imm == 9)) {
            m_a.lea(out, ptr(gpr(x), gpr(x), static_cast<u8>(inst.imm == 2 ? 1 : inst.imm - 1))); // one cycle, not IMUL's three
        } else if (inst.imm != 0 && (static_cast<u32>(inst.imm) & (static_cast<u32>(inst.imm) - 1)) == 0) {
            // A power of two (the canonical form of x << k): SHL, one cycle.
            load_i32(out, x);
            m_a.shl(out, static_cast<u8>(__builtin_ctz(static_cast<u32>(inst.imm))));
        } else if (in_gpr(x))
            m_a.imul(out, gpr(x), inst.imm);
        else if (where(x).home == Home::Slot)
            m_a.imul(out, slot(x), inst.imm);
        else
            m_a.mov(out, static_cast<i32>(static_cast<u32>(x->is_const() ? x->imm : 0) * static_cast<u32>(inst.imm)));
        finish_i32(d, out);
        return;
    case Op::NEG_I32:
    case Op::NOT_I32:
        load_i32(out, x);
        if (inst.op == Op::NEG_I32)
            m_a.neg(out);
        else
            m_a.not_(out);
        finish_i32(d, out);
        return;
    case Op::ABS_I32:
        // abs(INT_MIN) stays INT_MIN, as the language says.
        load_i32(eax, x);
        m_a.cdq();
        m_a.xor_(eax, edx);
        m_a.sub(eax, edx);
        finish_i32(d, eax);
        return;
    case Op::EQZ_I32:
        if (in_gpr(x)) {
            m_a.test(gpr(x), gpr(x));
        } else {
            load_i32(eax, x);
            m_a.test(eax, eax);
        }
        m_a.sete(al);
        m_a.movzx(out, al);
        finish_i32(d, out);
        return;
    case Op::EQ_I32: case Op::NE_I32: case Op::LT_I32: case Op::LE_I32: case Op::GT_I32: case Op::GE_I32: {
        Condition cc = compare_condition(inst.op);
        if (!in_gpr(x) && in_gpr(y)) {
            const Inst* t = x;
            x = y;
            y = t;
            cc = swapped(cc);
        }
        Gp32 left = in_gpr(x) ? gpr(x) : eax;
        load_i32(left, x);
        WITH_I32_OPERAND(y, m_a.cmp(left, src));
        m_a.setcc(cc, al);
        m_a.movzx(out, al);
        finish_i32(d, out);
        return;
    }
    case Op::DIV_I32:
    case Op::REM_I32: {
        bool div = inst.op == Op::DIV_I32;
        if (low_bits_test(inst, m_layout))
            return; // the branch after it tests the bits
        if (y->is_const() && y->imm > 0 && (y->imm & (y->imm - 1)) == 0) {
            // x / 2^k and x % 2^k round toward zero, as IDIV does: a negative
            // x is biased by 2^k - 1 first. No trap is possible.
            u32 k = static_cast<u32>(__builtin_ctz(static_cast<u32>(y->imm)));
            Gp32 value = in_gpr(x) ? gpr(x) : eax;
            load_i32(value, x);
            if (k == 0) {
                if (div) {
                    finish_i32(d, value);
                } else {
                    m_a.xor_(out, out);
                    finish_i32(d, out);
                }
                return;
            }
            if (div && known_multiple(x, k, inst.block)) {
                if (out != value)
                    m_a.mov(out, value);
                m_a.sar(out, static_cast<u8>(k));
                finish_i32(d, out);
                return;
            }
            m_a.mov(edx, value);
            if (k > 1)
                m_a.sar(edx, static_cast<u8>(31));
            m_a.shr(edx, static_cast<u8>(32 - k)); // the bias: 2^k - 1 for a negative x
            m_a.add(edx, value);
            if (div) {
                m_a.sar(edx, static_cast<u8>(k));
                finish_i32(d, edx);
            } else {
                m_a.and_(edx, static_cast<i32>(~((1u << k) - 1)));
                if (value != eax)
                    m_a.mov(eax, value);
                m_a.sub(eax, edx);
                finish_i32(d, eax);
            }
            return;
        }
        load_i32(eax, x);
        // Zero first, then INT_MIN / -1 (opcodes.def); IDIV would fault on both.
        if (y->is_const() || where(y).home == Home::Undef) {
            i32 c = y->is_const() ? y->imm : 0;
            if (c == 0) {
                m_a.jmp(trap(TrapKind::DivideByZero, inst.offset));
                return;
            }
            if (c == -1) {
                m_a.cmp(eax, int_min);
                m_a.je(trap(TrapKind::Overflow, inst.offset));
            }
            m_a.mov(dword_ptr(esp, GeneralFrame::constant_a), c);
            m_a.cdq();
            m_a.idiv(dword_ptr(esp, GeneralFrame::constant_a));
        } else {
            Label safe = m_a.new_label();
            if (in_gpr(y)) {
                m_a.test(gpr(y), gpr(y));
                m_a.je(trap(TrapKind::DivideByZero, inst.offset));
                m_a.cmp(gpr(y), -1);
            } else {
                m_a.cmp(slot(y), 0);
                m_a.je(trap(TrapKind::DivideByZero, inst.offset));
                m_a.cmp(slot(y), -1);
            }
            m_a.jne(safe);
            m_a.cmp(eax, int_min);
            m_a.je(trap(TrapKind::Overflow, inst.offset));
            m_a.bind(safe);
            m_a.cdq();
            if (in_gpr(y))
                m_a.idiv(gpr(y));
            else
                m_a.idiv(slot(y));
        }
        finish_i32(d, div ? eax : edx);
        return;
    }
    default:
        m_a.ud2(); // general_supports refused it
        return;
    }
}

// --- f32 ---------------------------------------------------------------------------

void GeneralEmitter::emit_float(const Inst& inst)
{
    const Inst* d = &inst;
    const Inst* x = inst.arg_count > 0 ? inst.arg(0) : nullptr;
    const Inst* y = inst.arg_count > 1 ? inst.arg(1) : nullptr;
    switch (inst.op) {
    case Op::ADD_F32: case Op::SUB_F32: case Op::MUL_F32: case Op::DIV_F32: case Op::MIN_F32: case Op::MAX_F32: {
        // The operand order is kept: NaN payloads and MINSS/MAXSS's
        // "second operand when unordered or equal" rule depend on it.
        Xmm out = def_xmm(d);
        if (in_xmm(y) && xmm(y) == out && x != y)
            out = xmm0;
        load_f32(out, x);
        switch (inst.op) {
        case Op::ADD_F32: WITH_F32_OPERAND(y, GeneralFrame::constant_a, m_a.addss(out, src)); break;
        case Op::SUB_F32: WITH_F32_OPERAND(y, GeneralFrame::constant_a, m_a.subss(out, src)); break;
        case Op::MUL_F32: WITH_F32_OPERAND(y, GeneralFrame::constant_a, m_a.mulss(out, src)); break;
        case Op::DIV_F32: WITH_F32_OPERAND(y, GeneralFrame::constant_a, m_a.divss(out, src)); break;
        case Op::MIN_F32: WITH_F32_OPERAND(y, GeneralFrame::constant_a, m_a.minss(out, src)); break;
        default: WITH_F32_OPERAND(y, GeneralFrame::constant_a, m_a.maxss(out, src)); break;
        }
        finish_f32(d, out);
        return;
    }
    case Op::NEG_F32:
    case Op::ABS_F32:
        // Sign-bit operations on the bit pattern.
        load_bits(eax, x);
        if (inst.op == Op::NEG_F32)
            m_a.xor_(eax, f32_sign);
        else
            m_a.and_(eax, ~f32_sign);
        finish_bits(d, eax);
        return;
    case Op::SQRT_F32: {
        Xmm out = def_xmm(d);
        WITH_F32_OPERAND(x, GeneralFrame::constant_a, m_a.sqrtss(out, src));
        finish_f32(d, out);
        return;
    }
    case Op::EXP_F32:
        // The runtime's routine, as tier 0 and tier 1 use: the same bits.
        // Nothing lives in ECX or an XMM register across it (the allocator
        // saw to that), and ESP is 16-byte aligned here.
        load_bits(eax, x);
        m_a.call(reinterpret_cast<const void*>(&jit_exp_f32_bits));
        finish_bits(d, eax);
        return;
    case Op::SIN_F32:
    case Op::COS_F32:
    case Op::LOG_F32:
    case Op::FLOOR_F32:
    case Op::POW_F32: {
        // Likewise through the runtime's routines; pow's second operand goes
        // in EDX (regparm), which holds nothing across a call.
        const void* helper = reinterpret_cast<const void*>(&jit_sin_f32_bits);
        if (inst.op == Op::COS_F32)
            helper = reinterpret_cast<const void*>(&jit_cos_f32_bits);
        else if (inst.op == Op::LOG_F32)
            helper = reinterpret_cast<const void*>(&jit_log_f32_bits);
        else if (inst.op == Op::FLOOR_F32)
            helper = reinterpret_cast<const void*>(&jit_floor_f32_bits);
        else if (inst.op == Op::POW_F32)
            helper = reinterpret_cast<const void*>(&jit_pow_f32_bits);
        if (inst.op == Op::POW_F32)
            load_bits(edx, y);
        load_bits(eax, x);
        m_a.call(helper);
        finish_bits(d, eax);
        return;
    }
    case Op::I32_BITS_F32:
        // A call, for its canonical NaN (to_bits_f32.h).
        load_bits(eax, x);
        m_a.call(reinterpret_cast<const void*>(&jit_to_bits_f32));
        finish_bits(d, eax);
        return;
    case Op::F32_BITS_I32:
        // Only the register class changes: the bits pass through EAX.
        load_bits(eax, x);
        finish_bits(d, eax);
        return;
    case Op::EQ_F32: case Op::NE_F32: case Op::LT_F32: case Op::LE_F32: case Op::GT_F32: case Op::GE_F32: {
        u8 predicate = predicate_eq;
        bool swap = false;
        switch (inst.op) {
        case Op::NE_F32: predicate = predicate_neq; break;
        case Op::LT_F32: predicate = predicate_lt; break;
        case Op::LE_F32: predicate = predicate_le; break;
        case Op::GT_F32: predicate = predicate_lt; swap = true; break; // a > b is b < a, false for NaN
        case Op::GE_F32: predicate = predicate_le; swap = true; break;
        default: break;
        }
        if (swap) {
            const Inst* t = x;
            x = y;
            y = t;
        }
        load_f32(xmm0, x);
        WITH_F32_OPERAND(y, GeneralFrame::constant_a, m_a.cmpss(xmm0, src, predicate));
        m_a.movd(eax, xmm0);
        m_a.and_(eax, 1); // all ones -> 1
        finish_i32(d, eax);
        return;
    }
    case Op::F32_FROM_I32: {
        Xmm out = def_xmm(d);
        if (in_gpr(x)) {
            m_a.cvtsi2ss(out, gpr(x));
        } else if (where(x).home == Home::Slot) {
            m_a.cvtsi2ss(out, slot(x));
        } else {
            load_i32(eax, x);
            m_a.cvtsi2ss(out, eax);
        }
        finish_f32(d, out);
        return;
    }
    case Op::I32_FROM_F32: {
        // CVTTSS2SI gives 0x80000000 for NaN and out-of-range input; that is
        // also the right answer for exactly -2^31, so only then look closer.
        Xmm value = in_xmm(x) ? xmm(x) : xmm0;
        if (!in_xmm(x))
            load_f32(xmm0, x);
        m_a.cvttss2si(eax, value);
        Label ok = m_a.new_label();
        m_a.cmp(eax, int_min);
        m_a.jne(ok);
        m_a.mov(dword_ptr(esp, GeneralFrame::constant_b), f32_minus_two_to_31);
        m_a.ucomiss(value, dword_ptr(esp, GeneralFrame::constant_b));
        m_a.jne(trap(TrapKind::BadConversion, inst.offset));
        m_a.jp(trap(TrapKind::BadConversion, inst.offset)); // unordered: NaN
        m_a.bind(ok);
        finish_i32(d, eax);
        return;
    }
    default:
        m_a.ud2();
        return;
    }
}

}
