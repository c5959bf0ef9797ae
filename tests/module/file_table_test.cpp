// The file table and the file and print opcodes in the verifier
// (docs/module-format.md, "File table entry" and rules 2, 5, 6): every
// rejection with a hand-made file, the byte offset it names, and that a
// valid table loads with its names and default paths.
#include "test_support.h"

using namespace test;

namespace {

Error load_error(const std::vector<u8>& bytes, u32* offset = nullptr)
{
    host::CountingAllocator allocator;
    ModuleDiagnostic d {};
    auto m = load_module(bytes.data(), bytes.size(), allocator, &d);
    if (!m.is_error()) {
        destroy_module(m.value(), allocator);
        return Error::Ok;
    }
    EXPECT_EQ(allocator.live_allocations(), 0) << "a rejected module leaked memory";
    EXPECT_NE(d.message[0], '\0');
    if (offset)
        *offset = d.offset;
    return m.error();
}

// fn f(v: [i32]) -> i32 with registers r0 [i32], r1 r2 r3 i32, r4 i32, r5 f32,
// and `code` as its body; file items MODEL (with a default path) and OUT.
ModuleBuilder with_files(const Code& code)
{
    ModuleBuilder b;
    b.files.push_back({ "MODEL", "/DATA/MODEL.BIN" });
    b.files.push_back({ "OUT", "" });
    auto& f = b.function("f", { VI32 }, I32, { I32, I32, I32, I32, F32 });
    f.code = code;
    return b;
}

Code read_then_return()
{
    Code c;
    c.op(Opcode::CONST_I32, { 1, 0 }).op(Opcode::CONST_I32, { 2, 0 }).op(Opcode::CONST_I32, { 3, 1 });
    c.op(Opcode::READ_FILE, { 4, 0, 0 }).op(Opcode::RET, { 4 });
    return c;
}

} // namespace

TEST(FileTable, AValidTableLoadsWithNamesAndDefaultPaths)
{
    auto b = with_files(read_then_return());
    auto bytes = b.build();
    host::CountingAllocator allocator;
    ModuleDiagnostic d {};
    auto m = load_module(bytes.data(), bytes.size(), allocator, &d);
    ASSERT_FALSE(m.is_error()) << d.message;
    ASSERT_EQ(m.value()->file_count, 2u);
    EXPECT_STREQ(m.value()->files[0].name, "MODEL");
    EXPECT_STREQ(m.value()->files[0].default_path, "/DATA/MODEL.BIN");
    EXPECT_STREQ(m.value()->files[1].name, "OUT");
    EXPECT_EQ(m.value()->files[1].default_path, nullptr);
    EXPECT_EQ(find_file_item(*m.value(), "OUT").value(), 1u);
    EXPECT_EQ(find_file_item(*m.value(), "NOPE").error(), Error::NoSuchFileItem);
    destroy_module(m.value(), allocator);
}

TEST(FileTable, CountOverSixtyFourIsRejected)
{
    auto bytes = with_files(read_then_return()).build();
    ModuleBuilder::put_u32(bytes, 92, 65);
    ModuleBuilder::fix_checksums(bytes);
    u32 offset = 0;
    EXPECT_EQ(load_error(bytes, &offset), Error::ModuleOutOfRange);
    EXPECT_EQ(offset, 92u);
}

TEST(FileTable, TableOutsideTheFileOrMisalignedIsRejected)
{
    auto b = with_files(read_then_return());
    auto bytes = b.build();
    auto outside = bytes;
    ModuleBuilder::put_u32(outside, 96, static_cast<u32>(bytes.size()) - 4);
    ModuleBuilder::fix_checksums(outside);
    u32 offset = 0;
    EXPECT_EQ(load_error(outside, &offset), Error::ModuleOutOfRange);
    EXPECT_EQ(offset, 96u);
    auto misaligned = bytes;
    ModuleBuilder::put_u32(misaligned, 96, b.file_table_offset + 2);
    ModuleBuilder::fix_checksums(misaligned);
    EXPECT_EQ(load_error(misaligned, &offset), Error::ModuleOutOfRange);
    EXPECT_EQ(offset, 96u);
}

TEST(FileTable, NamesMustBeUniqueIdentifiers)
{
    auto b = with_files(read_then_return());
    b.files[1].name = "MODEL";
    u32 offset = 0;
    EXPECT_EQ(load_error(b.build(), &offset), Error::ModuleBadName);
    EXPECT_EQ(offset, b.file_table_offset + 8);
    auto bad = with_files(read_then_return());
    bad.files[0].name = "1MODEL";
    EXPECT_EQ(load_error(bad.build()), Error::ModuleBadName);
}

