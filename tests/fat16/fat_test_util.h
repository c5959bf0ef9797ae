// Small helpers shared by the FAT16 test files: deterministic content,
// whole-file reads through the driver, directory listings as maps.
#pragma once

#include <fs/fat16/volume.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace fat16::test {

inline std::vector<u8> pattern_bytes(size_t size, u32 seed)
{
    std::vector<u8> data(size);
    std::mt19937 rng(seed);
    for (auto& b : data)
        b = u8(rng());
    return data;
}

// The whole file at `path`, or the driver's error.
inline ErrorOr<std::vector<u8>> read_whole(Volume& volume, const std::string& path)
{
    File file;
    auto opened = volume.open(path.c_str(), file);
    if (opened.is_error())
        return opened.error();
    std::vector<u8> data(file.size);
    u32 done = 0;
    while (done < data.size()) {
        auto n = volume.read(file, data.data() + done, u32(data.size() - done));
        if (n.is_error())
            return n.error();
        if (n.value() == 0)
            return Error::IoError; // short read
        done += n.value();
    }
    return data;
}

inline ErrorOr<void> write_whole(Volume& volume, const std::string& path, const std::vector<u8>& data)
{
    File file;
    auto opened = volume.open(path.c_str(), file, OPEN_WRITE | OPEN_CREATE | OPEN_TRUNCATE);
    if (opened.is_error())
        return opened.error();
    auto n = volume.write(file, data.data(), u32(data.size()));
    if (n.is_error())
        return n.error();
    return {};
}

struct Listed {
    std::string short_name;
    bool directory;
    u32 size;
    u16 date;
};

// Name -> entry for every entry of a directory except "." and "..".
inline ErrorOr<std::map<std::string, Listed>> list_directory(Volume& volume, const std::string& path)
{
    DirectoryIterator it;
    auto opened = volume.open_directory(path.c_str(), it);
    if (opened.is_error())
        return opened.error();
    std::map<std::string, Listed> out;
    EntryInfo entry;
    for (;;) {
        auto more = it.next(entry);
        if (more.is_error())
            return more.error();
        if (!more.value())
            break;
        if (!entry.is_dot())
            out[entry.name] = { entry.short_name, entry.is_directory(), entry.size, entry.write_date };
    }
    return out;
}

} // namespace fat16::test
