/* tensor/gemm.c — single-precision GEMM, C = alpha * op(A) op(B) + beta * C, row-major:
 * the driver (checks, code-path dispatch, threads, cache blocking, packing buffers), the
 * portable path and the naive reference.
 *
 * Storage (row-major, leading dimension = row stride as stored):
 *   A is (M, K) with lda >= K, or (K, M) with lda >= M when trans_a;
 *   B is (K, N) with ldb >= N, or (N, K) with ldb >= K when trans_b;
 *   C is (M, N) with ldc >= N, and must not overlap A or B.
 *
 * Algorithm (Goto & van de Geijn, BLIS loop order): C is cut into one rectangle per thread
 * (a grid of row and column blocks chosen to balance multiply-adds and packing, at most
 * tg_num_threads() of them); in its rectangle a thread loops over column blocks (nc), depth
 * blocks (kc) and row blocks (mc), packs op(B) (kc, nc) and alpha * op(A) (mc, kc) into
 * panels (gemm_impl.h), and runs the micro-kernel over every (mr, nr) tile, each B panel
 * against all the A panels of the row block. Packing puts every transpose case into the
 * same layout, so NN, NT, TN and TT run the same micro-kernel. On the SIMD paths a plain
 * op(B) (NN, TN) is not copied in a pass of its own: the first kernel call on each panel
 * reads it from B and writes the packed panel while it computes (small M made the separate
 * copy a quarter of the time). Transposed B (NT) is packed by 8x8 register transposes.
 * Code paths: AVX-512F (8 x 48), AVX2+FMA (4 x 24) in tensor/gemm_kernels.c, and the
 * portable 4 x 8 kernel below. The best path the CPU supports is picked once
 * (tg_simd_cpu_supports); tg_gemm_set_path or the TG_GEMM_PATH (else TG_SIMD) environment
 * variable force one for tests and benchmarks.
 *
 * Rounding and determinism: the depth is cut into blocks that depend on K only (equal
 * blocks of at most kc, kc fixed per path). Within a block each element of C is one chain
 * of multiply-adds in k order (FMAs on the SIMD paths) of the packed values alpha * a_ik
 * and b_kj, started from zero; the block's sum S then goes into C as C = S (beta == 0: C
 * is not read, NaN included), C = C + S (beta == 1 and every later block) or C = beta*C + S
 * on the first block. None of it depends on where the element sits in its tile or which
 * thread computes it, and K is never split across threads, so 1 and N threads give the
 * same bits. Different paths round differently (FMA, block sizes); tg_gemm_naive computes
 * alpha * (sum over k) + beta * C, so all of them differ by float rounding only.
 *
 * B packed once (tg_gemm_pack_b): the same panels laid out for the whole of op(B), so that
 * a weight multiplied at every time step is packed once per pass instead of once per call;
 * tg_gemm_packed then runs the same kernels on them, which gives tg_gemm's bits.
 *
 * Packing buffers: a fixed pool of slots (pointer, capacity), each claimed by one thread
 * for the duration of a call with an atomic flag. A slot is grown with tg_malloc only when
 * a call needs more than it holds, and always to the largest size any path asks for, so a
 * program that has run its GEMMs once allocates nothing more (tg_heap_alloc_count stays
 * put). The slots are kept for the life of the process; when all are busy (more than
 * GEMM_POOL_SLOTS concurrent threads) a call falls back to a temporary allocation.
 *
 * What this file is not: a full BLAS (no other precisions, no batched or strided-batch
 * interface) and not where the SIMD lives (tensor/gemm_kernels.c).
 */
#include "tensor/gemm_impl.h"
#include "tensor/tensor.h"
#include "tensor/parallel.h" /* TG_PAR_GEMM, TG_PAR_GEMM_PACK */

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define GEMM_POOL_SLOTS 64

/* ---- argument checks ----------------------------------------------------------------- */

static void check_gemm(const char *fn, bool trans_a, bool trans_b, int M, int N, int K,
                       float alpha, const float *A, int lda, const float *B, int ldb,
                       const float *C, int ldc, tg_loc loc)
{
    if (M < 0 || N < 0 || K < 0)
        tg_contract_fail(loc, fn, "negative size M=%d N=%d K=%d", M, N, K);
    int a_cols = trans_a ? M : K; /* row length of A as stored */
    int b_cols = trans_b ? K : N;
    if (lda < a_cols)
        tg_contract_fail(loc, fn, "lda=%d < %d: A is stored (%d, %d)%s", lda, a_cols,
                         trans_a ? K : M, a_cols, trans_a ? " (transposed)" : "");
    if (ldb < b_cols)
        tg_contract_fail(loc, fn, "ldb=%d < %d: B is stored (%d, %d)%s", ldb, b_cols,
                         trans_b ? N : K, b_cols, trans_b ? " (transposed)" : "");
    if (ldc < N)
        tg_contract_fail(loc, fn, "ldc=%d < N=%d: C is (%d, %d)", ldc, N, M, N);
    if ((int64_t)M * N > 0 && !C) tg_contract_fail(loc, fn, "C is NULL");
    if ((int64_t)M * N * K > 0 && alpha != 0.0f && (!A || !B))
        tg_contract_fail(loc, fn, "A or B is NULL");
}

