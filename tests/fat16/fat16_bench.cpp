// make bench-fat16: host throughput of the FAT16 driver next to mtools.
//
// In one run, on 64 MiB mkfs.fat images with 2 KiB clusters (the boot
// disk's geometry) in a private temporary directory:
//   - the driver writes a 16 MiB file through ImageFileDevice and syncs,
//     then reads it back;
//   - mcopy copies the same 16 MiB into a fresh image, then out of it.
// Both go through the page cache the same way (the driver's sync does not
// call fdatasync here, as mcopy never does); each figure is the best of
// three runs, in MB/s (10^6 bytes per second). Results go to the JSON file
// named on the command line.
#include "fat_test_util.h"
#include "fat_tools.h"
#include "test_devices.h"

#include <chrono>
#include <cstdio>
#include <fstream>

using namespace fat16;
using namespace fat16::test;

namespace {

constexpr size_t FILE_BYTES = 16 * 1024 * 1024;
constexpr u32 IMAGE_KIB = 64 * 1024;
constexpr u32 SECTORS_PER_CLUSTER = 4;
constexpr int RUNS = 3;

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double mb_per_s(double seconds) { return double(FILE_BYTES) / 1e6 / seconds; }

[[noreturn]] void fail(const std::string& what)
{
    std::fprintf(stderr, "fat16_bench: %s\n", what.c_str());
    std::exit(1);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2)
        fail("usage: fat16_bench OUTPUT.json");
    TempDir dir;
    auto content = pattern_bytes(FILE_BYTES, 42);
    std::string host_file = dir.file("BIG.BIN");
    write_file(host_file, content);

    double best_write = 1e9, best_read = 1e9, best_mcopy_in = 1e9, best_mcopy_out = 1e9;
    for (int run = 0; run < RUNS; ++run) {
        std::string image = dir.file("driver.img");
        if (make_fat16_image(image, IMAGE_KIB, SECTORS_PER_CLUSTER, 2).status != 0)
            fail("mkfs.fat failed");
        ImageFileDevice device;
        if (!device.open(image))
            fail("cannot open the image");
        device.set_sync_on_flush(false); // mcopy does not fsync either
        {
            Volume volume;
            if (volume.mount(device).is_error())
                fail("mount failed");
            auto start = std::chrono::steady_clock::now();
            File file;
            if (volume.open("BIG.BIN", file, OPEN_CREATE | OPEN_WRITE).is_error())
                fail("create failed");
            auto written = volume.write(file, content.data(), u32(content.size()));
            if (written.is_error() || volume.sync().is_error())
                fail("write failed");
            best_write = std::min(best_write, seconds_since(start));
        }
        {
            Volume volume;
            if (volume.mount(device).is_error())
                fail("remount failed");
            auto start = std::chrono::steady_clock::now();
            auto data = read_whole(volume, "BIG.BIN");
            best_read = std::min(best_read, seconds_since(start));
            if (data.is_error() || data.value() != content)
                fail("read back differs");
        }
        device.close();

        std::string mimage = dir.file("mtools.img");
        if (make_fat16_image(mimage, IMAGE_KIB, SECTORS_PER_CLUSTER, 2).status != 0)
            fail("mkfs.fat failed");
        auto start = std::chrono::steady_clock::now();
        if (mcopy_to_image(mimage, shell_quote(host_file)).status != 0)
            fail("mcopy in failed");
        best_mcopy_in = std::min(best_mcopy_in, seconds_since(start));
        start = std::chrono::steady_clock::now();
        if (mcopy_from_image(mimage, "BIG.BIN", dir.file("out.bin")).status != 0)
            fail("mcopy out failed");
        best_mcopy_out = std::min(best_mcopy_out, seconds_since(start));
        if (read_file(dir.file("out.bin")) != content)
            fail("mcopy read back differs");
    }

    std::printf("fat16 host, 16 MiB file, 2 KiB clusters, best of %d:\n", RUNS);
    std::printf("  driver write %8.1f MB/s   mcopy in  %8.1f MB/s\n", mb_per_s(best_write), mb_per_s(best_mcopy_in));
    std::printf("  driver read  %8.1f MB/s   mcopy out %8.1f MB/s\n", mb_per_s(best_read), mb_per_s(best_mcopy_out));
    std::ofstream out(argv[1]);
    out << "{\n"
        << "  \"file_bytes\": " << FILE_BYTES << ",\n"
        << "  \"cluster_bytes\": " << SECTORS_PER_CLUSTER * 512 << ",\n"
        << "  \"runs\": " << RUNS << ",\n"
        << "  \"unit\": \"MB/s (10^6 bytes per second), best run\",\n"
        << "  \"host_driver_write_mb_s\": " << mb_per_s(best_write) << ",\n"
        << "  \"host_driver_read_mb_s\": " << mb_per_s(best_read) << ",\n"
        << "  \"host_mcopy_write_mb_s\": " << mb_per_s(best_mcopy_in) << ",\n"
        << "  \"host_mcopy_read_mb_s\": " << mb_per_s(best_mcopy_out) << "\n"
        << "}\n";
    return out ? 0 : 1;
}
