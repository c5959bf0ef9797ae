// build/host/flowrun's JIT options as a user sees them: --tier 1, --tier auto
// with tier-ups at the thresholds in --stats, --thresholds, and the errors.
#include "jit_harness.h"

#include <sstream>
#include <unistd.h>

using namespace JitTest;

namespace {

struct FlowrunResult {
    int status;
    std::string out;
    std::string err;
};

std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

FlowrunResult flowrun(const std::string& args)
{
    std::string tag = std::to_string(getpid());
    std::string out = "/tmp/flowrun_tier_out_" + tag, err = "/tmp/flowrun_tier_err_" + tag;
    std::string command = build_dir() + "/host/flowrun " + args + " >" + out + " 2>" + err;
    int raw = std::system(command.c_str());
    FlowrunResult r { WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err) };
    std::remove(out.c_str());
    std::remove(err.c_str());
    return r;
}

std::string bench() { return build_dir() + "/modules/BENCH.BFM"; }

// The line of the --stats table for `function`.
std::string stats_line(const std::string& err, const std::string& function)
{
    std::istringstream in(err);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(function + " ", 0) == 0)
            return line;
    return "";
}

}

TEST(FlowrunTiers, Tier1RunsEverythingCompiled)
{
    FlowrunResult r = flowrun(bench() + " main --tier 1 --stats");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "0\n");
    std::string line = stats_line(r.err, "fib_rec");
    ASSERT_FALSE(line.empty()) << r.err;
    EXPECT_NE(line.find(" 1  1@0"), std::string::npos) << "tier 1, compiled before the first call: " << line;
}

TEST(FlowrunTiers, AutoTiersUpAtTheDefaultThresholds)
{
    // bench_gcd(50) calls gcd 2,401 times: tier 1 at its 100th call.
    FlowrunResult r = flowrun(bench() + " bench_gcd 50 --tier auto --stats");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "6385\n");
    EXPECT_NE(r.err.find("tier 0->1 after 100 calls or 1000 loop iterations"), std::string::npos) << r.err;
    std::string gcd = stats_line(r.err, "gcd");
    EXPECT_NE(gcd.find("2401"), std::string::npos) << gcd;
    EXPECT_NE(gcd.find("1@100 "), std::string::npos) << gcd;
    // bench_gcd itself runs once; its loops make it hot during that call.
    EXPECT_NE(stats_line(r.err, "bench_gcd").find("1@1 "), std::string::npos) << r.err;
}

TEST(FlowrunTiers, ThresholdsMoveTheTierUps)
{
    FlowrunResult r = flowrun(bench() + " fib_rec 12 --tier auto --thresholds 7,70,700 --stats");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "144\n");
    std::string line = stats_line(r.err, "fib_rec");
    EXPECT_NE(line.find("1@7 "), std::string::npos) << line;
    // Tier 2 (registered by flowrun) comes at call 70 and computes the rest
    // of the recursion without calls.
    EXPECT_NE(line.find("2@70 "), std::string::npos) << line;
}

TEST(FlowrunTiers, RepeatedHostCallsTierUpTheEntryFunction)
{
    // is_prime(1) returns before its loop: the call counter decides.
    FlowrunResult r = flowrun(bench() + " is_prime 1 --repeat 250 --stats");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "0\n");
    EXPECT_NE(stats_line(r.err, "is_prime").find("1@100 "), std::string::npos) << r.err;
    // fib_iter(30) jumps back 29 times per call: the loop threshold (1000)
    // is reached during the 35th call.
    r = flowrun(bench() + " fib_iter 30 --repeat 250 --stats");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "832040\n");
    EXPECT_NE(stats_line(r.err, "fib_iter").find("1@35 "), std::string::npos) << r.err;
}

TEST(FlowrunTiers, TrapsAreTheSameAtEveryTier)
{
    std::string tier0_message;
    for (const char* tier : { "0", "1", "auto" }) {
        FlowrunResult r = flowrun(bench() + " gcd_rec -2147483648 -1 --tier " + tier);
        EXPECT_EQ(r.status, 3) << tier << ": " << r.err;
        EXPECT_NE(r.err.find("TrapOverflow"), std::string::npos) << tier << ": " << r.err;
        // Word for word, function and bytecode offset included.
        if (tier0_message.empty())
            tier0_message = r.err;
        EXPECT_EQ(r.err, tier0_message) << "--tier " << tier;
        FlowrunResult deep = flowrun(bench() + " fib_rec 600 --tier " + tier);
        EXPECT_EQ(deep.status, 3) << tier << ": " << deep.err;
        EXPECT_NE(deep.err.find("TrapCallDepth"), std::string::npos) << tier << ": " << deep.err;
    }
}

TEST(FlowrunTiers, BadTierOptionsExitWith2)
{
    for (const char* args : { " fib_iter 1 --tier 3", " fib_iter 1 --thresholds 1,2", " fib_iter 1 --thresholds 10,5,20",
             " fib_iter 1 --thresholds x,y,z", " fib_iter 1 --thresholds" }) {
        FlowrunResult r = flowrun(bench() + args);
        EXPECT_EQ(r.status, 2) << args;
        EXPECT_NE(r.err.find("--t"), std::string::npos) << args << " -> " << r.err;
        EXPECT_EQ(r.out, "");
    }
}
