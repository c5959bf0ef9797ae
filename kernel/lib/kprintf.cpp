// The kernel console: every character goes to COM1 (with \n sent as \r\n,
// which terminals expect) and to the VGA text screen.
#include <kernel/drivers/serial.h>
#include <kernel/drivers/vga.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>

void kputc(char c)
{
    if (c == '\n')
        serial_write_byte('\r');
    serial_write_byte(static_cast<u8>(c));
    vga_write_char(c);
}

void kputs(const char* text)
{
    while (*text)
        kputc(*text++);
}

static void console_sink(char c, void*) { kputc(c); }

void kvprintf(const char* format, va_list args) { vformat(console_sink, nullptr, format, args); }

void kprintf(const char* format, ...)
{
    va_list args;
    va_start(args, format);
    kvprintf(format, args);
    va_end(args);
}
