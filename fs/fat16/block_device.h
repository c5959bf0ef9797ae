// BlockDevice: the one media interface the FAT16 driver talks to.
//
// Like FatFs's disk_read/disk_write/disk_ioctl, it is deliberately tiny so the
// driver runs anywhere. Two implementations exist: the kernel's ATA PIO driver
// (kernel/drivers/ata.*) and, on the host, an image file (host_file_device.*).
// Tests wrap either one to inject faults (a disk that stops accepting writes
// after write number k, a disk that fails reads).
//
// Contract: sectors are 512 bytes; `lba` is relative to the device's start;
// a request that reaches past sector_count() fails with Error::OutOfRange; a
// write returns only after the device accepted the data (flush() makes it
// durable). Every failure is an ErrorOr error, never a panic: a failing disk
// is an expected event.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

namespace fat16 {

constexpr u32 SECTOR_SIZE = 512;

class BlockDevice {
public:
    // Not pure virtual: the kernel links no C++ runtime (__cxa_pure_virtual),
    // so the base answers "no device" and every implementation overrides all.
    virtual ErrorOr<void> read_sectors(u32, u32, u8*) { return Error::NoDevice; }
    virtual ErrorOr<void> write_sectors(u32, u32, const u8*) { return Error::NoDevice; }
    // Makes every accepted write durable (ATA FLUSH CACHE, fsync on the host).
    virtual ErrorOr<void> flush() { return Error::NoDevice; }
    virtual u64 sector_count() const { return 0; }
    virtual bool is_read_only() const { return true; }

protected:
    // Devices are owned by their creators (static objects in the kernel); the
    // driver never deletes one, so no virtual destructor (and no operator delete).
    ~BlockDevice() = default;
};

} // namespace fat16
