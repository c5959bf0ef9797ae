// The file and print builtins at every tier (docs/flow-language.md,
// "Files" and "Printing"): the same results, bytes and console text at
// tier 0, tier 1 and with tier 2 forced (functions that do I/O stay at
// tier 1 there), over an in-memory host. Also: a buffer resized between
// calls is what every tier uses next, and print_f32 matches C's %.9g.
#include "jit_harness.h"

#include <map>
#include <microjit/module/files.h>
#include <microjit/runtime/format_number.h>
#include <microjit/tier2/tier2_compiler.h>
#include <random>

using namespace JitTest;

namespace {

class MemoryHost final : public ModuleHost {
public:
    std::map<std::string, std::vector<u8>> files;
    std::string console;
    bool read_only = false;

    i32 file_size(const char* path) override
    {
        auto it = files.find(path);
        return it == files.end() ? FileResult::Missing : static_cast<i32>(it->second.size());
    }
    i32 read_file(const char* path, u32 offset, void* dst, u32 bytes) override
    {
        auto it = files.find(path);
        if (it == files.end())
            return FileResult::Missing;
        u32 n = std::min<u32>(bytes, static_cast<u32>(it->second.size()) - offset);
        std::memcpy(dst, it->second.data() + offset, n);
        return static_cast<i32>(n);
    }
    i32 write_file(const char* path, const void* src, u32 bytes) override
    {
        if (read_only)
            return FileResult::CannotWrite;
        auto* p = static_cast<const u8*>(src);
        files[path] = std::vector<u8>(p, p + bytes);
        return static_cast<i32>(bytes);
    }
    void write_console(const char* text, u32 length) override { console.append(text, length); }
};

const char* const source = R"(
file DATA = "/DATA.BIN";
file OUT;
file MISSING = "/NOPE.BIN";
buf B: [i32; 8];
buf F: [f32; 4];

fn size() -> i32 { return file_size(DATA); }
fn size_of_unbound() -> i32 { return file_size(OUT); }
fn size_of_missing() -> i32 { return file_size(MISSING); }
fn read(at: i32, offset: i32, count: i32) -> i32 { return read_file(DATA, B, at, offset, count); }
fn read_missing() -> i32 { return read_file(MISSING, B, 0, 0, 1); }
fn read_unbound() -> i32 { return read_file(OUT, B, 0, 0, 1); }
fn get(i: i32) -> i32 { return B[i]; }
fn set(i: i32, v: i32) { B[i] = v; }
fn clear() { for i in 0..len(B) { B[i] = -1; } }
fn write(at: i32, count: i32) -> i32 { return write_file(OUT, B, at, count); }
fn blen() -> i32 { return len(B); }
fn sum_b() -> i32 { var s = 0; for i in 0..len(B) { s += B[i]; } return s; }
fn read_sum(count: i32) -> i32 {
    var n = read_file(DATA, B, 0, 0, count);
    var s = 0;
    for i in 0..count { s += B[i] * (i + 1); }
    return s * 1000 + n;
}
fn read_loop(n: i32) -> i32 {
    var t = 0;
    var k = 3;
    for i in 0..n { t += read_file(DATA, B, i, 4 * i, 1) * k; k += 1; }
    return t;
}
fn say_f32(x: f32) { print_f32(x); print_char(10); }
fn say_i32(x: i32) { print_i32(x); print_char(32); print_char(x + 256); }
fn say_loop(n: i32) -> i32 {
    var s: f32 = 0.5;
    for i in 0..n { print_i32(i); print_char(58); print_f32(s); print_char(59); s = s * 3.0; }
    return n;
}
)";

struct Tiers {
    System system;
    std::vector<u8> scratch = std::vector<u8>(1u << 20);
    Tier2::Tier2Compiler tier2 { scratch.data(), scratch.size() };
    const Module* module = nullptr;

    Tiers()
    {
        system.runtime().set_compiler(2, &tier2);
        module = system.load(compile_flow_source(source, "FLOWIO"));
    }
};

// One runner per tier, each with its own host holding the same files.
struct TierRun {
    const char* name;
    std::unique_ptr<Runner> runner;
    MemoryHost host;
};

std::vector<std::unique_ptr<TierRun>> make_runs(Tiers& t, const std::vector<u8>& data)
{
    std::vector<std::unique_ptr<TierRun>> runs;
    for (int tier = 0; tier <= 2; ++tier) {
        auto run = std::make_unique<TierRun>();
        run->name = tier == 0 ? "tier 0" : tier == 1 ? "tier 1" : "tier 2 forced";
        run->runner = std::make_unique<Runner>(t.system, *t.module, tier == 0 ? Mode::Interpreter : Mode::Tier1);
        if (tier == 2) {
            for (u32 f = 0; f < t.module->function_count; ++f)
                (void)run->runner->jit().compile(f, 2); // as flowrun --tier 2: I/O functions keep tier 1
        }
        run->host.files["/DATA.BIN"] = data;
        run->runner->instance().host = &run->host;
        runs.push_back(std::move(run));
    }
    return runs;
}

