// The JIT system's state and the module table (see jit_system.h).
#include <bareflow/panic.h>
#include <kernel/jit/jit_system.h>
#include <kernel/jit/volume_host.h>
#include <kernel/lib/format.h>
#include <kernel/lib/string.h>
#include <microjit/jit/construct.h>
#include <microjit/pool/pool_module_allocator.h>
#include <microjit/runtime/fnv1a64.h>

namespace {

PoolSet s_pools;
JitRuntime s_runtime(s_pools);
// One allocator for every module: instances keep a pointer to it
// (ModuleInstance::allocator), so it must outlive them all.
PoolModuleAllocator s_allocator(s_pools.data);
bool s_ready = false;
LoadedModule s_modules[max_loaded_modules];

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

} // namespace

bool jit_system_ready() { return s_ready; }
void jit_system_mark_ready() { s_ready = true; }
PoolSet& jit_pools() { return s_pools; }
JitRuntime& jit_runtime() { return s_runtime; }

LoadedModule* loaded_modules_begin() { return s_modules; }
LoadedModule* loaded_modules_end() { return s_modules + max_loaded_modules; }

u32 loaded_module_count()
{
    u32 n = 0;
    for (auto& slot : s_modules)
        n += slot.used ? 1 : 0;
    return n;
}

bool equals_ignoring_case(const char* a, const char* b, usize length)
{
    for (usize i = 0; i < length; ++i) {
        if (lower(a[i]) != lower(b[i]))
            return false;
        if (!a[i])
            return true;
    }
    return true;
}

bool equals_ignoring_case(const char* a, const char* b)
{
    return strlen(a) == strlen(b) && equals_ignoring_case(a, b, strlen(a));
}

LoadedModule* find_module_named(const char* name)
{
    for (auto& slot : s_modules)
        if (slot.used && equals_ignoring_case(slot.module->name, name))
            return &slot;
    return nullptr;
}

LoadedModule* find_loaded_module(const char* name)
{
    if (LoadedModule* named = find_module_named(name))
        return named;
    usize length = strlen(name);
    for (auto& slot : s_modules) {
        if (!slot.used)
            continue;
        if (equals_ignoring_case(slot.file_name, name))
            return &slot;
        // The file's base name: "FIB" for FIB.BFM.
        usize base = 0;
        while (slot.file_name[base] && slot.file_name[base] != '.')
            ++base;
        if (base == length && equals_ignoring_case(slot.file_name, name, length))
            return &slot;
    }
    return nullptr;
}

ErrorOr<FunctionRef> resolve_function(const char* spec)
{
    const char* dot = spec;
    while (*dot && *dot != '.')
        ++dot;
    if (!*dot || dot == spec || !dot[1])
        return Error::BadArguments;
    char module_name[64];
    usize length = static_cast<usize>(dot - spec);
    if (length >= sizeof(module_name))
        return Error::NoSuchModule;
    memcpy(module_name, spec, length);
    module_name[length] = 0;
    LoadedModule* slot = find_loaded_module(module_name);
    if (!slot)
        return Error::NoSuchModule;
    const Module& module = *slot->module;
    for (u32 f = 0; f < module.function_count; ++f) {
        if (equals_ignoring_case(module.functions[f].name, dot + 1))
            return FunctionRef { slot, f };
    }
    return Error::NoSuchFunction;
}

ErrorOr<BufferRef> resolve_buffer(const char* spec, LoadedModule* own)
{
    const char* dot = spec;
    while (*dot && *dot != '.')
        ++dot;
    LoadedModule* slot = own;
    const char* name = spec;
    if (*dot) {
        char module_name[64];
        usize length = static_cast<usize>(dot - spec);
        if (length == 0 || length >= sizeof(module_name))
            return Error::NoSuchModule;
        memcpy(module_name, spec, length);
        module_name[length] = 0;
        slot = find_loaded_module(module_name);
        name = dot + 1;
    }
    if (!slot)
        return Error::NoSuchModule;
    const Module& module = *slot->module;
    for (u32 b = 0; b < module.buffer_count; ++b)
        if (equals_ignoring_case(module.buffers[b].name, name))
            return BufferRef { slot, b };
    return Error::BadArguments;
}

