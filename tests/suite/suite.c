/* The C twin of tests/suite/suite.flow: the same kernels, the same f32
 * operations in the same order, i32 arithmetic done in uint32_t so that it
 * wraps as Flow's does, and the same checksums. Built with gcc -O2 (the
 * reference the results must equal bit for bit) and with -O3 -march=native
 * -ffast-math (a speed reference only: it may regroup float sums). */
#include <stdint.h>

static float A[4096], B[4096], C[4096], X[4096], Y[4096];
static int32_t IA[16641], IB[4096], IC[4096];

static int32_t next(int32_t s) { return (int32_t)((uint32_t)s * 1664525u + 1013904223u); }

static void fill_f32(float* a, int n, int32_t seed)
{
    int32_t s = seed;
    for (int i = 0; i < n; ++i) {
        s = next(s);
        a[i] = (float)(((s >> 16) & 31) - 16) * 0.125f;
    }
}

static void fill_i32(int32_t* a, int n, int32_t seed, int32_t mask)
{
    int32_t s = seed;
    for (int i = 0; i < n; ++i) {
        s = next(s);
        a[i] = (s >> 8) & mask;
    }
}

static int32_t checksum_f32(const float* a, int n)
{
    uint32_t c = 0;
    for (int i = 0; i < n; ++i)
        c = c * 31u + (uint32_t)(int32_t)(a[i] * 64.0f);
    return (int32_t)c;
}

static int32_t checksum_i32(const int32_t* a, int n)
{
    uint32_t c = 0;
    for (int i = 0; i < n; ++i)
        c = c * 31u + (uint32_t)a[i];
    return (int32_t)c;
}

int32_t suite_gemm_ijk(void)
{
    int n = 48;
    fill_f32(A, n * n, 1);
    fill_f32(B, n * n, 2);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            float s = 0.0f;
            for (int k = 0; k < n; ++k)
                s = s + A[i * n + k] * B[k * n + j];
            C[i * n + j] = s;
        }
    return checksum_f32(C, n * n);
}

int32_t suite_gemm_ikj(void)
{
    int n = 48;
    fill_f32(A, n * n, 3);
    fill_f32(B, n * n, 4);
    for (int i = 0; i < n * n; ++i)
        C[i] = 0.0f;
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < n; ++k) {
            float aik = A[i * n + k];
            for (int j = 0; j < n; ++j)
                C[i * n + j] = C[i * n + j] + aik * B[k * n + j];
        }
    return checksum_f32(C, n * n);
}

int32_t suite_gemv(void)
{
    int n = 64;
    fill_f32(A, n * n, 5);
    fill_f32(X, n, 6);
    for (int i = 0; i < n; ++i) {
        float s = 0.0f;
        int row = i * n;
        for (int j = 0; j < n; ++j)
            s = s + A[row + j] * X[j];
        Y[i] = s;
    }
    return checksum_f32(Y, n);
}

int32_t suite_atax(void)
{
    int n = 48;
    fill_f32(A, n * n, 7);
    fill_f32(X, n, 8);
    for (int j = 0; j < n; ++j)
        Y[j] = 0.0f;
    for (int i = 0; i < n; ++i) {
        float t = 0.0f;
        for (int j = 0; j < n; ++j)
            t = t + A[i * n + j] * X[j];
        for (int j = 0; j < n; ++j)
            Y[j] = Y[j] + A[i * n + j] * t;
    }
    return checksum_f32(Y, n);
}

int32_t suite_trisolv(void)
{
    int n = 64;
    fill_f32(A, n * n, 9);
    fill_f32(B, n, 10);
    for (int i = 0; i < n; ++i) {
        float s = B[i];
        for (int j = 0; j < i; ++j)
            s = s - A[i * n + j] * X[j];
        X[i] = s / 4.0f;
    }
    return checksum_f32(X, n);
}

int32_t suite_lu(void)
{
    int n = 32;
    fill_f32(A, n * n, 11);
    for (int i = 0; i < n; ++i)
        A[i * n + i] = A[i * n + i] + 64.0f;
    for (int k = 0; k < n; ++k)
        for (int i = k + 1; i < n; ++i) {
            A[i * n + k] = A[i * n + k] / A[k * n + k];
            float l = A[i * n + k];
            for (int j = k + 1; j < n; ++j)
                A[i * n + j] = A[i * n + j] - l * A[k * n + j];
        }
    return checksum_f32(A, n * n);
}

int32_t suite_jacobi2d(void)
{
    int n = 48;
    fill_f32(A, n * n, 12);
    fill_f32(B, n * n, 12);
    for (int t = 0; t < 4; ++t) {
        for (int i = 1; i < n - 1; ++i)
            for (int j = 1; j < n - 1; ++j)
                B[i * n + j] = 0.2f * (A[i * n + j] + A[i * n + j - 1] + A[i * n + j + 1] + A[(i - 1) * n + j] + A[(i + 1) * n + j]);
        for (int i = 1; i < n - 1; ++i)
            for (int j = 1; j < n - 1; ++j)
                A[i * n + j] = 0.2f * (B[i * n + j] + B[i * n + j - 1] + B[i * n + j + 1] + B[(i - 1) * n + j] + B[(i + 1) * n + j]);
    }
    return checksum_f32(A, n * n);
}

