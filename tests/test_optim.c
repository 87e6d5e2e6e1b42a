/* tests/test_optim.c — optim/: every optimizer variant against PyTorch over 4 steps
 * (tests/fixtures/optim.txt, written by tools/make_fixtures_optim.py), clipping and
 * learning-rate schedules against PyTorch, each optimizer decreasing a quadratic, no heap
 * allocation after the first step, the same bits at 1 and N threads, parameters added
 * late and frozen ones, and the contract messages for bad options.
 *
 * Run with --verbose to see the parity table (max relative error per variant).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "fixture.h"
#include "contract.h"
#include "tapegrad.h"

/* ---- contract violations are caught by a handler that longjmps back ------------------ */

#define EXPECT_CONTRACT(stmt, part) \
    do {                            \
        EXPECT_RAISES(stmt);        \
        EXPECT_MSG_HAS(part);       \
    } while (0)
/* ---- fixture helpers ---------------------------------------------------------------- */

enum { STEPS = 4 };
static const char *const PARAM_NAMES[] = {"a", "b"};

static fixture *load(void)
{
    fixture *f = fx_load("optim.txt");
    cr_assert_not_null(f, "tests/fixtures/optim.txt is missing: run "
                          "/usr/bin/python3 tools/make_fixtures_optim.py");
    return f;
}

