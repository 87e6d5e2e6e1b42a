/* optim/optim.c — the optimizer object: option defaults and checks, per-parameter state
 * made on first use, the step that walks the store, the learning rate.
 *
 * One struct serves every formula: a kind, a copy of that formula's options, and one slot
 * per store entry holding the parameter's state block and its step count t. The state
 * block is allocated (zeroed) on the parameter's first step and reused after, so only a
 * first step, or the first step after the store grew, touches the heap.
 *
 * What this file deliberately is not: the update arithmetic (update.c), clipping
 * (clip.c) or schedules (schedule.c). It never looks at layers, only at the store.
 */
#include "optim/internal.h"

#include <math.h>
#include <string.h>

typedef enum kind {
    K_SGD,
    K_RMSPROP,
    K_RMSPROP_KERAS,
    K_ADAM,
    K_ADAMW,
    K_ADAM_KERAS,
    K_ADAGRAD,
} kind;

static const char *const kind_names[] = {
    [K_SGD] = "SGD",         [K_RMSPROP] = "RMSprop", [K_RMSPROP_KERAS] = "RMSprop (Keras)",
    [K_ADAM] = "Adam",       [K_ADAMW] = "AdamW",     [K_ADAM_KERAS] = "Adam (Keras)",
    [K_ADAGRAD] = "Adagrad",
};

/* A parameter's state: nbuf * size floats (NULL until its first step, or when the
 * formula keeps none) and the number of steps it has taken. */
typedef struct slot {
    float *state;
    int64_t t;
} slot;

struct tg_optim {
    kind kind;
    tg_params *ps;
    double lr;     /* starts as the options' lr; tg_optim_set_lr changes it */
    int nbuf;      /* state buffers of `size` floats per parameter */
    int64_t steps; /* tg_optim_step calls */
    slot *slots;   /* one per store entry seen so far, in store order */
    int nslots;
    union {
        tg_sgd_opts sgd;
        tg_rmsprop_opts rmsprop;
        tg_rmsprop_keras_opts rmsprop_keras;
        tg_adam_opts adam;
        tg_adam_keras_opts adam_keras;
        tg_adagrad_opts adagrad;
    } o;
};

/* ---- defaults (PyTorch 1.13's, Keras 3's for the Keras variants) --------------------- */

tg_sgd_opts tg_sgd_defaults(void)
{
    return (tg_sgd_opts){.lr = 1e-2, .momentum = 0, .dampening = 0, .weight_decay = 0,
                         .nesterov = false};
}

tg_rmsprop_opts tg_rmsprop_defaults(void)
{
    return (tg_rmsprop_opts){.lr = 1e-2, .alpha = 0.99, .eps = 1e-8, .weight_decay = 0,
                             .momentum = 0, .centered = false};
}

tg_rmsprop_keras_opts tg_rmsprop_keras_defaults(void)
{
    return (tg_rmsprop_keras_opts){.lr = 1e-3, .rho = 0.9, .eps = 1e-7, .momentum = 0,
                                   .centered = false};
}

tg_adam_opts tg_adam_defaults(void)
{
    return (tg_adam_opts){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                          .weight_decay = 0};
}

tg_adam_opts tg_adamw_defaults(void)
{
    tg_adam_opts o = tg_adam_defaults();
    o.weight_decay = 1e-2;
    return o;
}

tg_adam_keras_opts tg_adam_keras_defaults(void)
{
    return (tg_adam_keras_opts){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-7};
}

tg_adagrad_opts tg_adagrad_defaults(void)
{
    return (tg_adagrad_opts){.lr = 1e-2, .lr_decay = 0, .weight_decay = 0,
                             .initial_accumulator_value = 0, .eps = 1e-10};
}

/* ---- option checks: contract violations naming the field and its value ---------------- */

void optim_need_nonneg(tg_loc loc, const char *op, const char *field, double v)
{
    if (!(v >= 0) || isinf(v))
        tg_contract_fail(loc, op, "%s must be a finite number >= 0 (got %g)", field, v);
}

static void need_unit(tg_loc loc, const char *op, const char *field, double v)
{
    if (!(v >= 0 && v < 1))
        tg_contract_fail(loc, op, "%s must be in [0, 1) (got %g)", field, v);
}

