// Images made by mkfs.fat -F 16 and filled by mcopy (files of awkward sizes,
// subdirectories, long names, a directory spanning clusters) are read back
// exactly, for several cluster sizes and with one and two FATs.
#include "fat_test_util.h"
#include "fat_tools.h"
#include "test_devices.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <tuple>

using namespace fat16;
using namespace fat16::test;
namespace fs = std::filesystem;

namespace {

struct Geometry {
    u32 sectors_per_cluster;
    u32 fat_count;
    u32 kib;
};

class ReadBack : public ::testing::TestWithParam<Geometry> { };

// The host tree that mcopy copies in: returns relative path -> content.
std::map<std::string, std::vector<u8>> build_tree(const std::string& root, u32 cluster_bytes)
{
    std::map<std::string, std::vector<u8>> files;
    auto add = [&](const std::string& rel, size_t size, u32 seed) {
        fs::create_directories(fs::path(root + "/" + rel).parent_path());
        files[rel] = pattern_bytes(size, seed);
        write_file(root + "/" + rel, files[rel]);
    };
    add("EMPTY.TXT", 0, 1);
    add("ONE.BIN", 1, 2);
    add("SECTOR.BIN", 512, 3);
    add("SECTOR1.BIN", 513, 4);
    add("CLUSTER.BIN", cluster_bytes, 5);
    add("CLUSTER1.BIN", cluster_bytes + 1, 6);
    add("big.dat", 300 * 1024 + 7, 7);
    add("notes.txt", 100, 8);
    add("A Long File Name With Spaces.data", 4000, 9);
    add("sub/inner.txt", 77, 10);
    add("sub/deeper/Another long name.bin", 12345, 11);
    add("sub/deeper/x.y", 3, 12);
    add("Ünïcödé name.txt", 50, 13);
    // Enough entries that the directory needs several sectors and clusters.
    for (int i = 0; i < 70; ++i)
        add("many/file number " + std::to_string(i) + ".txt", size_t(i * 37), 100 + u32(i));
    return files;
}

TEST_P(ReadBack, FilesCopiedByMcopyReadBackExactly)
{
    auto g = GetParam();
    TempDir dir;
    std::string image = dir.file("disk.img");
    auto mk = make_fat16_image(image, g.kib, g.sectors_per_cluster, g.fat_count, "READTEST");
    ASSERT_EQ(mk.status, 0) << mk.output;
    std::string src = dir.file("src");
    auto files = build_tree(src, g.sectors_per_cluster * 512);
    auto cp = mcopy_to_image(image, shell_quote(src) + "/*");
    ASSERT_EQ(cp.status, 0) << cp.output;

    ImageFileDevice device;
    ASSERT_TRUE(device.open(image, true));
    Volume volume;
    auto mounted = volume.mount(device);
    ASSERT_FALSE(mounted.is_error()) << error_name(mounted.error());
    EXPECT_STREQ(volume.info().label, "READTEST");
    EXPECT_EQ(volume.info().fat_count, g.fat_count);
    EXPECT_EQ(volume.info().bytes_per_cluster, g.sectors_per_cluster * 512);

    for (auto const& [rel, content] : files) {
        auto data = read_whole(volume, rel);
        ASSERT_FALSE(data.is_error()) << rel << ": " << error_name(data.error());
        EXPECT_EQ(data.value(), content) << rel;
    }
    // Listing shows long names with sizes; the root holds exactly what we put.
    auto root = list_directory(volume, "/");
    ASSERT_FALSE(root.is_error());
    std::set<std::string> expected_root;
    for (auto const& [rel, content] : files)
        expected_root.insert(rel.substr(0, rel.find('/')));
    std::set<std::string> listed_root;
    for (auto const& [name, entry] : root.value())
        listed_root.insert(name);
    EXPECT_EQ(listed_root, expected_root);
    EXPECT_EQ(root.value().at("big.dat").size, 300u * 1024 + 7);
    EXPECT_TRUE(root.value().at("sub").directory);
    EXPECT_NE(root.value().at("big.dat").date, 0);
    auto many = list_directory(volume, "many");
    ASSERT_FALSE(many.is_error());
    EXPECT_EQ(many.value().size(), 70u);
}

INSTANTIATE_TEST_SUITE_P(Geometries, ReadBack,
    ::testing::Values(Geometry { 1, 2, 4096 }, Geometry { 1, 1, 4096 }, Geometry { 4, 2, 20480 },
        Geometry { 8, 1, 36000 }, Geometry { 16, 2, 70000 }),
    [](const ::testing::TestParamInfo<Geometry>& info) {
        return "spc" + std::to_string(info.param.sectors_per_cluster) + "_fats" + std::to_string(info.param.fat_count);
    });

class Lookup : public ::testing::Test {
protected:
    void SetUp() override
    {
        image = dir.file("disk.img");
        ASSERT_EQ(make_fat16_image(image, 4096, 1, 2).status, 0);
        std::string src = dir.file("src");
        fs::create_directories(src + "/Docs/Old Stuff");
        write_text(src + "/Docs/Old Stuff/Read Me Please.txt", "long name content");
        write_text(src + "/Docs/readme.txt", "short");
        write_text(src + "/UPPER.TXT", "upper");
        ASSERT_EQ(mcopy_to_image(image, shell_quote(src) + "/*").status, 0);
        ASSERT_TRUE(device.open(image, true));
        ASSERT_FALSE(volume.mount(device).is_error());
    }
    TempDir dir;
    std::string image;
    ImageFileDevice device;
    Volume volume;
};

TEST_F(Lookup, NamesMatchCaseInsensitivelyByLongNameOrAlias)
{
    for (const char* path : { "/Docs/Old Stuff/Read Me Please.txt", "docs/old stuff/READ ME PLEASE.TXT",
             "DOCS/OLDSTU~1/README~1.TXT", "/docs//./old stuff/../Old Stuff/read me please.txt" }) {
        auto data = read_whole(volume, path);
        ASSERT_FALSE(data.is_error()) << path << ": " << error_name(data.error());
        EXPECT_EQ(std::string(data.value().begin(), data.value().end()), "long name content") << path;
    }
    EXPECT_FALSE(read_whole(volume, "upper.txt").is_error());
    EXPECT_EQ(read_whole(volume, "missing.txt").error(), Error::FsNotFound);
    EXPECT_EQ(read_whole(volume, "UPPER.TXT/x").error(), Error::FsNotDirectory);
    EXPECT_EQ(read_whole(volume, "Docs").error(), Error::FsIsDirectory);
}

TEST_F(Lookup, LowercaseShortNamesKeepTheirCase)
{
    auto docs = list_directory(volume, "Docs");
    ASSERT_FALSE(docs.is_error());
    ASSERT_TRUE(docs.value().count("readme.txt")) << "NT lowercase flags ignored";
    EXPECT_EQ(docs.value().at("readme.txt").short_name, "readme.txt");
    EXPECT_TRUE(docs.value().count("Old Stuff"));
}

TEST_F(Lookup, EveryPathLeadsNowhereButCleanly)
{
    EntryInfo info;
    EXPECT_FALSE(volume.stat("/", info).is_error());
    EXPECT_TRUE(info.is_directory());
    EXPECT_FALSE(volume.stat("..", info).is_error()); // ".." of the root is the root
    EXPECT_EQ(volume.stat("Docs/nothing/x", info).error(), Error::FsNotFound);
    std::string long_part(300, 'a');
    EXPECT_EQ(volume.stat(long_part.c_str(), info).error(), Error::FsBadName);
}

} // namespace
