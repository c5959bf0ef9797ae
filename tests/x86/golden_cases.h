// The golden cases of the x86 emitter: every instruction form crossed with a
// representative operand set, each as (nasm source text, bytes our emitter
// produced). tests/x86/golden_dump prints them for tools/gen_x86_vectors.py,
// which assembles the same texts with nasm and decodes both byte strings
// with objdump; golden_test.cpp checks the emitter against the vectors the
// generator wrote.
#pragma once

#include <bareflow/error.h>
#include <bareflow/types.h>

#include <string>
#include <vector>

struct GoldenCase {
    std::string text;       // nasm syntax; lines of a multi-line case are joined by "; "
    std::vector<u8> bytes;  // what the emitter wrote (finish()ed, base address 0)
    Error error { Error::Ok };
    // With make_golden_cases(true): the case emitted again into a buffer one
    // byte smaller than it needs (before jump shrinking), followed by a guard.
    Error one_short_error { Error::Ok };
    bool one_short_guard_intact { true };
};

std::vector<GoldenCase> make_golden_cases(bool check_one_byte_short = false);

// Cases where the emitter deliberately writes another valid encoding than
// nasm, with the reason. golden_test.cpp accepts exactly these differences
// (and objdump must still agree on the instruction text).
struct GoldenDeviation {
    const char* text;
    const char* reason;
};
extern const GoldenDeviation golden_deviations[];
extern const usize golden_deviation_count;
