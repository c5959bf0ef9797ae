// libFuzzer target: mount, walk and read a FAT16 volume built from the input.
//
// The input is laid over the start of a 2.2 MiB zeroed disk (boot sector or
// MBR, FATs, root directory, the first data clusters); the rest stays zero,
// so the BPB may claim anything up to the disk size or beyond it. Seeds are
// the first sectors of real mkfs.fat + mcopy images (make_fuzz_seeds.py).
// Whatever the bytes, the driver must return errors, never crash, hang or
// touch memory it does not own (ASan + UBSan are on). After reading, a
// small write, rename and delete run too: changes to a corrupt volume must
// be just as safe. Each input runs twice: with the mount check, where a
// volume it refuses must come out byte-identical, and without it, so the
// per-operation defences behind the check are fuzzed too.
#include <fs/fat16/volume.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

class FuzzDevice final : public fat16::BlockDevice {
public:
    explicit FuzzDevice(std::vector<u8>& image) : m_image(image) { }
    ErrorOr<void> read_sectors(u32 lba, u32 count, u8* buffer) override
    {
        if (u64(lba) + count > sector_count())
            return Error::OutOfRange;
        std::memcpy(buffer, m_image.data() + size_t(lba) * 512, size_t(count) * 512);
        return {};
    }
    ErrorOr<void> write_sectors(u32 lba, u32 count, const u8* buffer) override
    {
        if (u64(lba) + count > sector_count())
            return Error::OutOfRange;
        std::memcpy(m_image.data() + size_t(lba) * 512, buffer, size_t(count) * 512);
        return {};
    }
    ErrorOr<void> flush() override { return {}; }
    u64 sector_count() const override { return m_image.size() / 512; }
    bool is_read_only() const override { return false; }

private:
    std::vector<u8>& m_image;
};

constexpr size_t DISK_BYTES = 2200 * 1024 + 4096; // room for an MBR before a 2200 KiB volume
u8 s_read_buffer[65536];

void walk(fat16::Volume& volume, const std::string& path, int depth, int& budget)
{
    if (depth > 6 || budget <= 0)
        return;
    fat16::DirectoryIterator it;
    if (volume.open_directory(path.c_str(), it).is_error())
        return;
    fat16::EntryInfo entry;
    std::vector<std::pair<std::string, bool>> children;
    while (budget-- > 0) {
        auto more = it.next(entry);
        if (more.is_error() || !more.value())
            break;
        if (!entry.is_dot())
            children.emplace_back(path + "/" + entry.name, entry.is_directory());
    }
    for (auto const& [child, is_directory] : children) {
        if (is_directory) {
            walk(volume, child, depth + 1, budget);
            continue;
        }
        fat16::File file;
        if (volume.open(child.c_str(), file).is_error())
            continue;
        for (int reads = 0; reads < 64; ++reads) {
            auto n = volume.read(file, s_read_buffer, sizeof(s_read_buffer));
            if (n.is_error() || n.value() == 0)
                break;
        }
    }
}

// Mount, walk, read, then try the changes. Returns false if the mount failed.
bool exercise(fat16::Volume& volume, FuzzDevice& device, fat16::MountCheck check, const u8* data, size_t size)
{
    if (volume.mount(device, check).is_error())
        return false;
    (void)volume.free_clusters();
    int budget = 2000;
    walk(volume, "", 0, budget);
    fat16::File file;
    if (!volume.open("FUZZ.TXT", file, fat16::OPEN_CREATE | fat16::OPEN_WRITE | fat16::OPEN_TRUNCATE).is_error()) {
        (void)volume.write(file, data, u32(size < 3000 ? size : 3000));
        (void)volume.truncate(file, 700);
        (void)volume.rename("FUZZ.TXT", "FUZZ2.TXT");
        (void)volume.remove("FUZZ2.TXT");
    }
    (void)volume.mkdir("FUZZDIR");
    (void)volume.rmdir("FUZZDIR");
    (void)volume.unmount();
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const u8* data, size_t size)
{
    std::vector<u8> image(DISK_BYTES, 0);
    std::memcpy(image.data(), data, size < DISK_BYTES ? size : DISK_BYTES);
    std::vector<u8> original = image;
    FuzzDevice device(image);
    fat16::Volume volume;
    // With the mount check: a volume it refuses must come out byte-identical.
    if (!exercise(volume, device, fat16::MountCheck::Full, data, size))
        return 0;
    if (!volume.mount_report().ok() && image != original)
        __builtin_trap(); // the driver wrote to a volume it mounted read-only
    // Without it, on the original bytes: the per-operation defences alone.
    image = original;
    (void)exercise(volume, device, fat16::MountCheck::None, data, size);
    return 0;
}
