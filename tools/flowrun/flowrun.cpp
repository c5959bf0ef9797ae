// flowrun: load, verify and run one function of a .bfm module on the host.
//
//   flowrun FILE.bfm FUNC [ARGS...] [--tier 0|1|2|spec|auto] [--thresholds A,B,C[,L]] [--repeat N] [--stats]
//
// The same loader, verifier, interpreter and JIT as the kernel (microjit/),
// built -m32 hosted, with the pools mapped from the host (HostPools).
// Prints the result on one line (i32 in decimal, f32 as %.9g, nothing for
// void). Exit status: 0 success, 2 invalid module or bad argument, 3 trap.
// See --help, docs/runtime.md and docs/jit.md.
#include <microjit/jit/cycles.h>
#include <microjit/jit/jit.h>
#include <microjit/jit/stats_format.h>
#include <microjit/module/files.h>
#include <microjit/module/format.h>
#include <microjit/module/interpreter.h>
#include <microjit/module/module.h>
#include <microjit/pool/host_pools.h>
#include <microjit/pool/pool_module_allocator.h>
#include <microjit/runtime/literal.h>
#include <microjit/tier2/tier2_compiler.h>
#include <tools/host/directory_host.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_invalid = 2;
constexpr int exit_trap = 3;

const char* const usage_text =
    "usage: flowrun FILE.bfm FUNC [ARGS...] [--tier 0|1|2|spec|auto] [--isa sse2|avx2|auto]\n"
    "               [--thresholds A,B,C[,L]] [--repeat N] [--stats] [--dump-code FUNC FILE]\n"
    "               [--root DIR] [--bind ITEM=PATH]... [--size BUF=N]...\n"
    "\n"
    "Loads and verifies the module FILE.bfm, calls its function FUNC with ARGS\n"
    "and prints the result on one line: an i32 in decimal, an f32 as %.9g,\n"
    "nothing for a function that returns nothing.\n"
    "\n"
    "  ARGS          one literal per parameter, as the kernel's `run` reads them:\n"
    "                i32 (decimal, or 0x hex as a 32-bit pattern) or f32 (decimal\n"
    "                such as 1.5, -2, 1e-3, correctly rounded; inf, nan); view\n"
    "                parameters ([i32], [f32]) cannot be passed from the command line\n"
    "  --tier T      0: the interpreter only; 1: compile every function at tier 1\n"
    "                before the first call; 2: at tier 2 where tier 2 can, else at\n"
    "                tier 1; spec: as 2, then FUNC specialised on ARGS (its i32\n"
    "                parameters folded in behind a guard); auto (default): tier up\n"
    "                from the counters and specialise from argument profiles\n"
    "  --thresholds A,B,C[,L]\n"
    "                tier-up policy: calls for tier 1, tier 2 and re-specialisation,\n"
    "                and the interpreter's loop iterations for tier 1 (default 10 x A)\n"
    "  --isa I       instruction set for tier 2: sse2, avx2, or auto (default:\n"
    "                avx2 when this CPU has it)\n"
    "  --dump-code FUNC FILE\n"
    "                after the run, write FUNC's machine code to FILE (objdump -D\n"
    "                -b binary -m i386 FILE disassembles it)\n"
    "  --repeat N    call the function N times (N >= 1) and print the last result\n"
    "  --stats       print to stderr: the tier policy; per function that ran,\n"
    "                calls, loop iterations, tier, tier-ups and time; the pools;\n"
    "                and the time spent in the calls\n"
    "  --root DIR    where the module's file items are: a path /A/B.BIN is DIR/A/B.BIN\n"
    "                (default: the current directory)\n"
    "  --bind ITEM=PATH\n"
    "                point file item ITEM at PATH (absolute, as in the module) instead\n"
    "                of its default path\n"
    "  --size BUF=N  give buffer BUF N elements (1 .. 16777216) before the call\n"
    "  --help        this text\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  2  invalid module or bad argument (the message says what and where)\n"
    "  3  trap (the message names the trap and the function)\n";

