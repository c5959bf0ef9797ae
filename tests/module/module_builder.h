// A small .bfm writer for tests: builds valid modules from bytecode written
// with Code's assembler methods, and broken ones by editing the bytes after
// build() and calling fix_checksums() (or not). The layout is the one flowc
// writes (header, function, constant and buffer tables, strings, bytecode,
// register types; docs/module-format.md), but it is written independently
// here, from the document, so that the two can be checked against each other.
#pragma once

#include <microjit/module/bytecode.h>
#include <microjit/module/format.h>
#include <microjit/runtime/crc32.h>
#include <microjit/runtime/fnv1a64.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace test {

constexpr u8 I32 = 1, F32 = 2, VI32 = 3, VF32 = 4, VOID = 0;

// Bytecode for one function. Operands are given in opcodes.def order; each
// is encoded with the size its kind has there.
class Code {
public:
    Code& op(Opcode opcode, std::initializer_list<u32> operands = {})
    {
        const OpcodeInfo& info = opcode_info(static_cast<u8>(opcode));
        if (operands.size() != info.operand_count)
            throw_error("wrong operand count");
        bytes.push_back(static_cast<u8>(opcode));
        u32 k = 0;
        for (u32 value : operands) {
            for (u32 b = 0; b < operand_size(info.operands[k]); ++b)
                bytes.push_back(static_cast<u8>(value >> (8 * b)));
            ++k;
        }
        return *this;
    }
    Code& raw(std::initializer_list<u8> data)
    {
        bytes.insert(bytes.end(), data);
        return *this;
    }
    static u32 f32_bits(float f)
    {
        u32 bits;
        std::memcpy(&bits, &f, 4);
        return bits;
    }
    u32 here() const { return static_cast<u32>(bytes.size()); }

    std::vector<u8> bytes;

private:
    static void throw_error(const char* why)
    {
        std::fprintf(stderr, "test::Code: %s\n", why);
        std::abort();
    }
};

struct FunctionSpec {
    std::string name;
    std::vector<u8> params;  // parameter types
    u8 return_type;
    std::vector<u8> locals;  // types of registers after the parameters
    Code code;
};

struct BufferSpec {
    std::string name;
    u8 type;
    u32 count;
};

struct ConstantSpec {
    std::string name;
    u8 type;
    u32 bits;
};

struct FileSpec {
    std::string name;
    std::string path; // the default path; empty: none (path_offset 0xFFFFFFFF)
};

class ModuleBuilder {
public:
    std::string name { "TEST" };
    std::vector<FunctionSpec> functions;
    std::vector<BufferSpec> buffers;
    std::vector<ConstantSpec> constants;
    std::vector<FileSpec> files;
    u16 entry { bfm::no_entry_function };

    FunctionSpec& function(std::string fname, std::vector<u8> params, u8 ret, std::vector<u8> locals)
    {
        functions.push_back(FunctionSpec { std::move(fname), std::move(params), ret, std::move(locals), Code {} });
        return functions.back();
    }

    // File offsets of what build() wrote, for tests that break one thing.
    u32 func_table_offset = 0, const_table_offset = 0, buf_table_offset = 0, file_table_offset = 0;
    u32 strings_offset = 0, code_offset = 0, types_offset = 0;
    std::vector<u32> function_code_offsets; // file offset of each function's code

