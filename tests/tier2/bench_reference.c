/* C versions of the tier-2 kernels that tests/bench/reference_kernels.c does
 * not have, compiled alone with the same `gcc -O2 -m32 -msse2 -mfpmath=sse`
 * (microjit/tier2/build.mk). They mirror modules/fib.flow, sum.flow,
 * saxpy.flow and relu.flow statement for statement; i32 arithmetic wraps
 * (unsigned), as in Flow. */
#include <stdint.h>

int32_t ref2_fib_rec(int32_t n)
{
    if (n < 2)
        return n;
    return (int32_t)((uint32_t)ref2_fib_rec(n - 1) + (uint32_t)ref2_fib_rec(n - 2));
}

int32_t ref2_sum_i32(const int32_t* a, int32_t n)
{
    uint32_t s = 0;
    for (int32_t i = 0; i < n; ++i)
        s += (uint32_t)a[i];
    return (int32_t)s;
}

float ref2_sum_f32(const float* a, int32_t n)
{
    float s = 0.0f;
    for (int32_t i = 0; i < n; ++i)
        s += a[i];
    return s;
}

void ref2_saxpy(float alpha, const float* x, float* y, int32_t n)
{
    for (int32_t i = 0; i < n; ++i)
        y[i] = alpha * x[i] + y[i];
}

void ref2_relu(float* x, int32_t n)
{
    for (int32_t i = 0; i < n; ++i)
        x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
