// Decoding Flow bytecode for tier 2 through the module's decoder, so that a
// new opcode needs no edit here. Layout: docs/module-format.md, "Bytecode".
#include <microjit/tier2/bytecode.h>

namespace Tier2 {

// Tier 2's instruction shape (registers, immediate, index and target in
// named fields) over the module's decoder. Errors keep tier 2's contract:
// ModuleBadOpcode for an unknown byte, ModuleOutOfRange past the end.
ErrorOr<Instruction> decode_instruction(const u8* code, u32 code_size, u32 offset)
{
    auto decoded = ::decode_instruction(code, code_size, offset);
    if (decoded.is_error())
        return decoded.error() == Error::ModuleTruncated ? Error::ModuleOutOfRange : decoded.error();
    const ::Instruction& source = decoded.value();
    const OpcodeInfo& info = source.info();
    Instruction inst {};
    inst.offset = offset;
    inst.length = source.length;
    inst.opcode = source.opcode;
    for (u8 k = 0; k < source.operand_count; ++k) {
        u32 value = source.operands[k];
        switch (info.operands[k]) {
        case OperandKind::IMM_I32:
        case OperandKind::IMM_F32:
            inst.imm = static_cast<i32>(value);
            break;
        case OperandKind::TARGET:
            inst.target = value;
            break;
        case OperandKind::BUF:
        case OperandKind::FUNC:
        case OperandKind::FILE:
            inst.index = static_cast<u16>(value);
            break;
        default:
            inst.reg[inst.reg_count++] = static_cast<u8>(value);
            break;
        }
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
