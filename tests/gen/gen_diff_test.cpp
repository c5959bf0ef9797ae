// Random programs from tests/gen/flowgen.py run at tier 0, at tier 1 and
// under `auto` (tier-ups while running, low thresholds): every call must give
// the same value or the same trap, and leave the same buffer contents.
//
// BAREFLOW_GEN_COUNT (default 300) and BAREFLOW_GEN_SEED (default 1) choose
// the programs; a mismatch names the .flow file, the function and arguments.
#include "../jit/jit_harness.h"

#include <algorithm>
#include <dirent.h>
#include <random>
#include <sstream>

using namespace JitTest;

namespace {

u32 env_number(const char* name, u32 fallback)
{
    const char* text = std::getenv(name);
    return text && *text ? static_cast<u32>(std::strtoul(text, nullptr, 10)) : fallback;
}

std::string root_dir()
{
    const char* env = std::getenv("BAREFLOW_ROOT");
    return env ? env : ".";
}

std::vector<std::string> list_modules(const std::string& dir)
{
    std::vector<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name.size() > 4 && name.substr(name.size() - 4) == ".BFM")
                names.push_back(name.substr(0, name.size() - 4));
        }
        closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
}

Value random_argument(std::mt19937& rng, ValueType type)
{
    static const i32 ints[] = { 0, 1, -1, 2, 3, 5, 7, 16, 31, 100, 1000, -7, -1000, 2147483647, -2147483647 - 1, 65535 };
    static const float floats[] = { 0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.5f, -3.25f, 100.0f, 1e20f, -1e-20f, 3e9f, 7.0f };
    if (type == ValueType::F32) {
        if (rng() % 3 == 0)
            return f32v(static_cast<float>(static_cast<i32>(rng() % 2001) - 1000) / 8.0f);
        return f32v(floats[rng() % (sizeof(floats) / sizeof(floats[0]))]);
    }
    if (rng() % 3 == 0)
        return i32v(static_cast<i32>(rng() % 41) - 20);
    return i32v(ints[rng() % (sizeof(ints) / sizeof(ints[0]))]);
}

std::string describe_args(const std::vector<Value>& args, const FunctionInfo& fn)
{
    std::ostringstream out;
    for (u32 k = 0; k < args.size(); ++k) {
        if (k)
            out << ", ";
        if (fn.register_types[k] == ValueType::F32)
            out << args[k].f;
        else
            out << args[k].i;
    }
    return out.str();
}

// Buffer contents, with every NaN of an f32 buffer made canonical: no Flow
// program can observe a NaN's payload.
std::vector<u32> buffer_words(ModuleInstance& instance, u32 b)
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

} // namespace

TEST(GeneratedPrograms, EveryTierAgreesOnValuesTrapsAndBuffers)
{
    u32 count = env_number("BAREFLOW_GEN_COUNT", 300);
    u32 seed = env_number("BAREFLOW_GEN_SEED", 1);
    std::string dir = build_dir() + "/gen/seed" + std::to_string(seed) + "-n" + std::to_string(count);
    std::string command = "python3 " + root_dir() + "/tests/gen/flowgen.py --compile --count " + std::to_string(count)
        + " --seed " + std::to_string(seed) + " --out " + dir;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::vector<std::string> names = list_modules(dir);
    ASSERT_EQ(names.size(), count);

    u32 calls = 0, traps = 0, mismatches = 0, step_limited = 0, tiered_up = 0;
    for (u32 index = 0; index < names.size(); ++index) {
        const std::string& name = names[index];
        std::string source = dir + "/" + name + ".flow";
        System system({ 1u << 20, 8u << 20, 2u << 20 });
        ASSERT_FALSE(system.runtime().policy().parse_thresholds("2,4,8,16").is_error());
        const Module* module = system.load("gen/seed" + std::to_string(seed) + "-n" + std::to_string(count) + "/" + name + ".BFM");
        ASSERT_NE(module, nullptr) << source;
        Runner t0(system, *module, Mode::Interpreter, 2000000);
        Runner t1(system, *module, Mode::Tier1);
        Runner automatic(system, *module, Mode::Auto);
        std::mt19937 rng(seed * 7919u + index);

        bool stop = false;
        for (u32 round = 0; round < 4 && !stop; ++round) {
            for (u32 f = 0; f < module->function_count && !stop; ++f) {
                const FunctionInfo& fn = module->functions[f];
                if (fn.name[0] != 'e')
                    continue;
                std::vector<Value> args;
                for (u32 k = 0; k < fn.param_count; ++k)
                    args.push_back(random_argument(rng, fn.register_types[k]));
                Outcome expected = t0.call(f, args);
                if (expected.error == Error::TrapStepLimit) {
                    ++step_limited; // too long for the interpreter's budget: skip the rest
                    stop = true;
                    break;
                }
                Outcome at1 = t1.call(f, args);
                Outcome under_auto = automatic.call(f, args);
                ++calls;
                traps += expected.error != Error::Ok;
                bool same = expected == at1 && expected == under_auto;
                // A trap happens at the same place at every tier (except the
                // call-depth trap, which tier 0 charges to the caller).
                if (same && expected.error != Error::Ok && expected.error != Error::TrapCallDepth) {
                    const TrapInfo& where0 = t0.instance().trap;
                    const TrapInfo& where1 = t1.instance().trap;
                    // (Past 96 trap sites in a function tier 1 reports no offset.)
                    same = where0.function == where1.function
                        && (where0.offset == where1.offset || where1.offset == TrapInfo::unknown_offset);
                    if (!same)
                        ADD_FAILURE() << source << ": " << fn.name << " trap at function " << where0.function << " +" << where0.offset
                                      << " at tier 0, function " << where1.function << " +" << where1.offset << " at tier 1";
                }
                for (u32 b = 0; same && b < module->buffer_count; ++b)
                    same = buffer_words(t0.instance(), b) == buffer_words(t1.instance(), b)
                        && buffer_words(t0.instance(), b) == buffer_words(automatic.instance(), b);
                if (!same) {
                    ++mismatches;
                    ADD_FAILURE() << source << ": " << fn.name << "(" << describe_args(args, fn) << ") round " << round
                                  << "\n  tier 0: " << expected << "\n  tier 1: " << at1 << "\n  auto:   " << under_auto
                                  << (expected == at1 && expected == under_auto ? "\n  (buffers differ)" : "");
                    stop = true;
                }
            }
        }
        for (u32 f = 0; f < module->function_count; ++f)
            tiered_up += automatic.jit().profile(f).tier > 0;
        if (mismatches >= 10)
            break;
    }
    std::printf("generated programs: %u, calls compared: %u (%u traps), skipped for length: %u, functions tiered up under auto: %u\n",
        count, calls, traps, step_limited, tiered_up);
    EXPECT_GT(calls, count) << "too few calls ran to mean anything";
    EXPECT_GT(traps, count / 20) << "the generator should provoke traps";
    EXPECT_GT(tiered_up, count / 2) << "auto mode should tier functions up";
}
