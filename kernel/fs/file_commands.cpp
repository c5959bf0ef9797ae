// Shell commands on the boot volume: ls, cat, write, rm, mkdir, rmdir, df,
// sync, and fsread (a timed whole-file read for the benchmark).
//
// Paths use '/', absolute or relative to the root; names match their long
// name or 8.3 alias in any case (the driver does the matching). Every command
// that changes the volume syncs before it returns, so the disk is consistent
// and marked clean whenever the prompt is shown; a power-off at the prompt
// loses nothing. Errors reach the user through the shell as the Error's
// message: "no such file or directory", "no space left on the volume", "the
// root directory is full", "read-only media".
#include <kernel/fs/boot_volume.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/shell/command.h>
#include <kernel/time/clock.h>

using fat16::EntryInfo;
using fat16::File;
using fat16::Volume;

namespace {

// FAT dates (fatgen103 "Date and Time Formats"): day 1-5, month 5-8, years
// since 1980 9-15; time: seconds/2 0-4, minutes 5-10, hours 11-15.
void print_stamp(u16 date, u16 time)
{
    kprintf("%04u-%02u-%02u %02u:%02u", 1980u + (date >> 9), (date >> 5) & 0xFu, date & 0x1Fu, time >> 11u,
            (time >> 5) & 0x3Fu);
}

// Scratch shared by the commands: the shell runs one command at a time, and
// these are too big for a comfortable stack frame.
EntryInfo s_entry;
u8 s_buffer[32768];
char s_text[1024];

ErrorOr<void> cmd_ls(int argc, char** argv)
{
    if (argc > 2)
        return Error::BadArguments;
    Volume* volume = TRY(boot_volume());
    const char* path = argc == 2 ? argv[1] : "/";
    TRY(volume->stat(path, s_entry));
    if (!s_entry.is_directory()) {
        kprintf("%10u  ", s_entry.size);
        print_stamp(s_entry.write_date, s_entry.write_time);
        kprintf("  %s\n", s_entry.name);
        return {};
    }
    fat16::DirectoryIterator it;
    TRY(volume->open_directory(path, it));
    u32 files = 0, directories = 0;
    u64 bytes = 0;
    while (TRY(it.next(s_entry))) {
        if (s_entry.is_dot())
            continue;
        if (s_entry.is_directory()) {
            kprintf("     <DIR>  ");
            ++directories;
        } else {
            kprintf("%10u  ", s_entry.size);
            ++files;
            bytes += s_entry.size;
        }
        print_stamp(s_entry.write_date, s_entry.write_time);
        kprintf("  %s\n", s_entry.name);
    }
    kprintf("%u file%s, %u director%s, %llu bytes\n", files, files == 1 ? "" : "s", directories,
            directories == 1 ? "y" : "ies", bytes);
    return {};
}
SHELL_COMMAND("ls", "ls [DIR]", "list a directory of the boot volume (sizes, dates, long names)", cmd_ls);

ErrorOr<void> cmd_cat(int argc, char** argv)
{
    if (argc != 2)
        return Error::BadArguments;
    Volume* volume = TRY(boot_volume());
    File file;
    TRY(volume->open(argv[1], file));
    bool ends_with_newline = true;
    for (;;) {
        u32 n = TRY(volume->read(file, s_buffer, sizeof(s_buffer)));
        if (n == 0)
            break;
        for (u32 i = 0; i < n; ++i)
            kputc(char(s_buffer[i]));
        ends_with_newline = s_buffer[n - 1] == '\n';
    }
    if (!ends_with_newline)
        kputc('\n'); // keep the prompt on its own line
    return {};
}
SHELL_COMMAND("cat", "cat FILE", "print a file of the boot volume", cmd_cat);

ErrorOr<void> cmd_write(int argc, char** argv)
{
    if (argc < 3)
        return Error::BadArguments;
    Volume* volume = TRY(boot_volume());
    usize length = 0;
    for (int i = 2; i < argc; ++i) {
        usize part = strlen(argv[i]);
        if (length + part + 2 > sizeof(s_text))
            return Error::BufferTooSmall;
        memcpy(s_text + length, argv[i], part);
        length += part;
        s_text[length++] = i + 1 < argc ? ' ' : '\n';
    }
    // Atomic: NAME.NEW is written and synced, then renamed over NAME.
    TRY(volume->replace_file(argv[1], s_text, u32(length)));
    kprintf("wrote %u bytes to %s\n", u32(length), argv[1]);
    return {};
}
SHELL_COMMAND("write", "write FILE TEXT...", "create or replace FILE with the text (and a newline)", cmd_write);

ErrorOr<void> cmd_rm(int argc, char** argv)
{
    if (argc != 2)
        return Error::BadArguments;
    Volume* volume = TRY(boot_volume());
    TRY(volume->remove(argv[1]));
    return volume->sync();
}
SHELL_COMMAND("rm", "rm FILE", "delete a file of the boot volume", cmd_rm);

ErrorOr<void> cmd_mkdir(int argc, char** argv)
{
    if (argc != 2)
        return Error::BadArguments;
    Volume* volume = TRY(boot_volume());
    TRY(volume->mkdir(argv[1]));
    return volume->sync();
}
SHELL_COMMAND("mkdir", "mkdir DIR", "create a directory on the boot volume", cmd_mkdir);

ErrorOr<void> cmd_rmdir(int argc, char** argv)
{
    if (argc != 2)
        return Error::BadArguments;
    Volume* volume = TRY(boot_volume());
    TRY(volume->rmdir(argv[1]));
    return volume->sync();
}
SHELL_COMMAND("rmdir", "rmdir DIR", "delete an empty directory of the boot volume", cmd_rmdir);

ErrorOr<void> cmd_df(int argc, char**)
{
    if (argc != 1)
        return Error::BadArguments;
    Volume* volume = TRY(boot_volume());
    auto info = volume->info();
    u32 free_clusters = TRY(volume->free_clusters());
    u64 total = u64(info.cluster_count) * info.bytes_per_cluster;
    u64 free_bytes = u64(free_clusters) * info.bytes_per_cluster;
    kprintf("volume \"%s\": %llu KiB total, %llu KiB used, %llu KiB free\n", info.label[0] ? info.label : "NO NAME",
            total / 1024, (total - free_bytes) / 1024, free_bytes / 1024);
    kprintf("%u of %u clusters free, %u bytes each; %u FAT%s, %u root entries%s\n", free_clusters, info.cluster_count,
            info.bytes_per_cluster, info.fat_count, info.fat_count == 1 ? "" : "s", info.root_entry_count,
            volume->is_read_only() ? ", read-only" : "");
    return {};
}
SHELL_COMMAND("df", "df", "size and free space of the boot volume", cmd_df);

ErrorOr<void> cmd_sync(int argc, char**)
{
    if (argc != 1)
        return Error::BadArguments;
    return boot_volume_sync();
}
SHELL_COMMAND("sync", "sync", "flush the boot volume and mark it cleanly shut down", cmd_sync);

ErrorOr<void> cmd_fsread(int argc, char** argv)
{
    if (argc != 2)
        return Error::BadArguments;
    Volume* volume = TRY(boot_volume());
    File file;
    TRY(volume->open(argv[1], file));
    u64 start = now_ns();
    u32 total = 0;
    for (;;) {
        u32 n = TRY(volume->read(file, s_buffer, sizeof(s_buffer)));
        if (n == 0)
            break;
        total += n;
    }
    u64 elapsed = now_ns() - start;
    u64 kib_per_s = elapsed ? u64(total) * 1000000000ull / 1024 / elapsed : 0;
    kprintf("fsread: %u bytes in %llu us (%llu.%03llu MB/s)\n", total, elapsed / 1000, kib_per_s * 1024 / 1000000,
            (kib_per_s * 1024 / 1000) % 1000);
    return {};
}
SHELL_COMMAND("fsread", "fsread FILE", "read a whole file and report the rate (benchmark)", cmd_fsread);

} // namespace
