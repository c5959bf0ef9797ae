// The kernel's printf engine (kernel/lib/format.cpp), built hosted and
// checked against the C library's snprintf, which is the specification it
// follows (C11 7.21.6.1).
#include <kernel/lib/format.h>

#include <gtest/gtest.h>
#include <cstdio>
#include <string>

namespace {

template<typename... Args>
std::string ours(const char* format, Args... args)
{
    char buffer[512];
    format_to(buffer, sizeof(buffer), format, args...);
    return buffer;
}

template<typename... Args>
std::string libc(const char* format, Args... args)
{
    char buffer[512];
    std::snprintf(buffer, sizeof(buffer), format, args...);
    return buffer;
}

#define EXPECT_LIKE_LIBC(...) EXPECT_EQ(ours(__VA_ARGS__), libc(__VA_ARGS__))

} // namespace

TEST(Format, Integers)
{
    EXPECT_LIKE_LIBC("%d %i %u", -42, 7, 4000000000u);
    EXPECT_LIKE_LIBC("%x %X %o", 0xbeefu, 0xbeefu, 8u);
    EXPECT_LIKE_LIBC("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, -42, 42, 42);
    EXPECT_LIKE_LIBC("%08x %#x %#o", 0x1234u, 255u, 8u);
    EXPECT_LIKE_LIBC("%.3d %.0d|%#.0o|", 7, 0, 0u);
    EXPECT_LIKE_LIBC("%d %d", -2147483647 - 1, 2147483647);
}

TEST(Format, SixtyFourBit)
{
    EXPECT_LIKE_LIBC("%llu %lld %llx", 18446744073709551615ull, -9223372036854775807ll - 1, 0x123456789abcdefull);
    EXPECT_LIKE_LIBC("%016llx", 0xabcull);
    EXPECT_LIKE_LIBC("%zu", static_cast<size_t>(123456));
}

TEST(Format, StringsCharsPointers)
{
    EXPECT_LIKE_LIBC("[%s] [%10s] [%-10s] [%.2s]", "abc", "abc", "abc", "abc");
    EXPECT_LIKE_LIBC("%c%c%%", 'o', 'k');
    EXPECT_EQ(ours("%p", reinterpret_cast<void*>(0x1000)), "0x00001000");
    const char* volatile null_string = nullptr; // volatile: keep GCC's format checker out of it
    EXPECT_EQ(ours("%s", null_string), "(null)");
    EXPECT_LIKE_LIBC("%*d|%-*d|", 6, 1, 6, 2);
}

TEST(Format, FixedPoint)
{
    for (double v : { 0.0, 1.0, -1.5, 3.14159265, 0.000123, 123456.789, 1e15, 0.5, 2.5, 99.995 }) {
        EXPECT_LIKE_LIBC("%f", v);
        EXPECT_LIKE_LIBC("%.2f", v);
        EXPECT_LIKE_LIBC("%.0f", v);
        EXPECT_LIKE_LIBC("%10.3f", v);
    }
}

TEST(Format, ExponentAndGeneral)
{
    for (double v : { 1.0, -2.5e-7, 6.02214076e23, 1e-300, 1.7976931348623157e308, 0.1, 100000.0, 1234567.0 }) {
        EXPECT_LIKE_LIBC("%e", v);
        EXPECT_LIKE_LIBC("%.3e", v);
        EXPECT_LIKE_LIBC("%g", v);
        EXPECT_LIKE_LIBC("%.9g", v);
        EXPECT_LIKE_LIBC("%G", v);
    }
    EXPECT_LIKE_LIBC("%g %g %g", 0.0001, 0.00001, 123456789.0);
}

TEST(Format, FloatSpecialValues)
{
    double inf = __builtin_inf();
    EXPECT_EQ(ours("%f %f %g", inf, -inf, __builtin_nan("")), "inf -inf nan");
    EXPECT_LIKE_LIBC("%g", -0.0);
    EXPECT_LIKE_LIBC("%5.1f|%-8g|%+g", 1.25, 2.5, 3.0);
}

// The JIT shell prints f32 results with 9 significant digits: every float
// must come back bit-exact when parsed.
TEST(Format, NineDigitsRoundTripFloats)
{
    float values[] = { 0.1f, 1.0f / 3.0f, 3.4028235e38f, 1.17549435e-38f, 16777217.0f, -2.71828182f, 1e-45f };
    for (float f : values) {
        char buffer[64];
        format_float(buffer, sizeof(buffer), f, 9);
        EXPECT_EQ(std::strtof(buffer, nullptr), f) << buffer;
        EXPECT_EQ(std::string(buffer), libc("%.9g", static_cast<double>(f)));
    }
}

TEST(Format, TruncatesButReportsTheFullLength)
{
    char small[6];
    EXPECT_EQ(format_to(small, sizeof(small), "%s-%d", "abcdef", 12), 9u);
    EXPECT_STREQ(small, "abcde");
}
