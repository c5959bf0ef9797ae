// The headline benchmark's figures (issue 7, "Benchmarks"): one Row per
// kernel, measured by headline_bench.cpp, printed and written as JSON by
// headline_report.cpp.
#pragma once

#include <string>
#include <vector>

namespace headline {

// A time or size that does not exist for a kernel (no tier-2 pattern, no
// specialisation) is negative and becomes null in the JSON and "-" in the table.
constexpr double absent = -1;

struct Row {
    std::string kernel;    // "dot(4096)"
    std::string pattern;   // tier 2's pattern, "general" (general tier-2 code) or "none" (no tier-2 code)
    double tier0_ns { absent };
    double tier1_ns { absent };
    double tier2_ns { absent };
    double spec_ns { absent }; // tier 2 specialised on the arguments (absent: nothing to fold, or no tier-2 code)
    double gcc_o2_ns { absent };
    double gcc_o3_ns { absent };
    double tier1_compile_us { absent };
    double tier2_compile_us { absent };
    double tier1_code_bytes { absent };
    double tier2_code_bytes { absent };
    double spec_compile_us { absent };
    double spec_code_bytes { absent };
    bool results_agree { false };     // tiers 0, 1, 2, specialised and gcc -O2 bit for bit
    bool o3_results_agree { false };  // gcc -O3 -ffast-math too (information)
};

struct Run {
    std::string isa; // what tier 2 compiled for: "avx2" or "sse2"
    std::vector<Row> rows;
};

// The best time the JIT reaches for a row: tier 2 if it has a pattern, else tier 1.
double best_jit_ns(const Row& row);

void print_table(const Run& run);
bool write_json(const Run& run, const std::string& path);

}