/* C (M, N) = beta * C; beta == 0 writes zeros without reading C (which may hold NaN). */
static void scale_rows(float *C, int ldc, int rows, int cols, float beta)
{
    if (beta == 1.0f) return;
    for (int i = 0; i < rows; i++) {
        float *c = C + (int64_t)i * ldc; /* (cols) */
        if (beta == 0.0f)
            for (int j = 0; j < cols; j++) c[j] = 0.0f;
        else
            for (int j = 0; j < cols; j++) c[j] *= beta;
    }
}

/* ---- reference packers (layouts in gemm_impl.h) --------------------------------------- */

void tg_gemm_pack_a_ref(int mr, bool trans, int m, int kc, float alpha, const float *a,
                        int lda, float *ap)
{
    for (int p = 0; p < m; p += mr, ap += (ptrdiff_t)mr * kc) {
        int rows = m - p < mr ? m - p : mr;
        for (int k = 0; k < kc; k++)
            for (int r = 0; r < mr; r++) {
                float x = 0.0f;
                if (r < rows)
                    x = trans ? a[(ptrdiff_t)k * lda + p + r] : a[(ptrdiff_t)(p + r) * lda + k];
                ap[mr * k + r] = alpha * x;
            }
    }
}

void tg_gemm_pack_b_ref(int nr, bool trans, int kc, int n, const float *b, int ldb,
                        float *bp)
{
    for (int q = 0; q < n; q += nr, bp += (ptrdiff_t)nr * kc) {
        int cols = n - q < nr ? n - q : nr;
        for (int k = 0; k < kc; k++)
            for (int c = 0; c < nr; c++)
                bp[nr * k + c] = c >= cols ? 0.0f
                                 : trans   ? b[(ptrdiff_t)(q + c) * ldb + k]
                                           : b[(ptrdiff_t)k * ldb + q + c];
    }
}

/* ---- the portable path: 4 x 8 tile --------------------------------------------------------
 * Always computes the whole (zero-padded) tile, then stores its m x n part: one code path
 * for every element. With gcc/clang the eight accumulators are 4-float vectors (generic
 * vector extensions: SSE on baseline x86-64, NEON on arm64), named variables so they stay
 * in registers; other compilers get the same arithmetic in plain loops. ISO C mode
 * (-std=c11) does not contract a * b + c into an FMA, so both are multiply then add. */

enum { P_MR = 4, P_NR = 8 };

/* Combine the finished tile acc (P_MR, P_NR) into C[0:m, 0:n] per mode. */
static void store_portable(const float acc[P_MR][P_NR], float *c, int ldc, int m, int n,
                           int mode, float beta, const float *bias)
{
    for (int r = 0; r < m; r++) {
        float *cr = c + (ptrdiff_t)r * ldc; /* (n) */
        for (int j = 0; j < n; j++) {
            float s = acc[r][j];
            cr[j] = mode == TG_GEMM_STORE ? s
                    : mode == TG_GEMM_ADD ? cr[j] + s
                    : mode == TG_GEMM_BIAS ? bias[j] + s
                                           : beta * cr[j] + s;
        }
    }
}

#if defined(__GNUC__) || defined(__clang__)
typedef float v4f __attribute__((vector_size(16)));

