// Reporter: see reporter.h.
#include <microjit/module/reporter.h>

Error Reporter::fail(Error error, u32 offset, const char* format, ...)
{
    if (!m_diagnostic)
        return error;
    m_diagnostic->error = error;
    m_diagnostic->offset = offset;
    m_diagnostic->function = -1;
    usize n = format_message(m_diagnostic->message, sizeof(m_diagnostic->message), "offset 0x%x: ", offset);
    va_list args;
    va_start(args, format);
    format_message_v(m_diagnostic->message + n, sizeof(m_diagnostic->message) - n, format, args);
    va_end(args);
    return error;
}

Error Reporter::fail_in(Error error, u32 index, const char* name, u32 code_start, u32 code_offset, const char* format, ...)
{
    if (!m_diagnostic)
        return error;
    u32 offset = code_start + code_offset;
    m_diagnostic->error = error;
    m_diagnostic->offset = offset;
    m_diagnostic->function = static_cast<i32>(index);
    usize n = format_message(m_diagnostic->message, sizeof(m_diagnostic->message), "offset 0x%x (function '%s' +0x%x): ",
        offset, name ? name : "?", code_offset);
    va_list args;
    va_start(args, format);
    format_message_v(m_diagnostic->message + n, sizeof(m_diagnostic->message) - n, format, args);
    va_end(args);
    return error;
}
