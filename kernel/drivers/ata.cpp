// ATA PIO on the two legacy IDE channels (see ata.h).
#include <bareflow/panic.h>
#include <kernel/arch/x86/io.h>
#include <kernel/drivers/ata.h>
#include <kernel/drivers/ata_identify.h>
#include <kernel/init.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/time/clock.h>

namespace {

// Task-file registers as offsets from the channel's command block
// (ATA/ATAPI-6 section 7); the control block has one register.
constexpr u16 REG_DATA = 0;
constexpr u16 REG_ERROR = 1;
constexpr u16 REG_SECTOR_COUNT = 2;
constexpr u16 REG_LBA_LOW = 3;
constexpr u16 REG_LBA_MID = 4;
constexpr u16 REG_LBA_HIGH = 5;
constexpr u16 REG_DEVICE = 6;
constexpr u16 REG_STATUS = 7;  // read
constexpr u16 REG_COMMAND = 7; // write
// Control block: alternate status (read, does not clear the interrupt) and
// device control (write).

constexpr u8 STATUS_ERR = 0x01;
constexpr u8 STATUS_DRQ = 0x08;
constexpr u8 STATUS_DF = 0x20;
constexpr u8 STATUS_BSY = 0x80;
constexpr u8 STATUS_FLOATING = 0xFF; // nothing drives the bus: no device or no channel

constexpr u8 CONTROL_NIEN = 0x02; // no interrupts: we poll
constexpr u8 CONTROL_SRST = 0x04; // software reset of both drives

constexpr u8 DEVICE_SLAVE = 0x10; // DEV bit of the device register
constexpr u8 DEVICE_LBA = 0x40;   // LBA addressing
constexpr u8 DEVICE_OBSOLETE = 0xA0; // bits 7 and 5, set by tradition (ATA-1)

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
constexpr u64 IDENTIFY_TIMEOUT = 1000 * MS; // an absent slave must not hold up the boot for long
constexpr u64 FLUSH_TIMEOUT = 30000 * MS;  // ATA-6 allows a long cache flush
constexpr u64 RESET_TIMEOUT = 3000 * MS;
constexpr u32 LBA28_LIMIT = 1u << 28;
constexpr u32 MAX_SECTORS_PER_COMMAND = 256; // LBA28: a count of 0 means 256

// The legacy (ISA compatibility) addresses every PC chipset and QEMU's PIIX
// decode: primary 0x1F0/0x3F6, secondary 0x170/0x376.
AtaPioDevice s_devices[ATA_DEVICE_COUNT] = {
    { 0x1F0, 0x3F6, false, "primary master" },
    { 0x1F0, 0x3F6, true, "primary slave" },
    { 0x170, 0x376, false, "secondary master" },
    { 0x170, 0x376, true, "secondary slave" },
};

} // namespace

AtaPioDevice& ata_device(u32 index)
{
    if (index >= ATA_DEVICE_COUNT)
        panic("ata: device index out of range (there are four legacy IDE devices)");
    return s_devices[index];
}

u8 AtaPioDevice::status() const { return x86::inb(m_control_base); }

// ATA-6 section 6.2: 400 ns for the status to become valid after a command
// or a device selection; four alternate-status reads take at least that.
void AtaPioDevice::settle()
{
    for (int i = 0; i < 4; ++i)
        (void)status();
}

void AtaPioDevice::select(u8 device_bits)
{
    x86::outb(m_command_base + REG_DEVICE, u8(device_bits | (m_slave ? DEVICE_SLAVE : 0)));
    settle();
}

