// decode_instruction(): the one bytecode decoder (see bytecode.h).
#include <microjit/module/bytecode.h>

ErrorOr<Instruction> decode_instruction(const u8* code, u32 size, u32 offset)
{
    if (offset >= size)
        return Error::ModuleTruncated;
    u8 byte = code[offset];
    const OpcodeInfo& info = opcode_info(byte);
    if (!info.mnemonic)
        return Error::ModuleBadOpcode;
    if (info.length > size - offset)
        return Error::ModuleTruncated;

    Instruction insn {};
    insn.opcode = static_cast<Opcode>(byte);
    insn.length = info.length;
    insn.operand_count = info.operand_count;
    insn.offset = offset;
    u32 at = offset + 1;
    for (u32 k = 0; k < info.operand_count; ++k) {
        u32 bytes = operand_size(info.operands[k]);
        u32 value = 0;
        for (u32 b = 0; b < bytes; ++b)
            value |= static_cast<u32>(code[at + b]) << (8 * b);
        insn.operands[k] = value;
        at += bytes;
    }
    return insn;
}
