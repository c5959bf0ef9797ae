// Absolute addresses in JIT code: the emitter's list of fields that hold one
// (x86::Assembler::note_absolute, label address fields), carried through the
// jump shrinking of finish(); the block that keeps the list after the code
// (seal_code_block); and the tier compilers, which must note every address
// of the instance they embed, since JIT snapshots rebase exactly the listed
// fields when they load code into another memory layout
// (docs/snapshot-format.md, "Relocations").
#include "jit_harness.h"

#include <microjit/tier2/tier2_compiler.h>
#include <microjit/x86/length_decoder.h>

#include <algorithm>

using namespace JitTest;
using namespace x86;

namespace {

u32 field_at(const u8* code, u32 offset)
{
    u32 value;
    std::memcpy(&value, code + offset, 4);
    return value;
}

std::vector<u32> offsets_of(const Assembler& a) { return std::vector<u32>(a.absolute_offsets(), a.absolute_offsets() + a.absolute_count()); }

TEST(AbsoluteFields, NotedFieldsFollowTheCodeThroughJumpShrinking)
{
    std::vector<u8> buffer(4096);
    Assembler a(buffer.data(), buffer.size());
    Label ahead = a.new_label(), back = a.new_label();
    a.bind(back);
    a.jmp(ahead); // emitted as rel32, shrinks to rel8: what follows moves 3 bytes
    a.mov(ecx, dword_ptr_abs(0x12345678));
    a.note_absolute();
    a.mov(eax, static_cast<i32>(0xCAFEBABE));
    a.note_absolute();
    a.jne(back); // shrinks by 4 more
    a.align(16);
    a.bind(ahead);
    a.inc(dword_ptr_abs(0x0BADF00D));
    a.note_absolute();
    a.mov(dword_ptr(esp, 8), static_cast<i32>(0x00C0FFEE)); // mov [esp+8], imm32: the imm32 is last
    a.note_absolute();
    a.ret();
    auto size = a.finish();
    ASSERT_FALSE(size.is_error());
    ASSERT_EQ(a.absolute_count(), 4u);
    std::vector<u32> offsets = offsets_of(a);
    EXPECT_TRUE(std::is_sorted(offsets.begin(), offsets.end()));
    EXPECT_EQ(field_at(buffer.data(), offsets[0]), 0x12345678u);
    EXPECT_EQ(field_at(buffer.data(), offsets[1]), 0xCAFEBABEu);
    EXPECT_EQ(field_at(buffer.data(), offsets[2]), 0x0BADF00Du);
    EXPECT_EQ(field_at(buffer.data(), offsets[3]), 0x00C0FFEEu);
    // jmp rel8 (2) then mov ecx, [disp32] (8B 0D, disp32 last).
    EXPECT_EQ(offsets[0], 2u + 2u);
    for (u32 offset : offsets)
        EXPECT_LE(offset + 4, size.value());
}

TEST(AbsoluteFields, LabelAddressFieldsAreListedWithTheNotes)
{
    std::vector<u8> buffer(4096);
    Assembler a(buffer.data(), buffer.size());
    a.set_base_address(0x00400000);
    Label skip = a.new_label(), constant = a.new_label();
    a.jmp(skip); // shrinks: the label fields move
    a.movss(xmm0, ptr(constant));
    a.mov(edx, dword_ptr_abs(0x00500000));
    a.note_absolute();
    a.mov(eax, constant);
    a.note_absolute(); // the same field the assembler records: listed once
    a.bind(skip);
    a.ret();
    a.align(16, Fill::Int3);
    a.bind(constant);
    a.dd(0x3F800000u);
    a.dd(constant);
    auto size = a.finish();
    ASSERT_FALSE(size.is_error());
    u32 constant_address = 0x00400000 + a.label_offset(constant);
    std::vector<u32> offsets = offsets_of(a);
    ASSERT_EQ(offsets.size(), 4u);
    EXPECT_TRUE(std::is_sorted(offsets.begin(), offsets.end()));
    EXPECT_EQ(field_at(buffer.data(), offsets[0]), constant_address); // movss xmm0, [constant]
    EXPECT_EQ(field_at(buffer.data(), offsets[1]), 0x00500000u);
    EXPECT_EQ(field_at(buffer.data(), offsets[2]), constant_address); // mov eax, constant
    EXPECT_EQ(field_at(buffer.data(), offsets[3]), constant_address); // dd constant
    EXPECT_EQ(offsets[3], a.label_offset(constant) + 4);
}

TEST(AbsoluteFields, TooManyAddressesIsAnError)
{
    std::vector<u8> buffer(64 * 1024);
    Assembler a(buffer.data(), buffer.size());
    for (u32 i = 0; i <= Assembler::max_absolutes; ++i) {
        a.mov(eax, static_cast<i32>(0x100000 + i));
        a.note_absolute();
    }
    auto size = a.finish();
    ASSERT_TRUE(size.is_error());
    EXPECT_EQ(size.error(), Error::EmitTooManyAbsolutes);
}

TEST(AbsoluteFields, NotesAndLabelFieldsTogetherMustFitTheList)
{
    std::vector<u8> buffer(64 * 1024);
    Assembler a(buffer.data(), buffer.size());
    Label data = a.new_label();
    for (u32 i = 0; i < Assembler::max_absolutes; ++i) {
        a.mov(eax, static_cast<i32>(0x100000 + i));
        a.note_absolute();
    }
    a.mov(eax, data); // one label field too many
    a.bind(data);
    a.ret();
    auto size = a.finish();
    ASSERT_TRUE(size.is_error());
    EXPECT_EQ(size.error(), Error::EmitTooManyAbsolutes);
}

TEST(AbsoluteFields, ANoteAfterAFailedInstructionIsIgnored)
{
    u8 buffer[8];
    Assembler a(buffer, sizeof(buffer));
    a.mov(eax, 1);
    a.mov(ecx, dword_ptr_abs(0x12345678)); // 6 bytes: does not fit
    a.note_absolute();
    EXPECT_EQ(a.absolute_count(), 0u);
    auto size = a.finish();
    ASSERT_TRUE(size.is_error());
    EXPECT_EQ(size.error(), Error::EmitBufferFull);
}

TEST(AbsoluteFields, SealedBlockKeepsTheListAfterTheCode)
{
    System system;
    CodePool& pool = system.pools().code;
    const usize capacity = 256;
    u8* code = static_cast<u8*>(pool.allocate(capacity).value());
    Assembler a(code, capacity);
    a.mov(eax, static_cast<i32>(0x11223344));
    a.note_absolute();
    a.mov(dword_ptr_abs(0x55667788), eax);
    a.note_absolute();
    a.ret();
    auto size = a.finish();
    ASSERT_FALSE(size.is_error());
    ASSERT_EQ(size.value(), 11u); // B8 imm32, A3 moffs32, C3
    auto block = seal_code_block(a, pool, code, capacity, size.value(), CodeIsa::Sse2);
    ASSERT_FALSE(block.is_error());
    EXPECT_EQ(block.value().code, code);
    EXPECT_EQ(block.value().size, 11u);
    const AbsoluteFields* fields = block.value().absolutes;
    ASSERT_NE(fields, nullptr);
    EXPECT_EQ(reinterpret_cast<const u8*>(fields), code + 12); // 4-aligned after the code
    EXPECT_EQ(code[11], 0xCC);                                   // the gap is int3
    ASSERT_EQ(fields->count, 2u);
    EXPECT_EQ(fields->offsets()[0], 1u);
    EXPECT_EQ(fields->offsets()[1], 6u);
    EXPECT_GE(pool.block_size(code), 12u + 4 * 3);
    EXPECT_LT(pool.block_size(code), capacity); // trimmed
    pool.free(code);
}

TEST(AbsoluteFields, ABlockWithoutRoomForTheListIsRefused)
{
    System system;
    CodePool& pool = system.pools().code;
    const usize capacity = 12;
    u8* code = static_cast<u8*>(pool.allocate(capacity).value());
    Assembler a(code, capacity);
    a.mov(eax, static_cast<i32>(0x11223344));
    a.note_absolute();
    a.ret();
    auto size = a.finish();
    ASSERT_FALSE(size.is_error());
    auto block = seal_code_block(a, pool, code, capacity, size.value(), CodeIsa::Sse2);
    ASSERT_TRUE(block.is_error());
    EXPECT_EQ(block.error(), Error::EmitBufferFull);
    pool.free(code);
}

// Records the environment and the block of every compile it forwards.
class Recorder final : public TierCompiler {
public:
    Recorder(TierCompiler& inner, u8 tier)
        : m_inner(inner)
        , m_tier(tier)
    {
    }
    ErrorOr<CodeBlock> compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason reason) override
    {
        CodeBlock block = TRY(m_inner.compile(env, function, pool, reason));
        last_env = env;
        last_block = block;
        return block;
    }
    u8 tier() const override { return m_tier; }

