// Flow bytecode: opcodes, operand kinds and a decoder for one instruction.
//
// Everything here is generated from microjit/opcodes.def, the single list of
// opcodes (tools/flowc.py parses the same file). The verifier, the
// interpreter's pre-decoder and the JIT tiers all walk bytecode with
// decode_instruction(), so there is one place that knows the encoding.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

enum class Opcode : u8 {
#define OP(name, code, mnemonic, ...) name = code,
#include <microjit/opcodes.def>
#undef OP
};

// Operand kinds as named in opcodes.def (see its header comment).
// R_VIEW (used by `len`) accepts a register of either view type.
enum class OperandKind : u8 {
    None,
    W_I32,
    W_F32,
    R_I32,
    R_F32,
    RW_I32,
    R_VIEW,
    R_VIEW_I32,
    R_VIEW_F32,
    W_VIEW,
    W_ANY,
    R_ANY,
    R_RET,
    W_RESULT,
    ARGS,
    IMM_I32,
    IMM_F32,
    BUF,
    FUNC,
    TARGET,
    FILE,
    IO_ARGS,
};

inline constexpr u32 max_operands = 3;

constexpr u8 operand_size(OperandKind kind)
{
    switch (kind) {
    case OperandKind::None:
        return 0;
    case OperandKind::IMM_I32:
    case OperandKind::IMM_F32:
    case OperandKind::TARGET:
        return 4;
    case OperandKind::BUF:
    case OperandKind::FUNC:
    case OperandKind::FILE:
        return 2;
    default:
        return 1; // every register kind
    }
}

struct OpcodeInfo {
    const char* mnemonic; // nullptr: not an opcode
    u8 operand_count;
    u8 length; // encoded bytes, opcode included
    OperandKind operands[max_operands];
};

namespace bytecode_detail {

template<typename... Kinds>
constexpr OpcodeInfo make_opcode_info(const char* mnemonic, Kinds... kinds)
{
    static_assert(sizeof...(Kinds) <= max_operands, "opcodes.def: too many operands");
    OpcodeInfo info { mnemonic, static_cast<u8>(sizeof...(Kinds)), 1, { OperandKind::None, OperandKind::None, OperandKind::None } };
    OperandKind list[] = { kinds..., OperandKind::None };
    for (u32 i = 0; i < sizeof...(Kinds); ++i) {
        info.operands[i] = list[i];
        info.length = static_cast<u8>(info.length + operand_size(list[i]));
    }
    return info;
}

struct OpcodeTable {
    OpcodeInfo entries[256];
};

constexpr OpcodeTable make_opcode_table()
{
    using enum OperandKind;
    OpcodeTable table {};
    for (auto& entry : table.entries)
        entry = OpcodeInfo { nullptr, 0, 0, { None, None, None } };
#define OP(name, code, mnemonic, ...) table.entries[code] = make_opcode_info(mnemonic __VA_OPT__(, ) __VA_ARGS__);
#include <microjit/opcodes.def>
#undef OP
    return table;
}

inline constexpr OpcodeTable opcode_table = make_opcode_table();

}

constexpr const OpcodeInfo& opcode_info(u8 code) { return bytecode_detail::opcode_table.entries[code]; }
constexpr bool is_valid_opcode(u8 code) { return opcode_info(code).mnemonic != nullptr; }

static_assert(opcode_info(static_cast<u8>(Opcode::CALL)).length == 5, "call: op, W_RESULT, FUNC(2), ARGS");
static_assert(opcode_info(static_cast<u8>(Opcode::FORLOOP)).length == 7, "forloop: op, i, end, TARGET(4)");

// One decoded instruction. operands[k] holds the k-th operand's value: a
// register index, an immediate's bit pattern, a table index or a target.
struct Instruction {
    Opcode opcode;
    u8 length;
    u8 operand_count;
    u32 offset; // from the start of the function's code
    u32 operands[max_operands];

    const OpcodeInfo& info() const { return opcode_info(static_cast<u8>(opcode)); }
    i32 imm_i32(u32 k) const { return static_cast<i32>(operands[k]); }
    f32 imm_f32(u32 k) const { return __builtin_bit_cast(f32, operands[k]); }
};

// Decodes the instruction at code[offset]. Errors: ModuleBadOpcode for an
// unknown opcode byte, ModuleTruncated when the operands run past `size`.
// Never reads outside [code, code + size).
ErrorOr<Instruction> decode_instruction(const u8* code, u32 size, u32 offset);

// True for the instructions after which control never falls through.
constexpr bool is_terminator(Opcode op) { return op == Opcode::JMP || op == Opcode::RET || op == Opcode::RET_VOID; }

// How many registers an IO_ARGS operand names, from its first (the view)
// on: read_file reads (v, at, offset, count), write_file (v, at, count).
constexpr u32 io_argument_count(Opcode op) { return op == Opcode::READ_FILE ? 4 : op == Opcode::WRITE_FILE ? 3 : 0; }

// The instructions that reach the module's host (files, the console).
constexpr bool is_io_opcode(Opcode op)
{
    return op == Opcode::FILE_SIZE || op == Opcode::READ_FILE || op == Opcode::WRITE_FILE || op == Opcode::PRINT_CHAR
        || op == Opcode::PRINT_I32 || op == Opcode::PRINT_F32;
}

// True for instructions with a TARGET operand (always the last one).
constexpr bool has_target(Opcode op)
{
    const OpcodeInfo& info = opcode_info(static_cast<u8>(op));
    return info.operand_count > 0 && info.operands[info.operand_count - 1] == OperandKind::TARGET;
}
