// The boot drive through INT 13h extensions (see bios_disk.h).
#include <kernel/arch/x86/bios_call.h>
#include <kernel/drivers/bios_disk.h>
#include <kernel/drivers/chunked_transfer.h>
#include <kernel/lib/string.h>

namespace {

constexpr u8 FUNCTION_RESET = 0x00;          // INT 13h AH=00h: reset the disk system
constexpr u8 FUNCTION_CHECK_EXTENSIONS = 0x41; // EDD: installation check
constexpr u8 FUNCTION_EXTENDED_READ = 0x42;
constexpr u8 FUNCTION_EXTENDED_WRITE = 0x43; // AL = 0: write without verify
constexpr u8 FUNCTION_DRIVE_PARAMETERS = 0x48;

constexpr u16 EXTENSIONS_ASKED = 0x55AA;     // BX in, for AH=41h
constexpr u16 EXTENSIONS_PRESENT = 0xAA55;   // BX out
constexpr u16 EXTENSIONS_FIXED_DISK = 0x0001; // CX bit 0: AH=42h-44h, 47h, 48h supported

constexpr u8 STATUS_WRITE_PROTECTED = 0x03;  // AH after a failed AH=43h
constexpr u32 TRIES = 3;                     // as stage2: a USB stick may stall once
constexpr u32 SECTORS_PER_CALL = BIOS_BOUNCE_BYTES / fat16::SECTOR_SIZE; // 64: the bounce buffer

// EDD 3.0 disk address packet (AH=42h/43h), in the thunk's scratch area.
struct [[gnu::packed]] DiskAddressPacket {
    u8 size;      // 16
    u8 reserved;
    u16 count;    // sectors; the BIOS writes back how many it moved
    u16 offset;   // the buffer, as segment:offset
    u16 segment;
    u64 lba;
};
static_assert(sizeof(DiskAddressPacket) == 16);

// EDD 1.1 result buffer of AH=48h (the part every version has).
struct [[gnu::packed]] DriveParameters {
    u16 size;      // in: the buffer's size; out: what the BIOS filled
    u16 flags;
    u32 cylinders;
    u32 heads;
    u32 sectors_per_track;
    u64 total_sectors;
    u16 bytes_per_sector;
};
static_assert(sizeof(DriveParameters) == 26);
static_assert(sizeof(DriveParameters) <= BIOS_SCRATCH_BYTES);

BiosDiskDevice s_boot_device;

u8* scratch() { return reinterpret_cast<u8*>(BIOS_SCRATCH_ADDRESS); }
u8* bounce() { return reinterpret_cast<u8*>(BIOS_BOUNCE_ADDRESS); }

BiosRegisters call(u8 function, u8 drive)
{
    BiosRegisters registers {};
    registers.eax = u32(function) << 8;
    registers.edx = drive;
    registers.ds = real_segment(BIOS_SCRATCH_ADDRESS);
    registers.esi = real_offset(BIOS_SCRATCH_ADDRESS);
    return registers;
}

bool failed(const BiosRegisters& registers) { return registers.eflags & EFLAGS_CARRY; }

} // namespace

BiosDiskDevice& bios_boot_device() { return s_boot_device; }

ErrorOr<void> BiosDiskDevice::probe(u8 drive)
{
    m_present = false;
    m_drive = drive;
    BiosRegisters check = call(FUNCTION_CHECK_EXTENSIONS, drive);
    check.ebx = EXTENSIONS_ASKED;
    bios_int13(check);
    if (failed(check) || u16(check.ebx) != EXTENSIONS_PRESENT || !(check.ecx & EXTENSIONS_FIXED_DISK))
        return Error::NotSupported;

    auto* parameters = reinterpret_cast<DriveParameters*>(scratch());
    memset(parameters, 0, sizeof(DriveParameters));
    parameters->size = sizeof(DriveParameters);
    BiosRegisters geometry = call(FUNCTION_DRIVE_PARAMETERS, drive);
    bios_int13(geometry);
    if (failed(geometry))
        return Error::NoDevice;
    // Some BIOSes leave bytes_per_sector 0 for USB; 512 is what they mean.
    u16 sector_bytes = parameters->bytes_per_sector ? parameters->bytes_per_sector : fat16::SECTOR_SIZE;
    if (sector_bytes != fat16::SECTOR_SIZE)
        return Error::NoDevice; // a CD (2048) or a 4Kn disk: not ours
    m_sectors = parameters->total_sectors;
    if (m_sectors == 0 || m_sectors > 0xFFFFFFFFull)
        m_sectors = 0xFFFFFFFFull; // unknown: the partition table bounds what we touch
    m_present = true;
    return {};
}

ErrorOr<void> BiosDiskDevice::transfer(u8 function, u32 lba, u32 count)
{
    for (u32 attempt = 0; attempt < TRIES; ++attempt) {
        auto* packet = reinterpret_cast<DiskAddressPacket*>(scratch());
        *packet = { sizeof(DiskAddressPacket), 0, u16(count), real_offset(BIOS_BOUNCE_ADDRESS),
                    real_segment(BIOS_BOUNCE_ADDRESS), lba };
        BiosRegisters registers = call(function, m_drive);
        bios_int13(registers);
        if (!failed(registers) && packet->count == count)
            return {};
        if (function == FUNCTION_EXTENDED_WRITE && u8(registers.eax >> 8) == STATUS_WRITE_PROTECTED)
            return Error::ReadOnlyMedia;
        BiosRegisters reset = call(FUNCTION_RESET, m_drive);
        bios_int13(reset); // its own result does not matter: the retry tells
    }
    return Error::IoError;
}

ErrorOr<void> BiosDiskDevice::read_sectors(u32 lba, u32 count, u8* buffer)
{
    if (!m_present)
        return Error::NoDevice;
    if (u64(lba) + count > m_sectors)
        return Error::OutOfRange;
    return for_each_chunk(lba, count, SECTORS_PER_CALL, [&](u32 at, u32 chunk, u32 offset) -> ErrorOr<void> {
        TRY(transfer(FUNCTION_EXTENDED_READ, at, chunk));
        memcpy(buffer + offset, bounce(), chunk * fat16::SECTOR_SIZE);
        return {};
    });
}

ErrorOr<void> BiosDiskDevice::write_sectors(u32 lba, u32 count, const u8* buffer)
{
    if (!m_present)
        return Error::NoDevice;
    if (!m_writable)
        return Error::ReadOnlyMedia;
    if (u64(lba) + count > m_sectors)
        return Error::OutOfRange;
    return for_each_chunk(lba, count, SECTORS_PER_CALL, [&](u32 at, u32 chunk, u32 offset) -> ErrorOr<void> {
        memcpy(bounce(), buffer + offset, chunk * fat16::SECTOR_SIZE);
        return transfer(FUNCTION_EXTENDED_WRITE, at, chunk);
    });
}
