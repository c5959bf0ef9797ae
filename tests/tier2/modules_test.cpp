// Tier 2 on the real Flow modules: modules/*.flow compiled by tools/flowc.py
// (into $BAREFLOW_BUILD/modules/), loaded and verified by microjit/module,
// run by the tier-0 interpreter as the reference. Checks that every function
// builds into IR whose evaluation (before and after optimisation) agrees with
// the interpreter, that each benchmark kernel is recognised as its pattern
// and the other functions are not, and that the native pattern code agrees
// with the interpreter too.
#include "harness.h"

#include <microjit/module/interpreter.h>
#include <microjit/module/module.h>
#include <microjit/tier2/codegen.h>
#include <microjit/tier2/module_adapter.h>
#include <microjit/tier2/patterns.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <sys/mman.h>

using namespace Tier2;
using Tier2Test::listing;

namespace {

class MallocAllocator final : public ModuleAllocator {
public:
    void* allocate(usize size, usize align) override
    {
        void* p = nullptr;
        if (posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, size ? size : 1))
            return nullptr;
        std::memset(p, 0, size);
        return p;
    }
    void deallocate(void* pointer, usize) override { std::free(pointer); }
};

std::string module_path(const char* name)
{
    const char* build = std::getenv("BAREFLOW_BUILD");
    return std::string(build ? build : "build") + "/modules/" + name + ".BFM";
}

struct Outcome {
    Error error { Error::Ok };
    u32 bits { 0 };
    bool operator==(const Outcome& o) const { return error == o.error && (error != Error::Ok || bits == o.bits); }
};
std::ostream& operator<<(std::ostream& os, const Outcome& o)
{
    if (o.error != Error::Ok)
        return os << "trap " << error_name(o.error);
    float f;
    std::memcpy(&f, &o.bits, 4);
    return os << "bits 0x" << std::hex << o.bits << std::dec << " (i32 " << static_cast<i32>(o.bits) << ", f32 " << f << ")";
}

// One loaded module with an interpreter instance and tier-2 IR on demand.
class Loaded {
public:
    explicit Loaded(const char* name)
    {
        std::ifstream in(module_path(name), std::ios::binary);
        m_bytes.assign(std::istreambuf_iterator<char>(in), {});
        if (m_bytes.empty()) {
            ADD_FAILURE() << "missing " << module_path(name) << " (make modules; BAREFLOW_BUILD)";
            return;
        }
        ModuleDiagnostic diagnostic {};
        auto loaded = load_module(m_bytes.data(), m_bytes.size(), m_allocator, &diagnostic);
        if (loaded.is_error()) {
            ADD_FAILURE() << name << ": " << diagnostic.message;
            return;
        }
        module = loaded.value();
        auto instance_or = create_instance(*module, m_allocator, InstanceConfig {});
        if (instance_or.is_error()) {
            ADD_FAILURE() << error_name(instance_or.error());
            return;
        }
        instance = instance_or.value();
        EXPECT_FALSE(describe_module(*module, m_arena, info).is_error());
    }
    ~Loaded()
    {
        if (instance)
            destroy_instance(instance);
        if (module)
            destroy_module(module, m_allocator);
    }

    u32 index(const char* function) const
    {
        auto f = find_function(*module, function);
        EXPECT_FALSE(f.is_error()) << function;
        return f.is_error() ? 0 : f.value();
    }

    // prepared: simplified and hoisted for the recognisers; else optimised
    // fully (or, with `plain`, as built).
    Function* build(u32 function, bool prepared, bool plain = false)
    {
        auto built = build_function(m_arena, info, function);
        EXPECT_FALSE(built.is_error()) << module->functions[function].name << ": " << error_name(built.error());
        if (built.is_error())
            return nullptr;
        Function* fn = built.value();
        if (plain)
            return fn;
        OptimizeStats stats {};
        auto r = prepared ? prepare_for_patterns(*fn) : optimize(*fn, stats);
        EXPECT_FALSE(r.is_error());
        return fn;
    }

