// The interpreter's private pre-decoded form of verified bytecode.
//
// Each bytecode instruction becomes one fixed-width Insn holding the address
// of its handler (direct threading with GCC's computed goto: dispatch is one
// indirect jump, no opcode switch) and its operands already unpacked. Jump
// targets become byte displacements between Insns. Branches that go backward
// get their own handlers, which count loop iterations for the tiers; nothing
// else in the hot path cares about profiling.
//
// Decoding happens once per instance (create_instance), because GVIEW and
// handler addresses are per-process facts, not module facts.
#pragma once

#include <microjit/module/instance.h>

// Handler list: one per opcode, plus the backward variants of branches and
// the forward variant of forloop, plus superinstructions (A__B: A, then B on
// the next Insn without a dispatch) for the sequences that flowc emits in
// inner loops. A superinstruction sits in the first Insn of its sequence;
// the Insns after it keep their own handlers, so a jump into the middle of
// the sequence still runs correctly.
#define INTERPRETER_HANDLERS(X)                                                                 \
    X(NOP) X(MOV) X(MOV_VIEW) X(CONST) X(GVIEW)                                                             \
    X(ADD_I32) X(SUB_I32) X(MUL_I32) X(DIV_I32) X(REM_I32) X(AND_I32) X(OR_I32) X(XOR_I32)     \
    X(SHL_I32) X(SHR_I32) X(ADDI_I32) X(MULI_I32) X(NEG_I32) X(NOT_I32) X(EQZ_I32) X(ABS_I32)   \
    X(MIN_I32) X(MAX_I32)                                                                       \
    X(EQ_I32) X(NE_I32) X(LT_I32) X(LE_I32) X(GT_I32) X(GE_I32)                                 \
    X(ADD_F32) X(SUB_F32) X(MUL_F32) X(DIV_F32) X(MIN_F32) X(MAX_F32) X(NEG_F32) X(ABS_F32)     \
    X(SQRT_F32) X(EXP_F32) X(SIN_F32) X(COS_F32) X(LOG_F32) X(POW_F32) X(FLOOR_F32)            \
    X(I32_BITS_F32) X(F32_BITS_I32)                                                             \
    X(EQ_F32) X(NE_F32) X(LT_F32) X(LE_F32) X(GT_F32) X(GE_F32)                                 \
    X(F32_FROM_I32) X(I32_FROM_F32)                                                             \
    X(LEN) X(LOAD) X(STORE)                                                                     \
    X(JMP) X(JZ) X(JNZ) X(BR_EQ_I32) X(BR_NE_I32) X(BR_LT_I32) X(BR_LE_I32) X(BR_GT_I32)        \
    X(BR_GE_I32) X(FORLOOP_FORWARD)                                                             \
    X(JMP_BACK) X(JZ_BACK) X(JNZ_BACK) X(BR_EQ_I32_BACK) X(BR_NE_I32_BACK) X(BR_LT_I32_BACK)    \
    X(BR_LE_I32_BACK) X(BR_GT_I32_BACK) X(BR_GE_I32_BACK) X(FORLOOP)                            \
    X(CALL) X(RET) X(RET_VOID)                                                                  \
    X(FILE_SIZE) X(READ_FILE) X(WRITE_FILE) X(PRINT_CHAR) X(PRINT_I32) X(PRINT_F32)             \
    X(ADD_I32__FORLOOP) X(ADD_F32__FORLOOP) X(MOV__MOV) X(MOV__MOV__FORLOOP) X(LOAD__LOAD)      \
    X(MUL_F32__ADD_F32) X(MUL_F32__ADD_F32__FORLOOP) X(ADD_I32__LOAD) X(MUL_I32__ADD_I32)       \
    X(MUL_I32__ADD_I32__LOAD) X(ADD_I32__MOV__MOV) X(ADD_I32__MOV__MOV__FORLOOP)                \
    X(MUL_I32__ADD_I32__LOAD__MUL_F32__ADD_F32__FORLOOP)

enum class Handler : u8 {
#define INTERPRETER_HANDLER_ENUM(name) name,
    INTERPRETER_HANDLERS(INTERPRETER_HANDLER_ENUM)
#undef INTERPRETER_HANDLER_ENUM
        Count
};

// Operand placement: d is the written register (or the view for stores and
// the first compared register for branches), a and b the read registers;
// imm holds an immediate, a table index, or (for branches) the byte
// distance from this Insn to its target.
struct Insn {
    const void* handler;
    u8 d;
    u8 a;
    u8 b;
    u8 kind; // the Handler before fusion (decoder bookkeeping)
    union {
        i32 imm;
        u32 bits;
        i32 jump;
    };
};
#if defined(__i386__)
static_assert(sizeof(Insn) == 12);
#endif

struct DecodedFunction {
    const Insn* code;
    const u32* offsets; // bytecode offset of each Insn, for trap reports
    FunctionProfile* profile;
    u32 index;
    u16 reg_count;
    u8 param_count;
    ValueType return_type;
};

// A frame the interpreter suspended to run a call. The result register is
// the call Insn's d operand.
struct Frame {
    const Insn* call;
    Value* registers;
    const DecodedFunction* function;
};

struct InterpreterCode {
    DecodedFunction* functions;
    Frame* frames;      // max_call_depth entries
    u32 frame_count;    // frames in use by all running activations
    bool limited;       // decoded for the step-counting copy of the loop
};

// Label addresses of the handlers, in Handler order, of the step-counting
// (limited) or the plain copy of the dispatch loop (see interpreter.cpp).
const void* const* interpreter_handler_table(bool limited);

// Counts a call that enters from outside the bytecode (a host or a hook) and
// reports the function hot when the count reaches the threshold (interpreter.cpp).
void count_call(ModuleInstance& instance, u32 function);

// Sizes of what decode_functions() fills, to allocate before calling it.
usize decoded_size(const Module& module);

// Fills `memory` (decoded_size(module) bytes, 16-aligned) with the decoded
// functions and returns the table of DecodedFunction.
DecodedFunction* decode_functions(const Module& module, FunctionProfile* profiles, void* memory, bool limited);
