// ATA PIO driver for the four legacy IDE devices (primary and secondary
// channel, master and slave): one of the kernel's fat16::BlockDevice
// implementations.
//
// Every device starts read-only. Only the boot-disk finder
// (kernel/drivers/boot_disk.cpp) may call allow_writes(), on the one device
// whose MBR carries the boot disk's signature: another disk in the machine
// can be read (its MBR is how we tell them apart) but never written.
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
    // `command_base` is the task file (0x1F0 or 0x170), `control_base` the
    // device control / alternate status register (0x3F6 or 0x376).
    constexpr AtaPioDevice(u16 command_base, u16 control_base, bool slave, const char* name)
        : m_command_base(command_base)
        , m_control_base(control_base)
        , m_slave(slave)
        , m_name(name)
    {
    }

    // Identifies the device. With `reset_channel`, first resets the channel
    // (both of its devices). NoDevice when nothing (or an ATAPI drive)
    // answers, at once for a floating bus; DeviceTimeout when it hangs.
    ErrorOr<void> probe(bool reset_channel);

    ErrorOr<void> read_sectors(u32 lba, u32 count, u8* buffer) override;
    // ReadOnlyMedia unless allow_writes() was called.
    ErrorOr<void> write_sectors(u32 lba, u32 count, const u8* buffer) override;
    ErrorOr<void> flush() override;
    u64 sector_count() const override { return m_sectors; }
    bool is_read_only() const override { return !m_writable; }

    // For the boot disk only (see the comment at the top).
    void allow_writes() { m_writable = true; }

    bool present() const { return m_present; }
    bool supports_lba48() const { return m_lba48; }
    const char* model() const { return m_model; }
    // "primary master", "secondary slave", ...
    const char* name() const { return m_name; }

private:
    ErrorOr<void> issue(u8 command28, u8 command48, u32 lba, u32 count);
    ErrorOr<void> wait_ready(u64 timeout_ns);
    ErrorOr<void> wait_data(u64 timeout_ns);
    ErrorOr<void> recover();
    void select(u8 device_bits);
    void settle();
    u8 status() const;

    u16 m_command_base;
    u16 m_control_base;
    bool m_slave;
    const char* m_name;
    bool m_present { false };
    bool m_writable { false };
    bool m_lba48 { false };
    u64 m_sectors { 0 };
    char m_model[41] {};
};

constexpr u32 ATA_DEVICE_COUNT = 4;

// The four legacy devices, probed at boot (KERNEL_INIT_DEVICES), in the
// order primary master, primary slave, secondary master, secondary slave.
AtaPioDevice& ata_device(u32 index);
