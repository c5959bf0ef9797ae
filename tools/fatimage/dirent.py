"""FAT directory entries as other systems write them: 8.3 short entries and
VFAT long-name parts (fatgen103 section 6 "FAT Directory Structure" and
section 7 "FAT Long Directory Entries").

tools/fatimage/volume.py reads directories through parse_directory() and
writes only short entries (pack_short_entry); long names made by mcopy,
Linux or Windows are read and kept, never created. The rules match the
kernel's fs/fat16/directory.cpp (docs/fat16.md): a long-name sequence with a
wrong checksum, a gap or a bad order is ignored and the file is known by its
short name, as Windows does.
"""
import struct

from .fat16 import fat_timestamp  # noqa: F401  (one rule for FAT times: UTC, from 1980)

ENTRY_SIZE = 32
ATTR_READ_ONLY = 0x01
ATTR_HIDDEN = 0x02
ATTR_SYSTEM = 0x04
ATTR_VOLUME_ID = 0x08
ATTR_DIRECTORY = 0x10
ATTR_ARCHIVE = 0x20
ATTR_LONG_NAME = 0x0F         # RO | HIDDEN | SYSTEM | VOLUME_ID, masked with 0x3F
FREE_MARK = 0xE5
END_MARK = 0x00
KANJI_E5 = 0x05               # a real 0xE5 as the first name byte
NT_LOWER_BASE = 0x08
NT_LOWER_EXT = 0x10
LAST_LONG_PART = 0x40

# DIR_Name, Attr, NTRes, CrtTimeTenth, CrtTime, CrtDate, LstAccDate,
# FstClusHI, WrtTime, WrtDate, FstClusLO, FileSize (fatgen103 section 6).
SHORT_ENTRY = struct.Struct("<11sBBBHHHHHHHI")
assert SHORT_ENTRY.size == ENTRY_SIZE
# LDIR_Ord, Name1 (5 UCS-2), Attr, Type, Chksum, Name2 (6), FstClusLO, Name3 (2)
LONG_ENTRY = struct.Struct("<B10sBBB12sH4s")
assert LONG_ENTRY.size == ENTRY_SIZE


def long_name_checksum(name11):
    """fatgen103 section 7: the rotate-right-and-add sum of the 11 name bytes."""
    total = 0
    for byte in name11:
        total = (((total & 1) << 7) + (total >> 1) + byte) & 0xFF
    return total


def printable(text):
    """Names come from disk: keep a separator or control byte out of the output."""
    return "".join("?" if ord(c) < 0x20 or c in "/\\\x7f" else c for c in text)


def short_display(name11, nt_flags=0):
    """b'README  TXT' -> 'README.TXT' (lower-cased parts as the NT flags say)."""
    raw = bytearray(name11)
    if raw[0] == KANJI_E5:
        raw[0] = FREE_MARK
    base = bytes(raw[:8]).decode("cp437").rstrip(" ")
    ext = bytes(raw[8:]).decode("cp437").rstrip(" ")
    if nt_flags & NT_LOWER_BASE:
        base = base.lower()
    if nt_flags & NT_LOWER_EXT:
        ext = ext.lower()
    return printable(base + ("." + ext if ext else ""))


def fat_datetime(date, clock):
    """(date, time) words -> 'YYYY-MM-DD HH:MM' ('-' when the date is unset)."""
    if date == 0:
        return "-"
    year, month, day = 1980 + (date >> 9), (date >> 5) & 0x0F, date & 0x1F
    return f"{year:04}-{month:02}-{day:02} {clock >> 11:02}:{(clock >> 5) & 0x3F:02}"


class Entry:
    """One file or directory as found in a directory.

    `slots` are the absolute byte offsets (in the image file) of the entry's
    32-byte slots: long-name parts first, the short entry last."""

    def __init__(self, fields, slots, long_name):
        (self.name11, self.attr, self.nt_flags, self.create_tenth, self.create_time, self.create_date,
         self.access_date, self.cluster_high, self.write_time, self.write_date, self.cluster,
         self.size) = fields
        self.slots = slots
        self.long_name = long_name
        self.short_name = short_display(self.name11, self.nt_flags)

    @property
    def name(self):
        return self.long_name or self.short_name

    @property
    def is_dir(self):
        return bool(self.attr & ATTR_DIRECTORY)

    @property
    def is_dot(self):
        return self.name11 in (b".          ", b"..         ")

    def matches(self, component):
        """Long name or 8.3 alias, case-insensitively (ASCII), as the kernel does."""
        wanted = component.upper()
        return wanted == self.short_name.upper() or (self.long_name is not None
                                                      and wanted == self.long_name.upper())

    def modified(self):
        return fat_datetime(self.write_date, self.write_time)

    def packed(self):
        return SHORT_ENTRY.pack(self.name11, self.attr, self.nt_flags, self.create_tenth, self.create_time,
                                self.create_date, self.access_date, self.cluster_high, self.write_time,
                                self.write_date, self.cluster, self.size)


def pack_short_entry(name11, attr, cluster, size, epoch):
    clock, date = fat_timestamp(epoch)
    return SHORT_ENTRY.pack(name11, attr, 0, 0, clock, date, date, 0, clock, date, cluster, size)


def _long_part_chars(raw):
    name1, name2, name3 = raw[1:11], raw[14:26], raw[28:32]
    units = struct.unpack("<13H", name1 + name2 + name3)
    out = []
    for u in units:
        if u == 0x0000:
            break
        out.append(u)
    return out


def parse_directory(data, slot_offsets):
    """data: the directory's bytes; slot_offsets[i]: the image offset of slot i.

    Returns (entries, free_slots, end_index): every live entry (volume label
    included, attr tells), the offsets of free slots (0xE5 ones and every
    slot from the end marker on), and the index of the end marker."""
    entries, free = [], []
    parts, expect, checksum, part_slots = {}, 0, None, []
    count = len(data) // ENTRY_SIZE
    end = count
    for i in range(count):
        raw = data[i * ENTRY_SIZE:(i + 1) * ENTRY_SIZE]
        first = raw[0]
        if first == END_MARK:
            end = i
            break
        if first == FREE_MARK:
            free.append(slot_offsets[i])
            parts, expect, part_slots = {}, 0, []
            continue
        attr = raw[11]
        if attr & 0x3F == ATTR_LONG_NAME:
            order = first & 0x1F
            if first & LAST_LONG_PART and 1 <= order <= 20:
                parts, expect, checksum, part_slots = {order: _long_part_chars(raw)}, order - 1, raw[13], \
                    [slot_offsets[i]]
            elif expect and order == expect and raw[13] == checksum:
                parts[order] = _long_part_chars(raw)
                part_slots.append(slot_offsets[i])
                expect -= 1
            else:
                parts, expect, part_slots = {}, 0, []
            continue
        fields = SHORT_ENTRY.unpack(raw)
        long_name, slots = None, [slot_offsets[i]]
        if parts and expect == 0 and checksum == long_name_checksum(raw[:11]):
            units = []
            for order in sorted(parts):
                units.extend(parts[order])
            try:
                long_name = printable(struct.pack(f"<{len(units)}H", *units).decode("utf-16-le"))
            except UnicodeDecodeError:
                long_name = None
            slots = part_slots + slots
        entries.append(Entry(fields, slots, long_name or None))
        parts, expect, part_slots = {}, 0, []
    free.extend(slot_offsets[end:count])
    return entries, free, end
