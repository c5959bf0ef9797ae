// Every rejection of docs/module-format.md "Verifier rules", each with a
// hand-made broken file: the error, the byte offset the diagnostic names, and
// that nothing leaks. Files are built valid by ModuleBuilder and then broken
// in exactly one place (checksums are recomputed unless the test is about
// them, so that the intended rule is the one that fires).
#include "test_support.h"

using namespace test;

namespace {

struct Rejection {
    Error error;
    u32 offset;
    i32 function;
    std::string message;
};

Rejection load_expecting_failure(const std::vector<u8>& bytes)
{
    host::CountingAllocator allocator;
    ModuleDiagnostic d {};
    auto m = load_module(bytes.data(), bytes.size(), allocator, &d);
    EXPECT_TRUE(m.is_error()) << "the module was accepted";
    if (!m.is_error()) {
        destroy_module(m.value(), allocator);
        return { Error::Ok, 0, -1, "" };
    }
    EXPECT_EQ(m.error(), d.error);
    EXPECT_EQ(allocator.live_allocations(), 0) << "a rejected module leaked memory";
    EXPECT_NE(d.message[0], '\0');
    return { d.error, d.offset, d.function, d.message };
}

#define EXPECT_REJECTED(bytes, err, off)                                                       \
    do {                                                                                       \
        Rejection r_ = load_expecting_failure(bytes);                                          \
        EXPECT_STREQ(error_name(r_.error), error_name(err)) << r_.message;                \
        EXPECT_EQ(r_.offset, static_cast<u32>(off)) << r_.message;                             \
    } while (0)

// fn f(a: i32) -> i32 { ret a }, plus an [f32] buffer and a constant.
ModuleBuilder base()
{
    ModuleBuilder b;
    b.buffers.push_back({ "BUF", VF32, 16 });
    b.constants.push_back({ "K", I32, 7 });
    auto& f = b.function("f", { I32 }, I32, { I32, F32, VF32 });
    f.code.op(Opcode::RET, { 0 });
    return b;
}

// A module whose function f(i32, f32, [f32]) -> i32 has `code` as its body;
// registers: r0 i32, r1 f32, r2 [f32], r3 i32, r4 f32, r5 [i32].
std::vector<u8> with_body(const Code& code, u8 ret = I32)
{
    ModuleBuilder b;
    b.buffers.push_back({ "BUF", VF32, 16 });
    auto& f = b.function("f", { I32, F32, VF32 }, ret, { I32, F32, VI32 });
    f.code = code;
    return b.build();
}

u32 body_offset(const Code& code)
{
    ModuleBuilder b;
    b.buffers.push_back({ "BUF", VF32, 16 });
    auto& f = b.function("f", { I32, F32, VF32 }, I32, { I32, F32, VI32 });
    f.code = code;
    b.build();
    return b.function_code_offsets[0];
}

}

TEST(Verifier, AcceptsTheBaseModule)
{
    auto b = base();
    auto bytes = b.build();
    host::CountingAllocator allocator;
    ModuleDiagnostic d {};
    auto m = load_module(bytes.data(), bytes.size(), allocator, &d);
    ASSERT_FALSE(m.is_error()) << d.message;
    EXPECT_STREQ(m.value()->name, "TEST");
    EXPECT_EQ(m.value()->constant_count, 1u);
    EXPECT_EQ(m.value()->constants[0].bits, 7u);
    destroy_module(m.value(), allocator);
    EXPECT_EQ(allocator.live_allocations(), 0);
}

// --- rule 1: truncation, magic, version, checksums, reserved fields ---------

TEST(VerifierRule1, ShorterThanHeader)
{
    auto bytes = base().build();
    for (size_t n : { 0, 1, 64, 127 })
        EXPECT_REJECTED(std::vector<u8>(bytes.begin(), bytes.begin() + n), Error::ModuleTruncated, n);
}

