// The MBR comparison behind the boot-disk finder (see boot_disk_match.h).
#include <kernel/drivers/boot_disk_match.h>

namespace {

constexpr u32 MBR_DISK_SIGNATURE = 440;
constexpr u32 MBR_PARTITIONS = 446;
constexpr u32 MBR_PARTITION_SIZE = 16;
constexpr u32 MBR_PARTITION_COUNT = 4;
constexpr u32 MBR_BOOT_SIGNATURE = 510;

u32 read_u32(const u8* bytes)
{
    return u32(bytes[0]) | (u32(bytes[1]) << 8) | (u32(bytes[2]) << 16) | (u32(bytes[3]) << 24);
}

// The FAT16 partition types stage2 accepts (boot/stage2.asm find_fat_partition).
bool is_fat16_type(u8 type) { return type == 0x04 || type == 0x06 || type == 0x0E; }

} // namespace

MbrMatch match_boot_mbr(fat16::BlockDevice& device, u32 signature, u32 partition_lba)
{
    u8 mbr[fat16::SECTOR_SIZE];
    if (device.read_sectors(0, 1, mbr).is_error())
        return MbrMatch::Unreadable;
    if (mbr[MBR_BOOT_SIGNATURE] != 0x55 || mbr[MBR_BOOT_SIGNATURE + 1] != 0xAA)
        return MbrMatch::NoMbr;
    if (signature == 0 || read_u32(mbr + MBR_DISK_SIGNATURE) != signature)
        return MbrMatch::OtherSignature;
    for (u32 i = 0; i < MBR_PARTITION_COUNT; ++i) {
        const u8* entry = mbr + MBR_PARTITIONS + i * MBR_PARTITION_SIZE;
        if (is_fat16_type(entry[4]) && read_u32(entry + 8) == partition_lba)
            return MbrMatch::Match;
    }
    return MbrMatch::NoSuchPartition;
}
