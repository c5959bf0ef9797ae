// CompileTracker (see compile_tracker.h).
#include <kernel/jit/compile_tracker.h>
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
        if (!same_environment(env, p.expected))
            return Error::SnapshotBadCode;
        u8* code = static_cast<u8*>(TRY(pool.allocate(p.size, 16)));
        memcpy(code, p.code, p.size);
        for (u32 i = 0; i < p.relocation_count; ++i) {
            const CodeRelocation& r = p.relocations[i];
            // rel32 is relative to the end of its field (SDM Vol. 2A, CALL/JMP/Jcc "rel32").
            u32 next = reinterpret_cast<u32>(code) + r.offset + 4;
            u32 displacement = r.target - next;
            memcpy(code + r.offset, &displacement, 4);
        }
        return CodeBlock { code, p.size, p.isa };
    }

    TierCompiler* m_inner { nullptr };
    u8 m_tier { 0 };
    const PendingInstall* m_pending { nullptr };
};

LoadedModule* CompileTracker::s_tracking = nullptr;
CompileTracker s_trackers[max_tier + 1];

} // namespace

bool same_environment(const NativeEnvironment& a, const NativeEnvironment& b)
{
    return a.instance == b.instance && a.jit == b.jit && a.stubs == b.stubs && a.states == b.states;
}

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

ErrorOr<void> install_native_code(LoadedModule& slot, u32 function, u8 tier, const PendingInstall& install)
{
    if (tier == 0 || tier > max_tier || function >= slot.module->function_count)
        return Error::InvalidArgument;
    JitRuntime& runtime = jit_runtime();
    TierCompiler* previous = runtime.compiler(tier);
    s_trackers[tier].set_pending(&install);
    runtime.set_compiler(tier, &s_trackers[tier]);
    auto result = slot.jit->compile(function, tier);
    s_trackers[tier].set_pending(nullptr);
    runtime.set_compiler(tier, previous);
    TRY(result);
    slot.snapshot_code[function] = slot.jit->profile(function).code;
    return {};
}