    NativeEnvironment last_env {};
    CodeBlock last_block {};

private:
    TierCompiler& m_inner;
    u8 m_tier;
};

// The address ranges a function's code may embed (the regions of
// kernel/snapshot/snapshot_regions.h).
struct Ranges {
    std::vector<std::pair<u32, u32>> ranges; // [begin, end)

    Ranges(const NativeEnvironment& env, const CodeBlock& block)
    {
        const ModuleInstance& instance = *env.instance;
        add(&instance, sizeof(ModuleInstance));
        add(instance.allocation, instance.allocation_size);
        add(env.jit, sizeof(JitInstance));
        add(env.states, instance.module->function_count * sizeof(NativeFunctionState));
        add(env.stubs, sizeof(NativeStubs));
        add(block.code, block.size);
        for (u32 b = 0; b < instance.module->buffer_count; ++b)
            add(instance.buffers[b].base, instance.buffers[b].length * 4);
    }
    void add(const void* base, usize size)
    {
        u32 begin = static_cast<u32>(reinterpret_cast<uptr>(base));
        ranges.push_back({ begin, begin + static_cast<u32>(size) });
    }
    bool contain(u32 value) const
    {
        return std::any_of(ranges.begin(), ranges.end(), [&](auto r) { return value >= r.first && value < r.second; });
    }
};

