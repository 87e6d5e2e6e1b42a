/* optim/optim.c — the optimizer object, for any tg_optim_type: a copy of the options, one
 * slot per store entry (its state buffers and step count t), the step that walks the store,
 * and state access by parameter and buffer name.
 *
 * A parameter's buffers are one block of nbuf * size floats, made on its first step (or
 * on first access through tg_optim_state) and reused after, so only a first step, or the
 * first step after the store grew, touches the heap. Which buffers exist depends on the
 * options (states_used), fixed when the optimizer is made.
 *
 * What this file deliberately is not: any formula (builtins.c), clipping (clip.c) or
 * schedules (schedule.c). It never looks at layers, only at the store.
 */
#include "optim/internal.h"
#include "tensor/parallel.h" /* TG_PAR_OPTIM */

#include <math.h>
#include <string.h>

/* Elements per call of an elementwise update when a parameter is split across threads. */
#define OPTIM_CHUNK ((int64_t)1 << 14)

typedef struct slot {
    float *state; /* nbuf * size floats, or NULL until made */
    int64_t t;    /* steps this parameter has taken */
} slot;

struct tg_optim {
    const tg_optim_type *type;
    tg_params *ps;
    void *opts;    /* type->opts_size bytes, the caller's options */
    double lr;     /* starts as opts' lr; tg_optim_set_lr changes it */
    int nbuf;      /* buffers per parameter with these options */
    int used[TG_OPTIM_MAX_STATE]; /* their indices into type->state_names */
    int64_t steps; /* tg_optim_step calls */
    slot *slots;   /* one per store entry seen so far, in store order */
    int nslots;
};

void optim_need_nonneg(tg_loc loc, const char *op, const char *field, double v)
{
    if (!(v >= 0) || isinf(v))
        tg_contract_fail(loc, op, "%s must be a finite number >= 0 (got %g)", field, v);
}

static void check_type(const tg_optim_type *t, tg_loc loc)
{
    const char *fn = "tg_optim_new";
    if (!t) tg_contract_fail(loc, fn, "the optimizer type is NULL");
    const char *nm = t->name ? t->name : "(unnamed)";
    const char *missing = !t->name                      ? "a name"
                          : !t->update                  ? "an update function"
                          : t->opts_size < sizeof(double) ? "opts_size (its options start with "
                                                            "double lr)"
                          : !t->defaults                ? "defaults"
                                                        : NULL;
    if (missing) tg_contract_fail(loc, fn, "optimizer type \"%s\" lacks %s", nm, missing);
    int n = 0;
    while (n <= TG_OPTIM_MAX_STATE && t->state_names[n]) {
        if (!t->state_names[n][0])
            tg_contract_fail(loc, fn, "optimizer type \"%s\": state name %d is empty", nm, n);
        for (int k = 0; k < n; k++)
            if (strcmp(t->state_names[k], t->state_names[n]) == 0)
                tg_contract_fail(loc, fn, "optimizer type \"%s\": state name \"%s\" appears "
                                 "twice", nm, t->state_names[n]);
        n++;
    }
    if (n > TG_OPTIM_MAX_STATE)
        tg_contract_fail(loc, fn, "%s: state_names holds more than %d names "
                         "(NULL-terminated)", nm, TG_OPTIM_MAX_STATE);
}

