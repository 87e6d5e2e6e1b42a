/* optim/builtins.c — the built-in optimizers, each written as a tg_optim_type exactly as a
 * user's would be: defaults, an options check, the buffers the options use, and an
 * elementwise update.
 *
 * Every update turns the options and the parameter's step count t into a few scalars (in
 * double, then float: lr, bias corrections, decay factors) and runs one elementwise loop
 * in float32, as PyTorch does for float tensors. Formulas are in optim/optim.h beside each
 * options struct. The object (optim.c) may call an update on chunks of a parameter from
 * several threads; no loop here reduces across elements, so threads cannot change a bit.
 * What this file deliberately is not: the optimizer object, state allocation or the walk
 * over the store (optim.c). Nothing here allocates.
 */
#include "optim/internal.h"

#include <math.h>

/* ---- option checks: contract violations naming the field, its value and the defaults ---- */

static void need_nonneg(tg_loc loc, const char *fn, const char *field, double v,
                        const char *defaults)
{
    if (!(v >= 0) || isinf(v))
        tg_contract_fail(loc, fn, "%s must be a finite number >= 0 (got %g); start from %s() "
                         "and change the fields you need", field, v, defaults);
}

static void need_positive(tg_loc loc, const char *fn, const char *field, double v,
                          const char *defaults)
{
    if (!(v > 0) || isinf(v))
        tg_contract_fail(loc, fn, "%s must be a finite number > 0 (got %g); start from %s() "
                         "and change the fields you need", field, v, defaults);
}

static void need_unit(tg_loc loc, const char *fn, const char *field, double v,
                      const char *defaults)
{
    if (!(v >= 0 && v < 1))
        tg_contract_fail(loc, fn, "%s must be in [0, 1) (got %g); start from %s() and change "
                         "the fields you need", field, v, defaults);
}

/* ---- SGD: state momentum_buffer, only with momentum ---------------------------------- */

static const tg_sgd_opts sgd_defaults_v = {.lr = 1e-2, .momentum = 0, .dampening = 0,
                                           .weight_decay = 0, .nesterov = false};
tg_sgd_opts tg_sgd_defaults(void) { return sgd_defaults_v; }

static void sgd_check(const void *opts, const char *fn, tg_loc loc)
{
    const tg_sgd_opts *c = opts;
    const char *d = "tg_sgd_defaults";
    need_nonneg(loc, fn, "momentum", c->momentum, d);
    need_nonneg(loc, fn, "dampening", c->dampening, d);
    need_nonneg(loc, fn, "weight_decay", c->weight_decay, d);
    if (c->nesterov && !(c->momentum > 0 && c->dampening == 0))
        tg_contract_fail(loc, fn, "Nesterov momentum needs momentum > 0 and dampening 0 (got "
                         "momentum %g, dampening %g)", c->momentum, c->dampening);
}

static int sgd_used(const void *opts, int *used)
{
    const tg_sgd_opts *c = opts;
    if (c->momentum == 0) return 0;
    used[0] = 0;
    return 1;
}

static void sgd_update(const tg_optim_update *u)
{
    const tg_sgd_opts *o = u->opts;
    const float wd = (float)o->weight_decay, mom = (float)o->momentum;
    const float keep = (float)(1.0 - o->dampening), flr = (float)u->lr;
    const bool has_wd = o->weight_decay != 0, has_mom = o->momentum != 0;
    const bool first = u->step == 1, nesterov = o->nesterov;
    float *p = u->param, *buf = u->state[0];
    const float *g = u->grad;
    for (int64_t i = 0; i < u->n; i++) {
        float d = has_wd ? g[i] + wd * p[i] : g[i];
        if (has_mom) { /* PyTorch: the buffer starts as the first gradient */
            float b = first ? d : mom * buf[i] + keep * d;
            buf[i] = b;
            d = nesterov ? d + mom * b : b;
        }
        p[i] -= flr * d;
    }
}

const tg_optim_type tg_optim_sgd_type = {
    .name = "SGD", .opts_size = sizeof(tg_sgd_opts), .defaults = &sgd_defaults_v,
    .state_names = {"momentum_buffer"}, .update = sgd_update, .check = sgd_check,
    .states_used = sgd_used};

tg_optim *tg_optim_sgd_at(tg_params *ps, const tg_sgd_opts *o, tg_loc loc)
{
    return optim_make(ps, &tg_optim_sgd_type, o, "tg_optim_sgd", loc);
}

/* ---- RMSprop (PyTorch and Keras): square_avg | grad_avg (centered) | momentum_buffer ---- */

