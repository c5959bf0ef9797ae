// The IR evaluator; see eval.h.
#include <bareflow/panic.h>
#include <microjit/spec.h> // max_call_depth
#include <microjit/tier2/eval.h>
#include <microjit/tier2/semantics.h>

namespace Tier2 {

bool guard_holds(i32 start, i32 end, i32 scale, i64 offset, u32 length, bool lower_proven, bool entry_proven)
{
    i64 s = start, e = end, k = scale;
    if (k < 0)
        return false;
    // Without a proof that the loop is entered only when start < end, the
    // guard demands it: a first trip with start >= end would run outside
    // [start, end - 1] (and start == INT_MAX would even wrap the counter).
    if (!entry_proven && s >= e)
        return false;
    if (!lower_proven && s * k + offset < 0)
        return false;
    return (e - 1) * k + offset < static_cast<i64>(length);
}

ErrorOr<Value> evaluate(const Function& fn, const Value* args, EvalContext& context, Arena& arena)
{
    usize mark = arena.mark();
    struct Rewind {
        Arena& arena;
        usize mark;
        ~Rewind() { arena.rewind(mark); }
    } rewind { arena, mark };

    Value* values = TRY(arena.allocate<Value>(fn.next_inst_id));
    Value* phi_scratch = TRY(arena.allocate<Value>(fn.next_inst_id));
    bool* guard_ok = TRY(arena.allocate<bool>(fn.guard_count ? fn.guard_count : 1));

    auto bits = [&](const Inst* v) { return static_cast<u32>(values[v->id].i); };

    Block* previous = nullptr;
    Block* block = fn.blocks[0];
    for (;;) {
        // Phis read their inputs all at once, on the edge just taken.
        if (previous) {
            u32 index = block->pred_index(previous);
            for (Inst* phi = block->first; phi && phi->op == Op::Phi; phi = phi->next)
                phi_scratch[phi->id] = values[phi->args[index]->id];
            for (Inst* phi = block->first; phi && phi->op == Op::Phi; phi = phi->next)
                values[phi->id] = phi_scratch[phi->id];
            // Entering a loop from its preheader: decide its guards.
            for (u32 g = 0; g < fn.guard_count; ++g) {
                const Guard& guard = fn.guards[g];
                if (guard.loop->header != block || guard.loop->preheader != previous)
                    continue;
                i64 offset = guard.offset_const + static_cast<i64>(guard.offset_value ? values[guard.offset_value->id].i : 0);
                i32 scale = guard.scale_value ? values[guard.scale_value->id].i : guard.scale_const;
                guard_ok[g] = guard_holds(values[guard.start->id].i, values[guard.end->id].i, scale, offset,
                    values[guard.view->id].view.length, guard.lower_proven, guard.entry_proven);
            }
        }
        Block* next = nullptr;
        for (Inst* inst = block->first; inst; inst = inst->next) {
            if (++context.steps > context.step_limit)
                return Error::Busy;
            Value result {};
            switch (inst->op) {
            case Op::Phi:
                continue;
            case Op::Param:
                values[inst->id] = args[inst->imm];
                continue;
            case Op::Undef:
                values[inst->id] = Value {};
                continue;
            case Op::GVIEW:
                values[inst->id] = context.buffers[inst->imm];
                continue;
            case Op::LEN:
                values[inst->id] = Value::from_i32(static_cast<i32>(values[inst->args[0]->id].view.length));
                continue;
            case Op::LOAD_I32:
            case Op::LOAD_F32:
            case Op::STORE_I32:
            case Op::STORE_F32: {
                View view = values[inst->args[0]->id].view;
                i32 index = values[inst->args[1]->id].i;
                bool in_range = index >= 0 && static_cast<u32>(index) < view.length;
                if (!in_range) {
                    if ((inst->flags & Unchecked) && guard_ok[inst->guard])
                        context.fact_violations++;
                    return Error::TrapOutOfBounds;
                }
                u32* slot = static_cast<u32*>(view.base) + index;
                if (inst->op == Op::LOAD_I32 || inst->op == Op::LOAD_F32)
                    values[inst->id].i = static_cast<i32>(*slot);
                else
                    *slot = bits(inst->args[2]);
                continue;
            }
            case Op::EXP_F32:
                if (!context.exp)
                    return Error::NotSupported;
                values[inst->id] = Value::from_f32(context.exp(values[inst->args[0]->id].f));
                continue;
            case Op::CALL: {
                if (!context.call)
                    return Error::NotSupported;
                if (context.depth + 1 > max_call_depth)
                    return Error::TrapCallDepth;
                Value call_args[16];
                for (u32 k = 0; k < inst->arg_count; ++k)
                    call_args[k] = values[inst->args[k]->id];
                values[inst->id] = TRY(context.call(context.user, static_cast<u32>(inst->imm), call_args, context.depth + 1));
                continue;
            }
            case Op::JMP:
                next = block->succ[0];
                break;
            case Op::Branch:
                next = evaluate_cond(inst->cond, values[inst->args[0]->id].i, values[inst->args[1]->id].i)
                    ? block->succ[0]
                    : block->succ[1];
                break;
            case Op::RET:
                return values[inst->args[0]->id];
            case Op::RET_VOID:
                return Value {};
            default: {
                u32 operands[3];
                for (u32 k = 0; k < inst->arg_count && k < 3; ++k)
                    operands[k] = bits(inst->args[k]);
                u32 r = TRY(evaluate_scalar(inst->op, operands, inst->arg_count, inst->imm));
                result.i = static_cast<i32>(r);
                values[inst->id] = result;
                continue;
            }
            }
            break;
        }
        if (!next)
            panic("tier2: block without a terminator");
        previous = block;
        block = next;
    }
}

}
