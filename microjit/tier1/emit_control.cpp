// Tier 1: jumps, counted loops, calls and returns (opcodes 0x60-0x7F).
//
// A call goes through the callee's dispatch entry, as every call must
// (docs/jit.md, "Dispatch table"): native code is called directly with the
// tier ABI, an entry of 0 goes to the interpreter through
// jit_call_interpreted. Arguments are the caller's own slots: pinned
// arguments are written to their slots first and the callee gets a pointer.
#include <microjit/module/interpreter.h>
#include <microjit/tier1/codegen.h>

namespace Tier1 {

namespace {

// The condition with its operands exchanged: a < b is b > a.
Condition swapped(Condition cc)
{
    switch (cc) {
    case Condition::L:
        return Condition::G;
    case Condition::LE:
        return Condition::GE;
    case Condition::G:
        return Condition::L;
    case Condition::GE:
        return Condition::LE;
    default:
        return cc; // E, NE
    }
}

void branch_compare(CodeGen& g, Condition cc, u32 x, u32 y, Label target)
{
    if (g.is_const(x) && !g.is_const(y)) {
        u32 t = x;
        x = y;
        y = t;
        cc = swapped(cc);
    }
    Gp32 left = g.use_i32(x, eax);
    if (g.is_const(y))
        g.a.cmp(left, g.const_of(y));
    else if (g.is_gpr(y))
        g.a.cmp(left, g.gpr(y));
    else
        g.a.cmp(left, g.slot(y));
    g.a.jcc(cc, target);
}

void branch_zero(CodeGen& g, bool jump_if_zero, u32 x, Label target)
{
    if (g.is_gpr(x))
        g.a.test(g.gpr(x), g.gpr(x));
    else
        g.a.cmp(g.slot(x), 0);
    g.a.jcc(jump_if_zero ? Condition::E : Condition::NE, target);
}

// EAX = the argument pointer: run the callee in the interpreter. The result
// comes back in EDX, the Error in EAX.
void emit_slow_call(CodeGen& g, Label entry, Label resume, u32 callee, bool jump_back)
{
    g.a.bind(entry);
    // The interpreter counts depth in the instance: tell it ours.
    g.a.mov(edx, g.depth_slot());
    g.a.mov(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&g.env.instance->call_depth))), edx);
    g.a.note_absolute();
    g.a.mov(ecx, eax);
    g.a.mov(eax, static_cast<i32>(reinterpret_cast<uptr>(g.env.jit)));
    g.a.note_absolute();
    g.a.mov(edx, static_cast<i32>(callee));
    g.a.call(reinterpret_cast<const void*>(&jit_call_interpreted));
    if (!g.propagate.is_valid())
        g.propagate = g.a.new_label();
    g.a.test(eax, eax);
    g.a.jnz(g.propagate);
    g.a.mov(eax, edx);
    if (jump_back)
        g.a.jmp(resume);
}

void emit_call(CodeGen& g, const Instruction& in)
{
    u32 result = in.operands[0];
    u32 callee = in.operands[1];
    u32 args = in.operands[2];
    const Module& module = *g.env.instance->module;
    const FunctionInfo& target = module.functions[callee];

    for (u32 k = 0; k < target.param_count; ++k) {
        u32 r = args + k;
        if (g.is_gpr(r))
            g.a.mov(g.slot(r), g.gpr(r));
    }
    g.spill_pinned_xmms(); // also puts pinned f32 arguments in their slots

    Label slow = g.a.new_label(), done = g.a.new_label();
    bool out_of_line = g.slow_call_count < CodeGen::max_slow_calls;
    g.a.lea(eax, ptr(esp, CodeGen::slot_base + 8 * static_cast<i32>(args)));
    g.a.mov(ecx, dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&g.env.instance->dispatch[callee]))));
    g.a.note_absolute();
    g.a.test(ecx, ecx);
    g.a.jz(slow);
    // The caller counts the call, as the interpreter does; on the slow path
    // interpret_call counts it.
    g.a.inc(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&g.env.instance->profiles[callee].calls))));
    g.a.note_absolute();
    g.a.mov(edx, g.depth_slot()); // the callee's caller depth: ours
    g.a.call(ecx);
    if (out_of_line) {
        g.slow_calls[g.slow_call_count++] = CodeGen::SlowCall { slow, done, callee };
    } else {
        g.a.jmp(done);
        emit_slow_call(g, slow, done, callee, false);
    }
    g.a.bind(done);

    g.reload_pinned_xmms();
    if (target.return_type == ValueType::I32)
        g.store_i32(result, eax);
    else if (target.return_type == ValueType::F32)
        g.store_f32_bits(result, eax);
}

