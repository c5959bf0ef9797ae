// The cross-link check: before the driver frees or overwrites a chain, it
// makes sure no other directory entry owns any of its clusters.
//
// The driver itself never makes a cross-link (see the write orders in
// volume.h), but a disk damaged elsewhere may have one: file A's chain runs
// into file B's. Reading A is harmless; deleting, truncating or writing A
// would free or overwrite B's clusters and leave B pointing into free space.
// So those operations first mark A's chain in a bitmap (one bit per cluster,
// 8 KiB inside the Volume) and walk every directory of the volume, checking
// every other entry's chain against it. The cost is one pass over the
// directories and the chains, from the caches; the boot volume holds tens of
// files, not thousands. A subdirectory that cannot be read (a broken chain)
// is skipped: nothing can reach its entries through the driver either.
#include <fs/fat16/volume.h>

namespace fat16 {

static constexpr u32 MAX_SCAN_DEPTH = 64;

ErrorOr<void> Volume::check_not_shared(u16 first_cluster, u32 lba, u16 index)
{
    if (first_cluster == 0)
        return {};
    for (auto& word : m_chain_marks)
        word = 0;
    auto marked = [&](u16 c) { return (m_chain_marks[c / 32] >> (c % 32)) & 1; };
    u16 cluster = first_cluster;
    for (u32 i = 0; cluster != 0; ++i) {
        if (!valid_cluster(cluster) || i > m_cluster_count || marked(cluster))
            return Error::FsCorrupt;
        m_chain_marks[cluster / 32] |= 1u << (cluster % 32);
        cluster = TRY(next_cluster(cluster));
    }

    // Depth-first over the directory tree with an explicit stack of cursors.
    DirectoryIterator stack[MAX_SCAN_DEPTH];
    u32 depth = 1;
    stack[0].m_volume = this;
    TRY(cursor_start(stack[0].m_cursor, 0));
    EntryInfo entry;
    while (depth > 0) {
        auto more = stack[depth - 1].next(entry);
        if (more.is_error() || !more.value()) {
            --depth; // finished (or unreadable): back to the parent
            continue;
        }
        if (entry.is_dot() || (entry.entry_lba == lba && entry.entry_index == index) || entry.first_cluster == 0)
            continue;
        // Walk this entry's whole chain (a bad link ends the walk: such a
        // chain cannot be followed by anyone).
        u16 c = entry.first_cluster;
        for (u32 i = 0; c != 0 && valid_cluster(c) && i <= m_cluster_count; ++i) {
            if (marked(c))
                return Error::FsCorrupt;
            auto next = next_cluster(c);
            if (next.is_error())
                break;
            c = next.value();
        }
        if (entry.is_directory()) {
            if (depth == MAX_SCAN_DEPTH)
                return Error::FsCorrupt; // deeper than any sane tree: a directory loop
            DirectoryIterator& child = stack[depth];
            child.m_volume = this;
            if (!cursor_start(child.m_cursor, entry.first_cluster).is_error())
                ++depth;
        }
    }
    return {};
}

} // namespace fat16