tg_optim *optim_make(tg_params *ps, const tg_optim_type *type, const void *opts,
                     const char *fn, tg_loc loc)
{
    check_type(type, loc);
    if (!ps)
        tg_contract_fail(loc, fn, "the parameter store is NULL (make one with "
                                  "tg_params_new and add the model's weights first)");
    const void *src = opts ? opts : type->defaults;
    double lr;
    memcpy(&lr, src, sizeof lr);
    optim_need_nonneg(loc, fn, "lr", lr);
    if (type->check) type->check(src, fn, loc);
    tg_optim *o = tg_calloc(sizeof *o);
    o->type = type;
    o->ps = ps;
    o->opts = tg_calloc(type->opts_size);
    memcpy(o->opts, src, type->opts_size);
    o->lr = lr;
    if (type->states_used) {
        o->nbuf = type->states_used(o->opts, o->used);
        int names = 0;
        while (names < TG_OPTIM_MAX_STATE && type->state_names[names]) names++;
        bool ok = o->nbuf >= 0 && o->nbuf <= names;
        for (int k = 0; ok && k < o->nbuf; k++) ok = o->used[k] >= 0 && o->used[k] < names;
        if (!ok)
            tg_contract_fail(loc, fn, "optimizer type \"%s\": states_used gave %d buffers or "
                             "an index outside its %d state_names", type->name, o->nbuf, names);
    } else {
        while (o->nbuf < TG_OPTIM_MAX_STATE && type->state_names[o->nbuf]) {
            o->used[o->nbuf] = o->nbuf;
            o->nbuf++;
        }
    }
    return o;
}

tg_optim *tg_optim_new_at(tg_params *ps, const tg_optim_type *type, const void *opts,
                          tg_loc loc)
{
    return optim_make(ps, type, opts, "tg_optim_new", loc);
}

/* ---- the step ----------------------------------------------------------------------- */

/* Slots for store entries added since the last look (all of them at first). */
static void grow_slots(tg_optim *o)
{
    int n = tg_params_count(o->ps);
    if (n <= o->nslots) return;
    slot *s = tg_calloc((size_t)n * sizeof *s);
    if (o->nslots) memcpy(s, o->slots, (size_t)o->nslots * sizeof *s);
    tg_free(o->slots);
    o->slots = s;
    o->nslots = n;
}

/* Parameter i's buffers, made and initialized on first use. */
static float *slot_state(tg_optim *o, int i)
{
    slot *s = &o->slots[i];
    if (o->nbuf > 0 && !s->state) {
        int64_t n = tg_params_at(o->ps, i)->size;
        s->state = tg_calloc((size_t)o->nbuf * (size_t)n * sizeof(float));
        if (o->type->init_state) {
            float *bufs[TG_OPTIM_MAX_STATE] = {0};
            for (int k = 0; k < o->nbuf; k++) bufs[k] = s->state + (int64_t)k * n;
            o->type->init_state(o->opts, bufs, n);
        }
    }
    return s->state;
}

/* One update call over elements [i0, i0 + len) of a parameter. */
static void update_range(const tg_optim *o, tg_tensor *w, float *state, int64_t t, int64_t i0,
                         int64_t len)
{
    tg_optim_update u = {.param = w->data + i0, .grad = w->grad + i0, .n = len, .step = t,
                         .lr = o->lr, .opts = o->opts};
    for (int k = 0; k < o->nbuf; k++) u.state[k] = state + (int64_t)k * w->size + i0;
    o->type->update(&u);
}

void tg_optim_step_at(tg_optim *o, tg_loc loc)
{
    if (!o) tg_contract_fail(loc, "tg_optim_step", "the optimizer is NULL");
    grow_slots(o);
    int n = tg_params_count(o->ps);
    for (int i = 0; i < n; i++) {
        tg_tensor *w = tg_params_at(o->ps, i);
        if (!optim_active(w)) continue; /* frozen */
        float *state = slot_state(o, i);
        int64_t t = ++o->slots[i].t, size = w->size;
        if (o->type->whole || size < TG_PAR_OPTIM) {
            update_range(o, w, state, t, 0, size);
            continue;
        }
        int64_t chunks = (size + OPTIM_CHUNK - 1) / OPTIM_CHUNK;
        TG_PAR_FOR(int64_t, c, chunks, true, /* elementwise: disjoint chunks, same bits */
            int64_t i0 = c * OPTIM_CHUNK;
            update_range(o, w, state, t, i0, size - i0 < OPTIM_CHUNK ? size - i0 : OPTIM_CHUNK));
    }
    o->steps++;
}

/* ---- state by name ---------------------------------------------------------------------- */

