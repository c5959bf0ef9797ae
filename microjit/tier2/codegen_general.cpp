// The general tier-2 code generator's driver: the frame, the prologue with
// the tier ABI's call-depth and call-counter checks, blocks in reverse
// post-order, branches, calls through the dispatch table and the trap
// exits. Values are emitted in codegen_general_values.cpp, phi copies in
// codegen_general_copies.cpp, versioned loops in codegen_general_loops.cpp,
// homes chosen in codegen_general_alloc.cpp.
#include <microjit/jit/jit.h>
#include <microjit/module/interpreter.h> // max_call_depth
#include <microjit/tier2/codegen_general_emit.h>

namespace Tier2 {

using namespace x86;

namespace {

constexpr u32 max_general_blocks = 320; // labels: the emitter has 512 in all

Condition condition_for(Cond c)
{
    switch (c) {
    case Cond::Eq: return Condition::E;
    case Cond::Ne: return Condition::NE;
    case Cond::Lt: return Condition::L;
    case Cond::Le: return Condition::LE;
    case Cond::Gt: return Condition::G;
    case Cond::Ge: return Condition::GE;
    }
    return Condition::E;
}

bool supported(const Inst& inst, bool tier_abi)
{
    switch (inst.op) {
    case Op::CALL:
    case Op::GVIEW:
        return tier_abi; // both need the instance
    case Op::Param: case Op::Phi: case Op::Undef: case Op::CONST_I32: case Op::CONST_F32:
    case Op::ADD_I32: case Op::SUB_I32: case Op::MUL_I32: case Op::DIV_I32: case Op::REM_I32:
    case Op::AND_I32: case Op::OR_I32: case Op::XOR_I32: case Op::SHL_I32: case Op::SHR_I32:
    case Op::ADDI_I32: case Op::MULI_I32: case Op::NEG_I32: case Op::NOT_I32: case Op::EQZ_I32:
    case Op::ABS_I32: case Op::MIN_I32: case Op::MAX_I32:
    case Op::EQ_I32: case Op::NE_I32: case Op::LT_I32: case Op::LE_I32: case Op::GT_I32: case Op::GE_I32:
    case Op::ADD_F32: case Op::SUB_F32: case Op::MUL_F32: case Op::DIV_F32: case Op::MIN_F32: case Op::MAX_F32:
    case Op::NEG_F32: case Op::ABS_F32: case Op::SQRT_F32: case Op::EXP_F32:
    case Op::SIN_F32: case Op::COS_F32: case Op::LOG_F32: case Op::POW_F32: case Op::FLOOR_F32:
    case Op::I32_BITS_F32: case Op::F32_BITS_I32:
    case Op::EQ_F32: case Op::NE_F32: case Op::LT_F32: case Op::LE_F32: case Op::GT_F32: case Op::GE_F32:
    case Op::F32_FROM_I32: case Op::I32_FROM_F32:
    case Op::LEN: case Op::LOAD_I32: case Op::LOAD_F32: case Op::STORE_I32: case Op::STORE_F32:
    case Op::JMP: case Op::Branch: case Op::RET: case Op::RET_VOID:
        return true;
    default:
        return false;
    }
}

}

// --- traps ----------------------------------------------------------------------------

Label GeneralEmitter::trap(TrapKind kind, u32 offset)
{
    if (m_site_count && m_sites[m_site_count - 1].offset == offset && m_sites[m_site_count - 1].kind == kind)
        return m_sites[m_site_count - 1].label; // a second check of the same instruction
    if (m_site_count < max_trap_sites) {
        m_sites[m_site_count] = TrapSite { m_a.new_label(), offset, kind };
        return m_sites[m_site_count++].label;
    }
    // Past that, one exit per kind that cannot say where (as tier 1 does).
    Label& shared = m_shared_traps[static_cast<u32>(kind)];
    if (!shared.is_valid())
        shared = m_a.new_label();
    return shared;
}

// A call whose callee is interpreted: EAX = the argument pointer. The
// interpreter counts depth in the instance, so it is told ours.
void GeneralEmitter::emit_slow_call(const SlowCall& call)
{
    m_a.bind(call.entry);
    m_a.mov(edx, dword_ptr(esp, GeneralFrame::depth));
    m_a.mov(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&m_env->instance->call_depth))), edx);
    m_a.note_absolute(); // every instance address is rebased when a snapshot moves the code
    m_a.mov(ecx, eax);
    m_a.mov(eax, static_cast<i32>(reinterpret_cast<uptr>(m_env->jit)));
    m_a.note_absolute();
    m_a.mov(edx, static_cast<i32>(call.callee));
    m_a.call(reinterpret_cast<const void*>(&jit_call_interpreted));
    if (!m_propagate.is_valid())
        m_propagate = m_a.new_label();
    m_a.test(eax, eax);
    m_a.jnz(m_propagate); // instance.trap is filled in already
    m_a.mov(eax, edx);    // the result
    m_a.jmp(call.resume);
}

