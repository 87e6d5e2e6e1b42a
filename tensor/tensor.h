/* tensor/tensor.h — float32 n-d arrays and the kernels that compute on them.
 *
 * A tg_tensor is a contiguous, row-major float32 array of rank 0..4. This module is
 * plain numerics: creation, copies, printing, a seeded RNG, initializers and the compute
 * kernels (broadcast elementwise, GEMM, reductions). It deliberately knows nothing of
 * autograd: the tape (autograd/) builds on these kernels and owns activation memory.
 *
 * Ownership: tensors made by tg_tensor_* here are heap tensors that the caller frees with
 * tg_tensor_free(). Tensors returned by autograd ops live on a tape instead (see
 * autograd/autograd.h) and must not be freed by hand.
 */
#ifndef TG_TENSOR_H
#define TG_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tensor/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_MAX_DIMS 4

enum {
    TG_REQUIRES_GRAD = 1 << 0, /* gradients flow into this tensor */
    TG_OWNS_DATA = 1 << 1,     /* heap tensor: data freed by tg_tensor_free */
    TG_ON_TAPE = 1 << 2,       /* struct, data and grad live in a tape arena */
    TG_PARAM = 1 << 3,         /* owned by a parameter store */
};

typedef struct tg_tensor {
    float *data;               /* size floats, row-major */
    float *grad;               /* same shape as data; NULL until a gradient is needed */
    int64_t size;              /* product of shape */
    int ndim;                  /* 0..TG_MAX_DIMS; rank 0 is a scalar of size 1 */
    int shape[TG_MAX_DIMS];    /* unused trailing entries are 1 */
    int flags;                 /* TG_REQUIRES_GRAD | ... */
    struct tg_node *node;      /* tape record that produced it; NULL for leaves */
    /* A view's gradient lives inside its base's gradient buffer, at grad_offset floats:
     * the backward of a view then has nothing to copy. NULL for every other tensor. */
    struct tg_tensor *grad_base;
    int64_t grad_offset;
    const char *name;          /* optional, for printing (parameter names) */
    /* For a tape tensor: its tape's id and the tape's step (reset count) that made it, so
     * that using it after tg_tape_reset is caught (autograd/tape.c); 0 otherwise. */
    uint32_t tape_id, tape_gen;
} tg_tensor;

/* ---- creation (heap tensors; free with tg_tensor_free) ---------------------------- */
tg_tensor *tg_tensor_new(int ndim, const int *shape);          /* uninitialized data */
tg_tensor *tg_tensor_zeros(int ndim, const int *shape);
tg_tensor *tg_tensor_ones(int ndim, const int *shape);
tg_tensor *tg_tensor_full(int ndim, const int *shape, float value);
#define tg_tensor_from(...) tg_tensor_from_at(__VA_ARGS__, TG_HERE)
/* copies values */
tg_tensor *tg_tensor_from_at(int ndim, const int *shape, const float *values, tg_loc loc);
#define tg_tensor_arange(...) tg_tensor_arange_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_tensor_arange_at(int n, tg_loc loc); /* (n,) = 0, 1, ..., n-1 */
tg_tensor *tg_tensor_copy(const tg_tensor *t);                 /* deep copy of data only */
/* also a plain function, for use as a pointer */
void tg_tensor_free(tg_tensor *t);
#define tg_tensor_free(...) tg_tensor_free_at(__VA_ARGS__, TG_HERE)
void tg_tensor_free_at(tg_tensor *t, tg_loc loc); /* NULL is fine */

/* Shape helpers written as compound literals: tg_tensor_zeros(TG_SHAPE(2, 3)). */
#define TG_SHAPE(...) (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (int[]){__VA_ARGS__}

