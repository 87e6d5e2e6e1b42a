/* tests/test_vmath.c — the vectorized exp, log, sigmoid and tanh on every SIMD path the CPU
 * runs (portable, AVX2, AVX-512) against their libm twins: accuracy in ulps over a sweep of
 * the whole float range, IEEE special values, saturation, tails and in-place calls, and the
 * same bits on the two FMA paths. Part of the test_tensor executable. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tapegrad.h"

typedef void (*vm_kernel)(const float *, float *, int64_t);

static const struct {
    const char *name;
    vm_kernel fast, naive;
} kernels[] = {
    {"exp", tg_kernel_exp, tg_kernel_exp_naive},
    {"log", tg_kernel_log, tg_kernel_log_naive},
    {"sigmoid", tg_kernel_sigmoid, tg_kernel_sigmoid_naive},
    {"tanh", tg_kernel_tanh, tg_kernel_tanh_naive},
};
enum { NKERNELS = sizeof kernels / sizeof kernels[0] };

/* The paths this CPU can run, in order portable, avx2, avx512. */
static int paths(tg_simd_path out[3])
{
    int n = 0;
    for (tg_simd_path p = TG_SIMD_PORTABLE; p <= TG_SIMD_AVX512; p++)
        if (tg_simd_cpu_supports(p)) out[n++] = p;
    return n;
}

/* Distance in units in the last place: floats mapped to integers in their order (so that
 * adjacent floats differ by 1 across zero and the subnormals). NaN-NaN and equal values are
 * 0; NaN against a number is "infinitely" far. */
static int64_t ord(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i < 0 ? -(int64_t)(i & 0x7fffffff) : (int64_t)i;
}
static int64_t ulps(float a, float b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0 : INT64_MAX;
    int64_t d = ord(a) - ord(b);
    return d < 0 ? -d : d;
}

/* Every 1021st bit pattern of the float range, both signs (about 8.4 million values,
 * NaNs and infinities included), then an odd count so the vector loops have a tail. */
static float *sweep(int64_t *n)
{
    int64_t cap = ((int64_t)1 << 32) / 1021 + 8, k = 0;
    float *x = malloc(sizeof(float) * (size_t)cap);
    for (uint64_t u = 0; u < ((uint64_t)1 << 32); u += 1021) {
        uint32_t b = (uint32_t)u;
        memcpy(&x[k++], &b, sizeof b);
    }
    if (k % 2 == 0) x[k++] = 0.5f;
    *n = k;
    return x;
}

Test(vmath, every_path_within_4_ulps_of_libm_over_the_float_range)
{
    tg_simd_path ps[3];
    int np = paths(ps);
    int64_t n;
    float *x = sweep(&n), *a = malloc(sizeof(float) * (size_t)n),
          *b = malloc(sizeof(float) * (size_t)n);
    for (int k = 0; k < NKERNELS; k++) {
        kernels[k].naive(x, b, n);
        for (int p = 0; p < np; p++) {
            tg_simd_set_path(ps[p]);
            kernels[k].fast(x, a, n);
            int64_t worst = 0;
            float at = 0;
            for (int64_t i = 0; i < n; i++) {
                int64_t d = ulps(a[i], b[i]);
                if (d > worst) worst = d, at = x[i];
            }
            cr_expect_leq(worst, 4, "%s on %s: %lld ulps at x = %.9g", kernels[k].name,
                          tg_simd_name(ps[p]), (long long)worst, (double)at);
        }
    }
    tg_simd_set_path(TG_SIMD_AUTO);
    free(x), free(a), free(b);
}

/* AVX2 and AVX-512 do the same FMAs in the same order: the same bits (the portable path,
 * without FMA, rounds differently and is checked in ulps above). */
Test(vmath, avx2_and_avx512_give_the_same_bits)
{
    if (!tg_simd_cpu_supports(TG_SIMD_AVX512)) cr_skip_test("no AVX-512 on this CPU");
    int64_t n;
    float *x = sweep(&n), *a = malloc(sizeof(float) * (size_t)n),
          *b = malloc(sizeof(float) * (size_t)n);
    for (int k = 0; k < NKERNELS; k++) {
        tg_simd_set_path(TG_SIMD_AVX2);
        kernels[k].fast(x, b, n);
        tg_simd_set_path(TG_SIMD_AVX512);
        kernels[k].fast(x, a, n);
        cr_expect(memcmp(a, b, sizeof(float) * (size_t)n) == 0, "%s: avx512 differs from avx2",
                  kernels[k].name);
    }
    tg_simd_set_path(TG_SIMD_AUTO);
    free(x), free(a), free(b);
}

