/* tensor/gemm_kernels.c — the x86-64 SIMD code paths of tg_gemm: packers and register-
 * blocked micro-kernels for AVX2+FMA (4 x 24 tile) and AVX-512F (8 x 48 tile).
 *
 * Every function here carries __attribute__((target(...))), so the file builds with the
 * project's plain flags (no -march) and the rest of the library stays runnable on any
 * x86-64; tensor/gemm.c calls into these tables only after __builtin_cpu_supports said yes.
 * On other compilers or architectures the tables are NULL and only the portable path exists.
 *
 * Micro-kernel (BLIS-style, roles of A and B swapped for row-major C): for each k it loads
 * the nr/w vectors of the packed B row, broadcasts the mr values of the packed A column and
 * does mr * nr/w FMAs into accumulators that stay in registers for the whole depth block;
 * then C is combined once (store / add / beta-FMA, see gemm_impl.h). Edge tiles (m < mr rows
 * or n < nr columns) run instances of the same template with fewer rows or vectors and a
 * masked last vector, so an element's arithmetic (one FMA chain in k order, then the same
 * combine) is identical wherever it sits in C, which is what makes 1 and N threads agree.
 *
 * Packers: copies where op(X) is already laid out along the panel (A transposed, B plain),
 * 8x8 in-register transposes otherwise (A plain, B transposed). Partial panels and depth
 * remainders go through scalar code (or the reference packer in gemm.c) that produces the
 * same values. Plain B is usually not packed here at all: the kernels' PACK instances read
 * it from the source on a panel's first use and store the panel as they go (fused_b).
 *
 * What this file is not: the blocking, threading or dispatch (tensor/gemm.c), nor a complete
 * BLAS; there is no double precision and no complex.
 */
#include "tensor/gemm_impl.h"

#include <stddef.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define AVX2_T "avx2,fma"
#define AVX512_T "avx512f,avx2,fma"
#define INLINE_T(t) static inline __attribute__((always_inline, target(t)))
#define FN_T(t) static __attribute__((target(t)))

/* ---- in-register transposes -------------------------------------------------------------- */

/* r[i] = row i of an 8x8 block -> r[j] = column j. */
INLINE_T(AVX2_T) void tr8x8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    /* s0 = column 0 of rows 0-3 | column 4 of rows 0-3, and so on */
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* r[i] = row i (8 values) of a 4x8 block -> out[j] = column j (4 values), j = 0..7. */
INLINE_T(AVX2_T) void tr4x8(const __m256 r[4], __m128 out[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    out[0] = _mm256_castps256_ps128(s0), out[4] = _mm256_extractf128_ps(s0, 1);
    out[1] = _mm256_castps256_ps128(s1), out[5] = _mm256_extractf128_ps(s1, 1);
    out[2] = _mm256_castps256_ps128(s2), out[6] = _mm256_extractf128_ps(s2, 1);
    out[3] = _mm256_castps256_ps128(s3), out[7] = _mm256_extractf128_ps(s3, 1);
}

/* ---- packers -----------------------------------------------------------------------------
 * Full panels here, the partial last panel and depth remainders through the reference
 * packer or the same scalar expression (alpha * x, one rounding): identical values.
 *
 * Transposing packers read a few rows of the source (stride ld) 16 floats at a time, i.e.
 * whole cache lines, one group of rows after the other: with ld a multiple of 1024 bytes
 * every row maps to the same L1 set, and reading half lines across 48 rows would evict each
 * line before its second half is used. */

/* dst[k * ostride + i] = alpha * src[i * ld + k] for 8 rows i and k in [k0, kc). */
INLINE_T(AVX2_T) void tpack8(int k0, int kc, float alpha, const float *src, int ld,
                             float *dst, int ostride)
{
    const __m256 va = _mm256_set1_ps(alpha);
    int k = k0;
    for (; k + 16 <= kc; k += 16) {
        __m256 lo[8], hi[8];
        for (int i = 0; i < 8; i++) {
            lo[i] = _mm256_loadu_ps(src + (ptrdiff_t)i * ld + k);
            hi[i] = _mm256_loadu_ps(src + (ptrdiff_t)i * ld + k + 8);
        }
        tr8x8(lo);
        tr8x8(hi);
        for (int t = 0; t < 8; t++) {
            _mm256_storeu_ps(dst + (ptrdiff_t)(k + t) * ostride, _mm256_mul_ps(va, lo[t]));
            _mm256_storeu_ps(dst + (ptrdiff_t)(k + 8 + t) * ostride, _mm256_mul_ps(va, hi[t]));
        }
    }
    for (; k + 8 <= kc; k += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (ptrdiff_t)i * ld + k);
        tr8x8(r);
        for (int t = 0; t < 8; t++)
            _mm256_storeu_ps(dst + (ptrdiff_t)(k + t) * ostride, _mm256_mul_ps(va, r[t]));
    }
    for (; k < kc; k++)
        for (int i = 0; i < 8; i++) dst[(ptrdiff_t)k * ostride + i] = alpha * src[(ptrdiff_t)i * ld + k];
}

