/* autograd/ops_reduce.c — reductions (sum, mean, max over everything or one axis) and
 * softmax / log-softmax over the last axis.
 *
 * A tensor reduced over `axis` is viewed as (outer, n, inner): the result has (outer, inner)
 * elements and the gradient of element (o, k, i) comes from result (o, i).
 * Not here: elementwise ops, losses (layers/ builds them from these).
 */
#include "autograd/internal.h"
#include "tensor/parallel.h" /* TG_PAR_MIN */

#include <math.h>
#include <string.h>

/* ---- sum / mean of everything -> scalar (rank 0) --------------------------------------
 * y = s * sum_i x_i with s = 1 (sum) or 1/n (mean);  dx_i = s * dy */

static void sum_all_backward(tg_tape *t, tg_node *nd)
{
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    float g = nd->out->grad[0] * nd->farg[0];
    int64_t n = nd->in[0]->size;
    TG_PAR_FOR(int64_t, i, n, n > TG_PAR_MIN, gx[i] += g);
}
static const tg_op sum_op = {"sum", sum_all_backward};
static const tg_op mean_op = {"mean", sum_all_backward};

static tg_tensor *sum_all(tg_tape *t, tg_tensor *x, bool mean, tg_loc loc)
{
    const tg_op *op = mean ? &mean_op : &sum_op;
    tg_check_tensor(x, op->name, "x", loc);
    if (mean && x->size == 0)
        tg_contract_fail(loc, op->name, "mean of an empty tensor %s", SHAPE(x));
    float s = mean ? 1.0f / (float)x->size : 1.0f;
    tg_tensor *y = tg_tape_empty(t, 0, NULL);
    /* Accumulated in double, then scaled: the mean of many floats stays accurate. */
    double total = (double)tg_kernel_sum_all(x->data, x->size);
    y->data[0] = (float)(mean ? total / (double)x->size : total);
    tg_node *n = tg_record(t, op, y, 1, (tg_tensor *[]){x});
    if (n) n->farg[0] = s;
    return y;
}

tg_tensor *tg_sum_at(tg_tape *t, tg_tensor *x, tg_loc loc) { return sum_all(t, x, false, loc); }
tg_tensor *tg_mean_at(tg_tape *t, tg_tensor *x, tg_loc loc) { return sum_all(t, x, true, loc); }

/* ---- sum / mean over one axis --------------------------------------------------------
 * y[o, i] = s * sum_k x[o, k, i];  dx[o, k, i] = s * dy[o, i].
 * iarg: [0] outer, [1] n, [2] inner; farg[0] = s. */

static void sum_axis_backward(tg_tape *t, tg_node *nd)
{
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    int outer = nd->iarg[0], n = nd->iarg[1], inner = nd->iarg[2];
    float s = nd->farg[0];
    const float *gy = nd->out->grad;
    for (int o = 0; o < outer; o++)
        for (int k = 0; k < n; k++) {
            float *g = gx + ((int64_t)o * n + k) * inner;
            const float *d = gy + (int64_t)o * inner;
            for (int i = 0; i < inner; i++) g[i] += s * d[i];
        }
}
static const tg_op sum_axis_op = {"sum_axis", sum_axis_backward};
static const tg_op mean_axis_op = {"mean_axis", sum_axis_backward};

static tg_tensor *sum_axis(tg_tape *t, tg_tensor *x, int axis, bool keepdim, bool mean,
                           tg_loc loc)
{
    const tg_op *op = mean ? &mean_axis_op : &sum_axis_op;
    tg_check_tensor(x, op->name, "x", loc);
    int a = tg_check_axis(x, axis, op->name, loc);
    int outer, n, inner, shape[TG_MAX_DIMS];
    tg_axis_split(x->ndim, x->shape, a, &outer, &n, &inner);
    if (mean && n == 0)
        tg_contract_fail(loc, op->name, "mean over empty axis %d of %s", axis, SHAPE(x));
    int nd = tg__drop_axis(x, a, keepdim, shape);
    tg_tensor *y = tg_tape_empty(t, nd, shape);
    tg_kernel_sum_axis(x->data, outer, n, inner, y->data);
    float s = mean ? 1.0f / (float)n : 1.0f;
    if (mean)
        for (int64_t i = 0; i < y->size; i++) y->data[i] *= s;
    tg_node *r = tg_record(t, op, y, 1, (tg_tensor *[]){x});
    if (r) {
        r->iarg[0] = outer;
        r->iarg[1] = n;
        r->iarg[2] = inner;
        r->farg[0] = s;
    }
    return y;
}

tg_tensor *tg_sum_axis_at(tg_tape *t, tg_tensor *x, int axis, bool keepdim, tg_loc loc)
{
    return sum_axis(t, x, axis, keepdim, false, loc);
}
tg_tensor *tg_mean_axis_at(tg_tape *t, tg_tensor *x, int axis, bool keepdim, tg_loc loc)
{
    return sum_axis(t, x, axis, keepdim, true, loc);
}

/* ---- max ------------------------------------------------------------------------------
 * y[o, i] = max_k x[o, k, i];  dx[o, argmax, i] += dy[o, i] (first maximum wins).
 * The argmax indices are saved on the tape (node->saved, int32, outer*inner). Max of
 * everything is the axis case with outer = inner = 1 over the flattened tensor. */

