// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum in every
// .bfm header. It matches Python's zlib.crc32, which tools/flowc.py uses to
// write the field, so the two ends agree bit for bit.
#pragma once

#include <bareflow/types.h>

// Continues a running CRC: crc32_update(crc32_update(0, a), b) equals the CRC
// of a followed by b. Start with 0.
u32 crc32_update(u32 crc, const u8* data, usize size);

inline u32 crc32(const u8* data, usize size) { return crc32_update(0, data, size); }
