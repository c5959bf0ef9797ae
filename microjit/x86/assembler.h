// The x86 (IA-32) machine-code emitter: general-purpose, SSE/SSE2 and
// AVX2/FMA instructions, labels with shrinking jumps, errors as values.
//
// It is the back end of every JIT tier and builds unchanged into the kernel
// (freestanding) and into the -m32 host tests. It never allocates: code goes
// into a caller-given buffer and label/fixup bookkeeping lives in fixed-size
// arrays inside the object. Usage, in the style of xbyak and asmjit:
//
//     x86::Assembler a(buffer, sizeof(buffer));
//     auto loop = a.new_label();
//     a.xor_(eax, eax);
//     a.align(16);
//     a.bind(loop);
//     a.add(eax, dword_ptr(ecx, edx, 4));
//     a.dec(edx);
//     a.jne(loop);
//     a.ret();
//     auto size = TRY(a.finish());   // first error, or the final code size
//
// Every label jump is emitted as rel32 and recorded; finish() then shrinks
// jumps to rel8 wherever the final displacement fits (forward and backward),
// iterating to a fixed point as the Linux eBPF JIT and sljit do, compacts the
// code in place, recomputes alignment padding and patches displacements.
// Nothing is ever written past the buffer: a full buffer, an impossible
// operand combination or an unbound label sets a sticky first error, which
// finish() returns; once the buffer is full nothing more is written.
// docs/emitter.md describes the design and the full method list.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <microjit/x86/operands.h>

namespace x86 {

enum class Fill : u8 {
    Nop,  // multi-byte nops: for padding that is executed (loop heads)
    Int3, // int3: for padding that must never run (between functions, before data)
};

class Assembler {
public:
    // Limits of the fixed bookkeeping. A label costs 6 bytes, a recorded site
    // (label jump, call to an absolute address, label address, align point)
    // 16 bytes, a noted absolute address 4 bytes: about 21 KiB in all, so keep an Assembler in static storage or
    // in the JIT's context rather than on a small kernel stack.
    static constexpr u32 max_labels = 512;
    static constexpr u32 max_sites = 1024;
    static constexpr u32 max_instruction_length = 15;

    // `code` must stay valid until finish(). The code is assumed to run where
    // it is written; if it will be copied, set_base_address() first, since
    // calls to absolute addresses and label addresses depend on it.
    Assembler(u8* code, usize capacity);

    void set_base_address(u32 address) { m_base_address = address; }
    // VEX (AVX/AVX2/FMA) instructions report EmitUnsupportedIsa unless the
    // caller has checked CPUID and XCR0 and allowed them here.
    void allow_avx2(bool allowed) { m_avx2_allowed = allowed; }
    bool avx2_allowed() const { return m_avx2_allowed; }

    // --- state --------------------------------------------------------------
    // Bytes emitted so far (before finish() shrinks the jumps).
    usize size() const { return m_size; }
    usize capacity() const { return m_capacity; }
    u8* code() const { return m_code; }
    Error error() const { return m_error; }
    bool has_error() const { return m_error != Error::Ok; }
    // Resolves labels, shrinks jumps, fills padding. Returns the final code
    // size, or the first error recorded since construction. Call once.
    ErrorOr<usize> finish();
    // After a successful finish(): where a bound label ended up.
    u32 label_offset(Label) const;

    // --- absolute addresses (relocation) ---------------------------------------
    // Code that is saved and loaded elsewhere (JIT snapshots) must say where
    // it embeds absolute addresses of data, so a loader can rebase them; a
    // scan cannot tell an address from a constant that happens to equal it.
    // Call note_absolute() right after an instruction whose LAST 4 bytes are
    // such an address (a disp32 memory operand without an immediate after
    // it, or an imm32). Label addresses (dd(label), mov(r, label), [label])
    // are recorded by the assembler itself. After a successful finish(),
    // absolute_offsets() lists each such field's offset in the final code,
    // ascending. A note after a failed instruction is ignored (its error is
    // already recorded); more than max_absolutes fields is
    // EmitTooManyAbsolutes. Calls to absolute addresses (call(const void*))
    // are rel32 branches, not listed here.
    static constexpr u32 max_absolutes = 512;
    void note_absolute();
    u32 absolute_count() const { return m_absolute_count; }
    const u32* absolute_offsets() const { return m_absolutes; }

    // --- labels -------------------------------------------------------------
    Label new_label();
    void bind(Label);
    void align(u32 alignment, Fill fill = Fill::Nop); // power of two, <= 64

    // --- raw data -----------------------------------------------------------
    void db(u8 value);
    void dd(u32 value);
    void dd(Label label); // the label's absolute address (jump tables)

    // Most methods below are one-line inline wrappers: they hand a packed
    // opcode and operand description to a handful of encoders (enc_* below),
    // which write register and [base + disp] forms inline and leave the rest
    // to out-of-line code; an unused form costs the kernel nothing. Forms
    // with choices to make (imm8 or imm32, short accumulator forms, operand
    // checks) are out of line in assembler_gp.cpp.

