/* layers/losses.c — the six losses of layers.h (MSE, L1, Huber, SmoothL1, cross-entropy,
 * binary cross-entropy on logits), each composed from existing autograd ops.
 *
 * Every loss checks its arguments first (NULL, shapes, classes, delta/beta, reduction) and
 * reports a violation at the caller's file:line; then it builds the elementwise loss from
 * ops (passing the caller's loc to every inner builder) and reduces it with tg_mean or
 * tg_sum. Values and gradients match PyTorch's nn.*Loss (tests/fixtures/losses.txt).
 * What this is not: new backward code (the ops differentiate the losses), class weights,
 * label smoothing or pos_weight.
 */
#include "autograd/op.h"
#include "layers/layers.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>

/* ---- shared checks and the reduction ------------------------------------------------- */

static void check_reduction(tg_reduction r, const char *fn, tg_loc loc)
{
    if (r != TG_MEAN && r != TG_SUM)
        tg_contract_fail(loc, fn, "reduction must be TG_MEAN or TG_SUM, got %d", (int)r);
}

/* pred and target: non-NULL, exactly the same shape (no broadcasting: a (B, 1) prediction
 * against a (B) target is a bug that broadcasting would turn into a (B, B) loss). */
static void check_pair(const tg_tensor *pred, const tg_tensor *target, const char *pname,
                       tg_reduction r, const char *fn, tg_loc loc)
{
    tg_check_tensor(pred, fn, pname, loc);
    tg_check_tensor(target, fn, "target", loc);
    if (!tg_shape_equal(pred, target)) {
        char ps[64], ts[64];
        tg_contract_fail(loc, fn, "%s %s and target %s must have the same shape%s", pname,
                         tg_shape_str(pred, ps, sizeof ps), tg_shape_str(target, ts, sizeof ts),
                         pred->size == target->size
                             ? " (same number of elements: reshape one of them)"
                             : "");
    }
    check_reduction(r, fn, loc);
}

/* e (any shape) -> scalar: mean or sum over all elements. */
static tg_tensor *reduce(tg_tape *t, tg_tensor *e, tg_reduction r, tg_loc loc)
{
    return r == TG_SUM ? tg_sum_at(t, e, loc) : tg_mean_at(t, e, loc);
}

/* ---- regression losses ---------------------------------------------------------------- */

/* (pred - target)^2 */
tg_tensor *tg_mse_loss_at(tg_tape *t, tg_tensor *pred, tg_tensor *target, tg_reduction r,
                          tg_loc loc)
{
    check_pair(pred, target, "pred", r, "tg_mse_loss", loc);
    tg_tensor *d = tg_sub_at(t, pred, target, loc); /* pred's shape */
    return reduce(t, tg_square_at(t, d, loc), r, loc);
}

/* |pred - target|; the gradient at d = 0 is 0, as PyTorch's sign(0). */
tg_tensor *tg_l1_loss_at(tg_tape *t, tg_tensor *pred, tg_tensor *target, tg_reduction r,
                         tg_loc loc)
{
    check_pair(pred, target, "pred", r, "tg_l1_loss", loc);
    tg_tensor *d = tg_sub_at(t, pred, target, loc);
    return reduce(t, tg_abs_at(t, d, loc), r, loc);
}

/* The piecewise quadratic/linear loss of Huber and SmoothL1 on a = |pred - target|, with
 * the threshold k (delta or beta):
 *   s = relu(a - k)          the part of a beyond k (0 inside)
 *   q = a - s = min(a, k)    exactly a inside, since s is exactly 0 there
 *   e = quad q^2 + lin s
 * Huber: quad = 1/2, lin = delta: 0.5 a^2 inside, 0.5 k^2 + k (a - k) = k (a - 0.5 k)
 * outside. SmoothL1 is that divided by beta: quad = 0.5/beta, lin = 1.
 * d e / d a = 2 quad a inside, lin outside (and at a = k, where relu'(0) = 0, the inside
 * value 2 quad k, equal to lin: PyTorch's value). Written with q rather than
 * 0.5 (k - relu(k - a))^2 so that small residuals have no cancellation. */
