// Host block devices (see test_devices.h).
#include "test_devices.h"

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fat16::test {

ImageFileDevice::~ImageFileDevice() { close(); }

bool ImageFileDevice::open(const std::string& path, bool read_only)
{
    close();
    m_fd = ::open(path.c_str(), read_only ? O_RDONLY : O_RDWR);
    if (m_fd < 0)
        return false;
    struct stat st {};
    if (fstat(m_fd, &st) != 0) {
        close();
        return false;
    }
    m_sectors = u64(st.st_size) / SECTOR_SIZE;
    m_read_only = read_only;
    return true;
}

void ImageFileDevice::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_sectors = 0;
}

ErrorOr<void> ImageFileDevice::read_sectors(u32 lba, u32 count, u8* buffer)
{
    if (m_fd < 0)
        return Error::NoDevice;
    if (u64(lba) + count > m_sectors)
        return Error::OutOfRange;
    size_t bytes = size_t(count) * SECTOR_SIZE;
    if (pread(m_fd, buffer, bytes, off_t(lba) * SECTOR_SIZE) != ssize_t(bytes))
        return Error::IoError;
    return {};
}

ErrorOr<void> ImageFileDevice::write_sectors(u32 lba, u32 count, const u8* buffer)
{
    if (m_fd < 0)
        return Error::NoDevice;
    if (m_read_only)
        return Error::ReadOnlyMedia;
    if (u64(lba) + count > m_sectors)
        return Error::OutOfRange;
    size_t bytes = size_t(count) * SECTOR_SIZE;
    if (pwrite(m_fd, buffer, bytes, off_t(lba) * SECTOR_SIZE) != ssize_t(bytes))
        return Error::IoError;
    return {};
}

ErrorOr<void> ImageFileDevice::flush()
{
    if (m_fd < 0)
        return Error::NoDevice;
    if (!m_read_only && m_sync_on_flush && fdatasync(m_fd) != 0)
        return Error::IoError;
    return {};
}

ErrorOr<void> MemoryDevice::read_sectors(u32 lba, u32 count, u8* buffer)
{
    if (m_fail_reads)
        return Error::IoError;
    if (u64(lba) + count > sector_count())
        return Error::OutOfRange;
    std::memcpy(buffer, m_image.data() + size_t(lba) * SECTOR_SIZE, size_t(count) * SECTOR_SIZE);
    return {};
}

ErrorOr<void> MemoryDevice::write_sectors(u32 lba, u32 count, const u8* buffer)
{
    if (m_read_only)
        return Error::ReadOnlyMedia;
    if (u64(lba) + count > sector_count())
        return Error::OutOfRange;
    if (m_writes >= m_cut_after)
        return Error::IoError;
    ++m_writes;
    m_log.emplace_back(lba, count);
    std::memcpy(m_image.data() + size_t(lba) * SECTOR_SIZE, buffer, size_t(count) * SECTOR_SIZE);
    return {};
}

ErrorOr<void> MemoryDevice::flush()
{
    if (m_writes >= m_cut_after)
        return Error::IoError;
    return {};
}

} // namespace fat16::test