    // --- data movement ------------------------------------------------------
    void mov(Gp32 dst, Gp32 src) { enc_rr(op1(0x89), ops(src.id, dst.id)); }
    // eax/al with an absolute address use the moffs forms A0-A3, as nasm does.
    void mov(Gp32 dst, const Mem& src) { enc_rm(op1(0x8B), ops(dst.id, 0, 0, size_dword) | (dst.id == 0 ? moffs(0xA1) : 0), src); }
    void mov(const Mem& dst, Gp32 src) { enc_rm(op1(0x89), ops(src.id, 0, 0, size_dword) | (src.id == 0 ? moffs(0xA3) : 0), dst); }
    void mov(Gp32 dst, i32 imm) { enc_op(op1(static_cast<u8>(0xB8 + dst.id)), 4, static_cast<u32>(imm)); }
    void mov(Gp32 dst, Label label); // the label's absolute address
    void mov(const Mem& dst, i32 imm); // dword_ptr or byte_ptr
    void mov(Gp8 dst, Gp8 src) { enc_rr(op1(0x88), ops(src.id, dst.id)); }
    void mov(Gp8 dst, const Mem& src) { enc_rm(op1(0x8A), ops(dst.id, 0, 0, size_byte) | (dst.id == 0 ? moffs(0xA0) : 0), src); }
    void mov(const Mem& dst, Gp8 src) { enc_rm(op1(0x88), ops(src.id, 0, 0, size_byte) | (src.id == 0 ? moffs(0xA2) : 0), dst); }
    void mov(Gp8 dst, i32 imm); // -128..255
    void movzx(Gp32 dst, Gp8 src) { enc_rr(op2(0x0F, 0xB6), ops(dst.id, src.id)); }
    void movzx(Gp32 dst, const Mem& src); // byte_ptr or word_ptr
    void movsx(Gp32 dst, Gp8 src) { enc_rr(op2(0x0F, 0xBE), ops(dst.id, src.id)); }
    void movsx(Gp32 dst, const Mem& src);
    void lea(Gp32 dst, const Mem& src) { enc_rm(op1(0x8D), ops(dst.id, 0, 0, size_any), src); }
    void xchg(Gp32 a, Gp32 b);
    void xchg(const Mem& a, Gp32 b) { enc_rm(op1(0x87), ops(b.id, 0, 0, size_dword), a); }
    void xchg(Gp32 a, const Mem& b) { xchg(b, a); }
    void push(Gp32 src) { enc_op(op1(static_cast<u8>(0x50 + src.id))); }
    void push(const Mem& src) { enc_rm(op1(0xFF), ops(6, 0, 0, size_dword), src); }
    void push(i32 imm);
    void pop(Gp32 dst) { enc_op(op1(static_cast<u8>(0x58 + dst.id))); }
    void pop(const Mem& dst) { enc_rm(op1(0x8F), ops(0, 0, 0, size_dword), dst); }

    // --- integer arithmetic and logic ---------------------------------------
    // The eight classic ALU operations share one table-driven encoder
    // (SDM Vol. 2A, Table A-2: op r/m,r = 8n+1, op r,r/m = 8n+3, group 1 /n);
    // imm8 and accumulator short forms are chosen automatically.
#define X86_ALU_METHODS(name, n)                                                                              \
    void name(Gp32 dst, Gp32 src) { enc_rr(op1(8 * n + 0x01), ops(src.id, dst.id)); }                       \
    void name(Gp32 dst, const Mem& src) { enc_rm(op1(8 * n + 0x03), ops(dst.id, 0, 0, size_dword), src); }   \
    void name(const Mem& dst, Gp32 src) { enc_rm(op1(8 * n + 0x01), ops(src.id, 0, 0, size_dword), dst); }   \
    void name(Gp32 dst, i32 imm) { imm >= -128 && imm <= 127 ? enc_rr(op1(0x83), ops(n, dst.id, 1), static_cast<u32>(imm)) : alu_imm(n, dst.id, imm); } \
    void name(const Mem& dst, i32 imm) { alu_imm(n, dst, imm); }                                             \
    void name(Gp8 dst, Gp8 src) { enc_rr(op1(8 * n + 0x00), ops(src.id, dst.id)); }                          \
    void name(Gp8 dst, const Mem& src) { enc_rm(op1(8 * n + 0x02), ops(dst.id, 0, 0, size_byte), src); }    \
    void name(const Mem& dst, Gp8 src) { enc_rm(op1(8 * n + 0x00), ops(src.id, 0, 0, size_byte), dst); }    \
    void name(Gp8 dst, i32 imm) { alu_imm(n | 8, dst.id, imm); }
    X86_ALU_METHODS(add, 0)
    X86_ALU_METHODS(or_, 1)
    X86_ALU_METHODS(adc, 2)
    X86_ALU_METHODS(sbb, 3)
    X86_ALU_METHODS(and_, 4)
    X86_ALU_METHODS(sub, 5)
    X86_ALU_METHODS(xor_, 6)
    X86_ALU_METHODS(cmp, 7)
#undef X86_ALU_METHODS
    void test(Gp32 a, Gp32 b) { enc_rr(op1(0x85), ops(b.id, a.id)); }
    void test(const Mem& a, Gp32 b) { enc_rm(op1(0x85), ops(b.id, 0, 0, size_dword), a); }
    void test(Gp32 a, const Mem& b) { test(b, a); }
    void test(Gp32 a, i32 imm);
    void test(const Mem& a, i32 imm);
    void test(Gp8 a, Gp8 b) { enc_rr(op1(0x84), ops(b.id, a.id)); }
    void test(Gp8 a, i32 imm);

