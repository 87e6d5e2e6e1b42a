/* tensor/gemm_impl.h — the interface between the GEMM driver (tensor/gemm.c) and the
 * instruction-set-specific packers and micro-kernels (tensor/gemm_kernels.c).
 *
 * A code path is a table: micro-tile size (mr x nr), cache blocks (kc, mc, nc), two packers
 * and one micro-kernel. The driver cuts C into per-thread rectangles, loops over the cache
 * blocks, packs and calls the micro-kernel; nothing in it depends on the instruction set.
 *
 * Packed layouts (all panels zero-padded to full width, so every micro-kernel call reads a
 * complete panel whatever the edge):
 *   A block (mc, kc) -> ceil(mc / mr) panels; panel p holds, for k = 0..kc-1, the mr values
 *                       alpha * op(A)[p*mr + r][k], r = 0..mr-1 (stride mr per k);
 *   B block (kc, nc) -> ceil(nc / nr) panels; panel q holds, for k = 0..kc-1, the nr values
 *                       op(B)[k][q*nr + c], c = 0..nr-1 (stride nr per k).
 *
 * Not a public header: nothing outside tensor/gemm*.c includes it.
 */
#ifndef TG_GEMM_IMPL_H
#define TG_GEMM_IMPL_H

#include <stdbool.h>

/* How the micro-kernel combines its sum S (over one depth block) with C. */
enum {
    TG_GEMM_STORE = 0, /* C = S              (first depth block, beta == 0: C is not read) */
    TG_GEMM_ADD = 1,   /* C = C + S          (beta == 1, or any later depth block) */
    TG_GEMM_SCALE = 2, /* C = beta * C + S   (first depth block, other beta; one FMA where
                          the path has FMA) */
    TG_GEMM_BIAS = 3,  /* C = S + bias       (first depth block of tg_gemm_bias: C is not
                          read; bias holds the tile's n columns) */
};

/* a points at op(A)[0][0] of the block: A + i0 * lda + k0, or A + k0 * lda + i0 when trans. */
typedef void (*tg_gemm_pack_a_fn)(bool trans, int m, int kc, float alpha, const float *a,
                                  int lda, float *ap);
/* b points at op(B)[0][0] of the block: B + k0 * ldb + j0, or B + j0 * ldb + k0 when trans. */
typedef void (*tg_gemm_pack_b_fn)(bool trans, int kc, int n, const float *b, int ldb,
                                  float *bp);
/* C[0:m, 0:n] (row stride ldc) combined with sum_k ap[k][r] * bp[k][c] per `mode`, with
 * 1 <= m <= mr and 1 <= n <= nr. Each element is a chain of FMAs (or multiply-adds on the
 * portable path) in k order that does not depend on m, n or the element's position.
 * Fused packing (paths with fused_b, plain op(B) only): when bsrc is not NULL the kernel
 * reads row k of the panel from bsrc + k * ldb instead of bp, and writes it to bp (the n
 * columns, zeros up to the next vector) for the calls that follow on the same panel.
 * bias: in TG_GEMM_BIAS mode the n values added to every row of the tile (else unused). */
typedef void (*tg_gemm_kernel_fn)(int kc, const float *ap, float *bp, const float *bsrc,
                                  int ldb, float *c, int ldc, int m, int n, int mode,
                                  float beta, const float *bias);

typedef struct tg_gemm_impl {
    const char *name;
    int mr, nr;       /* micro-tile of C */
    int nsplit;       /* column granularity of the per-thread split (a vector, or nr) */
    int kc, mc, nc;   /* cache blocks: kc is the largest depth block, mc/nc multiples of mr/nr */
    tg_gemm_pack_a_fn pack_a;
    tg_gemm_pack_b_fn pack_b;
    tg_gemm_kernel_fn kernel;
    bool fused_b;     /* kernel can pack plain op(B) on the panel's first use */
} tg_gemm_impl;

/* Reference packers (plain C, any mr/nr): the portable path uses them, and the SIMD packers
 * hand them partial panels. */
void tg_gemm_pack_a_ref(int mr, bool trans, int m, int kc, float alpha, const float *a,
                        int lda, float *ap);
void tg_gemm_pack_b_ref(int nr, bool trans, int kc, int n, const float *b, int ldb,
                        float *bp);

/* NULL when the compiler cannot build the path (not x86-64 gcc/clang); whether the CPU can
 * run it is the driver's question. */
extern const tg_gemm_impl *const tg_gemm_impl_avx2;
extern const tg_gemm_impl *const tg_gemm_impl_avx512;

/* tensor/gemm_small.c: the rank-1 update (K = 1) and the one-column matrix-vector product,
 * done directly on the vectors of `path` (a tg_gemm_path); false for every other shape.
 * Arguments as tg_gemm's, already checked, with M, N > 0, K > 0 and alpha != 0. */
bool tg__gemm_small(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb, float beta, float *C,
                    int ldc, int path);

#endif /* TG_GEMM_IMPL_H */
