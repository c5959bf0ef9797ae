// IDENTIFY DEVICE data (see ata_identify.h).
#include <kernel/drivers/ata_identify.h>

AtaIdentity parse_ata_identify(const u16* words)
{
    AtaIdentity id {};
    id.lba48 = words[83] & (1u << 10);
    u64 sectors28 = words[60] | (u32(words[61]) << 16);
    u64 sectors48 = words[100] | (u64(words[101]) << 16) | (u64(words[102]) << 32) | (u64(words[103]) << 48);
    id.sectors = (id.lba48 && sectors48) ? sectors48 : sectors28;
    for (u32 i = 0; i < 20; ++i) {
        id.model[2 * i] = char(words[27 + i] >> 8);
        id.model[2 * i + 1] = char(words[27 + i] & 0xFF);
    }
    u32 end = 40;
    while (end > 0 && (id.model[end - 1] == ' ' || id.model[end - 1] == 0))
        --end;
    id.model[end] = 0;
    return id;
}
