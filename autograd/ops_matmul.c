/* autograd/ops_matmul.c — matrix products as differentiable ops: matmul (2-D, batched 3-D,
 * with transposed operands) and linear (x W^T + b).
 *
 * For C = op(A) op(B) with dC given:  d op(A) = dC op(B)^T,  d op(B) = op(A)^T dC.
 * When an operand is stored transposed, its gradient is the transpose of that, which is
 * again one GEMM with the transpose flags swapped, so no transposed copy is ever made.
 * Every backward GEMM accumulates (beta = 1). Inputs that do not require grad skip their
 * GEMM entirely (frozen weights cost nothing in backward).
 * Not here: the GEMM kernels themselves (tensor/gemm.c).
 */
#include "autograd/internal.h"
#include "tensor/parallel.h" /* TG_PAR_LINEAR_FILL, TG_PAR_BIAS_GRAD */

#include <string.h>

/* One product C (M, N) = op(A) op(B); A is (M, K) or stored (K, M) when ta, B is (K, N) or
 * stored (N, K) when tb. */
typedef struct mm_dims {
    int M, N, K;
    bool ta, tb;
} mm_dims;

static int lda_of(mm_dims d) { return d.ta ? d.M : d.K; }
static int ldb_of(mm_dims d) { return d.tb ? d.K : d.N; }

static void mm_forward(mm_dims d, const float *A, const float *B, float *C)
{
    tg_gemm(d.ta, d.tb, d.M, d.N, d.K, 1.0f, A, lda_of(d), B, ldb_of(d), 0.0f, C, d.N);
}

/* dA += dC op(B)^T (or its transpose when A is stored transposed). */
static void mm_grad_a(mm_dims d, const float *dC, const float *B, float *dA)
{
    if (!d.ta) /* dA (M, K) = dC (M, N) . op(B)^T (N, K) */
        tg_gemm(false, !d.tb, d.M, d.K, d.N, 1.0f, dC, d.N, B, ldb_of(d), 1.0f, dA, d.K);
    else /* dA (K, M) = op(B) (K, N) . dC^T (N, M) */
        tg_gemm(d.tb, true, d.K, d.M, d.N, 1.0f, B, ldb_of(d), dC, d.N, 1.0f, dA, d.M);
}

/* dB += op(A)^T dC (or its transpose when B is stored transposed). */
static void mm_grad_b(mm_dims d, const float *A, const float *dC, float *dB)
{
    if (!d.tb) /* dB (K, N) = op(A)^T (K, M) . dC (M, N) */
        tg_gemm(!d.ta, false, d.K, d.N, d.M, 1.0f, A, lda_of(d), dC, d.N, 1.0f, dB, d.N);
    else /* dB (N, K) = dC^T (N, M) . op(A) (M, K) */
        tg_gemm(true, d.ta, d.N, d.K, d.M, 1.0f, dC, d.N, A, lda_of(d), 1.0f, dB, d.K);
}

/* ---- matmul ------------------------------------------------------------------------------
 * Cases, by rank of (a, b):
 *   (2, 2): one product.
 *   (3, 3): batch of products, a[i] with b[i].
 *   (3, 2): b shared by every batch entry; without ta the batch folds into rows:
 *           (B*M, K) @ (K, N) as one GEMM.
 * iarg: [0] batch count, [1] shared b, [2] ta, [3] tb; farg unused. */

static mm_dims mm_from_node(const tg_node *n)
{
    const tg_tensor *y = n->out;
    int M = y->shape[y->ndim - 2], N = y->shape[y->ndim - 1];
    const tg_tensor *a = n->in[0];
    bool ta = n->iarg[2];
    int K = ta ? a->shape[a->ndim - 2] : a->shape[a->ndim - 1];
    return (mm_dims){M, N, K, ta, n->iarg[3]};
}

static void matmul_backward(tg_tape *t, tg_node *n)
{
    tg_tensor *a = n->in[0], *b = n->in[1];
    const float *dC = n->out->grad;
    int batch = n->iarg[0];
    bool shared_b = n->iarg[1];
    mm_dims d = mm_from_node(n);
    float *ga = tg_grad_of(t, a), *gb = tg_grad_of(t, b);
    int64_t sa = (int64_t)d.M * d.K, sb = shared_b ? 0 : (int64_t)d.K * d.N,
            sc = (int64_t)d.M * d.N;
    if (shared_b && !d.ta) {
        /* Batch folded into rows: one GEMM each way. */
        mm_dims f = d;
        f.M = batch * d.M;
        if (ga) mm_grad_a(f, dC, b->data, ga);
        if (gb) mm_grad_b(f, a->data, dC, gb);
        return;
    }
    for (int i = 0; i < batch; i++) {
        if (ga) mm_grad_a(d, dC + i * sc, b->data + i * sb, ga + i * sa);
        if (gb) mm_grad_b(d, a->data + i * sa, dC + i * sc, gb + i * sb);
    }
}
static const tg_op matmul_op = {"matmul", matmul_backward};