/* ---- in place / views -------------------------------------------------------------- */
void tg_tensor_fill(tg_tensor *t, float value);
/* Change the shape of a heap tensor in place; the sizes must match (contract check). */
#define tg_tensor_reshape(...) tg_tensor_reshape_at(__VA_ARGS__, TG_HERE)
void tg_tensor_reshape_at(tg_tensor *t, int ndim, const int *shape, tg_loc loc);
bool tg_shape_equal(const tg_tensor *a, const tg_tensor *b);
/* "(2, 3, 4)" into buf; returns buf. */
char *tg_shape_str(const tg_tensor *t, char *buf, size_t cap);
/* Prints shape and values (at most `max_items` per row-run, "..." beyond). */
void tg_tensor_print(const tg_tensor *t, const char *label, FILE *f);

/* ---- random numbers -----------------------------------------------------------------
 * PCG32 (O'Neill 2014, XSH-RR variant): 64-bit LCG state, 32-bit output. Same seed and
 * stream give the same numbers on every platform. uniform() has 24 random bits in
 * [0, 1); normal() is Box-Muller from two uniforms (no cached second value, so the
 * sequence depends only on the number of calls). */
typedef struct tg_rng {
    uint64_t state;
    uint64_t inc;
} tg_rng;

#define tg_rng_seed(...) tg_rng_seed_at(__VA_ARGS__, TG_HERE)
void tg_rng_seed_at(tg_rng *r, uint64_t seed, uint64_t stream, tg_loc loc);
uint32_t tg_rng_u32(tg_rng *r);
/* Moves r on by `delta` draws of tg_rng_u32 in O(log delta) steps: afterwards r is where
 * delta calls would have left it (tg_rng_uniform draws one, tg_rng_normal two). How a
 * process takes its own part of a shared random sequence (tg_dropout_slice). Jump-ahead of
 * the LCG by squaring, after F. Brown, "Random number generation with arbitrary strides",
 * Trans. Am. Nucl. Soc. 71 (1994), as in PCG's pcg32_advance. */
#define tg_rng_advance(...) tg_rng_advance_at(__VA_ARGS__, TG_HERE)
void tg_rng_advance_at(tg_rng *r, uint64_t delta, tg_loc loc);
#define tg_rng_below(...) tg_rng_below_at(__VA_ARGS__, TG_HERE)
uint32_t tg_rng_below_at(tg_rng *r, uint32_t n, tg_loc loc); /* uniform in [0, n), unbiased */
float tg_rng_uniform(tg_rng *r);                               /* [0, 1) */
float tg_rng_normal(tg_rng *r);                                /* N(0, 1) */
/* Shuffles a[0..n) in place (Fisher-Yates from the end, j = tg_rng_below(i + 1)). */
void tg_rng_shuffle(tg_rng *r, int32_t *a, int n);

#define tg_fill_uniform(...) tg_fill_uniform_at(__VA_ARGS__, TG_HERE)
void tg_fill_uniform_at(tg_tensor *t, tg_rng *r, float lo, float hi, tg_loc loc);
#define tg_fill_normal(...) tg_fill_normal_at(__VA_ARGS__, TG_HERE)
void tg_fill_normal_at(tg_tensor *t, tg_rng *r, float mean, float std, tg_loc loc);

/* ---- initializers (shape (out, in) for weights, as PyTorch) ------------------------ */
/* U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's default for nn.Linear, nn.LSTM, nn.GRU. */
#define tg_init_uniform_fan(...) tg_init_uniform_fan_at(__VA_ARGS__, TG_HERE)
void tg_init_uniform_fan_at(tg_tensor *t, tg_rng *r, int fan_in, tg_loc loc);
/* Glorot/Xavier uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)), for a 2-D
 * tensor (fan_out, fan_in). Keras' default kernel initializer (gain 1). */
#define tg_init_glorot_uniform(...) tg_init_glorot_uniform_at(__VA_ARGS__, TG_HERE)
void tg_init_glorot_uniform_at(tg_tensor *t, tg_rng *r, float gain, tg_loc loc);
/* Orthogonal (Saxe et al. 2013): rows (or columns, whichever are fewer) orthonormal,
 * times gain. A 2-D tensor; higher ranks are flattened to (shape[0], rest). Keras'
 * recurrent_initializer default. Done by modified Gram-Schmidt on a normal matrix in
 * double, which gives the same distribution as QR with sign correction. */
