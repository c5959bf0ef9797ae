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
    // A module of modules/ by name ("FIB"), or any .BFM file by path.
    explicit Loaded(const char* name, bool is_path = false)
    {
        std::string path = is_path ? name : module_path(name);
        std::ifstream in(path, std::ios::binary);
        m_bytes.assign(std::istreambuf_iterator<char>(in), {});
        if (m_bytes.empty()) {
            ADD_FAILURE() << "missing " << path << " (make modules; BAREFLOW_BUILD)";
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
        // The IR evaluator gets buffers of its own (zero-filled alike), so
        // the two runs can be compared afterwards.
        auto second = create_instance(*module, m_allocator, InstanceConfig {});
        if (second.is_error()) {
            ADD_FAILURE() << error_name(second.error());
            return;
        }
        ir_instance = second.value();
        EXPECT_FALSE(describe_module(*module, m_arena, info).is_error());
    }
    ~Loaded()
    {
        if (ir_instance)
            destroy_instance(ir_instance);
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
        ctx.buffers = reinterpret_cast<const Value*>(ir_instance->buffers);
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
    ModuleInstance* instance { nullptr };    // the interpreter's
    ModuleInstance* ir_instance { nullptr }; // buffers for the IR evaluator
    ModuleInfo info {};
    // Which IR the evaluator's calls run: optimised (default) or as built.
    bool plain_callees { false };

private:
    static ErrorOr<Value> call_hook(void* user, u32 function, const Value* args, u32 depth)
    {
        auto* self = static_cast<Loaded*>(user);
        Function*& fn = (self->plain_callees ? self->m_plain_callees : self->m_callees)[function];
        if (!fn)
            fn = self->build(function, false, self->plain_callees);
        if (!fn)
            return Error::NotSupported;
        EvalContext ctx {};
        ctx.buffers = reinterpret_cast<const Value*>(self->ir_instance->buffers);
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
    std::map<u32, Function*> m_plain_callees;
};

// Buffer contents with every f32 NaN made canonical: no Flow program can
// observe a NaN's payload.
std::vector<u32> buffer_words(const ModuleInstance& instance, u32 b)
{
    const View& view = instance.buffers[b];
    std::vector<u32> words(view.length);
    std::memcpy(words.data(), view.base, 4u * view.length);
    if (instance.module->buffers[b].type == ValueType::ViewF32)
        for (u32& w : words)
            if ((w & 0x7F800000u) == 0x7F800000u && (w & 0x007FFFFFu))
                w = 0x7FC00000u;
    return words;
}

bool same_outcome(const Outcome& x, const Outcome& y, ValueType type)
{
    if (x.error != y.error)
        return false;
    if (x.error != Error::Ok || type == ValueType::Void)
        return true;
    if (type == ValueType::F32) {
        bool nan_x = (x.bits & 0x7F800000u) == 0x7F800000u && (x.bits & 0x007FFFFFu);
        bool nan_y = (y.bits & 0x7F800000u) == 0x7F800000u && (y.bits & 0x007FFFFFu);
        if (nan_x && nan_y)
            return true;
    }
    return x.bits == y.bits;
}

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
            m.plain_callees = false;
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
    { "SAXPY", "saxpy", "function: map", "map s*x+y" },
    { "RELU", "relu", "function: map", "map max(x,0)" },
    { "SCALE", "scale", "function: map", "map s*x" },
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
        if (*e.pattern) {
            EXPECT_NE(text.find(e.pattern), std::string::npos) << e.function << ":\n" << text << listing(*fn);
        }
        if (*e.loop) {
            EXPECT_NE(text.find(e.loop), std::string::npos) << e.function << ":\n" << text << listing(*fn);
        }
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

namespace {

// Random Flow programs from tests/gen/flowgen.py (the generator tier 1's
// differential test uses): every entry function's IR, as built and fully
// optimised, must give the interpreter's value or trap and leave the same
// buffers; and if any function compiles as a pattern, its native code must
// agree too. BAREFLOW_GEN_COUNT / BAREFLOW_GEN_SEED choose the programs.
TEST(Tier2Modules, GeneratedProgramsAgreeWithTheInterpreter)
{
    auto number = [](const char* name, u32 fallback) {
        const char* text = std::getenv(name);
        return text && *text ? static_cast<u32>(std::strtoul(text, nullptr, 10)) : fallback;
    };
    u32 count = number("BAREFLOW_GEN_COUNT", 80), seed = number("BAREFLOW_GEN_SEED", 2);
    const char* build = std::getenv("BAREFLOW_BUILD");
    const char* root = std::getenv("BAREFLOW_ROOT");
    std::string dir = std::string(build ? build : "build") + "/gen/tier2-seed" + std::to_string(seed) + "-n" + std::to_string(count);
    std::string command = "python3 " + std::string(root ? root : ".") + "/tests/gen/flowgen.py --compile --count "
        + std::to_string(count) + " --seed " + std::to_string(seed) + " --out " + dir + " > /dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    static const i32 ints[] = { 0, 1, -1, 2, 3, 5, 7, 16, 31, 100, -7, 2147483647, -2147483647 - 1 };
    static const float floats[] = { 0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.5f, 100.0f, 1e20f, 3e9f };
    u32 calls = 0, traps = 0, native_calls = 0;
    for (u32 index = 0; index < count; ++index) {
        char name[32];
        std::snprintf(name, sizeof(name), "/G%05u.BFM", index);
        std::string path = dir + name;
        Loaded m(path.c_str(), true);
        ASSERT_NE(m.module, nullptr) << path;
        std::mt19937 rng(seed * 7919u + index);
        for (u32 f = 0; f < m.module->function_count; ++f) {
            const ::FunctionInfo& info = m.module->functions[f];
            if (info.name[0] != 'e')
                continue;
            Function* plain = m.build(f, false, true);
            Function* optimised = m.build(f, false);
            Function* prepared = m.build(f, true);
            ASSERT_TRUE(plain && optimised && prepared) << path << " " << info.name;
            Executable exe;
            std::unique_ptr<u8[]> scratch(new u8[1 << 16]);
            x86::Assembler probe(scratch.get(), 1 << 16);
            bool compiles = !compile_pattern(*prepared, probe, CodegenOptions {}).is_error();
            StandaloneEntry native = nullptr;
            if (compiles) {
                // Which pattern does not matter here; agreement does.
                FunctionFibonacci fib;
                CompiledPattern expect = match_fibonacci(*prepared, fib) ? CompiledPattern::Fibonacci : CompiledPattern::Recurrence;
                FunctionRecurrence rec;
                if (!match_fibonacci(*prepared, fib) && !match_function_recurrence(*prepared, rec))
                    expect = CompiledPattern::Reduction; // only scalar parameters: reductions/maps cannot bind
                native = exe.compile(*prepared, expect);
            }
            for (int round = 0; round < 3; ++round) {
                std::vector<Value> args;
                for (u32 k = 0; k < info.param_count; ++k) {
                    if (info.register_types[k] == ValueType::F32)
                        args.push_back(Value::from_f32(floats[rng() % 9]));
                    else
                        args.push_back(Value::from_i32(rng() % 3 == 0 ? static_cast<i32>(rng() % 41) - 20 : ints[rng() % 13]));
                }
                Outcome reference = m.interpret(f, args);
                if (reference.error == Error::TrapStepLimit)
                    break;
                ++calls;
                traps += reference.error != Error::Ok;
                for (Function* fn : { plain, optimised }) {
                    // Both sides start from the same buffers (the state
                    // the last call left), then the interpreter runs again.
                    for (u32 b = 0; b < m.module->buffer_count; ++b)
                        std::memcpy(m.ir_instance->buffers[b].base, m.instance->buffers[b].base, 4u * m.instance->buffers[b].length);
                    Outcome again = m.interpret(f, args);
                    m.plain_callees = fn == plain;
                    Outcome got = m.evaluate_ir(*fn, args);
                    if (got.error == Error::Busy)
                        continue; // beyond the evaluator's step budget
                    EXPECT_TRUE(same_outcome(got, again, info.return_type))
                        << path << " " << info.name << (fn == plain ? " (as built)" : " (optimised)") << ": ir " << got << ", tier 0 " << again
                        << "\n" << listing(*fn);
                    for (u32 b = 0; b < m.module->buffer_count; ++b)
                        EXPECT_EQ(buffer_words(*m.ir_instance, b), buffer_words(*m.instance, b)) << path << " " << info.name << " buffer " << b;
                }
                if (native && m.module->buffer_count == 0) {
                    Outcome got = run_native(native, args);
                    EXPECT_TRUE(same_outcome(got, m.interpret(f, args), info.return_type)) << path << " " << info.name << " (native)";
                    ++native_calls;
                }
            }
        }
    }
    std::printf("generated programs: %u, calls compared: %u (%u traps), native pattern calls: %u\n", count, calls, traps, native_calls);
    EXPECT_GT(calls, count);
    EXPECT_GT(traps, count / 20);
}

}
