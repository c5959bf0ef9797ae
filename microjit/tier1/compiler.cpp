// Tier 1's driver: the pre-pass, register pinning, prologue and epilogue,
// trap stubs, and the one emission pass. Opcode families are emitted in
// emit_*.cpp; codegen.h has the frame layout.
#include <microjit/jit/jit.h>
#include <microjit/jit/native_abi.h>
#include <microjit/module/interpreter.h>
#include <microjit/tier1/codegen.h>
#include <microjit/tier1/compiler.h>

namespace Tier1 {

namespace {

constexpr u16 no_label = 0xFFFF;
constexpr u32 loop_weight = 16;

// Pinned registers, in order of preference. EBP is last: its encodings are a
// byte longer as a memory base, which tier 1 never uses it for anyway.
constexpr Gp32 pinnable_gprs[4] = { ebx, esi, edi, ebp };
constexpr Xmm pinnable_xmms[6] = { xmm2, xmm3, xmm4, xmm5, xmm6, xmm7 };

u32 read_operand(const u8* p, OperandKind kind)
{
    switch (operand_size(kind)) {
    case 1:
        return p[0];
    case 2:
        return static_cast<u32>(p[0]) | static_cast<u32>(p[1]) << 8;
    default:
        return static_cast<u32>(p[0]) | static_cast<u32>(p[1]) << 8 | static_cast<u32>(p[2]) << 16 | static_cast<u32>(p[3]) << 24;
    }
}

// Register operands of an instruction, for use counting.
bool is_register_operand(OperandKind kind)
{
    switch (kind) {
    case OperandKind::None:
    case OperandKind::IMM_I32:
    case OperandKind::IMM_F32:
    case OperandKind::BUF:
    case OperandKind::FUNC:
    case OperandKind::FILE:
    case OperandKind::TARGET:
        return false;
    default:
        return true;
    }
}

} // namespace

Label CodeGen::trap(TrapKind kind)
{
    if (trap_site_count && trap_sites[trap_site_count - 1].offset == current_offset && trap_sites[trap_site_count - 1].kind == kind)
        return trap_sites[trap_site_count - 1].label; // a second check of the same instruction
    if (trap_site_count < max_trap_sites) {
        TrapSite& site = trap_sites[trap_site_count++];
        site = TrapSite { a.new_label(), current_offset, kind };
        return site.label;
    }
    Label& label = traps[static_cast<u32>(kind)];
    if (!label.is_valid())
        label = a.new_label();
    return label;
}

Label CodeGen::label_for_target(u32 target) const
{
    // ops[] is sorted by offset; the verifier put every target on an
    // instruction start.
    u32 low = 0, high = op_count;
    while (low < high) {
        u32 mid = (low + high) / 2;
        if (ops[mid].instruction.offset < target)
            low = mid + 1;
        else
            high = mid;
    }
    return Label { low < op_count ? ops[low].label : no_label };
}

void CodeGen::emit_prologue()
{
    for (u32 i = 0; i < pinned_gpr_count; ++i)
        a.push(Gp32 { pinned_gprs[i] });
    a.sub(esp, frame_size);

    // The call depth every tier shares: the caller's is in EDX (tier ABI);
    // this frame's is one more, kept in the frame for the calls it makes.
    a.lea(ecx, ptr(edx, 1));
    a.cmp(ecx, static_cast<i32>(max_call_depth));
    a.ja(trap(TrapKind::CallDepth));
    a.mov(depth_slot(), ecx);

    // The caller has counted this call (as the interpreter does); the
    // policy's next threshold for the counter is checked here.
    hot_stub = a.new_label();
    hot_return = a.new_label();
    emit_threshold_check(a, env, function, hot_stub);
    a.bind(hot_return);
    // What tier 2 may specialise on later (native_entry.h); EAX survives.
    argument_profile.emit(a, env, function);

    // Parameters: from the caller's Value array (EAX) into homes.
    for (u32 p = 0; p < fn.param_count; ++p) {
        Mem arg = dword_ptr(eax, 8 * static_cast<i32>(p));
        if (is_gpr(p)) {
            a.mov(gpr(p), arg);
        } else if (is_xmm(p)) {
            a.movss(xmm(p), arg);
        } else {
            a.mov(ecx, arg);
            a.mov(slot(p), ecx);
            if (is_view_type(fn.register_types[p])) {
                a.mov(ecx, dword_ptr(eax, 8 * static_cast<i32>(p) + 4));
                a.mov(slot(p, 4), ecx);
            }
        }
    }
}

void CodeGen::emit_epilogue()
{
    a.add(esp, frame_size);
    for (u32 i = pinned_gpr_count; i-- > 0;)
        a.pop(Gp32 { pinned_gprs[i] });
    a.ret();
}

void CodeGen::emit_back_edge_budget()
{
    if (!budget_stub.is_valid())
        budget_stub = a.new_label();
    if (budget_site_count < max_budget_sites) {
        BudgetSite& site = budget_sites[budget_site_count++];
        site.entry = a.new_label();
        site.resume = a.new_label();
        emit_loop_budget_check(a, env, function, site.entry);
        a.bind(site.resume);
    } else {
        // Out of room for out-of-line sites: the call inline, jumped over
        // without a label (the emitter's label table is shared with every
        // jump target of the function).
        a.dec(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&env.states[function].loop_budget))));
        a.note_absolute();
        a.db(0x79); // jns +5: over the call below
        a.db(0x05);
        a.call(budget_stub); // E8 rel32: 5 bytes
    }
}

