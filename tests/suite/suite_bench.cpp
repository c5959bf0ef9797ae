// The general-code suite (tests/suite/README.md): kernels no pattern was
// written for, at tier 0, tier 1, tier 2 and under `auto` (the runtime's
// own tier-up, measured once it has settled), next to the same C compiled
// with gcc -O2 and with gcc -O3 -march=native -ffast-math, in one run.
// Every tier must return gcc -O2's checksum bit for bit.
//
// Usage: suite_bench SUITE.BFM OUTPUT.json [--isa auto|sse2|avx2]
#include "../bench/bench.h"
#include "../bench/jit_bench_system.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

extern "C" {
#define SUITE_KERNEL(name) int32_t suite_##name(void); int32_t o3_suite_##name(void);
#include "suite_kernels.def"
#undef SUITE_KERNEL
}

namespace {

struct Kernel {
    const char* name;
    int32_t (*gcc_o2)();
    int32_t (*gcc_o3)();
};

constexpr Kernel kernels[] = {
#define SUITE_KERNEL(name) { #name, suite_##name, o3_suite_##name },
#include "suite_kernels.def"
#undef SUITE_KERNEL
};

struct Row {
    std::string name;
    double ns[4] {}; // tier 0, 1, 2, auto
    double o2_ns {}, o3_ns {};
    u8 auto_tier {};
    bool tier2 {};
    bool agree {};
    bool o3_agree {};
};

i32 call(ModuleInstance* instance, u32 f)
{
    auto r = call_function(*instance, f, nullptr, 0);
    if (r.is_error())
        bench::fail(std::string("trap: ") + error_name(r.error()));
    return r.value().i;
}

Row measure(bench::JitSystem& system, const Module& module, const Kernel& k)
{
    std::string entry = std::string("k_") + k.name;
    auto found = find_function(module, entry.c_str());
    if (found.is_error())
        bench::fail("SUITE.BFM has no " + entry);
    u32 f = found.value();
    Row row;
    row.name = k.name;
    i32 expected = k.gcc_o2();
    row.o3_agree = k.gcc_o3() == expected;
    row.agree = true;
    std::pair<ModuleInstance*, std::unique_ptr<JitInstance>> runs[4] = {
        system.instantiate(module, 0), system.instantiate(module, 1), system.instantiate(module, 2),
        system.instantiate_auto(module),
    };
    row.tier2 = runs[2].second->profile(f).tier == 2;
    // `auto` settles first: the calls a user's program would make.
    for (int i = 0; i < 300; ++i)
        row.agree = row.agree && call(runs[3].first, f) == expected;
    row.auto_tier = runs[3].second->profile(f).tier;
    for (int t = 0; t < 4; ++t) {
        row.agree = row.agree && call(runs[t].first, f) == expected;
        ModuleInstance* instance = runs[t].first;
        row.ns[t] = bench::ns_per_call([&] { bench::opaque(call(instance, f)); }, t == 0 ? 3 : 7);
    }
    row.o2_ns = bench::ns_per_call([&] { bench::opaque(k.gcc_o2()); });
    row.o3_ns = bench::ns_per_call([&] { bench::opaque(k.gcc_o3()); });
    for (auto& r : runs) {
        r.second->detach();
        destroy_instance(r.first);
    }
    return row;
}

double geomean(const std::vector<double>& v)
{
    double log_sum = 0;
    for (double x : v)
        log_sum += std::log(x);
    return v.empty() ? 0 : std::exp(log_sum / static_cast<double>(v.size()));
}

}

int main(int argc, char** argv)
{
    if (argc != 3 && !(argc == 5 && std::strcmp(argv[3], "--isa") == 0)) {
        std::fprintf(stderr, "usage: suite_bench SUITE.BFM OUTPUT.json [--isa auto|sse2|avx2]\n");
        return 2;
    }
    bool host_avx2 = __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2");
    std::string isa = argc == 5 ? argv[4] : "auto";
    bool avx2 = isa == "avx2" || (isa == "auto" && host_avx2);
    bench::JitSystem system(avx2);
    const Module* module = system.load(argv[1]);

    std::vector<Row> rows;
    for (const Kernel& k : kernels) {
        rows.push_back(measure(system, *module, k));
        std::fflush(stdout);
    }
    std::printf("general-code suite (tier 2 ISA: %s); microseconds per call, ratios to gcc -O2 (lower is faster)\n",
                avx2 ? "avx2" : "sse2");
    std::printf("%-10s %10s %9s %9s %9s %9s %9s %7s %7s %7s %5s %5s\n", "kernel", "tier0", "tier1", "tier2", "auto",
                "gcc-O2", "gcc-O3", "t1/O2", "t2/O2", "auto/O2", "auto", "same");
    std::vector<double> r1, r2, ra, rbest;
    for (const Row& r : rows) {
        double o2 = r.o2_ns;
        r1.push_back(r.ns[1] / o2);
        r2.push_back(r.ns[2] / o2);
        ra.push_back(r.ns[3] / o2);
        std::printf("%-10s %10.2f %9.2f %9.2f %9.2f %9.2f %9.2f %7.2f %7.2f %7.2f %5u %5s\n", r.name.c_str(), r.ns[0] / 1000,
                    r.ns[1] / 1000, r.ns[2] / 1000, r.ns[3] / 1000, o2 / 1000, r.o3_ns / 1000, r.ns[1] / o2, r.ns[2] / o2,
                    r.ns[3] / o2, r.auto_tier, r.agree ? "yes" : "NO");
    }
    std::printf("geometric mean over %zu kernels: tier 1 %.2fx, tier 2 %.2fx, auto %.2fx gcc -O2\n", rows.size(), geomean(r1),
                geomean(r2), geomean(ra));

    std::ofstream out(argv[2]);
    out << "{\"suite\": \"general\", \"isa\": \"" << (avx2 ? "avx2" : "sse2") << "\", \"kernels\": [";
    for (size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        out << (i ? ", " : "") << "{\"name\": \"" << r.name << "\", \"tier0_ns\": " << r.ns[0] << ", \"tier1_ns\": " << r.ns[1]
            << ", \"tier2_ns\": " << r.ns[2] << ", \"auto_ns\": " << r.ns[3] << ", \"gcc_o2_ns\": " << r.o2_ns
            << ", \"gcc_o3_ns\": " << r.o3_ns << ", \"auto_tier\": " << int(r.auto_tier)
            << ", \"results_agree\": " << (r.agree ? "true" : "false") << "}";
    }
    out << "], \"geomean_tier2_over_o2\": " << geomean(r2) << ", \"geomean_auto_over_o2\": " << geomean(ra) << "}\n";
    for (const Row& r : rows)
        if (!r.agree)
            return 1;
    return 0;
}
