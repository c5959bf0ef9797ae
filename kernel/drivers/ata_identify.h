// What the ATA and AHCI drivers read from a disk's IDENTIFY DEVICE data
// (ATA8-ACS 7.16): the 256 words are the same whichever bus carried them.
#pragma once

#include <bareflow/types.h>

struct AtaIdentity {
    bool lba48;     // word 83 bit 10
    u64 sectors;    // words 100-103 with LBA48, else words 60-61
    char model[41]; // words 27-46, two characters per word, high byte first; trailing blanks cut
};

AtaIdentity parse_ata_identify(const u16* words);