/* Transposed A with rows of at least this many floats is packed row by row of A (see
 * pack_a8_body), shorter ones panel by panel. Measured, AVX2 path, 1 thread, AVX-512 EPYC
 * (2026-12-01): 1024x256x64 TN (lda 1024) 99 -> 108 GFLOP/s by rows; 64x256x1024 TN
 * (lda 64) 100 -> 90 by rows; lda 256 and 512 the same either way. */
#define PACK_BY_ROWS_LDA 1024

/* A, mr = 8: plain A by 8x8 transposes, transposed A by copies. */
INLINE_T(AVX2_T) void pack_a8_body(bool trans, int m, int kc, float alpha, const float *a,
                                   int lda, float *ap)
{
    const __m256 va = _mm256_set1_ps(alpha);
    int p = 0;
    if (trans && lda >= PACK_BY_ROWS_LDA) { /* op(A)[r][k] = a[k * lda + p + r] */
        int full = m / 8 * 8;
        /* Row k of A feeds every panel: read it once, left to right, and store a vector
         * into each panel (panel p starts at ap + p kc). Walking one panel down all kc
         * rows instead reads with stride lda, which for lda a multiple of 1024 floats
         * maps every row to the same L1 set and misses on each. */
        for (int k = 0; k < kc; k++) {
            const float *src = a + (ptrdiff_t)k * lda;
            for (int q = 0; q < full; q += 8)
                _mm256_store_ps(ap + (ptrdiff_t)q * kc + 8 * k,
                                _mm256_mul_ps(va, _mm256_loadu_ps(src + q)));
        }
        p = full, ap += (ptrdiff_t)full * kc;
    }
    for (; p + 8 <= m; p += 8, ap += 8 * kc) {
        if (trans) /* a panel down the rows: short strides stay in L1 */
            for (int k = 0; k < kc; k++)
                _mm256_store_ps(ap + 8 * k,
                                _mm256_mul_ps(va, _mm256_loadu_ps(a + (ptrdiff_t)k * lda + p)));
        else /* op(A)[r][k] = a[(p + r) * lda + k] */
            tpack8(0, kc, alpha, a + (ptrdiff_t)p * lda, lda, ap, 8);
    }
    if (p < m)
        tg_gemm_pack_a_ref(8, trans, m - p, kc, alpha, trans ? a + p : a + (ptrdiff_t)p * lda,
                           lda, ap);
}

/* A, mr = 4: plain A by 4x8 transposes, transposed A by copies. */
INLINE_T(AVX2_T) void pack_a4_body(bool trans, int m, int kc, float alpha, const float *a,
                                   int lda, float *ap)
{
    const __m256 va = _mm256_set1_ps(alpha);
    const __m128 va4 = _mm_set1_ps(alpha);
    int p = 0;
    if (trans && lda >= PACK_BY_ROWS_LDA) { /* by rows of A, as pack_a8_body: 2 panels a load */
        int full = m / 4 * 4;
        for (int k = 0; k < kc; k++) {
            const float *src = a + (ptrdiff_t)k * lda;
            int q = 0;
            for (; q + 8 <= full; q += 8) {
                __m256 v = _mm256_mul_ps(va, _mm256_loadu_ps(src + q));
                _mm_store_ps(ap + (ptrdiff_t)q * kc + 4 * k, _mm256_castps256_ps128(v));
                _mm_store_ps(ap + (ptrdiff_t)(q + 4) * kc + 4 * k, _mm256_extractf128_ps(v, 1));
            }
            if (q < full)
                _mm_store_ps(ap + (ptrdiff_t)q * kc + 4 * k, _mm_mul_ps(va4, _mm_loadu_ps(src + q)));
        }
        p = full, ap += (ptrdiff_t)full * kc;
    }
    for (; p + 4 <= m; p += 4, ap += 4 * kc) {
        if (trans) { /* a panel down the rows: short strides stay in L1 */
            for (int k = 0; k < kc; k++)
                _mm_store_ps(ap + 4 * k, _mm_mul_ps(va4, _mm_loadu_ps(a + (ptrdiff_t)k * lda + p)));
            continue;
        }
        const float *row = a + (ptrdiff_t)p * lda;
        int k = 0;
        for (; k + 8 <= kc; k += 8) {
            __m256 r[4];
            __m128 col[8];
            for (int i = 0; i < 4; i++)
                r[i] = _mm256_mul_ps(va, _mm256_loadu_ps(row + (ptrdiff_t)i * lda + k));
            tr4x8(r, col);
            for (int t = 0; t < 8; t++) _mm_store_ps(ap + 4 * (k + t), col[t]);
        }
        for (; k < kc; k++)
            for (int i = 0; i < 4; i++) ap[4 * k + i] = alpha * row[(ptrdiff_t)i * lda + k];
    }
    if (p < m)
        tg_gemm_pack_a_ref(4, trans, m - p, kc, alpha, trans ? a + p : a + (ptrdiff_t)p * lda,
                           lda, ap);
}