TEST(VerifierRule1, ShorterOrLongerThanFileSize)
{
    auto bytes = base().build();
    auto cut = bytes;
    cut.pop_back();
    ModuleBuilder::fix_checksums(cut);
    EXPECT_REJECTED(cut, Error::ModuleTruncated, 24);
    auto longer = bytes;
    longer.push_back(0);
    ModuleBuilder::fix_checksums(longer);
    EXPECT_REJECTED(longer, Error::ModuleOutOfRange, 24);
}

TEST(VerifierRule1, BadMagicVersionChecksumHash)
{
    auto bytes = base().build();
    auto magic = bytes;
    magic[2] = 'X';
    EXPECT_REJECTED(magic, Error::ModuleBadMagic, 2);
    auto version = bytes;
    ModuleBuilder::put_u16(version, 4, 2);
    ModuleBuilder::fix_checksums(version);
    EXPECT_REJECTED(version, Error::ModuleBadVersion, 4);
    auto crc = bytes;
    crc[130] ^= 1;
    EXPECT_REJECTED(crc, Error::ModuleBadChecksum, 28);
    auto hash = bytes;
    hash[bytes.size() - 1] ^= 0x40;
    ModuleBuilder::fix_crc(hash);
    EXPECT_REJECTED(hash, Error::ModuleBadHash, 32);
}

TEST(VerifierRule1, ReservedFieldsMustBeZero)
{
    auto bytes = base().build();
    for (u32 offset : { 6u, 43u, 100u, 127u }) {
        auto broken = bytes;
        broken[offset] = 1;
        ModuleBuilder::fix_checksums(broken);
        EXPECT_REJECTED(broken, Error::ModuleBadVersion, offset);
    }
    auto opt = bytes;
    opt[42] = 4;
    ModuleBuilder::fix_checksums(opt);
    EXPECT_REJECTED(opt, Error::ModuleOutOfRange, 42);
}

TEST(VerifierRule1, ModuleName)
{
    auto bytes = base().build();
    auto empty = bytes;
    std::memset(&empty[8], 0, 16);
    ModuleBuilder::fix_checksums(empty);
    EXPECT_REJECTED(empty, Error::ModuleBadName, 8);
    auto lower = bytes;
    lower[9] = 'e';
    ModuleBuilder::fix_checksums(lower);
    EXPECT_REJECTED(lower, Error::ModuleBadName, 9);
    auto after_nul = bytes;
    after_nul[20] = 'X'; // "TEST\0...X": padding must stay NUL
    ModuleBuilder::fix_checksums(after_nul);
    EXPECT_REJECTED(after_nul, Error::ModuleBadName, 20);
}

// --- rule 2: tables, areas, names, counts -----------------------------------

TEST(VerifierRule2, Counts)
{
    auto bytes = base().build();
    for (auto [field, value] : std::vector<std::pair<u32, u32>> { { 44, 0 }, { 44, 1025 }, { 52, 4097 }, { 60, 257 } }) {
        auto broken = bytes;
        ModuleBuilder::put_u32(broken, field, value);
        ModuleBuilder::fix_checksums(broken);
        SCOPED_TRACE("field " + std::to_string(field) + " = " + std::to_string(value));
        EXPECT_REJECTED(broken, Error::ModuleOutOfRange, field);
    }
}

TEST(VerifierRule2, TablesAndAreasInsideTheFileAlignedAndDisjoint)
{
    auto b = base();
    auto bytes = b.build();
    auto unaligned = bytes;
    ModuleBuilder::put_u32(unaligned, 48, b.func_table_offset + 2);
    ModuleBuilder::fix_checksums(unaligned);
    EXPECT_REJECTED(unaligned, Error::ModuleOutOfRange, 48);
    auto in_header = bytes;
    ModuleBuilder::put_u32(in_header, 48, 64);
    ModuleBuilder::fix_checksums(in_header);
    EXPECT_REJECTED(in_header, Error::ModuleOutOfRange, 48);
    auto past_end = bytes;
    ModuleBuilder::put_u32(past_end, 80, static_cast<u32>(bytes.size())); // strings_size
    ModuleBuilder::fix_checksums(past_end);
    EXPECT_REJECTED(past_end, Error::ModuleOutOfRange, 76);
    auto wrapping = bytes;
    ModuleBuilder::put_u32(wrapping, 68, 0xFFFFFFF0u); // code_offset + code_size wraps in 32 bits
    ModuleBuilder::fix_checksums(wrapping);
    EXPECT_REJECTED(wrapping, Error::ModuleOutOfRange, 68);
    auto overlap = bytes;
    ModuleBuilder::put_u32(overlap, 64, b.const_table_offset); // buffer table onto the constant table
    ModuleBuilder::fix_checksums(overlap);
    EXPECT_REJECTED(overlap, Error::ModuleOutOfRange, 64);
}

