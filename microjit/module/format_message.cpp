// format_message(): see format_message.h.
#include <microjit/module/format_message.h>

namespace {

struct Sink {
    char* buffer;
    usize capacity;
    usize length;

    void put(char c)
    {
        if (length + 1 < capacity)
            buffer[length++] = c;
    }
    void put_string(const char* s)
    {
        for (; s && *s; ++s)
            put(*s);
    }
    void put_unsigned(u32 value, u32 base)
    {
        char digits[11];
        int n = 0;
        do {
            u32 d = value % base;
            digits[n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
            value /= base;
        } while (value);
        while (n)
            put(digits[--n]);
    }
};

}

usize format_message_v(char* buffer, usize capacity, const char* format, va_list args)
{
    Sink sink { buffer, capacity, 0 };
    for (const char* p = format; *p; ++p) {
        if (*p != '%') {
            sink.put(*p);
            continue;
        }
        switch (*++p) {
        case 's':
            sink.put_string(va_arg(args, const char*));
            break;
        case 'c':
            sink.put(static_cast<char>(va_arg(args, int)));
            break;
        case 'd': {
            i32 v = va_arg(args, i32);
            if (v < 0) {
                sink.put('-');
                sink.put_unsigned(0u - static_cast<u32>(v), 10);
            } else {
                sink.put_unsigned(static_cast<u32>(v), 10);
            }
            break;
        }
        case 'u':
            sink.put_unsigned(va_arg(args, u32), 10);
            break;
        case 'x':
            sink.put_unsigned(va_arg(args, u32), 16);
            break;
        case '%':
            sink.put('%');
            break;
        case '\0':
            --p; // a lone '%' at the end
            break;
        default:
            sink.put('%');
            sink.put(*p);
        }
    }
    if (capacity)
        buffer[sink.length] = '\0';
    return sink.length;
}

usize format_message(char* buffer, usize capacity, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    usize n = format_message_v(buffer, capacity, format, args);
    va_end(args);
    return n;
}
