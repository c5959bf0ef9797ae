// The Pool template and BareFlow's three pools: code, data and metadata.
//
// One allocator (PoolCore), three instantiations that differ only in policy.
// Distinct types keep a code pointer from being freed into the data pool by
// mistake; the policy says what the pool's memory is for:
//
//   CodePool      16-byte blocks (32 or 64 on request, for loop-head
//                 alignment inside a block to mean the same on the bus);
//                 freed bytes become int3 (0xCC), so stale code traps
//   DataPool      16-byte blocks, 64 on request (cache lines, AVX loads)
//   MetadataPool  16-byte blocks for small records
//
// A PoolSet groups the three; the kernel fills one at boot from E820 memory
// and host programs get one from host_pools.h (mmap).
#pragma once

#include <microjit/pool/pool_core.h>

struct CodePoolPolicy {
    static constexpr PoolPolicy policy { "code", 16, 64, 0xCC };
};
struct DataPoolPolicy {
    static constexpr PoolPolicy policy { "data", 16, 64, -1 };
};
struct MetadataPoolPolicy {
    static constexpr PoolPolicy policy { "metadata", 16, 16, -1 };
};

template<typename Policy>
class Pool {
public:
    Pool() = default;
    Pool(void* base, usize size) { init(base, size); }

    void init(void* base, usize size) { m_core.init(Policy::policy, base, size); }

    ErrorOr<void*> allocate(usize size, usize align = 0) { return m_core.allocate(size, align); }
    void free(void* p) { m_core.free(p); }
    void shrink(void* p, usize new_size) { m_core.shrink(p, new_size); }
    usize block_size(const void* p) const { return m_core.block_size(p); }
    bool contains(const void* p) const { return m_core.contains(p); }
    bool is_live_block(const void* p) const { return m_core.is_live_block(p); }
    PoolStats stats() const { return m_core.stats(); }
    const char* name() const { return m_core.name(); }
    void check_consistency() const { m_core.check_consistency(); }

    // A zero-filled object of type T (a trivially constructible record).
    template<typename T>
    ErrorOr<T*> allocate_object()
    {
        void* p = TRY(allocate(sizeof(T), alignof(T) > 16 ? alignof(T) : 0));
        __builtin_memset(p, 0, sizeof(T));
        return static_cast<T*>(p);
    }

private:
    PoolCore m_core;
};

using CodePool = Pool<CodePoolPolicy>;
using DataPool = Pool<DataPoolPolicy>;
using MetadataPool = Pool<MetadataPoolPolicy>;

struct PoolSet {
    CodePool code;
    DataPool data;
    MetadataPool metadata;
};