Test(vmath, special_values_as_libm)
{
    const float inf = INFINITY;
    float x[] = {0.0f, -0.0f, inf, -inf, NAN, 1000.0f, -1000.0f, 88.8f, -103.0f, 1e-45f, -1.0f};
    enum { N = sizeof x / sizeof x[0] };
    float y[N];
    tg_simd_path ps[3];
    int np = paths(ps);
    for (int p = 0; p < np; p++) {
        tg_simd_set_path(ps[p]);
        const char *path = tg_simd_name(ps[p]);
        tg_kernel_exp(x, y, N);
        cr_expect(y[0] == 1.0f && y[1] == 1.0f && y[2] == inf && y[3] == 0.0f, "exp %s", path);
        cr_expect(isnan(y[4]) && y[5] == inf && y[6] == 0.0f && y[7] == inf, "exp %s", path);
        cr_expect(y[8] > 0.0f && y[8] < 1.2e-38f, "exp(-103) subnormal on %s", path);
        tg_kernel_log(x, y, N);
        cr_expect(y[0] == -inf && y[1] == -inf && y[2] == inf && isnan(y[3]), "log %s", path);
        cr_expect(isnan(y[4]) && isnan(y[6]) && isnan(y[10]), "log %s", path);
        cr_expect(fabsf(y[9] - logf(1e-45f)) < 1e-5f, "log(1e-45) on %s: %g", path, y[9]);
        tg_kernel_sigmoid(x, y, N);
        cr_expect(y[0] == 0.5f && y[2] == 1.0f && y[3] == 0.0f && isnan(y[4]), "sigm %s", path);
        cr_expect(y[5] == 1.0f && y[6] == 0.0f, "sigmoid saturates on %s", path);
        tg_kernel_tanh(x, y, N);
        cr_expect(y[0] == 0.0f && !signbit(y[0]) && signbit(y[1]), "tanh(+-0) on %s", path);
        cr_expect(y[2] == 1.0f && y[3] == -1.0f && isnan(y[4]), "tanh %s", path);
        cr_expect(y[5] == 1.0f && y[6] == -1.0f && y[9] == 1e-45f, "tanh %s", path);
    }
    tg_simd_set_path(TG_SIMD_AUTO);
}

/* Every length 0..40 (vector bodies and tails of all three widths), in place and not, on
 * every path: apart, a tail is the last whole vector done again; in place, a zero-padded
 * vector. Both must give the same bits and write nothing past n. */
Test(vmath, tails_and_in_place)
{
    float x[40], y[40], z[40];
    for (int i = 0; i < 40; i++) x[i] = 0.37f * (float)i - 6.0f;
    tg_simd_path ps[3];
    int np = paths(ps);
    for (int p = 0; p < np; p++)
    for (int k = 0; k < NKERNELS; k++)
        for (int n = 0; n <= 40; n++) {
            tg_simd_set_path(ps[p]);
            float sentinel = 12345.0f;
            for (int i = 0; i < 40; i++) y[i] = sentinel, z[i] = x[i];
            kernels[k].fast(x, y, n);
            kernels[k].fast(z, z, n);
            for (int i = 0; i < 40; i++) {
                if (i < n)
                    cr_expect(memcmp(&y[i], &z[i], sizeof(float)) == 0, "%s n=%d i=%d",
                              kernels[k].name, n, i);
                else
                    cr_expect(y[i] == sentinel, "%s n=%d wrote past the end", kernels[k].name, n);
            }
        }
    tg_simd_set_path(TG_SIMD_AUTO);
}

Test(vmath, path_names_parse_and_resolve)
{
    cr_expect(tg_simd_parse("avx2") == TG_SIMD_AVX2);
    cr_expect(tg_simd_parse("avx512") == TG_SIMD_AVX512);
    cr_expect(tg_simd_parse("portable") == TG_SIMD_PORTABLE);
    cr_expect(tg_simd_parse("sse9") == TG_SIMD_AUTO && tg_simd_parse(NULL) == TG_SIMD_AUTO);
    cr_expect(tg_simd_resolve(TG_SIMD_PORTABLE) == TG_SIMD_PORTABLE);
    tg_simd_path best = tg_simd_resolve(TG_SIMD_AUTO);
    cr_expect(tg_simd_cpu_supports(best));
    cr_expect(tg_simd_set_path(TG_SIMD_AVX512) == best || best != TG_SIMD_AVX512);
    cr_expect_str_eq(tg_simd_name(tg_simd_get_path()), tg_simd_name(tg_simd_resolve(TG_SIMD_AVX512)));
    tg_simd_set_path(TG_SIMD_AUTO);
}
