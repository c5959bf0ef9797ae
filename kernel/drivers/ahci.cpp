// Native AHCI (see ahci.h). References: Serial ATA AHCI 1.3.1, sections 3
// (HBA and port registers), 4.2 (command list, received FIS, command table,
// PRDT), 10.1.2 (port idle/start), 5.5 (issuing a command); ATA8-ACS for the
// commands (IDENTIFY DEVICE, READ/WRITE DMA EXT, FLUSH CACHE EXT).
#include <kernel/arch/x86/pci.h>
#include <kernel/drivers/ahci.h>
#include <kernel/drivers/ata_identify.h>
#include <kernel/drivers/chunked_transfer.h>
#include <kernel/init.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/pmm.h>
#include <kernel/time/clock.h>

namespace {

// HBA registers (AHCI 3.1).
constexpr u32 HBA_GHC = 0x04;
constexpr u32 HBA_PI = 0x0C;        // ports implemented
constexpr u32 GHC_AE = 1u << 31;    // AHCI enable
constexpr u32 PORT_BASE = 0x100;
constexpr u32 PORT_SIZE = 0x80;

// Port registers (AHCI 3.3).
constexpr u32 PX_CLB = 0x00, PX_CLBU = 0x04, PX_FB = 0x08, PX_FBU = 0x0C;
constexpr u32 PX_IS = 0x10, PX_CMD = 0x18, PX_TFD = 0x20, PX_SIG = 0x24, PX_SSTS = 0x28;
constexpr u32 PX_SERR = 0x30, PX_CI = 0x38;
constexpr u32 CMD_ST = 1u << 0, CMD_FRE = 1u << 4, CMD_FR = 1u << 14, CMD_CR = 1u << 15;
constexpr u32 IS_TFES = 1u << 30;   // task file error
constexpr u32 TFD_ERR = 0x01, TFD_DRQ = 0x08, TFD_BSY = 0x80;
constexpr u32 SSTS_DET_PRESENT = 3; // device present, PHY communication established
constexpr u32 SIG_ATA = 0x00000101; // a SATA disk (not ATAPI, port multiplier, ...)

// Our memory per port (one 4 KiB region): command list (1 KiB-aligned,
// 32 headers of 32 bytes), received FIS (256-byte aligned), one command table
// (128-byte aligned: 64-byte CFIS, ACMD, reserved, then the PRDT).
constexpr u32 MEMORY_BYTES = 4096;
constexpr u32 COMMAND_LIST = 0, RECEIVED_FIS = 1024, COMMAND_TABLE = 2048, PRDT = COMMAND_TABLE + 0x80;
constexpr u32 DMA_BYTES = 64 * 1024;
constexpr u32 SECTORS_PER_COMMAND = DMA_BYTES / fat16::SECTOR_SIZE;

constexpr u8 FIS_TYPE_H2D = 0x27;   // Register FIS, host to device
constexpr u8 FIS_COMMAND = 0x80;    // C bit: the FIS carries a command
constexpr u8 DEVICE_LBA = 0x40;

constexpr u8 ATA_IDENTIFY = 0xEC;
constexpr u8 ATA_READ_DMA = 0xC8, ATA_READ_DMA_EXT = 0x25;
constexpr u8 ATA_WRITE_DMA = 0xCA, ATA_WRITE_DMA_EXT = 0x35;
constexpr u8 ATA_FLUSH_CACHE = 0xE7, ATA_FLUSH_CACHE_EXT = 0xEA;

constexpr u64 MS = 1000000;
constexpr u64 ENGINE_TIMEOUT = 500 * MS; // AHCI 10.1.2: CR/FR clear within 500 ms
constexpr u64 COMMAND_TIMEOUT = 5000 * MS;
constexpr u64 FLUSH_TIMEOUT = 30000 * MS;

AhciDevice s_devices[AHCI_MAX_DEVICES];
u32 s_count;
u8* s_dma; // shared: one command at a time

// Read-modify-write of a memory-mapped register, spelled out (C++20
// deprecates compound assignment to volatile).
void set_bits(volatile u32& reg, u32 bits) { reg = reg | bits; }
void clear_bits(volatile u32& reg, u32 bits) { reg = reg & ~bits; }

bool wait_clear(volatile u32& reg, u32 bits, u64 timeout)
{
    u64 deadline = now_ns() + timeout;
    while (reg & bits)
        if (now_ns() > deadline)
            return false;
    return true;
}

} // namespace

