// The general tier-2 code generator (codegen_general.h) on the real Flow
// modules: every function it accepts is compiled from its optimised IR and
// run against the tier-0 interpreter over many argument sets, traps
// included; every blob must decode completely with the length decoder.
#include "harness.h"
#include "bytecode_builder.h"

#include <microjit/module/interpreter.h>
#include <microjit/module/module.h>
#include <microjit/tier2/codegen_general.h>
#include <microjit/tier2/codegen_general_alloc.h>
#include <microjit/tier2/eval.h>
#include <microjit/tier2/module_adapter.h>
#include <microjit/tier2/optimize.h>
#include <microjit/tier2/ssa_builder.h>
#include <microjit/x86/length_decoder.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <sys/mman.h>
#include <vector>

using namespace Tier2;
using Tier2Test::listing;

namespace {

class HeapAllocator final : public ModuleAllocator {
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

struct Outcome {
    Error error { Error::Ok };
    u32 bits { 0 };
    bool operator==(const Outcome& o) const { return error == o.error && (error != Error::Ok || bits == o.bits); }
};
std::ostream& operator<<(std::ostream& os, const Outcome& o)
{
    if (o.error != Error::Ok)
        return os << "trap " << error_name(o.error);
    return os << "i32 " << static_cast<i32>(o.bits);
}

class GeneralNative {
public:
    GeneralNative() { m_memory = static_cast<u8*>(mmap(nullptr, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)); }
    ~GeneralNative() { munmap(m_memory, size); }
    StandaloneEntry compile(const Function& fn, GeneralStats* stats = nullptr, GeneralOptions general = {})
    {
        auto a = std::make_unique<x86::Assembler>(m_memory, size);
        auto r = compile_general(fn, *a, CodegenOptions {}, stats, general);
        EXPECT_FALSE(r.is_error()) << fn.info->name << ": " << error_name(r.error()) << "\n" << listing(fn);
        if (r.is_error())
            return nullptr;
        auto finished = a->finish();
        EXPECT_FALSE(finished.is_error()) << error_name(finished.error());
        if (finished.is_error())
            return nullptr;
        usize bad = 0;
        auto valid = x86::validate_code(m_memory, finished.value(), &bad);
        EXPECT_FALSE(valid.is_error()) << fn.info->name << ": undecodable at offset " << bad;
        return reinterpret_cast<StandaloneEntry>(m_memory);
    }

private:
    static constexpr usize size = 1 << 16;
    u8* m_memory { nullptr };
};

Outcome run_native(StandaloneEntry entry, const std::vector<Value>& args, u32 depth = 1)
{
    Value result {};
    Outcome o;
    o.error = static_cast<Error>(entry(args.data(), &result, depth));
    if (o.error == Error::Ok)
        o.bits = static_cast<u32>(result.i);
    return o;
}

const char* all_modules[] = { "BENCH", "COLLATZ", "DOT", "FIB", "GCD", "MATMUL", "PRIMES", "RELU", "SAXPY", "SCALE", "SUM" };

std::vector<i32> interesting()
{
    std::vector<i32> v = { 0, 1, -1, 2, -2, 3, 7, 10, 27, 97, 100, 255, 1000, -1000, INT_MIN, INT_MAX, INT_MIN + 1 };
    std::mt19937 rng(7);
    for (int i = 0; i < 24; ++i)
        v.push_back(static_cast<i32>(rng() % 4001) - 2000);
    return v;
}

}

TEST(Tier2General, AgreesWithTheInterpreterOnEveryAcceptedModuleFunction)
{
    const char* build = std::getenv("BAREFLOW_BUILD");
    std::set<std::string> compiled;
    int compared = 0, traps = 0;
    u32 selects = 0;
    const std::vector<i32> values = interesting();
    for (const char* name : all_modules) {
        std::string path = std::string(build ? build : "build") + "/modules/" + name + ".BFM";
        std::ifstream in(path, std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), {});
        ASSERT_FALSE(bytes.empty()) << "missing " << path;
        HeapAllocator allocator;
        ModuleDiagnostic diagnostic {};
        auto loaded = load_module(bytes.data(), bytes.size(), allocator, &diagnostic);
        ASSERT_FALSE(loaded.is_error()) << diagnostic.message;
        Module* module = loaded.value();
        InstanceConfig config {};
        config.step_limit = 2'000'000; // some argument sets never end (collatz cycles under wrap-around)
        auto instance_or = create_instance(*module, allocator, config);
        ASSERT_FALSE(instance_or.is_error());
        ModuleInstance* instance = instance_or.value();
        std::vector<u8> memory(16 << 20);
        Arena arena(memory.data(), memory.size());
        ModuleInfo info;
        ASSERT_FALSE(describe_module(*module, arena, info).is_error());
        GeneralNative native, converted;
        for (u32 f = 0; f < module->function_count; ++f) {
            auto built = build_function(arena, info, f);
            ASSERT_FALSE(built.is_error());
            Function* fn = built.value();
            OptimizeStats stats {};
            ASSERT_FALSE(optimize(*fn, stats).is_error());
            if (!general_supports(*fn, false)) {
                // Refused functions must be refused cleanly, never half-emitted.
                x86::Assembler a(memory.data(), 16);
                EXPECT_EQ(compile_general(*fn, a, CodegenOptions {}).error(), Error::JitUnsupported);
                continue;
            }
            StandaloneEntry entry = native.compile(*fn);
            ASSERT_NE(entry, nullptr);
            // The same function with if-conversion, in a second code area.
            GeneralStats select_stats {};
            StandaloneEntry selected = converted.compile(*fn, &select_stats, GeneralOptions { true });
            ASSERT_NE(selected, nullptr);
            selects += select_stats.selects;
            compiled.insert(std::string(name) + "." + module->functions[f].name);
            u32 params = module->functions[f].param_count;
            std::mt19937 rng(f + 1);
            int sets = params == 0 ? 1 : 200;
            for (int s = 0; s < sets; ++s) {
                std::vector<Value> args;
                for (u32 p = 0; p < params; ++p)
                    args.push_back(Value::from_i32(values[rng() % values.size()]));
                // primes-like loops over huge n take seconds; bound the work.
                bool big = false;
                for (auto& v : args)
                    big |= v.i > 100000;
                if (big && std::string(module->functions[f].name).find("prime") != std::string::npos)
                    continue;
                auto r = call_function(*instance, f, args.data(), params);
                Outcome reference;
                if (r.is_error())
                    reference.error = r.error();
                else
                    reference.bits = static_cast<u32>(r.value().i);
                if (reference.error == Error::TrapStepLimit)
                    continue; // the native code has no step limit
                Outcome got = run_native(entry, args);
                EXPECT_EQ(got, reference) << name << "." << module->functions[f].name << " args " << (params ? args[0].i : 0) << (params > 1 ? ", " + std::to_string(args[1].i) : std::string());
                EXPECT_EQ(run_native(selected, args), reference) << name << "." << module->functions[f].name << " with CMOV";
                ++compared;
                traps += reference.error != Error::Ok;
            }
        }
        destroy_instance(instance);
        destroy_module(module, allocator);
    }
    // The functions the issue names must be among those compiled.
    EXPECT_TRUE(compiled.count("COLLATZ.collatz")) << "collatz not compiled";
    EXPECT_TRUE(compiled.count("GCD.gcd")) << "gcd not compiled";
    EXPECT_GT(compared, 400);
    EXPECT_GE(selects, 2u) << "collatz's even/odd diamond (and collatz_max's) should become CMOV when asked";
}


