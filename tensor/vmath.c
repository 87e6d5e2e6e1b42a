/* tensor/vmath.c — vectorized exp, sigmoid and tanh for float32 arrays.
 *
 * glibc's expf and tanhf are called one element at a time, with branches gcc cannot
 * vectorize; in a recurrent cell they dominated the step. These kernels are written as
 * branch-free scalar code that gcc vectorizes, compiled for AVX-512, AVX2 and the
 * baseline with function multiversioning (target_clones: the loader picks one for the
 * CPU at start-up).
 *
 * Method (Cephes-style, coefficients from Moshier's Cephes single-precision library):
 *   exp(x) = 2^n e^r,  n = round(x / ln 2),  r = x - n ln 2 (ln 2 split in two parts),
 *            e^r by a degree-6 polynomial on |r| <= ln2 / 2, 2^n built in the exponent bits;
 *   sigmoid(x) = 1 / (1 + exp(-x));
 *   tanh(x) = x + x^3 P(x^2) for |x| < 0.625, else sign(x) (1 - 2 / (exp(2|x|) + 1)).
 * Accuracy: within a few float ulps of the libm value over the whole range (tests compare
 * with the naive twins); NaN stays NaN. Arguments of exp are clamped to [-87, 88], so
 * exp never overflows to inf: sigmoid and tanh saturate cleanly.
 * Not here: a general libm. tg_exp (the autograd op) keeps libm's expf for full range.
 */
#include "tensor/tensor.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(TG_NO_CLONES)
#define TG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TG_CLONES
#endif

/* exp(x) for x in any range (clamped to [-87, 88]); see the method above. */
static inline float exp_core(float x)
{
    x = x > 88.0f ? 88.0f : x; /* comparisons keep NaN as NaN */
    x = x < -87.0f ? -87.0f : x;
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float t = x * 1.44269504088896341f + magic;
    float n = t - magic;
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f; /* x - n ln2, ln2 in two parts */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    /* 2^n: n sits in the low bits of t (t's bits minus magic's bits, 0x4B400000). */
    uint32_t sb = (tb - 0x4B400000u + 127u) << 23;
    float s;
    memcpy(&s, &sb, sizeof s);
    return p * s;
}

TG_CLONES void tg_kernel_exp(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = exp_core(x[i]);
}

TG_CLONES void tg_kernel_sigmoid(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + exp_core(-x[i]));
}

TG_CLONES void tg_kernel_tanh(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i], a = fabsf(v);
        /* small |x|: odd polynomial (no cancellation) */
        float z = v * v;
        float p = -5.70498872745e-3f;
        p = p * z + 2.06390887954e-2f;
        p = p * z - 5.37397155531e-2f;
        p = p * z + 1.33314422036e-1f;
        p = p * z - 3.33332819422e-1f;
        float small = v + v * z * p;
        /* large |x|: from exp(2|x|) */
        float big = 1.0f - 2.0f / (exp_core(2.0f * a) + 1.0f);
        big = v < 0.0f ? -big : big;
        y[i] = a < 0.625f ? small : big;
    }
}

/* ---- naive twins: libm, one element at a time ------------------------------------------ */

void tg_kernel_exp_naive(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = expf(x[i]);
}

void tg_kernel_sigmoid_naive(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
}

void tg_kernel_tanh_naive(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
