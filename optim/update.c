/* optim/update.c — the update loops, one per formula, each for one parameter tensor.
 *
 * Every function here turns the options and the parameter's step count t into a few
 * scalars (in double, then float: lr, bias corrections, decay factors) and runs one
 * elementwise loop in float32, as PyTorch does for float tensors. Formulas are in
 * optim/optim.h beside each options struct; the comments here only map buffers.
 *
 * What this file deliberately is not: the optimizer object, option checks, state
 * allocation or the walk over the store (optim.c). Nothing here allocates, and no loop
 * reduces across elements, so threads cannot change the result.
 */
#include "optim/internal.h"
#include "tensor/parallel.h" /* TG_PAR_OPTIM */

#include <math.h>

void optim_sgd_update(const tg_sgd_opts *o, double lr, int64_t t, float *p, const float *g,
                      float *state, int64_t n)
{
    /* state: buf (n), present when momentum != 0 */
    const float wd = (float)o->weight_decay, mom = (float)o->momentum;
    const float keep = (float)(1.0 - o->dampening), flr = (float)lr;
    const bool has_wd = o->weight_decay != 0, has_mom = o->momentum != 0;
    const bool first = t == 1, nesterov = o->nesterov;
    float *buf = state;
    TG_PAR_FOR(int64_t, i, n, n >= TG_PAR_OPTIM,
        float d = has_wd ? g[i] + wd * p[i] : g[i];
        if (has_mom) {
            float b = first ? d : mom * buf[i] + keep * d;
            buf[i] = b;
            d = nesterov ? d + mom * b : b;
        }
        p[i] -= flr * d;
    );
}

void optim_rmsprop_update(const tg_rmsprop_opts *o, double lr, float *p, const float *g,
                          float *state, int64_t n)
{
    /* state: square_avg (n) | grad_avg (n, when centered) | momentum buf (n, when > 0) */
    const float wd = (float)o->weight_decay, alpha = (float)o->alpha;
    const float one_m_alpha = (float)(1.0 - o->alpha), eps = (float)o->eps;
    const float mom = (float)o->momentum, flr = (float)lr;
    const bool has_wd = o->weight_decay != 0, centered = o->centered;
    const bool has_mom = o->momentum > 0;
    float *sq = state;
    float *ga = centered ? state + n : NULL;
    float *buf = has_mom ? state + (centered ? 2 : 1) * n : NULL;
    TG_PAR_FOR(int64_t, i, n, n >= TG_PAR_OPTIM,
        float d = has_wd ? g[i] + wd * p[i] : g[i];
        float s = alpha * sq[i] + one_m_alpha * d * d;
        sq[i] = s;
        float avg;
        if (centered) {
            float a = alpha * ga[i] + one_m_alpha * d;
            ga[i] = a;
            avg = sqrtf(s - a * a) + eps;
        } else {
            avg = sqrtf(s) + eps;
        }
        if (has_mom) {
            float b = mom * buf[i] + d / avg;
            buf[i] = b;
            p[i] -= flr * b;
        } else {
            p[i] -= flr * d / avg;
        }
    );
}

void optim_rmsprop_keras_update(const tg_rmsprop_keras_opts *o, double lr, float *p,
                                const float *g, float *state, int64_t n)
{
    /* state: velocity (n) | average_grad (n, when centered) | momentum (n, when > 0) */
    const float rho = (float)o->rho, one_m_rho = (float)(1.0 - o->rho);
    const float eps = (float)o->eps, mom = (float)o->momentum, flr = (float)lr;
    const bool centered = o->centered, has_mom = o->momentum > 0;
    float *v = state;
    float *mg = centered ? state + n : NULL;
    float *m = has_mom ? state + (centered ? 2 : 1) * n : NULL;
    TG_PAR_FOR(int64_t, i, n, n >= TG_PAR_OPTIM,
        float gi = g[i];
        float vi = rho * v[i] + one_m_rho * gi * gi;
        v[i] = vi;
        float denom;
        if (centered) {
            float a = rho * mg[i] + one_m_rho * gi;
            mg[i] = a;
            denom = vi - a * a + eps;
        } else {
            denom = vi + eps;
        }
        float inc = flr * gi / sqrtf(denom);
        if (has_mom) {
            float mi = mom * m[i] + inc;
            m[i] = mi;
            p[i] -= mi;
        } else {
            p[i] -= inc;
        }
    );
}

void optim_adam_update(const tg_adam_opts *o, bool decoupled, double lr, int64_t t,
                       float *p, const float *g, float *state, int64_t n)
{
    /* state: exp_avg m (n) | exp_avg_sq v (n) */
    const double bc1 = 1.0 - pow(o->beta1, (double)t);
    const double bc2 = 1.0 - pow(o->beta2, (double)t);
    const float step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    const float b1 = (float)o->beta1, one_m_b1 = (float)(1.0 - o->beta1);
    const float b2 = (float)o->beta2, one_m_b2 = (float)(1.0 - o->beta2);
    const float eps = (float)o->eps, wd = (float)o->weight_decay;
    const float shrink = (float)(1.0 - lr * o->weight_decay); /* AdamW */
    const bool l2 = !decoupled && o->weight_decay != 0;
    const bool decay = decoupled && o->weight_decay != 0;
    float *m = state, *v = state + n;
    TG_PAR_FOR(int64_t, i, n, n >= TG_PAR_OPTIM,
        float pi = decay ? p[i] * shrink : p[i];
        float d = l2 ? g[i] + wd * pi : g[i];
        float mi = b1 * m[i] + one_m_b1 * d;
        float vi = b2 * v[i] + one_m_b2 * d * d;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
    );
}

void optim_adam_keras_update(const tg_adam_keras_opts *o, double lr, int64_t t, float *p,
                             const float *g, float *state, int64_t n)
{
    /* state: m (n) | v (n) */
    const double bc1 = 1.0 - pow(o->beta1, (double)t);
    const double bc2 = 1.0 - pow(o->beta2, (double)t);
    const float alpha_t = (float)(lr * sqrt(bc2) / bc1);
    const float one_m_b1 = (float)(1.0 - o->beta1), one_m_b2 = (float)(1.0 - o->beta2);
    const float eps = (float)o->eps;
    float *m = state, *v = state + n;
    TG_PAR_FOR(int64_t, i, n, n >= TG_PAR_OPTIM,
        float gi = g[i];
        float mi = m[i] + (gi - m[i]) * one_m_b1;
        float vi = v[i] + (gi * gi - v[i]) * one_m_b2;
        m[i] = mi;
        v[i] = vi;
        p[i] -= alpha_t * mi / (sqrtf(vi) + eps);
    );
}

void optim_adagrad_update(const tg_adagrad_opts *o, double lr, int64_t t, float *p,
                          const float *g, float *state, int64_t n)
{
    /* state: sum (n); it holds zeros until the first step, which starts it from
     * initial_accumulator_value */
    const float clr = (float)(lr / (1.0 + (double)(t - 1) * o->lr_decay));
    const float wd = (float)o->weight_decay, eps = (float)o->eps;
    const float init = (float)o->initial_accumulator_value;
    const bool has_wd = o->weight_decay != 0, first = t == 1;
    float *sum = state;
    TG_PAR_FOR(int64_t, i, n, n >= TG_PAR_OPTIM,
        float d = has_wd ? g[i] + wd * p[i] : g[i];
        float s = (first ? init : sum[i]) + d * d;
        sum[i] = s;
        p[i] -= clr * d / (sqrtf(s) + eps);
    );
}
