// DirectoryHost: the ModuleHost of host programs (flowrun, tests). A file
// item's path names a file under a root directory ("/DATA/MODEL.BIN" is
// ROOT/DATA/MODEL.BIN; a path with a ".." component reaches nothing), and
// the console is stdout. The kernel's counterpart is kernel/jit/volume_host.h.
#pragma once

#include <microjit/module/host.h>

#include <string>

class DirectoryHost final : public ModuleHost {
public:
    explicit DirectoryHost(std::string root) : m_root(std::move(root)) { }

    i32 file_size(const char* path) override;
    i32 read_file(const char* path, u32 offset, void* dst, u32 bytes) override;
    i32 write_file(const char* path, const void* src, u32 bytes) override;
    void write_console(const char* text, u32 length) override;

private:
    // The host path for `path`, or "" when it may not be reached.
    std::string resolve(const char* path) const;
    std::string m_root;
};