void GeneralEmitter::emit_stubs()
{
    for (u32 i = 0; i < m_slow_call_count; ++i)
        emit_slow_call(m_slow_calls[i]);
    if (m_env) {
        // The policy may compile a higher tier or re-specialise; this call
        // goes on in this code either way. EAX (the arguments) survives.
        m_a.bind(m_hot_stub);
        m_a.mov(dword_ptr(esp, GeneralFrame::saved_eax), eax);
        emit_native_hot_call(m_a, *m_env, m_function);
        m_a.mov(eax, dword_ptr(esp, GeneralFrame::saved_eax));
        m_a.jmp(m_hot_return);
        m_profile.emit_misses(m_a);
        m_guard.emit_failure(m_a);
    }
    Label common = m_a.new_label();
    bool any = false;
    auto exit = [&](Label label, TrapKind kind, u32 offset) {
        m_a.bind(label);
        m_a.mov(eax, static_cast<i32>(trap_error(kind)));
        if (m_env) {
            m_a.mov(ecx, static_cast<i32>(offset));
            m_a.jmp(common);
        } else {
            m_a.jmp(m_exit);
        }
        any = true;
    };
    for (u32 i = 0; i < m_site_count; ++i)
        exit(m_sites[i].label, m_sites[i].kind, m_sites[i].offset);
    for (u32 k = 0; k < static_cast<u32>(TrapKind::Count); ++k)
        if (m_shared_traps[k].is_valid())
            exit(m_shared_traps[k], static_cast<TrapKind>(k), TrapInfo::unknown_offset);
    if (m_env && any) {
        // EAX = Error, ECX = bytecode offset, EDX = function: trap_exit
        // unwinds to the innermost jit_enter and never returns.
        m_a.bind(common);
        m_a.mov(edx, static_cast<i32>(m_function));
        m_a.jmp(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&m_env->stubs->trap_exit))));
        m_a.note_absolute();
    } else {
        m_a.bind(common);
    }
    if (m_propagate.is_valid()) {
        m_a.bind(m_propagate);
        m_a.jmp(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&m_env->stubs->propagate_exit))));
        m_a.note_absolute();
    }
}

// --- frame ------------------------------------------------------------------------------

// One function, so that a later entry snippet (e.g. an argument profile) has
// one place to go: after the checks, before the parameters are loaded.
void GeneralEmitter::emit_prologue()
{
    // Specialised code: arguments other than the folded values go to the
    // generic code before anything is pushed.
    if (m_env && m_spec)
        m_guard.emit(m_a, *m_env, m_function, *m_spec);
    for (u32 i = 0; i < m_layout.saved_count; ++i)
        m_a.push(Gp32 { m_layout.saved[i] });
    m_a.sub(esp, m_layout.frame_size);
    i32 above = m_layout.frame_size + 4 * static_cast<i32>(m_layout.saved_count);
    if (m_env) {
        // Tier ABI: EAX = args, EDX = the caller's depth; this frame is one
        // deeper and checks the limit itself.
        m_a.lea(ecx, ptr(edx, 1));
        m_a.cmp(ecx, static_cast<i32>(max_call_depth));
        m_a.ja(trap(TrapKind::CallDepth, TrapInfo::unknown_offset));
        m_a.mov(dword_ptr(esp, GeneralFrame::depth), ecx);
        // The caller counted this call; the policy's next threshold is
        // checked here, so tier-up and re-specialisation keep working.
        m_hot_stub = m_a.new_label();
        m_hot_return = m_a.new_label();
        emit_threshold_check(m_a, *m_env, m_function, m_hot_stub);
        m_a.bind(m_hot_return);
        // What tier 2 may specialise on (generic code only); EAX survives.
        if (!m_spec)
            m_profile.emit(m_a, *m_env, m_function);
    } else {
        // Standalone: args, result, depth (this frame's) on the stack.
        m_a.mov(eax, dword_ptr(esp, above + 4));
        m_a.mov(ecx, dword_ptr(esp, above + 12));
        m_a.mov(dword_ptr(esp, GeneralFrame::depth), ecx);
    }
    for (u32 p = 0; p < m_fn.info->param_count; ++p) {
        const Inst* param = m_fn.params[p];
        Mem arg = dword_ptr(eax, 8 * static_cast<i32>(p));
        switch (where(param).home) {
        case Home::Gpr:
            m_a.mov(gpr(param), arg);
            break;
        case Home::Xmm:
            m_a.movss(xmm(param), arg);
            break;
        case Home::Slot:
            m_a.mov(edx, arg);
            m_a.mov(slot(param), edx);
            break;
        case Home::View:
            m_a.mov(edx, arg);
            m_a.mov(slot(param), edx);
            m_a.mov(edx, dword_ptr(eax, 8 * static_cast<i32>(p) + 4));
            m_a.mov(slot(param, 4), edx);
            break;
        default:
            break; // never read
        }
    }
}