static void kernel_portable(int kc, const float *ap, float *bp, const float *bsrc, int ldb,
                            float *c, int ldc, int m, int n, int mode, float beta,
                            const float *bias)
{
    (void)bsrc, (void)ldb; /* no fused packing on this path */
    v4f c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
    for (int k = 0; k < kc; k++, ap += P_MR, bp += P_NR) {
        v4f b0, b1;
        memcpy(&b0, bp, sizeof b0);
        memcpy(&b1, bp + 4, sizeof b1);
        v4f a0 = {ap[0], ap[0], ap[0], ap[0]}, a1 = {ap[1], ap[1], ap[1], ap[1]};
        v4f a2 = {ap[2], ap[2], ap[2], ap[2]}, a3 = {ap[3], ap[3], ap[3], ap[3]};
        c00 += a0 * b0, c01 += a0 * b1;
        c10 += a1 * b0, c11 += a1 * b1;
        c20 += a2 * b0, c21 += a2 * b1;
        c30 += a3 * b0, c31 += a3 * b1;
    }
    float acc[P_MR][P_NR];
    const v4f *rows[P_MR][2] = {{&c00, &c01}, {&c10, &c11}, {&c20, &c21}, {&c30, &c31}};
    for (int r = 0; r < P_MR; r++)
        for (int h = 0; h < 2; h++) memcpy(&acc[r][4 * h], rows[r][h], sizeof(v4f));
    store_portable((const float(*)[P_NR])acc, c, ldc, m, n, mode, beta, bias);
}
#else
static void kernel_portable(int kc, const float *ap, float *bp, const float *bsrc, int ldb,
                            float *c, int ldc, int m, int n, int mode, float beta,
                            const float *bias)
{
    (void)bsrc, (void)ldb; /* no fused packing on this path */
    float acc[P_MR][P_NR] = {{0}};
    for (int k = 0; k < kc; k++)
        for (int r = 0; r < P_MR; r++)
            for (int j = 0; j < P_NR; j++) acc[r][j] += ap[P_MR * k + r] * bp[P_NR * k + j];
    store_portable((const float(*)[P_NR])acc, c, ldc, m, n, mode, beta, bias);
}
#endif

static void pack_a_portable(bool trans, int m, int kc, float alpha, const float *a, int lda,
                            float *ap)
{
    tg_gemm_pack_a_ref(P_MR, trans, m, kc, alpha, a, lda, ap);
}

static void pack_b_portable(bool trans, int kc, int n, const float *b, int ldb, float *bp)
{
    tg_gemm_pack_b_ref(P_NR, trans, kc, n, b, ldb, bp);
}

static const tg_gemm_impl portable_impl = {
    .name = "portable", .mr = P_MR, .nr = P_NR, .nsplit = P_NR,
    .kc = 256, .mc = 64, .nc = 512,
    .pack_a = pack_a_portable, .pack_b = pack_b_portable, .kernel = kernel_portable,
};

/* ---- code-path selection ---------------------------------------------------------------- */

/* The request if the CPU (tg_simd_cpu_supports) and the compiler (a non-NULL table) can
 * run it, else the next path down. */
static tg_gemm_path resolve(tg_gemm_path p)
{
    p = (tg_gemm_path)tg_simd_resolve((tg_simd_path)p);
    if (p == TG_GEMM_AVX512 && !tg_gemm_impl_avx512) p = TG_GEMM_AVX2;
    if (p == TG_GEMM_AVX2 && !tg_gemm_impl_avx2) p = TG_GEMM_PORTABLE;
    return p;
}

static const tg_gemm_impl *impl_of(tg_gemm_path p)
{
    return p == TG_GEMM_AVX512 ? tg_gemm_impl_avx512
           : p == TG_GEMM_AVX2 ? tg_gemm_impl_avx2
                               : &portable_impl;
}

/* 0 until the first call decides; then the resolved tg_gemm_path. */
static atomic_int active_path;

/* TG_GEMM_PATH, else TG_SIMD (the path of every SIMD kernel), else AUTO. */
static tg_gemm_path env_request(void)
{
    const char *e = getenv("TG_GEMM_PATH");
    return (tg_gemm_path)tg_simd_parse(e ? e : getenv("TG_SIMD"));
}

tg_gemm_path tg_gemm_set_path(tg_gemm_path p)
{
    tg_gemm_path got = resolve(p);
    atomic_store_explicit(&active_path, (int)got, memory_order_relaxed);
    return got;
}

tg_gemm_path tg_gemm_get_path(void)
{
    int p = atomic_load_explicit(&active_path, memory_order_relaxed);
    /* first use: every racing thread sets the same answer */
    return p ? (tg_gemm_path)p : tg_gemm_set_path(env_request());
}

const char *tg_gemm_path_name(void) { return impl_of(tg_gemm_get_path())->name; }

/* ---- packing buffers ---------------------------------------------------------------------- */

typedef struct pool_slot {
    atomic_int busy;
    float *buf;
    size_t cap; /* floats */
} pool_slot;

static pool_slot pool[GEMM_POOL_SLOTS];

/* Floats a thread needs: one (mc, kc) A block and one (kc, nc) B block, whatever the path. */
static size_t buffer_floats(void)
{
    const tg_gemm_impl *paths[3] = {&portable_impl, tg_gemm_impl_avx2, tg_gemm_impl_avx512};
    size_t most = 0;
    for (int i = 0; i < 3; i++) {
        const tg_gemm_impl *im = paths[i];
        if (!im) continue;
        size_t need = (size_t)im->kc * (size_t)(im->mc + im->nc);
        if (need > most) most = need;
    }
    return most;
}

