// flowrun's tier-2 options; see tier2_options.h.
#include "tier2_options.h"

#include <cerrno>
#include <cstring>

namespace flowrun {

bool host_allows_avx2() { return __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2"); }

bool resolve_isa(const char* text, bool& avx2, std::string& why)
{
    if (!std::strcmp(text, "auto")) {
        avx2 = host_allows_avx2();
        return true;
    }
    if (!std::strcmp(text, "sse2")) {
        avx2 = false;
        return true;
    }
    if (!std::strcmp(text, "avx2")) {
        if (!host_allows_avx2()) {
            why = "--isa avx2: this CPU (or its OS) cannot run AVX2 code (CPUID or XCR0)";
            return false;
        }
        avx2 = true;
        return true;
    }
    why = std::string("--isa ") + text + ": choose sse2, avx2 or auto";
    return false;
}

const char* isa_name(CodeIsa isa)
{
    switch (isa) {
    case CodeIsa::None:
        return "-";
    case CodeIsa::Sse2:
        return "sse2";
    case CodeIsa::Avx2:
        return "avx2";
    }
    return "?";
}

bool dump_code(const JitInstance& jit, const Module& module, const char* function, const char* path, std::string& why)
{
    auto found = find_function(module, function);
    if (found.is_error()) {
        why = std::string("--dump-code: module ") + module.name + " has no function '" + function + "'";
        return false;
    }
    const JitFunctionProfile& p = jit.profile(found.value());
    if (p.tier == 0 || !p.code || !p.code_size) {
        why = std::string("--dump-code: ") + function + " runs in the interpreter: it has no machine code";
        return false;
    }
    FILE* out = std::fopen(path, "wb");
    if (!out) {
        why = std::string("--dump-code: cannot write ") + path + ": " + std::strerror(errno);
        return false;
    }
    bool written = std::fwrite(p.code, 1, p.code_size, out) == p.code_size;
    if (std::fclose(out) != 0 || !written) {
        why = std::string("--dump-code: cannot write ") + path;
        return false;
    }
    return true;
}

void print_tier_stats(const JitInstance& jit, const Module& module, bool tier2_allowed_avx2, FILE* out)
{
    std::fprintf(out, "tier 2 ISA: %s (this host %s AVX2)\n", tier2_allowed_avx2 ? "avx2" : "sse2",
                 host_allows_avx2() ? "runs" : "cannot run");
    for (u32 f = 0; f < module.function_count; ++f) {
        const JitFunctionProfile& p = jit.profile(f);
        if (!p.tier)
            continue;
        std::fprintf(out, "  %-20s tier %u, %s, %u bytes", module.functions[f].name, p.tier, isa_name(p.isa), p.code_size);
        if (p.failed_tier > p.tier)
            std::fprintf(out, " (tier %u: %s)", p.failed_tier, error_message(p.last_error));
        std::fputc('\n', out);
    }
}

}