void GeneralEmitter::emit_epilogue()
{
    m_a.add(esp, m_layout.frame_size);
    for (u32 i = m_layout.saved_count; i-- > 0;)
        m_a.pop(Gp32 { m_layout.saved[i] });
    m_a.ret();
}

void GeneralEmitter::return_eax()
{
    if (m_env) {
        emit_epilogue();
        return;
    }
    i32 above = m_layout.frame_size + 4 * static_cast<i32>(m_layout.saved_count);
    m_a.mov(ecx, dword_ptr(esp, above + 8));
    m_a.mov(dword_ptr(ecx), eax);
    m_a.mov(dword_ptr(ecx, 4), 0);
    m_a.xor_(eax, eax);
    m_a.jmp(m_exit);
}

// --- calls --------------------------------------------------------------------------------

// Through the callee's dispatch entry, as every call must (docs/jit.md):
// native code directly under the tier ABI, an entry of 0 through
// jit_call_interpreted. The caller counts the call. Nothing lives in ECX or
// an XMM register across a call (codegen_general_alloc.h).
void GeneralEmitter::emit_call(const Inst& inst)
{
    u32 callee = static_cast<u32>(inst.imm);
    for (u32 k = 0; k < inst.arg_count; ++k) {
        const Inst* arg = inst.arg(k);
        i32 at = m_layout.out_args + 8 * static_cast<i32>(k);
        const Location& loc = where(arg);
        if (loc.home == Home::View) {
            m_a.mov(eax, slot(arg));
            m_a.mov(dword_ptr(esp, at), eax);
            m_a.mov(eax, slot(arg, 4));
            m_a.mov(dword_ptr(esp, at + 4), eax);
        } else if (loc.home == Home::Buffer) {
            const View& b = m_env->instance->buffers[arg->imm];
            m_a.mov(dword_ptr(esp, at), static_cast<i32>(reinterpret_cast<uptr>(b.base)));
            m_a.note_absolute();
            m_a.mov(dword_ptr(esp, at + 4), static_cast<i32>(b.length));
        } else if (in_xmm(arg)) {
            m_a.movss(dword_ptr(esp, at), xmm(arg));
        } else if (in_gpr(arg)) {
            m_a.mov(dword_ptr(esp, at), gpr(arg));
        } else if (loc.home == Home::Slot) {
            m_a.mov(eax, slot(arg));
            m_a.mov(dword_ptr(esp, at), eax);
        } else {
            m_a.mov(dword_ptr(esp, at), arg->is_const() ? arg->imm : 0);
        }
    }
    Label slow = m_a.new_label(), done = m_a.new_label();
    m_a.lea(eax, ptr(esp, m_layout.out_args));
    m_a.mov(ecx, dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&m_env->instance->dispatch[callee]))));
    m_a.note_absolute();
    m_a.test(ecx, ecx);
    m_a.jz(slow);
    m_a.inc(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&m_env->instance->profiles[callee].calls))));
    m_a.note_absolute();
    m_a.mov(edx, dword_ptr(esp, GeneralFrame::depth)); // the callee's caller depth: ours
    m_a.call(ecx);
    SlowCall call { slow, done, callee };
    if (m_slow_call_count < max_slow_calls) {
        m_slow_calls[m_slow_call_count++] = call;
    } else {
        m_a.jmp(done); // out of room for out-of-line paths: this one inline
        emit_slow_call(call);
    }
    m_a.bind(done);
    if (inst.type == Type::I32)
        finish_i32(&inst, eax);
    else if (inst.type == Type::F32)
        finish_bits(&inst, eax);
}

