/* tensor/gemm_small.c — the two GEMM shapes that packing and micro-tiles serve badly, done
 * directly: the rank-1 update (K = 1: the input projection of a one-feature series) and
 * the matrix-vector product with a contiguous matrix row per output (a single output column
 * C (M, 1), op(A) = A: the gradient of such a projection). tg_gemm (tensor/gemm.c) calls
 * tg__gemm_small first; false means "not one of these, do the blocked GEMM".
 *
 * Bits. The rank-1 update computes each element exactly as the micro-kernels do for a
 * depth of 1: S = (alpha a_i) b_j + 0 (the packed A holds alpha a_i; the accumulator
 * starts at zero), then C = S, C + S or beta C + S (one FMA on the SIMD paths, as theirs),
 * so tg_gemm_packed, which always runs the kernels, keeps tg_gemm's bits. The
 * matrix-vector product sums each dot product in vector lanes (8 or 16, in a fixed order,
 * then the lanes in order): a fixed order per path and shape, the same at any thread count,
 * but not the kernels' k-order chain; tg_gemm already documents single-column C (ldc = 1)
 * as the one case where tg_gemm_packed may round differently.
 * Threads: rows of C, split above TG_PAR_GEMM multiply-adds; each row is one thread's.
 * Not here: packing, blocking, the general case (tensor/gemm.c).
 */
#include "tensor/gemm_impl.h"
#include "tensor/parallel.h"
#include "tensor/tensor.h"

#include <string.h>

/* ---- dot products, one per code path ------------------------------------------------------ */

#if defined(__GNUC__) || defined(__clang__)
/* sum_k a[k] b[k] in W lanes (two accumulators of W, added lane-wise, then the lanes in
 * order), then the tail in k order. */
#define DOT_FN(name, W, ATTR)                                                               \
    static ATTR float name(const float *a, const float *b, int K)                           \
    {                                                                                       \
        typedef float vec __attribute__((vector_size(W * 4)));                              \
        vec s0 = {0}, s1 = {0}, x, y, u, v;                                                 \
        int k = 0;                                                                          \
        for (; k + 2 * W <= K; k += 2 * W) {                                                \
            memcpy(&x, a + k, sizeof x), memcpy(&y, b + k, sizeof y);                       \
            memcpy(&u, a + k + W, sizeof u), memcpy(&v, b + k + W, sizeof v);               \
            s0 += x * y;                                                                    \
            s1 += u * v;                                                                    \
        }                                                                                   \
        s0 += s1;                                                                           \
        float r = 0.0f;                                                                     \
        for (int l = 0; l < W; l++) r += s0[l];                                             \
        for (; k < K; k++) r += a[k] * b[k];                                                \
        return r;                                                                           \
    }
/* One row of the rank-1 update: c[j] = S, c[j] + S or beta c[j] + S with S = ai b[j] + 0.
 * Compiled with contraction on the FMA paths, where S and beta c + S become one FMA each,
 * as in their micro-kernels; the portable build rounds each step, as its kernel does. */
#define RANK1_FN(name, ATTR)                                                                \
    static ATTR void name(float ai, const float *b, float *c, int N, float beta)             \
    {                                                                                       \
        if (beta == 0.0f)                                                                   \
            for (int j = 0; j < N; j++) c[j] = ai * b[j] + 0.0f;                            \
        else if (beta == 1.0f)                                                              \
            for (int j = 0; j < N; j++) c[j] = c[j] + (ai * b[j] + 0.0f);                   \
        else                                                                                \
            for (int j = 0; j < N; j++) c[j] = beta * c[j] + (ai * b[j] + 0.0f);            \
    }
DOT_FN(dot_portable, 8, )
RANK1_FN(rank1_portable, )
#if defined(__x86_64__)
#if defined(__clang__)
#define DOT_CONTRACT /* clang: -ffp-contract is per file */
#else
#define DOT_CONTRACT , optimize("fp-contract=fast")
#endif
DOT_FN(dot_avx2, 8, __attribute__((target("avx2,fma") DOT_CONTRACT)))
DOT_FN(dot_avx512, 16, __attribute__((target("avx512f,avx2,fma") DOT_CONTRACT)))
RANK1_FN(rank1_avx2, __attribute__((target("avx2,fma") DOT_CONTRACT)))
RANK1_FN(rank1_avx512, __attribute__((target("avx512f,avx2,fma") DOT_CONTRACT)))
#endif
#else
static float dot_portable(const float *a, const float *b, int K)
{
    float r = 0.0f;
    for (int k = 0; k < K; k++) r += a[k] * b[k];
    return r;
}
static void rank1_portable(float ai, const float *b, float *c, int N, float beta)
{
    for (int j = 0; j < N; j++)
        c[j] = beta == 0.0f ? ai * b[j] + 0.0f
               : beta == 1.0f ? c[j] + (ai * b[j] + 0.0f)
                              : beta * c[j] + (ai * b[j] + 0.0f);
}
#endif

typedef float (*dot_fn)(const float *, const float *, int);
typedef void (*rank1_fn)(float, const float *, float *, int, float);

static dot_fn dot_for(tg_gemm_path p)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    if (p == TG_GEMM_AVX512) return dot_avx512;
    if (p == TG_GEMM_AVX2) return dot_avx2;
#endif
    (void)p;
    return dot_portable;
}

static rank1_fn rank1_for(tg_gemm_path p)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    if (p == TG_GEMM_AVX512) return rank1_avx512;
    if (p == TG_GEMM_AVX2) return rank1_avx2;
#endif
    (void)p;
    return rank1_portable;
}

/* ---- the two shapes ------------------------------------------------------------------------ */

/* C (M, N) = alpha a b^T + beta C, a_i = op(A)[i][0], b_j = op(B)[0][j] with b contiguous;
 * alpha a_i is rounded first, as the packed A of the kernels holds it. */
static void rank1(bool trans_a, int M, int N, float alpha, const float *A, int lda,
                  const float *b, float beta, float *C, int ldc, rank1_fn row)
{
    TG_PAR_FOR(int, i, M, (int64_t)M * N >= TG_PAR_GEMM,
        row(alpha * (trans_a ? A[i] : A[(int64_t)i * lda]), b, C + (int64_t)i * ldc, N, beta));
}

/* c[i] = alpha dot(A[i, :], x) + beta c[i] for i < M (C is one contiguous column). */
static void gemv_rows(int M, int K, float alpha, const float *A, int lda, const float *x,
                      float beta, float *c, dot_fn dot)
{
    TG_PAR_FOR(int, i, M, (int64_t)M * K >= TG_PAR_GEMM,
        float d = alpha * dot(A + (int64_t)i * lda, x, K);
        c[i] = beta == 0.0f ? d : beta == 1.0f ? c[i] + d : beta * c[i] + d);
}

bool tg__gemm_small(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb, float beta, float *C,
                    int ldc, int path)
{
    if (K == 1 && (!trans_b || ldb == 1 || N == 1)) { /* op(B) is the row B[0..N) */
        rank1(trans_a, M, N, alpha, A, lda, B, beta, C, ldc, rank1_for((tg_gemm_path)path));
        return true;
    }
    /* C (M, 1) contiguous, op(A) = A with rows along k, op(B) the column x: contiguous when
     * B is the row (1, K) transposed, or a (K, 1) column of stride 1 */
    if (N == 1 && ldc == 1 && !trans_a && (trans_b || ldb == 1) && K >= 64) {
        gemv_rows(M, K, alpha, A, lda, B, beta, C, dot_for((tg_gemm_path)path));
        return true;
    }
    return false;
}