#define tg_init_orthogonal(...) tg_init_orthogonal_at(__VA_ARGS__, TG_HERE)
void tg_init_orthogonal_at(tg_tensor *t, tg_rng *r, float gain, tg_loc loc);

/* ---- kernels ------------------------------------------------------------------------
 * Plain functions on raw float arrays: no allocation, no autograd. Each optimized kernel
 * has a *_naive twin that the tests compare against. */

/* Broadcasting (numpy rules, shapes right-aligned) of two shapes into out; returns false
 * when they do not broadcast. */
bool tg_broadcast_shape(int na, const int *sa, int nb, const int *sb, int *nout, int *sout);

typedef enum {
    TG_BIN_ADD,
    TG_BIN_SUB,
    TG_BIN_MUL,
    TG_BIN_DIV,
} tg_binop;

/* out = a (op) b with broadcasting; out has the broadcast shape (nout, sout). */
/* also a plain function, for use as a pointer */
void tg_kernel_binary(tg_binop op, const float *a, int na, const int *sa, const float *b, int nb,
                      const int *sb, float *out, int nout, const int *sout);
#define tg_kernel_binary(...) tg_kernel_binary_at(__VA_ARGS__, TG_HERE)
void tg_kernel_binary_at(tg_binop op, const float *a, int na, const int *sa, const float *b,
                         int nb, const int *sb, float *out, int nout, const int *sout, tg_loc loc);
/* also a plain function, for use as a pointer */
void tg_kernel_binary_naive(tg_binop op, const float *a, int na, const int *sa, const float *b,
                            int nb, const int *sb, float *out, int nout, const int *sout);
#define tg_kernel_binary_naive(...) tg_kernel_binary_naive_at(__VA_ARGS__, TG_HERE)
void tg_kernel_binary_naive_at(tg_binop op, const float *a, int na, const int *sa,
                               const float *b, int nb, const int *sb, float *out, int nout,
                               const int *sout, tg_loc loc);

/* Sum `src` of shape (ns, ss) down to the broadcast-source shape (nd, sd), adding into
 * dst (dst += reduce(src)). Used by the backward of every broadcasting op. */
/* also a plain function, for use as a pointer */
void tg_kernel_reduce_to(const float *src, int ns, const int *ss, float *dst, int nd,
                         const int *sd);
#define tg_kernel_reduce_to(...) tg_kernel_reduce_to_at(__VA_ARGS__, TG_HERE)
void tg_kernel_reduce_to_at(const float *src, int ns, const int *ss, float *dst, int nd,
                            const int *sd, tg_loc loc);

/* GEMM: C = alpha * op(A) op(B) + beta * C, row-major, op(X) = X or X^T.
 * op(A) is (M, K), op(B) is (K, N), C is (M, N). lda/ldb/ldc are row strides of the
 * matrices as stored. beta = 0 ignores what C held (NaN included).
 * Deterministic: every element of C is summed over k in the same order whatever the
 * number of threads; OpenMP splits C into blocks of rows or columns above a work threshold,
 * never the depth K. Two shapes skip the packed kernels (tensor/gemm_small.c): K = 1 (same
 * bits as the kernels) and a one-column C with ldc = 1 and op(A) = A, whose dot products
 * are summed in vector lanes in a fixed order. */
/* also a plain function, for use as a pointer */
void tg_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc);
#define tg_gemm(...) tg_gemm_at(__VA_ARGS__, TG_HERE)
void tg_gemm_at(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                int lda, const float *B, int ldb, float beta, float *C, int ldc, tg_loc loc);
/* also a plain function, for use as a pointer */
void tg_gemm_naive(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *C, int ldc);
#define tg_gemm_naive(...) tg_gemm_naive_at(__VA_ARGS__, TG_HERE)
void tg_gemm_naive_at(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc, tg_loc loc);