    // One-operand groups: inc dec (FE/FF /0 /1) and not neg mul imul div idiv
    // (F6/F7 /2../7). A memory operand must be byte_ptr or dword_ptr.
    void inc(Gp32 operand) { enc_op(op1(static_cast<u8>(0x40 + operand.id))); } // 40+r
    void inc(Gp8 operand) { enc_rr(op1(0xFE), ops(0, operand.id)); }
    void inc(const Mem& operand) { unary_mem(0xFE, 0, operand); }
    void dec(Gp32 operand) { enc_op(op1(static_cast<u8>(0x48 + operand.id))); } // 48+r
    void dec(Gp8 operand) { enc_rr(op1(0xFE), ops(1, operand.id)); }
    void dec(const Mem& operand) { unary_mem(0xFE, 1, operand); }
#define X86_UNARY_METHODS(name, n)                                          \
    void name(Gp32 operand) { enc_rr(op1(0xF7), ops(n, operand.id)); }      \
    void name(Gp8 operand) { enc_rr(op1(0xF6), ops(n, operand.id)); }       \
    void name(const Mem& operand) { unary_mem(0xF6, n, operand); }
    X86_UNARY_METHODS(not_, 2)
    X86_UNARY_METHODS(neg, 3)
    X86_UNARY_METHODS(mul, 4)
    X86_UNARY_METHODS(imul, 5) // edx:eax = eax * operand
    X86_UNARY_METHODS(div, 6)
    X86_UNARY_METHODS(idiv, 7)
#undef X86_UNARY_METHODS
    void imul(Gp32 dst, Gp32 src) { enc_rr(op2(0x0F, 0xAF), ops(dst.id, src.id)); }
    void imul(Gp32 dst, const Mem& src) { enc_rm(op2(0x0F, 0xAF), ops(dst.id, 0, 0, size_dword), src); }
    void imul(Gp32 dst, Gp32 src, i32 imm);
    void imul(Gp32 dst, const Mem& src, i32 imm);
    void imul(Gp32 dst, i32 imm) { imul(dst, dst, imm); }
    void cdq() { enc_op(op1(0x99)); }

    // Shifts and rotates (group 2, /n) by an immediate 0..31 (by 1 uses the
    // short D0/D1 form) or by cl (any other register is EmitInvalidOperand).
#define X86_SHIFT_METHODS(name, n)                                            \
    void name(Gp32 dst, u8 count) { shift(n, Gp32 { dst.id }, count); }       \
    void name(Gp32 dst, Gp8 count) { shift(n, Gp32 { dst.id }, count); }      \
    void name(Gp8 dst, u8 count) { shift(n | 8, Gp32 { dst.id }, count); }    \
    void name(Gp8 dst, Gp8 count) { shift(n | 8, Gp32 { dst.id }, count); }   \
    void name(const Mem& dst, u8 count) { shift(n, dst, count); }             \
    void name(const Mem& dst, Gp8 count) { shift(n, dst, count); }
    X86_SHIFT_METHODS(rol, 0)
    X86_SHIFT_METHODS(ror, 1)
    X86_SHIFT_METHODS(shl, 4)
    X86_SHIFT_METHODS(shr, 5)
    X86_SHIFT_METHODS(sar, 7)
#undef X86_SHIFT_METHODS

