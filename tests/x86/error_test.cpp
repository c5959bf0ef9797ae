// Errors are values: a full buffer, impossible operands and label misuse set
// the first error, finish() returns it, and not one byte is written outside
// the buffer (a guard region after it is checked every time).
#include <microjit/x86/assembler.h>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>

using namespace x86;

namespace {

constexpr usize guard_size = 64;
constexpr u8 guard_byte = 0xA5;

// Emits `body` into a buffer of `capacity` bytes followed by a guard region.
struct Guarded {
    std::vector<u8> memory;
    usize capacity;
    ErrorOr<usize> result { Error::Ok };
    usize emitted_before_finish = 0;

    Guarded(usize cap, const std::function<void(Assembler&)>& body)
        : memory(cap + guard_size, guard_byte)
        , capacity(cap)
    {
        Assembler a(memory.data(), capacity);
        a.set_base_address(0);
        a.allow_avx2(true);
        body(a);
        emitted_before_finish = a.size();
        result = a.finish();
    }
    bool guard_intact() const
    {
        for (usize i = capacity; i < memory.size(); ++i) {
            if (memory[i] != guard_byte)
                return false;
        }
        return true;
    }
    Error error() const { return result.is_error() ? result.error() : Error::Ok; }
};

} // namespace

TEST(X86Errors, BufferExactlyOneByteTooSmall)
{
    std::vector<std::function<void(Assembler&)>> bodies = {
        [](Assembler& a) { a.mov(eax, 0x12345678); },
        [](Assembler& a) { a.add(dword_ptr(esp, eax, 4, 0x1000), 0x12345678); },
        [](Assembler& a) { a.allow_avx2(true); a.vfmadd231ps(ymm1, ymm2, ptr(esp, ebp, 8, 0x100000)); },
        [](Assembler& a) { a.cmpps(xmm1, ptr(ebp, esi, 2, -0x400), 3); },
        [](Assembler& a) {
            Label l = a.new_label();
            a.bind(l);
            for (int i = 0; i < 50; ++i) {
                a.add(eax, i);
                a.jne(l);
            }
            a.ret();
        },
        [](Assembler& a) {
            a.nop();
            a.align(32);
            a.nop(13);
            a.call_abs(0x1000);
        },
    };
    for (usize k = 0; k < bodies.size(); ++k) {
        Guarded fits(4096, bodies[k]);
        ASSERT_FALSE(fits.result.is_error()) << k;
        usize needed = fits.emitted_before_finish;
        Guarded exact(needed, bodies[k]);
        EXPECT_FALSE(exact.result.is_error()) << k << ": " << error_name(exact.error());
        EXPECT_TRUE(exact.guard_intact()) << k;
        Guarded short_by_one(needed - 1, bodies[k]);
        EXPECT_EQ(short_by_one.error(), Error::EmitBufferFull) << k;
        EXPECT_TRUE(short_by_one.guard_intact()) << k;
        for (usize capacity = 0; capacity < needed; capacity += 1 + capacity / 3) {
            Guarded small(capacity, bodies[k]);
            EXPECT_EQ(small.error(), Error::EmitBufferFull) << k << " at " << capacity;
            EXPECT_TRUE(small.guard_intact()) << k << " at " << capacity;
        }
    }
}

TEST(X86Errors, NothingIsWrittenOnceTheBufferIsFull)
{
    Guarded g(10, [](Assembler& a) {
        a.mov(eax, 1);      // 5 bytes
        a.mov(ecx, 2);      // 5 bytes: exactly full
        a.mov(edx, 3);      // does not fit
        a.nop();            // would fit nowhere either: the buffer stays full
        EXPECT_EQ(a.size(), 10u);
    });
    EXPECT_EQ(g.error(), Error::EmitBufferFull);
    EXPECT_TRUE(g.guard_intact());
}

TEST(X86Errors, EspAsIndexIsAnError)
{
    Guarded g(64, [](Assembler& a) { a.mov(eax, ptr(ebx, esp, 1)); });
    EXPECT_EQ(g.error(), Error::EmitInvalidOperand);
    Guarded h(64, [](Assembler& a) { a.lea(eax, ptr_index(esp, 4)); });
    EXPECT_EQ(h.error(), Error::EmitInvalidOperand);
}

