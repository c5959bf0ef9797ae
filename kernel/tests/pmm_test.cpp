// The physical memory manager (kernel/mm/pmm.cpp), built hosted: which RAM
// it believes in for a given firmware map, and how it carves regions.
#include <kernel/boot_info.h>
#include <kernel/lib/kprintf.h>
#include <kernel/mm/pmm.h>

#include <gtest/gtest.h>
#include <cstdint>
#include <cstring>

// pmm_dump() prints; the tests do not look at it.
void kprintf(const char*, ...) { }

namespace {

constexpr u64 KiB = 1024, MiB = 1024 * KiB;

struct MapBuilder {
    BootInfo info {};
    MapBuilder()
    {
        info.magic = BOOT_INFO_MAGIC;
        info.version = 1;
        info.flags = BOOT_INFO_E820;
    }
    MapBuilder& add(u64 base, u64 length, u32 type, u32 attributes = 1)
    {
        info.e820[info.e820_count++] = { base, length, type, attributes };
        return *this;
    }
};

// QEMU's map for -m 32 (SeaBIOS), as the loader reports it.
MapBuilder qemu_32m()
{
    MapBuilder m;
    m.add(0, 0x9FC00, 1).add(0x9FC00, 0x400, 2).add(0xF0000, 0x10000, 2);
    m.add(0x100000, 32 * MiB - 0x100000 - 0x20000, 1).add(32 * MiB - 0x20000, 0x20000, 2);
    m.add(0xFFFC0000, 0x40000, 2);
    return m;
}

const PhysicalRange KERNEL[] = { { 0x100000, 0x180000 } }; // 512 KiB image + .bss

} // namespace

TEST(Pmm, CountsUsableRamLikeTheFirmwareMap)
{
    auto m = qemu_32m();
    pmm_init(m.info, KERNEL, 1);
    auto s = pmm_stats();
    EXPECT_TRUE(s.from_e820);
    EXPECT_EQ(s.usable_bytes, 0x9FC00 + 32 * MiB - 0x100000 - 0x20000);
    EXPECT_EQ(s.usable_above_1m, 32 * MiB - 0x100000 - 0x20000);
    EXPECT_EQ(s.reserved_for_kernel, 512 * KiB);
    EXPECT_EQ(s.free_bytes, s.usable_above_1m - 512 * KiB);
    EXPECT_EQ(s.allocated_bytes, 0u);
}

TEST(Pmm, AllocatesAlignedRegionsAboveTheKernelWithoutOverlap)
{
    auto m = qemu_32m();
    pmm_init(m.info, KERNEL, 1);
    auto a = pmm_alloc_region(100, 16);
    auto b = pmm_alloc_region(1 * MiB, 4096);
    auto c = pmm_alloc_region(64 * KiB, 64 * KiB);
    ASSERT_FALSE(a.is_error());
    ASSERT_FALSE(b.is_error());
    ASSERT_FALSE(c.is_error());
    auto pa = reinterpret_cast<uintptr_t>(a.value());
    auto pb = reinterpret_cast<uintptr_t>(b.value());
    auto pc = reinterpret_cast<uintptr_t>(c.value());
    EXPECT_EQ(pa, 0x180000u) << "the lowest free byte, right after the kernel";
    EXPECT_EQ(pb % 4096, 0u);
    EXPECT_EQ(pc % (64 * KiB), 0u);
    EXPECT_GE(pb, pa + 112); // 100 rounded up to 16
    EXPECT_GE(pc, pb + 1 * MiB);
    EXPECT_EQ(pmm_stats().allocated_bytes, 112 + 1 * MiB + 64 * KiB);
    // The alignment gap before b stayed free and is found by a small request.
    auto d = pmm_alloc_region(16, 16);
    ASSERT_FALSE(d.is_error());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(d.value()), pa + 112);
}

TEST(Pmm, OverlappingReservedEntriesWin)
{
    MapBuilder m;
    m.add(0x100000, 16 * MiB, 1);
    m.add(0x800000, 1 * MiB, 2); // a hole in the middle (e.g. an ISA memory hole)
    m.add(0x100000, 4 * MiB, 4); // ACPI NVS overlapping the start
    pmm_init(m.info, nullptr, 0);
    EXPECT_EQ(pmm_stats().free_bytes, 16 * MiB - 1 * MiB - 4 * MiB);
    auto r = pmm_alloc_region(1, 16);
    ASSERT_FALSE(r.is_error());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(r.value()), 0x500000u);
}

TEST(Pmm, IgnoresEntriesWithoutTheValidBitAndRamAbove4GiB)
{
    MapBuilder m;
    m.add(0x100000, 8 * MiB, 1);
    m.add(0x2000000, 8 * MiB, 1, 0);              // ACPI 3.0: bit 0 clear = ignore
    m.add(0xFFF00000ull, 2 * MiB, 1);             // straddles 4 GiB: only 1 MiB counts
    m.add(0x100000000ull, 1024 * MiB, 1);         // above 4 GiB: out of reach without PAE
    pmm_init(m.info, nullptr, 0);
    auto s = pmm_stats();
    EXPECT_EQ(s.usable_above_1m, 8 * MiB + 1 * MiB);
    EXPECT_EQ(s.free_bytes, 8 * MiB + 1 * MiB);
}

TEST(Pmm, FallsBackToE801)
{
    BootInfo info {};
    info.flags = BOOT_INFO_E801;
    info.mem_lower_kb = 15 * 1024; // 1..16 MiB
    info.mem_upper_kb = 48 * 1024; // 16..64 MiB
    pmm_init(info, KERNEL, 1);
    auto s = pmm_stats();
    EXPECT_FALSE(s.from_e820);
    EXPECT_EQ(s.usable_above_1m, 63 * MiB);
    EXPECT_EQ(s.free_bytes, 63 * MiB - 512 * KiB);
}

TEST(Pmm, RefusesBadRequestsAndReportsExhaustion)
{
    auto m = qemu_32m();
    pmm_init(m.info, KERNEL, 1);
    EXPECT_EQ(pmm_alloc_region(0, 16).error(), Error::InvalidArgument);
    EXPECT_EQ(pmm_alloc_region(64, 24).error(), Error::InvalidArgument); // not a power of two
    EXPECT_EQ(pmm_alloc_region(64, 8).error(), Error::InvalidArgument);  // below 16
    EXPECT_EQ(pmm_alloc_region(64 * MiB, 16).error(), Error::OutOfMemory);
    auto before = pmm_stats().free_bytes;
    auto all = pmm_alloc_region(static_cast<usize>(before), 16);
    ASSERT_FALSE(all.is_error());
    EXPECT_EQ(pmm_stats().free_bytes, 0u);
    EXPECT_EQ(pmm_alloc_region(16, 16).error(), Error::OutOfMemory);
}

TEST(Pmm, PanicsWithoutAnyMemoryMap)
{
    BootInfo info {};
    EXPECT_DEATH(pmm_init(info, nullptr, 0), "no memory map");
}