    // --- conditions and control flow ----------------------------------------
    void setcc(Condition cc, Gp8 dst) { enc_rr(op2(0x0F, static_cast<u8>(0x90 + static_cast<u8>(cc))), ops(0, dst.id)); }
    void setcc(Condition cc, const Mem& dst) { enc_rm(op2(0x0F, static_cast<u8>(0x90 + static_cast<u8>(cc))), ops(0, 0, 0, size_byte), dst); }
    void cmovcc(Condition cc, Gp32 dst, Gp32 src) { enc_rr(op2(0x0F, static_cast<u8>(0x40 + static_cast<u8>(cc))), ops(dst.id, src.id)); }
    void cmovcc(Condition cc, Gp32 dst, const Mem& src) { enc_rm(op2(0x0F, static_cast<u8>(0x40 + static_cast<u8>(cc))), ops(dst.id, 0, 0, size_dword), src); }
    void jcc(Condition cc, Label target);
    void jmp(Label target);
    void jmp(Gp32 target) { enc_rr(op1(0xFF), ops(4, target.id)); }
    void jmp(const Mem& target) { enc_rm(op1(0xFF), ops(4, 0, 0, size_dword), target); }
    void call(Label target);          // rel32 to a label in this code
    void call(const void* target);    // rel32 to an absolute address (runtime helpers)
    void call_abs(u32 target);        // the same, given as an address
    void call(Gp32 target) { enc_rr(op1(0xFF), ops(2, target.id)); }
    void call(const Mem& target) { enc_rm(op1(0xFF), ops(2, 0, 0, size_dword), target); }
    void ret() { enc_op(op1(0xC3)); }
    void ret(u16 pop_bytes) { enc_op(op1(0xC2), 2, pop_bytes); }

#define X86_CC_ALIASES(suffix, cc)                                                     \
    void j##suffix(Label target) { jcc(Condition::cc, target); }                       \
    void set##suffix(Gp8 dst) { setcc(Condition::cc, dst); }                           \
    void set##suffix(const Mem& dst) { setcc(Condition::cc, dst); }                    \
    void cmov##suffix(Gp32 dst, Gp32 src) { cmovcc(Condition::cc, dst, src); }         \
    void cmov##suffix(Gp32 dst, const Mem& src) { cmovcc(Condition::cc, dst, src); }
    X86_CC_ALIASES(o, O)
    X86_CC_ALIASES(no, NO)
    X86_CC_ALIASES(b, B)
    X86_CC_ALIASES(c, C)
    X86_CC_ALIASES(ae, AE)
    X86_CC_ALIASES(nc, NC)
    X86_CC_ALIASES(e, E)
    X86_CC_ALIASES(z, Z)
    X86_CC_ALIASES(ne, NE)
    X86_CC_ALIASES(nz, NZ)
    X86_CC_ALIASES(be, BE)
    X86_CC_ALIASES(a, A)
    X86_CC_ALIASES(s, S)
    X86_CC_ALIASES(ns, NS)
    X86_CC_ALIASES(p, P)
    X86_CC_ALIASES(np, NP)
    X86_CC_ALIASES(l, L)
    X86_CC_ALIASES(ge, GE)
    X86_CC_ALIASES(le, LE)
    X86_CC_ALIASES(g, G)
#undef X86_CC_ALIASES

    // --- miscellaneous --------------------------------------------------------
    void nop() { enc_op(op1(0x90)); }
    void nop(u32 length); // the shortest run of recommended multi-byte nops (SDM Vol. 2B, NOP)
    void int3() { enc_op(op1(0xCC)); }
    void ud2() { enc_op(op2(0x0F, 0x0B)); }
    void rdtsc() { enc_op(op2(0x0F, 0x31)); }
    void cpuid() { enc_op(op2(0x0F, 0xA2)); }