static const tg_rmsprop_opts rmsprop_defaults_v = {.lr = 1e-2, .alpha = 0.99, .eps = 1e-8,
                                                   .weight_decay = 0, .momentum = 0,
                                                   .centered = false};
tg_rmsprop_opts tg_rmsprop_defaults(void) { return rmsprop_defaults_v; }

static const tg_rmsprop_keras_opts rmsprop_keras_defaults_v = {.lr = 1e-3, .rho = 0.9,
                                                               .eps = 1e-7, .momentum = 0,
                                                               .centered = false};
tg_rmsprop_keras_opts tg_rmsprop_keras_defaults(void) { return rmsprop_keras_defaults_v; }

static int rms_used(bool centered, double momentum, int *used)
{
    int n = 0;
    used[n++] = 0;
    if (centered) used[n++] = 1;
    if (momentum > 0) used[n++] = 2;
    return n;
}

static void rmsprop_check(const void *opts, const char *fn, tg_loc loc)
{
    const tg_rmsprop_opts *c = opts;
    const char *d = "tg_rmsprop_defaults";
    need_positive(loc, fn, "eps", c->eps, d);
    need_unit(loc, fn, "alpha", c->alpha, d);
    need_nonneg(loc, fn, "weight_decay", c->weight_decay, d);
    need_nonneg(loc, fn, "momentum", c->momentum, d);
}

static int rmsprop_used(const void *opts, int *used)
{
    const tg_rmsprop_opts *c = opts;
    return rms_used(c->centered, c->momentum, used);
}

static void rmsprop_update(const tg_optim_update *u)
{
    const tg_rmsprop_opts *o = u->opts;
    const float wd = (float)o->weight_decay, alpha = (float)o->alpha;
    const float one_m_alpha = (float)(1.0 - o->alpha), eps = (float)o->eps;
    const float mom = (float)o->momentum, flr = (float)u->lr;
    const bool has_wd = o->weight_decay != 0, centered = o->centered;
    const bool has_mom = o->momentum > 0;
    float *p = u->param, *sq = u->state[0];
    float *ga = centered ? u->state[1] : NULL;
    float *buf = has_mom ? u->state[centered ? 2 : 1] : NULL;
    const float *g = u->grad;
    for (int64_t i = 0; i < u->n; i++) {
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
    }
}

const tg_optim_type tg_optim_rmsprop_type = {
    .name = "RMSprop", .opts_size = sizeof(tg_rmsprop_opts), .defaults = &rmsprop_defaults_v,
    .state_names = {"square_avg", "grad_avg", "momentum_buffer"}, .update = rmsprop_update,
    .check = rmsprop_check, .states_used = rmsprop_used};

tg_optim *tg_optim_rmsprop_at(tg_params *ps, const tg_rmsprop_opts *o, tg_loc loc)
{
    return optim_make(ps, &tg_optim_rmsprop_type, o, "tg_optim_rmsprop", loc);
}

static void rmsprop_keras_check(const void *opts, const char *fn, tg_loc loc)
{
    const tg_rmsprop_keras_opts *c = opts;
    const char *d = "tg_rmsprop_keras_defaults";
    need_positive(loc, fn, "eps", c->eps, d);
    need_unit(loc, fn, "rho", c->rho, d);
    need_nonneg(loc, fn, "momentum", c->momentum, d);
}

static int rmsprop_keras_used(const void *opts, int *used)
{
    const tg_rmsprop_keras_opts *c = opts;
    return rms_used(c->centered, c->momentum, used);
}

/* Keras' velocity, average_gradient and momentum are square_avg, grad_avg, momentum_buffer. */
static void rmsprop_keras_update(const tg_optim_update *u)
{
    const tg_rmsprop_keras_opts *o = u->opts;
    const float rho = (float)o->rho, one_m_rho = (float)(1.0 - o->rho);
    const float eps = (float)o->eps, mom = (float)o->momentum, flr = (float)u->lr;
    const bool centered = o->centered, has_mom = o->momentum > 0;
    float *p = u->param, *v = u->state[0];
    float *mg = centered ? u->state[1] : NULL;
    float *m = has_mom ? u->state[centered ? 2 : 1] : NULL;
    const float *g = u->grad;
    for (int64_t i = 0; i < u->n; i++) {
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
    }
}

