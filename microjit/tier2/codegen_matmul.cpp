// Code generator for the matmul nest (patterns.h, MatmulPattern):
// c[i*n + j] = sum over k of a[i*n + k] * b[k*n + j], square, row-major, f32.
//
// The fast path blocks j: for each row i and each block of 4 vectors of j
// (16 floats with SSE, 32 with AVX2), the block's sums stay in registers
// while k runs, each step adding broadcast(a[i][k]) * b[k][j..]. Every c
// element is still s = 0.0; s = s + a*b for k = 0, 1, ... with each product
// rounded on its own: the same operations in the same order as the bytecode,
// so the result is bit-identical (no reassociation is needed at all), in
// contrast to a dot-product formulation.
//
// The fast path runs when it cannot be told apart from the bytecode: n*n
// fits every view (so no index wraps and no access traps) and c overlaps
// neither a nor b (the bytecode's stores to c could otherwise feed its later
// loads). Otherwise the strict path runs the bytecode's loops as written,
// with every index computed in wrapping i32 and checked, trapping
// TrapOutOfBounds at the same access after the same stores.
#include <microjit/tier2/codegen.h>
#include <microjit/tier2/codegen_frame.h>
#include <microjit/tier2/vector_lanes.h>

namespace Tier2 {

using namespace x86;

namespace {

// Locals (NativeFrame::local): the spill area doubles as more dwords here.
enum : u32 { L_n, L_i, L_a, L_b, L_c, L_stride, L_j, L_len_a, L_len_b, L_len_c };

struct MatmulEmitter {
    Assembler& a;
    NativeFrame& frame;
    const FunctionMatmul& m;
    bool avx;
    // n when the code is specialised on it (0: unknown). A multiple of 4
    // unrolls the k loop by 4 with constant strides.
    i32 known_n { 0 };

    Lanes v { a, avx }; // the packed operations every vector code generator uses (vector_lanes.h)

    i32 width() const { return v.width(); }
    i32 bytes() const { return v.bytes(); }

    // acc = acc + (a * b) with the pattern's operand orders; `x` holds the
    // broadcast a value, `t` and `u` are scratch.
    void step(u8 acc, u8 x, const Mem& b_mem, u8 t, u8 u)
    {
        if (m.loop.a_first) {
            v.copy(t, x);
            v.load(u, b_mem);
            v.binary(Op::MUL_F32, t, u);
        } else {
            v.load(t, b_mem);
            v.binary(Op::MUL_F32, t, x);
        }
        if (m.loop.sum_first) {
            v.binary(Op::ADD_F32, acc, t);
        } else {
            v.binary(Op::ADD_F32, t, acc);
            v.copy(acc, t);
        }
    }

    // One block of `vectors` vectors of j at EBP, for row pointers ESI (a)
    // and EBX (c); EDX holds the row stride in bytes.
    void block(u8 vectors)
    {
        Label k_loop = a.new_label();
        for (u8 q = 0; q < vectors; ++q)
            v.zero(q);
        a.mov(edi, frame.local(L_b));
        a.lea(edi, ptr(edi, ebp, 4));
        a.xor_(ecx, ecx);
        a.align(16);
        a.bind(k_loop);
        // Specialised on n (a multiple of 4, small enough for 32-bit
        // displacements): four k steps a trip, b's rows at constant offsets.
        // The products and sums are the same, in the same order.
        if (known_n > 0 && known_n % 4 == 0 && known_n <= (1 << 20)) {
            i32 stride = 4 * known_n;
            for (i32 u = 0; u < 4; ++u) {
                v.broadcast(4, ptr(esi, ecx, 4, 4 * u));
                for (u8 q = 0; q < vectors; ++q)
                    step(q, 4, ptr(edi, u * stride + q * bytes()), 5, 6);
            }
            a.add(edi, 4 * stride);
            a.add(ecx, 4);
            a.cmp(ecx, known_n);
        } else {
            v.broadcast(4, ptr(esi, ecx, 4));
            for (u8 q = 0; q < vectors; ++q)
                step(q, 4, ptr(edi, q * bytes()), 5, 6);
            a.add(edi, edx);
            a.inc(ecx);
            a.cmp(ecx, frame.local(L_n));
        }
        a.jl(k_loop);
        for (u8 q = 0; q < vectors; ++q)
            v.store(ptr(ebx, ebp, 4, q * bytes()), q);
    }

