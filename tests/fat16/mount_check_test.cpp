// The mount check (fs/fat16/mount_check.h): a damaged volume is mounted
// read-only, says why, keeps its readable files readable, and is never made
// worse. Each case is issue 15's "Data loss on a damaged volume" or one of
// dosfstools' test corruptions; fsck.fat judges every image before (it must
// see the damage) and after (no worse). On a volume the check refused, every
// write path returns FsReadOnly and the image stays byte-identical. The
// states a power cut leaves (lost clusters, FAT copies that differ where the
// first is intact, orphan long names) stay writable, and writes on them
// leave fsck.fat's findings no worse.
#include "damaged_image.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

using namespace fat16;
using namespace fat16::test;

namespace {

class MountCheckTest : public DamagedImage {
protected:
    FsckReport fsck(const std::vector<u8>& bytes)
    {
        write_file(dir.file("judge.img"), bytes);
        return fsck_image(dir.file("judge.img"));
    }
    Volume& mount()
    {
        device = std::make_unique<MemoryDevice>(image);
        auto r = volume.mount(*device);
        EXPECT_FALSE(r.is_error()) << error_name(r.error());
        return volume;
    }
    std::string reason()
    {
        char text[MOUNT_PROBLEM_TEXT_MAX];
        u32 length = format_mount_problem(volume.mount_report(), text, sizeof(text));
        EXPECT_LT(length + 1, sizeof(text)) << "the reason was cut: " << text;
        return text;
    }

    // The whole contract for a volume the check refuses: fsck.fat sees the
    // damage, the mount says read-only with `expected` as the reason, every
    // write path is FsReadOnly, reads that were safe still work, and not one
    // byte of the image changes. `fsck_sees` is false for the BPB fields that
    // fsck.fat does not check against the rest of the volume (the mount
    // check is stricter there).
    void expect_read_only(MountProblem expected, bool fsck_sees = true)
    {
        auto before = fsck(image);
        if (fsck_sees) {
            EXPECT_FALSE(before.clean) << "fsck.fat should see this damage too";
        }
        auto& v = mount();
        EXPECT_TRUE(v.mount_report().checked);
        EXPECT_EQ(int(v.mount_report().problem), int(expected)) << reason();
        EXPECT_TRUE(v.is_read_only()) << reason();
        File f;
        EXPECT_EQ(write_whole(v, "NEW.TXT", { 1, 2, 3 }).error(), Error::FsReadOnly);
        EXPECT_EQ(write_whole(v, "A.TXT", { 1 }).error(), Error::FsReadOnly);
        EXPECT_EQ(v.open("B.TXT", f, OPEN_WRITE).error(), Error::FsReadOnly);
        EXPECT_EQ(v.open("BOOTCNT.TXT", f, OPEN_WRITE | OPEN_CREATE).error(), Error::FsReadOnly);
        EXPECT_EQ(v.replace_file("/BOOTCNT.TXT", "2\n", 2).error(), Error::FsReadOnly);
        EXPECT_EQ(v.remove("B.TXT").error(), Error::FsReadOnly);
        EXPECT_EQ(v.mkdir("NEWDIR").error(), Error::FsReadOnly);
        EXPECT_EQ(v.rmdir("SUB").error(), Error::FsReadOnly);
        EXPECT_EQ(v.rename("B.TXT", "D.TXT").error(), Error::FsReadOnly);
        EXPECT_EQ(v.rename("B.TXT", "A.TXT", true).error(), Error::FsReadOnly);
        u32 got = 0;
        EXPECT_EQ(v.allocate_chain(1, 0, got).error(), Error::FsReadOnly);
        EXPECT_FALSE(v.sync().is_error()) << "nothing to sync is no error";
        EXPECT_FALSE(v.unmount().is_error());
        EXPECT_EQ(device->writes(), 0u);
        EXPECT_TRUE(device->image() == image) << "a refused volume changed";
        EXPECT_EQ(fsck(device->image()).findings, before.findings);
    }
    // For a damaged volume whose file `path` is intact: it still reads.
    void expect_readable(const std::string& path, const std::vector<u8>& bytes)
    {
        auto& v = mount();
        auto data = read_whole(v, path);
        ASSERT_FALSE(data.is_error()) << path << ": " << error_name(data.error());
        EXPECT_EQ(data.value(), bytes) << path;
    }

