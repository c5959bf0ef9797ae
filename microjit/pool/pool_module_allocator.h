// A ModuleAllocator (microjit/module/allocator.h) over the pools: module
// images, instances and module buffers come from the data pool, zero-filled
// as the loader's contract asks. The kernel and flowrun load modules through
// this, so `pool stats` shows what modules take.
#pragma once

#include <microjit/module/allocator.h>
#include <microjit/pool/pool.h>

class PoolModuleAllocator final : public ModuleAllocator {
public:
    explicit PoolModuleAllocator(DataPool& pool) : m_pool(pool) { }

    void* allocate(usize size, usize align) override
    {
        auto result = m_pool.allocate(size, align > 16 ? align : 0);
        if (result.is_error())
            return nullptr;
        __builtin_memset(result.value(), 0, size);
        return result.value();
    }

    void deallocate(void* pointer, usize) override { m_pool.free(pointer); }

private:
    DataPool& m_pool;
};
