// CompileTracker (see compile_tracker.h).
#include <kernel/snapshot/code_walk.h>
#include <kernel/snapshot/compile_tracker.h>
#include <kernel/snapshot/snapshot_regions.h>
#include <kernel/jit/tier2_setup.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>

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
            CodeBlock block = TRY(verified_install(env, function, pool, reason));
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
    // Code from disk runs only if this kernel would have compiled exactly
    // the same bytes: the saved block is relocated and walked (install()),
    // then the function is compiled again from its bytecode with the saved
    // decisions (tier, ISA, specialisation) and the two must be equal. The
    // fresh block is what gets installed; a difference refuses the entry.
    // Tampered bytes with a fixed-up CRC, or a decoder-valid blob that
    // computes something else, can therefore never run.
    ErrorOr<CodeBlock> verified_install(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason reason)
    {
        const PendingInstall& p = *m_pending;
        if (!m_inner)
            return Error::SnapshotBadCode;
        IsaSetting setting = isa_setting();
        bool isa_changed = m_tier == 2 && effective_isa() != p.isa;
        if (isa_changed && set_isa_setting(p.isa == CodeIsa::Avx2 ? IsaSetting::Avx2 : IsaSetting::Sse2).is_error())
            return Error::SnapshotCpuChanged;
        auto fresh = m_inner->compile(env, function, pool, reason);
        if (isa_changed)
            (void)set_isa_setting(setting);
        if (fresh.is_error()) {
            kprintf("snap: function %u: this kernel cannot compile it at tier %u now (%s), so its saved code is not used\n",
                    function, m_tier, error_message(fresh.error()));
            return Error::SnapshotBadCode;
        }
        CodeBlock block = fresh.value();
        // The saved bytes, relocated as if they stood where the fresh code
        // stands: branches to the runtime are relative to their own address.
        auto* relocated = static_cast<u8*>(kmalloc(p.size ? p.size : 1));
        Error error = relocated ? relocate(env, relocated, block.code) : Error::OutOfMemory;
        u32 differs = error == Error::Ok ? first_difference(relocated, p.size, block.code, block.size) : no_difference;
        kfree(relocated);
        if (error == Error::Ok && differs != no_difference) {
            kprintf("snap: function %u: the saved tier-%u code differs from what this kernel compiles (at +0x%x; %u bytes "
                    "saved, %u compiled); not used\n",
                    function, m_tier, differs, p.size, block.size);
            error = Error::SnapshotBadCode;
        }
        if (error != Error::Ok) {
            pool.free(block.code);
            return error;
        }
        return block;
    }

    static constexpr u32 no_difference = 0xFFFFFFFF;
    static u32 first_difference(const u8* a, u32 a_size, const u8* b, u32 b_size)
    {
        u32 n = a_size < b_size ? a_size : b_size;
        for (u32 i = 0; i < n; ++i)
            if (a[i] != b[i])
                return i;
        return a_size == b_size ? no_difference : n;
    }

    // Writes the pending code into `out`, its relocations applied as if it
    // were placed at `place` in the code pool (branches to the runtime,
    // absolute addresses rebased into this instance's regions).
    Error relocate(const NativeEnvironment& env, u8* out, const u8* place)
    {
        const PendingInstall& p = *m_pending;
        memcpy(out, p.code, p.size);
        snapshot::RegionMap regions(*env.instance, env.jit, env.stubs, env.states, const_cast<u8*>(place), p.size);
        for (u32 i = 0; i < p.relocation_count; ++i) {
            const snapshot::Relocation& r = p.relocations[i];
            u32 value;
            if (r.region == snapshot::RegionRuntime) {
                // rel32 is relative to the end of its field (SDM Vol. 2A, CALL/JMP/Jcc "rel32").
                value = r.value - (reinterpret_cast<u32>(place) + r.offset + 4);
            } else {
                u32 base, size;
                if (!regions.locate(r.region, base, size) || r.value >= size)
                    return Error::SnapshotBadCode;
                value = base + r.value;
            }
            memcpy(out + r.offset, &value, 4);
        }
        return same_instructions(p.code, out, p.size) ? Error::Ok : Error::SnapshotBadCode;
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