static tg_tensor *piecewise(tg_tape *t, tg_tensor *pred, tg_tensor *target, float k,
                            float quad, float lin, tg_reduction r, tg_loc loc)
{
    tg_tensor *a = tg_abs_at(t, tg_sub_at(t, pred, target, loc), loc);  /* pred's shape */
    tg_tensor *s = tg_relu_at(t, tg_add_scalar_at(t, a, -k, loc), loc);
    tg_tensor *q = tg_sub_at(t, a, s, loc);
    tg_tensor *e = tg_add_at(t, tg_scale_at(t, tg_square_at(t, q, loc), quad, loc),
                             tg_scale_at(t, s, lin, loc), loc);
    return reduce(t, e, r, loc);
}

tg_tensor *tg_huber_loss_at(tg_tape *t, tg_tensor *pred, tg_tensor *target, float delta,
                            tg_reduction r, tg_loc loc)
{
    const char *fn = "tg_huber_loss";
    check_pair(pred, target, "pred", r, fn, loc);
    if (!(delta > 0.0f && isfinite(delta)))
        tg_contract_fail(loc, fn, "delta must be a finite number > 0, got %g", (double)delta);
    return piecewise(t, pred, target, delta, 0.5f, delta, r, loc);
}

tg_tensor *tg_smooth_l1_loss_at(tg_tape *t, tg_tensor *pred, tg_tensor *target, float beta,
                                tg_reduction r, tg_loc loc)
{
    const char *fn = "tg_smooth_l1_loss";
    check_pair(pred, target, "pred", r, fn, loc);
    if (!(beta >= 0.0f && isfinite(beta)))
        tg_contract_fail(loc, fn, "beta must be a finite number >= 0, got %g", (double)beta);
    if (beta == 0.0f) /* PyTorch: SmoothL1Loss(beta=0) is L1Loss */
        return reduce(t, tg_abs_at(t, tg_sub_at(t, pred, target, loc), loc), r, loc);
    return piecewise(t, pred, target, beta, 0.5f / beta, 1.0f, r, loc);
}

/* ---- classification losses ------------------------------------------------------------ */

/* logits (N, C), classes[N]:  e_n = -log_softmax(logits)[n, classes[n]].
 * The picked entries are rows n*C + classes[n] of log_softmax viewed as (N*C, 1), so the
 * gradient is softmax - onehot by log_softmax's and index_select's backwards. */
tg_tensor *tg_cross_entropy_loss_at(tg_tape *t, tg_tensor *logits, const int32_t *classes,
                                    tg_reduction r, tg_loc loc)
{
    const char *fn = "tg_cross_entropy_loss";
    tg_check_tensor(logits, fn, "logits", loc);
    char ls_text[64];
    tg_shape_str(logits, ls_text, sizeof ls_text);
    if (logits->ndim != 2 || logits->shape[0] < 1 || logits->shape[1] < 1)
        tg_contract_fail(loc, fn, "logits must be (N, C) with N, C >= 1, got %s", ls_text);
    if (logits->size > INT32_MAX)
        tg_contract_fail(loc, fn, "logits %s have more than 2^31 - 1 elements", ls_text);
    if (!classes)
        tg_contract_fail(loc, fn, "classes is NULL (needs N = %d class indices for logits "
                         "%s)", logits->shape[0], ls_text);
    const int N = logits->shape[0], C = logits->shape[1];
    int kept = 0;
    for (int n = 0; n < N; n++) {
        if (classes[n] == TG_IGNORE_INDEX) continue;
        kept++;
        if (classes[n] < 0 || classes[n] >= C)
            tg_contract_fail(loc, fn, "class %d of row %d is outside 0..%d for logits %s "
                             "(classes (%d); TG_IGNORE_INDEX = %d skips a row)",
                             (int)classes[n], n, C - 1, ls_text, N, TG_IGNORE_INDEX);
    }
    check_reduction(r, fn, loc);
    if (kept == 0) /* every row ignored: nothing to learn from (PyTorch: NaN for the mean) */
        return tg_tape_tensor(t, 0, NULL, NULL);

    tg_tensor *lsm = tg_log_softmax_at(t, logits, loc);                  /* (N, C) */
    tg_tensor *flat = tg_reshape_at(t, lsm, TG_SHAPE(N * C, 1), loc);    /* (N*C, 1) */
    int32_t *rows = tg_tape_alloc(t, (size_t)kept * sizeof(int32_t));    /* kept */
    for (int n = 0, k = 0; n < N; n++)
        if (classes[n] != TG_IGNORE_INDEX) rows[k++] = n * C + classes[n];
    tg_tensor *picked = tg_index_select_at(t, flat, rows, kept, loc);    /* (kept, 1) */
    return tg_scale_at(t, reduce(t, picked, r, loc), -1.0f, loc);        /* scalar */
}