static void max_backward(tg_tape *t, tg_node *nd)
{
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    int outer = nd->iarg[0], n = nd->iarg[1], inner = nd->iarg[2];
    const int32_t *arg = nd->saved;
    const float *gy = nd->out->grad;
    for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++) {
            int64_t j = (int64_t)o * inner + i;
            gx[((int64_t)o * n + arg[j]) * inner + i] += gy[j];
        }
}
static const tg_op max_op = {"max", max_backward};

static tg_tensor *max_reduce(tg_tape *t, tg_tensor *x, int outer, int n, int inner, int nd,
                             const int *shape, tg_loc loc)
{
    if (n == 0) tg_contract_fail(loc, "tg_max", "max over an empty axis of %s", SHAPE(x));
    tg_tensor *y = tg_tape_empty(t, nd, shape);
    int32_t *arg = tg_tape_alloc(t, (size_t)y->size * sizeof(int32_t));
    tg_kernel_max_axis(x->data, outer, n, inner, y->data, arg);
    tg_node *r = tg_record(t, &max_op, y, 1, (tg_tensor *[]){x});
    if (r) {
        r->iarg[0] = outer;
        r->iarg[1] = n;
        r->iarg[2] = inner;
        r->saved = arg;
    }
    return y;
}

tg_tensor *tg_max_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    tg_check_tensor(x, "tg_max", "x", loc);
    if (x->size > INT32_MAX)
        tg_contract_fail(loc, "tg_max", "tensor %s is too large", SHAPE(x));
    return max_reduce(t, x, 1, (int)x->size, 1, 0, NULL, loc);
}

tg_tensor *tg_max_axis_at(tg_tape *t, tg_tensor *x, int axis, bool keepdim, tg_loc loc)
{
    tg_check_tensor(x, "tg_max_axis", "x", loc);
    int a = tg_check_axis(x, axis, "tg_max_axis", loc);
    int outer, n, inner, shape[TG_MAX_DIMS];
    tg_axis_split(x->ndim, x->shape, a, &outer, &n, &inner);
    int nd = tg__drop_axis(x, a, keepdim, shape);
    return max_reduce(t, x, outer, n, inner, nd, shape, loc);
}

/* ---- softmax and log-softmax over the last axis --------------------------------------
 * Rows of length n:  m = max_j x_j,  e_j = exp(x_j - m),  Z = sum_j e_j.
 *   softmax:      y_j = e_j / Z;           dx_j = y_j (dy_j - sum_k dy_k y_k)
 *   log_softmax:  y_j = x_j - m - log Z;   dx_j = dy_j - exp(y_j) sum_k dy_k */

static void softmax_rows(const float *x, float *y, int64_t rows, int n, bool log_form)
{
    TG_PAR_FOR(int64_t, r, rows, rows * n > TG_PAR_MIN,
        const float *xr = x + r * n;
        float *yr = y + r * n;
        float m = -INFINITY;
        for (int j = 0; j < n; j++) m = xr[j] > m ? xr[j] : m;
        double z = 0.0;
        for (int j = 0; j < n; j++) z += exp((double)(xr[j] - m));
        if (log_form) {
            float lz = (float)log(z);
            for (int j = 0; j < n; j++) yr[j] = xr[j] - m - lz;
        } else {
            for (int j = 0; j < n; j++) yr[j] = (float)(exp((double)(xr[j] - m)) / z);
        }
    );
}

static void softmax_backward(tg_tape *t, tg_node *nd)
{
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    const tg_tensor *y = nd->out;
    int n = y->shape[y->ndim - 1];
    int64_t rows = n ? y->size / n : 0;
    bool log_form = nd->iarg[0];
    TG_PAR_FOR(int64_t, r, rows, y->size > TG_PAR_MIN,
        const float *yr = y->data + r * n, *gy = y->grad + r * n;
        float *g = gx + r * n;
        double dot = 0.0;
        for (int j = 0; j < n; j++) dot += log_form ? gy[j] : (double)gy[j] * yr[j];
        if (log_form)
            for (int j = 0; j < n; j++) g[j] += gy[j] - expf(yr[j]) * (float)dot;
        else
            for (int j = 0; j < n; j++) g[j] += yr[j] * (gy[j] - (float)dot);
    );
}
static const tg_op softmax_op = {"softmax", softmax_backward};
static const tg_op log_softmax_op = {"log_softmax", softmax_backward};

static tg_tensor *softmax(tg_tape *t, tg_tensor *x, bool log_form, tg_loc loc)
{
    const tg_op *op = log_form ? &log_softmax_op : &softmax_op;
    tg_check_tensor(x, op->name, "x", loc);
    if (x->ndim < 1)
        tg_contract_fail(loc, op->name, "needs at least one axis, got a scalar");
    int n = x->shape[x->ndim - 1];
    tg_tensor *y = tg_tape_empty(t, x->ndim, x->shape);
    softmax_rows(x->data, y->data, n ? x->size / n : 0, n, log_form);
    tg_node *r = tg_record(t, op, y, 1, (tg_tensor *[]){x});
    if (r) r->iarg[0] = log_form;
    return y;
}

tg_tensor *tg_softmax_at(tg_tape *t, tg_tensor *x, tg_loc loc) { return softmax(t, x, false, loc); }
tg_tensor *tg_log_softmax_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return softmax(t, x, true, loc);
}
