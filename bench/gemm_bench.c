/* bench/gemm_bench.c — times tg_gemm against OpenBLAS cblas_sgemm on the shapes recurrent
 * training produces, in the transpose variants forward and backward use, at 1 and 2 threads.
 *
 * For every (M, N, K, variant) it prints GFLOP/s (2 M N K / time) as the median of --reps
 * timed samples after warm-up; each sample repeats the call until it lasts >= 2 ms. The
 * whole table is measured --rounds times (each round sweeps every row, with buffers
 * allocated afresh; tapegrad then OpenBLAS in each row) and the best median of each cell
 * is kept: on a shared machine another process taking a core for a minute ruins one
 * round's median, not the row. The table is printed at the end; progress goes to stderr. All calls use beta = 1 (the backward
 * accumulates) and alpha = 1. The ratio column is tapegrad / OpenBLAS at the same thread
 * count. Without OpenBLAS (not found at configure time) only tapegrad is timed.
 *
 * Threads: tapegrad runs on OpenMP, Debian's OpenBLAS on its own pthreads; both spin-wait
 * after a call. To keep one from stealing the other's core, all tapegrad runs of a row are
 * done first, then the program sleeps 300 ms (longer than libgomp's default spin before its
 * threads block and than OpenBLAS's thread timeout), then OpenBLAS runs, then it sleeps
 * again. OMP_WAIT_POLICY and OPENBLAS_* are left as the user set them. Adaptive threads
 * (tensor/threads.c: a team that shrinks while other processes use the cores) are off:
 * the columns compare kernels at the thread counts they name, and OpenBLAS has no such
 * policy; a busy moment then costs a round, which the best-of-rounds absorbs.
 *
 * Usage: gemm_bench [--path auto|portable|avx2|avx512] [--reps N] [--rounds R]
 *                   [--shape M,N,K] [--variants NN,NT,TN] [--threads 1,2] [--no-openblas]
 *
 * What this is not: a test (no assertions beyond a sanity check of the results) and not
 * run by `meson test`.
 */
#include "tensor/tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef TG_HAVE_OPENBLAS
#include <cblas.h>
#endif

typedef struct shape {
    int M, N, K;
    const char *what;
} shape;

/* The three shapes first, read as (M, N, K): (64, 256, 1024) is also dh = dgates
 * W_hh (B x H x GH) of an LSTM with H = 256. Then the same products with M, N, K permuted
 * as the backward produces them, then the other shapes of an LSTM/GRU training step. */
static const shape default_shapes[] = {
    {64, 256, 1024, "issue; dh = dgates W_hh"},
    {64, 512, 2048, "issue"},
    {32, 768, 2048, "issue"},
    {1024, 256, 64, "swap (K,N,M): dW_hh += dgates^T h, GH x H x B"},
    {2048, 512, 64, "swap (K,N,M)"},
    {2048, 768, 32, "swap (K,N,M)"},
    {256, 1024, 64, "swap (N,K,M)"},
    {512, 2048, 64, "swap (N,K,M)"},
    {768, 2048, 32, "swap (N,K,M)"},
    {3840, 1024, 64, "input projection T*B x GH x I"},
    {3200, 2048, 256, "input projection"},
    {3840, 150, 1, "input projection, I = 1"},
    {150, 1, 3840, "its dW_ih (TN), a GEMV"},
    {3840, 1, 150, "its dx (NN), a GEMV"},
    {64, 1024, 256, "hidden projection B x GH x H"},
    {32, 2048, 512, "hidden projection"},
    {64, 300, 100, "hidden projection"},
    {64, 150, 50, "hidden projection"},
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#ifdef TG_HAVE_OPENBLAS
/* Sleep between the two libraries' runs (see the header); only needed with OpenBLAS. */
static void pause_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}
#endif

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct problem {
    int M, N, K;
    bool ta, tb;
    const float *A, *B;
    float *C;
} problem;

static void run_tg(const problem *p)
{
    tg_gemm(p->ta, p->tb, p->M, p->N, p->K, 1.0f, p->A, p->ta ? p->M : p->K, p->B,
            p->tb ? p->K : p->N, 1.0f, p->C, p->N);
}

#ifdef TG_HAVE_OPENBLAS
static void run_ob(const problem *p)
{
    cblas_sgemm(CblasRowMajor, p->ta ? CblasTrans : CblasNoTrans,
                p->tb ? CblasTrans : CblasNoTrans, p->M, p->N, p->K, 1.0f, p->A,
                p->ta ? p->M : p->K, p->B, p->tb ? p->K : p->N, 1.0f, p->C, p->N);
}
#endif

