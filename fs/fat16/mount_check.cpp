// The mount check (see mount_check.h for what it guarantees and tolerates).
//
// Three passes, each the counterpart of one part of fsck.fat:
//   1. the BPB against the partition it sits in (dosfstools boot.c);
//   2. every FAT sector of every copy, read once: the copies compared, every
//      entry of the first copy a legal value, every copy opening with FAT[0]
//      (dosfstools fat.c);
//   3. every directory, depth first from the root, every entry's chain
//      followed through the first FAT: no cluster reached twice, none marked
//      free or bad, every chain long enough for its file, and every
//      subdirectory opening with "." and ".." that name it and its parent
//      (dosfstools check.c). The dot entries are what catch a data region
//      that is not where the BPB says (a changed root-entry count, say): the
//      chains still agree with the FAT, but the directory found at a
//      cluster's sector is not that cluster's.
// The clusters reached are kept as a bitmap in the Volume (m_referenced,
// 8 KiB: FAT16 has at most 65524 clusters), which the allocator honours from
// then on. If the first FAT fails and the copies differ, passes 2 and 3 run
// again through the second copy; if it passes, reads use it (the volume
// stays read-only).
//
// The cost is two reads of each FAT sector plus the directories: a few
// hundred sector reads on the boot volume, counted in
// MountReport::sector_reads; the directory walk is bounded by
// MOUNT_CHECK_MAX_SECTOR_READS.
#include <fs/fat16/volume.h>

