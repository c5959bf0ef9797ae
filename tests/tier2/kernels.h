// The benchmark kernels of issue 7 and near-misses of each, written in
// bytecode the way tools/flowc.py emits Flow (`for` as an entry test plus a
// `forloop` back edge). Each function adds one function to the module and
// returns its name.
#pragma once

#include "bytecode_builder.h"

#include <string>

namespace Tier2Test {

using O = Tier2::Opcode;
using T = Tier2::Type;

// fn fib_iter(n: i32) -> i32 { a = 0; b = 1; for i in 0..n { t = a + b; a = b; b = t } return a }
inline std::string add_fib_iter(ModuleBuilder& m, const char* name = "fib_iter", bool nonlinear = false)
{
    auto& f = m.function(name, { T::I32 }, T::I32);
    u8 a = f.reg(T::I32), b = f.reg(T::I32), t = f.reg(T::I32), i = f.reg(T::I32), zero = f.reg(T::I32);
    f.const_i32(a, 0);
    f.const_i32(b, 1);
    f.const_i32(zero, 0);
    f.for_range(i, zero, 0, [&] {
        f.op(nonlinear ? O::MUL_I32 : O::ADD_I32, t, a, b);
        f.mov(a, b);
        f.mov(b, t);
    });
    f.ret(a);
    return name;
}

enum class FibShape {
    BranchGe,        // if n >= 2 goto rec; return n; rec: return f(n-1) + f(n-2)
    CompareJz,       // t = n < 2; jz t rec; ...      (a compare result tested)
    TernaryPhi,      // r = n < 2 ? n : f(n-2) + f(n-1); return r   (one return, a join)
    SubRegisters,    // n - one, n - two with constants in registers, le n 1
    // Near misses:
    WrongThreshold,  // n < 3 ? n : ...   (f(2) would be 2)
    WrongOffsets,    // f(n-1) + f(n-3)
    ConstantBase,    // n < 2 ? 1 : ...
    ExtraStore,      // a store in the recursive arm
};

inline std::string add_fib_rec(ModuleBuilder& m, const char* name, FibShape shape, u16 buffer = 0)
{
    u16 self = m.next_index();
    auto& f = m.function(name, { T::I32 }, T::I32);
    u8 n = 0;
    u8 c = f.reg(T::I32), x = f.reg(T::I32), y = f.reg(T::I32), arg = f.reg(T::I32), r = f.reg(T::I32);
    u8 one = f.reg(T::I32), two = f.reg(T::I32), v = f.reg(T::ViewI32);
    int rec = f.label(), join = f.label();
    i32 threshold = shape == FibShape::WrongThreshold ? 3 : 2;
    i32 second = shape == FibShape::WrongOffsets ? -3 : -2;
    switch (shape) {
    case FibShape::CompareJz:
        f.const_i32(c, 2);
        f.op(O::LT_I32, c, n, c);
        f.jz(c, rec);
        f.ret(n);
        break;
    case FibShape::SubRegisters:
        f.const_i32(one, 1);
        f.const_i32(two, 2);
        f.br(O::BR_GT_I32, n, one, rec);
        f.ret(n);
        break;
    case FibShape::TernaryPhi:
        f.const_i32(c, 2);
        f.br(O::BR_GE_I32, n, c, rec);
        f.mov(r, n);
        f.jmp(join);
        break;
    case FibShape::ConstantBase:
        f.const_i32(c, 2);
        f.br(O::BR_GE_I32, n, c, rec);
        f.const_i32(r, 1);
        f.ret(r);
        break;
    default:
        f.const_i32(c, threshold);
        f.br(O::BR_GE_I32, n, c, rec);
        f.ret(n);
        break;
    }
    f.bind(rec);
    if (shape == FibShape::SubRegisters) {
        f.op(O::SUB_I32, arg, n, two);
        f.call(y, self, arg);
        f.op(O::SUB_I32, arg, n, one);
        f.call(x, self, arg);
    } else if (shape == FibShape::TernaryPhi) {
        f.op_imm(O::ADDI_I32, arg, n, -2);
        f.call(y, self, arg);
        f.op_imm(O::ADDI_I32, arg, n, -1);
        f.call(x, self, arg);
    } else {
        f.op_imm(O::ADDI_I32, arg, n, -1);
        f.call(x, self, arg);
        f.op_imm(O::ADDI_I32, arg, n, second);
        f.call(y, self, arg);
    }
    if (shape == FibShape::ExtraStore) {
        f.gview(v, buffer);
        f.const_i32(one, 0);
        f.store(O::STORE_I32, v, one, n);
    }
    f.op(O::ADD_I32, r, x, y);
    if (shape == FibShape::TernaryPhi) {
        f.bind(join);
    }
    f.ret(r);
    return name;
}

// How an f32 accumulation is written: as flowc writes `s += e` under the
// float reduction rule (radd.f32/rsub.f32), as a plain `s = s + e`, or as
// `s = e + s`. An i32 accumulation is always a plain add/sub (Swapped: e + s).
enum class Accumulation { Reduction, Plain, Swapped };

inline O accumulate_op(T elem, bool subtract, Accumulation how)
{
    if (elem == T::I32)
        return subtract ? O::SUB_I32 : O::ADD_I32;
    if (how == Accumulation::Reduction)
        return subtract ? O::RSUB_F32 : O::RADD_F32;
    return subtract ? O::SUB_F32 : O::ADD_F32;
}

// fn sum(a: [i32]) -> i32 { s = 0; for i in 0..len(a) { s = s + a[i] } return s }
// fn sum_f32(a: [f32], n: i32) -> f32 likewise with 0.0 and `s += a[i]`.
inline std::string add_sum(ModuleBuilder& m, const char* name, T elem, bool with_len_param, bool subtract = false,
    Accumulation how = Accumulation::Reduction)
{
    T view = elem == T::I32 ? T::ViewI32 : T::ViewF32;
    auto& f = with_len_param ? m.function(name, { view, T::I32 }, elem) : m.function(name, { view }, elem);
    u8 s = f.reg(elem), i = f.reg(T::I32), n = f.reg(T::I32), zero = f.reg(T::I32), x = f.reg(elem);
    if (elem == T::I32)
        f.const_i32(s, 0);
    else
        f.const_f32(s, 0.0f);
    if (with_len_param)
        f.mov(n, 1);
    else
        f.len(n, 0);
    f.const_i32(zero, 0);
    f.for_range(i, zero, n, [&] {
        f.load(elem == T::I32 ? O::LOAD_I32 : O::LOAD_F32, x, 0, i);
        if (how == Accumulation::Swapped)
            f.op(accumulate_op(elem, subtract, how), s, x, s);
        else
            f.op(accumulate_op(elem, subtract, how), s, s, x);
    });
    f.ret(s);
    return name;
}

// fn dot(a: [f32], b: [f32], n: i32) -> f32 { s = 0.0; for i in 0..n { s += a[i] * b[i] } return s }
inline std::string add_dot(ModuleBuilder& m, const char* name, T elem = T::F32, Accumulation how = Accumulation::Reduction)
{
    T view = elem == T::I32 ? T::ViewI32 : T::ViewF32;
    O load = elem == T::I32 ? O::LOAD_I32 : O::LOAD_F32;
    auto& f = m.function(name, { view, view, T::I32 }, elem);
    u8 s = f.reg(elem), i = f.reg(T::I32), zero = f.reg(T::I32), x = f.reg(elem), y = f.reg(elem);
    if (elem == T::I32)
        f.const_i32(s, 0);
    else
        f.const_f32(s, 0.0f);
    f.const_i32(zero, 0);
    f.for_range(i, zero, 2, [&] {
        f.load(load, x, 0, i);
        f.load(load, y, 1, i);
        f.op(elem == T::I32 ? O::MUL_I32 : O::MUL_F32, x, x, y);
        if (how == Accumulation::Swapped)
            f.op(accumulate_op(elem, false, how), s, x, s);
        else
            f.op(accumulate_op(elem, false, how), s, s, x);
    });
    f.ret(s);
    return name;
}

// fn vmax(a: [f32], n: i32) -> f32 { m = a[0]; for i in 1..n { m = max(m, a[i]) } return m }
// (or m = max(a[i], m) with acc_first false).
inline std::string add_max(ModuleBuilder& m, const char* name, T elem = T::F32, bool acc_first = true)
{
    T view = elem == T::I32 ? T::ViewI32 : T::ViewF32;
    O load = elem == T::I32 ? O::LOAD_I32 : O::LOAD_F32;
    auto& f = m.function(name, { view, T::I32 }, elem);
    u8 mx = f.reg(elem), i = f.reg(T::I32), k = f.reg(T::I32), x = f.reg(elem);
    f.const_i32(k, 0);
    f.load(load, mx, 0, k);
    f.const_i32(k, 1);
    f.for_range(i, k, 1, [&] {
        f.load(load, x, 0, i);
        if (acc_first)
            f.op(elem == T::I32 ? O::MAX_I32 : O::MAX_F32, mx, mx, x);
        else
            f.op(elem == T::I32 ? O::MAX_I32 : O::MAX_F32, mx, x, mx);
    });
    f.ret(mx);
    return name;
}

enum class MapShape { Saxpy, Relu, Scale, Add, AliasShifted, PrefixSum, CallInBody };

// saxpy(y, x, a, n):  y[i] = a * x[i] + y[i]
// relu(x, y, n):      y[i] = max(x[i], 0.0)
// scale(x, y, s, n):  y[i] = s * x[i]
// vadd(a, b, c, n):   c[i] = a[i] + b[i]
// Near misses: y[i + 1] = y[i] * 2 (AliasShifted); s += x[i]; y[i] = s
// (PrefixSum: a reduction with a side effect); a call in the body.
inline std::string add_map(ModuleBuilder& m, const char* name, MapShape kind, u16 callee = 0)
{
    using enum MapShape;
    FunctionBuilder* fp;
    switch (kind) {
    case Saxpy: fp = &m.function(name, { T::ViewF32, T::ViewF32, T::F32, T::I32 }, T::Void); break;
    case Relu: fp = &m.function(name, { T::ViewF32, T::ViewF32, T::I32 }, T::Void); break;
    case Scale: fp = &m.function(name, { T::ViewF32, T::ViewF32, T::F32, T::I32 }, T::Void); break;
    case Add: fp = &m.function(name, { T::ViewF32, T::ViewF32, T::ViewF32, T::I32 }, T::Void); break;
    default: fp = &m.function(name, { T::ViewF32, T::ViewF32, T::I32 }, T::Void); break;
    }
    auto& f = *fp;
    u8 n = static_cast<u8>(f.m_param_count - 1);
    u8 i = f.reg(T::I32), zero = f.reg(T::I32), x = f.reg(T::F32), y = f.reg(T::F32), s = f.reg(T::F32), j = f.reg(T::I32);
    u8 r = f.reg(T::I32);
    f.const_i32(zero, 0);
    f.const_f32(s, 0.0f);
    f.for_range(i, zero, n, [&] {
        switch (kind) {
        case Saxpy:
            f.load(O::LOAD_F32, x, 1, i);
            f.op(O::MUL_F32, x, 2, x);
            f.load(O::LOAD_F32, y, 0, i);
            f.op(O::ADD_F32, x, x, y);
            f.store(O::STORE_F32, 0, i, x);
            break;
        case Relu:
            f.load(O::LOAD_F32, x, 0, i);
            f.const_f32(y, 0.0f);
            f.op(O::MAX_F32, x, x, y);
            f.store(O::STORE_F32, 1, i, x);
            break;
        case Scale:
            f.load(O::LOAD_F32, x, 0, i);
            f.op(O::MUL_F32, x, 2, x);
            f.store(O::STORE_F32, 1, i, x);
            break;
        case Add:
            f.load(O::LOAD_F32, x, 0, i);
            f.load(O::LOAD_F32, y, 1, i);
            f.op(O::ADD_F32, x, x, y);
            f.store(O::STORE_F32, 2, i, x);
            break;
        case AliasShifted:
            f.load(O::LOAD_F32, x, 1, i);
            f.op(O::ADD_F32, x, x, x);
            f.op_imm(O::ADDI_I32, j, i, 1);
            f.store(O::STORE_F32, 1, j, x);
            break;
        case PrefixSum:
            f.load(O::LOAD_F32, x, 0, i);
            f.op(O::ADD_F32, s, s, x);
            f.store(O::STORE_F32, 1, i, s);
            break;
        case CallInBody:
            f.load(O::LOAD_F32, x, 0, i);
            f.call(r, callee, i);
            f.op(O::ADD_F32, x, x, x);
            f.store(O::STORE_F32, 1, i, x);
            break;
        }
    });
    f.ret_void();
    return name;
}

// fn matmul(a: [f32], b: [f32], c: [f32], n: i32) {
//   for i in 0..n { for j in 0..n { s = 0.0; for k in 0..n { s += a[i*n+k] * b[k*n+j] } c[i*n+j] = s } } }
inline std::string add_matmul(ModuleBuilder& m, const char* name, bool transposed_b = false)
{
    auto& f = m.function(name, { T::ViewF32, T::ViewF32, T::ViewF32, T::I32 }, T::Void);
    u8 n = 3;
    u8 i = f.reg(T::I32), j = f.reg(T::I32), k = f.reg(T::I32), zero = f.reg(T::I32);
    u8 ia = f.reg(T::I32), ib = f.reg(T::I32), t = f.reg(T::I32), s = f.reg(T::F32), x = f.reg(T::F32), y = f.reg(T::F32);
    f.const_i32(zero, 0);
    f.for_range(i, zero, n, [&] {
        f.for_range(j, zero, n, [&] {
            f.const_f32(s, 0.0f);
            f.for_range(k, zero, n, [&] {
                f.op(O::MUL_I32, t, i, n);
                f.op(O::ADD_I32, ia, t, k);
                if (transposed_b) {
                    f.op(O::MUL_I32, t, j, n);
                    f.op(O::ADD_I32, ib, t, k);
                } else {
                    f.op(O::MUL_I32, t, k, n);
                    f.op(O::ADD_I32, ib, t, j);
                }
                f.load(O::LOAD_F32, x, 0, ia);
                f.load(O::LOAD_F32, y, 1, ib);
                f.op(O::MUL_F32, x, x, y);
                f.op(O::ADD_F32, s, s, x);
            });
            f.op(O::MUL_I32, t, i, n);
            f.op(O::ADD_I32, t, t, j);
            f.store(O::STORE_F32, 2, t, s);
        });
    });
    f.ret_void();
    return name;
}

}