void GeneralEmitter::jump_to(const Block& from, const Block& to)
{
    edge_copies(from, to);
    if (&to != m_next)
        m_a.jmp(label(&to));
}

// Compares for `branch` and returns the condition under which it takes
// succ[0].
Condition GeneralEmitter::emit_condition(const Inst& inst)
{
    const Inst* x = inst.arg(0);
    const Inst* y = inst.arg(1);
    Condition cc = condition_for(inst.cond);
    if (inst.prev == x && low_bits_test(*x, m_layout)) {
        const Inst* value = x->arg(0);
        Gp32 r = in_gpr(value) ? gpr(value) : eax;
        load_i32(r, value);
        m_a.test(r, x->arg(1)->imm - 1);
        return cc;
    }
    if (!in_gpr(x) && in_gpr(y)) {
        const Inst* t = x;
        x = y;
        y = t;
        cc = condition_for(swap_operands(inst.cond));
    }
    Gp32 left = in_gpr(x) ? gpr(x) : eax;
    load_i32(left, x);
    if (in_gpr(y))
        m_a.cmp(left, gpr(y));
    else if (where(y).home == Home::Slot)
        m_a.cmp(left, slot(y));
    else if (y->is_const() && y->imm == 0 && (cc == Condition::E || cc == Condition::NE))
        m_a.test(left, left);
    else
        m_a.cmp(left, y->is_const() ? y->imm : 0);
    return cc;
}

// A diamond chosen by select_diamond: both arms in sequence, then the join's
// phi by CMOV. Nothing after the compare may change the flags.
void GeneralEmitter::emit_select(const Block& b)
{
    const Block& taken = *b.succ[0];
    const Block& other = *b.succ[1];
    bool taken_first = m_layout.position[taken.last->id] < m_layout.position[other.last->id];
    const Block* arms[2] = { taken_first ? &taken : &other, taken_first ? &other : &taken };
    for (const Block* arm : arms)
        for (Inst* inst = arm->first; inst && inst->op != Op::JMP; inst = inst->next)
            emit_inst(*arm, *inst);
    Condition cc = emit_condition(*b.last);
    const Block& join = *taken.succ[0];
    const Inst* phi = join.first;
    const Inst* if_taken = phi->arg(join.pred_index(&taken));
    const Inst* if_other = phi->arg(join.pred_index(&other));
    if (in_gpr(if_other))
        m_a.mov(eax, gpr(if_other));
    else if (where(if_other).home == Home::Slot)
        m_a.mov(eax, slot(if_other));
    else
        m_a.mov(eax, if_other->is_const() ? if_other->imm : 0); // mov, not xor: the flags are live
    if (in_gpr(if_taken)) {
        m_a.cmovcc(cc, eax, gpr(if_taken));
    } else if (where(if_taken).home == Home::Slot) {
        m_a.cmovcc(cc, eax, slot(if_taken));
    } else {
        m_a.mov(edx, if_taken->is_const() ? if_taken->imm : 0);
        m_a.cmovcc(cc, eax, edx);
    }
    finish_i32(phi, eax);
    if (&join != m_next)
        m_a.jmp(label(&join));
}

void GeneralEmitter::emit_branch(const Block& b, const Inst& inst)
{
    Condition cc = emit_condition(inst);
    const Block& taken = *b.succ[0];
    const Block& other = *b.succ[1];
    bool taken_moves = edge_moves(b, taken), other_moves = edge_moves(b, other);
    if (!taken_moves && !other_moves) {
        if (&taken == m_next) {
            m_a.jcc(negate(cc), label(&other));
        } else {
            m_a.jcc(cc, label(&taken));
            if (&other != m_next)
                m_a.jmp(label(&other));
        }
    } else if (!taken_moves) {
        m_a.jcc(cc, label(&taken));
        jump_to(b, other);
    } else if (!other_moves) {
        m_a.jcc(negate(cc), label(&other));
        jump_to(b, taken);
    } else {
        Label edge = m_a.new_label();
        m_a.jcc(cc, edge);
        edge_copies(b, other);
        m_a.jmp(label(&other)); // never falls through: the other edge's copies follow
        m_a.bind(edge);
        edge_copies(b, taken);
        m_a.jmp(label(&taken));
    }
}

