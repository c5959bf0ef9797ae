// The boot disk: the one disk the kernel may write.
//
// The loader hands over the MBR disk signature of the disk it booted from
// (BootInfo.disk_signature) and the FAT16 partition it found there
// (BootInfo.fat_lba). At boot (KERNEL_INIT_DEVICES + 50) every disk the kernel
// can reach is read for its MBR; the one that carries that signature, with
// a partition starting at that LBA, becomes the boot disk. It is the only
// device made writable and the only one ever handed to the FAT16 driver;
// every other disk stays read-only, so a data disk in the same machine is
// never touched. When no reachable disk matches, the kernel says so and
// runs without a volume.
//
// Paths, tried in this order: ATA PIO on the four legacy IDE positions
// (kernel/drivers/ata.h), then the BIOS's INT 13h for the boot drive number
// (kernel/drivers/bios_disk.h), which reaches USB sticks, AHCI and NVMe
// disks through the firmware's own drivers.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <fs/fat16/block_device.h>

// The boot disk's device, or NoDevice when it was not found.
ErrorOr<fat16::BlockDevice*> boot_block_device();

// How the boot disk is reached, for people: "ata primary master",
// "bios int13h drive 0x80", or "none".
const char* boot_disk_path();

// The FAT16 partition the loader found on the boot disk (BootInfo).
u32 boot_partition_lba();
u32 boot_partition_sectors();
