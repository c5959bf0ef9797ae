// The host programs' panic(): print and abort, so that GoogleTest death tests
// can watch portable code (microjit/, fs/fat16/) refuse a broken invariant.
#include <bareflow/panic.h>

#include <cstdio>
#include <cstdlib>

[[noreturn]] void panic(const char* message)
{
    std::fprintf(stderr, "panic: %s\n", message);
    std::fflush(stderr);
    std::abort();
}
