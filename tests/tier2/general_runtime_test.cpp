// The general code generator's tier-ABI path inside the JIT runtime, alone:
// a test-local tier-2 compiler that uses only compile_general (never a
// pattern) installs the code in the dispatch table, and calls through it
// must agree with the interpreter.
#include "../jit/jit_harness.h"

#include <microjit/tier2/codegen_general.h>
#include <microjit/tier2/module_adapter.h>
#include <microjit/tier2/optimize.h>
#include <microjit/tier2/ssa_builder.h>

#include <climits>
#include <memory>

using namespace JitTest;

namespace {

class GeneralOnlyCompiler final : public TierCompiler {
public:
    ErrorOr<CodeBlock> compile(const NativeEnvironment& env, u32 function, CodePool& pool, CompileReason) override
    {
        Tier2::Arena arena(m_scratch.data(), m_scratch.size());
        Tier2::ModuleInfo info;
        TRY(Tier2::describe_module(*env.instance->module, arena, info));
        Tier2::Function* fn = TRY(Tier2::build_function(arena, info, function));
        Tier2::OptimizeStats stats {};
        TRY(Tier2::optimize(*fn, stats));
        constexpr usize capacity = 8192;
        u8* code = static_cast<u8*>(TRY(pool.allocate(capacity)));
        auto a = std::make_unique<x86::Assembler>(code, capacity);
        Tier2::CodegenOptions options;
        options.tier_abi = &env;
        options.function = function;
        auto emitted = Tier2::compile_general(*fn, *a, options);
        auto size = emitted.is_error() ? ErrorOr<usize>(emitted.error()) : a->finish();
        if (size.is_error()) {
            pool.free(code);
            return size.error();
        }
        pool.shrink(code, size.value());
        return CodeBlock { code, static_cast<u32>(size.value()), CodeIsa::Sse2 };
    }
    u8 tier() const override { return 2; }

private:
    std::vector<u8> m_scratch = std::vector<u8>(1 << 20);
};

}

TEST(Tier2GeneralRuntime, CollatzAndGcdRunThroughDispatch)
{
    System system;
    GeneralOnlyCompiler compiler;
    system.runtime().set_compiler(2, &compiler);
    struct Case {
        const char* module;
        const char* function;
        u32 params;
    } cases[] = {
        { "modules/COLLATZ.BFM", "collatz", 1 },
        { "modules/GCD.BFM", "gcd", 2 },
    };
    const i32 values[] = { 0, 1, -1, 2, 7, 27, 97, 100, 1000, 48, 18, -36, INT_MIN, INT_MAX };
    for (const Case& c : cases) {
        const Module* module = system.load(c.module);
        ASSERT_NE(module, nullptr);
        Runner reference(system, *module, Mode::Interpreter);
        Runner native(system, *module, Mode::Interpreter);
        u32 f = native.function(c.function);
        auto compiled = native.jit().compile(f, 2);
        ASSERT_FALSE(compiled.is_error()) << c.function << ": " << error_name(compiled.error());
        EXPECT_EQ(native.jit().profile(f).tier, 2);
        for (i32 x : values)
            for (i32 y : values) {
                std::vector<Value> args = { i32v(x) };
                if (c.params == 2)
                    args.push_back(i32v(y));
                EXPECT_EQ(native.call(f, args), reference.call(f, args)) << c.function << "(" << x << ", " << y << ")";
                if (c.params == 1)
                    break;
            }
    }
}
