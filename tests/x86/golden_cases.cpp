// Enumerates the golden cases: each instruction form of the emitter crossed
// with operand sets that hit every encoding corner.
//   - all 8 GPRs (32- and 8-bit), all 8 XMM and YMM registers;
//   - addressing: every base; esp as a base (needs SIB); ebp as a base
//     (needs disp8 0); no base (disp32); disp8 at -128/127 and disp32 just
//     past them; index*1/2/4/8 with every index; absolute addresses;
//   - immediates at the imm8/imm32 boundaries -129 -128 127 128, and the
//     extremes;
//   - jumps at the rel8/rel32 boundaries, forward and backward.
// The text is what nasm assembles (`bits 32`); tools/gen_x86_vectors.py
// feeds it to nasm. `nosplit` keeps nasm from rewriting [reg*2] as
// [reg+reg], which would be a different (if shorter) instruction.
#include "golden_cases.h"

#include <microjit/x86/assembler.h>

#include <cstdio>

using namespace x86;

namespace {

const char* const gp32_names[] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
const char* const gp8_names[] = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };

std::string name(Gp32 r) { return gp32_names[r.id]; }
std::string name(Gp8 r) { return gp8_names[r.id]; }
std::string name(Xmm r) { return "xmm" + std::to_string(r.id); }
std::string name(Ymm r) { return "ymm" + std::to_string(r.id); }

std::string hex(i64 v)
{
    char buffer[32];
    if (v < 0)
        std::snprintf(buffer, sizeof(buffer), "-0x%llx", static_cast<unsigned long long>(-v));
    else
        std::snprintf(buffer, sizeof(buffer), "0x%llx", static_cast<unsigned long long>(v));
    return buffer;
}

std::string name(const Mem& m)
{
    std::string s;
    switch (m.size) {
    case MemSize::Byte: s = "byte "; break;
    case MemSize::Word: s = "word "; break;
    case MemSize::Dword: s = "dword "; break;
    case MemSize::Qword: s = "qword "; break;
    case MemSize::Xmmword: s = "oword "; break;
    case MemSize::Ymmword: s = "yword "; break;
    default: break;
    }
    s += "[";
    if (!m.has_base() && !m.has_index())
        return s + hex(static_cast<u32>(m.disp)) + "]";
    if (!m.has_base())
        s += "nosplit ";
    if (m.has_base())
        s += gp32_names[m.base];
    if (m.has_index()) {
        if (m.has_base())
            s += "+";
        s += gp32_names[m.index];
        s += "*" + std::to_string(m.scale);
    }
    if (m.disp != 0)
        s += (m.disp > 0 ? "+" : "") + hex(m.disp);
    return s + "]";
}

std::string name(i32 imm) { return hex(imm); }

constexpr Gp32 gp32s[] = { eax, ecx, edx, ebx, esp, ebp, esi, edi };
constexpr Gp8 gp8s[] = { al, cl, dl, bl, ah, ch, dh, bh };
constexpr Xmm xmms[] = { xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7 };
constexpr Ymm ymms[] = { ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7 };

// Every addressing corner once (23 operands).
std::vector<Mem> representative_mems()
{
    return {
        ptr(eax), ptr(ecx, 1), ptr(esp), ptr(esp, 4), ptr(ebp), ptr(ebp, -4),
        ptr(edx, 127), ptr(ebx, -128), ptr(esi, 128), ptr(edi, -129), ptr(eax, 0x12345678),
        ptr(esp, ebp, 1), ptr(eax, ecx, 2, 8), ptr(ebx, edx, 4, 0x100), ptr(ebp, esi, 8),
        ptr(esp, eax, 4, -0x80), ptr(ecx, edi, 1, -0x81), ptr(edi, ebx, 8, 0x7f),
        ptr_index(ecx, 4, 0x10), ptr_index(edi, 8), ptr_index(eax, 2, -4), ptr_abs(0x1000), ptr_abs(0xdeadbeef),
    };
}

