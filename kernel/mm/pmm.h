// The physical memory manager: usable RAM from the boot loader's E820 map (or
// its E801 fallback), minus the kernel image and the boot data.
//
// Paging is off, so physical addresses are the kernel's addresses. Memory is
// handed out in regions that stay allocated for the life of the kernel (the
// heap's arenas, the JIT's code, data and metadata pools). Only RAM below
// 4 GiB is tracked: the kernel runs in 32-bit mode without PAE.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

struct BootInfo;

// A physical address range [base, end).
struct PhysicalRange {
    u64 base;
    u64 end;
};

// Builds the free-range list from the BootInfo's memory map, minus the
// `reserved` ranges (kernel_main passes the kernel image with its .bss, the
// image as loaded, and the loader's BootInfo). Called once by kernel_main.
// Panics when the BootInfo carries no memory map at all.
void pmm_init(const BootInfo& boot_info, const PhysicalRange* reserved, usize reserved_count);

// Carves `bytes` (rounded up to 16) at an address aligned to `align` (a power
// of two, at least 16) from the lowest free range that fits.
// Error::OutOfMemory when no range fits, Error::InvalidArgument for a zero
// size or a bad alignment.
ErrorOr<void*> pmm_alloc_region(usize bytes, usize align);

struct PmmStats {
    u64 usable_bytes;        // every usable byte the firmware reported (all of E820 type 1)
    u64 usable_above_1m;     // usable bytes at or above 1 MiB and below 4 GiB
    u64 reserved_for_kernel; // kernel image, .bss and boot data taken out at init
    u64 allocated_bytes;     // handed out by pmm_alloc_region (alignment padding included)
    u64 free_bytes;          // still available
    bool from_e820;          // false: the E801 fallback was used
};
PmmStats pmm_stats();

// Prints the memory map and the free ranges (the `mem -v` command).
void pmm_dump();
