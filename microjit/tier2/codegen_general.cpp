// The general tier-2 code generator; see codegen_general.h.
//
// Frame (after push ebp, ebx, esi, edi; sub esp, size; mov ebp, esp):
//   [ebp + 0]          the argument pointer
//   [ebp + 4]          this frame's call depth
//   [ebp + 8 + 4 * v]  the slot of SSA value v (Inst::id)
//   [ebp + size]       saved edi, esi, ebx, ebp, then the return address
//   standalone only:   [ebp + size + 20] args, + 24 result, + 28 depth
// Phi copies on an edge go through the stack (push every source, then pop
// into the phi slots in reverse), which makes them a parallel copy: a phi
// that reads another phi of the same block sees its old value, as SSA says.
#include <microjit/tier2/codegen_general.h>

namespace Tier2 {

namespace {

using namespace x86;

constexpr i32 max_call_depth = 512; // docs/module-format.md

bool supported_inst(const Inst& inst)
{
    switch (inst.op) {
    case Op::Param:
        return inst.type == Type::I32;
    case Op::CONST_I32:
    case Op::Undef:
    case Op::Phi:
    case Op::ADD_I32: case Op::SUB_I32: case Op::MUL_I32: case Op::DIV_I32: case Op::REM_I32:
    case Op::AND_I32: case Op::OR_I32: case Op::XOR_I32: case Op::SHL_I32: case Op::SHR_I32:
    case Op::ADDI_I32: case Op::MULI_I32: case Op::NEG_I32: case Op::NOT_I32: case Op::EQZ_I32:
    case Op::ABS_I32: case Op::MIN_I32: case Op::MAX_I32:
    case Op::EQ_I32: case Op::NE_I32: case Op::LT_I32: case Op::LE_I32: case Op::GT_I32: case Op::GE_I32:
    case Op::JMP:
    case Op::Branch:
    case Op::RET_VOID:
        return inst.op != Op::Phi || inst.type == Type::I32;
    case Op::RET:
        return inst.arg_count == 1 && inst.arg(0)->type == Type::I32;
    default:
        return false;
    }
}

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

Condition condition_for(Op op)
{
    switch (op) {
    case Op::EQ_I32: return Condition::E;
    case Op::NE_I32: return Condition::NE;
    case Op::LT_I32: return Condition::L;
    case Op::LE_I32: return Condition::LE;
    case Op::GT_I32: return Condition::G;
    default: return Condition::GE;
    }
}

class Generator {
public:
    Generator(const Function& fn, Assembler& a, const CodegenOptions& options)
        : m_fn(fn)
        , m_a(a)
        , m_env(options.tier_abi)
        , m_function(options.function)
    {
        m_frame = (8 + 4 * static_cast<i32>(fn.next_inst_id) + 15) & ~15;
    }

    ErrorOr<void> run()
    {
        // One label per block id; ids are below next_block_id.
        if (m_fn.next_block_id > max_blocks)
            return Error::JitUnsupported;
        for (u32 i = 0; i < m_fn.next_block_id; ++i)
            m_labels[i] = m_a.new_label();
        m_exit = m_a.new_label();
        choose_registers();
        prologue();
        Block* live[max_blocks];
        u32 count = 0;
        for (u32 i = 0; i < m_fn.block_count; ++i)
            if (!m_fn.blocks[i]->removed)
                live[count++] = m_fn.blocks[i];
        for (u32 i = 0; i < count; ++i) {
            m_next = i + 1 < count ? live[i + 1] : nullptr;
            block(*live[i]);
        }
        epilogue();
        if (m_a.has_error())
            return m_a.error();
        return {};
    }

private:
    static constexpr u32 max_blocks = 1024;

    Mem slot(const Inst* v) const { return dword_ptr(ebp, 8 + 4 * static_cast<i32>(v->id)); }

    // A value's home: one of the callee-saved registers EBX ESI EDI for the
    // few values chosen in choose_registers(), else its frame slot. A home
    // is the value's for the whole function, so no two values ever share one.
    bool in_register(const Inst* v, Gp32& r) const
    {
        for (u32 i = 0; i < m_register_count; ++i)
            if (m_in_register[i] == v) {
                r = home_registers[i];
                return true;
            }
        return false;
    }
    void load_home(Gp32 into, const Inst* v)
    {
        if (Gp32 r; in_register(v, r))
            m_a.mov(into, r);
        else
            m_a.mov(into, slot(v));
    }
    void store(const Inst* v, Gp32 from)
    {
        if (Gp32 r; in_register(v, r))
            m_a.mov(r, from);
        else
            m_a.mov(slot(v), from);
    }
    void push_home(const Inst* v)
    {
        if (Gp32 r; in_register(v, r))
            m_a.push(r);
        else
            m_a.push(slot(v));
    }
    void pop_home(const Inst* v)
    {
        if (Gp32 r; in_register(v, r))
            m_a.pop(r);
        else
            m_a.pop(slot(v));
    }

