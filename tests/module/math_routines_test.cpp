// microjit/runtime's sin_f32, cos_f32, log_f32, pow_f32 and floor_f32 against
// glibc (sinf, cosf, logf, powf, floorf) and a double-precision reference,
// over many random inputs and the special values. Each test prints the
// largest error it saw, in ulps of the float result, against the double
// reference (the figure docs/flow-language.md quotes), and the largest
// distance in float steps from glibc's result.
#include <gtest/gtest.h>
#include <microjit/runtime/floor_f32.h>
#include <microjit/runtime/log_f32.h>
#include <microjit/runtime/pow_f32.h>
#include <microjit/runtime/trig_f32.h>

#include <cmath>
#include <cstdio>
#include <cstring>

namespace {

u32 bits(float x)
{
    u32 b;
    std::memcpy(&b, &x, 4);
    return b;
}

float from_bits(u32 b)
{
    float x;
    std::memcpy(&x, &b, 4);
    return x;
}

// A fixed-seed xorshift so a failure reproduces.
struct Random {
    u32 state = 2463534242u;
    u32 next()
    {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    }
    // Uniform over finite float patterns: every binade equally likely.
    float any_finite()
    {
        for (;;) {
            float x = from_bits(next());
            if (std::isfinite(x))
                return x;
        }
    }
    float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(next() >> 8) * 0x1p-24f; }
};

// |got - want| in ulps of the float nearest want (want finite, got finite).
double ulp_error(float got, double want)
{
    if (static_cast<double>(got) == want)
        return 0;
    float near = static_cast<float>(want);
    int e;
    std::frexp(near == 0 ? want : static_cast<double>(near), &e);
    double ulp = std::ldexp(1.0, std::max(e - 24, -149));
    return std::fabs(static_cast<double>(got) - want) / ulp;
}

// Float steps between two results of the same sign (0 when equal).
i64 steps(float a, float b)
{
    return std::llabs(static_cast<i64>(static_cast<i32>(bits(a))) - static_cast<i64>(static_cast<i32>(bits(b))));
}

struct Stats {
    const char* name;
    double max_ulp = 0;
    float worst_input = 0;
    i64 max_steps_from_glibc = 0;
    long count = 0;

    void add(float x, float got, double want, float glibc)
    {
        ++count;
        double e = ulp_error(got, want);
        if (e > max_ulp) {
            max_ulp = e;
            worst_input = x;
        }
        if (std::isfinite(glibc) && std::isfinite(got) && (got == 0) == (glibc == 0))
            max_steps_from_glibc = std::max(max_steps_from_glibc, steps(got, glibc));
    }
    ~Stats()
    {
        std::printf("[ ulps     ] %s: max %.3f ulp against the double reference (at %a), "
                    "max %lld float steps from glibc, %ld inputs\n",
                    name, max_ulp, static_cast<double>(worst_input), static_cast<long long>(max_steps_from_glibc),
                    count);
    }
};

constexpr long random_inputs = 1000000;

void expect_same_bits(float got, float want, const char* what)
{
    if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got)) << what;
        return;
    }
    EXPECT_EQ(bits(got), bits(want)) << what << ": got " << got << " want " << want;
}

}

TEST(SinCosF32, WithinOneUlpOverAllMagnitudes)
{
    Stats sin_stats { "sin" }, cos_stats { "cos" };
    Random rng;
    for (long i = 0; i < random_inputs; ++i) {
        // Half the inputs where tensor code lives, half over every binade up to FLT_MAX.
        float x = (i & 1) ? rng.any_finite() : rng.uniform(-100.0f, 100.0f);
        double xd = x;
        float s = sin_f32(x), c = cos_f32(x);
        sin_stats.add(x, s, std::sin(xd), sinf(x));
        cos_stats.add(x, c, std::cos(xd), cosf(x));
        ASSERT_LT(ulp_error(s, std::sin(xd)), 1.0) << "sin " << std::hexfloat << x;
        ASSERT_LT(ulp_error(c, std::cos(xd)), 1.0) << "cos " << std::hexfloat << x;
    }
    EXPECT_LT(sin_stats.max_ulp, 0.5001);
    EXPECT_LT(cos_stats.max_ulp, 0.5001);
}

