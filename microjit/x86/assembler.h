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
// operand combination or an unbound label sets a sticky first error, later
// instructions are dropped, and finish() returns that error.
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
    // Limits of the fixed bookkeeping. A label costs 8 bytes, a recorded site
    // (label jump, call to an absolute address, label address, align point)
    // 12 bytes: about 16 KiB in all, so keep an Assembler in static storage or
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

    // --- labels -------------------------------------------------------------
    Label new_label();
    void bind(Label);
    void align(u32 alignment, Fill fill = Fill::Nop); // power of two, <= 64

    // --- raw data -----------------------------------------------------------
    void db(u8 value);
    void dd(u32 value);
    void dd(Label label); // the label's absolute address (jump tables)

    // --- data movement ------------------------------------------------------
    void mov(Gp32 dst, Gp32 src);
    void mov(Gp32 dst, const Mem& src);
    void mov(const Mem& dst, Gp32 src);
    void mov(Gp32 dst, i32 imm);
    void mov(Gp32 dst, Label label); // the label's absolute address
    void mov(const Mem& dst, i32 imm); // dword_ptr or byte_ptr
    void mov(Gp8 dst, Gp8 src);
    void mov(Gp8 dst, const Mem& src);
    void mov(const Mem& dst, Gp8 src);
    void mov(Gp8 dst, i32 imm); // -128..255
    void movzx(Gp32 dst, Gp8 src);
    void movzx(Gp32 dst, const Mem& src); // byte_ptr or word_ptr
    void movsx(Gp32 dst, Gp8 src);
    void movsx(Gp32 dst, const Mem& src);
    void lea(Gp32 dst, const Mem& src);
    void xchg(Gp32 a, Gp32 b);
    void xchg(const Mem& a, Gp32 b);
    void xchg(Gp32 a, const Mem& b);
    void push(Gp32 src);
    void push(const Mem& src);
    void push(i32 imm);
    void pop(Gp32 dst);
    void pop(const Mem& dst);

    // --- integer arithmetic and logic ---------------------------------------
    // The eight classic ALU operations share one table-driven encoder; imm8
    // and accumulator short forms are chosen automatically.
#define X86_ALU_METHODS(name)                  \
    void name(Gp32 dst, Gp32 src);             \
    void name(Gp32 dst, const Mem& src);       \
    void name(const Mem& dst, Gp32 src);       \
    void name(Gp32 dst, i32 imm);              \
    void name(const Mem& dst, i32 imm);        \
    void name(Gp8 dst, Gp8 src);               \
    void name(Gp8 dst, const Mem& src);        \
    void name(const Mem& dst, Gp8 src);        \
    void name(Gp8 dst, i32 imm);
    X86_ALU_METHODS(add)
    X86_ALU_METHODS(or_)
    X86_ALU_METHODS(adc)
    X86_ALU_METHODS(sbb)
    X86_ALU_METHODS(and_)
    X86_ALU_METHODS(sub)
    X86_ALU_METHODS(xor_)
    X86_ALU_METHODS(cmp)
#undef X86_ALU_METHODS
    void test(Gp32 a, Gp32 b);
    void test(const Mem& a, Gp32 b);
    void test(Gp32 a, const Mem& b) { test(b, a); }
    void test(Gp32 a, i32 imm);
    void test(const Mem& a, i32 imm);
    void test(Gp8 a, Gp8 b);
    void test(Gp8 a, i32 imm);

    // One-operand group: inc dec neg not mul imul div idiv.
#define X86_UNARY_METHODS(name)  \
    void name(Gp32 operand);     \
    void name(Gp8 operand);      \
    void name(const Mem& operand);
    X86_UNARY_METHODS(inc)
    X86_UNARY_METHODS(dec)
    X86_UNARY_METHODS(neg)
    X86_UNARY_METHODS(not_)
    X86_UNARY_METHODS(mul)
    X86_UNARY_METHODS(div)
    X86_UNARY_METHODS(idiv)
    X86_UNARY_METHODS(imul) // edx:eax = eax * operand
#undef X86_UNARY_METHODS
    void imul(Gp32 dst, Gp32 src);
    void imul(Gp32 dst, const Mem& src);
    void imul(Gp32 dst, Gp32 src, i32 imm);
    void imul(Gp32 dst, const Mem& src, i32 imm);
    void imul(Gp32 dst, i32 imm) { imul(dst, dst, imm); }
    void cdq();

    // Shifts and rotates by an immediate (masked to 0..31 by the CPU; >31 is
    // rejected) or by cl (any other register is EmitInvalidOperand).
