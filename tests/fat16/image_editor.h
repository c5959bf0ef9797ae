// Direct edits of a FAT16 image in memory, for building corrupt volumes:
// FAT entries (every copy), root directory entries, BPB fields.
#pragma once

#include <fs/fat16/on_disk.h>

#include <cstring>
#include <string>
#include <vector>

namespace fat16::test {

class ImageEditor {
public:
    explicit ImageEditor(std::vector<u8>& image) : m_image(image) { }

    BootSector& boot() { return *reinterpret_cast<BootSector*>(m_image.data()); }
    size_t fat_offset(u32 copy) { return (size_t(boot().reserved_sectors) + size_t(copy) * boot().fat_size_16) * 512; }
    size_t root_offset() { return fat_offset(boot().fat_count); }
    size_t cluster_offset(u32 cluster)
    {
        return root_offset() + size_t(boot().root_entry_count) * 32 + size_t(cluster - 2) * boot().sectors_per_cluster * 512;
    }
    u16 fat(u32 cluster)
    {
        u16 v;
        std::memcpy(&v, m_image.data() + fat_offset(0) + cluster * 2, 2);
        return v;
    }
    void set_fat(u32 cluster, u16 value)
    {
        for (u32 copy = 0; copy < boot().fat_count; ++copy)
            std::memcpy(m_image.data() + fat_offset(copy) + cluster * 2, &value, 2);
    }
    // The root entry whose 11-byte short name is `name` ("A       TXT").
    DirectoryEntry* root_entry(const std::string& name)
    {
        for (u32 i = 0; i < boot().root_entry_count; ++i) {
            auto* e = reinterpret_cast<DirectoryEntry*>(m_image.data() + root_offset() + i * 32);
            if (std::memcmp(e->name, name.data(), 11) == 0)
                return e;
        }
        return nullptr;
    }
    // The first never-used root slot (0x00), where added entries are seen.
    u32 first_unused_root_slot()
    {
        for (u32 i = 0; i < boot().root_entry_count; ++i)
            if (root_slot(i)->name[0] == 0)
                return i;
        return boot().root_entry_count;
    }
    DirectoryEntry* root_slot(u32 index) { return reinterpret_cast<DirectoryEntry*>(m_image.data() + root_offset() + index * 32); }
    DirectoryEntry* cluster_slot(u32 cluster, u32 index)
    {
        return reinterpret_cast<DirectoryEntry*>(m_image.data() + cluster_offset(cluster) + index * 32);
    }
    std::vector<u16> chain(u32 first)
    {
        std::vector<u16> out;
        for (u32 c = first; c >= 2 && c < 0xFFF8 && out.size() < 70000; c = fat(c))
            out.push_back(u16(c));
        return out;
    }

private:
    std::vector<u8>& m_image;
};

} // namespace fat16::test
