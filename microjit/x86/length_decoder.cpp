// Length decoding for the instruction set the emitter produces.
//
// Two constexpr tables, one per opcode map (SDM Vol. 2A, Appendix A, Tables
// ), say for each opcode whether it is one the emitter uses, and
// what follows it: a ModRM byte, an immediate, a displacement. The ModRM
// addressing rules (SIB, disp8, disp32) are SDM Vol. 2A, 2.1.5, Tables 2-2
// and 2-3. Deliberately no wider than the emitter: a byte the emitter never
// writes is rejected rather than guessed at.
#include <microjit/x86/length_decoder.h>

namespace x86 {

namespace {

enum : u8 {
    Unknown = 0,
    Plain = 1,      // opcode alone
    ModRm = 2,      // a ModRM operand follows
    Imm8 = 4,       // then an 8-bit immediate (or rel8)
    Imm16 = 8,
    Imm32 = 16,     // then a 32-bit immediate (or rel32, moffs32)
    Group3 = 32,    // F6/F7: /0 and /1 (test) carry an immediate, the others none
    Escape = 64,    // 0F: the two-byte map
    Vex = 128,      // C4/C5
};

struct Range {
    u8 first, last, flags;
};

// One-byte map.
constexpr Range one_byte_ranges[] = {
    { 0x00, 0x03, ModRm }, { 0x08, 0x0B, ModRm }, { 0x10, 0x13, ModRm }, { 0x18, 0x1B, ModRm }, // add or adc sbb
    { 0x20, 0x23, ModRm }, { 0x28, 0x2B, ModRm }, { 0x30, 0x33, ModRm }, { 0x38, 0x3B, ModRm }, // and sub xor cmp
    { 0x04, 0x04, Imm8 }, { 0x0C, 0x0C, Imm8 }, { 0x14, 0x14, Imm8 }, { 0x1C, 0x1C, Imm8 },     // op al, imm8
    { 0x24, 0x24, Imm8 }, { 0x2C, 0x2C, Imm8 }, { 0x34, 0x34, Imm8 }, { 0x3C, 0x3C, Imm8 },
    { 0x05, 0x05, Imm32 }, { 0x0D, 0x0D, Imm32 }, { 0x15, 0x15, Imm32 }, { 0x1D, 0x1D, Imm32 }, // op eax, imm32
    { 0x25, 0x25, Imm32 }, { 0x2D, 0x2D, Imm32 }, { 0x35, 0x35, Imm32 }, { 0x3D, 0x3D, Imm32 },
    { 0x0F, 0x0F, Escape },
    { 0x40, 0x5F, Plain },                  // inc dec push pop r32
    { 0x68, 0x68, Imm32 },                  // push imm32
    { 0x69, 0x69, ModRm | Imm32 },          // imul r, r/m, imm32
    { 0x6A, 0x6A, Imm8 },                   // push imm8
    { 0x6B, 0x6B, ModRm | Imm8 },           // imul r, r/m, imm8
    { 0x70, 0x7F, Imm8 },                   // jcc rel8
    { 0x80, 0x80, ModRm | Imm8 },           // group 1, imm8
    { 0x81, 0x81, ModRm | Imm32 },          // group 1, imm32
    { 0x83, 0x83, ModRm | Imm8 },           // group 1, sign-extended imm8
    { 0x84, 0x8B, ModRm },                  // test xchg mov
    { 0x8D, 0x8D, ModRm },                  // lea
    { 0x8F, 0x8F, ModRm },                  // pop r/m32
    { 0x90, 0x97, Plain },                  // nop, xchg eax, r32
    { 0x99, 0x99, Plain },                  // cdq
    { 0xA0, 0xA3, Imm32 },                  // mov al/eax <-> moffs32
    { 0xA8, 0xA8, Imm8 },                   // test al, imm8
    { 0xA9, 0xA9, Imm32 },                  // test eax, imm32
    { 0xB0, 0xB7, Imm8 },                   // mov r8, imm8
    { 0xB8, 0xBF, Imm32 },                  // mov r32, imm32
    { 0xC0, 0xC1, ModRm | Imm8 },           // group 2 by imm8
    { 0xC2, 0xC2, Imm16 },                  // ret imm16
    { 0xC3, 0xC3, Plain },                  // ret
    { 0xC4, 0xC5, Vex },
    { 0xC6, 0xC6, ModRm | Imm8 },           // mov r/m8, imm8
    { 0xC7, 0xC7, ModRm | Imm32 },          // mov r/m32, imm32
    { 0xCC, 0xCC, Plain },                  // int3
    { 0xD0, 0xD3, ModRm },                  // group 2 by 1 and by cl
    { 0xE8, 0xE9, Imm32 },                  // call/jmp rel32
    { 0xEB, 0xEB, Imm8 },                   // jmp rel8
    { 0xF6, 0xF7, ModRm | Group3 },
    { 0xFE, 0xFF, ModRm },                  // groups 4 and 5
};

// Two-byte map, after 0F.
constexpr Range two_byte_ranges[] = {
    { 0x0B, 0x0B, Plain },                  // ud2
    { 0x10, 0x12, ModRm },                  // movups/movss/movsd, movhlps
    { 0x14, 0x16, ModRm },                  // unpcklps unpckhps movlhps
    { 0x1F, 0x1F, ModRm },                  // nop r/m
    { 0x28, 0x2A, ModRm },                  // movaps, cvtsi2ss/sd
    { 0x2C, 0x2C, ModRm },                  // cvttss2si/cvttsd2si
    { 0x2E, 0x2F, ModRm },                  // ucomiss comiss
    { 0x31, 0x31, Plain },                  // rdtsc
    { 0x40, 0x4F, ModRm },                  // cmovcc
    { 0x50, 0x51, ModRm },                  // movmskps, sqrt
    { 0x54, 0x5F, ModRm },                  // logic, arithmetic, conversions
    { 0x66, 0x66, ModRm },                  // pcmpgtd
    { 0x6E, 0x6F, ModRm },                  // movd, movdqa/movdqu
    { 0x70, 0x70, ModRm | Imm8 },           // pshufd
    { 0x72, 0x72, ModRm | Imm8 },           // group 13: pslld psrld psrad
    { 0x76, 0x76, ModRm },                  // pcmpeqd
    { 0x7E, 0x7F, ModRm },                  // movd/movq, movdqa/movdqu stores
    { 0x80, 0x8F, Imm32 },                  // jcc rel32
    { 0x90, 0x9F, ModRm },                  // setcc
    { 0xA2, 0xA2, Plain },                  // cpuid
    { 0xAF, 0xAF, ModRm },                  // imul r, r/m
    { 0xB6, 0xB7, ModRm },                  // movzx
    { 0xBE, 0xBF, ModRm },                  // movsx
    { 0xC2, 0xC2, ModRm | Imm8 },           // cmpps/cmpss
    { 0xC6, 0xC6, ModRm | Imm8 },           // shufps
    { 0xD6, 0xD6, ModRm },                  // movq store
    { 0xDB, 0xDB, ModRm }, { 0xDF, 0xDF, ModRm }, { 0xEB, 0xEB, ModRm }, { 0xEF, 0xEF, ModRm }, // pand pandn por pxor
    { 0xFA, 0xFA, ModRm }, { 0xFE, 0xFE, ModRm }, // psubd paddd
};

struct Table {
    u8 flags[256];
};

template<usize N>
constexpr Table make_table(const Range (&ranges)[N])
{
    Table t {};
    for (usize i = 0; i < N; ++i) {
        for (u32 op = ranges[i].first; op <= ranges[i].last; ++op)
            t.flags[op] = ranges[i].flags;
    }
    return t;
}

constexpr Table one_byte = make_table(one_byte_ranges);
constexpr Table two_byte = make_table(two_byte_ranges);

// Length of ModRM + SIB + displacement starting at p.
ErrorOr<u32> modrm_length(const u8* p, usize available)
{
    if (available < 1)
        return Error::DecodeTruncated;
    u8 modrm = p[0];
    u8 mod = modrm >> 6, rm = modrm & 7;
    if (mod == 3)
        return 1u;
    u32 length = 1;
    if (rm == 4) { // SIB
        if (available < 2)
            return Error::DecodeTruncated;
        length = 2;
        if (mod == 0 && (p[1] & 7) == 5)
            length += 4; // no base: disp32
    } else if (mod == 0 && rm == 5) {
        length += 4; // [disp32]
    }
    if (mod == 1)
        length += 1;
    else if (mod == 2)
        length += 4;
    return length;
}

u32 immediate_length(u8 flags) { return (flags & Imm8) ? 1 : (flags & Imm16) ? 2 : (flags & Imm32) ? 4 : 0; }

// VEX-encoded opcodes the emitter uses, by map (1 = 0F, 2 = 0F 38, 3 = 0F 3A,
// whose opcodes all take an imm8 after the ModRM operand).
bool vex_opcode_known(u32 map, u8 opcode)
{
    if (map == 1)
        return opcode == 0x10 || opcode == 0x11 || opcode == 0x28 || opcode == 0x29 || opcode == 0x51
            || (opcode >= 0x54 && opcode <= 0x59) || (opcode >= 0x5C && opcode <= 0x5F) || opcode == 0x77;
    if (map == 2)
        return opcode == 0x18 || opcode == 0xB8;
    if (map == 3)
        return opcode == 0x19; // vextractf128
    return false;
}

} // namespace

ErrorOr<u32> instruction_length(const u8* code, usize available)
{
    if (available == 0)
        return Error::DecodeTruncated;
    u32 at = 0;
    // At most one prefix: 66 (operand size, or mandatory for SSE2 integer
    // forms), F2 or F3 (mandatory prefixes of the scalar SSE forms).
    if (code[0] == 0x66 || code[0] == 0xF2 || code[0] == 0xF3)
        at = 1;
    if (at >= available)
        return Error::DecodeTruncated;
    u8 opcode = code[at++];
    u8 flags = one_byte.flags[opcode];
    bool prefixed = at == 2;
    if (prefixed && flags != Escape && opcode != 0x90) // the only prefixed one-byte form is 66 90
        return Error::DecodeUnknownInstruction;
    if (flags == Unknown)
        return Error::DecodeUnknownInstruction;
    if (flags == Vex) {
        if (prefixed)
            return Error::DecodeUnknownInstruction;
        u32 map = 1;
        if (opcode == 0xC4) {
            if (available < 4)
                return Error::DecodeTruncated;
            map = code[1] & 0x1F;
            if ((code[1] & 0xE0) != 0xE0 || (code[2] & 0x80) != 0) // R̄X̄B̄ must be 111 in 32-bit code; W=0
                return Error::DecodeUnknownInstruction;
            at = 3;
        } else {
            if (available < 3)
                return Error::DecodeTruncated;
            if ((code[1] & 0x80) == 0)
                return Error::DecodeUnknownInstruction;
            at = 2;
        }
        u8 vex_opcode = code[at++];
        if (!vex_opcode_known(map, vex_opcode))
            return Error::DecodeUnknownInstruction;
        if (map == 1 && vex_opcode == 0x77) // vzeroupper
            return at;
        auto modrm = modrm_length(code + at, available - at);
        if (modrm.is_error())
            return modrm.error();
        at += modrm.value() + (map == 3 ? 1 : 0);
        return at <= available ? ErrorOr<u32>(at) : ErrorOr<u32>(Error::DecodeTruncated);
    }
    if (flags == Escape) {
        if (at >= available)
            return Error::DecodeTruncated;
        opcode = code[at++];
        flags = two_byte.flags[opcode];
        if (flags == Unknown)
            return Error::DecodeUnknownInstruction;
    }
    u32 length = at;
    if (flags & ModRm) {
        auto modrm = modrm_length(code + at, available - at);
        if (modrm.is_error())
            return modrm.error();
        length += modrm.value();
        if (flags & Group3) {
            u32 digit = (code[at] >> 3) & 7;
            if (digit <= 1)
                length += opcode == 0xF6 ? 1 : 4; // test r/m, imm
        }
    }
    length += immediate_length(flags);
    if (length > available)
        return Error::DecodeTruncated;
    return length;
}

ErrorOr<void> validate_code(const u8* code, usize size, usize* bad_offset)
{
    usize at = 0;
    while (at < size) {
        auto length = instruction_length(code + at, size - at);
        if (length.is_error()) {
            if (bad_offset)
                *bad_offset = at;
            return length.error();
        }
        at += length.value();
    }
    return {};
}

} // namespace x86