    void fast_path()
    {
        Label i_loop = a.new_label(), j4 = a.new_label(), j1 = a.new_label(), js = a.new_label(), i_next = a.new_label();
        a.mov(frame.local(L_i), 0);
        a.bind(i_loop);
        a.mov(eax, frame.local(L_i));
        a.imul(eax, frame.local(L_stride));
        a.mov(esi, frame.local(L_a));
        a.add(esi, eax);
        a.mov(ebx, frame.local(L_c));
        a.add(ebx, eax);
        a.mov(edx, frame.local(L_stride));
        a.xor_(ebp, ebp);
        a.bind(j4);
        a.lea(eax, ptr(ebp, 4 * width()));
        a.cmp(eax, frame.local(L_n));
        a.jg(j1);
        block(4);
        a.add(ebp, 4 * width());
        a.jmp(j4);
        a.bind(j1);
        a.lea(eax, ptr(ebp, width()));
        a.cmp(eax, frame.local(L_n));
        a.jg(js);
        block(1);
        a.add(ebp, width());
        a.jmp(j1);
        // The last j columns one at a time, with scalar operations.
        a.bind(js);
        if (avx)
            a.vzeroupper();
        {
            Label k_loop = a.new_label();
            a.cmp(ebp, frame.local(L_n));
            a.jge(i_next);
            a.xorps(xmm0, xmm0);
            a.mov(edi, frame.local(L_b));
            a.lea(edi, ptr(edi, ebp, 4));
            a.xor_(ecx, ecx);
            a.bind(k_loop);
            scalar_step(ptr(esi, ecx, 4), ptr(edi));
            a.add(edi, edx);
            a.inc(ecx);
            a.cmp(ecx, frame.local(L_n));
            a.jl(k_loop);
            a.movss(ptr(ebx, ebp, 4), xmm0);
            a.inc(ebp);
            a.jmp(js);
        }
        a.bind(i_next);
        a.inc(frame.local(L_i));
        a.mov(eax, frame.local(L_i));
        a.cmp(eax, frame.local(L_n));
        a.jl(i_loop);
    }

    // xmm0 = xmm0 + a * b (scalar, pattern's operand orders), via xmm1/xmm2.
    void scalar_step(const Mem& a_mem, const Mem& b_mem)
    {
        a.movss(xmm1, m.loop.a_first ? a_mem : b_mem);
        a.mulss(xmm1, m.loop.a_first ? b_mem : a_mem);
        if (m.loop.sum_first) {
            a.addss(xmm0, xmm1);
        } else {
            a.addss(xmm1, xmm0);
            a.movaps(xmm0, xmm1);
        }
    }

