// Directories: walking their slots, assembling VFAT long names, resolving
// paths, finding free slots, writing and deleting entries.
//
// fatgen103 "FAT Directory Structure": the FAT16 root is a fixed region of
// RootEntCnt slots after the FATs; every other directory is a cluster chain
// like a file. A slot whose first byte is 0x00 ends the directory; 0xE5 is a
// free slot. Long-name entries (fatgen103 "FAT Long Directory Entries") come
// before their short entry, last part first, each carrying the short name's
// checksum; a sequence that is broken or whose checksum does not match is
// ignored and the file is known by its short name, as Windows does.
#include <bareflow/panic.h>
#include <fs/fat16/name.h>
#include <fs/fat16/volume.h>

namespace fat16 {

// fatgen103: a directory holds at most 65536 entries (2 MiB).
static constexpr u32 MAX_DIRECTORY_SLOTS = 65536;
static constexpr u32 MAX_PATH_PARTS = 32;

bool EntryInfo::is_dot() const
{
    return short_name[0] == '.' && (short_name[1] == 0 || (short_name[1] == '.' && short_name[2] == 0));
}

ErrorOr<void> Volume::cursor_start(DirectoryCursor& cursor, u16 first_cluster)
{
    cursor = {};
    cursor.first_cluster = first_cluster;
    if (first_cluster == 0) {
        cursor.lba = m_root_lba;
        return {};
    }
    // A loop or a bad link in a directory's chain is refused up front, so a
    // listing never repeats itself.
    TRY(chain_length(first_cluster));
    cursor.cluster = first_cluster;
    cursor.lba = cluster_lba(first_cluster);
    return {};
}

ErrorOr<void> Volume::cursor_advance(DirectoryCursor& cursor, bool extend)
{
    if (cursor.at_end)
        return {};
    ++cursor.slot;
    if (cursor.slot % ENTRIES_PER_SECTOR != 0)
        return {};
    u32 sector = cursor.slot / ENTRIES_PER_SECTOR;
    if (cursor.first_cluster == 0) {
        if (sector >= m_root_sectors)
            cursor.at_end = true;
        else
            cursor.lba = m_root_lba + sector;
        return {};
    }
    u32 in_cluster = sector % m_sectors_per_cluster;
    if (in_cluster != 0) {
        cursor.lba = cluster_lba(cursor.cluster) + in_cluster;
        return {};
    }
    if (cursor.slot >= MAX_DIRECTORY_SLOTS) {
        cursor.at_end = true;
        return {};
    }
    if (++cursor.clusters_walked > m_cluster_count)
        return Error::FsCorrupt; // a loop in the directory's chain
    u16 next = TRY(next_cluster(cursor.cluster));
    if (next == 0) {
        if (!extend) {
            cursor.at_end = true;
            return {};
        }
        // Grow the directory: the new cluster is allocated (unreachable),
        // zeroed, and only then linked, so a cut leaves a lost cluster.
        u32 got = 0;
        next = TRY(allocate_chain(1, cursor.cluster, got));
        alignas(4) u8 zero[SECTOR_SIZE] = {};
        for (u32 s = 0; s < m_sectors_per_cluster; ++s) {
            forget_cached_range(cluster_lba(next) + s, 1);
            TRY(device_write(cluster_lba(next) + s, 1, zero));
        }
        TRY(set_fat_entry(cursor.cluster, next));
        TRY(flush_fat());
    }
    cursor.cluster = next;
    cursor.lba = cluster_lba(next);
    return {};
}

ErrorOr<bool> DirectoryIterator::next(EntryInfo& out)
{
    Volume& v = *m_volume;
    // Long-name assembly state for the entries before the short one.
    u16 long_name[LONG_NAME_MAX + 13] = {};
    u8 expected = 0, checksum = 0, long_count = 0;
    u8 long_sectors = 0;
    u16 long_first_index = 0;
    u32 long_lbas[3] = {};

    while (!m_cursor.at_end) {
        u8* sector = TRY(v.cached_sector(m_cursor.lba));
        u16 index = u16(m_cursor.slot % ENTRIES_PER_SECTOR);
        u32 lba = m_cursor.lba;
        DirectoryEntry entry;
        __builtin_memcpy(&entry, sector + index * sizeof(DirectoryEntry), sizeof(entry));
        if (entry.name[0] == DIR_ENTRY_END) {
            m_cursor.at_end = true;
            return false;
        }
        TRY(v.cursor_advance(m_cursor));
        if (entry.name[0] == DIR_ENTRY_FREE) {
            long_count = 0;
            expected = 0;
            continue;
        }
        if ((entry.attributes & ATTR_LONG_NAME_MASK) == ATTR_LONG_NAME) {
            auto const& le = reinterpret_cast<const LongNameEntry&>(entry);
            u8 order = le.order & 0x1F;
            if (le.order & LAST_LONG_ENTRY) {
                if (order == 0 || order * LONG_NAME_CHARS_PER_ENTRY > LONG_NAME_MAX + 13) {
                    long_count = expected = 0;
                    continue;
                }
                long_count = expected = order;
                checksum = le.checksum;
                long_first_index = index;
                long_lbas[0] = lba;
                long_sectors = 1;
                for (auto& c : long_name)
                    c = 0;
            } else if (expected == 0 || order != expected || le.checksum != checksum) {
                long_count = expected = 0; // a broken sequence: forget it
                continue;
            }
            if (lba != long_lbas[long_sectors - 1]) {
                if (long_sectors == 3) {
                    long_count = expected = 0;
                    continue;
                }
                long_lbas[long_sectors++] = lba;
            }
            u16* part = long_name + (order - 1) * LONG_NAME_CHARS_PER_ENTRY;
            for (u32 i = 0; i < 5; ++i)
                part[i] = le.name1[i];
            for (u32 i = 0; i < 6; ++i)
                part[5 + i] = le.name2[i];
            for (u32 i = 0; i < 2; ++i)
                part[11 + i] = le.name3[i];
            --expected;
            continue;
        }
        if (entry.attributes & ATTR_VOLUME_ID) { // the label, not a file
            long_count = expected = 0;
            continue;
        }

        // A short entry: the file itself.
        out.attributes = entry.attributes;
        out.nt_flags = entry.nt_flags;
        out.first_cluster = entry.first_cluster;
        out.size = entry.file_size;
        out.write_date = entry.write_date;
        out.write_time = entry.write_time;
        out.entry_lba = lba;
        out.entry_index = index;
        out.long_entry_count = 0;
        decode_short_name(entry.name, entry.nt_flags, out.short_name);
        u32 n = 0;
        if (long_count > 0 && expected == 0 && checksum == short_name_checksum(entry.name)) {
            for (u32 i = 0; i < u32(long_count) * LONG_NAME_CHARS_PER_ENTRY && i < LONG_NAME_MAX; ++i) {
                if (long_name[i] == 0x0000)
                    break;
                n += ucs2_to_utf8(long_name[i], out.name + n);
            }
            out.long_entry_count = long_count;
            out.long_first_index = long_first_index;
            for (u32 i = 0; i < 3; ++i)
                out.long_lbas[i] = i < long_sectors ? long_lbas[i] : 0;
        }
        if (n == 0) {
            for (; out.short_name[n]; ++n)
                out.name[n] = out.short_name[n];
        }
        out.name[n] = 0;
        return true;
    }
    return false;
}

ErrorOr<bool> Volume::find_in_directory(u16 dir_cluster, const char* name, u32 name_length, EntryInfo& out)
{
    DirectoryIterator it;
    it.m_volume = this;
    TRY(cursor_start(it.m_cursor, dir_cluster));
    while (TRY(it.next(out))) {
        if (out.is_dot())
            continue; // "." and ".." are resolved by the path walk, never read
        if (name_equals(name, name_length, out.name) || name_equals(name, name_length, out.short_name))
            return true;
    }
    return false;
}

namespace {
struct PathPart {
    const char* text;
    u32 length;
};
}

// Splits `path` at '/', dropping empty and "." parts and applying ".."
// lexically (".." of the root is the root), as a shell user expects.
static ErrorOr<u32> split_path(const char* path, PathPart* parts)
{
    u32 count = 0;
    const char* p = path;
    while (*p) {
        while (*p == '/')
            ++p;
        const char* start = p;
        while (*p && *p != '/')
            ++p;
        u32 length = u32(p - start);
        if (length == 0 || (length == 1 && start[0] == '.'))
            continue;
        if (length == 2 && start[0] == '.' && start[1] == '.') {
            if (count > 0)
                --count;
            continue;
        }
        if (length > LONG_NAME_MAX)
            return Error::FsBadName;
        if (count == MAX_PATH_PARTS)
            return Error::FsBadName;
        parts[count++] = { start, length };
    }
    return count;
}

ErrorOr<void> Volume::resolve(const char* path, EntryInfo& out, bool& is_root)
{
    if (!m_device)
        return Error::FsNotMounted;
    PathPart parts[MAX_PATH_PARTS];
    u32 count = TRY(split_path(path, parts));
    is_root = count == 0;
    u16 directory = 0;
    for (u32 i = 0; i < count; ++i) {
        if (!TRY(find_in_directory(directory, parts[i].text, parts[i].length, out)))
            return Error::FsNotFound;
        if (i + 1 < count) {
            if (!out.is_directory())
                return Error::FsNotDirectory;
            if (!valid_cluster(out.first_cluster))
                return Error::FsCorrupt; // a subdirectory always owns a cluster
            directory = out.first_cluster;
        }
    }
    return {};
}

ErrorOr<u16> Volume::resolve_parent(const char* path, const char*& leaf, u32& leaf_length)
{
    if (!m_device)
        return Error::FsNotMounted;
    PathPart parts[MAX_PATH_PARTS];
    u32 count = TRY(split_path(path, parts));
    if (count == 0)
        return Error::FsBadName;
    u16 directory = 0;
    EntryInfo scratch;
    for (u32 i = 0; i + 1 < count; ++i) {
        if (!TRY(find_in_directory(directory, parts[i].text, parts[i].length, scratch)))
            return Error::FsNotFound;
        if (!scratch.is_directory())
            return Error::FsNotDirectory;
        if (!valid_cluster(scratch.first_cluster))
            return Error::FsCorrupt;
        directory = scratch.first_cluster;
    }
    leaf = parts[count - 1].text;
    leaf_length = parts[count - 1].length;
    return directory;
}

ErrorOr<void> Volume::stat(const char* path, EntryInfo& out)
{
    bool is_root = false;
    TRY(resolve(path, out, is_root));
    if (is_root) {
        out = {};
        out.name[0] = '/';
        out.short_name[0] = '/';
        out.attributes = ATTR_DIRECTORY;
    }
    return {};
}

ErrorOr<void> Volume::open_directory(const char* path, DirectoryIterator& it)
{
    EntryInfo entry;
    bool is_root = false;
    TRY(resolve(path, entry, is_root));
    u16 cluster = 0;
    if (!is_root) {
        if (!entry.is_directory())
            return Error::FsNotDirectory;
        if (!valid_cluster(entry.first_cluster))
            return Error::FsCorrupt;
        cluster = entry.first_cluster;
    }
    it.m_volume = this;
    return cursor_start(it.m_cursor, cluster);
}

ErrorOr<void> Volume::find_free_slot(u16 dir_cluster, u32& lba, u16& index)
{
    // A slot right after a live long-name entry is never used: such an entry
    // belongs to no short entry (an orphan left by a cut or another system),
    // and a short entry written behind it would be read as the end of its
    // sequence, which fsck.fat reports as a bad long-name checksum. Such a
    // slot is skipped; a never-used (0x00) one is first marked free (0xE5),
    // so that readers, which stop at 0x00, still see the slot after it.
    DirectoryCursor cursor;
    TRY(cursor_start(cursor, dir_cluster));
    bool after_long_entry = false;
    for (;;) {
        if (cursor.at_end)
            return dir_cluster == 0 ? Error::FsRootFull : Error::FsNoSpace;
        u8* sector = TRY(cached_sector(cursor.lba));
        u16 slot_index = u16(cursor.slot % ENTRIES_PER_SECTOR);
        auto const& slot = *reinterpret_cast<const DirectoryEntry*>(sector + slot_index * sizeof(DirectoryEntry));
        u8 first = slot.name[0];
        bool is_free = first == DIR_ENTRY_FREE || first == DIR_ENTRY_END;
        if (is_free && !after_long_entry) {
            lba = cursor.lba;
            index = slot_index;
            return {};
        }
        if (first == DIR_ENTRY_END) {
            DirectoryEntry freed = slot;
            freed.name[0] = DIR_ENTRY_FREE;
            TRY(write_entry(cursor.lba, slot_index, freed));
        }
        after_long_entry = !is_free && (slot.attributes & ATTR_LONG_NAME_MASK) == ATTR_LONG_NAME;
        // Subdirectories grow by a zeroed cluster when full.
        TRY(cursor_advance(cursor, dir_cluster != 0));
    }
}

ErrorOr<void> Volume::write_entry(u32 lba, u16 index, const DirectoryEntry& entry)
{
    alignas(4) u8 sector[SECTOR_SIZE];
    __builtin_memcpy(sector, TRY(cached_sector(lba)), SECTOR_SIZE);
    __builtin_memcpy(sector + index * sizeof(DirectoryEntry), &entry, sizeof(entry));
    return write_cached_sector(lba, sector);
}

ErrorOr<void> Volume::mark_entry_deleted(const EntryInfo& entry)
{
    // The short entry's sector first (with any long entries in it): after
    // that one write the file is gone; leftover long entries in an earlier
    // sector are orphans that every FAT implementation ignores.
    alignas(4) u8 sector[SECTOR_SIZE];
    for (u32 pass = 0; pass < 4; ++pass) {
        u32 lba = pass == 0 ? entry.entry_lba : entry.long_lbas[3 - pass];
        if (pass > 0 && (entry.long_entry_count == 0 || lba == 0 || lba == entry.entry_lba))
            continue;
        __builtin_memcpy(sector, TRY(cached_sector(lba)), SECTOR_SIZE);
        if (lba == entry.entry_lba)
            sector[entry.entry_index * sizeof(DirectoryEntry)] = DIR_ENTRY_FREE;
        for (u32 i = 0; i < entry.long_entry_count; ++i) {
            u32 position = entry.long_first_index + i;
            u32 k = position / ENTRIES_PER_SECTOR;
            if (k < 3 && entry.long_lbas[k] == lba)
                sector[(position % ENTRIES_PER_SECTOR) * sizeof(DirectoryEntry)] = DIR_ENTRY_FREE;
        }
        TRY(write_cached_sector(lba, sector));
    }
    return {};
}

} // namespace fat16
