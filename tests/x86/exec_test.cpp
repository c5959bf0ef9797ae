// Execution tests: functions emitted at run time run natively in this
// (-m32) process, from mmap'ed executable memory, and return what the same
// computation gives in C++. Emitted functions follow cdecl: arguments at
// [esp+4], [esp+8], ...; result in eax (int) or on the x87 stack (float, via
// a store and fld, since cdecl returns floats in st0).
#include <microjit/x86/assembler.h>

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <sys/mman.h>

using namespace x86;

namespace {

class ExecutableBuffer {
public:
    explicit ExecutableBuffer(usize size = 64 * 1024) : m_size(size)
    {
        void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        m_memory = p == MAP_FAILED ? nullptr : static_cast<u8*>(p);
    }
    ~ExecutableBuffer()
    {
        if (m_memory)
            munmap(m_memory, m_size);
    }
    u8* data() const { return m_memory; }
    usize size() const { return m_size; }

private:
    u8* m_memory;
    usize m_size;
};

// Emits with `body` into fresh executable memory and returns the entry.
template<typename Fn, typename Body>
Fn compile(ExecutableBuffer& memory, usize offset, Body body)
{
    Assembler a(memory.data() + offset, memory.size() - offset);
    a.allow_avx2(true);
    body(a);
    auto size = a.finish();
    EXPECT_FALSE(size.is_error()) << error_name(size.error());
    return reinterpret_cast<Fn>(memory.data() + offset);
}

using IntFn2 = int (*)(int, int);
using IntFn1 = int (*)(int);

const int interesting[] = { 0, 1, -1, 2, 7, -7, 100, 127, 128, -128, -129, 0x7fffffff, INT_MIN, 12345678, -987654 };

} // namespace

TEST(X86Execution, AddTwoArguments)
{
    ExecutableBuffer memory;
    ASSERT_NE(memory.data(), nullptr);
    auto f = compile<IntFn2>(memory, 0, [](Assembler& a) {
        a.mov(eax, ptr(esp, 4));
        a.add(eax, ptr(esp, 8));
        a.ret();
    });
    for (int x : interesting)
        for (int y : interesting)
            EXPECT_EQ(f(x, y), static_cast<int>(static_cast<u32>(x) + static_cast<u32>(y)));
}

TEST(X86Execution, Arithmetic)
{
    ExecutableBuffer memory;
    // ((x * 3 + y) ^ ~y) - (x << 4) + (y >> 2 arithmetic) - neg(x) | (x & 0xF0)
    auto f = compile<IntFn2>(memory, 0, [](Assembler& a) {
        a.push(ebx);
        a.push(esi);
        a.mov(ecx, ptr(esp, 12)); // x
        a.mov(edx, ptr(esp, 16)); // y
        a.imul(eax, ecx, 3);
        a.add(eax, edx);
        a.mov(ebx, edx);
        a.not_(ebx);
        a.xor_(eax, ebx);
        a.mov(esi, ecx);
        a.shl(esi, 4);
        a.sub(eax, esi);
        a.mov(ebx, edx);
        a.sar(ebx, 2);
        a.add(eax, ebx);
        a.mov(esi, ecx);
        a.neg(esi);
        a.sub(eax, esi);
        a.mov(ebx, ecx);
        a.and_(ebx, 0xF0);
        a.or_(eax, ebx);
        a.pop(esi);
        a.pop(ebx);
        a.ret();
    });
    for (int x : interesting)
        for (int y : interesting) {
            u32 ux = static_cast<u32>(x), uy = static_cast<u32>(y);
            u32 r = ((ux * 3 + uy) ^ ~uy) - (ux << 4) + static_cast<u32>(y >> 2) - (0u - ux);
            r |= ux & 0xF0;
            EXPECT_EQ(f(x, y), static_cast<int>(r)) << x << ", " << y;
        }
}

TEST(X86Execution, DivisionAndRemainder)
{
    ExecutableBuffer memory;
    auto quotient = compile<IntFn2>(memory, 0, [](Assembler& a) {
        a.mov(eax, ptr(esp, 4));
        a.cdq();
        a.idiv(dword_ptr(esp, 8));
        a.ret();
    });
    auto remainder = compile<IntFn2>(memory, 256, [](Assembler& a) {
        a.mov(eax, ptr(esp, 4));
        a.mov(ecx, ptr(esp, 8));
        a.cdq();
        a.idiv(ecx);
        a.mov(eax, edx);
        a.ret();
    });
    auto unsigned_quotient = compile<IntFn2>(memory, 512, [](Assembler& a) {
        a.mov(eax, ptr(esp, 4));
        a.xor_(edx, edx);
        a.div(dword_ptr(esp, 8));
        a.ret();
    });
    for (int x : interesting)
        for (int y : interesting) {
            if (y == 0 || (x == INT_MIN && y == -1))
                continue;
            EXPECT_EQ(quotient(x, y), x / y);
            EXPECT_EQ(remainder(x, y), x % y);
            EXPECT_EQ(static_cast<u32>(unsigned_quotient(x, y)), static_cast<u32>(x) / static_cast<u32>(y));
        }
}

