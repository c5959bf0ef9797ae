// `disk`: which disk the kernel booted from, how it reaches it (ATA PIO or
// the BIOS's INT 13h), and how fast that path reads, measured on demand by
// timing a 1 MiB read of the boot partition with the kernel clock. The
// other disks the kernel sees are listed as read-only.
#include <kernel/boot_info.h>
#include <kernel/drivers/ata.h>
#include <kernel/drivers/boot_disk.h>
#include <kernel/lib/kprintf.h>
#include <kernel/mm/heap.h>
#include <kernel/shell/command.h>
#include <kernel/time/clock.h>

namespace {

constexpr u32 MEASURE_BYTES = 1024 * 1024;
constexpr u32 CHUNK_SECTORS = 128; // 64 KiB per request, as a file read would ask

// Reads MEASURE_BYTES from the start of the boot partition; returns the
// nanoseconds it took.
ErrorOr<u64> time_read(fat16::BlockDevice& disk)
{
    u8* buffer = static_cast<u8*>(kmalloc(CHUNK_SECTORS * fat16::SECTOR_SIZE));
    if (!buffer)
        return Error::OutOfMemory;
    u32 sectors = MEASURE_BYTES / fat16::SECTOR_SIZE;
    if (sectors > boot_partition_sectors())
        sectors = boot_partition_sectors();
    u64 start = now_ns();
    ErrorOr<void> result {};
    for (u32 done = 0; done < sectors && !result.is_error(); done += CHUNK_SECTORS)
        result = disk.read_sectors(boot_partition_lba() + done, CHUNK_SECTORS, buffer);
    u64 elapsed = now_ns() - start;
    kfree(buffer);
    if (result.is_error())
        return result.error();
    return elapsed;
}

ErrorOr<void> cmd_disk(int argc, char**)
{
    if (argc != 1)
        return Error::BadArguments;
    const BootInfo& info = boot_info();
    auto device = boot_block_device();
    if (device.is_error()) {
        kprintf("boot disk: not found (signature %#010x, BIOS drive %#x); no volume, nothing is written\n",
                info.disk_signature, info.boot_drive);
    } else {
        fat16::BlockDevice& disk = *device.value();
        kprintf("boot disk: %s (signature %#010x, BIOS drive %#x), %llu sectors, %s\n", boot_disk_path(),
                info.disk_signature, info.boot_drive, disk.sector_count(),
                disk.is_read_only() ? "read-only" : "writable");
        kprintf("  FAT16 partition at LBA %u, %u sectors\n", boot_partition_lba(), boot_partition_sectors());
        u64 ns = TRY(time_read(disk));
        u64 us = ns / 1000 ? ns / 1000 : 1;
        u64 kib_per_s = u64(MEASURE_BYTES / 1024) * 1000000 / us;
        kprintf("  read %u KiB in %llu.%03llu ms: %llu KiB/s\n", MEASURE_BYTES / 1024, us / 1000, us % 1000,
                kib_per_s);
    }
    for (u32 i = 0; i < ATA_DEVICE_COUNT; ++i) {
        AtaPioDevice& other = ata_device(i);
        if (other.present() && (device.is_error() || device.value() != &other))
            kprintf("other disk: ata %s \"%s\", %llu MiB, read-only\n", other.name(), other.model(),
                    other.sector_count() / 2048);
    }
    return {};
}

} // namespace

SHELL_COMMAND("disk", "disk", "the boot disk, the path that reaches it (ATA or BIOS INT 13h) and its read speed",
              cmd_disk);