const tg_optim_type tg_optim_rmsprop_keras_type = {
    .name = "RMSprop (Keras)", .opts_size = sizeof(tg_rmsprop_keras_opts),
    .defaults = &rmsprop_keras_defaults_v,
    .state_names = {"square_avg", "grad_avg", "momentum_buffer"},
    .update = rmsprop_keras_update, .check = rmsprop_keras_check,
    .states_used = rmsprop_keras_used};

tg_optim *tg_optim_rmsprop_keras_at(tg_params *ps, const tg_rmsprop_keras_opts *o,
                                    tg_loc loc)
{
    return optim_make(ps, &tg_optim_rmsprop_keras_type, o, "tg_optim_rmsprop_keras", loc);
}

/* ---- Adam, AdamW (PyTorch) and Adam (Keras): exp_avg | exp_avg_sq ------------------------ */

static const tg_adam_opts adam_defaults_v = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                                             .eps = 1e-8, .weight_decay = 0};
tg_adam_opts tg_adam_defaults(void) { return adam_defaults_v; }

static const tg_adam_opts adamw_defaults_v = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                                              .eps = 1e-8, .weight_decay = 1e-2};
tg_adam_opts tg_adamw_defaults(void) { return adamw_defaults_v; }

static const tg_adam_keras_opts adam_keras_defaults_v = {.lr = 1e-3, .beta1 = 0.9,
                                                         .beta2 = 0.999, .eps = 1e-7};
tg_adam_keras_opts tg_adam_keras_defaults(void) { return adam_keras_defaults_v; }

static void adam_check_with(const void *opts, const char *fn, tg_loc loc, const char *d)
{
    const tg_adam_opts *c = opts;
    need_positive(loc, fn, "eps", c->eps, d);
    need_unit(loc, fn, "beta1", c->beta1, d);
    need_unit(loc, fn, "beta2", c->beta2, d);
    need_nonneg(loc, fn, "weight_decay", c->weight_decay, d);
}
static void adam_check(const void *o, const char *fn, tg_loc loc)
{
    adam_check_with(o, fn, loc, "tg_adam_defaults");
}
static void adamw_check(const void *o, const char *fn, tg_loc loc)
{
    adam_check_with(o, fn, loc, "tg_adamw_defaults");
}

/* decoupled: AdamW (weight decay shrinks p first) rather than Adam's L2 term. */
static void adam_update_with(const tg_optim_update *u, bool decoupled)
{
    const tg_adam_opts *o = u->opts;
    const double lr = u->lr;
    const double bc1 = 1.0 - pow(o->beta1, (double)u->step);
    const double bc2 = 1.0 - pow(o->beta2, (double)u->step);
    const float step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    const float b1 = (float)o->beta1, one_m_b1 = (float)(1.0 - o->beta1);
    const float b2 = (float)o->beta2, one_m_b2 = (float)(1.0 - o->beta2);
    const float eps = (float)o->eps, wd = (float)o->weight_decay;
    const float shrink = (float)(1.0 - lr * o->weight_decay); /* AdamW */
    const bool l2 = !decoupled && o->weight_decay != 0;
    const bool decay = decoupled && o->weight_decay != 0;
    float *p = u->param, *m = u->state[0], *v = u->state[1];
    const float *g = u->grad;
    for (int64_t i = 0; i < u->n; i++) {
        float pi = decay ? p[i] * shrink : p[i];
        float d = l2 ? g[i] + wd * pi : g[i];
        float mi = b1 * m[i] + one_m_b1 * d;
        float vi = b2 * v[i] + one_m_b2 * d * d;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
    }
}
static void adam_update(const tg_optim_update *u) { adam_update_with(u, false); }
static void adamw_update(const tg_optim_update *u) { adam_update_with(u, true); }

const tg_optim_type tg_optim_adam_type = {
    .name = "Adam", .opts_size = sizeof(tg_adam_opts), .defaults = &adam_defaults_v,
    .state_names = {"exp_avg", "exp_avg_sq"}, .update = adam_update, .check = adam_check};
const tg_optim_type tg_optim_adamw_type = {
    .name = "AdamW", .opts_size = sizeof(tg_adam_opts), .defaults = &adamw_defaults_v,
    .state_names = {"exp_avg", "exp_avg_sq"}, .update = adamw_update, .check = adamw_check};

tg_optim *tg_optim_adam_at(tg_params *ps, const tg_adam_opts *o, tg_loc loc)
{
    return optim_make(ps, &tg_optim_adam_type, o, "tg_optim_adam", loc);
}

tg_optim *tg_optim_adamw_at(tg_params *ps, const tg_adam_opts *o, tg_loc loc)
{
    return optim_make(ps, &tg_optim_adamw_type, o, "tg_optim_adamw", loc);
}

