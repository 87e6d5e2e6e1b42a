/* tensor/parallel.h — the one place where the sizes above which loops use OpenMP threads
 * are set, and why each value is what it is. Internal: not installed, not public.
 *
 * Every loop of the library that may fork (an `omp parallel ... if (...)` clause, or a
 * `par` flag fed to one) compares its size with one of these. Below a threshold the loop
 * runs on the calling thread, because waking the team costs more than the loop. Where a
 * measurement is quoted it is per training step, A/B medians of bench/train_bench on 2
 * threads (bench/README.md); a value without one is as first set. Each loop compares as it
 * always did: the autograd ops split when the size is > the threshold, the tensor kernels,
 * the GEMM and the optimizers when it is >=.
 *
 * Results do not depend on these: every parallel loop has each output element written by
 * one thread with the same arithmetic in the same order, so the bits are the same at any
 * thread count and on either side of a threshold. One exception: TG_PAR_OPTIM also picks
 * how the clipping norm is summed (below).
 *
 * Without OpenMP the pragmas are ignored and only that summation choice remains.
 */
#ifndef TG_PARALLEL_H
#define TG_PARALLEL_H

#include <stdint.h>

/* Elements: the elementwise autograd ops and their backward (ops_elementwise.c,
 * tg__grad_add), slice_act's rows, sum/mean's backward and softmax's rows (ops_reduce.c),
 * and the tensor kernels (tensor/kernels.c: binary, reduce_to, sum/max over an axis).
 * Below it, waking threads costs more than the loop. 2026-11-30, AMD EPYC with the AVX2
 * path forced, 2 threads, after loops stopped entering libgomp when they do not fork
 * (TG_PAR_FOR below): 1 << 15 against 1 << 12 made the seed LSTM step 26.4 ms instead of
 * 29.1-29.8 (inference 9.4 instead of 10.1-10.3) and left medium LSTM (63.9 vs 64.6-64.9)
 * and large GRU (152-160 vs 153) within noise. (Earlier, when every small loop paid
 * libgomp's team set-up anyway, 1 << 15 had been 5-7% slower than 1 << 12.) Each thread
 * writes its own elements, so the bits do not depend on the thread count. */
#define TG_PAR_MIN ((int64_t)1 << 15)

/* Elements: sigmoid and tanh through the vector-math kernels (tensor/vmath.c), split by
 * par_apply (autograd/ops_elementwise.c: the sigmoid and tanh ops, slice_act on one
 * contiguous run). The vector kernels take ~0.4 ns per element. It was 8 * TG_PAR_MIN;
 * splitting from 8192 elements came in one change with the packed GEMM's column split,
 * together -4% per step on large LSTM and medium GRU. Each thread runs the kernel on its
 * own contiguous range, so the bits do not depend on the split. */
#define TG_PAR_VMATH (2 * TG_PAR_MIN)

/* Floats of output: linear's first pass, y = c + b or y = c (autograd/ops_matmul.c), a
 * copy that the GEMM then adds to. It takes the second thread only when larger than a
 * cell step's (32, 512), where the fork costs what it saves (A/B neutral within noise). */
#define TG_PAR_LINEAR_FILL (4 * TG_PAR_MIN)

/* Floats of dy (R * O): linear's bias gradient, db[o] += sum_r dy[r, o], split over blocks
 * of 256 columns (autograd/ops_matmul.c). Not measured on its own: set as 8 * TG_PAR_MIN
 * when TG_PAR_MIN was 1 << 15 and followed it down to 1 << 12 (that change was measured as
 * a whole). Each block sums its rows in order, so the bits do not depend on the split. */
#define TG_PAR_BIAS_GRAD (8 * TG_PAR_MIN)

/* Multiply-adds (M * N * K): from this much work a GEMM spreads its rectangles of C over
 * the threads (tensor/gemm.c). With libgomp's default wait policy (threads spin a while
 * after a region) two threads already pay off here (64x64x32: 146 -> 178 GFLOP/s); under
 * OMP_WAIT_POLICY=passive every region pays a futex wake-up and small GEMMs are faster on
 * one thread. Raising it to 1 << 20 made the seed GRU 10% slower (even 64x50x50 products
 * gain from the second thread). K is never split, so the bits do not depend on it. */
#define TG_PAR_GEMM ((int64_t)1 << 17)

/* Floats of B (K * N): tg_gemm_pack_b packs its panels on the threads (tensor/gemm.c).
 * Set as the GEMM threshold / 8 with the packed GEMM; no measurement of it on its own is
 * recorded. Each task writes its own panels, so the packed bits are the same. */
#define TG_PAR_GEMM_PACK (TG_PAR_GEMM / 8)

/* Elements of one parameter: the optimizer updates (optim/update.c) and gradient clipping
 * (optim/clip.c). Set with the optimizers, the same 1 << 16 the tensor kernels used then;
 * it was not lowered with TG_PAR_MIN (that change measured the ops and kernels only; the
 * Adam update is about 2% of a large-GRU step). Each element is written by one thread with
 * the same arithmetic. It also picks how clipping sums a gradient's squares (optim/clip.c
 * sum_squares): one pass in order below it, 64 fixed parts added in order at or above it,
 * so changing the value changes the norm's last bits for sizes in between. */
#define TG_PAR_OPTIM ((int64_t)1 << 16)

/* ---- forking only when it pays ----------------------------------------------------------
 * TG_PAR_FOR(type, i, n, cond, body): `for (type i = 0; i < n; i++) { body }`, split over the
 * OpenMP team (schedule static) when `cond` holds, the team has more than one thread and no
 * parallel region is active; else a plain loop on the calling thread. The branch is plain
 * C on purpose: OpenMP's own `if (false)` clause still makes libgomp build a one-thread team
 * and make a futex call at its end (1.6 us per loop measured with gcc 12's libgomp, against
 * 0.09 us for the same 1024-float loop without it), and a recurrent training step runs
 * thousands of small loops. tg_par_go is the test, for loops written out by hand. */
#include <stdbool.h>

#include "tensor/tensor.h"
#ifdef _OPENMP
#include <omp.h>
static inline bool tg_par_go(bool cond)
{
    return cond && tg_num_threads() > 1 && !omp_in_parallel();
}
#define TG_PAR_FOR(type, var, count, cond, ...)                                             \
    do {                                                                                    \
        const type tg_n_ = (count);                                                         \
        if (tg_par_go(cond)) {                                                              \
            _Pragma("omp parallel for schedule(static)")                                    \
            for (type var = 0; var < tg_n_; var++) { __VA_ARGS__; }                          \
        } else {                                                                            \
            for (type var = 0; var < tg_n_; var++) { __VA_ARGS__; }                          \
        }                                                                                   \
    } while (0)
#else
static inline bool tg_par_go(bool cond)
{
    (void)cond;
    return false;
}
#define TG_PAR_FOR(type, var, count, cond, ...)                                             \
    do {                                                                                    \
        const type tg_n_ = (count);                                                         \
        (void)(cond);                                                                       \
        for (type var = 0; var < tg_n_; var++) { __VA_ARGS__; }                              \
    } while (0)
#endif

#endif /* TG_PARALLEL_H */
