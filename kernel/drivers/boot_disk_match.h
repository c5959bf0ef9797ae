// Does this disk carry the boot disk's MBR? The one comparison the
// boot-disk finder (boot_disk.cpp) makes, kept free of hardware so the host
// tests (kernel/tests/boot_disk_match_test.cpp) run it on disk images in memory.
//
// The MBR fields compared (a classic MBR, as tools/mkimage.py writes it):
// bytes 440-443 the disk signature, 446-509 four 16-byte partition entries
// (type at +4, first LBA at +8), 510-511 the 55h AAh boot signature.
#pragma once

#include <bareflow/types.h>
#include <fs/fat16/block_device.h>

enum class MbrMatch {
    Match,             // the signature, and a FAT16 partition at the expected LBA
    Unreadable,        // sector 0 could not be read
    NoMbr,             // no 55h AAh at bytes 510-511
    OtherSignature,    // another disk
    NoSuchPartition,   // the signature matches, but no FAT16 entry starts at the LBA
};

// Reads sector 0 of `device` and compares it with what the loader saw.
// A zero `signature` never matches (zero means "none").
MbrMatch match_boot_mbr(fat16::BlockDevice& device, u32 signature, u32 partition_lba);