/* The fixture tensor whose name is printf(fmt, ...); fails the test when absent. */
static const fx_tensor *need(const fixture *f, const char *fmt, ...)
{
    char name[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const fx_tensor *t = fx_get(f, name);
    cr_assert_not_null(t, "fixture tensor %s is missing", name);
    return t;
}

/* A parameter named `name` holding the fixture's init.<name>. */
static tg_tensor *add_param(tg_params *ps, const fixture *f, const char *name)
{
    const fx_tensor *t = need(f, "init.%s", name);
    tg_tensor *w = tg_params_add(ps, name, t->ndim, t->shape);
    fx_copy_into(t, w);
    return w;
}

static void set_grad(tg_tensor *w, const fx_tensor *t)
{
    cr_assert_eq(w->size, t->size, "%s", t->name);
    for (int64_t i = 0; i < t->size; i++) w->grad[i] = (float)t->data[i];
}

/* The error of the update so far, p - p0, relative to the largest update in the fixture:
 * a check that the update itself is right, not hidden under the parameter's magnitude. */
static double update_err(const float *got, const fx_tensor *init, const fx_tensor *want)
{
    double max_upd = 0, max_diff = 0;
    for (int64_t i = 0; i < want->size; i++) {
        double upd = want->data[i] - init->data[i];
        double got_upd = (double)got[i] - (double)(float)init->data[i];
        max_upd = fmax(max_upd, fabs(upd));
        double d = fabs(got_upd - upd);
        max_diff = isnan(d) ? INFINITY : fmax(max_diff, d);
    }
    return max_diff / fmax(max_upd, 1e-12);
}

/* ---- the variants, mirroring VARIANTS in tools/make_fixtures_optim.py ----------------- */

static tg_optim *make_variant(const char *name, tg_params *ps)
{
    tg_sgd_opts s = tg_sgd_defaults();
    tg_rmsprop_opts r = tg_rmsprop_defaults();
    tg_rmsprop_keras_opts k = tg_rmsprop_keras_defaults();
    tg_adam_opts a = tg_adam_defaults();
    tg_adam_keras_opts ak = tg_adam_keras_defaults();
    tg_adagrad_opts g = tg_adagrad_defaults();
#define IS(n) (strcmp(name, n) == 0)
    if (IS("sgd_default")) return tg_optim_sgd(ps, NULL);
    if (IS("sgd")) return s.lr = 0.1, tg_optim_sgd(ps, &s);
    if (IS("sgd_momentum")) return s.lr = 0.1, s.momentum = 0.9, tg_optim_sgd(ps, &s);
    if (IS("sgd_dampening_wd")) {
        s.lr = 0.1, s.momentum = 0.8, s.dampening = 0.5, s.weight_decay = 0.1;
        return tg_optim_sgd(ps, &s);
    }
    if (IS("sgd_nesterov_wd")) {
        s.lr = 0.1, s.momentum = 0.9, s.nesterov = true, s.weight_decay = 0.1;
        return tg_optim_sgd(ps, &s);
    }
    if (IS("rmsprop_default")) return tg_optim_rmsprop(ps, NULL);
    if (IS("rmsprop_eps_wd")) {
        r.lr = 0.05, r.alpha = 0.9, r.eps = 0.1, r.weight_decay = 0.1;
        return tg_optim_rmsprop(ps, &r);
    }
    if (IS("rmsprop_momentum")) {
        r.lr = 0.05, r.alpha = 0.9, r.eps = 1e-2, r.momentum = 0.9;
        return tg_optim_rmsprop(ps, &r);
    }
    if (IS("rmsprop_centered")) {
        r.lr = 0.05, r.alpha = 0.9, r.eps = 1e-2, r.centered = true;
        return tg_optim_rmsprop(ps, &r);
    }
    if (IS("rmsprop_centered_momentum")) {
        r.lr = 0.05, r.alpha = 0.9, r.eps = 1e-2, r.centered = true, r.momentum = 0.5;
        r.weight_decay = 0.1;
        return tg_optim_rmsprop(ps, &r);
    }
    if (IS("rmsprop_keras_default")) return tg_optim_rmsprop_keras(ps, NULL);
    if (IS("rmsprop_keras_eps"))
        return k.lr = 0.05, k.rho = 0.8, k.eps = 0.1, tg_optim_rmsprop_keras(ps, &k);
    if (IS("rmsprop_keras_momentum")) {
        k.lr = 0.05, k.rho = 0.8, k.eps = 1e-2, k.momentum = 0.9;
        return tg_optim_rmsprop_keras(ps, &k);
    }
    if (IS("rmsprop_keras_centered")) {
        k.lr = 0.05, k.rho = 0.8, k.eps = 1e-2, k.centered = true;
        return tg_optim_rmsprop_keras(ps, &k);
    }
    if (IS("rmsprop_keras_centered_momentum")) {
        k.lr = 0.05, k.rho = 0.8, k.eps = 1e-2, k.centered = true, k.momentum = 0.5;
        return tg_optim_rmsprop_keras(ps, &k);
    }
    if (IS("adam_default")) return tg_optim_adam(ps, NULL);
    if (IS("adam_eps_wd")) {
        a.lr = 0.05, a.beta1 = 0.8, a.beta2 = 0.99, a.eps = 0.1, a.weight_decay = 0.1;
        return tg_optim_adam(ps, &a);
    }
    if (IS("adamw_default")) return tg_optim_adamw(ps, NULL);
    if (IS("adamw")) {
        a.lr = 0.05, a.beta1 = 0.8, a.beta2 = 0.99, a.eps = 1e-2, a.weight_decay = 0.5;
        return tg_optim_adamw(ps, &a);
    }
    if (IS("adam_keras_default")) return tg_optim_adam_keras(ps, NULL);
    if (IS("adam_keras_eps")) {
        ak.lr = 0.05, ak.beta1 = 0.8, ak.beta2 = 0.99, ak.eps = 0.1;
        return tg_optim_adam_keras(ps, &ak);
    }
    if (IS("adagrad_default")) return tg_optim_adagrad(ps, NULL);
    if (IS("adagrad_decay")) {
        g.lr = 0.1, g.lr_decay = 0.5, g.weight_decay = 0.1, g.initial_accumulator_value = 0.1;
        g.eps = 1e-2;
        return tg_optim_adagrad(ps, &g);
    }
#undef IS
    cr_assert_fail("no variant named %s", name);
    return NULL;
}

static const char *const VARIANTS[] = {
    "sgd_default",      "sgd",
    "sgd_momentum",     "sgd_dampening_wd",
    "sgd_nesterov_wd",  "rmsprop_default",
    "rmsprop_eps_wd",   "rmsprop_momentum",
    "rmsprop_centered", "rmsprop_centered_momentum",
    "rmsprop_keras_default", "rmsprop_keras_eps",
    "rmsprop_keras_momentum", "rmsprop_keras_centered",
    "rmsprop_keras_centered_momentum", "adam_default",
    "adam_eps_wd",      "adamw_default",
    "adamw",            "adam_keras_default",
    "adam_keras_eps",   "adagrad_default",
    "adagrad_decay",
};
enum { N_VARIANTS = sizeof VARIANTS / sizeof VARIANTS[0] };

/* ---- parity with PyTorch, step by step ------------------------------------------------ */

/* After step 3: the same buffers as torch.optim's state (PyTorch names, same count), equal
 * values, and the step count where PyTorch keeps one. */
static void check_state(const fixture *f, const char *variant, tg_optim *o)
{
    const char *names[TG_OPTIM_MAX_STATE];
    int nbuf = tg_optim_state_names(o, names);
    for (int k = 0; k < 2; k++) {
        const char *pn = PARAM_NAMES[k];
        cr_expect_eq(nbuf, (int)need(f, "%s.state3.%s.nbuf", variant, pn)->data[0],
                     "%s: buffer count", variant);
        for (int b = 0; b < nbuf; b++) {
            char key[160];
            snprintf(key, sizeof key, "%s.state3.%s.%s", variant, pn, names[b]);
            const fx_tensor *want = fx_get(f, key);
            cr_expect_not_null(want, "%s: PyTorch has no buffer %s", variant, names[b]);
            const float *got = tg_optim_state(o, pn, names[b]);
            cr_assert_not_null(got);
            if (want) {
                double e = fx_rel_err(got, want);
                cr_expect_lt(e, 1e-5, "%s %s %s: relative error %.3g", variant, pn, names[b], e);
            }
        }
        char key[160];
        snprintf(key, sizeof key, "%s.state3.%s.step", variant, pn);
        const fx_tensor *step = fx_get(f, key);
        if (step) cr_expect_eq(tg_optim_param_step(o, pn), (int64_t)step->data[0]);
    }
}

static void check_parity(const char *variant)
{
    fixture *f = load();
    tg_params *ps = tg_params_new();
    tg_tensor *w[2] = {add_param(ps, f, "a"), add_param(ps, f, "b")};
    tg_optim *o = make_variant(variant, ps);
    double worst = 0, worst_upd = 0;
    for (int s = 1; s <= STEPS; s++) {
        for (int k = 0; k < 2; k++) set_grad(w[k], need(f, "grad.s%d.%s", s, PARAM_NAMES[k]));
        tg_optim_step(o);
        for (int k = 0; k < 2; k++) {
            const fx_tensor *want = need(f, "%s.s%d.%s", variant, s, PARAM_NAMES[k]);
            const fx_tensor *init = need(f, "init.%s", PARAM_NAMES[k]);
            double e = fx_rel_err(w[k]->data, want);
            double u = update_err(w[k]->data, init, want);
            cr_expect_lt(e, 1e-5, "%s step %d, %s: relative error %.3g", variant, s,
                         PARAM_NAMES[k], e);
            cr_expect_lt(u, 1e-3, "%s step %d, %s: error of the update %.3g", variant, s,
                         PARAM_NAMES[k], u);
            worst = fmax(worst, e);
            worst_upd = fmax(worst_upd, u);
        }
        if (s == 3) check_state(f, variant, o);
    }
    cr_expect_eq(tg_optim_steps(o), STEPS);
    cr_log_info("parity %-32s max rel err %.2e   (of the update %.2e)", variant, worst,
                worst_upd);
    tg_optim_free(o);
    tg_params_free(ps);
    fx_free(f);
}

#define PARITY(v) \
    Test(parity, v) { check_parity(#v); }
PARITY(sgd_default)
PARITY(sgd)
PARITY(sgd_momentum)
PARITY(sgd_dampening_wd)
PARITY(sgd_nesterov_wd)
PARITY(rmsprop_default)
PARITY(rmsprop_eps_wd)
PARITY(rmsprop_momentum)
PARITY(rmsprop_centered)
PARITY(rmsprop_centered_momentum)
PARITY(rmsprop_keras_default)
PARITY(rmsprop_keras_eps)
PARITY(rmsprop_keras_momentum)
PARITY(rmsprop_keras_centered)
PARITY(rmsprop_keras_centered_momentum)
PARITY(adam_default)
PARITY(adam_eps_wd)
PARITY(adamw_default)
PARITY(adamw)
PARITY(adam_keras_default)
PARITY(adam_keras_eps)
PARITY(adagrad_default)
PARITY(adagrad_decay)

Test(parity, eps_placement_matters_in_the_fixtures)
{
    /* The eps variants would pass with either placement if eps were negligible: the
     * PyTorch and Keras results of the same hyperparameters must differ clearly. */
    fixture *f = load();
    const fx_tensor *pt = need(f, "adam_eps_wd.s%d.a", STEPS);
    const fx_tensor *ke = need(f, "adam_keras_eps.s%d.a", STEPS);
    float *ke_f = malloc((size_t)ke->size * sizeof(float));
    for (int64_t i = 0; i < ke->size; i++) ke_f[i] = (float)ke->data[i];
    cr_expect_gt(fx_rel_err(ke_f, pt), 1e-3);
    free(ke_f);
    fx_free(f);
}

Test(parity, parameter_added_after_two_steps_starts_its_own_count)
{
    /* torch: Adam.add_param_group after two steps; c's bias correction uses t = 1, 2. */
    fixture *f = load();
    tg_params *ps = tg_params_new();
    tg_tensor *w[3] = {add_param(ps, f, "a"), add_param(ps, f, "b"), NULL};
    tg_adam_opts ao = tg_adam_defaults();
    ao.lr = 0.1, ao.beta1 = 0.8, ao.beta2 = 0.99, ao.eps = 1e-3;
    tg_optim *o = tg_optim_adam(ps, &ao);
    const char *names[] = {"a", "b", "c"};
    double worst = 0;
    for (int s = 1; s <= STEPS; s++) {
        if (s == 3) w[2] = add_param(ps, f, "c");
        int np = s >= 3 ? 3 : 2;
        for (int k = 0; k < np; k++) set_grad(w[k], need(f, "grad.s%d.%s", s, names[k]));
        tg_optim_step(o);
        for (int k = 0; k < np; k++) {
            double e = fx_rel_err(w[k]->data, need(f, "adam_late.s%d.%s", s, names[k]));
            cr_expect_lt(e, 1e-5, "step %d, %s: relative error %.3g", s, names[k], e);
            worst = fmax(worst, e);
        }
    }
    cr_log_info("parity %-32s max rel err %.2e", "adam_late (param added)", worst);
    tg_optim_free(o);
    tg_params_free(ps);
    fx_free(f);
}

/* ---- clipping ------------------------------------------------------------------------- */

static tg_params *clip_store(const fixture *f, tg_tensor **w)
{
    tg_params *ps = tg_params_new();
    for (int k = 0; k < 2; k++) {
        const fx_tensor *g = need(f, "clip.grad.%s", PARAM_NAMES[k]);
        w[k] = tg_params_add(ps, PARAM_NAMES[k], g->ndim, g->shape);
        set_grad(w[k], g);
    }
    return ps;
}

Test(clip, grad_norm_matches_torch_when_clipping_and_when_not)
{
    fixture *f = load();
    const char *tags[] = {"norm", "norm_big"};
    const double max_norms[] = {1.0, 100.0};
    for (int c = 0; c < 2; c++) {
        tg_tensor *w[2];
        tg_params *ps = clip_store(f, w);
        double total = -1;
        cr_expect_eq(tg_clip_grad_norm(ps, max_norms[c], &total), TG_OK);
        double want = need(f, "clip.%s.total", tags[c])->data[0];
        cr_expect_leq(fabs(total - want), 1e-6 * want, "%s: total %.9g, torch %.9g", tags[c],
                      total, want);
        for (int k = 0; k < 2; k++) {
            double e = fx_rel_err(w[k]->grad, need(f, "clip.%s.%s", tags[c], PARAM_NAMES[k]));
            cr_expect_lt(e, 1e-6, "%s, %s: relative error %.3g", tags[c], PARAM_NAMES[k], e);
        }
        tg_params_free(ps);
    }
    fx_free(f);
}

Test(clip, grad_value_matches_torch)
{
    fixture *f = load();
    tg_tensor *w[2];
    tg_params *ps = clip_store(f, w);
    tg_clip_grad_value(ps, 0.5);
    for (int k = 0; k < 2; k++) { /* float rounding of the unclipped values only */
        double e = fx_rel_err(w[k]->grad, need(f, "clip.value.%s", PARAM_NAMES[k]));
        cr_expect_lt(e, 1e-7, "%s: relative error %.3g", PARAM_NAMES[k], e);
    }
    tg_params_free(ps);
    fx_free(f);
}

Test(clip, non_finite_norm_is_a_status_and_leaves_grads_alone)
{
    tg_params *ps = tg_params_new();
    tg_tensor *a = tg_params_add(ps, "fc.weight", TG_SHAPE(3));
    tg_tensor *b = tg_params_add(ps, "fc.bias", TG_SHAPE(2));
    a->grad[0] = 3, a->grad[1] = 4;
    b->grad[1] = NAN;
    double total = 0;
    cr_expect_eq(tg_clip_grad_norm(ps, 1.0, &total), TG_ERR_NUMERIC);
    cr_expect(isnan(total));
    cr_expect(strstr(tg_last_error(), "fc.bias"), "message: %s", tg_last_error());
    cr_expect_eq(a->grad[0], 3);
    cr_expect_eq(a->grad[1], 4);
    /* by value: NaN stays NaN, the rest is clamped */
    tg_clip_grad_value(ps, 3.5);
    cr_expect_eq(a->grad[0], 3);
    cr_expect_eq(a->grad[1], 3.5f);
    cr_expect(isnan(b->grad[1]));
    tg_params_free(ps);
}

/* ---- schedules ------------------------------------------------------------------------ */

static void expect_lrs(const fx_tensor *want, const double *got, int n)
{
    cr_assert_eq(want->size, n, "%s", want->name);
    for (int e = 0; e < n; e++)
        cr_expect_leq(fabs(got[e] - want->data[e]), 1e-12 * fabs(want->data[e]),
                      "%s epoch %d: %.17g, torch %.17g", want->name, e, got[e],
                      want->data[e]);
}

Test(schedule, step_exponential_cosine_match_torch)
{
    fixture *f = load();
    double lr[31];
    for (int e = 0; e < 16; e++) lr[e] = tg_lr_step(0.1, e, 3, 0.5);
    expect_lrs(need(f, "sched.step"), lr, 16);
    for (int e = 0; e < 16; e++) lr[e] = tg_lr_exponential(0.1, e, 0.9);
    expect_lrs(need(f, "sched.exponential"), lr, 16);
    for (int e = 0; e < 31; e++) lr[e] = tg_lr_cosine(0.1, e, 10, 1e-3);
    expect_lrs(need(f, "sched.cosine"), lr, 31);
    fx_free(f);
}

Test(schedule, reduce_on_plateau_matches_torch)
{
    fixture *f = load();
    tg_plateau_opts custom = tg_plateau_defaults();
    custom.patience = 2, custom.cooldown = 1, custom.factor = 0.5, custom.min_lr = 0.02;
    custom.threshold = 1e-2;
    tg_plateau_opts max_abs = tg_plateau_defaults();
    max_abs.maximize = true, max_abs.threshold_abs = true, max_abs.threshold = 0.05;
    max_abs.patience = 1, max_abs.cooldown = 2, max_abs.factor = 0.3;
    const char *tags[] = {"default", "custom", "max_abs"};
    const tg_plateau_opts *opts[] = {NULL, &custom, &max_abs};
    for (int c = 0; c < 3; c++) {
        const fx_tensor *metric = need(f, "plateau.%s.metric", tags[c]);
        tg_plateau pl = tg_plateau_new(0.1, opts[c]);
        double lr[64];
        cr_assert_leq(metric->size, 64);
        for (int e = 0; e < metric->size; e++) lr[e] = tg_plateau_step(&pl, metric->data[e]);
        expect_lrs(need(f, "plateau.%s.lr", tags[c]), lr, (int)metric->size);
        cr_expect_eq(pl.epoch, metric->size);
    }
    fx_free(f);
}

Test(schedule, sets_the_optimizer_lr)
{
    tg_params *ps = tg_params_new();
    tg_optim *o = tg_optim_sgd(ps, NULL);
    cr_expect_eq(tg_optim_get_lr(o), 1e-2);
    tg_optim_set_lr(o, tg_lr_cosine(0.1, 5, 10, 0.0));
    cr_expect_float_eq(tg_optim_get_lr(o), 0.05, 1e-15);
    tg_optim_free(o);
    tg_params_free(ps);
}

/* ---- defaults, as PyTorch 1.13 and Keras 3 document them ------------------------------- */

Test(defaults, match_the_reference_libraries)
{
    tg_sgd_opts s = tg_sgd_defaults();
    cr_expect(s.lr == 1e-2 && s.momentum == 0 && s.dampening == 0 && s.weight_decay == 0 &&
              !s.nesterov);
    tg_rmsprop_opts r = tg_rmsprop_defaults();
    cr_expect(r.lr == 1e-2 && r.alpha == 0.99 && r.eps == 1e-8 && r.momentum == 0 &&
              r.weight_decay == 0 && !r.centered);
    tg_rmsprop_keras_opts k = tg_rmsprop_keras_defaults();
    cr_expect(k.lr == 1e-3 && k.rho == 0.9 && k.eps == 1e-7 && k.momentum == 0 && !k.centered);
    tg_adam_opts a = tg_adam_defaults();
    cr_expect(a.lr == 1e-3 && a.beta1 == 0.9 && a.beta2 == 0.999 && a.eps == 1e-8 &&
              a.weight_decay == 0);
    cr_expect_eq(tg_adamw_defaults().weight_decay, 1e-2);
    tg_adam_keras_opts ak = tg_adam_keras_defaults();
    cr_expect(ak.lr == 1e-3 && ak.beta1 == 0.9 && ak.beta2 == 0.999 && ak.eps == 1e-7);
    tg_adagrad_opts g = tg_adagrad_defaults();
    cr_expect(g.lr == 1e-2 && g.lr_decay == 0 && g.eps == 1e-10 &&
              g.initial_accumulator_value == 0 && g.weight_decay == 0);
    tg_plateau_opts p = tg_plateau_defaults();
    cr_expect(!p.maximize && p.factor == 0.1 && p.patience == 10 && p.threshold == 1e-4 &&
              !p.threshold_abs && p.cooldown == 0 && p.min_lr == 0 && p.eps == 1e-8);
}

Test(defaults, names)
{
    tg_params *ps = tg_params_new();
    tg_optim *o = tg_optim_rmsprop_keras(ps, NULL);
    cr_expect_str_eq(tg_optim_name(o), "RMSprop (Keras)");
    tg_optim_free(o);
    o = tg_optim_adamw(ps, NULL);
    cr_expect_str_eq(tg_optim_name(o), "AdamW");
    cr_expect_eq(tg_optim_get_lr(o), 1e-3);
    tg_optim_free(o);
    tg_params_free(ps);
}

/* ---- each optimizer decreases a quadratic ----------------------------------------------
 * f(p) = sum((p - c)^2) over 16 values, p from 0, c in [-1, 1), gradients by the tape.
 * After 200 steps the loss must be below 1% of its start. The lr is set per optimizer
 * (the Keras defaults of 1e-3 would need thousands of steps to travel 1). */

static float quadratic_run(tg_optim *o, tg_params *ps, int steps)
{
    tg_tensor *p = tg_params_get(ps, "p");
    tg_tensor *c = tg_tensor_new(TG_SHAPE(16));
    tg_rng r;
    tg_rng_seed(&r, 11, 0);
    tg_fill_uniform(c, &r, -1, 1);
    tg_tape *tp = tg_tape_new();
    float loss = 0;
    for (int s = 0; s < steps; s++) {
        tg_tape_reset(tp);
        tg_optim_zero_grad(o);
        tg_tensor *l = tg_sum(tp, tg_square(tp, tg_sub(tp, p, c)));
        tg_backward(tp, l);
        tg_optim_step(o);
        loss = l->data[0];
    }
    tg_tape_free(tp);
    tg_tensor_free(c);
    (void)ps;
    return loss;
}

Test(quadratic, every_optimizer_decreases_it)
{
    struct {
        const char *variant;
        double lr;
    } runs[] = {
        {"sgd_default", 0.05},        {"sgd_nesterov_wd", 0.05},
        {"rmsprop_default", 0.01},    {"rmsprop_centered_momentum", 0.01},
        {"rmsprop_keras_default", 0.02}, {"rmsprop_keras_centered_momentum", 0.01},
        {"adam_default", 0.05},       {"adamw_default", 0.05},
        {"adam_keras_default", 0.05}, {"adagrad_default", 0.5},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        tg_params *ps = tg_params_new();
        tg_params_add(ps, "p", TG_SHAPE(16));
        tg_optim *o = make_variant(runs[i].variant, ps);
        tg_optim_set_lr(o, runs[i].lr);
        float first = quadratic_run(o, ps, 1);
        float last = quadratic_run(o, ps, 199);
        cr_expect_lt(last, 0.01f * first, "%s (%s): loss %.4g -> %.4g", runs[i].variant,
                     tg_optim_name(o), (double)first, (double)last);
        cr_log_info("quadratic %-32s loss %.4g -> %.3g", runs[i].variant, (double)first,
                    (double)last);
        tg_optim_free(o);
        tg_params_free(ps);
    }
}

/* The header's first-page example, verbatim: it compiles and w reaches 3. */
Test(quadratic, header_example_converges)
{
    tg_params *ps = tg_params_new();
    tg_tensor *w = tg_params_add(ps, "w", TG_SHAPE(4));          // zeros
    tg_adam_opts ao = tg_adam_defaults();   // lr 1e-3, betas (0.9, 0.999), eps 1e-8
    ao.lr = 0.1;
    tg_optim *opt = tg_optim_adam(ps, &ao);
    tg_tape *tp = tg_tape_new();
    for (int epoch = 0; epoch < 200; epoch++) {
        tg_optim_set_lr(opt, tg_lr_cosine(0.1, epoch, 200, 0.0));  // a schedule, if any
        tg_tape_reset(tp);
        tg_optim_zero_grad(opt);                                   // grads accumulate
        tg_tensor *loss = tg_sum(tp, tg_square(tp, tg_add_scalar(tp, w, -3.0f)));
        tg_backward(tp, loss);                                     // fills w->grad
        if (tg_clip_grad_norm(ps, 10.0, NULL) != TG_OK) break;   // NaN/Inf gradients
        tg_optim_step(opt);                                        // w moves toward 3
    }
    for (int i = 0; i < 4; i++) cr_expect_float_eq(w->data[i], 3.0f, 0.02f);
    tg_optim_free(opt);                    // the store and its tensors stay the caller's
    tg_tape_free(tp);
    tg_params_free(ps);
}

/* ---- memory, threads, frozen parameters --------------------------------------------- */

Test(memory, no_heap_allocation_after_the_first_step)
{
    for (int v = 0; v < N_VARIANTS; v++) {
        tg_params *ps = tg_params_new();
        tg_tensor *a = tg_params_add(ps, "a", TG_SHAPE(3, 4));
        tg_params_add(ps, "b", TG_SHAPE(5));
        tg_tensor_fill(a, 0.5f);
        tg_optim *o = make_variant(VARIANTS[v], ps);
        for (int64_t i = 0; i < a->size; i++) a->grad[i] = 0.1f * (float)(i - 5);
        tg_optim_step(o);
        uint64_t before = tg_heap_alloc_count();
        for (int s = 0; s < 3; s++) {
            double norm;
            tg_clip_grad_norm(ps, 0.5, &norm);
            tg_clip_grad_value(ps, 0.2);
            tg_optim_set_lr(o, tg_lr_exponential(0.01, s, 0.9));
            tg_optim_step(o);
            tg_optim_zero_grad(o);
        }
        cr_expect_eq(tg_heap_alloc_count(), before, "%s: %llu allocations after step 1",
                     VARIANTS[v], (unsigned long long)(tg_heap_alloc_count() - before));
        tg_optim_free(o);
        tg_params_free(ps);
    }
}

/* Three Adam steps and a norm clip on a tensor above the threading threshold. */
static void threaded_run(int threads, float *out, int64_t n, double *norm)
{
    tg_set_num_threads(threads);
    tg_params *ps = tg_params_new();
    tg_tensor *w = tg_params_add(ps, "w", TG_SHAPE((int)n));
    tg_rng r;
    tg_rng_seed(&r, 5, 1);
    tg_fill_uniform(w, &r, -1, 1);
    tg_optim *o = tg_optim_adam(ps, NULL);
    for (int s = 0; s < 3; s++) {
        for (int64_t i = 0; i < n; i++) w->grad[i] = tg_rng_normal(&r);
        tg_clip_grad_norm(ps, 100.0, norm);
        tg_optim_step(o);
    }
    memcpy(out, w->data, (size_t)n * sizeof(float));
    tg_optim_free(o);
    tg_params_free(ps);
}

Test(threads, same_bits_at_one_and_four_threads)
{
    const int64_t n = (int64_t)1 << 18;
    float *one = malloc((size_t)n * sizeof(float)), *four = malloc((size_t)n * sizeof(float));
    double norm1, norm4;
    int saved = tg_num_threads();
    threaded_run(1, one, n, &norm1);
    threaded_run(4, four, n, &norm4);
    tg_set_num_threads(saved);
    cr_expect_eq(memcmp(one, four, (size_t)n * sizeof(float)), 0);
    cr_expect_eq(memcmp(&norm1, &norm4, sizeof norm1), 0, "norms %.17g vs %.17g", norm1,
                 norm4);
    free(one);
    free(four);
}

Test(frozen, parameter_without_requires_grad_is_skipped)
{
    tg_params *ps = tg_params_new();
    tg_tensor *a = tg_params_add(ps, "a", TG_SHAPE(2));
    tg_tensor *b = tg_params_add(ps, "b", TG_SHAPE(2));
    b->flags &= ~TG_REQUIRES_GRAD;
    tg_optim *o = tg_optim_sgd(ps, NULL);
    a->grad[0] = b->grad[0] = 100;
    tg_clip_grad_value(ps, 1.0);
    cr_expect_eq(b->grad[0], 100, "clipping skips a frozen parameter");
    tg_optim_step(o);
    cr_expect_float_eq(a->data[0], -0.01f, 1e-7);
    cr_expect_eq(b->data[0], 0, "the step skips a frozen parameter");
    tg_optim_free(o);
    tg_params_free(ps);
}

/* ---- contract violations: bad options are programming errors --------------------------- */

Test(contract, null_store_and_null_optimizer)
{
    EXPECT_CONTRACT(tg_optim_adam(NULL, NULL), "tg_optim_adam: the parameter store is NULL");
    EXPECT_CONTRACT(tg_optim_adam(NULL, NULL), "test_optim.c:"); /* the caller's line */
    EXPECT_CONTRACT(tg_optim_step(NULL), "the optimizer is NULL");
    EXPECT_CONTRACT(tg_clip_grad_norm(NULL, 1.0, NULL), "the parameter store is NULL");
    EXPECT_CONTRACT(tg_clip_grad_value(NULL, 1.0), "the parameter store is NULL");
}

Test(contract, bad_options_name_the_field_and_value)
{
    tg_params *ps = tg_params_new();
    tg_sgd_opts s = tg_sgd_defaults();
    s.lr = -0.1;
    EXPECT_CONTRACT(tg_optim_sgd(ps, &s), "lr must be a finite number >= 0 (got -0.1)");
    s = tg_sgd_defaults();
    s.nesterov = true;
    EXPECT_CONTRACT(tg_optim_sgd(ps, &s), "Nesterov momentum needs momentum > 0");
    s.momentum = 0.9, s.dampening = 0.1;
    EXPECT_CONTRACT(tg_optim_sgd(ps, &s), "dampening 0.1");

    tg_adam_opts a = tg_adam_defaults();
    a.beta1 = 1.0;
    EXPECT_CONTRACT(tg_optim_adam(ps, &a), "beta1 must be in [0, 1) (got 1)");
    a = tg_adam_defaults();
    a.beta2 = NAN;
    EXPECT_CONTRACT(tg_optim_adamw(ps, &a), "tg_optim_adamw: beta2 must be in [0, 1)");
    a = tg_adam_defaults();
    a.eps = -1e-8;
    EXPECT_CONTRACT(tg_optim_adam(ps, &a), "eps must be");
    a = tg_adam_defaults();
    a.lr = INFINITY;
    EXPECT_CONTRACT(tg_optim_adam(ps, &a), "lr must be a finite number");

    tg_adam_keras_opts ak = tg_adam_keras_defaults();
    ak.beta1 = -0.5;
    EXPECT_CONTRACT(tg_optim_adam_keras(ps, &ak), "tg_optim_adam_keras: beta1");
    tg_rmsprop_opts r = tg_rmsprop_defaults();
    r.alpha = 1.5;
    EXPECT_CONTRACT(tg_optim_rmsprop(ps, &r), "alpha must be in [0, 1) (got 1.5)");
    tg_rmsprop_keras_opts k = tg_rmsprop_keras_defaults();
    k.momentum = -0.9;
    EXPECT_CONTRACT(tg_optim_rmsprop_keras(ps, &k), "momentum must be");
    tg_adagrad_opts g = tg_adagrad_defaults();
    g.lr_decay = -1;
    EXPECT_CONTRACT(tg_optim_adagrad(ps, &g), "lr_decay must be");

    tg_optim *o = tg_optim_sgd(ps, NULL);
    EXPECT_CONTRACT(tg_optim_set_lr(o, -1.0), "tg_optim_set_lr: lr must be");
    cr_expect_eq(tg_optim_get_lr(o), 1e-2, "a rejected lr leaves the old one");
    tg_optim_free(o);
    EXPECT_CONTRACT(tg_clip_grad_norm(ps, 0.0, NULL), "max_norm must be > 0 (got 0)");
    EXPECT_CONTRACT(tg_clip_grad_value(ps, -1.0), "clip_value must be >= 0 (got -1)");
    tg_params_free(ps);
}

Test(contract, bad_schedule_arguments)
{
    EXPECT_CONTRACT(tg_lr_step(0.1, 3, 0, 0.5), "step_size must be >= 1 (got 0)");
    EXPECT_CONTRACT(tg_lr_cosine(0.1, 3, 0, 0.0), "t_max must be >= 1");
    EXPECT_CONTRACT(tg_lr_exponential(0.1, -1, 0.9), "epoch must be >= 0 (got -1)");
    EXPECT_CONTRACT(tg_lr_exponential(-0.1, 1, 0.9), "lr0 must be");
    tg_plateau_opts p = tg_plateau_defaults();
    p.factor = 1.0;
    EXPECT_CONTRACT(tg_plateau_new(0.1, &p), "factor must be in [0, 1) (got 1)");
    p = tg_plateau_defaults();
    p.patience = -1;
    EXPECT_CONTRACT(tg_plateau_new(0.1, &p), "patience and cooldown must be >= 0");
    EXPECT_CONTRACT(tg_plateau_step(NULL, 1.0), "the schedule is NULL");
}

/* ---- options: zeros no one means ------------------------------------------------------- */

Test(contract, a_zero_filled_struct_is_rejected_naming_eps_and_the_defaults)
{
    tg_params *ps = tg_params_new();
    EXPECT_CONTRACT(tg_optim_adam(ps, &(tg_adam_opts){.lr = 0.1}),
                    "eps must be a finite number > 0 (got 0); start from tg_adam_defaults()");
    EXPECT_CONTRACT(tg_optim_rmsprop(ps, &(tg_rmsprop_opts){.lr = 0.1}),
                    "tg_optim_rmsprop: eps must be");
    EXPECT_CONTRACT(tg_optim_rmsprop_keras(ps, &(tg_rmsprop_keras_opts){.lr = 0.1}),
                    "tg_rmsprop_keras_defaults()");
    EXPECT_CONTRACT(tg_optim_adagrad(ps, &(tg_adagrad_opts){.lr = 0.1}), "eps");
    EXPECT_CONTRACT(tg_optim_adam_keras(ps, &(tg_adam_keras_opts){.lr = 0.1}), "eps");
    tg_optim *o = tg_optim_sgd(ps, &(tg_sgd_opts){.lr = 0.1}); /* SGD's zeros are its defaults */
    tg_optim_free(o);
    tg_params_free(ps);
}

/* ---- an optimizer written by a user: Lion (Chen et al. 2023) ------------------------------ */

typedef struct lion_opts {
    double lr, beta1, beta2, weight_decay;
} lion_opts;
static const lion_opts lion_defaults = {1e-4, 0.9, 0.99, 0.0};

/* c = b1 m + (1 - b1) g;  p -= lr (sign(c) + wd p);  m = b2 m + (1 - b2) g */
static void lion_update(const tg_optim_update *u)
{
    const lion_opts *o = u->opts;
    const float b1 = (float)o->beta1, b2 = (float)o->beta2, lr = (float)u->lr;
    const float wd = (float)o->weight_decay;
    float *m = u->state[0];
    for (int64_t i = 0; i < u->n; i++) {
        float c = b1 * m[i] + (1 - b1) * u->grad[i];
        u->param[i] -= lr * ((float)((c > 0) - (c < 0)) + wd * u->param[i]);
        m[i] = b2 * m[i] + (1 - b2) * u->grad[i];
    }
}
static const tg_optim_type lion = {.name = "Lion", .opts_size = sizeof(lion_opts),
                                   .defaults = &lion_defaults, .state_names = {"exp_avg"},
                                   .update = lion_update};

/* A parameter of 70000 (above TG_PAR_OPTIM, so split into chunks across threads) against
 * the formula in double, 3 steps, at 1 and 2 threads; then its state read back by name. */
Test(user_optimizer, lion_trains_by_its_formula_at_any_thread_count)
{
    enum { N = 70000 };
    static double ref_p[N], ref_m[N];
    lion_opts lo = {0.01, 0.9, 0.99, 0.1};
    float *out[2];
    for (int v = 0; v < 2; v++) {
        tg_set_num_threads(v + 1);
        tg_params *ps = tg_params_new();
        tg_tensor *w = tg_params_add(ps, "w", TG_SHAPE(N));
        tg_optim *o = tg_optim_new(ps, &lion, &lo);
        cr_expect_str_eq(tg_optim_name(o), "Lion");
        tg_rng r;
        tg_rng_seed(&r, 4, 0);
        for (int i = 0; i < N; i++) ref_p[i] = w->data[i] = tg_rng_uniform(&r) - 0.5f;
        for (int i = 0; i < N; i++) ref_m[i] = 0.0;
        tg_params_zero_grad(ps);
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < N; i++) w->grad[i] = tg_rng_uniform(&r) - 0.5f;
            tg_optim_step(o);
            for (int i = 0; i < N; i++) {
                double c = lo.beta1 * ref_m[i] + (1 - lo.beta1) * w->grad[i];
                ref_p[i] -= lo.lr * ((c > 0) - (c < 0) + lo.weight_decay * ref_p[i]);
                ref_m[i] = lo.beta2 * ref_m[i] + (1 - lo.beta2) * w->grad[i];
            }
        }
        double err = 0, merr = 0;
        const float *m = tg_optim_state(o, "w", "exp_avg");
        cr_assert_not_null(m);
        for (int i = 0; i < N; i++) {
            err = fmax(err, fabs(w->data[i] - ref_p[i]));
            merr = fmax(merr, fabs(m[i] - ref_m[i]));
        }
        cr_expect_lt(err, 1e-6, "parameters differ from the formula by %g", err);
        cr_expect_lt(merr, 1e-6, "exp_avg differs from the formula by %g", merr);
        cr_expect_eq(tg_optim_param_step(o, "w"), 3);
        out[v] = tg_malloc(sizeof(float) * N);
        memcpy(out[v], w->data, sizeof(float) * N);
        tg_optim_free(o);
        tg_params_free(ps);
    }
    cr_expect_arr_eq(out[0], out[1], sizeof(float) * N, "1 and 2 threads differ");
    tg_free(out[0]), tg_free(out[1]);
    tg_set_num_threads(0);
}

/* ---- state written back: what a checkpoint does ------------------------------------------- */

/* Optimizer A takes 2 steps; B, over a copy of the parameters, gets A's buffers and step
 * counts by name before its first step; then both take a third: the same bits. */
Test(state, written_back_by_name_resumes_the_same_bits)
{
    const char *variants[] = {"adam_eps_wd", "sgd_momentum", "adagrad_decay",
                              "rmsprop_centered_momentum", "adam_keras_eps"};
    fixture *f = load();
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        tg_params *pa = tg_params_new(), *pb = tg_params_new();
        tg_tensor *wa[2] = {add_param(pa, f, "a"), add_param(pa, f, "b")};
        tg_tensor *wb[2] = {add_param(pb, f, "a"), add_param(pb, f, "b")};
        tg_optim *a = make_variant(variants[v], pa), *b = make_variant(variants[v], pb);
        for (int s = 1; s <= 2; s++) {
            for (int k = 0; k < 2; k++) set_grad(wa[k], need(f, "grad.s%d.%s", s, PARAM_NAMES[k]));
            tg_optim_step(a);
        }
        const char *names[TG_OPTIM_MAX_STATE];
        int nbuf = tg_optim_state_names(a, names);
        for (int k = 0; k < 2; k++) {
            memcpy(wb[k]->data, wa[k]->data, sizeof(float) * (size_t)wa[k]->size);
            for (int j = 0; j < nbuf; j++)
                memcpy(tg_optim_state(b, PARAM_NAMES[k], names[j]),
                       tg_optim_state(a, PARAM_NAMES[k], names[j]),
                       sizeof(float) * (size_t)wa[k]->size);
            cr_expect_eq(tg_optim_set_param_step(b, PARAM_NAMES[k],
                                                 tg_optim_param_step(a, PARAM_NAMES[k])),
                         TG_OK);
        }
        for (int k = 0; k < 2; k++) {
            set_grad(wa[k], need(f, "grad.s3.%s", PARAM_NAMES[k]));
            set_grad(wb[k], need(f, "grad.s3.%s", PARAM_NAMES[k]));
        }
        tg_optim_step(a);
        tg_optim_step(b);
        for (int k = 0; k < 2; k++)
            cr_expect_arr_eq(wa[k]->data, wb[k]->data, sizeof(float) * (size_t)wa[k]->size,
                             "%s: resumed step differs", variants[v]);
        cr_expect_null(tg_optim_state(a, "a", "no_such_buffer"));
        cr_expect_null(tg_optim_state(a, "no_such_param", names[0]));
        cr_expect_eq(tg_optim_param_step(a, "no_such_param"), -1);
        cr_expect_eq(tg_optim_set_param_step(a, "nope", 1), TG_ERR_ARG);
        cr_expect(strstr(tg_last_error(), "no parameter \"nope\""));
        cr_expect_eq(tg_optim_set_param_step(a, "a", -2), TG_ERR_ARG);
        tg_optim_free(a), tg_optim_free(b);
        tg_params_free(pa), tg_params_free(pb);
    }
    fx_free(f);
}