int fail(int code, const char* format, ...) __attribute__((format(printf, 2, 3)));
int fail(int code, const char* format, ...)
{
    std::fputs("flowrun: ", stderr);
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::fputc('\n', stderr);
    return code;
}

bool read_file(const char* path, std::vector<u8>& out, std::string& why)
{
    FILE* f = std::fopen(path, "rb");
    if (!f) {
        why = std::strerror(errno);
        return false;
    }
    u8 chunk[65536];
    usize n;
    while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0)
        out.insert(out.end(), chunk, chunk + n);
    bool ok = !std::ferror(f);
    if (!ok)
        why = std::strerror(errno);
    std::fclose(f);
    return ok;
}

struct Options {
    const char* tier = "auto";
    const char* isa = "auto";
    const char* dump_function = nullptr;
    const char* dump_path = nullptr;
    const char* thresholds = nullptr;
    const char* path = nullptr;
    const char* function = nullptr;
    std::vector<const char*> args;
    std::vector<const char*> binds; // ITEM=PATH
    std::vector<const char*> sizes; // BUF=N
    const char* root = ".";
    bool stats = false;
    long repeat = 1;
};

// Returns -1 to go on, or an exit status.
int parse_options(int argc, char** argv, Options& o)
{
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
            std::fputs(usage_text, stdout);
            return exit_ok;
        }
        if (!std::strcmp(a, "--stats")) {
            o.stats = true;
        } else if (!std::strcmp(a, "--tier")) {
            if (++i == argc)
                return fail(exit_invalid, "--tier needs a value: 0, 1, 2, spec or auto");
            if (std::strcmp(argv[i], "0") && std::strcmp(argv[i], "1") && std::strcmp(argv[i], "2") && std::strcmp(argv[i], "spec")
                && std::strcmp(argv[i], "auto"))
                return fail(exit_invalid, "--tier %s is not available (choose 0, 1, 2, spec or auto)", argv[i]);
            o.tier = argv[i];
        } else if (!std::strcmp(a, "--isa")) {
            if (++i == argc)
                return fail(exit_invalid, "--isa needs a value: sse2, avx2 or auto");
            if (std::strcmp(argv[i], "sse2") && std::strcmp(argv[i], "avx2") && std::strcmp(argv[i], "auto"))
                return fail(exit_invalid, "--isa %s: choose sse2, avx2 or auto", argv[i]);
            o.isa = argv[i];
        } else if (!std::strcmp(a, "--dump-code")) {
            if (i + 2 >= argc || !std::strncmp(argv[i + 1], "--", 2) || !std::strncmp(argv[i + 2], "--", 2))
                return fail(exit_invalid, "--dump-code needs FUNC FILE");
            o.dump_function = argv[++i];
            o.dump_path = argv[++i];
        } else if (!std::strcmp(a, "--root") || !std::strcmp(a, "--bind") || !std::strcmp(a, "--size")) {
            if (++i >= argc)
                return fail(exit_invalid, "%s needs a value", a);
            if (!std::strcmp(a, "--root"))
                o.root = argv[i];
            else if (!std::strchr(argv[i], '='))
                return fail(exit_invalid, "%s %s: expected %s", a, argv[i], !std::strcmp(a, "--bind") ? "ITEM=PATH" : "BUF=N");
            else
                (!std::strcmp(a, "--bind") ? o.binds : o.sizes).push_back(argv[i]);
        } else if (!std::strcmp(a, "--thresholds")) {
            if (++i == argc)
                return fail(exit_invalid, "--thresholds needs a value: A,B,C or A,B,C,L");
            o.thresholds = argv[i];
        } else if (!std::strcmp(a, "--repeat")) {
            if (++i == argc)
                return fail(exit_invalid, "--repeat needs a count");
            char* end = nullptr;
            errno = 0;
            o.repeat = std::strtol(argv[i], &end, 10);
            if (errno || *end || end == argv[i] || o.repeat < 1)
                return fail(exit_invalid, "--repeat %s: the count must be a whole number >= 1", argv[i]);
        } else if (a[0] == '-' && a[1] == '-') {
            return fail(exit_invalid, "unknown option %s (see --help)", a);
        } else if (!o.path) {
            o.path = a;
        } else if (!o.function) {
            o.function = a;
        } else {
            o.args.push_back(a);
        }
    }
    if (!o.path || !o.function) {
        std::fputs(usage_text, stderr);
        return exit_invalid;
    }
    return -1;
}