/* Median GFLOP/s of `reps` samples; each sample repeats the call for >= 2 ms. */
static double gflops(void (*run)(const problem *), const problem *p, int reps)
{
    double flop = 2.0 * p->M * p->N * p->K;
    int inner = 1;
    double t0 = now();
    run(p);
    double one = now() - t0;
    if (one < 2e-3) inner = (int)(2e-3 / (one > 1e-7 ? one : 1e-7)) + 1;
    for (int w = 0; w < 3 * inner && w < 2000; w++) run(p); /* warm-up */
    double samples[64];
    if (reps > 64) reps = 64;
    for (int r = 0; r < reps; r++) {
        t0 = now();
        for (int i = 0; i < inner; i++) run(p);
        samples[r] = (now() - t0) / inner;
    }
    qsort(samples, (size_t)reps, sizeof(double), cmp_double);
    return flop / samples[reps / 2] * 1e-9;
}

static void fill(float *x, int64_t n, tg_rng *r)
{
    for (int64_t i = 0; i < n; i++) x[i] = tg_rng_uniform(r) - 0.5f;
}

static int parse_list(const char *s, int *out, int cap)
{
    int n = 0;
    while (*s && n < cap) {
        out[n++] = atoi(s);
        const char *c = strchr(s, ',');
        if (!c) break;
        s = c + 1;
    }
    return n;
}

/* Best GFLOP/s of one (shape, variant) over the rounds, per thread count. */
typedef struct cell_best {
    bool measured;
    double tg[4], ob[4];
} cell_best;

static const char *const variant_names[3] = {"NN", "NT", "TN"};

#ifdef TG_HAVE_OPENBLAS
/* One accumulate from zero each, tapegrad against OpenBLAS: a wrong kernel is loud. */
static void sanity_check(const problem *p, float *C2, int64_t nc, const char *name)
{
    memset(p->C, 0, (size_t)nc * sizeof(float));
    run_tg(p);
    memcpy(C2, p->C, (size_t)nc * sizeof(float));
    memset(p->C, 0, (size_t)nc * sizeof(float));
    run_ob(p);
    double err = 0.0, big = 0.0;
    for (int64_t i = 0; i < nc; i++) {
        err = fmax(err, fabs((double)p->C[i] - C2[i]));
        big = fmax(big, fabs((double)p->C[i]));
    }
    if (err > 1e-4 * (big > 1.0 ? big : 1.0))
        printf("!! %dx%dx%d %s: tapegrad and OpenBLAS differ by %g\n", p->M, p->N, p->K, name,
               err);
    pause_ms(300);
}
#endif

/* One round of every variant of one shape, into best[0..2]. */
static void measure_shape(const shape *sh, const char *variants, int round, int reps,
                          const int *nthreads, int nth, bool openblas, tg_rng *rng,
                          cell_best *best)
{
    int64_t na = (int64_t)sh->M * sh->K, nb = (int64_t)sh->K * sh->N, nc = (int64_t)sh->M * sh->N;
    float *A = tg_malloc((size_t)na * sizeof(float)), *B = tg_malloc((size_t)nb * sizeof(float));
    float *C = tg_malloc((size_t)nc * sizeof(float)), *C2 = tg_malloc((size_t)nc * sizeof(float));
    fill(A, na, rng);
    fill(B, nb, rng);
    for (int v = 0; v < 3; v++) {
        if (!strstr(variants, variant_names[v])) continue;
        problem p = {sh->M, sh->N, sh->K, v == 2, v == 1, A, B, C};
        cell_best *b = &best[v];
        b->measured = true;
#ifdef TG_HAVE_OPENBLAS
        if (openblas && round == 0) sanity_check(&p, C2, nc, variant_names[v]);
#else
        (void)round;
#endif
        memset(C, 0, (size_t)nc * sizeof(float));
        for (int t = 0; t < nth; t++) {
            tg_set_num_threads(nthreads[t]);
            b->tg[t] = fmax(b->tg[t], gflops(run_tg, &p, reps));
        }
#ifdef TG_HAVE_OPENBLAS
        if (openblas) {
            pause_ms(300); /* let libgomp's spinning threads go to sleep */
            for (int t = 0; t < nth; t++) {
                openblas_set_num_threads(nthreads[t]);
                b->ob[t] = fmax(b->ob[t], gflops(run_ob, &p, reps));
            }
            pause_ms(300); /* and OpenBLAS's */
        }
#else
        (void)openblas;
#endif
    }
    tg_free(A), tg_free(B), tg_free(C), tg_free(C2);
}

