// Prints every golden case as "text<TAB>hex" (hex of the bytes the emitter
// wrote), one per line, for tools/gen_x86_vectors.py. A case the emitter
// refused prints "text<TAB>ERROR <name>", which the generator reports.
#include "golden_cases.h"

#include <cstdio>

int main()
{
    for (const GoldenCase& c : make_golden_cases()) {
        std::fputs(c.text.c_str(), stdout);
        std::fputc('\t', stdout);
        if (c.error != Error::Ok) {
            std::printf("ERROR %s\n", error_name(c.error));
            continue;
        }
        for (u8 byte : c.bytes)
            std::printf("%02x", byte);
        std::fputc('\n', stdout);
    }
    return 0;
}
