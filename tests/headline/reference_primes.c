/* C version of modules/primes.flow for the headline benchmark (the other
 * kernels' C versions live in tests/bench, tests/jit and tests/tier2 and are
 * reused). Compiled on its own, once with the gcc -O2 flags and once with
 * -O3 -march=native -ffast-math (tests/headline/build.mk). i32 arithmetic
 * wraps in Flow, so the product wraps here too. */
#include <stdint.h>

int32_t ref_is_prime(int32_t k)
{
    if (k < 2)
        return 0;
    int32_t d = 2;
    while ((int32_t)((uint32_t)d * (uint32_t)d) <= k) {
        if (k % d == 0)
            return 0;
        d += 1;
    }
    return 1;
}

int32_t ref_primes(int32_t n)
{
    int32_t count = 0;
    for (int32_t k = 2; k < n; ++k)
        count = (int32_t)((uint32_t)count + (uint32_t)ref_is_prime(k));
    return count;
}