void CodeGen::emit_budget_sites()
{
    for (u32 i = 0; i < budget_site_count; ++i) {
        a.bind(budget_sites[i].entry);
        a.call(budget_stub);
        a.jmp(budget_sites[i].resume);
    }
    if (budget_stub.is_valid()) {
        a.bind(budget_stub);
        emit_loop_budget_stub(a, env, function);
    }
}

void CodeGen::emit_trap_stubs()
{
    emit_slow_calls();
    emit_budget_sites();
    argument_profile.emit_misses(a);

    // The hot stub: the policy may compile a higher tier; this call goes on
    // in this code either way. EAX (the argument pointer) survives in scratch.
    a.bind(hot_stub);
    a.mov(dword_ptr(esp, 0), eax);
    emit_native_hot_call(a, env, function);
    a.mov(eax, dword_ptr(esp, 0));
    a.jmp(hot_return);

    // EAX = Error, ECX = bytecode offset, then the runtime's shared exit.
    Mem trap_exit = dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&env.stubs->trap_exit)));
    Label common = a.new_label();
    bool any = trap_site_count > 0;
    for (u32 i = 0; i < trap_site_count; ++i) {
        a.bind(trap_sites[i].label);
        a.mov(eax, static_cast<i32>(trap_error(trap_sites[i].kind)));
        a.mov(ecx, static_cast<i32>(trap_sites[i].offset));
        a.jmp(common);
    }
    for (u32 k = 0; k < static_cast<u32>(TrapKind::Count); ++k) {
        if (!traps[k].is_valid())
            continue;
        a.bind(traps[k]);
        a.mov(eax, static_cast<i32>(trap_error(static_cast<TrapKind>(k))));
        a.mov(ecx, static_cast<i32>(TrapInfo::unknown_offset));
        a.jmp(common);
        any = true;
    }
    if (any) {
        a.bind(common);
        a.mov(edx, static_cast<i32>(function));
        a.jmp(trap_exit);
        a.note_absolute();
    }
    if (propagate.is_valid()) {
        a.bind(propagate);
        a.jmp(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&env.stubs->propagate_exit))));
        a.note_absolute();
    }
}

bool is_write(OperandKind kind)
{
    switch (kind) {
    case OperandKind::W_I32:
    case OperandKind::W_F32:
    case OperandKind::RW_I32:
    case OperandKind::W_VIEW:
    case OperandKind::W_ANY:
    case OperandKind::W_RESULT:
        return true;
    default:
        return false;
    }
}