// For each condition: setcc, cmovcc and jcc after cmp agree with C++.
TEST(X86Execution, FlagsAndConditions)
{
    ExecutableBuffer memory;
    auto truth = [](Condition cc, int x, int y) {
        u32 ux = static_cast<u32>(x), uy = static_cast<u32>(y);
        u32 diff = ux - uy;
        bool overflow = ((ux ^ uy) & (ux ^ diff)) >> 31;
        bool sign = diff >> 31;
        int bits = 0;
        for (u32 v = diff & 0xFF; v; v >>= 1)
            bits += v & 1;
        switch (cc) {
        case Condition::O: return overflow;
        case Condition::NO: return !overflow;
        case Condition::B: return ux < uy;
        case Condition::AE: return ux >= uy;
        case Condition::E: return x == y;
        case Condition::NE: return x != y;
        case Condition::BE: return ux <= uy;
        case Condition::A: return ux > uy;
        case Condition::S: return sign;
        case Condition::NS: return !sign;
        case Condition::P: return bits % 2 == 0;
        case Condition::NP: return bits % 2 == 1;
        case Condition::L: return x < y;
        case Condition::GE: return x >= y;
        case Condition::LE: return x <= y;
        case Condition::G: return x > y;
        }
        return false;
    };
    usize offset = 0;
    for (u8 c = 0; c < 16; ++c) {
        auto cc = static_cast<Condition>(c);
        auto with_set = compile<IntFn2>(memory, offset, [cc](Assembler& a) {
            a.mov(ecx, ptr(esp, 4));
            a.xor_(eax, eax);
            a.cmp(ecx, ptr(esp, 8));
            a.setcc(cc, al);
            a.ret();
        });
        auto with_cmov = compile<IntFn2>(memory, offset + 64, [cc](Assembler& a) {
            a.mov(ecx, ptr(esp, 4));
            a.xor_(eax, eax);
            a.mov(edx, 1);
            a.cmp(ecx, ptr(esp, 8));
            a.cmovcc(cc, eax, edx);
            a.ret();
        });
        auto with_jump = compile<IntFn2>(memory, offset + 128, [cc](Assembler& a) {
            Label taken = a.new_label();
            a.mov(ecx, ptr(esp, 4));
            a.mov(eax, 1);
            a.cmp(ecx, ptr(esp, 8));
            a.jcc(cc, taken);
            a.xor_(eax, eax);
            a.bind(taken);
            a.ret();
        });
        offset += 256;
        for (int x : interesting)
            for (int y : interesting) {
                int expected = truth(cc, x, y) ? 1 : 0;
                EXPECT_EQ(with_set(x, y), expected) << "set cc=" << int(c) << " " << x << " " << y;
                EXPECT_EQ(with_cmov(x, y), expected) << "cmov cc=" << int(c) << " " << x << " " << y;
                EXPECT_EQ(with_jump(x, y), expected) << "jcc cc=" << int(c) << " " << x << " " << y;
            }
    }
}

TEST(X86Execution, LoopWithAlignedHead)
{
    ExecutableBuffer memory;
    // sum of i*i for i in 1..n, loop head aligned to 16.
    u8* code = memory.data();
    auto f = compile<IntFn1>(memory, 0, [](Assembler& a) {
        Label loop = a.new_label(), done = a.new_label();
        a.mov(ecx, ptr(esp, 4));
        a.xor_(eax, eax);
        a.test(ecx, ecx);
        a.jle(done);
        a.align(16);
        a.bind(loop);
        a.mov(edx, ecx);
        a.imul(edx, edx);
        a.add(eax, edx);
        a.dec(ecx);
        a.jne(loop);
        a.bind(done);
        a.ret();
    });
    (void)code;
    for (int n : { 0, 1, 2, 10, 100, 1000 }) {
        u32 expected = 0;
        for (u32 i = 1; i <= static_cast<u32>(n); ++i)
            expected += i * i;
        EXPECT_EQ(static_cast<u32>(f(n)), expected) << n;
    }
    EXPECT_EQ(f(-5), 0);
}