/* PyTorch's idiom max_norm = inf reads the norm and scales nothing; tg_grad_norm too. */
Test(clip, infinite_max_norm_and_grad_norm_only_read)
{
    fixture *f = load();
    tg_tensor *w[2];
    tg_params *ps = clip_store(f, w);
    float before[12];
    memcpy(before, w[0]->grad, sizeof before);
    double total = -1, norm = -1, want = need(f, "clip.norm.total")->data[0];
    cr_expect_eq(tg_clip_grad_norm(ps, INFINITY, &total), TG_OK);
    cr_expect_eq(tg_grad_norm(ps, &norm), TG_OK);
    cr_expect_leq(fabs(total - want), 1e-6 * want);
    cr_expect_eq(total, norm);
    cr_expect_arr_eq(before, w[0]->grad, sizeof before, "the grads were changed");
    w[1]->grad[2] = NAN;
    cr_expect_eq(tg_grad_norm(ps, &norm), TG_ERR_NUMERIC);
    cr_expect(strstr(tg_last_error(), "\"b\""), "%s", tg_last_error());
    tg_params_free(ps);
    fx_free(f);
}

/* The optimizer's accessors, the initializers and the model builders name the caller. */
Test(contract, accessors_initializers_and_builders_report_the_callers_line)
{
    EXPECT_CONTRACT(tg_optim_step(NULL), "test_optim.c:");
    EXPECT_CONTRACT(tg_optim_state(NULL, "w", "exp_avg"), "test_optim.c:");
    tg_rng r;
    tg_rng_seed(&r, 1, 0);
    tg_tensor *v = tg_tensor_zeros(1, (int[]){3});
    EXPECT_CONTRACT(tg_init_orthogonal(v, &r, 1.0f), "test_optim.c:");
    EXPECT_CONTRACT(tg_fill_uniform(v, &r, 1.0f, 0.0f), "test_optim.c:");
    tg_model *m = tg_model_new(1);
    EXPECT_CONTRACT(tg_model_dense(m, 3, TG_ACT_NONE), "test_optim.c:"); /* no input yet */
    tg_model_free(m);
    tg_tensor_free(v);
}
