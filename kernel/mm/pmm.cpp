// Physical memory: a sorted list of free ranges built from the boot loader's
// memory map, then carved by pmm_alloc_region().
//
// Construction (ACPI 6.x, section 15 "System Address Map Interfaces"):
//   1. every E820 type-1 (usable) entry with its valid bit set, clipped to
//      [1 MiB, 4 GiB), is added;
//   2. every other entry is removed again, so overlapping entries resolve to
//      "not usable" (firmware maps do overlap);
//   3. the reserved ranges kernel_main names (the kernel image with its
//      .bss, everything the loader loaded with it, the BootInfo) are removed.
// Memory below 1 MiB is left alone: it holds the IVT, BIOS data, the boot
// loader and the VGA window.
#include <bareflow/panic.h>
#include <kernel/boot_info.h>
#include <kernel/lib/kprintf.h>
#include <kernel/mm/pmm.h>

namespace {

using Range = PhysicalRange;

constexpr usize MAX_RANGES = 128;
constexpr u64 ONE_MIB = 1ull << 20;
constexpr u64 FOUR_GIB = 1ull << 32;

Range s_free[MAX_RANGES];
usize s_count;
PmmStats s_stats;
const BootInfo* s_boot_info;

void insert_range(u64 base, u64 end)
{
    if (base >= end)
        return;
    if (s_count == MAX_RANGES)
        panic("pmm: too many memory ranges");
    usize i = s_count;
    while (i > 0 && s_free[i - 1].base > base) {
        s_free[i] = s_free[i - 1];
        --i;
    }
    s_free[i] = { base, end };
    ++s_count;
    // Merge neighbours that touch or overlap.
    usize out = 0;
    for (usize j = 0; j < s_count; ++j) {
        if (out > 0 && s_free[j].base <= s_free[out - 1].end) {
            if (s_free[j].end > s_free[out - 1].end)
                s_free[out - 1].end = s_free[j].end;
        } else {
            s_free[out++] = s_free[j];
        }
    }
    s_count = out;
}

void remove_range(u64 base, u64 end)
{
    Range kept[MAX_RANGES + 1];
    usize n = 0;
    for (usize i = 0; i < s_count; ++i) {
        Range r = s_free[i];
        if (r.end <= base || r.base >= end) {
            kept[n++] = r;
            continue;
        }
        if (r.base < base)
            kept[n++] = { r.base, base };
        if (r.end > end)
            kept[n++] = { end, r.end };
    }
    if (n > MAX_RANGES)
        panic("pmm: too many memory ranges");
    for (usize i = 0; i < n; ++i)
        s_free[i] = kept[i];
    s_count = n;
}

void add_clipped(u64 base, u64 length)
{
    u64 end = base + length;
    if (base < ONE_MIB)
        base = ONE_MIB;
    if (end > FOUR_GIB)
        end = FOUR_GIB;
    if (base < end) {
        s_stats.usable_above_1m += end - base;
        insert_range(base, end);
    }
}

u64 total_free()
{
    u64 sum = 0;
    for (usize i = 0; i < s_count; ++i)
        sum += s_free[i].end - s_free[i].base;
    return sum;
}

bool entry_valid(const E820Entry& e) { return e.extended_attributes & 1; }

} // namespace

void pmm_init(const BootInfo& boot_info, const PhysicalRange* reserved, usize reserved_count)
{
    s_boot_info = &boot_info;
    s_count = 0;
    s_stats = {};
    if ((boot_info.flags & BOOT_INFO_E820) && boot_info.e820_count > 0) {
        s_stats.from_e820 = true;
        u32 count = boot_info.e820_count < BOOT_INFO_MAX_E820 ? boot_info.e820_count : BOOT_INFO_MAX_E820;
        for (u32 i = 0; i < count; ++i) {
            const auto& e = boot_info.e820[i];
            if (e.type == 1 && entry_valid(e)) {
                s_stats.usable_bytes += e.length;
                add_clipped(e.base, e.length);
            }
        }
        for (u32 i = 0; i < count; ++i) {
            const auto& e = boot_info.e820[i];
            if (e.type != 1 && entry_valid(e))
                remove_range(e.base, e.base + e.length);
        }
    } else if (boot_info.flags & BOOT_INFO_E801) {
        // E801h: AX/CX = KiB between 1 and 16 MiB, BX/DX = 64 KiB blocks above
        // 16 MiB (the boot loader already converted them to KiB).
        u64 low = static_cast<u64>(boot_info.mem_lower_kb) * 1024;
        u64 high = static_cast<u64>(boot_info.mem_upper_kb) * 1024;
        s_stats.usable_bytes = low + high + 640 * 1024;
        add_clipped(ONE_MIB, low);
        add_clipped(16 * ONE_MIB, high);
    } else {
        panic("pmm: the boot loader passed no memory map (neither E820 nor E801)");
    }

    u64 before = total_free();
    for (usize i = 0; i < reserved_count; ++i)
        remove_range(reserved[i].base, reserved[i].end);
    s_stats.reserved_for_kernel = before - total_free();
    s_stats.free_bytes = total_free();
}

ErrorOr<void*> pmm_alloc_region(usize bytes, usize align)
{
    if (bytes == 0 || align < 16 || (align & (align - 1)) != 0)
        return Error::InvalidArgument;
    u64 size = (static_cast<u64>(bytes) + 15) & ~15ull;
    for (usize i = 0; i < s_count; ++i) {
        u64 base = (s_free[i].base + align - 1) & ~static_cast<u64>(align - 1);
        if (base + size <= s_free[i].end) {
            // The alignment gap stays free; only [base, base + size) is taken.
            remove_range(base, base + size);
            s_stats.allocated_bytes += size;
            s_stats.free_bytes = total_free();
            return reinterpret_cast<void*>(static_cast<uptr>(base));
        }
    }
    return Error::OutOfMemory;
}

PmmStats pmm_stats() { return s_stats; }

void pmm_dump()
{
    static const char* const type_names[] = { "?", "usable", "reserved", "ACPI reclaimable", "ACPI NVS", "bad" };
    if (s_stats.from_e820) {
        kprintf("E820 map (%u entries):\n", s_boot_info->e820_count);
        for (u32 i = 0; i < s_boot_info->e820_count && i < BOOT_INFO_MAX_E820; ++i) {
            const auto& e = s_boot_info->e820[i];
            kprintf("  %016llx-%016llx %s%s\n", e.base, e.base + e.length - 1,
                    e.type < 6 ? type_names[e.type] : "other", entry_valid(e) ? "" : " (ignored)");
        }
    } else {
        kprintf("E801: %u KiB at 1 MiB, %u KiB at 16 MiB\n", s_boot_info->mem_lower_kb, s_boot_info->mem_upper_kb);
    }
    kprintf("free ranges:\n");
    for (usize i = 0; i < s_count; ++i)
        kprintf("  %08llx-%08llx %llu KiB\n", s_free[i].base, s_free[i].end - 1,
                (s_free[i].end - s_free[i].base) / 1024);
}
