// CompileTracker (see compile_tracker.h).
#include <kernel/jit/code_walk.h>
#include <kernel/jit/compile_tracker.h>
#include <kernel/jit/snapshot_regions.h>
#include <kernel/lib/string.h>

namespace {

class CompileTracker final : public TierCompiler {
public:
    void wrap(TierCompiler* inner, u8 tier)
    {
        m_inner = inner;
        m_tier = tier;
    }

    ErrorOr<CodeBlock> compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason reason) override
    {
        LoadedModule* slot = s_tracking && s_tracking->instance == env.instance ? s_tracking : slot_for_instance(env.instance);
        if (m_pending) {
            CodeBlock block = TRY(install(env, pool));
            if (slot) {
                slot->environment = env;
                slot->has_environment = true;
            }
            return block;
        }
        if (!m_inner)
            return Error::JitUnsupported;
        CodeBlock block = TRY(m_inner->compile(env, function, pool, reason));
        if (slot) {
            slot->environment = env;
            slot->has_environment = true;
            if (function < slot->module->function_count)
                ++slot->compiles[function];
        }
        return block;
    }

    u8 tier() const override { return m_tier; }

    void set_pending(const PendingInstall* pending) { m_pending = pending; }

    static LoadedModule* s_tracking;

private:
    ErrorOr<CodeBlock> install(const NativeEnvironment& env, CodePool& pool)
    {
        const PendingInstall& p = *m_pending;
        u32 absolutes = 0;
        for (u32 i = 0; i < p.relocation_count; ++i)
            absolutes += p.relocations[i].region != snapshot::RegionRuntime ? 1 : 0;
        // The block keeps the list of absolute fields after the code, as a
        // compiled block does (tier_compiler.h), so it can be saved again.
        u32 table = (p.size + 3) & ~3u;
        u8* code = static_cast<u8*>(TRY(pool.allocate(table + 4 * (1 + absolutes), 16)));
        memcpy(code, p.code, p.size);
        memset(code + p.size, 0xCC, table - p.size); // int3: never executed
        auto* fields = reinterpret_cast<u32*>(code + table);
        fields[0] = absolutes;
        snapshot::RegionMap regions(*env.instance, env.jit, env.stubs, env.states, code, p.size);
        u32 n = 0;
        for (u32 i = 0; i < p.relocation_count; ++i) {
            const snapshot::Relocation& r = p.relocations[i];
            u32 value;
            if (r.region == snapshot::RegionRuntime) {
                // rel32 is relative to the end of its field (SDM Vol. 2A, CALL/JMP/Jcc "rel32").
                value = r.value - (reinterpret_cast<u32>(code) + r.offset + 4);
            } else {
                u32 base, size;
                if (!regions.locate(r.region, base, size) || r.value >= size) {
                    pool.free(code);
                    return Error::SnapshotBadCode;
                }
                value = base + r.value;
                fields[1 + n++] = r.offset;
            }
            memcpy(code + r.offset, &value, 4);
        }
        if (!same_instructions(p.code, code, p.size)) {
            pool.free(code);
            return Error::SnapshotBadCode;
        }
        return CodeBlock { code, p.size, p.isa, reinterpret_cast<const AbsoluteFields*>(fields) };
    }

    // The relocated code must decode into the instructions that were
    // checked: a field that reached into an opcode or ModRM byte would
    // change them.
    static bool same_instructions(const u8* checked, const u8* relocated, u32 size)
    {
        CodeWalk before {}, after {};
        bool same = !walk_code(checked, size, before).is_error() && !walk_code(relocated, size, after).is_error()
            && memcmp(before.starts, after.starts, size / 8 + 1) == 0;
        free_code_walk(before);
        free_code_walk(after);
        return same;
    }

    TierCompiler* m_inner { nullptr };
    u8 m_tier { 0 };
    const PendingInstall* m_pending { nullptr };
};

LoadedModule* CompileTracker::s_tracking = nullptr;
CompileTracker s_trackers[max_tier + 1];

} // namespace

void install_compile_trackers()
{
    JitRuntime& runtime = jit_runtime();
    for (u8 tier = 1; tier <= max_tier; ++tier) {
        TierCompiler* inner = runtime.compiler(tier);
        s_trackers[tier].wrap(inner, tier);
        if (inner)
            runtime.set_compiler(tier, &s_trackers[tier]);
    }
}

void set_tracking_slot(LoadedModule* slot) { CompileTracker::s_tracking = slot; }

ErrorOr<void> install_native_code(LoadedModule& slot, u32 function, u8 tier, const PendingInstall& install,
                                  const Specialisation* spec)
{
    if (tier == 0 || tier > max_tier || function >= slot.module->function_count)
        return Error::InvalidArgument;
    // Specialised code without its generic code would send a failed guard
    // through a null pointer.
    if (spec && (tier != 2 || slot.jit->profile(function).tier != 2 || !slot.jit->profile(function).code))
        return Error::InvalidArgument;
    JitRuntime& runtime = jit_runtime();
    TierCompiler* previous = runtime.compiler(tier);
    s_trackers[tier].set_pending(&install);
    runtime.set_compiler(tier, &s_trackers[tier]);
    auto result = spec ? slot.jit->specialise(function, *spec) : slot.jit->compile(function, tier);
    s_trackers[tier].set_pending(nullptr);
    runtime.set_compiler(tier, previous);
    TRY(result);
    slot.snapshot_code[function] = slot.jit->profile(function).code;
    return {};
}
