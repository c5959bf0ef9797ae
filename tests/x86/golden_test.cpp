// Golden tests: the emitter's bytes for every case in golden_cases.cpp are
// nasm's bytes for the same text (tests/x86/golden_vectors.txt, written by
// tools/gen_x86_vectors.py). That objdump decodes our bytes to the expected
// text, consuming exactly the emitted length, is checked by
// tests/tools/test_x86_vectors.py, which runs objdump. The named tests at
// the end restate the encoding corners of the issue with bytes taken from
// the Intel SDM, independently of nasm.
#include "golden_cases.h"
#include "golden_vectors.h"

#include <microjit/x86/assembler.h>

#include <gtest/gtest.h>

#include <cstring>

using namespace x86;

namespace {

struct Golden {
    std::vector<GoldenCase> cases = make_golden_cases();
    std::vector<GoldenVector> vectors = load_golden_vectors();
    std::unordered_map<std::string, const GoldenVector*> by_text;
    Golden()
    {
        for (const auto& v : vectors)
            by_text[v.text] = &v;
    }
};

const Golden& golden()
{
    static Golden g;
    return g;
}

const char* deviation_reason(const std::string& text)
{
    for (usize i = 0; i < golden_deviation_count; ++i) {
        if (text == golden_deviations[i].text)
            return golden_deviations[i].reason;
    }
    return nullptr;
}

} // namespace

TEST(X86Golden, VectorFileIsPresentAndLarge)
{
    // asmjit has about 8,000 32-bit vectors; we cover every form with more.
    ASSERT_GE(golden().vectors.size(), 8000u) << "cannot read " << golden_vectors_path();
}

TEST(X86Golden, EveryCaseHasAVectorAndEveryVectorACase)
{
    const auto& g = golden();
    usize missing = 0;
    for (const auto& c : g.cases) {
        if (!g.by_text.count(c.text) && ++missing <= 10)
            ADD_FAILURE() << "no vector for '" << c.text << "': the vectors drifted, run `make x86-vectors`";
    }
    EXPECT_EQ(missing, 0u);
    EXPECT_EQ(g.cases.size(), g.vectors.size()) << "the vectors drifted from the cases, run `make x86-vectors`";
}

TEST(X86Golden, EmitterWritesNasmBytes)
{
    const auto& g = golden();
    usize failures = 0, compared = 0;
    for (const auto& c : g.cases) {
        auto it = g.by_text.find(c.text);
        if (it == g.by_text.end())
            continue;
        ++compared;
        if (c.error != Error::Ok) {
            if (++failures <= 20)
                ADD_FAILURE() << "'" << c.text << "': emitter reported " << error_name(c.error);
            continue;
        }
        const auto& nasm = it->second->nasm_bytes;
        bool same = c.bytes == nasm;
        const char* reason = deviation_reason(c.text);
        if (reason && same) {
            if (++failures <= 20)
                ADD_FAILURE() << "'" << c.text << "' is listed as a deviation (" << reason << ") but matches nasm";
        } else if (!reason && !same) {
            if (++failures <= 20)
                ADD_FAILURE() << "'" << c.text << "': emitted " << to_hex(c.bytes.data(), c.bytes.size())
                              << ", nasm " << to_hex(nasm.data(), nasm.size());
        }
    }
    EXPECT_EQ(failures, 0u);
    EXPECT_EQ(compared, g.cases.size());
}

TEST(X86Golden, BufferOneByteTooSmallForEveryGoldenCase)
{
    // Every golden case emitted again into a buffer one byte smaller than it
    // needs: EmitBufferFull, and the guard after the buffer untouched.
    usize checked = 0, failures = 0;
    for (const auto& c : make_golden_cases(true)) {
        ++checked;
        if ((c.one_short_error != Error::EmitBufferFull || !c.one_short_guard_intact) && ++failures <= 20)
            ADD_FAILURE() << "'" << c.text << "': " << error_name(c.one_short_error)
                          << (c.one_short_guard_intact ? "" : ", guard overwritten");
    }
    EXPECT_GT(checked, 8000u);
    EXPECT_EQ(failures, 0u);
}

// --- the corners, spelled out ------------------------------------------------------

namespace {

template<typename Emit>
std::string emit_hex(Emit emit)
{
    u8 buffer[512];
    Assembler a(buffer, sizeof(buffer));
    a.set_base_address(0);
    emit(a);
    auto size = a.finish();
    if (size.is_error())
        return std::string("error ") + error_name(size.error());
    return to_hex(buffer, size.value());
}

} // namespace

TEST(X86Encoding, EspBaseNeedsSib)
{
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(ecx, ptr(esp)); }), "8b0c24");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(ecx, ptr(esp, 8)); }), "8b4c2408");
}

TEST(X86Encoding, EbpBaseNeedsDisp8)
{
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(ecx, ptr(ebp)); }), "8b4d00");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.lea(eax, ptr(ebp, esi, 8)); }), "8d44f500");
}

TEST(X86Encoding, NoBaseIsDisp32)
{
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(ecx, ptr_abs(0x1000)); }), "8b0d00100000");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(ecx, ptr_index(edx, 4)); }), "8b0c9500000000");
}

TEST(X86Encoding, Disp8WhenItFits)
{
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(ecx, ptr(ebx, 127)); }), "8b4b7f");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(ecx, ptr(ebx, -128)); }), "8b4b80");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(ecx, ptr(ebx, 128)); }), "8b8b80000000");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(ecx, ptr(ebx, -129)); }), "8b8b7fffffff");
}

TEST(X86Encoding, ScaledIndex)
{
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(eax, ptr(ebx, ecx, 1)); }), "8b040b");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(eax, ptr(ebx, ecx, 2)); }), "8b044b");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(eax, ptr(ebx, ecx, 4)); }), "8b048b");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.mov(eax, ptr(ebx, ecx, 8)); }), "8b04cb");
}

TEST(X86Encoding, Imm8PickedAutomatically)
{
    EXPECT_EQ(emit_hex([](Assembler& a) { a.add(ecx, 127); }), "83c17f");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.add(ecx, -128); }), "83c180");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.add(ecx, 128); }), "81c180000000");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.add(ecx, -129); }), "81c17fffffff");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.add(eax, 128); }), "0580000000"); // accumulator form
    EXPECT_EQ(emit_hex([](Assembler& a) { a.push(-128); }), "6a80");
    EXPECT_EQ(emit_hex([](Assembler& a) { a.imul(eax, ecx, 128); }), "69c180000000");
}

TEST(X86Encoding, Rel8AndRel32Boundaries)
{
    auto forward = [](int gap) {
        return emit_hex([gap](Assembler& a) {
            Label l = a.new_label();
            a.jmp(l);
            for (int i = 0; i < gap; ++i)
                a.int3();
            a.bind(l);
        }).substr(0, 10);
    };
    EXPECT_EQ(forward(127), "eb7fcccccc");
    EXPECT_EQ(forward(128), "e980000000");
    auto backward = [](int gap) {
        std::string hex = emit_hex([gap](Assembler& a) {
            Label l = a.new_label();
            a.bind(l);
            for (int i = 0; i < gap; ++i)
                a.int3();
            a.jne(l);
        });
        return hex.substr(2 * gap);
    };
    EXPECT_EQ(backward(126), "7580");         // -128 from the end of a 2-byte jump
    EXPECT_EQ(backward(127), "0f857bffffff"); // -133 from the end of a 6-byte jump
}