TEST(SinCosF32, HardCasesForTheReduction)
{
    // Floats close to multiples of pi/2, where the reduced argument is tiny
    // and a short pi would lose all its bits, and the largest floats.
    const float hard[] = { 1.5707964f, 3.1415927f, 6.2831855f, 0x1.921fb6p+1f, 0x1.921fb6p+24f,
                           16367173.0f * 0x1p72f, 0x1.fffffep127f, -0x1.fffffep127f, 1e22f, 8.5e37f,
                           0x1p-149f, -0x1p-126f, 0.78539813f, 0.78539819f, 355.0f, 1e6f, 1e9f };
    for (float x : hard) {
        double xd = x;
        EXPECT_LT(ulp_error(sin_f32(x), std::sin(xd)), 0.5001) << "sin " << std::hexfloat << x;
        EXPECT_LT(ulp_error(cos_f32(x), std::cos(xd)), 0.5001) << "cos " << std::hexfloat << x;
    }
}

TEST(SinCosF32, SpecialValues)
{
    expect_same_bits(sin_f32(0.0f), 0.0f, "sin(+0)");
    expect_same_bits(sin_f32(-0.0f), -0.0f, "sin(-0)");
    expect_same_bits(cos_f32(0.0f), 1.0f, "cos(+0)");
    expect_same_bits(cos_f32(-0.0f), 1.0f, "cos(-0)");
    expect_same_bits(sin_f32(0x1p-149f), 0x1p-149f, "sin of the smallest subnormal");
    expect_same_bits(sin_f32(-0x1p-140f), -0x1p-140f, "sin of a negative subnormal");
    EXPECT_TRUE(std::isnan(sin_f32(INFINITY)));
    EXPECT_TRUE(std::isnan(sin_f32(-INFINITY)));
    EXPECT_TRUE(std::isnan(cos_f32(INFINITY)));
    EXPECT_TRUE(std::isnan(cos_f32(std::nanf(""))));
    EXPECT_TRUE(std::isnan(sin_f32(std::nanf(""))));
    for (float x : { 0.5f, 1.0f, 2.0f, 1e5f, 3e30f }) {
        expect_same_bits(sin_f32(-x), -sin_f32(x), "sin is odd");
        expect_same_bits(cos_f32(-x), cos_f32(x), "cos is even");
    }
}

TEST(LogF32, WithinOneUlpEverywhere)
{
    Stats stats { "log" };
    Random rng;
    for (long i = 0; i < random_inputs; ++i) {
        float x = std::fabs((i & 1) ? rng.any_finite() : rng.uniform(0.0f, 4.0f));
        if (x == 0)
            continue;
        float got = log_f32(x);
        stats.add(x, got, std::log(static_cast<double>(x)), logf(x));
        ASSERT_LT(ulp_error(got, std::log(static_cast<double>(x))), 1.0) << std::hexfloat << x;
    }
    // Every float just around 1, where ln(x) is tiny and cancellation would show.
    for (u32 b = bits(0.99f); b <= bits(1.01f); ++b) {
        float x = from_bits(b);
        stats.add(x, log_f32(x), std::log(static_cast<double>(x)), logf(x));
    }
    EXPECT_LT(stats.max_ulp, 0.5001);
}

TEST(LogF32, SpecialValues)
{
    expect_same_bits(log_f32(1.0f), 0.0f, "log(1) is +0");
    expect_same_bits(log_f32(0.0f), -INFINITY, "log(+0)");
    expect_same_bits(log_f32(-0.0f), -INFINITY, "log(-0)");
    expect_same_bits(log_f32(INFINITY), INFINITY, "log(+inf)");
    EXPECT_TRUE(std::isnan(log_f32(-1.0f)));
    EXPECT_TRUE(std::isnan(log_f32(-INFINITY)));
    EXPECT_TRUE(std::isnan(log_f32(-0x1p-149f)));
    EXPECT_TRUE(std::isnan(log_f32(std::nanf(""))));
    expect_same_bits(log_f32(0x1p-149f), static_cast<float>(std::log(0x1p-149)), "smallest subnormal");
    expect_same_bits(log_f32(0x1.fffffep127f), static_cast<float>(std::log(0x1.fffffep127)), "FLT_MAX");
    expect_same_bits(log_f32(2.0f), 0.693147182f, "ln 2");
}