#define X86_SHIFT_METHODS(name)               \
    void name(Gp32 dst, u8 count);            \
    void name(Gp32 dst, Gp8 count);           \
    void name(Gp8 dst, u8 count);             \
    void name(Gp8 dst, Gp8 count);            \
    void name(const Mem& dst, u8 count);      \
    void name(const Mem& dst, Gp8 count);
    X86_SHIFT_METHODS(rol)
    X86_SHIFT_METHODS(ror)
    X86_SHIFT_METHODS(shl)
    X86_SHIFT_METHODS(shr)
    X86_SHIFT_METHODS(sar)
#undef X86_SHIFT_METHODS

    // --- conditions and control flow ----------------------------------------
    void setcc(Condition cc, Gp8 dst);
    void setcc(Condition cc, const Mem& dst);
    void cmovcc(Condition cc, Gp32 dst, Gp32 src);
    void cmovcc(Condition cc, Gp32 dst, const Mem& src);
    void jcc(Condition cc, Label target);
    void jmp(Label target);
    void jmp(Gp32 target);
    void jmp(const Mem& target);
    void call(Label target);          // rel32 to a label in this code
    void call(const void* target);    // rel32 to an absolute address (runtime helpers)
    void call_abs(u32 target);        // the same, given as an address
    void call(Gp32 target);
    void call(const Mem& target);
    void ret();
    void ret(u16 pop_bytes);

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
    void nop();
    void nop(u32 length); // the shortest run of recommended multi-byte nops (SDM Vol. 2B, NOP)
    void int3();
    void ud2();
    void rdtsc();
    void cpuid();

    // --- SSE / SSE2 -------------------------------------------------------------
    // Two-operand forms xmm, xmm/m. Scalar forms read 32 (ss) or 64 (sd) bits
    // from memory, packed forms 128 (aligned for movaps/ps arithmetic).
#define X86_SSE_RM(name)                 \
    void name(Xmm dst, Xmm src);         \
    void name(Xmm dst, const Mem& src);
    X86_SSE_RM(addss) X86_SSE_RM(subss) X86_SSE_RM(mulss) X86_SSE_RM(divss)
    X86_SSE_RM(minss) X86_SSE_RM(maxss) X86_SSE_RM(sqrtss)
    X86_SSE_RM(addps) X86_SSE_RM(subps) X86_SSE_RM(mulps) X86_SSE_RM(divps)
    X86_SSE_RM(minps) X86_SSE_RM(maxps) X86_SSE_RM(sqrtps)
    X86_SSE_RM(addsd) X86_SSE_RM(subsd) X86_SSE_RM(mulsd) X86_SSE_RM(divsd)
    X86_SSE_RM(minsd) X86_SSE_RM(maxsd) X86_SSE_RM(sqrtsd)
    X86_SSE_RM(andps) X86_SSE_RM(andnps) X86_SSE_RM(orps) X86_SSE_RM(xorps)
    X86_SSE_RM(ucomiss) X86_SSE_RM(comiss)
    X86_SSE_RM(cvtdq2ps) X86_SSE_RM(cvttps2dq) X86_SSE_RM(cvtss2sd) X86_SSE_RM(cvtsd2ss)
    X86_SSE_RM(unpcklps) X86_SSE_RM(unpckhps)
    X86_SSE_RM(paddd) X86_SSE_RM(psubd) X86_SSE_RM(pand) X86_SSE_RM(pandn) X86_SSE_RM(por) X86_SSE_RM(pxor)
    X86_SSE_RM(pcmpeqd) X86_SSE_RM(pcmpgtd)
#undef X86_SSE_RM
    // Loads, stores and register moves.
#define X86_SSE_MOVE(name)               \
    void name(Xmm dst, Xmm src);         \
    void name(Xmm dst, const Mem& src);  \
    void name(const Mem& dst, Xmm src);
    X86_SSE_MOVE(movss) X86_SSE_MOVE(movsd) X86_SSE_MOVE(movups) X86_SSE_MOVE(movaps)
    X86_SSE_MOVE(movdqu) X86_SSE_MOVE(movdqa) X86_SSE_MOVE(movq)