    // --- SSE / SSE2 -------------------------------------------------------------
    // [mandatory prefix] 0F op /r (SDM Vol. 2A, Table A-3): none for ps, F3
    // for ss, F2 for sd, 66 for the packed-integer forms. Scalar forms read 32
    // (ss) or 64 (sd) bits from memory, packed forms 128.
#define X86_SSE_RM(name, op)                                                                \
    void name(Xmm dst, Xmm src) { enc_rr(op, ops(dst.id, src.id)); }                        \
    void name(Xmm dst, const Mem& src) { enc_rm(op, ops(dst.id, 0, 0, size_any), src); }
    X86_SSE_RM(addss, op3(0xF3, 0x0F, 0x58)) X86_SSE_RM(mulss, op3(0xF3, 0x0F, 0x59))
    X86_SSE_RM(subss, op3(0xF3, 0x0F, 0x5C)) X86_SSE_RM(minss, op3(0xF3, 0x0F, 0x5D))
    X86_SSE_RM(divss, op3(0xF3, 0x0F, 0x5E)) X86_SSE_RM(maxss, op3(0xF3, 0x0F, 0x5F))
    X86_SSE_RM(sqrtss, op3(0xF3, 0x0F, 0x51))
    X86_SSE_RM(addps, op2(0x0F, 0x58)) X86_SSE_RM(mulps, op2(0x0F, 0x59))
    X86_SSE_RM(subps, op2(0x0F, 0x5C)) X86_SSE_RM(minps, op2(0x0F, 0x5D))
    X86_SSE_RM(divps, op2(0x0F, 0x5E)) X86_SSE_RM(maxps, op2(0x0F, 0x5F))
    X86_SSE_RM(sqrtps, op2(0x0F, 0x51))
    X86_SSE_RM(addsd, op3(0xF2, 0x0F, 0x58)) X86_SSE_RM(mulsd, op3(0xF2, 0x0F, 0x59))
    X86_SSE_RM(subsd, op3(0xF2, 0x0F, 0x5C)) X86_SSE_RM(minsd, op3(0xF2, 0x0F, 0x5D))
    X86_SSE_RM(divsd, op3(0xF2, 0x0F, 0x5E)) X86_SSE_RM(maxsd, op3(0xF2, 0x0F, 0x5F))
    X86_SSE_RM(sqrtsd, op3(0xF2, 0x0F, 0x51))
    X86_SSE_RM(andps, op2(0x0F, 0x54)) X86_SSE_RM(andnps, op2(0x0F, 0x55))
    X86_SSE_RM(orps, op2(0x0F, 0x56)) X86_SSE_RM(xorps, op2(0x0F, 0x57))
    X86_SSE_RM(ucomiss, op2(0x0F, 0x2E)) X86_SSE_RM(comiss, op2(0x0F, 0x2F))
    X86_SSE_RM(cvtdq2ps, op2(0x0F, 0x5B)) X86_SSE_RM(cvttps2dq, op3(0xF3, 0x0F, 0x5B))
    X86_SSE_RM(cvtss2sd, op3(0xF3, 0x0F, 0x5A)) X86_SSE_RM(cvtsd2ss, op3(0xF2, 0x0F, 0x5A))
    X86_SSE_RM(unpcklps, op2(0x0F, 0x14)) X86_SSE_RM(unpckhps, op2(0x0F, 0x15))
    X86_SSE_RM(paddd, op3(0x66, 0x0F, 0xFE)) X86_SSE_RM(psubd, op3(0x66, 0x0F, 0xFA))
    X86_SSE_RM(pand, op3(0x66, 0x0F, 0xDB)) X86_SSE_RM(pandn, op3(0x66, 0x0F, 0xDF))
    X86_SSE_RM(por, op3(0x66, 0x0F, 0xEB)) X86_SSE_RM(pxor, op3(0x66, 0x0F, 0xEF))
    X86_SSE_RM(pcmpeqd, op3(0x66, 0x0F, 0x76)) X86_SSE_RM(pcmpgtd, op3(0x66, 0x0F, 0x66))
#undef X86_SSE_RM
    // Loads, stores and register moves: the load opcode for xmm, xmm/m and
    // the store opcode for m, xmm.
#define X86_SSE_MOVE(name, load, store)                                                        \
    void name(Xmm dst, Xmm src) { enc_rr(load, ops(dst.id, src.id)); }                         \
    void name(Xmm dst, const Mem& src) { enc_rm(load, ops(dst.id, 0, 0, size_any), src); }     \
    void name(const Mem& dst, Xmm src) { enc_rm(store, ops(src.id, 0, 0, size_any), dst); }
    X86_SSE_MOVE(movss, op3(0xF3, 0x0F, 0x10), op3(0xF3, 0x0F, 0x11))
    X86_SSE_MOVE(movsd, op3(0xF2, 0x0F, 0x10), op3(0xF2, 0x0F, 0x11))
    X86_SSE_MOVE(movups, op2(0x0F, 0x10), op2(0x0F, 0x11))
    X86_SSE_MOVE(movaps, op2(0x0F, 0x28), op2(0x0F, 0x29))
    X86_SSE_MOVE(movdqu, op3(0xF3, 0x0F, 0x6F), op3(0xF3, 0x0F, 0x7F))
    X86_SSE_MOVE(movdqa, op3(0x66, 0x0F, 0x6F), op3(0x66, 0x0F, 0x7F))
    X86_SSE_MOVE(movq, op3(0xF3, 0x0F, 0x7E), op3(0x66, 0x0F, 0xD6))
#undef X86_SSE_MOVE
    void movd(Xmm dst, Gp32 src) { enc_rr(op3(0x66, 0x0F, 0x6E), ops(dst.id, src.id)); }
    void movd(Xmm dst, const Mem& src) { enc_rm(op3(0x66, 0x0F, 0x6E), ops(dst.id, 0, 0, size_dword), src); }
    void movd(Gp32 dst, Xmm src) { enc_rr(op3(0x66, 0x0F, 0x7E), ops(src.id, dst.id)); }
    void movd(const Mem& dst, Xmm src) { enc_rm(op3(0x66, 0x0F, 0x7E), ops(src.id, 0, 0, size_dword), dst); }
    void movhlps(Xmm dst, Xmm src) { enc_rr(op2(0x0F, 0x12), ops(dst.id, src.id)); }
    void movlhps(Xmm dst, Xmm src) { enc_rr(op2(0x0F, 0x16), ops(dst.id, src.id)); }
    void movmskps(Gp32 dst, Xmm src) { enc_rr(op2(0x0F, 0x50), ops(dst.id, src.id)); }
    // Predicates 0..7: eq lt le unord neq nlt nle ord (SDM Vol. 2A, CMPPS);
    // larger values are EmitInvalidOperand.
    void cmpss(Xmm dst, Xmm src, u8 predicate) { predicate > 7 ? fail_invalid_operand() : enc_rr(op3(0xF3, 0x0F, 0xC2), ops(dst.id, src.id, 1), predicate); }
    void cmpss(Xmm dst, const Mem& src, u8 predicate) { predicate > 7 ? fail_invalid_operand() : enc_rm(op3(0xF3, 0x0F, 0xC2), ops(dst.id, 0, 1, size_any), src, predicate); }
    void cmpps(Xmm dst, Xmm src, u8 predicate) { predicate > 7 ? fail_invalid_operand() : enc_rr(op2(0x0F, 0xC2), ops(dst.id, src.id, 1), predicate); }
    void cmpps(Xmm dst, const Mem& src, u8 predicate) { predicate > 7 ? fail_invalid_operand() : enc_rm(op2(0x0F, 0xC2), ops(dst.id, 0, 1, size_any), src, predicate); }
    void shufps(Xmm dst, Xmm src, u8 control) { enc_rr(op2(0x0F, 0xC6), ops(dst.id, src.id, 1), control); }
    void shufps(Xmm dst, const Mem& src, u8 control) { enc_rm(op2(0x0F, 0xC6), ops(dst.id, 0, 1, size_any), src, control); }
    void pshufd(Xmm dst, Xmm src, u8 control) { enc_rr(op3(0x66, 0x0F, 0x70), ops(dst.id, src.id, 1), control); }
    void pshufd(Xmm dst, const Mem& src, u8 control) { enc_rm(op3(0x66, 0x0F, 0x70), ops(dst.id, 0, 1, size_any), src, control); }
    // Group 13 (66 0F 72 /n ib): shifts of packed dwords by an immediate.
    void pslld(Xmm dst, u8 count) { enc_rr(op3(0x66, 0x0F, 0x72), ops(6, dst.id, 1), count); }
    void psrld(Xmm dst, u8 count) { enc_rr(op3(0x66, 0x0F, 0x72), ops(2, dst.id, 1), count); }
    void psrad(Xmm dst, u8 count) { enc_rr(op3(0x66, 0x0F, 0x72), ops(4, dst.id, 1), count); }
    void cvtsi2ss(Xmm dst, Gp32 src) { enc_rr(op3(0xF3, 0x0F, 0x2A), ops(dst.id, src.id)); }
    void cvtsi2ss(Xmm dst, const Mem& src) { enc_rm(op3(0xF3, 0x0F, 0x2A), ops(dst.id, 0, 0, size_dword), src); }
    void cvtsi2sd(Xmm dst, Gp32 src) { enc_rr(op3(0xF2, 0x0F, 0x2A), ops(dst.id, src.id)); }
    void cvtsi2sd(Xmm dst, const Mem& src) { enc_rm(op3(0xF2, 0x0F, 0x2A), ops(dst.id, 0, 0, size_dword), src); }
    void cvttss2si(Gp32 dst, Xmm src) { enc_rr(op3(0xF3, 0x0F, 0x2C), ops(dst.id, src.id)); }
    void cvttss2si(Gp32 dst, const Mem& src) { enc_rm(op3(0xF3, 0x0F, 0x2C), ops(dst.id, 0, 0, size_dword), src); }
    void cvttsd2si(Gp32 dst, Xmm src) { enc_rr(op3(0xF2, 0x0F, 0x2C), ops(dst.id, src.id)); }
    void cvttsd2si(Gp32 dst, const Mem& src) { enc_rm(op3(0xF2, 0x0F, 0x2C), ops(dst.id, 0, 0, size_any), src); }

