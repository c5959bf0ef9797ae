/* The benchmark kernels written in C, the yardstick for every tier.
 * reference_kernels.c is compiled on its own with exactly
 * `gcc -O2 -m32 -msse2 -mfpmath=sse` (tests/bench/build.mk), so each tier
 * is compared against what gcc -O2 makes of the same loop. The functions
 * mirror modules/fib.flow, sum.flow, dot.flow and matmul.flow statement for
 * statement. Callable from C and C++. */
#ifndef BAREFLOW_BENCH_REFERENCE_KERNELS_H
#define BAREFLOW_BENCH_REFERENCE_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int32_t ref_fib_iter(int32_t n);
int32_t ref_sum(int32_t n);
float ref_dot(const float* a, const float* b, int32_t n);
void ref_matmul(const float* a, const float* b, float* c, int32_t n);

#ifdef __cplusplus
}
#endif

#endif