TEST(VerifierRule2, EmptyAreaWithAWildOffset)
{
    // Found by the fuzzer: an empty area's offset is not checked, so the
    // loader must not even form an address from it.
    auto b = base();
    auto bytes = b.build();
    ModuleBuilder::put_u32(bytes, 84, 0xF0000000u); // types_offset
    ModuleBuilder::put_u32(bytes, 88, 0);           // types_size
    ModuleBuilder::fix_checksums(bytes);
    EXPECT_REJECTED(bytes, Error::ModuleOutOfRange, b.func_table_offset + 8);
}

TEST(VerifierRule2, Names)
{
    auto b = base();
    auto bytes = b.build();
    auto outside = bytes;
    ModuleBuilder::put_u32(outside, b.func_table_offset, 1000);
    ModuleBuilder::fix_checksums(outside);
    EXPECT_REJECTED(outside, Error::ModuleOutOfRange, b.func_table_offset);
    auto not_identifier = bytes;
    not_identifier[b.strings_offset] = '9'; // "f" -> "9"
    ModuleBuilder::fix_checksums(not_identifier);
    EXPECT_REJECTED(not_identifier, Error::ModuleBadName, b.strings_offset);

    ModuleBuilder unterminated;
    auto& f = unterminated.function("abc", {}, VOID, { I32 });
    f.code.op(Opcode::RET_VOID);
    auto u = unterminated.build();
    u[unterminated.strings_offset + 3] = 'd'; // "abcd" runs to the end of the area
    ModuleBuilder::fix_checksums(u);
    EXPECT_REJECTED(u, Error::ModuleBadName, unterminated.strings_offset);

    ModuleBuilder twice;
    twice.function("same", {}, VOID, { I32 }).code.op(Opcode::RET_VOID);
    twice.function("same", {}, VOID, { I32 }).code.op(Opcode::RET_VOID);
    auto t = twice.build();
    EXPECT_REJECTED(t, Error::ModuleBadName, twice.func_table_offset + 32);

    ModuleBuilder long_name;
    long_name.function(std::string(32, 'a'), {}, VOID, { I32 }).code.op(Opcode::RET_VOID);
    EXPECT_REJECTED(long_name.build(), Error::ModuleBadName, long_name.strings_offset);
}

