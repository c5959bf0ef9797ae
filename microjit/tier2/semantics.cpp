// Scalar semantics shared by folding and evaluation; see semantics.h.
#include <microjit/runtime/floor_f32.h>
#include <microjit/runtime/log_f32.h>
#include <microjit/runtime/pow_f32.h>
#include <microjit/runtime/to_bits_f32.h>
#include <microjit/runtime/trig_f32.h>
#include <microjit/tier2/semantics.h>

namespace Tier2 {

ErrorOr<u32> evaluate_scalar(Op op, const u32* args, u32 arg_count, i32 imm)
{
    u32 a = arg_count > 0 ? args[0] : 0;
    u32 b = arg_count > 1 ? args[1] : 0;
    i32 sa = static_cast<i32>(a);
    i32 sb = static_cast<i32>(b);
    f32 fa = bits_f32(a);
    f32 fb = bits_f32(b);
    switch (op) {
    case Op::CONST_I32:
    case Op::CONST_F32: return static_cast<u32>(imm);
    // Unsigned arithmetic is the i32 wrap-around without undefined behaviour.
    case Op::ADD_I32: return a + b;
    case Op::SUB_I32: return a - b;
    case Op::MUL_I32: return a * b;
    case Op::DIV_I32:
    case Op::REM_I32:
        if (sb == 0)
            return Error::TrapDivideByZero;
        if (sa == INT32_MIN && sb == -1)
            return Error::TrapOverflow;
        return static_cast<u32>(op == Op::DIV_I32 ? sa / sb : sa % sb);
    case Op::AND_I32: return a & b;
    case Op::OR_I32: return a | b;
    case Op::XOR_I32: return a ^ b;
    case Op::SHL_I32: return a << (b & 31);
    case Op::SHR_I32: return static_cast<u32>(sa >> (b & 31));
    case Op::ADDI_I32: return a + static_cast<u32>(imm);
    case Op::MULI_I32: return a * static_cast<u32>(imm);
    case Op::NEG_I32: return 0u - a;
    case Op::NOT_I32: return ~a;
    case Op::EQZ_I32: return a == 0;
    case Op::ABS_I32: return sa < 0 ? 0u - a : a;
    case Op::MIN_I32: return sa < sb ? a : b;
    case Op::MAX_I32: return sa > sb ? a : b;
    case Op::EQ_I32: return sa == sb;
    case Op::NE_I32: return sa != sb;
    case Op::LT_I32: return sa < sb;
    case Op::LE_I32: return sa <= sb;
    case Op::GT_I32: return sa > sb;
    case Op::GE_I32: return sa >= sb;
    case Op::ADD_F32: return f32_bits(fa + fb);
    case Op::SUB_F32: return f32_bits(fa - fb);
    case Op::MUL_F32: return f32_bits(fa * fb);
    case Op::DIV_F32: return f32_bits(fa / fb);
    // MINSS/MAXSS: the second operand whenever the comparison is false,
    // which includes every NaN case.
    case Op::MIN_F32: return fa < fb ? a : b;
    case Op::MAX_F32: return fa > fb ? a : b;
    case Op::NEG_F32: return a ^ 0x80000000u;
    case Op::ABS_F32: return a & 0x7FFFFFFFu;
    case Op::SQRT_F32: {
        // SQRTSS itself: a libm call (errno handling) is not available in
        // the kernel, and this is exactly what every tier executes.
        f32 r;
        asm("sqrtss %1, %0" : "=x"(r) : "x"(fa));
        return f32_bits(r);
    }
    // microjit's own routines, the ones every tier calls: a folded value is
    // the value tier 0 computes.
    case Op::SIN_F32: return f32_bits(sin_f32(fa));
    case Op::COS_F32: return f32_bits(cos_f32(fa));
    case Op::LOG_F32: return f32_bits(log_f32(fa));
    case Op::POW_F32: return f32_bits(pow_f32(fa, fb));
    case Op::FLOOR_F32: return f32_bits(floor_f32(fa));
    case Op::I32_BITS_F32: return to_bits_f32(fa);
    case Op::F32_BITS_I32: return a; // the same 4 bytes
    case Op::EQ_F32: return fa == fb;
    case Op::NE_F32: return !(fa == fb);
    case Op::LT_F32: return fa < fb;
    case Op::LE_F32: return fa <= fb;
    case Op::GT_F32: return fa > fb;
    case Op::GE_F32: return fa >= fb;
    case Op::F32_FROM_I32: return f32_bits(static_cast<f32>(sa));
    case Op::I32_FROM_F32:
        // Valid exactly when trunc(a) lies in [-2^31, 2^31 - 1]; the nearest
        // floats outside are -2^31 - 256 and 2^31. NaN fails both tests.
        if (!(fa > -2147483904.0f && fa < 2147483648.0f))
            return Error::TrapBadConversion;
        return static_cast<u32>(static_cast<i32>(fa));
    default:
        return Error::NotSupported;
    }
}

}