/* A thread of an OpenMP team tries the slot of its own number first, so in the usual case
 * (one caller, a team of T threads) slots 0..T-1 are the ones used and each is sized on the
 * first call that runs on T threads, whatever order the threads arrive in. */
static float *buffer_claim(int *slot)
{
    size_t need = buffer_floats();
    int first = 0;
#ifdef _OPENMP
    first = omp_get_thread_num() % GEMM_POOL_SLOTS;
#endif
    for (int i = 0; i < GEMM_POOL_SLOTS; i++) {
        int s = (first + i) % GEMM_POOL_SLOTS, idle = 0;
        if (atomic_load_explicit(&pool[s].busy, memory_order_relaxed) != 0 ||
            !atomic_compare_exchange_strong(&pool[s].busy, &idle, 1))
            continue;
        if (pool[s].cap < need) {
            tg_free(pool[s].buf);
            pool[s].buf = tg_malloc(need * sizeof(float));
            pool[s].cap = need;
        }
        *slot = s;
        return pool[s].buf;
    }
    *slot = -1;
    return tg_malloc(need * sizeof(float));
}

static void buffer_release(float *buf, int slot)
{
    if (slot < 0)
        tg_free(buf);
    else
        atomic_store(&pool[slot].busy, 0);
}

/* ---- one thread's rectangle ------------------------------------------------------------ */

typedef struct gemm_args {
    bool ta, tb;
    int M, N, K;
    float alpha, beta;
    const float *A, *B;
    float *C;
    int lda, ldb, ldc;
    int kstep; /* depth block: a function of K and the path only */
    const float *bpacked; /* op(B) packed whole (tg_gemm_pack_b), or NULL */
    int npad;             /* its row of panels: N rounded up to nr */
    const float *apacked; /* op(A) packed whole by the team (see shared_a), or NULL */
    int mpad;             /* its column of panels: M rounded up to mr */
    const float *bias;    /* (N) added to every row instead of beta C (tg_gemm_bias), or NULL */
} gemm_args;

/* C[m0:m1, n0:n1] for the whole depth. */
static void gemm_rect(const tg_gemm_impl *im, const gemm_args *g, int m0, int m1, int n0,
                      int n1)
{
    int slot;
    float *buf = buffer_claim(&slot);
    float *ap = buf;                              /* (mc, kc) packed A block */
    float *bp = buf + (size_t)im->mc * im->kc;    /* (kc, nc) packed B block */
    const int mr = im->mr, nr = im->nr;
    for (int jc = n0; jc < n1; jc += im->nc) {
        int nc = n1 - jc < im->nc ? n1 - jc : im->nc;
        for (int pc = 0; pc < g->K; pc += g->kstep) {
            int kc = g->K - pc < g->kstep ? g->K - pc : g->kstep;
            const float *b = g->bpacked ? NULL
                             : g->tb    ? g->B + (ptrdiff_t)jc * g->ldb + pc
                                        : g->B + (ptrdiff_t)pc * g->ldb + jc;
            /* Plain op(B) on a fused path: each panel is packed by its first kernel call,
             * which streams it from B while computing, instead of a separate copy pass. */
            bool fuse = im->fused_b && !g->tb && !g->bpacked;
            if (g->bpacked) /* block pc starts at pc * npad; bp stands for column jc */
                bp = (float *)g->bpacked + (ptrdiff_t)pc * g->npad + (ptrdiff_t)jc * kc;
            else if (!fuse)
                im->pack_b(g->tb, kc, nc, b, g->ldb, bp);
            int mode = pc > 0                ? TG_GEMM_ADD
                       : g->bias             ? TG_GEMM_BIAS
                       : g->beta == 1.0f     ? TG_GEMM_ADD
                       : g->beta == 0.0f     ? TG_GEMM_STORE
                                             : TG_GEMM_SCALE;
            for (int ic = m0; ic < m1; ic += im->mc) {
                int mc = m1 - ic < im->mc ? m1 - ic : im->mc;
                if (g->apacked) { /* block pc starts at pc * mpad; panel ic / mr at ic * kc */
                    ap = (float *)g->apacked + (ptrdiff_t)pc * g->mpad + (ptrdiff_t)ic * kc;
                } else {
                    const float *a = g->ta ? g->A + (ptrdiff_t)pc * g->lda + ic
                                           : g->A + (ptrdiff_t)ic * g->lda + pc;
                    im->pack_a(g->ta, mc, kc, g->alpha, a, g->lda, ap);
                }
                for (int jr = 0, n; jr < nc; jr += n) {
                    /* A packed B's panels are global: a rectangle may start inside one
                     * (off), and then reads it from there up to the panel's end. */
                    int off = g->bpacked ? (jc + jr) % nr : 0;
                    n = nc - jr < nr - off ? nc - jr : nr - off;
                    float *panel = bp + (ptrdiff_t)(jr - off) * kc + off;
                    for (int ir = 0; ir < mc; ir += mr) {
                        int m = mc - ir < mr ? mc - ir : mr;
                        float *c = g->C + (ptrdiff_t)(ic + ir) * g->ldc + jc + jr;
                        const float *bsrc = fuse && ic == m0 && ir == 0 ? b + jr : NULL;
                        im->kernel(kc, ap + (ptrdiff_t)ir * kc, panel, bsrc, g->ldb, c, g->ldc,
                                   m, n, mode, g->beta,
                                   g->bias ? g->bias + jc + jr : NULL);
                    }
                }
            }
        }
    }
    buffer_release(buf, slot);
}

