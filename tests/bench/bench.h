// A small benchmark library shared by the per-tier drivers
// (interp_bench.cpp now; the JIT tiers add theirs): timing, the inputs of the
// standard kernels, the result table and the JSON file.
//
// Timing: a callable is run in batches sized to take about 20 ms of this
// thread's CPU time; the best of several batches is kept, since on a shared
// machine noise only ever adds time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench {

// Nanoseconds per call of `body`, the best of `samples` batches.
double ns_per_call(const std::function<void()>& body, int samples = 7, double batch_seconds = 0.02);

// Times a tier and its C reference in alternating rounds and keeps the best
// of each, so that a burst of load on the machine hits both alike.
struct Pair {
    double tier_ns;
    double c_ns;
};
Pair compare(const std::function<void()>& tier, const std::function<void()>& reference, int rounds = 5);

// The inputs shared by every driver: quarters in [-1, 2] (the pattern of
// modules/bench.flow), so that every dot product and matrix element is exact
// in f32 and all tiers and C must agree bit for bit.
std::vector<float> quarter_pattern(std::size_t count, int seed);

struct Row {
    std::string kernel;   // e.g. "dot(4096)"
    double tier_ns;       // the tier under test
    double c_ns;          // gcc -O2 reference
    bool results_agree;   // the tier returned exactly the C result
};

// Prints the table (kernel, tier ns, C ns, ratio) to stdout.
void print_table(const std::string& tier_name, const std::vector<Row>& rows);

// Writes {"tier": ..., "c_flags": ..., "kernels": [...]} to `path`; returns false on I/O error.
bool write_json(const std::string& path, const std::string& tier_name, const std::vector<Row>& rows);

// Defeats constant folding in drivers: the compiler must assume the value changes.
template<typename T>
T opaque(T value)
{
    asm volatile("" : "+r"(value));
    return value;
}

}
