// The tier-0 benchmark: the interpreter's ns per call on fib_iter(40),
// sum(10000), dot(4096) and matmul(64), next to the gcc -O2 reference in C,
// in the same run. Usage: interp_bench MODULES_DIR OUTPUT.json
#include "bench.h"
#include "host_modules.h"
#include "reference_kernels.h"

#include <cstdio>
#include <cstring>

namespace {

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

Value run(host::LoadedModule& m, u32 function, const Value* args, u32 count)
{
    auto result = call_function(*m.instance, function, args, count);
    if (result.is_error()) {
        std::fprintf(stderr, "interp_bench: %s trapped: %s\n", m.module->functions[function].name, error_name(result.error()));
        std::exit(1);
    }
    return result.value();
}

}

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: interp_bench MODULES_DIR OUTPUT.json\n");
        return 2;
    }
    std::string dir = argv[1];
    auto fib = host::load_file(dir + "/FIB.BFM");
    auto sum = host::load_file(dir + "/SUM.BFM");
    auto dot = host::load_file(dir + "/DOT.BFM");
    auto matmul = host::load_file(dir + "/MATMUL.BFM");
    for (auto* m : { fib.get(), sum.get(), dot.get(), matmul.get() }) {
        if (m->error != Error::Ok) {
            std::fprintf(stderr, "interp_bench: %s\n", m->diagnostic.message);
            return 1;
        }
    }
    std::vector<bench::Row> rows;

    {
        u32 f = fib->function("fib_iter");
        Value arg = Value::from_i32(40);
        i32 c_result = ref_fib_iter(40);
        bool agree = run(*fib, f, &arg, 1).i == c_result;
        auto p = bench::compare([&] { run(*fib, f, &arg, 1); }, [&] { bench::opaque(ref_fib_iter(bench::opaque(40))); });
        rows.push_back({ "fib_iter(40)", p.tier_ns, p.c_ns, agree });
    }
    {
        u32 f = sum->function("sum");
        Value arg = Value::from_i32(10000);
        bool agree = run(*sum, f, &arg, 1).i == ref_sum(10000);
        auto p = bench::compare([&] { run(*sum, f, &arg, 1); }, [&] { bench::opaque(ref_sum(bench::opaque(10000))); });
        rows.push_back({ "sum(10000)", p.tier_ns, p.c_ns, agree });
    }
    {
        u32 f = dot->function("dot");
        auto a = bench::quarter_pattern(4096, 1);
        auto b = bench::quarter_pattern(4096, 2);
        Value args[3] = { Value::from_view(a.data(), 4096), Value::from_view(b.data(), 4096), Value::from_i32(4096) };
        bool agree = same_bits(run(*dot, f, args, 3).f, ref_dot(a.data(), b.data(), 4096));
        auto p = bench::compare([&] { run(*dot, f, args, 3); }, [&] { bench::opaque(ref_dot(bench::opaque(a.data()), b.data(), bench::opaque(4096))); });
        rows.push_back({ "dot(4096)", p.tier_ns, p.c_ns, agree });
    }
    {
        u32 f = matmul->function("matmul");
        auto a = bench::quarter_pattern(4096, 3);
        auto b = bench::quarter_pattern(4096, 4);
        std::vector<float> c_tier(4096), c_ref(4096);
        Value args[4] = { Value::from_view(a.data(), 4096), Value::from_view(b.data(), 4096), Value::from_view(c_tier.data(), 4096), Value::from_i32(64) };
        run(*matmul, f, args, 4);
        ref_matmul(a.data(), b.data(), c_ref.data(), 64);
        bool agree = std::memcmp(c_tier.data(), c_ref.data(), 4096 * sizeof(float)) == 0;
        auto p = bench::compare([&] { run(*matmul, f, args, 4); }, [&] { ref_matmul(bench::opaque(a.data()), b.data(), c_ref.data(), bench::opaque(64)); });
        rows.push_back({ "matmul(64)", p.tier_ns, p.c_ns, agree });
    }

    bench::print_table("interpreter", rows);
    if (!bench::write_json(argv[2], "interpreter", rows)) {
        std::fprintf(stderr, "interp_bench: cannot write %s\n", argv[2]);
        return 1;
    }
    std::printf("figures written to %s\n", argv[2]);
    for (const auto& r : rows) {
        if (!r.results_agree)
            return 1;
    }
    return 0;
}
