// Bytecode to SSA; see ssa_builder.h.
#include <bareflow/panic.h>
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/ssa_builder.h>

namespace Tier2 {

namespace {

constexpr u32 max_registers = 256;

struct Builder {
    Function& fn;
    const FunctionInfo& info;
    Builder(Function& f, const FunctionInfo& i)
        : fn(f)
        , info(i)
    {
    }

    Instruction* code {};   // decoded instructions, in offset order
    u32 code_count {};
    u32* leaders {};        // offsets of block starts, ascending
    u32 leader_count {};
    Block** block_of_leader {};
    u32* first_inst {};     // per original block: index into code
    u32* end_inst {};
    Inst* undef[5] {};      // per Type
    Inst* current[max_registers] {};
    Block* synthetic_entry {}; // an entry block added in front; it has no bytecode
    u32 phi_count {};

    bool bit(const u32* set, u32 i) const { return (set[i >> 5] >> (i & 31)) & 1; }

    Block* block_at(u32 offset) const
    {
        u32 lo = 0, hi = leader_count;
        while (lo < hi) {
            u32 mid = (lo + hi) / 2;
            if (leaders[mid] < offset)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo >= leader_count || leaders[lo] != offset)
            panic("tier2: jump target is not a block start");
        return block_of_leader[lo];
    }

    Type reg_type(u8 reg) const { return static_cast<Type>(info.reg_types[reg]); }