// The exhaustive set: every base with every displacement class, every
// base x index x scale, every index without a base (about 800 operands).
std::vector<Mem> all_mems()
{
    std::vector<Mem> mems;
    for (i32 disp : { 0, 1, -1, 127, -128, 128, -129, 0x12345678 })
        for (Gp32 base : gp32s)
            mems.push_back(ptr(base, disp));
    for (Gp32 base : gp32s)
        for (Gp32 index : gp32s)
            if (index != esp)
                for (u8 scale : { 1, 2, 4, 8 })
                    for (i32 disp : { 0, 0x7f, 0x80 })
                        mems.push_back(ptr(base, index, scale, disp));
    for (Gp32 index : gp32s)
        if (index != esp)
            for (u8 scale : { 2, 4, 8 })
                for (i32 disp : { 0, 0x10, -0x80 })
                    mems.push_back(ptr_index(index, scale, disp));
    for (u32 address : { 0x0u, 0x7fu, 0x80000000u })
        mems.push_back(ptr_abs(address));
    return mems;
}

const i32 imm32s[] = { 0, 1, -1, 127, 128, -128, -129, 0x7fffffff, static_cast<i32>(0x80000000), 0x12345678 };
const i32 imm8s[] = { 0, 1, -1, 127, -128, 255, 0x80 };

class Builder {
public:
    explicit Builder(bool check_one_byte_short) : m_check_one_byte_short(check_one_byte_short) { }

    template<typename Emit>
    void add(std::string text, Emit emit)
    {
        u8 buffer[2048];
        Assembler a(buffer, sizeof(buffer));
        a.set_base_address(0);
        a.allow_avx2(true);
        emit(a);
        usize needed = a.size();
        GoldenCase c;
        c.text = std::move(text);
        auto size = a.finish();
        if (size.is_error())
            c.error = size.error();
        else
            c.bytes.assign(buffer, buffer + size.value());
        if (m_check_one_byte_short && needed > 0) {
            constexpr u8 guard = 0xA5;
            u8 small[2048 + 64];
            for (auto& byte : small)
                byte = guard;
            Assembler s(small, needed - 1);
            s.set_base_address(0);
            s.allow_avx2(true);
            emit(s);
            auto result = s.finish();
            c.one_short_error = result.is_error() ? result.error() : Error::Ok;
            for (usize i = needed - 1; i < sizeof(small); ++i)
                c.one_short_guard_intact &= small[i] == guard;
        }
        m_cases.push_back(std::move(c));
    }
    std::vector<GoldenCase> take() { return std::move(m_cases); }

private:
    bool m_check_one_byte_short;
    std::vector<GoldenCase> m_cases;
};

#define EMIT(...) [&](Assembler& a) { a.__VA_ARGS__; }