    // The bytecode's loops as written, every index in wrapping i32 and
    // checked against its view's length (unsigned compare: negative or too
    // large both fail).
    void strict_path()
    {
        Label i_loop = a.new_label(), j_loop = a.new_label(), k_loop = a.new_label(), k_done = a.new_label();
        Label j_next = a.new_label(), i_next = a.new_label(), done = a.new_label();
        a.mov(frame.local(L_i), 0);
        a.bind(i_loop);
        a.mov(frame.local(L_j), 0);
        a.bind(j_loop);
        a.xorps(xmm0, xmm0);
        a.xor_(ecx, ecx);
        a.mov(edx, frame.local(L_n));
        a.bind(k_loop);
        // a[i*n + k]
        a.mov(eax, frame.local(L_i));
        a.imul(eax, edx);
        a.add(eax, ecx);
        a.cmp(eax, frame.local(L_len_a));
        a.jae(frame.trap_bounds());
        a.mov(esi, frame.local(L_a));
        a.lea(esi, ptr(esi, eax, 4));
        // b[k*n + j]
        a.mov(eax, ecx);
        a.imul(eax, edx);
        a.add(eax, frame.local(L_j));
        a.cmp(eax, frame.local(L_len_b));
        a.jae(frame.trap_bounds());
        a.mov(edi, frame.local(L_b));
        a.lea(edi, ptr(edi, eax, 4));
        scalar_step(ptr(esi), ptr(edi));
        a.inc(ecx);
        a.cmp(ecx, edx);
        a.jl(k_loop);
        a.bind(k_done);
        // c[i*n + j] = s
        a.mov(eax, frame.local(L_i));
        a.imul(eax, edx);
        a.add(eax, frame.local(L_j));
        a.cmp(eax, frame.local(L_len_c));
        a.jae(frame.trap_bounds());
        a.mov(ebx, frame.local(L_c));
        a.movss(ptr(ebx, eax, 4), xmm0);
        a.bind(j_next);
        a.inc(frame.local(L_j));
        a.mov(eax, frame.local(L_j));
        a.cmp(eax, edx);
        a.jl(j_loop);
        a.bind(i_next);
        a.inc(frame.local(L_i));
        a.mov(eax, frame.local(L_i));
        a.cmp(eax, edx);
        a.jl(i_loop);
        a.bind(done);
    }
};

}

ErrorOr<void> compile_matmul(const FunctionMatmul& m, Assembler& a, const CodegenOptions& options)
{
    NativeFrame frame(a, options);
    MatmulEmitter e { a, frame, m, options.avx2 };
    Operand n = specialise_operand(m.n, options);
    if (n.kind == Operand::Kind::Constant)
        e.known_n = static_cast<i32>(n.bits);
    frame.prologue();
    Label done = a.new_label(), strict = a.new_label(), fast = a.new_label();
    frame.load_args(esi);
    frame.load_operand(n, ecx, esi);
    a.mov(frame.local(L_n), ecx);
    struct View {
        const Operand& op;
        u32 base, length;
    } views[3] = { { m.a, L_a, L_len_a }, { m.b, L_b, L_len_b }, { m.c, L_c, L_len_c } };
    for (const View& v : views) {
        a.mov(eax, dword_ptr(esi, 8 * v.op.index));
        a.mov(frame.local(v.base), eax);
        a.mov(eax, dword_ptr(esi, 8 * v.op.index + 4));
        a.mov(frame.local(v.length), eax);
    }
    a.test(ecx, ecx);
    a.jle(done); // the outer loop's entry test: nothing runs
    a.lea(eax, ptr_index(ecx, 4));
    a.mov(frame.local(L_stride), eax);
    // n*n (unsigned, 64-bit) must fit every view.
    a.mov(eax, ecx);
    a.mul(ecx);
    a.test(edx, edx);
    a.jnz(strict);
    for (const View& v : views) {
        a.cmp(eax, frame.local(v.length));
        a.ja(strict);
    }
    // c must not overlap a or b: [c, c + 4 len_c) against each.
    for (u32 k = 0; k < 2; ++k) {
        Label disjoint = a.new_label();
        const View& in = views[k];
        a.mov(eax, frame.local(L_len_c));
        a.shl(eax, 2);
        a.add(eax, frame.local(L_c));
        a.mov(edx, frame.local(in.base));
        a.cmp(edx, eax);
        a.jae(disjoint);
        a.mov(eax, frame.local(in.length));
        a.shl(eax, 2);
        a.add(eax, edx);
        a.cmp(frame.local(L_c), eax);
        a.jb(strict);
        a.bind(disjoint);
    }
    a.bind(fast);
    e.fast_path();
    a.jmp(done);
    a.bind(strict);
    e.strict_path();
    a.bind(done);
    frame.return_void();
    frame.finish();
    return {};
}

}
