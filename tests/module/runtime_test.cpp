// microjit/runtime: the checksums against published check values, and
// exp_f32 against the correctly rounded e^x over a dense sweep.
#include <gtest/gtest.h>
#include <microjit/runtime/crc32.h>
#include <microjit/runtime/exp_f32.h>
#include <microjit/runtime/fnv1a64.h>

#include <cmath>
#include <cstring>

namespace {

const u8* text(const char* s) { return reinterpret_cast<const u8*>(s); }

// Distance in units in the last place between two finite floats of the same sign.
i64 ulp_distance(float a, float b)
{
    i32 ia, ib;
    std::memcpy(&ia, &a, 4);
    std::memcpy(&ib, &b, 4);
    return static_cast<i64>(ia) - static_cast<i64>(ib);
}

}

TEST(Crc32, CheckValues)
{
    EXPECT_EQ(crc32(text("123456789"), 9), 0xCBF43926u) << "the CRC-32/ISO-HDLC check value";
    EXPECT_EQ(crc32(text(""), 0), 0u);
    EXPECT_EQ(crc32_update(crc32(text("1234"), 4), text("56789"), 5), 0xCBF43926u) << "running CRC";
}

TEST(Fnv1a64, CheckValues)
{
    EXPECT_EQ(fnv1a64(text(""), 0), 0xcbf29ce484222325ull);
    EXPECT_EQ(fnv1a64(text("a"), 1), 0xaf63dc4c8601ec8cull);
    EXPECT_EQ(fnv1a64(text("foobar"), 6), 0x85944171f73967e8ull);
}

TEST(ExpF32, WithinOneUlpOfCorrectlyRoundedEverywhere)
{
    long exact = 0, total = 0;
    // Every 97th float pattern between -104 and 89, positive and negative.
    for (u32 pattern = 0; pattern < 0x42B20000u; pattern += 97) {
        for (u32 sign : { 0u, 0x80000000u }) {
            u32 b = pattern | sign;
            float x;
            std::memcpy(&x, &b, 4);
            if (x < -104.0f || x > 89.0f)
                continue;
            float want = static_cast<float>(std::exp(static_cast<double>(x)));
            float got = exp_f32(x);
            ++total;
            if (got == want) {
                ++exact;
                continue;
            }
            ASSERT_LE(std::llabs(ulp_distance(got, want)), 1) << "x=" << x << " got " << got << " want " << want;
        }
    }
    EXPECT_GT(total, 10000000 / 97);
    EXPECT_GT(static_cast<double>(exact) / static_cast<double>(total), 0.9999) << exact << " of " << total << " exact";
}

TEST(ExpF32, SpecialValues)
{
    EXPECT_EQ(exp_f32(0.0f), 1.0f);
    EXPECT_EQ(exp_f32(-0.0f), 1.0f);
    EXPECT_EQ(exp_f32(1.0f), 2.71828182845904523536f);
    EXPECT_TRUE(std::isnan(exp_f32(std::nanf(""))));
    EXPECT_EQ(exp_f32(INFINITY), INFINITY);
    EXPECT_EQ(exp_f32(-INFINITY), 0.0f);
    EXPECT_EQ(exp_f32(88.8f), INFINITY) << "past ln(FLT_MAX)";
    EXPECT_EQ(exp_f32(88.72283f), static_cast<float>(std::exp(static_cast<double>(88.72283f))));
    EXPECT_EQ(exp_f32(-103.0f), static_cast<float>(std::exp(-103.0))) << "gradual underflow";
    EXPECT_EQ(exp_f32(-104.5f), 0.0f);
    EXPECT_GT(exp_f32(-103.9f), 0.0f) << "still rounds up to the smallest subnormal";
}