int32_t suite_seidel2d(void)
{
    int n = 48;
    fill_f32(A, n * n, 13);
    for (int t = 0; t < 2; ++t)
        for (int i = 1; i < n - 1; ++i)
            for (int j = 1; j < n - 1; ++j) {
                float s = 0.0f;
                for (int di = 0; di < 3; ++di)
                    for (int dj = 0; dj < 3; ++dj)
                        s = s + A[(i + di - 1) * n + j + dj - 1];
                A[i * n + j] = s / 9.0f;
            }
    return checksum_f32(A, n * n);
}

int32_t suite_blur3x3(void)
{
    int n = 64;
    fill_i32(IB, n * n, 14, 255);
    for (int i = 0; i < n * n; ++i)
        IC[i] = 0;
    for (int i = 1; i < n - 1; ++i)
        for (int j = 1; j < n - 1; ++j) {
            int32_t s = 0;
            for (int di = 0; di < 3; ++di)
                for (int dj = 0; dj < 3; ++dj)
                    s = s + IB[(i + di - 1) * n + j + dj - 1];
            IC[i * n + j] = s / 9;
        }
    return checksum_i32(IC, n * n);
}

int32_t suite_conv1d(void)
{
    int n = 4096;
    fill_f32(X, n, 15);
    fill_f32(B, 7, 16);
    for (int i = 0; i < n - 6; ++i) {
        float s = 0.0f;
        for (int k = 0; k < 7; ++k)
            s = s + X[i + k] * B[k];
        Y[i] = s;
    }
    return checksum_f32(Y, n - 6);
}

int32_t suite_floyd(void)
{
    int n = 40;
    fill_i32(IB, n * n, 17, 1023);
    for (int i = 0; i < n; ++i)
        IB[i * n + i] = 0;
    for (int k = 0; k < n; ++k)
        for (int i = 0; i < n; ++i) {
            int32_t ik = IB[i * n + k];
            for (int j = 0; j < n; ++j) {
                int32_t via = ik + IB[k * n + j];
                if (via < IB[i * n + j])
                    IB[i * n + j] = via;
            }
        }
    return checksum_i32(IB, n * n);
}

int32_t suite_lcs(void)
{
    int n = 128;
    fill_i32(IB, n, 18, 3);
    fill_i32(IC, n, 19, 3);
    int w = n + 1;
    for (int j = 0; j < w; ++j)
        IA[j] = 0;
    for (int i = 1; i < w; ++i) {
        IA[i * w] = 0;
        for (int j = 1; j < w; ++j) {
            if (IB[i - 1] == IC[j - 1])
                IA[i * w + j] = IA[(i - 1) * w + j - 1] + 1;
            else {
                int32_t up = IA[(i - 1) * w + j], left = IA[i * w + j - 1];
                IA[i * w + j] = up > left ? up : left;
            }
        }
    }
    return IA[n * w + n];
}

int32_t suite_crc32(void)
{
    int n = 2048;
    fill_i32(IB, n, 20, 255);
    uint32_t crc = 0xFFFFFFFFu;
    for (int i = 0; i < n; ++i) {
        crc ^= (uint32_t)IB[i];
        for (int b = 0; b < 8; ++b) {
            uint32_t mask = 0u - (crc & 1u);
            crc = (crc >> 1) ^ (0xEDB88320u & mask);
        }
    }
    return (int32_t)~crc;
}

int32_t suite_isort(void)
{
    int n = 384;
    fill_i32(IB, n, 21, 65535);
    for (int i = 1; i < n; ++i) {
        int32_t v = IB[i];
        int j = i - 1;
        while (j >= 0 && IB[j] > v) {
            IB[j + 1] = IB[j];
            j = j - 1;
        }
        IB[j + 1] = v;
    }
    return checksum_i32(IB, n);
}

int32_t suite_histogram(void)
{
    int n = 4096;
    fill_i32(IB, n, 22, 0xFFFF);
    for (int b = 0; b < 64; ++b)
        IC[b] = 0;
    for (int i = 0; i < n; ++i) {
        int32_t bin = (int32_t)(((uint32_t)IB[i] * 7u) & 63u);
        IC[bin] = IC[bin] + 1;
    }
    return checksum_i32(IC, 64);
}

int32_t suite_prefix(void)
{
    int n = 4096;
    fill_i32(IB, n, 23, 1023);
    for (int i = 1; i < n; ++i)
        IB[i] = (int32_t)((uint32_t)IB[i] + (uint32_t)IB[i - 1]);
    return checksum_i32(IB, n);
}

int32_t suite_mix(void)
{
    uint32_t x = 0x92D68CA2u, h = 0;
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        h = (h ^ x) * 16777619u;
    }
    return (int32_t)h;
}
