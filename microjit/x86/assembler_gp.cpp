// General-purpose integer instructions that need a decision: imm8 or imm32,
// the accumulator short forms, shift by 1, and the
// operand checks that go with them. The plain forms are inline wrappers in
// assembler.h. Where nasm picks a shorter equivalent encoding, the emitter
// picks the same one, so the golden tests can compare bytes exactly. These
// forms are less frequent, so they call the out-of-line encoders directly
// rather than growing the kernel with inline copies of the fast paths.
// Opcodes: Intel SDM Vol. 2A, Appendix A, Tables A-2 (one-byte map) and A-6
// (groups 1, 2, 3, 11).
#include <microjit/x86/encoding.h>

namespace x86 {

namespace {

bool fits_u8_or_i8(i32 v) { return v >= -128 && v <= 255; }

} // namespace

// Group 1: op r/m, imm. n is the /digit, | 8 for byte registers.
void Assembler::alu_imm(u32 n, u8 reg, i32 imm)
{
    u32 digit = n & 7;
    if (n & 8) {
        if (!fits_u8_or_i8(imm))
            return set_error(Error::EmitInvalidOperand);
        if (reg == 0)
            return enc_op(op1(8 * digit + 0x04), 1, static_cast<u32>(imm)); // op al, imm8
        return enc_rr_slow(op1(0x80), ops(digit, reg, 1), static_cast<u32>(imm));
    }
    if (fits_i8(imm))
        return enc_rr_slow(op1(0x83), ops(digit, reg, 1), static_cast<u32>(imm)); // op r/m32, imm8 (sign-extended)
    if (reg == 0)
        return enc_op(op1(8 * digit + 0x05), 4, static_cast<u32>(imm)); // op eax, imm32
    enc_rr_slow(op1(0x81), ops(digit, reg, 4), static_cast<u32>(imm));
}

void Assembler::alu_imm(u32 n, const Mem& m, i32 imm)
{
    if (m.size == MemSize::Dword) {
        if (fits_i8(imm))
            return enc_rm_slow(op1(0x83), ops(n, 0, 1, size_any), m, static_cast<u32>(imm));
        return enc_rm_slow(op1(0x81), ops(n, 0, 4, size_any), m, static_cast<u32>(imm));
    }
    if (m.size == MemSize::Byte && fits_u8_or_i8(imm))
        return enc_rm_slow(op1(0x80), ops(n, 0, 1, size_any), m, static_cast<u32>(imm));
    set_error(Error::EmitInvalidOperand); // unsized or too wide: nasm says "operation size not specified"
}

// FE/FF (inc, dec) and F6/F7 (group 3) on memory: the size picks the opcode.
void Assembler::unary_mem(u8 byte_opcode, u32 n, const Mem& m)
{
    if (m.size == MemSize::Dword)
        return enc_rm_slow(op1(byte_opcode + 1u), ops(n, 0, 0, size_any), m);
    if (m.size == MemSize::Byte)
        return enc_rm_slow(op1(byte_opcode), ops(n, 0, 0, size_any), m);
    set_error(Error::EmitInvalidOperand);
}

// Group 2: C0/C1 /n ib, D0/D1 /n (by 1), D2/D3 /n (by cl). n | 8: byte register.
void Assembler::shift(u32 n, Gp32 reg, u8 count)
{
    if (count > 31)
        return set_error(Error::EmitInvalidOperand);
    u32 wide = (n & 8) ? 0 : 1;
    if (count == 1)
        return enc_rr_slow(op1(0xD0 + wide), ops(n & 7, reg.id));
    enc_rr_slow(op1(0xC0 + wide), ops(n & 7, reg.id, 1), count);
}

void Assembler::shift(u32 n, Gp32 reg, Gp8 count)
{
    if (count.id != 1) // the count register can only be cl
        return set_error(Error::EmitInvalidOperand);
    enc_rr_slow(op1((n & 8) ? 0xD2 : 0xD3), ops(n & 7, reg.id));
}

void Assembler::shift(u32 n, const Mem& m, u8 count)
{
    u32 wide = m.size == MemSize::Dword ? 1 : 0;
    if ((!wide && m.size != MemSize::Byte) || count > 31)
        return set_error(Error::EmitInvalidOperand);
    if (count == 1)
        return enc_rm_slow(op1(0xD0 + wide), ops(n, 0, 0, size_any), m);
    enc_rm_slow(op1(0xC0 + wide), ops(n, 0, 1, size_any), m, count);
}

void Assembler::shift(u32 n, const Mem& m, Gp8 count)
{
    u32 wide = m.size == MemSize::Dword ? 1 : 0;
    if ((!wide && m.size != MemSize::Byte) || count.id != 1)
        return set_error(Error::EmitInvalidOperand);
    enc_rm_slow(op1(0xD2 + wide), ops(n, 0, 0, size_any), m);
}

void Assembler::mov(const Mem& d, i32 imm)
{
    if (d.size == MemSize::Dword)
        return enc_rm_slow(op1(0xC7), ops(0, 0, 4, size_any), d, static_cast<u32>(imm)); // mov r/m32, imm32
    if (d.size == MemSize::Byte && fits_u8_or_i8(imm))
        return enc_rm_slow(op1(0xC6), ops(0, 0, 1, size_any), d, static_cast<u32>(imm)); // mov r/m8, imm8
    set_error(Error::EmitInvalidOperand);
}

void Assembler::mov(Gp8 d, i32 imm)
{
    if (!fits_u8_or_i8(imm))
        return set_error(Error::EmitInvalidOperand);
    enc_op(op1(0xB0 + d.id), 1, static_cast<u32>(imm)); // mov r8, imm8
}

void Assembler::movzx(Gp32 d, const Mem& s)
{
    if (s.size == MemSize::Byte)
        return enc_rm_slow(op2(0x0F, 0xB6), ops(d.id, 0, 0, size_any), s);
    if (s.size == MemSize::Word)
        return enc_rm_slow(op2(0x0F, 0xB7), ops(d.id, 0, 0, size_any), s);
    set_error(Error::EmitInvalidOperand); // the source width must be given
}

void Assembler::movsx(Gp32 d, const Mem& s)
{
    if (s.size == MemSize::Byte)
        return enc_rm_slow(op2(0x0F, 0xBE), ops(d.id, 0, 0, size_any), s);
    if (s.size == MemSize::Word)
        return enc_rm_slow(op2(0x0F, 0xBF), ops(d.id, 0, 0, size_any), s);
    set_error(Error::EmitInvalidOperand);
}

// xchg with eax has the one-byte form 90+r, and xchg eax, eax is 90 itself
// (nasm writes it so; in 32-bit code it is the same operation). Otherwise
// 87 /r with the first operand in the reg field, as nasm does.
void Assembler::xchg(Gp32 a, Gp32 b)
{
    if (a.id == 0)
        return enc_op(op1(0x90 + b.id));
    if (b.id == 0)
        return enc_op(op1(0x90 + a.id));
    enc_rr_slow(op1(0x87), ops(a.id, b.id));
}

void Assembler::push(i32 imm)
{
    if (fits_i8(imm))
        return enc_op(op1(0x6A), 1, static_cast<u32>(imm)); // push imm8 (sign-extended)
    enc_op(op1(0x68), 4, static_cast<u32>(imm));             // push imm32
}

// test has no sign-extended imm8 form; eax/al have A9/A8.
void Assembler::test(Gp32 a, i32 imm)
{
    if (a.id == 0)
        return enc_op(op1(0xA9), 4, static_cast<u32>(imm));
    enc_rr_slow(op1(0xF7), ops(0, a.id, 4), static_cast<u32>(imm));
}

void Assembler::test(Gp8 a, i32 imm)
{
    if (!fits_u8_or_i8(imm))
        return set_error(Error::EmitInvalidOperand);
    if (a.id == 0)
        return enc_op(op1(0xA8), 1, static_cast<u32>(imm));
    enc_rr_slow(op1(0xF6), ops(0, a.id, 1), static_cast<u32>(imm));
}

void Assembler::test(const Mem& a, i32 imm)
{
    if (a.size == MemSize::Dword)
        return enc_rm_slow(op1(0xF7), ops(0, 0, 4, size_any), a, static_cast<u32>(imm));
    if (a.size == MemSize::Byte && fits_u8_or_i8(imm))
        return enc_rm_slow(op1(0xF6), ops(0, 0, 1, size_any), a, static_cast<u32>(imm));
    set_error(Error::EmitInvalidOperand);
}

// imul r32, r/m32, imm: 6B /r ib when the immediate fits, else 69 /r id.
void Assembler::imul(Gp32 d, Gp32 s, i32 imm)
{
    if (fits_i8(imm))
        return enc_rr_slow(op1(0x6B), ops(d.id, s.id, 1), static_cast<u32>(imm));
    enc_rr_slow(op1(0x69), ops(d.id, s.id, 4), static_cast<u32>(imm));
}

void Assembler::imul(Gp32 d, const Mem& s, i32 imm)
{
    if (fits_i8(imm))
        return enc_rm_slow(op1(0x6B), ops(d.id, 0, 1, size_dword), s, static_cast<u32>(imm));
    enc_rm_slow(op1(0x69), ops(d.id, 0, 4, size_dword), s, static_cast<u32>(imm));
}

} // namespace x86