/* C = alpha * op(A) op(B) + bias, the (N) bias added to every row and C not read (a
 * linear layer's x W^T + b): the bias goes in where the product is stored, instead of a
 * pass that fills C with it first. The same bits as filling C with the bias and calling
 * tg_gemm with beta = 1. Contract as tg_gemm, and bias not NULL when M N > 0. */
#define tg_gemm_bias(...) tg_gemm_bias_at(__VA_ARGS__, TG_HERE)
void tg_gemm_bias_at(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, const float *bias,
                     float *C, int ldc, tg_loc loc);

/* op(B) packed once and used by many GEMMs with different A (a recurrent weight, the same
 * at every time step): tg_gemm_pack_b fills `buf` (tg_gemm_packed_b_floats(K, N) floats,
 * 64-byte aligned, owned by the caller) in the current code path's layout; tg_gemm_packed
 * then computes C = alpha * op(A) op(B) + beta * C without packing B again, with the same
 * bits as tg_gemm (except a single column C with ldc = 1, which tg_gemm computes as a row:
 * the same values up to rounding). B must not change while the packed copy is in use. */
typedef struct tg_gemm_packed_b {
    int K, N;
    int path;  /* the tg_gemm_path whose layout `data` holds; used for every call */
    int kstep; /* depth block */
    int npad;  /* N rounded up to the path's panel width */
    const float *data;
} tg_gemm_packed_b;
size_t tg_gemm_packed_b_floats(int K, int N);
/* also a plain function, for use as a pointer */
void tg_gemm_pack_b(bool trans_b, int K, int N, const float *B, int ldb, float *buf,
                    tg_gemm_packed_b *out);
#define tg_gemm_pack_b(...) tg_gemm_pack_b_at(__VA_ARGS__, TG_HERE)
void tg_gemm_pack_b_at(bool trans_b, int K, int N, const float *B, int ldb, float *buf,
                       tg_gemm_packed_b *out, tg_loc loc);
/* also a plain function, for use as a pointer */
void tg_gemm_packed(bool trans_a, int M, int N, int K, float alpha, const float *A, int lda,
                    const tg_gemm_packed_b *B, float beta, float *C, int ldc);
#define tg_gemm_packed(...) tg_gemm_packed_at(__VA_ARGS__, TG_HERE)
void tg_gemm_packed_at(bool trans_a, int M, int N, int K, float alpha, const float *A, int lda,
                       const tg_gemm_packed_b *B, float beta, float *C, int ldc, tg_loc loc);
/* tg_gemm_bias with B packed: the bits of tg_gemm_packed after filling C with the bias. */
#define tg_gemm_packed_bias(...) tg_gemm_packed_bias_at(__VA_ARGS__, TG_HERE)
void tg_gemm_packed_bias_at(bool trans_a, int M, int N, int K, float alpha, const float *A,
                            int lda, const tg_gemm_packed_b *B, const float *bias, float *C,
                            int ldc, tg_loc loc);

/* GEMM code paths: packed, cache-blocked, with an AVX-512F or AVX2+FMA micro-kernel or a
 * portable C one. AUTO (the default) takes the best the CPU supports, decided once; the
 * environment variable TG_GEMM_PATH=portable|avx2|avx512 (else TG_SIMD, below) sets the
 * first choice. Forcing a path is for tests and benchmarks: a request the CPU (or compiler)
 * cannot do falls back to the next path down, and set returns the path now in effect. Paths differ in rounding
 * only; each is deterministic at any thread count. A call reads the path once when it
 * starts, so switching while another thread is inside tg_gemm is safe. */
typedef enum {
    TG_GEMM_AUTO,
    TG_GEMM_PORTABLE,
    TG_GEMM_AVX2,
    TG_GEMM_AVX512,
} tg_gemm_path;
tg_gemm_path tg_gemm_set_path(tg_gemm_path p);
tg_gemm_path tg_gemm_get_path(void);
const char *tg_gemm_path_name(void); /* "avx512", "avx2" or "portable" */