// Every noted field holds an address in one of the ranges, and every
// instruction whose last four bytes hold such an address has them noted.
// (A constant equal to an address would be reported here; the shipped
// modules have none.)
void expect_every_address_noted(const CodeBlock& block, const NativeEnvironment& env, const std::string& what)
{
    ASSERT_NE(block.absolutes, nullptr) << what;
    Ranges ranges(env, block);
    std::vector<u32> noted(block.absolutes->offsets(), block.absolutes->offsets() + block.absolutes->count);
    for (u32 offset : noted) {
        ASSERT_LE(offset + 4, block.size) << what;
        EXPECT_TRUE(ranges.contain(field_at(block.code, offset))) << what << ": field at +" << offset;
    }
    for (u32 at = 0; at < block.size;) {
        auto length = instruction_length(block.code + at, block.size - at);
        if (length.is_error())
            break; // constants after the code (tier 2's masks) do not decode
        u32 end = at + static_cast<u32>(length.value());
        const u8* op = block.code + at;
        bool branch = op[0] == 0xE8 || op[0] == 0xE9 || (op[0] == 0x0F && op[1] >= 0x80 && op[1] <= 0x8F); // rel32
        if (length.value() >= 5 && !branch && ranges.contain(field_at(block.code, end - 4))) {
            EXPECT_NE(std::find(noted.begin(), noted.end(), end - 4), noted.end())
                << what << ": the address in the instruction at +" << at << " is not noted";
        }
        at = end;
    }
}

const char* const shipped_modules[] = { "BENCH", "COLLATZ", "DOT", "FIB", "GCD", "LLAMA2", "MATMUL", "PRIMES", "RELU", "SAXPY", "SCALE", "SUM" };

TEST(AbsoluteFields, Tier1NotesEveryAddressItEmbeds)
{
    System system;
    Recorder recorder(system.runtime().tier1(), 1);
    system.runtime().set_compiler(1, &recorder);
    u32 compiled = 0;
    for (const char* name : shipped_modules) {
        const Module* module = system.load(std::string("modules/") + name + ".BFM");
        ASSERT_NE(module, nullptr);
        Runner runner(system, *module, Mode::Interpreter);
        for (u32 f = 0; f < module->function_count; ++f) {
            if (runner.jit().compile(f, 1).is_error())
                continue;
            ++compiled;
            expect_every_address_noted(recorder.last_block, recorder.last_env, std::string(name) + "." + module->functions[f].name);
            EXPECT_GT(recorder.last_block.absolutes->count, 0u); // the prologue's counter at least
        }
    }
    EXPECT_GT(compiled, 30u);
}