    // --- AVX / AVX2 / FMA (VEX), 256-bit ymm and 128-bit xmm forms -----------
    // Reported as EmitUnsupportedIsa unless allow_avx2(true).
#define X86_VEX_RVM(name, map, pp, opcode)                                                                              \
    void name(Ymm dst, Ymm src1, Ymm src2) { enc_vex(vex_op(map, pp, 1, opcode), ops(dst.id, src2.id) | (src1.id << 16), nullptr); } \
    void name(Ymm dst, Ymm src1, const Mem& src2) { enc_vex(vex_op(map, pp, 1, opcode), ops(dst.id, 0) | (src1.id << 16), &src2); } \
    void name(Xmm dst, Xmm src1, Xmm src2) { enc_vex(vex_op(map, pp, 0, opcode), ops(dst.id, src2.id) | (src1.id << 16), nullptr); } \
    void name(Xmm dst, Xmm src1, const Mem& src2) { enc_vex(vex_op(map, pp, 0, opcode), ops(dst.id, 0) | (src1.id << 16), &src2); }
    X86_VEX_RVM(vaddps, 1, 0, 0x58) X86_VEX_RVM(vmulps, 1, 0, 0x59)
    X86_VEX_RVM(vsubps, 1, 0, 0x5C) X86_VEX_RVM(vminps, 1, 0, 0x5D)
    X86_VEX_RVM(vdivps, 1, 0, 0x5E) X86_VEX_RVM(vmaxps, 1, 0, 0x5F)
    X86_VEX_RVM(vandps, 1, 0, 0x54) X86_VEX_RVM(vandnps, 1, 0, 0x55)
    X86_VEX_RVM(vorps, 1, 0, 0x56) X86_VEX_RVM(vxorps, 1, 0, 0x57)
    X86_VEX_RVM(vfmadd231ps, 2, 1, 0xB8) // VEX.66.0F38.W0 B8
#undef X86_VEX_RVM
    // vvvv is unused (1111b) in the two-operand forms.
#define X86_VEX_MOVE(name, load, store)                                                                        \
    void name(Ymm dst, Ymm src) { enc_vex(vex_op(1, 0, 1, load), ops(dst.id, src.id), nullptr); }              \
    void name(Ymm dst, const Mem& src) { enc_vex(vex_op(1, 0, 1, load), ops(dst.id, 0), &src); }                \
    void name(const Mem& dst, Ymm src) { enc_vex(vex_op(1, 0, 1, store), ops(src.id, 0), &dst); }               \
    void name(Xmm dst, Xmm src) { enc_vex(vex_op(1, 0, 0, load), ops(dst.id, src.id), nullptr); }               \
    void name(Xmm dst, const Mem& src) { enc_vex(vex_op(1, 0, 0, load), ops(dst.id, 0), &src); }                \
    void name(const Mem& dst, Xmm src) { enc_vex(vex_op(1, 0, 0, store), ops(src.id, 0), &dst); }
    X86_VEX_MOVE(vmovups, 0x10, 0x11)
    X86_VEX_MOVE(vmovaps, 0x28, 0x29)
#undef X86_VEX_MOVE
    void vsqrtps(Ymm dst, Ymm src) { enc_vex(vex_op(1, 0, 1, 0x51), ops(dst.id, src.id), nullptr); }
    void vsqrtps(Ymm dst, const Mem& src) { enc_vex(vex_op(1, 0, 1, 0x51), ops(dst.id, 0), &src); }
    void vbroadcastss(Ymm dst, const Mem& src) { enc_vex(vex_op(2, 1, 1, 0x18), ops(dst.id, 0), &src); } // AVX
    void vbroadcastss(Ymm dst, Xmm src) { enc_vex(vex_op(2, 1, 1, 0x18), ops(dst.id, src.id), nullptr); } // AVX2
    void vzeroupper() { enc_vex(vex_op(1, 0, 0, 0x77) | vex_no_modrm, 0, nullptr); } // C5 F8 77
    // dst = the 128-bit half `half` (0 low, 1 high) of src: VEX.256.66.0F3A.W0 19 /r ib (AVX)
    void vextractf128(Xmm dst, Ymm src, u8 half)
    {
        enc_vex(vex_op(3, 1, 1, 0x19), ops(src.id, dst.id), nullptr);
        if (!has_error())
            db(half & 1);
    }

private:
    friend struct Encoder;

