// The headline benchmark (issue 7, "Benchmarks"): for each kernel, ns per
// call at tier 0 (the interpreter), tier 1 and tier 2, each installed by the
// real JIT runtime (JitInstance::compile, Tier2Compiler registered with
// set_compiler(2)) and called through the dispatch table as any caller
// would; the same kernel in C from gcc -O2 and from gcc -O3 -march=native
// -ffast-math; compile time per tier and code bytes. All in one run, results
// checked bit for bit. Tier 2 compiles what a pattern matches and gives
// every other function general code (docs/tier2.md); a function it refuses
// stays at tier 1, and its tier-2 cells are "-".
//
// Usage: headline_bench MODULES_DIR OUTPUT.json [--isa auto|sse2|avx2]
#include "../bench/bench.h"
#include "../bench/reference_kernels.h"
#include "headline.h"
#include "../bench/jit_bench_system.h"

#include <microjit/jit/jit.h>
#include <microjit/module/interpreter.h>
#include <microjit/pool/host_pools.h>
#include <microjit/pool/pool_module_allocator.h>
#include <microjit/tier2/tier2_compiler.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>

extern "C" {
// -O2: tests/jit/bench_reference_extra.c, tests/tier2/bench_reference.c, reference_primes.c
int32_t ref_fib_rec(int32_t n);
int32_t ref_collatz(int32_t n);
void ref_saxpy(float alpha, const float* x, float* y, int32_t n);
void ref2_relu(float* x, int32_t n);
int32_t ref_primes(int32_t n);
// -O3 -march=native -ffast-math: the same sources, symbols prefixed o3_
int32_t o3_ref_fib_iter(int32_t n);
int32_t o3_ref_fib_rec(int32_t n);
int32_t o3_ref_sum(int32_t n);
int32_t o3_ref_collatz(int32_t n);
int32_t o3_ref_primes(int32_t n);
float o3_ref_dot(const float* a, const float* b, int32_t n);
void o3_ref_saxpy(float alpha, const float* x, float* y, int32_t n);
void o3_ref2_relu(float* x, int32_t n);
void o3_ref_matmul(const float* a, const float* b, float* c, int32_t n);
}