static void print_row(const shape *sh, int v, const cell_best *b, int nth, bool openblas)
{
    char dims[32];
    snprintf(dims, sizeof dims, "%dx%dx%d", sh->M, sh->N, sh->K);
    printf("%-18s %-3s", dims, variant_names[v]);
    for (int t = 0; t < nth; t++) printf(" %7.1f", b->tg[t]);
    if (openblas) {
        for (int t = 0; t < nth; t++) printf(" %7.1f", b->ob[t]);
        for (int t = 0; t < nth; t++) printf(" %7.2fx", b->ob[t] > 0 ? b->tg[t] / b->ob[t] : 0.0);
    }
    printf("   %s\n", sh->what);
}

int main(int argc, char **argv)
{
    tg_set_adaptive_threads(false); /* see the header: kernels at fixed thread counts */
    int reps = 15, rounds = 3, nthreads[4] = {1, 2}, nth = 2;
    bool openblas = true;
    const char *variants = "NN,NT,TN";
    shape custom;
    const shape *shapes = default_shapes;
    int nshapes = (int)(sizeof default_shapes / sizeof default_shapes[0]);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(a, "--path") == 0) {
            tg_gemm_path want = strcmp(v, "portable") == 0 ? TG_GEMM_PORTABLE
                                : strcmp(v, "avx2") == 0   ? TG_GEMM_AVX2
                                : strcmp(v, "avx512") == 0 ? TG_GEMM_AVX512
                                                           : TG_GEMM_AUTO;
            tg_gemm_path got = tg_gemm_set_path(want);
            if (want != TG_GEMM_AUTO && got != want)
                fprintf(stderr, "path %s not available here, using %s\n", v, tg_gemm_path_name());
            i++;
        } else if (strcmp(a, "--reps") == 0) {
            reps = atoi(v), i++;
        } else if (strcmp(a, "--rounds") == 0) {
            rounds = atoi(v), i++;
        } else if (strcmp(a, "--shape") == 0) {
            int d[3] = {0, 0, 0};
            if (parse_list(v, d, 3) != 3 || d[0] <= 0 || d[1] <= 0 || d[2] <= 0) {
                fprintf(stderr, "--shape wants M,N,K\n");
                return 2;
            }
            custom = (shape){d[0], d[1], d[2], "command line"};
            shapes = &custom, nshapes = 1, i++;
        } else if (strcmp(a, "--variants") == 0) {
            variants = v, i++;
        } else if (strcmp(a, "--threads") == 0) {
            nth = parse_list(v, nthreads, 4), i++;
        } else if (strcmp(a, "--no-openblas") == 0) {
            openblas = false;
        } else {
            fprintf(stderr,
                    "usage: %s [--path auto|portable|avx2|avx512] [--reps N] [--rounds R] "
                    "[--shape M,N,K] [--variants NN,NT,TN] [--threads 1,2] [--no-openblas]\n",
                    argv[0]);
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    if (rounds < 1) rounds = 1;
#ifndef TG_HAVE_OPENBLAS
    openblas = false;
#endif
    printf("tapegrad GEMM path: %s   OpenBLAS: %s   best of %d medians of %d samples, "
           "beta = 1\n",
           tg_gemm_path_name(),
#ifdef TG_HAVE_OPENBLAS
           openblas ? openblas_get_corename() : "off",
#else
           "not built in",
#endif
           rounds, reps);
    printf("%-18s %-3s", "M x N x K", "op");
    for (int t = 0; t < nth; t++) printf("  tg %dT ", nthreads[t]);
    if (openblas) {
        for (int t = 0; t < nth; t++) printf("  ob %dT ", nthreads[t]);
        for (int t = 0; t < nth; t++) printf(" ratio%dT", nthreads[t]);
    }
    printf("  (GFLOP/s)\n");

    /* Rounds sweep the whole table, each with freshly allocated buffers: a cell's samples
     * are minutes apart and at different addresses, so neither a busy minute nor an
     * unlucky buffer placement can spoil all of its rounds. */
    int ncell = nshapes * 3;
    cell_best *best = calloc((size_t)ncell, sizeof *best);
    tg_rng rng;
    tg_rng_seed(&rng, 7, 1);
    for (int round = 0; round < rounds; round++) {
        for (int s = 0; s < nshapes; s++)
            measure_shape(&shapes[s], variants, round, reps, nthreads, nth, openblas, &rng,
                          best + 3 * s);
        fprintf(stderr, "round %d of %d done\n", round + 1, rounds);
    }
    for (int s = 0; s < nshapes; s++)
        for (int v = 0; v < 3; v++)
            if (best[3 * s + v].measured)
                print_row(&shapes[s], v, &best[3 * s + v], nth, openblas);
    free(best);
    return 0;
}
