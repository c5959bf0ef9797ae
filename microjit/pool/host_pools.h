// Host backing for the pools: each region is an anonymous mmap, the code
// pool's mapped read-write-execute so that emitted code runs in the test
// process. Host programs only (flowrun, tests, benchmarks); the kernel carves
// its regions from E820 memory instead.
#pragma once

#include <microjit/pool/pool.h>

struct HostPoolSizes {
    usize code { 4u << 20 };
    usize data { 64u << 20 };
    usize metadata { 4u << 20 };
};

// A PoolSet whose regions are mmap'ed; unmapped by the destructor.
class HostPools {
public:
    HostPools() = default;
    ~HostPools();
    HostPools(const HostPools&) = delete;
    HostPools& operator=(const HostPools&) = delete;

    // OutOfMemory when the host refuses a mapping.
    ErrorOr<void> map(const HostPoolSizes& sizes = {});

    PoolSet& pools() { return m_pools; }

private:
    void unmap();

    PoolSet m_pools;
    void* m_regions[3] { nullptr, nullptr, nullptr };
    usize m_sizes[3] { 0, 0, 0 };
};
