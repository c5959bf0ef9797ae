// The length decoder agrees with objdump on every golden vector, accepts
// everything the emitter wrote, and refuses truncated or foreign bytes.
#include "golden_cases.h"
#include "golden_vectors.h"

#include <microjit/x86/length_decoder.h>

#include <gtest/gtest.h>

using namespace x86;

namespace {

// The decoder's instruction lengths over a whole byte string, or an empty
// list with `error` set.
std::vector<u32> decode_lengths(const std::vector<u8>& bytes, Error& error)
{
    std::vector<u32> lengths;
    error = Error::Ok;
    usize at = 0;
    while (at < bytes.size()) {
        auto length = instruction_length(bytes.data() + at, bytes.size() - at);
        if (length.is_error()) {
            error = length.error();
            return {};
        }
        lengths.push_back(length.value());
        at += length.value();
    }
    return lengths;
}

std::string join(const std::vector<u32>& v)
{
    std::string s;
    for (u32 x : v)
        s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

} // namespace

TEST(X86LengthDecoder, AgreesWithObjdumpOnEveryGoldenVector)
{
    auto vectors = load_golden_vectors();
    ASSERT_GE(vectors.size(), 8000u) << "cannot read " << golden_vectors_path();
    usize failures = 0;
    for (const auto& v : vectors) {
        Error error;
        auto lengths = decode_lengths(v.nasm_bytes, error);
        if (lengths != v.objdump_lengths && ++failures <= 20) {
            ADD_FAILURE() << "'" << v.text << "' (" << to_hex(v.nasm_bytes.data(), v.nasm_bytes.size())
                          << "): decoder " << (error != Error::Ok ? error_name(error) : join(lengths))
                          << ", objdump " << join(v.objdump_lengths);
        }
    }
    EXPECT_EQ(failures, 0u);
}

TEST(X86LengthDecoder, AcceptsEverythingTheEmitterWrote)
{
    usize failures = 0;
    for (const auto& c : make_golden_cases()) {
        usize bad = 0;
        auto result = validate_code(c.bytes.data(), c.bytes.size(), &bad);
        if (result.is_error() && ++failures <= 20)
            ADD_FAILURE() << "'" << c.text << "': " << error_name(result.error()) << " at offset " << bad;
    }
    EXPECT_EQ(failures, 0u);
}

TEST(X86LengthDecoder, EveryCutOffInstructionIsTruncated)
{
    usize failures = 0;
    for (const auto& v : load_golden_vectors()) {
        if (v.objdump_lengths.size() != 1)
            continue;
        for (usize cut = 0; cut < v.nasm_bytes.size(); ++cut) {
            auto length = instruction_length(v.nasm_bytes.data(), cut);
            if ((!length.is_error() || length.error() != Error::DecodeTruncated) && ++failures <= 20)
                ADD_FAILURE() << "'" << v.text << "' cut to " << cut << " bytes was not reported as truncated";
        }
    }
    EXPECT_EQ(failures, 0u);
}

TEST(X86LengthDecoder, RefusesInstructionsTheEmitterNeverWrites)
{
    const std::vector<std::vector<u8>> foreign = {
        { 0xF4 },             // hlt
        { 0xFA },             // cli
        { 0x0F, 0x05 },       // syscall
        { 0xCD, 0x80 },       // int 0x80
        { 0x62, 0x00 },       // bound (EVEX in 64-bit code)
        { 0x66, 0x01, 0xC8 }, // add ax, cx: 16-bit operand size
        { 0xF0, 0x01, 0x08 }, // lock add
        { 0x2E, 0x8B, 0x00 }, // segment override
        { 0xC5, 0x7C, 0x58, 0xC0 }, // VEX with R̄=0 (a register the 32-bit mode does not have)
        { 0xC4, 0xE3, 0x7D, 0x18, 0xC0, 0x01 }, // vinsertf128: the 0F 3A map
        { 0x0F, 0x0F, 0xC0, 0x00 }, // 3DNow!
    };
    for (const auto& bytes : foreign) {
        auto length = instruction_length(bytes.data(), bytes.size());
        EXPECT_TRUE(length.is_error()) << to_hex(bytes.data(), bytes.size());
        if (length.is_error()) {
            EXPECT_EQ(length.error(), Error::DecodeUnknownInstruction) << to_hex(bytes.data(), bytes.size());
        }
    }
}

TEST(X86LengthDecoder, ValidateReportsTheOffset)
{
    const u8 code[] = { 0x55, 0x89, 0xE5, 0xF4, 0xC3 }; // push ebp; mov ebp, esp; hlt; ret
    usize bad = 99;
    auto result = validate_code(code, sizeof(code), &bad);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::DecodeUnknownInstruction);
    EXPECT_EQ(bad, 3u);
    const u8 cut[] = { 0x90, 0xB8, 0x01, 0x02 }; // nop; mov eax, imm32 cut short
    result = validate_code(cut, sizeof(cut), &bad);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::DecodeTruncated);
    EXPECT_EQ(bad, 1u);
}
