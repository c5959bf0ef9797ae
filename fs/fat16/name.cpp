// 8.3 and long-name text (see name.h).
#include <fs/fat16/name.h>

namespace fat16 {

static char to_upper(char c) { return (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c; }
static char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// fatgen103 "FAT Directory Structure": bytes below 0x20 and these are illegal
// in DIR_Name. (Space is legal inside stored names but we never create one.)
static bool short_name_char_allowed(u8 c)
{
    if (c <= 0x20 || c == 0x7F || c >= 0x80)
        return false; // bytes >= 0x80 depend on an OEM code page we do not know
    const char* forbidden = "\"*+,./:;<=>?[\\]|";
    for (const char* f = forbidden; *f; ++f)
        if (c == u8(*f))
            return false;
    return true;
}

u32 string_length(const char* s)
{
    u32 n = 0;
    while (s[n])
        ++n;
    return n;
}

ErrorOr<void> encode_short_name(const char* name, u32 length, u8 out[11], u8& nt_flags)
{
    if (length == 0 || (length == 1 && name[0] == '.') || (length == 2 && name[0] == '.' && name[1] == '.'))
        return Error::FsBadName;
    u32 dot = length;
    for (u32 i = 0; i < length; ++i) {
        if (name[i] == '.') {
            if (dot != length)
                return Error::FsNameNot83; // two dots: long name only
            dot = i;
        }
    }
    u32 base_length = dot;
    u32 ext_length = dot == length ? 0 : length - dot - 1;
    if (base_length == 0)
        return Error::FsNameNot83; // ".profile" style names are long names
    if (dot != length && ext_length == 0)
        return Error::FsBadName; // "NAME." is ambiguous
    bool base_lower = false, base_upper = false, ext_lower = false, ext_upper = false;
    for (u32 i = 0; i < length; ++i) {
        if (i == dot)
            continue;
        u8 c = u8(name[i]);
        if (!short_name_char_allowed(c)) {
            // Legal in a long name (fatgen103 "FAT Long Directory Entries"),
            // so the name is fine, only not as 8.3.
            if (c == ' ' || c == '+' || c == ',' || c == ';' || c == '=' || c == '[' || c == ']' || c >= 0x80)
                return Error::FsNameNot83;
            return Error::FsBadName;
        }
        bool in_base = i < dot;
        if (c >= 'a' && c <= 'z')
            (in_base ? base_lower : ext_lower) = true;
        if (c >= 'A' && c <= 'Z')
            (in_base ? base_upper : ext_upper) = true;
    }
    if (base_length > 8 || ext_length > 3)
        return Error::FsNameNot83;
    for (u32 i = 0; i < 11; ++i)
        out[i] = ' ';
    for (u32 i = 0; i < base_length; ++i)
        out[i] = u8(to_upper(name[i]));
    for (u32 i = 0; i < ext_length; ++i)
        out[8 + i] = u8(to_upper(name[dot + 1 + i]));
    // No byte here is >= 0x80 (refused above), so the fatgen103 rule that a
    // leading 0xE5 is stored as 0x05 never applies when encoding; decoding
    // honours it for names written by other systems.
    // Mixed case in a part cannot be kept without a long name; it is stored
    // upper case. All-lower parts keep their case through the NT flags.
    nt_flags = 0;
    if (base_lower && !base_upper)
        nt_flags |= NT_LOWERCASE_BASE;
    if (ext_lower && !ext_upper)
        nt_flags |= NT_LOWERCASE_EXT;
    return {};
}

u32 decode_short_name(const u8 stored[11], u8 nt_flags, char out[13])
{
    u32 n = 0;
    auto put = [&](u8 c, bool lower) {
        if (c < 0x20 || c == '/' || c == 0x7F)
            c = '?';
        out[n++] = lower ? to_lower(char(c)) : char(c);
    };
    u32 base_end = 8;
    while (base_end > 0 && stored[base_end - 1] == ' ')
        --base_end;
    for (u32 i = 0; i < base_end; ++i) {
        u8 c = stored[i];
        if (i == 0 && c == DIR_ENTRY_KANJI_E5)
            c = DIR_ENTRY_FREE;
        put(c, nt_flags & NT_LOWERCASE_BASE);
    }
    u32 ext_end = 3;
    while (ext_end > 0 && stored[8 + ext_end - 1] == ' ')
        --ext_end;
    if (ext_end > 0) {
        out[n++] = '.';
        for (u32 i = 0; i < ext_end; ++i)
            put(stored[8 + i], nt_flags & NT_LOWERCASE_EXT);
    }
    out[n] = 0;
    return n;
}

u8 short_name_checksum(const u8 stored[11])
{
    // fatgen103 "FAT Long Directory Entries", ChkSum(): rotate right, add.
    u8 sum = 0;
    for (u32 i = 0; i < 11; ++i)
        sum = u8(((sum & 1) ? 0x80 : 0) + (sum >> 1) + stored[i]);
    return sum;
}

u32 ucs2_to_utf8(u16 c, char* out)
{
    if (c < 0x20 || c == '/' || c == 0x7F) {
        out[0] = '?';
        return 1;
    }
    if (c < 0x80) {
        out[0] = char(c);
        return 1;
    }
    if (c < 0x800) {
        out[0] = char(0xC0 | (c >> 6));
        out[1] = char(0x80 | (c & 0x3F));
        return 2;
    }
    if (c >= 0xD800 && c <= 0xDFFF) { // a lone surrogate half: not representable
        out[0] = '?';
        return 1;
    }
    out[0] = char(0xE0 | (c >> 12));
    out[1] = char(0x80 | ((c >> 6) & 0x3F));
    out[2] = char(0x80 | (c & 0x3F));
    return 3;
}

bool name_equals(const char* a, u32 length, const char* b)
{
    for (u32 i = 0; i < length; ++i) {
        if (b[i] == 0 || to_upper(a[i]) != to_upper(b[i]))
            return false;
    }
    return b[length] == 0;
}

} // namespace fat16