TEST(AbsoluteFields, Tier2PatternCodeNotesEveryAddressItEmbeds)
{
    System system;
    std::vector<u8> scratch(1 << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    Recorder recorder(tier2, 2);
    system.runtime().set_compiler(2, &recorder);
    u32 compiled = 0;
    for (const char* name : shipped_modules) {
        const Module* module = system.load(std::string("modules/") + name + ".BFM");
        ASSERT_NE(module, nullptr);
        Runner runner(system, *module, Mode::Interpreter);
        for (u32 f = 0; f < module->function_count; ++f) {
            if (runner.jit().compile(f, 2).is_error())
                continue;
            ++compiled;
            expect_every_address_noted(recorder.last_block, recorder.last_env, std::string(name) + "." + module->functions[f].name);
        }
    }
    EXPECT_GT(compiled, 5u);
}

// A specialised function has two blocks, and a snapshot saves each with its
// own list: the specialised block's is not the generic block's.
TEST(AbsoluteFields, SpecialisedCodeKeepsItsOwnListBesideTheGenericOne)
{
    System system;
    std::vector<u8> scratch(1 << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    Recorder recorder(tier2, 2);
    system.runtime().set_compiler(2, &recorder);
    const Module* module = system.load("modules/FIB.BFM");
    ASSERT_NE(module, nullptr);
    Runner runner(system, *module, Mode::Interpreter);
    u32 f = runner.function("fib_iter");
    ASSERT_FALSE(runner.jit().compile(f, 2).is_error());
    CodeBlock generic = recorder.last_block;
    Value args[1] = { Value::from_i32(25) };
    ASSERT_FALSE(runner.jit().specialise(f, args, 1).is_error());
    CodeBlock specialised = recorder.last_block;
    ASSERT_NE(specialised.code, generic.code);
    const JitFunctionProfile& p = runner.jit().profile(f);
    EXPECT_EQ(p.code, specialised.code);
    EXPECT_EQ(p.absolutes, specialised.absolutes);
    EXPECT_EQ(p.generic_code, generic.code);
    EXPECT_EQ(p.generic_absolutes, generic.absolutes);
    expect_every_address_noted(specialised, recorder.last_env, "FIB.fib_iter specialised");
}

// What a snapshot restores of a specialisation (JitInstance::
// restore_specialisation_profile): the counters and the argument profiles,
// with the next decision a window from now, or later after back-offs.
TEST(AbsoluteFields, RestoredSpecialisationProfileSchedulesTheNextDecision)
{
    System system;
    std::vector<u8> scratch(1 << 20);
    Tier2::Tier2Compiler tier2(scratch.data(), scratch.size());
    system.runtime().set_compiler(2, &tier2);
    const Module* module = system.load("modules/FIB.BFM");
    ASSERT_NE(module, nullptr);
    Runner runner(system, *module, Mode::Auto);
    JitInstance& jit = runner.jit();
    u32 f = runner.function("fib_iter");
    u32 window = system.runtime().policy().respecialise_calls;
    Value args[1] = { Value::from_i32(25) };
    ASSERT_FALSE(jit.specialise(f, args, 1).is_error());
    runner.instance().profiles[f].calls = 5000;

    SpecialisationProfile saved {};
    saved.specialisations = 3;
    saved.respecialisations = 2;
    saved.spec_backoffs = 1;
    saved.guard_failures = 77;
    saved.arguments[0] = ArgumentProfile { 26, 40, 3 };
    jit.restore_specialisation_profile(f, saved);
    const JitFunctionProfile& p = jit.profile(f);
    EXPECT_TRUE(p.specialised);
    EXPECT_EQ(p.spec.values[0], 25);
    EXPECT_EQ(p.specialisations, 3u);
    EXPECT_EQ(p.respecialisations, 2u);
    EXPECT_EQ(p.spec_backoffs, 1u);
    EXPECT_EQ(p.guard_failures, 77u);
    EXPECT_EQ(jit.native_state(f).guard_failures, 0u);
    EXPECT_EQ(jit.native_state(f).arguments[0].value, 26);
    EXPECT_EQ(jit.native_state(f).arguments[0].hits, 40u);
    EXPECT_EQ(jit.native_state(f).arguments[0].misses, 3u);
    EXPECT_EQ(jit.native_state(f).generic_code, p.generic_code);
    // Specialised: one window, whatever the back-offs before it.
    EXPECT_EQ(jit.native_state(f).next_threshold, 5000u + window);

    u32 g = runner.function("fib_rec");
    ASSERT_FALSE(jit.compile(g, 2).is_error());
    runner.instance().profiles[g].calls = 100;
    saved.spec_backoffs = 2;
    jit.restore_specialisation_profile(g, saved);
    EXPECT_FALSE(jit.profile(g).specialised);
    EXPECT_EQ(jit.native_state(g).next_threshold, 100u + (window << 2)); // as after a second back-off
    saved.spec_given_up = true;
    jit.restore_specialisation_profile(g, saved);
    EXPECT_TRUE(jit.profile(g).spec_given_up);
    EXPECT_EQ(jit.native_state(g).next_threshold, 0xFFFFFFFFu);
}

} // namespace