u32 ahci_device_count() { return s_count; }
AhciDevice& ahci_device(u32 index) { return s_devices[index]; }

volatile u32& AhciDevice::reg(u32 offset) { return *reinterpret_cast<volatile u32*>(m_port + offset); }

ErrorOr<void> AhciDevice::stop()
{
    clear_bits(reg(PX_CMD), CMD_ST);
    if (!wait_clear(reg(PX_CMD), CMD_CR, ENGINE_TIMEOUT))
        return Error::DeviceTimeout;
    clear_bits(reg(PX_CMD), CMD_FRE);
    if (!wait_clear(reg(PX_CMD), CMD_FR, ENGINE_TIMEOUT))
        return Error::DeviceTimeout;
    return {};
}

ErrorOr<void> AhciDevice::start()
{
    if (!wait_clear(reg(PX_CMD), CMD_CR, ENGINE_TIMEOUT))
        return Error::DeviceTimeout;
    set_bits(reg(PX_CMD), CMD_FRE);
    set_bits(reg(PX_CMD), CMD_ST);
    return {};
}

ErrorOr<void> AhciDevice::attach(volatile u8* abar, u32 index)
{
    m_port = abar + PORT_BASE + index * PORT_SIZE;
    format_to(m_name, sizeof(m_name), "port %u", index);
    if (!m_memory)
        m_memory = static_cast<u8*>(TRY(pmm_alloc_region(MEMORY_BYTES, MEMORY_BYTES)));
    memset(m_memory, 0, MEMORY_BYTES);
    m_saved[0] = reg(PX_CLB);
    m_saved[1] = reg(PX_CLBU);
    m_saved[2] = reg(PX_FB);
    m_saved[3] = reg(PX_FBU);
    m_saved_command = reg(PX_CMD);
    TRY(stop());
    reg(PX_CLB) = u32(reinterpret_cast<usize>(m_memory + COMMAND_LIST));
    reg(PX_CLBU) = 0; // paging is off and the PMM hands out memory below 4 GiB
    reg(PX_FB) = u32(reinterpret_cast<usize>(m_memory + RECEIVED_FIS));
    reg(PX_FBU) = 0;
    reg(PX_SERR) = 0xFFFFFFFF; // write-one-to-clear: old link errors
    reg(PX_IS) = 0xFFFFFFFF;
    m_present = true; // issue() needs it; undone below on failure
    auto started = start();
    auto identified = started.is_error() ? started : issue(ATA_IDENTIFY, 0, 0, false, fat16::SECTOR_SIZE);
    if (identified.is_error()) {
        m_present = false;
        hand_back();
        return identified.error();
    }
    AtaIdentity id = parse_ata_identify(reinterpret_cast<const u16*>(s_dma));
    m_lba48 = id.lba48;
    m_sectors = id.sectors;
    memcpy(m_model, id.model, sizeof(m_model));
    return {};
}

void AhciDevice::hand_back()
{
    if (!m_port)
        return;
    (void)stop();
    reg(PX_CLB) = m_saved[0];
    reg(PX_CLBU) = m_saved[1];
    reg(PX_FB) = m_saved[2];
    reg(PX_FBU) = m_saved[3];
    reg(PX_SERR) = 0xFFFFFFFF;
    reg(PX_IS) = 0xFFFFFFFF;
    if (m_saved_command & CMD_FRE)
        set_bits(reg(PX_CMD), CMD_FRE);
    if (m_saved_command & CMD_ST)
        set_bits(reg(PX_CMD), CMD_ST);
    m_present = false;
    m_writable = false;
}