/* dst[c] for c in [g8, nr): src[c * stride] while c < cols (fewer than 8 of them), then
 * zeros, whole vectors where possible. g8 and nr are multiples of 8. */
INLINE_T(AVX2_T) void tail_row(int nr, float *dst, int g8, int cols, const float *src,
                               ptrdiff_t stride)
{
    int c = g8;
    if (c < cols) {
        for (; c < cols; c++) dst[c] = src[c * stride];
        for (; c < g8 + 8; c++) dst[c] = 0.0f;
    }
    for (; c < nr; c += 8) _mm256_store_ps(dst + c, _mm256_setzero_ps());
}

/* B, nr a multiple of 8: plain B by copies, transposed B by 8-row transposes. Plain B is
 * copied 8 rows of op(B) at a time, panel after panel: the source is read as 8 sequential
 * streams and each panel receives 8 * nr contiguous floats. (Row by row across all panels
 * would write to panels kc * nr * 4 bytes apart, a multiple of 4 KiB, all in one L1 set.) */
INLINE_T(AVX2_T) void pack_b_body(const int nr, bool trans, int kc, int n, const float *b,
                                  int ldb, float *bp)
{
    const int full = n / nr * nr, cols = n - full; /* columns in whole panels, then the rest */
    const int g8 = cols / 8 * 8;                    /* whole groups of 8 in the partial panel */
    float *part = bp + (ptrdiff_t)full * kc;        /* the partial panel, if any */
    if (!trans) { /* op(B)[k][c] = b[k * ldb + c] */
        for (int k0 = 0; k0 < kc; k0 += 8) {
            int k1 = k0 + 8 < kc ? k0 + 8 : kc;
            for (int q = 0; q < full; q += nr)
                for (int k = k0; k < k1; k++)
                    for (int g = 0; g < nr; g += 8)
                        _mm256_store_ps(bp + (ptrdiff_t)q * kc + nr * k + g,
                                        _mm256_loadu_ps(b + (ptrdiff_t)k * ldb + q + g));
            if (cols == 0) continue;
            for (int k = k0; k < k1; k++) {
                const float *src = b + (ptrdiff_t)k * ldb + full;
                for (int g = 0; g < g8; g += 8)
                    _mm256_store_ps(part + nr * k + g, _mm256_loadu_ps(src + g));
                tail_row(nr, part + nr * k, g8, cols, src, 1);
            }
        }
        return;
    }
    /* op(B)[k][c] = b[c * ldb + k] */
    for (int q = 0; q < full; q += nr)
        for (int g = 0; g < nr; g += 8)
            tpack8(0, kc, 1.0f, b + (ptrdiff_t)(q + g) * ldb, ldb, bp + (ptrdiff_t)q * kc + g, nr);
    if (cols == 0) return;
    for (int g = 0; g < g8; g += 8)
        tpack8(0, kc, 1.0f, b + (ptrdiff_t)(full + g) * ldb, ldb, part + g, nr);
    for (int k = 0; k < kc; k++) tail_row(nr, part + nr * k, g8, cols, b + (ptrdiff_t)full * ldb + k, ldb);
}

