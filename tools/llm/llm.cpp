// build/host/llm: llama2.c's run.c, with the model in Flow. Runs the LLAMA2
// module (modules/llama2.flow) with the kernel's loader, verifier and JIT,
// built -m32 hosted, through the same generation loop as the kernel's `llm`
// command (kernel/llm/llm_run.cpp), so both print the same text.
//
//   llm CHECKPOINT [-z TOKENIZER] [-n STEPS] [-t TEMP] [-p TOPP] [-s SEED] [-i PROMPT]
//       [--module FILE.bfm] [--tier 0|1|2|auto] [--isa sse2|avx2|auto] [--tokens] [--logits K]
//       [--code-map FILE]
//
// The text goes to stdout; "achieved tok/s: X" and the load and first-token
// times go to stderr, as run.c prints its speed. --tokens adds a line
// `tokens: ...` to stdout, after the text, with every token id of the sequence (the prompt's
// included, and the BOS that ended the text), and --logits K the logits of
// the first K positions (`logits P: ...`, %.9g), as tests/llm/reference.c
// prints them. --code-map FILE writes where each function's machine code
// ended up ("START SIZE TIER NAME" per line), for a profiler's addresses,
// and each function's code to FILE.NAME.
// Exit status: 0 success, 2 bad arguments or input, 3 trap.
#include <kernel/llm/llm.h>
#include <microjit/jit/jit.h>
#include <microjit/module/files.h>
#include <microjit/module/host.h>
#include <microjit/module/module.h>
#include <microjit/pool/host_pools.h>
#include <microjit/pool/pool_module_allocator.h>
#include <microjit/tier2/tier2_compiler.h>
#include <tools/host/directory_host.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr int exit_invalid = 2;
constexpr int exit_trap = 3;

class HostHome final : public LlmHome {
public:
    HostHome(const Module& module, ModuleInstance& instance, JitInstance& jit, bool tokens, u32 logits)
        : m_module(module)
        , m_instance(instance)
        , m_jit(jit)
        , m_record(tokens)
        , m_logits(logits)
    {
        auto step = find_function(module, "step");
        if (!step.is_error())
            m_step = step.value();
        auto logits_buffer = find_buffer(module, "LOGITS");
        if (!logits_buffer.is_error())
            m_logits_buffer = logits_buffer.value();
    }

    ErrorOr<Value> call(u32 function, const Value* args, u32 count) override
    {
        auto result = m_jit.call(function, args, count);
        if (result.is_error()) {
            const TrapInfo& t = m_instance.trap;
            std::fprintf(stderr, "\nllm: trap %s in function '%s': %s\n", error_name(t.error),
                         m_module.functions[t.function].name, error_message(t.error));
            trapped = true;
        } else if (function == m_step) {
            if (m_record)
                sequence.push_back(result.value().i >= 0 ? result.value().i : 1);
            u32 pos = static_cast<u32>(args[0].i);
            if (pos < m_logits && m_logits_buffer != ~0u) {
                const View& v = m_instance.buffers[m_logits_buffer];
                const f32* l = static_cast<const f32*>(v.base);
                logits.emplace_back(l, l + v.length);
            }
        }
        return result;
    }

    ErrorOr<void> resize(u32 buffer, u32 count) override
    {
        auto resized = m_jit.resize_buffer(buffer, count);
        if (resized.is_error())
            std::fprintf(stderr, "llm: buffer %s: %u elements: %s\n", m_module.buffers[buffer].name, count,
                         error_message(resized.error()));
        return resized;
    }

    ErrorOr<void> bind(u32 item, const char* path) override
    {
        // The module sees absolute paths; a relative one is taken from the working directory.
        std::string absolute = path;
        if (path[0] != '/') {
            char cwd[PATH_MAX];
            if (!getcwd(cwd, sizeof cwd))
                return Error::InvalidArgument;
            absolute = std::string(cwd) + "/" + path;
        }
        auto bound = bind_file(m_instance, item, absolute.c_str());
        if (bound.is_error())
            std::fprintf(stderr, "llm: %s: the path is too long for a file item (at most 127 characters)\n", absolute.c_str());
        return bound;
    }

    View buffer(u32 buffer) override { return m_instance.buffers[buffer]; }
    u8 tier(u32 function) override { return m_jit.profile(function).tier; }
    u64 now_ns() override
    {
        return static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count());
    }
    void write(const char* text) override
    {
        std::fputs(text, stdout);
        std::fflush(stdout);
    }
    void status(const char* text) override { std::fprintf(stderr, "%s\n", text); }

    std::vector<i32> sequence { 1 };
    std::vector<std::vector<f32>> logits;
    bool trapped = false;

private:
    const Module& m_module;
    ModuleInstance& m_instance;
    JitInstance& m_jit;
    bool m_record;
    u32 m_logits;
    u32 m_logits_buffer { ~0u };
    u32 m_step { ~0u };
};

bool read_whole(const char* path, std::vector<u8>& out)
{
    FILE* f = std::fopen(path, "rb");
    if (!f)
        return false;
    u8 chunk[65536];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
        out.insert(out.end(), chunk, chunk + n);
    bool ok = !std::ferror(f);
    std::fclose(f);
    return ok;
}

} // namespace