    std::vector<u8> build()
    {
        std::vector<u8> strings, code, types, ftab, ctab, btab, fitab;
        auto intern = [&](const std::string& s) {
            u32 at = static_cast<u32>(strings.size());
            strings.insert(strings.end(), s.begin(), s.end());
            strings.push_back(0);
            return at;
        };
        auto put32 = [](std::vector<u8>& v, u32 x) {
            for (int i = 0; i < 4; ++i)
                v.push_back(static_cast<u8>(x >> (8 * i)));
        };
        std::vector<u32> name_at;
        for (auto& f : functions)
            name_at.push_back(intern(f.name));
        std::vector<u32> const_name_at, buf_name_at;
        for (auto& c : constants)
            const_name_at.push_back(intern(c.name));
        for (auto& b : buffers)
            buf_name_at.push_back(intern(b.name));
        for (auto& f : files) {
            put32(fitab, intern(f.name));
            put32(fitab, f.path.empty() ? bfm::no_path : intern(f.path));
        }
        while (strings.size() % 4)
            strings.push_back(0);

        func_table_offset = 128;
        const_table_offset = func_table_offset + 32 * static_cast<u32>(functions.size());
        buf_table_offset = const_table_offset + 12 * static_cast<u32>(constants.size());
        file_table_offset = buf_table_offset + 12 * static_cast<u32>(buffers.size());
        strings_offset = file_table_offset + 8 * static_cast<u32>(files.size());
        code_offset = strings_offset + static_cast<u32>(strings.size());
        function_code_offsets.clear();
        for (u32 i = 0; i < functions.size(); ++i) {
            auto& f = functions[i];
            u32 regs = static_cast<u32>(f.params.size() + f.locals.size());
            put32(ftab, name_at[i]);
            ftab.push_back(static_cast<u8>(f.params.size()));
            ftab.push_back(f.return_type);
            ftab.push_back(static_cast<u8>(regs));
            ftab.push_back(static_cast<u8>(regs >> 8));
            put32(ftab, static_cast<u32>(types.size()));
            put32(ftab, static_cast<u32>(code.size()));
            put32(ftab, static_cast<u32>(f.code.bytes.size()));
            put32(ftab, 0);
            ftab.insert(ftab.end(), 8, 0);
            function_code_offsets.push_back(code_offset + static_cast<u32>(code.size()));
            code.insert(code.end(), f.code.bytes.begin(), f.code.bytes.end());
            types.insert(types.end(), f.params.begin(), f.params.end());
            types.insert(types.end(), f.locals.begin(), f.locals.end());
        }
        for (u32 i = 0; i < constants.size(); ++i) {
            put32(ctab, const_name_at[i]);
            ctab.push_back(constants[i].type);
            ctab.insert(ctab.end(), 3, 0);
            put32(ctab, constants[i].bits);
        }
        for (u32 i = 0; i < buffers.size(); ++i) {
            put32(btab, buf_name_at[i]);
            btab.push_back(buffers[i].type);
            btab.insert(btab.end(), 3, 0);
            put32(btab, buffers[i].count);
        }
        types_offset = code_offset + static_cast<u32>(code.size());

        std::vector<u8> file(128, 0);
        file.insert(file.end(), ftab.begin(), ftab.end());
        file.insert(file.end(), ctab.begin(), ctab.end());
        file.insert(file.end(), btab.begin(), btab.end());
        file.insert(file.end(), fitab.begin(), fitab.end());
        file.insert(file.end(), strings.begin(), strings.end());
        file.insert(file.end(), code.begin(), code.end());
        file.insert(file.end(), types.begin(), types.end());

        bfm::Header h {};
        std::memcpy(h.magic, bfm::magic, 4);
        h.format_version = bfm::format_version;
        std::memset(h.name, 0, sizeof h.name);
        std::memcpy(h.name, name.data(), name.size() < 16 ? name.size() : 16);
        h.file_size = static_cast<u32>(file.size());
        h.entry_function = entry;
        h.opt_level = 1;
        h.func_count = static_cast<u32>(functions.size());
        h.func_table_offset = functions.empty() ? 0 : func_table_offset;
        h.const_count = static_cast<u32>(constants.size());
        h.const_table_offset = constants.empty() ? 0 : const_table_offset;
        h.buf_count = static_cast<u32>(buffers.size());
        h.buf_table_offset = buffers.empty() ? 0 : buf_table_offset;
        h.file_count = static_cast<u32>(files.size());
        h.file_table_offset = files.empty() ? 0 : file_table_offset;
        h.code_offset = code_offset;
        h.code_size = static_cast<u32>(code.size());
        h.strings_offset = strings_offset;
        h.strings_size = static_cast<u32>(strings.size());
        h.types_offset = types_offset;
        h.types_size = static_cast<u32>(types.size());
        std::memcpy(file.data(), &h, sizeof h);
        fix_checksums(file);
        return file;
    }

    // Recomputes only the CRC (to test the content hash on its own).
    static void fix_crc(std::vector<u8>& file)
    {
        std::memset(&file[28], 0, 4);
        u32 crc = crc32(file.data(), file.size());
        std::memcpy(&file[28], &crc, 4);
    }

    // Recomputes the content hash and the CRC after an edit, so that a test
    // reaches the rule it means to break.
    static void fix_checksums(std::vector<u8>& file)
    {
        if (file.size() < 128)
            return;
        u64 hash = fnv1a64(file.data() + 128, file.size() - 128);
        std::memcpy(&file[32], &hash, 8);
        std::memset(&file[28], 0, 4);
        u32 crc = crc32(file.data(), file.size());
        std::memcpy(&file[28], &crc, 4);
    }

    // The same, after setting file_size to the file's length.
    static void fix_size_and_checksums(std::vector<u8>& file)
    {
        if (file.size() < 128)
            return;
        u32 size = static_cast<u32>(file.size());
        std::memcpy(&file[24], &size, 4);
        fix_checksums(file);
    }

    static void put_u32(std::vector<u8>& file, u32 offset, u32 value) { std::memcpy(&file[offset], &value, 4); }
    static void put_u16(std::vector<u8>& file, u32 offset, u16 value) { std::memcpy(&file[offset], &value, 2); }
};

}