static int param_index(const tg_optim *o, const char *param)
{
    if (!param) return -1;
    int n = tg_params_count(o->ps);
    for (int i = 0; i < n; i++) {
        const char *nm = tg_params_at(o->ps, i)->name;
        if (nm && strcmp(nm, param) == 0) return i;
    }
    return -1;
}

int tg_optim_state_names_at(const tg_optim *o, const char **names, tg_loc loc)
{
    if (!o) tg_contract_fail(loc, "tg_optim_state_names", "the optimizer is NULL");
    for (int k = 0; names && k < o->nbuf; k++) names[k] = o->type->state_names[o->used[k]];
    return o->nbuf;
}

float *tg_optim_state_at(tg_optim *o, const char *param, const char *buffer, tg_loc loc)
{
    if (!o) tg_contract_fail(loc, "tg_optim_state", "the optimizer is NULL");
    int i = param_index(o, param), k = 0;
    while (buffer && k < o->nbuf && strcmp(o->type->state_names[o->used[k]], buffer) != 0) k++;
    if (i < 0 || !buffer || k == o->nbuf) return NULL;
    grow_slots(o);
    return slot_state(o, i) + (int64_t)k * tg_params_at(o->ps, i)->size;
}

int64_t tg_optim_param_step_at(const tg_optim *o, const char *param, tg_loc loc)
{
    if (!o) tg_contract_fail(loc, "tg_optim_param_step", "the optimizer is NULL");
    int i = param_index(o, param);
    if (i < 0) return -1;
    return i < o->nslots ? o->slots[i].t : 0;
}

tg_status tg_optim_set_param_step_at(tg_optim *o, const char *param, int64_t t, tg_loc loc)
{
    if (!o) tg_contract_fail(loc, "tg_optim_set_param_step", "the optimizer is NULL");
    int i = param_index(o, param);
    if (i < 0)
        return tg_fail(TG_ERR_ARG, "tg_optim_set_param_step: no parameter \"%s\" in the store",
                       param ? param : "(null)");
    if (t < 0)
        return tg_fail(TG_ERR_ARG, "tg_optim_set_param_step: step %lld of \"%s\" is negative",
                       (long long)t, param);
    grow_slots(o);
    o->slots[i].t = t;
    return TG_OK;
}

/* ---- small accessors ---------------------------------------------------------------- */

void tg_optim_zero_grad_at(tg_optim *o, tg_loc loc)
{
    if (!o) tg_contract_fail(loc, "tg_optim_zero_grad", "the optimizer is NULL");
    tg_params_zero_grad(o->ps);
}

void tg_optim_set_lr_at(tg_optim *o, double lr, tg_loc loc)
{
    if (!o) tg_contract_fail(loc, "tg_optim_set_lr", "the optimizer is NULL");
    optim_need_nonneg(loc, "tg_optim_set_lr", "lr", lr);
    o->lr = lr;
}

double tg_optim_get_lr_at(const tg_optim *o, tg_loc loc)
{
    if (!o) tg_contract_fail(loc, "tg_optim_get_lr", "the optimizer is NULL");
    return o->lr;
}

int64_t tg_optim_steps(const tg_optim *o) { return o ? o->steps : 0; }

void tg_optim_set_steps_at(tg_optim *o, int64_t steps, tg_loc loc)
{
    if (!o || steps < 0)
        tg_contract_fail(loc, "tg_optim_set_steps", "needs an optimizer and steps >= 0 "
                         "(got %lld)", (long long)steps);
    o->steps = steps;
}

const char *tg_optim_name(const tg_optim *o) { return o ? o->type->name : "(null)"; }

const void *tg_optim_opts(const tg_optim *o) { return o ? o->opts : NULL; }

void tg_optim_free(tg_optim *o)
{
    if (!o) return;
    for (int i = 0; i < o->nslots; i++) tg_free(o->slots[i].state);
    tg_free(o->slots);
    tg_free(o->opts);
    tg_free(o);
}
