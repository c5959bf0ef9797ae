// The mutation test: thousands of corrupted variants of valid modules (bit
// flips, byte overwrites, truncation, extension, hostile u32 fields), most
// with their checksums repaired so that the deeper rules are reached. Every
// mutant must be rejected cleanly, or load and run every function to a
// result or a trap: never a crash, a hang, or a read outside its buffers.
// The binary is also built with AddressSanitizer and UBSan
// (module_asan_tests), which turn any stray access into a failure; a step
// budget (InstanceConfig::step_limit) bounds mutants that loop forever.
#include "test_support.h"

#include <cstdint>

using namespace test;

// In the sanitizer build, make the first UBSan report fatal: by default
// UBSan prints and carries on, and the test would pass regardless.
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

// splitmix64: small, fast, and the same sequence everywhere.
class Random {
public:
    explicit Random(u64 seed) : m_state(seed) { }
    u64 next()
    {
        u64 z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    u32 below(u32 n) { return static_cast<u32>(next() % n); }

private:
    u64 m_state;
};

// Modules whose functions do something when they run: loops, calls,
// recursion, buffers, traps.
std::vector<u8> handmade_module()
{
    ModuleBuilder b;
    b.name = "MUTANT";
    b.buffers.push_back({ "B", VI32, 8 });
    auto& loop = b.function("loop", { I32 }, I32, { I32, I32, VI32 });
    loop.code.op(Opcode::CONST_I32, { 1, 0 })      // 0: s = 0
        .op(Opcode::CONST_I32, { 2, 0 })           // 6: i = 0
        .op(Opcode::GVIEW, { 3, 0 })               // 12
        .op(Opcode::BR_GE_I32, { 2, 0, 45 })       // 16
        .op(Opcode::STORE_I32, { 3, 2, 1 })        // 23: B[i] = s (traps past 8)
        .op(Opcode::ADD_I32, { 1, 1, 2 })          // 27
        .op(Opcode::CALL, { 1, 1, 1 })             // 31: s = rec(s)
        .op(Opcode::FORLOOP, { 2, 0, 23 })         // 36
        .op(Opcode::RET, { 1 })                    // 43
        .op(Opcode::RET, { 1 });                   // 45
    auto& rec = b.function("rec", { I32 }, I32, { I32, I32 });
    rec.code.op(Opcode::CONST_I32, { 1, 3 })       // 0
        .op(Opcode::BR_LT_I32, { 0, 1, 23 })       // 6
        .op(Opcode::ADDI_I32, { 2, 0, static_cast<u32>(-3) }) // 13
        .op(Opcode::CALL, { 2, 1, 2 })             // 20... (5 bytes) -> 25? see below
        .op(Opcode::RET, { 2 });
    // Recompute the branch target: the `ret r0` goes after the recursion.
    u32 ret_at = rec.code.here();
    rec.code.op(Opcode::RET, { 0 });
    std::memcpy(&rec.code.bytes[6 + 3], &ret_at, 4);
    auto& fl = b.function("floats", { F32, VF32 }, F32, { F32, I32, I32 });
    fl.code.op(Opcode::EXP_F32, { 2, 0 })
        .op(Opcode::LEN, { 3, 1 })
        .op(Opcode::I32_FROM_F32, { 4, 0 })
        .op(Opcode::DIV_I32, { 4, 3, 4 })
        .op(Opcode::SQRT_F32, { 2, 2 })
        .op(Opcode::RET, { 2 });
    return b.build();
}

std::vector<std::vector<u8>> corpus()
{
    std::vector<std::vector<u8>> seeds;
    for (const char* file : { "FIB.BFM", "SUM.BFM", "GCD.BFM", "DOT.BFM", "MATMUL.BFM", "PRIMES.BFM", "COLLATZ.BFM", "BENCH.BFM" }) {
        auto bytes = host::read_file(module_path(file));
        if (!bytes.empty())
            seeds.push_back(bytes);
    }
    seeds.push_back(handmade_module());
    return seeds;
}

void mutate(std::vector<u8>& file, Random& rng)
{
    static const u32 hostile[] = { 0, 1, 2, 3, 4, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 128, 255, 256 };
    u32 edits = 1 + rng.below(3);
    for (u32 e = 0; e < edits && !file.empty(); ++e) {
        u32 at = rng.below(static_cast<u32>(file.size()));
        switch (rng.below(7)) {
        case 0:
        case 1:
            file[at] ^= static_cast<u8>(1u << rng.below(8));
            break;
        case 2:
            file[at] = static_cast<u8>(rng.next());
            break;
        case 3: { // a hostile u32, often aimed at the header's fields
            if (rng.below(2))
                at = 24 + 4 * rng.below(17);
            u32 v = hostile[rng.below(sizeof(hostile) / sizeof(hostile[0]))];
            for (u32 i = 0; i < 4 && at + i < file.size(); ++i)
                file[at + i] = static_cast<u8>(v >> (8 * i));
            break;
        }
        case 4:
            file.resize(rng.below(static_cast<u32>(file.size()) + 1));
            break;
        case 5: {
            u32 extra = 1 + rng.below(64);
            for (u32 i = 0; i < extra; ++i)
                file.push_back(static_cast<u8>(rng.next()));
            break;
        }
        case 6: // an opcode byte somewhere in the second half (where code lives)
            file[file.size() / 2 + rng.below(static_cast<u32>(file.size() - file.size() / 2))] = static_cast<u8>(rng.below(0x74));
            break;
        }
    }
    // Most mutants get valid checksums, so that the verifier's deeper
    // rules, not the CRC, are what stops them.
    u32 repair = rng.below(10);
    if (repair < 5)
        ModuleBuilder::fix_size_and_checksums(file);
    else if (repair < 8)
        ModuleBuilder::fix_checksums(file);
}

bool is_trap(Error e)
{
    return e == Error::TrapDivideByZero || e == Error::TrapOverflow || e == Error::TrapOutOfBounds || e == Error::TrapCallDepth
        || e == Error::TrapBadConversion || e == Error::TrapStepLimit;
}

struct Tally {
    long rejected = 0, accepted = 0, calls = 0, traps = 0, returns = 0;
    long deep_rejections = 0; // rejected past the checksums
};

void run_mutant(const std::vector<u8>& file, Tally& tally)
{
    host::CountingAllocator allocator;
    ModuleDiagnostic d {};
    auto loaded = load_module(file.data(), file.size(), allocator, &d);
    if (loaded.is_error()) {
        ++tally.rejected;
        ASSERT_EQ(d.error, loaded.error());
        ASSERT_NE(d.message[0], '\0');
        ASSERT_TRUE(d.offset <= file.size() || d.error == Error::OutOfMemory) << d.message;
        if (d.error != Error::ModuleBadChecksum && d.error != Error::ModuleBadHash && d.error != Error::ModuleTruncated)
            ++tally.deep_rejections;
        ASSERT_EQ(allocator.live_allocations(), 0);
        return;
    }
    ++tally.accepted;
    Module* module = loaded.value();
    InstanceConfig config;
    config.step_limit = 20000;
    auto created = create_instance(*module, allocator, config);
    if (created.is_error()) {
        // A mutant may ask for buffers too large for this process.
        ASSERT_EQ(created.error(), Error::OutOfMemory);
        destroy_module(module, allocator);
        return;
    }
    ModuleInstance* instance = created.value();
    // Host memory for view parameters: small, so that out-of-bounds indices
    // are common; ASan watches the edges.
    std::vector<i32> ints(5, 3);
    std::vector<f32> floats(5, 0.5f);
    u32 functions = module->function_count < 12 ? module->function_count : 12;
    for (u32 f = 0; f < functions; ++f) {
        const FunctionInfo& info = module->functions[f];
        for (i32 variant : { 0, 3, -1 }) {
            std::vector<Value> args(info.param_count);
            for (u32 p = 0; p < info.param_count; ++p) {
                switch (info.register_types[p]) {
                case ValueType::I32:
                    args[p] = Value::from_i32(variant + static_cast<i32>(p));
                    break;
                case ValueType::F32:
                    args[p] = Value::from_f32(static_cast<f32>(variant) * 1.5f);
                    break;
                case ValueType::ViewI32:
                    args[p] = Value::from_view(ints.data(), static_cast<u32>(ints.size()));
                    break;
                default:
                    args[p] = Value::from_view(floats.data(), static_cast<u32>(floats.size()));
                    break;
                }
            }
            ++tally.calls;
            auto result = call_function(*instance, f, args.data(), info.param_count);
            if (result.is_error()) {
                ++tally.traps;
                ASSERT_TRUE(is_trap(result.error())) << error_name(result.error()) << " (" << static_cast<int>(result.error()) << ") trap " << error_name(instance->trap.error) << " in " << instance->trap.function << " at " << instance->trap.offset;
                ASSERT_LT(instance->trap.function, module->function_count);
            } else {
                ++tally.returns;
            }
            ASSERT_EQ(instance->call_depth, 0u);
            ASSERT_EQ(instance->stack_top, instance->stack_base);
        }
    }
    destroy_instance(instance);
    destroy_module(module, allocator);
    ASSERT_EQ(allocator.live_allocations(), 0);
}

}