/* Grid tm x tn of rectangles for up to `threads` threads: the fewest multiply-adds plus
 * packing (each rectangle packs its rows of A and its columns of B, unless B came packed)
 * on the busiest thread. */
static void split_grid(const tg_gemm_impl *im, int nsplit, bool b_packed, int M, int N,
                       int threads, int *tm, int *tn)
{
    int mu = (M + im->mr - 1) / im->mr, nu = (N + nsplit - 1) / nsplit;
    double best = -1.0;
    *tm = *tn = 1;
    for (int a = 1; a <= threads && a <= mu; a++)
        for (int b = 1; a * b <= threads && b <= nu; b++) {
            double rows = (double)((mu + a - 1) / a) * im->mr;
            double cols = (double)((nu + b - 1) / b) * nsplit;
            double cost = rows * cols + 8.0 * (rows + (b_packed ? 0.0 : cols));
            if (best < 0.0 || cost < best) best = cost, *tm = a, *tn = b;
        }
}

/* Equal depth blocks of at most kc, rounded up to a multiple of 8: depends on K and the
 * path only, never on threads or on how B arrives. */
static int depth_step(const tg_gemm_impl *im, int K)
{
    int kblocks = (K + im->kc - 1) / im->kc;
    int kstep = (K + kblocks - 1) / kblocks;
    return (kstep + 7) / 8 * 8;
}

/* ---- op(A) packed once for a team ----------------------------------------------------
 * When the threads split C by columns only (a short, deep op(A): the weight gradient of a
 * small batch, 64 x 256 x 1024), every rectangle would pack the same rows of A: T threads
 * pack it T times, and a copy that is 5% of one thread's work becomes 10% at 2 threads. The
 * team packs it once instead, each thread a share of the panels of every depth block, then
 * a barrier, then the rectangles read the shared panels. The panels hold the same values
 * either way, so the bits do not change. One buffer for the process, claimed with an
 * atomic flag (a second concurrent caller packs per thread, as before) and allocated once
 * at its largest size, so that after the first threaded call nothing more is allocated. */

#ifdef _OPENMP /* teams exist only with OpenMP */
#define SHARED_A_MAX_FLOATS ((size_t)1 << 18) /* 1 MiB: beyond, A is not short and deep */

static struct {
    atomic_int busy;
    float *buf; /* SHARED_A_MAX_FLOATS, allocated on first use and kept */
} shared_a;

/* The buffer for an (mpad, K) packed op(A), or NULL (then the caller packs per thread). */
static float *shared_a_claim(size_t need)
{
    int idle = 0;
    if (need > SHARED_A_MAX_FLOATS || !atomic_compare_exchange_strong(&shared_a.busy, &idle, 1))
        return NULL;
    if (!shared_a.buf) /* once, at the most any call may use */
        shared_a.buf = tg_malloc(SHARED_A_MAX_FLOATS * sizeof(float));
    return shared_a.buf;
}

/* Thread `id` of `nt` packs its share of the panels of every depth block into g->apacked
 * (block pc at pc * mpad, as gemm_rect reads them). */
static void shared_a_pack(const tg_gemm_impl *im, const gemm_args *g, int id, int nt)
{
    int panels = g->mpad / im->mr;
    int p0 = (int)((int64_t)panels * id / nt), p1 = (int)((int64_t)panels * (id + 1) / nt);
    int r0 = p0 * im->mr, r1 = p1 * im->mr < g->M ? p1 * im->mr : g->M;
    if (r0 >= r1) return;
    for (int pc = 0; pc < g->K; pc += g->kstep) {
        int kc = g->K - pc < g->kstep ? g->K - pc : g->kstep;
        const float *a = g->ta ? g->A + (ptrdiff_t)pc * g->lda + r0
                               : g->A + (ptrdiff_t)r0 * g->lda + pc;
        float *dst = (float *)g->apacked + (ptrdiff_t)pc * g->mpad + (ptrdiff_t)r0 * kc;
        im->pack_a(g->ta, r1 - r0, kc, g->alpha, a, g->lda, dst);
    }
}

