// The tier-0 interpreter: a direct-threaded loop over pre-decoded Insns
// (interpreter_code.h), with GCC's computed goto. Each handler ends in its
// own indirect jump, so the branch predictor learns each handler's
// successors separately.
//
// Safety comes from the verifier (types, register indices, targets, must-be-
// written) plus the run-time checks below: the traps of docs/module-format.md,
// the shared call-depth limit, and the optional step budget. i32 arithmetic is
// done in u32 so that wrapping is defined behaviour in C++.
//
// Calls between interpreted functions do not recurse in C++: the caller's
// state goes on InterpreterCode::frames and the callee's registers sit just
// above the caller's on the register stack, so the host stack stays flat
// however deep Flow code recurses (the kernel's stack is small).
#include <bareflow/panic.h>
#include <microjit/module/files.h>
#include <microjit/module/interpreter.h>
#include <microjit/module/interpreter_code.h>
#include <microjit/runtime/exp_f32.h>
#include <microjit/runtime/floor_f32.h>
#include <microjit/runtime/log_f32.h>
#include <microjit/runtime/pow_f32.h>
#include <microjit/runtime/to_bits_f32.h>
#include <microjit/runtime/trig_f32.h>

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace {

constexpr u32 unlimited_fuel = 0x7FFFFFFF;

// f32 addition and multiplication with the operands in the order the
// bytecode names them, as ADDSS/MULSS in native code have them: when both
// are NaN, the result is the first one's (SDM Vol. 1, 4.8.3.5, Table 4-7).
// C++'s a + b and a * b let the compiler swap the operands, which changes
// the NaN a fused superinstruction returns.
inline f32 add_in_order(f32 a, f32 b)
{
    asm("addss %1, %0" : "+x"(a) : "x"(b));
    return a;
}
inline f32 mul_in_order(f32 a, f32 b)
{
    asm("mulss %1, %0" : "+x"(a) : "x"(b));
    return a;
}

// Steps the loop may run before it must come back for more (see refuel()).
u32 take_fuel(ModuleInstance* instance)
{
    if (instance->step_limit == 0)
        return unlimited_fuel;
    u64 take = instance->steps_left < 0x40000000 ? instance->steps_left : 0x40000000;
    instance->steps_left -= take;
    return static_cast<u32>(take) + 1; // the loop traps when fuel reaches 0
}

void give_back_fuel(ModuleInstance* instance, u32 fuel)
{
    if (instance->step_limit != 0 && fuel > 0)
        instance->steps_left += fuel - 1;
}

[[gnu::noinline]] u32 refuel(ModuleInstance* instance)
{
    if (instance->step_limit == 0)
        return unlimited_fuel;
    if (instance->steps_left == 0)
        return 0;
    return take_fuel(instance) - 1;
}

// `top` is the first register slot above the running frames: the hook may
// run module code (interpret_call), whose frames must go above ours.
[[gnu::noinline]] void report_hot(ModuleInstance* instance, u32 function, HotReason reason, Value* top)
{
    instance->stack_top = top;
    u32 threshold = reason == HotReason::Calls ? instance->hot_call_threshold : instance->hot_loop_threshold;
    if (instance->hooks && threshold != 0)
        instance->hooks->on_hot(*instance, function, reason);
}

// Copies a slot as two 4-byte halves, so that each load can be forwarded
// from the 4-byte store that most likely wrote it.
inline void copy_value(Value& to, const Value& from)
{
    to.view.base = from.view.base;
    to.view.length = from.view.length;
}

inline f32 sqrt_f32(f32 x)
{
    // SQRTSS: correctly rounded, and no libm call (which -fmath-errno
    // would otherwise emit for negative inputs).
    f32 result;
    asm("sqrtss %1, %0" : "=x"(result) : "x"(x));
    return result;
}

// The dispatch loop. Runs `entry` (whose frame the caller has set up in
// `registers` and counted in call_depth) to completion. With `table` set,
// only returns the handler addresses. There are two copies: Limited counts
// steps against instance->step_limit, the other has no step accounting at
// all, so ordinary runs do not pay for it. An instance's code is decoded
// with the handlers of the copy its configuration asks for.
//
// GCC merges identical handler tails (cross-jumping) and hoists common code
// (GCSE) across the computed gotos, which funnels many handlers through one
// shared indirect jump and ruins its prediction; its manual recommends
// -fno-gcse for computed-goto interpreters.
template<bool Limited>
[[gnu::optimize("no-gcse", "no-crossjumping")]] Error execute(ModuleInstance* instance, const DecodedFunction* entry, Value* registers, Value* result, const void* const** table)
{
    static const void* const handlers[] = {
#define INTERPRETER_HANDLER_LABEL(name) &&h_##name,
        INTERPRETER_HANDLERS(INTERPRETER_HANDLER_LABEL)
#undef INTERPRETER_HANDLER_LABEL
    };
    static_assert(sizeof(handlers) / sizeof(handlers[0]) == static_cast<usize>(Handler::Count));
    if (table) {
        *table = handlers;
        return Error::Ok;
    }

    InterpreterCode* const code = instance->code;
    const DecodedFunction* const functions = code->functions;
    const View* const buffers = instance->buffers;
    const u32 loop_threshold = instance->hot_loop_threshold;
    const u32 call_threshold = instance->hot_call_threshold;
    const u32 base_frame = code->frame_count;
    Value* const stack_base = registers;
    const DecodedFunction* fn = entry;
    Value* regs = registers;
    const Insn* pc = fn->code;
    // The running function's loop counter, kept apart from fn so that a
    // back edge costs one increment and one compare.
    u32* loop_count = &fn->profile->loop_iterations;
    u32 fuel = Limited ? take_fuel(instance) : 0;
    Error error = Error::Ok;
    Value value;

#define DISPATCH() goto* pc->handler
#define NEXT()   \
    do {         \
        ++pc;    \
        DISPATCH(); \
    } while (0)
#define JUMP()                                                                      \
    do {                                                                            \
        pc = reinterpret_cast<const Insn*>(reinterpret_cast<const u8*>(pc) + pc->jump); \
        DISPATCH();                                                                 \
    } while (0)
#define TRAP(err)      \
    do {               \
        error = (err); \
        goto trap;     \
    } while (0)
#define STEP()                                      \
    do {                                            \
        if (Limited && UNLIKELY(--fuel == 0)) {     \
            fuel = refuel(instance);                \
            if (fuel == 0)                          \
                TRAP(Error::TrapStepLimit);         \
        }                                           \
    } while (0)
// Every loop runs a back edge and every recursion a call, so testing the
// host's interrupt request at both stops any call that runs long. The test
// is made every 256th time, from the counter just incremented (a register
// test, no load), which keeps the loop as fast as without it; a request is
// seen within 256 back edges or calls of the function that runs.
#define CHECK_INTERRUPT(count)                                                    \
    do {                                                                          \
        if (UNLIKELY(((count) & 255) == 0) && interrupt_requested(*instance))     \
            TRAP(Error::TrapInterrupted);                                         \
    } while (0)
#define BACK_EDGE()                                                           \
    do {                                                                      \
        u32 count_ = ++*loop_count;                                           \
        if (UNLIKELY(count_ == loop_threshold))                               \
            report_hot(instance, fn->index, HotReason::LoopIterations, regs + fn->reg_count); \
        STEP();                                                               \
        CHECK_INTERRUPT(count_);                                              \
    } while (0)
#define D (regs[pc->d])
#define A (regs[pc->a])
#define B (regs[pc->b])
#define U(v) static_cast<u32>(v)
#define I32_BINARY(name, expr) \
    h_##name:                  \
    {                          \
        u32 a = U(A.i);        \
        u32 b = U(B.i);        \
        D.i = static_cast<i32>(expr); \
        NEXT();                \
    }
#define I32_COMPARE(name, op) \
    h_##name:                 \
    D.i = A.i op B.i;         \
    NEXT();
#define F32_BINARY(name, expr) \
    h_##name:                  \
    {                          \
        f32 a = A.f;           \
        f32 b = B.f;           \
        D.f = (expr);          \
        NEXT();                \
    }
#define F32_COMPARE(name, op) \
    h_##name:                 \
    D.i = A.f op B.f;         \
    NEXT();
#define BRANCH(name, cond) \
    h_##name:              \
    if (cond)              \
        JUMP();            \
    NEXT();                \
    h_##name##_BACK:       \
    if (cond) {            \
        BACK_EDGE();       \
        JUMP();            \
    }                      \
    NEXT();

    DISPATCH();

h_NOP:
    NEXT();
h_MOV:
    // 4 bytes, not 8: the source was most likely just written as 4 bytes,
    // and a wider load could not be forwarded from that store.
    D.i = A.i;
    NEXT();
h_MOV_VIEW:
    D.view = A.view;
    NEXT();
h_CONST:
    D.i = pc->imm;
    NEXT();
    // Files and the console: out of line in files.cpp, shared with the JIT
    // tiers. A long read is not interrupted, but the next back edge or call
    // after it sees a pending request.
h_FILE_SIZE:
    D.i = flow_file_size(*instance, pc->bits);
    NEXT();
    // args: the view, then the i32 operands, in consecutive registers (IO_ARGS)
#define FILE_CALL(call)                     \
    {                                       \
        const Value* args = &A;             \
        i32 out = 0;                        \
        Error status = (call);              \
        if (UNLIKELY(status != Error::Ok))  \
            TRAP(status);                   \
        D.i = out;                          \
        NEXT();                             \
    }
h_READ_FILE:
    FILE_CALL(flow_read_file(*instance, pc->bits, args[0].view, args[1].i, args[2].i, args[3].i, &out))
h_WRITE_FILE:
    FILE_CALL(flow_write_file(*instance, pc->bits, args[0].view, args[1].i, args[2].i, &out))
#undef FILE_CALL
h_PRINT_CHAR:
    flow_print_char(*instance, A.i);
    NEXT();
h_PRINT_I32:
    flow_print_i32(*instance, A.i);
    NEXT();
h_PRINT_F32:
    flow_print_f32(*instance, A.f);
    NEXT();
h_GVIEW:
    D.view = buffers[pc->bits];
    NEXT();

    I32_BINARY(ADD_I32, a + b)
    I32_BINARY(SUB_I32, a - b)
    I32_BINARY(MUL_I32, a * b)
    I32_BINARY(AND_I32, a & b)
    I32_BINARY(OR_I32, a | b)
    I32_BINARY(XOR_I32, a ^ b)
    I32_BINARY(SHL_I32, a << (b & 31))
    I32_BINARY(SHR_I32, static_cast<u32>(static_cast<i32>(a) >> (b & 31)))
    I32_BINARY(MIN_I32, static_cast<i32>(a) < static_cast<i32>(b) ? a : b)
    I32_BINARY(MAX_I32, static_cast<i32>(a) > static_cast<i32>(b) ? a : b)
#define I32_DIVIDE(name, op)                                          \
    h_##name:                                                         \
    {                                                                 \
        i32 a = A.i;                                                  \
        i32 b = B.i;                                                  \
        if (UNLIKELY(b == 0))                                         \
            TRAP(Error::TrapDivideByZero);                            \
        if (UNLIKELY(b == -1 && a == static_cast<i32>(0x80000000u)))  \
            TRAP(Error::TrapOverflow);                                \
        D.i = a op b;                                                 \
        NEXT();                                                       \
    }
    I32_DIVIDE(DIV_I32, /)
    I32_DIVIDE(REM_I32, %)
h_ADDI_I32:
    D.i = static_cast<i32>(U(A.i) + U(pc->imm));
    NEXT();
h_MULI_I32:
    D.i = static_cast<i32>(U(A.i) * U(pc->imm));
    NEXT();
h_NEG_I32:
    D.i = static_cast<i32>(0u - U(A.i));
    NEXT();
h_NOT_I32:
    D.i = ~A.i;
    NEXT();
h_EQZ_I32:
    D.i = A.i == 0;
    NEXT();
h_ABS_I32:
    D.i = A.i < 0 ? static_cast<i32>(0u - U(A.i)) : A.i;
    NEXT();

    I32_COMPARE(EQ_I32, ==)
    I32_COMPARE(NE_I32, !=)
    I32_COMPARE(LT_I32, <)
    I32_COMPARE(LE_I32, <=)
    I32_COMPARE(GT_I32, >)
    I32_COMPARE(GE_I32, >=)

    F32_BINARY(ADD_F32, add_in_order(a, b))
    F32_BINARY(SUB_F32, a - b)
    F32_BINARY(MUL_F32, mul_in_order(a, b))
    F32_BINARY(DIV_F32, a / b)
    F32_BINARY(MIN_F32, a < b ? a : b)
    F32_BINARY(MAX_F32, a > b ? a : b)
h_NEG_F32:
    D.i = static_cast<i32>(U(A.i) ^ 0x80000000u);
    NEXT();
h_ABS_F32:
    D.i = static_cast<i32>(U(A.i) & 0x7FFFFFFFu);
    NEXT();
h_SQRT_F32:
    D.f = sqrt_f32(A.f);
    NEXT();
h_EXP_F32:
    D.f = exp_f32(A.f);
    NEXT();
h_SIN_F32:
    D.f = sin_f32(A.f);
    NEXT();
h_COS_F32:
    D.f = cos_f32(A.f);
    NEXT();
h_LOG_F32:
    D.f = log_f32(A.f);
    NEXT();
    F32_BINARY(POW_F32, pow_f32(a, b))
h_FLOOR_F32:
    D.f = floor_f32(A.f);
    NEXT();
h_I32_BITS_F32:
    D.i = static_cast<i32>(to_bits_f32(A.f));
    NEXT();
h_F32_BITS_I32: // the same 4 bytes of the register: only the type changes
    D.i = A.i;
    NEXT();

    F32_COMPARE(EQ_F32, ==)
    F32_COMPARE(NE_F32, !=)
    F32_COMPARE(LT_F32, <)
    F32_COMPARE(LE_F32, <=)
    F32_COMPARE(GT_F32, >)
    F32_COMPARE(GE_F32, >=)

h_F32_FROM_I32:
    D.f = static_cast<f32>(A.i);
    NEXT();
h_I32_FROM_F32:
{
    f32 a = A.f;
    // NaN fails both comparisons. Every float in [-2^31, 2^31) truncates
    // into i32 range, and no float lies between -2^31 - 1 and -2^31.
    if (UNLIKELY(!(a >= -2147483648.0f && a < 2147483648.0f)))
        TRAP(Error::TrapBadConversion);
    D.i = static_cast<i32>(a);
    NEXT();
}

h_LEN:
    D.i = static_cast<i32>(A.view.length);
    NEXT();
h_LOAD:
{
    u32 index = U(B.i);
    if (UNLIKELY(index >= A.view.length))
        TRAP(Error::TrapOutOfBounds);
    D.i = static_cast<const i32*>(A.view.base)[index];
    NEXT();
}
h_STORE:
{
    u32 index = U(A.i);
    if (UNLIKELY(index >= D.view.length))
        TRAP(Error::TrapOutOfBounds);
    static_cast<i32*>(D.view.base)[index] = B.i;
    NEXT();
}

    BRANCH(JMP, true)
    BRANCH(JZ, A.i == 0)
    BRANCH(JNZ, A.i != 0)
    BRANCH(BR_EQ_I32, A.i == B.i)
    BRANCH(BR_NE_I32, A.i != B.i)
    BRANCH(BR_LT_I32, A.i < B.i)
    BRANCH(BR_LE_I32, A.i <= B.i)
    BRANCH(BR_GT_I32, A.i > B.i)
    BRANCH(BR_GE_I32, A.i >= B.i)

h_FORLOOP:
{
    i32 i = static_cast<i32>(U(D.i) + 1);
    D.i = i;
    if (i < A.i) {
        BACK_EDGE();
        JUMP();
    }
    NEXT();
}
h_FORLOOP_FORWARD:
{
    i32 i = static_cast<i32>(U(D.i) + 1);
    D.i = i;
    if (i < A.i)
        JUMP();
    NEXT();
}

    // Superinstructions: each part works on its own Insn, and pc moves on
    // before the next part, so a trap names the right instruction.
#define DO_ADD_I32(p) regs[(p)->d].i = static_cast<i32>(U(regs[(p)->a].i) + U(regs[(p)->b].i))
#define DO_ADD_F32(p) regs[(p)->d].f = add_in_order(regs[(p)->a].f, regs[(p)->b].f)
#define DO_MOV(p) regs[(p)->d].i = regs[(p)->a].i
#define DO_LOAD(p)                                                        \
    do {                                                                  \
        u32 index = U(regs[(p)->b].i);                                    \
        if (UNLIKELY(index >= regs[(p)->a].view.length))                  \
            TRAP(Error::TrapOutOfBounds);                                 \
        regs[(p)->d].i = static_cast<const i32*>(regs[(p)->a].view.base)[index]; \
    } while (0)
h_ADD_I32__FORLOOP:
    DO_ADD_I32(pc);
    ++pc;
    goto h_FORLOOP;
h_ADD_F32__FORLOOP:
    DO_ADD_F32(pc);
    ++pc;
    goto h_FORLOOP;
h_MOV__MOV:
    DO_MOV(pc);
    ++pc;
    DO_MOV(pc);
    NEXT();
h_MOV__MOV__FORLOOP:
    DO_MOV(pc);
    ++pc;
    DO_MOV(pc);
    ++pc;
    goto h_FORLOOP;
h_LOAD__LOAD:
    DO_LOAD(pc);
    ++pc;
    DO_LOAD(pc);
    NEXT();
// The dependent superinstructions below are only formed when the second
// part reads the first part's result in a known operand (see fuse() in
// interpreter_decode.cpp), so that value is passed on in a host register.
h_ADD_I32__LOAD:
{
    u32 index = U(regs[pc->a].i) + U(regs[pc->b].i);
    regs[pc->d].i = static_cast<i32>(index);
    ++pc; // load d, view a, index b == the add's d
    if (UNLIKELY(index >= A.view.length))
        TRAP(Error::TrapOutOfBounds);
    D.i = static_cast<const i32*>(A.view.base)[index];
    NEXT();
}
h_MUL_I32__ADD_I32:
{
    u32 product = U(regs[pc->a].i) * U(regs[pc->b].i);
    regs[pc->d].i = static_cast<i32>(product);
    ++pc; // add d, a == the mul's d, b
    D.i = static_cast<i32>(product + U(B.i));
    NEXT();
}
h_MUL_I32__ADD_I32__LOAD:
{
    u32 product = U(regs[pc->a].i) * U(regs[pc->b].i);
    regs[pc->d].i = static_cast<i32>(product);
    ++pc; // add d, a == the mul's d, b
    u32 index = product + U(B.i);
    D.i = static_cast<i32>(index);
    ++pc; // load d, view a, index b == the add's d
    if (UNLIKELY(index >= A.view.length))
        TRAP(Error::TrapOutOfBounds);
    D.i = static_cast<const i32*>(A.view.base)[index];
    NEXT();
}
    // t = a + b; x = y; z = t, with t passed on in a host register, so the
    // rotation costs one store-to-load forwarding per iteration, not two.
#define ROTATE()                                                \
    do {                                                        \
        u32 sum = U(regs[pc->a].i) + U(regs[pc->b].i);          \
        regs[pc->d].i = static_cast<i32>(sum);                  \
        ++pc; /* mov x, y */                                    \
        DO_MOV(pc);                                             \
        ++pc; /* mov z, t: a is the add's d, left intact */     \
        D.i = static_cast<i32>(sum);                            \
    } while (0)
h_ADD_I32__MOV__MOV:
    ROTATE();
    NEXT();
h_ADD_I32__MOV__MOV__FORLOOP:
    ROTATE();
    ++pc;
    goto h_FORLOOP;
#undef ROTATE
h_MUL_I32__ADD_I32__LOAD__MUL_F32__ADD_F32__FORLOOP:
{
    // mul.i32 t, i, n; add.i32 k, t, j; load x, v, k; mul.f32 p, y, x;
    // add.f32 s, s, p; forloop. Each result is stored and also passed on.
    u32 product = U(regs[pc->a].i) * U(regs[pc->b].i);
    regs[pc->d].i = static_cast<i32>(product);
    ++pc;
    u32 index = product + U(B.i);
    D.i = static_cast<i32>(index);
    ++pc;
    if (UNLIKELY(index >= A.view.length))
        TRAP(Error::TrapOutOfBounds);
    f32 loaded = static_cast<const f32*>(A.view.base)[index];
    D.f = loaded;
    ++pc;
    f32 term = mul_in_order(A.f, loaded);
    D.f = term;
    ++pc;
    D.f = add_in_order(A.f, term);
    ++pc;
    goto h_FORLOOP;
}
h_MUL_F32__ADD_F32:
{
    f32 product = mul_in_order(regs[pc->a].f, regs[pc->b].f);
    regs[pc->d].f = product;
    ++pc; // add d, a, b == the mul's d
    D.f = add_in_order(A.f, product);
    NEXT();
}
h_MUL_F32__ADD_F32__FORLOOP:
{
    f32 product = mul_in_order(regs[pc->a].f, regs[pc->b].f);
    regs[pc->d].f = product;
    ++pc; // add d, a, b == the mul's d
    D.f = add_in_order(A.f, product);
    ++pc;
    goto h_FORLOOP;
}

h_CALL:
{
    u32 index = pc->bits;
    const DecodedFunction* callee = &functions[index];
    u32 calls = ++callee->profile->calls;
    if (UNLIKELY(calls == call_threshold))
        report_hot(instance, index, HotReason::Calls, regs + fn->reg_count);
    STEP();
    CHECK_INTERRUPT(calls);
    if (UNLIKELY(instance->dispatch[index] != 0)) {
        if (!instance->hooks)
            panic("interpreter: native code installed without tier hooks");
        // Native code may re-enter the interpreter: its frames go above ours.
        instance->stack_top = regs + fn->reg_count;
        if (Limited)
            give_back_fuel(instance, fuel);
        Error native = instance->hooks->call_native(*instance, index, &A, &value);
        if (Limited)
            fuel = take_fuel(instance);
        if (native != Error::Ok) {
            error = native;
            goto unwind; // the native tier filled in instance->trap
        }
        if (pc->d != 255)
            D = value;
        NEXT();
    }
    if (UNLIKELY(instance->call_depth >= max_call_depth))
        TRAP(Error::TrapCallDepth);
    Value* callee_regs = regs + fn->reg_count;
    if (UNLIKELY(callee_regs + callee->reg_count > instance->stack_end))
        panic("interpreter: register stack overflow below the call depth limit");
    for (u32 k = 0; k < callee->param_count; ++k)
        copy_value(callee_regs[k], regs[pc->a + k]);
    code->frames[code->frame_count++] = Frame { pc, regs, fn };
    instance->call_depth++;
    fn = callee;
    loop_count = &fn->profile->loop_iterations;
    regs = callee_regs;
    pc = fn->code;
    DISPATCH();
}

h_RET:
    value.i = A.i; // functions return i32 or f32 only
    goto leave;
h_RET_VOID:
    value.raw = 0;
leave:
    instance->call_depth--;
    if (code->frame_count == base_frame) {
        *result = value;
        if (Limited)
            give_back_fuel(instance, fuel);
        instance->stack_top = stack_base;
        return Error::Ok;
    }
    {
        const Frame& frame = code->frames[--code->frame_count];
        pc = frame.call;
        regs = frame.registers;
        fn = frame.function;
        loop_count = &fn->profile->loop_iterations;
        if (pc->d != 255)
            D.i = value.i;
        NEXT();
    }

trap:
    instance->trap = TrapInfo { error, fn->index, fn->offsets[pc - fn->code] };
unwind:
    // Drop every frame this activation pushed, and the entry frame.
    instance->call_depth -= code->frame_count - base_frame + 1;
    code->frame_count = base_frame;
    if (Limited)
        give_back_fuel(instance, fuel);
    instance->stack_top = stack_base;
    return error;

#undef DISPATCH
#undef NEXT
#undef JUMP
#undef TRAP
#undef STEP
#undef BACK_EDGE
#undef CHECK_INTERRUPT
#undef D
#undef A
#undef B
#undef U
#undef I32_BINARY
#undef I32_COMPARE
#undef I32_DIVIDE
#undef DO_ADD_I32
#undef DO_ADD_F32
#undef DO_MOV
#undef DO_LOAD
#undef F32_BINARY
#undef F32_COMPARE
#undef BRANCH
}

}