std::vector<u8> data_bytes(u32 n)
{
    std::vector<u8> data(n);
    for (u32 i = 0; i < n; ++i)
        data[i] = static_cast<u8>(0x11 * (i % 15 + 1));
    return data;
}

i32 le32(const std::vector<u8>& d, u32 at, u32 available)
{
    u32 v = 0;
    for (u32 k = 0; k < 4 && k < available; ++k)
        v |= static_cast<u32>(d[at + k]) << (8 * k);
    return static_cast<i32>(v);
}

} // namespace

TEST(FlowIo, IoFunctionsStayAtTier1WhenTier2IsForced)
{
    Tiers t;
    ASSERT_TRUE(t.module);
    auto runs = make_runs(t, data_bytes(22));
    Runner& r2 = *runs[2]->runner;
    EXPECT_EQ(r2.jit().profile(r2.function("read")).tier, 1);
    EXPECT_EQ(r2.jit().profile(r2.function("say_loop")).tier, 1);
    EXPECT_EQ(r2.jit().profile(r2.function("sum_b")).tier, 2); // no I/O: tier 2 as usual
}

TEST(FlowIo, ReadFileSemanticsAtEveryTier)
{
    Tiers t;
    ASSERT_TRUE(t.module);
    std::vector<u8> data = data_bytes(22); // five whole elements and two bytes
    auto runs = make_runs(t, data);
    for (auto& run : runs) {
        Runner& r = *run->runner;
        SCOPED_TRACE(run->name);
        EXPECT_EQ(r.call("size", {}).bits, 22u);
        EXPECT_EQ(static_cast<i32>(r.call("size_of_unbound", {}).bits), -2);
        EXPECT_EQ(static_cast<i32>(r.call("size_of_missing", {}).bits), -1);
        // Whole elements, from the start.
        r.call("clear", {});
        EXPECT_EQ(static_cast<i32>(r.call("read", { i32v(0), i32v(0), i32v(3) }).bits), 12);
        for (u32 i = 0; i < 3; ++i)
            EXPECT_EQ(static_cast<i32>(r.call("get", { i32v(static_cast<i32>(i)) }).bits), le32(data, 4 * i, 4));
        EXPECT_EQ(static_cast<i32>(r.call("get", { i32v(3) }).bits), -1) << "past the count: untouched";
        // The end of the file: fewer bytes, the last element partly read
        // (its high bytes zero), the elements after it untouched.
        r.call("clear", {});
        EXPECT_EQ(static_cast<i32>(r.call("read", { i32v(2), i32v(8), i32v(6) }).bits), 14);
        EXPECT_EQ(static_cast<i32>(r.call("get", { i32v(1) }).bits), -1);
        EXPECT_EQ(static_cast<i32>(r.call("get", { i32v(2) }).bits), le32(data, 8, 4));
        EXPECT_EQ(static_cast<i32>(r.call("get", { i32v(5) }).bits), le32(data, 20, 2));
        EXPECT_EQ(static_cast<i32>(r.call("get", { i32v(6) }).bits), -1);
        // At the end of the file, 0; past it or before it, -5.
        EXPECT_EQ(static_cast<i32>(r.call("read", { i32v(0), i32v(22), i32v(1) }).bits), 0);
        EXPECT_EQ(static_cast<i32>(r.call("read", { i32v(0), i32v(23), i32v(1) }).bits), -5);
        EXPECT_EQ(static_cast<i32>(r.call("read", { i32v(0), i32v(-1), i32v(1) }).bits), -5);
        EXPECT_EQ(static_cast<i32>(r.call("read", { i32v(0), i32v(0), i32v(0) }).bits), 0);
        EXPECT_EQ(static_cast<i32>(r.call("read_missing", {}).bits), -1);
        EXPECT_EQ(static_cast<i32>(r.call("read_unbound", {}).bits), -2);
        // Bad element ranges trap, even when the file would fail too.
        for (auto args : std::vector<std::vector<Value>> { { i32v(-1), i32v(0), i32v(1) }, { i32v(0), i32v(0), i32v(-1) },
                 { i32v(0), i32v(0), i32v(9) }, { i32v(8), i32v(0), i32v(1) }, { i32v(7), i32v(99), i32v(2) },
                 { i32v(0x7FFFFFFF), i32v(0), i32v(0x7FFFFFFF) }, { i32v(1), i32v(0), i32v(0x7FFFFFFF) } }) {
            EXPECT_EQ(r.call("read", args).error, Error::TrapOutOfBounds);
        }
        EXPECT_EQ(r.instance().trap.function, r.function("read"));
    }
    // The same data and results in functions that work on what they read.
    i32 expected_sum = 0, expected_loop = 0;
    for (auto& run : runs) {
        Runner& r = *run->runner;
        i32 sum = static_cast<i32>(r.call("read_sum", { i32v(6) }).bits);
        i32 loop = static_cast<i32>(r.call("read_loop", { i32v(7) }).bits);
        if (run == runs[0]) {
            expected_sum = sum;
            expected_loop = loop;
            u32 weighted = 0; // the six elements read (the sixth partly), wrapping as Flow does
            for (u32 i = 0; i < 6; ++i)
                weighted += static_cast<u32>(le32(data, 4 * i, i < 5 ? 4 : 2)) * (i + 1);
            EXPECT_EQ(static_cast<u32>(sum), weighted * 1000 + 22);
            // Bytes read at offsets 0, 4, ..., 20, then -5 for offset 24 past the end.
            EXPECT_EQ(loop, 4 * 3 + 4 * 4 + 4 * 5 + 4 * 6 + 4 * 7 + 2 * 8 - 5 * 9);
        }
        EXPECT_EQ(sum, expected_sum) << run->name;
        EXPECT_EQ(loop, expected_loop) << run->name;
    }
}