    TempDir dir; // fsck.fat's copies of the image
};

void set_fat_copy(std::vector<u8>& image, u32 copy, u32 cluster, u16 value)
{
    ImageEditor edit(image);
    std::memcpy(image.data() + edit.fat_offset(copy) + cluster * 2, &value, 2);
}

TEST_F(MountCheckTest, ACleanVolumeIsWritableAndTheCostIsReported)
{
    auto& v = mount();
    EXPECT_TRUE(v.mount_report().ok()) << reason();
    EXPECT_FALSE(v.is_read_only());
    EXPECT_EQ(v.mount_report().fats_differ_at, 0xFFFFFFFFu);
    EXPECT_EQ(v.mount_report().files, 5u); // A.TXT, B.TXT, SUB, SUB/C.TXT, the long name
    EXPECT_EQ(v.mount_report().lost_clusters, 0u);
    // Two FAT copies of this volume plus the root and SUB, and the FAT
    // sectors the chains pass through: tens of reads, not thousands.
    u32 fat_sectors = edit->boot().fat_size_16;
    EXPECT_GE(v.mount_report().sector_reads, 2 * fat_sectors);
    EXPECT_LE(v.mount_report().sector_reads, 2 * fat_sectors + 64);
    std::printf("mount check on a %u-cluster volume: %u sector reads\n", v.info().cluster_count,
        v.mount_report().sector_reads);
    ASSERT_FALSE(write_whole(v, "NEW.TXT", pattern_bytes(3000, 9)).is_error());
    ASSERT_FALSE(v.unmount().is_error());
    EXPECT_TRUE(fsck(device->image()).clean);
}

// Issue 15, case 1: FAT1 frees FIB.BFM's cluster, FAT2 is right. A boot
// used to hand that cluster to BOOTCNT.TXT and overwrite the file.
TEST_F(MountCheckTest, FirstFatFreesAUsedClusterWhileTheSecondIsRight)
{
    set_fat_copy(image, 0, a_chain[2], FAT_FREE);
    expect_read_only(MountProblem::UsedButFree);
    EXPECT_EQ(volume.mount_report().where, a_chain[2]);
    EXPECT_EQ(volume.mount_report().fats_differ_at, 0u);
    EXPECT_NE(reason().find("belongs to a file but the FAT marks it free"), std::string::npos) << reason();
    EXPECT_NE(reason().find("FAT copies also differ at sector 0"), std::string::npos) << reason();
    // The second copy passes the whole check, so reads go through it: the
    // damaged file reads in full, and the volume stays read-only.
    EXPECT_TRUE(volume.mount_report().reads_second_copy);
    EXPECT_NE(reason().find("the second FAT copy passes the check and is used for reading"), std::string::npos);
    expect_readable("A.TXT", pattern_bytes(1500, 1));
    EXPECT_TRUE(volume.is_read_only());
    expect_readable("B.TXT", pattern_bytes(1500, 2));
}

TEST_F(MountCheckTest, BothFatCopiesDamagedDifferently)
{
    // Neither copy passes, so reads stay with the first (A's chain broken).
    set_fat_copy(image, 0, a_chain[2], FAT_FREE);
    set_fat_copy(image, 1, b_chain[2], FAT_FREE);
    expect_read_only(MountProblem::UsedButFree);
    EXPECT_FALSE(volume.mount_report().reads_second_copy);
    EXPECT_EQ(volume.mount_report().where, a_chain[2]);
    expect_readable("B.TXT", pattern_bytes(1500, 2));
    EXPECT_EQ(read_whole(volume, "A.TXT").error(), Error::FsCorrupt);
}

// Issue 15, case 1b: a directory's cluster free in both copies (the boot
// used to overwrite /MODULES itself).
TEST_F(MountCheckTest, ADirectorysClusterFreeInBothCopies)
{
    edit->set_fat(sub->first_cluster, FAT_FREE);
    expect_read_only(MountProblem::UsedButFree);
    EXPECT_FALSE(volume.mount_report().reads_second_copy) << "the copies agree: there is no second opinion";
    EXPECT_EQ(volume.mount_report().where, sub->first_cluster);
    expect_readable("A.TXT", pattern_bytes(1500, 1));
}

// Issue 15, case 2: random bytes over FAT1's first sector; FAT2 is intact
// and must stay so.
TEST_F(MountCheckTest, RandomBytesOverTheFirstFatsFirstSector)
{
    std::mt19937 rng(15);
    for (u32 i = 0; i < 512; ++i)
        image[edit->fat_offset(0) + i] = u8(rng());
    expect_read_only(MountProblem::FatStartMismatch);
    EXPECT_NE(reason().find("the FAT is not where the boot sector says"), std::string::npos) << reason();
    EXPECT_TRUE(volume.mount_report().reads_second_copy);
    expect_readable("A.TXT", pattern_bytes(1500, 1));
    expect_readable("SUB/C.TXT", pattern_bytes(100, 3));
}

TEST_F(MountCheckTest, RandomBytesOverALaterSectorOfTheFirstFat)
{
    // FAT[0] intact, so the first copy's own entries give it away.
    std::mt19937 rng(16);
    for (u32 i = 0; i < 512; ++i)
        image[edit->fat_offset(0) + 512 + i] = u8(rng());
    expect_read_only(MountProblem::FatCopiesDiffer);
    EXPECT_EQ(volume.mount_report().where, 1u);
    EXPECT_EQ(reason(), "FAT copies differ at sector 1 and the first copy has errors; the second FAT copy passes "
                        "the check and is used for reading");
    expect_readable("A.TXT", pattern_bytes(1500, 1));
}

// Issue 15, case 3: a plausible BPB that is wrong (reserved sectors 1 -> 2).
TEST_F(MountCheckTest, ReservedSectorsOneTooMany)
{
    edit->boot().reserved_sectors = 2;
    expect_read_only(MountProblem::FatStartMismatch);
    EXPECT_FALSE(volume.mount_report().reads_second_copy);
}

TEST_F(MountCheckTest, RootEntryCountOneSectorLarger)
{
    // The data region moves by a sector; every chain still agrees with the
    // FAT, but SUB's cluster no longer starts with SUB's "." and "..".
    edit->boot().root_entry_count = u16(edit->boot().root_entry_count + 16);
    expect_read_only(MountProblem::BadDotEntries);
    EXPECT_EQ(volume.mount_report().where, sub->first_cluster);
}

TEST_F(MountCheckTest, DotDotThatNamesAnotherDirectory)
{
    auto* dotdot = edit->cluster_slot(sub->first_cluster, 1);
    ASSERT_EQ(dotdot->name[1], '.');
    dotdot->first_cluster = a->first_cluster;
    expect_read_only(MountProblem::BadDotEntries);
}

TEST_F(MountCheckTest, FatSizeOneSectorLarger)
{
    // Plausible (the FAT is just one sector larger than needed), but the
    // second copy, the root and the data all move: FAT2 no longer opens
    // with FAT[0].
    edit->boot().fat_size_16 = u16(edit->boot().fat_size_16 + 1);
    expect_read_only(MountProblem::FatStartMismatch);
    EXPECT_FALSE(volume.mount_report().reads_second_copy);
}

TEST_F(MountCheckTest, FatSizeFarLargerThanTheClustersNeed)
{
    edit->boot().fat_size_16 = u16(edit->boot().fat_size_16 * 2);
    expect_read_only(MountProblem::FatSizeMismatch);
}

TEST_F(MountCheckTest, IllegalMediaByte)
{
    edit->boot().media = 0x12;
    expect_read_only(MountProblem::BadMedia, false);
}

TEST_F(MountCheckTest, HiddenSectorsThatAreNotThePartitionStart)
{
    // Partitionless at LBA 0: BPB_HiddSec must be 0.
    edit->boot().hidden_sectors = 63;
    expect_read_only(MountProblem::HiddenSectors, false);
}

TEST_F(MountCheckTest, CrossLinkedChains)
{
    edit->set_fat(a_chain[0], b_chain[0]);
    expect_read_only(MountProblem::SharedCluster);
    expect_readable("SUB/C.TXT", pattern_bytes(100, 3));
}

TEST_F(MountCheckTest, TwoEntriesOnOneChain)
{
    auto* dup = edit->root_slot(edit->first_unused_root_slot());
    *dup = *b;
    std::memcpy(dup->name, "DUP     TXT", 11);
    expect_read_only(MountProblem::SharedCluster);
}

TEST_F(MountCheckTest, ChainIntoAFreeCluster)
{
    u16 free_cluster = 3000;
    ASSERT_EQ(edit->fat(free_cluster), FAT_FREE);
    edit->set_fat(a_chain[1], free_cluster);
    expect_read_only(MountProblem::UsedButFree);
    EXPECT_EQ(volume.mount_report().where, free_cluster);
}

TEST_F(MountCheckTest, LoopInAChain)
{
    edit->set_fat(a_chain[2], a_chain[0]);
    expect_read_only(MountProblem::SharedCluster);
}

TEST_F(MountCheckTest, LoopInADirectoryChain)
{
    edit->set_fat(sub->first_cluster, sub->first_cluster);
    expect_read_only(MountProblem::SharedCluster);
}

TEST_F(MountCheckTest, DirectoryThatContainsItself)
{
    auto* loop = edit->cluster_slot(sub->first_cluster, 3);
    ASSERT_EQ(loop->name[0], 0);
    *loop = *sub;
    std::memcpy(loop->name, "LOOP       ", 11);
    expect_read_only(MountProblem::SharedCluster);
}

TEST_F(MountCheckTest, TruncatedChain)
{
    edit->set_fat(a_chain[0], FAT_EOC);
    expect_read_only(MountProblem::ChainTooShort);
    EXPECT_EQ(volume.mount_report().where, a_chain[0]);
}

TEST_F(MountCheckTest, SizeLargerThanTheChain)
{
    a->file_size = 1u << 20;
    expect_read_only(MountProblem::ChainTooShort);
}

TEST_F(MountCheckTest, BadClusterInsideAChain)
{
    edit->set_fat(a_chain[1], FAT_BAD);
    expect_read_only(MountProblem::BadLink);
}

TEST_F(MountCheckTest, IllegalFatValueOutsideAnyChain)
{
    // Cluster 3000 is free; 0xFFF0 is a reserved value no entry may hold.
    edit->set_fat(3000, 0xFFF0);
    expect_read_only(MountProblem::FatBadEntry);
    EXPECT_EQ(volume.mount_report().where, 3000u);
}

TEST_F(MountCheckTest, FirstClusterOutsideTheVolume)
{
    a->first_cluster = 60000;
    expect_read_only(MountProblem::BadFirstCluster);
}

TEST_F(MountCheckTest, SubdirectoryWithoutACluster)
{
    sub->first_cluster = 0;
    expect_read_only(MountProblem::DirectoryWithoutCluster);
}

TEST_F(MountCheckTest, ClusterCountThatDoesNotMatchTheFat)
{
    // BPB_TotSec16 cut so the cluster count drops by a third: the FAT the
    // BPB claims is far too large for it.
    edit->boot().total_sectors_16 = u16(edit->boot().total_sectors_16 * 2 / 3);
    expect_read_only(MountProblem::FatSizeMismatch, false);
}

// --- the states a power cut leaves stay writable, and no worse after -------

// After a write, fsck.fat finds nothing it did not find before.
void expect_no_worse(const FsckReport& before, const FsckReport& after)
{
    std::set<std::string> known(before.findings.begin(), before.findings.end());
    for (auto const& line : after.findings)
        EXPECT_TRUE(known.count(line)) << "new fsck.fat finding: " << line << "\nbefore:\n"
                                       << before.output << "\nafter:\n"
                                       << after.output;
}

TEST_F(MountCheckTest, FatCopiesDifferingWithAnIntactFirstCopyStayWritable)
{
    // A cut between the two copies of one FAT sector: the first has the
    // newer state (here: A's chain one cluster longer than its size).
    u16 extra = 3000;
    set_fat_copy(image, 0, a_chain[2], extra);
    set_fat_copy(image, 0, extra, FAT_EOC);
    auto before = fsck(image);
    auto& v = mount();
    EXPECT_TRUE(v.mount_report().ok()) << reason();
    EXPECT_EQ(v.mount_report().fats_differ_at, std::min(a_chain[2] * 2u / 512u, extra * 2u / 512u));
    EXPECT_EQ(v.mount_report().long_chains, 1u);
    ASSERT_FALSE(write_whole(v, "NEW.TXT", pattern_bytes(2000, 5)).is_error());
    ASSERT_FALSE(v.unmount().is_error());
    expect_no_worse(before, fsck(device->image()));
}

TEST_F(MountCheckTest, LostClustersStayWritableAndAreNeverHandedOut)
{
    for (u16 c : { u16(100), u16(101), u16(102) })
        edit->set_fat(c, c == 102 ? FAT_EOC : u16(c + 1));
    auto before = fsck(image);
    EXPECT_FALSE(before.clean);
    auto& v = mount();
    EXPECT_TRUE(v.mount_report().ok()) << reason();
    EXPECT_EQ(v.mount_report().lost_clusters, 3u);
    ASSERT_FALSE(write_whole(v, "NEW.TXT", pattern_bytes(200000, 6)).is_error());
    ASSERT_FALSE(v.unmount().is_error());
    ImageEditor after(device->image());
    EXPECT_EQ(after.fat(100), 101);
    EXPECT_EQ(after.fat(102), FAT_EOC);
    expect_no_worse(before, fsck(device->image()));
}

TEST_F(MountCheckTest, TheAllocatorSkipsReferencedClustersWhateverTheFatSays)
{
    // Damage that appears after the mount (the FAT entry of A's last
    // cluster freed in the cache): the allocator still does not take it.
    auto& v = mount();
    ASSERT_TRUE(v.mount_report().ok());
    EXPECT_TRUE(v.is_referenced(a_chain[2]));
    ASSERT_FALSE(v.set_fat_entry(a_chain[2], FAT_FREE).is_error());
    u32 got = 0;
    auto first = v.allocate_chain(4, u16(a_chain[2] - 1), got);
    ASSERT_FALSE(first.is_error());
    u16 c = first.value();
    for (u32 i = 0; i < got; ++i) {
        EXPECT_NE(c, a_chain[2]) << "allocated a cluster A.TXT still holds";
        auto next = v.next_cluster(c);
        ASSERT_FALSE(next.is_error());
        c = next.value();
    }
}

// Issue 15, case 4: an orphan long-name entry (its short entry is gone).
// A new entry must not land right behind it, or fsck.fat reads the pair as
// one name with a bad checksum.
class OrphanLongName : public MountCheckTest, public ::testing::WithParamInterface<bool> { };

TEST_P(OrphanLongName, NewEntriesNeverCompleteAnOrphanSequence)
{
    bool followed_by_deleted = GetParam();
    u32 slot = edit->first_unused_root_slot();
    auto* orphan = reinterpret_cast<LongNameEntry*>(edit->root_slot(slot));
    std::memset(orphan, 0xFF, sizeof(*orphan));
    orphan->order = LAST_LONG_ENTRY | 1;
    orphan->attributes = ATTR_LONG_NAME;
    orphan->type = 0;
    orphan->first_cluster = 0;
    orphan->checksum = 0x5A;
    const char16_t* text = u"Gone.txt";
    for (u32 i = 0; i < 5; ++i)
        orphan->name1[i] = text[i];
    orphan->name2[0] = text[5];
    orphan->name2[1] = text[6];
    orphan->name2[2] = text[7];
    orphan->name2[3] = 0;
    if (followed_by_deleted) {
        // A freed slot after the orphan, then more used entries.
        edit->root_slot(slot + 1)->name[0] = DIR_ENTRY_FREE;
        *edit->root_slot(slot + 2) = *b;
        std::memcpy(edit->root_slot(slot + 2)->name, "AFTER   TXT", 11);
        edit->root_slot(slot + 2)->first_cluster = 0;
        edit->root_slot(slot + 2)->file_size = 0;
    }
    auto before = fsck(image);
    ASSERT_FALSE(before.clean) << "fsck.fat should report the orphan";
    auto& v = mount();
    ASSERT_TRUE(v.mount_report().ok()) << reason();
    ASSERT_FALSE(write_whole(v, "NEW.TXT", pattern_bytes(700, 7)).is_error());
    ASSERT_FALSE(v.mkdir("NEWDIR").is_error());
    ASSERT_FALSE(v.unmount().is_error());
    auto after = fsck(device->image());
    expect_no_worse(before, after);
    for (auto const& line : after.findings)
        EXPECT_EQ(line.find("checksum"), std::string::npos) << after.output;
    // Both new entries are there, by their own names.
    Volume check;
    MemoryDevice again(device->image());
    ASSERT_FALSE(check.mount(again).is_error());
    EXPECT_EQ(read_whole(check, "NEW.TXT").value(), pattern_bytes(700, 7));
    auto listing = list_directory(check, "/");
    ASSERT_FALSE(listing.is_error());
    EXPECT_TRUE(listing.value().count("NEWDIR"));
    EXPECT_TRUE(listing.value().count("NEW.TXT"));
}

INSTANTIATE_TEST_SUITE_P(Slots, OrphanLongName, ::testing::Values(false, true),
    [](const auto& info) { return info.param ? "FollowedByAFreedSlot" : "AtTheEndOfTheDirectory"; });

} // namespace

namespace {

TEST(MountProblemText, EveryReasonFitsItsBufferWithTheLongestNumbers)
{
    for (u32 p = 0; p <= u32(MountProblem::OverBudget); ++p) {
        MountReport report;
        report.problem = MountProblem(p);
        report.where = 0xFFFFFFFF;
        report.fats_differ_at = 0xFFFFFFFE;
        report.reads_second_copy = true;
        char text[MOUNT_PROBLEM_TEXT_MAX];
        u32 length = format_mount_problem(report, text, sizeof(text));
        EXPECT_LT(length + 1, sizeof(text)) << p << ": " << text;
        EXPECT_EQ(length, std::strlen(text));
        EXPECT_GT(length, 10u) << p;
    }
    char tiny[8];
    MountReport report;
    report.problem = MountProblem::UsedButFree;
    report.where = 7;
    EXPECT_EQ(format_mount_problem(report, tiny, sizeof(tiny)), 7u);
    EXPECT_STREQ(tiny, "cluster");
}

} // namespace