TEST(VerifierRule2, FunctionEntryFields)
{
    auto b = base();
    auto bytes = b.build();
    u32 e = b.func_table_offset;
    struct Case {
        u32 offset;
        u32 size;
        u32 value;
        Error error;
        u32 reported;
    };
    for (Case c : std::vector<Case> {
             { e + 6, 2, 0, Error::ModuleOutOfRange, e + 6 },      // reg_count 0
             { e + 6, 2, 256, Error::ModuleOutOfRange, e + 6 },    // reg_count 256
             { e + 4, 1, 5, Error::ModuleOutOfRange, e + 4 },      // param_count > reg_count (4)
             { e + 5, 1, 3, Error::ModuleTypeMismatch, e + 5 },    // return type [i32]
             { e + 8, 4, 100, Error::ModuleOutOfRange, e + 8 },    // types past the area
             { e + 16, 4, 0, Error::ModuleOutOfRange, e + 16 },    // code_size 0
             { e + 16, 4, 65537, Error::ModuleOutOfRange, e + 16 }, // code_size > 65536
             { e + 12, 4, 1, Error::ModuleOutOfRange, e + 12 },    // code past the area
             { e + 20, 4, 1, Error::ModuleBadVersion, e + 20 },    // flags
             { e + 27, 1, 1, Error::ModuleBadVersion, e + 27 },    // reserved
         }) {
        auto broken = bytes;
        for (u32 i = 0; i < c.size; ++i)
            broken[c.offset + i] = static_cast<u8>(c.value >> (8 * i));
        ModuleBuilder::fix_checksums(broken);
        SCOPED_TRACE("field at " + std::to_string(c.offset));
        EXPECT_REJECTED(broken, c.error, c.reported);
    }
    auto type_code = bytes;
    type_code[b.types_offset + 1] = 5;
    ModuleBuilder::fix_checksums(type_code);
    EXPECT_REJECTED(type_code, Error::ModuleTypeMismatch, b.types_offset + 1);
    type_code[b.types_offset + 1] = 0;
    ModuleBuilder::fix_checksums(type_code);
    EXPECT_REJECTED(type_code, Error::ModuleTypeMismatch, b.types_offset + 1);

    ModuleBuilder many;
    many.function("f", std::vector<u8>(17, I32), VOID, {}).code.op(Opcode::RET_VOID);
    EXPECT_REJECTED(many.build(), Error::ModuleOutOfRange, many.func_table_offset + 4);
}

TEST(VerifierRule2, ConstantAndBufferEntries)
{
    auto b = base();
    auto bytes = b.build();
    auto ctype = bytes;
    ctype[b.const_table_offset + 4] = 3;
    ModuleBuilder::fix_checksums(ctype);
    EXPECT_REJECTED(ctype, Error::ModuleTypeMismatch, b.const_table_offset + 4);
    auto btype = bytes;
    btype[b.buf_table_offset + 4] = 1;
    ModuleBuilder::fix_checksums(btype);
    EXPECT_REJECTED(btype, Error::ModuleTypeMismatch, b.buf_table_offset + 4);
    for (u32 count : { 0u, 16u * 1024 * 1024 + 1 }) {
        auto bcount = bytes;
        ModuleBuilder::put_u32(bcount, b.buf_table_offset + 8, count);
        ModuleBuilder::fix_checksums(bcount);
        EXPECT_REJECTED(bcount, Error::ModuleOutOfRange, b.buf_table_offset + 8);
    }
    auto zero = bytes;
    zero[b.buf_table_offset + 6] = 1;
    ModuleBuilder::fix_checksums(zero);
    EXPECT_REJECTED(zero, Error::ModuleBadVersion, b.buf_table_offset + 5);
}

// --- rules 3-8: function bodies ---------------------------------------------

TEST(VerifierRule3, UnknownOpcodeAndTruncatedInstruction)
{
    Code unknown;
    unknown.op(Opcode::NOP).raw({ 0xFF }).op(Opcode::RET, { 0 });
    Rejection r = load_expecting_failure(with_body(unknown));
    EXPECT_EQ(r.error, Error::ModuleBadOpcode);
    EXPECT_EQ(r.offset, body_offset(unknown) + 1);
    EXPECT_EQ(r.function, 0);
    EXPECT_NE(r.message.find("function 'f'"), std::string::npos) << r.message;

    Code cut;
    cut.op(Opcode::RET, { 0 }).raw({ static_cast<u8>(Opcode::CONST_I32), 3, 1, 0 }); // imm cut short
    EXPECT_REJECTED(with_body(cut), Error::ModuleOutOfRange, body_offset(cut) + 2);
}