/* ---- masked regression: only where mask is nonzero ------------------------------------- */

tg_tensor *tg_mse_loss_masked_at(tg_tape *t, tg_tensor *pred, tg_tensor *target,
                                 tg_tensor *mask, tg_reduction r, tg_loc loc)
{
    const char *fn = "tg_mse_loss_masked";
    check_pair(pred, target, "pred", r, fn, loc);
    tg_check_tensor(mask, fn, "mask", loc);
    /* where checks mask's shape: pred's, or pred's with the last axis 1 */
    tg_tensor *d = tg_where_at(t, mask, tg_sub_at(t, pred, target, loc), NULL, loc);
    tg_tensor *sum = tg_sum_at(t, tg_square_at(t, d, loc), loc);
    if (r == TG_SUM) return sum;
    int64_t per = mask->size == pred->size ? 1 : pred->shape[pred->ndim - 1], count = 0;
    for (int64_t i = 0; i < mask->size; i++) count += mask->data[i] != 0.0f;
    if (count == 0) return sum; /* nothing selected: 0 (PyTorch's mean would be NaN) */
    return tg_scale_at(t, sum, (float)(1.0 / (double)(count * per)), loc);
}

tg_tensor *tg_length_mask_at(tg_tape *t, const int32_t *lengths, int B, int T, tg_loc loc)
{
    if (!t || B < 1 || T < 1)
        tg_contract_fail(loc, "tg_length_mask", "needs a tape and B, T >= 1 (got B %d, T %d)",
                         B, T);
    for (int b = 0; lengths && b < B; b++)
        if (lengths[b] < 1 || lengths[b] > T)
            tg_contract_fail(loc, "tg_length_mask", "lengths[%d] = %d is outside 1..%d", b,
                             (int)lengths[b], T);
    tg_tensor *m = tg_tape_tensor(t, 3, (int[]){B, T, 1}, NULL);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < T && k < (lengths ? lengths[b] : T); k++)
            m->data[(int64_t)b * T + k] = 1.0f;
    return m;
}

/* x logits, y targets (same shape):  e = max(x, 0) - x y + log(1 + exp(-|x|)),
 * which never exponentiates a positive number. max(x, 0) is written (x + |x|) / 2 (exact
 * in float) rather than relu(x): at x = 0, relu'(0) = 0 and |x|'(0) = 0 would give the
 * gradient -y, while (x + |x|) / 2 keeps x's own 1/2 and gives sigmoid(0) - y. Elsewhere
 * the gradient is sigmoid(x) - y. */
tg_tensor *tg_bce_with_logits_loss_at(tg_tape *t, tg_tensor *logits, tg_tensor *target,
                                      tg_reduction r, tg_loc loc)
{
    check_pair(logits, target, "logits", r, "tg_bce_with_logits_loss", loc);
    tg_tensor *a = tg_abs_at(t, logits, loc);                                  /* |x| */
    tg_tensor *pos = tg_scale_at(t, tg_add_at(t, logits, a, loc), 0.5f, loc); /* max(x, 0) */
    tg_tensor *soft = tg_log_at(t, tg_add_scalar_at(t, tg_exp_at(t, tg_neg_at(t, a, loc), loc),
                                                    1.0f, loc), loc); /* log(1 + e^-|x|) */
    tg_tensor *e = tg_add_at(t, tg_sub_at(t, pos, tg_mul_at(t, logits, target, loc), loc), soft,
                             loc);
    return reduce(t, e, r, loc);
}
