// flowrun's tier-2 options, kept out of flowrun.cpp:
//   --isa sse2|avx2|auto   the instruction set tier 2 compiles for
//   --dump-code FUNC FILE  the machine code of FUNC's current tier, raw, for
//                          objdump -D -b binary -m i386
// and the lines --stats adds about them.
#pragma once

#include <microjit/jit/jit.h>
#include <microjit/module/module.h>

#include <cstdio>
#include <string>

namespace flowrun {

// True when this CPU and OS run AVX2 code (libgcc's check includes XCR0).
bool host_allows_avx2();

// "auto", "sse2" or "avx2" -> whether tier 2 may use AVX2. False with `why`
// set for an unknown name or avx2 on a host without it.
bool resolve_isa(const char* text, bool& avx2, std::string& why);

const char* isa_name(CodeIsa isa);

// Writes the code of `function` (its current tier) to `path`. False with
// `why` set when there is no such function, it runs in the interpreter, or
// the file cannot be written.
bool dump_code(const JitInstance& jit, const Module& module, const char* function, const char* path, std::string& why);

// For --stats: per function with native code, its tier, ISA and code size;
// and how --tier 2 placed the functions (tier 2 where a pattern matched,
// else tier 1).
void print_tier_stats(const JitInstance& jit, const Module& module, bool tier2_allowed_avx2, FILE* out);

}
