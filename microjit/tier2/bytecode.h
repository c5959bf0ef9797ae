// Tier 2's view of Flow bytecode: the opcode list (from microjit/opcodes.def,
// the one source of truth), an instruction decoder, and the small description
// of a function and its module that tier 2 needs.
//
// Tier 2 consumes functions that already passed the verifier
// (docs/module-format.md, "Verifier rules"), so it relies on register types
// and call signatures being right. It still re-checks what it needs to stay
// memory-safe itself (instruction bounds, jump targets, register indices) and
// returns the verifier's errors when those fail, so a caller's mistake yields
// an error rather than a crash.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <microjit/module/bytecode.h>
#include <microjit/spec.h>

namespace Tier2 {

// The opcode list, operand kinds and opcode table are the module decoder's
// (microjit/module/bytecode.h), the one place that knows the encoding.
using ::Opcode;
using ::OperandKind;
using ::OpcodeInfo;
using ::opcode_info; // mnemonic == nullptr for unassigned bytes

// Type codes of docs/module-format.md, "Type codes": the loader's enum,
// generated from microjit/spec.def.
using Type = ::ValueType;

inline bool is_view(Type t) { return t == Type::ViewI32 || t == Type::ViewF32; }

// One decoded instruction. Register operands are listed in operand order in
// `reg` (W_RESULT keeps 255 for "none"); an IMM lands in `imm`, a BUF/FUNC
// index in `index`, a TARGET in `target`.
struct Instruction {
    u32 offset;
    u8 length;
    Opcode opcode;
    u8 reg_count;
    u8 reg[3];
    i32 imm;
    u16 index;
    u32 target;
};

ErrorOr<Instruction> decode_instruction(const u8* code, u32 code_size, u32 offset);

// What tier 2 needs to know about one function of a verified module.
struct FunctionInfo {
    const char* name;
    const u8* code;
    u32 code_size;
    u8 param_count;
    Type return_type;
    u16 reg_count;
    const u8* reg_types; // reg_count type codes; parameters first
};

struct ModuleInfo {
    const FunctionInfo* functions;
    u32 function_count;
    const Type* buffer_types; // ViewI32 or ViewF32 per buffer
    const u32* buffer_counts; // element counts per buffer
    u32 buffer_count;
};

bool is_block_end(Opcode opcode);   // jmp, conditional jumps, forloop, ret
bool is_conditional(Opcode opcode); // jz, jnz, br.*, forloop

}
