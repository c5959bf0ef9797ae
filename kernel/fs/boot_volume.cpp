// Mounts the boot disk's FAT16 partition (see boot_volume.h).
//
// The disk is the one kernel/drivers/boot_disk.cpp identified by the MBR
// signature the loader handed over, and the partition the one the loader
// found there (BootInfo.fat_lba / fat_sectors): no other device ever reaches
// the FAT16 driver. The boot log shows the label, the size and the free
// space, which is also the first proof that the disk reads correctly. The
// mount checks the volume first (fs/fat16/mount_check.h); a damaged volume is
// mounted read-only, and the log says why and how to repair it.
#include <kernel/drivers/boot_disk.h>
#include <kernel/fs/boot_volume.h>
#include <kernel/init.h>
#include <kernel/lib/kprintf.h>
#include <kernel/time/clock.h>

namespace {

// Caches and the two cluster bitmaps (about 25 KiB), in .bss. There is no real-time clock driver
// yet, so changes carry the driver's default date (fat16::Volume::set_clock).
fat16::Volume s_volume;

} // namespace

ErrorOr<fat16::Volume*> boot_volume()
{
    if (!s_volume.is_mounted())
        return Error::FsNotMounted;
    return &s_volume;
}

ErrorOr<void> boot_volume_sync()
{
    fat16::Volume* volume = TRY(boot_volume());
    return volume->sync();
}

ErrorOr<void> mount_boot_partition(fat16::Volume& volume)
{
    fat16::BlockDevice* disk = TRY(boot_block_device());
    return volume.mount_at(*disk, boot_partition_lba(), boot_partition_sectors());
}

void report_mount_check(const fat16::Volume& volume, u64 elapsed_ns)
{
    auto const& report = volume.mount_report();
    if (!report.checked)
        return;
    if (!report.ok()) {
        char reason[fat16::MOUNT_PROBLEM_TEXT_MAX];
        fat16::format_mount_problem(report, reason, sizeof(reason));
        kprintf("fat16: volume mounted read-only: %s; repair with fsck.fat -a\n", reason);
        kprintf("fat16: files can be read; nothing will be written to this volume (boot count, snapshots, write, rm)\n");
        return;
    }
    kprintf("fat16: mount check passed: %u entries, %u sector reads, %u us\n", report.files, report.sector_reads,
            static_cast<u32>(elapsed_ns / 1000));
    if (report.lost_clusters)
        kprintf("fat16: %u lost cluster%s (left by an interrupted write; kept, never reused; fsck.fat -a reclaims them)\n",
                report.lost_clusters, report.lost_clusters == 1 ? "" : "s");
    if (report.fats_differ_at != 0xFFFFFFFFu)
        kprintf("fat16: FAT copies differ from sector %u; the first copy passed the check and is used\n",
                report.fats_differ_at);
}

static ErrorOr<void> mount_boot_volume()
{
    u64 start = now_ns();
    TRY(mount_boot_partition(s_volume));
    u64 elapsed = now_ns() - start;
    auto info = s_volume.info();
    u32 free_clusters = TRY(s_volume.free_clusters());
    u64 total = u64(info.cluster_count) * info.bytes_per_cluster;
    u64 free_bytes = u64(free_clusters) * info.bytes_per_cluster;
    kprintf("fat16: volume \"%s\" at LBA %u: %llu KiB, %llu KiB free (%u-byte clusters, %u FAT%s)\n",
            info.label[0] ? info.label : "NO NAME", info.first_lba, total / 1024, free_bytes / 1024,
            info.bytes_per_cluster, info.fat_count, info.fat_count == 1 ? "" : "s");
    report_mount_check(s_volume, elapsed);
    return {};
}
KERNEL_INIT(KERNEL_INIT_FILESYSTEMS, "fat16-mount", mount_boot_volume);
