/* tests/test_gemm.c — Criterion suite for tg_gemm's code paths (tensor/gemm.c and
 * tensor/gemm_kernels.c): every path the CPU supports, forced with tg_gemm_set_path,
 * against tg_gemm_naive on awkward shapes in all four transpose combinations, beta = 0
 * never reading C, identical bits at 1, 2 and 3 threads, B packed once (tg_gemm_packed)
 * giving tg_gemm's bits, no heap allocation once warm, and the path-selection API itself.
 *
 * Tolerance: both results are compared with a double-precision reference; each must be
 * within the classic bound (K + 2) * eps * (|alpha| sum_k |a_ik b_kj| + |beta c_ij|) of it,
 * and the padding columns of C (ldc > N) must keep their bits.
 *
 * What this file is not: a benchmark (bench/gemm_bench.c times the paths) nor the
 * hand-computed GEMM values and contract checks, which live in tests/test_tensor.c.
 */
#include <criterion/criterion.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/tensor.h"

/* ---- helpers -------------------------------------------------------------------------- */

/* The paths this machine runs, lowest first; returns how many. */
static int supported_paths(tg_gemm_path out[3])
{
    int n = 0;
    for (tg_gemm_path p = TG_GEMM_PORTABLE; p <= TG_GEMM_AVX512; p++)
        if (tg_gemm_set_path(p) == p) out[n++] = p;
    tg_gemm_set_path(TG_GEMM_AUTO);
    return n;
}

static float *buf(int64_t n) { return malloc((size_t)(n > 0 ? n : 1) * sizeof(float)); }

static void fill(float *x, int64_t n, tg_rng *r)
{
    for (int64_t i = 0; i < n; i++) x[i] = 2.0f * tg_rng_uniform(r) - 1.0f;
}

typedef struct gemm_case {
    int M, N, K;
    bool ta, tb;
    float alpha, beta;
    int pad; /* extra floats per row of A, B and C */
} gemm_case;

typedef struct gemm_data {
    gemm_case g;
    int lda, ldb, ldc;
    float *A, *B, *C0; /* C0: C before the call */
} gemm_data;

static gemm_data make_data(gemm_case g, tg_rng *r)
{
    gemm_data d = {g, (g.ta ? g.M : g.K) + g.pad, (g.tb ? g.K : g.N) + g.pad, g.N + g.pad,
                   NULL, NULL, NULL};
    int64_t na = (int64_t)(g.ta ? g.K : g.M) * d.lda, nb = (int64_t)(g.tb ? g.N : g.K) * d.ldb;
    int64_t nc = (int64_t)g.M * d.ldc;
    d.A = buf(na), d.B = buf(nb), d.C0 = buf(nc);
    fill(d.A, na, r), fill(d.B, nb, r), fill(d.C0, nc, r);
    return d;
}

static void free_data(gemm_data *d) { free(d->A), free(d->B), free(d->C0); }

static float op_a(const gemm_data *d, int i, int k)
{
    return d->g.ta ? d->A[(int64_t)k * d->lda + i] : d->A[(int64_t)i * d->lda + k];
}

static float op_b(const gemm_data *d, int k, int j)
{
    return d->g.tb ? d->B[(int64_t)j * d->ldb + k] : d->B[(int64_t)k * d->ldb + j];
}

/* C = result of one call (on a copy of C0, or on NaN when nan_c and beta == 0). */
static float *run(const gemm_data *d, bool naive, bool nan_c)
{
    const gemm_case *g = &d->g;
    int64_t nc = (int64_t)g->M * d->ldc;
    float *C = buf(nc);
    memcpy(C, d->C0, (size_t)nc * sizeof(float));
    if (nan_c)
        for (int i = 0; i < g->M; i++)
            for (int j = 0; j < g->N; j++) C[(int64_t)i * d->ldc + j] = NAN;
    (naive ? tg_gemm_naive : tg_gemm)(g->ta, g->tb, g->M, g->N, g->K, g->alpha, d->A, d->lda,
                                      d->B, d->ldb, g->beta, C, d->ldc);
    return C;
}

