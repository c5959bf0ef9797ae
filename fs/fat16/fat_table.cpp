// The file allocation table: entries, chains, allocation, and the FAT-sector
// cache that batches entry changes so a large file is not one disk command
// per cluster.
//
// fatgen103 "FAT Data Structure": on FAT16 entry N is the little-endian u16
// at byte 2N of the FAT, so FAT sector N / 256 holds it. Values: 0 free,
// 0xFFF7 bad, >= 0xFFF8 end of chain, otherwise the next cluster, which
// must lie in [2, CountofClusters + 1]. Anything else is corruption and is
// reported as FsCorrupt, never followed.
#include <bareflow/panic.h>
#include <fs/fat16/volume.h>

namespace fat16 {

static constexpr u32 ENTRIES_PER_FAT_SECTOR = SECTOR_SIZE / 2;
static constexpr u16 END_OF_CHAIN = 0; // what next_cluster() returns at a chain's end

ErrorOr<void> Volume::evict_fat_slot(CachedSector& slot)
{
    if (slot.valid && slot.dirty) {
        // Every copy, first FAT first: after a cut fsck.fat trusts the first.
        TRY(begin_write());
        for (u32 copy = 0; copy < m_fat_count; ++copy)
            TRY(m_device->write_sectors(m_fat_lba + copy * m_fat_size + slot.lba, 1, slot.data));
        slot.dirty = false;
    }
    return {};
}

ErrorOr<Volume::CachedSector*> Volume::fat_sector(u32 fat_relative_sector)
{
    if (!m_device)
        return Error::FsNotMounted;
    if (fat_relative_sector >= m_fat_size)
        panic("fat16: FAT sector out of range");
    CachedSector* victim = &m_fat_cache[0];
    for (auto& slot : m_fat_cache) {
        if (slot.valid && slot.lba == fat_relative_sector) {
            slot.last_use = ++m_use_counter;
            return &slot;
        }
        if (!slot.valid || (victim->valid && slot.last_use < victim->last_use))
            victim = &slot;
    }
    TRY(evict_fat_slot(*victim));
    victim->valid = false;
    ++m_sector_reads;
    TRY(m_device->read_sectors(m_fat_lba + m_fat_read_copy * m_fat_size + fat_relative_sector, 1, victim->data));
    victim->valid = true;
    victim->dirty = false;
    victim->lba = fat_relative_sector;
    victim->last_use = ++m_use_counter;
    return victim;
}

ErrorOr<u16> Volume::fat_entry(u16 cluster)
{
    CachedSector* slot = TRY(fat_sector(cluster / ENTRIES_PER_FAT_SECTOR));
    return reinterpret_cast<const u16*>(slot->data)[cluster % ENTRIES_PER_FAT_SECTOR];
}

ErrorOr<void> Volume::set_fat_entry(u16 cluster, u16 value)
{
    if (!valid_cluster(cluster))
        panic("fat16: set_fat_entry on a cluster outside the volume");
    TRY(check_writable());
    CachedSector* slot = TRY(fat_sector(cluster / ENTRIES_PER_FAT_SECTOR));
    u16& entry = reinterpret_cast<u16*>(slot->data)[cluster % ENTRIES_PER_FAT_SECTOR];
    if (m_free_count != 0xFFFFFFFF) {
        if (entry == FAT_FREE && value != FAT_FREE)
            --m_free_count;
        else if (entry != FAT_FREE && value == FAT_FREE)
            ++m_free_count;
    }
    entry = value;
    slot->dirty = true;
    return {};
}

ErrorOr<void> Volume::flush_fat()
{
    // In ascending sector order, so a batch spanning sectors lands in a
    // predictable order (the batch is unreachable until flushed anyway).
    for (;;) {
        CachedSector* lowest = nullptr;
        for (auto& slot : m_fat_cache)
            if (slot.valid && slot.dirty && (!lowest || slot.lba < lowest->lba))
                lowest = &slot;
        if (!lowest)
            return {};
        TRY(evict_fat_slot(*lowest));
    }
}

ErrorOr<u16> Volume::next_cluster(u16 cluster)
{
    if (!valid_cluster(cluster))
        return Error::FsCorrupt;
    u16 value = TRY(fat_entry(cluster));
    if (value >= FAT_EOC_MIN)
        return END_OF_CHAIN;
    // A free, reserved, bad or out-of-range link inside a chain.
    if (!valid_cluster(value))
        return Error::FsCorrupt;
    return value;
}

ErrorOr<u16> Volume::cluster_at(u16 first_cluster, u32 index)
{
    if (index >= m_cluster_count)
        return Error::FsCorrupt; // no chain is that long: a loop
    u16 cluster = first_cluster;
    if (!valid_cluster(cluster))
        return Error::FsCorrupt;
    for (u32 i = 0; i < index; ++i) {
        cluster = TRY(next_cluster(cluster));
        if (cluster == END_OF_CHAIN)
            return Error::FsCorrupt; // the chain is shorter than the size says
    }
    return cluster;
}

ErrorOr<u32> Volume::chain_length(u16 first_cluster)
{
    if (first_cluster == 0)
        return 0u;
    u16 cluster = first_cluster;
    if (!valid_cluster(cluster))
        return Error::FsCorrupt;
    // A chain visits each cluster at most once, so one longer than the
    // cluster count has a loop (Floyd would find it sooner, but the bound
    // needs no state and costs at most one FAT pass).
    for (u32 length = 1; length <= m_cluster_count; ++length) {
        cluster = TRY(next_cluster(cluster));
        if (cluster == END_OF_CHAIN)
            return length;
    }
    return Error::FsCorrupt;
}

ErrorOr<u16> Volume::allocate_chain(u32 wanted, u16 near, u32& got)
{
    got = 0;
    if (wanted == 0)
        panic("fat16: allocate_chain of nothing");
    u16 first = 0, previous = 0;
    u32 start = valid_cluster(u32(near) + 1) ? near + 1u : u32(m_next_free);
    if (!valid_cluster(start))
        start = FIRST_DATA_CLUSTER;
    u32 cluster = start;
    for (u32 scanned = 0; scanned < m_cluster_count && got < wanted; ++scanned) {
        u16 value = TRY(fat_entry(u16(cluster)));
        // Free in the FAT and held by no entry the mount check walked: a
        // cluster a directory still names is never handed out, whatever
        // the FAT says (the check would have made such a volume read-only;
        // this keeps the promise local to the allocator too).
        if (value == FAT_FREE && !is_referenced(u16(cluster))) {
            TRY(set_fat_entry(u16(cluster), FAT_EOC));
            set_referenced(u16(cluster), true);
            if (previous)
                TRY(set_fat_entry(previous, u16(cluster)));
            else
                first = u16(cluster);
            previous = u16(cluster);
            ++got;
        }
        if (++cluster >= m_cluster_count + FIRST_DATA_CLUSTER)
            cluster = FIRST_DATA_CLUSTER;
    }
    if (got == 0) {
        m_free_count = 0;
        return Error::FsNoSpace;
    }
    m_next_free = u16(cluster);
    TRY(flush_fat());
    return first;
}

ErrorOr<void> Volume::free_chain(u16 first_cluster)
{
    u16 cluster = first_cluster;
    for (u32 i = 0; i <= m_cluster_count && cluster != END_OF_CHAIN; ++i) {
        auto next = next_cluster(cluster);
        if (next.is_error()) {
            // Garbage after this point: free what is ours, keep the rest
            // (lost clusters are safe; freeing someone else's are not).
            if (valid_cluster(cluster)) {
                TRY(set_fat_entry(cluster, FAT_FREE));
                set_referenced(cluster, false);
            }
            TRY(flush_fat());
            return next.error();
        }
        TRY(set_fat_entry(cluster, FAT_FREE));
        set_referenced(cluster, false);
        if (cluster < m_next_free)
            m_next_free = cluster;
        cluster = next.value();
    }
    TRY(flush_fat());
    return {};
}

ErrorOr<u32> Volume::free_clusters()
{
    if (!m_device)
        return Error::FsNotMounted;
    if (m_free_count == 0xFFFFFFFF) {
        u32 count = 0;
        for (u32 c = FIRST_DATA_CLUSTER; c < m_cluster_count + FIRST_DATA_CLUSTER; ++c)
            if (TRY(fat_entry(u16(c))) == FAT_FREE)
                ++count;
        m_free_count = count;
    }
    return m_free_count;
}

} // namespace fat16