/* ---- micro-kernel template ----------------------------------------------------------------
 * Accumulators are named variables c<row><vector> (rows 0..7, vectors 0..2), not an array:
 * gcc then keeps them in registers across the k loop instead of mirroring them on the stack.
 * M and NV are compile-time constants in every instance, so rows and vectors beyond them
 * are dead code. */

#define TG_ROWS4(X) X(0) X(1) X(2) X(3)
#define TG_ROWS8(X) TG_ROWS4(X) X(4) X(5) X(6) X(7)

/* One row's update for depth step k: a = A[r][k] broadcast, c_r += a * b_v. */
#define TG_STEP(VEC, SET1, FMA, r)                                                          \
    if (M > r) {                                                                            \
        VEC a_ = SET1(ap[r]);                                                               \
        c##r##0 = FMA(a_, b0, c##r##0);                                                     \
        if (NV > 1) c##r##1 = FMA(a_, b1, c##r##1);                                         \
        if (NV > 2) c##r##2 = FMA(a_, b2, c##r##2);                                         \
    }

/* Every cache line of the m x w block of C the kernel will combine into: requested at the
 * start, they arrive while the depth loop runs (C of a large GEMM with small K comes from
 * memory). */
static inline __attribute__((always_inline)) void prefetch_c(const float *c, int ldc, int m,
                                                             int w)
{
    for (int r = 0; r < m; r++) {
        const float *row = c + (ptrdiff_t)r * ldc;
        for (int j = 0; j < w; j += 16) __builtin_prefetch(row + j, 1, 3);
        __builtin_prefetch(row + w - 1, 1, 3);
    }
}

/* ---- AVX2 + FMA: 4 rows x 24 columns (3 ymm), 12 accumulators ---------------------------- */

enum { A2_MR = 4, A2_NV = 3, A2_NR = 8 * A2_NV };

/* C (8 floats at cp, or the lanes of mk when not full) combined with x per mode. AMD runs
 * vmaskmovps stores slowly, so only a partial last vector takes the masked form. */
INLINE_T(AVX2_T) void out_avx2(float *cp, bool full, __m256i mk, __m256 x, int mode, __m256 vb,
                               const float *bias, int off)
{
    if (mode == TG_GEMM_BIAS) { /* S + bias: the bits of C = bias, then C + S */
        const float *bs = bias + off;
        x = _mm256_add_ps(full ? _mm256_loadu_ps(bs) : _mm256_maskload_ps(bs, mk), x);
        mode = TG_GEMM_STORE;
    }
    if (full) {
        if (mode != TG_GEMM_STORE) {
            __m256 old = _mm256_loadu_ps(cp);
            x = mode == TG_GEMM_ADD ? _mm256_add_ps(old, x) : _mm256_fmadd_ps(old, vb, x);
        }
        _mm256_storeu_ps(cp, x);
    } else {
        if (mode != TG_GEMM_STORE) {
            __m256 old = _mm256_maskload_ps(cp, mk);
            x = mode == TG_GEMM_ADD ? _mm256_add_ps(old, x) : _mm256_fmadd_ps(old, vb, x);
        }
        _mm256_maskstore_ps(cp, mk, x);
    }
}

INLINE_T(AVX2_T) void k_avx2(const int M, const int NV, const bool PACK, int kc,
                             const float *restrict ap, float *restrict bp,
                             const float *restrict bs, ptrdiff_t ldb, float *restrict c, int ldc,
                             bool nfull, __m256i mask, int mode, float beta,
                             const float *restrict bias)
{
#define DECL2(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = c##r##0, c##r##2 = c##r##0;
    TG_ROWS4(DECL2)
#undef DECL2
    prefetch_c(c, ldc, M, 8 * NV);
    for (int k = 0; k < kc; k++, ap += A2_MR, bp += A2_NR) {
        __m256 b0, b1, b2;
        if (PACK) { /* row k of op(B) from the source, also written to the packed panel */
#define LD2(v) (NV > (v) + 1 || nfull ? _mm256_loadu_ps(bs + 8 * (v))                          \
                                      : _mm256_maskload_ps(bs + 8 * (v), mask))
            b0 = LD2(0);
            b1 = NV > 1 ? LD2(1) : b0;
            b2 = NV > 2 ? LD2(2) : b0;
#undef LD2
            _mm256_store_ps(bp, b0);
            if (NV > 1) _mm256_store_ps(bp + 8, b1);
            if (NV > 2) _mm256_store_ps(bp + 16, b2);
            bs += ldb;
        } else {
            b0 = _mm256_load_ps(bp);
            b1 = NV > 1 ? _mm256_load_ps(bp + 8) : b0;
            b2 = NV > 2 ? _mm256_load_ps(bp + 16) : b0;
        }
#define STEP2(r) TG_STEP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, r)
        TG_ROWS4(STEP2)
#undef STEP2
    }
    const __m256 vb = _mm256_set1_ps(beta);