/* The tm x tn rectangles of C on a team of up to tm * tn threads (a smaller team takes
 * them in turn); with one row of rectangles, op(A) packed once for all (shared_a). */
static void run_team(const tg_gemm_impl *im, const gemm_args *g, int tm, int tn)
{
    const int nsplit = im->nsplit, M = g->M, N = g->N, tasks = tm * tn;
    const int mu = (M + im->mr - 1) / im->mr, nu = (N + nsplit - 1) / nsplit;
    gemm_args gs = *g;
    if (tm == 1 && M <= im->mc) { /* one row of rectangles: pack op(A) once, shared */
        gs.mpad = mu * im->mr;
        gs.apacked = shared_a_claim((size_t)gs.mpad * (size_t)g->K);
    }
#pragma omp parallel num_threads(tasks)
    {
        int id = omp_get_thread_num(), nt = omp_get_num_threads();
        if (gs.apacked) {
            shared_a_pack(im, &gs, id, nt);
#pragma omp barrier
        }
        for (int t = id; t < tasks; t += nt) {
            int i = t / tn, j = t % tn;
            int m0 = (int)((int64_t)mu * i / tm) * im->mr;
            int m1 = (int)((int64_t)mu * (i + 1) / tm) * im->mr;
            int n0 = (int)((int64_t)nu * j / tn) * nsplit;
            int n1 = (int)((int64_t)nu * (j + 1) / tn) * nsplit;
            if (m1 > M) m1 = M;
            if (n1 > N) n1 = N;
            if (m0 < m1 && n0 < n1) gemm_rect(im, &gs, m0, m1, n0, n1);
        }
    }
    if (gs.apacked) atomic_store(&shared_a.busy, 0);
}
#endif

/* Cuts C into rectangles (columns at multiples of nsplit) and runs them on the threads. */
static void run_threads(const tg_gemm_impl *im, const gemm_args *g)
{
    int nsplit = im->nsplit;
    int M = g->M, N = g->N;
    bool big = (int64_t)M * N * g->K >= TG_PAR_GEMM;
    /* A program calling tg_gemm in its own loop has no tape step to look at the machine's
     * load: look here too (at most every 0.2 s, a clock read otherwise), so a busy core
     * shrinks the team instead of stalling every call's join on a descheduled thread. */
    if (big) tg_threads_tick();
    int threads = big ? tg_num_threads() : 1;
    int tm = 1, tn = 1;
    if (threads > 1) split_grid(im, nsplit, g->bpacked != NULL, M, N, threads, &tm, &tn);
    int tasks = tm * tn;
    if (!tg_par_go(tasks > 1)) { /* one rectangle: no team (see tensor/parallel.h) */
        gemm_rect(im, g, 0, M, 0, N);
        return;
    }
#ifdef _OPENMP
    run_team(im, g, tm, tn);
#endif
}

void tg_gemm_at(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                int lda, const float *B, int ldb, float beta, float *C, int ldc, tg_loc loc)
{
    check_gemm("tg_gemm", trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, C, ldc, loc);
    if (M == 0 || N == 0) return;
    if (K == 0 || alpha == 0.0f) { /* no product term: A and B are not read */
        scale_rows(C, ldc, M, N, beta);
        return;
    }
    if (tg__gemm_small(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
                       tg_gemm_get_path()))
        return; /* K = 1, or a one-column GEMV with contiguous rows (gemm_small.c) */
    if (N == 1 && ldc == 1 && M > 1) {
        /* A column C (M, 1) stored contiguously is also the row C^T (1, M): compute
         * C^T = op(B)^T op(A)^T so the vectors run along M instead of one lane of N (the
         * input projection of a one-feature series and its gradients are such GEMVs). */
        tg_gemm(!trans_b, !trans_a, 1, M, K, alpha, B, ldb, A, lda, beta, C, M);
        return;
    }
    const tg_gemm_impl *im = impl_of(tg_gemm_get_path());
    gemm_args g = {trans_a, trans_b, M, N, K, alpha, beta, A, B, C, lda, ldb, ldc,
                   depth_step(im, K), NULL, 0, NULL, 0, NULL};
    run_threads(im, &g);
}

/* C (M, N) = bias broadcast over the rows, before a beta = 1 GEMM adds the product: the
 * shapes that skip the bias epilogue (K = 1, N = 1, no product term). */