// One command in slot 0 (AHCI 5.5.1), polled: the data goes through s_dma.
ErrorOr<void> AhciDevice::issue(u8 command, u32 lba, u32 count, bool write, u32 bytes)
{
    if (!m_present)
        return Error::NoDevice;
    if (!wait_clear(reg(PX_TFD), TFD_BSY | TFD_DRQ, COMMAND_TIMEOUT))
        return Error::DeviceTimeout;
    auto* header = reinterpret_cast<volatile u32*>(m_memory + COMMAND_LIST);
    // DW0: FIS length in dwords (5), W (bit 6) for host-to-device data, PRDTL.
    header[0] = 5u | (write ? 1u << 6 : 0) | ((bytes ? 1u : 0) << 16);
    header[1] = 0; // PRDBC: the HBA counts the bytes moved
    header[2] = u32(reinterpret_cast<usize>(m_memory + COMMAND_TABLE));
    header[3] = 0;
    u8* fis = m_memory + COMMAND_TABLE;
    memset(fis, 0, 0x80);
    fis[0] = FIS_TYPE_H2D;
    fis[1] = FIS_COMMAND;
    fis[2] = command;
    fis[4] = u8(lba);
    fis[5] = u8(lba >> 8);
    fis[6] = u8(lba >> 16);
    fis[7] = DEVICE_LBA | (m_lba48 ? 0 : u8((lba >> 24) & 0x0F));
    fis[8] = u8(lba >> 24);
    fis[12] = u8(count); // 28-bit commands: 0 means 256
    fis[13] = u8(count >> 8);
    auto* prdt = reinterpret_cast<volatile u32*>(m_memory + PRDT);
    prdt[0] = u32(reinterpret_cast<usize>(s_dma)); // DBA
    prdt[1] = 0;                                   // DBAU
    prdt[2] = 0;
    prdt[3] = bytes ? bytes - 1 : 0;               // DBC: byte count minus one, no interrupt
    asm volatile("" ::: "memory");                 // the tables are written before CI
    reg(PX_IS) = 0xFFFFFFFF;
    reg(PX_CI) = 1;
    u64 deadline = now_ns() + (command == ATA_FLUSH_CACHE || command == ATA_FLUSH_CACHE_EXT ? FLUSH_TIMEOUT : COMMAND_TIMEOUT);
    while (reg(PX_CI) & 1) {
        if (reg(PX_IS) & IS_TFES)
            break;
        if (now_ns() > deadline) {
            (void)stop(); // AHCI 6.2.2.2: clearing ST is how software cancels the command
            (void)start();
            return Error::DeviceTimeout;
        }
    }
    if ((reg(PX_IS) & IS_TFES) || (reg(PX_TFD) & TFD_ERR)) {
        (void)stop(); // recover the port for the next command
        reg(PX_SERR) = 0xFFFFFFFF;
        reg(PX_IS) = 0xFFFFFFFF;
        (void)start();
        return Error::IoError;
    }
    return {};
}

u32 AhciDevice::sectors_per_command() const
{
    return m_lba48 || SECTORS_PER_COMMAND < 256 ? SECTORS_PER_COMMAND : 256;
}

ErrorOr<void> AhciDevice::read_sectors(u32 lba, u32 count, u8* buffer)
{
    if (!m_present)
        return Error::NoDevice;
    if (u64(lba) + count > m_sectors)
        return Error::OutOfRange;
    return for_each_chunk(lba, count, sectors_per_command(), [&](u32 at, u32 chunk, u32 offset) -> ErrorOr<void> {
        TRY(issue(m_lba48 ? ATA_READ_DMA_EXT : ATA_READ_DMA, at, chunk, false, chunk * fat16::SECTOR_SIZE));
        memcpy(buffer + offset, s_dma, chunk * fat16::SECTOR_SIZE);
        return {};
    });
}

