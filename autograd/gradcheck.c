/* autograd/gradcheck.c — backward against central finite differences.
 *
 * The checked scalar is L = sum_j w_j f(inputs)_j with fixed random weights w in [-1, 1]:
 * every output element contributes, and a wrong sign or a swapped index cannot cancel.
 * Analytic: one forward with grad on, then backward from f's output seeded with w.
 * Numeric: for each input element x_i, (L(x_i + eps) - L(x_i - eps)) / (2 eps), with L
 * accumulated in double from f's float outputs and grad mode off.
 * Not a performance tool: it runs 2 forwards per input element.
 */
#include "autograd/op.h"

#include <math.h>
#include <string.h>

tg_gradcheck_opts tg_gradcheck_defaults(void)
{
    return (tg_gradcheck_opts){.eps = 1e-2, .tol = 1e-2, .seed = 1234};
}

static double weighted_loss(const tg_tensor *y, const float *w)
{
    double s = 0.0;
    for (int64_t j = 0; j < y->size; j++) s += (double)w[j] * (double)y->data[j];
    return s;
}

tg_gradcheck_result tg_gradcheck_at(tg_gradcheck_fn f, void *ctx, int n, tg_tensor **inputs,
                                    const tg_gradcheck_opts *opts, tg_loc loc)
{
    tg_gradcheck_opts o = opts ? *opts : tg_gradcheck_defaults();
    tg_gradcheck_result res = {.ok = true, .n_inputs = n};
    if (n < 1 || n > TG_GRADCHECK_MAX_INPUTS || !inputs || !f)
        tg_contract_fail(loc, "tg_gradcheck", "needs f and 1..%d inputs, got %d",
                         TG_GRADCHECK_MAX_INPUTS, n);
    int saved_flags[TG_GRADCHECK_MAX_INPUTS];
    for (int k = 0; k < n; k++) {
        tg_check_tensor(inputs[k], "tg_gradcheck", "an input", loc);
        if (inputs[k]->flags & TG_ON_TAPE)
            tg_contract_fail(loc, "tg_gradcheck", "input %d is a tape tensor; pass heap "
                             "tensors", k);
        saved_flags[k] = inputs[k]->flags;
        tg_requires_grad(inputs[k]);
        memset(inputs[k]->grad, 0, (size_t)inputs[k]->size * sizeof(float));
    }

    tg_tape *tp = tg_tape_new();
    /* Analytic gradients. */
    tg_tensor *y = f(tp, inputs, ctx);
    tg_check_tensor(y, "tg_gradcheck", "f's output", loc);
    int64_t ny = y->size;
    float *w = tg_malloc((size_t)(ny ? ny : 1) * sizeof(float));
    tg_rng rng;
    tg_rng_seed(&rng, o.seed, 7);
    for (int64_t j = 0; j < ny; j++) w[j] = 2.0f * tg_rng_uniform(&rng) - 1.0f;
    tg_backward_from(tp, y, w);

    /* Numeric gradients, input by input, with grad mode off. */
    tg_tape_set_grad(tp, false);
    res.worst = 0.0;
    for (int k = 0; k < n; k++) {
        tg_tensor *x = inputs[k];
        double max_a = 0.0, max_n = 0.0, max_diff = 0.0;
        int64_t at = 0;
        for (int64_t i = 0; i < x->size; i++) {
            float keep = x->data[i];
            x->data[i] = keep + (float)o.eps;
            double actual_plus = (double)x->data[i] - keep; /* the step float allows */
            tg_tape_reset(tp);
            double lp = weighted_loss(f(tp, inputs, ctx), w);
            x->data[i] = keep - (float)o.eps;
            double actual_minus = (double)keep - x->data[i];
            tg_tape_reset(tp);
            double lm = weighted_loss(f(tp, inputs, ctx), w);
            x->data[i] = keep;
            double num = (lp - lm) / (actual_plus + actual_minus);
            double ana = x->grad[i];
            if (fabs(ana) > max_a) max_a = fabs(ana);
            if (fabs(num) > max_n) max_n = fabs(num);
            double diff = fabs(ana - num);
            if (diff > max_diff || isnan(diff)) {
                max_diff = isnan(diff) ? INFINITY : diff;
                at = i;
            }
        }
        double scale = fmax(fmax(max_a, max_n), 1e-3);
        res.err[k] = max_diff / scale;
        if (res.err[k] > res.worst || k == 0) {
            res.worst = res.err[k];
            res.worst_input = k;
            res.worst_index = at;
        }
    }
    res.ok = res.worst < o.tol;

    tg_free(w);
    tg_tape_free(tp);
    for (int k = 0; k < n; k++) inputs[k]->flags = saved_flags[k];
    return res;
}
