/* C versions of the tier-1 benchmark kernels that tests/bench's reference
 * file does not have (fib_rec, collatz, saxpy), mirroring modules/fib.flow,
 * collatz.flow and saxpy.flow statement for statement. Compiled on its own
 * with exactly `gcc -O2 -m32 -msse2 -mfpmath=sse` (tests/jit/build.mk). i32
 * arithmetic wraps in Flow, so the C code wraps too where it could overflow. */
#include <stdint.h>

int32_t ref_fib_rec(int32_t n)
{
    if (n < 2)
        return n;
    return (int32_t)((uint32_t)ref_fib_rec(n - 1) + (uint32_t)ref_fib_rec(n - 2));
}

int32_t ref_collatz(int32_t n)
{
    int32_t x = n;
    int32_t steps = 0;
    while (x > 1) {
        if (x % 2 == 0)
            x = x / 2;
        else
            x = (int32_t)(3u * (uint32_t)x + 1u);
        steps += 1;
    }
    return steps;
}

void ref_saxpy(float alpha, const float* x, float* y, int32_t n)
{
    for (int32_t i = 0; i < n; ++i)
        y[i] = alpha * x[i] + y[i];
}
