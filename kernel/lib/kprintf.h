// kprintf(): formatted output to the kernel console (COM1 and the VGA text
// screen at once). The conversions are those of kernel/lib/format.h:
//   %d %i %u %x %X %o %s %c %p %%, the l/ll/z length modifiers (%llu, %lld,
//   %llx, %zu), a width with optional '0' padding or '-' left alignment
//   (%08x, %-12s, %5u), and %f for floats (e.g. %.9g-like output through
//   format_float(); see format.h).
#pragma once

#include <bareflow/types.h>
#include <stdarg.h>

[[gnu::format(printf, 1, 2)]] void kprintf(const char* format, ...);
void kvprintf(const char* format, va_list args);

// Unformatted output of one string / one character to the console.
void kputs(const char* text);
void kputc(char c);