    Inst* read(u8 reg) const
    {
        Inst* v = current[reg];
        return v ? v : undef[static_cast<u8>(reg_type(reg))];
    }
};

ErrorOr<void> decode_all(Builder& b, Arena& arena)
{
    const FunctionInfo& info = b.info;
    if (info.code_size == 0 || info.reg_count == 0 || info.param_count > info.reg_count)
        return Error::ModuleOutOfRange;
    u32 words = (info.code_size + 32) / 32;
    u32* starts = TRY(arena.allocate<u32>(words));
    u32* leader_set = TRY(arena.allocate<u32>(words));
    // Instructions are at least one byte each.
    b.code = TRY(arena.allocate<Instruction>(info.code_size));
    b.code_count = 0;
    u32 offset = 0;
    while (offset < info.code_size) {
        Instruction inst = TRY(decode_instruction(info.code, info.code_size, offset));
        for (u8 r = 0; r < inst.reg_count; ++r) {
            bool none_allowed = inst.opcode == Opcode::CALL && r == 0;
            if (inst.reg[r] >= info.reg_count && !(none_allowed && inst.reg[r] == 255))
                return Error::ModuleOutOfRange;
        }
        starts[offset >> 5] |= 1u << (offset & 31);
        b.code[b.code_count++] = inst;
        offset += inst.length;
    }
    leader_set[0] |= 1;
    for (u32 i = 0; i < b.code_count; ++i) {
        const Instruction& inst = b.code[i];
        u32 next = inst.offset + inst.length;
        if (is_conditional(inst.opcode) || inst.opcode == Opcode::JMP) {
            if (inst.target >= info.code_size || !b.bit(starts, inst.target))
                return Error::ModuleBadJump;
            leader_set[inst.target >> 5] |= 1u << (inst.target & 31);
        }
        if (is_block_end(inst.opcode) && next < info.code_size)
            leader_set[next >> 5] |= 1u << (next & 31);
    }
    const Instruction& last = b.code[b.code_count - 1];
    if (last.opcode != Opcode::JMP && last.opcode != Opcode::RET && last.opcode != Opcode::RET_VOID)
        return Error::ModuleNoReturn;
    b.leader_count = 0;
    for (u32 i = 0; i < b.code_count; ++i)
        b.leader_count += b.bit(leader_set, b.code[i].offset);
    b.leaders = TRY(arena.allocate<u32>(b.leader_count));
    b.first_inst = TRY(arena.allocate<u32>(b.leader_count));
    b.end_inst = TRY(arena.allocate<u32>(b.leader_count));
    u32 n = 0;
    for (u32 i = 0; i < b.code_count; ++i) {
        if (b.bit(leader_set, b.code[i].offset)) {
            if (n)
                b.end_inst[n - 1] = i;
            b.leaders[n] = b.code[i].offset;
            b.first_inst[n++] = i;
        }
    }
    b.end_inst[n - 1] = b.code_count;
    return {};
}

ErrorOr<void> build_cfg(Builder& b)
{
    Function& fn = b.fn;
    b.block_of_leader = TRY(fn.arena->allocate<Block*>(b.leader_count));
    fn.blocks = TRY(fn.arena->allocate<Block*>(b.leader_count));
    for (u32 i = 0; i < b.leader_count; ++i) {
        b.block_of_leader[i] = TRY(create_block(fn, b.leaders[i]));
        fn.blocks[i] = b.block_of_leader[i];
    }
    fn.block_count = b.leader_count;
    for (u32 i = 0; i < b.leader_count; ++i) {
        Block* block = b.block_of_leader[i];
        const Instruction& last = b.code[b.end_inst[i] - 1];
        Block* fallthrough = i + 1 < b.leader_count ? b.block_of_leader[i + 1] : nullptr;
        if (last.opcode == Opcode::JMP) {
            block->succ[block->succ_count++] = b.block_at(last.target);
        } else if (is_conditional(last.opcode)) {
            Block* taken = b.block_at(last.target);
            block->succ[block->succ_count++] = taken;
            // A conditional jump to the next instruction is a plain fallthrough.
            if (taken != fallthrough)
                block->succ[block->succ_count++] = fallthrough;
        } else if (last.opcode != Opcode::RET && last.opcode != Opcode::RET_VOID) {
            block->succ[block->succ_count++] = fallthrough;
        }
    }
    for (u32 i = 0; i < fn.block_count; ++i) {
        Block* block = fn.blocks[i];
        for (u32 s = 0; s < block->succ_count; ++s)
            block->succ[s]->pred_count++;
    }
    for (u32 i = 0; i < fn.block_count; ++i) {
        Block* block = fn.blocks[i];
        block->preds = TRY(fn.arena->allocate<Block*>(block->pred_count ? block->pred_count : 1));
        block->pred_count = 0;
    }
    for (u32 i = 0; i < fn.block_count; ++i) {
        Block* block = fn.blocks[i];
        for (u32 s = 0; s < block->succ_count; ++s) {
            Block* succ = block->succ[s];
            succ->preds[succ->pred_count++] = block;
        }
    }
    return {};
}

// Which original block (by leader index) a Block came from: its bytecode offset.
u32 leader_index(const Builder& b, const Block* block)
{
    u32 lo = 0, hi = b.leader_count;
    while (lo < hi) {
        u32 mid = (lo + hi) / 2;
        if (b.leaders[mid] < block->offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

// Registers written by an instruction (at most one).
int written_register(const Instruction& inst)
{
    const OpcodeInfo& info = opcode_info(static_cast<u8>(inst.opcode));
    switch (info.operands[0]) {
    case OperandKind::W_I32:
    case OperandKind::W_F32:
    case OperandKind::W_VIEW:
    case OperandKind::W_ANY:
    case OperandKind::RW_I32:
        return inst.reg[0];
    case OperandKind::W_RESULT:
        return inst.reg[0] == 255 ? -1 : inst.reg[0];
    default:
        return -1;
    }
}

ErrorOr<void> place_phis(Builder& b)
{
    Function& fn = b.fn;
    u32 n = fn.block_count;
    // Dominance frontiers, as in Cooper, Harvey and Kennedy, figure 5.
    u32* df_count = TRY(fn.arena->allocate<u32>(n));
    for (u32 i = 0; i < n; ++i) {
        Block* block = fn.blocks[i];
        if (block->pred_count < 2)
            continue;
        for (u32 p = 0; p < block->pred_count; ++p)
            for (Block* runner = block->preds[p]; runner != block->idom; runner = runner->idom)
                df_count[runner->id]++;
    }
    u32* df_start = TRY(fn.arena->allocate<u32>(n + 1));
    for (u32 i = 0; i < n; ++i)
        df_start[i + 1] = df_start[i] + df_count[i];
    Block** df = TRY(fn.arena->allocate<Block*>(df_start[n] ? df_start[n] : 1));
    u32* fill = TRY(fn.arena->allocate<u32>(n));
    for (u32 i = 0; i < n; ++i) {
        Block* block = fn.blocks[i];
        if (block->pred_count < 2)
            continue;
        for (u32 p = 0; p < block->pred_count; ++p)
            for (Block* runner = block->preds[p]; runner != block->idom; runner = runner->idom)
                df[df_start[runner->id] + fill[runner->id]++] = block;
    }
    // Per block, the registers it writes.
    u32* writes = TRY(fn.arena->allocate<u32>(n * 8));
    for (u32 i = 0; i < n; ++i) {
        if (fn.blocks[i] == b.synthetic_entry)
            continue;
        u32 li = leader_index(b, fn.blocks[i]);
        for (u32 k = b.first_inst[li]; k < b.end_inst[li]; ++k) {
            int r = written_register(b.code[k]);
            if (r >= 0)
                writes[i * 8 + (r >> 5)] |= 1u << (r & 31);
        }
    }
    for (u32 r = 0; r < b.info.param_count; ++r)
        writes[r >> 5] |= 1u << (r & 31);
    u16* has_phi = TRY(fn.arena->allocate<u16>(n));
    u16* queued = TRY(fn.arena->allocate<u16>(n));
    Block** work = TRY(fn.arena->allocate<Block*>(n));
    for (u32 r = 0; r < b.info.reg_count; ++r) {
        u16 stamp = static_cast<u16>(r + 1);
        u32 top = 0;
        for (u32 i = 0; i < n; ++i) {
            if ((writes[i * 8 + (r >> 5)] >> (r & 31)) & 1) {
                queued[i] = stamp;
                work[top++] = fn.blocks[i];
            }
        }
        while (top) {
            Block* x = work[--top];
            for (u32 k = df_start[x->id]; k < df_start[x->id + 1]; ++k) {
                Block* y = df[k];
                if (has_phi[y->id] == stamp)
                    continue;
                has_phi[y->id] = stamp;
                b.phi_count++;
                Inst* phi = TRY(create_inst(fn, Op::Phi, b.reg_type(static_cast<u8>(r)), y->pred_count));
                phi->imm = static_cast<i32>(r); // the register, until renaming is done
                phi->offset = y->offset;
                // Phis go first; their mutual order does not matter.
                if (y->first)
                    insert_before(y->first, phi);
                else
                    append_inst(y, phi);
                if (queued[y->id] != stamp) {
                    queued[y->id] = stamp;
                    work[top++] = y;
                }
            }
        }
    }
    return {};
}

ErrorOr<Inst*> emit(Builder& b, Block* block, Op op, Type type, u32 args, const Instruction& from)
{
    Inst* inst = TRY(create_inst(b.fn, op, type, args));
    inst->offset = from.offset;
    append_inst(block, inst);
    return inst;
}

Cond branch_cond(Opcode op)
{
    switch (op) {
    case Opcode::JZ:
    case Opcode::BR_EQ_I32: return Cond::Eq;
    case Opcode::JNZ:
    case Opcode::BR_NE_I32: return Cond::Ne;
    case Opcode::BR_LT_I32: return Cond::Lt;
    case Opcode::BR_LE_I32: return Cond::Le;
    case Opcode::BR_GT_I32: return Cond::Gt;
    case Opcode::BR_GE_I32: return Cond::Ge;
    default: panic("tier2: not a branch");
    }
}

ErrorOr<void> translate(Builder& b, Block* block, const Instruction& in)
{
    Function& fn = b.fn;
    const ModuleInfo& module = *fn.module;
    switch (in.opcode) {
    case Opcode::NOP:
        return {};
    case Opcode::MOV:
        b.current[in.reg[0]] = b.read(in.reg[1]);
        return {};
    case Opcode::CONST_I32:
    case Opcode::CONST_F32: {
        Inst* c = TRY(emit(b, block, static_cast<Op>(in.opcode), in.opcode == Opcode::CONST_I32 ? Type::I32 : Type::F32, 0, in));
        c->imm = in.imm;
        b.current[in.reg[0]] = c;
        return {};
    }
    case Opcode::GVIEW: {
        if (in.index >= module.buffer_count)
            return Error::ModuleOutOfRange;
        Inst* v = TRY(emit(b, block, Op::GVIEW, module.buffer_types[in.index], 0, in));
        v->imm = in.index;
        b.current[in.reg[0]] = v;
        return {};
    }
    case Opcode::JMP: {
        TRY(emit(b, block, Op::JMP, Type::Void, 0, in));
        return {};
    }
    case Opcode::JZ:
    case Opcode::JNZ:
    case Opcode::BR_EQ_I32:
    case Opcode::BR_NE_I32:
    case Opcode::BR_LT_I32:
    case Opcode::BR_LE_I32:
    case Opcode::BR_GT_I32:
    case Opcode::BR_GE_I32: {
        if (block->succ_count == 1) {
            TRY(emit(b, block, Op::JMP, Type::Void, 0, in));
            return {};
        }
        Inst* rhs;
        if (in.opcode == Opcode::JZ || in.opcode == Opcode::JNZ) {
            rhs = TRY(emit(b, block, Op::CONST_I32, Type::I32, 0, in));
            rhs->imm = 0;
        } else {
            rhs = b.read(in.reg[1]);
        }
        Inst* br = TRY(emit(b, block, Op::Branch, Type::Void, 2, in));
        br->cond = branch_cond(in.opcode);
        br->args[0] = b.read(in.reg[0]);
        br->args[1] = rhs;
        return {};
    }
    case Opcode::FORLOOP: {
        Inst* next = TRY(emit(b, block, Op::ADDI_I32, Type::I32, 1, in));
        next->args[0] = b.read(in.reg[0]);
        next->imm = 1;
        b.current[in.reg[0]] = next;
        if (block->succ_count == 1) {
            TRY(emit(b, block, Op::JMP, Type::Void, 0, in));
            return {};
        }
        Inst* br = TRY(emit(b, block, Op::Branch, Type::Void, 2, in));
        br->cond = Cond::Lt;
        br->flags |= ForloopBackEdge;
        br->args[0] = next;
        br->args[1] = b.read(in.reg[1]);
        return {};
    }
    case Opcode::CALL: {
        if (in.index >= module.function_count)
            return Error::ModuleBadCall;
        const FunctionInfo& callee = module.functions[in.index];
        if (in.reg[1] + callee.param_count > b.info.reg_count)
            return Error::ModuleBadCall;
        Inst* call = TRY(emit(b, block, Op::CALL, callee.return_type, callee.param_count, in));
        call->imm = in.index;
        for (u32 k = 0; k < callee.param_count; ++k)
            call->args[k] = b.read(static_cast<u8>(in.reg[1] + k));
        if (in.reg[0] != 255)
            b.current[in.reg[0]] = call;
        return {};
    }
    case Opcode::RET: {
        Inst* ret = TRY(emit(b, block, Op::RET, Type::Void, 1, in));
        ret->args[0] = b.read(in.reg[0]);
        return {};
    }
    case Opcode::RET_VOID:
        TRY(emit(b, block, Op::RET_VOID, Type::Void, 0, in));
        return {};
    default:
        break;
    }
    // Every other opcode computes a value from registers (and maybe an
    // immediate), or stores: opcodes.def lists written operands first.
    const OpcodeInfo& info = opcode_info(static_cast<u8>(in.opcode));
    int dest = written_register(in);
    Type type = Type::Void;
    if (dest >= 0)
        type = info.operands[0] == OperandKind::W_F32 ? Type::F32 : Type::I32;
    u32 first_read = dest >= 0 ? 1 : 0;
    // A reduction becomes the plain operation marked Reassociable: every
    // optimisation treats it as the add or subtract it is, and only the
    // reduction recognisers read the mark.
    Op op = static_cast<Op>(in.opcode);
    u8 flags = 0;
    if (in.opcode == Opcode::RADD_F32 || in.opcode == Opcode::RSUB_F32) {
        op = in.opcode == Opcode::RADD_F32 ? Op::ADD_F32 : Op::SUB_F32;
        flags = Reassociable;
    }
    Inst* inst = TRY(emit(b, block, op, type, in.reg_count - first_read, in));
    inst->flags |= flags;
    for (u32 k = first_read; k < in.reg_count; ++k)
        inst->args[k - first_read] = b.read(in.reg[k]);
    inst->imm = in.imm;
    if (dest >= 0)
        b.current[dest] = inst;
    return {};
}

ErrorOr<void> rename(Builder& b)
{
    Function& fn = b.fn;
    u32 n = fn.block_count;
    // Dominator-tree children as linked lists.
    Block** first_child = TRY(fn.arena->allocate<Block*>(n));
    Block** next_sibling = TRY(fn.arena->allocate<Block*>(n));
    for (u32 i = n; i-- > 1;) {
        Block* block = fn.blocks[i];
        next_sibling[i] = first_child[block->idom->id];
        first_child[block->idom->id] = block;
    }
    struct Saved {
        u8 reg;
        Inst* value;
    };
    // Every definition pushes at most one entry: instructions, phis, params.
    u32 log_capacity = b.code_count + b.phi_count + b.info.param_count + 1;
    Saved* log = TRY(fn.arena->allocate<Saved>(log_capacity));
    u32 log_size = 0;
    struct Frame {
        Block* block;
        Block* next_child;
        u32 mark;
    };
    Frame* stack = TRY(fn.arena->allocate<Frame>(n));
    u32 depth = 0;

    auto enter = [&](Block* block) -> ErrorOr<void> {
        u32 mark = log_size;
        auto define = [&](u8 reg, Inst* value) {
            log[log_size++] = { reg, b.current[reg] };
            b.current[reg] = value;
        };
        for (Inst* phi = block->first; phi && phi->op == Op::Phi; phi = phi->next)
            define(static_cast<u8>(phi->imm), phi);
        if (block != b.synthetic_entry) {
            u32 li = leader_index(b, block);
            for (u32 k = b.first_inst[li]; k < b.end_inst[li]; ++k) {
                const Instruction& in = b.code[k];
                int dest = written_register(in);
                if (dest >= 0)
                    log[log_size++] = { static_cast<u8>(dest), b.current[dest] };
                TRY(translate(b, block, in));
            }
            if (!block->last || !block->last->is_terminator()) {
                Inst* jump = TRY(create_inst(fn, Op::JMP, Type::Void, 0));
                jump->offset = b.code[b.end_inst[li] - 1].offset;
                append_inst(block, jump);
            }
        }
        for (u32 s = 0; s < block->succ_count; ++s) {
            Block* succ = block->succ[s];
            u32 index = succ->pred_index(block);
            for (Inst* phi = succ->first; phi && phi->op == Op::Phi; phi = phi->next)
                phi->args[index] = b.read(static_cast<u8>(phi->imm));
        }
        stack[depth++] = { block, first_child[block->id], mark };
        return {};
    };

    TRY(enter(fn.blocks[0]));
    while (depth) {
        Frame& top = stack[depth - 1];
        if (top.next_child) {
            Block* child = top.next_child;
            top.next_child = next_sibling[child->id];
            TRY(enter(child));
            continue;
        }
        while (log_size > top.mark) {
            --log_size;
            b.current[log[log_size].reg] = log[log_size].value;
        }
        --depth;
    }
    for (u32 i = 0; i < n; ++i)
        for (Inst* phi = fn.blocks[i]->first; phi && phi->op == Op::Phi; phi = phi->next)
            phi->imm = 0;
    return {};
}

}

ErrorOr<Function*> build_function(Arena& arena, const ModuleInfo& module, u32 function_index)
{
    if (function_index >= module.function_count)
        return Error::NoSuchFunction;
    const FunctionInfo& info = module.functions[function_index];
    Function* fn = TRY(arena.allocate<Function>());
    fn->arena = &arena;
    fn->module = &module;
    fn->index = function_index;
    fn->info = &info;
    Builder builder(*fn, info);
    Builder* b = &builder;
    TRY(decode_all(*b, arena));
    TRY(build_cfg(*b));
    TRY(order_and_dominate(*fn));
    // The entry block must not be a jump target: parameters and undefs are
    // defined there, ahead of everything. Bytecode may jump to offset 0, so
    // give such a function a fresh entry block.
    if (fn->blocks[0]->pred_count != 0) {
        Block* entry = TRY(create_block(*fn, 0));
        Inst* jump = TRY(create_inst(*fn, Op::JMP, Type::Void, 0));
        append_inst(entry, jump);
        entry->succ[0] = fn->blocks[0];
        entry->succ_count = 1;
        TRY(add_pred(*fn, fn->blocks[0], entry));
        Block** blocks = TRY(arena.allocate<Block*>(fn->block_count + 1));
        blocks[0] = entry;
        for (u32 i = 0; i < fn->block_count; ++i)
            blocks[i + 1] = fn->blocks[i];
        fn->blocks = blocks;
        fn->block_count++;
        b->synthetic_entry = entry;
        TRY(order_and_dominate(*fn));
    }
    TRY(place_phis(*b));
    Block* entry = fn->blocks[0];
    Inst* anchor = entry->first;
    auto put_entry = [&](Inst* inst) {
        if (anchor)
            insert_before(anchor, inst);
        else
            append_inst(entry, inst);
    };
    fn->params = TRY(arena.allocate<Inst*>(info.param_count ? info.param_count : 1));
    for (u32 p = 0; p < info.param_count; ++p) {
        Inst* param = TRY(create_inst(*fn, Op::Param, static_cast<Type>(info.reg_types[p]), 0));
        param->imm = static_cast<i32>(p);
        put_entry(param);
        fn->params[p] = param;
        b->current[p] = param;
    }
    for (u8 t = 1; t <= 4; ++t) {
        b->undef[t] = TRY(create_inst(*fn, Op::Undef, static_cast<Type>(t), 0));
        put_entry(b->undef[t]);
    }
    TRY(rename(*b));
    TRY(analyze(*fn));
    return fn;
}

}
