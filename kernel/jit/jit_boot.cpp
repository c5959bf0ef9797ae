// Boot: carve the three JIT pools from physical memory, start the runtime,
// then load every module in /MODULES (after the FAT16 mount).
//
// Pool sizes: the pools may take 60% of the free memory (the rest stays for
// the kernel heap, which grows by 1 MiB arenas). Code and metadata get their
// compile-time defaults (4 MiB and 1 MiB; -DBAREFLOW_JIT_CODE_KIB=... and
// friends change them) and the data pool, which holds the modules' buffers,
// everything else of the share, at least its default of 16 MiB: a machine
// with more memory runs modules with bigger buffers. On a machine too small
// for the defaults all three are scaled down together. The sizes are
// printed at boot.
#include <kernel/init.h>
#include <kernel/snapshot/compile_tracker.h>
#include <kernel/jit/jit_system.h>
#include <kernel/jit/module_files.h>
#include <kernel/jit/tier2_setup.h>
#include <kernel/lib/kprintf.h>
#include <kernel/mm/pmm.h>

#ifndef BAREFLOW_JIT_CODE_KIB
#    define BAREFLOW_JIT_CODE_KIB 4096
#endif
#ifndef BAREFLOW_JIT_DATA_KIB
#    define BAREFLOW_JIT_DATA_KIB 16384
#endif
#ifndef BAREFLOW_JIT_METADATA_KIB
#    define BAREFLOW_JIT_METADATA_KIB 1024
#endif

namespace {

constexpr u64 min_pool_kib = 256;

struct PoolSizesKib {
    u64 code, data, metadata;
};

PoolSizesKib pool_sizes(u64 free_bytes)
{
    PoolSizesKib sizes { BAREFLOW_JIT_CODE_KIB, BAREFLOW_JIT_DATA_KIB, BAREFLOW_JIT_METADATA_KIB };
    u64 wanted = sizes.code + sizes.data + sizes.metadata;
    u64 budget = free_bytes / 1024 * pool_share_percent / 100;
    if (wanted <= budget) {
        sizes.data = (budget - sizes.code - sizes.metadata) / 64 * 64; // whole 64 KiB steps
        return sizes;
    }
    auto scale = [&](u64 kib) {
        u64 scaled = kib * budget / wanted / 64 * 64; // whole 64 KiB steps
        return scaled < min_pool_kib ? min_pool_kib : scaled;
    };
    return { scale(sizes.code), scale(sizes.data), scale(sizes.metadata) };
}

ErrorOr<void> start_jit()
{
    PoolSizesKib sizes = pool_sizes(pmm_stats().free_bytes);
    void* code = TRY(pmm_alloc_region(sizes.code * 1024, 4096));
    void* data = TRY(pmm_alloc_region(sizes.data * 1024, 4096));
    void* metadata = TRY(pmm_alloc_region(sizes.metadata * 1024, 4096));
    PoolSet& pools = jit_pools();
    pools.code.init(code, sizes.code * 1024);
    pools.data.init(data, sizes.data * 1024);
    pools.metadata.init(metadata, sizes.metadata * 1024);
    TRY(jit_runtime().init());
    TRY(register_tier2_compiler());
    install_compile_trackers();
    jit_system_mark_ready();
    kprintf("jit: pools code %llu KiB at %p, data %llu KiB at %p, metadata %llu KiB at %p\n", sizes.code, code,
            sizes.data, data, sizes.metadata, metadata);
    return {};
}
KERNEL_INIT(KERNEL_INIT_MODULES, "jit-pools", start_jit);

ErrorOr<void> load_modules()
{
    if (!jit_system_ready())
        return Error::NotSupported;
    return load_all_modules();
}
KERNEL_INIT(KERNEL_INIT_MODULES + 10, "modules", load_modules);

} // namespace
