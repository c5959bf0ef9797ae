// The benchmark library; see bench.h.
#include "bench.h"

#include <algorithm>
#include <cstdio>
#include <time.h>

namespace bench {

namespace {

// CPU time of this thread: on a machine shared with builds, wall time
// mostly measures how long the scheduler kept us waiting.
double thread_seconds()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}

double ns_per_call(const std::function<void()>& body, int samples, double batch_seconds)
{
    // Grow the batch until it takes long enough to time reliably.
    long batch = 1;
    for (;;) {
        double start = thread_seconds();
        for (long i = 0; i < batch; ++i)
            body();
        double seconds = thread_seconds() - start;
        if (seconds >= batch_seconds || batch >= (1L << 30))
            break;
        batch = seconds > 0 ? std::max(batch * 2, static_cast<long>(batch * batch_seconds / seconds * 1.2)) : batch * 16;
    }
    double best = 1e300;
    for (int s = 0; s < samples; ++s) {
        double start = thread_seconds();
        for (long i = 0; i < batch; ++i)
            body();
        double seconds = thread_seconds() - start;
        best = std::min(best, seconds * 1e9 / static_cast<double>(batch));
    }
    return best;
}

Pair compare(const std::function<void()>& tier, const std::function<void()>& reference, int rounds)
{
    Pair best { 1e300, 1e300 };
    for (int r = 0; r < rounds; ++r) {
        best.tier_ns = std::min(best.tier_ns, ns_per_call(tier, 3));
        best.c_ns = std::min(best.c_ns, ns_per_call(reference, 3));
    }
    return best;
}

std::vector<float> quarter_pattern(std::size_t count, int seed)
{
    std::vector<float> v(count);
    for (std::size_t i = 0; i < count; ++i)
        v[i] = static_cast<float>(static_cast<int>((i * 7 + seed) % 13) - 4) * 0.25f;
    return v;
}

void print_table(const std::string& tier_name, const std::vector<Row>& rows)
{
    std::printf("%-16s %14s %14s %9s  %s\n", "kernel", (tier_name + " ns").c_str(), "gcc -O2 ns", "ratio", "same result");
    for (const Row& r : rows)
        std::printf("%-16s %14.1f %14.1f %8.2fx  %s\n", r.kernel.c_str(), r.tier_ns, r.c_ns, r.tier_ns / r.c_ns, r.results_agree ? "yes" : "NO");
}

bool write_json(const std::string& path, const std::string& tier_name, const std::vector<Row>& rows)
{
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f)
        return false;
    std::fprintf(f, "{\n  \"tier\": \"%s\",\n  \"c_flags\": \"gcc -O2 -m32 -msse2 -mfpmath=sse\",\n  \"kernels\": [\n", tier_name.c_str());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        std::fprintf(f, "    {\"kernel\": \"%s\", \"ns_per_call\": %.1f, \"c_ns_per_call\": %.1f, \"ratio\": %.3f, \"results_agree\": %s}%s\n",
            r.kernel.c_str(), r.tier_ns, r.c_ns, r.tier_ns / r.c_ns, r.results_agree ? "true" : "false", i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(f, "  ]\n}\n");
    return std::fclose(f) == 0;
}

}