void count_call(ModuleInstance& instance, u32 function)
{
    if (++instance.profiles[function].calls == instance.hot_call_threshold)
        report_hot(&instance, function, HotReason::Calls, instance.stack_top);
}

const void* const* interpreter_handler_table(bool limited)
{
    const void* const* table = nullptr;
    if (limited)
        execute<true>(nullptr, nullptr, nullptr, nullptr, &table);
    else
        execute<false>(nullptr, nullptr, nullptr, nullptr, &table);
    return table;
}

Error interpret_call(ModuleInstance* instance, u32 function, const Value* args, Value* result)
{
    const DecodedFunction* fn = &instance->code->functions[function];
    if (instance->call_depth >= max_call_depth) {
        instance->trap = TrapInfo { Error::TrapCallDepth, function, 0 };
        return Error::TrapCallDepth;
    }
    count_call(*instance, function);
    Value* regs = instance->stack_top;
    if (regs + fn->reg_count > instance->stack_end)
        panic("interpreter: register stack overflow below the call depth limit");
    for (u32 k = 0; k < fn->param_count; ++k)
        regs[k] = args[k];
    instance->call_depth++;
    Value ignored;
    if (instance->code->limited)
        return execute<true>(instance, fn, regs, result ? result : &ignored, nullptr);
    return execute<false>(instance, fn, regs, result ? result : &ignored, nullptr);
}
