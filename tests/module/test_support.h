// Shared helpers for the tests in tests/module/: where the compiled modules
// are, and calling a module function with scalar or view arguments.
#pragma once

#include "../bench/host_modules.h"
#include "module_builder.h"

#include <gtest/gtest.h>
#include <climits>
#include <unistd.h>

namespace test {

// BUILD/modules: from BAREFLOW_BUILD (set by tests/run_suites.py), else
// relative to this binary (BUILD/host/tests/NAME or BUILD/asan/tests/NAME).
inline std::string build_dir()
{
    if (const char* env = std::getenv("BAREFLOW_BUILD"))
        return env;
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n <= 0)
        return "build";
    std::string exe(path, static_cast<size_t>(n));
    for (int i = 0; i < 3; ++i)
        exe = exe.substr(0, exe.rfind('/'));
    return exe;
}

inline std::string module_path(const std::string& file) { return build_dir() + "/modules/" + file; }

inline std::unique_ptr<host::LoadedModule> load_shipped(const std::string& file, const InstanceConfig& config = {})
{
    auto bytes = host::read_file(module_path(file));
    if (bytes.empty()) {
        ADD_FAILURE() << "cannot read " << module_path(file) << " (build the modules first)";
        return nullptr;
    }
    auto m = host::load_bytes(bytes, config);
    EXPECT_EQ(m->error, Error::Ok) << file << ": " << m->diagnostic.message;
    return m;
}

inline std::unique_ptr<host::LoadedModule> load_built(ModuleBuilder& builder, const InstanceConfig& config = {})
{
    auto m = host::load_bytes(builder.build(), config);
    EXPECT_EQ(m->error, Error::Ok) << m->diagnostic.message;
    return m;
}

inline Value I(i32 v) { return Value::from_i32(v); }
inline Value F(f32 v) { return Value::from_f32(v); }
inline Value V(std::vector<i32>& v) { return Value::from_view(v.data(), static_cast<u32>(v.size())); }
inline Value V(std::vector<f32>& v) { return Value::from_view(v.data(), static_cast<u32>(v.size())); }

// Calls `name`; the test fails (and returns 0) if it traps.
inline Value call(host::LoadedModule& m, const char* name, std::vector<Value> args = {})
{
    auto result = call_function(*m.instance, m.function(name), args.data(), static_cast<u32>(args.size()));
    EXPECT_FALSE(result.is_error()) << name << " trapped: " << error_name(result.error());
    return result.is_error() ? Value {} : result.value();
}

// Calls `name` and returns the error (Error::Ok when it did not trap).
inline Error call_error(host::LoadedModule& m, const char* name, std::vector<Value> args = {})
{
    auto result = call_function(*m.instance, m.function(name), args.data(), static_cast<u32>(args.size()));
    return result.is_error() ? result.error() : Error::Ok;
}

inline u32 bits(f32 f)
{
    u32 b;
    std::memcpy(&b, &f, 4);
    return b;
}

}