/* SIMD code paths shared by the vector math kernels and the GEMM: the best the CPU
 * supports is taken by default; the environment variable TG_SIMD=portable|avx2|avx512 or
 * tg_simd_set_path forces one (for tests and benchmarks: an AVX-512 machine can run the
 * AVX2 code most users have). A request the CPU cannot run falls back to the next path
 * down; set returns the path now in effect. TG_SIMD also sets the GEMM's first choice
 * unless TG_GEMM_PATH names one (tg_gemm_set_path). Values match tg_gemm_path's. */
typedef enum {
    TG_SIMD_AUTO,
    TG_SIMD_PORTABLE, /* x86-64 baseline (SSE2) vectors, or plain C elsewhere */
    TG_SIMD_AVX2,     /* AVX2 + FMA */
    TG_SIMD_AVX512,   /* AVX-512F */
} tg_simd_path;
tg_simd_path tg_simd_set_path(tg_simd_path p); /* the vector math kernels' path */
tg_simd_path tg_simd_get_path(void);
bool tg_simd_cpu_supports(tg_simd_path p);      /* can this CPU run p (never AUTO)? */
tg_simd_path tg_simd_resolve(tg_simd_path p);   /* p if supported, else the next one down */
tg_simd_path tg_simd_parse(const char *s);      /* "avx2" -> TG_SIMD_AVX2; else AUTO */
const char *tg_simd_name(tg_simd_path p);       /* "auto", "portable", "avx2", "avx512" */

/* Vectorized y[i] = f(x[i]) for i < n (tensor/vmath.c), on the path above: within 4 float
 * ulps of libm (relative error <= 4.8e-7 where the result is a normal float) over the whole
 * float range, with libm's special values: exp overflows to inf above 88.72 and underflows
 * through the subnormals to 0; log(0) = -inf, log(inf) = inf, log(x < 0) = NaN; sigmoid
 * and tanh saturate to 0/1 and -1/1 without overflow. NaN stays NaN. AVX2 and AVX-512 give
 * the same bits; portable (no FMA) may differ by an ulp. x and y may be the same array. The naive twins call libm per element. */
void tg_kernel_exp(const float *x, float *y, int64_t n);
void tg_kernel_log(const float *x, float *y, int64_t n);
void tg_kernel_sigmoid(const float *x, float *y, int64_t n);
void tg_kernel_tanh(const float *x, float *y, int64_t n);
void tg_kernel_exp_naive(const float *x, float *y, int64_t n);
void tg_kernel_log_naive(const float *x, float *y, int64_t n);
void tg_kernel_sigmoid_naive(const float *x, float *y, int64_t n);
void tg_kernel_tanh_naive(const float *x, float *y, int64_t n);

/* Layer norm of `rows` contiguous rows of n floats (tensor/norm.c), as PyTorch's
 * torch.nn.functional.layer_norm over the last axis: per row the mean as a float pair
 * mean[2r] + mean[2r+1] (hi + lo: a row far from zero, 1e7 + {0, 1, 2, 3}, keeps the
 * precision of one near zero), rstd[r] = 1 / sqrt(var + eps) with the biased variance, and
 * y = (x - mean) rstd gain + bias (gain and bias (n) may be NULL: 1 and 0).
 * backward: dx += rstd (g - mean(g) - xhat mean(g xhat)) with g = dy gain and
 * xhat = ((x - hi) - lo) rstd, from forward's mean and rstd (Ba et al. 2016).
 * param_grads: for columns [j0, j1): dgain[j] += sum_r dy xhat, dbias[j] += sum_r dy, over
 * rows in order (either may be NULL). On the path of tg_simd_get_path, sums in float lanes;
 * the naive twins sum in double. No threads, no allocation. */
void tg_kernel_layer_norm(const float *x, const float *gain, const float *bias, float *y,
                          float *mean, float *rstd, int64_t rows, int n, float eps);
void tg_kernel_layer_norm_backward(const float *x, const float *dy, const float *gain,
                                   const float *mean, const float *rstd, float *dx,
                                   int64_t rows, int n);
void tg_kernel_layer_norm_param_grads(const float *x, const float *dy, const float *mean,
                                      const float *rstd, float *dgain, float *dbias,
                                      int64_t rows, int n, int j0, int j1);