TEST(FlowIo, WriteFileSemanticsAtEveryTier)
{
    Tiers t;
    ASSERT_TRUE(t.module);
    auto runs = make_runs(t, data_bytes(8));
    for (auto& run : runs) {
        Runner& r = *run->runner;
        SCOPED_TRACE(run->name);
        for (i32 i = 0; i < 8; ++i)
            r.call("set", { i32v(i), i32v(0x01020304 * (i + 1)) });
        EXPECT_EQ(static_cast<i32>(r.call("write", { i32v(1), i32v(2) }).bits), -2) << "unbound";
        ASSERT_FALSE(bind_file(r.instance(), "OUT", "/OUT.BIN").is_error());
        EXPECT_EQ(static_cast<i32>(r.call("write", { i32v(1), i32v(2) }).bits), 8);
        std::vector<u8> expected = { 0x08, 0x06, 0x04, 0x02, 0x0C, 0x09, 0x06, 0x03 };
        EXPECT_EQ(run->host.files["/OUT.BIN"], expected);
        EXPECT_EQ(static_cast<i32>(r.call("write", { i32v(8), i32v(0) }).bits), 0);
        EXPECT_TRUE(run->host.files["/OUT.BIN"].empty()) << "the contents become the 0 bytes written";
        EXPECT_EQ(r.call("write", { i32v(7), i32v(2) }).error, Error::TrapOutOfBounds);
        EXPECT_EQ(r.call("write", { i32v(-1), i32v(1) }).error, Error::TrapOutOfBounds);
        run->host.read_only = true;
        EXPECT_EQ(static_cast<i32>(r.call("write", { i32v(0), i32v(1) }).bits), -4);
        // Without a host: -3, and prints go nowhere.
        r.instance().host = nullptr;
        EXPECT_EQ(static_cast<i32>(r.call("write", { i32v(0), i32v(1) }).bits), -3);
        EXPECT_EQ(static_cast<i32>(r.call("size", {}).bits), -3);
        EXPECT_EQ(r.call("say_i32", { i32v(5) }).error, Error::Ok);
        EXPECT_EQ(bind_file(r.instance(), "OUT", "relative").error(), Error::InvalidArgument);
        EXPECT_EQ(bind_file(r.instance(), "NONE", "/X").error(), Error::NoSuchFileItem);
    }
}