TEST(Mutation, EveryMutantIsRejectedOrRunsToAResultOrATrap)
{
    auto seeds = corpus();
    ASSERT_GE(seeds.size(), 2u) << "the shipped modules are missing from " << module_path("");
    // The seeds themselves are valid.
    for (auto& s : seeds) {
        host::CountingAllocator allocator;
        ModuleDiagnostic d {};
        auto m = load_module(s.data(), s.size(), allocator, &d);
        ASSERT_FALSE(m.is_error()) << d.message;
        destroy_module(m.value(), allocator);
    }
    const char* env = std::getenv("MUTATION_SEED");
    Random rng(env ? std::strtoull(env, nullptr, 0) : 0xB0F1DEA5ull);
    Tally tally;
    const long mutants = 12000;
    for (long i = 0; i < mutants; ++i) {
        std::vector<u8> file = seeds[static_cast<size_t>(i) % seeds.size()];
        mutate(file, rng);
        SCOPED_TRACE("mutant " + std::to_string(i));
        run_mutant(file, tally);
        if (HasFatalFailure())
            return;
    }
    std::printf("mutants: %ld rejected (%ld past the checksums), %ld accepted; %ld calls: %ld returned, %ld trapped\n", tally.rejected,
        tally.deep_rejections, tally.accepted, tally.calls, tally.returns, tally.traps);
    // The test must exercise both halves, or it proves nothing.
    EXPECT_GT(tally.deep_rejections, mutants / 10);
    EXPECT_GT(tally.accepted, mutants / 50);
    EXPECT_GT(tally.returns, 100);
    EXPECT_GT(tally.traps, 100);
}
