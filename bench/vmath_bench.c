/* bench/vmath_bench.c — elements per nanosecond of the vector math kernels (exp, log,
 * sigmoid, tanh) on every SIMD path this CPU runs, beside their libm twins and, when built
 * with SLEEF (-Dsleef, Debian libsleef-dev), SLEEF 3's 1-ulp functions (Sleef_expf8_u10avx2
 * and the like; sigmoid as 1 / (1 + exp(-x)) on SLEEF's exp), the library PyTorch uses.
 *
 * One thread. Each cell is the best of --rounds medians; a sample repeats the call on an
 * array of --n floats (default 16384: one (64, 256) gate tensor, in L1/L2) for >= 2 ms.
 * A path that runs no faster than libm would show here as about 0.1-0.3 elements/ns: the
 * scalar AVX2 clone that hid in earlier versions did.
 *
 * Usage: vmath_bench [--n N] [--rounds R]
 * What this is not: a test and not run by `meson test` (tests/test_vmath.c checks accuracy).
 */
#include "tensor/tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


typedef void (*vm_fn)(const float *, float *, int64_t);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Elements per ns: best over rounds of the median of 7 samples of >= 2 ms. */
static double rate(vm_fn f, const float *x, float *y, int64_t n, int rounds)
{
    double best = 0;
    for (int r = 0; r < rounds; r++) {
        double s[7];
        for (int k = 0; k < 7; k++) {
            long reps = 0;
            double t0 = now(), t;
            do {
                f(x, y, n);
                reps++;
            } while ((t = now() - t0) < 2e-3);
            s[k] = (double)n * (double)reps / (t * 1e9);
        }
        qsort(s, 7, sizeof s[0], cmp_double);
        best = fmax(best, s[3]);
    }
    return best;
}

/* One table row up to the SIMD paths: the naive twin's rate, then the kernel on every path. */
static void path_row(const char *name, vm_fn naive, vm_fn fast, const float *x, float *y,
                     int64_t n, int rounds)
{
    printf("%-8s %8.3f", name, rate(naive, x, y, n, rounds));
    for (tg_simd_path p = TG_SIMD_PORTABLE; p <= TG_SIMD_AVX512; p++) {
        if (tg_simd_cpu_supports(p)) {
            tg_simd_set_path(p);
            printf(" %*.3f", p == TG_SIMD_PORTABLE ? 9 : 8, rate(fast, x, y, n, rounds));
        } else {
            printf(" %*s", p == TG_SIMD_PORTABLE ? 9 : 8, "-");
        }
    }
}

/* Layer norm (tensor/norm.c) over rows of LN_ROW floats, forward and input gradient, in
 * the same shape as the unary kernels so the same timer and table serve: the "libm" column
 * is the naive twin (double sums). */
enum { LN_ROW = 256, LN_MAX_ROWS = 1 << 12 };
static float ln_mean[2 * LN_MAX_ROWS], ln_rstd[LN_MAX_ROWS];
static void ln_fwd(const float *x, float *y, int64_t n)
{
    tg_kernel_layer_norm(x, NULL, NULL, y, ln_mean, ln_rstd, n / LN_ROW, LN_ROW, 1e-5f);
}
static void ln_fwd_naive(const float *x, float *y, int64_t n)
{
    tg_kernel_layer_norm_naive(x, NULL, NULL, y, ln_mean, ln_rstd, n / LN_ROW, LN_ROW, 1e-5f);
}
static void ln_bwd(const float *x, float *y, int64_t n) /* dy = x, stats of the last forward */
{
    tg_kernel_layer_norm_backward(x, x, NULL, ln_mean, ln_rstd, y, n / LN_ROW, LN_ROW);
}
static void ln_bwd_naive(const float *x, float *y, int64_t n)
{
    tg_kernel_layer_norm_backward_naive(x, x, NULL, ln_mean, ln_rstd, y, n / LN_ROW, LN_ROW);
}

#ifdef TG_HAVE_SLEEF
/* bench/vmath_sleef.c, compiled once with -mavx2 -mfma and once with -mavx512f (sleef.h
 * declares its vector functions only for the instruction set being compiled for). */
