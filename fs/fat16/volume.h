// fat16::Volume: one mounted FAT16 volume and everything done to it.
//
// The design follows FatFs (ChaN): one state object that holds the geometry
// and the caches, a tiny media interface (BlockDevice), and results as values.
// The caller owns the Volume (a static object in the kernel, a test fixture on
// the host); the driver allocates nothing.
//
// Power-loss promise (what FatFs does not give): every update is ordered so
// that a cut after any single sector write leaves at worst lost clusters:
//   - data sectors first, then the FAT (every copy, first FAT first), then the
//     directory entry that makes the data reachable;
//   - a delete marks the directory entry free first, then frees the chain;
//   - a shrink writes the new size first, then ends the chain, then frees.
// All writes go through to the device in issue order; caches hold copies only
// (the FAT cache holds a batch of entries that is written before anything
// that refers to it).
//
// Files: volume.cpp (mount, BPB, sync), fat_table.cpp (FAT entries, chains,
// allocation), directory.cpp (entries, long names, paths), file_io.cpp
// (read, write, seek, truncate), namespace_ops.cpp (create, delete, rename,
// mkdir, rmdir, atomic replace), cross_link.cpp (the shared-cluster check
// before a chain is freed or overwritten), mount_check.cpp (the fsck-style
// check that decides whether a volume may be written at all), name.cpp (8.3
// and long-name text).
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <fs/fat16/block_device.h>
#include <fs/fat16/mount_check.h>
#include <fs/fat16/on_disk.h>

namespace fat16 {

// One directory entry as the driver reports it: names decoded, location kept
// so that the entry can be updated or deleted.
struct EntryInfo {
    char name[LONG_NAME_MAX * 3 + 1]; // long name in UTF-8 if present, else the 8.3 name
    char short_name[13];              // "NAME.EXT" as stored (case per NT flags)
    u8 attributes;
    u8 nt_flags;
    u16 first_cluster;
    u32 size;
    u16 write_date; // FAT date, see on_disk.h
    u16 write_time;
    // Where the short entry lives, and the long-name entries before it.
    u32 entry_lba;
    u16 entry_index;
    u8 long_entry_count;
    u16 long_first_index;   // slot of the first long entry within long_lbas[0]
    u32 long_lbas[3];       // the sectors the long entries occupy, in order
    bool is_directory() const { return attributes & ATTR_DIRECTORY; }
    bool is_dot() const; // "." or ".." (never matched by path lookup)
};

// An open file. Plain data: no registry of open files exists, so a File needs
// no closing; each write updates the directory entry before it returns.
struct File {
    bool open { false };
    bool writable { false };
    u16 first_cluster { 0 };
    u32 size { 0 };
    u32 position { 0 };
    u32 entry_lba { 0 };
    u16 entry_index { 0 };
    // Chain position cache: `cached_cluster` is cluster number `cached_index`
    // of the chain (0-based), so sequential access never rewalks the chain.
    u16 cached_cluster { 0 };
    u32 cached_index { 0 };
};

enum OpenFlags : u32 {
    OPEN_READ = 0,
    OPEN_WRITE = 1u << 0,
    OPEN_CREATE = 1u << 1,    // create the file if it does not exist
    OPEN_TRUNCATE = 1u << 2,  // cut an existing file to zero length
    OPEN_EXCLUSIVE = 1u << 3, // with OPEN_CREATE: fail with FsExists if it exists
};

// The three places a directory's slots can come from.
struct DirectoryCursor {
    u16 first_cluster; // 0: the fixed root directory region
    u32 slot;          // running slot number within the directory
    u16 cluster;       // current cluster (subdirectories)
    u32 clusters_walked;
    u32 lba;           // sector holding `slot`
    bool at_end;
};

class Volume;

// Walks a directory's entries in disk order, assembling long names.
class DirectoryIterator {
public:
    // Returns false once the directory is exhausted. Deleted entries, long
    // entries and the volume label are consumed silently; "." and ".." are
    // returned (EntryInfo::is_dot) so callers decide.
    ErrorOr<bool> next(EntryInfo& out);

private:
    friend class Volume;
    Volume* m_volume { nullptr };
    DirectoryCursor m_cursor {};
};

struct VolumeInfo {
    char label[12];
    u32 cluster_count;
    u32 bytes_per_cluster;
    u32 first_lba;
    u32 sector_count;
    u8 fat_count;
    u16 root_entry_count;
};

class Volume {
public:
    // Finds the FAT16 volume on `device`: the first MBR partition of type
    // 0x04, 0x06 or 0x0E, or else a partitionless volume at sector 0.
    // A volume that fails the mount check (mount_check.h) still mounts, but
    // read-only: mount_report() says why, and every write is FsReadOnly.
    ErrorOr<void> mount(BlockDevice& device, MountCheck check = MountCheck::Full);
    // Mounts the volume at a known place: the partition's first sector and
    // size, which the BPB is checked against.
    ErrorOr<void> mount_at(BlockDevice& device, u32 first_lba, u32 sector_count, MountCheck check = MountCheck::Full);
    // Syncs, sets the clean-shutdown bit, and forgets the device.
    ErrorOr<void> unmount();
    // Makes everything written so far durable and sets the clean-shutdown
    // bit in FAT[1] of every FAT copy (cleared again by the next write).
    ErrorOr<void> sync();