TEST(X86Errors, InvalidOperands)
{
    std::vector<std::pair<const char*, std::function<void(Assembler&)>>> cases = {
        { "scale 3", [](Assembler& a) { a.mov(eax, ptr(ebx, ecx, 3)); } },
        { "shift by edx-sized register", [](Assembler& a) { a.shl(eax, dl); } },
        { "shift count 32", [](Assembler& a) { a.shr(eax, u8(32)); } },
        { "unsized memory with immediate", [](Assembler& a) { a.add(ptr(eax), 1); } },
        { "unsized mov with immediate", [](Assembler& a) { a.mov(ptr(eax), 1); } },
        { "unsized inc", [](Assembler& a) { a.inc(ptr(eax)); } },
        { "movzx from unsized memory", [](Assembler& a) { a.movzx(eax, ptr(ebx)); } },
        { "byte memory with a 32-bit register", [](Assembler& a) { a.add(eax, byte_ptr(ebx)); } },
        { "dword memory with an 8-bit register", [](Assembler& a) { a.mov(byte_ptr(ebx), eax); a.mov(dword_ptr(ebx), al); } },
        { "8-bit immediate out of range", [](Assembler& a) { a.mov(al, 256); } },
        { "byte memory immediate out of range", [](Assembler& a) { a.add(byte_ptr(eax), -129); } },
        { "cmpps predicate 8", [](Assembler& a) { a.cmpps(xmm0, xmm1, 8); } },
        { "alignment not a power of two", [](Assembler& a) { a.align(12); } },
        { "label of another assembler", [](Assembler& a) { a.jmp(Label { 7 }); } },
        { "label address in a based operand", [](Assembler& a) {
             Label l = a.new_label();
             Mem m = ptr(l);
             m.base = 0;
             a.mov(eax, m);
             a.bind(l);
         } },
    };
    for (auto& [what, body] : cases) {
        Guarded g(64, body);
        EXPECT_EQ(g.error(), Error::EmitInvalidOperand) << what;
        EXPECT_TRUE(g.guard_intact()) << what;
    }
}

TEST(X86Errors, FirstErrorIsKept)
{
    Guarded g(64, [](Assembler& a) {
        a.mov(eax, ptr(ebx, esp, 1)); // invalid operand
        Label l = a.new_label();
        a.jmp(l);                     // unbound
        a.bind(l);
        a.bind(l);                    // rebound
        EXPECT_EQ(a.error(), Error::EmitInvalidOperand);
    });
    EXPECT_EQ(g.error(), Error::EmitInvalidOperand);
}

TEST(X86Errors, UnboundLabel)
{
    Guarded g(64, [](Assembler& a) {
        Label l = a.new_label();
        a.jne(l);
        a.ret();
    });
    EXPECT_EQ(g.error(), Error::EmitUnboundLabel);
    Guarded call(64, [](Assembler& a) { a.call(a.new_label()); });
    EXPECT_EQ(call.error(), Error::EmitUnboundLabel);
    Guarded address(64, [](Assembler& a) { a.mov(eax, ptr(a.new_label())); });
    EXPECT_EQ(address.error(), Error::EmitUnboundLabel);
    // A label nobody jumps to need not be bound.
    Guarded unused(64, [](Assembler& a) {
        a.new_label();
        a.ret();
    });
    EXPECT_FALSE(unused.result.is_error());
}

TEST(X86Errors, LabelReboundAndTooMany)
{
    Guarded rebound(64, [](Assembler& a) {
        Label l = a.new_label();
        a.bind(l);
        a.nop();
        a.bind(l);
    });
    EXPECT_EQ(rebound.error(), Error::EmitLabelRebound);
    Guarded many(64, [](Assembler& a) {
        for (u32 i = 0; i <= Assembler::max_labels; ++i)
            a.new_label();
    });
    EXPECT_EQ(many.error(), Error::EmitTooManyLabels);
    Guarded sites(16384, [](Assembler& a) {
        Label l = a.new_label();
        a.bind(l);
        for (u32 i = 0; i <= Assembler::max_sites; ++i)
            a.jmp(l);
    });
    EXPECT_EQ(sites.error(), Error::EmitTooManySites);
    EXPECT_TRUE(sites.guard_intact());
}

TEST(X86Errors, AvxNeedsPermission)
{
    std::vector<u8> memory(64 + guard_size, guard_byte);
    Assembler a(memory.data(), 64);
    a.vaddps(ymm0, ymm1, ymm2);
    auto result = a.finish();
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::EmitUnsupportedIsa);
    EXPECT_EQ(a.size(), 0u);
}

TEST(X86Errors, FinishTwiceIsRefused)
{
    u8 buffer[16];
    Assembler a(buffer, sizeof(buffer));
    a.ret();
    EXPECT_FALSE(a.finish().is_error());
    EXPECT_TRUE(a.finish().is_error());
}