void CodeGen::note_writes(const Instruction& in)
{
    switch (in.opcode) {
    case Opcode::DIV_I32:
    case Opcode::REM_I32:
    case Opcode::ABS_I32:
    case Opcode::CALL:
    case Opcode::EXP_F32:
    case Opcode::SIN_F32:
    case Opcode::COS_F32:
    case Opcode::LOG_F32:
    case Opcode::POW_F32:
    case Opcode::FLOOR_F32:
    case Opcode::I32_BITS_F32:
    case Opcode::FILE_SIZE:
    case Opcode::READ_FILE:
    case Opcode::WRITE_FILE:
    case Opcode::PRINT_CHAR:
    case Opcode::PRINT_I32:
    case Opcode::PRINT_F32:
        edx_view = no_view; // these use EDX
        break;
    default:
        break;
    }
    const OpcodeInfo& info = in.info();
    for (u32 k = 0; k < in.operand_count; ++k) {
        if (!is_write(info.operands[k]))
            continue;
        u32 r = in.operands[k];
        if (r == edx_view)
            edx_view = no_view;
        for (u32 i = 0; i < checked_count;) {
            if (checked_views[i] == r || checked_indices[i] == r) {
                checked_views[i] = checked_views[checked_count - 1];
                checked_indices[i] = checked_indices[checked_count - 1];
                --checked_count;
            } else {
                ++i;
            }
        }
    }
}

bool CodeGen::emit(const Op& op)
{
    const Instruction& in = op.instruction;
    current_offset = in.offset;
    if (op.label != no_label) {
        if (op.loop_head)
            a.align(16);
        a.bind(Label { op.label });
        forget_block();
    }
    // A branch back to an earlier instruction closes a loop: it spends the
    // loop budget before its compare (the check changes only the flags).
    if (has_target(in.opcode) && in.operands[in.operand_count - 1] <= in.offset)
        emit_back_edge_budget();
    bool ok;
    switch (static_cast<u8>(in.opcode) & 0xF0) {
    case 0x00:
    case 0x10:
    case 0x20:
        ok = emit_integer(in);
        break;
    case 0x30:
    case 0x40:
        ok = emit_float(in);
        break;
    case 0x50:
        ok = emit_memory(in);
        break;
    default:
        ok = emit_control(in);
        break;
    }
    note_writes(in);
    return ok;
}

} // namespace Tier1

using namespace Tier1;

namespace {

// Worst-case x86 bytes for one bytecode instruction (a call also pays for
// its argument flushes and XMM spills, added separately).
constexpr u32 bytes_per_op = 64;
constexpr u32 bytes_fixed = 384;

// The registers chosen for pinning and the frame size: decided once, applied
// to the CodeGen of each emission attempt.
struct PinPlan {
    u8 pinned_gprs[4] {};
    u8 pinned_gpr_count { 0 };
    u8 pinned_xmms[6] {};
    u8 pinned_xmm_regs[6] {};
    u8 pinned_xmm_count { 0 };
    i32 frame_size { 0 };

    void apply_to(CodeGen& g) const
    {
        for (u32 i = 0; i < 4; ++i)
            g.pinned_gprs[i] = pinned_gprs[i];
        for (u32 i = 0; i < 6; ++i) {
            g.pinned_xmms[i] = pinned_xmms[i];
            g.pinned_xmm_regs[i] = pinned_xmm_regs[i];
        }
        g.pinned_gpr_count = pinned_gpr_count;
        g.pinned_xmm_count = pinned_xmm_count;
        g.frame_size = frame_size;
    }
};

struct Scratch {
    MetadataPool* pool;
    void* memory { nullptr };
    ~Scratch()
    {
        if (memory)
            pool->free(memory);
    }
};

}