TEST(FlowIo, PrintsAreTheSameAtEveryTierAndMatchPrintf)
{
    Tiers t;
    ASSERT_TRUE(t.module);
    auto runs = make_runs(t, {});
    const float values[] = { 0.1f, 16777216.0f, 1e-45f, -0.0f, 0.0f, 1.17549435e-38f, 5.877472e-39f, 3.4028235e38f,
        -1.5f, 123456789.0f, 1234567.125f, 0.000123456f, 1e-5f, 100000000.0f, 999999999.0f, 1.0f / 3.0f,
        __builtin_inff(), -__builtin_inff(), __builtin_nanf(""), -__builtin_nanf("") };
    std::string expected_f32;
    for (float v : values) {
        char text[64];
        std::snprintf(text, sizeof(text), "%.9g\n", static_cast<double>(v));
        expected_f32 += std::isnan(v) ? "nan\n" : text;
    }
    for (auto& run : runs) {
        for (float v : values)
            run->runner->call("say_f32", { f32v(v) });
        EXPECT_EQ(run->host.console, expected_f32) << run->name;
        run->host.console.clear();
        for (i32 v : { 0, -1, 2147483647, static_cast<i32>(0x80000000), 65 })
            run->runner->call("say_i32", { i32v(v) });
        std::string expected_i32 = std::string("0 ") + '\0' + "-1 \xff" "2147483647 \xff" "-2147483648 " + '\0' + "65 A";
        EXPECT_EQ(run->host.console, expected_i32) << run->name;
        run->host.console.clear();
        EXPECT_EQ(run->runner->call("say_loop", { i32v(30) }).bits, 30u);
    }
    EXPECT_EQ(runs[0]->host.console, runs[1]->host.console);
    EXPECT_EQ(runs[0]->host.console, runs[2]->host.console);
    EXPECT_NE(runs[0]->host.console.find(";16:21523360;17:64570080;18:193710240;19:581130752;20:1.74339226e+09;"), std::string::npos) << runs[0]->host.console;
}

TEST(FlowIo, FormatF32MatchesPrintfOnRandomPatterns)
{
    std::mt19937 random(13);
    char ours[format_f32_capacity], theirs[64];
    for (u32 i = 0; i < 300000; ++i) {
        u32 bits = random();
        float v;
        std::memcpy(&v, &bits, 4);
        format_f32(ours, v);
        std::snprintf(theirs, sizeof(theirs), "%.9g", static_cast<double>(v));
        ASSERT_STREQ(ours, std::isnan(v) ? "nan" : theirs) << std::hex << bits;
    }
}

TEST(FlowIo, ResizeBufferDropsNativeCodeAndEveryTierSeesTheNewBuffer)
{
    Tiers t;
    ASSERT_TRUE(t.module);
    for (int tier = 1; tier <= 2; ++tier) {
        Runner r(t.system, *t.module, Mode::Tier1);
        if (tier == 2)
            ASSERT_FALSE(r.jit().compile(r.function("sum_b"), 2).is_error());
        u32 sum_b = r.function("sum_b"), blen = r.function("blen");
        EXPECT_EQ(r.jit().profile(sum_b).tier, tier);
        for (i32 i = 0; i < 8; ++i)
            r.call("set", { i32v(i), i32v(i + 1) });
        EXPECT_EQ(r.call("sum_b", {}).bits, 36u);
        u32 b = 0;
        ASSERT_FALSE(r.jit().resize_buffer(b, 100000).is_error());
        EXPECT_EQ(r.jit().profile(sum_b).tier, 0) << "native code that knew the old buffer is gone";
        EXPECT_EQ(r.instance().dispatch[sum_b], 0u);
        EXPECT_EQ(r.instance().profiles[sum_b].calls, 0u);
        EXPECT_EQ(r.call("blen", {}).bits, 100000u);
        EXPECT_EQ(r.call("sum_b", {}).bits, 36u) << "the first elements are kept, the new ones zero";
        r.call("set", { i32v(99999), i32v(1000) });
        EXPECT_EQ(r.call("get", { i32v(99999) }).bits, 1000u);
        // Compiled again, against the new buffer.
        ASSERT_FALSE(r.jit().compile(sum_b, static_cast<u8>(tier)).is_error());
        ASSERT_FALSE(r.jit().compile(blen, 1).is_error());
        EXPECT_EQ(r.call("sum_b", {}).bits, 1036u);
        EXPECT_EQ(r.call("blen", {}).bits, 100000u);
        ASSERT_FALSE(r.jit().resize_buffer(b, 4).is_error());
        EXPECT_EQ(r.call("sum_b", {}).bits, 10u);
        EXPECT_EQ(r.call("get", { i32v(4) }).error, Error::TrapOutOfBounds);
        EXPECT_EQ(r.jit().resize_buffer(b, 0).error(), Error::InvalidArgument);
        EXPECT_EQ(r.jit().resize_buffer(b, 16777217).error(), Error::InvalidArgument);
        EXPECT_EQ(r.jit().resize_buffer(7, 4).error(), Error::NoSuchBuffer);
        EXPECT_EQ(r.jit().resize_buffer(b, 16777216).error(), Error::OutOfMemory) << "64 MiB: more than the test's data pool";
        EXPECT_EQ(r.call("blen", {}).bits, 4u) << "a failed resize leaves the buffer as it was";
    }
}
