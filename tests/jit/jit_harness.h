// Shared plumbing for the JIT tests: host pools, a JitRuntime, modules loaded
// from the build directory, and instances that run at a chosen tier.
#pragma once

#include <gtest/gtest.h>
#include <microjit/jit/jit.h>
#include <microjit/module/interpreter.h>
#include <microjit/module/module.h>
#include <microjit/pool/host_pools.h>
#include <microjit/pool/pool_module_allocator.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace JitTest {

inline std::string build_dir()
{
    const char* env = std::getenv("BAREFLOW_BUILD");
    return env ? env : "build";
}

inline std::vector<u8> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<u8>(std::istreambuf_iterator<char>(in), {});
}

// The result of one call: a value or a trap.
struct Outcome {
    Error error { Error::Ok };
    ValueType type { ValueType::Void };
    u32 bits { 0 };

    // f32 results compare by bits, except that any NaN equals any NaN: no
    // Flow program can observe a NaN's payload.
    bool operator==(const Outcome& o) const
    {
        if (error != o.error || type != o.type)
            return false;
        if (error != Error::Ok || type == ValueType::Void)
            return true;
        if (type == ValueType::F32) {
            float a, b;
            std::memcpy(&a, &bits, 4);
            std::memcpy(&b, &o.bits, 4);
            if (std::isnan(a) && std::isnan(b))
                return true;
        }
        return bits == o.bits;
    }
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o)
{
    if (o.error != Error::Ok)
        return os << "trap " << error_name(o.error);
    if (o.type == ValueType::Void)
        return os << "(void)";
    if (o.type == ValueType::F32) {
        float f;
        std::memcpy(&f, &o.bits, 4);
        char text[64];
        std::snprintf(text, sizeof(text), "%.9g (0x%08x)", f, o.bits);
        return os << "f32 " << text;
    }
    return os << "i32 " << static_cast<i32>(o.bits);
}

// Compiles Flow `source` with tools/flowc.py into $(BUILD)/tests/source/
// NAME.BFM (module NAME) and returns the path relative to the build
// directory, for System::load; "" (and a test failure) if flowc fails.
inline std::string compile_flow_source(const char* source, const std::string& name)
{
    std::string dir = build_dir() + "/tests/source";
    std::string flow = dir + "/" + name + ".flow", relative = "tests/source/" + name + ".BFM";
    std::string command = "mkdir -p " + dir;
    if (std::system(command.c_str()) != 0) {
        ADD_FAILURE() << command;
        return "";
    }
    std::ofstream(flow) << source;
    const char* root = std::getenv("BAREFLOW_ROOT");
    command = "python3 " + std::string(root ? root : ".") + "/tools/flowc.py " + flow + " --name " + name + " -o " + build_dir()
        + "/" + relative;
    if (std::system(command.c_str()) != 0) {
        ADD_FAILURE() << command;
        return "";
    }
    return relative;
}

// One host "system": pools and a JIT runtime.
class System {
public:
    explicit System(HostPoolSizes sizes = { 4u << 20, 64u << 20, 8u << 20 })
    {
        EXPECT_FALSE(m_host.map(sizes).is_error());
        m_runtime = std::make_unique<JitRuntime>(m_host.pools());
        EXPECT_FALSE(m_runtime->init().is_error());
        // The test process has megabytes of stack (docs/jit.md, "frame limit").
        m_runtime->policy().max_native_frame_bytes = 16384;
        m_allocator = std::make_unique<PoolModuleAllocator>(m_host.pools().data);
    }
    ~System()
    {
        for (Module* m : m_modules)
            destroy_module(m, *m_allocator);
    }

    JitRuntime& runtime() { return *m_runtime; }
    PoolSet& pools() { return m_host.pools(); }
    ModuleAllocator& allocator() { return *m_allocator; }

    // Loads $(BUILD)/<relative>; nullptr (and a test failure) if it fails.
    const Module* load(const std::string& relative)
    {
        std::string path = build_dir() + "/" + relative;
        std::vector<u8> bytes = read_file(path);
        EXPECT_FALSE(bytes.empty()) << "cannot read " << path;
        if (bytes.empty())
            return nullptr;
        return load_bytes(bytes, path);
    }

    const Module* load_bytes(const std::vector<u8>& bytes, const std::string& what)
    {
        ModuleDiagnostic diagnostic {};
        auto module = load_module(bytes.data(), bytes.size(), *m_allocator, &diagnostic);
        EXPECT_FALSE(module.is_error()) << what << ": " << diagnostic.message;
        if (module.is_error())
            return nullptr;
        m_modules.push_back(module.value());
        return module.value();
    }

private:
    HostPools m_host;
    std::unique_ptr<JitRuntime> m_runtime;
    std::unique_ptr<PoolModuleAllocator> m_allocator;
    std::vector<Module*> m_modules;
};

enum class Mode {
    Interpreter, // tier 0 only
    Tier1,       // everything compiled at tier 1 up front
    Auto,        // tier-up from the counters
};

// A module instance running in one mode.
class Runner {
public:
    Runner(System& system, const Module& module, Mode mode, u64 step_limit = 0)
        : m_system(system)
        , m_module(module)
        , m_jit(system.runtime())
    {
        EXPECT_FALSE(m_jit.prepare(module).is_error());
        m_jit.set_auto_tier_up(mode == Mode::Auto);
        InstanceConfig config = m_jit.instance_config();
        config.step_limit = step_limit;
        auto instance = create_instance(module, system.allocator(), config);
        EXPECT_FALSE(instance.is_error()) << error_name(instance.error());
        m_instance = instance.value();
        m_jit.attach(*m_instance);
        if (mode == Mode::Tier1) {
            auto compiled = m_jit.compile_all(1);
            EXPECT_FALSE(compiled.is_error()) << "tier 1: " << error_name(compiled.error());
        }
    }
    ~Runner()
    {
        m_jit.detach();
        destroy_instance(m_instance);
    }

    JitInstance& jit() { return m_jit; }
    ModuleInstance& instance() { return *m_instance; }

    u32 function(const char* name)
    {
        auto index = find_function(m_module, name);
        EXPECT_FALSE(index.is_error()) << name;
        return index.is_error() ? 0 : index.value();
    }

    Outcome call(u32 function, const std::vector<Value>& args)
    {
        Outcome outcome;
        outcome.type = m_module.functions[function].return_type;
        auto result = m_jit.call(function, args.data(), static_cast<u32>(args.size()));
        if (result.is_error()) {
            outcome.error = result.error();
            return outcome;
        }
        outcome.bits = static_cast<u32>(result.value().i);
        return outcome;
    }

    Outcome call(const char* name, const std::vector<Value>& args) { return call(function(name), args); }

private:
    System& m_system;
    const Module& m_module;
    JitInstance m_jit;
    ModuleInstance* m_instance { nullptr };
};

inline Value i32v(i32 v) { return Value::from_i32(v); }
inline Value f32v(float v) { return Value::from_f32(v); }

} // namespace JitTest