int main(int argc, char** argv)
{
    // Our own options first; the rest are run.c's.
    const char* module_path = "build/modules/LLAMA2.BFM";
    const char* tier = "auto";
    const char* isa = "auto";
    bool tokens = false;
    u32 logits = 0;
    const char* code_map = nullptr;
    std::vector<char*> rest { argv[0] };
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--module") && i + 1 < argc)
            module_path = argv[++i];
        else if (!std::strcmp(argv[i], "--tier") && i + 1 < argc)
            tier = argv[++i];
        else if (!std::strcmp(argv[i], "--isa") && i + 1 < argc)
            isa = argv[++i];
        else if (!std::strcmp(argv[i], "--tokens"))
            tokens = true;
        else if (!std::strcmp(argv[i], "--code-map") && i + 1 < argc)
            code_map = argv[++i];
        else if (!std::strcmp(argv[i], "--logits") && i + 1 < argc)
            logits = static_cast<u32>(std::strtoul(argv[++i], nullptr, 10));
        else
            rest.push_back(argv[i]);
    }
    LlmOptions options;
    char why[160];
    if (parse_llm_options(static_cast<int>(rest.size()), rest.data(), options, why, sizeof why).is_error()) {
        std::fprintf(stderr, "llm: %s\n  host options: [--module FILE.bfm] [--tier 0|1|2|auto] [--isa sse2|avx2|auto] [--tokens] [--logits K]\n", why);
        return exit_invalid;
    }

    std::vector<u8> bytes;
    if (!read_whole(module_path, bytes)) {
        std::fprintf(stderr, "llm: cannot read the module %s (build it with make, or give --module)\n", module_path);
        return exit_invalid;
    }
    HostPools host;
    HostPoolSizes sizes;
    sizes.data = 1024u << 20; // a 60 MB checkpoint, its caches, and room to resize
    if (host.map(sizes).is_error()) {
        std::fprintf(stderr, "llm: cannot map memory for the pools\n");
        return exit_invalid;
    }
    JitRuntime runtime(host.pools());
    if (runtime.init().is_error())
        return exit_invalid;
    runtime.policy().max_native_frame_bytes = 16384;
    alignas(16) static u8 tier2_scratch[256 * 1024];
    static Tier2::Tier2Compiler tier2(tier2_scratch, sizeof(tier2_scratch));
    bool host_avx2 = __builtin_cpu_supports("avx2");
    bool avx2 = !std::strcmp(isa, "avx2") || (!std::strcmp(isa, "auto") && host_avx2);
    if (avx2 && !host_avx2) {
        std::fprintf(stderr, "llm: --isa avx2: this CPU cannot run AVX2 code\n");
        return exit_invalid;
    }
    tier2.set_avx2(avx2);
    tier2.set_fma(avx2 && __builtin_cpu_supports("fma"));
    runtime.set_compiler(2, &tier2);

    PoolModuleAllocator allocator(host.pools().data);
    ModuleDiagnostic diagnostic {};
    auto loaded = load_module(bytes.data(), bytes.size(), allocator, &diagnostic);
    if (loaded.is_error()) {
        std::fprintf(stderr, "llm: %s: invalid module: %s: %s\n", module_path, error_message(loaded.error()), diagnostic.message);
        return exit_invalid;
    }
    Module* module = loaded.value();
    JitInstance jit(runtime);
    if (jit.prepare(*module).is_error())
        return exit_invalid;
    jit.set_auto_tier_up(!std::strcmp(tier, "auto"));
    auto created = create_instance(*module, allocator, jit.instance_config());
    if (created.is_error()) {
        std::fprintf(stderr, "llm: cannot instantiate %s: %s\n", module->name, error_message(created.error()));
        return exit_invalid;
    }
    ModuleInstance* instance = created.value();
    DirectoryHost files(""); // the module names absolute host paths (bind() makes them so)
    instance->host = &files;
    jit.attach(*instance);
    u8 explicit_tier = !std::strcmp(tier, "1") ? 1 : !std::strcmp(tier, "2") ? 2 : 0;
    for (u32 i = 0; explicit_tier && i < module->function_count; ++i) {
        auto compiled = jit.compile(i, explicit_tier);
        if (compiled.is_error() && explicit_tier == 2)
            compiled = jit.compile(i, 1);
    }

    HostHome home(*module, *instance, jit, tokens, logits);
    auto report = run_llm(*module, options, home);
    int status = report.is_error() ? (home.trapped ? exit_trap : exit_invalid) : 0;
    if (!report.is_error()) {
        const LlmReport& r = report.value();
        std::fprintf(stderr, "llm: load %.1f ms, first token %.1f ms (matmul at tier %u), %u positions\n",
                     static_cast<double>(r.load_ns) / 1e6, static_cast<double>(r.first_token_ns) / 1e6, r.first_token_tier,
                     r.tokens);
        if (tokens) {
            std::printf("tokens:");
            for (i32 t : home.sequence)
                std::printf(" %d", t);
            std::printf("\n");
        }
        for (usize p = 0; p < home.logits.size(); ++p) {
            std::printf("logits %zu:", p);
            for (f32 v : home.logits[p])
                std::printf(" %.9g", static_cast<double>(v));
            std::printf("\n");
        }
    }
    if (code_map) {
        // For profilers: where each function's machine code is, one per line: "START SIZE TIER NAME".
        if (FILE* f = std::fopen(code_map, "w")) {
            for (u32 i = 0; i < module->function_count; ++i) {
                const JitFunctionProfile& p = jit.profile(i);
                if (!p.code_size)
                    continue;
                std::fprintf(f, "%08x %u %u %s\n", static_cast<u32>(reinterpret_cast<uptr>(p.code)), p.code_size, p.tier,
                             module->functions[i].name);
                // and the code itself beside it, FILE.NAME (objdump -D -b binary -m i386 disassembles it)
                std::string path = std::string(code_map) + "." + module->functions[i].name;
                if (FILE* c = std::fopen(path.c_str(), "wb")) {
                    std::fwrite(p.code, 1, p.code_size, c);
                    std::fclose(c);
                }
            }
            std::fclose(f);
        }
    }
    jit.detach();
    destroy_instance(instance);
    destroy_module(module, allocator);
    return status;
}
