// Loop pattern recognisers: reductions, element-wise maps, linear
// recurrences and matmul nests. See patterns.h for the shapes.
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/patterns.h>

namespace Tier2 {

namespace {

// The instructions a recogniser has explained; anything left over in the
// loop means the loop does more than the pattern, and the match fails.
struct Accounted {
    static constexpr u32 capacity = 64;
    const Inst* items[capacity];
    u32 count = 0;

    bool add(const Inst* inst)
    {
        if (contains(inst))
            return true;
        if (count == capacity)
            return false;
        items[count++] = inst;
        return true;
    }
    bool contains(const Inst* inst) const
    {
        for (u32 i = 0; i < count; ++i)
            if (items[i] == inst)
                return true;
        return false;
    }
};

// Every instruction in the loop's blocks is accounted for, or a plain jump.
bool loop_fully_accounted(const Function& fn, const Loop* loop, const Accounted& accounted)
{
    for (u32 b = 0; b < fn.block_count; ++b) {
        const Block* block = fn.blocks[b];
        if (!loop->contains(block))
            continue;
        for (const Inst* inst = block->first; inst; inst = inst->next)
            if (inst->op != Op::JMP && !accounted.contains(inst))
                return false;
    }
    return true;
}

bool start_counted(const Function& fn, Loop* loop, CountedLoop& counted, Accounted& accounted)
{
    if (!match_counted_loop(fn, loop, counted) || !counted.single_exit)
        return false;
    accounted.add(counted.iv);
    accounted.add(counted.next);
    accounted.add(loop->latch->terminator());
    return true;
}

u32 phi_count(const Block* header)
{
    u32 n = 0;
    for (const Inst* p = header->first; p && p->op == Op::Phi; p = p->next)
        ++n;
    return n;
}

// v[iv] with v defined outside the loop.
bool is_load_at_iv(const Inst* inst, const CountedLoop& counted, Op load_op)
{
    return inst->op == load_op && inst->args[1] == counted.iv && defined_outside(inst->args[0], counted.loop);
}

bool is_f32_map_op(Op op)
{
    switch (op) {
    case Op::ADD_F32:
    case Op::SUB_F32:
    case Op::MUL_F32:
    case Op::DIV_F32:
    case Op::MIN_F32:
    case Op::MAX_F32:
    case Op::NEG_F32:
    case Op::ABS_F32:
    case Op::SQRT_F32:
        return true;
    default:
        return false;
    }
}

// Adds the expression tree of `value` to the map; returns the node index or -1.
int build_map_tree(MapPattern& map, const Inst* value, Accounted& accounted, int depth)
{
    if (depth > 8 || map.node_count == MapPattern::max_nodes)
        return -1;
    const CountedLoop& counted = map.counted;
    MapNode node {};
    if (value->type != Type::F32)
        return -1;
    if (defined_outside(value, counted.loop)) {
        node.kind = MapNode::Kind::Scalar;
        node.value = const_cast<Inst*>(value);
    } else if (is_load_at_iv(value, counted, Op::LOAD_F32)) {
        node.kind = MapNode::Kind::Input;
        u32 k = 0;
        while (k < map.input_count && map.inputs[k] != value->args[0])
            ++k;
        if (k == map.input_count) {
            if (k == MapPattern::max_inputs)
                return -1;
            map.inputs[map.input_count++] = value->args[0];
        }
        node.input = static_cast<u8>(k);
        if (!accounted.add(value))
            return -1;
    } else if (is_f32_map_op(value->op)) {
        node.kind = MapNode::Kind::Op;
        node.op = value->op;
        int left = build_map_tree(map, value->args[0], accounted, depth + 1);
        if (left < 0)
            return -1;
        node.left = static_cast<u8>(left);
        if (value->arg_count == 2) {
            int right = build_map_tree(map, value->args[1], accounted, depth + 1);
            if (right < 0)
                return -1;
            node.right = static_cast<u8>(right);
        }
        if (!accounted.add(value))
            return -1;
    } else {
        return -1;
    }
    if (map.node_count == MapPattern::max_nodes)
        return -1;
    map.nodes[map.node_count] = node;
    return static_cast<int>(map.node_count++);
}

bool is_f32_zero(const Inst* v) { return v->op == Op::CONST_F32 && v->imm == 0; }

MapKind classify_map(const MapPattern& map)
{
    const MapNode& root = map.nodes[map.node_count - 1];
    auto kind = [&](u8 i) { return map.nodes[i].kind; };
    if (root.kind != MapNode::Kind::Op)
        return MapKind::Generic;
    if (root.op == Op::ADD_F32) {
        if (kind(root.left) == MapNode::Kind::Input && kind(root.right) == MapNode::Kind::Input)
            return MapKind::Plus;
        for (int side = 0; side < 2; ++side) {
            const MapNode& product = map.nodes[side ? root.right : root.left];
            u8 other = side ? root.left : root.right;
            if (product.kind == MapNode::Kind::Op && product.op == Op::MUL_F32 && kind(other) == MapNode::Kind::Input) {
                bool scalar_times_input = (kind(product.left) == MapNode::Kind::Scalar && kind(product.right) == MapNode::Kind::Input)
                    || (kind(product.right) == MapNode::Kind::Scalar && kind(product.left) == MapNode::Kind::Input);
                if (scalar_times_input)
                    return MapKind::ScalarTimesPlus;
            }
        }
    }
    if (root.op == Op::MUL_F32
        && ((kind(root.left) == MapNode::Kind::Scalar && kind(root.right) == MapNode::Kind::Input)
            || (kind(root.right) == MapNode::Kind::Scalar && kind(root.left) == MapNode::Kind::Input)))
        return MapKind::ScalarTimes;
    if (root.op == Op::MAX_F32) {
        const MapNode& l = map.nodes[root.left];
        const MapNode& r = map.nodes[root.right];
        if ((l.kind == MapNode::Kind::Input && r.kind == MapNode::Kind::Scalar && is_f32_zero(r.value))
            || (r.kind == MapNode::Kind::Input && l.kind == MapNode::Kind::Scalar && is_f32_zero(l.value)))
            return MapKind::MaxZero;
    }
    return MapKind::Generic;
}

// Reads `value` as a linear combination of the recurrence's states plus a
// constant, all modulo 2^32.
bool linear_form(const RecurrencePattern& rec, const Inst* value, i32* coeff, i32& constant, Accounted& accounted, int depth)
{
    constexpr u32 slots = RecurrencePattern::max_states + 1;
    if (depth > 12)
        return false;
    auto unit = [&](u32 slot) {
        for (u32 k = 0; k < slots; ++k)
            coeff[k] = k == slot;
        constant = 0;
        return true;
    };
    for (u32 m = 0; m < rec.state_count; ++m)
        if (value == rec.states[m])
            return unit(m);
    if (value == rec.counted.iv)
        return unit(RecurrencePattern::counter_slot);
    if (value->op == Op::CONST_I32) {
        for (u32 k = 0; k < slots; ++k)
            coeff[k] = 0;
        constant = value->imm;
        return true;
    }
    if (defined_outside(value, rec.counted.loop))
        return false; // a symbolic invariant: not a constant coefficient
    i32 c1[slots], c2[slots];
    i32 k1, k2;
    auto add = [](i32 x, i32 y) { return static_cast<i32>(static_cast<u32>(x) + static_cast<u32>(y)); };
    auto sub = [](i32 x, i32 y) { return static_cast<i32>(static_cast<u32>(x) - static_cast<u32>(y)); };
    auto mul = [](i32 x, i32 y) { return static_cast<i32>(static_cast<u32>(x) * static_cast<u32>(y)); };
    switch (value->op) {
    case Op::ADD_I32:
    case Op::SUB_I32:
        if (!linear_form(rec, value->args[0], c1, k1, accounted, depth + 1) || !linear_form(rec, value->args[1], c2, k2, accounted, depth + 1))
            return false;
        for (u32 k = 0; k < slots; ++k)
            coeff[k] = value->op == Op::ADD_I32 ? add(c1[k], c2[k]) : sub(c1[k], c2[k]);
        constant = value->op == Op::ADD_I32 ? add(k1, k2) : sub(k1, k2);
        break;
    case Op::ADDI_I32:
    case Op::MULI_I32:
    case Op::NEG_I32:
        if (!linear_form(rec, value->args[0], c1, k1, accounted, depth + 1))
            return false;
        for (u32 k = 0; k < slots; ++k)
            coeff[k] = value->op == Op::ADDI_I32 ? c1[k] : value->op == Op::MULI_I32 ? mul(c1[k], value->imm) : sub(0, c1[k]);
        constant = value->op == Op::ADDI_I32 ? add(k1, value->imm) : value->op == Op::MULI_I32 ? mul(k1, value->imm) : sub(0, k1);
        break;
    default:
        return false;
    }
    return accounted.add(value);
}

// ADD(MUL(x, n), y) in any operand order, with x, y, n given.
bool is_row_major_index(const Inst* index, const Inst* row, const Inst* column, const Inst* n)
{
    if (index->op != Op::ADD_I32)
        return false;
    for (int side = 0; side < 2; ++side) {
        const Inst* product = index->args[side];
        if (index->args[1 - side] != column || product->op != Op::MUL_I32)
            continue;
        if ((product->args[0] == row && product->args[1] == n) || (product->args[1] == row && product->args[0] == n))
            return true;
    }
    return false;
}

}

bool match_reduction(const Function& fn, Loop* loop, ReductionPattern& out)
{
    Accounted accounted;
    ReductionPattern r {};
    if (!start_counted(fn, loop, r.counted, accounted))
        return false;
    Block* header = loop->header;
    if (phi_count(header) != 2)
        return false;
    for (Inst* p = header->first; p && p->op == Op::Phi; p = p->next)
        if (p != r.counted.iv)
            r.acc = p;
    r.element = r.acc->type;
    if (r.element != Type::I32 && r.element != Type::F32)
        return false;
    bool f32 = r.element == Type::F32;
    r.init = r.acc->args[header->pred_index(loop->preheader)];
    r.next = r.acc->args[header->pred_index(loop->latch)];
    Inst* next = r.next;
    if (next->arg_count != 2 || (next->args[0] != r.acc && next->args[1] != r.acc) || next->args[0] == next->args[1])
        return false;
    // Regrouping is exact for i32 (addition modulo 2^32, max and min are
    // associative and commutative). For f32 it changes the rounding, so only
    // an accumulation the module marks as a reduction (radd.f32, rsub.f32:
    // the statement `s += e;` that the float reduction rule names) may be
    // regrouped; it accumulates into the phi as its first operand. An f32
    // max or min is matched either way round: its code regroups only inputs
    // where the order cannot show (no NaN, no zero) and otherwise runs the
    // bytecode's order, operands as written (codegen_vector.cpp).
    bool f32_additive = f32 && (next->op == Op::ADD_F32 || next->op == Op::SUB_F32);
    if (f32_additive && (!(next->flags & Reassociable) || next->args[0] != r.acc))
        return false;
    r.acc_first = next->args[0] == r.acc;
    Inst* term = r.acc_first ? next->args[1] : next->args[0];
    Op load = f32 ? Op::LOAD_F32 : Op::LOAD_I32;
    Op add = f32 ? Op::ADD_F32 : Op::ADD_I32;
    Op mul = f32 ? Op::MUL_F32 : Op::MUL_I32;
    Op sub = f32 ? Op::SUB_F32 : Op::SUB_I32;
    // `s -= e` accumulates too: s - e0 - e1 ... = s - (e0 + e1 + ...). Only
    // with s on the left.
    if (next->op == sub) {
        if (next->args[0] != r.acc)
            return false;
        r.subtract = true;
    }
    bool additive = next->op == add || next->op == sub;
    if (additive && term->op == mul) {
        if (!is_load_at_iv(term->args[0], r.counted, load) || !is_load_at_iv(term->args[1], r.counted, load))
            return false;
        r.op = ReductionOp::Dot;
        r.a = term->args[0]->args[0];
        r.b = term->args[1]->args[0];
        accounted.add(term->args[0]);
        accounted.add(term->args[1]);
    } else {
        if (!is_load_at_iv(term, r.counted, load))
            return false;
        if (additive)
            r.op = ReductionOp::Sum;
        else if (next->op == (f32 ? Op::MAX_F32 : Op::MAX_I32))
            r.op = ReductionOp::Max;
        else if (next->op == (f32 ? Op::MIN_F32 : Op::MIN_I32))
            r.op = ReductionOp::Min;
        else
            return false;
        r.a = term->args[0];
    }
    accounted.add(term);
    accounted.add(next);
    accounted.add(r.acc);
    if (!loop_fully_accounted(fn, loop, accounted))
        return false;
    out = r;
    return true;
}

bool match_map(const Function& fn, Loop* loop, MapPattern& out)
{
    Accounted accounted;
    MapPattern* map = &out;
    *map = MapPattern {};
    if (!start_counted(fn, loop, map->counted, accounted))
        return false;
    if (phi_count(loop->header) != 1)
        return false;
    const Inst* store = nullptr;
    for (u32 b = 0; b < fn.block_count; ++b) {
        if (!loop->contains(fn.blocks[b]))
            continue;
        for (const Inst* inst = fn.blocks[b]->first; inst; inst = inst->next) {
            if (inst->op == Op::STORE_F32) {
                if (store)
                    return false;
                store = inst;
            }
        }
    }
    if (!store || store->args[1] != map->counted.iv || !defined_outside(store->args[0], loop))
        return false;
    accounted.add(store);
    map->out = store->args[0];
    if (build_map_tree(*map, store->args[2], accounted, 0) < 0)
        return false;
    if (!loop_fully_accounted(fn, loop, accounted))
        return false;
    map->kind = classify_map(*map);
    return true;
}

bool match_recurrence(const Function& fn, Loop* loop, RecurrencePattern& out)
{
    Accounted accounted;
    RecurrencePattern rec {};
    if (!start_counted(fn, loop, rec.counted, accounted))
        return false;
    Block* header = loop->header;
    u32 entry_index = header->pred_index(loop->preheader);
    u32 latch_index = header->pred_index(loop->latch);
    for (Inst* p = header->first; p && p->op == Op::Phi; p = p->next) {
        if (p == rec.counted.iv)
            continue;
        if (p->type != Type::I32 || rec.state_count == RecurrencePattern::max_states)
            return false;
        rec.inits[rec.state_count] = p->args[entry_index];
        rec.states[rec.state_count++] = p;
        accounted.add(p);
    }
    if (rec.state_count == 0)
        return false;
    for (u32 j = 0; j < rec.state_count; ++j)
        if (!linear_form(rec, rec.states[j]->args[latch_index], rec.coeff[j], rec.constant[j], accounted, 0))
            return false;
    if (!loop_fully_accounted(fn, loop, accounted))
        return false;
    out = rec;
    return true;
}

bool match_matmul(const Function& fn, Loop* outer_loop, MatmulPattern& out)
{
    MatmulPattern m {};
    Loop* middle = nullptr;
    Loop* inner = nullptr;
    for (u32 l = 0; l < fn.loop_count; ++l) {
        if (fn.loops[l]->parent == outer_loop) {
            if (middle)
                return false;
            middle = fn.loops[l];
        }
    }
    if (!middle)
        return false;
    for (u32 l = 0; l < fn.loop_count; ++l) {
        if (fn.loops[l]->parent == middle) {
            if (inner)
                return false;
            inner = fn.loops[l];
        }
    }
    if (!inner)
        return false;
    if (!match_counted_loop(fn, outer_loop, m.outer) || !match_counted_loop(fn, middle, m.middle) || !match_counted_loop(fn, inner, m.inner))
        return false;
    m.n = m.outer.end;
    const CountedLoop* nest[3] = { &m.outer, &m.middle, &m.inner };
    for (const CountedLoop* c : nest)
        if (c->end != m.n || c->start->op != Op::CONST_I32 || c->start->imm != 0 || !c->single_exit)
            return false;
    const Inst* i = m.outer.iv;
    const Inst* j = m.middle.iv;
    const Inst* k = m.inner.iv;
    // The inner loop: s = s + a[i*n + k] * b[k*n + j], nothing else.
    if (phi_count(inner->header) != 2)
        return false;
    Inst* acc = nullptr;
    for (Inst* p = inner->header->first; p && p->op == Op::Phi; p = p->next)
        if (p != k)
            acc = p;
    Inst* init = acc->args[inner->header->pred_index(inner->preheader)];
    Inst* next = acc->args[inner->header->pred_index(inner->latch)];
    if (acc->type != Type::F32 || !is_f32_zero(init) || next->op != Op::ADD_F32)
        return false;
    Inst* product = next->args[0] == acc ? next->args[1] : next->args[1] == acc ? next->args[0] : nullptr;
    if (!product || product->op != Op::MUL_F32)
        return false;
    const Inst* la = product->args[0];
    const Inst* lb = product->args[1];
    if (la->op != Op::LOAD_F32 || lb->op != Op::LOAD_F32)
        return false;
    m.a_first = true;
    m.sum_first = next->args[0] == acc;
    if (!is_row_major_index(la->args[1], i, k, m.n)) {
        const Inst* t = la;
        la = lb;
        lb = t;
        m.a_first = false;
    }
    if (!is_row_major_index(la->args[1], i, k, m.n) || !is_row_major_index(lb->args[1], k, j, m.n))
        return false;
    // The middle loop stores the sum to c[i*n + j]; the nest does nothing else
    // with memory or calls.
    const Inst* store = nullptr;
    for (u32 b = 0; b < fn.block_count; ++b) {
        const Block* block = fn.blocks[b];
        if (!outer_loop->contains(block))
            continue;
        for (const Inst* inst = block->first; inst; inst = inst->next) {
            if (inst->op == Op::STORE_F32 || inst->op == Op::STORE_I32) {
                if (store || !middle->contains(block) || inner->contains(block))
                    return false;
                store = inst;
            } else if (inst->op == Op::CALL || ((inst->op == Op::LOAD_F32 || inst->op == Op::LOAD_I32) && inst != la && inst != lb)) {
                return false;
            } else if (has_side_effect(inst) && !inst->is_terminator() && inst != la && inst != lb) {
                return false; // e.g. a division that may trap
            }
        }
    }
    if (!store || !is_row_major_index(store->args[1], i, j, m.n))
        return false;
    const Inst* sum = store->args[2];
    bool sum_ok = sum == next;
    if (sum->op == Op::Phi && sum->arg_count == 2)
        sum_ok = (sum->args[0] == next && sum->args[1] == init) || (sum->args[1] == next && sum->args[0] == init);
    if (!sum_ok)
        return false;
    m.a = la->args[0];
    m.b = lb->args[0];
    m.c = store->args[0];
    const Inst* views[3] = { m.a, m.b, m.c };
    for (const Inst* v : views)
        if (!defined_outside(v, outer_loop))
            return false;
    out = m;
    return true;
}

}
