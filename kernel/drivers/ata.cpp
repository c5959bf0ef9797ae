// ATA PIO on the primary channel (see ata.h).
#include <kernel/arch/x86/io.h>
#include <kernel/drivers/ata.h>
#include <kernel/init.h>
#include <kernel/lib/kprintf.h>
#include <kernel/time/clock.h>

namespace {

// Primary channel task-file registers (ATA/ATAPI-6 section 7).
constexpr u16 ATA_DATA = 0x1F0;
constexpr u16 ATA_ERROR = 0x1F1;
constexpr u16 ATA_SECTOR_COUNT = 0x1F2;
constexpr u16 ATA_LBA_LOW = 0x1F3;
constexpr u16 ATA_LBA_MID = 0x1F4;
constexpr u16 ATA_LBA_HIGH = 0x1F5;
constexpr u16 ATA_DEVICE = 0x1F6;
constexpr u16 ATA_STATUS = 0x1F7; // read
constexpr u16 ATA_COMMAND = 0x1F7; // write
constexpr u16 ATA_ALT_STATUS = 0x3F6; // read: status without clearing the interrupt
constexpr u16 ATA_CONTROL = 0x3F6;    // write: device control

constexpr u8 STATUS_ERR = 0x01;
constexpr u8 STATUS_DRQ = 0x08;
constexpr u8 STATUS_DF = 0x20;
constexpr u8 STATUS_BSY = 0x80;

constexpr u8 CONTROL_NIEN = 0x02; // no interrupts: we poll
constexpr u8 CONTROL_SRST = 0x04; // software reset of both drives

constexpr u8 ERROR_WP = 0x40; // write protected (removable media)

constexpr u8 CMD_READ_SECTORS = 0x20;
constexpr u8 CMD_READ_SECTORS_EXT = 0x24;
constexpr u8 CMD_WRITE_SECTORS = 0x30;
constexpr u8 CMD_WRITE_SECTORS_EXT = 0x34;
constexpr u8 CMD_FLUSH_CACHE = 0xE7;
constexpr u8 CMD_FLUSH_CACHE_EXT = 0xEA;
constexpr u8 CMD_IDENTIFY = 0xEC;

constexpr u64 MS = 1000000;
constexpr u64 COMMAND_TIMEOUT = 2000 * MS; // a sector transfer
constexpr u64 FLUSH_TIMEOUT = 30000 * MS;  // ATA-6 allows a long cache flush
constexpr u64 RESET_TIMEOUT = 3000 * MS;
constexpr u32 LBA28_LIMIT = 1u << 28;
constexpr u32 MAX_SECTORS_PER_COMMAND = 256; // LBA28: a count of 0 means 256

// ATA-6 section 6.2: 400 ns for the status to become valid after a command
// or a device selection; four alternate-status reads take at least that.
void settle()
{
    for (int i = 0; i < 4; ++i)
        (void)x86::inb(ATA_ALT_STATUS);
}

AtaPioDevice s_boot_disk;

} // namespace

AtaPioDevice& boot_disk() { return s_boot_disk; }

ErrorOr<void> AtaPioDevice::wait_ready(u64 timeout_ns)
{
    u64 deadline = now_ns() + timeout_ns;
    for (;;) {
        u8 status = x86::inb(ATA_ALT_STATUS);
        if (status == 0xFF)
            return Error::NoDevice; // floating bus: nothing attached
        if (!(status & STATUS_BSY)) {
            if (status & (STATUS_ERR | STATUS_DF))
                return (x86::inb(ATA_ERROR) & ERROR_WP) ? Error::ReadOnlyMedia : Error::IoError;
            return {};
        }
        if (now_ns() > deadline)
            return Error::DeviceTimeout;
    }
}

ErrorOr<void> AtaPioDevice::wait_data(u64 timeout_ns)
{
    u64 deadline = now_ns() + timeout_ns;
    for (;;) {
        u8 status = x86::inb(ATA_ALT_STATUS);
        if (status == 0xFF)
            return Error::NoDevice;
        if (!(status & STATUS_BSY)) {
            if (status & (STATUS_ERR | STATUS_DF))
                return (x86::inb(ATA_ERROR) & ERROR_WP) ? Error::ReadOnlyMedia : Error::IoError;
            if (status & STATUS_DRQ)
                return {};
        }
        if (now_ns() > deadline)
            return Error::DeviceTimeout;
    }
}

