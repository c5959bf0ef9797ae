// The boot drive through the BIOS: INT 13h extensions (EDD 3.0, T13/1572D)
// AH=41h (are they there), AH=48h (drive parameters), AH=42h/43h (extended
// read/write), called through the real-mode thunk (kernel/arch/x86/bios_call.h).
//
// This is the path for every disk the kernel has no driver for and the BIOS
// booted from: USB sticks (UHCI, EHCI, xHCI), AHCI disks, NVMe behind a CSM.
// It is slow (each call leaves protected mode, and data goes through a
// bounce buffer below 1 MiB, 64 sectors at a time) but it is the firmware's
// own, tested driver. Like AtaPioDevice it starts read-only; only the
// boot-disk finder (boot_disk.cpp) calls allow_writes().
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <fs/fat16/block_device.h>

class BiosDiskDevice final : public fat16::BlockDevice {
public:
    // Checks the extensions (AH=41h) and reads the geometry (AH=48h) of BIOS
    // drive `drive` (0x80 = the first hard disk; USB sticks boot as one).
    // NotSupported when the BIOS lacks the extensions, NoDevice when the
    // drive does not answer or has sectors other than 512 bytes.
    ErrorOr<void> probe(u8 drive);

    ErrorOr<void> read_sectors(u32 lba, u32 count, u8* buffer) override;
    // ReadOnlyMedia unless allow_writes() was called.
    ErrorOr<void> write_sectors(u32 lba, u32 count, const u8* buffer) override;
    // INT 13h AH=43h returns when the BIOS has written the data; it has no
    // cache of its own to flush.
    ErrorOr<void> flush() override { return {}; }
    u64 sector_count() const override { return m_sectors; }
    bool is_read_only() const override { return !m_writable; }

    void allow_writes() { m_writable = true; }
    bool present() const { return m_present; }
    u8 drive() const { return m_drive; }

private:
    ErrorOr<void> transfer(u8 function, u32 lba, u32 count);

    u8 m_drive { 0 };
    bool m_present { false };
    bool m_writable { false };
    u64 m_sectors { 0 };
};

// The one BIOS drive the kernel ever talks to: the boot drive.
BiosDiskDevice& bios_boot_device();