    bool is_mounted() const { return m_device != nullptr; }
    // Read-only media, or a volume that failed the mount check.
    bool is_read_only() const { return m_read_only || !m_report.ok(); }
    const MountReport& mount_report() const { return m_report; }
    VolumeInfo info() const;
    ErrorOr<u32> free_clusters();

    // Paths: '/'-separated, absolute or relative to the root; each part is
    // matched case-insensitively against the long name or the 8.3 name.
    ErrorOr<void> stat(const char* path, EntryInfo& out);
    ErrorOr<void> open_directory(const char* path, DirectoryIterator& out);
    ErrorOr<void> open(const char* path, File& file, u32 flags = OPEN_READ);

    ErrorOr<u32> read(File& file, void* buffer, u32 length);
    ErrorOr<u32> write(File& file, const void* buffer, u32 length);
    ErrorOr<void> seek(File& file, u32 position);
    // Cuts or zero-extends the file to `size` (position is clamped).
    ErrorOr<void> truncate(File& file, u32 size);

    ErrorOr<void> remove(const char* path); // files only
    ErrorOr<void> mkdir(const char* path);
    ErrorOr<void> rmdir(const char* path);  // empty directories only
    // Renames or moves; with `replace`, an existing file at `to` is replaced
    // atomically (the old one stays intact until the one directory-entry
    // write that switches to the new one).
    ErrorOr<void> rename(const char* from, const char* to, bool replace = false);
    // Writes `path` as a whole: NAME.NEW is written and synced, then renamed
    // over NAME. A power cut leaves either the old or the new content.
    ErrorOr<void> replace_file(const char* path, const void* data, u32 length);

    // The date and time stamped on written entries: (date << 16) | time in
    // FAT format. The default is 2026-01-01 00:00:00.
    void set_clock(u32 (*now)()) { m_clock = now; }

    // --- internals shared by the driver's files (not for callers) -----------
    struct CachedSector {
        u32 lba;
        u32 last_use;
        bool valid;
        bool dirty; // FAT cache only: changed, not yet written
        u8 data[SECTOR_SIZE];
    };
    static constexpr u32 DATA_CACHE_SECTORS = 8;
    static constexpr u32 FAT_CACHE_SECTORS = 8;

    ErrorOr<u8*> cached_sector(u32 lba);                  // data/dir cache, read
    ErrorOr<void> write_cached_sector(u32 lba, const u8* data); // write-through
    void forget_cached_range(u32 lba, u32 count);
    ErrorOr<void> device_read(u32 lba, u32 count, u8* buffer);
    ErrorOr<void> device_write(u32 lba, u32 count, const u8* buffer);

    // FAT (fat_table.cpp).
    ErrorOr<u16> fat_entry(u16 cluster);
    ErrorOr<void> set_fat_entry(u16 cluster, u16 value); // cached until flush_fat
    ErrorOr<void> flush_fat();
    // Next cluster of a chain, or 0 at its end; garbage in the FAT is FsCorrupt.
    ErrorOr<u16> next_cluster(u16 cluster);
    ErrorOr<u16> cluster_at(u16 first_cluster, u32 index);
    ErrorOr<u32> chain_length(u16 first_cluster); // loops are FsCorrupt
    // Finds up to `wanted` free clusters (preferring a run after `near`),
    // marks them as one chain ending in EOC, and flushes the FAT. The chain
    // is unreachable until the caller links it.
    ErrorOr<u16> allocate_chain(u32 wanted, u16 near, u32& got);
    ErrorOr<void> free_chain(u16 first_cluster);
    bool valid_cluster(u32 cluster) const { return cluster >= FIRST_DATA_CLUSTER && cluster < m_cluster_count + FIRST_DATA_CLUSTER; }
    u32 cluster_lba(u16 cluster) const { return m_data_lba + (cluster - FIRST_DATA_CLUSTER) * m_sectors_per_cluster; }
    u32 bytes_per_cluster() const { return m_sectors_per_cluster * SECTOR_SIZE; }
    u32 sectors_per_cluster() const { return m_sectors_per_cluster; }
    ErrorOr<void> begin_write(); // refuses read-only media; clears the clean bit once
    // ReadOnlyMedia or FsReadOnly (a volume that failed the mount check);
    // every public operation that changes the volume asks this first.
    ErrorOr<void> check_writable() const;
    // Mount-check bitmap: clusters some directory entry's chain holds. The
    // allocator never hands one out, even if the FAT calls it free.
    bool is_referenced(u16 cluster) const { return (m_referenced[cluster / 32] >> (cluster % 32)) & 1; }
    void set_referenced(u16 cluster, bool on)
    {
        if (on)
            m_referenced[cluster / 32] |= 1u << (cluster % 32);
        else
            m_referenced[cluster / 32] &= ~(1u << (cluster % 32));
    }

