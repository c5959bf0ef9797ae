// The tier-1 benchmark: for fib_iter(40), fib_rec(25), sum(10000),
// collatz(910107), dot(4096), saxpy(4096) and matmul(64), ns per call at
// tier 0 and at tier 1 next to gcc -O2 (-m32 -msse2 -mfpmath=sse) in the same
// run, tier-1 compile time and code bytes; and the compile time of a
// 100-instruction function (goal: <= 10 us). Writes the figures as JSON.
//
// Usage: bench_tier1 MODULES_DIR JIT_TEST_MODULES_DIR OUTPUT.json
#include "../bench/bench.h"
#include "../bench/reference_kernels.h"

#include <microjit/jit/jit.h>
#include <microjit/module/bytecode.h>
#include <microjit/module/interpreter.h>
#include <microjit/pool/host_pools.h>
#include <microjit/pool/pool_module_allocator.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int32_t ref_fib_rec(int32_t n);
extern "C" int32_t ref_collatz(int32_t n);
extern "C" void ref_saxpy(float alpha, const float* x, float* y, int32_t n);

namespace {

struct Loaded {
    const Module* module { nullptr };
    ModuleInstance* interpreted { nullptr };
    ModuleInstance* native { nullptr };
    std::unique_ptr<JitInstance> jit0, jit1;
};

[[noreturn]] void die(const std::string& message)
{
    std::fprintf(stderr, "bench_tier1: %s\n", message.c_str());
    std::exit(1);
}

class Bench {
public:
    Bench()
    {
        if (m_host.map({ 16u << 20, 64u << 20, 16u << 20 }).is_error())
            die("cannot map the pools");
        m_runtime = std::make_unique<JitRuntime>(m_host.pools());
        if (m_runtime->init().is_error())
            die("cannot emit the runtime stubs");
        m_runtime->policy().max_native_frame_bytes = 16384; // a host stack has megabytes
        m_allocator = std::make_unique<PoolModuleAllocator>(m_host.pools().data);
    }

    // Two instances of one module: tier 0 only, and everything at tier 1.
    Loaded load(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), {});
        ModuleDiagnostic diagnostic {};
        auto module = load_module(bytes.data(), bytes.size(), *m_allocator, &diagnostic);
        if (module.is_error())
            die(path + ": " + diagnostic.message);
        Loaded l;
        l.module = module.value();
        for (int tier = 0; tier < 2; ++tier) {
            auto jit = std::make_unique<JitInstance>(*m_runtime);
            jit->set_auto_tier_up(false);
            if (jit->prepare(*l.module).is_error())
                die("metadata pool");
            auto instance = create_instance(*l.module, *m_allocator, jit->instance_config());
            if (instance.is_error())
                die(path + ": cannot instantiate");
            jit->attach(*instance.value());
            if (tier == 1) {
                if (auto r = jit->compile_all(1); r.is_error())
                    die(path + ": tier 1 failed: " + error_name(r.error()));
                l.native = instance.value();
                l.jit1 = std::move(jit);
            } else {
                l.interpreted = instance.value();
                l.jit0 = std::move(jit);
            }
        }
        return l;
    }

    // Microseconds of CPU time per tier-1 compile of `function` (compile and
    // install, the superseded block freed), the best of several batches:
    // thread CPU time, since on a shared machine wall time mostly measures
    // the scheduler.
    double compile_us(Loaded& l, u32 function, int samples = 7)
    {
        bool failed = false;
        double ns = bench::ns_per_call([&] { failed = failed || l.jit1->compile(function, 1).is_error(); }, samples, 0.01);
        if (failed)
            die("compile failed");
        return ns / 1000.0;
    }

private:
    HostPools m_host;
    std::unique_ptr<JitRuntime> m_runtime;
    std::unique_ptr<PoolModuleAllocator> m_allocator;
};

u32 function_index(const Loaded& l, const char* name)
{
    auto f = find_function(*l.module, name);
    if (f.is_error())
        die(std::string("no function ") + name);
    return f.value();
}

u32 op_count(const FunctionInfo& fn)
{
    u32 count = 0;
    for (u32 at = 0; at < fn.code_size; at += opcode_info(fn.code[at]).length)
        ++count;
    return count;
}

Value call(ModuleInstance* instance, u32 f, const Value* args, u32 n)
{
    auto r = call_function(*instance, f, args, n);
    if (r.is_error())
        die(std::string("trap: ") + error_name(r.error()));
    return r.value();
}