void sleef_exp_avx2(const float *, float *, int64_t);
void sleef_log_avx2(const float *, float *, int64_t);
void sleef_sigmoid_avx2(const float *, float *, int64_t);
void sleef_tanh_avx2(const float *, float *, int64_t);
void sleef_exp_avx512(const float *, float *, int64_t);
void sleef_log_avx512(const float *, float *, int64_t);
void sleef_sigmoid_avx512(const float *, float *, int64_t);
void sleef_tanh_avx512(const float *, float *, int64_t);
#endif

int main(int argc, char **argv)
{
    int64_t n = 16384;
    int rounds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--n") == 0) n = atoll(argv[i + 1]) / 16 * 16;
        else if (strcmp(argv[i], "--rounds") == 0) rounds = atoi(argv[i + 1]);
    }
    if (n < 16) n = 16;
    tg_set_num_threads(1);
    float *x = tg_malloc(sizeof(float) * (size_t)n), *y = tg_malloc(sizeof(float) * (size_t)n);
    const char *names[4] = {"exp", "log", "sigmoid", "tanh"};
    vm_fn fast[4] = {tg_kernel_exp, tg_kernel_log, tg_kernel_sigmoid, tg_kernel_tanh};
    vm_fn naive[4] = {tg_kernel_exp_naive, tg_kernel_log_naive, tg_kernel_sigmoid_naive,
                      tg_kernel_tanh_naive};
#ifdef TG_HAVE_SLEEF
    vm_fn sl8[4] = {sleef_exp_avx2, sleef_log_avx2, sleef_sigmoid_avx2, sleef_tanh_avx2};
    vm_fn sl16[4] = {sleef_exp_avx512, sleef_log_avx512, sleef_sigmoid_avx512,
                     sleef_tanh_avx512};
#endif
    tg_simd_path saved = tg_simd_get_path();
    printf("vmath_bench: elements/ns, 1 thread, n = %lld, best of %d medians; auto path %s\n",
           (long long)n, rounds, tg_simd_name(saved));
    printf("%-8s %8s %9s %8s %8s", "kernel", "libm", "portable", "avx2", "avx512");
#ifdef TG_HAVE_SLEEF
    printf(" %11s %13s", "sleef avx2", "sleef avx512");
#endif
    printf("\n");
    for (int k = 0; k < 4; k++) {
        /* inputs where the kernel is defined and interesting: log on (0, 20], others [-8, 8] */
        for (int64_t i = 0; i < n; i++)
            x[i] = k == 1 ? 20.0f * (float)(i + 1) / (float)n : -8.0f + 16.0f * (float)i / (float)n;
        path_row(names[k], naive[k], fast[k], x, y, n, rounds);
#ifdef TG_HAVE_SLEEF
        if (tg_simd_cpu_supports(TG_SIMD_AVX2)) printf(" %11.3f", rate(sl8[k], x, y, n, rounds));
        else printf(" %11s", "-");
        if (tg_simd_cpu_supports(TG_SIMD_AVX512))
            printf(" %13.3f", rate(sl16[k], x, y, n, rounds));
        else printf(" %13s", "-");
#endif
        printf("\n");
    }
    /* layer norm rows, every path; the stats come from a forward on the same data */
    static const char *ln_names[2] = {"ln fwd", "ln bwd"};
    vm_fn ln_fast[2] = {ln_fwd, ln_bwd}, ln_naive[2] = {ln_fwd_naive, ln_bwd_naive};
    int64_t ln_n = n / LN_ROW * LN_ROW;
    if (ln_n > (int64_t)LN_ROW * LN_MAX_ROWS) ln_n = (int64_t)LN_ROW * LN_MAX_ROWS;
    for (int64_t i = 0; i < ln_n; i++)
        x[i] = -8.0f + 16.0f * (float)((i * 37) % ln_n) / (float)ln_n;
    ln_fwd_naive(x, y, ln_n);
    for (int k = 0; k < 2; k++) {
        path_row(ln_names[k], ln_naive[k], ln_fast[k], x, y, ln_n, rounds);
        printf("\n");
    }
    tg_simd_set_path(saved);
    tg_free(x);
    tg_free(y);
    return 0;
}