tg_tensor *tg_matmul_t_at(tg_tape *t, tg_tensor *a, tg_tensor *b, bool ta, bool tb,
                          tg_loc loc)
{
    const char *op = "tg_matmul";
    tg_check_tensor(a, op, "a", loc);
    tg_check_tensor(b, op, "b", loc);
    bool ok_rank = (a->ndim == 2 && b->ndim == 2) || (a->ndim == 3 && b->ndim == 3) ||
                   (a->ndim == 3 && b->ndim == 2);
    if (!ok_rank)
        tg_contract_fail(loc, op,
                         "ranks of %s and %s are not supported: use (M, K) @ (K, N), "
                         "(B, M, K) @ (B, K, N) or (B, M, K) @ (K, N)",
                         SHAPE(a), SHAPE(b));
    int batch = a->ndim == 3 ? a->shape[0] : 1;
    bool shared_b = a->ndim == 3 && b->ndim == 2;
    if (a->ndim == 3 && b->ndim == 3 && a->shape[0] != b->shape[0])
        tg_contract_fail(loc, op, "batch sizes differ: %s and %s", SHAPE(a), SHAPE(b));
    int ar = a->shape[a->ndim - 2], ac = a->shape[a->ndim - 1];
    int br = b->shape[b->ndim - 2], bc = b->shape[b->ndim - 1];
    int M = ta ? ac : ar, K = ta ? ar : ac;
    int Kb = tb ? bc : br, N = tb ? br : bc;
    if (K != Kb)
        tg_contract_fail(loc, op,
                         "inner sizes differ: %s%s @ %s%s gives K = %d against %d",
                         SHAPE(a), ta ? "^T" : "", SHAPE(b), tb ? "^T" : "", K, Kb);

    int shape[3] = {batch, M, N};
    tg_tensor *y = a->ndim == 3 ? tg_tape_empty(t, 3, shape) : tg_tape_empty(t, 2, shape + 1);
    mm_dims d = {M, N, K, ta, tb};
    if (shared_b && !ta) {
        d.M = batch * M;
        mm_forward(d, a->data, b->data, y->data);
    } else {
        int64_t sa = (int64_t)M * K, sb = shared_b ? 0 : (int64_t)K * N, sc = (int64_t)M * N;
        for (int i = 0; i < batch; i++)
            mm_forward(d, a->data + i * sa, b->data + i * sb, y->data + i * sc);
    }
    tg_node *n = tg_record(t, &matmul_op, y, 2, (tg_tensor *[]){a, b});
    if (n) {
        n->iarg[0] = batch;
        n->iarg[1] = shared_b;
        n->iarg[2] = ta;
        n->iarg[3] = tb;
    }
    return y;
}

/* ---- linear ------------------------------------------------------------------------------
 * y (R, O) = x (R, I) W^T + b, with R the product of x's leading axes.
 *   dx += dy W        (R, O) . (O, I)
 *   dW += dy^T x      (O, R) . (R, I)
 *   db += sum_r dy[r]
 * linear_add adds c:  y = c + x W^T + b,  dc += dy. */

/* Product of all axes but the last: the number of rows x contributes. */
static int leading_rows(const tg_tensor *x)
{
    int r = 1;
    for (int i = 0; i + 1 < x->ndim; i++) r *= x->shape[i];
    return r;
}

/* The weight (K, N) as op(B), packed once per scope (internal.h), when this product is one
 * of many small ones: a step of a recurrence, R rows at a time. Large R (an input
 * projection over all steps) amortizes its own packing, and a narrow N is a GEMV that
 * tg_gemm handles better unpacked. ldb = the weight's row length. */
static const tg_gemm_packed_b *packed_weight(tg_tape *t, bool trans, int K, int N,
                                             const float *w, int R)
{
    if (R > 512 || N < 16 || K < 16) return NULL;
    return tg_tape_packed_b(t, trans, K, N, w, trans ? K : N);
}

static void linear_backward(tg_tape *t, tg_node *n)
{
    tg_tensor *x = n->in[0], *w = n->in[1], *bias = n->in[2];
    const float *dy = n->out->grad;
    int O = w->shape[0], I = w->shape[1];
    int R = leading_rows(x);
    float *gx = tg_grad_of(t, x), *gw = tg_grad_of(t, w), *gb = tg_grad_of(t, bias);
    float *gc = n->n_in == 4 ? tg_grad_of(t, n->in[3]) : NULL; /* linear_add: dc += dy */
    if (gc) tg__grad_add(gc, dy, n->out->size);
    const tg_gemm_packed_b *wp = gx ? packed_weight(t, false, O, I, w->data, R) : NULL;
    if (wp)
        tg_gemm_packed(false, R, I, O, 1.0f, dy, O, wp, 1.0f, gx, I);
    else if (gx)
        tg_gemm(false, false, R, I, O, 1.0f, dy, O, w->data, I, 1.0f, gx, I);
    if (gw) tg_gemm(true, false, O, I, R, 1.0f, dy, O, x->data, I, 1.0f, gw, I);
    if (gb) {
        /* db[o] += sum_r dy[r, o], adding rows in order (cache-friendly: contiguous rows).
         * Threads own column blocks, so every db[o] sums its rows in the same order at any
         * thread count. */
        enum { COLS = 256 };
        int blocks = (O + COLS - 1) / COLS;
        TG_PAR_FOR(int, blk, blocks, (int64_t)R * O > TG_PAR_BIAS_GRAD && blocks > 1,
            int o0 = blk * COLS, o1 = o0 + COLS < O ? o0 + COLS : O;
            for (int r = 0; r < R; r++) {
                const float *row = dy + (int64_t)r * O;
                for (int o = o0; o < o1; o++) gb[o] += row[o];
            }
        );
    }
}
static const tg_op linear_op = {"linear", linear_backward};