TEST(X86Execution, CallsBetweenTwoEmittedFunctions)
{
    ExecutableBuffer memory;
    // square(x) = x*x, emitted first; twice_square_plus(x, y) calls it by
    // absolute address, pushes the argument, and cleans up (cdecl).
    auto square = compile<IntFn1>(memory, 0, [](Assembler& a) {
        a.mov(eax, ptr(esp, 4));
        a.imul(eax, eax);
        a.ret();
    });
    auto caller = compile<IntFn2>(memory, 128, [square](Assembler& a) {
        a.push(ebx);
        a.push(dword_ptr(esp, 8)); // x
        a.call(reinterpret_cast<const void*>(square));
        a.add(esp, 4);
        a.lea(ebx, ptr(eax, eax, 1)); // 2 * x*x
        a.mov(ecx, ptr(esp, 12));     // y
        a.push(ecx);
        a.mov(eax, reinterpret_cast<uptr>(square));
        a.call(eax); // and once more through a register
        a.add(esp, 4);
        a.add(eax, ebx);
        a.pop(ebx);
        a.ret();
    });
    for (int x : { 0, 3, -4, 1000 })
        for (int y : { 0, 5, -6 })
            EXPECT_EQ(caller(x, y), 2 * x * x + y * y);

    // Within one buffer, through a label: fact(n) recursive.
    auto fact = compile<IntFn1>(memory, 512, [](Assembler& a) {
        Label entry = a.new_label(), base = a.new_label();
        a.bind(entry);
        a.mov(ecx, ptr(esp, 4));
        a.cmp(ecx, 1);
        a.jle(base);
        a.lea(edx, ptr(ecx, -1));
        a.push(ecx);
        a.push(edx);
        a.call(entry);
        a.add(esp, 4);
        a.pop(ecx);
        a.imul(eax, ecx);
        a.ret();
        a.bind(base);
        a.mov(eax, 1);
        a.ret();
    });
    EXPECT_EQ(fact(1), 1);
    EXPECT_EQ(fact(5), 120);
    EXPECT_EQ(fact(10), 3628800);
}

using FloatFn2 = float (*)(float, float);

// cdecl returns a float in st0: store xmm0 to the stack and fld it.
void return_xmm0(Assembler& a)
{
    a.sub(esp, 4);
    a.movss(ptr(esp), xmm0);
    a.db(0xD9); // fld dword [esp]: x87, outside the emitter's set
    a.db(0x04);
    a.db(0x24);
    a.add(esp, 4);
    a.ret();
}

TEST(X86Execution, ScalarSseMath)
{
    ExecutableBuffer memory;
    // sqrt(x*x + y*y) - min(x, y) + max(x, y) / 2, and (float)(int)x truncation.
    auto f = compile<FloatFn2>(memory, 0, [](Assembler& a) {
        a.movss(xmm0, ptr(esp, 4));
        a.movss(xmm1, ptr(esp, 8));
        a.movaps(xmm2, xmm0);
        a.mulss(xmm2, xmm2);
        a.movaps(xmm3, xmm1);
        a.mulss(xmm3, xmm3);
        a.addss(xmm2, xmm3);
        a.sqrtss(xmm2, xmm2);
        a.movaps(xmm4, xmm0);
        a.minss(xmm4, xmm1);
        a.subss(xmm2, xmm4);
        a.movaps(xmm5, xmm0);
        a.maxss(xmm5, xmm1);
        a.mov(eax, 2);
        a.cvtsi2ss(xmm6, eax);
        a.divss(xmm5, xmm6);
        a.addss(xmm2, xmm5);
        a.movaps(xmm0, xmm2);
        return_xmm0(a);
    });
    auto truncate = compile<FloatFn2>(memory, 512, [](Assembler& a) {
        a.cvttss2si(eax, ptr(esp, 4));
        a.cvtsi2ss(xmm0, eax);
        return_xmm0(a);
    });
    for (float x : { 3.0f, -2.5f, 0.0f, 100.25f })
        for (float y : { 4.0f, 1.5f, -7.75f }) {
            float expected = std::sqrt(x * x + y * y) - std::fmin(x, y) + std::fmax(x, y) / 2.0f;
            EXPECT_FLOAT_EQ(f(x, y), expected);
            EXPECT_EQ(truncate(x, y), static_cast<float>(static_cast<int>(x)));
        }
}