void GeneralEmitter::emit_inst(const Block& b, const Inst& inst)
{
    switch (inst.op) {
    case Op::Param: case Op::Phi: case Op::Undef: case Op::CONST_I32: case Op::CONST_F32: case Op::GVIEW:
        break; // loaded by the prologue, written on the edges, or used as immediates
    case Op::JMP:
        if (!m_copy && m_versioned[b.id])
            emit_versioned_entry(b, *m_versioned[b.id]);
        else
            jump_to(b, *b.succ[0]);
        break;
    case Op::Branch:
        if (m_layout.select[b.id] == SelectBranch)
            emit_select(b);
        else
            emit_branch(b, inst);
        break;
    case Op::RET:
        load_bits(eax, inst.arg(0));
        return_eax();
        break;
    case Op::RET_VOID:
        m_a.xor_(eax, eax);
        return_eax();
        break;
    case Op::CALL:
        emit_call(inst);
        break;
    case Op::LEN: case Op::LOAD_I32: case Op::LOAD_F32: case Op::STORE_I32: case Op::STORE_F32:
        emit_memory(inst);
        break;
    default:
        if (inst.type == Type::F32 || (inst.arg_count && inst.arg(0)->type == Type::F32))
            emit_float(inst);
        else
            emit_integer(inst);
        break;
    }
}

void GeneralEmitter::emit_block(const Block& b)
{
    if (b.loop && b.loop->header == &b)
        m_a.align(16); // a loop head: its jumps land on a fresh fetch line
    m_a.bind(label(&b));
    for (Inst* inst = b.first; inst; inst = inst->next)
        emit_inst(b, *inst);
}

ErrorOr<void> GeneralEmitter::run()
{
    Arena& arena = *m_fn.arena;
    m_labels = TRY(arena.allocate<Label>(m_fn.next_block_id));
    Block** order = TRY(arena.allocate<Block*>(m_fn.block_count));
    u32 count = live_blocks(m_fn, order);
    for (u32 i = 0; i < count; ++i)
        m_labels[order[i]->id] = m_a.new_label();
    m_exit = m_a.new_label();
    TRY(plan_versions(order, count));
    emit_prologue();
    // The arms of a select are emitted inside their branch block.
    u32 emitted = 0;
    for (u32 i = 0; i < count; ++i)
        if (m_layout.select[order[i]->id] != SelectArm)
            order[emitted++] = order[i];
    for (u32 i = 0; i < emitted; ++i) {
        m_next = i + 1 < emitted ? order[i + 1] : nullptr;
        emit_block(*order[i]);
    }
    emit_copies(order, emitted);
    emit_stubs();
    if (!m_env) {
        m_a.bind(m_exit);
        m_a.add(esp, m_layout.frame_size);
        for (u32 i = m_layout.saved_count; i-- > 0;)
            m_a.pop(Gp32 { m_layout.saved[i] });
        m_a.ret();
    }
    if (m_a.has_error())
        return m_a.error();
    return {};
}

bool general_supports(const Function& fn, bool tier_abi)
{
    if (fn.next_block_id > max_general_blocks)
        return false;
    for (u32 i = 0; i < fn.block_count; ++i) {
        const Block* b = fn.blocks[i];
        if (b->removed)
            continue;
        u32 phis = 0;
        for (const Inst* inst = b->first; inst; inst = inst->next) {
            if (!supported(*inst, tier_abi))
                return false;
            phis += inst->op == Op::Phi;
        }
        if (phis > 64)
            return false;
    }
    return true;
}

ErrorOr<void> compile_general(const Function& fn, x86::Assembler& a, const CodegenOptions& options, GeneralStats* stats,
    const GeneralOptions& general)
{
    if (!general_supports(fn, options.tier_abi != nullptr))
        return Error::JitUnsupported;
    Arena& arena = *fn.arena;
    usize mark = arena.mark();
    auto layout = allocate_registers(fn, general.if_convert);
    if (layout.is_error()) {
        arena.rewind(mark);
        return layout.error() == Error::OutOfMemory ? Error::JitUnsupported : layout.error();
    }
    if (options.tier_abi) {
        // 512 frames of this size must fit the stack the runtime promises.
        u32 bytes = static_cast<u32>(layout.value().frame_size) + 4 + 4 * layout.value().saved_count;
        if (bytes > options.tier_abi->jit->runtime().policy().max_native_frame_bytes) {
            arena.rewind(mark);
            return Error::JitUnsupported;
        }
    }
    GeneralEmitter emitter(fn, a, options, layout.value());
    auto result = emitter.run();
    if (stats)
        *stats = GeneralStats { layout.value().in_registers, layout.value().spilled, emitter.m_version_count, layout.value().selects,
                                emitter.m_vector_count };
    arena.rewind(mark);
    return result;
}

}