ErrorOr<void> AtaPioDevice::wait_ready(u64 timeout_ns)
{
    u64 deadline = now_ns() + timeout_ns;
    for (;;) {
        u8 value = status();
        if (value == STATUS_FLOATING)
            return Error::NoDevice;
        if (!(value & STATUS_BSY)) {
            if (value & (STATUS_ERR | STATUS_DF))
                return (x86::inb(m_command_base + REG_ERROR) & ERROR_WP) ? Error::ReadOnlyMedia : Error::IoError;
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
        u8 value = status();
        if (value == STATUS_FLOATING)
            return Error::NoDevice;
        if (!(value & STATUS_BSY)) {
            if (value & (STATUS_ERR | STATUS_DF))
                return (x86::inb(m_command_base + REG_ERROR) & ERROR_WP) ? Error::ReadOnlyMedia : Error::IoError;
            if (value & STATUS_DRQ)
                return {};
        }
        if (now_ns() > deadline)
            return Error::DeviceTimeout;
    }
}

ErrorOr<void> AtaPioDevice::recover()
{
    // A software reset brings a confused drive back to a known state (it
    // resets both devices of the channel and selects the master).
    x86::outb(m_control_base, CONTROL_NIEN | CONTROL_SRST);
    delay_us(10);
    x86::outb(m_control_base, CONTROL_NIEN);
    delay_us(2000);
    return wait_ready(RESET_TIMEOUT);
}

ErrorOr<void> AtaPioDevice::probe(bool reset_channel)
{
    m_present = false;
    // Floating bus: with no controller (or no drive at all) on the channel,
    // nothing pulls the data lines low and every register reads 0xFF.
    if (x86::inb(m_command_base + REG_STATUS) == STATUS_FLOATING)
        return Error::NoDevice;
    if (reset_channel) {
        auto reset = recover();
        // A channel whose master is absent may keep BSY set for the slave's
        // sake; that is judged below, per device, not here.
        if (reset.is_error() && reset.error() != Error::DeviceTimeout)
            return reset.error();
    }
    select(DEVICE_OBSOLETE);
    if (status() == STATUS_FLOATING || status() == 0)
        return Error::NoDevice; // this position of the channel is empty
    x86::outb(m_command_base + REG_SECTOR_COUNT, 0);
    x86::outb(m_command_base + REG_LBA_LOW, 0);
    x86::outb(m_command_base + REG_LBA_MID, 0);
    x86::outb(m_command_base + REG_LBA_HIGH, 0);
    x86::outb(m_command_base + REG_COMMAND, CMD_IDENTIFY);
    settle();
    if (x86::inb(m_command_base + REG_STATUS) == 0)
        return Error::NoDevice;
    // Wait for BSY to drop without judging ERR yet: an ATAPI drive aborts
    // IDENTIFY DEVICE, and that is "no disk", not "disk error".
    u64 deadline = now_ns() + IDENTIFY_TIMEOUT;
    while (status() & STATUS_BSY) {
        if (status() == STATUS_FLOATING)
            return Error::NoDevice;
        if (now_ns() > deadline)
            return Error::DeviceTimeout;
    }
    // ATAPI and SATA bridges in native mode put a signature here instead of
    // answering IDENTIFY DEVICE (ATA-6 section 9.12).
    if (x86::inb(m_command_base + REG_LBA_MID) != 0 || x86::inb(m_command_base + REG_LBA_HIGH) != 0)
        return Error::NoDevice;
    auto data = wait_data(COMMAND_TIMEOUT);
    if (data.is_error()) {
        // An aborted IDENTIFY from an empty master position (the slave
        // answers for it, ATA-6 section 9.16.1) is "nothing there".
        return data.error() == Error::IoError ? Error::NoDevice : data.error();
    }
    u16 identify[256];
    x86::insw(m_command_base + REG_DATA, identify, 256);

    AtaIdentity id = parse_ata_identify(identify);
    m_lba48 = id.lba48;
    m_sectors = id.sectors;
    memcpy(m_model, id.model, sizeof(m_model));
    if (m_sectors == 0)
        return Error::NoDevice;
    m_present = true;
    return {};
}

ErrorOr<void> AtaPioDevice::issue(u8 command28, u8 command48, u32 lba, u32 count)
{
    u16 base = m_command_base;
    if (u64(lba) + count <= LBA28_LIMIT) {
        // LBA28 (ATA-6 section 6.2.1): the top four address bits go in the
        // device register with LBA mode (bit 6) set. The device is selected
        // first: the two devices of a channel share the registers.
        select(u8(DEVICE_OBSOLETE | DEVICE_LBA | ((lba >> 24) & 0x0F)));
        TRY(wait_ready(COMMAND_TIMEOUT));
        x86::outb(base + REG_SECTOR_COUNT, u8(count)); // 256 is written as 0
        x86::outb(base + REG_LBA_LOW, u8(lba));
        x86::outb(base + REG_LBA_MID, u8(lba >> 8));
        x86::outb(base + REG_LBA_HIGH, u8(lba >> 16));
        x86::outb(base + REG_COMMAND, command28);
        return {};
    }
    if (!m_lba48)
        return Error::OutOfRange;
    // LBA48: each register is a two-deep FIFO; the high bytes go first.
    select(DEVICE_LBA);
    TRY(wait_ready(COMMAND_TIMEOUT));
    x86::outb(base + REG_SECTOR_COUNT, u8(count >> 8));
    x86::outb(base + REG_LBA_LOW, u8(lba >> 24));
    x86::outb(base + REG_LBA_MID, 0); // address bits 32-39: our LBAs are 32-bit
    x86::outb(base + REG_LBA_HIGH, 0);
    x86::outb(base + REG_SECTOR_COUNT, u8(count));
    x86::outb(base + REG_LBA_LOW, u8(lba));
    x86::outb(base + REG_LBA_MID, u8(lba >> 8));
    x86::outb(base + REG_LBA_HIGH, u8(lba >> 16));
    x86::outb(base + REG_COMMAND, command48);
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
            x86::insw(m_command_base + REG_DATA, buffer, 256);
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
    if (!m_writable)
        return Error::ReadOnlyMedia; // not the boot disk: someone else's data
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
            x86::outsw(m_command_base + REG_DATA, buffer, 256);
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
    if (!m_writable)
        return {}; // never written, nothing to make durable
    select(DEVICE_OBSOLETE | DEVICE_LBA);
    TRY(wait_ready(COMMAND_TIMEOUT));
    x86::outb(m_command_base + REG_COMMAND, m_lba48 ? CMD_FLUSH_CACHE_EXT : CMD_FLUSH_CACHE);
    settle();
    return wait_ready(FLUSH_TIMEOUT);
}

// Every device is probed, however the machine booted: the boot-disk finder
// compares their MBRs with the signature the loader handed over. An absent
// channel costs one port read; an absent device at most IDENTIFY_TIMEOUT.
static ErrorOr<void> probe_ata_devices()
{
    u32 found = 0;
    for (u32 i = 0; i < ATA_DEVICE_COUNT; ++i) {
        AtaPioDevice& device = s_devices[i];
        bool first_of_channel = (i % 2) == 0;
        auto probed = device.probe(first_of_channel);
        if (probed.is_error()) {
            if (probed.error() != Error::NoDevice)
                kprintf("ata: %s: %s\n", device.name(), error_message(probed.error()));
            continue;
        }
        ++found;
        kprintf("ata: %s \"%s\", %llu MiB, %s\n", device.name(), device.model(), device.sector_count() / 2048,
                device.supports_lba48() ? "LBA48" : "LBA28");
    }
    if (found == 0)
        kprintf("ata: no ATA disk on the legacy IDE channels\n");
    return {};
}
KERNEL_INIT(KERNEL_INIT_DEVICES, "ata", probe_ata_devices);
