// IR plumbing: creating and unlinking instructions and blocks, edges and phi
// arguments kept in step, use replacement, and the textual listing used by
// compile logs and test messages.
#include <bareflow/panic.h>
#include <microjit/tier2/ir.h>

namespace Tier2 {

Cond negate(Cond c)
{
    switch (c) {
    case Cond::Eq: return Cond::Ne;
    case Cond::Ne: return Cond::Eq;
    case Cond::Lt: return Cond::Ge;
    case Cond::Le: return Cond::Gt;
    case Cond::Gt: return Cond::Le;
    case Cond::Ge: return Cond::Lt;
    }
    panic("tier2: bad condition");
}

Cond swap_operands(Cond c)
{
    switch (c) {
    case Cond::Eq: return Cond::Eq;
    case Cond::Ne: return Cond::Ne;
    case Cond::Lt: return Cond::Gt;
    case Cond::Le: return Cond::Ge;
    case Cond::Gt: return Cond::Lt;
    case Cond::Ge: return Cond::Le;
    }
    panic("tier2: bad condition");
}

bool evaluate_cond(Cond c, i32 a, i32 b)
{
    switch (c) {
    case Cond::Eq: return a == b;
    case Cond::Ne: return a != b;
    case Cond::Lt: return a < b;
    case Cond::Le: return a <= b;
    case Cond::Gt: return a > b;
    case Cond::Ge: return a >= b;
    }
    panic("tier2: bad condition");
}

f32 Inst::const_f32() const
{
    f32 f;
    __builtin_memcpy(&f, &imm, 4);
    return f;
}

u32 Block::pred_index(const Block* pred) const
{
    for (u32 i = 0; i < pred_count; ++i)
        if (preds[i] == pred)
            return i;
    panic("tier2: block is not a predecessor");
}

ErrorOr<Inst*> create_inst(Function& fn, Op op, Type type, u32 arg_count)
{
    Inst* inst = TRY(fn.arena->allocate<Inst>());
    inst->op = op;
    inst->type = type;
    inst->id = fn.next_inst_id++;
    inst->arg_count = static_cast<u16>(arg_count);
    if (arg_count <= 3)
        inst->args = inst->inline_args;
    else
        inst->args = TRY(fn.arena->allocate<Inst*>(arg_count));
    return inst;
}

ErrorOr<Block*> create_block(Function& fn, u32 offset)
{
    Block* block = TRY(fn.arena->allocate<Block>());
    block->id = fn.next_block_id++;
    block->offset = offset;
    return block;
}

void append_inst(Block* block, Inst* inst)
{
    inst->block = block;
    inst->prev = block->last;
    inst->next = nullptr;
    if (block->last)
        block->last->next = inst;
    else
        block->first = inst;
    block->last = inst;
}

void insert_before(Inst* before, Inst* inst)
{
    Block* block = before->block;
    inst->block = block;
    inst->next = before;
    inst->prev = before->prev;
    if (before->prev)
        before->prev->next = inst;
    else
        block->first = inst;
    before->prev = inst;
}

void remove_inst(Inst* inst)
{
    Block* block = inst->block;
    if (inst->prev)
        inst->prev->next = inst->next;
    else
        block->first = inst->next;
    if (inst->next)
        inst->next->prev = inst->prev;
    else
        block->last = inst->prev;
    inst->prev = inst->next = nullptr;
    inst->block = nullptr;
}

ErrorOr<Inst*> make_const_i32(Function& fn, i32 value, Inst* before)
{
    Inst* c = TRY(create_inst(fn, Op::CONST_I32, Type::I32, 0));
    c->imm = value;
    c->offset = before->offset;
    insert_before(before, c);
    return c;
}

ErrorOr<void> add_pred(Function& fn, Block* block, Block* pred)
{
    Block** preds = TRY(fn.arena->allocate<Block*>(block->pred_count + 1));
    for (u32 i = 0; i < block->pred_count; ++i)
        preds[i] = block->preds[i];
    preds[block->pred_count] = pred;
    block->preds = preds;
    // Phis grow a slot for the new edge; the caller fills it.
    for (Inst* phi = block->first; phi && phi->op == Op::Phi; phi = phi->next) {
        Inst** args = TRY(fn.arena->allocate<Inst*>(block->pred_count + 1));
        for (u32 i = 0; i < block->pred_count; ++i)
            args[i] = phi->args[i];
        phi->args = args;
        phi->arg_count = static_cast<u16>(block->pred_count + 1);
    }
    block->pred_count++;
    return {};
}

void remove_pred(Block* block, Block* pred)
{
    u32 index = block->pred_index(pred);
    for (u32 i = index; i + 1 < block->pred_count; ++i)
        block->preds[i] = block->preds[i + 1];
    for (Inst* phi = block->first; phi && phi->op == Op::Phi; phi = phi->next) {
        for (u32 i = index; i + 1 < phi->arg_count; ++i)
            phi->args[i] = phi->args[i + 1];
        phi->arg_count--;
    }
    block->pred_count--;
}

void replace_all_uses(Function& fn, Inst* from, Inst* to)
{
    for (u32 b = 0; b < fn.block_count; ++b)
        for (Inst* inst = fn.blocks[b]->first; inst; inst = inst->next)
            for (u32 i = 0; i < inst->arg_count; ++i)
                if (inst->args[i] == from)
                    inst->args[i] = to;
    for (u32 g = 0; g < fn.guard_count; ++g) {
        Guard& guard = fn.guards[g];
        if (guard.view == from)
            guard.view = to;
        if (guard.start == from)
            guard.start = to;
        if (guard.end == from)
            guard.end = to;
        if (guard.offset_value == from)
            guard.offset_value = to;
        if (guard.scale_value == from)
            guard.scale_value = to;
    }
}

u32 count_uses(const Function& fn, const Inst* value)
{
    u32 uses = 0;
    for (u32 b = 0; b < fn.block_count; ++b)
        for (Inst* inst = fn.blocks[b]->first; inst; inst = inst->next)
            for (u32 i = 0; i < inst->arg_count; ++i)
                uses += inst->args[i] == value;
    return uses;
}

bool has_side_effect(const Inst* inst)
{
    switch (inst->op) {
    case Op::STORE_I32:
    case Op::STORE_F32:
    case Op::CALL:
    case Op::JMP:
    case Op::Branch:
    case Op::RET:
    case Op::RET_VOID:
        return true;
    case Op::LOAD_I32:
    case Op::LOAD_F32:
        // Even an Unchecked load stays: when its guard fails at run time the
        // checked loop runs, and there the load may trap.
        return true;
    case Op::DIV_I32:
    case Op::REM_I32: {
        // Only a constant divisor other than 0 and -1 rules the traps out.
        Inst* divisor = inst->args[1];
        return !(divisor->op == Op::CONST_I32 && divisor->imm != 0 && divisor->imm != -1);
    }
    case Op::I32_FROM_F32: {
        Inst* a = inst->args[0];
        if (a->op != Op::CONST_F32)
            return true;
        f32 f = a->const_f32();
        return !(f == f && f > -2147483904.0f && f < 2147483648.0f);
    }
    default:
        return false;
    }
}

bool is_pure(const Inst* inst)
{
    if (inst->op == Op::LOAD_I32 || inst->op == Op::LOAD_F32 || inst->op == Op::Phi || inst->op == Op::Param)
        return false;
    return !has_side_effect(inst);
}

const char* op_name(Op op)
{
    switch (op) {
    case Op::Param: return "param";
    case Op::Phi: return "phi";
    case Op::Undef: return "undef";
    case Op::Branch: return "branch";
    default: {
        const OpcodeInfo& info = opcode_info(static_cast<u8>(op));
        return info.mnemonic ? info.mnemonic : "?";
    }
    }
}

namespace {

struct Printer {
    char* out;
    usize size;
    usize used;

