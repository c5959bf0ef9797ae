// The pools: alignment, exhaustion, fragmentation and refill, coalescing,
// int3 fill of freed code, stats, and the guard checks that must panic.
#include <microjit/pool/host_pools.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

alignas(64) unsigned char g_region[64 * 1024];

uintptr_t addr(void* p) { return reinterpret_cast<uintptr_t>(p); }

} // namespace

TEST(Pool, AllocationsAre16ByteAlignedAndDisjoint)
{
    DataPool pool(g_region, sizeof(g_region));
    std::vector<std::pair<uintptr_t, size_t>> blocks;
    for (size_t size : { 1u, 15u, 16u, 17u, 100u, 4096u, 3u }) {
        auto r = pool.allocate(size);
        ASSERT_FALSE(r.is_error());
        EXPECT_EQ(addr(r.value()) % 16, 0u);
        EXPECT_GE(pool.block_size(r.value()), size);
        std::memset(r.value(), 0xAB, size);
        for (auto& [a, s] : blocks)
            EXPECT_TRUE(addr(r.value()) + size <= a || a + s <= addr(r.value()));
        blocks.push_back({ addr(r.value()), size });
    }
    pool.check_consistency();
}

TEST(Pool, DataPoolHonours64ByteAlignmentOnRequest)
{
    DataPool pool(g_region + 16, sizeof(g_region) - 16);
    for (int i = 0; i < 20; ++i) {
        ASSERT_FALSE(pool.allocate(16 * (i % 3 + 1)).is_error()); // knock the cursor off 64
        auto r = pool.allocate(200, 64);
        ASSERT_FALSE(r.is_error());
        EXPECT_EQ(addr(r.value()) % 64, 0u);
        pool.check_consistency();
    }
}

TEST(Pool, CodePoolAlignsBlocksForLoopHeadsOnRequest)
{
    CodePool pool(g_region + 16, sizeof(g_region) - 16);
    for (usize align : { 16u, 32u, 64u, 32u, 16u, 64u }) {
        auto r = pool.allocate(48, align);
        ASSERT_FALSE(r.is_error());
        EXPECT_EQ(addr(r.value()) % align, 0u) << align;
    }
    pool.check_consistency();
}

TEST(Pool, ExhaustionIsAnErrorValueAndCountsAFailure)
{
    DataPool pool(g_region, 4096);
    std::vector<void*> live;
    for (;;) {
        auto r = pool.allocate(100);
        if (r.is_error()) {
            EXPECT_EQ(r.error(), Error::PoolExhausted);
            break;
        }
        live.push_back(r.value());
    }
    EXPECT_GT(live.size(), 20u);
    auto stats = pool.stats();
    EXPECT_EQ(stats.failures, 1u);
    EXPECT_EQ(stats.capacity, 4096u);
    EXPECT_LT(stats.largest_free, 100u);
    // A request bigger than the whole pool fails cleanly too.
    EXPECT_EQ(pool.allocate(1u << 30).error(), Error::PoolExhausted);
    EXPECT_EQ(pool.stats().failures, 2u);
    pool.check_consistency();
    for (void* p : live)
        pool.free(p);
    stats = pool.stats();
    EXPECT_EQ(stats.used, 0u);
    EXPECT_EQ(stats.free_blocks, 1u);
    EXPECT_EQ(stats.largest_free, 4096u - PoolCore::header_size);
}

