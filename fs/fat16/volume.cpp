// Mounting (partition search, BPB validation), the sector caches, sync and
// the clean-shutdown bit. The deeper check that decides whether the volume
// may be written is in mount_check.cpp.
#include <bareflow/panic.h>
#include <fs/fat16/name.h>
#include <fs/fat16/volume.h>

namespace fat16 {

static bool is_power_of_two(u32 v) { return v != 0 && (v & (v - 1)) == 0; }

static bool is_fat16_partition_type(u8 type)
{
    return type == PARTITION_FAT16_SMALL || type == PARTITION_FAT16 || type == PARTITION_FAT16_LBA;
}

// A volume boot record, as FatFs's check_fs() recognises one: a jump
// instruction first, 512-byte sectors, and a plausible BPB.
static bool looks_like_boot_sector(const BootSector& bs)
{
    return (bs.jump[0] == 0xEB || bs.jump[0] == 0xE9) && bs.signature == BOOT_SIGNATURE
        && bs.bytes_per_sector == SECTOR_SIZE && is_power_of_two(bs.sectors_per_cluster)
        && (bs.fat_count == 1 || bs.fat_count == 2);
}

ErrorOr<void> Volume::mount(BlockDevice& device, MountCheck check)
{
    alignas(4) u8 sector[SECTOR_SIZE];
    if (device.sector_count() == 0)
        return Error::FsNoPartition;
    TRY(device.read_sectors(0, 1, sector));
    auto const& mbr = *reinterpret_cast<const Mbr*>(sector);
    if (mbr.signature == BOOT_SIGNATURE) {
        // A partition table is believed only if every entry is well formed:
        // a partitionless volume's boot code sits where the table would be.
        bool table_valid = true;
        for (auto const& p : mbr.partitions)
            if (p.status != 0x00 && p.status != 0x80)
                table_valid = false;
        if (table_valid) {
            for (auto const& p : mbr.partitions) {
                if (!is_fat16_partition_type(p.type))
                    continue;
                if (p.lba_first == 0 || p.sector_count == 0)
                    return Error::FsBadBootSector;
                return mount_at(device, p.lba_first, p.sector_count, check);
            }
        }
    }
    if (looks_like_boot_sector(*reinterpret_cast<const BootSector*>(sector))) {
        u64 count = device.sector_count();
        return mount_at(device, 0, count > 0xFFFFFFFFu ? 0xFFFFFFFFu : u32(count), check);
    }
    return Error::FsNoPartition;
}

ErrorOr<void> Volume::mount_at(BlockDevice& device, u32 first_lba, u32 sector_count, MountCheck check)
{
    m_device = nullptr;
    m_dirty = false;
    m_report = {};
    m_fat_read_copy = 0;
    m_sector_reads = 1; // the boot sector, read below
    for (auto& word : m_referenced)
        word = 0;
    m_free_count = 0xFFFFFFFF;
    m_next_free = FIRST_DATA_CLUSTER;
    for (auto& slot : m_data_cache)
        slot.valid = false;
    for (auto& slot : m_fat_cache)
        slot.valid = slot.dirty = false;
    if (u64(first_lba) + sector_count > device.sector_count())
        return Error::FsTruncatedVolume;
    alignas(4) u8 sector[SECTOR_SIZE];
    TRY(device.read_sectors(first_lba, 1, sector));
    auto const& bs = *reinterpret_cast<const BootSector*>(sector);

    // The checks FatFs's find_volume() makes, in its order (fatgen103 "Boot
    // Sector and BPB" gives the legal values).
    if (bs.signature != BOOT_SIGNATURE || (bs.jump[0] != 0xEB && bs.jump[0] != 0xE9))
        return Error::FsBadBootSector;
    if (bs.bytes_per_sector != SECTOR_SIZE)
        return Error::FsBadBootSector;
    if (bs.fat_count != 1 && bs.fat_count != 2)
        return Error::FsBadBootSector;
    if (!is_power_of_two(bs.sectors_per_cluster))
        return Error::FsBadBootSector;
    if (bs.reserved_sectors == 0)
        return Error::FsBadBootSector;
    u32 fat_size = bs.fat_size_16;
    if (fat_size == 0) // a FAT32 BPB keeps BPB_FATSz32 at offset 36
        fat_size = *reinterpret_cast<const u32*>(sector + 36);
    if (fat_size == 0)
        return Error::FsBadBootSector;
    u32 total = bs.total_sectors_16 ? bs.total_sectors_16 : bs.total_sectors_32;
    // fatgen103: RootDirSectors = ceil(RootEntCnt * 32 / BytsPerSec).
    // FatFs demands whole sectors of entries.
    if (bs.root_entry_count % ENTRIES_PER_SECTOR != 0)
        return Error::FsBadBootSector;
    u32 root_sectors = bs.root_entry_count / ENTRIES_PER_SECTOR;
    u64 system_sectors = u64(bs.reserved_sectors) + u64(bs.fat_count) * fat_size + root_sectors;
    if (total == 0 || system_sectors >= total)
        return Error::FsBadBootSector;
    // fatgen103 "FAT Type Determination": CountofClusters alone decides.
    u32 clusters = (total - u32(system_sectors)) / bs.sectors_per_cluster;
    if (clusters < FAT16_MIN_CLUSTERS || clusters > FAT16_MAX_CLUSTERS)
        return Error::FsNotFat16;
    if (bs.root_entry_count == 0) // a FAT16 volume always has a fixed root region
        return Error::FsBadBootSector;
    // The FAT must hold an entry for every cluster plus the two reserved ones.
    if (u64(fat_size) * (SECTOR_SIZE / 2) < clusters + FIRST_DATA_CLUSTER)
        return Error::FsBadBootSector;
    if (total > sector_count)
        return Error::FsTruncatedVolume;

    m_device = &device;
    m_read_only = device.is_read_only();
    m_first_lba = first_lba;
    m_sector_count = total;
    m_fat_lba = first_lba + bs.reserved_sectors;
    m_fat_size = fat_size;
    m_fat_count = bs.fat_count;
    m_root_lba = m_fat_lba + bs.fat_count * fat_size;
    m_root_sectors = root_sectors;
    m_root_entry_count = bs.root_entry_count;
    m_data_lba = m_root_lba + root_sectors;
    m_sectors_per_cluster = bs.sectors_per_cluster;
    m_cluster_count = clusters;

    // The label: the root's volume-ID entry wins over the BPB copy, as in
    // Windows (mkfs.fat -n writes both, mlabel only the entry).
    for (u32 i = 0; i < 11; ++i)
        m_label[i] = (bs.extended_boot_signature == 0x29) ? bs.volume_label[i] : ' ';
    auto labels = [&]() -> ErrorOr<void> {
        for (u32 s = 0; s < m_root_sectors; ++s) {
            u8* data = TRY(cached_sector(m_root_lba + s));
            auto* entries = reinterpret_cast<const DirectoryEntry*>(data);
            for (u32 i = 0; i < ENTRIES_PER_SECTOR; ++i) {
                if (entries[i].name[0] == DIR_ENTRY_END)
                    return {};
                if (entries[i].name[0] != DIR_ENTRY_FREE
                    && (entries[i].attributes & ATTR_LONG_NAME_MASK) == ATTR_VOLUME_ID) {
                    for (u32 k = 0; k < 11; ++k)
                        m_label[k] = char(entries[i].name[k]);
                    return {};
                }
            }
        }
        return {};
    };
    auto label_result = labels();
    if (label_result.is_error()) {
        m_device = nullptr;
        return label_result.error();
    }
    u32 end = 11;
    while (end > 0 && m_label[end - 1] == ' ')
        --end;
    m_label[end] = 0;
    if (check == MountCheck::Full)
        run_mount_check(bs);
    return {};
}

VolumeInfo Volume::info() const
{
    VolumeInfo info {};
    for (u32 i = 0; i < 12; ++i)
        info.label[i] = m_label[i];
    info.cluster_count = m_cluster_count;
    info.bytes_per_cluster = m_sectors_per_cluster * SECTOR_SIZE;
    info.first_lba = m_first_lba;
    info.sector_count = m_sector_count;
    info.fat_count = m_fat_count;
    info.root_entry_count = m_root_entry_count;
    return info;
}

u32 Volume::now() const
{
    if (m_clock)
        return m_clock();
    return (u32((2026 - 1980) << 9 | 1 << 5 | 1) << 16); // 2026-01-01 00:00:00
}

// --- device access and the data/directory sector cache -------------------
ErrorOr<void> Volume::device_read(u32 lba, u32 count, u8* buffer)
{
    if (!m_device)
        return Error::FsNotMounted;
    if (lba < m_first_lba || u64(lba) + count > u64(m_first_lba) + m_sector_count)
        panic("fat16: read outside the volume");
    ++m_sector_reads;
    return m_device->read_sectors(lba, count, buffer);
}

ErrorOr<void> Volume::device_write(u32 lba, u32 count, const u8* buffer)
{
    if (!m_device)
        return Error::FsNotMounted;
    if (lba < m_first_lba || u64(lba) + count > u64(m_first_lba) + m_sector_count)
        panic("fat16: write outside the volume");
    TRY(begin_write());
    return m_device->write_sectors(lba, count, buffer);
}

ErrorOr<u8*> Volume::cached_sector(u32 lba)
{
    CachedSector* victim = &m_data_cache[0];
    for (auto& slot : m_data_cache) {
        if (slot.valid && slot.lba == lba) {
            slot.last_use = ++m_use_counter;
            return slot.data;
        }
        if (!slot.valid || (victim->valid && slot.last_use < victim->last_use))
            victim = &slot;
    }
    victim->valid = false;
    TRY(device_read(lba, 1, victim->data));
    victim->valid = true;
    victim->lba = lba;
    victim->last_use = ++m_use_counter;
    return victim->data;
}

ErrorOr<void> Volume::write_cached_sector(u32 lba, const u8* data)
{
    // Write-through: the device sees writes in the order the driver issues
    // them, which is what the power-loss ordering relies on.
    forget_cached_range(lba, 1);
    TRY(device_write(lba, 1, data));
    for (auto& slot : m_data_cache) {
        if (!slot.valid) {
            __builtin_memcpy(slot.data, data, SECTOR_SIZE);
            slot.lba = lba;
            slot.valid = true;
            slot.last_use = ++m_use_counter;
            break;
        }
    }
    return {};
}

void Volume::forget_cached_range(u32 lba, u32 count)
{
    for (auto& slot : m_data_cache)
        if (slot.valid && slot.lba >= lba && slot.lba - lba < count)
            slot.valid = false;
}

// --- clean-shutdown bit (fatgen103 "FAT Data Structure": FAT[1] bit 15) ---
ErrorOr<void> Volume::write_fat1_flags(bool clean)
{
    // FAT[1] sits in the first sector of every FAT copy; it is written
    // directly (not through device_write, which would recurse).
    CachedSector* slot = TRY(fat_sector(0));
    u16* entries = reinterpret_cast<u16*>(slot->data);
    u16 value = entries[1];
    value = clean ? u16(value | FAT1_CLEAN_SHUTDOWN) : u16(value & ~FAT1_CLEAN_SHUTDOWN);
    if (value == entries[1] && !slot->dirty)
        return {};
    entries[1] = value;
    for (u32 copy = 0; copy < m_fat_count; ++copy)
        TRY(m_device->write_sectors(m_fat_lba + copy * m_fat_size, 1, slot->data));
    slot->dirty = false;
    return {};
}

ErrorOr<void> Volume::check_writable() const
{
    if (!m_device)
        return Error::FsNotMounted;
    if (m_read_only)
        return Error::ReadOnlyMedia;
    if (!m_report.ok())
        return Error::FsReadOnly;
    return {};
}

ErrorOr<void> Volume::begin_write()
{
    TRY(check_writable());
    if (m_dirty)
        return {};
    // Cleared before the first change after a mount or sync, so that a cut
    // in between shows as an unclean shutdown.
    m_dirty = true;
    auto result = write_fat1_flags(false);
    if (result.is_error())
        m_dirty = false;
    return result;
}

ErrorOr<void> Volume::sync()
{
    if (!m_device)
        return Error::FsNotMounted;
    if (is_read_only() || !m_dirty)
        return {};
    TRY(flush_fat());
    TRY(m_device->flush());
    TRY(write_fat1_flags(true));
    TRY(m_device->flush());
    m_dirty = false;
    return {};
}

ErrorOr<void> Volume::unmount()
{
    auto result = sync();
    m_device = nullptr;
    return result;
}

} // namespace fat16
