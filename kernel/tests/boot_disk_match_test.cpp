// The boot disk's MBR comparison (kernel/drivers/boot_disk_match.cpp): only
// the disk with the loader's signature and partition is the boot disk.
#include <kernel/drivers/boot_disk_match.h>

#include <gtest/gtest.h>
#include <cstring>

namespace {

constexpr u32 SIGNATURE = 0x1234ABCD;
constexpr u32 PARTITION_LBA = 2048;

// One sector of MBR in memory, shaped as tools/mkimage.py writes it.
class MbrDisk final : public fat16::BlockDevice {
public:
    MbrDisk()
    {
        std::memset(m_mbr, 0, sizeof(m_mbr));
        set_signature(SIGNATURE);
        set_partition(0, 0x06, PARTITION_LBA);
        m_mbr[510] = 0x55;
        m_mbr[511] = 0xAA;
    }
    void set_signature(u32 value) { std::memcpy(m_mbr + 440, &value, 4); }
    void set_partition(u32 index, u8 type, u32 lba)
    {
        m_mbr[446 + 16 * index + 4] = type;
        std::memcpy(m_mbr + 446 + 16 * index + 8, &lba, 4);
    }
    u8* bytes() { return m_mbr; }
    bool fail_reads { false };

    ErrorOr<void> read_sectors(u32 lba, u32 count, u8* buffer) override
    {
        if (fail_reads)
            return Error::IoError;
        if (lba != 0 || count != 1)
            return Error::OutOfRange;
        std::memcpy(buffer, m_mbr, sizeof(m_mbr));
        return {};
    }
    ErrorOr<void> write_sectors(u32, u32, const u8*) override
    {
        ADD_FAILURE() << "the matcher must never write";
        return Error::ReadOnlyMedia;
    }
    ErrorOr<void> flush() override { return {}; }
    u64 sector_count() const override { return 1; }
    bool is_read_only() const override { return true; }

private:
    u8 m_mbr[512];
};

} // namespace

TEST(BootDiskMatch, TheLoadersSignatureAndPartitionMatch)
{
    MbrDisk disk;
    EXPECT_EQ(match_boot_mbr(disk, SIGNATURE, PARTITION_LBA), MbrMatch::Match);
}

TEST(BootDiskMatch, AnyOfTheFourEntriesAndEveryFat16TypeCount)
{
    for (u8 type : { 0x04, 0x06, 0x0E }) {
        MbrDisk disk;
        disk.set_partition(0, 0x83, 63);
        disk.set_partition(3, type, PARTITION_LBA);
        EXPECT_EQ(match_boot_mbr(disk, SIGNATURE, PARTITION_LBA), MbrMatch::Match) << int(type);
    }
}

TEST(BootDiskMatch, AnotherSignatureIsAnotherDisk)
{
    MbrDisk disk;
    disk.set_signature(0x55534552);
    EXPECT_EQ(match_boot_mbr(disk, SIGNATURE, PARTITION_LBA), MbrMatch::OtherSignature);
}

TEST(BootDiskMatch, ZeroNeverMatchesEvenAZeroSignature)
{
    MbrDisk disk;
    disk.set_signature(0);
    EXPECT_EQ(match_boot_mbr(disk, 0, PARTITION_LBA), MbrMatch::OtherSignature);
}

TEST(BootDiskMatch, TheSignatureWithoutThePartitionIsNotEnough)
{
    MbrDisk moved;
    moved.set_partition(0, 0x06, PARTITION_LBA + 1);
    EXPECT_EQ(match_boot_mbr(moved, SIGNATURE, PARTITION_LBA), MbrMatch::NoSuchPartition);
    MbrDisk not_fat;
    not_fat.set_partition(0, 0x0B, PARTITION_LBA); // FAT32 at the right place
    EXPECT_EQ(match_boot_mbr(not_fat, SIGNATURE, PARTITION_LBA), MbrMatch::NoSuchPartition);
}

TEST(BootDiskMatch, NoBootSignatureIsNoMbr)
{
    MbrDisk disk;
    disk.bytes()[511] = 0;
    EXPECT_EQ(match_boot_mbr(disk, SIGNATURE, PARTITION_LBA), MbrMatch::NoMbr);
}

TEST(BootDiskMatch, AnUnreadableDiskIsNotTheBootDisk)
{
    MbrDisk disk;
    disk.fail_reads = true;
    EXPECT_EQ(match_boot_mbr(disk, SIGNATURE, PARTITION_LBA), MbrMatch::Unreadable);
}
