// The VEX encoder behind the AVX/AVX2/FMA methods of assembler.h.
//
// Legacy SSE/SSE2 forms need nothing beyond the generic ModRM encoders
// ([mandatory prefix] 0F op /r, see the table in assembler.h). VEX forms
// (Intel SDM Vol. 2A, 2.3.5, Figure 2-9) fold the prefix, the opcode map,
// the vector length and a third register (vvvv, stored inverted) into the
// two-byte C5 prefix (0F map, W=0) or the three-byte C4 prefix (0F 38).
// In 32-bit mode the inverted R/X/B bits are always 1 (registers 0-7 only);
// that is also what keeps C4/C5 from decoding as LES/LDS, whose ModRM could
// never have mod=11.
#include <microjit/x86/encoding.h>

namespace x86 {

// vex: opcode | pp << 8 | map << 10 | L << 12 | vex_no_modrm;
// operands: ModRM rm | reg << 3 | vvvv << 16; m: memory operand or nullptr.
void Assembler::enc_vex(u32 vex, u32 operands, const Mem* m)
{
    if (!m_avx2_allowed) [[unlikely]]
        return set_error(Error::EmitUnsupportedIsa);
    u8* start = begin();
    u8* p = start;
    u32 map = (vex >> 10) & 3;
    u32 vvvv = (operands >> 16) & 0xF;
    u8 tail = static_cast<u8>(((~vvvv & 0xF) << 3) | (((vex >> 12) & 1) << 2) | ((vex >> 8) & 3));
    if (map == 1) {
        *p++ = 0xC5;                         // two-byte VEX
        *p++ = static_cast<u8>(0x80 | tail); // R̄=1, vvvv̄, L, pp
    } else {
        *p++ = 0xC4;                                // three-byte VEX
        *p++ = static_cast<u8>(0xE0 | map);         // R̄X̄B̄=111, map
        *p++ = tail;                                // W=0, vvvv̄, L, pp
    }
    *p++ = static_cast<u8>(vex);
    if (!(vex & vex_no_modrm)) {
        if (m) {
            p = Encoder::mem(*this, start, p, (operands >> 3) & 7, *m);
            if (!p)
                return;
        } else {
            *p++ = static_cast<u8>(0xC0 | (operands & 0x3F));
        }
    }
    end(p);
}

} // namespace x86
