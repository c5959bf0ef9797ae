// Finds the boot disk by its MBR signature (see boot_disk.h); the MBR
// comparison itself is boot_disk_match.cpp.
#include <kernel/boot_info.h>
#include <kernel/drivers/ahci.h>
#include <kernel/drivers/ata.h>
#include <kernel/drivers/bios_disk.h>
#include <kernel/drivers/boot_disk.h>
#include <kernel/drivers/boot_disk_match.h>
#include <kernel/init.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>

namespace {

fat16::BlockDevice* s_device;
char s_path[40] = "none";

bool is_boot_disk(fat16::BlockDevice& device, const BootInfo& info)
{
    return match_boot_mbr(device, info.disk_signature, info.fat_lba) == MbrMatch::Match;
}

// The one present device of `count` (device(i)) whose MBR is the boot
// disk's, and how many matched: a clone makes more than one.
struct Candidates {
    u32 matches;
    u32 index;
};
template<typename Device>
Candidates find_boot_disk(u32 count, Device& (*device)(u32), const BootInfo& info, u32& checked)
{
    Candidates found { 0, 0 };
    for (u32 i = 0; i < count; ++i) {
        if (!device(i).present())
            continue;
        ++checked;
        if (is_boot_disk(device(i), info)) {
            found.index = i;
            ++found.matches;
        }
    }
    return found;
}

// ATA first: a native driver is faster than a trip through real mode. Two
// ATA disks with the boot signature (a cloned disk) are not told apart by
// guessing: the BIOS's drive number settles it.
ErrorOr<void> find_on_ata(const BootInfo& info, u32& checked)
{
    Candidates found = find_boot_disk(ATA_DEVICE_COUNT, ata_device, info, checked);
    if (found.matches > 1) {
        kprintf("boot-disk: %u ATA disks carry signature %#010x (cloned?); asking the BIOS instead\n", found.matches,
                info.disk_signature);
        return Error::NoDevice;
    }
    if (found.matches == 0)
        return Error::NoDevice;
    AtaPioDevice* match = &ata_device(found.index);
    match->allow_writes();
    s_device = match;
    format_to(s_path, sizeof(s_path), "ata %s", match->name());
    return {};
}

// AHCI next, natively. Ports that are not the boot disk go back to the
// BIOS at once, so INT 13h keeps working for them and for the USB stick.
ErrorOr<void> find_on_ahci(const BootInfo& info, u32& checked)
{
    Candidates found = find_boot_disk(ahci_device_count(), ahci_device, info, checked);
    u32 matches = found.matches;
    AhciDevice* match = matches == 1 ? &ahci_device(found.index) : nullptr;
    if (matches > 1)
        kprintf("boot-disk: %u AHCI disks carry signature %#010x (cloned?); asking the BIOS instead\n", matches,
                info.disk_signature);
    for (u32 i = 0; i < ahci_device_count(); ++i) {
        AhciDevice& device = ahci_device(i);
        if (device.present() && (matches != 1 || &device != match))
            device.hand_back();
    }
    if (matches != 1)
        return Error::NoDevice;
    match->allow_writes();
    s_device = match;
    format_to(s_path, sizeof(s_path), "ahci %s", match->name());
    return {};
}

ErrorOr<void> find_through_bios(const BootInfo& info)
{
    BiosDiskDevice& device = bios_boot_device();
    auto probed = device.probe(u8(info.boot_drive));
    if (probed.is_error()) {
        kprintf("boot-disk: INT 13h drive %#x: %s\n", info.boot_drive,
                probed.error() == Error::NotSupported ? "no EDD extensions (AH=41h)" : error_message(probed.error()));
        return probed.error();
    }
    if (!is_boot_disk(device, info)) {
        kprintf("boot-disk: INT 13h drive %#x answers, but its MBR lacks signature %#010x\n", info.boot_drive,
                info.disk_signature);
        return Error::NoDevice;
    }
    device.allow_writes();
    s_device = &device;
    format_to(s_path, sizeof(s_path), "bios int13h drive %#x", info.boot_drive);
    return {};
}

ErrorOr<void> find_boot_disk()
{
    const BootInfo& info = boot_info();
    if (info.disk_signature == 0) {
        kprintf("boot-disk: the boot disk's MBR has no disk signature (bytes 440-443 are zero); "
                "rebuild it with tools/mkimage.py. No disk will be mounted or written.\n");
        return Error::NoDevice;
    }
    u32 ata_checked = 0, ahci_checked = 0;
    bool found = !find_on_ata(info, ata_checked).is_error();
    if (!found)
        found = !find_on_ahci(info, ahci_checked).is_error();
    else
        for (u32 i = 0; i < ahci_device_count(); ++i)
            ahci_device(i).hand_back(); // the boot disk is on ATA: AHCI stays the BIOS's
    if (!found && find_through_bios(info).is_error()) {
        kprintf("boot disk (signature %#010x, BIOS drive %#x) not found on ATA (%u disk%s checked), "
                "AHCI (%u) or through INT 13h: running without a volume, no disk will be written\n",
                info.disk_signature, info.boot_drive, ata_checked, ata_checked == 1 ? "" : "s", ahci_checked);
        return Error::NoDevice;
    }
    kprintf("boot-disk: signature %#010x, FAT16 at LBA %u, via %s\n", info.disk_signature, info.fat_lba, s_path);
    return {};
}

} // namespace

ErrorOr<fat16::BlockDevice*> boot_block_device()
{
    if (!s_device)
        return Error::NoDevice;
    return s_device;
}

const char* boot_disk_path() { return s_path; }
u32 boot_partition_lba() { return boot_info().fat_lba; }
u32 boot_partition_sectors() { return boot_info().fat_sectors; }

KERNEL_INIT(KERNEL_INIT_DEVICES + 50, "boot-disk", find_boot_disk);
