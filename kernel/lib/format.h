// A small printf-style formatter for the freestanding kernel.
//
// It writes through a sink (a function taking one character), so the same
// code serves the console (kprintf), fixed buffers (format_to) and tests.
// Conversions: %d %i %u %x %X %o %s %c %p %% with the h/hh/l/ll/z length
// modifiers, a field width (digits or '*'), flags '0' (zero pad) and '-'
// (left align), a precision for %s (maximum length) and for %f / %e / %g.
// %f %e %g take a double (floats are promoted, as in C) and follow C's
// rules closely enough for a shell; %g with precision 9 prints an f32 exactly
// enough to round-trip.
#pragma once

#include <bareflow/types.h>
#include <stdarg.h>

using FormatSink = void (*)(char c, void* context);

// Formats into the sink; returns the number of characters produced.
usize vformat(FormatSink sink, void* context, const char* format, va_list args);

// Formats into buffer[0..size), always NUL-terminated when size > 0; returns
// the number of characters the full result needs (like snprintf).
usize vformat_to(char* buffer, usize size, const char* format, va_list args);
[[gnu::format(printf, 3, 4)]] usize format_to(char* buffer, usize size, const char* format, ...);

// Writes `value` with `significant` significant digits in the shorter of
// fixed or exponent notation, trailing zeros removed (C's %.<n>g), e.g.
// format_float(buffer, size, 0.1f, 9) -> "0.100000001". Handles nan, inf and
// -0. Returns the length written (buffer is NUL-terminated).
usize format_float(char* buffer, usize size, double value, int significant);
