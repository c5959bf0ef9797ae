// jit_io: how tier-1 code runs the file and print opcodes. It calls the
// same routines as the interpreter (microjit/module/files.h), so the bytes
// read, written and printed are the same at every tier. Tier 2 does not
// compile functions that do I/O (tier2_compiler.cpp).
#include <microjit/jit/jit.h>
#include <microjit/module/bytecode.h>
#include <microjit/module/files.h>

extern "C" JIT_HELPER u64 jit_io(JitInstance* jit, const Value* registers, u32 operation)
{
    ModuleInstance& instance = *jit->instance();
    auto opcode = static_cast<Opcode>(operation & 0xFF);
    u32 file = (operation >> 8) & 0xFF;
    const Value* args = registers + ((operation >> 16) & 0xFF);
    i32 result = 0;
    Error status = Error::Ok;
    switch (opcode) {
    case Opcode::FILE_SIZE:
        result = flow_file_size(instance, file);
        break;
    case Opcode::READ_FILE:
        status = flow_read_file(instance, file, args[0].view, args[1].i, args[2].i, args[3].i, &result);
        break;
    case Opcode::WRITE_FILE:
        status = flow_write_file(instance, file, args[0].view, args[1].i, args[2].i, &result);
        break;
    case Opcode::PRINT_CHAR:
        flow_print_char(instance, args[0].i);
        break;
    case Opcode::PRINT_I32:
        flow_print_i32(instance, args[0].i);
        break;
    case Opcode::PRINT_F32:
        flow_print_f32(instance, args[0].f);
        break;
    default:
        status = Error::JitUnsupported; // never: tier 1 passes only the opcodes above
        break;
    }
    return static_cast<u64>(static_cast<u32>(result)) << 32 | static_cast<u32>(status);
}