// The file and print opcodes: their operands go to their slots, and
// jit_io (native_abi.h) runs them through the interpreter's routines.
void emit_io(CodeGen& g, const Instruction& in)
{
    bool has_result = in.opcode == Opcode::FILE_SIZE || in.opcode == Opcode::READ_FILE || in.opcode == Opcode::WRITE_FILE;
    u32 first = 0, count = 0, file = 0;
    if (in.opcode == Opcode::FILE_SIZE) {
        file = in.operands[1];
    } else if (has_result) {
        file = in.operands[1];
        first = in.operands[2];
        count = io_argument_count(in.opcode);
    } else {
        first = in.operands[0];
        count = 1;
    }
    for (u32 r = first; r < first + count; ++r) {
        if (g.is_gpr(r))
            g.a.mov(g.slot(r), g.gpr(r));
    }
    g.spill_pinned_xmms(); // also puts a pinned f32 in its slot
    g.a.mov(eax, static_cast<i32>(reinterpret_cast<uptr>(g.env.jit)));
    g.a.note_absolute(); // rebased when a snapshot moves the code
    g.a.lea(edx, ptr(esp, CodeGen::slot_base));
    g.a.mov(ecx, static_cast<i32>(static_cast<u32>(in.opcode) | file << 8 | first << 16));
    g.a.call(reinterpret_cast<const void*>(&jit_io));
    g.reload_pinned_xmms();
    if (has_result) {
        g.a.test(eax, eax); // only a bad element range fails
        g.a.jnz(g.trap(TrapKind::OutOfBounds));
        g.store_i32(in.operands[0], edx);
    }
}

} // namespace

void CodeGen::emit_slow_calls()
{
    for (u32 i = 0; i < slow_call_count; ++i)
        emit_slow_call(*this, slow_calls[i].entry, slow_calls[i].resume, slow_calls[i].callee, true);
}

bool CodeGen::emit_control(const Instruction& in)
{
    u32 r0 = in.operands[0], r1 = in.operands[1];
    switch (in.opcode) {
    case Opcode::JMP:
        a.jmp(label_for_target(in.operands[0]));
        return true;
    case Opcode::JZ:
        branch_zero(*this, true, r0, label_for_target(in.operands[1]));
        return true;
    case Opcode::JNZ:
        branch_zero(*this, false, r0, label_for_target(in.operands[1]));
        return true;
    case Opcode::BR_EQ_I32:
        branch_compare(*this, Condition::E, r0, r1, label_for_target(in.operands[2]));
        return true;
    case Opcode::BR_NE_I32:
        branch_compare(*this, Condition::NE, r0, r1, label_for_target(in.operands[2]));
        return true;
    case Opcode::BR_LT_I32:
        branch_compare(*this, Condition::L, r0, r1, label_for_target(in.operands[2]));
        return true;
    case Opcode::BR_LE_I32:
        branch_compare(*this, Condition::LE, r0, r1, label_for_target(in.operands[2]));
        return true;
    case Opcode::BR_GT_I32:
        branch_compare(*this, Condition::G, r0, r1, label_for_target(in.operands[2]));
        return true;
    case Opcode::BR_GE_I32:
        branch_compare(*this, Condition::GE, r0, r1, label_for_target(in.operands[2]));
        return true;
    case Opcode::FORLOOP: {
        // i += 1; jump back while i < end (signed), the counted loop's back edge.
        Label target = label_for_target(in.operands[2]);
        Gp32 i = def_i32(r0, eax);
        if (is_gpr(r0)) {
            a.inc(i);
        } else {
            a.mov(i, slot(r0));
            a.inc(i);
            a.mov(slot(r0), i);
        }
        if (is_const(r1))
            a.cmp(i, const_of(r1));
        else if (is_gpr(r1))
            a.cmp(i, gpr(r1));
        else
            a.cmp(i, slot(r1));
        a.jl(target);
        return true;
    }
    case Opcode::CALL:
        emit_call(*this, in);
        return true;
    case Opcode::RET:
        if (fn.return_type == ValueType::F32)
            load_f32_bits(eax, r0);
        else
            load_i32(eax, r0);
        emit_epilogue();
        return true;
    case Opcode::RET_VOID:
        emit_epilogue();
        return true;
    case Opcode::FILE_SIZE:
    case Opcode::READ_FILE:
    case Opcode::WRITE_FILE:
    case Opcode::PRINT_CHAR:
    case Opcode::PRINT_I32:
    case Opcode::PRINT_F32:
        emit_io(*this, in);
        return true;
    default:
        return false;
    }
}

} // namespace Tier1
