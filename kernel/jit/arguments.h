// Arguments typed at the shell for a Flow function, and results printed the
// way flowrun prints them (i32 in decimal, f32 as %.9g), so a session in the
// kernel and a run on the host can be compared line by line.
#pragma once

#include <bareflow/error_or.h>
#include <microjit/module/instance.h>
#include <microjit/runtime/literal.h> // parse_i32_literal, parse_f32_literal: the same as flowrun's
// A whole number 1 .. 2^31-1 (counts, thresholds).
bool parse_count(const char* text, u32& out);

struct LoadedModule;

// Parses one argument per parameter of `function` (of module `own`) from
// words[0..count): literals for i32 and f32, and for a view a buffer of the
// same element type, named BUF (of `own`) or MOD.BUF (of any loaded
// module). Prints what is wrong and returns BadArguments on a mismatch.
ErrorOr<void> parse_function_arguments(LoadedModule& own, const FunctionInfo& function, char** words, int count, Value* out);

// Prints the result of `function` on its own line (nothing for void).
void print_result(const FunctionInfo& function, Value result);

// "i32 fib_iter(i32)"-style signature into buffer.
void format_signature(const FunctionInfo& function, char* buffer, usize size);

// Prints "trap <Name> in function '<f>'[ at +0x..]: <message>".
void print_trap(const ModuleInstance& instance);
