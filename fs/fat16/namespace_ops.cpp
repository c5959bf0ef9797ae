// Changes to the name space: delete, mkdir, rmdir, rename, atomic replace.
//
// Each one orders its writes so that a cut between any two leaves at worst
// lost clusters (see volume.h): an entry is removed before its chain is
// freed, a new directory's cluster is filled before an entry names it, and a
// move removes the old entry before the new one appears (a moment with two
// entries on one chain would be a cross-link).
#include <bareflow/panic.h>
#include <fs/fat16/name.h>
#include <fs/fat16/volume.h>

namespace fat16 {

static constexpr u32 MAX_PATH_BYTES = 512;
static constexpr u32 MAX_DIRECTORY_DEPTH = 256;

static DirectoryEntry dot_entry(const char* name, u16 cluster, u32 stamp)
{
    DirectoryEntry entry {};
    for (u32 i = 0; i < 11; ++i)
        entry.name[i] = ' ';
    for (u32 i = 0; name[i]; ++i)
        entry.name[i] = u8(name[i]);
    entry.attributes = ATTR_DIRECTORY;
    entry.first_cluster = cluster;
    entry.create_date = entry.write_date = entry.access_date = u16(stamp >> 16);
    entry.create_time = entry.write_time = u16(stamp);
    return entry;
}

static ErrorOr<DirectoryEntry> read_entry(Volume& volume, u32 lba, u16 index)
{
    DirectoryEntry entry;
    u8* sector = TRY(volume.cached_sector(lba));
    __builtin_memcpy(&entry, sector + index * sizeof(DirectoryEntry), sizeof(entry));
    return entry;
}

ErrorOr<void> Volume::remove(const char* path)
{
    TRY(check_writable());
    const char* leaf = nullptr;
    u32 leaf_length = 0;
    u16 parent = TRY(resolve_parent(path, leaf, leaf_length));
    EntryInfo entry;
    if (!TRY(find_in_directory(parent, leaf, leaf_length, entry)))
        return Error::FsNotFound;
    if (entry.is_directory())
        return Error::FsIsDirectory;
    if (entry.attributes & ATTR_READ_ONLY)
        return Error::FsReadOnlyFile;
    // A broken chain is refused before anything changes: freeing along a
    // bad link could free clusters that belong to someone else.
    TRY(chain_length(entry.first_cluster));
    TRY(check_not_shared(entry.first_cluster, entry.entry_lba, entry.entry_index));
    TRY(begin_write());
    TRY(mark_entry_deleted(entry));
    if (entry.first_cluster != 0)
        TRY(free_chain(entry.first_cluster));
    return {};
}

ErrorOr<void> Volume::mkdir(const char* path)
{
    TRY(check_writable());
    const char* leaf = nullptr;
    u32 leaf_length = 0;
    u16 parent = TRY(resolve_parent(path, leaf, leaf_length));
    EntryInfo existing;
    if (TRY(find_in_directory(parent, leaf, leaf_length, existing)))
        return Error::FsExists;
    DirectoryEntry entry {};
    TRY(encode_short_name(leaf, leaf_length, entry.name, entry.nt_flags));
    TRY(begin_write());
    // The slot first: it may grow the parent, and a full root must fail
    // before a cluster is taken.
    u32 lba = 0;
    u16 index = 0;
    TRY(find_free_slot(parent, lba, index));
    u32 got = 0;
    u16 cluster = TRY(allocate_chain(1, 0, got));
    u32 stamp = now();
    // fatgen103 "FAT Directory Structure": every subdirectory starts with
    // "." (itself) and ".." (its parent, 0 for the root).
    alignas(4) u8 sector[SECTOR_SIZE] = {};
    auto* entries = reinterpret_cast<DirectoryEntry*>(sector);
    entries[0] = dot_entry(".", cluster, stamp);
    entries[1] = dot_entry("..", parent, stamp);
    for (u32 s = 0; s < m_sectors_per_cluster; ++s) {
        forget_cached_range(cluster_lba(cluster) + s, 1);
        TRY(device_write(cluster_lba(cluster) + s, 1, sector));
        if (s == 0)
            __builtin_memset(sector, 0, sizeof(sector));
    }
    entry.attributes = ATTR_DIRECTORY;
    entry.first_cluster = cluster;
    entry.create_date = entry.write_date = entry.access_date = u16(stamp >> 16);
    entry.create_time = entry.write_time = u16(stamp);
    return write_entry(lba, index, entry);
}

ErrorOr<void> Volume::rmdir(const char* path)
{
    TRY(check_writable());
    EntryInfo entry;
    bool is_root = false;
    TRY(resolve(path, entry, is_root));
    if (is_root)
        return Error::InvalidArgument;
    if (!entry.is_directory())
        return Error::FsNotDirectory;
    if (!valid_cluster(entry.first_cluster))
        return Error::FsCorrupt;
    TRY(chain_length(entry.first_cluster));
    TRY(check_not_shared(entry.first_cluster, entry.entry_lba, entry.entry_index));
    DirectoryIterator it;
    it.m_volume = this;
    TRY(cursor_start(it.m_cursor, entry.first_cluster));
    EntryInfo child;
    while (TRY(it.next(child)))
        if (!child.is_dot())
            return Error::FsDirectoryNotEmpty;
    TRY(begin_write());
    TRY(mark_entry_deleted(entry));
    return free_chain(entry.first_cluster);
}

// True if directory `ancestor` is `directory` or one of its parents (walked
// through the ".." entries), so that a directory is never moved into itself.
static ErrorOr<bool> is_ancestor(Volume& volume, u16 ancestor, u16 directory)
{
    for (u32 depth = 0; depth < MAX_DIRECTORY_DEPTH && directory != 0; ++depth) {
        if (directory == ancestor)
            return true;
        if (!volume.valid_cluster(directory))
            return Error::FsCorrupt;
        DirectoryEntry dotdot = TRY(read_entry(volume, volume.cluster_lba(directory), 1));
        if (dotdot.name[0] != '.' || dotdot.name[1] != '.')
            return Error::FsCorrupt;
        directory = dotdot.first_cluster;
    }
    return directory == 0 ? false : ErrorOr<bool>(Error::FsCorrupt);
}

ErrorOr<void> Volume::rename(const char* from, const char* to, bool replace)
{
    TRY(check_writable());
    const char* leaf = nullptr;
    u32 leaf_length = 0;
    u16 source_parent = TRY(resolve_parent(from, leaf, leaf_length));
    EntryInfo source;
    if (!TRY(find_in_directory(source_parent, leaf, leaf_length, source)))
        return Error::FsNotFound;
    u16 target_parent = TRY(resolve_parent(to, leaf, leaf_length));
    if (source.is_directory()) {
        if (!valid_cluster(source.first_cluster))
            return Error::FsCorrupt;
        if (TRY(is_ancestor(*this, source.first_cluster, target_parent)))
            return Error::InvalidArgument;
        // Moving a directory elsewhere also rewrites its ".." entry, a third
        // sector: a cut between them leaves a ".." that fsck.fat reports as
        // invalid, which breaks the power-loss promise. Renaming it in place
        // is one sector write and is allowed.
        if (target_parent != source_parent)
            return Error::NotSupported;
    }
    EntryInfo target;
    bool target_exists = TRY(find_in_directory(target_parent, leaf, leaf_length, target));
    bool same_entry = target_exists && target.entry_lba == source.entry_lba && target.entry_index == source.entry_index;
    if (target_exists && !same_entry) {
        if (!replace)
            return Error::FsExists;
        if (target.is_directory() || source.is_directory())
            return Error::FsIsDirectory;
        if (target.attributes & ATTR_READ_ONLY)
            return Error::FsReadOnlyFile;
        TRY(chain_length(target.first_cluster));
        TRY(check_not_shared(target.first_cluster, target.entry_lba, target.entry_index));
    }
    // A new short name is needed unless an existing target keeps its own
    // (which may be a long name we could not create).
    u8 name[11];
    u8 nt_flags = 0;
    if (!target_exists || same_entry)
        TRY(encode_short_name(leaf, leaf_length, name, nt_flags));
    DirectoryEntry moved = TRY(read_entry(*this, source.entry_lba, source.entry_index));
    TRY(begin_write());

    if (target_exists && !same_entry) {
        // Replace: drop the source entry (its chain is briefly lost), switch
        // the target's entry to the source's chain in one sector write, then
        // free the old chain. The target keeps its name and long name.
        DirectoryEntry replaced = TRY(read_entry(*this, target.entry_lba, target.entry_index));
        u16 old_chain = replaced.first_cluster;
        TRY(mark_entry_deleted(source));
        replaced.attributes = moved.attributes;
        replaced.first_cluster = moved.first_cluster;
        replaced.file_size = moved.file_size;
        replaced.write_date = moved.write_date;
        replaced.write_time = moved.write_time;
        TRY(write_entry(target.entry_lba, target.entry_index, replaced));
        if (old_chain != 0 && old_chain != moved.first_cluster)
            TRY(free_chain(old_chain));
        return {};
    }

    __builtin_memcpy(moved.name, name, 11);
    moved.nt_flags = u8((moved.nt_flags & ~(NT_LOWERCASE_BASE | NT_LOWERCASE_EXT)) | nt_flags);
    if (source_parent == target_parent) {
        // In place: the new short name is one sector write. The long name,
        // if any, no longer matches and is removed after.
        TRY(write_entry(source.entry_lba, source.entry_index, moved));
        if (source.long_entry_count > 0) {
            alignas(4) u8 sector[SECTOR_SIZE];
            for (u32 k = 0; k < 3; ++k) {
                u32 lba = source.long_lbas[k];
                if (lba == 0)
                    continue;
                __builtin_memcpy(sector, TRY(cached_sector(lba)), SECTOR_SIZE);
                for (u32 i = 0; i < source.long_entry_count; ++i) {
                    u32 position = source.long_first_index + i;
                    if (position / ENTRIES_PER_SECTOR == k)
                        sector[(position % ENTRIES_PER_SECTOR) * sizeof(DirectoryEntry)] = DIR_ENTRY_FREE;
                }
                TRY(write_cached_sector(lba, sector));
            }
        }
        return {};
    }

    // A move: the slot is found first (it may grow the target directory),
    // then the old entry goes, then the new one appears.
    u32 lba = 0;
    u16 index = 0;
    TRY(find_free_slot(target_parent, lba, index));
    TRY(mark_entry_deleted(source));
    return write_entry(lba, index, moved);
}

ErrorOr<void> Volume::replace_file(const char* path, const void* data, u32 length)
{
    TRY(check_writable());
    // NAME.EXT -> NAME.NEW in the same directory. For an existing file the
    // 8.3 alias is used, so a file with a long name can be replaced too.
    u32 path_length = string_length(path);
    u32 leaf_start = path_length;
    while (leaf_start > 0 && path[leaf_start - 1] != '/')
        --leaf_start;
    const char* leaf = path + leaf_start;
    u32 leaf_length = path_length - leaf_start;
    EntryInfo existing;
    bool is_root = false;
    auto found = resolve(path, existing, is_root);
    if (found.is_error() && found.error() != Error::FsNotFound)
        return found.error();
    if (!found.is_error()) {
        if (is_root || existing.is_directory())
            return Error::FsIsDirectory;
        leaf = existing.short_name;
        leaf_length = string_length(leaf);
    }
    u32 base_length = leaf_length;
    for (u32 i = 0; i < leaf_length; ++i)
        if (leaf[i] == '.')
            base_length = i;
    if (base_length == 0 || leaf_start + base_length + 5 > MAX_PATH_BYTES)
        return Error::FsBadName;
    if (base_length + 4 == leaf_length && name_equals(leaf + base_length, 4, ".NEW"))
        return Error::FsBadName; // the temporary would be the file itself
    char temp[MAX_PATH_BYTES];
    __builtin_memcpy(temp, path, leaf_start);
    __builtin_memcpy(temp + leaf_start, leaf, base_length);
    __builtin_memcpy(temp + leaf_start + base_length, ".NEW", 5);

    File file;
    TRY(open(temp, file, OPEN_WRITE | OPEN_CREATE | OPEN_TRUNCATE));
    auto written = write(file, data, length);
    if (written.is_error()) {
        // No room (or a failing disk): drop the partial NAME.NEW so the
        // volume is as before, and report the first error.
        (void)remove(temp);
        (void)sync();
        return written.error();
    }
    TRY(sync());
    TRY(rename(temp, path, true));
    return sync();
}

} // namespace fat16
