// The kernel heap (kernel/mm/heap.cpp), built hosted over a fake physical
// memory manager: alignment, no overlap, coalescing back to one block,
// growth by arenas, exhaustion, and the panics on bad frees.
#include <kernel/mm/heap.h>
#include <kernel/mm/pmm.h>

#include <gtest/gtest.h>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

alignas(4096) unsigned char g_memory[8 << 20];
size_t g_used;
bool g_refuse;

} // namespace

// The heap's only source of memory: a bump allocator over g_memory.
ErrorOr<void*> pmm_alloc_region(usize bytes, usize align)
{
    size_t start = (g_used + align - 1) & ~(align - 1);
    if (g_refuse || start + bytes > sizeof(g_memory))
        return Error::OutOfMemory;
    g_used = start + bytes;
    return static_cast<void*>(g_memory + start);
}

class Heap : public ::testing::Test {
protected:
    static void SetUpTestSuite() { heap_init(); }
    void SetUp() override { g_refuse = false; }
};

TEST_F(Heap, BlocksAreAlignedAndDisjoint)
{
    std::vector<unsigned char*> blocks;
    for (size_t size : { 0, 1, 15, 16, 17, 100, 4096, 33 }) {
        auto* p = static_cast<unsigned char*>(kmalloc(size));
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
        std::memset(p, static_cast<int>(blocks.size() + 1), size);
        blocks.push_back(p);
    }
    size_t sizes[] = { 0, 1, 15, 16, 17, 100, 4096, 33 };
    for (size_t i = 0; i < blocks.size(); ++i) {
        for (size_t j = 0; j < sizes[i]; ++j)
            ASSERT_EQ(blocks[i][j], i + 1) << "block " << i << " was overwritten";
    }
    for (auto* p : blocks)
        kfree(p);
}

TEST_F(Heap, FreeingEverythingCoalescesBackToTheSameLargestBlock)
{
    auto before = heap_stats();
    std::vector<void*> blocks;
    for (int i = 0; i < 200; ++i)
        blocks.push_back(kmalloc(static_cast<size_t>(16 + (i * 37) % 500)));
    EXPECT_EQ(heap_stats().allocations, before.allocations + 200);
    // Free in an order that exercises merging with the next, the previous
    // and both neighbours.
    for (size_t i = 0; i < blocks.size(); i += 2)
        kfree(blocks[i]);
    for (size_t i = 1; i < blocks.size(); i += 2)
        kfree(blocks[i]);
    auto after = heap_stats();
    EXPECT_EQ(after.allocations, before.allocations);
    EXPECT_EQ(after.used_bytes, before.used_bytes);
    EXPECT_EQ(after.largest_free, before.largest_free);
    EXPECT_EQ(after.free_bytes, before.free_bytes);
}

TEST_F(Heap, ZeroedAllocation)
{
    auto* p = static_cast<unsigned char*>(kmalloc(256));
    std::memset(p, 0xAB, 256);
    kfree(p);
    auto* q = static_cast<unsigned char*>(kzalloc(256));
    for (int i = 0; i < 256; ++i)
        ASSERT_EQ(q[i], 0);
    kfree(q);
}

TEST_F(Heap, GrowsByAnotherArenaWhenFull)
{
    auto before = heap_stats();
    void* big = kmalloc(3 << 20); // larger than the 1 MiB first arena
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(heap_stats().arenas, before.arenas + 1);
    std::memset(big, 0x5A, 3 << 20);
    kfree(big);
}

TEST_F(Heap, ReturnsNullWhenThePmmIsExhausted)
{
    g_refuse = true;
    EXPECT_EQ(kmalloc(64 << 20), nullptr);
    void* small = kmalloc(64); // still served from existing arenas
    EXPECT_NE(small, nullptr);
    kfree(small);
}

TEST_F(Heap, FreeOfNullIsANoOp)
{
    auto before = heap_stats();
    kfree(nullptr);
    EXPECT_EQ(heap_stats().allocations, before.allocations);
}

TEST_F(Heap, DoubleFreePanics)
{
    void* p = kmalloc(48);
    kfree(p);
    EXPECT_DEATH(kfree(p), "heap: double free");
}

TEST_F(Heap, FreeOfAForeignPointerPanics)
{
    alignas(16) static unsigned char not_from_the_heap[64] = {};
    EXPECT_DEATH(kfree(not_from_the_heap + 32), "heap: free of a pointer kmalloc never returned");
}
