// Files and directories written by the driver are read back identically by
// mtools, and fsck.fat -n -V finds the image clean; the clean-shutdown bit
// and read-only media behave as fatgen103 and the issue say.
#include "fat_test_util.h"
#include "fat_tools.h"
#include "test_devices.h"

#include <gtest/gtest.h>

using namespace fat16;
using namespace fat16::test;

namespace {

class Write : public ::testing::TestWithParam<std::tuple<u32, u32>> {
protected:
    void SetUp() override
    {
        auto [spc, fats] = GetParam();
        image = dir.file("disk.img");
        auto mk = make_fat16_image(image, spc == 1 ? 4096 : 20480, spc, fats);
        ASSERT_EQ(mk.status, 0) << mk.output;
        ASSERT_TRUE(device.open(image));
        ASSERT_FALSE(volume.mount(device).is_error());
    }
    void unmount_and_check()
    {
        ASSERT_FALSE(volume.unmount().is_error());
        device.close();
        auto report = fsck_image(image);
        EXPECT_TRUE(report.clean) << report.output;
    }
    std::string mtype_text(const std::string& path) { return mtype(image, path).output; }
    std::vector<u8> mcopy_bytes(const std::string& path)
    {
        std::string out = dir.file("out.bin");
        auto r = mcopy_from_image(image, path, out);
        EXPECT_EQ(r.status, 0) << r.output;
        return read_file(out);
    }

