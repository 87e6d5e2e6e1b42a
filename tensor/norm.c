/* tensor/norm.c — layer-norm row kernels (forward, input gradient, gain/bias gradients) on
 * every SIMD path, and their naive twins.
 *
 * One body (tensor/norm_body.h, GCC vector types) compiled for the x86-64 baseline (4
 * lanes), AVX2 (8) and AVX-512F (16), chosen by the path of the vector math kernels
 * (tg_simd_get_path: TG_SIMD=portable|avx2|avx512 forces it). Sums are float, in lanes;
 * the naive twins compute in double one element at a time and are the tests' reference.
 * Formula: PyTorch's torch.nn.functional.layer_norm over the last axis (biased variance,
 * eps inside the root); the gradient is the standard one, e.g. Ba et al. 2016.
 * Not here: threads (the op in autograd/ops_norm.c splits rows), the op and its record.
 */
#include "tensor/tensor.h"

#include <math.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define NM(name) name##_portable
#define NM_W 4
#define NM_TARGET
#include "tensor/norm_body.h"
#undef NM
#undef NM_W
#undef NM_TARGET
#define TG_NORM_VECTOR 1
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TG_NORM_X86 1
#define NM(name) name##_avx2
#define NM_W 8
#define NM_TARGET , target("avx2,fma")
#include "tensor/norm_body.h"
#undef NM
#undef NM_W
#undef NM_TARGET
#define NM(name) name##_avx512
#define NM_W 16
#define NM_TARGET , target("avx512f,avx2,fma")
#include "tensor/norm_body.h"
#undef NM
#undef NM_W
#undef NM_TARGET
#endif

#ifdef TG_NORM_X86
#define NM_PICK(name)                                                                       \
    (tg_simd_get_path() == TG_SIMD_AVX512 ? name##_avx512                                   \
     : tg_simd_get_path() == TG_SIMD_AVX2 ? name##_avx2                                     \
                                          : name##_portable)
#elif defined(TG_NORM_VECTOR)
#define NM_PICK(name) name##_portable
#endif

void tg_kernel_layer_norm(const float *x, const float *gain, const float *bias, float *y,
                          float *mean, float *rstd, int64_t rows, int n, float eps)
{
#ifdef NM_PICK
    NM_PICK(ln_forward)(x, gain, bias, y, mean, rstd, rows, n, eps);
#else
    tg_kernel_layer_norm_naive(x, gain, bias, y, mean, rstd, rows, n, eps);
#endif
}

void tg_kernel_layer_norm_backward(const float *x, const float *dy, const float *gain,
                                   const float *mean, const float *rstd, float *dx,
                                   int64_t rows, int n)
{
#ifdef NM_PICK
    NM_PICK(ln_backward)(x, dy, gain, mean, rstd, dx, rows, n);
#else
    tg_kernel_layer_norm_backward_naive(x, dy, gain, mean, rstd, dx, rows, n);
#endif
}

void tg_kernel_layer_norm_param_grads(const float *x, const float *dy, const float *mean,
                                      const float *rstd, float *dgain, float *dbias,
                                      int64_t rows, int n, int j0, int j1)
{
#ifdef NM_PICK
    NM_PICK(ln_param_grads)(x, dy, mean, rstd, dgain, dbias, rows, n, j0, j1);
#else
    tg_kernel_layer_norm_param_grads_naive(x, dy, mean, rstd, dgain, dbias, rows, n, j0, j1);
#endif
}

/* ---- naive twins: double, one element at a time ------------------------------------------ */

static double row_mean(const float *mean, int64_t r)
{
    return (double)mean[2 * r] + (double)mean[2 * r + 1];
}

void tg_kernel_layer_norm_naive(const float *x, const float *gain, const float *bias, float *y,
                                float *mean, float *rstd, int64_t rows, int n, float eps)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        double s = 0.0, s2 = 0.0;
        for (int j = 0; j < n; j++) s += xr[j];
        double mu = s / n;
        for (int j = 0; j < n; j++) s2 += (xr[j] - mu) * (xr[j] - mu);
        double rs = 1.0 / sqrt(s2 / n + (double)eps);
        mean[2 * r] = (float)mu, mean[2 * r + 1] = (float)(mu - (double)(float)mu);
        rstd[r] = (float)rs;
        for (int j = 0; j < n; j++)
            y[r * n + j] = (float)((xr[j] - mu) * rs * (gain ? gain[j] : 1.0) +
                                   (bias ? bias[j] : 0.0));
    }
}

void tg_kernel_layer_norm_backward_naive(const float *x, const float *dy, const float *gain,
                                         const float *mean, const float *rstd, float *dx,
                                         int64_t rows, int n)
{
    for (int64_t r = 0; r < rows; r++) {
        double a = 0.0, b = 0.0;
        for (int j = 0; j < n; j++) {
            double g = (double)dy[r * n + j] * (gain ? gain[j] : 1.0);
            a += g;
            b += g * ((x[r * n + j] - row_mean(mean, r)) * rstd[r]);
        }
        for (int j = 0; j < n; j++) {
            double g = (double)dy[r * n + j] * (gain ? gain[j] : 1.0);
            double xh = (x[r * n + j] - row_mean(mean, r)) * rstd[r];
            dx[r * n + j] += (float)(rstd[r] * (g - a / n - xh * b / n));
        }
    }
}

void tg_kernel_layer_norm_param_grads_naive(const float *x, const float *dy, const float *mean,
                                            const float *rstd, float *dgain, float *dbias,
                                            int64_t rows, int n, int j0, int j1)
{
    for (int j = j0; j < j1; j++) {
        double g = 0.0, b = 0.0;
        for (int64_t r = 0; r < rows; r++) {
            g += (double)dy[r * n + j] * ((x[r * n + j] - row_mean(mean, r)) * rstd[r]);
            b += dy[r * n + j];
        }
        if (dgain) dgain[j] += (float)g;
        if (dbias) dbias[j] += (float)b;
    }
}
