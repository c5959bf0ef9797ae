// The mount check: what Volume::mount learns about a volume before it lets
// anything be written to it.
//
// A damaged volume written through gets worse: a cluster that a file owns but
// the FAT calls free is handed out again, a damaged first FAT is copied over
// an intact second one, a wrong BPB puts every write in the wrong place. So
// mount checks the volume the way fsck.fat does (dosfstools' boot.c, fat.c
// and check.c): the BPB against the partition, the FAT copies against each
// other, and every directory's chains against the FAT. Any inconsistency
// mounts the volume read-only; reads still work, and every write returns
// Error::FsReadOnly. fsck.fat is the repair.
//
// What the check tolerates, because the driver's own power-loss ordering
// leaves it after a cut (see volume.h) and writing on is safe: lost clusters
// (allocated, reachable from no entry: never handed out again), a chain
// longer than its file's size, orphan long-name entries, and FAT copies that
// differ where the first copy passes every check (a cut between the copies).
//
// When the first FAT fails and the copies differ, the second is checked in
// its place; if it passes, reads go through it, so a stray write over the
// first FAT leaves every file readable. The volume stays read-only.
#pragma once

#include <bareflow/types.h>

namespace fat16 {

// How much of the check mount runs. Full is the default everywhere; None
// trusts the volume as drivers without a check do, and exists so that the
// tests can reach the per-operation defences behind it (cross_link.cpp, the
// chain checks in open and remove) with damage in place.
enum class MountCheck : u8 {
    Full,
    None,
};

// The first inconsistency found; `where` says where (see each value).
enum class MountProblem : u8 {
    None,
    HiddenSectors,    // where: BPB_HiddSec, which is neither 0 nor the partition start
    BadMedia,         // where: BPB_Media, not 0xF0 or 0xF8..0xFF
    FatSizeMismatch,  // where: BPB_FATSz16, far larger than the cluster count needs
    FatStartMismatch, // where: FAT[0] of a copy, not 0xFF00 | BPB_Media (misplaced by the BPB, or damaged)
    FatBadEntry,      // where: the cluster whose FAT entry is no legal value
    FatCopiesDiffer,  // where: the first FAT sector (0-based) where the copies differ
    BadFirstCluster,  // where: the first cluster an entry names, outside the volume
    DirectoryWithoutCluster, // where: 0
    SizeWithoutCluster,      // where: the file's size
    UsedButFree,      // where: a cluster in a chain that the FAT marks free
    BadLink,          // where: the cluster whose FAT entry is bad (0xFFF7) or reserved inside a chain
    SharedCluster,    // where: a cluster reached twice (two chains share it, or a loop)
    ChainTooShort,    // where: the file's first cluster
    BadDotEntries,    // where: the subdirectory's first cluster, whose "." and ".." are missing or wrong
    TooDeep,          // where: the depth limit
    ReadFailed,       // where: the sector that could not be read
    OverBudget,       // where: the sector-read budget
};

struct MountReport {
    MountProblem problem { MountProblem::None };
    u32 where { 0 };
    // The FAT copies differ from this sector on (0xFFFFFFFF: they agree).
    // With problem None the first copy passed every check and is used.
    u32 fats_differ_at { 0xFFFFFFFF };
    u32 sector_reads { 0 };  // what the check cost
    u32 files { 0 };         // entries walked (files and directories)
    u32 lost_clusters { 0 }; // tolerated: allocated but reachable from no entry
    u32 long_chains { 0 };   // tolerated: chains longer than their file's size
    bool checked { false };  // false: MountCheck::None
    // Read-only, the first FAT failed, and the second passed every check:
    // reads go through the second copy.
    bool reads_second_copy { false };
    bool ok() const { return problem == MountProblem::None; }
};

// Reads-per-mount ceiling: two copies of the largest FAT16 FAT (2 x 256
// sectors) and directories far larger than any BareFlow volume keeps. A
// volume that needs more is mounted read-only (OverBudget) rather than
// written unchecked.
constexpr u32 MOUNT_CHECK_MAX_SECTOR_READS = 16384;

// The problem as a phrase for a person, without the repair hint, e.g. "FAT
// copies differ at sector 3 and the first copy has errors". Writes at most
// `capacity` bytes including the NUL (MOUNT_PROBLEM_TEXT_MAX always holds
// the whole text); returns the length.
constexpr u32 MOUNT_PROBLEM_TEXT_MAX = 320;
u32 format_mount_problem(const MountReport& report, char* out, u32 capacity);

} // namespace fat16
