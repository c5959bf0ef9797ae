// The Assembler's buffer discipline, raw data, nops and the small fixed
// instructions. Instruction families live in assembler_gp.cpp (integer),
// assembler_sse.cpp (SSE/SSE2/AVX) and assembler_labels.cpp (labels, jumps,
// calls and the shrinking passes of finish()).
#include <microjit/x86/encoding.h>

namespace x86 {

Assembler::Assembler(u8* code, usize capacity)
    : m_code(code)
    , m_capacity(static_cast<u32>(capacity))
    , m_limit(static_cast<u32>(capacity))
    , m_base_address(static_cast<u32>(reinterpret_cast<uptr>(code)))
{
    if (!code)
        m_capacity = m_limit = 0;
}

// Fewer than 15 bytes are left: encode into the staging area, and let
// end_slow() decide whether the finished instruction fits.
u8* Assembler::begin_slow()
{
    m_staging_active = true;
    return m_staging;
}

void Assembler::end_slow(u8* p)
{
    u32 length = static_cast<u32>(p - m_staging);
    if (m_limit - m_size < length) {
        set_error(Error::EmitBufferFull);
        m_limit = m_size; // every later instruction fails the same way, writing nothing
        return;
    }
    for (u32 i = 0; i < length; ++i)
        m_code[m_size + i] = m_staging[i];
    m_size += length;
}

// --- the shared encoders -------------------------------------------------------------

namespace {

// Immediate of 0, 1, 2 or 4 bytes.
inline u8* put_imm(u8* p, u32 bytes, u32 imm)
{
    if (bytes == 1)
        return put8(p, imm);
    if (bytes == 4)
        return put32(p, imm);
    if (bytes == 2)
        return put16(p, imm);
    return p;
}

// Bit index of a memory size in the operand word's size mask.
constexpr u8 size_bit(MemSize size)
{
    switch (size) {
    case MemSize::None: return 0;
    case MemSize::Byte: return 1;
    case MemSize::Word: return 2;
    case MemSize::Dword: return 3;
    case MemSize::Qword: return 4;
    case MemSize::Xmmword: return 5;
    default: return 6;
    }
}

} // namespace

void Assembler::enc_op(u32 op, u32 imm_bytes, u32 imm)
{
    u8* p = put_op(begin(), op);
    end(put_imm(p, imm_bytes, imm));
}

void Assembler::enc_rr(u32 op, u32 operands, u32 imm)
{
    u32 max_imm = operands >> 24;
    if (max_imm != 0 && imm > max_imm) [[unlikely]]
        return set_error(Error::EmitInvalidOperand);
    u8* p = put_op(begin(), op);
    *p++ = static_cast<u8>(0xC0 | (operands & 0x3F)); // mod=11: register operand
    end(put_imm(p, (operands >> 6) & 7, imm));
}

void Assembler::enc_rm(u32 op, u32 operands, const Mem& m, u32 imm)
{
    u32 max_imm = operands >> 24;
    if ((max_imm != 0 && imm > max_imm) || !((operands >> 9) & (1u << size_bit(m.size)))) [[unlikely]]
        return set_error(Error::EmitInvalidOperand);
    u8* start = begin();
    u8* p = Encoder::mem(*this, start, put_op(start, op), (operands >> 3) & 7, m);
    if (!p) [[unlikely]]
        return;
    end(put_imm(p, (operands >> 6) & 7, imm));
}

u8* Encoder::mem(Assembler& a, u8* start, u8* p, u32 reg, const Mem& m)
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
    u8 ss;
    switch (m.scale) {
    case 1: ss = 0; break;
    case 2: ss = 1; break;
    case 4: ss = 2; break;
    case 8: ss = 3; break;
    default: a.set_error(Error::EmitInvalidOperand); return nullptr;
    }
    if (m.index == 4) { // SIB index=100 means "no index": esp cannot be one
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

// --- raw data, nops, fixed instructions ---------------------------------------------

void Assembler::db(u8 value)
{
    Raw e(*this);
    e.done(put8(e.start, value));
}

void Assembler::dd(u32 value)
{
    Raw e(*this);
    e.done(put32(e.start, value));
}


// The recommended multi-byte nops, Intel SDM Vol. 2B, NOP, Table 4-12:
// 0F 1F /0 with growing addressing forms, 66 for the odd sizes.
static constexpr u8 nop_sequences[9][9] = {
    { 0x90 },                                                 // nop
    { 0x66, 0x90 },                                           // xchg ax, ax
    { 0x0F, 0x1F, 0x00 },                                     // nop dword [eax]
    { 0x0F, 0x1F, 0x40, 0x00 },                               // nop dword [eax+0]
    { 0x0F, 0x1F, 0x44, 0x00, 0x00 },                         // nop dword [eax+eax*1+0]
    { 0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00 },                   // nop word [eax+eax*1+0]
    { 0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00 },             // nop dword [eax+0] (disp32)
    { 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },       // nop dword [eax+eax*1+0] (disp32)
    { 0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 }, // nop word [eax+eax*1+0] (disp32)
};

// Writes `length` bytes of nops at p (the caller has checked the room).
void write_nops(u8* p, u32 length)
{
    while (length > 0) {
        u32 n = length > 9 ? 9 : length;
        for (u32 i = 0; i < n; ++i)
            p[i] = nop_sequences[n - 1][i];
        p += n;
        length -= n;
    }
}

void Assembler::nop(u32 length)
{
    while (length > 0) {
        u32 n = length > 9 ? 9 : length;
        Raw e(*this);
        write_nops(e.start, n);
        e.done(e.start + n);
        length -= n;
    }
}

} // namespace x86