/* Both results within the rounding bound of a double reference; padding untouched. */
static void expect_close(const gemm_data *d, const float *fast, const float *naive,
                         const char *path, bool nan_c)
{
    const gemm_case *g = &d->g;
    for (int i = 0; i < g->M; i++) {
        for (int j = 0; j < d->ldc; j++) {
            int64_t at = (int64_t)i * d->ldc + j;
            if (j >= g->N) {
                cr_assert(memcmp(&fast[at], &d->C0[at], sizeof(float)) == 0,
                          "%s: padding C[%d][%d] was written", path, i, j);
                continue;
            }
            double ref = 0.0, mag = 0.0;
            for (int k = 0; k < g->K; k++) {
                double p = (double)op_a(d, i, k) * (double)op_b(d, k, j);
                ref += p, mag += fabs(p);
            }
            double c0 = nan_c ? 0.0 : (double)d->C0[at];
            ref = g->alpha * ref + (g->beta == 0.0f ? 0.0 : g->beta * c0);
            mag = fabs(g->alpha) * mag + fabs(g->beta * c0);
            double tol = (g->K + 2) * (double)FLT_EPSILON * mag + 1e-30;
            cr_assert(fabs(fast[at] - ref) <= tol && fabs(naive[at] - ref) <= tol,
                      "%s M=%d N=%d K=%d ta=%d tb=%d alpha=%g beta=%g pad=%d: C[%d][%d] fast "
                      "%.9g naive %.9g reference %.9g (bound %.3g)",
                      path, g->M, g->N, g->K, g->ta, g->tb, (double)g->alpha,
                      (double)g->beta, g->pad, i, j, (double)fast[at], (double)naive[at], ref,
                      tol);
        }
    }
}

/* ---- fast against naive ------------------------------------------------------------------ */

/* Odd sizes: not multiples of any vector width or tile, single rows and columns (N = 1
 * with ldc = 1 runs as the transposed product), K = 1, K just past one and two depth
 * blocks, and the recurrent shapes scaled down. The row index sets the padding. */
static const int odd_sizes[][3] = {/* M, N, K */
    {1, 1, 1},    {1, 17, 5},    {13, 1, 9},    {7, 33, 65},   {3, 200, 1},
    {40, 50, 1},  {1, 300, 64},  {64, 1, 300},  {9, 49, 17},   {17, 47, 257},
    {33, 97, 600}, {65, 31, 129}, {16, 64, 256}, {8, 192, 512}, {64, 75, 25},
    {16, 37, 100}, {100, 150, 50}, {255, 64, 16}, {150, 1, 384}, {7, 1, 2}, {1, 64, 1}};

Test(gemm_paths, every_path_matches_naive_at_odd_sizes_and_strides)
{
    static const float alphas[] = {1.0f, 0.75f, -2.0f};
    static const float betas[] = {0.0f, 1.0f, -0.5f};
    tg_gemm_path paths[3];
    int np = supported_paths(paths);
    tg_rng r;
    tg_rng_seed(&r, 2024, 7);
    int n = 0;
    for (size_t s = 0; s < sizeof odd_sizes / sizeof odd_sizes[0]; s++)
        for (int t = 0; t < 4; t++) {
            gemm_case g = {odd_sizes[s][0], odd_sizes[s][1], odd_sizes[s][2], t & 1, t >> 1,
                           alphas[n % 3], betas[(n / 3) % 3], (int)(s % 3) * 5};
            n++;
            gemm_data d = make_data(g, &r);
            float *naive = run(&d, true, false);
            for (int p = 0; p < np; p++) {
                tg_gemm_set_path(paths[p]);
                float *fast = run(&d, false, false);
                expect_close(&d, fast, naive, tg_gemm_path_name(), false);
                free(fast);
            }
            free(naive);
            free_data(&d);
        }
}

