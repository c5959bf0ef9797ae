// Pre-decoding verified bytecode into Insns (see interpreter_code.h).
// The module is verified, so every decode succeeds and every target is an
// instruction start; a failure here is a broken invariant and panics.
#include <bareflow/panic.h>
#include <microjit/module/bytecode.h>
#include <microjit/module/interpreter_code.h>

namespace {

constexpr usize align_up(usize value, usize align) { return (value + align - 1) & ~(align - 1); }

Instruction decode_verified(const FunctionInfo& f, u32 at)
{
    auto decoded = decode_instruction(f.code, f.code_size, at);
    if (decoded.is_error())
        panic("interpreter: undecodable instruction in a verified module");
    return decoded.release_value();
}

u32 instruction_count(const FunctionInfo& f)
{
    u32 n = 0;
    for (u32 at = 0; at < f.code_size; at += decode_verified(f, at).length)
        ++n;
    return n;
}

// Index of the Insn decoded from bytecode offset `target` (binary search in
// the sorted offsets).
u32 insn_at(const u32* offsets, u32 count, u32 target)
{
    u32 lo = 0, hi = count;
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        if (offsets[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == count || offsets[lo] != target)
        panic("interpreter: jump target is not an instruction in a verified module");
    return lo;
}

Handler handler_for(Opcode op, bool backward)
{
    switch (op) {
#define SAME(name) \
    case Opcode::name: \
        return Handler::name;
#define BRANCH(name) \
    case Opcode::name: \
        return backward ? Handler::name##_BACK : Handler::name;
        SAME(NOP) SAME(MOV) SAME(GVIEW)
        SAME(ADD_I32) SAME(SUB_I32) SAME(MUL_I32) SAME(DIV_I32) SAME(REM_I32) SAME(AND_I32) SAME(OR_I32) SAME(XOR_I32)
        SAME(SHL_I32) SAME(SHR_I32) SAME(ADDI_I32) SAME(MULI_I32) SAME(NEG_I32) SAME(NOT_I32) SAME(EQZ_I32) SAME(ABS_I32)
        SAME(MIN_I32) SAME(MAX_I32)
        SAME(EQ_I32) SAME(NE_I32) SAME(LT_I32) SAME(LE_I32) SAME(GT_I32) SAME(GE_I32)
        SAME(ADD_F32) SAME(SUB_F32) SAME(MUL_F32) SAME(DIV_F32) SAME(MIN_F32) SAME(MAX_F32) SAME(NEG_F32) SAME(ABS_F32)
        SAME(SQRT_F32) SAME(EXP_F32) SAME(SIN_F32) SAME(COS_F32) SAME(LOG_F32) SAME(POW_F32) SAME(FLOOR_F32)
        SAME(I32_BITS_F32) SAME(F32_BITS_I32)
        SAME(EQ_F32) SAME(NE_F32) SAME(LT_F32) SAME(LE_F32) SAME(GT_F32) SAME(GE_F32)
        SAME(F32_FROM_I32) SAME(I32_FROM_F32) SAME(LEN)
        BRANCH(JMP) BRANCH(JZ) BRANCH(JNZ) BRANCH(BR_EQ_I32) BRANCH(BR_NE_I32) BRANCH(BR_LT_I32) BRANCH(BR_LE_I32)
        BRANCH(BR_GT_I32) BRANCH(BR_GE_I32)
        SAME(CALL) SAME(RET) SAME(RET_VOID)
        SAME(FILE_SIZE) SAME(READ_FILE) SAME(WRITE_FILE) SAME(PRINT_CHAR) SAME(PRINT_I32) SAME(PRINT_F32)
#undef SAME
#undef BRANCH
    case Opcode::CONST_I32:
    case Opcode::CONST_F32:
        return Handler::CONST;
    case Opcode::LOAD_I32:
    case Opcode::LOAD_F32:
        return Handler::LOAD; // both elements are 4 bytes
    case Opcode::STORE_I32:
    case Opcode::STORE_F32:
        return Handler::STORE;
    case Opcode::FORLOOP:
        return backward ? Handler::FORLOOP : Handler::FORLOOP_FORWARD;
    // The reduction mark only permits a JIT to regroup; evaluated one at a
    // time, a reduction is the plain operation.
    case Opcode::RADD_F32:
        return Handler::ADD_F32;
    case Opcode::RSUB_F32:
        return Handler::SUB_F32;
    }
    panic("interpreter: opcode without a handler");
}

void decode_one(const FunctionInfo& f, const Instruction& in, Insn& out, const void* const* handlers, const u32* offsets, u32 count, u32 self)
{
    out = Insn {};
    bool backward = false;
    if (has_target(in.opcode)) {
        u32 target = insn_at(offsets, count, in.operands[in.operand_count - 1]);
        backward = target <= self;
        out.jump = (static_cast<i32>(target) - static_cast<i32>(self)) * static_cast<i32>(sizeof(Insn));
    }
    Handler handler = handler_for(in.opcode, backward);
    if (in.opcode == Opcode::MOV && is_view_type(f.register_types[in.operands[0]]))
        handler = Handler::MOV_VIEW;
    out.handler = handlers[static_cast<u32>(handler)];
    out.kind = static_cast<u8>(handler);
    auto reg = [&](u32 k) { return static_cast<u8>(in.operands[k]); };
    switch (in.opcode) {
    case Opcode::CONST_I32:
    case Opcode::CONST_F32:
    case Opcode::GVIEW:
        out.d = reg(0);
        out.bits = in.operands[1];
        break;
    case Opcode::ADDI_I32:
    case Opcode::MULI_I32:
        out.d = reg(0);
        out.a = reg(1);
        out.bits = in.operands[2];
        break;
    case Opcode::STORE_I32:
    case Opcode::STORE_F32:
        out.d = reg(0); // view
        out.a = reg(1); // index
        out.b = reg(2); // value
        break;
    case Opcode::JZ:
    case Opcode::JNZ:
    case Opcode::RET:
        out.a = reg(0);
        break;
    case Opcode::BR_EQ_I32:
    case Opcode::BR_NE_I32:
    case Opcode::BR_LT_I32:
    case Opcode::BR_LE_I32:
    case Opcode::BR_GT_I32:
    case Opcode::BR_GE_I32:
        out.a = reg(0);
        out.b = reg(1);
        break;
    case Opcode::FORLOOP:
        out.d = reg(0); // the counter
        out.a = reg(1); // the end
        break;
    case Opcode::CALL:
        out.d = reg(0); // result register or 255
        out.bits = in.operands[1];
        out.a = reg(2);
        break;
    case Opcode::FILE_SIZE:
    case Opcode::READ_FILE:
    case Opcode::WRITE_FILE:
        out.d = reg(0);   // the result
        out.bits = in.operands[1]; // the file item
        if (in.operand_count > 2)
            out.a = reg(2); // the view; the i32 arguments follow it
        break;
    case Opcode::PRINT_CHAR:
    case Opcode::PRINT_I32:
    case Opcode::PRINT_F32:
        out.a = reg(0);
        break;
    case Opcode::JMP:
    case Opcode::NOP:
    case Opcode::RET_VOID:
        break;
    default:
        // d = op(a, b) and d = op(a)
        out.d = reg(0);
        if (in.operand_count > 1)
            out.a = reg(1);
        if (in.operand_count > 2)
            out.b = reg(2);
        break;
    }
}

// The dependent superinstructions pass the first part's result on in a host
// register, so they need the second part to read it in a known operand:
// an integer add reads it as a (a commutative add is normalised to that),
// an f32 add as b (operands are never swapped for floats, which keeps NaN
// propagation exactly as written), a load as its index b.
bool operands_chain(Handler fused, Insn* code)
{
    auto add_reads_as_a = [](const Insn& producer, Insn& add) {
        if (add.a != producer.d && add.b == producer.d) {
            add.b = add.a;
            add.a = producer.d;
        }
        return add.a == producer.d;
    };
    switch (fused) {
    case Handler::ADD_I32__LOAD:
        return code[1].b == code[0].d;
    case Handler::MUL_I32__ADD_I32:
        return add_reads_as_a(code[0], code[1]);
    case Handler::MUL_I32__ADD_I32__LOAD:
        return add_reads_as_a(code[0], code[1]) && code[2].b == code[1].d;
    case Handler::MUL_F32__ADD_F32:
    case Handler::MUL_F32__ADD_F32__FORLOOP:
        return code[1].b == code[0].d;
    case Handler::MUL_I32__ADD_I32__LOAD__MUL_F32__ADD_F32__FORLOOP:
        return add_reads_as_a(code[0], code[1]) && code[2].b == code[1].d && code[3].b == code[2].d && code[4].b == code[3].d;
    case Handler::ADD_I32__MOV__MOV:
    case Handler::ADD_I32__MOV__MOV__FORLOOP:
        // The rotation t = a + b; a = b; b = t: the second mov copies the
        // sum, which the first mov must not have overwritten.
        return code[2].a == code[0].d && code[1].d != code[0].d;
    default:
        return true;
    }
}

// Replaces the first Insn's handler of each known sequence by the
// superinstruction for it, longest sequences first (see interpreter_code.h).
void fuse(Insn* code, u32 count, const void* const* handlers)
{
    struct Pattern {
        Handler fused;
        u8 length;
        Handler sequence[6];
    };
    static constexpr Pattern patterns[] = {
        // s += x * v[i * n + j]: the inner loop of matmul and of other
        // strided reductions (convolutions, column sums).
        { Handler::MUL_I32__ADD_I32__LOAD__MUL_F32__ADD_F32__FORLOOP, 6,
            { Handler::MUL_I32, Handler::ADD_I32, Handler::LOAD, Handler::MUL_F32, Handler::ADD_F32, Handler::FORLOOP } },
        { Handler::ADD_I32__MOV__MOV__FORLOOP, 4, { Handler::ADD_I32, Handler::MOV, Handler::MOV, Handler::FORLOOP } },
        { Handler::ADD_I32__MOV__MOV, 3, { Handler::ADD_I32, Handler::MOV, Handler::MOV } },
        { Handler::MUL_F32__ADD_F32__FORLOOP, 3, { Handler::MUL_F32, Handler::ADD_F32, Handler::FORLOOP } },
        { Handler::MOV__MOV__FORLOOP, 3, { Handler::MOV, Handler::MOV, Handler::FORLOOP } },
        { Handler::MUL_I32__ADD_I32__LOAD, 3, { Handler::MUL_I32, Handler::ADD_I32, Handler::LOAD } },
        { Handler::ADD_I32__FORLOOP, 2, { Handler::ADD_I32, Handler::FORLOOP } },
        { Handler::ADD_F32__FORLOOP, 2, { Handler::ADD_F32, Handler::FORLOOP } },
        { Handler::MOV__MOV, 2, { Handler::MOV, Handler::MOV } },
        { Handler::LOAD__LOAD, 2, { Handler::LOAD, Handler::LOAD } },
        { Handler::MUL_F32__ADD_F32, 2, { Handler::MUL_F32, Handler::ADD_F32 } },
        { Handler::ADD_I32__LOAD, 2, { Handler::ADD_I32, Handler::LOAD } },
        { Handler::MUL_I32__ADD_I32, 2, { Handler::MUL_I32, Handler::ADD_I32 } },
    };
    for (u32 k = 0; k < count;) {
        u32 step = 1;
        for (const Pattern& p : patterns) {
            if (k + p.length > count)
                continue;
            bool match = true;
            for (u32 i = 0; i < p.length; ++i)
                match = match && code[k + i].kind == static_cast<u8>(p.sequence[i]);
            if (match)
                match = operands_chain(p.fused, &code[k]);
            if (match) {
                code[k].handler = handlers[static_cast<u32>(p.fused)];
                step = p.length;
                break;
            }
        }
        k += step;
    }
}

}

usize decoded_size(const Module& module)
{
    usize size = align_up(module.function_count * sizeof(DecodedFunction), 16);
    for (u32 i = 0; i < module.function_count; ++i) {
        u32 n = instruction_count(module.functions[i]);
        size += align_up(n * sizeof(Insn), 16) + align_up(n * sizeof(u32), 16);
    }
    return size;
}

DecodedFunction* decode_functions(const Module& module, FunctionProfile* profiles, void* memory, bool limited)
{
    const void* const* handlers = interpreter_handler_table(limited);
    auto* base = static_cast<u8*>(memory);
    auto* functions = reinterpret_cast<DecodedFunction*>(base);
    usize at = align_up(module.function_count * sizeof(DecodedFunction), 16);
    for (u32 i = 0; i < module.function_count; ++i) {
        const FunctionInfo& f = module.functions[i];
        u32 n = instruction_count(f);
        auto* code = reinterpret_cast<Insn*>(base + at);
        at += align_up(n * sizeof(Insn), 16);
        auto* offsets = reinterpret_cast<u32*>(base + at);
        at += align_up(n * sizeof(u32), 16);
        u32 k = 0;
        for (u32 pos = 0; pos < f.code_size; pos += decode_verified(f, pos).length)
            offsets[k++] = pos;
        for (k = 0; k < n; ++k)
            decode_one(f, decode_verified(f, offsets[k]), code[k], handlers, offsets, n, k);
        fuse(code, n, handlers);
        functions[i] = DecodedFunction { code, offsets, &profiles[i], i, f.reg_count, f.param_count, f.return_type };
    }
    return functions;
}