namespace {

using headline::Row;

[[noreturn]] void die(const std::string& message)
{
    std::fprintf(stderr, "headline_bench: %s\n", message.c_str());
    std::exit(1);
}

// The arrays one runner works on; kernels that write (saxpy, relu, matmul)
// get a fresh set per runner so that every runner's first call starts alike.
struct Arrays {
    std::vector<float> a, b, c;
};

Arrays make_arrays()
{
    return { bench::quarter_pattern(4096, 3), bench::quarter_pattern(4096, 4), std::vector<float>(4096) };
}

u32 f32_bits(float f)
{
    u32 u;
    std::memcpy(&u, &f, 4);
    return u;
}

struct Kernel {
    const char* label;
    const char* file;
    const char* function;
    std::function<std::vector<Value>(Arrays&)> args;
    std::function<u32(Arrays&)> gcc_o2, gcc_o3;
    bool float_result;
    bool slow_tier0; // fewer samples at tier 0 (milliseconds per call)
};

// What a runner's first call produced: the returned bits and every array.
struct Outcome {
    u32 bits;
    std::vector<float> a, b, c;
    bool operator==(const Outcome& o) const
    {
        return bits == o.bits && std::memcmp(a.data(), o.a.data(), 4 * a.size()) == 0
            && std::memcmp(b.data(), o.b.data(), 4 * b.size()) == 0 && std::memcmp(c.data(), o.c.data(), 4 * c.size()) == 0;
    }
};

u32 call(ModuleInstance* instance, u32 f, std::vector<Value>& args)
{
    auto r = call_function(*instance, f, args.data(), static_cast<u32>(args.size()));
    if (r.is_error())
        die(std::string("trap: ") + error_name(r.error()));
    return static_cast<u32>(r.value().i);
}

// CPU time per compile-and-install of `function` at `tier` (the superseded
// block is freed each time), best batch.
double compile_us(JitInstance& jit, u32 function, u8 tier)
{
    bool failed = false;
    double ns = bench::ns_per_call([&] { failed = failed || jit.compile(function, tier).is_error(); }, 7, 0.01);
    if (failed)
        die("a repeated compile failed");
    return ns / 1000.0;
}

Row measure(bench::JitSystem& system, const Kernel& k, const std::string& modules)
{
    const Module* module = system.load(modules + "/" + k.file);
    auto found = find_function(*module, k.function);
    if (found.is_error())
        die(std::string("no function ") + k.function);
    u32 f = found.value();
    Row row;
    row.kernel = k.label;

    Arrays arrays[6] = { make_arrays(), make_arrays(), make_arrays(), make_arrays(), make_arrays(), make_arrays() };
    std::vector<Outcome> outcomes;
    auto outcome = [](u32 bits, const Arrays& a) { return Outcome { bits, a.a, a.b, a.c }; };

    // Tiers 0, 1, 2, and (index 3) tier 2 specialised on the benchmark's
    // arguments, as the profile of a run of identical calls would ask for.
    std::pair<ModuleInstance*, std::unique_ptr<JitInstance>> tiers[4];
    std::vector<Value> args[4];
    bool has_spec = false;
    for (u8 t = 0; t < 4; ++t) {
        tiers[t] = system.instantiate(*module, t < 3 ? t : 2);
        args[t] = k.args(arrays[t == 3 ? 5 : t]);
        if (t == 3)
            has_spec = !tiers[t].second->specialise(f, args[t].data(), static_cast<u32>(args[t].size())).is_error();
        outcomes.push_back(outcome(call(tiers[t].first, f, args[t]), arrays[t == 3 ? 5 : t]));
    }
    outcomes.push_back(outcome(k.gcc_o2(arrays[3]), arrays[3]));
    Outcome o3 = outcome(k.gcc_o3(arrays[4]), arrays[4]);
    row.results_agree = outcomes[0] == outcomes[1] && outcomes[1] == outcomes[2] && outcomes[2] == outcomes[4]
        && outcomes[3] == outcomes[4];
    row.o3_results_agree = o3 == outcomes[4];

    const JitFunctionProfile& p2 = tiers[2].second->profile(f);
    bool has_tier2 = p2.tier == 2;
    row.pattern = "none";
    if (has_tier2) {
        // The pattern of this function: compile it once more, alone.
        if (tiers[2].second->compile(f, 2).is_error())
            die("tier 2 compiled once but not twice");
        Tier2::CompiledPattern pattern = system.tier2().last_pattern();
        // No pattern but tier-2 code: the general code generator's.
        row.pattern = pattern == Tier2::CompiledPattern::None ? "general" : Tier2::compiled_pattern_name(pattern);
    }

    row.tier0_ns = bench::ns_per_call([&] { call(tiers[0].first, f, args[0]); }, k.slow_tier0 ? 3 : 7);
    row.tier1_ns = bench::ns_per_call([&] { call(tiers[1].first, f, args[1]); });
    if (has_tier2)
        row.tier2_ns = bench::ns_per_call([&] { call(tiers[2].first, f, args[2]); });
    if (has_spec) {
        row.spec_ns = bench::ns_per_call([&] { call(tiers[3].first, f, args[3]); });
        const JitFunctionProfile& ps = tiers[3].second->profile(f);
        if (!ps.specialised || tiers[3].second->native_state(f).guard_failures != 0)
            die("the specialised code did not stay in use");
        row.spec_code_bytes = ps.code_size;
        bool failed = false;
        double ns = bench::ns_per_call(
            [&] { failed = failed || tiers[3].second->specialise(f, args[3].data(), static_cast<u32>(args[3].size())).is_error(); }, 7,
            0.01);
        if (failed)
            die("a repeated specialisation failed");
        row.spec_compile_us = ns / 1000.0;
    }
    row.gcc_o2_ns = bench::ns_per_call([&] { bench::opaque(k.gcc_o2(arrays[3])); });
    row.gcc_o3_ns = bench::ns_per_call([&] { bench::opaque(k.gcc_o3(arrays[4])); });

    row.tier1_compile_us = compile_us(*tiers[1].second, f, 1);
    row.tier1_code_bytes = tiers[1].second->profile(f).code_size;
    if (has_tier2) {
        row.tier2_compile_us = compile_us(*tiers[2].second, f, 2);
        row.tier2_code_bytes = tiers[2].second->profile(f).code_size;
    }
    for (auto& t : tiers) {
        t.second->detach();
        destroy_instance(t.first);
    }
    return row;
}

std::vector<Kernel> kernels()
{
    auto i32 = [](int32_t v) { return Value::from_i32(v); };
    auto view = [](std::vector<float>& v) { return Value::from_view(v.data(), static_cast<u32>(v.size())); };
    return {
        { "fib_iter(40)", "FIB.BFM", "fib_iter", [=](Arrays&) { return std::vector<Value> { i32(40) }; },
          [](Arrays&) { return static_cast<u32>(ref_fib_iter(bench::opaque(40))); },
          [](Arrays&) { return static_cast<u32>(o3_ref_fib_iter(bench::opaque(40))); }, false, false },
        { "fib_rec(25)", "FIB.BFM", "fib_rec", [=](Arrays&) { return std::vector<Value> { i32(25) }; },
          [](Arrays&) { return static_cast<u32>(ref_fib_rec(bench::opaque(25))); },
          [](Arrays&) { return static_cast<u32>(o3_ref_fib_rec(bench::opaque(25))); }, false, true },
        { "sum(10000)", "SUM.BFM", "sum", [=](Arrays&) { return std::vector<Value> { i32(10000) }; },
          [](Arrays&) { return static_cast<u32>(ref_sum(bench::opaque(10000))); },
          [](Arrays&) { return static_cast<u32>(o3_ref_sum(bench::opaque(10000))); }, false, false },
        { "collatz(27)", "COLLATZ.BFM", "collatz", [=](Arrays&) { return std::vector<Value> { i32(27) }; },
          [](Arrays&) { return static_cast<u32>(ref_collatz(bench::opaque(27))); },
          [](Arrays&) { return static_cast<u32>(o3_ref_collatz(bench::opaque(27))); }, false, false },
        { "primes(10000)", "PRIMES.BFM", "primes", [=](Arrays&) { return std::vector<Value> { i32(10000) }; },
          [](Arrays&) { return static_cast<u32>(ref_primes(bench::opaque(10000))); },
          [](Arrays&) { return static_cast<u32>(o3_ref_primes(bench::opaque(10000))); }, false, true },
        { "dot(4096)", "DOT.BFM", "dot", [=](Arrays& x) { return std::vector<Value> { view(x.a), view(x.b), i32(4096) }; },
          [](Arrays& x) { return f32_bits(ref_dot(bench::opaque(x.a.data()), x.b.data(), bench::opaque(4096))); },
          [](Arrays& x) { return f32_bits(o3_ref_dot(bench::opaque(x.a.data()), x.b.data(), bench::opaque(4096))); }, true,
          false },
        // saxpy and relu write their arrays: alpha 0.5 on quarters keeps y
        // finite over millions of calls, relu is idempotent.
        { "saxpy(4096)", "SAXPY.BFM", "saxpy",
          [=](Arrays& x) { return std::vector<Value> { Value::from_f32(0.5f), view(x.a), view(x.b), i32(4096) }; },
          [](Arrays& x) { ref_saxpy(0.5f, bench::opaque(x.a.data()), x.b.data(), bench::opaque(4096)); return 0u; },
          [](Arrays& x) { o3_ref_saxpy(0.5f, bench::opaque(x.a.data()), x.b.data(), bench::opaque(4096)); return 0u; }, false,
          false },
        { "relu(4096)", "RELU.BFM", "relu", [=](Arrays& x) { return std::vector<Value> { view(x.a), i32(4096) }; },
          [](Arrays& x) { ref2_relu(bench::opaque(x.a.data()), bench::opaque(4096)); return 0u; },
          [](Arrays& x) { o3_ref2_relu(bench::opaque(x.a.data()), bench::opaque(4096)); return 0u; }, false, false },
        { "matmul(64)", "MATMUL.BFM", "matmul",
          [=](Arrays& x) { return std::vector<Value> { view(x.a), view(x.b), view(x.c), i32(64) }; },
          [](Arrays& x) { ref_matmul(bench::opaque(x.a.data()), x.b.data(), x.c.data(), bench::opaque(64)); return 0u; },
          [](Arrays& x) { o3_ref_matmul(bench::opaque(x.a.data()), x.b.data(), x.c.data(), bench::opaque(64)); return 0u; },
          false, true },
    };
}

}