void general_purpose(Builder& b)
{
    auto mems = representative_mems();
    auto every_mem = all_mems();

#define ALU(method, mnemonic)                                                                                  \
    for (Gp32 d : gp32s)                                                                                       \
        for (Gp32 s : gp32s)                                                                                   \
            b.add(mnemonic " " + name(d) + ", " + name(s), EMIT(method(d, s)));                                \
    for (Gp32 r : gp32s)                                                                                       \
        for (const Mem& m : mems) {                                                                            \
            b.add(mnemonic " " + name(r) + ", " + name(m), EMIT(method(r, m)));                                \
            b.add(mnemonic " " + name(m) + ", " + name(r), EMIT(method(m, r)));                                \
        }                                                                                                      \
    for (Gp32 r : gp32s)                                                                                       \
        for (i32 imm : imm32s)                                                                                 \
            b.add(mnemonic " " + name(r) + ", " + name(imm), EMIT(method(r, imm)));                            \
    for (const Mem& m : mems)                                                                                  \
        for (i32 imm : { 1, -128, 127, 128, -129, 0x12345678 }) {                                              \
            b.add(mnemonic " " + name(m.sized(MemSize::Dword)) + ", " + name(imm), EMIT(method(m.sized(MemSize::Dword), imm))); \
        }                                                                                                      \
    for (const Mem& m : mems)                                                                                  \
        b.add(mnemonic " " + name(m.sized(MemSize::Byte)) + ", 0x7f", EMIT(method(m.sized(MemSize::Byte), 0x7f))); \
    for (Gp8 d : gp8s)                                                                                         \
        for (Gp8 s : gp8s)                                                                                     \
            b.add(mnemonic " " + name(d) + ", " + name(s), EMIT(method(d, s)));                                \
    for (Gp8 r : gp8s) {                                                                                       \
        for (i32 imm : imm8s)                                                                                  \
            b.add(mnemonic " " + name(r) + ", " + name(imm), EMIT(method(r, imm)));                            \
        for (const Mem& m : mems) {                                                                            \
            b.add(mnemonic " " + name(r) + ", " + name(m), EMIT(method(r, m)));                                \
            b.add(mnemonic " " + name(m) + ", " + name(r), EMIT(method(m, r)));                                \
        }                                                                                                      \
    }
    ALU(add, "add")
    ALU(or_, "or")
    ALU(adc, "adc")
    ALU(sbb, "sbb")
    ALU(and_, "and")
    ALU(sub, "sub")
    ALU(xor_, "xor")
    ALU(cmp, "cmp")
#undef ALU

    // mov: every form, and the exhaustive addressing set.
    for (Gp32 d : gp32s)
        for (Gp32 s : gp32s)
            b.add("mov " + name(d) + ", " + name(s), EMIT(mov(d, s)));
    for (const Mem& m : every_mem) {
        b.add("mov ecx, " + name(m), EMIT(mov(ecx, m)));
        b.add("lea edx, " + name(m), EMIT(lea(edx, m)));
    }
    for (Gp32 r : gp32s)
        for (const Mem& m : mems) {
            b.add("mov " + name(r) + ", " + name(m), EMIT(mov(r, m)));
            b.add("mov " + name(m) + ", " + name(r), EMIT(mov(m, r)));
            b.add("lea " + name(r) + ", " + name(m), EMIT(lea(r, m)));
        }
    for (Gp32 r : gp32s)
        for (i32 imm : imm32s)
            b.add("mov " + name(r) + ", " + name(imm), EMIT(mov(r, imm)));
    for (const Mem& m : mems) {
        for (i32 imm : { 0, -1, 0x12345678 })
            b.add("mov " + name(m.sized(MemSize::Dword)) + ", " + name(imm), EMIT(mov(m.sized(MemSize::Dword), imm)));
        b.add("mov " + name(m.sized(MemSize::Byte)) + ", 0x80", EMIT(mov(m.sized(MemSize::Byte), 0x80)));
    }
    for (Gp8 d : gp8s) {
        for (Gp8 s : gp8s)
            b.add("mov " + name(d) + ", " + name(s), EMIT(mov(d, s)));
        for (i32 imm : imm8s)
            b.add("mov " + name(d) + ", " + name(imm), EMIT(mov(d, imm)));
        for (const Mem& m : mems) {
            b.add("mov " + name(d) + ", " + name(m), EMIT(mov(d, m)));
            b.add("mov " + name(m) + ", " + name(d), EMIT(mov(m, d)));
        }
    }

    // movzx / movsx, xchg, push, pop.
    for (Gp32 d : gp32s) {
        for (Gp8 s : gp8s) {
            b.add("movzx " + name(d) + ", " + name(s), EMIT(movzx(d, s)));
            b.add("movsx " + name(d) + ", " + name(s), EMIT(movsx(d, s)));
        }
        for (const Mem& m : mems)
            for (MemSize size : { MemSize::Byte, MemSize::Word }) {
                b.add("movzx " + name(d) + ", " + name(m.sized(size)), EMIT(movzx(d, m.sized(size))));
                b.add("movsx " + name(d) + ", " + name(m.sized(size)), EMIT(movsx(d, m.sized(size))));
            }
        for (Gp32 s : gp32s)
            b.add("xchg " + name(d) + ", " + name(s), EMIT(xchg(d, s)));
        for (const Mem& m : mems) {
            b.add("xchg " + name(m) + ", " + name(d), EMIT(xchg(m, d)));
            b.add("xchg " + name(d) + ", " + name(m), EMIT(xchg(d, m)));
        }
        b.add("push " + name(d), EMIT(push(d)));
        b.add("pop " + name(d), EMIT(pop(d)));
    }
    for (const Mem& m : mems) {
        b.add("push " + name(m.sized(MemSize::Dword)), EMIT(push(m.sized(MemSize::Dword))));
        b.add("pop " + name(m.sized(MemSize::Dword)), EMIT(pop(m.sized(MemSize::Dword))));
    }
    for (i32 imm : imm32s)
        b.add("push " + name(imm), EMIT(push(imm)));

    // test.
    for (Gp32 d : gp32s) {
        for (Gp32 s : gp32s)
            b.add("test " + name(d) + ", " + name(s), EMIT(test(d, s)));
        for (const Mem& m : mems)
            b.add("test " + name(m) + ", " + name(d), EMIT(test(m, d)));
        for (i32 imm : imm32s)
            b.add("test " + name(d) + ", " + name(imm), EMIT(test(d, imm)));
    }
    for (Gp8 d : gp8s) {
        for (Gp8 s : gp8s)
            b.add("test " + name(d) + ", " + name(s), EMIT(test(d, s)));
        for (i32 imm : imm8s)
            b.add("test " + name(d) + ", " + name(imm), EMIT(test(d, imm)));
    }
    for (const Mem& m : mems) {
        b.add("test " + name(m.sized(MemSize::Dword)) + ", 0x80", EMIT(test(m.sized(MemSize::Dword), 0x80)));
        b.add("test " + name(m.sized(MemSize::Byte)) + ", 0x80", EMIT(test(m.sized(MemSize::Byte), 0x80)));
    }

    // One-operand groups.
#define UNARY(method, mnemonic)                                                                          \
    for (Gp32 r : gp32s)                                                                                 \
        b.add(mnemonic " " + name(r), EMIT(method(r)));                                                  \
    for (Gp8 r : gp8s)                                                                                   \
        b.add(mnemonic " " + name(r), EMIT(method(r)));                                                  \
    for (const Mem& m : mems)                                                                            \
        for (MemSize size : { MemSize::Byte, MemSize::Dword })                                           \
            b.add(mnemonic " " + name(m.sized(size)), EMIT(method(m.sized(size))));
    UNARY(inc, "inc")
    UNARY(dec, "dec")
    UNARY(neg, "neg")
    UNARY(not_, "not")
    UNARY(mul, "mul")
    UNARY(imul, "imul")
    UNARY(div, "div")
    UNARY(idiv, "idiv")
#undef UNARY
    b.add("cdq", EMIT(cdq()));

    // imul, two and three operands.
    for (Gp32 d : gp32s) {
        for (Gp32 s : gp32s) {
            b.add("imul " + name(d) + ", " + name(s), EMIT(imul(d, s)));
            for (i32 imm : { 3, -128, 127, 128, -129, 0x12345678 })
                b.add("imul " + name(d) + ", " + name(s) + ", " + name(imm), EMIT(imul(d, s, imm)));
        }
        for (const Mem& m : mems) {
            b.add("imul " + name(d) + ", " + name(m), EMIT(imul(d, m)));
            b.add("imul " + name(d) + ", " + name(m) + ", 0x7f", EMIT(imul(d, m, 0x7f)));
            b.add("imul " + name(d) + ", " + name(m) + ", 0x80", EMIT(imul(d, m, 0x80)));
        }
    }

    // Shifts and rotates.
#define SHIFT(method, mnemonic)                                                                                  \
    for (Gp32 r : gp32s) {                                                                                       \
        for (u8 count : { 1, 2, 31 })                                                                            \
            b.add(mnemonic " " + name(r) + ", " + std::to_string(count), EMIT(method(r, count)));                \
        b.add(mnemonic " " + name(r) + ", cl", EMIT(method(r, cl)));                                             \
    }                                                                                                            \
    for (Gp8 r : gp8s) {                                                                                         \
        for (u8 count : { 1, 7 })                                                                                \
            b.add(mnemonic " " + name(r) + ", " + std::to_string(count), EMIT(method(r, count)));                \
        b.add(mnemonic " " + name(r) + ", cl", EMIT(method(r, cl)));                                             \
    }                                                                                                            \
    for (const Mem& m : mems)                                                                                    \
        for (MemSize size : { MemSize::Byte, MemSize::Dword }) {                                                 \
            b.add(mnemonic " " + name(m.sized(size)) + ", 1", EMIT(method(m.sized(size), u8(1))));                \
            b.add(mnemonic " " + name(m.sized(size)) + ", 5", EMIT(method(m.sized(size), u8(5))));                \
            b.add(mnemonic " " + name(m.sized(size)) + ", cl", EMIT(method(m.sized(size), cl)));                 \
        }
    SHIFT(shl, "shl")
    SHIFT(shr, "shr")
    SHIFT(sar, "sar")
    SHIFT(rol, "rol")
    SHIFT(ror, "ror")
#undef SHIFT

    // setcc, cmovcc.
    static const char* const cc_names[] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                            "s", "ns", "p", "np", "l", "ge", "le", "g" };
    for (u8 cc = 0; cc < 16; ++cc) {
        auto c = static_cast<Condition>(cc);
        std::string n = cc_names[cc];
        for (Gp8 r : gp8s)
            b.add("set" + n + " " + name(r), EMIT(setcc(c, r)));
        for (const Mem& m : mems)
            b.add("set" + n + " " + name(m.sized(MemSize::Byte)), EMIT(setcc(c, m.sized(MemSize::Byte))));
        for (Gp32 d : gp32s) {
            for (Gp32 s : gp32s)
                b.add("cmov" + n + " " + name(d) + ", " + name(s), EMIT(cmovcc(c, d, s)));
        }
        for (const Mem& m : mems)
            b.add("cmov" + n + " esi, " + name(m), EMIT(cmovcc(c, esi, m)));
    }

    // Indirect jumps and calls, ret, and the fixed instructions.
    for (Gp32 r : gp32s) {
        b.add("jmp " + name(r), EMIT(jmp(r)));
        b.add("call " + name(r), EMIT(call(r)));
    }
    for (const Mem& m : mems) {
        b.add("jmp " + name(m.sized(MemSize::Dword)), EMIT(jmp(m.sized(MemSize::Dword))));
        b.add("call " + name(m.sized(MemSize::Dword)), EMIT(call(m.sized(MemSize::Dword))));
    }
    b.add("ret", EMIT(ret()));
    b.add("ret 0x8", EMIT(ret(8)));
    b.add("ret 0xffff", EMIT(ret(0xffff)));
    b.add("nop", EMIT(nop()));
    b.add("int3", EMIT(int3()));
    b.add("ud2", EMIT(ud2()));
    b.add("rdtsc", EMIT(rdtsc()));
    b.add("cpuid", EMIT(cpuid()));
}

