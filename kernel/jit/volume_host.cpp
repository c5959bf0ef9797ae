// The boot-volume ModuleHost; see volume_host.h.
//
// FAT16 errors become the builtins' codes (docs/flow-language.md, "Files"):
// a missing file or directory is -1 when reading; anything that keeps a
// write from happening (read-only or full volume, a name that is not 8.3,
// a missing directory) is -4; a disk error or a damaged volume is -3. A
// write replaces the file whole (Volume::replace_file) and syncs, so a
// power cut leaves the old contents or the new ones.
#include <kernel/fs/boot_volume.h>
#include <kernel/jit/volume_host.h>
#include <kernel/lib/kprintf.h>

namespace {

i32 read_error(Error error)
{
    switch (error) {
    case Error::FsNotFound:
    case Error::FsNotDirectory:
    case Error::FsIsDirectory:
    case Error::FsBadName:
        return FileResult::Missing;
    default:
        return FileResult::IoError;
    }
}

i32 write_error(Error error)
{
    switch (error) {
    case Error::IoError:
    case Error::DeviceTimeout:
    case Error::FsCorrupt:
    case Error::FsTruncatedVolume:
    case Error::FsNotMounted:
    case Error::NoDevice:
        return FileResult::IoError;
    default:
        return FileResult::CannotWrite;
    }
}

class VolumeHost final : public ModuleHost {
public:
    i32 file_size(const char* path) override
    {
        auto volume = boot_volume();
        if (volume.is_error())
            return FileResult::IoError;
        auto stated = volume.value()->stat(path, m_entry);
        if (stated.is_error())
            return read_error(stated.error());
        if (m_entry.is_directory())
            return FileResult::Missing;
        return m_entry.size > 0x7FFFFFFF ? FileResult::IoError : static_cast<i32>(m_entry.size);
    }

    i32 read_file(const char* path, u32 offset, void* dst, u32 bytes) override
    {
        auto volume = boot_volume();
        if (volume.is_error())
            return FileResult::IoError;
        fat16::File file;
        if (auto opened = volume.value()->open(path, file); opened.is_error())
            return read_error(opened.error());
        if (volume.value()->seek(file, offset).is_error())
            return FileResult::IoError;
        auto got = volume.value()->read(file, dst, bytes);
        return got.is_error() ? FileResult::IoError : static_cast<i32>(got.value());
    }

    i32 write_file(const char* path, const void* src, u32 bytes) override
    {
        auto volume = boot_volume();
        if (volume.is_error())
            return FileResult::IoError;
        if (auto replaced = volume.value()->replace_file(path, src, bytes); replaced.is_error())
            return write_error(replaced.error());
        if (auto synced = boot_volume_sync(); synced.is_error())
            return write_error(synced.error());
        return static_cast<i32>(bytes);
    }

    void write_console(const char* text, u32 length) override
    {
        for (u32 i = 0; i < length; ++i)
            kputc(text[i]);
    }

private:
    fat16::EntryInfo m_entry {}; // large (a long name): kept out of the kernel stack
};

VolumeHost s_host;

}

ModuleHost& kernel_module_host() { return s_host; }
