// /AUTORUN.TXT: a start-up script on the boot volume, run after the banner
// and before the first interactive prompt. This is how the boot tests and
// unattended machines drive the kernel.
//
// Each line is echoed after the prompt ("bf> run fib.fib_iter 40"), then run
// exactly as if typed, so the serial log reads like a session. Lines end at
// LF, CR or CRLF; blank lines and lines starting with '#' are skipped. A
// `poweroff` in the script ends the session there. A line longer than the
// shell's 255 characters is refused with a message, like a typed one.
#include <kernel/fs/boot_volume.h>
#include <kernel/startup/boot_hooks.h>
#include <kernel/snapshot/snapshot.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>
#include <kernel/shell/shell.h>

namespace {

constexpr const char* autorun_path = "/AUTORUN.TXT";
constexpr u32 max_script = 64 * 1024;
constexpr u32 max_line = 255;

} // namespace

void run_autorun_script()
{
    auto volume = boot_volume();
    if (volume.is_error())
        return;
    fat16::File file;
    if (volume.value()->open(autorun_path, file).is_error())
        return;
    if (file.size > max_script) {
        kprintf("autorun: %s is %u bytes; the limit is %u, not run\n", autorun_path, file.size, max_script);
        return;
    }
    char* script = static_cast<char*>(kmalloc(file.size + 1));
    if (!script) {
        kprintf("autorun: no memory for %s\n", autorun_path);
        return;
    }
    auto got = volume.value()->read(file, script, file.size);
    if (got.is_error()) {
        kprintf("autorun: cannot read %s: %s\n", autorun_path, error_message(got.error()));
        kfree(script);
        return;
    }
    u32 size = got.value();
    script[size] = 0;
    kprintf("autorun: running %s\n", autorun_path);
    char line[max_line + 1];
    u32 lines = 0;
    for (u32 start = 0; start < size;) {
        u32 end = start;
        while (end < size && script[end] != '\n' && script[end] != '\r')
            ++end;
        u32 length = end - start;
        u32 next = end < size && script[end] == '\r' && end + 1 < size && script[end + 1] == '\n' ? end + 2 : end + 1;
        const char* text = script + start;
        start = next;
        u32 first = 0;
        while (first < length && (text[first] == ' ' || text[first] == '\t'))
            ++first;
        if (first == length || text[first] == '#')
            continue;
        ++lines;
        if (length > max_line) {
            kprintf("bf> (line of %u characters)\nautorun: line too long (the limit is %u characters), skipped\n",
                    length, max_line);
            continue;
        }
        memcpy(line, text, length);
        line[length] = 0;
        kprintf("bf> %s\n", line);
        shell_execute(line);
        // Between two lines nothing runs: a periodic snapshot save may
        // (a long `bench` delays it to the end of that line).
        snapshot_periodic_tick();
    }
    kprintf("autorun: %u command%s done\n", lines, lines == 1 ? "" : "s");
    kfree(script);
}
