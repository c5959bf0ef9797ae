// The small volume the damage tests start from, built once per suite with
// mtools and copied fresh for every test: A.TXT and B.TXT of three clusters
// each, SUB/C.TXT and a file with a long name. A test edits its copy
// (ImageEditor) and mounts it the way its suite needs.
#pragma once

#include "fat_test_util.h"
#include "fat_tools.h"
#include "image_editor.h"
#include "test_devices.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

namespace fat16::test {

class DamagedImage : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        TempDir dir;
        std::string image = dir.file("disk.img");
        ASSERT_EQ(make_fat16_image(image, 4096, 1, 2).status, 0);
        std::string src = dir.file("src");
        std::filesystem::create_directories(src + "/SUB");
        write_file(src + "/A.TXT", pattern_bytes(1500, 1)); // 3 clusters
        write_file(src + "/B.TXT", pattern_bytes(1500, 2));
        write_file(src + "/SUB/C.TXT", pattern_bytes(100, 3));
        write_file(src + "/A Long Name.txt", pattern_bytes(10, 4));
        ASSERT_EQ(mcopy_to_image(image, shell_quote(src) + "/*").status, 0);
        pristine() = read_file(image);
    }
    static std::vector<u8>& pristine()
    {
        static std::vector<u8> image;
        return image;
    }
    void SetUp() override
    {
        image = pristine();
        edit = std::make_unique<ImageEditor>(image);
        a = edit->root_entry("A       TXT");
        b = edit->root_entry("B       TXT");
        sub = edit->root_entry("SUB        ");
        ASSERT_TRUE(a && b && sub);
        a_chain = edit->chain(a->first_cluster);
        b_chain = edit->chain(b->first_cluster);
        ASSERT_EQ(a_chain.size(), 3u);
    }

    std::vector<u8> image;
    std::unique_ptr<ImageEditor> edit;
    DirectoryEntry* a {};
    DirectoryEntry* b {};
    DirectoryEntry* sub {};
    std::vector<u16> a_chain, b_chain;
    std::unique_ptr<MemoryDevice> device;
    Volume volume;
};

}
