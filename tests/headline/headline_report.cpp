// The headline table and results.json (see headline.h).
#include "headline.h"

#include <cmath>
#include <cstdio>

namespace headline {

namespace {

constexpr const char* o2_flags = "gcc -O2 -m32 -msse2 -mfpmath=sse";
constexpr const char* o3_flags = "gcc -m32 -O3 -march=native -ffast-math";

bool has(double v) { return v >= 0; }

void cell(double v, const char* format, int width)
{
    if (has(v))
        std::printf(format, width, v);
    else
        std::printf("%*s", width, "-");
}

void json_number(FILE* out, const char* name, double v, bool last = false)
{
    if (has(v))
        std::fprintf(out, "\"%s\": %.6g%s", name, v, last ? "" : ", ");
    else
        std::fprintf(out, "\"%s\": null%s", name, last ? "" : ", ");
}

double geomean(const std::vector<double>& values)
{
    double log_sum = 0;
    for (double v : values)
        log_sum += std::log(v);
    return values.empty() ? 0 : std::exp(log_sum / static_cast<double>(values.size()));
}

}

double best_jit_ns(const Row& row)
{
    // Tier 2 and specialised code are both what the runtime settles on
    // (the specialised code falls back to the generic); take the faster.
    if (has(row.spec_ns) && has(row.tier2_ns))
        return row.spec_ns < row.tier2_ns ? row.spec_ns : row.tier2_ns;
    if (has(row.spec_ns))
        return row.spec_ns;
    return has(row.tier2_ns) ? row.tier2_ns : row.tier1_ns;
}

void print_table(const Run& run)
{
    std::printf("headline: ns per call, tier 2 compiled for %s; gcc -O2 = %s, gcc -O3 = %s\n", run.isa.c_str(), o2_flags,
                o3_flags);
    std::printf("%-13s %-12s %12s %11s %11s %11s %11s %11s %8s %8s %7s %7s %7s %6s %6s %5s\n", "kernel", "t2 pattern", "tier0",
                "tier1", "tier2", "spec", "gcc -O2", "gcc -O3", "best/O2", "best/O3", "t1 us", "t2 us", "spec us", "t2 B",
                "spec B", "same");
    std::vector<double> ratios;
    for (const Row& r : run.rows) {
        double best = best_jit_ns(r);
        ratios.push_back(best / r.gcc_o2_ns);
        std::printf("%-13s %-12s", r.kernel.c_str(), r.pattern.c_str());
        cell(r.tier0_ns, " %*.1f", 12);
        cell(r.tier1_ns, " %*.1f", 11);
        cell(r.tier2_ns, " %*.1f", 11);
        cell(r.spec_ns, " %*.1f", 11);
        cell(r.gcc_o2_ns, " %*.1f", 11);
        cell(r.gcc_o3_ns, " %*.1f", 11);
        std::printf(" %7.3gx %7.3gx", best / r.gcc_o2_ns, best / r.gcc_o3_ns);
        cell(r.tier1_compile_us, " %*.1f", 7);
        cell(r.tier2_compile_us, " %*.1f", 7);
        cell(r.spec_compile_us, " %*.1f", 7);
        cell(r.tier2_code_bytes, " %*.0f", 6);
        cell(r.spec_code_bytes, " %*.0f", 6);
        std::printf(" %5s\n", r.results_agree ? "yes" : "NO");
    }
    std::printf("best = the faster of tier 2 and specialised where they exist, else tier 1; "
                "geometric mean of best/gcc -O2: %.3fx\n",
                geomean(ratios));
}

bool write_json(const Run& run, const std::string& path)
{
    FILE* out = std::fopen(path.c_str(), "w");
    if (!out)
        return false;
    std::vector<double> ratios;
    for (const Row& r : run.rows)
        ratios.push_back(best_jit_ns(r) / r.gcc_o2_ns);
    std::fprintf(out, "{\n  \"tier2_isa\": \"%s\",\n  \"gcc_o2_flags\": \"%s\",\n  \"gcc_o3_flags\": \"%s\",\n", run.isa.c_str(),
                 o2_flags, o3_flags);
    std::fprintf(out, "  \"geomean_best_vs_gcc_o2\": %.4f,\n  \"kernels\": [\n", geomean(ratios));
    for (size_t i = 0; i < run.rows.size(); ++i) {
        const Row& r = run.rows[i];
        double best = best_jit_ns(r);
        std::fprintf(out, "    {\"kernel\": \"%s\", \"tier2_pattern\": \"%s\", ", r.kernel.c_str(), r.pattern.c_str());
        json_number(out, "tier0_ns", r.tier0_ns);
        json_number(out, "tier1_ns", r.tier1_ns);
        json_number(out, "tier2_ns", r.tier2_ns);
        json_number(out, "spec_ns", r.spec_ns);
        json_number(out, "gcc_o2_ns", r.gcc_o2_ns);
        json_number(out, "gcc_o3_ns", r.gcc_o3_ns);
        json_number(out, "best_jit_ns", best);
        json_number(out, "best_vs_gcc_o2", best / r.gcc_o2_ns);
        json_number(out, "best_vs_gcc_o3", best / r.gcc_o3_ns);
        json_number(out, "tier0_vs_best", r.tier0_ns / best);
        json_number(out, "tier1_compile_us", r.tier1_compile_us);
        json_number(out, "tier2_compile_us", r.tier2_compile_us);
        json_number(out, "spec_compile_us", r.spec_compile_us);
        json_number(out, "tier1_code_bytes", r.tier1_code_bytes);
        json_number(out, "tier2_code_bytes", r.tier2_code_bytes);
        json_number(out, "spec_code_bytes", r.spec_code_bytes);
        std::fprintf(out, "\"results_agree\": %s, \"o3_results_agree\": %s}%s\n", r.results_agree ? "true" : "false",
                     r.o3_results_agree ? "true" : "false", i + 1 < run.rows.size() ? "," : "");
    }
    std::fprintf(out, "  ]\n}\n");
    return std::fclose(out) == 0;
}

}
