// Typed operands for the x86 emitter (microjit/x86/assembler.h).
//
// Registers, memory references and labels are small value types, so that the
// C++ overload set picks the instruction form the way an assembler's operand
// parser would: add(eax, ecx), add(eax, dword_ptr(ebx, 8)), add(eax, 5).
// Register numbers are the hardware encodings (Intel SDM Vol. 2A, 2.1.5,
// Table 2-2: eax=0 ecx=1 edx=2 ebx=3 esp=4 ebp=5 esi=6 edi=7).
#pragma once

#include <bareflow/types.h>

namespace x86 {

struct Gp32 {
    u8 id;
    constexpr bool operator==(const Gp32&) const = default;
};
struct Gp8 {
    u8 id; // al cl dl bl ah ch dh bh
    constexpr bool operator==(const Gp8&) const = default;
};
struct Xmm {
    u8 id;
    constexpr bool operator==(const Xmm&) const = default;
};
struct Ymm {
    u8 id;
    constexpr bool operator==(const Ymm&) const = default;
};

inline constexpr Gp32 eax { 0 }, ecx { 1 }, edx { 2 }, ebx { 3 }, esp { 4 }, ebp { 5 }, esi { 6 }, edi { 7 };
inline constexpr Gp8 al { 0 }, cl { 1 }, dl { 2 }, bl { 3 }, ah { 4 }, ch { 5 }, dh { 6 }, bh { 7 };
inline constexpr Xmm xmm0 { 0 }, xmm1 { 1 }, xmm2 { 2 }, xmm3 { 3 }, xmm4 { 4 }, xmm5 { 5 }, xmm6 { 6 }, xmm7 { 7 };
inline constexpr Ymm ymm0 { 0 }, ymm1 { 1 }, ymm2 { 2 }, ymm3 { 3 }, ymm4 { 4 }, ymm5 { 5 }, ymm6 { 6 }, ymm7 { 7 };

// The low byte of eax..ebx; esp..edi have no 8-bit form in 32-bit code
// (encodings 4-7 mean ah..bh), so asking for one is a programming error
// caught at compile time when constant.
constexpr Gp8 low_byte(Gp32 r) { return Gp8 { r.id }; }

// A label: a position in the code, known now or bound later. Created by
// Assembler::new_label(); an id of 0xFFFF is the "no label" value handed out
// when the label table is full (the assembler then reports EmitTooManyLabels).
struct Label {
    u16 id { 0xFFFF };
    constexpr bool is_valid() const { return id != 0xFFFF; }
};

// Condition codes in the hardware's order (Intel SDM Vol. 1, Appendix B,
// Table B-1), so Jcc = 0x70 + cc, SETcc = 0x0F 0x90 + cc, CMOVcc = 0x0F 0x40 + cc.
enum class Condition : u8 {
    O = 0, NO = 1, B = 2, AE = 3, E = 4, NE = 5, BE = 6, A = 7,
    S = 8, NS = 9, P = 10, NP = 11, L = 12, GE = 13, LE = 14, G = 15,
    // Aliases.
    C = B, NC = AE, Z = E, NZ = NE, NAE = B, NB = AE, NA = BE, NBE = A,
    PE = P, PO = NP, NGE = L, NL = GE, NG = LE, NLE = G,
};
constexpr Condition negate(Condition c) { return static_cast<Condition>(static_cast<u8>(c) ^ 1); }

// How wide a memory access is. Needed where no register says so
// (add dword [eax], 1; movzx eax, byte [ebx]); None is fine when a register
// operand fixes the width, and an error where nothing does.
// The values are bit numbers in the encoders' accepted-size masks.
enum class MemSize : u8 { None = 0, Byte = 1, Word = 2, Dword = 3, Qword = 4, Xmmword = 5, Ymmword = 6 };

inline constexpr u8 no_reg = 0xFF;

// [base + index*scale + disp], or [label + disp] (an absolute address that the
// assembler patches when the code's final layout is known).
// Construct it with ptr()/dword_ptr()/... below, not by hand.
struct Mem {
    i32 disp { 0 };
    u16 label { 0xFFFF };
    u8 base { no_reg };
    u8 index { no_reg };
    u8 scale { 1 }; // 1, 2, 4 or 8; anything else is reported as EmitInvalidOperand
    MemSize size { MemSize::None };

    constexpr bool has_base() const { return base != no_reg; }
    constexpr bool has_index() const { return index != no_reg; }
    constexpr bool has_label() const { return label != 0xFFFF; }
    constexpr Mem sized(MemSize s) const
    {
        Mem m = *this;
        m.size = s;
        return m;
    }
};

// [base + disp]
constexpr Mem ptr(Gp32 base, i32 disp = 0)
{
    Mem m;
    m.base = base.id;
    m.disp = disp;
    return m;
}
// [base + index*scale + disp]. esp cannot be an index (there is no encoding
// for it); the assembler reports EmitInvalidOperand.
constexpr Mem ptr(Gp32 base, Gp32 index, u8 scale, i32 disp = 0)
{
    Mem m;
    m.base = base.id;
    m.index = index.id;
    m.scale = scale;
    m.disp = disp;
    return m;
}
// [index*scale + disp] with no base: always a disp32. index*1 is the same
// address as [index + disp], which has the shorter encoding, so that is used.
constexpr Mem ptr_index(Gp32 index, u8 scale, i32 disp = 0)
{
    Mem m;
    if (scale == 1) {
        m.base = index.id;
    } else {
        m.index = index.id;
        m.scale = scale;
    }
    m.disp = disp;
    return m;
}
// [address]: an absolute disp32.
constexpr Mem ptr_abs(u32 address)
{
    Mem m;
    m.disp = static_cast<i32>(address);
    return m;
}
// [label + disp]: the absolute run-time address of a label (constants placed
// after the code, jump tables). Patched by Assembler::finish().
constexpr Mem ptr(Label label, i32 disp = 0)
{
    Mem m;
    m.label = label.id;
    m.disp = disp;
    return m;
}

// Sized forms: byte_ptr(eax, 4) is nasm's `byte [eax+4]`, and so on.
#define X86_SIZED_PTR(name, msize)                                                                     \
    constexpr Mem name(Gp32 base, i32 disp = 0) { return ptr(base, disp).sized(msize); }               \
    constexpr Mem name(Gp32 base, Gp32 index, u8 scale, i32 disp = 0)                                  \
    {                                                                                                  \
        return ptr(base, index, scale, disp).sized(msize);                                             \
    }                                                                                                  \
    constexpr Mem name##_index(Gp32 index, u8 scale, i32 disp = 0) { return ptr_index(index, scale, disp).sized(msize); } \
    constexpr Mem name##_abs(u32 address) { return ptr_abs(address).sized(msize); }                    \
    constexpr Mem name(Label label, i32 disp = 0) { return ptr(label, disp).sized(msize); }
X86_SIZED_PTR(byte_ptr, MemSize::Byte)
X86_SIZED_PTR(word_ptr, MemSize::Word)
X86_SIZED_PTR(dword_ptr, MemSize::Dword)
X86_SIZED_PTR(qword_ptr, MemSize::Qword)
X86_SIZED_PTR(xmmword_ptr, MemSize::Xmmword)
X86_SIZED_PTR(ymmword_ptr, MemSize::Ymmword)
#undef X86_SIZED_PTR

} // namespace x86