    void put(char c)
    {
        if (used + 1 < size)
            out[used] = c;
        ++used;
    }
    void str(const char* s)
    {
        while (*s)
            put(*s++);
    }
    void num(i64 v)
    {
        if (v < 0) {
            put('-');
            v = -v;
        }
        char digits[24];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v);
        while (n)
            put(digits[--n]);
    }
    void value(const Inst* v)
    {
        put('v');
        num(v->id);
    }
};

const char* cond_name(Cond c)
{
    static const char* names[] = { "eq", "ne", "lt", "le", "gt", "ge" };
    return names[static_cast<u8>(c)];
}

}

usize print_function(const Function& fn, char* out, usize size)
{
    Printer p { out, size, 0 };
    for (u32 b = 0; b < fn.block_count; ++b) {
        Block* block = fn.blocks[b];
        p.str("b");
        p.num(block->id);
        p.str(" (preds");
        for (u32 i = 0; i < block->pred_count; ++i) {
            p.str(" b");
            p.num(block->preds[i]->id);
        }
        if (block->loop) {
            p.str(", loop b");
            p.num(block->loop->header->id);
        }
        p.str("):\n");
        for (Inst* inst = block->first; inst; inst = inst->next) {
            p.str("  ");
            if (inst->type != Type::Void) {
                p.value(inst);
                p.str(" = ");
            }
            p.str(op_name(inst->op));
            if (inst->op == Op::Branch) {
                p.put('.');
                p.str(cond_name(inst->cond));
            }
            for (u32 i = 0; i < inst->arg_count; ++i) {
                p.put(' ');
                if (inst->args[i])
                    p.value(inst->args[i]);
                else
                    p.str("null");
            }
            switch (inst->op) {
            case Op::CONST_I32:
            case Op::CONST_F32:
            case Op::ADDI_I32:
            case Op::MULI_I32:
            case Op::Param:
            case Op::GVIEW:
            case Op::CALL:
                p.str(" #");
                p.num(inst->imm);
                break;
            default:
                break;
            }
            if (inst->op == Op::JMP || inst->op == Op::Branch) {
                for (u32 s = 0; s < block->succ_count; ++s) {
                    p.str(" -> b");
                    p.num(block->succ[s]->id);
                }
            }
            if (inst->flags & ForloopBackEdge)
                p.str(" [forloop]");
            if (inst->flags & Unchecked)
                p.str(" [unchecked]");
            if (inst->flags & Reassociable)
                p.str(" [reduction]");
            p.put('\n');
        }
    }
    if (size)
        out[p.used < size ? p.used : size - 1] = 0;
    return p.used;
}

}
