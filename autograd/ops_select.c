/* autograd/ops_select.c — where: an elementwise choice between two tensors by a condition.
 *
 *   y = cond ? a : b          (b NULL: 0)
 *   da += cond ? dy : 0,  db += cond ? 0 : dy      (cond gets no gradient)
 * A choice, not an arithmetic blend: a NaN or inf in the side not taken never reaches y or
 * the gradient (a * m + b * (1 - m) would let it through). The runner uses it to hold the
 * state of a sequence past its length; losses use it to skip padded positions.
 * cond has a's shape, or a's shape with the last axis 1 (one flag per row, e.g. (B, 1) for
 * (B, H)); nonzero is true. b has a's shape. PyTorch: torch.where(cond, a, b).
 * Not here: the arithmetic elementwise ops (ops_elementwise.c).
 */
#include "autograd/internal.h"
#include "tensor/parallel.h" /* TG_PAR_MIN */

static bool same_shape(const tg_tensor *x, const tg_tensor *y)
{
    if (x->ndim != y->ndim) return false;
    for (int d = 0; d < x->ndim; d++)
        if (x->shape[d] != y->shape[d]) return false;
    return true;
}

/* iarg[0]: elements per flag of cond (1, or a's last axis); iarg[1]: b is present. */
static void where_backward(tg_tape *t, tg_node *nd)
{
    const tg_tensor *c = nd->in[0];
    float *ga = tg_grad_of(t, nd->in[1]);
    float *gb = nd->iarg[1] ? tg_grad_of(t, nd->in[2]) : NULL;
    const float *gy = nd->out->grad, *cv = c->data;
    int64_t n = nd->out->size, per = nd->iarg[0], rows = n / per;
    TG_PAR_FOR(int64_t, r, rows, n > TG_PAR_MIN, /* a row of per elements shares a flag */
        for (int64_t i = r * per; i < (r + 1) * per; i++) {
            bool take_a = cv[per == 1 ? i : r] != 0.0f;
            if (take_a && ga) ga[i] += gy[i];
            if (!take_a && gb) gb[i] += gy[i];
        });
}
static const tg_op where_op = {"where", where_backward};

tg_tensor *tg_where_at(tg_tape *t, tg_tensor *cond, tg_tensor *a, tg_tensor *b, tg_loc loc)
{
    tg_check_tensor(cond, "tg_where", "cond", loc);
    tg_check_tensor(a, "tg_where", "a", loc);
    if (b) tg_check_tensor(b, "tg_where", "b", loc);
    if (b && !same_shape(a, b))
        tg_contract_fail(loc, "tg_where", "a %s and b %s must have the same shape", SHAPE(a),
                         SHAPE(b));
    int last = a->ndim ? a->shape[a->ndim - 1] : 1;
    bool per_row = cond->ndim == a->ndim && a->ndim > 0 && cond->shape[a->ndim - 1] == 1;
    for (int d = 0; per_row && d + 1 < a->ndim; d++) per_row = cond->shape[d] == a->shape[d];
    if (!same_shape(cond, a) && !per_row)
        tg_contract_fail(loc, "tg_where", "cond %s must have a's shape %s, or it with the last "
                         "axis 1", SHAPE(cond), SHAPE(a));
    int64_t per = same_shape(cond, a) ? 1 : last, n = a->size;
    tg_tensor *y = tg_tape_empty(t, a->ndim, a->shape);
    const float *cv = cond->data, *av = a->data, *bv = b ? b->data : NULL;
    float *yv = y->data;
    int64_t rows = n / per;
    TG_PAR_FOR(int64_t, r, rows, n > TG_PAR_MIN,
        for (int64_t i = r * per; i < (r + 1) * per; i++)
            yv[i] = cv[per == 1 ? i : r] != 0.0f ? av[i] : bv ? bv[i] : 0.0f);
    tg_node *nd = tg_record(t, &where_op, y, b ? 3 : 2, (tg_tensor *[]){cond, a, b});
    if (nd) nd->iarg[0] = (int)per, nd->iarg[1] = b != NULL;
    return y;
}
