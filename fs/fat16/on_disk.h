// On-disk layouts of a FAT16 volume, byte for byte.
//
// References: Microsoft "FAT: General Overview of On-Disk Format" (fatgen103,
// version 1.03), cited below by section, and the MBR partition table as every
// PC BIOS and OS uses it. docs/fat16.md describes each field again in prose.
// All multi-byte fields are little-endian, which is also the host's and the
// kernel's byte order (x86), so the structs are read in place.
#pragma once

#include <bareflow/types.h>

namespace fat16 {

// --- MBR (sector 0 of a partitioned disk) ---------------------------------
struct [[gnu::packed]] MbrPartitionEntry {
    u8 status;       // 0x80 active, 0x00 inactive, anything else invalid
    u8 chs_first[3]; // ignored: LBA fields are authoritative
    u8 type;         // 0x04 FAT16 <32M, 0x06 FAT16, 0x0E FAT16 LBA
    u8 chs_last[3];
    u32 lba_first;
    u32 sector_count;
};
static_assert(sizeof(MbrPartitionEntry) == 16);

struct [[gnu::packed]] Mbr {
    u8 bootstrap[446];
    MbrPartitionEntry partitions[4];
    u16 signature; // 0xAA55
};
static_assert(sizeof(Mbr) == 512);

constexpr u16 BOOT_SIGNATURE = 0xAA55;
constexpr u8 PARTITION_FAT16_SMALL = 0x04;
constexpr u8 PARTITION_FAT16 = 0x06;
constexpr u8 PARTITION_FAT16_LBA = 0x0E;

// --- Boot sector and BPB (fatgen103 "Boot Sector and BPB", FAT12/16 layout) --
struct [[gnu::packed]] BootSector {
    u8 jump[3];                // BS_jmpBoot: EB xx 90 or E9 xx xx
    char oem_name[8];          // BS_OEMName
    u16 bytes_per_sector;      // BPB_BytsPerSec
    u8 sectors_per_cluster;    // BPB_SecPerClus: power of two, 1..128
    u16 reserved_sectors;      // BPB_RsvdSecCnt: >= 1
    u8 fat_count;              // BPB_NumFATs
    u16 root_entry_count;      // BPB_RootEntCnt
    u16 total_sectors_16;      // BPB_TotSec16 (0: use TotSec32)
    u8 media;                  // BPB_Media
    u16 fat_size_16;           // BPB_FATSz16
    u16 sectors_per_track;     // BPB_SecPerTrk
    u16 head_count;            // BPB_NumHeads
    u32 hidden_sectors;        // BPB_HiddSec
    u32 total_sectors_32;      // BPB_TotSec32
    u8 drive_number;           // BS_DrvNum (offset 36)
    u8 reserved1;              // BS_Reserved1 (Linux keeps a dirty flag here)
    u8 extended_boot_signature; // BS_BootSig: 0x29 when the next three are valid
    u32 volume_id;             // BS_VolID
    char volume_label[11];     // BS_VolLab
    char fs_type[8];           // BS_FilSysType: informational only (fatgen103)
    u8 boot_code[448];
    u16 signature;             // 0xAA55 at offset 510
};
static_assert(sizeof(BootSector) == 512);

// --- FAT entries (fatgen103 "FAT Type Determination" and "FAT Data Structure") --
constexpr u32 FAT16_MIN_CLUSTERS = 4085;  // fewer: FAT12
constexpr u32 FAT16_MAX_CLUSTERS = 65524; // more: FAT32 (fatgen103 uses < 65525)
constexpr u16 FAT_FREE = 0x0000;
constexpr u16 FAT_BAD = 0xFFF7;
constexpr u16 FAT_EOC_MIN = 0xFFF8; // any value >= this ends a chain
constexpr u16 FAT_EOC = 0xFFFF;     // what we write
// FAT[1] flag bits (fatgen103, "FAT Data Structure", FAT16 case).
constexpr u16 FAT1_CLEAN_SHUTDOWN = 0x8000;
constexpr u16 FAT1_NO_HARD_ERROR = 0x4000;
constexpr u32 FIRST_DATA_CLUSTER = 2;

// --- Directory entries (fatgen103 "FAT Directory Structure") --------------
enum Attribute : u8 {
    ATTR_READ_ONLY = 0x01,
    ATTR_HIDDEN = 0x02,
    ATTR_SYSTEM = 0x04,
    ATTR_VOLUME_ID = 0x08,
    ATTR_DIRECTORY = 0x10,
    ATTR_ARCHIVE = 0x20,
    ATTR_LONG_NAME = 0x0F, // READ_ONLY|HIDDEN|SYSTEM|VOLUME_ID
    ATTR_LONG_NAME_MASK = 0x3F,
};

// DIR_NTRes bits (not in fatgen103; Windows NT and later, also Linux and
// mtools): the base name or the extension is shown in lower case.
constexpr u8 NT_LOWERCASE_BASE = 0x08;
constexpr u8 NT_LOWERCASE_EXT = 0x10;

constexpr u8 DIR_ENTRY_FREE = 0xE5; // DIR_Name[0]: entry free (deleted)
constexpr u8 DIR_ENTRY_END = 0x00;  // DIR_Name[0]: free, and so is every later entry
constexpr u8 DIR_ENTRY_KANJI_E5 = 0x05; // DIR_Name[0]: the real first byte is 0xE5

struct [[gnu::packed]] DirectoryEntry {
    u8 name[11];            // DIR_Name: 8 + 3, space padded, no dot
    u8 attributes;          // DIR_Attr
    u8 nt_flags;            // DIR_NTRes
    u8 create_time_tenths;  // DIR_CrtTimeTenth
    u16 create_time;        // DIR_CrtTime
    u16 create_date;        // DIR_CrtDate
    u16 access_date;        // DIR_LstAccDate
    u16 first_cluster_high; // DIR_FstClusHI: always 0 on FAT16
    u16 write_time;         // DIR_WrtTime: hour<<11 | minute<<5 | second/2
    u16 write_date;         // DIR_WrtDate: (year-1980)<<9 | month<<5 | day
    u16 first_cluster;      // DIR_FstClusLO
    u32 file_size;          // DIR_FileSize
};
static_assert(sizeof(DirectoryEntry) == 32);

// VFAT long-name entry (fatgen103 "FAT Long Directory Entries"). The entries
// of one name precede its short entry in reverse order; the first on disk
// has LAST_LONG_ENTRY set in `order`.
struct [[gnu::packed]] LongNameEntry {
    u8 order;         // LDIR_Ord: 1..20, | 0x40 on the last (first stored)
    u16 name1[5];     // LDIR_Name1: UCS-2 characters 1-5
    u8 attributes;    // LDIR_Attr: ATTR_LONG_NAME
    u8 type;          // LDIR_Type: 0
    u8 checksum;      // LDIR_Chksum: of the short name (see short_name_checksum)
    u16 name2[6];     // LDIR_Name2: characters 6-11
    u16 first_cluster; // LDIR_FstClusLO: 0
    u16 name3[2];     // LDIR_Name3: characters 12-13
};
static_assert(sizeof(LongNameEntry) == 32);

constexpr u8 LAST_LONG_ENTRY = 0x40;
constexpr u32 LONG_NAME_CHARS_PER_ENTRY = 13;
constexpr u32 LONG_NAME_MAX = 255; // characters (fatgen103)
constexpr u32 ENTRIES_PER_SECTOR = 512 / sizeof(DirectoryEntry);

} // namespace fat16
