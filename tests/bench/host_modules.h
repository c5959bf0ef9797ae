// Host-side helpers for programs that run modules: a malloc-backed
// ModuleAllocator that keeps count (so tests can prove nothing leaks), and a
// loader that reads a .bfm file and instantiates it. Used by the benchmark
// drivers and the tests in tests/module/.
#pragma once

#include <microjit/module/interpreter.h>
#include <microjit/module/module.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace host {

class CountingAllocator final : public ModuleAllocator {
public:
    void* allocate(usize size, usize align) override
    {
        if (size > m_limit)
            return nullptr;
        if (align < 16)
            align = 16;
        void* p = std::aligned_alloc(align, (size + align - 1) / align * align);
        if (!p)
            return nullptr;
        std::memset(p, 0, size);
        ++m_live;
        m_bytes += size;
        return p;
    }
    void deallocate(void* pointer, usize size) override
    {
        --m_live;
        m_bytes -= size;
        std::free(pointer);
    }
    long live_allocations() const { return m_live; }
    long live_bytes() const { return static_cast<long>(m_bytes); }
    // Refuse single allocations above `limit` bytes (to test OutOfMemory).
    void set_limit(usize limit) { m_limit = limit; }

private:
    long m_live { 0 };
    usize m_bytes { 0 };
    usize m_limit { ~static_cast<usize>(0) };
};

inline std::vector<u8> read_file(const std::string& path)
{
    std::vector<u8> bytes;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        return bytes;
    u8 chunk[65536];
    usize n;
    while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0)
        bytes.insert(bytes.end(), chunk, chunk + n);
    std::fclose(f);
    return bytes;
}

// A module and one instance of it, released together.
struct LoadedModule {
    CountingAllocator allocator;
    Module* module { nullptr };
    ModuleInstance* instance { nullptr };
    ModuleDiagnostic diagnostic {};
    Error error { Error::Ok };

    ~LoadedModule()
    {
        destroy_instance(instance);
        destroy_module(module, allocator);
    }

    u32 function(const char* name) const
    {
        auto found = find_function(*module, name);
        if (found.is_error()) {
            std::fprintf(stderr, "module %s has no function %s\n", module->name, name);
            std::abort();
        }
        return found.value();
    }
};

inline std::unique_ptr<LoadedModule> load_bytes(const std::vector<u8>& bytes, const InstanceConfig& config = {})
{
    auto loaded = std::make_unique<LoadedModule>();
    auto m = load_module(bytes.data(), bytes.size(), loaded->allocator, &loaded->diagnostic);
    if (m.is_error()) {
        loaded->error = m.error();
        return loaded;
    }
    loaded->module = m.value();
    auto i = create_instance(*loaded->module, loaded->allocator, config);
    if (i.is_error()) {
        loaded->error = i.error();
        return loaded;
    }
    loaded->instance = i.value();
    return loaded;
}

inline std::unique_ptr<LoadedModule> load_file(const std::string& path, const InstanceConfig& config = {})
{
    std::vector<u8> bytes = read_file(path);
    if (bytes.empty()) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        std::abort();
    }
    return load_bytes(bytes, config);
}

}
