// Packed f32 operations on 4 (SSE) or 8 (AVX) lanes, named by register
// number: what tier 2's vector code is written with, both the pattern code
// generators (codegen_vector.cpp) and the general loop vectoriser
// (codegen_general_vector.cpp). Each lane computes exactly what the scalar
// SSE instruction computes (MINPS/MAXPS follow MINSS/MAXSS lane by lane), so
// only the grouping of a reduction, which the float reduction rule allows,
// can differ from the scalar code. Private to microjit/tier2.
#pragma once

#include <microjit/tier2/ir.h>
#include <microjit/x86/assembler.h>

namespace Tier2 {

struct Lanes {
    using Assembler = x86::Assembler;
    using Mem = x86::Mem;
    using Xmm = x86::Xmm;
    using Ymm = x86::Ymm;

    Assembler& a;
    bool avx;
    bool fma { false }; // dot products may fuse (AVX2 path only; codegen.h)

    i32 width() const { return avx ? 8 : 4; }
    i32 bytes() const { return 4 * width(); }
    void load(u8 r, const Mem& m) { avx ? a.vmovups(Ymm { r }, m) : a.movups(Xmm { r }, m); }
    void store(const Mem& m, u8 r) { avx ? a.vmovups(m, Ymm { r }) : a.movups(m, Xmm { r }); }
    void copy(u8 d, u8 s) { avx ? a.vmovaps(Ymm { d }, Ymm { s }) : a.movaps(Xmm { d }, Xmm { s }); }
    void zero(u8 r) { avx ? a.vxorps(Ymm { r }, Ymm { r }, Ymm { r }) : a.xorps(Xmm { r }, Xmm { r }); }
    void broadcast(u8 r, const Mem& m32)
    {
        if (avx) {
            a.vbroadcastss(Ymm { r }, m32);
        } else {
            a.movss(Xmm { r }, m32);
            a.shufps(Xmm { r }, Xmm { r }, 0);
        }
    }
    // d = d op s for the binary f32 operations.
    void binary(Op op, u8 d, u8 s)
    {
        Ymm yd { d }, ys { s };
        Xmm xd { d }, xs { s };
        switch (op) {
        case Op::ADD_F32: avx ? a.vaddps(yd, yd, ys) : a.addps(xd, xs); break;
        case Op::SUB_F32: avx ? a.vsubps(yd, yd, ys) : a.subps(xd, xs); break;
        case Op::MUL_F32: avx ? a.vmulps(yd, yd, ys) : a.mulps(xd, xs); break;
        case Op::DIV_F32: avx ? a.vdivps(yd, yd, ys) : a.divps(xd, xs); break;
        case Op::MIN_F32: avx ? a.vminps(yd, yd, ys) : a.minps(xd, xs); break;
        case Op::MAX_F32: avx ? a.vmaxps(yd, yd, ys) : a.maxps(xd, xs); break;
        default: a.ud2(); break;
        }
    }
    // d = d op m, m a packed memory operand (SSE loads it into `tmp` first,
    // as its memory forms need 16-byte alignment).
    void binary_mem(Op op, u8 d, const Mem& m, u8 tmp)
    {
        if (!avx) {
            a.movups(Xmm { tmp }, m);
            binary(op, d, tmp);
            return;
        }
        Ymm yd { d };
        switch (op) {
        case Op::ADD_F32: a.vaddps(yd, yd, m); break;
        case Op::SUB_F32: a.vsubps(yd, yd, m); break;
        case Op::MUL_F32: a.vmulps(yd, yd, m); break;
        case Op::DIV_F32: a.vdivps(yd, yd, m); break;
        case Op::MIN_F32: a.vminps(yd, yd, m); break;
        case Op::MAX_F32: a.vmaxps(yd, yd, m); break;
        default: a.ud2(); break;
        }
    }
    void xor_mem(u8 d, const Mem& m) { avx ? a.vxorps(Ymm { d }, Ymm { d }, m) : a.xorps(Xmm { d }, m); }
    void and_mem(u8 d, const Mem& m) { avx ? a.vandps(Ymm { d }, Ymm { d }, m) : a.andps(Xmm { d }, m); }
    void sqrt(u8 d) { avx ? a.vsqrtps(Ymm { d }, Ymm { d }) : a.sqrtps(Xmm { d }, Xmm { d }); }
    // Leaves the lanes of register r folded (by `op`) into lane 0 of xmm r,
    // with SSE only afterwards (vzeroupper when coming from AVX).
    void fold_to_scalar(u8 r, u8 tmp, Op op, i32 spill)
    {
        if (avx) {
            a.vmovups(x86::dword_ptr(x86::esp, spill).sized(x86::MemSize::Ymmword), Ymm { r });
            a.vzeroupper();
            a.movups(Xmm { r }, x86::ptr(x86::esp, spill));
            a.movups(Xmm { tmp }, x86::ptr(x86::esp, spill + 16));
            scalar_packed(op, r, tmp);
        }
        a.movhlps(Xmm { tmp }, Xmm { r });
        scalar_packed(op, r, tmp);
        a.movaps(Xmm { tmp }, Xmm { r });
        a.shufps(Xmm { tmp }, Xmm { tmp }, 0x55);
        scalar_packed(op, r, tmp);
    }
    void scalar_packed(Op op, u8 d, u8 s)
    {
        switch (op) {
        case Op::ADD_F32: a.addps(Xmm { d }, Xmm { s }); break;
        case Op::MAX_F32: a.maxps(Xmm { d }, Xmm { s }); break;
        case Op::MIN_F32: a.minps(Xmm { d }, Xmm { s }); break;
        default: a.ud2(); break;
        }
    }
};

}