TEST(FileTable, PathsMustBeAbsolutePrintableAndBounded)
{
    for (std::string path : { std::string("DATA.BIN"), std::string("/A\tB"), std::string("/") + std::string(127, 'A'),
             std::string("/\x7f") }) {
        auto b = with_files(read_then_return());
        b.files[0].path = path;
        EXPECT_EQ(load_error(b.build()), Error::ModuleBadName) << path;
    }
    auto longest = with_files(read_then_return());
    longest.files[0].path = "/" + std::string(126, 'A');
    EXPECT_EQ(load_error(longest.build()), Error::Ok);
    auto outside = with_files(read_then_return());
    auto bytes = outside.build();
    ModuleBuilder::put_u32(bytes, outside.file_table_offset + 4, 1u << 20); // path offset past the string area
    ModuleBuilder::fix_checksums(bytes);
    u32 offset = 0;
    EXPECT_EQ(load_error(bytes, &offset), Error::ModuleOutOfRange);
    EXPECT_EQ(offset, outside.file_table_offset + 4);
}

TEST(FileOperands, AFileIndexMustNameAnItem)
{
    Code c;
    c.op(Opcode::FILE_SIZE, { 1, 2 }).op(Opcode::RET, { 1 });
    auto b = with_files(c);
    u32 offset = 0;
    EXPECT_EQ(load_error(b.build(), &offset), Error::ModuleOutOfRange);
    EXPECT_EQ(offset, b.function_code_offsets.empty() ? 0u : b.function_code_offsets[0] + 2);
    Code ok;
    ok.op(Opcode::FILE_SIZE, { 1, 1 }).op(Opcode::RET, { 1 });
    EXPECT_EQ(load_error(with_files(ok).build()), Error::Ok);
}

TEST(FileOperands, IoArgumentsAreAViewThenI32Registers)
{
    Code not_a_view;
    not_a_view.op(Opcode::CONST_I32, { 1, 0 }).op(Opcode::CONST_I32, { 2, 0 }).op(Opcode::CONST_I32, { 3, 0 });
    not_a_view.op(Opcode::CONST_I32, { 4, 0 }).op(Opcode::WRITE_FILE, { 4, 1, 1 }).op(Opcode::RET, { 4 });
    EXPECT_EQ(load_error(with_files(not_a_view).build()), Error::ModuleTypeMismatch);

    Code f32_count; // read_file's count in r4 ... r5 is f32 when the arguments start at r2
    f32_count.op(Opcode::CONST_I32, { 1, 0 }).op(Opcode::READ_FILE, { 1, 0, 2 }).op(Opcode::RET, { 1 });
    EXPECT_EQ(load_error(with_files(f32_count).build()), Error::ModuleTypeMismatch);

    Code past_the_end; // r3 .. r6: r6 does not exist
    past_the_end.op(Opcode::CONST_I32, { 1, 0 }).op(Opcode::READ_FILE, { 1, 0, 3 }).op(Opcode::RET, { 1 });
    EXPECT_EQ(load_error(with_files(past_the_end).build()), Error::ModuleOutOfRange);
}

TEST(FileOperands, IoArgumentsMustBeWrittenBeforeTheCall)
{
    Code c; // r3 (count) is never written
    c.op(Opcode::CONST_I32, { 1, 0 }).op(Opcode::CONST_I32, { 2, 0 });
    c.op(Opcode::READ_FILE, { 4, 0, 0 }).op(Opcode::RET, { 4 });
    EXPECT_EQ(load_error(with_files(c).build()), Error::ModuleUninitialized);
    Code print; // print.f32 of an unwritten register
    print.op(Opcode::PRINT_F32, { 5 }).op(Opcode::CONST_I32, { 1, 0 }).op(Opcode::RET, { 1 });
    EXPECT_EQ(load_error(with_files(print).build()), Error::ModuleUninitialized);
    Code wrong_type;
    wrong_type.op(Opcode::CONST_I32, { 1, 0 }).op(Opcode::PRINT_F32, { 1 }).op(Opcode::RET, { 1 });
    EXPECT_EQ(load_error(with_files(wrong_type).build()), Error::ModuleTypeMismatch);
}

TEST(FileTable, OldModulesWithoutATableStillLoad)
{
    auto b = with_files(Code {}.op(Opcode::CONST_I32, { 1, 3 }).op(Opcode::RET, { 1 }));
    b.files.clear();
    auto bytes = b.build();
    EXPECT_EQ(bytes[92] | bytes[96], 0);
    EXPECT_EQ(load_error(bytes), Error::Ok);
}