static void fill_bias_rows(float *C, int ldc, int M, int N, const float *bias)
{
    for (int i = 0; i < M; i++) memcpy(C + (int64_t)i * ldc, bias, sizeof(float) * (size_t)N);
}

void tg_gemm_bias_at(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, const float *bias,
                     float *C, int ldc, tg_loc loc)
{
    check_gemm("tg_gemm_bias", trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, C, ldc, loc);
    if ((int64_t)M * N > 0 && !bias) tg_contract_fail(loc, "tg_gemm_bias", "bias is NULL");
    if (M == 0 || N == 0) return;
    if (K <= 1 || N == 1 || alpha == 0.0f) { /* gemm_small's shapes, or no product */
        fill_bias_rows(C, ldc, M, N, bias);
        tg_gemm_at(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, 1.0f, C, ldc, loc);
        return;
    }
    const tg_gemm_impl *im = impl_of(tg_gemm_get_path());
    gemm_args g = {trans_a, trans_b, M, N, K, alpha, 0.0f, A, B, C, lda, ldb, ldc,
                   depth_step(im, K), NULL, 0, NULL, 0, bias};
    run_threads(im, &g);
}

/* ---- B packed once ------------------------------------------------------------------------
 * Layout: the depth blocks of tg_gemm one after another; block pc (depth kc) is the row of
 * ceil(N / nr) panels of gemm_impl.h, kc * npad floats, starting at pc * npad, then nr
 * floats of guard. Threads split C's columns as tg_gemm does (multiples of nsplit, not of
 * nr), so a rectangle may start inside a panel: its first kernel call then points into the
 * panel at that column (a multiple of nsplit, so vector-aligned) with n <= nr - offset
 * columns; the SIMD kernels load only the vectors that hold their n columns, which stay
 * inside the panel's row (the guard is there in case a kernel ever loads a full row). */

/* The most any path's layout needs, so that a path switched between sizing and packing
 * (tests do) cannot overflow the buffer. */
size_t tg_gemm_packed_b_floats(int K, int N)
{
    const tg_gemm_impl *paths[3] = {&portable_impl, tg_gemm_impl_avx2, tg_gemm_impl_avx512};
    size_t most = 0;
    for (int i = 0; i < 3; i++) {
        const tg_gemm_impl *im = paths[i];
        if (!im || K < 1 || N < 1) continue;
        size_t npad = (size_t)((N + im->nr - 1) / im->nr) * (size_t)im->nr;
        size_t need = (size_t)K * npad + (size_t)im->nr; /* + a guard panel row */
        if (need > most) most = need;
    }
    return most;
}

void tg_gemm_pack_b_at(bool trans_b, int K, int N, const float *B, int ldb, float *buf,
                       tg_gemm_packed_b *out, tg_loc loc)
{
    if (K < 0 || N < 0 || !out || (K > 0 && N > 0 && (!B || !buf)))
        tg_contract_fail(loc, "tg_gemm_pack_b", "K=%d N=%d, B %s, buf %s, out %s", K, N,
                         B ? "set" : "NULL", buf ? "set" : "NULL", out ? "set" : "NULL");
    if ((uintptr_t)buf % 64 != 0)
        tg_contract_fail(loc, "tg_gemm_pack_b", "buf %p is not 64-byte aligned",
                         (void *)buf);
    int b_cols = trans_b ? K : N;
    if (ldb < b_cols)
        tg_contract_fail(loc, "tg_gemm_pack_b", "ldb=%d < %d: B is stored (%d, %d)%s", ldb,
                         b_cols, trans_b ? N : K, b_cols, trans_b ? " (transposed)" : "");
    tg_gemm_path path = tg_gemm_get_path();
    const tg_gemm_impl *im = impl_of(path);
    int kstep = depth_step(im, K);
    int npad = (N + im->nr - 1) / im->nr * im->nr;
    *out = (tg_gemm_packed_b){K, N, (int)path, kstep, npad, buf};
    if (K == 0 || N == 0) return;
    /* Tasks: (depth block, group of panels); each writes its own floats. */
    enum { PANELS_PER_TASK = 4 };
    int kblocks = (K + kstep - 1) / kstep;
    int groups = (npad / im->nr + PANELS_PER_TASK - 1) / PANELS_PER_TASK;
    int tasks = kblocks * groups;
    TG_PAR_FOR(int, task, tasks, (int64_t)K * N >= TG_PAR_GEMM_PACK && tasks > 1,
        int pc = task / groups * kstep, j0 = task % groups * PANELS_PER_TASK * im->nr;
        int kc = K - pc < kstep ? K - pc : kstep;
        int n = N - j0 < PANELS_PER_TASK * im->nr ? N - j0 : PANELS_PER_TASK * im->nr;
        if (n <= 0) continue;
        const float *b = trans_b ? B + (ptrdiff_t)j0 * ldb + pc : B + (ptrdiff_t)pc * ldb + j0;
        im->pack_b(trans_b, kc, n, b, ldb, buf + (ptrdiff_t)pc * npad + (ptrdiff_t)j0 * kc);
    );
}