namespace fat16 {

static constexpr u32 MAX_CHECK_DEPTH = 64;
static constexpr u32 ENTRIES_PER_FAT_SECTOR = SECTOR_SIZE / 2;

static u32 clusters_for(u32 size, u32 cluster_bytes) { return size / cluster_bytes + (size % cluster_bytes != 0); }

MountProblem Volume::check_boot_sector(const BootSector& bs, u32& where) const
{
    // BPB_HiddSec is the partition's first sector (fatgen103 "Boot Sector and
    // BPB"); 0 is what a volume formatted as a whole disk and copied into a
    // partition carries, and harmless to a driver that addresses by LBA. Any
    // other value says this BPB was not made for this partition.
    if (bs.hidden_sectors != 0 && bs.hidden_sectors != m_first_lba) {
        where = bs.hidden_sectors;
        return MountProblem::HiddenSectors;
    }
    // fatgen103: "Legal values for this field are 0xF0, 0xF8, 0xF9, 0xFA,
    // 0xFB, 0xFC, 0xFD, 0xFE, and 0xFF."
    if (bs.media != 0xF0 && bs.media < 0xF8) {
        where = bs.media;
        return MountProblem::BadMedia;
    }
    // mount_at already refused a FAT too small for the clusters. fatgen103's
    // FATSz formula overestimates by a little, never by much; a FAT far
    // larger than needed means BPB_SecPerClus or a size field was changed.
    u32 needed = (m_cluster_count + FIRST_DATA_CLUSTER + ENTRIES_PER_FAT_SECTOR - 1) / ENTRIES_PER_FAT_SECTOR;
    if (m_fat_size > needed + needed / 16 + 2) {
        where = m_fat_size;
        return MountProblem::FatSizeMismatch;
    }
    return MountProblem::None;
}

MountProblem Volume::check_fat_copies(const BootSector& bs, u32 primary, u32& where, u32& used, u32& free)
{
    alignas(4) u8 sector[SECTOR_SIZE];
    alignas(4) u8 other[SECTOR_SIZE];
    u32 bad_entry = 0; // first cluster of the primary copy with an illegal entry
    used = free = 0;
    m_report.fats_differ_at = 0xFFFFFFFF;
    u32 last_cluster = m_cluster_count + FIRST_DATA_CLUSTER - 1;
    for (u32 s = 0; s < m_fat_size; ++s) {
        if (device_read(m_fat_lba + primary * m_fat_size + s, 1, sector).is_error()) {
            where = m_fat_lba + primary * m_fat_size + s;
            return MountProblem::ReadFailed;
        }
        for (u32 copy = 0; copy < m_fat_count; ++copy) {
            if (copy == primary)
                continue;
            if (device_read(m_fat_lba + copy * m_fat_size + s, 1, other).is_error()) {
                where = m_fat_lba + copy * m_fat_size + s;
                return MountProblem::ReadFailed;
            }
            if (m_report.fats_differ_at == 0xFFFFFFFF && __builtin_memcmp(sector, other, SECTOR_SIZE) != 0)
                m_report.fats_differ_at = s;
            // Every copy opens with FAT[0] (see below): one that does not is
            // not where BPB_FATSz16 puts it, and nor are the root and the
            // data after it. (Not asked of the first copy when the second
            // is tried in its place: the first is the damaged one then.)
            u16 other_first_entry = reinterpret_cast<const u16*>(other)[0];
            if (primary == 0 && s == 0 && other_first_entry != (0xFF00 | bs.media)) {
                where = other_first_entry;
                return MountProblem::FatStartMismatch;
            }
        }
        auto const* entries = reinterpret_cast<const u16*>(sector);
        for (u32 i = 0; i < ENTRIES_PER_FAT_SECTOR; ++i) {
            u32 cluster = s * ENTRIES_PER_FAT_SECTOR + i;
            u16 value = entries[i];
            if (cluster == 0) {
                // fatgen103 "FAT Data Structure": FAT[0] holds BPB_Media in
                // its low byte and ones above. Anything else means this copy
                // is not where BPB_RsvdSecCnt and BPB_FATSz16 put it (nor,
                // then, are the root and the data), or that its first sector
                // is damaged.
                if (value != (0xFF00 | bs.media)) {
                    where = value;
                    return MountProblem::FatStartMismatch;
                }
                continue;
            }
            if (cluster == 1 || cluster > last_cluster)
                continue; // FAT[1] holds flags; entries past the last cluster are padding
            if (value == FAT_FREE)
                ++free;
            else if (value != FAT_BAD)
                ++used;
            // Legal: free, bad, end of chain, or a cluster of this volume.
            bool legal = value == FAT_FREE || value >= FAT_BAD || valid_cluster(value);
            if (!legal && bad_entry == 0)
                bad_entry = cluster;
        }
    }
    if (bad_entry != 0) {
        if (m_report.fats_differ_at != 0xFFFFFFFF) {
            where = m_report.fats_differ_at;
            return MountProblem::FatCopiesDiffer;
        }
        where = bad_entry;
        return MountProblem::FatBadEntry;
    }
    return MountProblem::None;
}

MountProblem Volume::check_directory_tree(u32& where)
{
    u32 budget_start = m_sector_reads;
    auto over_budget = [&] { return m_sector_reads - budget_start > MOUNT_CHECK_MAX_SECTOR_READS; };
    DirectoryIterator stack[MAX_CHECK_DEPTH];
    u32 depth = 1;
    stack[0].m_volume = this;
    if (cursor_start(stack[0].m_cursor, 0).is_error())
        return MountProblem::ReadFailed;
    EntryInfo entry;
    while (depth > 0) {
        if (over_budget()) {
            where = MOUNT_CHECK_MAX_SECTOR_READS;
            return MountProblem::OverBudget;
        }
        auto more = stack[depth - 1].next(entry);
        if (more.is_error()) {
            where = stack[depth - 1].m_cursor.lba;
            return MountProblem::ReadFailed;
        }
        if (!more.value()) {
            --depth;
            continue;
        }
        // "." and ".." name this directory and its parent, which are walked
        // from their own entries; they are never followed (directory.cpp).
        if (entry.is_dot())
            continue;
        ++m_report.files;
        u16 cluster = entry.first_cluster;
        if (cluster == 0) {
            if (entry.is_directory()) {
                where = 0;
                return MountProblem::DirectoryWithoutCluster;
            }
            if (entry.size != 0) {
                where = entry.size;
                return MountProblem::SizeWithoutCluster;
            }
            continue;
        }
        if (!valid_cluster(cluster)) {
            where = cluster;
            return MountProblem::BadFirstCluster;
        }
        // Follow the chain, marking each cluster. A cluster met a second
        // time is a cross-link with an entry walked earlier, or a loop; the
        // bitmap also bounds the walk (each step marks a new cluster).
        u32 length = 0;
        for (;;) {
            if (is_referenced(cluster)) {
                where = cluster;
                return MountProblem::SharedCluster;
            }
            set_referenced(cluster, true);
            ++length;
            auto value = fat_entry(cluster);
            if (value.is_error()) {
                where = cluster;
                return MountProblem::ReadFailed;
            }
            if (value.value() == FAT_FREE) {
                where = cluster;
                return MountProblem::UsedButFree;
            }
            if (value.value() >= FAT_EOC_MIN)
                break;
            if (!valid_cluster(value.value())) { // bad (0xFFF7) or reserved inside a chain
                where = cluster;
                return MountProblem::BadLink;
            }
            cluster = value.value();
        }
        if (!entry.is_directory()) {
            u32 needed = clusters_for(entry.size, bytes_per_cluster());
            if (length < needed) {
                where = entry.first_cluster;
                return MountProblem::ChainTooShort;
            }
            if (length > needed)
                ++m_report.long_chains; // a grow or shrink cut short: safe
            continue;
        }
        if (depth == MAX_CHECK_DEPTH) {
            where = MAX_CHECK_DEPTH;
            return MountProblem::TooDeep;
        }
        // fatgen103 "FAT Directory Structure": "." names the directory's own
        // first cluster, ".." its parent's (0 for the root).
        u16 parent = stack[depth - 1].m_cursor.first_cluster;
        auto first = cached_sector(cluster_lba(entry.first_cluster));
        if (first.is_error()) {
            where = cluster_lba(entry.first_cluster);
            return MountProblem::ReadFailed;
        }
        auto const* dots = reinterpret_cast<const DirectoryEntry*>(first.value());
        bool dots_ok = __builtin_memcmp(dots[0].name, ".          ", 11) == 0 && (dots[0].attributes & ATTR_DIRECTORY)
            && dots[0].first_cluster == entry.first_cluster && __builtin_memcmp(dots[1].name, "..         ", 11) == 0
            && (dots[1].attributes & ATTR_DIRECTORY) && dots[1].first_cluster == parent;
        if (!dots_ok) {
            where = entry.first_cluster;
            return MountProblem::BadDotEntries;
        }
        DirectoryIterator& child = stack[depth];
        child.m_volume = this;
        if (cursor_start(child.m_cursor, entry.first_cluster).is_error()) {
            where = entry.first_cluster;
            return MountProblem::ReadFailed;
        }
        ++depth;
    }
    return MountProblem::None;
}

// One full pass (FATs and tree) with `primary` as the FAT the chains are
// followed through.
MountProblem Volume::check_with_fat(const BootSector& bs, u32 primary, u32& where, u32& used, u32& free)
{
    m_fat_read_copy = primary;
    for (auto& slot : m_fat_cache)
        slot.valid = slot.dirty = false;
    for (auto& word : m_referenced)
        word = 0;
    m_report.files = m_report.long_chains = 0;
    MountProblem problem = check_fat_copies(bs, primary, where, used, free);
    if (problem == MountProblem::None)
        problem = check_directory_tree(where);
    return problem;
}

void Volume::run_mount_check(const BootSector& bs)
{
    MountReport& report = m_report;
    report.checked = true;
    u32 where = 0;
    u32 used = 0, free = 0;
    MountProblem problem = check_boot_sector(bs, where);
    if (problem == MountProblem::None)
        problem = check_with_fat(bs, 0, where, used, free);
    report.problem = problem;
    report.where = where;
    u32 differ_at = report.fats_differ_at;
    // The first FAT failed and the copies differ: if the second passes the
    // whole check, reads go through it (the volume stays read-only: which
    // copy is right is fsck.fat's call, and it is repaired by fsck.fat -a).
    // A problem the FAT cannot explain (the BPB, an unreadable sector, the
    // budget) gets no second pass.
    bool fat_explains = problem != MountProblem::None && problem != MountProblem::ReadFailed
        && problem != MountProblem::OverBudget && m_fat_count == 2 && differ_at != 0xFFFFFFFF;
    if (fat_explains) {
        u32 files = report.files, long_chains = report.long_chains, ignored = 0;
        if (check_with_fat(bs, 1, ignored, used, free) == MountProblem::None) {
            report.reads_second_copy = true;
        } else {
            // Back to the first copy, as found (the bitmap no longer
            // matters: nothing is allocated on a read-only volume).
            m_fat_read_copy = 0;
            for (auto& slot : m_fat_cache)
                slot.valid = slot.dirty = false;
            report.files = files;
            report.long_chains = long_chains;
        }
        report.problem = problem;
        report.where = where;
        report.fats_differ_at = differ_at;
    }
    report.sector_reads = m_sector_reads;
    if (report.problem != MountProblem::None) {
        // Read-only from here on, so the allocator never runs.
        return;
    }
    u32 referenced = 0;
    for (u32 c = FIRST_DATA_CLUSTER; c < m_cluster_count + FIRST_DATA_CLUSTER; ++c)
        referenced += is_referenced(u16(c));
    // Every referenced cluster was checked to be in use, so the rest of the
    // used ones are lost: allocated, reachable from nothing.
    report.lost_clusters = used - referenced;
    m_free_count = free;
}

// --- the problem as text ---------------------------------------------------
namespace {
class Text {
public:
    Text(char* out, u32 capacity) : m_out(out), m_capacity(capacity) { }
    Text& put(const char* s)
    {
        while (*s)
            put_char(*s++);
        return *this;
    }
    Text& put(u32 value)
    {
        char digits[10];
        u32 n = 0;
        do {
            digits[n++] = char('0' + value % 10);
            value /= 10;
        } while (value);
        while (n)
            put_char(digits[--n]);
        return *this;
    }
    Text& hex(u32 value)
    {
        put("0x");
        for (int shift = 12; shift >= 0; shift -= 4)
            put_char("0123456789ABCDEF"[(value >> shift) & 0xF]);
        return *this;
    }
    u32 finish()
    {
        if (m_capacity)
            m_out[m_length < m_capacity ? m_length : m_capacity - 1] = 0;
        return m_length < m_capacity ? m_length : (m_capacity ? m_capacity - 1 : 0);
    }

private:
    void put_char(char c)
    {
        if (m_length + 1 < m_capacity)
            m_out[m_length] = c;
        ++m_length;
    }
    char* m_out;
    u32 m_capacity;
    u32 m_length { 0 };
};
} // namespace

u32 format_mount_problem(const MountReport& report, char* out, u32 capacity)
{
    Text t(out, capacity);
    u32 w = report.where;
    switch (report.problem) {
    case MountProblem::None:
        t.put("no problem found");
        break;
    case MountProblem::HiddenSectors:
        t.put("the boot sector says the volume starts at sector ").put(w).put(", not where its partition starts");
        break;
    case MountProblem::BadMedia:
        t.put("the boot sector's media byte ").hex(w).put(" is not a legal value");
        break;
    case MountProblem::FatSizeMismatch:
        t.put("the boot sector's FAT size (").put(w).put(" sectors) does not fit its cluster count");
        break;
    case MountProblem::FatStartMismatch:
        t.put("FAT[0] is ").hex(w).put(", which does not match the media byte: the FAT's first sector is damaged, or "
              "the FAT is not where the boot sector says");
        break;
    case MountProblem::FatBadEntry:
        t.put("the FAT entry of cluster ").put(w).put(" is not a legal value");
        break;
    case MountProblem::FatCopiesDiffer:
        t.put("FAT copies differ at sector ").put(w).put(" and the first copy has errors");
        break;
    case MountProblem::BadFirstCluster:
        t.put("a directory entry names cluster ").put(w).put(", outside the volume");
        break;
    case MountProblem::DirectoryWithoutCluster:
        t.put("a subdirectory has no cluster");
        break;
    case MountProblem::SizeWithoutCluster:
        t.put("a file of ").put(w).put(" bytes has no cluster");
        break;
    case MountProblem::UsedButFree:
        t.put("cluster ").put(w).put(" belongs to a file but the FAT marks it free");
        break;
    case MountProblem::BadLink:
        t.put("the chain through cluster ").put(w).put(" continues into a bad or reserved cluster");
        break;
    case MountProblem::SharedCluster:
        t.put("cluster ").put(w).put(" is reached twice (two files share it, or a chain loops)");
        break;
    case MountProblem::ChainTooShort:
        t.put("the chain from cluster ").put(w).put(" is shorter than its file's size");
        break;
    case MountProblem::BadDotEntries:
        t.put("the directory at cluster ").put(w).put(" does not start with its \".\" and \"..\" entries");
        break;
    case MountProblem::TooDeep:
        t.put("directories nest deeper than ").put(w).put(" levels (a directory loop?)");
        break;
    case MountProblem::ReadFailed:
        t.put("sector ").put(w).put(" could not be read");
        break;
    case MountProblem::OverBudget:
        t.put("the check needs more than ").put(w).put(" sector reads");
        break;
    }
    if (report.problem != MountProblem::FatCopiesDiffer && report.problem != MountProblem::None
        && report.fats_differ_at != 0xFFFFFFFF)
        t.put("; the FAT copies also differ at sector ").put(report.fats_differ_at);
    if (report.reads_second_copy)
        t.put("; the second FAT copy passes the check and is used for reading");
    return t.finish();
}

} // namespace fat16