void tg_kernel_layer_norm_naive(const float *x, const float *gain, const float *bias, float *y,
                                float *mean, float *rstd, int64_t rows, int n, float eps);
void tg_kernel_layer_norm_backward_naive(const float *x, const float *dy, const float *gain,
                                         const float *mean, const float *rstd, float *dx,
                                         int64_t rows, int n);
void tg_kernel_layer_norm_param_grads_naive(const float *x, const float *dy, const float *mean,
                                            const float *rstd, float *dgain, float *dbias,
                                            int64_t rows, int n, int j0, int j1);

/* Reductions over one axis of a contiguous tensor viewed as (outer, n, inner): out has
 * (outer, inner) elements. argmax (may be NULL) receives the index along the axis of the
 * first maximum. */
/* also a plain function, for use as a pointer */
void tg_kernel_sum_axis(const float *x, int outer, int n, int inner, float *out);
#define tg_kernel_sum_axis(...) tg_kernel_sum_axis_at(__VA_ARGS__, TG_HERE)
void tg_kernel_sum_axis_at(const float *x, int outer, int n, int inner, float *out, tg_loc loc);
/* also a plain function, for use as a pointer */
void tg_kernel_max_axis(const float *x, int outer, int n, int inner, float *out, int32_t *argmax);
#define tg_kernel_max_axis(...) tg_kernel_max_axis_at(__VA_ARGS__, TG_HERE)
void tg_kernel_max_axis_at(const float *x, int outer, int n, int inner, float *out,
                           int32_t *argmax, tg_loc loc);
/* Sums all elements in double (pairwise-free, order fixed), returned as float. */
/* also a plain function, for use as a pointer */
float tg_kernel_sum_all(const float *x, int64_t n);
#define tg_kernel_sum_all(...) tg_kernel_sum_all_at(__VA_ARGS__, TG_HERE)
float tg_kernel_sum_all_at(const float *x, int64_t n, tg_loc loc);

/* Split `shape` at `axis` into outer (product before), n (shape[axis]), inner (after). */
#define tg_axis_split(...) tg_axis_split_at(__VA_ARGS__, TG_HERE)
void tg_axis_split_at(int ndim, const int *shape, int axis, int *outer, int *n, int *inner,
                      tg_loc loc);

/* Threads (tensor/threads.c). tg_num_threads: the team size the kernels use now (1
 * without OpenMP). tg_set_num_threads(n > 0): the most they may use (default: OMP_NUM_THREADS
 * or the number of cores); n <= 0 is ignored. Adaptive threads (on by default): while other
 * processes keep cores busy, the team shrinks to the cores they leave free, and grows back
 * when they go; the load is looked at in tg_threads_tick (tg_tape_reset calls it, at most
 * every 0.2 s; Linux /proc/stat). Results are the same bits at any team size.
 * tg_set_adaptive_threads(false) or the environment variable TG_ADAPTIVE_THREADS=0 keep the
 * team at its maximum. tg_threads_for_load is the rule: of `max` threads on `cores` cores
 * while others use `others` cores' worth of CPU, the cores more than half free, at least 1. */
int tg_num_threads(void);
void tg_set_num_threads(int n);
void tg_set_adaptive_threads(bool on);
void tg_threads_tick(void);
int tg_threads_for_load(int max, int cores, double others);

/* Library-wide count of heap allocations made through tapegrad's allocator since start:
 * a training step that allocates nothing leaves it unchanged. */
uint64_t tg_heap_alloc_count(void);
void *tg_malloc(size_t bytes);     /* 64-byte aligned; calls the error handler on failure */
void *tg_calloc(size_t bytes);
void tg_free(void *p);
/* For growable arrays of `elem`-byte items holding n of *cap: returns items when there is
 * room, else a copy with twice the capacity (at least `first`), freeing the old block and
 * updating *cap. */
void *tg_grow(void *items, int n, int *cap, int first, size_t elem);

#ifdef __cplusplus
}
#endif
#endif /* TG_TENSOR_H */