void sse(Builder& b)
{
    auto mems = representative_mems();

#define SSE_RM(method)                                                                                      \
    for (Xmm d : xmms) {                                                                                    \
        for (Xmm s : xmms)                                                                                  \
            b.add(#method " " + name(d) + ", " + name(s), EMIT(method(d, s)));                              \
    }                                                                                                       \
    for (const Mem& m : mems)                                                                               \
        for (Xmm d : { xmm0, xmm5 })                                                                        \
            b.add(#method " " + name(d) + ", " + name(m), EMIT(method(d, m)));
    SSE_RM(addss) SSE_RM(subss) SSE_RM(mulss) SSE_RM(divss) SSE_RM(minss) SSE_RM(maxss) SSE_RM(sqrtss)
    SSE_RM(addps) SSE_RM(subps) SSE_RM(mulps) SSE_RM(divps) SSE_RM(minps) SSE_RM(maxps) SSE_RM(sqrtps)
    SSE_RM(addsd) SSE_RM(subsd) SSE_RM(mulsd) SSE_RM(divsd) SSE_RM(minsd) SSE_RM(maxsd) SSE_RM(sqrtsd)
    SSE_RM(andps) SSE_RM(andnps) SSE_RM(orps) SSE_RM(xorps) SSE_RM(ucomiss) SSE_RM(comiss)
    SSE_RM(cvtdq2ps) SSE_RM(cvttps2dq) SSE_RM(cvtss2sd) SSE_RM(cvtsd2ss) SSE_RM(unpcklps) SSE_RM(unpckhps)
    SSE_RM(paddd) SSE_RM(psubd) SSE_RM(pand) SSE_RM(pandn) SSE_RM(por) SSE_RM(pxor) SSE_RM(pcmpeqd) SSE_RM(pcmpgtd)
#undef SSE_RM

#define SSE_MOVE(method)                                                                                    \
    for (Xmm d : xmms)                                                                                      \
        for (Xmm s : xmms)                                                                                  \
            b.add(#method " " + name(d) + ", " + name(s), EMIT(method(d, s)));                              \
    for (const Mem& m : mems)                                                                               \
        for (Xmm r : { xmm1, xmm7 }) {                                                                      \
            b.add(#method " " + name(r) + ", " + name(m), EMIT(method(r, m)));                              \
            b.add(#method " " + name(m) + ", " + name(r), EMIT(method(m, r)));                              \
        }
    SSE_MOVE(movss) SSE_MOVE(movsd) SSE_MOVE(movups) SSE_MOVE(movaps) SSE_MOVE(movdqu) SSE_MOVE(movdqa) SSE_MOVE(movq)
#undef SSE_MOVE

    for (Xmm x : xmms) {
        for (Gp32 r : gp32s) {
            b.add("movd " + name(x) + ", " + name(r), EMIT(movd(x, r)));
            b.add("movd " + name(r) + ", " + name(x), EMIT(movd(r, x)));
            b.add("cvtsi2ss " + name(x) + ", " + name(r), EMIT(cvtsi2ss(x, r)));
            b.add("cvtsi2sd " + name(x) + ", " + name(r), EMIT(cvtsi2sd(x, r)));
            b.add("cvttss2si " + name(r) + ", " + name(x), EMIT(cvttss2si(r, x)));
            b.add("cvttsd2si " + name(r) + ", " + name(x), EMIT(cvttsd2si(r, x)));
            b.add("movmskps " + name(r) + ", " + name(x), EMIT(movmskps(r, x)));
        }
        for (Xmm y : xmms) {
            b.add("movhlps " + name(x) + ", " + name(y), EMIT(movhlps(x, y)));
            b.add("movlhps " + name(x) + ", " + name(y), EMIT(movlhps(x, y)));
            for (u8 control : { 0x00, 0x1b, 0xff }) {
                b.add("shufps " + name(x) + ", " + name(y) + ", " + name(control), EMIT(shufps(x, y, control)));
                b.add("pshufd " + name(x) + ", " + name(y) + ", " + name(control), EMIT(pshufd(x, y, control)));
            }
            for (u8 predicate = 0; predicate < 8; ++predicate) {
                b.add("cmpss " + name(x) + ", " + name(y) + ", " + std::to_string(predicate), EMIT(cmpss(x, y, predicate)));
                b.add("cmpps " + name(x) + ", " + name(y) + ", " + std::to_string(predicate), EMIT(cmpps(x, y, predicate)));
            }
        }
        for (u8 count : { 0, 1, 31, 32 }) {
            b.add("pslld " + name(x) + ", " + std::to_string(count), EMIT(pslld(x, count)));
            b.add("psrld " + name(x) + ", " + std::to_string(count), EMIT(psrld(x, count)));
            b.add("psrad " + name(x) + ", " + std::to_string(count), EMIT(psrad(x, count)));
        }
    }
    for (const Mem& m : mems) {
        Mem d = m.sized(MemSize::Dword);
        b.add("movd xmm3, " + name(d), EMIT(movd(xmm3, d)));
        b.add("movd " + name(d) + ", xmm3", EMIT(movd(d, xmm3)));
        b.add("cvtsi2ss xmm6, " + name(d), EMIT(cvtsi2ss(xmm6, d)));
        b.add("cvtsi2sd xmm6, " + name(d), EMIT(cvtsi2sd(xmm6, d)));
        b.add("cvttss2si edi, " + name(d), EMIT(cvttss2si(edi, d)));
        b.add("cvttsd2si edi, " + name(m.sized(MemSize::Qword)), EMIT(cvttsd2si(edi, m.sized(MemSize::Qword))));
        b.add("shufps xmm2, " + name(m) + ", 0x44", EMIT(shufps(xmm2, m, 0x44)));
        b.add("pshufd xmm2, " + name(m) + ", 0x44", EMIT(pshufd(xmm2, m, 0x44)));
        b.add("cmpss xmm4, " + name(m) + ", 2", EMIT(cmpss(xmm4, m, 2)));
        b.add("cmpps xmm4, " + name(m) + ", 5", EMIT(cmpps(xmm4, m, 5)));
    }
}

void avx(Builder& b)
{
    auto mems = representative_mems();
#define VEX_RVM(method)                                                                                         \
    for (Ymm d : ymms)                                                                                          \
        for (Ymm s : ymms) {                                                                                    \
            b.add(#method " " + name(d) + ", " + name(s) + ", " + name(ymms[7 - d.id]), EMIT(method(d, s, ymms[7 - d.id]))); \
            b.add(#method " " + name(xmms[d.id]) + ", " + name(xmms[s.id]) + ", " + name(xmms[(d.id + 3) & 7]),  \
                  EMIT(method(xmms[d.id], xmms[s.id], xmms[(d.id + 3) & 7])));                                   \
        }                                                                                                       \
    for (const Mem& m : mems) {                                                                                 \
        b.add(#method " ymm1, ymm6, " + name(m), EMIT(method(ymm1, ymm6, m)));                                  \
        b.add(#method " xmm7, xmm0, " + name(m), EMIT(method(xmm7, xmm0, m)));                                  \
    }
    VEX_RVM(vaddps) VEX_RVM(vsubps) VEX_RVM(vmulps) VEX_RVM(vdivps) VEX_RVM(vminps) VEX_RVM(vmaxps)
    VEX_RVM(vandps) VEX_RVM(vandnps) VEX_RVM(vorps) VEX_RVM(vxorps) VEX_RVM(vfmadd231ps)
#undef VEX_RVM
#define VEX_MOVE(method)                                                                                     \
    for (Ymm d : ymms)                                                                                       \
        for (Ymm s : ymms) {                                                                                 \
            b.add(#method " " + name(d) + ", " + name(s), EMIT(method(d, s)));                               \
            b.add(#method " " + name(xmms[d.id]) + ", " + name(xmms[s.id]), EMIT(method(xmms[d.id], xmms[s.id]))); \
        }                                                                                                    \
    for (const Mem& m : mems) {                                                                              \
        b.add(#method " ymm2, " + name(m), EMIT(method(ymm2, m)));                                           \
        b.add(#method " " + name(m) + ", ymm5", EMIT(method(m, ymm5)));                                      \
        b.add(#method " xmm2, " + name(m), EMIT(method(xmm2, m)));                                           \
        b.add(#method " " + name(m) + ", xmm5", EMIT(method(m, xmm5)));                                      \
    }
    VEX_MOVE(vmovups) VEX_MOVE(vmovaps)
#undef VEX_MOVE
    for (Ymm d : ymms) {
        for (Ymm s : ymms)
            b.add("vsqrtps " + name(d) + ", " + name(s), EMIT(vsqrtps(d, s)));
        for (Xmm s : xmms)
            b.add("vbroadcastss " + name(d) + ", " + name(s), EMIT(vbroadcastss(d, s)));
        for (Xmm x : xmms)
            for (u8 half : { 0, 1 })
                b.add("vextractf128 " + name(x) + ", " + name(d) + ", " + std::to_string(half), EMIT(vextractf128(x, d, half)));
    }
    for (const Mem& m : mems) {
        b.add("vsqrtps ymm3, " + name(m), EMIT(vsqrtps(ymm3, m)));
        b.add("vbroadcastss ymm4, " + name(m.sized(MemSize::Dword)), EMIT(vbroadcastss(ymm4, m.sized(MemSize::Dword))));
    }
    b.add("vzeroupper", EMIT(vzeroupper()));
}

// Jumps and calls to labels at the rel8/rel32 boundaries. `times n nop`
// puts n one-byte nops between the jump and its target.
void labels(Builder& b)
{
    static const char* const cc_names[] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                            "s", "ns", "p", "np", "l", "ge", "le", "g" };
    auto nops = [](Assembler& a, int n) {
        for (int i = 0; i < n; ++i)
            a.nop();
    };
    auto times = [](int n) { return n == 0 ? std::string() : "times " + std::to_string(n) + " nop; "; };
    for (int k = 0; k <= 16; ++k) {
        std::string mnemonic = k == 16 ? "jmp" : "j" + std::string(cc_names[k]);
        auto jump = [k](Assembler& a, Label l) {
            if (k == 16)
                a.jmp(l);
            else
                a.jcc(static_cast<Condition>(k), l);
        };
        // Forward: rel8 reaches 127 bytes past the jump.
        for (int n : { 0, 1, 126, 127, 128, 129, 300 }) {
            b.add(mnemonic + " .L; " + times(n) + ".L:", [&](Assembler& a) {
                Label l = a.new_label();
                jump(a, l);
                nops(a, n);
                a.bind(l);
            });
        }
        // Backward: rel8 reaches 128 bytes before the jump's end.
        for (int n : { 0, 1, 125, 126, 127, 128, 300 }) {
            b.add(".L: " + times(n) + mnemonic + " .L", [&](Assembler& a) {
                Label l = a.new_label();
                a.bind(l);
                nops(a, n);
                jump(a, l);
            });
        }
    }
    // Calls to labels are always rel32; calls to absolute addresses too.
    for (int n : { 0, 5, 200 }) {
        b.add("call .L; " + times(n) + ".L:", [&](Assembler& a) {
            Label l = a.new_label();
            a.call(l);
            nops(a, n);
            a.bind(l);
        });
        b.add(".L: " + times(n) + "call .L", [&](Assembler& a) {
            Label l = a.new_label();
            a.bind(l);
            nops(a, n);
            a.call(l);
        });
    }
    // With the code at address 0, `call $+T` is a call to absolute address T.
    for (u32 target : { 0x5u, 0x1000u, 0x12345678u, 0x7ffffff0u })
        b.add("call $+" + hex(target), [&](Assembler& a) { a.call_abs(target); });
    // Two jumps that fit in rel8 only if both are short (each one's distance
    // spans the other): sizing must find the layout with both short.
    b.add(".L: times 64 nop; jmp .M; times 60 nop; jne .L; times 63 nop; .M:", [&](Assembler& a) {
        Label l = a.new_label(), m = a.new_label();
        a.bind(l);
        nops(a, 64);
        a.jmp(m);
        nops(a, 60);
        a.jne(l);
        nops(a, 63);
        a.bind(m);
    });
    // The same with one byte more in the middle: now both must be rel32.
    b.add(".L: times 64 nop; jmp .M; times 61 nop; jne .L; times 63 nop; .M:", [&](Assembler& a) {
        Label l = a.new_label(), m = a.new_label();
        a.bind(l);
        nops(a, 64);
        a.jmp(m);
        nops(a, 61);
        a.jne(l);
        nops(a, 63);
        a.bind(m);
    });
    // Two jumps whose sizes depend on each other: both shrink together.
    b.add("jmp .A; times 60 nop; jne .B; times 60 nop; .A: times 60 nop; .B:", [&](Assembler& a) {
        Label la = a.new_label(), lb = a.new_label();
        a.jmp(la);
        nops(a, 60);
        a.jne(lb);
        nops(a, 60);
        a.bind(la);
        nops(a, 60);
        a.bind(lb);
    });
}

// The recommended multi-byte nops, lengths 1 to 9 and longer runs of them.
void nops(Builder& b)
{
    static const char* const texts[] = {
        "nop",
        "o16 nop",
        "nop dword [eax]",
        "nop dword [byte eax+0x0]",
        "nop dword [byte eax+eax*1+0x0]",
        "nop word [byte eax+eax*1+0x0]",
        "nop dword [dword eax+0x0]",
        "nop dword [dword eax+eax*1+0x0]",
        "nop word [dword eax+eax*1+0x0]",
    };
    auto nop_text = [](u32 n) {
        std::string text;
        for (u32 left = n; left > 0;) {
            u32 chunk = left > 9 ? 9 : left;
            text += (text.empty() ? "" : "; ") + std::string(texts[chunk - 1]);
            left -= chunk;
        }
        return text;
    };
    for (u32 n = 1; n <= 20; ++n)
        b.add(nop_text(n), [&](Assembler& a) { a.nop(n); });
    // align(16) after k bytes of code pads with the same nops; after a jump
    // that shrinks from 5 bytes to 2, the padding is recomputed (3 more).
    for (u32 k = 1; k <= 16; ++k) {
        std::string text = "times " + std::to_string(k) + " int3";
        u32 padding = (16 - k % 16) % 16;
        if (padding)
            text += "; " + nop_text(padding);
        b.add(text, [&](Assembler& a) {
            for (u32 i = 0; i < k; ++i)
                a.int3();
            a.align(16);
        });
    }
    for (u32 k : { 1u, 9u, 14u }) {
        u32 padding = (16 - (k + 2) % 16) % 16;
        std::string text = "jmp .L; times " + std::to_string(k) + " int3; " + (padding ? nop_text(padding) + "; " : "") + ".L: ret";
        b.add(text, [&](Assembler& a) {
            Label l = a.new_label();
            a.jmp(l);
            for (u32 i = 0; i < k; ++i)
                a.int3();
            a.align(16);
            a.bind(l);
            a.ret();
        });
    }
}

} // namespace

std::vector<GoldenCase> make_golden_cases(bool check_one_byte_short)
{
    Builder b(check_one_byte_short);
    general_purpose(b);
    sse(b);
    avx(b);
    labels(b);
    nops(b);
    return b.take();
}

// None at present: for every case the emitter writes exactly nasm's bytes.
// An entry would read { "text of the case", "why our encoding differs" }.
const GoldenDeviation golden_deviations[] = {
    { "", "" }, // placeholder, not counted
};
const usize golden_deviation_count = 0;
