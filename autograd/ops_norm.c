/* autograd/ops_norm.c — layer normalization over the last axis as one differentiable op.
 *
 *   mean = x.mean(-1), var = ((x - mean)^2).mean(-1) (biased), rstd = 1 / sqrt(var + eps)
 *   xhat = (x - mean) rstd;  y = xhat gain + bias                 (PyTorch's layer_norm)
 *   dx = rstd (g - mean(g) - xhat mean(g xhat)),  g = dy gain      (one fused pass per row)
 *   dgain = sum over rows of dy xhat,  dbias = sum over rows of dy
 * Forward keeps mean and rstd per row on the tape (2 floats a row); backward recomputes
 * xhat from them. The row kernels are tensor/norm.c's (SIMD on every path).
 * Threads: rows in blocks for y and dx, columns in blocks for dgain and dbias, so every
 * element is summed in the same order at any thread count.
 * Not here: the layer that owns gain and bias (layers/nn.c).
 */
#include "autograd/internal.h"
#include "tensor/parallel.h" /* TG_PAR_MIN */

#include <math.h>

enum { LN_ROW_BLOCK = 16, LN_COL_BLOCK = 256 };

typedef struct ln_saved {
    float *mean, *rstd; /* (rows, 2): each row's mean as hi + lo; (rows) */
    int64_t rows;
    int n;
} ln_saved;

/* in: x, then gain and bias when given; iarg[0], iarg[1]: whether gain, bias are there. */
static void layer_norm_backward(tg_tape *t, tg_node *nd)
{
    const ln_saved *s = nd->saved;
    tg_tensor *x = nd->in[0];
    tg_tensor *gain = nd->iarg[0] ? nd->in[1] : NULL;
    tg_tensor *bias = nd->iarg[1] ? nd->in[1 + nd->iarg[0]] : NULL;
    const float *dy = nd->out->grad;
    int64_t rows = s->rows;
    int n = s->n;
    float *gx = tg_grad_of(t, x);
    if (gx) {
        int64_t nb = (rows + LN_ROW_BLOCK - 1) / LN_ROW_BLOCK;
        TG_PAR_FOR(int64_t, b, nb, x->size > TG_PAR_MIN,
            int64_t r0 = b * LN_ROW_BLOCK;
            int64_t nr = rows - r0 < LN_ROW_BLOCK ? rows - r0 : LN_ROW_BLOCK;
            tg_kernel_layer_norm_backward(x->data + r0 * n, dy + r0 * n,
                                          gain ? gain->data : NULL, s->mean + 2 * r0,
                                          s->rstd + r0, gx + r0 * n, nr, n));
    }
    float *gg = gain ? tg_grad_of(t, gain) : NULL;
    float *gb = bias ? tg_grad_of(t, bias) : NULL;
    if (gg || gb) {
        int nb = (n + LN_COL_BLOCK - 1) / LN_COL_BLOCK;
        TG_PAR_FOR(int, b, nb, x->size > TG_PAR_MIN,
            int j0 = b * LN_COL_BLOCK;
            int j1 = n - j0 < LN_COL_BLOCK ? n : j0 + LN_COL_BLOCK;
            tg_kernel_layer_norm_param_grads(x->data, dy, s->mean, s->rstd, gg, gb, rows, n,
                                             j0, j1));
    }
}
static const tg_op layer_norm_op = {"layer_norm", layer_norm_backward};

static void check_affine(const tg_tensor *p, const char *what, const tg_tensor *x, int n,
                         tg_loc loc)
{
    if (!p) return;
    tg_check_tensor(p, "tg_layer_norm", what, loc);
    if (p->ndim != 1 || p->shape[0] != n)
        tg_contract_fail(loc, "tg_layer_norm", "%s must be (%d), the last axis of x %s; got %s",
                         what, n, SHAPE(x), SHAPE(p));
}

tg_tensor *tg_layer_norm_at(tg_tape *t, tg_tensor *x, tg_tensor *gain, tg_tensor *bias,
                            float eps, tg_loc loc)
{
    tg_check_tensor(x, "tg_layer_norm", "x", loc);
    if (x->ndim < 1 || x->shape[x->ndim - 1] < 1)
        tg_contract_fail(loc, "tg_layer_norm", "x %s needs a last axis of at least 1", SHAPE(x));
    int n = x->shape[x->ndim - 1];
    check_affine(gain, "gain", x, n, loc);
    check_affine(bias, "bias", x, n, loc);
    if (!(eps > 0.0f) || !isfinite(eps))
        tg_contract_fail(loc, "tg_layer_norm", "eps must be finite and > 0 (PyTorch: 1e-5), "
                         "got %g", (double)eps);
    int64_t rows = x->size / n;
    tg_tensor *y = tg_tape_empty(t, x->ndim, x->shape);
    ln_saved *s = tg_tape_alloc(t, sizeof *s);
    s->mean = tg_tape_alloc(t, sizeof(float) * (size_t)(3 * rows)); /* hi, lo per row */
    s->rstd = s->mean + 2 * rows;
    s->rows = rows, s->n = n;
    int64_t nb = (rows + LN_ROW_BLOCK - 1) / LN_ROW_BLOCK;
    TG_PAR_FOR(int64_t, b, nb, x->size > TG_PAR_MIN,
        int64_t r0 = b * LN_ROW_BLOCK;
        int64_t nr = rows - r0 < LN_ROW_BLOCK ? rows - r0 : LN_ROW_BLOCK;
        tg_kernel_layer_norm(x->data + r0 * n, gain ? gain->data : NULL,
                             bias ? bias->data : NULL, y->data + r0 * n, s->mean + 2 * r0,
                             s->rstd + r0, nr, n, eps));
    tg_tensor *in[3] = {x, NULL, NULL};
    int n_in = 1;
    if (gain) in[n_in++] = gain;
    if (bias) in[n_in++] = bias;
    tg_node *nd = tg_record(t, &layer_norm_op, y, n_in, in);
    if (nd) {
        nd->saved = s;
        nd->iarg[0] = gain != NULL, nd->iarg[1] = bias != NULL;
    }
    return y;
}