/* tg_gemm_packed and tg_gemm_packed_bias (with_bias): C = alpha op(A) B + beta C, or
 * + bias with C not read; fn names the caller's function in messages. */
static void gemm_packed(const char *fn, bool trans_a, int M, int N, int K, float alpha,
                        const float *A, int lda, const tg_gemm_packed_b *Bp, float beta,
                        bool with_bias, const float *bias, float *C, int ldc, tg_loc loc)
{
    if (!Bp || Bp->K != K || Bp->N != N)
        tg_contract_fail(loc, fn, "packed B is %s, the call wants K=%d N=%d",
                         Bp ? "for other sizes" : "NULL", K, N);
    /* B's checks were done when it was packed; ldb = N stands for "fits". */
    check_gemm(fn, trans_a, false, M, N, K, alpha, A, lda, Bp->data, N, C, ldc, loc);
    if (with_bias && (int64_t)M * N > 0 && !bias) tg_contract_fail(loc, fn, "bias is NULL");
    if (M == 0 || N == 0) return;
    if (K == 0 || alpha == 0.0f) {
        if (with_bias)
            fill_bias_rows(C, ldc, M, N, bias);
        else
            scale_rows(C, ldc, M, N, beta);
        return;
    }
    const tg_gemm_impl *im = impl_of((tg_gemm_path)Bp->path);
    gemm_args g = {trans_a, false, M, N, K, alpha, with_bias ? 0.0f : beta, A, NULL, C, lda, 0,
                   ldc, Bp->kstep, Bp->data, Bp->npad, NULL, 0, with_bias ? bias : NULL};
    run_threads(im, &g);
}

void tg_gemm_packed_at(bool trans_a, int M, int N, int K, float alpha, const float *A, int lda,
                       const tg_gemm_packed_b *Bp, float beta, float *C, int ldc, tg_loc loc)
{
    gemm_packed("tg_gemm_packed", trans_a, M, N, K, alpha, A, lda, Bp, beta, false, NULL, C,
                ldc, loc);
}

void tg_gemm_packed_bias_at(bool trans_a, int M, int N, int K, float alpha, const float *A,
                            int lda, const tg_gemm_packed_b *Bp, const float *bias, float *C,
                            int ldc, tg_loc loc)
{
    gemm_packed("tg_gemm_packed_bias", trans_a, M, N, K, alpha, A, lda, Bp, 0.0f, true, bias,
                C, ldc, loc);
}

/* ---- the reference ------------------------------------------------------------------- */

void tg_gemm_naive_at(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc, tg_loc loc)
{
    check_gemm("tg_gemm_naive", trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, C, ldc, loc);
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            float acc = 0.0f;
            if (alpha != 0.0f) {
                for (int k = 0; k < K; k++) {
                    float a = trans_a ? A[(int64_t)k * lda + i] : A[(int64_t)i * lda + k];
                    float b = trans_b ? B[(int64_t)j * ldb + k] : B[(int64_t)k * ldb + j];
                    acc += a * b;
                }
            }
            float *c = &C[(int64_t)i * ldc + j];
            float prod = alpha != 0.0f && K > 0 ? alpha * acc : 0.0f;
            *c = beta == 0.0f ? prod : prod + beta * *c;
        }
    }
}

/* Plain functions under the public names (the parentheses keep the macros out): for
 * a pointer to the function; a call through one reports this file's line. */
void (tg_gemm)(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
               int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    tg_gemm_at(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, TG_HERE);
}

void (tg_gemm_naive)(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    tg_gemm_naive_at(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, TG_HERE);
}

void (tg_gemm_packed)(bool trans_a, int M, int N, int K, float alpha, const float *A, int lda,
                      const tg_gemm_packed_b *B, float beta, float *C, int ldc)
{
    tg_gemm_packed_at(trans_a, M, N, K, alpha, A, lda, B, beta, C, ldc, TG_HERE);
}

void (tg_gemm_pack_b)(bool trans_b, int K, int N, const float *B, int ldb, float *buf,
                      tg_gemm_packed_b *out)
{
    tg_gemm_pack_b_at(trans_b, K, N, B, ldb, buf, out, TG_HERE);
}