// Time stamp counter ticks per microsecond, measured against the host clock.
u64 measure_tsc_per_us()
{
    auto start = std::chrono::steady_clock::now();
    u64 cycles = read_cycles();
    while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(20)) { }
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    return static_cast<u64>(static_cast<double>(read_cycles() - cycles) / us);
}

const char* isa_name(CodeIsa isa) { return isa == CodeIsa::Avx2 ? "avx2" : isa == CodeIsa::Sse2 ? "sse2" : "none"; }

// Which functions have machine code, of which tier and ISA, and why a
// higher tier refused one.
void print_code(const JitInstance& jit, const Module& module, bool avx2)
{
    std::fprintf(stderr, "tier 2 ISA: %s\nmachine code:\n", avx2 ? "avx2" : "sse2");
    for (u32 i = 0; i < module.function_count; ++i) {
        const JitFunctionProfile& p = jit.profile(i);
        if (p.code_size == 0)
            continue;
        std::fprintf(stderr, "  %-24s tier %u, %s, %u bytes", module.functions[i].name, p.tier, isa_name(p.isa), p.code_size);
        if (p.specialised) {
            char values[64];
            format_specialisation(p.spec, values, sizeof(values));
            std::fprintf(stderr, ", specialised on %s (generic code %u bytes)", values, p.generic_size);
        }
        if (p.failed_tier > p.tier)
            std::fprintf(stderr, " (tier %u: %s)", p.failed_tier, error_message(p.last_error));
        std::fputc('\n', stderr);
    }
}

void print_stats(const JitInstance& jit, PoolSet& pools, double seconds, long repeat)
{
    static char text[1 << 16];
    format_tier_policy(jit.runtime().policy(), text, sizeof(text));
    std::fputs(text, stderr);
    // A line per function: room for the longest line (a specialised
    // function's, under 400 characters) of every function.
    std::vector<char> profiles(4096 + 512 * static_cast<usize>(jit.function_count()));
    format_jit_profiles(jit, profiles.data(), profiles.size(), measure_tsc_per_us());
    std::fputs(profiles.data(), stderr);
    format_pool_stats("code", pools.code.stats(), text, sizeof(text));
    std::fputs(text, stderr);
    format_pool_stats("data", pools.data.stats(), text, sizeof(text));
    std::fputs(text, stderr);
    format_pool_stats("metadata", pools.metadata.stats(), text, sizeof(text));
    std::fputs(text, stderr);
    std::fprintf(stderr, "time: %.6f s for %ld call%s (%.1f ns per call)\n", seconds, repeat, repeat == 1 ? "" : "s",
        seconds * 1e9 / static_cast<double>(repeat));
}

}

// --bind ITEM=PATH and --size BUF=N; -1 when all applied, else an exit status.
int apply_binds_and_sizes(const Options& o, JitInstance& jit)
{
    ModuleInstance& instance = *jit.instance();
    const Module& module = *instance.module;
    for (const char* spec : o.binds) {
        std::string name(spec, std::strchr(spec, '=') - spec);
        const char* path = std::strchr(spec, '=') + 1;
        auto bound = bind_file(instance, name.c_str(), path);
        if (bound.is_error() && bound.error() == Error::NoSuchFileItem)
            return fail(exit_invalid, "--bind %s: module %s has no file item '%s'", spec, module.name, name.c_str());
        if (bound.is_error())
            return fail(exit_invalid, "--bind %s: the path must start with '/' and be 1-127 printable characters", spec);
    }
    for (const char* spec : o.sizes) {
        std::string name(spec, std::strchr(spec, '=') - spec);
        const char* text = std::strchr(spec, '=') + 1;
        auto found = find_buffer(module, name.c_str());
        if (found.is_error())
            return fail(exit_invalid, "--size %s: module %s has no buffer '%s'", spec, module.name, name.c_str());
        u32 buffer = found.value();
        i32 count = 0;
        if (!parse_i32_literal(text, count) || count < 1 || static_cast<u32>(count) > bfm::max_buffer_elements)
            return fail(exit_invalid, "--size %s: the size must be 1 .. %u elements", spec, bfm::max_buffer_elements);
        auto resized = jit.resize_buffer(buffer, static_cast<u32>(count));
        if (resized.is_error())
            return fail(exit_invalid, "--size %s: %s (the data pool holds every buffer; see HostPools)", spec, error_message(resized.error()));
    }
    return -1;
}