#define FIN2(r)                                                                              \
    if (M > r) {                                                                             \
        float *cr = c + (ptrdiff_t)(r) * ldc;                                                \
        out_avx2(cr, NV > 1 || nfull, mask, c##r##0, mode, vb, bias, 0);                     \
        if (NV > 1) out_avx2(cr + 8, NV > 2 || nfull, mask, c##r##1, mode, vb, bias, 8);     \
        if (NV > 2) out_avx2(cr + 16, nfull, mask, c##r##2, mode, vb, bias, 16);             \
    }
    TG_ROWS4(FIN2)
#undef FIN2
}

FN_T(AVX2_T) void kernel_avx2(int kc, const float *ap, float *bp, const float *bsrc, int ldb,
                              float *c, int ldc, int m, int n, int mode, float beta,
                              const float *bias)
{
    int nv = (n + 7) >> 3;
    bool nfull = (n & 7) == 0;
    __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - 8 * (nv - 1)),
                                      _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#define CASE2(P, M, NV)                                                                      \
    case M * 4 + NV:                                                                         \
        k_avx2(M, NV, P, kc, ap, bp, bsrc, ldb, c, ldc, nfull, mask, mode, beta, bias);      \
        return;
#define ROW2(P, M) CASE2(P, M, 1) CASE2(P, M, 2) CASE2(P, M, 3)
    if (bsrc) {
        switch (m * 4 + nv) {
            ROW2(true, 1) ROW2(true, 2) ROW2(true, 3) ROW2(true, 4)
        default: return;
        }
    }
    switch (m * 4 + nv) {
        ROW2(false, 1) ROW2(false, 2) ROW2(false, 3) ROW2(false, 4)
    default: return;
    }
#undef ROW2
#undef CASE2
}

FN_T(AVX2_T) void pack_a_avx2(bool trans, int m, int kc, float alpha, const float *a, int lda,
                              float *ap)
{
    pack_a4_body(trans, m, kc, alpha, a, lda, ap);
}

FN_T(AVX2_T) void pack_b_avx2(bool trans, int kc, int n, const float *b, int ldb, float *bp)
{
    pack_b_body(A2_NR, trans, kc, n, b, ldb, bp);
}

static const tg_gemm_impl avx2_impl = {
    .name = "avx2", .mr = A2_MR, .nr = A2_NR, .nsplit = 8,
    .kc = 256, .mc = 64, .nc = 768,
    .pack_a = pack_a_avx2, .pack_b = pack_b_avx2, .kernel = kernel_avx2, .fused_b = true,
};
const tg_gemm_impl *const tg_gemm_impl_avx2 = &avx2_impl;

/* ---- AVX-512F: 8 rows x 48 columns (3 zmm), 24 accumulators ------------------------------ */

enum { A5_MR = 8, A5_NV = 3, A5_NR = 16 * A5_NV };

INLINE_T(AVX512_T) void out_avx512(float *cp, __mmask16 mk, __m512 x, int mode, __m512 vb,
                                   const float *bias, int off)
{
    if (mode == TG_GEMM_BIAS) { /* S + bias: the bits of C = bias, then C + S */
        x = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, bias + off), x);
        mode = TG_GEMM_STORE;
    }
    if (mode != TG_GEMM_STORE) {
        __m512 old = _mm512_maskz_loadu_ps(mk, cp);
        x = mode == TG_GEMM_ADD ? _mm512_add_ps(old, x) : _mm512_fmadd_ps(old, vb, x);
    }
    _mm512_mask_storeu_ps(cp, mk, x);
}

