// Reporter: how the loader and verifier reject a module. fail() records the
// error, the file offset, the function and a sentence in the caller's
// ModuleDiagnostic, and returns the error so that `return r.fail(...)` reads
// naturally.
#pragma once

#include <microjit/module/format_message.h>
#include <microjit/module/module.h>

class Reporter {
public:
    explicit Reporter(ModuleDiagnostic* diagnostic) : m_diagnostic(diagnostic) { }

    // Problems outside any function.
    Error fail(Error error, u32 offset, const char* format, ...) __attribute__((format(printf, 4, 5)));

    // Problems inside function `index` (named `name`, whose code starts at
    // file offset `code_start`); `code_offset` is relative to that start.
    Error fail_in(Error error, u32 index, const char* name, u32 code_start, u32 code_offset, const char* format, ...)
        __attribute__((format(printf, 7, 8)));

private:
    ModuleDiagnostic* m_diagnostic;
};