TEST(VerifierRule4, JumpTargets)
{
    Code outside;
    outside.op(Opcode::JMP, { 100 });
    EXPECT_REJECTED(with_body(outside), Error::ModuleBadJump, body_offset(outside) + 1);
    Code middle;
    middle.op(Opcode::CONST_I32, { 3, 0 }).op(Opcode::JZ, { 3, 2 }).op(Opcode::RET, { 3 });
    EXPECT_REJECTED(with_body(middle), Error::ModuleBadJump, body_offset(middle) + 8);
    Code fine;
    fine.op(Opcode::CONST_I32, { 3, 0 }).op(Opcode::JZ, { 3, 0 }).op(Opcode::RET, { 3 });
    host::CountingAllocator allocator;
    auto ok = with_body(fine);
    auto m = load_module(ok.data(), ok.size(), allocator, nullptr);
    EXPECT_FALSE(m.is_error()) << "a jump to offset 0 is fine";
    if (!m.is_error())
        destroy_module(m.value(), allocator);
}

TEST(VerifierRule5, RegistersAndTypes)
{
    struct Case {
        Code code;
        Error error;
        u32 operand; // offset inside the body
        u8 ret = I32;
    };
    std::vector<Case> cases;
    auto add = [&](Code c, Error e, u32 at, u8 ret = I32) { cases.push_back({ c, e, at, ret }); };
    add(Code().op(Opcode::ADD_I32, { 3, 0, 6 }).op(Opcode::RET, { 3 }), Error::ModuleOutOfRange, 3);     // r6 does not exist
    add(Code().op(Opcode::ADD_I32, { 3, 0, 1 }).op(Opcode::RET, { 3 }), Error::ModuleTypeMismatch, 3);   // r1 is f32
    add(Code().op(Opcode::ADD_F32, { 3, 1, 1 }).op(Opcode::RET, { 0 }), Error::ModuleTypeMismatch, 1);   // writes f32 to i32
    add(Code().op(Opcode::LEN, { 3, 0 }).op(Opcode::RET, { 3 }), Error::ModuleTypeMismatch, 2);          // len of an i32
    add(Code().op(Opcode::LOAD_I32, { 3, 2, 0 }).op(Opcode::RET, { 3 }), Error::ModuleTypeMismatch, 2);  // [f32] as [i32]
    add(Code().op(Opcode::GVIEW, { 5, 0 }).op(Opcode::RET, { 0 }), Error::ModuleTypeMismatch, 1);        // [f32] buffer into [i32]
    add(Code().op(Opcode::GVIEW, { 2, 1 }).op(Opcode::RET, { 0 }), Error::ModuleOutOfRange, 2);          // buffer 1 does not exist
    add(Code().op(Opcode::MOV, { 3, 1 }).op(Opcode::RET, { 3 }), Error::ModuleTypeMismatch, 0);          // mov i32 <- f32
    add(Code().op(Opcode::RET, { 1 }), Error::ModuleTypeMismatch, 1);                                     // ret f32 from i32 function
    add(Code().op(Opcode::RET_VOID), Error::ModuleTypeMismatch, 0);                                       // ret.void in i32 function
    add(Code().op(Opcode::RET, { 0 }), Error::ModuleTypeMismatch, 0, VOID);                               // ret in void function
    add(Code().op(Opcode::STORE_F32, { 2, 0, 0 }).op(Opcode::RET, { 0 }), Error::ModuleTypeMismatch, 3); // stores an i32 into [f32]
    for (auto& c : cases) {
        Rejection r = load_expecting_failure(with_body(c.code, c.ret));
        EXPECT_EQ(r.error, c.error) << r.message;
        EXPECT_EQ(r.offset, body_offset(c.code) + c.operand) << r.message;
    }
}