ErrorOr<void> AtaPioDevice::recover()
{
    // A software reset brings a confused drive back to a known state.
    x86::outb(ATA_CONTROL, CONTROL_NIEN | CONTROL_SRST);
    delay_us(10);
    x86::outb(ATA_CONTROL, CONTROL_NIEN);
    delay_us(2000);
    return wait_ready(RESET_TIMEOUT);
}

ErrorOr<void> AtaPioDevice::probe()
{
    m_present = false;
    if (x86::inb(ATA_STATUS) == 0xFF)
        return Error::NoDevice; // no controller on the primary channel
    auto reset = recover();
    if (reset.is_error())
        return reset.error();
    x86::outb(ATA_DEVICE, 0xA0); // master, CHS bits unused
    settle();
    x86::outb(ATA_SECTOR_COUNT, 0);
    x86::outb(ATA_LBA_LOW, 0);
    x86::outb(ATA_LBA_MID, 0);
    x86::outb(ATA_LBA_HIGH, 0);
    x86::outb(ATA_COMMAND, CMD_IDENTIFY);
    settle();
    if (x86::inb(ATA_STATUS) == 0)
        return Error::NoDevice;
    // Wait for BSY to drop without judging ERR yet: an ATAPI drive aborts
    // IDENTIFY DEVICE, and that is "no disk", not "disk error".
    u64 deadline = now_ns() + COMMAND_TIMEOUT;
    while (x86::inb(ATA_ALT_STATUS) & STATUS_BSY)
        if (now_ns() > deadline)
            return Error::DeviceTimeout;
    // ATAPI and SATA bridges in native mode put a signature here instead of
    // answering IDENTIFY DEVICE (ATA-6 section 9.12).
    if (x86::inb(ATA_LBA_MID) != 0 || x86::inb(ATA_LBA_HIGH) != 0)
        return Error::NoDevice;
    TRY(wait_data(COMMAND_TIMEOUT));
    u16 identify[256];
    x86::insw(ATA_DATA, identify, 256);

    // ATA-6 8.15 (IDENTIFY DEVICE data): words 60-61 the LBA28 capacity,
    // word 83 bit 10 LBA48 support, words 100-103 the LBA48 capacity,
    // words 27-46 the model, two characters per word, high byte first.
    m_lba48 = identify[83] & (1u << 10);
    u64 sectors28 = identify[60] | (u32(identify[61]) << 16);
    u64 sectors48 = identify[100] | (u64(identify[101]) << 16) | (u64(identify[102]) << 32) | (u64(identify[103]) << 48);
    m_sectors = (m_lba48 && sectors48) ? sectors48 : sectors28;
    for (u32 i = 0; i < 20; ++i) {
        m_model[2 * i] = char(identify[27 + i] >> 8);
        m_model[2 * i + 1] = char(identify[27 + i] & 0xFF);
    }
    u32 end = 40;
    while (end > 0 && (m_model[end - 1] == ' ' || m_model[end - 1] == 0))
        --end;
    m_model[end] = 0;
    if (m_sectors == 0)
        return Error::NoDevice;
    m_present = true;
    return {};
}