static tg_optim *optim_new(tg_params *ps, kind k, double lr, int nbuf, tg_loc loc,
                           const char *op)
{
    if (!ps)
        tg_contract_fail(loc, op, "the parameter store is NULL (make one with "
                                  "tg_params_new and add the model's weights first)");
    optim_need_nonneg(loc, op, "lr", lr);
    tg_optim *o = tg_calloc(sizeof *o);
    o->kind = k;
    o->ps = ps;
    o->lr = lr;
    o->nbuf = nbuf;
    return o;
}

/* ---- constructors ------------------------------------------------------------------- */

tg_optim *tg_optim_sgd_at(tg_params *ps, const tg_sgd_opts *opts, tg_loc loc)
{
    const char *op = "tg_optim_sgd";
    tg_sgd_opts c = opts ? *opts : tg_sgd_defaults();
    optim_need_nonneg(loc, op, "momentum", c.momentum);
    optim_need_nonneg(loc, op, "dampening", c.dampening);
    optim_need_nonneg(loc, op, "weight_decay", c.weight_decay);
    if (c.nesterov && !(c.momentum > 0 && c.dampening == 0))
        tg_contract_fail(loc, op,
                         "Nesterov momentum needs momentum > 0 and dampening 0 (got "
                         "momentum %g, dampening %g)",
                         c.momentum, c.dampening);
    tg_optim *o = optim_new(ps, K_SGD, c.lr, c.momentum != 0 ? 1 : 0, loc, op);
    o->o.sgd = c;
    return o;
}

tg_optim *tg_optim_rmsprop_at(tg_params *ps, const tg_rmsprop_opts *opts, tg_loc loc)
{
    const char *op = "tg_optim_rmsprop";
    tg_rmsprop_opts c = opts ? *opts : tg_rmsprop_defaults();
    need_unit(loc, op, "alpha", c.alpha);
    optim_need_nonneg(loc, op, "eps", c.eps);
    optim_need_nonneg(loc, op, "weight_decay", c.weight_decay);
    optim_need_nonneg(loc, op, "momentum", c.momentum);
    int nbuf = 1 + (c.centered ? 1 : 0) + (c.momentum > 0 ? 1 : 0);
    tg_optim *o = optim_new(ps, K_RMSPROP, c.lr, nbuf, loc, op);
    o->o.rmsprop = c;
    return o;
}

tg_optim *tg_optim_rmsprop_keras_at(tg_params *ps, const tg_rmsprop_keras_opts *opts,
                                    tg_loc loc)
{
    const char *op = "tg_optim_rmsprop_keras";
    tg_rmsprop_keras_opts c = opts ? *opts : tg_rmsprop_keras_defaults();
    need_unit(loc, op, "rho", c.rho);
    optim_need_nonneg(loc, op, "eps", c.eps);
    optim_need_nonneg(loc, op, "momentum", c.momentum);
    int nbuf = 1 + (c.centered ? 1 : 0) + (c.momentum > 0 ? 1 : 0);
    tg_optim *o = optim_new(ps, K_RMSPROP_KERAS, c.lr, nbuf, loc, op);
    o->o.rmsprop_keras = c;
    return o;
}

static tg_optim *adam_new(tg_params *ps, const tg_adam_opts *opts, kind k, tg_loc loc,
                          const char *op)
{
    tg_adam_opts c = opts ? *opts : k == K_ADAMW ? tg_adamw_defaults() : tg_adam_defaults();
    need_unit(loc, op, "beta1", c.beta1);
    need_unit(loc, op, "beta2", c.beta2);
    optim_need_nonneg(loc, op, "eps", c.eps);
    optim_need_nonneg(loc, op, "weight_decay", c.weight_decay);
    tg_optim *o = optim_new(ps, k, c.lr, 2, loc, op);
    o->o.adam = c;
    return o;
}

tg_optim *tg_optim_adam_at(tg_params *ps, const tg_adam_opts *opts, tg_loc loc)
{
    return adam_new(ps, opts, K_ADAM, loc, "tg_optim_adam");
}

tg_optim *tg_optim_adamw_at(tg_params *ps, const tg_adam_opts *opts, tg_loc loc)
{
    return adam_new(ps, opts, K_ADAMW, loc, "tg_optim_adamw");
}

tg_optim *tg_optim_adam_keras_at(tg_params *ps, const tg_adam_keras_opts *opts, tg_loc loc)
{
    const char *op = "tg_optim_adam_keras";
    tg_adam_keras_opts c = opts ? *opts : tg_adam_keras_defaults();
    need_unit(loc, op, "beta1", c.beta1);
    need_unit(loc, op, "beta2", c.beta2);
    optim_need_nonneg(loc, op, "eps", c.eps);
    tg_optim *o = optim_new(ps, K_ADAM_KERAS, c.lr, 2, loc, op);
    o->o.adam_keras = c;
    return o;
}

