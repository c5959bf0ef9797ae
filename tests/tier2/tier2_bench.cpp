// Tier 2's benchmark: for each kernel that a tier-2 pattern compiles, ns per
// call in the tier-0 interpreter, in the native pattern code, and in C built
// with gcc -O2 (-m32 -msse2 -mfpmath=sse), all in one run; plus tier-2
// compile time (bytecode -> IR -> patterns -> x86, finished) and code bytes.
// Usage: tier2_bench MODULES_DIR OUTPUT.json
#include "../bench/bench.h"
#include "../bench/host_modules.h"
#include "../bench/reference_kernels.h"

#include <microjit/tier2/codegen.h>
#include <microjit/tier2/module_adapter.h>
#include <microjit/tier2/ssa_builder.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <time.h>

extern "C" {
int32_t ref2_fib_rec(int32_t n);
int32_t ref2_sum_i32(const int32_t* a, int32_t n);
float ref2_sum_f32(const float* a, int32_t n);
void ref2_saxpy(float alpha, const float* x, float* y, int32_t n);
void ref2_relu(float* x, int32_t n);
}

namespace {

struct Row {
    std::string kernel;
    const char* pattern;
    double interp_ns, tier2_ns, c_ns, compile_us;
    usize code_bytes;
    bool agree;
};

double now_seconds()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

u8* s_code;
constexpr usize code_capacity = 1 << 16;
std::vector<u8> s_arena_memory(4 << 20);
alignas(16) u8 s_assembler_storage[sizeof(x86::Assembler)];

struct Compiled {
    Tier2::StandaloneEntry entry;
    const char* pattern;
    usize bytes;
    double compile_us;
};

// Compiles `function` of `m` with tier 2, timing the best of many runs of the
// whole pipeline (the last run's code stays).
Compiled compile(host::LoadedModule& m, u32 function, bool avx2)
{
    Compiled out {};
    double best = 1e300;
    for (int run = 0; run < 200; ++run) {
        double start = now_seconds();
        Tier2::Arena arena(s_arena_memory.data(), s_arena_memory.size());
        Tier2::ModuleInfo info;
        if (Tier2::describe_module(*m.module, arena, info).is_error())
            std::abort();
        auto fn = Tier2::build_function(arena, info, function);
        if (fn.is_error() || Tier2::prepare_for_patterns(*fn.value()).is_error())
            std::abort();
        auto* a = new (s_assembler_storage) x86::Assembler(s_code, code_capacity);
        a->allow_avx2(avx2);
        Tier2::CodegenOptions options;
        options.avx2 = avx2;
        auto code = Tier2::compile_pattern(*fn.value(), *a, options);
        if (code.is_error()) {
            std::fprintf(stderr, "tier2_bench: %s: %s\n", m.module->functions[function].name, error_name(code.error()));
            std::exit(1);
        }
        auto size = a->finish();
        if (size.is_error())
            std::abort();
        best = std::min(best, now_seconds() - start);
        out.pattern = Tier2::compiled_pattern_name(code.value().pattern);
        out.bytes = size.value();
    }
    out.entry = reinterpret_cast<Tier2::StandaloneEntry>(s_code);
    out.compile_us = best * 1e6;
    return out;
}

u32 run_native(Tier2::StandaloneEntry entry, const Value* args)
{
    Value result {};
    if (entry(args, &result, 1) != 0) {
        std::fprintf(stderr, "tier2_bench: native code trapped\n");
        std::exit(1);
    }
    return static_cast<u32>(result.i);
}

u32 run_interp(host::LoadedModule& m, u32 function, const Value* args, u32 count)
{
    auto r = call_function(*m.instance, function, args, count);
    if (r.is_error()) {
        std::fprintf(stderr, "tier2_bench: interpreter trapped: %s\n", error_name(r.error()));
        std::exit(1);
    }
    return static_cast<u32>(r.value().i);
}

bool host_avx2()
{
    return __builtin_cpu_supports("avx2");
}

}

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: tier2_bench MODULES_DIR OUTPUT.json\n");
        return 2;
    }
    s_code = static_cast<u8*>(mmap(nullptr, code_capacity, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    std::string dir = argv[1];
    auto fib = host::load_file(dir + "/FIB.BFM");
    auto sum = host::load_file(dir + "/SUM.BFM");
    auto dot = host::load_file(dir + "/DOT.BFM");
    auto saxpy = host::load_file(dir + "/SAXPY.BFM");
    auto relu = host::load_file(dir + "/RELU.BFM");
    auto matmul = host::load_file(dir + "/MATMUL.BFM");
    for (auto* m : { fib.get(), sum.get(), dot.get(), saxpy.get(), relu.get(), matmul.get() }) {
        if (m->error != Error::Ok) {
            std::fprintf(stderr, "tier2_bench: %s\n", m->diagnostic.message);
            return 1;
        }
    }
    // The ISA path follows the host (the kernel's setting will choose there);
    // TIER2_ISA=sse2 forces the SSE path.
    const char* isa = std::getenv("TIER2_ISA");
    bool avx2 = host_avx2() && !(isa && std::strcmp(isa, "sse2") == 0);
    std::vector<Row> rows;
    auto measure = [&](const char* kernel, host::LoadedModule& m, const char* name, std::vector<Value> args,
                       const std::function<u32()>& c_call) {
        u32 f = m.function(name);
        Compiled c = compile(m, f, avx2);
        u32 interp_bits = run_interp(m, f, args.data(), static_cast<u32>(args.size()));
        u32 native_bits = run_native(c.entry, args.data());
        u32 c_bits = c_call();
        Row row { kernel, c.pattern, 0, 0, 0, c.compile_us, c.bytes, interp_bits == native_bits && native_bits == c_bits };
        bool slow_interp = std::strcmp(name, "fib_rec") == 0;
        row.interp_ns = bench::ns_per_call([&] { run_interp(m, f, args.data(), static_cast<u32>(args.size())); }, slow_interp ? 3 : 7);
        row.tier2_ns = bench::ns_per_call([&] { run_native(c.entry, args.data()); });
        row.c_ns = bench::ns_per_call([&] { bench::opaque(c_call()); });
        rows.push_back(row);
    };
    auto f32_bits = [](float f) { u32 u; std::memcpy(&u, &f, 4); return u; };

    measure("fib_iter(40)", *fib, "fib_iter", { Value::from_i32(40) }, [] { return static_cast<u32>(ref_fib_iter(bench::opaque(40))); });
    measure("fib_rec(25)", *fib, "fib_rec", { Value::from_i32(25) }, [] { return static_cast<u32>(ref2_fib_rec(bench::opaque(25))); });
    measure("sum(10000)", *sum, "sum", { Value::from_i32(10000) }, [] { return static_cast<u32>(ref_sum(bench::opaque(10000))); });
    std::vector<i32> ints(10000);
    for (usize i = 0; i < ints.size(); ++i)
        ints[i] = static_cast<i32>(i * 2654435761u);
    measure("sum_i32(10000)", *sum, "sum_i32", { Value::from_view(ints.data(), 10000) },
        [&] { return static_cast<u32>(ref2_sum_i32(bench::opaque(ints.data()), 10000)); });
    auto qa = bench::quarter_pattern(4096, 1), qb = bench::quarter_pattern(4096, 2);
    measure("sum_f32(4096)", *sum, "sum_f32", { Value::from_view(qa.data(), 4096) },
        [&] { return f32_bits(ref2_sum_f32(bench::opaque(qa.data()), 4096)); });
    measure("dot(4096)", *dot, "dot", { Value::from_view(qa.data(), 4096), Value::from_view(qb.data(), 4096), Value::from_i32(4096) },
        [&] { return f32_bits(ref_dot(bench::opaque(qa.data()), qb.data(), 4096)); });
    // Maps write their arrays; the repeated calls keep values bounded
    // (saxpy with alpha 0.5 on quarters, relu idempotent).
    std::vector<float> x = bench::quarter_pattern(4096, 3), y = bench::quarter_pattern(4096, 4);
    measure("saxpy(4096)", *saxpy, "saxpy",
        { Value::from_f32(0.0f), Value::from_view(x.data(), 4096), Value::from_view(y.data(), 4096), Value::from_i32(4096) },
        [&] { ref2_saxpy(0.0f, bench::opaque(x.data()), y.data(), 4096); return 0u; });
    measure("relu(4096)", *relu, "relu", { Value::from_view(x.data(), 4096), Value::from_i32(4096) },
        [&] { ref2_relu(bench::opaque(x.data()), 4096); return 0u; });

    {
        // matmul(64): the result matrices must agree bit for bit too.
        auto ma = bench::quarter_pattern(4096, 3), mb = bench::quarter_pattern(4096, 4);
        std::vector<float> c_interp(4096), c_tier2(4096), c_ref(4096);
        auto args = [&](std::vector<float>& c) {
            return std::vector<Value> { Value::from_view(ma.data(), 4096), Value::from_view(mb.data(), 4096), Value::from_view(c.data(), 4096), Value::from_i32(64) };
        };
        u32 f = matmul->function("matmul");
        Compiled c = compile(*matmul, f, avx2);
        auto ai = args(c_interp), at = args(c_tier2);
        run_interp(*matmul, f, ai.data(), 4);
        run_native(c.entry, at.data());
        ref_matmul(ma.data(), mb.data(), c_ref.data(), 64);
        bool agree = c_interp == c_tier2 && c_tier2 == c_ref;
        Row row { "matmul(64)", c.pattern, 0, 0, 0, c.compile_us, c.bytes, agree };
        row.interp_ns = bench::ns_per_call([&] { run_interp(*matmul, f, ai.data(), 4); }, 3);
        row.tier2_ns = bench::ns_per_call([&] { run_native(c.entry, at.data()); });
        row.c_ns = bench::ns_per_call([&] { ref_matmul(bench::opaque(ma.data()), mb.data(), c_ref.data(), bench::opaque(64)); });
        rows.push_back(row);
    }

    std::printf("tier 2 pattern code (%s) against tier 0 and gcc -O2 -m32 -msse2 -mfpmath=sse\n", avx2 ? "avx2" : "sse2");
    std::printf("%-15s %-11s %12s %12s %12s %9s %9s %10s %6s  %s\n", "kernel", "pattern", "tier0 ns", "tier2 ns", "gcc -O2 ns",
        "t2/gcc", "t0/t2", "compile us", "bytes", "same");
    for (const Row& r : rows)
        std::printf("%-15s %-11s %12.1f %12.1f %12.1f %8.2fx %8.0fx %10.1f %6zu  %s\n", r.kernel.c_str(), r.pattern, r.interp_ns, r.tier2_ns,
            r.c_ns, r.tier2_ns / r.c_ns, r.interp_ns / r.tier2_ns, r.compile_us, r.code_bytes, r.agree ? "yes" : "NO");
    FILE* out = std::fopen(argv[2], "w");
    if (!out) {
        std::fprintf(stderr, "tier2_bench: cannot write %s\n", argv[2]);
        return 1;
    }
    std::fprintf(out, "{\n  \"tier\": \"tier2-patterns\",\n  \"isa\": \"%s\",\n  \"c_flags\": \"-O2 -m32 -msse2 -mfpmath=sse\",\n  \"kernels\": [\n", avx2 ? "avx2" : "sse2");
    for (usize i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        std::fprintf(out,
            "    {\"kernel\": \"%s\", \"pattern\": \"%s\", \"tier0_ns\": %.1f, \"tier2_ns\": %.1f, \"gcc_o2_ns\": %.1f, "
            "\"compile_us\": %.1f, \"code_bytes\": %zu, \"same_result\": %s}%s\n",
            r.kernel.c_str(), r.pattern, r.interp_ns, r.tier2_ns, r.c_ns, r.compile_us, r.code_bytes, r.agree ? "true" : "false",
            i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(out, "  ]\n}\n");
    std::fclose(out);
    std::printf("figures written to %s\n", argv[2]);
    for (const Row& r : rows)
        if (!r.agree)
            return 1;
    return 0;
}