    // A recorded site: label jump, call to an absolute address, label address
    // field or align point (assembler_labels.cpp).
    struct Site {
        u32 position;   // offset of the instruction (or 4-byte field) in the emitted code
        i32 shift;      // during finish(): how far the code before it moved
        u16 target;     // label id, or the alignment for Align
        u8 kind;        // SiteKind
        u8 length;      // current encoded length
        u8 emitted_length; // length as emitted (rel32 jumps, the first padding)
        u8 unused[3];
    };
    static_assert(sizeof(Site) == 16);


    // Opcode bytes packed in a u32: emission order from the low end, the
    // count in the top byte, so "66 0F FE" is one constant.
    static constexpr u32 op1(u32 a) { return (1u << 24) | a; }
    static constexpr u32 op2(u32 a, u32 b) { return (2u << 24) | (b << 8) | a; }
    static constexpr u32 op3(u32 a, u32 b, u32 c) { return (3u << 24) | (c << 16) | (b << 8) | a; }
    // Memory-size masks: bit 0 unsized, then byte word dword qword xmmword ymmword.
    static constexpr u32 size_any = 0x7F;
    static constexpr u32 size_byte = 0x03;  // unsized or byte
    static constexpr u32 size_dword = 0x09; // unsized or dword
    // The operand word: ModRM rm and reg fields, immediate bytes (0, 1, 2 or
    // 4) and the accepted memory sizes; bits 16-19 carry VEX.vvvv and bits
    // 24-31 a moffs opcode.
    static constexpr u32 ops(u32 reg, u32 rm, u32 imm_bytes = 0, u32 sizes = 0)
    {
        return rm | (reg << 3) | (imm_bytes << 6) | (sizes << 9);
    }
    // An accumulator form with a moffs32 operand (A0-A3), used when the
    // memory operand is a plain absolute address.
    static constexpr u32 moffs(u32 opcode) { return opcode << 24; }
    static constexpr u32 vex_no_modrm = 1u << 13;
    // map 1 = 0F, 2 = 0F 38; pp 0 = none, 1 = 66, 2 = F3, 3 = F2; L 1 = 256 bits.
    static constexpr u32 vex_op(u32 map, u32 pp, u32 l256, u32 opcode) { return opcode | (pp << 8) | (map << 10) | (l256 << 12); }