    Outcome interpret(u32 function, const std::vector<Value>& args)
    {
        auto r = call_function(*instance, function, args.data(), static_cast<u32>(args.size()));
        Outcome o;
        if (r.is_error())
            o.error = r.error();
        else
            o.bits = static_cast<u32>(r.value().i);
        return o;
    }

    Outcome evaluate_ir(const Function& fn, const std::vector<Value>& args)
    {
        EvalContext ctx {};
        ctx.buffers = reinterpret_cast<const Value*>(instance->buffers);
        ctx.call = &Loaded::call_hook;
        ctx.user = this;
        ctx.exp = &exp_f32;
        ctx.depth = 1;
        ctx.step_limit = 100'000'000;
        auto r = evaluate(fn, args.data(), ctx, m_eval_arena);
        EXPECT_EQ(ctx.fact_violations, 0u) << fn.info->name;
        Outcome o;
        if (r.is_error())
            o.error = r.error();
        else
            o.bits = static_cast<u32>(r.value().i);
        return o;
    }

    Module* module { nullptr };
    ModuleInstance* instance { nullptr };
    ModuleInfo info {};

private:
    static ErrorOr<Value> call_hook(void* user, u32 function, const Value* args, u32 depth)
    {
        auto* self = static_cast<Loaded*>(user);
        Function*& fn = self->m_callees[function];
        if (!fn)
            fn = self->build(function, false);
        if (!fn)
            return Error::NotSupported;
        EvalContext ctx {};
        ctx.buffers = reinterpret_cast<const Value*>(self->instance->buffers);
        ctx.call = &Loaded::call_hook;
        ctx.user = self;
        ctx.exp = &exp_f32;
        ctx.depth = depth;
        ctx.step_limit = 100'000'000;
        return evaluate(*fn, args, ctx, self->m_eval_arena);
    }

    MallocAllocator m_allocator;
    std::vector<u8> m_bytes;
    std::vector<u8> m_memory = std::vector<u8>(16 << 20);
    std::vector<u8> m_eval_memory = std::vector<u8>(16 << 20);
    Arena m_arena { m_memory.data(), m_memory.size() };
    Arena m_eval_arena { m_eval_memory.data(), m_eval_memory.size() };
    std::map<u32, Function*> m_callees;
};

const char* all_modules[] = { "BENCH", "COLLATZ", "DOT", "FIB", "GCD", "MATMUL", "PRIMES", "RELU", "SAXPY", "SCALE", "SUM" };

// Arguments for any signature: small integers, short arrays with varied
// contents (fresh copies per run, since functions may write them).
struct ArgumentSet {
    std::vector<std::vector<u32>> arrays;
    std::vector<Value> values;
};

ArgumentSet make_args(const ::FunctionInfo& f, int variant)
{
    static const i32 ints[] = { 0, 1, 2, 7, 10, 16, 27, 3, -1 };
    ArgumentSet set;
    set.arrays.reserve(f.param_count);
    std::mt19937 rng(variant * 31 + 1);
    for (u8 p = 0; p < f.param_count; ++p) {
        ValueType t = f.register_types[p];
        if (t == ValueType::I32) {
            set.values.push_back(Value::from_i32(ints[(variant + p) % 9]));
        } else if (t == ValueType::F32) {
            set.values.push_back(Value::from_f32(0.5f + static_cast<float>(variant)));
        } else {
            u32 len = 16 + static_cast<u32>(variant % 3);
            set.arrays.emplace_back(len);
            for (u32& x : set.arrays.back()) {
                if (t == ValueType::ViewF32) {
                    float v = static_cast<float>(static_cast<i32>(rng() % 2001) - 1000) / 64.0f;
                    std::memcpy(&x, &v, 4);
                } else {
                    x = rng() % 100;
                }
            }
            set.values.push_back(Value::from_view(set.arrays.back().data(), len));
        }
    }
    return set;
}