int main(int argc, char** argv)
{
    Options o;
    int status = parse_options(argc, argv, o);
    if (status >= 0)
        return status;

    std::vector<u8> bytes;
    std::string why;
    if (!read_file(o.path, bytes, why))
        return fail(exit_invalid, "cannot read %s: %s", o.path, why.c_str());

    HostPools host;
    if (host.map().is_error())
        return fail(exit_invalid, "cannot map memory for the pools");
    JitRuntime runtime(host.pools());
    if (runtime.init().is_error())
        return fail(exit_invalid, "cannot set up the JIT runtime");
    // The host has megabytes of stack, not the kernel's 256 KiB (docs/jit.md, "frame limit").
    runtime.policy().max_native_frame_bytes = 16384;
    // Tier 2 as in the kernel (kernel/jit/tier2_setup.cpp), AVX2 when this CPU has it.
    alignas(16) static u8 tier2_scratch[256 * 1024];
    static Tier2::Tier2Compiler tier2(tier2_scratch, sizeof(tier2_scratch));
    bool host_avx2 = __builtin_cpu_supports("avx2");
    if (!std::strcmp(o.isa, "avx2") && !host_avx2)
        return fail(exit_invalid, "--isa avx2: this CPU cannot run AVX2 code");
    bool avx2 = !std::strcmp(o.isa, "avx2") || (!std::strcmp(o.isa, "auto") && host_avx2);
    tier2.set_avx2(avx2);
    tier2.set_fma(__builtin_cpu_supports("fma"));
    runtime.set_compiler(2, &tier2);
    if (o.thresholds) {
        if (runtime.policy().parse_thresholds(o.thresholds).is_error())
            return fail(exit_invalid, "--thresholds %s: expected A,B,C or A,B,C,L, whole numbers from 1 to 2^31", o.thresholds);
        if (runtime.policy().validate().is_error())
            return fail(exit_invalid, "--thresholds %s: the thresholds must rise with the tier", o.thresholds);
    }
    PoolModuleAllocator allocator(host.pools().data);
    ModuleDiagnostic diagnostic {};
    auto loaded = load_module(bytes.data(), bytes.size(), allocator, &diagnostic);
    if (loaded.is_error())
        return fail(exit_invalid, "%s: invalid module: %s: %s", o.path, error_message(loaded.error()), diagnostic.message);
    Module* module = loaded.value();

    auto found = find_function(*module, o.function);
    if (found.is_error())
        return fail(exit_invalid, "%s: module %s has no function '%s'", o.path, module->name, o.function);
    u32 index = found.value();
    const FunctionInfo& f = module->functions[index];
    if (o.args.size() != f.param_count)
        return fail(exit_invalid, "%s takes %u argument%s, %zu given", f.name, f.param_count, f.param_count == 1 ? "" : "s", o.args.size());
    std::vector<Value> args(f.param_count);
    for (u32 k = 0; k < f.param_count; ++k) {
        ValueType type = f.register_types[k];
        const char* text = o.args[k];
        if (type == ValueType::I32) {
            if (!parse_i32_literal(text, args[k].i))
                return fail(exit_invalid, "argument %u of %s: '%s' is not an i32 literal", k + 1, f.name, text);
        } else if (type == ValueType::F32) {
            if (!parse_f32_literal(text, args[k].f))
                return fail(exit_invalid, "argument %u of %s: '%s' is not an f32 literal", k + 1, f.name, text);
        } else {
            return fail(exit_invalid, "argument %u of %s is a view (%s); views cannot be passed from the command line", k + 1, f.name,
                value_type_name(type));
        }
    }

    JitInstance jit(runtime);
    if (jit.prepare(*module).is_error())
        return fail(exit_invalid, "cannot prepare %s for the JIT: out of metadata memory", module->name);
    bool spec = !std::strcmp(o.tier, "spec");
    u8 explicit_tier = !std::strcmp(o.tier, "1") ? 1 : !std::strcmp(o.tier, "2") || spec ? 2 : 0;
    jit.set_auto_tier_up(!std::strcmp(o.tier, "auto"));
    auto created = create_instance(*module, allocator, jit.instance_config());
    if (created.is_error())
        return fail(exit_invalid, "cannot instantiate %s: %s", module->name, error_message(created.error()));
    ModuleInstance* instance = created.value();
    jit.attach(*instance);
    DirectoryHost files_and_console(o.root);
    instance->host = &files_and_console;
    if (int bad = apply_binds_and_sizes(o, jit); bad >= 0) {
        jit.detach();
        return bad;
    }
    for (u32 i = 0; explicit_tier && i < module->function_count; ++i) {
        auto compiled = jit.compile(i, explicit_tier);
        if (compiled.is_error() && explicit_tier == 2)
            compiled = jit.compile(i, 1); // tier 2 takes only the functions its patterns match
        if (compiled.is_error())
            std::fprintf(stderr, "flowrun: %s stays in the interpreter: %s\n", module->functions[i].name, error_message(compiled.error()));
    }
    if (spec) {
        auto specialised = jit.specialise(index, args.data(), f.param_count);
        if (specialised.is_error())
            std::fprintf(stderr, "flowrun: %s is not specialised (it keeps its tier-%u code): %s\n", f.name, jit.profile(index).tier,
                         error_message(specialised.error()));
    }

    Value result {};
    auto start = std::chrono::steady_clock::now();
    for (long r = 0; r < o.repeat; ++r) {
        auto called = jit.call(index, args.data(), f.param_count);
        if (called.is_error()) {
            const TrapInfo& t = instance->trap;
            const FunctionInfo& where = module->functions[t.function];
            if (t.offset != TrapInfo::unknown_offset)
                std::fprintf(stderr, "flowrun: trap %s in function '%s' at +0x%x: %s\n", error_name(t.error), where.name, t.offset, error_message(t.error));
            else
                std::fprintf(stderr, "flowrun: trap %s in function '%s': %s\n", error_name(t.error), where.name, error_message(t.error));
            jit.detach();
            return exit_trap;
        }
        result = called.value();
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (f.return_type == ValueType::I32)
        std::printf("%d\n", result.i);
    else if (f.return_type == ValueType::F32)
        std::printf("%.9g\n", static_cast<double>(result.f));
    if (o.stats) {
        print_stats(jit, host.pools(), seconds, o.repeat);
        print_code(jit, *module, avx2);
    }
    if (o.dump_function) {
        auto dumped = find_function(*module, o.dump_function);
        if (dumped.is_error())
            status = fail(exit_invalid, "--dump-code: module %s has no function '%s'", module->name, o.dump_function);
        else if (jit.profile(dumped.value()).code_size == 0)
            status = fail(exit_invalid, "--dump-code: %s runs in the interpreter: it has no machine code", o.dump_function);
        else {
            const JitFunctionProfile& p = jit.profile(dumped.value());
            FILE* out = std::fopen(o.dump_path, "wb");
            bool written = out && std::fwrite(p.code, 1, p.code_size, out) == p.code_size;
            if (out && std::fclose(out) != 0)
                written = false;
            if (!written)
                status = fail(exit_invalid, "--dump-code: cannot write %s: %s", o.dump_path, std::strerror(errno));
        }
    }
    jit.detach();
    destroy_instance(instance);
    destroy_module(module, allocator);
    return status < 0 ? exit_ok : status;
}
