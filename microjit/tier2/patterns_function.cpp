// Function-level patterns: a whole function that is exactly one reduction,
// map or linear recurrence (with its inputs bound to parameters and
// constants), or the doubly recursive fibonacci. See patterns.h.
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/optimize.h>
#include <microjit/tier2/patterns.h>

namespace Tier2 {

namespace {

bool bind(const Inst* v, Operand& out)
{
    out = Operand {};
    out.value = v;
    switch (v->op) {
    case Op::Param:
        out.kind = Operand::Kind::Param;
        out.index = static_cast<u8>(v->imm);
        return true;
    case Op::CONST_I32:
    case Op::CONST_F32:
        out.kind = Operand::Kind::Constant;
        out.bits = static_cast<u32>(v->imm);
        return true;
    case Op::LEN:
        if (v->args[0]->op != Op::Param)
            return false;
        out.kind = Operand::Kind::Length;
        out.index = static_cast<u8>(v->args[0]->imm);
        return true;
    case Op::LOAD_I32:
    case Op::LOAD_F32:
        if (v->args[0]->op != Op::Param || v->args[1]->op != Op::CONST_I32)
            return false;
        out.kind = Operand::Kind::Element;
        out.index = static_cast<u8>(v->args[0]->imm);
        out.bits = static_cast<u32>(v->args[1]->imm);
        return true;
    default:
        return false;
    }
}

// Outside `loop` the function may only compute its operands, test the
// loop's entry condition once, and return: no stores, calls or other loads
// (an Element operand's load is allowed, the code generator repeats its
// check), no other branch. Returns the single return instruction.
const Inst* outside_is_plumbing(const Function& fn, const CountedLoop& counted, const Inst* allowed_load)
{
    if (!counted.entry_proven)
        return nullptr;
    const Inst* ret = nullptr;
    u32 branches = 0;
    for (u32 b = 0; b < fn.block_count; ++b) {
        const Block* block = fn.blocks[b];
        if (counted.loop->contains(block))
            continue;
        for (const Inst* inst = block->first; inst; inst = inst->next) {
            switch (inst->op) {
            case Op::RET:
            case Op::RET_VOID:
                if (ret)
                    return nullptr;
                ret = inst;
                break;
            case Op::Branch:
                ++branches;
                break;
            case Op::LOAD_I32:
            case Op::LOAD_F32:
                if (inst != allowed_load)
                    return nullptr;
                break;
            default:
                if (has_side_effect(inst) && inst->op != Op::JMP)
                    return nullptr;
                break;
            }
        }
    }
    // The one branch is the entry test that proved start < end.
    return branches == 1 ? ret : nullptr;
}

// Is `v` (returned after the loop) `init` when the loop was skipped and
// `exit_value` when it ran?
bool merges_skip_and_exit(const CountedLoop& counted, const Inst* v, const Inst* init, const Inst* exit_value)
{
    if (v->op != Op::Phi || v->arg_count != 2)
        return false;
    bool saw_exit = false, saw_skip = false;
    for (u32 p = 0; p < 2; ++p) {
        const Block* pred = v->block->preds[p];
        // The exit path: the loop's own exit edge, or blocks after the exit.
        bool after_exit = counted.loop->contains(pred) || dominates(counted.exit, pred);
        if (after_exit) {
            if (v->args[p] != exit_value)
                return false;
            saw_exit = true;
        } else {
            if (v->args[p] != init)
                return false;
            saw_skip = true;
        }
    }
    return saw_exit && saw_skip;
}

Loop* only_loop(const Function& fn) { return fn.loop_count == 1 ? fn.loops[0] : nullptr; }

}

bool match_function_reduction(const Function& fn, FunctionReduction& out)
{
    Loop* loop = only_loop(fn);
    FunctionReduction r {};
    if (!loop || !match_reduction(fn, loop, r.loop))
        return false;
    const CountedLoop& c = r.loop.counted;
    // An initial value read from memory (m = a[0]) is allowed when it is read
    // unconditionally, in the entry block: the code generator reads it, and
    // may trap on it, before anything else.
    const Inst* element_load = r.loop.init->op == Op::LOAD_I32 || r.loop.init->op == Op::LOAD_F32 ? r.loop.init : nullptr;
    if (element_load && element_load->block != fn.blocks[0])
        return false;
    const Inst* ret = outside_is_plumbing(fn, c, element_load);
    if (!ret || ret->op != Op::RET || !merges_skip_and_exit(c, ret->args[0], r.loop.init, r.loop.next))
        return false;
    if (!bind(r.loop.a, r.a) || !bind(c.start, r.start) || !bind(c.end, r.end) || !bind(r.loop.init, r.init))
        return false;
    if (r.loop.op == ReductionOp::Dot && !bind(r.loop.b, r.b))
        return false;
    if (r.a.kind != Operand::Kind::Param || (r.loop.op == ReductionOp::Dot && r.b.kind != Operand::Kind::Param))
        return false;
    out = r;
    return true;
}

bool match_function_map(const Function& fn, FunctionMap& out)
{
    Loop* loop = only_loop(fn);
    if (!loop)
        return false;
    FunctionMap* m = &out;
    *m = FunctionMap {};
    if (!match_map(fn, loop, m->loop))
        return false;
    const CountedLoop& c = m->loop.counted;
    const Inst* ret = outside_is_plumbing(fn, c, nullptr);
    if (!ret || ret->op != Op::RET_VOID)
        return false;
    if (!bind(m->loop.out, m->out) || m->out.kind != Operand::Kind::Param || !bind(c.start, m->start) || !bind(c.end, m->end))
        return false;
    for (u32 k = 0; k < m->loop.input_count; ++k)
        if (!bind(m->loop.inputs[k], m->inputs[k]) || m->inputs[k].kind != Operand::Kind::Param)
            return false;
    for (u32 k = 0; k < m->loop.node_count; ++k) {
        const MapNode& node = m->loop.nodes[k];
        if (node.kind == MapNode::Kind::Scalar) {
            if (!bind(node.value, m->scalars[k]))
                return false;
            if (m->scalars[k].kind != Operand::Kind::Param && m->scalars[k].kind != Operand::Kind::Constant)
                return false;
        }
    }
    return true;
}

bool match_function_recurrence(const Function& fn, FunctionRecurrence& out)
{
    Loop* loop = only_loop(fn);
    FunctionRecurrence r {};
    if (!loop || !match_recurrence(fn, loop, r.loop))
        return false;
    const CountedLoop& c = r.loop.counted;
    const Inst* ret = outside_is_plumbing(fn, c, nullptr);
    if (!ret || ret->op != Op::RET)
        return false;
    u32 latch_index = loop->header->pred_index(loop->latch);
    bool found = false;
    for (u32 s = 0; s < r.loop.state_count && !found; ++s) {
        if (merges_skip_and_exit(c, ret->args[0], r.loop.inits[s], r.loop.states[s]->args[latch_index])) {
            r.result = s;
            found = true;
        }
    }
    if (!found || !bind(c.start, r.start) || !bind(c.end, r.end))
        return false;
    for (u32 s = 0; s < r.loop.state_count; ++s)
        if (!bind(r.loop.inits[s], r.inits[s]) || r.inits[s].kind == Operand::Kind::Element)
            return false;
    out = r;
    return true;
}

bool match_function_matmul(const Function& fn, FunctionMatmul& out)
{
    if (fn.loop_count != 3)
        return false;
    Loop* outer = fn.loops[2];
    FunctionMatmul m {};
    if (outer->parent || !match_matmul(fn, outer, m.loop))
        return false;
    const Inst* ret = outside_is_plumbing(fn, m.loop.outer, nullptr);
    if (!ret || ret->op != Op::RET_VOID)
        return false;
    if (!bind(m.loop.a, m.a) || !bind(m.loop.b, m.b) || !bind(m.loop.c, m.c) || !bind(m.loop.n, m.n))
        return false;
    const Operand* operands[4] = { &m.a, &m.b, &m.c, &m.n };
    for (const Operand* o : operands)
        if (o->kind != Operand::Kind::Param)
            return false;
    out = m;
    return true;
}

bool match_fibonacci(const Function& fn, FunctionFibonacci& out)
{
    const FunctionInfo& info = *fn.info;
    if (info.param_count != 1 || info.return_type != Type::I32 || fn.params[0]->type != Type::I32 || fn.loop_count)
        return false;
    const Inst* n = fn.params[0];
    const Inst* branch = nullptr;
    const Inst* calls[2] = {};
    u32 call_count = 0;
    const Inst* rets[2] = {};
    u32 ret_count = 0;
    for (u32 b = 0; b < fn.block_count; ++b) {
        for (const Inst* inst = fn.blocks[b]->first; inst; inst = inst->next) {
            switch (inst->op) {
            case Op::Branch:
                if (branch)
                    return false;
                branch = inst;
                break;
            case Op::CALL:
                if (call_count == 2 || static_cast<u32>(inst->imm) != fn.index)
                    return false;
                calls[call_count++] = inst;
                break;
            case Op::RET:
                if (ret_count == 2)
                    return false;
                rets[ret_count++] = inst;
                break;
            case Op::JMP:
            case Op::Phi:
            case Op::Param:
                break;
            default:
                if (has_side_effect(inst) || inst->op == Op::LOAD_I32 || inst->op == Op::LOAD_F32)
                    return false;
                break;
            }
        }
    }
    if (!branch || call_count != 2 || ret_count == 0)
        return false;
    // The branch compares n with a constant (canonical form puts it right).
    if (branch->args[0] != n || branch->args[1]->op != Op::CONST_I32)
        return false;
    const Block* test = branch->block;
    // The recursive value: f(n - 1) + f(n - 2) in either order.
    const Inst* arg0 = calls[0]->args[0];
    const Inst* arg1 = calls[1]->args[0];
    auto is_n_minus = [&](const Inst* v, i32 k) { return v->op == Op::ADDI_I32 && v->args[0] == n && v->imm == -k; };
    bool offsets_ok = (is_n_minus(arg0, 1) && is_n_minus(arg1, 2)) || (is_n_minus(arg0, 2) && is_n_minus(arg1, 1));
    if (!offsets_ok)
        return false;
    auto is_sum = [&](const Inst* v) {
        return v->op == Op::ADD_I32 && ((v->args[0] == calls[0] && v->args[1] == calls[1]) || (v->args[0] == calls[1] && v->args[1] == calls[0]));
    };
    // Which way does the edge into `block` (coming from `from`) leave the
    // test? -1 if it is not decided by the test alone.
    auto arm_of = [&](const Block* block) -> int {
        for (int s = 0; s < 2; ++s) {
            const Block* head = test->succ[s];
            if (head->pred_count == 1 && dominates(head, block))
                return s;
        }
        return -1;
    };
    // Collect, per arm, the value returned along it.
    const Inst* arm_value[2] = {};
    auto record = [&](int arm, const Inst* v) {
        if (arm < 0 || (arm_value[arm] && arm_value[arm] != v))
            return false;
        arm_value[arm] = v;
        return true;
    };
    for (u32 r = 0; r < ret_count; ++r) {
        const Inst* v = rets[r]->args[0];
        const Block* block = rets[r]->block;
        int arm = arm_of(block);
        if (arm >= 0) {
            if (!record(arm, v))
                return false;
            continue;
        }
        // A join of both arms: the returned phi says which value each brings.
        if (v->op != Op::Phi || v->block != block || v->arg_count != 2)
            return false;
        for (u32 p = 0; p < 2; ++p) {
            const Block* pred = block->preds[p];
            int pred_arm = pred == test ? (test->succ[0] == block ? 0 : 1) : arm_of(pred);
            if (!record(pred_arm, v->args[p]))
                return false;
        }
    }
    int base = arm_value[0] == n ? 0 : arm_value[1] == n ? 1 : -1;
    if (base < 0 || !arm_value[1 - base] || !is_sum(arm_value[1 - base]))
        return false;
    // The calls happen only on the recursive arm.
    for (const Inst* call : calls)
        if (arm_of(call->block) != 1 - base)
            return false;
    // The base arm must be taken exactly when n <= 1.
    Cond c = base == 0 ? branch->cond : negate(branch->cond);
    i32 k = branch->args[1]->imm;
    if (!((c == Cond::Lt && k == 2) || (c == Cond::Le && k == 1)))
        return false;
    out.branch = branch;
    return true;
}

ErrorOr<void> prepare_for_patterns(Function& fn)
{
    OptimizeStats stats {};
    TRY(simplify(fn, stats));
    TRY(hoist_invariants(fn, stats));
    return {};
}

namespace {

struct Log {
    char* out;
    usize size;
    usize used;
    void str(const char* s)
    {
        while (*s) {
            if (used + 1 < size)
                out[used] = *s;
            ++used;
            ++s;
        }
        if (size)
            out[used < size ? used : size - 1] = 0;
    }
    void num(u32 v)
    {
        char digits[12];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v);
        char s[2] = {};
        while (n) {
            s[0] = digits[--n];
            str(s);
        }
    }
};

const char* reduction_name(ReductionOp op)
{
    static const char* names[] = { "sum", "dot", "max", "min" };
    return names[static_cast<u8>(op)];
}

const char* map_name(MapKind kind)
{
    static const char* names[] = { "generic", "s*x+y", "max(x,0)", "s*x", "x+y" };
    return names[static_cast<u8>(kind)];
}

}