    // Picks the values that live in registers: those defined in the deepest
    // loops, loop-carried phis first, then by number of uses. (A stand-in
    // for a linear scan: whole-function homes need no interference test.)
    void choose_registers()
    {
        u32 best_score[3] = { 0, 0, 0 };
        for (u32 i = 0; i < m_fn.block_count; ++i) {
            const Block* b = m_fn.blocks[i];
            if (b->removed)
                continue;
            u32 depth = b->loop ? b->loop->depth : 0;
            for (const Inst* inst = b->first; inst; inst = inst->next) {
                if (inst->type != Type::I32 || inst->op == Op::CONST_I32 || inst->op == Op::Undef)
                    continue;
                u32 score = 1 + depth * 64 + (inst->op == Op::Phi ? 32 : 0);
                for (u32 k = 0; k < 3; ++k) {
                    if (score > best_score[k]) {
                        for (u32 j = 2; j > k; --j) {
                            best_score[j] = best_score[j - 1];
                            m_in_register[j] = m_in_register[j - 1];
                        }
                        best_score[k] = score;
                        m_in_register[k] = inst;
                        break;
                    }
                }
            }
        }
        m_register_count = 0;
        while (m_register_count < 3 && m_in_register[m_register_count])
            ++m_register_count;
    }
    Label label(const Block* b) const { return m_labels[b->id]; }

    void prologue()
    {
        m_a.push(ebp);
        m_a.push(ebx);
        m_a.push(esi);
        m_a.push(edi);
        m_a.sub(esp, m_frame);
        m_a.mov(ebp, esp);
        if (m_env) {
            // Tier ABI: EAX = args, EDX = the caller's depth (docs/jit.md).
            m_a.mov(dword_ptr(ebp, 0), eax);
            m_a.lea(ecx, ptr(edx, 1));
            m_a.cmp(ecx, max_call_depth);
            Label ok = m_a.new_label();
            m_a.jbe(ok);
            trap(Error::TrapCallDepth, TrapInfo::unknown_offset);
            m_a.bind(ok);
            m_a.mov(dword_ptr(ebp, 4), ecx);
        } else {
            m_a.mov(eax, dword_ptr(ebp, m_frame + 20));
            m_a.mov(dword_ptr(ebp, 0), eax);
            m_a.mov(eax, dword_ptr(ebp, m_frame + 28));
            m_a.mov(dword_ptr(ebp, 4), eax);
        }
    }

    void epilogue()
    {
        m_a.bind(m_exit);
        m_a.add(esp, m_frame);
        m_a.pop(edi);
        m_a.pop(esi);
        m_a.pop(ebx);
        m_a.pop(ebp);
        m_a.ret();
    }

    // Raises `error` as the bytecode would at `offset`.
    void trap(Error error, u32 offset)
    {
        m_a.mov(eax, static_cast<i32>(error));
        if (m_env) {
            m_a.mov(edx, static_cast<i32>(m_function));
            m_a.mov(ecx, static_cast<i32>(offset));
            m_a.jmp(dword_ptr_abs(static_cast<u32>(reinterpret_cast<uptr>(&m_env->stubs->trap_exit))));
        } else {
            m_a.jmp(m_exit);
        }
    }

    void return_eax()
    {
        if (!m_env) {
            m_a.mov(ecx, dword_ptr(ebp, m_frame + 24));
            m_a.mov(dword_ptr(ecx), eax);
            m_a.mov(dword_ptr(ecx, 4), 0);
            m_a.xor_(eax, eax);
        }
        m_a.jmp(m_exit);
    }

    void load(Gp32 into, const Inst* v)
    {
        if (v->op == Op::CONST_I32)
            m_a.mov(into, v->imm);
        else
            load_home(into, v);
    }

