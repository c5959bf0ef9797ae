// ATA PIO driver for the primary IDE channel's master drive: the kernel's
// implementation of fat16::BlockDevice.
//
// PIO is slow but needs nothing but port I/O: no DMA buffers, no PCI bus
// mastering, no interrupts (nIEN is set; completion is polled). Every poll is
// bounded by a deadline on now_ns(), so a missing or dead disk gives
// Error::DeviceTimeout, never a hang. References: ATA/ATAPI-6 (T13/1410D)
// sections 6 (protocols), 8.15 IDENTIFY DEVICE, 8.34/8.35 READ SECTORS (EXT),
// 8.62/8.63 WRITE SECTORS (EXT), 8.9/8.10 FLUSH CACHE (EXT).
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <fs/fat16/block_device.h>

class AtaPioDevice final : public fat16::BlockDevice {
public:
    // Resets the channel and identifies the primary master. NoDevice when
    // nothing (or an ATAPI drive) answers; DeviceTimeout when it hangs.
    ErrorOr<void> probe();

    ErrorOr<void> read_sectors(u32 lba, u32 count, u8* buffer) override;
    ErrorOr<void> write_sectors(u32 lba, u32 count, const u8* buffer) override;
    ErrorOr<void> flush() override;
    u64 sector_count() const override { return m_sectors; }
    bool is_read_only() const override { return false; }

    bool present() const { return m_present; }
    bool supports_lba48() const { return m_lba48; }
    const char* model() const { return m_model; }

private:
    ErrorOr<void> issue(u8 command28, u8 command48, u32 lba, u32 count);
    ErrorOr<void> wait_ready(u64 timeout_ns);
    ErrorOr<void> wait_data(u64 timeout_ns);
    ErrorOr<void> recover();

    bool m_present { false };
    bool m_lba48 { false };
    u64 m_sectors { 0 };
    char m_model[41] {};
};

// The primary master, probed at boot (KERNEL_INIT_DEVICES).
AtaPioDevice& boot_disk();
