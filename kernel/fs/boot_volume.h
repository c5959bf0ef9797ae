// The boot disk's FAT16 volume, mounted once at boot (KERNEL_INIT_FILESYSTEMS)
// and shared by the shell, the module loader and snapshots.
#pragma once

#include <bareflow/error_or.h>
#include <fs/fat16/volume.h>

// Mounts the boot disk's FAT16 partition on `volume`: the boot disk only
// (kernel/drivers/boot_disk.h), at the LBA the loader found. NoDevice when
// the boot disk was not found.
ErrorOr<void> mount_boot_partition(fat16::Volume& volume);

// The mounted volume, or FsNotMounted when the boot disk had none.
ErrorOr<fat16::Volume*> boot_volume();

// Makes every change durable and marks the volume cleanly shut down (the
// clean bit in FAT[1]); called by the file commands after each change, and
// fit for a power-off path.
ErrorOr<void> boot_volume_sync();

// Prints what the mount check (fs/fat16/mount_check.h) found: its cost, and
// for a volume it refused, that the volume is read-only, why, and that
// fsck.fat repairs it. Called after every mount of the boot volume.
void report_mount_check(const fat16::Volume& volume, u64 elapsed_ns);