    // Copies the phi arguments of the edge pred -> succ into succ's phis.
    void edge_copies(const Block& pred, const Block& succ)
    {
        u32 index = succ.pred_index(&pred);
        u32 pushed = 0;
        for (Inst* phi = succ.first; phi && phi->op == Op::Phi; phi = phi->next) {
            const Inst* source = phi->arg(index);
            if (source->op == Op::CONST_I32)
                m_a.push(source->imm);
            else
                push_home(source);
            ++pushed;
        }
        if (!pushed)
            return;
        Inst* last = succ.first;
        while (last->next && last->next->op == Op::Phi)
            last = last->next;
        for (Inst* phi = last;; phi = phi->prev) {
            pop_home(phi);
            if (phi == succ.first)
                break;
        }
    }

    static bool has_phis(const Block& b) { return b.first && b.first->op == Op::Phi; }

    void jump_to(const Block& from, const Block& to)
    {
        edge_copies(from, to);
        if (&to != m_next)
            m_a.jmp(label(&to));
    }

    void block(const Block& b)
    {
        m_a.bind(label(&b));
        for (Inst* inst = b.first; inst; inst = inst->next)
            instruction(b, *inst);
    }

    void binary(Op op, const Inst& inst)
    {
        load(eax, inst.arg(0));
        load(ecx, inst.arg(1));
        switch (op) {
        case Op::ADD_I32: m_a.add(eax, ecx); break;
        case Op::SUB_I32: m_a.sub(eax, ecx); break;
        case Op::MUL_I32: m_a.imul(eax, ecx); break;
        case Op::AND_I32: m_a.and_(eax, ecx); break;
        case Op::OR_I32: m_a.or_(eax, ecx); break;
        case Op::XOR_I32: m_a.xor_(eax, ecx); break;
        case Op::SHL_I32: m_a.shl(eax, cl); break; // the CPU masks the count to 5 bits, as the language does
        case Op::SHR_I32: m_a.sar(eax, cl); break;
        case Op::MIN_I32: m_a.cmp(ecx, eax); m_a.cmovl(eax, ecx); break;
        case Op::MAX_I32: m_a.cmp(ecx, eax); m_a.cmovg(eax, ecx); break;
        default:
            m_a.cmp(eax, ecx);
            m_a.setcc(condition_for(op), al);
            m_a.movzx(eax, al);
            break;
        }
        store(&inst, eax);
    }

    void division(const Inst& inst)
    {
        const Inst* divisor = inst.arg(1);
        if (divisor->op == Op::CONST_I32 && divisor->imm > 0 && (divisor->imm & (divisor->imm - 1)) == 0) {
            power_of_two_division(inst, __builtin_ctz(static_cast<u32>(divisor->imm)));
            return;
        }
        load(eax, inst.arg(0));
        load(ecx, inst.arg(1));
        Label nonzero = m_a.new_label();
        Label safe = m_a.new_label();
        m_a.test(ecx, ecx);
        m_a.jne(nonzero);
        trap(Error::TrapDivideByZero, inst.offset);
        m_a.bind(nonzero);
        // INT_MIN / -1 and INT_MIN % -1 trap (opcodes.def); IDIV would fault.
        m_a.cmp(ecx, -1);
        m_a.jne(safe);
        m_a.cmp(eax, static_cast<i32>(0x80000000u));
        m_a.jne(safe);
        trap(Error::TrapOverflow, inst.offset);
        m_a.bind(safe);
        m_a.cdq();
        m_a.idiv(ecx);
        store(&inst, inst.op == Op::DIV_I32 ? eax : edx);
    }

    // x / 2^k and x % 2^k rounding toward zero, as IDIV does: a negative x
    // is biased by 2^k - 1 first. No trap is possible with such a divisor.
    void power_of_two_division(const Inst& inst, u32 k)
    {
        load(eax, inst.arg(0));
        if (k == 0) {
            if (inst.op == Op::REM_I32)
                m_a.xor_(eax, eax);
            store(&inst, eax);
            return;
        }
        m_a.mov(ecx, eax);
        m_a.mov(edx, eax);
        m_a.sar(edx, static_cast<u8>(31));
        m_a.shr(edx, static_cast<u8>(32 - k));
        m_a.add(eax, edx);
        if (inst.op == Op::DIV_I32) {
            m_a.sar(eax, static_cast<u8>(k));
            store(&inst, eax);
        } else {
            m_a.and_(eax, static_cast<i32>(~((1u << k) - 1)));
            m_a.sub(ecx, eax);
            store(&inst, ecx);
        }
    }

