// Argument literals (microjit/runtime/literal.h), which the kernel shell and
// flowrun share. Decimal f32 literals must be correctly rounded: glibc's
// strtof, which is, judges thousands of random ones of every shape.
#include <gtest/gtest.h>
#include <microjit/runtime/literal.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

namespace {

u32 bits(f32 v) { return __builtin_bit_cast(u32, v); }

u32 f32_bits(const char* text)
{
    f32 v;
    EXPECT_TRUE(parse_f32_literal(text, v)) << text;
    return bits(v);
}

bool refused_f32(const char* text)
{
    f32 v;
    return !parse_f32_literal(text, v);
}

i32 i32_of(const char* text)
{
    i32 v = 0;
    EXPECT_TRUE(parse_i32_literal(text, v)) << text;
    return v;
}

bool refused_i32(const char* text)
{
    i32 v;
    return !parse_i32_literal(text, v);
}

} // namespace

TEST(Literals, I32DecimalAndHex)
{
    EXPECT_EQ(i32_of("0"), 0);
    EXPECT_EQ(i32_of("-2147483648"), INT32_MIN);
    EXPECT_EQ(i32_of("2147483647"), INT32_MAX);
    EXPECT_EQ(i32_of("017"), 17) << "leading zeros are decimal, not octal";
    EXPECT_EQ(i32_of("0x10"), 16);
    EXPECT_EQ(i32_of("0xFFFFFFFF"), -1);
    EXPECT_EQ(i32_of("-0x10"), -16);
    EXPECT_EQ(i32_of("+7"), 7);
    for (const char* bad : { "", "-", "2147483648", "-2147483649", "0x100000000", "0x", "1.5", "12ab", "1e3", " 1" })
        EXPECT_TRUE(refused_i32(bad)) << bad;
}

TEST(Literals, F32SpecialCases)
{
    EXPECT_EQ(f32_bits("0e400"), 0u) << "zero times any power of ten is zero";
    EXPECT_EQ(f32_bits("0e309"), 0u);
    EXPECT_EQ(f32_bits("0.0e99999"), 0u);
    EXPECT_EQ(f32_bits("-0.0"), 0x80000000u);
    EXPECT_EQ(f32_bits("-1e-99"), 0x80000000u) << "too small: a zero of its sign";
    EXPECT_EQ(f32_bits("017"), bits(17.0f));
    EXPECT_EQ(f32_bits("-2"), bits(-2.0f));
    EXPECT_EQ(f32_bits(".5"), bits(0.5f));
    EXPECT_EQ(f32_bits("1."), bits(1.0f));
    EXPECT_EQ(f32_bits("inf"), 0x7F800000u);
    EXPECT_EQ(f32_bits("-Infinity"), 0xFF800000u);
    EXPECT_EQ(f32_bits("nan"), 0x7FC00000u);
    EXPECT_EQ(f32_bits("-NaN"), 0xFFC00000u);
    EXPECT_EQ(f32_bits("3.4028235e38"), 0x7F7FFFFFu) << "the largest f32";
    EXPECT_EQ(f32_bits("1.401298464324817e-45"), 1u) << "the smallest subnormal";
    EXPECT_EQ(f32_bits("7.006492321624085e-46"), 0u) << "exactly half the smallest subnormal: ties to even (zero)";
    EXPECT_EQ(f32_bits("7.0064923216240862e-46"), 1u) << "just above half";
    EXPECT_EQ(f32_bits("1.1754942e-38"), 0x007FFFFFu) << "the largest subnormal";
    EXPECT_EQ(f32_bits("16777217"), bits(16777216.0f)) << "2^24 + 1 ties to even";
    EXPECT_EQ(f32_bits("16777219"), bits(16777220.0f));
    // One more digit far out breaks the tie upwards.
    EXPECT_EQ(f32_bits("16777217.000000000000000000000000000000000000000000000000000000000000000001"), bits(16777218.0f));
    for (const char* bad : { "", "-", ".", "e5", "1e", "1e+", "0x10", "0x1p3", "nan(1)", "infinite", "3.5e38", "1e99",
                              "1.5.2", "1,5", "--1", " 1" })
        EXPECT_TRUE(refused_f32(bad)) << bad;
}

TEST(Literals, RandomDecimalsAreCorrectlyRounded)
{
    std::mt19937 rng(11);
    auto digits = [&](int n) {
        std::string s;
        for (int i = 0; i < n; ++i)
            s += static_cast<char>('0' + rng() % 10);
        return s;
    };
    int compared = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string text = rng() % 4 == 0 ? "-" : "";
        text += digits(1 + static_cast<int>(rng() % 30));
        if (rng() % 2)
            text += "." + digits(static_cast<int>(rng() % 30));
        if (rng() % 2)
            text += "e" + std::to_string(static_cast<int>(rng() % 100) - 60);
        errno = 0;
        char* end = nullptr;
        float expected = std::strtof(text.c_str(), &end);
        ASSERT_EQ(*end, 0) << text;
        f32 got;
        if (std::isinf(expected)) {
            EXPECT_FALSE(parse_f32_literal(text.c_str(), got)) << text << " rounds past the largest f32";
            continue;
        }
        ASSERT_TRUE(parse_f32_literal(text.c_str(), got)) << text;
        ASSERT_EQ(bits(got), bits(expected)) << text;
        ++compared;
    }
    EXPECT_GT(compared, 15000);
}