u64 function_hash(const FunctionInfo& function)
{
    u64 hash = fnv1a64(function.code, function.code_size);
    hash = fnv1a64_update(hash, reinterpret_cast<const u8*>(function.register_types), function.reg_count);
    u8 signature[2] = { function.param_count, static_cast<u8>(function.return_type) };
    hash = fnv1a64_update(hash, signature, sizeof(signature));
    return fnv1a64_update(hash, reinterpret_cast<const u8*>(function.name), strlen(function.name));
}

ErrorOr<void> build_module(const char* file_name, const u8* bytes, usize size, LoadedModule& out,
                           ModuleDiagnostic& diagnostic)
{
    memset(&out, 0, sizeof(out));
    copy_string(out.file_name, sizeof(out.file_name), file_name);
    out.module = TRY(load_module(bytes, size, s_allocator, &diagnostic));

    // Everything per module comes from the pools in the same order at every
    // boot, so an unchanged set of modules gets the same addresses, which a
    // snapshot's code depends on (docs/snapshot-format.md, "Layout").
    u32 count = out.module->function_count;
    auto per_function = s_pools.metadata.allocate(count * (sizeof(u64) + sizeof(u32) + sizeof(const u8*)));
    if (per_function.is_error()) {
        destroy_loaded_module(out);
        return per_function.error();
    }
    u8* base = static_cast<u8*>(per_function.value());
    memset(base, 0, count * (sizeof(u64) + sizeof(u32) + sizeof(const u8*)));
    out.function_hashes = reinterpret_cast<u64*>(base);
    out.compiles = reinterpret_cast<u32*>(base + count * sizeof(u64));
    out.snapshot_code = reinterpret_cast<const u8**>(base + count * (sizeof(u64) + sizeof(u32)));
    for (u32 f = 0; f < count; ++f)
        out.function_hashes[f] = function_hash(out.module->functions[f]);

    auto storage = s_pools.metadata.allocate(sizeof(JitInstance));
    if (storage.is_error()) {
        destroy_loaded_module(out);
        return storage.error();
    }
    out.jit = new (storage.value(), ConstructInPlace {}) JitInstance(s_runtime);
    if (auto prepared = out.jit->prepare(*out.module); prepared.is_error()) {
        destroy_loaded_module(out);
        return prepared.error();
    }
    auto instance = create_instance(*out.module, s_allocator, out.jit->instance_config());
    if (instance.is_error()) {
        if (instance.error() == Error::PoolExhausted || instance.error() == Error::OutOfMemory) {
            // Name the limit and what to change: buffers live in the data pool.
            u64 wanted = 0;
            for (u32 b = 0; b < out.module->buffer_count; ++b)
                wanted += 4ull * out.module->buffers[b].count;
            PoolStats data = s_pools.data.stats();
            diagnostic.error = instance.error();
            format_to(diagnostic.message, sizeof(diagnostic.message),
                      "its buffers need %llu KiB; the data pool has %u KiB free in one block (of %u KiB; the pools "
                      "get %u%% of free memory): boot with more memory (QEMU -m)",
                      (wanted + 1023) / 1024, static_cast<u32>(data.largest_free / 1024), static_cast<u32>(data.capacity / 1024),
                      pool_share_percent);
        }
        destroy_loaded_module(out);
        return instance.error();
    }
    out.instance = instance.value();
    out.instance->host = &kernel_module_host(); // its files on the boot volume, its prints on the console
    out.jit->attach(*out.instance);
    return {};
}

void destroy_loaded_module(LoadedModule& slot)
{
    if (slot.jit) {
        // Frees the native code: CodeRetirement frees it at once, since no
        // native frame exists at the prompt (jit_enter depth zero).
        slot.jit->~JitInstance();
        s_pools.metadata.free(slot.jit);
    }
    if (slot.instance)
        destroy_instance(slot.instance);
    if (slot.function_hashes)
        s_pools.metadata.free(slot.function_hashes);
    if (slot.module)
        destroy_module(slot.module, s_allocator);
    memset(&slot, 0, sizeof(slot));
}

LoadedModule* slot_for_instance(const ModuleInstance* instance)
{
    for (auto& slot : s_modules) {
        if (slot.used && slot.instance == instance)
            return &slot;
    }
    return nullptr;
}

ErrorOr<LoadedModule*> add_loaded_module(const LoadedModule& built)
{
    for (auto& slot : s_modules) {
        if (slot.used)
            continue;
        slot = built;
        slot.used = true;
        return &slot;
    }
    return Error::OutOfMemory;
}