    TempDir dir;
    std::string image;
    ImageFileDevice device;
    Volume volume;
};

TEST_P(Write, FilesWrittenByTheDriverReadBackThroughMtools)
{
    u32 cluster = volume.info().bytes_per_cluster;
    std::map<std::string, std::vector<u8>> files {
        { "EMPTY.TXT", {} },
        { "HELLO.TXT", { 'h', 'i', '\n' } },
        { "SECTOR.BIN", pattern_bytes(512, 1) },
        { "CLUSTER.BIN", pattern_bytes(cluster, 2) },
        { "CLUST1.BIN", pattern_bytes(cluster + 1, 3) },
        { "BIG.DAT", pattern_bytes(700 * 1024 + 5, 4) },
        { "notes.txt", pattern_bytes(999, 5) },
    };
    for (auto const& [name, content] : files)
        ASSERT_FALSE(write_whole(volume, name, content).is_error()) << name;
    ASSERT_FALSE(volume.mkdir("SUB").is_error());
    ASSERT_FALSE(volume.mkdir("SUB/DEEP").is_error());
    files["SUB/DEEP/IN.TXT"] = pattern_bytes(3000, 6);
    ASSERT_FALSE(write_whole(volume, "SUB/DEEP/IN.TXT", files["SUB/DEEP/IN.TXT"]).is_error());
    // A subdirectory that has to grow over several clusters.
    for (int i = 0; i < 40; ++i) {
        std::string name = "SUB/F" + std::to_string(i) + ".TXT";
        files[name] = pattern_bytes(size_t(i) * 11, 100 + u32(i));
        ASSERT_FALSE(write_whole(volume, name, files[name]).is_error()) << name;
    }
    unmount_and_check();
    for (auto const& [name, content] : files)
        EXPECT_EQ(mcopy_bytes(name), content) << name;
    EXPECT_EQ(mtype_text("HELLO.TXT"), "hi\n");
    // mtools sees the NT lowercase flag as a lowercase name.
    auto dir_listing = run_command("mdir -b -i " + shell_quote(image) + " ::/");
    EXPECT_NE(dir_listing.output.find("notes.txt"), std::string::npos) << dir_listing.output;
}

TEST_P(Write, AppendOverwriteTruncateRenameDeleteAreSeenByMtools)
{
    auto a = pattern_bytes(5000, 7);
    ASSERT_FALSE(write_whole(volume, "A.BIN", a).is_error());
    File f;
    ASSERT_FALSE(volume.open("A.BIN", f, OPEN_WRITE).is_error());
    auto more = pattern_bytes(9000, 8);
    ASSERT_FALSE(volume.seek(f, 5000).is_error());
    ASSERT_EQ(volume.write(f, more.data(), u32(more.size())).value(), 9000u);
    a.insert(a.end(), more.begin(), more.end());
    // Overwrite across a sector boundary in the middle.
    ASSERT_FALSE(volume.seek(f, 1000).is_error());
    std::vector<u8> patch(700, 0xAB);
    ASSERT_EQ(volume.write(f, patch.data(), 700).value(), 700u);
    std::copy(patch.begin(), patch.end(), a.begin() + 1000);
    ASSERT_FALSE(volume.truncate(f, 6001).is_error());
    a.resize(6001);
    // Writing past the end leaves a zero-filled gap.
    ASSERT_FALSE(volume.seek(f, 8000).is_error());
    ASSERT_EQ(volume.write(f, "END", 3).value(), 3u);
    a.resize(8000, 0);
    a.insert(a.end(), { 'E', 'N', 'D' });

    ASSERT_FALSE(write_whole(volume, "GONE.TXT", pattern_bytes(4000, 9)).is_error());
    ASSERT_FALSE(volume.remove("gone.txt").is_error());
    ASSERT_FALSE(write_whole(volume, "OLD.TXT", { 'o' }).is_error());
    ASSERT_FALSE(volume.rename("OLD.TXT", "new.txt").is_error());
    ASSERT_FALSE(volume.mkdir("D").is_error());
    ASSERT_FALSE(volume.rename("new.txt", "D/MOVED.TXT").is_error());
    ASSERT_FALSE(volume.mkdir("EMPTYDIR").is_error());
    ASSERT_FALSE(volume.rmdir("EMPTYDIR").is_error());
    ASSERT_FALSE(write_whole(volume, "KEEP.CFG", { '1' }).is_error());
    ASSERT_FALSE(volume.replace_file("KEEP.CFG", "second", 6).is_error());
    unmount_and_check();

    EXPECT_EQ(mcopy_bytes("A.BIN"), a);
    EXPECT_EQ(mtype_text("D/MOVED.TXT"), "o");
    EXPECT_EQ(mtype_text("KEEP.CFG"), "second");
    EXPECT_NE(mtype(image, "GONE.TXT").status, 0);
    EXPECT_NE(mtype(image, "KEEP.NEW").status, 0);
    EXPECT_NE(run_command("mdir -i " + shell_quote(image) + " ::/EMPTYDIR").status, 0);
}

INSTANTIATE_TEST_SUITE_P(Geometries, Write, ::testing::Values(std::tuple { 1u, 2u }, std::tuple { 4u, 1u }),
    [](const auto& info) {
        return "spc" + std::to_string(std::get<0>(info.param)) + "_fats" + std::to_string(std::get<1>(info.param));
    });

// fatgen103 "FAT Data Structure": FAT[1] bit 15 set means "clean shutdown".
static u16 fat1(const std::vector<u8>& image, u32 copy)
{
    auto const& bs = *reinterpret_cast<const BootSector*>(image.data());
    size_t at = (size_t(bs.reserved_sectors) + size_t(copy) * bs.fat_size_16) * 512 + 2;
    return u16(image[at] | image[at + 1] << 8);
}

TEST(CleanShutdownBit, ClearedByTheFirstWriteAndSetBySync)
{
    TempDir dir;
    std::string image = dir.file("disk.img");
    ASSERT_EQ(make_fat16_image(image, 4096, 1, 2).status, 0);
    MemoryDevice device(read_file(image));
    ASSERT_EQ(fat1(device.image(), 0) & FAT1_CLEAN_SHUTDOWN, FAT1_CLEAN_SHUTDOWN);
    Volume volume;
    ASSERT_FALSE(volume.mount(device).is_error());
    EXPECT_EQ(device.writes(), 0u) << "mounting must not write";
    ASSERT_FALSE(write_whole(volume, "X.TXT", { 'x' }).is_error());
    EXPECT_EQ(fat1(device.image(), 0) & FAT1_CLEAN_SHUTDOWN, 0);
    EXPECT_EQ(fat1(device.image(), 1) & FAT1_CLEAN_SHUTDOWN, 0);
    ASSERT_FALSE(volume.sync().is_error());
    EXPECT_EQ(fat1(device.image(), 0) & FAT1_CLEAN_SHUTDOWN, FAT1_CLEAN_SHUTDOWN);
    EXPECT_EQ(fat1(device.image(), 1) & FAT1_CLEAN_SHUTDOWN, FAT1_CLEAN_SHUTDOWN);
    ASSERT_FALSE(volume.mkdir("D").is_error());
    EXPECT_EQ(fat1(device.image(), 0) & FAT1_CLEAN_SHUTDOWN, 0);
    ASSERT_FALSE(volume.unmount().is_error());
    EXPECT_EQ(fat1(device.image(), 0) & FAT1_CLEAN_SHUTDOWN, FAT1_CLEAN_SHUTDOWN);
}

TEST(ReadOnlyMedia, EveryChangeIsRefusedAndReadsStillWork)
{
    TempDir dir;
    std::string image = dir.file("disk.img");
    ASSERT_EQ(make_fat16_image(image, 4096, 1, 2).status, 0);
    write_text(dir.file("r.txt"), "read me");
    ASSERT_EQ(mcopy_to_image(image, shell_quote(dir.file("r.txt"))).status, 0);
    MemoryDevice device(read_file(image));
    device.set_read_only(true);
    Volume volume;
    ASSERT_FALSE(volume.mount(device).is_error());
    EXPECT_TRUE(volume.is_read_only());
    File f;
    EXPECT_EQ(volume.open("NEW.TXT", f, OPEN_CREATE | OPEN_WRITE).error(), Error::ReadOnlyMedia);
    EXPECT_EQ(volume.open("r.txt", f, OPEN_WRITE).error(), Error::ReadOnlyMedia);
    EXPECT_EQ(volume.remove("r.txt").error(), Error::ReadOnlyMedia);
    EXPECT_EQ(volume.mkdir("D").error(), Error::ReadOnlyMedia);
    EXPECT_EQ(volume.rename("r.txt", "s.txt").error(), Error::ReadOnlyMedia);
    auto data = read_whole(volume, "r.txt");
    ASSERT_FALSE(data.is_error());
    EXPECT_EQ(std::string(data.value().begin(), data.value().end()), "read me");
    EXPECT_FALSE(volume.unmount().is_error());
    EXPECT_EQ(device.writes(), 0u);
}

TEST(Errors, NamesSpaceAndRootLimitsGiveTheirOwnErrors)
{
    TempDir dir;
    std::string image = dir.file("disk.img");
    // 512 root entries by default; -r 32 makes "root full" quick to reach.
    ASSERT_EQ(run_command("mkfs.fat -F 16 -C -s 1 -r 32 " + shell_quote(image) + " 4096").status, 0);
    MemoryDevice device(read_file(image));
    Volume volume;
    ASSERT_FALSE(volume.mount(device).is_error());
    File f;
    EXPECT_EQ(volume.open("a long name.txt", f, OPEN_CREATE | OPEN_WRITE).error(), Error::FsNameNot83);
    EXPECT_EQ(volume.open("TOOLONGNAME.TXT", f, OPEN_CREATE | OPEN_WRITE).error(), Error::FsNameNot83);
    EXPECT_EQ(volume.open("BAD*.TXT", f, OPEN_CREATE | OPEN_WRITE).error(), Error::FsBadName);
    EXPECT_EQ(volume.open("NOPE/X.TXT", f, OPEN_CREATE | OPEN_WRITE).error(), Error::FsNotFound);
    for (int i = 0; i < 32; ++i)
        ASSERT_FALSE(write_whole(volume, "F" + std::to_string(i), {}).is_error()) << i;
    EXPECT_EQ(volume.open("ONEMORE", f, OPEN_CREATE | OPEN_WRITE).error(), Error::FsRootFull);
    EXPECT_EQ(volume.mkdir("F1").error(), Error::FsExists);
    ASSERT_FALSE(volume.remove("F0").is_error());
    ASSERT_FALSE(volume.mkdir("D").is_error());
    EXPECT_EQ(volume.rmdir("/").error(), Error::InvalidArgument);
    ASSERT_FALSE(write_whole(volume, "D/X", { 1 }).is_error());
    EXPECT_EQ(volume.rmdir("D").error(), Error::FsDirectoryNotEmpty);
    EXPECT_EQ(volume.remove("D").error(), Error::FsIsDirectory);
    EXPECT_EQ(volume.rename("D", "D/E").error(), Error::InvalidArgument);
    // Directories are renamed in place; moving one would need a third write
    // (its ".." entry) that a cut could separate from the other two.
    ASSERT_FALSE(volume.mkdir("D/SUB").is_error());
    ASSERT_FALSE(write_whole(volume, "D/SUB/Y", { 2 }).is_error());
    EXPECT_EQ(volume.rename("D/SUB", "D2").error(), Error::NotSupported);
    ASSERT_FALSE(volume.rename("D/SUB", "D/SUB2").is_error());
    EXPECT_EQ(read_whole(volume, "D/SUB2/Y").value(), std::vector<u8> { 2 });
    ASSERT_FALSE(volume.remove("D/SUB2/Y").is_error());
    ASSERT_FALSE(volume.rmdir("D/SUB2").is_error());
    EXPECT_EQ(volume.rename("F1", "F2").error(), Error::FsExists);
    // Fill the disk: the write reports FsNoSpace and keeps what fitted.
    u32 free_bytes = volume.free_clusters().value() * volume.info().bytes_per_cluster;
    std::vector<u8> huge(free_bytes + 4096, 0x5A);
    ASSERT_FALSE(volume.open("D/HUGE", f, OPEN_CREATE | OPEN_WRITE).is_error());
    EXPECT_EQ(volume.write(f, huge.data(), u32(huge.size())).error(), Error::FsNoSpace);
    EXPECT_EQ(volume.free_clusters().value(), 0u);
    EXPECT_EQ(f.size, free_bytes);
    ASSERT_FALSE(volume.remove("D/HUGE").is_error());
    EXPECT_EQ(volume.free_clusters().value() * volume.info().bytes_per_cluster, free_bytes);
    ASSERT_FALSE(volume.unmount().is_error());
    write_file(image, device.image());
    auto report = fsck_image(image);
    EXPECT_TRUE(report.clean) << report.output;
}

} // namespace