int main(int argc, char** argv)
{
    if (argc != 3 && !(argc == 5 && std::strcmp(argv[3], "--isa") == 0)) {
        std::fprintf(stderr, "usage: headline_bench MODULES_DIR OUTPUT.json [--isa auto|sse2|avx2]\n");
        return 2;
    }
    // __builtin_cpu_supports("avx2") includes the OS check (XCR0) in libgcc.
    bool host_avx2 = __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2");
    std::string isa = argc == 5 ? argv[4] : "auto";
    if (isa != "auto" && isa != "sse2" && isa != "avx2")
        die("--isa takes auto, sse2 or avx2, not '" + isa + "'");
    if (isa == "avx2" && !host_avx2)
        die("--isa avx2: this CPU (or OS) cannot run AVX2 code");
    bool avx2 = isa == "avx2" || (isa == "auto" && host_avx2);

    bench::JitSystem system(avx2);
    headline::Run run;
    run.isa = avx2 ? "avx2" : "sse2";
    for (const Kernel& k : kernels()) {
        run.rows.push_back(measure(system, k, argv[1]));
        std::fflush(stdout);
    }
    headline::print_table(run);
    if (!headline::write_json(run, argv[2]))
        die(std::string("cannot write ") + argv[2]);
    std::printf("figures written to %s\n", argv[2]);
    for (const Row& r : run.rows)
        if (!r.results_agree)
            return 1;
    return 0;
}