TEST(Tier2Modules, EveryFunctionBuildsAndAgreesWithTheInterpreter)
{
    int compared = 0;
    for (const char* name : all_modules) {
        Loaded m(name);
        ASSERT_NE(m.module, nullptr);
        for (u32 f = 0; f < m.module->function_count; ++f) {
            const ::FunctionInfo& info = m.module->functions[f];
            Function* plain = m.build(f, false, true);
            Function* optimised = m.build(f, false);
            ASSERT_TRUE(plain && optimised) << name << "." << info.name;
            // Recursion and long loops stay affordable at these sizes.
            for (int variant = 0; variant < 6; ++variant) {
                ArgumentSet a1 = make_args(info, variant), a2 = make_args(info, variant), a3 = make_args(info, variant);
                Outcome reference = m.interpret(f, a1.values);
                if (reference.error == Error::TrapStepLimit)
                    continue;
                EXPECT_EQ(m.evaluate_ir(*plain, a2.values), reference) << name << "." << info.name << " variant " << variant;
                EXPECT_EQ(m.evaluate_ir(*optimised, a3.values), reference) << name << "." << info.name << " variant " << variant << "\n" << listing(*optimised);
                EXPECT_EQ(a1.arrays, a3.arrays) << name << "." << info.name << ": memory after the call";
                ++compared;
            }
        }
    }
    EXPECT_GT(compared, 100);
}

struct Expected {
    const char* module;
    const char* function;
    const char* pattern; // the compile log's function-level line, or "" for none
    const char* loop;    // a loop-level line that must appear, or ""
};

const Expected expectations[] = {
    { "FIB", "fib_iter", "function: recurrence", "recurrence" },
    { "FIB", "fib_rec", "function: fibonacci", "" },
    { "SUM", "sum", "function: recurrence", "recurrence" },
    { "SUM", "sum_i32", "function: reduction", "reduction sum i32" },
    { "SUM", "sum_f32", "function: reduction", "reduction sum f32" },
    { "DOT", "dot", "function: reduction", "reduction dot f32" },
    { "SAXPY", "saxpy", "function: map", "map saxpy" },
    { "RELU", "relu", "function: map", "map relu" },
    { "SCALE", "scale", "function: map", "map scale" },
    { "MATMUL", "matmul", "function: matmul", "matmul" },
};

TEST(Tier2Modules, BenchmarkKernelsAreRecognisedAsTheirPatterns)
{
    for (const Expected& e : expectations) {
        Loaded m(e.module);
        ASSERT_NE(m.module, nullptr);
        Function* fn = m.build(m.index(e.function), true);
        ASSERT_NE(fn, nullptr);
        std::vector<char> log(4096);
        describe_patterns(*fn, log.data(), log.size());
        std::string text = log.data();
        if (*e.pattern)
            EXPECT_NE(text.find(e.pattern), std::string::npos) << e.function << ":\n" << text << listing(*fn);
        if (*e.loop)
            EXPECT_NE(text.find(e.loop), std::string::npos) << e.function << ":\n" << text << listing(*fn);
    }
}

TEST(Tier2Modules, OtherFunctionsAreNotTakenForAPattern)
{
    const char* plain[][2] = { { "COLLATZ", nullptr }, { "PRIMES", nullptr }, { "GCD", nullptr } };
    for (auto& entry : plain) {
        Loaded m(entry[0]);
        ASSERT_NE(m.module, nullptr);
        for (u32 f = 0; f < m.module->function_count; ++f) {
            Function* fn = m.build(f, true);
            ASSERT_NE(fn, nullptr);
            FunctionFibonacci fib;
            FunctionReduction red;
            FunctionMap map;
            FunctionRecurrence rec;
            std::string what = std::string(entry[0]) + "." + m.module->functions[f].name;
            EXPECT_FALSE(match_fibonacci(*fn, fib)) << what;
            EXPECT_FALSE(match_function_reduction(*fn, red)) << what;
            EXPECT_FALSE(match_function_map(*fn, map)) << what;
            EXPECT_FALSE(match_function_recurrence(*fn, rec)) << what;
        }
    }
}

}