static const tg_op linear_add_op = {"linear_add", linear_backward};

/* y = c + x W^T + bias (c NULL: plain linear). */
static tg_tensor *linear(tg_tape *t, tg_tensor *x, tg_tensor *w, tg_tensor *bias, tg_tensor *c,
                         tg_loc loc)
{
    const char *op = c ? "tg_linear_add" : "tg_linear";
    tg_check_tensor(x, op, "x", loc);
    tg_check_tensor(w, op, "weight", loc);
    if (w->ndim != 2)
        tg_contract_fail(loc, op, "weight must be (out, in), got %s", SHAPE(w));
    int O = w->shape[0], I = w->shape[1];
    if (x->ndim < 1 || x->shape[x->ndim - 1] != I)
        tg_contract_fail(loc, op, "x %s does not end in in_features = %d of weight %s",
                         SHAPE(x), I, SHAPE(w));
    if (bias && !(bias->ndim == 1 && bias->shape[0] == O))
        tg_contract_fail(loc, op, "bias %s must be (%d) for weight %s", SHAPE(bias), O,
                         SHAPE(w));
    int shape[TG_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = O;
    tg_tensor *y = tg_tape_empty(t, x->ndim, shape);
    if (c) {
        tg_check_tensor(c, op, "c", loc);
        if (!tg_shape_equal(c, y))
            tg_contract_fail(loc, op, "c %s must have the output's shape %s", SHAPE(c),
                             SHAPE(y));
    }
    int R = leading_rows(x);
    /* With c, y starts as c (+ b) in one pass, then the GEMM adds x W^T. The pass is a
     * copy: it takes the second thread only when it is larger than a cell step's (32,
     * 512), where the fork costs what it saves. */
    const float *cv = c ? c->data : NULL, *b = bias ? bias->data : NULL;
    float *yv = y->data;
    if (cv && b) {
        TG_PAR_FOR(int, r, R, y->size > TG_PAR_LINEAR_FILL,
            for (int o = 0; o < O; o++) yv[(int64_t)r * O + o] = cv[(int64_t)r * O + o] + b[o]);
    } else if (cv) {
        memcpy(yv, cv, sizeof(float) * (size_t)y->size);
    }
    /* A bias alone goes in with the GEMM's stores (tg_gemm_bias: no fill pass, and y is
     * not read); the same bits as filling y with it first. */
    const float *bias_only = b && !cv ? b : NULL;
    float beta = cv ? 1.0f : 0.0f; /* a bias alone takes the tg_gemm_bias calls below */
    const tg_gemm_packed_b *wp = packed_weight(t, true, I, O, w->data, R);
    if (wp && bias_only)
        tg_gemm_packed_bias(false, R, O, I, 1.0f, x->data, I, wp, bias_only, yv, O);
    else if (wp)
        tg_gemm_packed(false, R, O, I, 1.0f, x->data, I, wp, beta, yv, O);
    else if (bias_only)
        tg_gemm_bias(false, true, R, O, I, 1.0f, x->data, I, w->data, I, bias_only, yv, O);
    else
        tg_gemm(false, true, R, O, I, 1.0f, x->data, I, w->data, I, beta, yv, O);
    if (c)
        tg_record(t, &linear_add_op, y, 4, (tg_tensor *[]){x, w, bias, c});
    else
        tg_record(t, &linear_op, y, 3, (tg_tensor *[]){x, w, bias});
    return y;
}

tg_tensor *tg_linear_at(tg_tape *t, tg_tensor *x, tg_tensor *w, tg_tensor *bias, tg_loc loc)
{
    return linear(t, x, w, bias, NULL, loc);
}

tg_tensor *tg_linear_add_at(tg_tape *t, tg_tensor *x, tg_tensor *w, tg_tensor *bias,
                            tg_tensor *c, tg_loc loc)
{
    if (!c) tg_contract_fail(loc, "tg_linear_add", "c is NULL (use tg_linear)");
    return linear(t, x, w, bias, c, loc);
}
