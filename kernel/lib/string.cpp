// memcpy & co. with REP MOVSB / STOSB: short, fast enough on every CPU since
// the Pentium Pro, and immune to GCC turning a byte loop back into a call to
// the function being defined.
#include <kernel/lib/string.h>

extern "C" void* memcpy(void* destination, const void* source, usize count)
{
    void* d = destination;
    asm volatile("cld; rep movsb" : "+D"(d), "+S"(source), "+c"(count) : : "memory");
    return destination;
}

extern "C" void* memmove(void* destination, const void* source, usize count)
{
    auto* d = static_cast<u8*>(destination);
    auto* s = static_cast<const u8*>(source);
    if (d <= s || d >= s + count)
        return memcpy(destination, source, count);
    // Overlapping with the destination above the source: copy backwards
    // (DF = 1 makes MOVSB decrement; it is cleared again at once).
    const u8* s_last = s + count - 1;
    u8* d_last = d + count - 1;
    asm volatile("std; rep movsb; cld" : "+D"(d_last), "+S"(s_last), "+c"(count) : : "memory");
    return destination;
}

extern "C" void* memset(void* destination, int value, usize count)
{
    void* d = destination;
    asm volatile("cld; rep stosb" : "+D"(d), "+c"(count) : "a"(value) : "memory");
    return destination;
}

extern "C" int memcmp(const void* a, const void* b, usize count)
{
    auto* x = static_cast<const volatile u8*>(a);
    auto* y = static_cast<const volatile u8*>(b);
    for (usize i = 0; i < count; ++i) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

extern "C" usize strlen(const char* text)
{
    usize n = 0;
    while (text[n])
        ++n;
    return n;
}

extern "C" int strcmp(const char* a, const char* b)
{
    while (*a && *a == *b) {
        ++a;
        ++b;
    }
    return static_cast<u8>(*a) - static_cast<u8>(*b);
}

extern "C" int strncmp(const char* a, const char* b, usize count)
{
    for (usize i = 0; i < count; ++i) {
        if (a[i] != b[i] || !a[i])
            return static_cast<u8>(a[i]) - static_cast<u8>(b[i]);
    }
    return 0;
}

usize copy_string(char* destination, usize size, const char* source)
{
    usize length = strlen(source);
    if (size > 0) {
        usize n = length < size - 1 ? length : size - 1;
        memcpy(destination, source, n);
        destination[n] = 0;
    }
    return length;
}

bool string_equals(const char* a, const char* b) { return strcmp(a, b) == 0; }

bool starts_with(const char* text, const char* prefix)
{
    while (*prefix) {
        if (*text++ != *prefix++)
            return false;
    }
    return true;
}