    // The shared encoders (assembler.cpp, assembler_sse.cpp).
    void fail_invalid_operand();
    // enc_rr and enc_rm write the common case (room in the buffer; for
    // memory, [base + disp]) inline: operands built from constants at the
    // call site fold away, and the emitter runs at a few cycles per
    // instruction. Everything else goes to the out-of-line versions.
    [[gnu::regparm(3)]] void enc_op(u32 op, u32 imm_bytes = 0, u32 imm = 0);
    [[gnu::regparm(3)]] void enc_rr_slow(u32 op, u32 operands, u32 imm = 0);
    [[gnu::regparm(3)]] void enc_rm_slow(u32 op, u32 operands, const Mem& m, u32 imm = 0);
    void enc_rr(u32 op, u32 operands, u32 imm = 0)
    {
        if (m_limit - m_size < max_instruction_length) [[unlikely]]
            return enc_rr_slow(op, operands, imm);
        u8* p = put_opcode(m_code + m_size, op);
        *p++ = static_cast<u8>(0xC0 | (operands & 0x3F)); // mod=11: register operand
        __builtin_memcpy(p, &imm, 4);                     // room for 15 bytes: store 4, keep 0-4
        m_size = static_cast<u32>(p + ((operands >> 6) & 7) - m_code);
    }
    void enc_rm(u32 op, u32 operands, const Mem& m, u32 imm = 0)
    {
        u32 base = m.base;
        if (m.index != no_reg || base == no_reg || m.has_label() || m_limit - m_size < max_instruction_length
            || !((operands >> (9 + static_cast<u32>(m.size))) & 1)) [[unlikely]]
            return enc_rm_slow(op, operands, m, imm);
        // [base + disp] (SDM Vol. 2A, Table 2-2): mod=00 without a
        // displacement (not for ebp, whose mod=00 slot means disp32), mod=01
        // with disp8, mod=10 with disp32; esp as a base needs SIB 0x24.
        u8* p = put_opcode(m_code + m_size, op);
        i32 disp = m.disp;
        u32 mod = (disp == 0 && base != 5) ? 0x00 : (disp >= -128 && disp <= 127) ? 0x40 : 0x80;
        p[0] = static_cast<u8>(mod | (operands & 0x38) | base);
        p[1] = 0x24; // SIB for an esp base; overwritten otherwise
        p += base == 4 ? 2 : 1;
        __builtin_memcpy(p, &disp, 4);
        p += mod == 0x40 ? 1 : mod == 0x80 ? 4 : 0;
        __builtin_memcpy(p, &imm, 4);
        m_size = static_cast<u32>(p + ((operands >> 6) & 7) - m_code);
    }
    static u8* put_opcode(u8* p, u32 op)
    {
        p[0] = static_cast<u8>(op);
        p[1] = static_cast<u8>(op >> 8);
        p[2] = static_cast<u8>(op >> 16);
        return p + (op >> 24);
    }
    [[gnu::regparm(3)]] void enc_vex(u32 vex, u32 operands, const Mem* m);
    // The families with choices to make (assembler_gp.cpp). `n` is the
    // /digit, | 8 for the byte-register forms.
    void alu_imm(u32 n, u8 reg, i32 imm);
    void alu_imm(u32 n, const Mem& m, i32 imm);
    void unary_mem(u8 byte_opcode, u32 n, const Mem& m);
    void shift(u32 n, Gp32 reg, u8 count);
    void shift(u32 n, Gp32 reg, Gp8 count);
    void shift(u32 n, const Mem& m, u8 count);
    void shift(u32 n, const Mem& m, Gp8 count);

    void set_error(Error e)
    {
        if (m_error == Error::Ok)
            m_error = e;
    }
    // An instruction is encoded at begin() and accepted by end(p). Near the
    // end of the buffer begin() hands out a private staging area, and end()
    // copies the bytes only if they fit, so nothing is written past the buffer.
    u8* begin()
    {
        if (m_limit - m_size >= max_instruction_length) [[likely]]
            return m_code + m_size;
        return begin_slow();
    }
    void end(u8* p)
    {
        if (!m_staging_active) [[likely]] {
            m_size = static_cast<u32>(p - m_code);
            return;
        }
        end_slow(p);
    }
    u8* begin_slow();
    void end_slow(u8* p);
    void add_site(u8 kind, u32 position, u16 target, u8 length);
    bool finish_absolutes(i32 end_shift);
    bool check_label(Label);

    u8* m_code;
    u32 m_capacity;
    u32 m_limit; // m_capacity, or m_size once the buffer overflowed (nothing more is written)
    u32 m_size { 0 };
    u32 m_base_address;
    Error m_error { Error::Ok };
    bool m_avx2_allowed { false };
    bool m_finished { false };
    bool m_staging_active { false }; // begin() handed out m_staging (room < 15 bytes)
    u16 m_label_count { 0 };
    u32 m_site_count { 0 };
    u8 m_staging[16];
    u32 m_label_offset[max_labels];   // 0xFFFFFFFF until bound
    u16 m_label_sites[max_labels];    // sites recorded before the bind
    Site m_sites[max_sites];
    u32 m_absolute_count { 0 };
    u32 m_absolutes[max_absolutes]; // noted fields, offsets as emitted until finish()
};

} // namespace x86