// Every i32 opcode the generator takes, on its own and on edge values
// (division by zero, INT_MIN / -1, shift counts past 31), against the IR
// evaluator, which agrees with the interpreter (modules_test.cpp).
TEST(Tier2General, EveryI32OpcodeAndItsTrapsAgreeWithTheEvaluator)
{
    using Tier2Test::FunctionBuilder;
    using Tier2Test::ModuleBuilder;
    const Opcode binary[] = { Opcode::ADD_I32, Opcode::SUB_I32, Opcode::MUL_I32, Opcode::DIV_I32, Opcode::REM_I32,
        Opcode::AND_I32, Opcode::OR_I32, Opcode::XOR_I32, Opcode::SHL_I32, Opcode::SHR_I32, Opcode::MIN_I32,
        Opcode::MAX_I32, Opcode::EQ_I32, Opcode::NE_I32, Opcode::LT_I32, Opcode::LE_I32, Opcode::GT_I32, Opcode::GE_I32 };
    const Opcode unary[] = { Opcode::NEG_I32, Opcode::NOT_I32, Opcode::EQZ_I32, Opcode::ABS_I32 };
    const i32 values[] = { 0, 1, -1, 2, -7, 31, 32, 33, 100, -100, -4, -5, INT_MIN, INT_MAX, INT_MIN + 1 };
    int traps = 0;
    auto check = [&](ModuleBuilder& m, const char* what) {
        const ModuleInfo& mod = m.finish();
        std::vector<u8> memory(1 << 20);
        Arena arena(memory.data(), memory.size());
        auto built = build_function(arena, mod, 0);
        ASSERT_FALSE(built.is_error());
        Function* fn = built.value();
        GeneralNative native;
        StandaloneEntry entry = native.compile(*fn);
        ASSERT_NE(entry, nullptr) << what;
        for (i32 x : values)
            for (i32 y : values) {
                std::vector<Value> args = { Value::from_i32(x), Value::from_i32(y) };
                std::vector<u8> eval_memory(1 << 16);
                Arena eval_arena(eval_memory.data(), eval_memory.size());
                EvalContext ctx {};
                ctx.depth = 1;
                ctx.step_limit = 1'000'000;
                auto r = evaluate(*fn, args.data(), ctx, eval_arena);
                Outcome expected;
                if (r.is_error())
                    expected.error = r.error();
                else
                    expected.bits = static_cast<u32>(r.value().i);
                traps += expected.error != Error::Ok;
                EXPECT_EQ(run_native(entry, args), expected) << what << " " << x << " " << y;
            }
    };
    for (Opcode op : binary) {
        ModuleBuilder m;
        auto& f = m.function("bin", { Type::I32, Type::I32 }, Type::I32);
        u8 t = f.reg(Type::I32);
        f.op(op, t, 0, 1);
        f.ret(t);
        check(m, "binary");
    }
    for (Opcode op : { Opcode::DIV_I32, Opcode::REM_I32 })
        for (i32 divisor : { 1, 2, 4, 8, 1 << 16, 1 << 30, 3, -2, -1, 0 }) {
            // A constant divisor (powers of two take a shift path).
            ModuleBuilder m;
            auto& f = m.function("divc", { Type::I32, Type::I32 }, Type::I32);
            u8 c = f.reg(Type::I32), t = f.reg(Type::I32);
            f.const_i32(c, divisor);
            f.op(op, t, 0, c);
            f.ret(t);
            check(m, "constant divisor");
        }
    for (Opcode op : unary) {
        ModuleBuilder m;
        auto& f = m.function("un", { Type::I32, Type::I32 }, Type::I32);
        u8 t = f.reg(Type::I32);
        f.op(op, t, 0);
        f.ret(t);
        check(m, "unary");
    }
    {
        // A loop that swaps two values each round: the phis read each other,
        // so the edge copies must be parallel.  r = a, s = b; repeat
        // (b & 7) times: (r, s) = (s, r + 1); return r * 1000 + s.
        ModuleBuilder m;
        auto& f = m.function("swap", { Type::I32, Type::I32 }, Type::I32);
        u8 r = f.reg(Type::I32), s = f.reg(Type::I32), t = f.reg(Type::I32), i = f.reg(Type::I32), n = f.reg(Type::I32);
        f.mov(r, 0);
        f.mov(s, 1);
        f.const_i32(t, 7);
        f.op(Opcode::AND_I32, n, 1, t);
        f.const_i32(i, 0);
        int done = f.label(), top = f.label();
        f.br(Opcode::BR_GE_I32, i, n, done);
        f.bind(top);
        f.op_imm(Opcode::ADDI_I32, t, r, 1);
        f.mov(r, s);
        f.mov(s, t);
        f.forloop(i, n, top);
        f.bind(done);
        f.op_imm(Opcode::MULI_I32, t, r, 1000);
        f.op(Opcode::ADD_I32, t, t, s);
        f.ret(t);
        check(m, "swap loop");
    }
    EXPECT_GT(traps, 10); // division by zero and INT_MIN / -1 were exercised
}

