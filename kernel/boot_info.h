// The contract between the boot loader (boot/stage2.asm) and the kernel.
//
// Kernel image: build/kernel/kernel.bin is a flat binary linked at
// KERNEL_LOAD_ADDRESS (1 MiB). It starts with a KernelHeader. tools/mkimage.py
// fills image_size and checksum when it writes the kernel to the disk image;
// stage2 checks magic, size and checksum before it jumps.
//
// Hand-over: stage2 jumps to KernelHeader::entry in 32-bit protected mode with
// a flat GDT (CS = 0x08 code, DS = ES = FS = GS = SS = 0x10 data, base 0,
// limit 4 GiB), interrupts disabled, paging off, and
//   EAX = BOOT_INFO_MAGIC, EBX = physical address of the BootInfo.
// The kernel sets up its own stack, GDT and IDT.
//
// Both structures are mirrored in boot/stage2.asm; offsets are asserted here.
#pragma once

#include <bareflow/types.h>

constexpr u32 KERNEL_LOAD_ADDRESS = 0x00100000;
constexpr u32 KERNEL_HEADER_MAGIC = 0x4E4B4642; // "BFKN"
constexpr u32 BOOT_INFO_MAGIC = 0x49424642;     // "BFBI"
constexpr u32 BOOT_INFO_MAX_E820 = 64;

struct [[gnu::packed]] KernelHeader {
    u32 magic;       // KERNEL_HEADER_MAGIC
    u32 version;     // 1
    u32 header_size; // sizeof(KernelHeader)
    u32 image_size;  // bytes of kernel.bin, header included (set by mkimage.py)
    u32 checksum;    // CRC-32 (IEEE, as zlib.crc32) of kernel.bin with this field zero (set by mkimage.py)
    u32 entry;       // physical address of the 32-bit entry point
    u32 bss_end;     // first byte after .bss; the kernel clears [image end, bss_end)
    u32 reserved;
};
static_assert(sizeof(KernelHeader) == 32);

// One BIOS E820 entry, always stored as 24 bytes (a 20-byte reply gets
// extended_attributes = 1).
struct [[gnu::packed]] E820Entry {
    u64 base;
    u64 length;
    u32 type;                // 1 usable, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS, 5 bad
    u32 extended_attributes; // bit 0: entry valid (ACPI 3.0)
};
static_assert(sizeof(E820Entry) == 24);

enum BootInfoFlags : u32 {
    BOOT_INFO_E820 = 1u << 0, // e820[] holds e820_count entries
    BOOT_INFO_E801 = 1u << 1, // E820 failed; mem_lower_kb/mem_upper_kb came from E801h
};

struct [[gnu::packed]] BootInfo {
    u32 magic;             // BOOT_INFO_MAGIC
    u32 version;           // BOOT_INFO_VERSION
    u32 flags;             // BootInfoFlags
    u32 boot_drive;        // BIOS drive number (DL at boot)
    u32 kernel_address;    // where the kernel image was loaded
    u32 kernel_size;       // its size in bytes
    u32 fat_lba;           // first sector of the FAT16 partition stage2 found in the boot disk's MBR
    u32 fat_sectors;       // its size in sectors
    u32 a20_method;        // 0 already on, 1 BIOS 2401h, 2 keyboard controller, 3 port 0x92
    u32 mem_lower_kb;      // E801: KiB between 1 MiB and 16 MiB
    u32 mem_upper_kb;      // E801: 64 KiB blocks above 16 MiB, times 64 (in KiB)
    u32 e820_count;        // valid entries in e820[]
    u32 disk_signature;    // MBR bytes 440-443 of the boot disk (version 2); the kernel
                           // mounts only the disk whose MBR carries it
    E820Entry e820[BOOT_INFO_MAX_E820];
};
static_assert(sizeof(BootInfo) == 52 + 24 * BOOT_INFO_MAX_E820);
static_assert(__builtin_offsetof(BootInfo, disk_signature) == 48);
static_assert(__builtin_offsetof(BootInfo, e820) == 52);

// Version 2 added disk_signature; the kernel refuses any other version.
constexpr u32 BOOT_INFO_VERSION = 2;

// The kernel's copy of the loader's BootInfo (kernel/main.cpp keeps it; the
// loader's own lies in low memory that the BIOS thunk reuses).
const BootInfo& boot_info();