TEST(X86Execution, PackedSseMath)
{
    ExecutableBuffer memory;
    // out[i] = max(a[i] * b[i] + a[i], 0) for 8 floats, plus a horizontal sum
    // returned through shuffles, and an integer lane test through pcmpgtd.
    using Fn = float (*)(const float*, const float*, float*);
    auto f = compile<Fn>(memory, 0, [](Assembler& a) {
        a.mov(eax, ptr(esp, 4));
        a.mov(ecx, ptr(esp, 8));
        a.mov(edx, ptr(esp, 12));
        a.xorps(xmm7, xmm7);
        a.xorps(xmm6, xmm6); // running sum
        for (int half = 0; half < 2; ++half) {
            a.movups(xmm0, ptr(eax, 16 * half));
            a.movups(xmm1, ptr(ecx, 16 * half));
            a.mulps(xmm1, xmm0);
            a.addps(xmm1, xmm0);
            a.maxps(xmm1, xmm7);
            a.movups(ptr(edx, 16 * half), xmm1);
            a.addps(xmm6, xmm1);
        }
        a.movhlps(xmm0, xmm6);   // lanes 2,3 down
        a.addps(xmm6, xmm0);
        a.movaps(xmm0, xmm6);
        a.shufps(xmm0, xmm0, 0x55); // lane 1
        a.addss(xmm6, xmm0);
        a.movaps(xmm0, xmm6);
        return_xmm0(a);
    });
    alignas(16) float x[8] = { 1, -2, 3, -4, 0.5f, 6, -7, 8 };
    alignas(16) float y[8] = { 2, 2, -3, 0.25f, 4, -1, 1, 0.5f };
    float out[8];
    float sum = f(x, y, out);
    float expected_sum = 0;
    for (int i = 0; i < 8; ++i) {
        float e = std::fmax(x[i] * y[i] + x[i], 0.0f);
        EXPECT_FLOAT_EQ(out[i], e) << i;
        expected_sum += e;
    }
    EXPECT_FLOAT_EQ(sum, expected_sum);

    // Integer lanes: count of a[i] > b[i] via pcmpgtd + movmskps.
    using CountFn = int (*)(const int*, const int*);
    auto count = compile<CountFn>(memory, 1024, [](Assembler& a) {
        a.mov(eax, ptr(esp, 4));
        a.mov(ecx, ptr(esp, 8));
        a.movdqu(xmm0, ptr(eax));
        a.movdqu(xmm1, ptr(ecx));
        a.pcmpgtd(xmm0, xmm1);
        a.movmskps(eax, xmm0);
        a.ret();
    });
    int ia[4] = { 5, -1, 7, 0 }, ib[4] = { 4, 3, 7, -9 };
    EXPECT_EQ(count(ia, ib), 0b1001);
}

TEST(X86Execution, AvxFmaWhenTheCpuHasIt)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        GTEST_SKIP() << "this CPU has no AVX2/FMA";
    ExecutableBuffer memory;
    using Fn = void (*)(const float*, const float*, float*);
    // out = a * b + out, 8 lanes, then out = out + a
    auto f = compile<Fn>(memory, 0, [](Assembler& a) {
        a.mov(eax, ptr(esp, 4));
        a.mov(ecx, ptr(esp, 8));
        a.mov(edx, ptr(esp, 12));
        a.vmovups(ymm0, ptr(eax));
        a.vmovups(ymm1, ptr(ecx));
        a.vmovups(ymm2, ptr(edx));
        a.vfmadd231ps(ymm2, ymm0, ymm1);
        a.vaddps(ymm2, ymm2, ptr(eax));
        a.vmovups(ptr(edx), ymm2);
        a.vzeroupper();
        a.ret();
    });
    float x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, y[8] = { 0.5f, -1, 2, 0, 1, 1, -2, 3 };
    float out[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
    f(x, y, out);
    for (int i = 0; i < 8; ++i)
        EXPECT_FLOAT_EQ(out[i], std::fma(x[i], y[i], 1.0f) + x[i]) << i;
}

// Many forward and backward jumps around the rel8 limit, executed: the
// shrinking passes must keep every target right.
TEST(X86Execution, JumpsAcrossTheRel8Limit)
{
    ExecutableBuffer memory;
    // A chain of blocks; block k adds k to eax and jumps to block k+1 (forward
    // over padding of varying size), the last one returns. Blocks are laid
    // out in reverse order so every jump is backward except the first.
    const int blocks = 40;
    auto f = compile<IntFn1>(memory, 0, [](Assembler& a) {
        Label label[blocks + 1];
        for (auto& l : label)
            l = a.new_label();
        a.mov(eax, ptr(esp, 4));
        a.jmp(label[0]);
        for (int k = blocks - 1; k >= 0; --k) {
            a.bind(label[k]);
            a.add(eax, k);
            a.jmp(label[k + 1]);
            a.nop(static_cast<u32>((k * 37) % 140)); // padding, never executed
        }
        a.bind(label[blocks]);
        a.ret();
    });
    EXPECT_EQ(f(1000), 1000 + blocks * (blocks - 1) / 2);
}