TEST(Pool, FragmentationThenRefillCoalescesBackToOneBlock)
{
    DataPool pool(g_region, sizeof(g_region));
    std::vector<void*> blocks;
    for (int i = 0; i < 100; ++i)
        blocks.push_back(pool.allocate(200).value());
    // Free every other block: the free space is fragmented into holes that
    // are each too small for a 1000-byte request near the bottom.
    for (int i = 0; i < 100; i += 2)
        pool.free(blocks[i]);
    auto stats = pool.stats();
    EXPECT_GE(stats.free_blocks, 50u);
    EXPECT_LT(pool.stats().largest_free, sizeof(g_region) - 100 * 216 + 216);
    pool.check_consistency();
    // Refill the holes with blocks of exactly the freed size: first fit reuses them.
    for (int i = 0; i < 100; i += 2) {
        void* p = pool.allocate(200).value();
        EXPECT_EQ(p, blocks[i]) << "hole " << i << " was not reused";
        blocks[i] = p;
    }
    pool.check_consistency();
    // Free in a scrambled order; neighbours merge until one block is left.
    std::mt19937 rng(7);
    std::shuffle(blocks.begin(), blocks.end(), rng);
    for (void* p : blocks) {
        pool.free(p);
        pool.check_consistency();
    }
    stats = pool.stats();
    EXPECT_EQ(stats.free_blocks, 1u);
    EXPECT_EQ(stats.used, 0u);
    EXPECT_EQ(stats.peak, 100u * 224);
}

TEST(Pool, RandomisedAllocateFreeKeepsEveryInvariant)
{
    DataPool pool(g_region, sizeof(g_region));
    std::mt19937 rng(12345);
    std::vector<std::pair<unsigned char*, size_t>> live;
    for (int step = 0; step < 5000; ++step) {
        if (live.empty() || rng() % 3) {
            size_t size = 1 + rng() % 700;
            size_t align = (rng() % 4 == 0) ? 64 : 0;
            auto r = pool.allocate(size, align);
            if (r.is_error()) {
                EXPECT_EQ(r.error(), Error::PoolExhausted);
                continue;
            }
            auto* p = static_cast<unsigned char*>(r.value());
            std::memset(p, static_cast<int>(step & 0xFF), size);
            live.push_back({ p, size });
        } else {
            size_t i = rng() % live.size();
            pool.free(live[i].first);
            live.erase(live.begin() + i);
        }
        if (step % 97 == 0)
            pool.check_consistency();
    }
    for (auto& [p, s] : live)
        pool.free(p);
    pool.check_consistency();
    EXPECT_EQ(pool.stats().free_blocks, 1u);
}

TEST(Pool, CodePoolFillsFreedBlocksWithInt3)
{
    CodePool pool(g_region, sizeof(g_region));
    auto* a = static_cast<unsigned char*>(pool.allocate(64).value());
    auto* b = static_cast<unsigned char*>(pool.allocate(64).value());
    std::memset(a, 0x90, 64);
    std::memset(b, 0x90, 64);
    pool.free(a);
    for (int i = 0; i < 64; ++i)
        ASSERT_EQ(a[i], 0xCC) << "byte " << i;
    EXPECT_EQ(b[0], 0x90);
    pool.free(b);
    for (int i = 0; i < 64; ++i)
        ASSERT_EQ(b[i], 0xCC);
}

TEST(Pool, ShrinkReturnsTheTailAndFillsItWithInt3)
{
    CodePool pool(g_region, sizeof(g_region));
    auto* a = static_cast<unsigned char*>(pool.allocate(4096).value());
    std::memset(a, 0x90, 4096);
    size_t used_before = pool.stats().used;
    pool.shrink(a, 100);
    EXPECT_EQ(pool.block_size(a), 112u);
    EXPECT_LT(pool.stats().used, used_before);
    EXPECT_EQ(a[99], 0x90);
    EXPECT_EQ(a[112 + 16], 0xCC);
    auto* b = static_cast<unsigned char*>(pool.allocate(64).value());
    EXPECT_EQ(b, a + 128) << "the trimmed tail is reused at once";
    pool.check_consistency();
}

TEST(Pool, MetadataPoolAllocatesZeroedObjects)
{
    MetadataPool pool(g_region, sizeof(g_region));
    struct Record {
        int a;
        double b;
        char name[20];
    };
    std::memset(g_region, 0x5A, sizeof(g_region));
    pool.init(g_region, sizeof(g_region));
    Record* r = pool.allocate_object<Record>().value();
    EXPECT_EQ(r->a, 0);
    EXPECT_EQ(r->name[19], 0);
}

