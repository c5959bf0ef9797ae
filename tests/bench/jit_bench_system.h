// The JIT for a benchmark driver: host pools, one JitRuntime with tier 2
// registered (AVX2 and FMA as asked), modules loaded from files, and
// instances whose functions run at a chosen tier with no automatic tier-up
// and no cycle profile (the driver keeps its own clock), or with the
// runtime's own tier-up (`instantiate_auto`). Shared by the headline
// benchmark and the general-code suite.
#pragma once

#include <microjit/jit/jit.h>
#include <microjit/module/interpreter.h>
#include <microjit/pool/host_pools.h>
#include <microjit/pool/pool_module_allocator.h>
#include <microjit/tier2/tier2_compiler.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bench {

[[noreturn]] inline void fail(const std::string& message)
{
    std::fprintf(stderr, "bench: %s\n", message.c_str());
    std::exit(1);
}

class JitSystem {
public:
    explicit JitSystem(bool avx2)
    {
        if (m_host.map({ 16u << 20, 64u << 20, 16u << 20 }).is_error())
            fail("cannot map the pools");
        m_runtime = std::make_unique<JitRuntime>(m_host.pools());
        if (m_runtime->init().is_error())
            fail("cannot emit the runtime stubs");
        m_runtime->policy().max_native_frame_bytes = 16384; // a host stack has megabytes
        m_tier2.set_avx2(avx2);
        m_tier2.set_fma(__builtin_cpu_supports("fma"));
        m_runtime->set_compiler(2, &m_tier2);
        m_allocator = std::make_unique<PoolModuleAllocator>(m_host.pools().data);
    }

    const Module* load(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), {});
        ModuleDiagnostic diagnostic {};
        auto module = load_module(bytes.data(), bytes.size(), *m_allocator, &diagnostic);
        if (module.is_error())
            fail(path + ": " + diagnostic.message);
        return module.value();
    }

    // An instance whose functions run at `tier` (2: tier 2 where it
    // compiles, tier 1 elsewhere); no automatic tier-up.
    std::pair<ModuleInstance*, std::unique_ptr<JitInstance>> instantiate(const Module& module, u8 tier)
    {
        auto made = make_instance(module, false);
        if (tier >= 1) {
            if (auto r = made.second->compile_all(1); r.is_error())
                fail(std::string("tier 1 failed: ") + error_name(r.error()));
        }
        if (tier == 2) {
            for (u32 f = 0; f < module.function_count; ++f)
                (void)made.second->compile(f, 2); // JitUnsupported: refused, stays at tier 1
        }
        return made;
    }

    // An instance that starts in the interpreter and tiers up by the
    // runtime's policy, as `flowrun --tier auto` and the kernel run.
    std::pair<ModuleInstance*, std::unique_ptr<JitInstance>> instantiate_auto(const Module& module)
    {
        return make_instance(module, true);
    }

    Tier2::Tier2Compiler& tier2() { return m_tier2; }

private:
    std::pair<ModuleInstance*, std::unique_ptr<JitInstance>> make_instance(const Module& module, bool auto_tier_up)
    {
        auto jit = std::make_unique<JitInstance>(*m_runtime);
        jit->set_auto_tier_up(auto_tier_up);
        jit->set_cycle_profile(false); // the benchmark keeps its own clock
        if (jit->prepare(module).is_error())
            fail("metadata pool");
        auto instance = create_instance(module, *m_allocator, jit->instance_config());
        if (instance.is_error())
            fail("cannot instantiate");
        jit->attach(*instance.value());
        return { instance.value(), std::move(jit) };
    }

    HostPools m_host;
    std::unique_ptr<JitRuntime> m_runtime;
    std::unique_ptr<PoolModuleAllocator> m_allocator;
    std::vector<u8> m_scratch = std::vector<u8>(1 << 20);
    Tier2::Tier2Compiler m_tier2 { m_scratch.data(), m_scratch.size() };
};

}