static void adam_keras_check(const void *opts, const char *fn, tg_loc loc)
{
    const tg_adam_keras_opts *c = opts;
    const char *d = "tg_adam_keras_defaults";
    need_positive(loc, fn, "eps", c->eps, d);
    need_unit(loc, fn, "beta1", c->beta1, d);
    need_unit(loc, fn, "beta2", c->beta2, d);
}

/* Keras' m and v are exp_avg and exp_avg_sq. */
static void adam_keras_update(const tg_optim_update *u)
{
    const tg_adam_keras_opts *o = u->opts;
    const double bc1 = 1.0 - pow(o->beta1, (double)u->step);
    const double bc2 = 1.0 - pow(o->beta2, (double)u->step);
    const float alpha_t = (float)(u->lr * sqrt(bc2) / bc1);
    const float one_m_b1 = (float)(1.0 - o->beta1), one_m_b2 = (float)(1.0 - o->beta2);
    const float eps = (float)o->eps;
    float *p = u->param, *m = u->state[0], *v = u->state[1];
    const float *g = u->grad;
    for (int64_t i = 0; i < u->n; i++) {
        float gi = g[i];
        float mi = m[i] + (gi - m[i]) * one_m_b1;
        float vi = v[i] + (gi * gi - v[i]) * one_m_b2;
        m[i] = mi;
        v[i] = vi;
        p[i] -= alpha_t * mi / (sqrtf(vi) + eps);
    }
}

const tg_optim_type tg_optim_adam_keras_type = {
    .name = "Adam (Keras)", .opts_size = sizeof(tg_adam_keras_opts),
    .defaults = &adam_keras_defaults_v, .state_names = {"exp_avg", "exp_avg_sq"},
    .update = adam_keras_update, .check = adam_keras_check};

tg_optim *tg_optim_adam_keras_at(tg_params *ps, const tg_adam_keras_opts *o, tg_loc loc)
{
    return optim_make(ps, &tg_optim_adam_keras_type, o, "tg_optim_adam_keras", loc);
}

/* ---- Adagrad: sum, starting at initial_accumulator_value --------------------------------- */

static const tg_adagrad_opts adagrad_defaults_v = {.lr = 1e-2, .lr_decay = 0,
                                                   .weight_decay = 0,
                                                   .initial_accumulator_value = 0,
                                                   .eps = 1e-10};
tg_adagrad_opts tg_adagrad_defaults(void) { return adagrad_defaults_v; }

static void adagrad_check(const void *opts, const char *fn, tg_loc loc)
{
    const tg_adagrad_opts *c = opts;
    const char *d = "tg_adagrad_defaults";
    need_positive(loc, fn, "eps", c->eps, d);
    need_nonneg(loc, fn, "lr_decay", c->lr_decay, d);
    need_nonneg(loc, fn, "weight_decay", c->weight_decay, d);
    need_nonneg(loc, fn, "initial_accumulator_value", c->initial_accumulator_value, d);
}

static void adagrad_init(const void *opts, float *const *state, int64_t n)
{
    const tg_adagrad_opts *c = opts;
    for (int64_t i = 0; i < n; i++) state[0][i] = (float)c->initial_accumulator_value;
}

static void adagrad_update(const tg_optim_update *u)
{
    const tg_adagrad_opts *o = u->opts;
    const float clr = (float)(u->lr / (1.0 + (double)(u->step - 1) * o->lr_decay));
    const float wd = (float)o->weight_decay, eps = (float)o->eps;
    const bool has_wd = o->weight_decay != 0;
    float *p = u->param, *sum = u->state[0];
    const float *g = u->grad;
    for (int64_t i = 0; i < u->n; i++) {
        float d = has_wd ? g[i] + wd * p[i] : g[i];
        float s = sum[i] + d * d;
        sum[i] = s;
        p[i] -= clr * d / (sqrtf(s) + eps);
    }
}

const tg_optim_type tg_optim_adagrad_type = {
    .name = "Adagrad", .opts_size = sizeof(tg_adagrad_opts), .defaults = &adagrad_defaults_v,
    .state_names = {"sum"}, .update = adagrad_update, .check = adagrad_check,
    .init_state = adagrad_init};

tg_optim *tg_optim_adagrad_at(tg_params *ps, const tg_adagrad_opts *o, tg_loc loc)
{
    return optim_make(ps, &tg_optim_adagrad_type, o, "tg_optim_adagrad", loc);
}