Test(gemm_paths, beta_zero_never_reads_c_even_when_it_holds_nan)
{
    tg_gemm_path paths[3];
    int np = supported_paths(paths);
    tg_rng r;
    tg_rng_seed(&r, 5, 5);
    static const int sizes[][3] = {{1, 1, 1}, {5, 19, 3}, {31, 65, 300}, {64, 48, 8}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int t = 0; t < 4; t++) {
            gemm_case g = {sizes[s][0], sizes[s][1], sizes[s][2], t & 1, t >> 1, 1.5f, 0.0f,
                           (int)s};
            gemm_data d = make_data(g, &r);
            float *naive = run(&d, true, true);
            for (int p = 0; p < np; p++) {
                tg_gemm_set_path(paths[p]);
                float *fast = run(&d, false, true);
                expect_close(&d, fast, naive, tg_gemm_path_name(), true);
                free(fast);
            }
            free(naive);
            free_data(&d);
        }
}

/* ---- determinism ----------------------------------------------------------------------- */

Test(gemm_paths, identical_bits_at_one_two_and_three_threads_on_every_path)
{
    /* Above the threading threshold, with edges that put thread boundaries inside tiles. */
    static const int sizes[][3] = {{256, 192, 320}, {67, 531, 300}, {1023, 77, 65},
                                   {33, 1000, 513}, {64, 256, 1024}, {5000, 1, 200}};
    tg_gemm_path paths[3];
    int np = supported_paths(paths);
    tg_rng r;
    tg_rng_seed(&r, 99, 2);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int t = 0; t < 4; t++) {
            gemm_case g = {sizes[s][0], sizes[s][1], sizes[s][2], t & 1, t >> 1, 0.5f,
                           s % 2 ? 1.0f : 0.25f, sizes[s][1] == 1 ? 0 : 1};
            gemm_data d = make_data(g, &r);
            for (int p = 0; p < np; p++) {
                tg_gemm_set_path(paths[p]);
                float *C[3];
                for (int th = 0; th < 3; th++) {
                    tg_set_num_threads(th + 1);
                    C[th] = run(&d, false, false);
                }
                size_t bytes = (size_t)g.M * d.ldc * sizeof(float);
                for (int th = 1; th < 3; th++)
                    cr_assert(memcmp(C[0], C[th], bytes) == 0,
                              "%s M=%d N=%d K=%d ta=%d tb=%d: 1 and %d threads differ",
                              tg_gemm_path_name(), g.M, g.N, g.K, g.ta, g.tb, th + 1);
                for (int th = 0; th < 3; th++) free(C[th]);
            }
            free_data(&d);
        }
    tg_set_num_threads(2);
}

/* ---- B packed once ---------------------------------------------------------------------- */

/* C from tg_gemm_packed with op(B) packed by tg_gemm_pack_b under the current path. */
static float *run_packed(const gemm_data *d)
{
    const gemm_case *g = &d->g;
    int64_t nc = (int64_t)g->M * d->ldc;
    float *C = buf(nc);
    memcpy(C, d->C0, (size_t)nc * sizeof(float));
    size_t bytes = (tg_gemm_packed_b_floats(g->K, g->N) * sizeof(float) + 63) / 64 * 64;
    float *pb = aligned_alloc(64, bytes ? bytes : 64);
    tg_gemm_packed_b B;
    tg_gemm_pack_b(g->tb, g->K, g->N, d->B, d->ldb, pb, &B);
    tg_gemm_packed(g->ta, g->M, g->N, g->K, g->alpha, d->A, d->lda, &B, g->beta, C, d->ldc);
    free(pb);
    return C;
}