TEST(Pool, HostPoolsMapAnExecutableCodePool)
{
    HostPools host;
    ASSERT_FALSE(host.map({ 1u << 16, 1u << 16, 1u << 16 }).is_error());
    auto* code = static_cast<unsigned char*>(host.pools().code.allocate(16).value());
    code[0] = 0xB8; // mov eax, 42
    code[1] = 42;
    code[2] = code[3] = code[4] = 0;
    code[5] = 0xC3; // ret
    EXPECT_EQ(reinterpret_cast<int (*)()>(code)(), 42);
}

TEST(Pool, StatsTrackPeakAndCounts)
{
    DataPool pool(g_region, sizeof(g_region));
    void* a = pool.allocate(1000).value();
    void* b = pool.allocate(1000).value();
    size_t peak = pool.stats().used;
    pool.free(a);
    auto s = pool.stats();
    EXPECT_EQ(s.peak, peak);
    EXPECT_LT(s.used, peak);
    EXPECT_EQ(s.allocations, 2u);
    EXPECT_EQ(s.frees, 1u);
    EXPECT_EQ(s.free_blocks, 2u);
    pool.free(b);
}

// --- the guard checks: each broken invariant panics with a message ----------

using PoolDeathTest = ::testing::Test;

TEST(PoolDeathTest, DoubleFreePanics)
{
    DataPool pool(g_region, sizeof(g_region));
    void* a = pool.allocate(64).value();
    (void)pool.allocate(64).value(); // keeps a from merging away
    pool.free(a);
    EXPECT_DEATH(pool.free(a), "pool data: double free");
}

TEST(PoolDeathTest, DoubleFreeOfAMergedBlockPanics)
{
    CodePool pool(g_region, sizeof(g_region));
    void* a = pool.allocate(64).value();
    void* b = pool.allocate(64).value();
    pool.free(a);
    pool.free(b); // b merges into a; its header is int3 now
    EXPECT_DEATH(pool.free(b), "pool code: .*double free");
}

TEST(PoolDeathTest, FreeOutsideThePoolPanics)
{
    DataPool pool(g_region + 1024, 4096);
    EXPECT_DEATH(pool.free(g_region), "pool data: pointer outside the pool");
    EXPECT_DEATH(pool.free(g_region + 1024 + 8192), "outside the pool");
}

TEST(PoolDeathTest, MisalignedFreePanics)
{
    DataPool pool(g_region, sizeof(g_region));
    auto* a = static_cast<unsigned char*>(pool.allocate(64).value());
    EXPECT_DEATH(pool.free(a + 4), "not 16-byte aligned");
}

TEST(PoolDeathTest, FreeOfAnInteriorPointerPanics)
{
    DataPool pool(g_region, sizeof(g_region));
    auto* a = static_cast<unsigned char*>(pool.allocate(256).value());
    std::memset(a, 0, 256);
    EXPECT_DEATH(pool.free(a + 64), "not a live block");
}

TEST(PoolDeathTest, OverrunIntoTheNextHeaderIsCaughtAtFree)
{
    DataPool pool(g_region, sizeof(g_region));
    auto* a = static_cast<unsigned char*>(pool.allocate(64).value());
    (void)pool.allocate(64).value();
    std::memset(a, 0x41, 64 + 12); // writes over the next block's header
    EXPECT_DEATH(pool.free(a), "guard after the block was overwritten");
    EXPECT_DEATH(pool.check_consistency(), "consistency");
}

TEST(PoolDeathTest, UnsupportedAlignmentPanics)
{
    MetadataPool pool(g_region, sizeof(g_region));
    EXPECT_DEATH((void)pool.allocate(16, 64), "unsupported alignment");
    EXPECT_DEATH((void)pool.allocate(16, 24), "unsupported alignment");
}