ErrorOr<void> AtaPioDevice::issue(u8 command28, u8 command48, u32 lba, u32 count)
{
    TRY(wait_ready(COMMAND_TIMEOUT));
    if (u64(lba) + count <= LBA28_LIMIT) {
        // LBA28 (ATA-6 section 6.2.1): the top four address bits go in the
        // device register with LBA mode (bit 6) set.
        x86::outb(ATA_DEVICE, u8(0xE0 | ((lba >> 24) & 0x0F)));
        settle();
        x86::outb(ATA_SECTOR_COUNT, u8(count)); // 256 is written as 0
        x86::outb(ATA_LBA_LOW, u8(lba));
        x86::outb(ATA_LBA_MID, u8(lba >> 8));
        x86::outb(ATA_LBA_HIGH, u8(lba >> 16));
        x86::outb(ATA_COMMAND, command28);
        return {};
    }
    if (!m_lba48)
        return Error::OutOfRange;
    // LBA48: each register is a two-deep FIFO; the high bytes go first.
    x86::outb(ATA_DEVICE, 0x40);
    settle();
    x86::outb(ATA_SECTOR_COUNT, u8(count >> 8));
    x86::outb(ATA_LBA_LOW, u8(lba >> 24));
    x86::outb(ATA_LBA_MID, 0); // address bits 32-39: our LBAs are 32-bit
    x86::outb(ATA_LBA_HIGH, 0);
    x86::outb(ATA_SECTOR_COUNT, u8(count));
    x86::outb(ATA_LBA_LOW, u8(lba));
    x86::outb(ATA_LBA_MID, u8(lba >> 8));
    x86::outb(ATA_LBA_HIGH, u8(lba >> 16));
    x86::outb(ATA_COMMAND, command48);
    return {};
}

ErrorOr<void> AtaPioDevice::read_sectors(u32 lba, u32 count, u8* buffer)
{
    if (!m_present)
        return Error::NoDevice;
    if (u64(lba) + count > m_sectors)
        return Error::OutOfRange;
    while (count > 0) {
        u32 chunk = count < MAX_SECTORS_PER_COMMAND ? count : MAX_SECTORS_PER_COMMAND;
        TRY(issue(CMD_READ_SECTORS, CMD_READ_SECTORS_EXT, lba, chunk));
        for (u32 i = 0; i < chunk; ++i) {
            settle();
            auto ready = wait_data(COMMAND_TIMEOUT);
            if (ready.is_error()) {
                (void)recover();
                return ready.error();
            }
            x86::insw(ATA_DATA, buffer, 256);
            buffer += fat16::SECTOR_SIZE;
        }
        lba += chunk;
        count -= chunk;
    }
    return {};
}

ErrorOr<void> AtaPioDevice::write_sectors(u32 lba, u32 count, const u8* buffer)
{
    if (!m_present)
        return Error::NoDevice;
    if (u64(lba) + count > m_sectors)
        return Error::OutOfRange;
    while (count > 0) {
        u32 chunk = count < MAX_SECTORS_PER_COMMAND ? count : MAX_SECTORS_PER_COMMAND;
        TRY(issue(CMD_WRITE_SECTORS, CMD_WRITE_SECTORS_EXT, lba, chunk));
        for (u32 i = 0; i < chunk; ++i) {
            settle();
            auto ready = wait_data(COMMAND_TIMEOUT);
            if (ready.is_error()) {
                (void)recover();
                return ready.error();
            }
            x86::outsw(ATA_DATA, buffer, 256);
            buffer += fat16::SECTOR_SIZE;
        }
        // The drive reports the fate of the last sector once BSY drops.
        settle();
        auto done = wait_ready(COMMAND_TIMEOUT);
        if (done.is_error()) {
            (void)recover();
            return done.error();
        }
        lba += chunk;
        count -= chunk;
    }
    return {};
}

ErrorOr<void> AtaPioDevice::flush()
{
    if (!m_present)
        return Error::NoDevice;
    TRY(wait_ready(COMMAND_TIMEOUT));
    x86::outb(ATA_DEVICE, 0xE0);
    settle();
    x86::outb(ATA_COMMAND, m_lba48 ? CMD_FLUSH_CACHE_EXT : CMD_FLUSH_CACHE);
    settle();
    return wait_ready(FLUSH_TIMEOUT);
}

static ErrorOr<void> probe_boot_disk()
{
    AtaPioDevice& disk = boot_disk();
    TRY(disk.probe());
    u64 mib = disk.sector_count() / 2048;
    kprintf("ata: primary master \"%s\", %llu MiB, %s\n", disk.model(), mib, disk.supports_lba48() ? "LBA48" : "LBA28");
    return {};
}
KERNEL_INIT(KERNEL_INIT_DEVICES, "ata", probe_boot_disk);