Test(gemm_paths, packed_b_gives_tg_gemms_bits_on_every_path_and_thread_count)
{
    static const int big[][3] = {{256, 192, 320}, {33, 1000, 513}, {64, 1024, 256}};
    int n_odd = (int)(sizeof odd_sizes / sizeof odd_sizes[0]), n_big = 3;
    tg_gemm_path paths[3];
    int np = supported_paths(paths);
    tg_rng r;
    tg_rng_seed(&r, 5, 9);
    for (int s = 0; s < n_odd + n_big; s++)
        for (int t = 0; t < 4; t++) {
            const int *sz = s < n_odd ? odd_sizes[s] : big[s - n_odd];
            gemm_case g = {sz[0], sz[1], sz[2], t & 1, t >> 1, s % 3 ? 1.0f : -0.5f,
                           s % 2 ? 1.0f : 0.0f, s % 3};
            gemm_data d = make_data(g, &r);
            for (int p = 0; p < np; p++) {
                tg_gemm_set_path(paths[p]);
                for (int th = 1; th <= 3; th++) {
                    tg_set_num_threads(th);
                    float *want = run(&d, false, false), *got = run_packed(&d);
                    if (g.N == 1 && d.ldc == 1) { /* tg_gemm transposes this case */
                        expect_close(&d, got, want, tg_gemm_path_name(), false);
                    } else {
                        size_t bytes = (size_t)g.M * d.ldc * sizeof(float);
                        cr_assert(memcmp(want, got, bytes) == 0,
                                  "%s %d threads M=%d N=%d K=%d ta=%d tb=%d: packed B differs",
                                  tg_gemm_path_name(), th, g.M, g.N, g.K, g.ta, g.tb);
                    }
                    free(want), free(got);
                }
            }
            free_data(&d);
        }
    tg_gemm_set_path(TG_GEMM_AUTO);
    tg_set_num_threads(2);
}

/* ---- bias epilogue ------------------------------------------------------------------------ */

/* tg_gemm_bias and tg_gemm_packed_bias against what they replace, C filled with the bias
 * and then tg_gemm (or tg_gemm_packed) with beta = 1: the same bits on every path, at 1, 2
 * and 3 threads, at odd sizes (K = 1 and N = 1 take the fill), never reading C (NaN in C
 * before the call) and never writing its padding. */
Test(gemm_paths, bias_epilogue_gives_the_bits_of_a_bias_fill_then_beta_one)
{
    static const int big[][3] = {{67, 531, 300}, {64, 1024, 256}, {33, 1000, 513}};
    int n_odd = (int)(sizeof odd_sizes / sizeof odd_sizes[0]);
    tg_gemm_path paths[3];
    int np = supported_paths(paths);
    tg_rng r;
    tg_rng_seed(&r, 21, 4);
    for (int s = 0; s < n_odd + 3; s++)
        for (int t = 0; t < 4; t++) {
            const int *sz = s < n_odd ? odd_sizes[s] : big[s - n_odd];
            gemm_case g = {sz[0], sz[1], sz[2], t & 1, t >> 1, s % 3 ? 1.0f : -0.5f, 1.0f,
                           s % 3};
            gemm_data d = make_data(g, &r);
            float *bias = buf(g.N);
            fill(bias, g.N, &r);
            int64_t nc = (int64_t)g.M * d.ldc;
            size_t pb_bytes = (tg_gemm_packed_b_floats(g.K, g.N) * sizeof(float) + 63) / 64 * 64;
            float *pb = aligned_alloc(64, pb_bytes ? pb_bytes : 64);
            for (int p = 0; p < np; p++) {
                tg_gemm_set_path(paths[p]);
                tg_gemm_packed_b B;
                if (!g.tb) tg_gemm_pack_b(false, g.K, g.N, d.B, d.ldb, pb, &B);
                for (int th = 1; th <= 3; th++) {
                    tg_set_num_threads(th);
                    float *want = buf(nc), *got = buf(nc);
                    memcpy(want, d.C0, sizeof(float) * (size_t)nc);
                    memcpy(got, d.C0, sizeof(float) * (size_t)nc);
                    for (int i = 0; i < g.M; i++)
                        for (int j = 0; j < g.N; j++) {
                            want[(int64_t)i * d.ldc + j] = bias[j];
                            got[(int64_t)i * d.ldc + j] = NAN;
                        }
                    tg_gemm(g.ta, g.tb, g.M, g.N, g.K, g.alpha, d.A, d.lda, d.B, d.ldb, 1.0f,
                            want, d.ldc);
                    tg_gemm_bias(g.ta, g.tb, g.M, g.N, g.K, g.alpha, d.A, d.lda, d.B, d.ldb,
                                 bias, got, d.ldc);
                    cr_assert(memcmp(want, got, sizeof(float) * (size_t)nc) == 0,
                              "%s %d threads M=%d N=%d K=%d ta=%d tb=%d: tg_gemm_bias differs",
                              tg_gemm_path_name(), th, g.M, g.N, g.K, g.ta, g.tb);
                    if (!g.tb && !(g.N == 1 && d.ldc == 1)) { /* (tg_gemm transposes that) */
                        for (int i = 0; i < g.M; i++)
                            for (int j = 0; j < g.N; j++) got[(int64_t)i * d.ldc + j] = NAN;
                        tg_gemm_packed_bias(g.ta, g.M, g.N, g.K, g.alpha, d.A, d.lda, &B, bias,
                                            got, d.ldc);
                        cr_assert(memcmp(want, got, sizeof(float) * (size_t)nc) == 0,
                                  "%s %d threads M=%d N=%d K=%d ta=%d: packed bias differs",
                                  tg_gemm_path_name(), th, g.M, g.N, g.K, g.ta);
                    }
                    free(want), free(got);
                }
            }
            free(pb), free(bias);
            free_data(&d);
        }
    tg_gemm_set_path(TG_GEMM_AUTO);
    tg_set_num_threads(2);
}

