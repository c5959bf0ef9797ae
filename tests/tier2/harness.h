// Shared plumbing for the tier-2 tests: a module built with the bytecode
// builder, IR built (and optionally optimised) in an arena, and the IR
// evaluator wired up so that calls run the callee's IR too.
#pragma once

#include "bytecode_builder.h"

#include <gtest/gtest.h>
#include <microjit/runtime/exp_f32.h>
#include <microjit/tier2/cfg.h>
#include <microjit/tier2/eval.h>
#include <microjit/tier2/optimize.h>
#include <microjit/tier2/ssa_builder.h>

#include <map>
#include <string>
#include <vector>

namespace Tier2Test {

using namespace Tier2;

inline std::string listing(const Function& fn)
{
    std::vector<char> text(1 << 16);
    print_function(fn, text.data(), text.size());
    return text.data();
}

struct Outcome {
    Error error { Error::Ok };
    Value value {};
    u32 fact_violations { 0 };
    bool operator==(const Outcome& o) const { return error == o.error && (error != Error::Ok || value.raw == o.value.raw); }
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o)
{
    if (o.error != Error::Ok)
        return os << "trap " << error_name(o.error);
    return os << "value i32 " << o.value.i << " / f32 " << o.value.f;
}

class Harness {
public:
    ModuleBuilder module;
    u64 step_limit { 50'000'000 }; // per evaluation; Error::Busy beyond

    // Functions live in one arena and evaluation scratch in another: an
    // evaluation rewinds its arena when it returns, and a callee built
    // lazily during one must outlive it.
    explicit Harness(usize arena_bytes = 8 << 20)
        : m_memory(arena_bytes)
        , m_eval_memory(arena_bytes)
        , m_arena(m_memory.data(), m_memory.size())
        , m_eval_arena(m_eval_memory.data(), m_eval_memory.size())
    {
    }

    const ModuleInfo& finish()
    {
        const ModuleInfo& info = module.finish();
        m_buffer_storage.clear();
        m_buffers.clear();
        for (u32 b = 0; b < info.buffer_count; ++b)
            m_buffer_storage.emplace_back(info.buffer_counts[b], 0u);
        for (auto& storage : m_buffer_storage)
            m_buffers.push_back(Value::from_view(storage.data(), static_cast<u32>(storage.size())));
        m_info = &info;
        return info;
    }

    std::vector<u32>& buffer(u32 index) { return m_buffer_storage[index]; }

    Function* build(const std::string& name, bool optimised, OptimizeStats* stats = nullptr)
    {
        u32 index = module.index_of(name);
        EXPECT_NE(index, ~0u) << name;
        auto built = build_function(m_arena, *m_info, index);
        EXPECT_FALSE(built.is_error()) << name << ": " << error_name(built.error());
        if (built.is_error())
            return nullptr;
        Function* fn = built.value();
        if (optimised) {
            OptimizeStats local {};
            auto r = optimize(*fn, stats ? *stats : local);
            EXPECT_FALSE(r.is_error()) << error_name(r.error());
        }
        return fn;
    }

    // Runs `fn`; callees are run from their own IR, optimised like `fn` when
    // `optimised_callees` is set.
    Outcome run(const Function* fn, std::vector<Value> args, bool optimised_callees = false)
    {
        m_optimised_callees = optimised_callees;
        EvalContext ctx {};
        ctx.buffers = m_buffers.data();
        ctx.call = &Harness::call_hook;
        ctx.user = this;
        ctx.exp = &exp_f32;
        ctx.depth = 1;
        ctx.step_limit = step_limit;
        auto r = evaluate(*fn, args.data(), ctx, m_eval_arena);
        Outcome o;
        if (r.is_error())
            o.error = r.error();
        else
            o.value = r.value();
        o.fact_violations = ctx.fact_violations + m_callee_violations;
        m_callee_violations = 0;
        return o;
    }

    Arena& arena() { return m_arena; }

private:
    static ErrorOr<Value> call_hook(void* user, u32 function, const Value* args, u32 depth)
    {
        auto* self = static_cast<Harness*>(user);
        auto& cache = self->m_optimised_callees ? self->m_optimised : self->m_plain;
        auto it = cache.find(function);
        if (it == cache.end()) {
            Function* fn = self->build(self->m_info->functions[function].name, self->m_optimised_callees);
            if (!fn)
                return Error::NotSupported;
            it = cache.emplace(function, fn).first;
        }
        EvalContext ctx {};
        ctx.buffers = self->m_buffers.data();
        ctx.call = &Harness::call_hook;
        ctx.user = self;
        ctx.exp = &exp_f32;
        ctx.depth = depth;
        ctx.step_limit = self->step_limit;
        auto r = evaluate(*it->second, args, ctx, self->m_eval_arena);
        self->m_callee_violations += ctx.fact_violations;
        return r;
    }

    std::vector<u8> m_memory;
    std::vector<u8> m_eval_memory;
    Arena m_arena;
    Arena m_eval_arena;
    const ModuleInfo* m_info { nullptr };
    std::vector<std::vector<u32>> m_buffer_storage;
    std::vector<Value> m_buffers;
    std::map<u32, Function*> m_plain, m_optimised;
    bool m_optimised_callees { false };
    u32 m_callee_violations { 0 };
};

inline u32 count_ops(const Function& fn, Op op, const Loop* only_in = nullptr)
{
    u32 n = 0;
    for (u32 b = 0; b < fn.block_count; ++b) {
        if (only_in && !only_in->contains(fn.blocks[b]))
            continue;
        for (Inst* inst = fn.blocks[b]->first; inst; inst = inst->next)
            n += inst->op == op;
    }
    return n;
}

inline Value I(i32 v) { return Value::from_i32(v); }
inline Value F(float v) { return Value::from_f32(v); }

}
