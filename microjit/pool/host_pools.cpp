// mmap-backed regions for the three pools on the host; see host_pools.h.
#include <microjit/pool/host_pools.h>

#include <sys/mman.h>

HostPools::~HostPools() { unmap(); }

void HostPools::unmap()
{
    for (int i = 0; i < 3; ++i) {
        if (m_regions[i])
            munmap(m_regions[i], m_sizes[i]);
        m_regions[i] = nullptr;
    }
}

ErrorOr<void> HostPools::map(const HostPoolSizes& sizes)
{
    unmap();
    usize wanted[3] = { sizes.code, sizes.data, sizes.metadata };
    for (int i = 0; i < 3; ++i) {
        int protection = PROT_READ | PROT_WRITE | (i == 0 ? PROT_EXEC : 0);
        void* p = mmap(nullptr, wanted[i], protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            unmap();
            return Error::OutOfMemory;
        }
        m_regions[i] = p;
        m_sizes[i] = wanted[i];
    }
    m_pools.code.init(m_regions[0], m_sizes[0]);
    m_pools.data.init(m_regions[1], m_sizes[1]);
    m_pools.metadata.init(m_regions[2], m_sizes[2]);
    return {};
}
