// A native AHCI driver for SATA disks (Serial ATA AHCI 1.3.1): one of the
// kernel's fat16::BlockDevice implementations, polled, one command slot,
// DMA through a 64 KiB buffer the kernel owns.
//
// The BIOS keeps using the controller for INT 13h (it is how USB and other
// disks are reached), so the driver borrows a port rather than resetting
// the HBA: it stops the port, points it at its own command list and FIS
// area, and on hand_back() restores the BIOS's and restarts it. The
// boot-disk finder hands back every port that is not the boot disk. No
// BIOS/OS handoff (BOHC) is requested: that would take the controller
// from the BIOS for good.
//
// Like the other devices, an AhciDevice starts read-only; only the
// boot-disk finder calls allow_writes().
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <fs/fat16/block_device.h>

class AhciDevice final : public fat16::BlockDevice {
public:
    // Takes over port `index` of the HBA at `abar` and identifies its disk.
    ErrorOr<void> attach(volatile u8* abar, u32 index);
    // Gives the port back to the BIOS exactly as it was.
    void hand_back();

    ErrorOr<void> read_sectors(u32 lba, u32 count, u8* buffer) override;
    ErrorOr<void> write_sectors(u32 lba, u32 count, const u8* buffer) override;
    ErrorOr<void> flush() override;
    u64 sector_count() const override { return m_sectors; }
    bool is_read_only() const override { return !m_writable; }

    void allow_writes() { m_writable = true; }
    bool present() const { return m_present; }
    const char* name() const { return m_name; }
    const char* model() const { return m_model; }

private:
    // Sectors one command moves: the DMA buffer's worth, at most 256 with
    // LBA28 commands.
    u32 sectors_per_command() const;
    ErrorOr<void> issue(u8 command, u32 lba, u32 count, bool write, u32 bytes);
    ErrorOr<void> stop();
    ErrorOr<void> start();
    volatile u32& reg(u32 offset);

    volatile u8* m_port { nullptr };
    u8* m_memory { nullptr }; // command list, received FIS, command table
    bool m_present { false };
    bool m_writable { false };
    bool m_lba48 { false };
    u64 m_sectors { 0 };
    u32 m_saved[4] {}; // the BIOS's PxCLB, PxCLBU, PxFB, PxFBU
    u32 m_saved_command { 0 };
    char m_name[16] {};
    char m_model[41] {};
};

constexpr u32 AHCI_MAX_DEVICES = 8;

// The SATA disks found on the first AHCI controller at boot (KERNEL_INIT_DEVICES).
u32 ahci_device_count();
AhciDevice& ahci_device(u32 index);