TEST(VerifierRule6, ReadsBeforeWrites)
{
    Code straight; // r3 never written
    straight.op(Opcode::ADD_I32, { 0, 0, 3 }).op(Opcode::RET, { 0 });
    EXPECT_REJECTED(with_body(straight), Error::ModuleUninitialized, body_offset(straight) + 3);

    // if (r0) r3 = 1; return r3  -- written on one path only
    Code one_path;
    one_path.op(Opcode::JZ, { 0, 12 }).op(Opcode::CONST_I32, { 3, 1 }).op(Opcode::RET, { 3 });
    EXPECT_REJECTED(with_body(one_path), Error::ModuleUninitialized, body_offset(one_path) + 13);

    // Both paths write r3: accepted.
    Code both;
    both.op(Opcode::JZ, { 0, 17 }).op(Opcode::CONST_I32, { 3, 1 }).op(Opcode::JMP, { 23 }).op(Opcode::CONST_I32, { 3, 2 }).op(Opcode::RET, { 3 });
    host::CountingAllocator allocator;
    auto ok = with_body(both);
    ModuleDiagnostic d {};
    auto m = load_module(ok.data(), ok.size(), allocator, &d);
    EXPECT_FALSE(m.is_error()) << d.message;
    if (!m.is_error())
        destroy_module(m.value(), allocator);

    // A loop that reads r3 at its head but writes it only at its end: the
    // first iteration reads it unwritten.
    Code loop;
    loop.op(Opcode::ADD_I32, { 0, 0, 3 }) // 0
        .op(Opcode::CONST_I32, { 3, 1 })  // 4
        .op(Opcode::JNZ, { 0, 0 })        // 10
        .op(Opcode::RET, { 0 });          // 16
    EXPECT_REJECTED(with_body(loop), Error::ModuleUninitialized, body_offset(loop) + 3);

    Code forloop; // forloop reads its counter
    forloop.op(Opcode::FORLOOP, { 3, 0, 0 }).op(Opcode::RET, { 0 });
    EXPECT_REJECTED(with_body(forloop), Error::ModuleUninitialized, body_offset(forloop) + 1);
}

TEST(VerifierRule7, Calls)
{
    auto module = [](Code caller_code, std::vector<u8> callee_params, u8 callee_ret) {
        ModuleBuilder b;
        auto& f = b.function("f", { I32, F32 }, I32, { I32 });
        f.code = caller_code;
        auto& g = b.function("g", callee_params, callee_ret, { I32 });
        if (callee_ret == VOID)
            g.code.op(Opcode::RET_VOID);
        else
            g.code.op(Opcode::CONST_I32, { static_cast<u32>(callee_params.size()), 0 }).op(Opcode::RET, { static_cast<u32>(callee_params.size()) });
        auto bytes = b.build();
        return std::make_pair(bytes, b.function_code_offsets[0]);
    };
    auto check = [&](Code code, std::vector<u8> params, u8 ret, Error error, u32 at) {
        auto [bytes, start] = module(code, params, ret);
        Rejection r = load_expecting_failure(bytes);
        EXPECT_EQ(r.error, error) << r.message;
        EXPECT_EQ(r.offset, start + at) << r.message;
    };
    check(Code().op(Opcode::CALL, { 2, 9, 0 }).op(Opcode::RET, { 0 }), { I32 }, I32, Error::ModuleBadCall, 2);           // no function 9
    check(Code().op(Opcode::CALL, { 2, 1, 1 }).op(Opcode::RET, { 0 }), { I32 }, I32, Error::ModuleBadCall, 4);           // r1 is f32
    check(Code().op(Opcode::CALL, { 2, 1, 2 }).op(Opcode::RET, { 0 }), { I32, I32 }, I32, Error::ModuleBadCall, 4);      // r2..r3: r3 missing
    check(Code().op(Opcode::CALL, { 255, 1, 0 }).op(Opcode::RET, { 0 }), { I32 }, I32, Error::ModuleBadCall, 1);         // result dropped
    check(Code().op(Opcode::CALL, { 2, 1, 0 }).op(Opcode::RET, { 0 }), { I32 }, VOID, Error::ModuleBadCall, 1);          // void callee with result
    check(Code().op(Opcode::CALL, { 1, 1, 0 }).op(Opcode::RET, { 0 }), { I32 }, I32, Error::ModuleBadCall, 1);           // result into f32
    auto [good, start] = module(Code().op(Opcode::CALL, { 2, 1, 0 }).op(Opcode::RET, { 2 }), { I32 }, I32);
    host::CountingAllocator allocator;
    ModuleDiagnostic d {};
    auto m = load_module(good.data(), good.size(), allocator, &d);
    EXPECT_FALSE(m.is_error()) << "a matching call is accepted: " << d.message;
    if (!m.is_error())
        destroy_module(m.value(), allocator);
}

