// The boot count: a decimal number in /BOOTCNT.TXT on the boot volume,
// incremented once per boot and shown in the banner ("ready (boot N)").
//
// The file is written with the FAT16 driver's replace_file (BOOTCNT.NEW
// written and synced, then renamed over the old one in one directory-entry
// write), so a power cut leaves the old count or the new one, never a torn
// file. A missing or unreadable file starts the count at 1.
#include <kernel/fs/boot_volume.h>
#include <kernel/init.h>
#include <kernel/startup/boot_hooks.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>

namespace {

constexpr const char* boot_count_path = "/BOOTCNT.TXT";
char s_suffix[32];
u32 s_count = 0;

u32 read_boot_count(fat16::Volume& volume)
{
    fat16::File file;
    if (volume.open(boot_count_path, file).is_error())
        return 0;
    char text[16] {};
    auto got = volume.read(file, text, sizeof(text) - 1);
    if (got.is_error())
        return 0;
    u32 value = 0;
    for (u32 i = 0; i < got.value() && text[i] >= '0' && text[i] <= '9'; ++i)
        value = value < 400000000u ? value * 10 + static_cast<u32>(text[i] - '0') : value;
    return value;
}

ErrorOr<void> count_boot()
{
    fat16::Volume* volume = TRY(boot_volume());
    u32 count = read_boot_count(*volume) + 1;
    char text[16];
    usize length = format_to(text, sizeof(text), "%u\n", count);
    TRY(volume->replace_file(boot_count_path, text, static_cast<u32>(length)));
    TRY(volume->sync());
    format_to(s_suffix, sizeof(s_suffix), " (boot %u)", count);
    s_count = count;
    return {};
}
KERNEL_INIT(KERNEL_INIT_FILESYSTEMS + 10, "boot-count", count_boot);

} // namespace

const char* boot_banner_suffix() { return s_suffix; }

// The number of this boot, or 0 when the volume keeps no count (snapshots
// record it).
unsigned current_boot_count() { return s_count; }
