/* bench/vmath_sleef.c — SLEEF's 1-ulp float functions applied over an array, for
 * bench/vmath_bench.c to time beside tapegrad's kernels. Built twice: with -mavx2 -mfma
 * (functions *_avx2, 8 floats a vector) and with -mavx512f (*_avx512, 16), since sleef.h
 * declares each vector function only when compiling for its instruction set. n must be a
 * multiple of 16. Sigmoid is 1 / (1 + exp(-x)) on SLEEF's exp (SLEEF has no sigmoid).
 * Not part of the library; called only after the CPU was found to support the set. */
#include <immintrin.h>
#include <stdint.h>
#include <sleef.h>

#if defined(__AVX512F__)
#define SUF(name) sleef_##name##_avx512
#define W 16
typedef __m512 vec;
#define LOAD _mm512_loadu_ps
#define STORE _mm512_storeu_ps
#define SET1 _mm512_set1_ps
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps
#define DIV _mm512_div_ps
#define EXP Sleef_expf16_u10avx512f
#define LOG Sleef_logf16_u10avx512f
#define TANH Sleef_tanhf16_u10avx512f
#else
#define SUF(name) sleef_##name##_avx2
#define W 8
typedef __m256 vec;
#define LOAD _mm256_loadu_ps
#define STORE _mm256_storeu_ps
#define SET1 _mm256_set1_ps
#define ADD _mm256_add_ps
#define SUB _mm256_sub_ps
#define DIV _mm256_div_ps
#define EXP Sleef_expf8_u10avx2
#define LOG Sleef_logf8_u10avx2
#define TANH Sleef_tanhf8_u10avx2
#endif

static vec sigmoid(vec v) { return DIV(SET1(1.0f), ADD(SET1(1.0f), EXP(SUB(SET1(0.0f), v)))); }

#define LOOP(name, F)                                                                       \
    void SUF(name)(const float *x, float *y, int64_t n);                                    \
    void SUF(name)(const float *x, float *y, int64_t n)                                     \
    {                                                                                       \
        for (int64_t i = 0; i + W <= n; i += W) STORE(y + i, F(LOAD(x + i)));               \
    }
LOOP(exp, EXP)
LOOP(log, LOG)
LOOP(tanh, TANH)
LOOP(sigmoid, sigmoid)
