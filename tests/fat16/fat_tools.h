// The external judges of the FAT16 tests: mkfs.fat, mtools and fsck.fat,
// run as processes on image files in a private temporary directory.
#pragma once

#include <bareflow/types.h>

#include <string>
#include <vector>

namespace fat16::test {

// A private directory, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

struct CommandResult {
    int status; // exit status, or -1 if the command could not run
    std::string output; // stdout and stderr together
};

// Runs `command` with /bin/sh; mtools runs with MTOOLS_SKIP_CHECK=1 so that
// odd geometries are not refused.
CommandResult run_command(const std::string& command);
std::string shell_quote(const std::string& text);

// mkfs.fat -F 16 -C: a fresh FAT16 image of `kib` KiB. Returns mkfs's result.
CommandResult make_fat16_image(const std::string& path, u32 kib, u32 sectors_per_cluster, u32 fat_count,
    const std::string& label = "BAREFLOW");

// mcopy -s SOURCE ::DEST (DEST "" means the root); mtype ::PATH.
CommandResult mcopy_to_image(const std::string& image, const std::string& source, const std::string& dest = "");
CommandResult mtype(const std::string& image, const std::string& path);
CommandResult mcopy_from_image(const std::string& image, const std::string& path, const std::string& dest);

// fsck.fat -n -V (never repairs). `clean` is true when fsck reports nothing.
struct FsckReport {
    int status;
    std::string output;
    bool clean;
    // The findings, one per line, without fsck's banner and pass lines.
    std::vector<std::string> findings;
};
FsckReport fsck_image(const std::string& image);

std::vector<u8> read_file(const std::string& path);
void write_file(const std::string& path, const std::vector<u8>& data);
void write_text(const std::string& path, const std::string& text);

} // namespace fat16::test
