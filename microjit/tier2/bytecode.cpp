// Decoding Flow bytecode for tier 2, driven by the opcodes.def X-macro so that
// a new opcode needs no edit here. Layout: docs/module-format.md, "Bytecode".
#include <microjit/tier2/bytecode.h>

namespace Tier2 {

namespace {

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
        return 2;
    default:
        return 1;
    }
}

struct OpcodeTable {
    OpcodeInfo entries[256];
};

constexpr OpcodeInfo make_info(const char* mnemonic, OperandKind a = OperandKind::None,
    OperandKind b = OperandKind::None, OperandKind c = OperandKind::None)
{
    OpcodeInfo info {};
    info.valid = true;
    info.mnemonic = mnemonic;
    info.operands[0] = a;
    info.operands[1] = b;
    info.operands[2] = c;
    info.operand_count = (a != OperandKind::None) + (b != OperandKind::None) + (c != OperandKind::None);
    info.length = 1 + operand_size(a) + operand_size(b) + operand_size(c);
    return info;
}

constexpr OpcodeTable build_table()
{
    OpcodeTable table {};
    using enum OperandKind;
#define OP(name, code, mnemonic, ...) table.entries[code] = make_info(mnemonic __VA_OPT__(, ) __VA_ARGS__);
#include <microjit/opcodes.def>
#undef OP
    return table;
}

constexpr OpcodeTable s_table = build_table();

u32 read_u32(const u8* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<u32>(p[3]) << 24); }
u16 read_u16(const u8* p) { return static_cast<u16>(p[0] | (p[1] << 8)); }

}

const OpcodeInfo& opcode_info(u8 opcode) { return s_table.entries[opcode]; }

ErrorOr<Instruction> decode_instruction(const u8* code, u32 code_size, u32 offset)
{
    if (offset >= code_size)
        return Error::ModuleOutOfRange;
    const OpcodeInfo& info = s_table.entries[code[offset]];
    if (!info.valid)
        return Error::ModuleBadOpcode;
    if (info.length > code_size - offset)
        return Error::ModuleOutOfRange;
    Instruction inst {};
    inst.offset = offset;
    inst.length = info.length;
    inst.opcode = static_cast<Opcode>(code[offset]);
    const u8* p = code + offset + 1;
    for (u8 k = 0; k < info.operand_count; ++k) {
        OperandKind kind = info.operands[k];
        switch (kind) {
        case OperandKind::IMM_I32:
        case OperandKind::IMM_F32:
            inst.imm = static_cast<i32>(read_u32(p));
            break;
        case OperandKind::TARGET:
            inst.target = read_u32(p);
            break;
        case OperandKind::BUF:
        case OperandKind::FUNC:
            inst.index = read_u16(p);
            break;
        default:
            inst.reg[inst.reg_count++] = *p;
            break;
        }
        p += operand_size(kind);
    }
    return inst;
}

bool is_block_end(Opcode opcode)
{
    switch (opcode) {
    case Opcode::JMP:
    case Opcode::RET:
    case Opcode::RET_VOID:
        return true;
    default:
        return is_conditional(opcode);
    }
}

bool is_conditional(Opcode opcode)
{
    switch (opcode) {
    case Opcode::JZ:
    case Opcode::JNZ:
    case Opcode::BR_EQ_I32:
    case Opcode::BR_NE_I32:
    case Opcode::BR_LT_I32:
    case Opcode::BR_LE_I32:
    case Opcode::BR_GT_I32:
    case Opcode::BR_GE_I32:
    case Opcode::FORLOOP:
        return true;
    default:
        return false;
    }
}

}
