// build/host/flowrun as a user sees it: output format, exit codes and the
// messages for bad modules, bad arguments and traps.
#include "test_support.h"

#include <fstream>
#include <sys/wait.h>

using namespace test;

namespace {

struct Outcome {
    int status;
    std::string out; // stdout
    std::string err; // stderr
};

Outcome flowrun(const std::string& args)
{
    std::string err_file = "/tmp/flowrun_test_stderr_" + std::to_string(getpid());
    std::string command = build_dir() + "/host/flowrun " + args + " 2>" + err_file;
    Outcome run {};
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) {
        ADD_FAILURE() << "cannot run " << command;
        return run;
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0)
        run.out.append(chunk, n);
    int raw = pclose(pipe);
    run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    std::ifstream err(err_file);
    run.err.assign(std::istreambuf_iterator<char>(err), {});
    std::remove(err_file.c_str());
    return run;
}

std::string mod(const char* file) { return module_path(file); }

}

TEST(Flowrun, PrintsI32F32AndNothingForVoid)
{
    Outcome fib = flowrun(mod("FIB.BFM") + " fib_iter 40");
    EXPECT_EQ(fib.status, 0) << fib.err;
    EXPECT_EQ(fib.out, "102334155\n");
    Outcome dot = flowrun(mod("BENCH.BFM") + " bench_dot 4096");
    EXPECT_EQ(dot.status, 0) << dot.err;
    char expect[64];
    std::snprintf(expect, sizeof expect, "%.9g\n", 3071.625);
    EXPECT_EQ(dot.out, expect);
    Outcome gcd = flowrun(mod("GCD.BFM") + " gcd -48 0x12");
    EXPECT_EQ(gcd.out, "6\n");
    Outcome repeat = flowrun(mod("SUM.BFM") + " sum 10000 --repeat 3 --tier 0");
    EXPECT_EQ(repeat.status, 0);
    EXPECT_EQ(repeat.out, "49995000\n");
}

TEST(Flowrun, EveryTierGivesTheSameAnswers)
{
    for (const char* tier : { "0", "1", "2", "auto" }) {
        Outcome self_check = flowrun(mod("BENCH.BFM") + " main --tier " + tier);
        EXPECT_EQ(self_check.status, 0) << tier << ": " << self_check.err;
        EXPECT_EQ(self_check.out, "0\n") << tier;
        Outcome matmul = flowrun(mod("BENCH.BFM") + " bench_matmul 64 --repeat 3 --tier " + tier);
        EXPECT_EQ(matmul.out, "1048320\n") << tier << ": " << matmul.err;
    }
}

TEST(Flowrun, StatsGoToStderr)
{
    Outcome r = flowrun(mod("FIB.BFM") + " --stats fib_rec 10 --tier auto");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "55\n");
    EXPECT_NE(r.err.find("fib_rec"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("177"), std::string::npos) << "fib_rec(10) makes 177 calls: " << r.err;
    EXPECT_NE(r.err.find("ns per call"), std::string::npos) << r.err;
}

TEST(Flowrun, BadArgumentsExitWith2AndSayWhat)
{
    struct Case {
        std::string args;
        const char* says;
    };
    for (const Case& c : std::vector<Case> {
             { mod("FIB.BFM") + " fib_iter", "takes 1 argument" },
             { mod("FIB.BFM") + " fib_iter 1 2", "takes 1 argument" },
             { mod("FIB.BFM") + " fib_iter 1.5", "not an i32 literal" },
             { mod("FIB.BFM") + " fib_iter 3000000000", "not an i32 literal" },
             { mod("FIB.BFM") + " nothere 1", "no function 'nothere'" },
             { mod("DOT.BFM") + " dot 1 2 3", "view" },
             { mod("FIB.BFM") + " fib_iter 1 --tier 3", "--tier 3" },
             { mod("FIB.BFM") + " fib_iter 1 --repeat 0", "--repeat" },
             { mod("FIB.BFM") + " fib_iter 1 --bogus", "unknown option" },
             { "/nonexistent.bfm f", "cannot read" },
         }) {
        Outcome r = flowrun(c.args);
        EXPECT_EQ(r.status, 2) << c.args;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << " -> " << r.err;
        EXPECT_EQ(r.out, "");
    }
}

TEST(Flowrun, InvalidModuleExitsWith2AndNamesTheOffset)
{
    auto bytes = host::read_file(mod("FIB.BFM"));
    ASSERT_FALSE(bytes.empty());
    bytes[bytes.size() - 3] ^= 0xFF;
    std::string path = "/tmp/flowrun_test_bad_" + std::to_string(getpid()) + ".bfm";
    {
        std::ofstream f(path, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    Outcome r = flowrun(path + " fib_iter 3");
    std::remove(path.c_str());
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("invalid module"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("offset 0x1c"), std::string::npos) << "the CRC field: " << r.err;
}

TEST(Flowrun, TrapExitsWith3AndNamesTrapAndFunction)
{
    Outcome r = flowrun(mod("GCD.BFM") + " gcd_rec -2147483648 -1");
    EXPECT_EQ(r.status, 3) << r.out << r.err;
    EXPECT_NE(r.err.find("TrapOverflow"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'gcd_rec'"), std::string::npos) << r.err;
    Outcome deep = flowrun(mod("FIB.BFM") + " fib_rec 100000");
    EXPECT_EQ(deep.status, 3) << "fib_rec(100000) recurses deeper than 512 frames";
    EXPECT_NE(deep.err.find("TrapCallDepth"), std::string::npos) << deep.err;
    EXPECT_NE(deep.err.find("'fib_rec'"), std::string::npos) << deep.err;
}

TEST(Flowrun, HelpListsExitCodes)
{
    Outcome r = flowrun("--help");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("Exit status"), std::string::npos);
    EXPECT_NE(r.out.find("3  trap"), std::string::npos);
}
