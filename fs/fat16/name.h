// Names on a FAT16 volume: the 8.3 short form and VFAT long names.
//
// Short names (fatgen103 "FAT Directory Structure", DIR_Name): 11 bytes, base
// and extension space padded, stored in upper case; 0xE5 as first byte is
// stored as 0x05. Windows NT and later keep the case of all-lowercase parts in
// DIR_NTRes bits 3 and 4, which we honour both ways. Long names (fatgen103
// "FAT Long Directory Entries") are read, never created: a name that does not
// fit 8.3 is refused with FsNameNot83.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <fs/fat16/on_disk.h>

namespace fat16 {

// Encodes `name` (length bytes, no '/') as an 11-byte short name.
// FsBadName: empty, "." or "..", or a character fatgen103 forbids.
// FsNameNot83: the base is over 8 or the extension over 3 characters, or there
// is more than one dot; such names exist only as long names.
ErrorOr<void> encode_short_name(const char* name, u32 length, u8 out[11], u8& nt_flags);

// "NAME.EXT" (or "name.ext" per the NT flags) from a stored short name; bytes
// that cannot be shown (controls, '/') become '?'. Returns the text length.
u32 decode_short_name(const u8 stored[11], u8 nt_flags, char out[13]);

// fatgen103 "FAT Long Directory Entries": the checksum every long entry holds.
u8 short_name_checksum(const u8 stored[11]);

// Appends the UTF-8 form of one UCS-2 character; returns bytes written (1-3).
// Controls and '/' become '?', so a long name can never smuggle a separator.
u32 ucs2_to_utf8(u16 character, char* out);

// Case-insensitive (ASCII letters only) comparison of `a` (length bytes) with
// the NUL-terminated `b`.
bool name_equals(const char* a, u32 length, const char* b);

u32 string_length(const char* s);

} // namespace fat16