/* ---- memory ---------------------------------------------------------------------------- */

Test(gemm_paths, no_heap_allocation_once_warm)
{
    /* 48 x 256 x 4000: a deeper op(A) than the warm-up's, packed once for the team
     * (tensor/gemm.c, shared_a), must not grow its buffer either. */
    static const int sizes[][3] = {{64, 256, 1024}, {3, 5, 7},     {300, 70, 600},
                                   {1024, 96, 32},  {48, 256, 4000}};
    tg_gemm_path paths[3];
    int np = supported_paths(paths);
    tg_rng r;
    tg_rng_seed(&r, 1, 1);
    float *A = buf(1024 * 1024), *B = buf(1024 * 1024), *C = buf(1024 * 1024);
    fill(A, 1024 * 1024, &r), fill(B, 1024 * 1024, &r), fill(C, 1024 * 1024, &r);
    /* warm: one call per thread count on one path */
    for (int th = 1; th <= 2; th++) {
        tg_set_num_threads(th);
        tg_gemm(false, false, 64, 256, 1024, 1.0f, A, 1024, B, 256, 0.0f, C, 256);
    }
    uint64_t before = tg_heap_alloc_count();
    for (int rep = 0; rep < 3; rep++)
        for (int p = 0; p < np; p++) {
            tg_gemm_set_path(paths[p]);
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
                for (int t = 0; t < 4; t++)
                    for (int th = 1; th <= 2; th++) {
                        int M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
                        bool ta = t & 1, tb = t >> 1;
                        tg_set_num_threads(th);
                        tg_gemm(ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, 1.0f, C, N);
                    }
        }
    cr_assert_eq(tg_heap_alloc_count(), before, "%llu heap allocations after warm-up",
                 (unsigned long long)(tg_heap_alloc_count() - before));
    free(A), free(B), free(C);
}

/* ---- the path API ---------------------------------------------------------------------- */

Test(gemm_paths, set_path_reports_what_is_in_effect_and_falls_back_downwards)
{
    static const char *names[] = {"auto", "portable", "avx2", "avx512"};
    cr_assert_eq(tg_gemm_set_path(TG_GEMM_PORTABLE), TG_GEMM_PORTABLE, "portable always runs");
    cr_assert_str_eq(tg_gemm_path_name(), "portable");
    for (tg_gemm_path p = TG_GEMM_PORTABLE; p <= TG_GEMM_AVX512; p++) {
        tg_gemm_path got = tg_gemm_set_path(p);
        cr_assert(got >= TG_GEMM_PORTABLE && got <= p, "asked %s, got %d", names[p], got);
        cr_assert_eq(tg_gemm_get_path(), got);
        cr_assert_str_eq(tg_gemm_path_name(), names[got]);
    }
    tg_gemm_path best = tg_gemm_set_path(TG_GEMM_AUTO);
    cr_assert_neq(best, TG_GEMM_AUTO, "auto resolves to a concrete path");
    cr_assert_eq(tg_gemm_set_path(TG_GEMM_AVX512), best, "auto is the best path there is");
}
