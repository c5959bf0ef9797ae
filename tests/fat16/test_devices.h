// Block devices for the host tests and the benchmark.
//
// ImageFileDevice is the host's implementation of fat16::BlockDevice over a
// disk-image file (pread/pwrite/fsync). MemoryDevice keeps an image in memory
// and can misbehave on purpose: stop accepting writes after write number k
// (the crash test), fail every read, or claim to be read-only.
#pragma once

#include <fs/fat16/block_device.h>

#include <string>
#include <utility>
#include <vector>

namespace fat16::test {

class ImageFileDevice final : public BlockDevice {
public:
    ~ImageFileDevice();
    // Opens an existing image; returns false (with errno set) on failure.
    bool open(const std::string& path, bool read_only = false);
    void close();
    // flush() calls fdatasync unless turned off (the benchmark compares with
    // mcopy, which never syncs).
    void set_sync_on_flush(bool sync) { m_sync_on_flush = sync; }

    ErrorOr<void> read_sectors(u32 lba, u32 count, u8* buffer) override;
    ErrorOr<void> write_sectors(u32 lba, u32 count, const u8* buffer) override;
    ErrorOr<void> flush() override;
    u64 sector_count() const override { return m_sectors; }
    bool is_read_only() const override { return m_read_only; }

private:
    int m_fd { -1 };
    bool m_sync_on_flush { true };
    u64 m_sectors { 0 };
    bool m_read_only { false };
};

class MemoryDevice final : public BlockDevice {
public:
    explicit MemoryDevice(std::vector<u8> image) : m_image(std::move(image)) { }

    ErrorOr<void> read_sectors(u32 lba, u32 count, u8* buffer) override;
    ErrorOr<void> write_sectors(u32 lba, u32 count, const u8* buffer) override;
    ErrorOr<void> flush() override;
    u64 sector_count() const override { return m_image.size() / SECTOR_SIZE; }
    bool is_read_only() const override { return m_read_only; }

    std::vector<u8>& image() { return m_image; }
    // Writes (sector commands) accepted so far.
    u64 writes() const { return m_writes; }
    // Accept this many more write commands, then fail every later one with
    // IoError without touching the image: the power was cut.
    void cut_power_after(u64 writes) { m_cut_after = m_writes + writes; }
    void restore_power() { m_cut_after = ~0ull; }
    bool power_cut() const { return m_writes >= m_cut_after; }
    void set_fail_reads(bool fail) { m_fail_reads = fail; }
    void set_read_only(bool read_only) { m_read_only = read_only; }
    // (lba, count) of every accepted write command, in order.
    const std::vector<std::pair<u32, u32>>& write_log() const { return m_log; }

private:
    std::vector<u8> m_image;
    std::vector<std::pair<u32, u32>> m_log;
    u64 m_writes { 0 };
    u64 m_cut_after { ~0ull };
    bool m_fail_reads { false };
    bool m_read_only { false };
};

} // namespace fat16::test