// Register pressure: ten values computed before a loop and read after it
// cannot all have a register next to the loop's own values. The allocator
// must keep the loop's phis in registers and send the cold values to the
// frame, and the code must still agree with the evaluator, for i32 (five
// GPRs) and f32 (seven XMM registers).
TEST(Tier2General, PressureSpillsColdValuesAndKeepsLoopValuesInRegisters)
{
    using Tier2Test::FunctionBuilder;
    using Tier2Test::ModuleBuilder;
    for (Type type : { Type::I32, Type::F32 }) {
        bool f32 = type == Type::F32;
        ModuleBuilder m;
        auto& f = m.function("pressure", { type, type, Type::I32 }, type);
        const Opcode add = f32 ? Opcode::ADD_F32 : Opcode::ADD_I32;
        const Opcode mul = f32 ? Opcode::MUL_F32 : Opcode::MUL_I32;
        // cold[k] = p0 * (k + 3) + p1
        std::vector<u8> cold;
        u8 c = f.reg(type);
        for (int k = 0; k < 10; ++k) {
            u8 v = f.reg(type);
            if (f32)
                f.const_f32(c, static_cast<float>(k + 3) * 0.5f);
            else
                f.const_i32(c, k + 3);
            f.op(mul, v, 0, c);
            f.op(add, v, v, 1);
            cold.push_back(v);
        }
        // s = p1; for i in 0..(p2 & 15): s = s * p0 + p1
        u8 s = f.reg(type), i = f.reg(Type::I32), zero = f.reg(Type::I32), n = f.reg(Type::I32), mask = f.reg(Type::I32);
        f.mov(s, 1);
        f.const_i32(zero, 0);
        f.const_i32(mask, 15);
        f.op(Opcode::AND_I32, n, 2, mask);
        f.for_range(i, zero, n, [&] {
            f.op(mul, s, s, 0);
            f.op(add, s, s, 1);
        });
        for (u8 v : cold)
            f.op(add, s, s, v);
        f.ret(s);
        const ModuleInfo& mod = m.finish();

        std::vector<u8> memory(1 << 20);
        Arena arena(memory.data(), memory.size());
        Function* fn = build_function(arena, mod, 0).value();
        OptimizeStats stats {};
        ASSERT_FALSE(optimize(*fn, stats).is_error());
        auto layout = allocate_registers(*fn, false);
        ASSERT_FALSE(layout.is_error());
        EXPECT_GE(layout.value().spilled, 3u) << (f32 ? "f32" : "i32") << "\n" << listing(*fn);
        ASSERT_GE(fn->loop_count, 1u);
        for (Inst* phi = fn->loops[0]->header->first; phi && phi->op == Op::Phi; phi = phi->next) {
            Home home = layout.value().where[phi->id].home;
            EXPECT_TRUE(home == Home::Gpr || home == Home::Xmm) << "loop phi v" << phi->id << " is not in a register\n" << listing(*fn);
        }

        GeneralNative native;
        StandaloneEntry entry = native.compile(*fn);
        ASSERT_NE(entry, nullptr);
        for (i32 a : { 1, -3, 7, 1000 })
            for (i32 b : { 0, 2, -9 })
                for (i32 count : { 0, 1, 5, 15, 16 }) {
                    std::vector<Value> args = { f32 ? Value::from_f32(static_cast<float>(a) * 0.25f) : Value::from_i32(a),
                        f32 ? Value::from_f32(static_cast<float>(b)) : Value::from_i32(b), Value::from_i32(count) };
                    std::vector<u8> eval_memory(1 << 16);
                    Arena eval_arena(eval_memory.data(), eval_memory.size());
                    EvalContext ctx {};
                    ctx.depth = 1;
                    ctx.step_limit = 1'000'000;
                    auto r = evaluate(*fn, args.data(), ctx, eval_arena);
                    ASSERT_FALSE(r.is_error());
                    Outcome expected;
                    expected.bits = static_cast<u32>(r.value().i);
                    EXPECT_EQ(run_native(entry, args), expected) << (f32 ? "f32 " : "i32 ") << a << " " << b << " " << count;
                }
    }
}

