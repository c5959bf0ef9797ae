// DirectoryHost over POSIX files and stdout; see directory_host.h.
#include <tools/host/directory_host.h>

#include <cerrno>
#include <cstdio>
#include <sys/stat.h>

std::string DirectoryHost::resolve(const char* path) const
{
    std::string p(path);
    if (p.empty() || p[0] != '/')
        return {};
    for (usize at = 0; at < p.size();) { // no ".." component may climb out of the root
        usize end = p.find('/', at + 1);
        if (end == std::string::npos)
            end = p.size();
        if (p.compare(at, end - at, "/..") == 0)
            return {};
        at = end;
    }
    return m_root + p;
}

i32 DirectoryHost::file_size(const char* path)
{
    std::string host_path = resolve(path);
    struct stat info;
    if (host_path.empty() || ::stat(host_path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
        return FileResult::Missing;
    if (info.st_size > 0x7FFFFFFF)
        return FileResult::IoError; // sizes are i32 in Flow
    return static_cast<i32>(info.st_size);
}

i32 DirectoryHost::read_file(const char* path, u32 offset, void* dst, u32 bytes)
{
    std::string host_path = resolve(path);
    if (host_path.empty())
        return FileResult::Missing;
    FILE* f = std::fopen(host_path.c_str(), "rb");
    if (!f)
        return errno == ENOENT ? FileResult::Missing : FileResult::IoError;
    i32 result = FileResult::IoError;
    if (std::fseek(f, static_cast<long>(offset), SEEK_SET) == 0) {
        usize got = std::fread(dst, 1, bytes, f);
        if (!std::ferror(f))
            result = static_cast<i32>(got);
    }
    std::fclose(f);
    return result;
}

i32 DirectoryHost::write_file(const char* path, const void* src, u32 bytes)
{
    std::string host_path = resolve(path);
    if (host_path.empty())
        return FileResult::CannotWrite;
    FILE* f = std::fopen(host_path.c_str(), "wb");
    if (!f)
        return errno == EIO ? FileResult::IoError : FileResult::CannotWrite;
    usize wrote = std::fwrite(src, 1, bytes, f);
    bool ok = wrote == bytes && std::fflush(f) == 0;
    ok = std::fclose(f) == 0 && ok;
    return ok ? static_cast<i32>(bytes) : FileResult::CannotWrite;
}

void DirectoryHost::write_console(const char* text, u32 length)
{
    std::fwrite(text, 1, length, stdout);
}
