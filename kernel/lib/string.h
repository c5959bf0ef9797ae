// The C memory and string functions the kernel needs, implemented in
// kernel/lib/string.cpp. GCC emits calls to memcpy, memset, memmove and
// memcmp on its own (struct copies, zeroing loops), so these four must exist
// under exactly these names even in a freestanding build.
#pragma once

#include <bareflow/types.h>

extern "C" {
void* memcpy(void* destination, const void* source, usize count);
void* memmove(void* destination, const void* source, usize count);
void* memset(void* destination, int value, usize count);
int memcmp(const void* a, const void* b, usize count);
usize strlen(const char* text);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, usize count);
}

// Copies at most size - 1 characters and always terminates (when size > 0);
// returns strlen(source), so truncation shows as a result >= size.
usize copy_string(char* destination, usize size, const char* source);

bool string_equals(const char* a, const char* b);
bool starts_with(const char* text, const char* prefix);