// Bounds-check elimination by loop versioning: b[i] = a[i + 1] * 3 and
// s += a[i] over i in 0..n. The loop runs without compares when the guard at
// its entry holds (n + 1 <= len(a), n <= len(b)), and the checked copy runs
// otherwise, storing exactly the elements tier 0 stores before it traps at
// the same access.
TEST(Tier2General, GuardedLoopsRunUncheckedAndTrapWhereTier0Does)
{
    using Tier2Test::FunctionBuilder;
    using Tier2Test::ModuleBuilder;
    ModuleBuilder m;
    auto& f = m.function("scale_next", { Type::ViewI32, Type::ViewI32, Type::I32 }, Type::I32);
    u8 i = f.reg(Type::I32), zero = f.reg(Type::I32), j = f.reg(Type::I32), x = f.reg(Type::I32), s = f.reg(Type::I32);
    f.const_i32(zero, 0);
    f.const_i32(s, 0);
    f.for_range(i, zero, 2, [&] {
        f.op_imm(Opcode::ADDI_I32, j, i, 1);
        f.load(Opcode::LOAD_I32, x, 0, j);
        f.op(Opcode::ADD_I32, s, s, x);
        f.op_imm(Opcode::MULI_I32, x, x, 3);
        f.store(Opcode::STORE_I32, 1, i, x);
    });
    f.ret(s);
    const ModuleInfo& mod = m.finish();
    std::vector<u8> memory(1 << 20);
    Arena arena(memory.data(), memory.size());
    Function* fn = build_function(arena, mod, 0).value();
    OptimizeStats opt {};
    ASSERT_FALSE(optimize(*fn, opt).is_error());
    ASSERT_GE(opt.unchecked, 2u) << listing(*fn);
    GeneralNative native;
    GeneralStats stats {};
    StandaloneEntry entry = native.compile(*fn, &stats);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(stats.versioned_loops, 1u);
    int traps = 0;
    for (u32 len_a : { 0u, 5u, 9u })
        for (u32 len_b : { 0u, 4u, 8u })
            for (i32 n : { -3, 0, 1, 4, 8, 9, 20 }) {
                std::vector<i32> a(len_a + 1), b_native(len_b + 1, -1), b_eval(len_b + 1, -1);
                for (u32 k = 0; k < a.size(); ++k)
                    a[k] = static_cast<i32>(k * 7) - 5;
                std::vector<Value> args_native = { Value::from_view(a.data(), len_a), Value::from_view(b_native.data(), len_b), Value::from_i32(n) };
                std::vector<Value> args_eval = { Value::from_view(a.data(), len_a), Value::from_view(b_eval.data(), len_b), Value::from_i32(n) };
                std::vector<u8> eval_memory(1 << 16);
                Arena eval_arena(eval_memory.data(), eval_memory.size());
                EvalContext ctx {};
                ctx.depth = 1;
                ctx.step_limit = 1'000'000;
                auto r = evaluate(*fn, args_eval.data(), ctx, eval_arena);
                Outcome expected;
                if (r.is_error())
                    expected.error = r.error();
                else
                    expected.bits = static_cast<u32>(r.value().i);
                traps += expected.error != Error::Ok;
                EXPECT_EQ(ctx.fact_violations, 0u);
                EXPECT_EQ(run_native(entry, args_native), expected) << len_a << " " << len_b << " " << n;
                EXPECT_EQ(b_native, b_eval) << len_a << " " << len_b << " " << n << ": memory";
            }
    EXPECT_GT(traps, 10);
}