ErrorOr<CodeBlock> Tier1Compiler::compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason)
{
    if (m_fail_count) {
        --m_fail_count;
        return m_fail_error;
    }
    if (!m_metadata || !env.instance || function >= env.instance->module->function_count)
        return Error::InvalidArgument;
    const FunctionInfo& fn = env.instance->module->functions[function];

    // --- pre-pass: decode, find targets and loops, count register uses ---------
    u32 max_ops = fn.code_size;
    usize scratch_bytes = sizeof(Op) * max_ops + sizeof(Home) * fn.reg_count + sizeof(u32) * fn.reg_count;
    Scratch scratch { m_metadata };
    scratch.memory = TRY(m_metadata->allocate(scratch_bytes));
    Op* ops = static_cast<Op*>(scratch.memory);
    Home* homes = reinterpret_cast<Home*>(ops + max_ops);
    u32* weights = reinterpret_cast<u32*>(homes + fn.reg_count);
    for (u32 r = 0; r < fn.reg_count; ++r) {
        homes[r] = Home { HomeKind::Slot, 0, static_cast<u8>(r < fn.param_count ? 1 : 0), false, 0 };
        weights[r] = 0;
    }

    u32 op_count = 0;
    u32 calls = 0;
    for (u32 offset = 0; offset < fn.code_size;) {
        const u8* p = fn.code + offset;
        const OpcodeInfo& info = opcode_info(p[0]);
        if (!info.mnemonic || offset + info.length > fn.code_size)
            return Error::JitUnsupported; // cannot happen after verification
        Op& op = ops[op_count++];
        op.label = no_label;
        op.target = false;
        op.loop_head = false;
        Instruction& in = op.instruction;
        in.opcode = static_cast<Opcode>(p[0]);
        in.length = info.length;
        in.operand_count = info.operand_count;
        in.offset = offset;
        const u8* at = p + 1;
        for (u32 k = 0; k < info.operand_count; ++k) {
            in.operands[k] = read_operand(at, info.operands[k]);
            at += operand_size(info.operands[k]);
        }
        if (in.opcode == Opcode::CALL)
            ++calls;
        // Writes per register: a register written once, by const.i32, is a
        // constant everywhere (the verifier proved every read comes after a
        // write, and there is only the one).
        for (u32 k = 0; k < info.operand_count; ++k) {
            if (!is_write(info.operands[k]) || in.operands[k] >= fn.reg_count)
                continue;
            Home& home = homes[in.operands[k]];
            if (home.defs < 2)
                ++home.defs;
            home.constant = home.defs == 1 && in.opcode == Opcode::CONST_I32;
            home.value = in.imm_i32(1);
        }
        offset += info.length;
    }

    // Jump targets get labels; a backward target is a loop head.

    for (u32 i = 0; i < op_count; ++i) {
        Instruction& in = ops[i].instruction;
        if (!has_target(in.opcode))
            continue;
        u32 target = in.operands[in.operand_count - 1];
        u32 low = 0, high = op_count;
        while (low < high) {
            u32 mid = (low + high) / 2;
            if (ops[mid].instruction.offset < target)
                low = mid + 1;
            else
                high = mid;
        }
        if (low >= op_count)
            return Error::JitUnsupported; // cannot happen after verification
        ops[low].target = true;
        if (low <= i) {
            ops[low].loop_head = true;
            // Uses inside the loop body weigh more when choosing pinned registers.
            for (u32 j = low; j <= i; ++j) {
                const Instruction& body = ops[j].instruction;
                const OpcodeInfo& info = body.info();
                for (u32 k = 0; k < body.operand_count; ++k)
                    if (is_register_operand(info.operands[k]) && body.operands[k] < fn.reg_count)
                        weights[body.operands[k]] += loop_weight;
            }
        }
    }
    for (u32 i = 0; i < op_count; ++i) {
        const Instruction& in = ops[i].instruction;
        const OpcodeInfo& info = in.info();
        for (u32 k = 0; k < in.operand_count; ++k) {
            if (!is_register_operand(info.operands[k]) || in.operands[k] >= fn.reg_count)
                continue;
            weights[in.operands[k]] += 1;
        }
    }

    for (u32 r = 0; r < fn.reg_count; ++r)
        if (homes[r].constant)
            weights[r] = 0; // used as immediates: a pin would be wasted

    // --- pin the heaviest i32 and f32 registers -----------------------------------
    PinPlan g;
    for (u32 pass = 0; pass < 2; ++pass) {
        ValueType type = pass == 0 ? ValueType::I32 : ValueType::F32;
        u32 limit = pass == 0 ? 4 : 6;
        for (u32 n = 0; n < limit; ++n) {
            u32 best = 0xFFFFFFFF, best_weight = 1; // a register used once is not worth a pin
            for (u32 r = 0; r < fn.reg_count; ++r)
                if (fn.register_types[r] == type && homes[r].kind == HomeKind::Slot && weights[r] > best_weight) {
                    best = r;
                    best_weight = weights[r];
                }
            if (best == 0xFFFFFFFF)
                break;
            if (pass == 0) {
                homes[best].kind = HomeKind::Gpr;
                homes[best].id = pinnable_gprs[n].id;
                g.pinned_gprs[g.pinned_gpr_count++] = pinnable_gprs[n].id;
            } else {
                homes[best].kind = HomeKind::Xmm;
                homes[best].id = pinnable_xmms[n].id;
                g.pinned_xmms[g.pinned_xmm_count] = static_cast<u8>(best);
                g.pinned_xmm_regs[g.pinned_xmm_count++] = pinnable_xmms[n].id;
            }
        }
    }
    // ESP is 16-aligned after the pushes, the return address and the frame.
    i32 frame = CodeGen::slot_base + 8 * static_cast<i32>(fn.reg_count);
    i32 above = 4 + 4 * g.pinned_gpr_count;
    g.frame_size = ((frame + above + 15) & ~15) - above;
    if (static_cast<u32>(g.frame_size + above) > env.jit->runtime().policy().max_native_frame_bytes)
        return Error::JitUnsupported; // 512 such frames might not fit the stack

    // --- the emission pass ---------------------------------------------------------
    // The buffer is sized for the worst case per instruction; should a
    // function still not fit, it is emitted once more into twice the room.
    usize capacity = bytes_fixed + static_cast<usize>(bytes_per_op) * op_count
        + static_cast<usize>(calls) * (16u * 8 + 6u * 18);
    for (u32 attempt = 0;; ++attempt) {
        u8* code = static_cast<u8*>(TRY(pool.allocate(capacity)));
        Assembler& assembler = m_assembler.construct(code, capacity);
        for (u32 i = 0; i < op_count; ++i)
            ops[i].label = ops[i].target ? assembler.new_label().id : no_label;
        CodeGen emitter { assembler, env, fn, function, ops, op_count, homes };
        g.apply_to(emitter);
        emitter.forget_block();
        emitter.emit_prologue();
        bool supported = true;
        for (u32 i = 0; i < op_count && supported; ++i)
            supported = emitter.emit(ops[i]);
        emitter.emit_trap_stubs();
        auto size = assembler.finish();
        // The block keeps the list of absolute addresses after the code.
        auto block = size.is_error() ? ErrorOr<CodeBlock>(size.error())
                                     : seal_code_block(assembler, pool, code, capacity, size.value(), CodeIsa::Sse2);
        m_assembler.destroy();
        if (!supported) {
            pool.free(code);
            return Error::JitUnsupported;
        }
        if (block.is_error()) {
            pool.free(code);
            if (block.error() == Error::EmitBufferFull && attempt == 0) {
                capacity *= 2;
                continue;
            }
            // Emitter limits (labels, sites, buffer) mean this function is
            // too big for tier 1; it stays where it is.
            return block.error() == Error::EmitBufferFull || block.error() == Error::EmitTooManyLabels
                    || block.error() == Error::EmitTooManySites || block.error() == Error::EmitTooManyAbsolutes
                ? Error::JitUnsupported
                : block.error();
        }
        return block.value();
    }
}