    void instruction(const Block& b, const Inst& inst)
    {
        switch (inst.op) {
        case Op::Param:
            m_a.mov(ecx, dword_ptr(ebp, 0));
            m_a.mov(eax, dword_ptr(ecx, 8 * inst.imm));
            store(&inst, eax);
            break;
        case Op::CONST_I32:
        case Op::Undef:
        case Op::Phi:
            break; // constants are used as immediates; phis are written on the edges
        case Op::ADD_I32: case Op::SUB_I32: case Op::MUL_I32: case Op::AND_I32: case Op::OR_I32:
        case Op::XOR_I32: case Op::SHL_I32: case Op::SHR_I32: case Op::MIN_I32: case Op::MAX_I32:
        case Op::EQ_I32: case Op::NE_I32: case Op::LT_I32: case Op::LE_I32: case Op::GT_I32: case Op::GE_I32:
            binary(inst.op, inst);
            break;
        case Op::DIV_I32:
        case Op::REM_I32:
            division(inst);
            break;
        case Op::ADDI_I32:
            load(eax, inst.arg(0));
            m_a.add(eax, inst.imm);
            store(&inst, eax);
            break;
        case Op::MULI_I32:
            load(eax, inst.arg(0));
            m_a.imul(eax, inst.imm);
            store(&inst, eax);
            break;
        case Op::NEG_I32:
            load(eax, inst.arg(0));
            m_a.neg(eax);
            store(&inst, eax);
            break;
        case Op::NOT_I32:
            load(eax, inst.arg(0));
            m_a.not_(eax);
            store(&inst, eax);
            break;
        case Op::EQZ_I32:
            load(eax, inst.arg(0));
            m_a.test(eax, eax);
            m_a.sete(al);
            m_a.movzx(eax, al);
            store(&inst, eax);
            break;
        case Op::ABS_I32:
            // abs(INT_MIN) stays INT_MIN, as the language says.
            load(eax, inst.arg(0));
            m_a.cdq();
            m_a.xor_(eax, edx);
            m_a.sub(eax, edx);
            store(&inst, eax);
            break;
        case Op::JMP:
            jump_to(b, *b.succ[0]);
            break;
        case Op::Branch: {
            load(eax, inst.arg(0));
            if (inst.arg(1)->op == Op::CONST_I32) {
                m_a.cmp(eax, inst.arg(1)->imm);
            } else {
                if (Gp32 r; in_register(inst.arg(1), r))
                    m_a.cmp(eax, r);
                else
                    m_a.cmp(eax, slot(inst.arg(1)));
            }
            const Block& taken = *b.succ[0];
            const Block& other = *b.succ[1];
            Condition cc = condition_for(inst.cond);
            if (!has_phis(taken)) {
                m_a.jcc(cc, label(&taken));
                jump_to(b, other);
            } else if (!has_phis(other)) {
                m_a.jcc(negate(cc), label(&other));
                jump_to(b, taken);
            } else {
                Label edge = m_a.new_label();
                m_a.jcc(cc, edge);
                edge_copies(b, other);
                m_a.jmp(label(&other));
                m_a.bind(edge);
                edge_copies(b, taken);
                m_a.jmp(label(&taken));
            }
            break;
        }
        case Op::RET:
            load(eax, inst.arg(0));
            return_eax();
            break;
        case Op::RET_VOID:
            m_a.xor_(eax, eax);
            return_eax();
            break;
        default:
            m_a.ud2(); // general_supports refused it already
            break;
        }
    }

    const Function& m_fn;
    Assembler& m_a;
    const NativeEnvironment* m_env;
    u32 m_function;
    i32 m_frame { 0 };
    Label m_labels[max_blocks];
    Label m_exit;
    const Block* m_next { nullptr };
    static constexpr Gp32 home_registers[3] = { ebx, esi, edi };
    const Inst* m_in_register[3] { nullptr, nullptr, nullptr };
    u32 m_register_count { 0 };
};

}

bool general_supports(const Function& fn)
{
    for (u32 i = 0; i < fn.block_count; ++i) {
        const Block* b = fn.blocks[i];
        if (b->removed)
            continue;
        for (const Inst* inst = b->first; inst; inst = inst->next)
            if (!supported_inst(*inst))
                return false;
    }
    return fn.next_block_id <= 1024 && fn.next_inst_id <= 8192;
}

ErrorOr<void> compile_general(const Function& fn, x86::Assembler& a, const CodegenOptions& options)
{
    if (!general_supports(fn))
        return Error::JitUnsupported;
    Generator generator(fn, a, options);
    return generator.run();
}

}
