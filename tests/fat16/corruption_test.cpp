// The corruption cases of dosfstools' tests: circular chains, a chain too
// long, a chain into a free cluster, a chain into another file, bad names,
// dot entries, duplicate names; plus out-of-range clusters, bad clusters and
// broken long names. Each gives a clean error or a safe result: no hang, no
// crash, no read outside the volume, and nothing else damaged.
//
// These volumes are mounted with MountCheck::None: the mount check would make
// each of them read-only (mount_check_test.cpp shows that), and the cases
// here test the second line of defence behind it, the checks each operation
// makes for itself (a volume damaged after the mount meets only those).
#include "damaged_image.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace fat16;
using namespace fat16::test;

namespace {

class Corruption : public DamagedImage {
protected:
    // Mounts the edited image without the mount check (see the file
    // comment); the volume stays valid for the test.
    Volume& mount()
    {
        device = std::make_unique<MemoryDevice>(image);
        EXPECT_FALSE(volume.mount(*device, MountCheck::None).is_error());
        return volume;
    }
};

TEST_F(Corruption, CircularChainIsAnErrorNotAHang)
{
    edit->set_fat(a_chain[2], a_chain[0]);
    auto& v = mount();
    EXPECT_EQ(read_whole(v, "A.TXT").error(), Error::FsCorrupt);
    EXPECT_EQ(v.remove("A.TXT").error(), Error::FsCorrupt);
    File f;
    EXPECT_EQ(v.open("A.TXT", f, OPEN_WRITE).error(), Error::FsCorrupt);
    EXPECT_EQ(read_whole(v, "B.TXT").value(), pattern_bytes(1500, 2));
}

TEST_F(Corruption, CircularDirectoryChainIsAnError)
{
    edit->set_fat(sub->first_cluster, sub->first_cluster);
    auto& v = mount();
    EXPECT_EQ(list_directory(v, "SUB").error(), Error::FsCorrupt);
    EXPECT_EQ(read_whole(v, "SUB/C.TXT").error(), Error::FsCorrupt);
    EXPECT_EQ(write_whole(v, "SUB/NEW.TXT", { 1 }).error(), Error::FsCorrupt);
}

TEST_F(Corruption, ChainTooLongReadsOnlyTheSize)
{
    // A's chain gets two extra clusters; reading stops at the size, and a
    // truncate or delete frees the whole chain.
    u16 x = 3000, y = 3001;
    ASSERT_EQ(edit->fat(x), 0);
    edit->set_fat(a_chain[2], x);
    edit->set_fat(x, y);
    edit->set_fat(y, FAT_EOC);
    auto& v = mount();
    u32 free_before = v.free_clusters().value();
    EXPECT_EQ(read_whole(v, "A.TXT").value(), pattern_bytes(1500, 1));
    ASSERT_FALSE(v.remove("A.TXT").is_error());
    EXPECT_EQ(v.free_clusters().value(), free_before + 5);
}

TEST_F(Corruption, ChainShorterThanTheSizeIsAnError)
{
    edit->set_fat(a_chain[0], FAT_EOC);
    auto& v = mount();
    EXPECT_EQ(read_whole(v, "A.TXT").error(), Error::FsCorrupt);
    a->file_size = 0xFFFFFFFF;
    EXPECT_EQ(read_whole(mount(), "A.TXT").error(), Error::FsCorrupt);
}

TEST_F(Corruption, ChainIntoAFreeClusterIsAnError)
{
    edit->set_fat(a_chain[1], 0);
    auto& v = mount();
    EXPECT_EQ(read_whole(v, "A.TXT").error(), Error::FsCorrupt);
    EXPECT_EQ(v.remove("A.TXT").error(), Error::FsCorrupt) << "freeing along a bad link is refused";
}

TEST_F(Corruption, OutOfRangeReservedAndBadClustersAreErrors)
{
    for (u16 link : { u16(1), u16(0xFFF0), u16(FAT_BAD), u16(9000) }) {
        image = pristine();
        edit = std::make_unique<ImageEditor>(image);
        edit->set_fat(edit->root_entry("A       TXT")->first_cluster, link);
        EXPECT_EQ(read_whole(mount(), "A.TXT").error(), Error::FsCorrupt) << link;
    }
    for (u16 first : { u16(1), u16(0xFFF0), u16(60000) }) {
        image = pristine();
        edit = std::make_unique<ImageEditor>(image);
        edit->root_entry("A       TXT")->first_cluster = first;
        EXPECT_EQ(read_whole(mount(), "A.TXT").error(), Error::FsCorrupt) << first;
    }
    image = pristine();
    edit = std::make_unique<ImageEditor>(image);
    edit->root_entry("SUB        ")->first_cluster = 0; // a subdirectory must own a cluster
    EXPECT_EQ(read_whole(mount(), "SUB/C.TXT").error(), Error::FsCorrupt);
    EXPECT_EQ(list_directory(volume, "SUB").error(), Error::FsCorrupt);
}

TEST_F(Corruption, ChainIntoAnotherFileIsReadSafelyAndNeverFreed)
{
    // A's second link jumps into B. Reading A returns B's bytes for the rest
    // (a cross-link looks like any chain), but deleting, truncating or
    // writing A would free or overwrite B's clusters: those are refused.
    edit->set_fat(a_chain[0], b_chain[0]);
    auto& v = mount();
    auto data = read_whole(v, "A.TXT");
    ASSERT_FALSE(data.is_error());
    EXPECT_EQ(data.value().size(), 1500u);
    EXPECT_TRUE(std::equal(data.value().begin(), data.value().begin() + 512, pattern_bytes(1500, 1).begin()));
    EXPECT_EQ(v.remove("A.TXT").error(), Error::FsCorrupt);
    File f;
    EXPECT_EQ(v.open("A.TXT", f, OPEN_WRITE).error(), Error::FsCorrupt);
    EXPECT_EQ(write_whole(v, "A.TXT", { 1 }).error(), Error::FsCorrupt);
    EXPECT_EQ(v.rename("B.TXT", "A.TXT", true).error(), Error::FsCorrupt);
    EXPECT_EQ(v.replace_file("A.TXT", "x", 1).error(), Error::FsCorrupt);
    // The same holds from B's side, and for a file in a subdirectory.
    EXPECT_EQ(v.remove("B.TXT").error(), Error::FsCorrupt);
    EXPECT_EQ(read_whole(v, "B.TXT").value(), pattern_bytes(1500, 2));
    // Files that share nothing are unaffected.
    EXPECT_FALSE(v.remove("SUB/C.TXT").is_error());
    EXPECT_FALSE(write_whole(v, "NEW.TXT", { 1, 2 }).is_error());
}

TEST_F(Corruption, CrossLinkIntoASubdirectoryFileIsFound)
{
    auto sub = edit->root_entry("SUB        ");
    auto* c = edit->cluster_slot(sub->first_cluster, 2);
    ASSERT_EQ(std::string(reinterpret_cast<char*>(c->name), 11), "C       TXT");
    edit->set_fat(a_chain[1], c->first_cluster);
    auto& v = mount();
    EXPECT_EQ(v.remove("A.TXT").error(), Error::FsCorrupt);
    EXPECT_EQ(read_whole(v, "SUB/C.TXT").value(), pattern_bytes(100, 3));
}

TEST_F(Corruption, BadNamesAreListedSafely)
{
    u32 slot = edit->first_unused_root_slot();
    auto* e = edit->root_slot(slot);
    *e = *b;
    std::memcpy(e->name, "\x01" "A/B\x7f" "   X\tY", 11);
    auto* f = edit->root_slot(slot + 1);
    *f = *b;
    std::memcpy(f->name, "lower   txt", 11); // lower case is illegal in DIR_Name
    auto* g = edit->root_slot(slot + 2);
    *g = *b;
    std::memcpy(g->name, "\x05" "KANJI  TXT", 11); // 0x05 stands for 0xE5
    auto& v = mount();
    auto listing = list_directory(v, "/");
    ASSERT_FALSE(listing.is_error());
    bool saw_sanitised = false;
    for (auto const& [name, entry] : listing.value()) {
        EXPECT_EQ(name.find('/'), std::string::npos) << "a name must never contain a separator";
        for (char c : name)
            EXPECT_GE(u8(c), 0x20) << "control byte in a listed name";
        if (name.find('?') != std::string::npos)
            saw_sanitised = true;
    }
    EXPECT_TRUE(saw_sanitised);
    EXPECT_TRUE(listing.value().count("\xE5KANJI.TXT"));
    EXPECT_EQ(read_whole(v, "lower.txt").value(), pattern_bytes(1500, 2));
}

TEST_F(Corruption, DotEntriesAreNeverFollowed)
{
    // A "." in the root and a ".." in SUB that points at file A's cluster.
    auto* dot = edit->root_slot(edit->first_unused_root_slot());
    *dot = *b;
    std::memcpy(dot->name, ".          ", 11);
    dot->attributes = ATTR_DIRECTORY;
    auto sub = edit->root_entry("SUB        ");
    auto* dotdot = edit->cluster_slot(sub->first_cluster, 1);
    ASSERT_EQ(dotdot->name[1], '.');
    dotdot->first_cluster = a->first_cluster;
    auto& v = mount();
    EXPECT_EQ(read_whole(v, "SUB/../B.TXT").value(), pattern_bytes(1500, 2));
    EXPECT_EQ(read_whole(v, "./SUB/./C.TXT").value(), pattern_bytes(100, 3));
    auto listing = list_directory(v, "/");
    ASSERT_FALSE(listing.is_error());
    EXPECT_FALSE(listing.value().count("."));
    EXPECT_EQ(v.rename("SUB", "SUB2").error(), Error::Ok);
    ASSERT_FALSE(v.remove("SUB2/C.TXT").is_error());
    ASSERT_FALSE(v.rmdir("SUB2").is_error());
    EXPECT_EQ(read_whole(v, "A.TXT").value(), pattern_bytes(1500, 1));
}

TEST_F(Corruption, DuplicateNamesResolveToTheFirstAndStaySafe)
{
    auto* dup = edit->root_slot(edit->first_unused_root_slot());
    *dup = *b;
    std::memcpy(dup->name, "A       TXT", 11); // a second A.TXT sharing B's chain
    auto& v = mount();
    EXPECT_EQ(read_whole(v, "A.TXT").value(), pattern_bytes(1500, 1));
    u32 copies = 0;
    for (auto* e : { edit->root_slot(0), dup })
        copies += e && std::memcmp(e->name, "A       TXT", 11) == 0;
    EXPECT_GE(copies, 1u);
    EXPECT_EQ(write_whole(v, "A.TXT", { 9 }).error(), Error::Ok);
    File f;
    EXPECT_EQ(v.open("A.TXT", f, OPEN_CREATE | OPEN_EXCLUSIVE | OPEN_WRITE).error(), Error::FsExists);
    EXPECT_EQ(v.mkdir("a.txt").error(), Error::FsExists);
}

TEST_F(Corruption, BrokenLongNamesFallBackToTheShortName)
{
    auto& v = mount();
    auto listing = list_directory(v, "/");
    ASSERT_TRUE(listing.value().count("A Long Name.txt"));
    std::string alias = listing.value().at("A Long Name.txt").short_name;
    // Damage the long entry's checksum: the name falls back to the alias.
    for (u32 i = 0; i < 64; ++i) {
        auto* e = edit->root_slot(i);
        if (e->attributes == ATTR_LONG_NAME)
            reinterpret_cast<LongNameEntry*>(e)->checksum ^= 0x5A;
    }
    auto& w = mount();
    auto broken = list_directory(w, "/");
    EXPECT_FALSE(broken.value().count("A Long Name.txt"));
    EXPECT_TRUE(broken.value().count(alias));
    EXPECT_EQ(read_whole(w, "A Long Name.txt").error(), Error::FsNotFound);
    EXPECT_EQ(read_whole(w, alias).value(), pattern_bytes(10, 4));
}

TEST_F(Corruption, DeletingAFileRemovesItsLongNameEntries)
{
    auto& v = mount();
    ASSERT_FALSE(v.remove("a long name.TXT").is_error());
    ASSERT_FALSE(v.unmount().is_error());
    for (u32 i = 0; i < 64; ++i) {
        auto* e = reinterpret_cast<DirectoryEntry*>(device->image().data() + ImageEditor(device->image()).root_offset() + i * 32);
        if (e->attributes == ATTR_LONG_NAME) {
            EXPECT_EQ(e->name[0], DIR_ENTRY_FREE) << "long entry left behind at slot " << i;
        }
    }
    TempDir dir;
    write_file(dir.file("d.img"), device->image());
    auto report = fsck_image(dir.file("d.img"));
    EXPECT_TRUE(report.clean) << report.output;
}

} // namespace
