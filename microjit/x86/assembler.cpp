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

} // namespace

void Assembler::fail_invalid_operand() { set_error(Error::EmitInvalidOperand); }

void Assembler::enc_op(u32 op, u32 imm_bytes, u32 imm)
{
    u8* p = put_op(begin(), op);
    end(put_imm(p, imm_bytes, imm));
}

// The out-of-line halves of enc_rr/enc_rm (assembler.h): near the end of
// the buffer, and memory operands other than [base + disp].
void Assembler::enc_rr_slow(u32 op, u32 operands, u32 imm)
{
    u8* p = put_op(begin(), op);
    *p++ = static_cast<u8>(0xC0 | (operands & 0x3F)); // mod=11: register operand
    end(put_imm(p, (operands >> 6) & 7, imm));
}

void Assembler::enc_rm_slow(u32 op, u32 operands, const Mem& m, u32 imm)
{
    if (!((operands >> (9 + static_cast<u32>(m.size))) & 1)) [[unlikely]] // a memory size this form does not take
        return set_error(Error::EmitInvalidOperand);
    if ((operands >> 24) && !m.has_base() && !m.has_index() && !m.has_label()) // mov eax/al <-> [moffs32]
        return enc_op(op1(operands >> 24), 4, static_cast<u32>(m.disp));
    u8* start = begin();
    u8* p = Encoder::mem(*this, start, put_op(start, op), (operands >> 3) & 7, m);
    if (!p) [[unlikely]]
        return;
    end(put_imm(p, (operands >> 6) & 7, imm));
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
