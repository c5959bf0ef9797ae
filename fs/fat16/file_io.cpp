// Files: open, read, write, seek, truncate.
//
// Reads and writes of whole sectors go straight between the caller's buffer
// and the disk, a run of contiguous clusters per device command; only partial
// sectors pass through the sector cache. Growing a file follows the ordering
// in volume.h: new clusters are allocated as an unreachable chain, filled,
// linked to the file's last cluster, and only then does the directory entry
// get its new size.
#include <bareflow/panic.h>
#include <fs/fat16/name.h>
#include <fs/fat16/volume.h>

namespace fat16 {

// Clusters allocated, filled and linked per step of a large write: enough to
// keep device commands large, small enough that the FAT batch stays in the
// FAT cache.
static constexpr u32 WRITE_BATCH_CLUSTERS = 256;
static constexpr u32 MAX_RUN_SECTORS = 128; // one device command (64 KiB)

static u32 clusters_for(u32 size, u32 cluster_bytes) { return size / cluster_bytes + (size % cluster_bytes != 0); }

// Finds the cluster holding chain index `index`, starting from the file's
// cached position when that is not past it.
static ErrorOr<u16> file_cluster(Volume& volume, File& file, u32 index)
{
    if (file.cached_cluster == 0 || index < file.cached_index) {
        file.cached_cluster = file.first_cluster;
        file.cached_index = 0;
        if (!volume.valid_cluster(file.first_cluster))
            return Error::FsCorrupt;
    }
    while (file.cached_index < index) {
        u16 next = TRY(volume.next_cluster(file.cached_cluster));
        if (next == 0)
            return Error::FsCorrupt; // the chain ends before the size says
        file.cached_cluster = next;
        ++file.cached_index;
    }
    return file.cached_cluster;
}

static ErrorOr<void> update_entry(Volume& volume, File& file)
{
    alignas(4) DirectoryEntry entry;
    u8* sector = TRY(volume.cached_sector(file.entry_lba));
    __builtin_memcpy(&entry, sector + file.entry_index * sizeof(DirectoryEntry), sizeof(entry));
    entry.first_cluster = file.first_cluster;
    entry.file_size = file.size;
    u32 stamp = volume.now();
    entry.write_date = u16(stamp >> 16);
    entry.write_time = u16(stamp);
    entry.access_date = u16(stamp >> 16);
    entry.attributes |= ATTR_ARCHIVE;
    return volume.write_entry(file.entry_lba, file.entry_index, entry);
}

ErrorOr<void> Volume::open(const char* path, File& file, u32 flags)
{
    file = {};
    bool writable = flags & (OPEN_WRITE | OPEN_CREATE | OPEN_TRUNCATE);
    if (writable)
        TRY(check_writable());
    const char* leaf = nullptr;
    u32 leaf_length = 0;
    u16 parent = TRY(resolve_parent(path, leaf, leaf_length));
    EntryInfo entry;
    bool found = TRY(find_in_directory(parent, leaf, leaf_length, entry));
    if (!found) {
        if (!(flags & OPEN_CREATE))
            return Error::FsNotFound;
        DirectoryEntry fresh {};
        TRY(encode_short_name(leaf, leaf_length, fresh.name, fresh.nt_flags));
        fresh.attributes = ATTR_ARCHIVE;
        u32 stamp = now();
        fresh.create_date = fresh.write_date = fresh.access_date = u16(stamp >> 16);
        fresh.create_time = fresh.write_time = u16(stamp);
        u32 lba = 0;
        u16 index = 0;
        TRY(begin_write());
        TRY(find_free_slot(parent, lba, index));
        TRY(write_entry(lba, index, fresh));
        file.open = true;
        file.writable = true;
        file.entry_lba = lba;
        file.entry_index = index;
        return {};
    }
    if (entry.is_directory())
        return Error::FsIsDirectory;
    if ((flags & OPEN_CREATE) && (flags & OPEN_EXCLUSIVE))
        return Error::FsExists;
    if (writable && (entry.attributes & ATTR_READ_ONLY))
        return Error::FsReadOnlyFile;
    // Refuse a chain that cannot hold the size (too short, a loop, a link
    // into a free cluster) before any byte is read. A longer chain is safe:
    // only `size` bytes of it are ever used.
    if (entry.first_cluster != 0 && !valid_cluster(entry.first_cluster))
        return Error::FsCorrupt;
    if (entry.first_cluster == 0 && entry.size != 0)
        return Error::FsCorrupt;
    u32 chain = TRY(chain_length(entry.first_cluster));
    if (chain < clusters_for(entry.size, bytes_per_cluster()))
        return Error::FsCorrupt;
    // Writing (or truncating) a chain another entry shares would damage it.
    if (writable)
        TRY(check_not_shared(entry.first_cluster, entry.entry_lba, entry.entry_index));
    file.open = true;
    file.writable = writable;
    file.first_cluster = entry.first_cluster;
    file.size = entry.size;
    file.entry_lba = entry.entry_lba;
    file.entry_index = entry.entry_index;
    if (flags & OPEN_TRUNCATE)
        TRY(truncate(file, 0));
    return {};
}

ErrorOr<u32> Volume::read(File& file, void* buffer, u32 length)
{
    if (!file.open)
        return Error::InvalidArgument;
    if (file.position >= file.size)
        return 0u;
    if (length > file.size - file.position)
        length = file.size - file.position;
    u8* out = static_cast<u8*>(buffer);
    u32 done = 0;
    u32 cluster_bytes = bytes_per_cluster();
    while (done < length) {
        u32 index = file.position / cluster_bytes;
        u32 offset = file.position % cluster_bytes;
        u16 cluster = TRY(file_cluster(*this, file, index));
        u32 lba = cluster_lba(cluster) + offset / SECTOR_SIZE;
        u32 in_sector = offset % SECTOR_SIZE;
        u32 left = length - done;
        u32 chunk;
        if (in_sector == 0 && left >= SECTOR_SIZE) {
            // Whole sectors: extend the run over physically contiguous
            // clusters, then one device read.
            u32 sectors = m_sectors_per_cluster - offset / SECTOR_SIZE;
            u32 wanted = left / SECTOR_SIZE;
            if (wanted > MAX_RUN_SECTORS)
                wanted = MAX_RUN_SECTORS;
            while (sectors < wanted) {
                u16 next = TRY(next_cluster(file.cached_cluster));
                if (next != file.cached_cluster + 1)
                    break;
                file.cached_cluster = next;
                ++file.cached_index;
                sectors += m_sectors_per_cluster;
            }
            if (sectors > wanted)
                sectors = wanted;
            TRY(device_read(lba, sectors, out + done));
            chunk = sectors * SECTOR_SIZE;
        } else {
            u8* data = TRY(cached_sector(lba));
            chunk = SECTOR_SIZE - in_sector;
            if (chunk > left)
                chunk = left;
            __builtin_memcpy(out + done, data + in_sector, chunk);
        }
        done += chunk;
        file.position += chunk;
    }
    return done;
}

ErrorOr<void> Volume::seek(File& file, u32 position)
{
    if (!file.open)
        return Error::InvalidArgument;
    file.position = position;
    return {};
}

// Writes `length` bytes at `lba` (sector aligned) from `data`; the last
// partial sector is padded (new cluster) or merged with the disk (existing).
static ErrorOr<void> write_run(Volume& volume, u32 lba, u32 in_sector, const u8* data, u32 length, bool fresh)
{
    if (in_sector == 0 && length % SECTOR_SIZE == 0) {
        volume.forget_cached_range(lba, length / SECTOR_SIZE);
        return volume.device_write(lba, length / SECTOR_SIZE, data);
    }
    // One partial sector (callers split runs so this is the only case).
    alignas(4) u8 sector[SECTOR_SIZE];
    if (fresh)
        __builtin_memset(sector, 0, SECTOR_SIZE);
    else
        __builtin_memcpy(sector, TRY(volume.cached_sector(lba)), SECTOR_SIZE);
    __builtin_memcpy(sector + in_sector, data, length);
    return volume.write_cached_sector(lba, sector);
}

// Writes into clusters the file already owns, from file.position on.
static ErrorOr<u32> write_in_place(Volume& volume, File& file, const u8* data, u32 length, u32 owned_bytes)
{
    u32 done = 0;
    u32 cluster_bytes = volume.bytes_per_cluster();
    while (done < length && file.position < owned_bytes) {
        u32 offset = file.position % cluster_bytes;
        u16 cluster = TRY(file_cluster(volume, file, file.position / cluster_bytes));
        u32 lba = volume.cluster_lba(cluster) + offset / SECTOR_SIZE;
        u32 in_sector = offset % SECTOR_SIZE;
        u32 left = length - done;
        if (left > owned_bytes - file.position)
            left = owned_bytes - file.position;
        u32 chunk;
        if (in_sector == 0 && left >= SECTOR_SIZE) {
            chunk = (cluster_bytes - offset) / SECTOR_SIZE * SECTOR_SIZE;
            if (chunk > left / SECTOR_SIZE * SECTOR_SIZE)
                chunk = left / SECTOR_SIZE * SECTOR_SIZE;
        } else {
            chunk = SECTOR_SIZE - in_sector;
            if (chunk > left)
                chunk = left;
        }
        TRY(write_run(volume, lba, in_sector, data + done, chunk, false));
        done += chunk;
        file.position += chunk;
    }
    return done;
}

ErrorOr<u32> Volume::write(File& file, const void* buffer, u32 length)
{
    if (!file.open)
        return Error::InvalidArgument;
    if (!file.writable)
        return Error::FsReadOnlyFile;
    TRY(check_writable());
    if (length == 0)
        return 0u;
    if (u64(file.position) + length > 0xFFFFFFFFull)
        return Error::FsFileTooLarge;
    TRY(begin_write());
    if (file.position > file.size)
        TRY(zero_extend(file, file.position));
    const u8* data = static_cast<const u8*>(buffer);
    u32 cluster_bytes = bytes_per_cluster();
    u32 owned = clusters_for(file.size, cluster_bytes);
    u32 done = TRY(write_in_place(*this, file, data, length, owned * cluster_bytes));
    if (file.position > file.size) {
        file.size = file.position;
        TRY(update_entry(*this, file));
    }
    while (done < length) {
        // Allocate an unreachable chain, fill it, link it, then publish.
        u32 need = clusters_for(length - done, cluster_bytes);
        if (need > WRITE_BATCH_CLUSTERS)
            need = WRITE_BATCH_CLUSTERS;
        u16 tail = owned ? TRY(file_cluster(*this, file, owned - 1)) : 0;
        u32 got = 0;
        auto allocated = allocate_chain(need, tail, got);
        if (allocated.is_error())
            return allocated.error(); // the file keeps what was written
        u16 first_new = allocated.value();
        u16 cluster = first_new;
        u32 batch_done = 0;
        for (u32 i = 0; i < got && done + batch_done < length;) {
            // A run of physically contiguous new clusters is one command.
            u32 run = 1;
            u16 last = cluster;
            while (i + run < got && run * m_sectors_per_cluster < MAX_RUN_SECTORS) {
                u16 next = TRY(next_cluster(last));
                if (next != last + 1)
                    break;
                last = next;
                ++run;
            }
            u32 bytes = run * cluster_bytes;
            u32 left = length - done - batch_done;
            if (bytes > left)
                bytes = left;
            u32 whole = bytes / SECTOR_SIZE * SECTOR_SIZE;
            if (whole)
                TRY(write_run(*this, cluster_lba(cluster), 0, data + done + batch_done, whole, true));
            if (bytes > whole)
                TRY(write_run(*this, cluster_lba(cluster) + whole / SECTOR_SIZE, 0, data + done + batch_done + whole,
                    bytes - whole, true));
            batch_done += bytes;
            i += run;
            if (i < got)
                cluster = TRY(next_cluster(last));
        }
        if (tail) {
            TRY(set_fat_entry(tail, first_new));
            TRY(flush_fat());
        } else {
            file.first_cluster = first_new;
        }
        owned += got;
        done += batch_done;
        file.position += batch_done;
        file.size = file.position;
        TRY(update_entry(*this, file));
    }
    return done;
}

ErrorOr<void> Volume::zero_extend(File& file, u32 size)
{
    alignas(4) static const u8 zero[SECTOR_SIZE] = {};
    u32 saved = file.position;
    file.position = file.size;
    while (file.size < size) {
        u32 chunk = size - file.size;
        if (chunk > SECTOR_SIZE)
            chunk = SECTOR_SIZE;
        TRY(write(file, zero, chunk));
    }
    file.position = saved;
    return {};
}

ErrorOr<void> Volume::truncate(File& file, u32 size)
{
    if (!file.open)
        return Error::InvalidArgument;
    if (!file.writable)
        return Error::FsReadOnlyFile;
    TRY(check_writable());
    if (size == file.size)
        return {};
    if (size > file.size)
        return zero_extend(file, size);
    TRY(begin_write());
    u32 keep = clusters_for(size, bytes_per_cluster());
    u16 old_first = file.first_cluster;
    u16 cut = 0;
    if (keep > 0)
        cut = TRY(file_cluster(*this, file, keep - 1));
    // New size first (the chain is then longer than needed, which is safe),
    // then end the chain, then free the rest.
    file.size = size;
    if (keep == 0)
        file.first_cluster = 0;
    file.cached_cluster = 0;
    TRY(update_entry(*this, file));
    if (keep == 0)
        return old_first ? free_chain(old_first) : ErrorOr<void> {};
    u16 rest = TRY(next_cluster(cut));
    if (rest == 0)
        return {};
    TRY(set_fat_entry(cut, FAT_EOC));
    TRY(flush_fat());
    return free_chain(rest);
}

} // namespace fat16