namespace {

class Executable {
public:
    Executable() { m_memory = static_cast<u8*>(mmap(nullptr, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)); }
    ~Executable() { munmap(m_memory, size); }
    StandaloneEntry compile(const Function& fn, CompiledPattern expect)
    {
        auto a = std::make_unique<x86::Assembler>(m_memory, size);
        auto code = compile_pattern(fn, *a, CodegenOptions {});
        EXPECT_FALSE(code.is_error()) << fn.info->name << ": " << error_name(code.error());
        if (code.is_error())
            return nullptr;
        EXPECT_EQ(code.value().pattern, expect) << fn.info->name;
        EXPECT_FALSE(a->finish().is_error());
        return reinterpret_cast<StandaloneEntry>(m_memory);
    }

private:
    static constexpr usize size = 1 << 16;
    u8* m_memory;
};

Outcome run_native(StandaloneEntry entry, const std::vector<Value>& args)
{
    Value result {};
    Outcome o;
    o.error = static_cast<Error>(entry(args.data(), &result, 1));
    if (o.error == Error::Ok)
        o.bits = static_cast<u32>(result.i);
    return o;
}

TEST(Tier2Modules, NativePatternCodeAgreesWithTheInterpreter)
{
    struct Case {
        const char* module;
        const char* function;
        CompiledPattern pattern;
        bool reassociated; // an f32 reduction: compared within the bound
    } cases[] = {
        { "FIB", "fib_iter", CompiledPattern::Recurrence, false },
        { "FIB", "fib_rec", CompiledPattern::Fibonacci, false },
        { "SUM", "sum", CompiledPattern::Recurrence, false },
        { "SUM", "sum_i32", CompiledPattern::Reduction, false },
        { "SUM", "sum_f32", CompiledPattern::Reduction, true },
        { "DOT", "dot", CompiledPattern::Reduction, true },
        { "SAXPY", "saxpy", CompiledPattern::Map, false },
        { "RELU", "relu", CompiledPattern::Map, false },
        { "SCALE", "scale", CompiledPattern::Map, false },
        { "MATMUL", "matmul", CompiledPattern::Matmul, false },
    };
    for (const Case& c : cases) {
        Loaded m(c.module);
        ASSERT_NE(m.module, nullptr);
        u32 f = m.index(c.function);
        Function* fn = m.build(f, true);
        Executable exe;
        StandaloneEntry entry = exe.compile(*fn, c.pattern);
        ASSERT_NE(entry, nullptr);
        const ::FunctionInfo& info = m.module->functions[f];
        for (int variant = 0; variant < 9; ++variant) {
            ArgumentSet a1 = make_args(info, variant), a2 = make_args(info, variant);
            Outcome reference = m.interpret(f, a1.values);
            Outcome native = run_native(entry, a2.values);
            if (!c.reassociated) {
                EXPECT_EQ(native, reference) << c.function << " variant " << variant;
            } else {
                ASSERT_EQ(native.error, reference.error) << c.function;
                float x, y;
                std::memcpy(&x, &native.bits, 4);
                std::memcpy(&y, &reference.bits, 4);
                // docs/tier2.md: |native - strict| <= 2 gamma_(n+1) sum |term|.
                bool dot = std::strcmp(c.function, "dot") == 0;
                View a = a1.values[0].view;
                u32 n = dot ? static_cast<u32>(a1.values[2].i) : a.length;
                double magnitude = 0;
                for (u32 i = 0; i < n && i < a.length; ++i) {
                    double t = static_cast<float*>(a.base)[i];
                    if (dot)
                        t *= static_cast<float*>(a1.values[1].view.base)[i];
                    magnitude += std::fabs(t);
                }
                double u = std::ldexp(1.0, -24), gamma = (n + 1) * u / (1 - (n + 1) * u);
                EXPECT_LE(std::fabs(double(x) - y), 2 * gamma * magnitude) << c.function << " variant " << variant;
            }
            EXPECT_EQ(a1.arrays, a2.arrays) << c.function << " variant " << variant << ": memory after the call";
        }
    }
}

}
