// Every function of the shipped modules (modules/*.flow, compiled by flowc
// at build time) at tier 0, against a reference written here in C++.
// f32 results are compared bit for bit: the interpreter evaluates in source
// order, as the references below do.
#include "test_support.h"

#include <cmath>

using namespace test;

namespace {

i32 ref_fib(i32 n)
{
    u32 a = 0, b = 1;
    for (i32 i = 0; i < n; ++i) {
        u32 t = a + b;
        a = b;
        b = t;
    }
    return static_cast<i32>(a);
}

i32 ref_sum(i32 n)
{
    u32 s = 0;
    for (i32 i = 0; i < n; ++i)
        s += static_cast<u32>(i);
    return static_cast<i32>(s);
}

i32 wrap_abs(i32 v) { return v < 0 ? static_cast<i32>(0u - static_cast<u32>(v)) : v; }

i32 ref_gcd(i32 a, i32 b)
{
    i32 x = wrap_abs(a), y = wrap_abs(b);
    while (y != 0) {
        i32 r = x % y;
        x = y;
        y = r;
    }
    return x;
}

i32 ref_collatz(i32 n)
{
    i32 x = n, steps = 0;
    while (x > 1) {
        x = (x % 2 == 0) ? x / 2 : static_cast<i32>(3u * static_cast<u32>(x) + 1u);
        ++steps;
    }
    return steps;
}

i32 ref_collatz_max(i32 n)
{
    i32 best = 1, best_steps = 0;
    for (i32 k = 1; k < n; ++k) {
        i32 s = ref_collatz(k);
        if (s > best_steps) {
            best = k;
            best_steps = s;
        }
    }
    return best;
}

i32 ref_is_prime(i32 k)
{
    if (k < 2)
        return 0;
    for (i32 d = 2; d * d <= k; ++d) {
        if (k % d == 0)
            return 0;
    }
    return 1;
}

i32 ref_primes(i32 n)
{
    i32 count = 0;
    for (i32 k = 2; k < n; ++k)
        count += ref_is_prime(k);
    return count;
}

f32 ref_dot(const f32* a, const f32* b, i32 n)
{
    f32 s = 0.0f;
    for (i32 i = 0; i < n; ++i)
        s += a[i] * b[i];
    return s;
}

void ref_matmul(const f32* a, const f32* b, f32* c, i32 n)
{
    for (i32 i = 0; i < n; ++i) {
        for (i32 j = 0; j < n; ++j) {
            f32 s = 0.0f;
            for (i32 k = 0; k < n; ++k)
                s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
    }
}

// Values with awkward bits: non-terminating binary fractions, negatives,
// a large and a tiny magnitude, so that rounding order shows.
std::vector<f32> awkward(size_t n, int seed)
{
    std::vector<f32> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = static_cast<f32>((static_cast<int>(i * 37 + seed * 11) % 101) - 50) / 7.0f + (i % 5 == 0 ? 1e-3f : 0.0f);
    return v;
}

// modules/bench.flow's pattern: quarters in [-1, 2].
std::vector<f32> quarters(size_t n, int seed)
{
    std::vector<f32> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = static_cast<f32>(static_cast<int>((i * 7 + seed) % 13) - 4) * 0.25f;
    return v;
}

i32 checksum(const std::vector<f32>& y, i32 n)
{
    u32 s = 0;
    for (i32 i = 0; i < n; ++i)
        s += static_cast<u32>(static_cast<i32>(y[i] * 16.0f));
    return static_cast<i32>(s);
}

}

TEST(Modules, FibIterMatchesReferenceIncludingWraparound)
{
    auto m = load_shipped("FIB.BFM");
    ASSERT_TRUE(m && m->instance);
    for (i32 n : { 0, 1, 2, 3, 10, 40, 46, 47, 100, 1000, -5 })
        EXPECT_EQ(call(*m, "fib_iter", { I(n) }).i, ref_fib(n)) << "n=" << n;
}

TEST(Modules, FibRecMatchesReference)
{
    auto m = load_shipped("FIB.BFM");
    ASSERT_TRUE(m && m->instance);
    for (i32 n : { 0, 1, 2, 5, 10, 20, 24, -3 })
        EXPECT_EQ(call(*m, "fib_rec", { I(n) }).i, n < 2 ? n : ref_fib(n)) << "n=" << n;
}

TEST(Modules, SumFunctions)
{
    auto m = load_shipped("SUM.BFM");
    ASSERT_TRUE(m && m->instance);
    for (i32 n : { 0, 1, 2, 10000, 100000, 200000, -7 })
        EXPECT_EQ(call(*m, "sum", { I(n) }).i, ref_sum(n)) << "n=" << n;

    std::vector<i32> iv(1000);
    u32 expect = 0;
    for (size_t i = 0; i < iv.size(); ++i) {
        iv[i] = static_cast<i32>(i * 2654435761u);
        expect += static_cast<u32>(iv[i]);
    }
    EXPECT_EQ(call(*m, "sum_i32", { V(iv) }).i, static_cast<i32>(expect));

    auto fv = awkward(777, 3);
    f32 s = 0.0f;
    for (f32 x : fv)
        s += x;
    EXPECT_EQ(bits(call(*m, "sum_f32", { V(fv) }).f), bits(s));
}

TEST(Modules, GcdBothWays)
{
    auto m = load_shipped("GCD.BFM");
    ASSERT_TRUE(m && m->instance);
    std::vector<std::pair<i32, i32>> cases = { { 1071, 462 }, { 0, 0 }, { 0, 5 }, { 5, 0 }, { -48, 18 }, { 48, -18 }, { 17, 13 },
        { 1 << 30, 1 << 20 }, { 2147483647, 2147483646 }, { INT_MIN, 6 } };
    for (auto [a, b] : cases) {
        EXPECT_EQ(call(*m, "gcd", { I(a), I(b) }).i, ref_gcd(a, b)) << a << "," << b;
        if (a != INT_MIN) {
            EXPECT_EQ(call(*m, "gcd_rec", { I(a), I(b) }).i, ref_gcd(a, b)) << a << "," << b;
        }
    }
}

TEST(Modules, Collatz)
{
    auto m = load_shipped("COLLATZ.BFM");
    ASSERT_TRUE(m && m->instance);
    for (i32 n : { -4, 0, 1, 2, 3, 6, 7, 27, 97, 871, 77031 })
        EXPECT_EQ(call(*m, "collatz", { I(n) }).i, ref_collatz(n)) << "n=" << n;
    for (i32 n : { 1, 2, 10, 100, 1000, 10000 })
        EXPECT_EQ(call(*m, "collatz_max", { I(n) }).i, ref_collatz_max(n)) << "n=" << n;
}

TEST(Modules, Primes)
{
    auto m = load_shipped("PRIMES.BFM");
    ASSERT_TRUE(m && m->instance);
    for (i32 k = -3; k < 200; ++k)
        EXPECT_EQ(call(*m, "is_prime", { I(k) }).i, ref_is_prime(k)) << "k=" << k;
    EXPECT_EQ(call(*m, "is_prime", { I(7919) }).i, 1);
    for (i32 n : { 0, 2, 3, 100, 10000 })
        EXPECT_EQ(call(*m, "primes", { I(n) }).i, ref_primes(n)) << "n=" << n;
    EXPECT_EQ(call(*m, "primes", { I(10000) }).i, 1229);
}

TEST(Modules, DotBitExact)
{
    auto m = load_shipped("DOT.BFM");
    ASSERT_TRUE(m && m->instance);
    auto a = awkward(1000, 1), b = awkward(1000, 2);
    for (i32 n : { 0, 1, 7, 999, 1000 })
        EXPECT_EQ(bits(call(*m, "dot", { V(a), V(b), I(n) }).f), bits(ref_dot(a.data(), b.data(), n))) << "n=" << n;
}

TEST(Modules, SaxpyReluScaleInPlace)
{
    auto saxpy = load_shipped("SAXPY.BFM");
    auto relu = load_shipped("RELU.BFM");
    auto scale = load_shipped("SCALE.BFM");
    ASSERT_TRUE(saxpy && saxpy->instance && relu && relu->instance && scale && scale->instance);
    auto x = awkward(300, 5), y = awkward(300, 6);
    auto y_ref = y;
    call(*saxpy, "saxpy", { F(1.7f), V(x), V(y), I(250) });
    for (int i = 0; i < 250; ++i)
        y_ref[i] = 1.7f * x[i] + y_ref[i];
    for (int i = 0; i < 300; ++i)
        ASSERT_EQ(bits(y[i]), bits(y_ref[i])) << "saxpy element " << i;

    auto r = awkward(300, 7);
    r[3] = std::nanf("");
    r[4] = -0.0f;
    auto r_ref = r;
    call(*relu, "relu", { V(r), I(300) });
    for (auto& v : r_ref)
        v = v > 0.0f ? v : 0.0f; // MAXSS: 0.0 when v is NaN, -0.0 or negative
    for (int i = 0; i < 300; ++i)
        ASSERT_EQ(bits(r[i]), bits(r_ref[i])) << "relu element " << i;

    auto s = awkward(300, 8);
    auto s_ref = s;
    call(*scale, "scale", { V(s), F(-3.1f), I(299) });
    for (int i = 0; i < 299; ++i)
        s_ref[i] *= -3.1f;
    for (int i = 0; i < 300; ++i)
        ASSERT_EQ(bits(s[i]), bits(s_ref[i])) << "scale element " << i;
}

TEST(Modules, MatmulBitExact)
{
    auto m = load_shipped("MATMUL.BFM");
    ASSERT_TRUE(m && m->instance);
    for (i32 n : { 1, 2, 5, 16, 33 }) {
        auto a = awkward(n * n, 1), b = awkward(n * n, 2);
        std::vector<f32> c(n * n, 99.0f), c_ref(n * n);
        call(*m, "matmul", { V(a), V(b), V(c), I(n) });
        ref_matmul(a.data(), b.data(), c_ref.data(), n);
        for (i32 i = 0; i < n * n; ++i)
            ASSERT_EQ(bits(c[i]), bits(c_ref[i])) << "n=" << n << " element " << i;
    }
}

TEST(Modules, BenchEntryPoints)
{
    auto m = load_shipped("BENCH.BFM");
    ASSERT_TRUE(m && m->instance);
    EXPECT_EQ(call(*m, "main").i, 0) << "the module's own self-check";
    auto x = quarters(4096, 1), y = quarters(4096, 2);
    EXPECT_EQ(bits(call(*m, "bench_dot", { I(4096) }).f), bits(ref_dot(x.data(), y.data(), 4096)));
    EXPECT_EQ(bits(call(*m, "bench_dot", { I(100) }).f), bits(ref_dot(x.data(), y.data(), 100)));

    auto ys = y;
    for (int i = 0; i < 1000; ++i)
        ys[i] = 0.5f * x[i] + ys[i];
    EXPECT_EQ(call(*m, "bench_saxpy", { I(1000) }).i, checksum(ys, 1000));
    auto yr = y;
    for (auto& v : yr)
        v = v > 0.0f ? v : 0.0f;
    EXPECT_EQ(call(*m, "bench_relu", { I(4096) }).i, checksum(yr, 4096));
    auto yc = y;
    for (auto& v : yc)
        v *= 2.0f;
    EXPECT_EQ(call(*m, "bench_scale", { I(4096) }).i, checksum(yc, 4096));

    auto ma = quarters(4096, 3), mb = quarters(4096, 4);
    for (i32 n : { 8, 64 }) {
        std::vector<f32> mc(4096);
        ref_matmul(ma.data(), mb.data(), mc.data(), n);
        EXPECT_EQ(call(*m, "bench_matmul", { I(n) }).i, checksum(mc, n * n)) << "n=" << n;
    }
    EXPECT_EQ(call(*m, "bench_sum", { I(10000) }).i, ref_sum(10000));
    f32 sx = 0.0f;
    for (f32 v : x)
        sx += v;
    f32 total = 0.0f;
    for (int r = 0; r < 3; ++r)
        total += sx;
    EXPECT_EQ(bits(call(*m, "bench_sum_f32", { I(3) }).f), bits(total));
    u32 iv = 0;
    for (int i = 0; i < 4096; ++i)
        iv += static_cast<u32>(i % 100 - 50);
    EXPECT_EQ(call(*m, "bench_sum_i32").i, static_cast<i32>(iv));
    i32 g = 0;
    for (i32 i = 1; i < 30; ++i)
        for (i32 j = 1; j < 30; ++j)
            g += ref_gcd(i, j);
    EXPECT_EQ(call(*m, "bench_gcd", { I(30) }).i, g);
    // The copies inside bench.flow behave as the standalone modules.
    EXPECT_EQ(call(*m, "fib_iter", { I(40) }).i, ref_fib(40));
    EXPECT_EQ(call(*m, "collatz_max", { I(1000) }).i, ref_collatz_max(1000));
    EXPECT_EQ(call(*m, "primes", { I(1000) }).i, ref_primes(1000));
    EXPECT_EQ(call(*m, "gcd_rec", { I(1071), I(462) }).i, 21);
}

TEST(Modules, EveryShippedModuleLoadsAndReleasesAllMemory)
{
    for (const char* file : { "BENCH.BFM", "COLLATZ.BFM", "DOT.BFM", "FIB.BFM", "GCD.BFM", "MATMUL.BFM", "PRIMES.BFM", "RELU.BFM", "SAXPY.BFM",
             "SCALE.BFM", "SUM.BFM" }) {
        auto bytes = host::read_file(module_path(file));
        ASSERT_FALSE(bytes.empty()) << file;
        host::CountingAllocator allocator;
        ModuleDiagnostic d {};
        auto m = load_module(bytes.data(), bytes.size(), allocator, &d);
        ASSERT_FALSE(m.is_error()) << file << ": " << d.message;
        auto i = create_instance(*m.value(), allocator, {});
        ASSERT_FALSE(i.is_error()) << file;
        destroy_instance(i.value());
        destroy_module(m.value(), allocator);
        EXPECT_EQ(allocator.live_allocations(), 0) << file;
    }
}