    // Directories (directory.cpp).
    ErrorOr<void> cursor_start(DirectoryCursor& cursor, u16 first_cluster);
    ErrorOr<void> cursor_advance(DirectoryCursor& cursor, bool extend = false);
    ErrorOr<bool> find_in_directory(u16 dir_cluster, const char* name, u32 name_length, EntryInfo& out);
    // Resolves all but the last part of `path`: the parent's first cluster
    // and the last part's text.
    ErrorOr<u16> resolve_parent(const char* path, const char*& leaf, u32& leaf_length);
    ErrorOr<void> resolve(const char* path, EntryInfo& out, bool& is_root);
    ErrorOr<void> find_free_slot(u16 dir_cluster, u32& lba, u16& index);
    ErrorOr<void> write_entry(u32 lba, u16 index, const DirectoryEntry& entry);
    ErrorOr<void> mark_entry_deleted(const EntryInfo& entry);
    // FsCorrupt if any entry other than the one at (lba, index) owns a
    // cluster of the chain at `first_cluster` (a cross-link someone else
    // made): freeing or overwriting it would damage the other file.
    ErrorOr<void> check_not_shared(u16 first_cluster, u32 lba, u16 index);
    u32 now() const;

private:
    ErrorOr<void> evict_fat_slot(CachedSector& slot);
    ErrorOr<CachedSector*> fat_sector(u32 fat_relative_sector);
    ErrorOr<void> write_fat1_flags(bool clean);
    ErrorOr<void> zero_extend(File& file, u32 size);
    // mount_check.cpp: each returns the problem found (None: passed) or an
    // error only for a programming mistake; read failures are problems too.
    MountProblem check_boot_sector(const BootSector& bs, u32& where) const;
    MountProblem check_fat_copies(const BootSector& bs, u32 primary, u32& where, u32& used, u32& free);
    MountProblem check_with_fat(const BootSector& bs, u32 primary, u32& where, u32& used, u32& free);
    MountProblem check_directory_tree(u32& where);
    void run_mount_check(const BootSector& bs);

    BlockDevice* m_device { nullptr };
    bool m_read_only { false }; // the device refuses writes
    MountReport m_report {};    // problem != None: mounted read-only
    u32 m_sector_reads { 0 };   // every device read, for the check's cost
    bool m_dirty { false }; // clean-shutdown bit cleared since the last sync
    u32 m_first_lba { 0 };
    u32 m_sector_count { 0 };
    u32 m_fat_lba { 0 };
    u32 m_fat_read_copy { 0 }; // the FAT copy reads go through (1 only on a read-only volume)
    u32 m_fat_size { 0 };
    u8 m_fat_count { 0 };
    u32 m_root_lba { 0 };
    u32 m_root_sectors { 0 };
    u16 m_root_entry_count { 0 };
    u32 m_data_lba { 0 };
    u32 m_sectors_per_cluster { 0 };
    u32 m_cluster_count { 0 };
    u32 m_free_count { 0xFFFFFFFF }; // unknown until counted
    u16 m_next_free { FIRST_DATA_CLUSTER };
    char m_label[12] {};
    u32 (*m_clock)() { nullptr };
    u32 m_use_counter { 0 };
    CachedSector m_data_cache[DATA_CACHE_SECTORS] {};
    CachedSector m_fat_cache[FAT_CACHE_SECTORS] {};
    u32 m_chain_marks[65536 / 32] {}; // check_not_shared: one bit per cluster
    u32 m_referenced[65536 / 32] {};  // the mount check's referenced clusters (8 KiB)
};

} // namespace fat16
