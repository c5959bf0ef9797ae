// Table-driven CRC-32, one byte per step. The table is built at compile time
// from the reflected polynomial, so there is nothing to initialise at boot.
#include <microjit/runtime/crc32.h>

namespace {

struct Crc32Table {
    u32 entries[256];
};

constexpr Crc32Table make_table()
{
    Crc32Table table {};
    for (u32 i = 0; i < 256; ++i) {
        u32 c = i;
        for (int bit = 0; bit < 8; ++bit)
            c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
        table.entries[i] = c;
    }
    return table;
}

constexpr Crc32Table table = make_table();
static_assert(table.entries[1] == 0x77073096u, "CRC-32 table: first non-trivial entry");

}

u32 crc32_update(u32 crc, const u8* data, usize size)
{
    crc = ~crc;
    for (usize i = 0; i < size; ++i)
        crc = table.entries[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