INLINE_T(AVX512_T) void k_avx512(const int M, const int NV, const bool PACK, int kc,
                                 const float *restrict ap, float *restrict bp,
                                 const float *restrict bs, ptrdiff_t ldb, float *restrict c,
                                 int ldc, __mmask16 mask, int mode, float beta,
                                 const float *restrict bias)
{
#define DECL5(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = c##r##0, c##r##2 = c##r##0;
    TG_ROWS8(DECL5)
#undef DECL5
    prefetch_c(c, ldc, M, 16 * NV);
    for (int k = 0; k < kc; k++, ap += A5_MR, bp += A5_NR) {
        __m512 b0, b1, b2;
        if (PACK) { /* row k of op(B) from the source, also written to the packed panel */
#define LD5(v) (NV > (v) + 1 ? _mm512_loadu_ps(bs + 16 * (v))                                 \
                             : _mm512_maskz_loadu_ps(mask, bs + 16 * (v)))
            b0 = LD5(0);
            b1 = NV > 1 ? LD5(1) : b0;
            b2 = NV > 2 ? LD5(2) : b0;
#undef LD5
            _mm512_store_ps(bp, b0);
            if (NV > 1) _mm512_store_ps(bp + 16, b1);
            if (NV > 2) _mm512_store_ps(bp + 32, b2);
            bs += ldb;
        } else {
            b0 = _mm512_load_ps(bp);
            b1 = NV > 1 ? _mm512_load_ps(bp + 16) : b0;
            b2 = NV > 2 ? _mm512_load_ps(bp + 32) : b0;
        }
#define STEP5(r) TG_STEP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, r)
        TG_ROWS8(STEP5)
#undef STEP5
    }
    const __m512 vb = _mm512_set1_ps(beta);
    const __mmask16 all = 0xFFFF;
#define FIN5(r)                                                                              \
    if (M > r) {                                                                             \
        float *cr = c + (ptrdiff_t)(r) * ldc;                                                \
        out_avx512(cr, NV > 1 ? all : mask, c##r##0, mode, vb, bias, 0);                     \
        if (NV > 1) out_avx512(cr + 16, NV > 2 ? all : mask, c##r##1, mode, vb, bias, 16);   \
        if (NV > 2) out_avx512(cr + 32, mask, c##r##2, mode, vb, bias, 32);                  \
    }
    TG_ROWS8(FIN5)
#undef FIN5
}

FN_T(AVX512_T) void kernel_avx512(int kc, const float *ap, float *bp, const float *bsrc,
                                  int ldb, float *c, int ldc, int m, int n, int mode, float beta,
                                  const float *bias)
{
    int nv = (n + 15) >> 4;
    __mmask16 mask = (__mmask16)(0xFFFFu >> (16 * nv - n));
#define CASE5(P, M, NV)                                                                      \
    case M * 4 + NV:                                                                         \
        k_avx512(M, NV, P, kc, ap, bp, bsrc, ldb, c, ldc, mask, mode, beta, bias);           \
        return;
#define ROW5(P, M) CASE5(P, M, 1) CASE5(P, M, 2) CASE5(P, M, 3)
#define ROWS5(P) ROW5(P, 1) ROW5(P, 2) ROW5(P, 3) ROW5(P, 4) ROW5(P, 5) ROW5(P, 6) ROW5(P, 7) ROW5(P, 8)
    if (bsrc) {
        switch (m * 4 + nv) {
            ROWS5(true)
        default: return;
        }
    }
    switch (m * 4 + nv) {
        ROWS5(false)
    default: return;
    }
#undef ROWS5
#undef ROW5
#undef CASE5
}

FN_T(AVX512_T) void pack_a_avx512(bool trans, int m, int kc, float alpha, const float *a,
                                  int lda, float *ap)
{
    pack_a8_body(trans, m, kc, alpha, a, lda, ap);
}

FN_T(AVX512_T) void pack_b_avx512(bool trans, int kc, int n, const float *b, int ldb,
                                  float *bp)
{
    pack_b_body(A5_NR, trans, kc, n, b, ldb, bp);
}

static const tg_gemm_impl avx512_impl = {
    .name = "avx512", .mr = A5_MR, .nr = A5_NR, .nsplit = 16,
    .kc = 256, .mc = 64, .nc = 768,
    .pack_a = pack_a_avx512, .pack_b = pack_b_avx512, .kernel = kernel_avx512, .fused_b = true,
};
const tg_gemm_impl *const tg_gemm_impl_avx512 = &avx512_impl;

#else /* not x86-64 gcc/clang: the portable path only */

const tg_gemm_impl *const tg_gemm_impl_avx2 = 0;
const tg_gemm_impl *const tg_gemm_impl_avx512 = 0;

#endif
