// A tiny printf for diagnostics in freestanding code: %s %c %d %u %x %%,
// always NUL-terminated, silently truncated at `capacity`. Enough to say
// "offset 0x94 (function 'dot' +0x12): register r7 is f32, needs i32".
#pragma once

#include <bareflow/types.h>
#include <stdarg.h>

usize format_message(char* buffer, usize capacity, const char* format, ...) __attribute__((format(printf, 3, 4)));
usize format_message_v(char* buffer, usize capacity, const char* format, va_list args);