tg_optim *tg_optim_adagrad_at(tg_params *ps, const tg_adagrad_opts *opts, tg_loc loc)
{
    const char *op = "tg_optim_adagrad";
    tg_adagrad_opts c = opts ? *opts : tg_adagrad_defaults();
    optim_need_nonneg(loc, op, "lr_decay", c.lr_decay);
    optim_need_nonneg(loc, op, "weight_decay", c.weight_decay);
    optim_need_nonneg(loc, op, "initial_accumulator_value", c.initial_accumulator_value);
    optim_need_nonneg(loc, op, "eps", c.eps);
    tg_optim *o = optim_new(ps, K_ADAGRAD, c.lr, 1, loc, op);
    o->o.adagrad = c;
    return o;
}

/* ---- the step ----------------------------------------------------------------------- */

/* Slots for store entries added since the last step (all of them on the first step). */
static void grow_slots(tg_optim *o, int n)
{
    slot *s = tg_calloc((size_t)n * sizeof *s);
    if (o->nslots) memcpy(s, o->slots, (size_t)o->nslots * sizeof *s);
    tg_free(o->slots);
    o->slots = s;
    o->nslots = n;
}

static void update(tg_optim *o, int64_t t, float *p, const float *g, float *state,
                   int64_t n)
{
    switch (o->kind) {
    case K_SGD: optim_sgd_update(&o->o.sgd, o->lr, t, p, g, state, n); break;
    case K_RMSPROP: optim_rmsprop_update(&o->o.rmsprop, o->lr, p, g, state, n); break;
    case K_RMSPROP_KERAS:
        optim_rmsprop_keras_update(&o->o.rmsprop_keras, o->lr, p, g, state, n);
        break;
    case K_ADAM: optim_adam_update(&o->o.adam, false, o->lr, t, p, g, state, n); break;
    case K_ADAMW: optim_adam_update(&o->o.adam, true, o->lr, t, p, g, state, n); break;
    case K_ADAM_KERAS:
        optim_adam_keras_update(&o->o.adam_keras, o->lr, t, p, g, state, n);
        break;
    case K_ADAGRAD: optim_adagrad_update(&o->o.adagrad, o->lr, t, p, g, state, n); break;
    }
}

void tg_optim_step(tg_optim *o)
{
    if (!o) tg_contract_fail(TG_HERE, "tg_optim_step", "the optimizer is NULL");
    int n = tg_params_count(o->ps);
    if (n > o->nslots) grow_slots(o, n);
    for (int i = 0; i < n; i++) {
        tg_tensor *w = tg_params_at(o->ps, i);
        if (!optim_active(w)) continue; /* frozen */
        slot *s = &o->slots[i];
        if (o->nbuf > 0 && !s->state)
            s->state = tg_calloc((size_t)o->nbuf * (size_t)w->size * sizeof(float));
        s->t++;
        update(o, s->t, w->data, w->grad, s->state, w->size);
    }
    o->steps++;
}

/* ---- small accessors ---------------------------------------------------------------- */

void tg_optim_zero_grad(tg_optim *o)
{
    if (!o) tg_contract_fail(TG_HERE, "tg_optim_zero_grad", "the optimizer is NULL");
    tg_params_zero_grad(o->ps);
}

void tg_optim_set_lr_at(tg_optim *o, double lr, tg_loc loc)
{
    if (!o) tg_contract_fail(loc, "tg_optim_set_lr", "the optimizer is NULL");
    optim_need_nonneg(loc, "tg_optim_set_lr", "lr", lr);
    o->lr = lr;
}

double tg_optim_get_lr(const tg_optim *o)
{
    if (!o) tg_contract_fail(TG_HERE, "tg_optim_get_lr", "the optimizer is NULL");
    return o->lr;
}

int64_t tg_optim_steps(const tg_optim *o) { return o ? o->steps : 0; }

const char *tg_optim_name(const tg_optim *o) { return o ? kind_names[o->kind] : "(null)"; }

void tg_optim_free(tg_optim *o)
{
    if (!o) return;
    for (int i = 0; i < o->nslots; i++) tg_free(o->slots[i].state);
    tg_free(o->slots);
    tg_free(o);
}