TEST(VerifierRule7, CallArgumentsMustBeWritten)
{
    ModuleBuilder b;
    auto& f = b.function("f", { I32 }, I32, { I32, I32 });
    f.code.op(Opcode::CALL, { 1, 1, 1 }).op(Opcode::RET, { 1 }); // passes r1..r2, unwritten
    b.function("g", { I32, I32 }, I32, {}).code.op(Opcode::RET, { 0 });
    auto bytes = b.build();
    EXPECT_REJECTED(bytes, Error::ModuleUninitialized, b.function_code_offsets[0] + 4);
}

TEST(VerifierRule8, FallingOffTheEnd)
{
    Code falls;
    falls.op(Opcode::CONST_I32, { 3, 1 }).op(Opcode::RET, { 3 }).op(Opcode::ADD_I32, { 3, 3, 3 });
    EXPECT_REJECTED(with_body(falls), Error::ModuleNoReturn, body_offset(falls) + 8);
    Code branch_last;
    branch_last.op(Opcode::JNZ, { 0, 0 });
    EXPECT_REJECTED(with_body(branch_last), Error::ModuleNoReturn, body_offset(branch_last));
}

// radd.f32 and rsub.f32 mark `s += e` / `s -= e` for the float reduction
// rule: the accumulator is both the destination and the first source.
TEST(VerifierRule10, ReductionsAccumulateIntoTheirOwnRegister)
{
    for (Opcode op : { Opcode::RADD_F32, Opcode::RSUB_F32 }) {
        Code good; // r4 = 0.0; r4 += r1; return r0
        good.op(Opcode::CONST_F32, { 4, 0 }).op(op, { 4, 4, 1 }).op(Opcode::RET, { 0 });
        host::CountingAllocator allocator;
        auto ok = with_body(good);
        ModuleDiagnostic d {};
        auto m = load_module(ok.data(), ok.size(), allocator, &d);
        EXPECT_FALSE(m.is_error()) << d.message;
        if (!m.is_error())
            destroy_module(m.value(), allocator);

        Code other; // r4 = r1 + r1: a sum, but not an accumulation into r4
        other.op(Opcode::CONST_F32, { 4, 0 }).op(op, { 4, 1, 1 }).op(Opcode::RET, { 0 });
        Rejection r = load_expecting_failure(with_body(other));
        EXPECT_EQ(r.error, Error::ModuleBadReduction) << r.message;
        EXPECT_EQ(r.offset, body_offset(other) + 6 + 1) << r.message;
        EXPECT_NE(std::string(r.message).find("must be the accumulator"), std::string::npos) << r.message;

        Code typed; // the accumulator must be f32 (r0 is i32)
        typed.op(op, { 0, 0, 1 }).op(Opcode::RET, { 0 });
        EXPECT_EQ(load_expecting_failure(with_body(typed)).error, Error::ModuleTypeMismatch);
    }
}

TEST(VerifierRule9, EntryFunction)
{
    auto bytes = base().build();
    auto missing = bytes;
    ModuleBuilder::put_u16(missing, 40, 1);
    ModuleBuilder::fix_checksums(missing);
    EXPECT_REJECTED(missing, Error::ModuleOutOfRange, 40);
    auto with_params = bytes;
    ModuleBuilder::put_u16(with_params, 40, 0); // f takes a parameter
    ModuleBuilder::fix_checksums(with_params);
    EXPECT_REJECTED(with_params, Error::ModuleBadCall, 40);
}

TEST(Verifier, OutOfMemoryIsAnErrorNotACrash)
{
    auto bytes = base().build();
    host::CountingAllocator allocator;
    allocator.set_limit(64);
    ModuleDiagnostic d {};
    auto m = load_module(bytes.data(), bytes.size(), allocator, &d);
    ASSERT_TRUE(m.is_error());
    EXPECT_EQ(m.error(), Error::OutOfMemory);
    EXPECT_EQ(allocator.live_allocations(), 0);
}
