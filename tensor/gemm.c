/* tensor/gemm.c — single-precision GEMM, C = alpha * op(A) op(B) + beta * C, row-major.
 *
 * Storage (row-major, leading dimension = row stride as stored):
 *   A is (M, K) with lda >= K, or (K, M) with lda >= M when trans_a;
 *   B is (K, N) with ldb >= N, or (N, K) with ldb >= K when trans_b;
 *   C is (M, N) with ldc >= N, and must not overlap A or B.
 *
 * tg_gemm is a portable cache-blocked kernel that gcc -O3 vectorizes without -ffast-math:
 * C is cut into tiles of (up to) TILE_M rows x TILE_N columns, and each tile is updated
 * "row of C += a_ik * row of B" (the i-k-j order) over depth blocks of TILE_K. When B is
 * transposed, each (TILE_K, TILE_N) block of op(B) is first packed into a stack buffer so
 * the inner loop still reads contiguous rows. Tiles are independent, so OpenMP splits the
 * tile list above a work threshold.
 *
 * Rounding and determinism: C is first scaled by beta (or zeroed when beta == 0, without
 * reading it), then every element receives (alpha * a_ik) * b_kj for k = 0, 1, ..., K-1,
 * one addition at a time in that order. That order depends on nothing but k, so the bits
 * are the same for any tiling and any number of threads. tg_gemm_naive computes
 * alpha * (sum over k) + beta * C instead; the two differ by float rounding only.
 *
 * What this file is not: a tuned BLAS. There is no register-blocked micro-kernel and no
 * explicit SIMD; a packed AVX-512 kernel is planned to replace tg_gemm's inner loops.
 */
#include "tensor/tensor.h"

/* Work (M * N * K multiply-adds) above which the tiles are spread over threads. */
#define GEMM_PAR_THRESHOLD ((int64_t)1 << 18)

#define TILE_M 16  /* rows of C per task */
#define TILE_N 128 /* columns of C per task: a row slice of C is 512 bytes */
#define TILE_K 64  /* depth per block: a (TILE_K, TILE_N) block of B is 32 KiB */

/* ---- argument checks ----------------------------------------------------------------- */