TEST(PowF32, WithinOneUlpEverywhere)
{
    Stats stats { "pow" };
    Random rng;
    long finite = 0;
    for (long i = 0; i < random_inputs; ++i) {
        float x, y;
        switch (i % 3) {
        case 0: // the tensor-code range: positive bases, moderate exponents
            x = rng.uniform(0.0f, 10.0f);
            y = rng.uniform(-10.0f, 10.0f);
            break;
        case 1: // negative bases with integer exponents
            x = rng.uniform(-20.0f, 20.0f);
            y = static_cast<float>(static_cast<i32>(rng.next() % 61) - 30);
            break;
        default: // any magnitudes; mostly overflow, underflow or NaN
            x = rng.any_finite();
            y = rng.uniform(-4.0f, 4.0f) * from_bits(bits(1.0f) + ((rng.next() % 16) << 23));
            break;
        }
        double want = std::pow(static_cast<double>(x), static_cast<double>(y));
        float got = pow_f32(x, y);
        float glibc = powf(x, y);
        if (std::isnan(want)) {
            ASSERT_TRUE(std::isnan(got)) << std::hexfloat << x << " ^ " << y;
            continue;
        }
        if (std::fabs(want) >= 0x1.ffffffp127 || !std::isfinite(want)) {
            ASSERT_EQ(bits(got), bits(glibc)) << "overflow " << std::hexfloat << x << " ^ " << y;
            continue;
        }
        ++finite;
        stats.add(x, got, want, glibc);
        ASSERT_LT(ulp_error(got, want), 1.0) << std::hexfloat << x << " ^ " << y << " got " << got;
    }
    EXPECT_GT(finite, random_inputs / 2);
    EXPECT_LT(stats.max_ulp, 0.5001);
}

TEST(PowF32, ExactPowersAreExact)
{
    EXPECT_EQ(pow_f32(2.0f, 10.0f), 1024.0f);
    EXPECT_EQ(pow_f32(10.0f, 3.0f), 1000.0f);
    EXPECT_EQ(pow_f32(0.5f, -3.0f), 8.0f);
    EXPECT_EQ(pow_f32(-2.0f, 3.0f), -8.0f);
    EXPECT_EQ(pow_f32(-2.0f, 4.0f), 16.0f);
    EXPECT_EQ(pow_f32(4.0f, 0.5f), 2.0f);
    EXPECT_EQ(pow_f32(2.0f, -149.0f), 0x1p-149f) << "the smallest subnormal";
    // 2^-150 is exactly half the smallest subnormal, a midpoint: the one
    // place where the documented "either neighbour" applies, so no check.
    EXPECT_EQ(pow_f32(2.0f, -151.0f), 0.0f) << "below half of it";
    EXPECT_EQ(pow_f32(2.0f, 127.0f), 0x1p127f);
    EXPECT_EQ(pow_f32(2.0f, 128.0f), INFINITY);
    EXPECT_EQ(pow_f32(10000.0f, 0.25f), 10.0f);
}

TEST(PowF32, SpecialValuesMatchGlibcPowf)
{
    const float values[] = { 0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 2.0f, -2.0f, 3.0f, -3.0f, 2.5f, -2.5f,
                             0x1p24f, -0x1p24f, 0x1.000002p24f, 16777215.0f, -16777215.0f, 0x1p-149f,
                             -0x1p-149f, 0x1.fffffep127f, -0x1.fffffep127f, INFINITY, -INFINITY, NAN };
    for (float x : values) {
        for (float y : values) {
            float got = pow_f32(x, y);
            float want = powf(x, y);
            if (std::isnan(want)) {
                EXPECT_TRUE(std::isnan(got)) << x << " ^ " << y << " got " << got;
                continue;
            }
            EXPECT_EQ(bits(got), bits(want)) << std::hexfloat << x << " ^ " << y << " got " << got << " want " << want;
        }
    }
}

TEST(FloorF32, MatchesFloorfBitForBit)
{
    Random rng;
    for (long i = 0; i < random_inputs; ++i) {
        float x = (i & 1) ? from_bits(rng.next()) : rng.uniform(-1e7f, 1e7f);
        if (std::isnan(x)) {
            EXPECT_TRUE(std::isnan(floor_f32(x)));
            continue;
        }
        ASSERT_EQ(bits(floor_f32(x)), bits(std::floor(x))) << std::hexfloat << x;
    }
    for (float x : { 0.0f, -0.0f, 0.5f, -0.5f, -1.0f, -1.5f, 0x1p-149f, -0x1p-149f, 8388607.5f, -8388607.5f,
                     0x1p23f, INFINITY, -INFINITY })
        expect_same_bits(floor_f32(x), std::floor(x), "special");
}