u32 describe_patterns(const Function& fn, char* text, usize size)
{
    Log log { text, size, 0 };
    log.str("");
    u32 matches = 0;
    for (u32 l = 0; l < fn.loop_count; ++l) {
        Loop* loop = fn.loops[l];
        auto prefix = [&] {
            log.str("loop b");
            log.num(loop->header->id);
            log.str(": ");
            ++matches;
        };
        CountedLoop counted;
        if (match_counted_loop(fn, loop, counted)) {
            prefix();
            log.str("counted\n");
        }
        ReductionPattern reduction;
        if (match_reduction(fn, loop, reduction)) {
            prefix();
            log.str("reduction ");
            log.str(reduction_name(reduction.op));
            log.str(reduction.element == Type::F32 ? " f32\n" : " i32\n");
        }
        MapPattern map;
        if (match_map(fn, loop, map)) {
            prefix();
            log.str("map ");
            log.str(map_name(map.kind));
            log.str("\n");
        }
        RecurrencePattern rec;
        if (match_recurrence(fn, loop, rec)) {
            prefix();
            log.str("recurrence\n");
        }
        MatmulPattern mm;
        if (match_matmul(fn, loop, mm)) {
            prefix();
            log.str("matmul\n");
        }
    }
    FunctionReduction fr;
    FunctionMap fm;
    FunctionRecurrence frec;
    FunctionFibonacci fib;
    if (match_function_reduction(fn, fr)) {
        log.str("function: reduction\n");
        ++matches;
    }
    if (match_function_map(fn, fm)) {
        log.str("function: map\n");
        ++matches;
    }
    if (match_function_recurrence(fn, frec)) {
        log.str("function: recurrence\n");
        ++matches;
    }
    if (match_fibonacci(fn, fib)) {
        log.str("function: fibonacci\n");
        ++matches;
    }
    FunctionMatmul mm;
    if (match_function_matmul(fn, mm)) {
        log.str("function: matmul\n");
        ++matches;
    }
    return matches;
}

}