#undef X86_SSE_MOVE
    void movd(Xmm dst, Gp32 src);
    void movd(Xmm dst, const Mem& src);
    void movd(Gp32 dst, Xmm src);
    void movd(const Mem& dst, Xmm src);
    void movhlps(Xmm dst, Xmm src);
    void movlhps(Xmm dst, Xmm src);
    void movmskps(Gp32 dst, Xmm src);
    // Predicates 0..7: eq lt le unord neq nlt nle ord (SDM Vol. 2A, CMPPS).
    void cmpss(Xmm dst, Xmm src, u8 predicate);
    void cmpss(Xmm dst, const Mem& src, u8 predicate);
    void cmpps(Xmm dst, Xmm src, u8 predicate);
    void cmpps(Xmm dst, const Mem& src, u8 predicate);
    void shufps(Xmm dst, Xmm src, u8 control);
    void shufps(Xmm dst, const Mem& src, u8 control);
    void pshufd(Xmm dst, Xmm src, u8 control);
    void pshufd(Xmm dst, const Mem& src, u8 control);
    void pslld(Xmm dst, u8 count);
    void psrld(Xmm dst, u8 count);
    void psrad(Xmm dst, u8 count);
    void cvtsi2ss(Xmm dst, Gp32 src);
    void cvtsi2ss(Xmm dst, const Mem& src);
    void cvtsi2sd(Xmm dst, Gp32 src);
    void cvtsi2sd(Xmm dst, const Mem& src);
    void cvttss2si(Gp32 dst, Xmm src);
    void cvttss2si(Gp32 dst, const Mem& src);
    void cvttsd2si(Gp32 dst, Xmm src);
    void cvttsd2si(Gp32 dst, const Mem& src);

    // --- AVX / AVX2 / FMA (VEX), 256-bit ymm and 128-bit xmm forms -----------
    // Reported as EmitUnsupportedIsa unless allow_avx2(true).
#define X86_VEX_RVM(name)                                 \
    void name(Ymm dst, Ymm src1, Ymm src2);               \
    void name(Ymm dst, Ymm src1, const Mem& src2);        \
    void name(Xmm dst, Xmm src1, Xmm src2);               \
    void name(Xmm dst, Xmm src1, const Mem& src2);
    X86_VEX_RVM(vaddps) X86_VEX_RVM(vsubps) X86_VEX_RVM(vmulps) X86_VEX_RVM(vdivps)
    X86_VEX_RVM(vminps) X86_VEX_RVM(vmaxps)
    X86_VEX_RVM(vandps) X86_VEX_RVM(vandnps) X86_VEX_RVM(vorps) X86_VEX_RVM(vxorps)
    X86_VEX_RVM(vfmadd231ps)
#undef X86_VEX_RVM
#define X86_VEX_MOVE(name)                   \
    void name(Ymm dst, Ymm src);             \
    void name(Ymm dst, const Mem& src);      \
    void name(const Mem& dst, Ymm src);      \
    void name(Xmm dst, Xmm src);             \
    void name(Xmm dst, const Mem& src);      \
    void name(const Mem& dst, Xmm src);
    X86_VEX_MOVE(vmovups) X86_VEX_MOVE(vmovaps)
#undef X86_VEX_MOVE
    void vsqrtps(Ymm dst, Ymm src);
    void vsqrtps(Ymm dst, const Mem& src);
    void vbroadcastss(Ymm dst, const Mem& src); // AVX
    void vbroadcastss(Ymm dst, Xmm src);        // AVX2
    void vzeroupper();

    // --- internals shared by the encoder files (assembler*.cpp) -------------
    struct Site {
        u32 position;   // offset of the instruction (or 4-byte field) in the emitted code
        i32 shift;      // during finish(): how far the code before it moved
        u16 target;     // label id, or the alignment for Align
        u8 kind;        // SiteKind
        u8 length;      // current encoded length
    };
    static_assert(sizeof(Site) == 12);

private:
    friend struct Encoder;

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
        if (m_capacity - m_size >= max_instruction_length) [[likely]]
            return m_code + m_size;
        return begin_slow();
    }
    void end(u8* p)
    {
        if (p >= m_code + m_size && p <= m_code + m_capacity) [[likely]] {
            m_size = static_cast<u32>(p - m_code);
            return;
        }
        end_slow(p);
    }
    u8* begin_slow();
    void end_slow(u8* p);
    void add_site(u8 kind, u32 position, u16 target, u8 length);
    bool check_label(Label);

    u8* m_code;
    u32 m_capacity;
    u32 m_size { 0 };
    u32 m_base_address;
    Error m_error { Error::Ok };
    bool m_avx2_allowed { false };
    bool m_finished { false };
    u16 m_label_count { 0 };
    u32 m_site_count { 0 };
    u8 m_staging[16];
    u32 m_label_offset[max_labels];   // 0xFFFFFFFF until bound
    u16 m_label_sites[max_labels];    // sites recorded before the bind
    Site m_sites[max_sites];
};

} // namespace x86
