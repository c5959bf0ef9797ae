// The crash test: for every operation of seeded random sequences, and for
// EVERY k from 0 to the number of sector writes the operation (and the sync
// that follows it) makes, the disk stops accepting writes after write k.
// Each cut image must then
//   - pass fsck.fat -n -V with at most "lost clusters" findings: unused
//     clusters to reclaim, a chain longer than its file's size (clusters
//     linked before the size was published), differing FAT copies where
//     the first is the newer (a cut between the two copies of one sector),
//     and the dirty bit (FAT[1] clean-shutdown bit clear, as it should be).
//     Never a cross-link, an entry into a free cluster, or a damaged entry;
//   - pass the mount check (it must stay writable);
//   - show every file the operation does not name with its exact bytes;
//   - show the files the operation names in their old state, their new
//     state, or (for writes) a mix of old and new bytes at an allowed size;
//     a file being re-created may be a prefix of its new bytes, and a file
//     being moved may be briefly absent, but a file replaced by rename is
//     always exactly old or exactly new.
#include "fat_tools.h"
#include "model_ops.h"
#include "test_devices.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <regex>
#include <unistd.h>

using namespace fat16;
using namespace fat16::test;

namespace {

struct CrashSequence {
    u32 seed;
    u32 operations;
    u32 fat_count;
    u32 sectors_per_cluster;
    u32 max_file; // bytes; above 256 clusters a write allocates in several batches
};

// fsck.fat findings that mean "lost clusters and nothing worse" (see the
// file comment). Anything else fails the test.
bool finding_allowed(const std::string& line)
{
    static const std::regex allowed[] = {
        std::regex(R"(^Reclaimed \d+ unused clusters? \(\d+ bytes\)\.$)"),
        std::regex(R"(^Leaving filesystem unchanged\.$)"),
        std::regex(R"(^FATs differ but appear to be intact\.$)"),
        std::regex(R"(^  Using first FAT\.$)"),
        // The clean-shutdown bit in FAT[1] doing its job: it was cleared by
        // the first write and the cut came before the sync that sets it.
        std::regex(R"(^Dirty bit is set\. Fs was not properly unmounted and some data may be corrupt\.$)"),
        std::regex(R"(^ Automatically removing dirty bit\.$)"),
        std::regex(R"(^/.*$)"), // the path line that precedes a per-file finding
        std::regex(R"(^  File size is \d+ bytes, cluster chain length is > \d+ bytes\.$)"),
        std::regex(R"(^  Truncating file to \d+ bytes\.$)"),
    };
    for (auto const& re : allowed)
        if (std::regex_match(line, re))
            return true;
    return false;
}

struct FileState {
    bool exists;
    bool directory;
    std::vector<u8> bytes;
};

FileState state_of(Volume& volume, const std::string& path)
{
    EntryInfo info;
    if (volume.stat(path.c_str(), info).is_error())
        return { false, false, {} };
    if (info.is_directory())
        return { true, true, {} };
    auto data = read_whole(volume, path);
    if (data.is_error())
        return { true, false, { 0xDE, 0xAD } }; // unreadable: matches nothing below
    return { true, false, data.value() };
}

FileState model_state(const Model& model, const std::string& path)
{
    if (model.dirs.count(path))
        return { true, true, {} };
    auto it = model.files.find(path);
    if (it == model.files.end())
        return { false, false, {} };
    return { true, false, it->second };
}

bool same(const FileState& a, const FileState& b)
{
    return a.exists == b.exists && a.directory == b.directory && a.bytes == b.bytes;
}

// A write cut short: size between old and new, each byte old or new.
bool mixed(const FileState& actual, const FileState& before, const FileState& after)
{
    if (!actual.exists || actual.directory || !before.exists || !after.exists)
        return false;
    size_t lo = std::min(before.bytes.size(), after.bytes.size());
    size_t hi = std::max(before.bytes.size(), after.bytes.size());
    if (actual.bytes.size() < lo || actual.bytes.size() > hi)
        return false;
    for (size_t i = 0; i < actual.bytes.size(); ++i) {
        bool old_ok = i < before.bytes.size() && actual.bytes[i] == before.bytes[i];
        bool new_ok = i < after.bytes.size() && actual.bytes[i] == after.bytes[i];
        if (!old_ok && !new_ok)
            return false;
    }
    return true;
}

// Returns "" if the volume after a cut is acceptable for `op`.
std::string check_cut_volume(Volume& volume, const Model& before, const Model& after, const Op& op)
{
    std::set<std::string> named { op.path };
    if (!op.path2.empty())
        named.insert(op.path2);
    for (auto const& [path, content] : before.files) {
        if (named.count(path))
            continue;
        auto data = read_whole(volume, path);
        if (data.is_error())
            return "untouched " + path + ": " + error_name(data.error());
        if (data.value() != content)
            return "untouched " + path + " changed";
    }
    for (auto const& dir : before.dirs) {
        if (named.count(dir))
            continue;
        auto listing = list_directory(volume, dir.empty() ? "/" : dir);
        if (listing.is_error())
            return "untouched directory " + dir + "/: " + error_name(listing.error());
    }
    for (auto const& path : named) {
        FileState actual = state_of(volume, path);
        FileState old_state = model_state(before, path);
        FileState new_state = model_state(after, path);
        if (same(actual, old_state) || same(actual, new_state))
            continue;
        bool write_like = op.kind == OpKind::Create || op.kind == OpKind::Write || op.kind == OpKind::Append
            || op.kind == OpKind::Truncate;
        if (write_like && mixed(actual, old_state, new_state))
            continue;
        // Create is open(CREATE|TRUNCATE) then write: cut between, the file
        // is some prefix of the new bytes (atomic replacement is replace_file).
        if (op.kind == OpKind::Create && actual.exists && !actual.directory && actual.bytes.size() <= new_state.bytes.size()
            && std::equal(actual.bytes.begin(), actual.bytes.end(), new_state.bytes.begin()))
            continue;
        // A move drops the old entry before the new one appears (two entries
        // on one chain would be a cross-link): the file may be briefly gone,
        // but a replaced target is always old or new, never gone.
        bool move_gap = (op.kind == OpKind::Rename || op.kind == OpKind::Replace) && !actual.exists
            && !(op.kind == OpKind::Replace && path == op.path2);
        if (move_gap)
            continue;
        return std::string(op_name(op.kind)) + " " + path + ": neither old nor new (exists=" + std::to_string(actual.exists)
            + " dir=" + std::to_string(actual.directory) + " size=" + std::to_string(actual.bytes.size()) + ", old exists="
            + std::to_string(old_state.exists) + " size=" + std::to_string(old_state.bytes.size()) + ", new size="
            + std::to_string(new_state.bytes.size()) + ")";
    }
    return "";
}

class CrashTest : public ::testing::TestWithParam<CrashSequence> { };

TEST_P(CrashTest, EveryCutLeavesAtMostLostClusters)
{
    auto p = GetParam();
    TempDir dir;
    std::string image_path = dir.file("disk.img");
    // The smallest FAT16 volume for the cluster size (4085 clusters and a bit).
    u32 kib = 2200 * p.sectors_per_cluster;
    ASSERT_EQ(make_fat16_image(image_path, kib, p.sectors_per_cluster, p.fat_count).status, 0);
    std::vector<u8> before_image = read_file(image_path);
    int fd = ::open(image_path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    auto patch = [&](const std::vector<u8>& from, const std::vector<std::pair<u32, u32>>& log, size_t upto) {
        for (size_t w = 0; w < upto && w < log.size(); ++w) {
            size_t at = size_t(log[w].first) * 512, bytes = size_t(log[w].second) * 512;
            ASSERT_EQ(pwrite(fd, from.data() + at, bytes, off_t(at)), ssize_t(bytes));
        }
    };

    Model model;
    OpGenerator generator(p.seed, p.max_file);
    u64 cut_points = 0;
    std::map<std::string, u32> findings_seen;
    for (u32 i = 0; i < p.operations; ++i) {
        Op op = generator.next(model);
        Model after = model;
        apply_to_model(after, op);

        // The uncut run: how many writes the operation and its sync make.
        MemoryDevice full(before_image);
        {
            Volume volume;
            ASSERT_FALSE(volume.mount(full).is_error());
            auto r = apply_to_volume(volume, op, i);
            ASSERT_FALSE(r.is_error()) << "op " << i << " " << op_name(op.kind) << ": " << error_name(r.error());
            ASSERT_FALSE(volume.unmount().is_error());
        }
        u64 writes = full.writes();
        auto full_log = full.write_log();

        for (u64 k = 0; k < writes; ++k) {
            MemoryDevice cut(before_image);
            cut.cut_power_after(k);
            {
                Volume volume;
                ASSERT_FALSE(volume.mount(cut).is_error());
                auto r = apply_to_volume(volume, op, i);
                if (!r.is_error())
                    (void)volume.unmount();
                EXPECT_TRUE(r.is_error() || cut.power_cut()) << "op " << i << " ignored a failed write at k=" << k;
            }
            ASSERT_EQ(cut.writes(), k);
            std::vector<std::pair<u32, u32>> prefix(full_log.begin(), full_log.begin() + long(k));
            ASSERT_TRUE(cut.write_log() == prefix) << "the cut run wrote something the full run did not";
            cut.restore_power();
            {
                Volume volume;
                auto mounted = volume.mount(cut);
                ASSERT_FALSE(mounted.is_error()) << error_name(mounted.error());
                // What a cut leaves passes the mount check: a cut never
                // costs the ability to write.
                char reason[MOUNT_PROBLEM_TEXT_MAX];
                format_mount_problem(volume.mount_report(), reason, sizeof(reason));
                ASSERT_TRUE(volume.mount_report().ok()) << "op " << i << " " << op_name(op.kind) << ", cut after write "
                                                        << k << " of " << writes << ": read-only: " << reason;
                std::string problem = check_cut_volume(volume, model, after, op);
                ASSERT_EQ(problem, "") << "op " << i << " " << op_name(op.kind) << " " << op.path << " -> "
                                       << op.path2 << ", cut after write " << k << " of " << writes;
            }
            patch(cut.image(), cut.write_log(), k);
            auto report = fsck_image(image_path);
            for (auto const& line : report.findings) {
                ++findings_seen[line.rfind('/', 0) == 0 ? "<path>" : std::regex_replace(line, std::regex(R"(\d+)"), "N")];
                ASSERT_TRUE(finding_allowed(line)) << "op " << i << " " << op_name(op.kind) << " " << op.path
                                                   << ", cut after write " << k << " of " << writes << ":\n"
                                                   << report.output;
            }
            patch(before_image, cut.write_log(), k); // back to the state before the operation
            ++cut_points;
        }
        patch(full.image(), full_log, full_log.size());
        before_image = full.image();
        model = after;
    }
    ::close(fd);
    // The end state is fully clean.
    auto report = fsck_image(image_path);
    EXPECT_TRUE(report.clean) << report.output;
    std::printf("crash sequence seed %u: %u operations, %llu cut points, all checked by fsck.fat\n", p.seed,
        p.operations, (unsigned long long)cut_points);
    for (auto const& [line, n] : findings_seen)
        std::printf("  fsck finding seen %u times: %s\n", n, line.c_str());
    RecordProperty("cut_points", std::to_string(cut_points));
}

INSTANTIATE_TEST_SUITE_P(Sequences, CrashTest,
    ::testing::Values(CrashSequence { 11, 120, 2, 1, 6 * 1024 }, CrashSequence { 12, 120, 1, 1, 6 * 1024 },
        CrashSequence { 13, 120, 2, 1, 6 * 1024 }, CrashSequence { 14, 60, 2, 1, 400 * 1024 },
        CrashSequence { 15, 80, 2, 4, 40 * 1024 }),
    [](const auto& info) {
        return "seed" + std::to_string(info.param.seed) + "_fats" + std::to_string(info.param.fat_count) + "_spc"
            + std::to_string(info.param.sectors_per_cluster);
    });

} // namespace
