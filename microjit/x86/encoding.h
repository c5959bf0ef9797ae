// Internal to microjit/x86: the byte-level encoding helpers that the
// assembler_*.cpp files share. Not part of the emitter's API.
//
// An instruction is [mandatory prefix] opcode ModRM [SIB] [disp] [imm]
// (Intel SDM Vol. 2A, 2.1, Figure 2-1). Opcodes are passed packed in a u32:
// bytes in emission order from the low end, the count in the top byte, so
// that a constexpr table row can hold "66 0F FE" as one value.
#pragma once

#include <microjit/x86/assembler.h>

namespace x86 {

enum SiteKind : u8 {
    SiteJmp = 0,      // E9 rel32, may shrink to EB rel8
    SiteJcc = 1,      // 0F 8x rel32, may shrink to 7x rel8
    SiteCallLabel = 2, // E8 rel32 to a label
    SiteCallAbs = 3,  // E8 rel32 to an absolute address held in the rel32 field until finish()
    SiteAbsLabel = 4, // a 4-byte field: label address + the addend held in the field
    SiteAlignNop = 5, // padding to `target` bytes, executed
    SiteAlignInt3 = 6, // padding to `target` bytes, never executed
    SiteKindMask = 0x0F,
};

constexpr u32 op1(u32 a) { return (1u << 24) | a; }
constexpr u32 op2(u32 a, u32 b) { return (2u << 24) | (b << 8) | a; }

constexpr bool fits_i8(i32 v) { return v >= -128 && v <= 127; }
constexpr u8 modrm(u8 mod, u8 reg, u8 rm) { return static_cast<u8>((mod << 6) | ((reg & 7) << 3) | (rm & 7)); }

inline u8* put_op(u8* p, u32 op)
{
    // begin() guarantees 15 writable bytes, so storing three is always safe.
    p[0] = static_cast<u8>(op);
    p[1] = static_cast<u8>(op >> 8);
    p[2] = static_cast<u8>(op >> 16);
    return p + (op >> 24);
}
inline u8* put8(u8* p, u32 v)
{
    *p = static_cast<u8>(v);
    return p + 1;
}
inline u8* put16(u8* p, u32 v)
{
    p[0] = static_cast<u8>(v);
    p[1] = static_cast<u8>(v >> 8);
    return p + 2;
}
inline u8* put32(u8* p, u32 v)
{
    __builtin_memcpy(p, &v, 4);
    return p + 4;
}
inline u32 get32(const u8* p)
{
    u32 v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

// Access to the Assembler's internals for the encoder files.
struct Encoder {
    static u8* begin(Assembler& a) { return a.begin(); }
    static void end(Assembler& a, u8* p) { a.end(p); }
    static void fail(Assembler& a, Error error) { a.set_error(error); }
    static u32 size(const Assembler& a) { return a.m_size; }
    static void add_site(Assembler& a, u8 kind, u32 position, u16 target, u8 length) { a.add_site(kind, position, target, length); }
    static bool check_label(Assembler& a, Label label) { return a.check_label(label); }
    // ModRM (+SIB +disp) for a memory operand with `reg` in the reg field
    // (SDM Vol. 2A, 2.1.5, Tables 2-2 and 2-3), written at p inside the
    // instruction that begins at start. Returns nullptr, and records
    // EmitInvalidOperand, for a scale other than 1/2/4/8 or esp as an index.
    static u8* mem(Assembler& a, u8* start, u8* p, u32 reg, const Mem& m);
};

[[gnu::always_inline]] inline u8* Encoder::mem(Assembler& a, u8* start, u8* p, u32 reg, const Mem& m)
{
    if (m.has_label()) [[unlikely]] {
        if (m.has_base() || m.has_index() || !a.check_label(Label { m.label })) {
            a.set_error(Error::EmitInvalidOperand);
            return nullptr;
        }
        // mod=00 rm=101: disp32, here the label's absolute address + disp.
        *p++ = modrm(0, reg, 5);
        a.add_site(SiteAbsLabel, a.m_size + static_cast<u32>(p - start), m.label, 4);
        return put32(p, static_cast<u32>(m.disp));
    }
    if (!m.has_index()) {
        if (!m.has_base()) {
            *p++ = modrm(0, reg, 5); // [disp32]
            return put32(p, static_cast<u32>(m.disp));
        }
        u8 base = m.base;
        u8* modrm_at = p;
        if (base == 4) { // esp: rm=100 means "SIB follows"; SIB 0x24 = [esp], no index
            p[1] = 0x24;
            p += 2;
        } else {
            p += 1;
        }
        if (m.disp == 0 && base != 5) { // ebp with mod=00 would mean [disp32]
            *modrm_at = modrm(0, reg, base);
            return p;
        }
        if (fits_i8(m.disp)) {
            *modrm_at = modrm(1, reg, base);
            return put8(p, static_cast<u32>(m.disp));
        }
        *modrm_at = modrm(2, reg, base);
        return put32(p, static_cast<u32>(m.disp));
    }
    // SIB scale field for 1, 2, 4, 8; 0xFF for anything else.
    static constexpr u8 scale_field[9] = { 0xFF, 0, 1, 0xFF, 2, 0xFF, 0xFF, 0xFF, 3 };
    u32 ss = m.scale <= 8 ? scale_field[m.scale] : 0xFF;
    if (ss == 0xFF || m.index == 4) [[unlikely]] { // SIB index=100 means "no index": esp cannot be one
        a.set_error(Error::EmitInvalidOperand);
        return nullptr;
    }
    if (!m.has_base()) { // mod=00 base=101: [index*scale + disp32]
        p[0] = modrm(0, reg, 4);
        p[1] = static_cast<u8>((ss << 6) | (m.index << 3) | 5);
        return put32(p + 2, static_cast<u32>(m.disp));
    }
    p[1] = static_cast<u8>((ss << 6) | (m.index << 3) | m.base);
    if (m.disp == 0 && m.base != 5) {
        p[0] = modrm(0, reg, 4);
        return p + 2;
    }
    if (fits_i8(m.disp)) {
        p[0] = modrm(1, reg, 4);
        return put8(p + 2, static_cast<u32>(m.disp));
    }
    p[0] = modrm(2, reg, 4);
    return put32(p + 2, static_cast<u32>(m.disp));
}

// A handle for instruction bodies that write their bytes by hand from
// `start` and accept them with done().
struct Raw {
    Assembler& a;
    u8* start;
    explicit Raw(Assembler& assembler) : a(assembler), start(Encoder::begin(assembler)) { }
    void invalid() { Encoder::fail(a, Error::EmitInvalidOperand); }
    void done(u8* p) { Encoder::end(a, p); }
    // Offset in the code of a byte about to be written at p.
    u32 offset_of(const u8* p) const { return Encoder::size(a) + static_cast<u32>(p - start); }
    u8* mem(u8* p, u32 reg, const Mem& m) { return Encoder::mem(a, start, p, reg, m); }
};

} // namespace x86