ErrorOr<void> AhciDevice::write_sectors(u32 lba, u32 count, const u8* buffer)
{
    if (!m_present)
        return Error::NoDevice;
    if (!m_writable)
        return Error::ReadOnlyMedia;
    if (u64(lba) + count > m_sectors)
        return Error::OutOfRange;
    return for_each_chunk(lba, count, sectors_per_command(), [&](u32 at, u32 chunk, u32 offset) -> ErrorOr<void> {
        memcpy(s_dma, buffer + offset, chunk * fat16::SECTOR_SIZE);
        return issue(m_lba48 ? ATA_WRITE_DMA_EXT : ATA_WRITE_DMA, at, chunk, true, chunk * fat16::SECTOR_SIZE);
    });
}

ErrorOr<void> AhciDevice::flush()
{
    if (!m_present)
        return Error::NoDevice;
    if (!m_writable)
        return {};
    return issue(m_lba48 ? ATA_FLUSH_CACHE_EXT : ATA_FLUSH_CACHE, 0, 0, false, 0);
}

namespace {

struct FoundController {
    bool found;
    PciAddress address;
};

// Class 01h (mass storage), subclass 06h (SATA), interface 01h (AHCI 1.0).
bool find_ahci(PciAddress address, u8 class_code, u8 subclass, u8 prog_if, void* context)
{
    if (class_code != 0x01 || subclass != 0x06 || prog_if != 0x01)
        return false;
    *static_cast<FoundController*>(context) = { true, address };
    return true;
}

ErrorOr<void> probe_ahci()
{
    FoundController controller {};
    pci_for_each_function(find_ahci, &controller);
    if (!controller.found)
        return {};
    u32 bar5 = pci_read32(controller.address, 0x24); // ABAR (AHCI 2.1.11)
    if (bar5 & 1) {
        kprintf("ahci: BAR5 is not memory; left to the BIOS\n");
        return {};
    }
    // Memory space and bus mastering on (PCI command register bits 1 and 2):
    // the BIOS normally did this already.
    u32 command = pci_read32(controller.address, 0x04);
    pci_write32(controller.address, 0x04, (command & 0xFFFF) | 0x06);
    auto* abar = reinterpret_cast<volatile u8*>(bar5 & ~0xFu);
    auto& ghc = *reinterpret_cast<volatile u32*>(abar + HBA_GHC);
    if (!(ghc & GHC_AE))
        ghc = ghc | GHC_AE;
    s_dma = static_cast<u8*>(TRY(pmm_alloc_region(DMA_BYTES, 4096)));
    u32 implemented = *reinterpret_cast<volatile u32*>(abar + HBA_PI);
    for (u32 port = 0; port < 32 && s_count < AHCI_MAX_DEVICES; ++port) {
        if (!(implemented & (1u << port)))
            continue;
        auto* regs = abar + PORT_BASE + port * PORT_SIZE;
        u32 status = *reinterpret_cast<volatile u32*>(regs + PX_SSTS);
        u32 signature = *reinterpret_cast<volatile u32*>(regs + PX_SIG);
        if ((status & 0xF) != SSTS_DET_PRESENT || signature != SIG_ATA)
            continue; // empty, ATAPI or a port multiplier: not ours
        AhciDevice& device = s_devices[s_count];
        auto attached = device.attach(abar, port);
        if (attached.is_error()) {
            kprintf("ahci: port %u: %s\n", port, error_message(attached.error()));
            continue;
        }
        kprintf("ahci: %s \"%s\", %llu MiB\n", device.name(), device.model(), device.sector_count() / 2048);
        ++s_count;
    }
    return {};
}

} // namespace

KERNEL_INIT(KERNEL_INIT_DEVICES + 10, "ahci", probe_ahci);
