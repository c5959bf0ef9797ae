/* C versions of the benchmark kernels; see reference_kernels.h. i32
 * arithmetic wraps in Flow, so the C code wraps too (unsigned arithmetic),
 * which also keeps gcc from exploiting signed overflow in ways Flow could
 * not. Each function is its own translation-unit-external symbol and the
 * driver passes run-time arguments, so gcc cannot fold a call away. */
#include "reference_kernels.h"

int32_t ref_fib_iter(int32_t n)
{
    uint32_t a = 0, b = 1;
    for (int32_t i = 0; i < n; ++i) {
        uint32_t t = a + b;
        a = b;
        b = t;
    }
    return (int32_t)a;
}

int32_t ref_sum(int32_t n)
{
    uint32_t s = 0;
    for (int32_t i = 0; i < n; ++i)
        s += (uint32_t)i;
    return (int32_t)s;
}

float ref_dot(const float* a, const float* b, int32_t n)
{
    float s = 0.0f;
    for (int32_t i = 0; i < n; ++i)
        s += a[i] * b[i];
    return s;
}

void ref_matmul(const float* a, const float* b, float* c, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        int32_t row = i * n;
        for (int32_t j = 0; j < n; ++j) {
            float s = 0.0f;
            for (int32_t k = 0; k < n; ++k)
                s += a[row + k] * b[k * n + j];
            c[row + j] = s;
        }
    }
}
