// Mounting: the partition search (MBR types 0x04, 0x06, 0x0E, or a volume
// without a partition table), the BPB checks FatFs makes, the FAT type by
// cluster count alone (fatgen103 "FAT Type Determination"), and clean errors
// for garbage, truncated images and failing disks.
#include "fat_test_util.h"
#include "fat_tools.h"
#include "image_editor.h"
#include "test_devices.h"

#include <gtest/gtest.h>

#include <random>

using namespace fat16;
using namespace fat16::test;

namespace {

std::vector<u8> fresh_image(u32 kib = 4096, u32 spc = 1, u32 fats = 2, const std::string& type = "16")
{
    TempDir dir;
    std::string path = dir.file("disk.img");
    auto r = run_command("mkfs.fat -F " + type + " -C -s " + std::to_string(spc) + " -f " + std::to_string(fats)
        + " -n MOUNTTEST " + shell_quote(path) + " " + std::to_string(kib));
    EXPECT_EQ(r.status, 0) << r.output;
    write_text(dir.file("hello.txt"), "hello from the partition");
    if (type == "16") {
        EXPECT_EQ(mcopy_to_image(path, shell_quote(dir.file("hello.txt"))).status, 0);
    }
    return read_file(path);
}

Error mount_error(std::vector<u8> image)
{
    MemoryDevice device(std::move(image));
    Volume volume;
    auto r = volume.mount(device);
    return r.is_error() ? r.error() : Error::Ok;
}

// A disk with an MBR and one partition of `type` at `lba` holding `volume`.
std::vector<u8> partitioned(const std::vector<u8>& volume, u8 type, u32 lba = 2048, u8 status = 0x80)
{
    std::vector<u8> disk(size_t(lba) * 512 + volume.size() + 512 * 8, 0);
    auto& mbr = *reinterpret_cast<Mbr*>(disk.data());
    mbr.bootstrap[0] = 0xFA; // cli, like any boot code
    mbr.partitions[1] = { status, {}, type, {}, lba, u32(volume.size() / 512) };
    mbr.signature = BOOT_SIGNATURE;
    std::copy(volume.begin(), volume.end(), disk.begin() + long(lba) * 512);
    return disk;
}

TEST(Mount, PartitionlessVolume)
{
    MemoryDevice device(fresh_image());
    Volume volume;
    ASSERT_FALSE(volume.mount(device).is_error());
    EXPECT_STREQ(volume.info().label, "MOUNTTEST");
    EXPECT_EQ(volume.info().first_lba, 0u);
    auto data = read_whole(volume, "hello.txt");
    ASSERT_FALSE(data.is_error());
    EXPECT_EQ(std::string(data.value().begin(), data.value().end()), "hello from the partition");
}

TEST(Mount, FindsTheFat16PartitionOfEveryType)
{
    for (u8 type : { PARTITION_FAT16_SMALL, PARTITION_FAT16, PARTITION_FAT16_LBA }) {
        MemoryDevice device(partitioned(fresh_image(), type));
        Volume volume;
        auto r = volume.mount(device);
        ASSERT_FALSE(r.is_error()) << int(type) << ": " << error_name(r.error());
        EXPECT_EQ(volume.info().first_lba, 2048u);
        EXPECT_FALSE(read_whole(volume, "HELLO.TXT").is_error());
        // The partition is usable for writing, and only inside its bounds.
        ASSERT_FALSE(write_whole(volume, "NEW.TXT", { 1, 2, 3 }).is_error());
        ASSERT_FALSE(volume.unmount().is_error());
        for (size_t i = 0; i < 2048 * 512; ++i)
            ASSERT_TRUE(i < 512 || device.image()[i] == 0) << "wrote outside the partition";
    }
}

TEST(Mount, KnownPlaceFromTheBootLoader)
{
    MemoryDevice device(partitioned(fresh_image(), PARTITION_FAT16, 63));
    Volume volume;
    ASSERT_FALSE(volume.mount_at(device, 63, 4096 * 2).is_error());
    EXPECT_STREQ(volume.info().label, "MOUNTTEST");
    EXPECT_EQ(volume.mount_at(device, 63, 100).error(), Error::FsTruncatedVolume); // partition smaller than its BPB
    EXPECT_EQ(volume.mount_at(device, 62, 4096 * 2).error(), Error::FsBadBootSector);
}

TEST(Mount, NoFat16PartitionIsAClearError)
{
    EXPECT_EQ(mount_error(partitioned(fresh_image(), 0x83)), Error::FsNoPartition);
    EXPECT_EQ(mount_error(std::vector<u8>(1024 * 1024, 0)), Error::FsNoPartition);
    EXPECT_EQ(mount_error({}), Error::FsNoPartition);
}

TEST(Mount, Fat12AndFat32AreRejectedByClusterCount)
{
    EXPECT_EQ(mount_error(fresh_image(2048, 1, 2, "12")), Error::FsNotFat16);
    EXPECT_EQ(mount_error(fresh_image(40000, 1, 2, "32")), Error::FsNotFat16);
    // A BPB that says FAT16 in its type string but has FAT12's cluster count
    // is FAT12: the string is informational (fatgen103).
    auto image = fresh_image();
    ImageEditor edit(image);
    edit.boot().total_sectors_16 = 3000;
    edit.boot().total_sectors_32 = 0;
    EXPECT_EQ(mount_error(image), Error::FsNotFat16);
    // ... and the type string does not make a FAT16 volume anything else.
    image = fresh_image();
    std::memcpy(ImageEditor(image).boot().fs_type, "FAT32   ", 8);
    EXPECT_EQ(mount_error(image), Error::Ok);
}

TEST(Mount, BpbChecksFollowFatFs)
{
    struct Case {
        const char* what;
        void (*edit)(BootSector&);
    };
    Case cases[] = {
        { "sector size 1024", [](BootSector& b) { b.bytes_per_sector = 1024; } },
        { "sector size 0", [](BootSector& b) { b.bytes_per_sector = 0; } },
        { "three FATs", [](BootSector& b) { b.fat_count = 3; } },
        { "no FAT", [](BootSector& b) { b.fat_count = 0; } },
        { "3 sectors per cluster", [](BootSector& b) { b.sectors_per_cluster = 3; } },
        { "0 sectors per cluster", [](BootSector& b) { b.sectors_per_cluster = 0; } },
        { "root entries not whole sectors", [](BootSector& b) { b.root_entry_count = 500; } },
        { "no root entries", [](BootSector& b) { b.root_entry_count = 0; } },
        { "no reserved sectors", [](BootSector& b) { b.reserved_sectors = 0; } },
        { "FAT too small for the clusters", [](BootSector& b) { b.fat_size_16 = 8; } },
        { "no signature", [](BootSector& b) { b.signature = 0; } },
        { "no jump", [](BootSector& b) { b.jump[0] = 0; } },
        { "system area past the end", [](BootSector& b) { b.reserved_sectors = 0xFFFF; } },
    };
    for (auto const& c : cases) {
        auto image = fresh_image();
        c.edit(ImageEditor(image).boot());
        Error e = mount_error(image);
        EXPECT_TRUE(e == Error::FsBadBootSector || e == Error::FsNoPartition || e == Error::FsNotFat16) << c.what << ": "
                                                                                                        << error_name(e);
        EXPECT_NE(e, Error::Ok) << c.what;
    }
}

TEST(Mount, TruncatedImageIsRefused)
{
    auto image = fresh_image();
    image.resize(image.size() / 2);
    EXPECT_EQ(mount_error(image), Error::FsTruncatedVolume);
}

TEST(Mount, FailingDiskGivesIoErrors)
{
    MemoryDevice device(fresh_image());
    device.set_fail_reads(true);
    Volume volume;
    EXPECT_EQ(volume.mount(device).error(), Error::IoError);
    device.set_fail_reads(false);
    ASSERT_FALSE(volume.mount(device).is_error());
    device.set_fail_reads(true);
    EXPECT_EQ(read_whole(volume, "hello.txt").error(), Error::IoError);
    device.set_fail_reads(false);
    device.cut_power_after(0); // every write fails from now on
    EXPECT_EQ(write_whole(volume, "X.TXT", { 1 }).error(), Error::IoError);
    EXPECT_EQ(volume.mkdir("D").error(), Error::IoError);
}

TEST(Mount, GarbageNeverCrashes)
{
    std::mt19937 rng(99);
    auto pristine = fresh_image(4096);
    for (int round = 0; round < 300; ++round) {
        auto image = pristine;
        // Scribble over the first sectors (BPB, FATs, root) with noise.
        size_t span = 512 * (1 + rng() % 80);
        for (int i = 0; i < 200; ++i)
            image[rng() % span] = u8(rng());
        MemoryDevice device(image);
        Volume volume;
        if (volume.mount(device).is_error())
            continue;
        auto listing = list_directory(volume, "/");
        if (!listing.is_error())
            for (auto const& [name, entry] : listing.value())
                if (!entry.directory)
                    (void)read_whole(volume, name);
        (void)read_whole(volume, "hello.txt");
    }
    SUCCEED();
}

} // namespace