struct Row {
    std::string kernel;
    double tier0_ns, tier1_ns, gcc_ns;
    double compile_us;
    u32 code_bytes, ops;
    bool agree;
};

}

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: bench_tier1 MODULES_DIR JIT_TEST_MODULES_DIR OUTPUT.json\n");
        return 2;
    }
    std::string modules = argv[1];
    Bench bench;
    std::vector<Row> rows;

    auto measure = [&](const char* label, const char* file, const char* name, std::vector<Value> args0, std::vector<Value> args1,
                       const std::function<u32()>& reference, const std::function<bool(u32, u32)>& agree, int samples = 7) {
        Loaded l = bench.load(modules + "/" + file);
        u32 f = function_index(l, name);
        u32 n = static_cast<u32>(args0.size());
        Value v0 = call(l.interpreted, f, args0.data(), n);
        Value v1 = call(l.native, f, args1.data(), n);
        u32 ref = reference();
        Row row;
        row.kernel = label;
        row.agree = agree(static_cast<u32>(v1.i), ref) && agree(static_cast<u32>(v0.i), ref);
        row.tier0_ns = bench::ns_per_call([&] { call(l.interpreted, f, args0.data(), n); }, samples);
        row.tier1_ns = bench::ns_per_call([&] { call(l.native, f, args1.data(), n); }, samples);
        row.gcc_ns = bench::ns_per_call([&] { bench::opaque(reference()); }, samples);
        row.compile_us = bench.compile_us(l, f);
        row.code_bytes = l.jit1->profile(f).code_size;
        row.ops = op_count(l.module->functions[f]);
        rows.push_back(row);
    };
    auto same_i32 = [](u32 a, u32 b) { return a == b; };

    measure("fib_iter(40)", "FIB.BFM", "fib_iter", { Value::from_i32(40) }, { Value::from_i32(40) },
        [] { return static_cast<u32>(ref_fib_iter(bench::opaque(40))); }, same_i32);
    measure("fib_rec(25)", "FIB.BFM", "fib_rec", { Value::from_i32(25) }, { Value::from_i32(25) },
        [] { return static_cast<u32>(ref_fib_rec(bench::opaque(25))); }, same_i32, 5);
    measure("sum(10000)", "SUM.BFM", "sum", { Value::from_i32(10000) }, { Value::from_i32(10000) },
        [] { return static_cast<u32>(ref_sum(bench::opaque(10000))); }, same_i32);
    measure("collatz(910107)", "COLLATZ.BFM", "collatz", { Value::from_i32(910107) }, { Value::from_i32(910107) },
        [] { return static_cast<u32>(ref_collatz(bench::opaque(910107))); }, same_i32);

    auto x = bench::quarter_pattern(4096, 1), y = bench::quarter_pattern(4096, 2);
    auto bits = [](float f) { u32 b; std::memcpy(&b, &f, 4); return b; };
    {
        Value args[3] = { Value::from_view(x.data(), 4096), Value::from_view(y.data(), 4096), Value::from_i32(4096) };
        measure("dot(4096)", "DOT.BFM", "dot", { args[0], args[1], args[2] }, { args[0], args[1], args[2] },
            [&] { return bits(ref_dot(bench::opaque(x.data()), y.data(), bench::opaque(4096))); }, same_i32);
    }
    {
        // saxpy changes y: each runner gets its own y, and the check compares
        // y after one call from each side with the C result.
        std::vector<float> y0 = y, y1 = y, yc = y;
        Value a0[4] = { Value::from_f32(0.5f), Value::from_view(x.data(), 4096), Value::from_view(y0.data(), 4096), Value::from_i32(4096) };
        Value a1[4] = { Value::from_f32(0.5f), Value::from_view(x.data(), 4096), Value::from_view(y1.data(), 4096), Value::from_i32(4096) };
        bool first = true;
        measure("saxpy(4096)", "SAXPY.BFM", "saxpy", { a0[0], a0[1], a0[2], a0[3] }, { a1[0], a1[1], a1[2], a1[3] },
            [&] {
                ref_saxpy(0.5f, bench::opaque(x.data()), yc.data(), bench::opaque(4096));
                return 0u;
            },
            [&](u32, u32) {
                bool same = !first || (std::memcmp(y0.data(), yc.data(), 4 * 4096) == 0 && std::memcmp(y1.data(), yc.data(), 4 * 4096) == 0);
                first = false;
                return same;
            });
    }
    {
        auto a = bench::quarter_pattern(4096, 3), b = bench::quarter_pattern(4096, 4);
        std::vector<float> c0(4096), c1(4096), cc(4096);
        Value a0[4] = { Value::from_view(a.data(), 4096), Value::from_view(b.data(), 4096), Value::from_view(c0.data(), 4096), Value::from_i32(64) };
        Value a1[4] = { Value::from_view(a.data(), 4096), Value::from_view(b.data(), 4096), Value::from_view(c1.data(), 4096), Value::from_i32(64) };
        bool first = true;
        measure("matmul(64)", "MATMUL.BFM", "matmul", { a0[0], a0[1], a0[2], a0[3] }, { a1[0], a1[1], a1[2], a1[3] },
            [&] {
                ref_matmul(bench::opaque(a.data()), b.data(), cc.data(), bench::opaque(64));
                return 0u;
            },
            [&](u32, u32) {
                bool same = !first || (std::memcmp(c0.data(), cc.data(), 4 * 4096) == 0 && std::memcmp(c1.data(), cc.data(), 4 * 4096) == 0);
                first = false;
                return same;
            },
            5);
    }

    // The compile-time goal, on a function of about 100 instructions.
    Loaded hundred = bench.load(std::string(argv[2]) + "/HUNDRED.BFM");
    u32 h = function_index(hundred, "hundred");
    double hundred_us = bench.compile_us(hundred, h, 15);
    u32 hundred_ops = op_count(hundred.module->functions[h]);
    u32 hundred_bytes = hundred.jit1->profile(h).code_size;

    std::printf("%-16s %12s %12s %12s %8s %9s %8s %5s\n", "kernel", "tier0 ns", "tier1 ns", "gcc -O2 ns", "t1/gcc", "compile", "bytes", "ok");
    bool all_agree = true;
    for (auto& r : rows) {
        std::printf("%-16s %12.0f %12.0f %12.0f %7.2fx %7.2fus %8u %5s\n", r.kernel.c_str(), r.tier0_ns, r.tier1_ns, r.gcc_ns,
            r.tier1_ns / r.gcc_ns, r.compile_us, r.code_bytes, r.agree ? "yes" : "NO");
        all_agree = all_agree && r.agree;
    }
    std::printf("tier-1 compile of a %u-instruction function: %.2f us (best batch of CPU time; goal <= 10 us), %u bytes of code\n", hundred_ops, hundred_us, hundred_bytes);

    FILE* out = std::fopen(argv[3], "w");
    if (!out)
        die(std::string("cannot write ") + argv[3]);
    std::fprintf(out, "{\n  \"tier\": \"tier 1 (baseline JIT)\",\n  \"c_flags\": \"gcc -O2 -m32 -msse2 -mfpmath=sse\",\n  \"goal_ratio_vs_gcc\": 3.0,\n  \"kernels\": [\n");
    for (usize i = 0; i < rows.size(); ++i) {
        auto& r = rows[i];
        double ratio = r.tier1_ns / r.gcc_ns;
        std::fprintf(out,
            "    {\"kernel\": \"%s\", \"tier0_ns\": %.1f, \"tier1_ns\": %.1f, \"gcc_O2_ns\": %.1f, \"tier1_vs_gcc\": %.3f, "
            "\"tier0_vs_tier1\": %.2f, \"within_3x\": %s, \"tier1_compile_us\": %.2f, \"tier1_code_bytes\": %u, "
            "\"bytecode_instructions\": %u, \"results_agree\": %s}%s\n",
            r.kernel.c_str(), r.tier0_ns, r.tier1_ns, r.gcc_ns, ratio, r.tier0_ns / r.tier1_ns, ratio <= 3.0 ? "true" : "false",
            r.compile_us, r.code_bytes, r.ops, r.agree ? "true" : "false", i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(out, "  ],\n  \"compile_100\": {\"function\": \"hundred\", \"bytecode_instructions\": %u, \"compile_us\": %.2f, "
                      "\"goal_us\": 10, \"met\": %s, \"code_bytes\": %u}\n}\n",
        hundred_ops, hundred_us, hundred_us <= 10.0 ? "true" : "false", hundred_bytes);
    std::fclose(out);
    std::printf("figures written to %s\n", argv[3]);
    return all_agree ? 0 : 1;
}
