// Labels: binding, alignment of loop heads, the int3 fill, label addresses,
// and the jump-sizing passes checked on random programs: after finish()
// every jump lands on its label, and every rel32 jump really needs it.
#include <microjit/x86/assembler.h>
#include <microjit/x86/length_decoder.h>

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace x86;

TEST(X86Labels, AlignPadsWithNopsAndKeepsTheLoopHeadAligned)
{
    u8 buffer[256];
    Assembler a(buffer, sizeof(buffer));
    Label head = a.new_label(), out = a.new_label();
    a.mov(eax, 1);       // 5 bytes
    a.jmp(out);          // shrinks from 5 to 2, so the padding must grow
    a.align(16);
    a.bind(head);
    a.dec(eax);
    a.jne(head);
    a.bind(out);
    a.ret();
    auto size = a.finish();
    ASSERT_FALSE(size.is_error());
    EXPECT_EQ(a.label_offset(head) % 16, 0u);
    EXPECT_EQ(a.label_offset(head), 16u);
    // 5 + 2 = 7 bytes of code, then 9 bytes of padding: one 9-byte nop.
    const u8 nop9[] = { 0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 };
    EXPECT_EQ(std::memcmp(buffer + 7, nop9, 9), 0);
    EXPECT_FALSE(validate_code(buffer, size.value()).is_error());
}

TEST(X86Labels, Int3AlignmentAndFreedTailAreInt3)
{
    u8 buffer[256];
    std::memset(buffer, 0, sizeof(buffer));
    Assembler a(buffer, sizeof(buffer));
    Label end = a.new_label();
    a.jmp(end); // emitted as 5 bytes, finished as 2
    a.ret();
    a.align(8, Fill::Int3);
    a.bind(end);
    a.ret();
    usize emitted = a.size();
    auto size = a.finish();
    ASSERT_FALSE(size.is_error());
    EXPECT_EQ(size.value(), 9u);
    EXPECT_EQ(buffer[0], 0xEB);
    EXPECT_EQ(buffer[1], 0x06);
    for (usize i = 3; i < 8; ++i)
        EXPECT_EQ(buffer[i], 0xCC) << i;
    for (usize i = size.value(); i < emitted; ++i)
        EXPECT_EQ(buffer[i], 0xCC) << "freed byte " << i;
}

TEST(X86Labels, LabelAddresses)
{
    u8 buffer[256];
    Assembler a(buffer, sizeof(buffer));
    a.set_base_address(0x100000);
    Label table = a.new_label(), target = a.new_label(), constant = a.new_label();
    Label skip = a.new_label();
    a.jmp(skip);        // shrinks: everything after moves by 3
    a.bind(skip);
    a.mov(eax, target);                  // B8 + address
    a.movss(xmm0, ptr(constant, 4));     // disp32 = address + 4
    a.bind(target);
    a.ret();
    a.bind(table);
    a.dd(target);
    a.bind(constant);
    a.dd(0);
    auto size = a.finish();
    ASSERT_FALSE(size.is_error());
    u32 target_address = 0x100000 + a.label_offset(target);
    u32 stored;
    std::memcpy(&stored, buffer + a.label_offset(table), 4);
    EXPECT_EQ(stored, target_address);
    std::memcpy(&stored, buffer + 3, 4); // after EB 00 and B8
    EXPECT_EQ(stored, target_address);
    std::memcpy(&stored, buffer + a.label_offset(skip) + 5 + 4, 4); // movss: F3 0F 10 05 disp32
    EXPECT_EQ(stored, 0x100000 + a.label_offset(constant) + 4);
}

namespace {

// What a random program jumps to, in emission order.
struct JumpRecord {
    Label label;
};

// Decodes the finished code and returns, for each jmp/jcc, its target
// offset and whether it was rel8.
struct DecodedJump {
    u32 at;
    i64 target;
    bool short_form;
    i64 displacement;
};

std::vector<DecodedJump> decode_jumps(const u8* code, usize size)
{
    std::vector<DecodedJump> jumps;
    usize at = 0;
    while (at < size) {
        auto length = instruction_length(code + at, size - at);
        if (length.is_error())
            return {};
        u32 n = length.value();
        const u8* p = code + at;
        if (p[0] == 0xEB || (p[0] >= 0x70 && p[0] <= 0x7F)) {
            i8 d = static_cast<i8>(p[1]);
            jumps.push_back({ static_cast<u32>(at), static_cast<i64>(at) + n + d, true, d });
        } else if (p[0] == 0xE9 || (p[0] == 0x0F && p[1] >= 0x80 && p[1] <= 0x8F)) {
            i32 d;
            std::memcpy(&d, p + n - 4, 4);
            jumps.push_back({ static_cast<u32>(at), static_cast<i64>(at) + n + d, false, d });
        }
        at += n;
    }
    return jumps;
}

} // namespace

class X86JumpSizing : public ::testing::TestWithParam<int> { };

TEST_P(X86JumpSizing, RandomProgramsLandOnTheirLabels)
{
    std::mt19937 rng(static_cast<u32>(GetParam()));
    bool with_alignment = GetParam() % 2 == 1;
    std::vector<u8> buffer(64 * 1024);
    Assembler a(buffer.data(), buffer.size());
    std::vector<Label> labels;
    for (int i = 0; i < 60; ++i)
        labels.push_back(a.new_label());
    std::vector<Label> jumps;
    u32 next_bind = 0;
    for (int step = 0; step < 400; ++step) {
        u32 choice = rng() % 10;
        if (choice < 4) {
            a.nop(1 + rng() % 20); // filler, sized so that jumps sit near the rel8 limit
        } else if (choice < 7) {
            Label l = labels[rng() % labels.size()];
            jumps.push_back(l);
            if (rng() % 2)
                a.jmp(l);
            else
                a.jcc(static_cast<Condition>(rng() % 16), l);
        } else if (choice < 9 && next_bind < labels.size()) {
            a.bind(labels[next_bind++]);
        } else if (with_alignment) {
            a.align(1u << (rng() % 5));
        }
    }
    while (next_bind < labels.size())
        a.bind(labels[next_bind++]);
    auto size = a.finish();
    ASSERT_FALSE(size.is_error()) << error_name(size.error());
    ASSERT_FALSE(validate_code(buffer.data(), size.value()).is_error());
    auto decoded = decode_jumps(buffer.data(), size.value());
    ASSERT_EQ(decoded.size(), jumps.size());
    usize needless_rel32 = 0;
    for (usize i = 0; i < jumps.size(); ++i) {
        EXPECT_EQ(decoded[i].target, static_cast<i64>(a.label_offset(jumps[i]))) << "jump " << i;
        // A rel32 jump whose rel8 form would reach. Made short, a backward
        // jump's displacement grows by 3 (jmp) or 4 (jcc), its end moving
        // back; a forward one's stays, as its target moves back too.
        if (!decoded[i].short_form) {
            bool backward = decoded[i].target <= decoded[i].at;
            i64 as_short = decoded[i].displacement + (backward ? (buffer[decoded[i].at] == 0xE9 ? 3 : 4) : 0);
            if (as_short >= -128 && as_short <= 127)
                ++needless_rel32;
        }
    }
    if (!with_alignment) {
        EXPECT_EQ(needless_rel32, 0u) << "without alignment, every jump that fits in rel8 must be short";
    }
}

INSTANTIATE_TEST_SUITE_P(Seeds, X86JumpSizing, ::testing::Range(1, 41));
