// Tier 1: moves, constants, views of module buffers, and i32 arithmetic and
// comparisons (opcodes 0x00-0x2F). Semantics: docs/module-format.md,
// "Semantics that every tier shares".
#include <microjit/tier1/codegen.h>

namespace Tier1 {

namespace {

// The ALU forms an operation needs, selected from the Assembler's overloads.
struct AluOp {
    void (Assembler::*rr)(Gp32, Gp32);
    void (Assembler::*rm)(Gp32, const Mem&);
    void (Assembler::*ri)(Gp32, i32);
    bool commutative;
};

#define ALU_OP(name, commutative)                                                   \
    AluOp                                                                           \
    {                                                                               \
        static_cast<void (Assembler::*)(Gp32, Gp32)>(&Assembler::name),             \
            static_cast<void (Assembler::*)(Gp32, const Mem&)>(&Assembler::name),   \
            static_cast<void (Assembler::*)(Gp32, i32)>(&Assembler::name), commutative \
    }
constexpr AluOp alu_add = ALU_OP(add, true);
constexpr AluOp alu_sub = ALU_OP(sub, false);
constexpr AluOp alu_and = ALU_OP(and_, true);
constexpr AluOp alu_or = ALU_OP(or_, true);
constexpr AluOp alu_xor = ALU_OP(xor_, true);
constexpr AluOp alu_imul = ALU_OP(imul, true);
#undef ALU_OP

constexpr i32 int_min = static_cast<i32>(0x80000000u);

} // namespace

// --- i32 homes ------------------------------------------------------------------

Gp32 CodeGen::use_i32(u32 r, Gp32 scratch)
{
    if (is_gpr(r))
        return gpr(r);
    a.mov(scratch, slot(r));
    return scratch;
}

void CodeGen::load_i32(Gp32 dst, u32 r)
{
    if (is_gpr(r)) {
        if (gpr(r) != dst)
            a.mov(dst, gpr(r));
    } else {
        a.mov(dst, slot(r));
    }
}

void CodeGen::store_i32(u32 r, Gp32 src)
{
    if (is_gpr(r)) {
        if (gpr(r) != src)
            a.mov(gpr(r), src);
    } else {
        a.mov(slot(r), src);
    }
}

void CodeGen::finish_i32(u32 d, Gp32 computed)
{
    if (!is_gpr(d))
        a.mov(slot(d), computed);
}

namespace {

// dst op= r, whatever r's home; a constant register is an immediate.
void apply(CodeGen& g, const AluOp& op, Gp32 dst, u32 r)
{
    if (g.is_const(r))
        (g.a.*op.ri)(dst, g.const_of(r));
    else if (g.is_gpr(r))
        (g.a.*op.rr)(dst, g.gpr(r));
    else
        (g.a.*op.rm)(dst, g.slot(r));
}

// d = a op b, computed in place when d is pinned.
void binary(CodeGen& g, const AluOp& op, u32 d, u32 x, u32 y)
{
    if (g.is_gpr(d)) {
        Gp32 dst = g.gpr(d);
        if (d == x) {
            apply(g, op, dst, y);
        } else if (d == y && op.commutative) {
            apply(g, op, dst, x);
        } else if (d != y) {
            g.load_i32(dst, x);
            apply(g, op, dst, y);
        } else {
            g.load_i32(eax, x);
            apply(g, op, eax, y);
            g.a.mov(dst, eax);
        }
        return;
    }
    g.load_i32(eax, x);
    apply(g, op, eax, y);
    g.a.mov(g.slot(d), eax);
}

// d = a OP imm for add and imul.
void binary_immediate(CodeGen& g, bool multiply, u32 d, u32 x, i32 imm)
{
    Gp32 dst = g.def_i32(d, eax);
    if (multiply) {
        if (g.is_gpr(x))
            g.a.imul(dst, g.gpr(x), imm);
        else
            g.a.imul(dst, g.slot(x), imm);
        g.finish_i32(d, dst);
        return;
    }
    if (d == x && !g.is_gpr(d)) {
        g.a.add(g.slot(d), imm); // read-modify-write the slot directly
        return;
    }
    if (d == x) {
        g.a.add(dst, imm);
    } else if (g.is_gpr(x)) {
        g.a.lea(dst, ptr(g.gpr(x), imm));
    } else {
        g.a.mov(dst, g.slot(x));
        g.a.add(dst, imm);
    }
    g.finish_i32(d, dst);
}

// d = (a cc b) ? 1 : 0
void compare(CodeGen& g, Condition cc, u32 d, u32 x, u32 y)
{
    Gp32 left = g.use_i32(x, ecx);
    g.a.xor_(eax, eax); // before the cmp: xor writes the flags
    if (g.is_const(y))
        g.a.cmp(left, g.const_of(y));
    else if (g.is_gpr(y))
        g.a.cmp(left, g.gpr(y));
    else
        g.a.cmp(left, g.slot(y));
    g.a.setcc(cc, al);
    g.store_i32(d, eax);
}

// Division by a constant: no checks unless the constant is 0 or -1, and a
// power of two becomes shifts (rounding toward zero like IDIV: a negative
// dividend gets 2^k - 1 added first).
bool divide_by_constant(CodeGen& g, bool remainder, u32 d, u32 x, i32 c)
{
    if (c == -1)
        return false; // INT_MIN / -1 still needs its check
    if (c == 0) {
        g.a.jmp(g.trap(TrapKind::DivideByZero));
        return true;
    }
    u32 magnitude = static_cast<u32>(c);
    if (c > 1 && (magnitude & (magnitude - 1)) == 0) {
        u8 k = static_cast<u8>(__builtin_ctz(magnitude));
        g.load_i32(eax, x);
        if (remainder) {
            g.a.cdq();                       // EDX = -1 for a negative dividend
            g.a.and_(edx, c - 1);            // bias 2^k - 1, or 0
            g.a.add(eax, edx);
            g.a.and_(eax, c - 1);
            g.a.sub(eax, edx);
        } else {
            g.a.mov(edx, eax);
            g.a.sar(edx, static_cast<u8>(31));
            g.a.shr(edx, static_cast<u8>(32 - k)); // bias 2^k - 1, or 0
            g.a.add(eax, edx);
            g.a.sar(eax, k);
        }
        g.store_i32(d, eax);
        return true;
    }
    g.load_i32(eax, x);
    g.a.mov(ecx, c);
    g.a.cdq();
    g.a.idiv(ecx);
    g.store_i32(d, remainder ? edx : eax);
    return true;
}

// d = a / b or a % b, with the two traps of docs/module-format.md.
void divide(CodeGen& g, bool remainder, u32 d, u32 x, u32 y)
{
    if (g.is_const(y) && divide_by_constant(g, remainder, d, x, g.const_of(y)))
        return;
    g.load_i32(ecx, y);
    g.a.test(ecx, ecx);
    g.a.jz(g.trap(TrapKind::DivideByZero));
    g.load_i32(eax, x);
    Label ok = g.a.new_label();
    g.a.cmp(ecx, -1);
    g.a.jne(ok);
    g.a.cmp(eax, int_min); // INT_MIN / -1 does not fit; IDIV would fault (#DE)
    g.a.je(g.trap(TrapKind::Overflow));
    g.a.bind(ok);
    g.a.cdq();
    g.a.idiv(ecx);
    g.store_i32(d, remainder ? edx : eax);
}

void shift(CodeGen& g, bool left, u32 d, u32 x, u32 y)
{
    bool constant = g.is_const(y);
    if (!constant)
        g.load_i32(ecx, y); // the CPU masks the count to 0..31, as Flow does
    Gp32 dst = g.def_i32(d, eax);
    if (d != x || !g.is_gpr(d))
        g.load_i32(dst, x);
    if (constant) {
        u8 count = static_cast<u8>(g.const_of(y) & 31);
        if (left)
            g.a.shl(dst, count);
        else
            g.a.sar(dst, count);
    } else if (left) {
        g.a.shl(dst, cl);
    } else {
        g.a.sar(dst, cl);
    }
    g.finish_i32(d, dst);
}

void unary(CodeGen& g, bool negate, u32 d, u32 x)
{
    Gp32 dst = g.def_i32(d, eax);
    if (d == x && !g.is_gpr(d)) {
        if (negate)
            g.a.neg(g.slot(d));
        else
            g.a.not_(g.slot(d));
        return;
    }
    if (d != x)
        g.load_i32(dst, x);
    if (negate)
        g.a.neg(dst);
    else
        g.a.not_(dst);
    g.finish_i32(d, dst);
}

void min_max(CodeGen& g, Condition take_b_when, u32 d, u32 x, u32 y)
{
    g.load_i32(eax, x);
    if (g.is_gpr(y)) {
        g.a.cmp(eax, g.gpr(y));
        g.a.cmovcc(take_b_when, eax, g.gpr(y));
    } else {
        g.a.cmp(eax, g.slot(y));
        g.a.cmovcc(take_b_when, eax, g.slot(y));
    }
    g.store_i32(d, eax);
}

void move(CodeGen& g, u32 d, u32 x)
{
    if (d == x)
        return;
    ValueType type = g.fn.register_types[d];
    if (type == ValueType::I32) {
        if (g.is_gpr(d))
            g.load_i32(g.gpr(d), x);
        else
            g.store_i32(d, g.use_i32(x, eax));
    } else if (type == ValueType::F32) {
        if (g.is_xmm(d) || g.is_xmm(x)) {
            if (g.is_xmm(d))
                g.load_f32(g.xmm(d), x);
            else
                g.store_f32(d, g.xmm(x));
        } else {
            g.a.mov(eax, g.slot(x));
            g.a.mov(g.slot(d), eax);
        }
    } else { // a view: base and length
        g.a.mov(eax, g.slot(x));
        g.a.mov(ecx, g.slot(x, 4));
        g.a.mov(g.slot(d), eax);
        g.a.mov(g.slot(d, 4), ecx);
    }
}

} // namespace

bool CodeGen::emit_integer(const Instruction& in)
{
    u32 d = in.operands[0], x = in.operands[1], y = in.operands[2];
    switch (in.opcode) {
    case Opcode::NOP:
        return true;
    case Opcode::MOV:
        move(*this, d, x);
        return true;
    case Opcode::CONST_I32:
        if (is_gpr(d)) {
            if (in.imm_i32(1) == 0)
                a.xor_(gpr(d), gpr(d));
            else
                a.mov(gpr(d), in.imm_i32(1));
        } else {
            a.mov(slot(d), in.imm_i32(1));
        }
        return true;
    case Opcode::CONST_F32:
        if (is_xmm(d)) {
            if (in.operands[1] == 0) {
                a.xorps(xmm(d), xmm(d));
            } else {
                a.mov(eax, static_cast<i32>(in.operands[1]));
                a.movd(xmm(d), eax);
            }
        } else {
            a.mov(slot(d), static_cast<i32>(in.operands[1]));
        }
        return true;
    case Opcode::GVIEW: {
        // Buffers never move while the instance lives: the view is a constant.
        const View& view = env.instance->buffers[x];
        a.mov(slot(d), static_cast<i32>(reinterpret_cast<uptr>(view.base)));
        a.note_absolute();
        a.mov(slot(d, 4), static_cast<i32>(view.length));
        return true;
    }
    case Opcode::ADD_I32:
        binary(*this, alu_add, d, x, y);
        return true;
    case Opcode::SUB_I32:
        binary(*this, alu_sub, d, x, y);
        return true;
    case Opcode::MUL_I32:
        binary(*this, alu_imul, d, x, y);
        return true;
    case Opcode::AND_I32:
        binary(*this, alu_and, d, x, y);
        return true;
    case Opcode::OR_I32:
        binary(*this, alu_or, d, x, y);
        return true;
    case Opcode::XOR_I32:
        binary(*this, alu_xor, d, x, y);
        return true;
    case Opcode::DIV_I32:
        divide(*this, false, d, x, y);
        return true;
    case Opcode::REM_I32:
        divide(*this, true, d, x, y);
        return true;
    case Opcode::SHL_I32:
        shift(*this, true, d, x, y);
        return true;
    case Opcode::SHR_I32:
        shift(*this, false, d, x, y);
        return true;
    case Opcode::ADDI_I32:
        binary_immediate(*this, false, d, x, in.imm_i32(2));
        return true;
    case Opcode::MULI_I32:
        binary_immediate(*this, true, d, x, in.imm_i32(2));
        return true;
    case Opcode::NEG_I32:
        unary(*this, true, d, x);
        return true;
    case Opcode::NOT_I32:
        unary(*this, false, d, x);
        return true;
    case Opcode::EQZ_I32: {
        Gp32 value = use_i32(x, ecx);
        a.xor_(eax, eax);
        a.test(value, value);
        a.sete(al);
        store_i32(d, eax);
        return true;
    }
    case Opcode::ABS_I32:
        // (a ^ s) - s with s = a >> 31: abs(INT_MIN) stays INT_MIN, as specified.
        load_i32(eax, x);
        a.cdq();
        a.xor_(eax, edx);
        a.sub(eax, edx);
        store_i32(d, eax);
        return true;
    case Opcode::MIN_I32:
        min_max(*this, Condition::G, d, x, y);
        return true;
    case Opcode::MAX_I32:
        min_max(*this, Condition::L, d, x, y);
        return true;
    case Opcode::EQ_I32:
        compare(*this, Condition::E, d, x, y);
        return true;
    case Opcode::NE_I32:
        compare(*this, Condition::NE, d, x, y);
        return true;
    case Opcode::LT_I32:
        compare(*this, Condition::L, d, x, y);
        return true;
    case Opcode::LE_I32:
        compare(*this, Condition::LE, d, x, y);
        return true;
    case Opcode::GT_I32:
        compare(*this, Condition::G, d, x, y);
        return true;
    case Opcode::GE_I32:
        compare(*this, Condition::GE, d, x, y);
        return true;
    default:
        return false;
    }
}

} // namespace Tier1