namespace {

// Long names are read-only, but files that have them can be renamed,
// replaced and deleted without leaving orphaned long-name entries behind.
TEST(LongNames, RenameReplaceAndDeleteKeepTheDirectoryClean)
{
    TempDir dir;
    std::string image = dir.file("disk.img");
    ASSERT_EQ(make_fat16_image(image, 4096, 1, 2).status, 0);
    write_text(dir.file("First Long Name.txt"), "one");
    write_text(dir.file("Second Long Name.txt"), "two");
    write_text(dir.file("Third Long Name.txt"), "three");
    ASSERT_EQ(mcopy_to_image(image, shell_quote(dir.file("First Long Name.txt")) + " "
                                 + shell_quote(dir.file("Second Long Name.txt")) + " "
                                 + shell_quote(dir.file("Third Long Name.txt")))
                  .status,
        0);
    ImageFileDevice device;
    ASSERT_TRUE(device.open(image));
    Volume volume;
    ASSERT_FALSE(volume.mount(device).is_error());
    // In place: the short name changes, the stale long name goes.
    ASSERT_FALSE(volume.rename("first long name.txt", "FIRST.TXT").is_error());
    // Replace: the target keeps its long name and gets the source's bytes.
    ASSERT_FALSE(write_whole(volume, "NEW.TXT", { 'n', 'e', 'w' }).is_error());
    ASSERT_FALSE(volume.rename("NEW.TXT", "Second Long Name.txt", true).is_error());
    ASSERT_FALSE(volume.replace_file("Third Long Name.txt", "3", 1).is_error());
    auto listing = list_directory(volume, "/");
    ASSERT_FALSE(listing.is_error());
    EXPECT_TRUE(listing.value().count("FIRST.TXT"));
    EXPECT_FALSE(listing.value().count("First Long Name.txt"));
    EXPECT_TRUE(listing.value().count("Second Long Name.txt"));
    EXPECT_TRUE(listing.value().count("Third Long Name.txt"));
    ASSERT_FALSE(volume.unmount().is_error());
    device.close();
    auto report = fsck_image(image);
    EXPECT_TRUE(report.clean) << report.output;
    EXPECT_EQ(mtype(image, "FIRST.TXT").output, "one");
    EXPECT_EQ(mtype(image, "Second Long Name.txt").output, "new");
    EXPECT_EQ(mtype(image, "Third Long Name.txt").output, "3");
}

} // namespace