static void check_gemm(const char *fn, bool trans_a, bool trans_b, int M, int N, int K,
                       float alpha, const float *A, int lda, const float *B, int ldb,
                       const float *C, int ldc)
{
    if (M < 0 || N < 0 || K < 0)
        tg_contract_fail(TG_HERE, fn, "negative size M=%d N=%d K=%d", M, N, K);
    int a_cols = trans_a ? M : K; /* row length of A as stored */
    int b_cols = trans_b ? K : N;
    if (lda < a_cols)
        tg_contract_fail(TG_HERE, fn, "lda=%d < %d: A is stored (%d, %d)%s", lda, a_cols,
                         trans_a ? K : M, a_cols, trans_a ? " (transposed)" : "");
    if (ldb < b_cols)
        tg_contract_fail(TG_HERE, fn, "ldb=%d < %d: B is stored (%d, %d)%s", ldb, b_cols,
                         trans_b ? N : K, b_cols, trans_b ? " (transposed)" : "");
    if (ldc < N)
        tg_contract_fail(TG_HERE, fn, "ldc=%d < N=%d: C is (%d, %d)", ldc, N, M, N);
    if ((int64_t)M * N > 0 && !C) tg_contract_fail(TG_HERE, fn, "C is NULL");
    if ((int64_t)M * N * K > 0 && alpha != 0.0f && (!A || !B))
        tg_contract_fail(TG_HERE, fn, "A or B is NULL");
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

/* ---- inner loops ----------------------------------------------------------------------
 * c (w) += a * b (w), and the four-term form that adds a0*b0, a1*b1, a2*b2, a3*b3 in that
 * order, one rounding per addition exactly like four single calls, with c kept in a
 * register in between (one load and one store of c per four depth steps). */

static inline void axpy1(float *restrict c, float a, const float *restrict b, int w)
{
    for (int j = 0; j < w; j++) c[j] += a * b[j];
}

static inline void axpy4(float *restrict c, float a0, const float *restrict b0, float a1,
                         const float *restrict b1, float a2, const float *restrict b2,
                         float a3, const float *restrict b3, int w)
{
    for (int j = 0; j < w; j++) {
        float acc = c[j];
        acc += a0 * b0[j];
        acc += a1 * b1[j];
        acc += a2 * b2[j];
        acc += a3 * b3[j];
        c[j] = acc;
    }
}

/* ---- one tile -------------------------------------------------------------------------
 * C[i0:i1, j0:j0+w] = beta * C + alpha * op(A)[i0:i1, :] op(B)[:, j0:j0+w]. */
static void gemm_tile(bool trans_a, bool trans_b, int K, float alpha, const float *A,
                      int lda, const float *B, int ldb, float beta, float *C, int ldc, int i0,
                      int i1, int j0, int w)
{
    float packed[TILE_K * TILE_N]; /* (TILE_K, TILE_N): op(B) block when trans_b */
    const float *brow[TILE_K];     /* brow[kk] = row k0 + kk of op(B), columns j0.. */

    scale_rows(C + (int64_t)i0 * ldc + j0, ldc, i1 - i0, w, beta);

    for (int k0 = 0; k0 < K; k0 += TILE_K) {
        int kb = K - k0 < TILE_K ? K - k0 : TILE_K;
        if (trans_b) {
            /* B is stored (N, K): op(B)[k][j] = B[j][k]. Transpose the block once. */
            for (int jj = 0; jj < w; jj++) {
                const float *src = B + (int64_t)(j0 + jj) * ldb + k0; /* (kb) */
                for (int kk = 0; kk < kb; kk++) packed[kk * TILE_N + jj] = src[kk];
            }
            for (int kk = 0; kk < kb; kk++) brow[kk] = packed + kk * TILE_N;
        } else {
            for (int kk = 0; kk < kb; kk++) brow[kk] = B + (int64_t)(k0 + kk) * ldb + j0;
        }

        for (int i = i0; i < i1; i++) {
            float *c = C + (int64_t)i * ldc + j0; /* (w) */
            /* a[kk] = alpha * op(A)[i][k0 + kk] */
            float a[TILE_K];
            if (trans_a)
                for (int kk = 0; kk < kb; kk++) a[kk] = alpha * A[(int64_t)(k0 + kk) * lda + i];
            else
                for (int kk = 0; kk < kb; kk++) a[kk] = alpha * A[(int64_t)i * lda + k0 + kk];
            int kk = 0;
            for (; kk + 4 <= kb; kk += 4)
                axpy4(c, a[kk], brow[kk], a[kk + 1], brow[kk + 1], a[kk + 2], brow[kk + 2],
                      a[kk + 3], brow[kk + 3], w);
            for (; kk < kb; kk++) axpy1(c, a[kk], brow[kk], w);
        }
    }
}

void tg_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
             int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    check_gemm("tg_gemm", trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, C, ldc);
    if (M == 0 || N == 0) return;
    if (K == 0 || alpha == 0.0f) { /* no product term: A and B are not read */
        scale_rows(C, ldc, M, N, beta);
        return;
    }

    int row_tiles = (M + TILE_M - 1) / TILE_M;
    int col_tiles = (N + TILE_N - 1) / TILE_N;
    int64_t tiles = (int64_t)row_tiles * col_tiles;
    bool par = tiles > 1 && (int64_t)M * N * K >= GEMM_PAR_THRESHOLD;
    (void)par; /* used only by the pragma */

#pragma omp parallel for schedule(static) if (par)
    for (int64_t t = 0; t < tiles; t++) {
        int i0 = (int)(t / col_tiles) * TILE_M;
        int j0 = (int)(t % col_tiles) * TILE_N;
        int i1 = i0 + TILE_M < M ? i0 + TILE_M : M;
        int w = N - j0 < TILE_N ? N - j0 : TILE_N;
        gemm_tile(trans_a, trans_b, K, alpha, A, lda, B, ldb, beta, C, ldc, i0, i1, j0, w);
    }
}

/* ---- the reference ------------------------------------------------------------------- */

void tg_gemm_naive(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C,
                   int ldc)
{
    check_gemm("tg_gemm_naive", trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, C, ldc);
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
