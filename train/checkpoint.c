/* train/checkpoint.c — everything a training program needs to continue exactly where it
 * stopped, in one safetensors file written atomically (safetensors.c's writer).
 *
 * Tensors (F32): the parameters under their own names; the optimizer's buffers as
 * "optim.state.<param>.<buffer>" (PyTorch's buffer names: exp_avg, square_avg, ...); the
 * program's own tensors as "tensor.<name>"; the history as "history.loss",
 * "history.val_loss", "history.seconds".
 * Metadata (strings, exact): "tapegrad.checkpoint" "1"; "epoch", "step"; "optim.type",
 * "optim.lr", "optim.steps", "optim.step.<param>" (PyTorch's state["step"]); "plateau" (the
 * ReduceLROnPlateau state and options); "rng.<name>" (a PCG32's state:inc in hex);
 * "scaler.<name>" (kind, range and the fitted per-feature values, %.17g); "value.<name>"
 * (the program's own numbers); "history.best_epoch", "history.stopped_early".
 * Doubles are written with 17 significant digits, so they read back to the same bits.
 *
 * Loading checks every part against the objects it will fill (names, shapes, the
 * optimizer's type) and parses every value before it writes anything: a mismatched or
 * damaged checkpoint changes nothing.
 * Not here: the file format (safetensors.c), fit's own use of it (fit.c).
 */
#include "data/data.h"
#include "train/internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building the file's lists ------------------------------------------------------------ */

/* Growable lists of tensors and of metadata pairs; names and texts are owned. */
typedef struct lists {
    int nt, ct1, ct2, nm, cm1, cm2, nown, cown;
    char **tnames;
    const tg_tensor **ts;
    tg_tensor **owned; /* tensors made here (history, optimizer buffers) to free after */
    char **keys, **vals;
} lists;

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap, aq;
    va_start(ap, f);
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = tg_malloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, f, aq);
    va_end(aq);
    return s;
}

static void add_tensor(lists *l, char *name, const tg_tensor *t)
{
    l->tnames = tg_grow(l->tnames, l->nt, &l->ct1, 16, sizeof *l->tnames);
    l->ts = tg_grow(l->ts, l->nt, &l->ct2, 16, sizeof *l->ts);
    l->tnames[l->nt] = name, l->ts[l->nt++] = t;
}

static void add_meta(lists *l, char *key, char *val)
{
    l->keys = tg_grow(l->keys, l->nm, &l->cm1, 16, sizeof *l->keys);
    l->vals = tg_grow(l->vals, l->nm, &l->cm2, 16, sizeof *l->vals);
    l->keys[l->nm] = key, l->vals[l->nm++] = val;
}

/* A (n) tensor holding a copy of v, owned by the lists. */
static const tg_tensor *own_copy(lists *l, const float *v, int n)
{
    tg_tensor *t = tg_tensor_new(1, (int[]){n});
    if (n) memcpy(t->data, v, sizeof(float) * (size_t)n);
    l->owned = tg_grow(l->owned, l->nown, &l->cown, 8, sizeof *l->owned);
    l->owned[l->nown++] = t;
    return t;
}

static void free_lists(lists *l)
{
    for (int i = 0; i < l->nt; i++) tg_free(l->tnames[i]);
    for (int i = 0; i < l->nm; i++) tg_free(l->keys[i]), tg_free(l->vals[i]);
    for (int i = 0; i < l->nown; i++) tg_tensor_free(l->owned[i]);
    tg_free(l->tnames), tg_free(l->ts), tg_free(l->keys), tg_free(l->vals), tg_free(l->owned);
}

/* ---- save --------------------------------------------------------------------------------- */

static char *doubles_text(int n, const double *v)
{
    size_t cap = (size_t)n * 26 + 1, used = 0;
    char *s = tg_malloc(cap);
    s[0] = 0;
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(s + used, cap - used, "%s%.17g", i ? " " : "", v[i]);
    return s;
}

static void save_optim(lists *l, tg_params *ps, tg_optim *o)
{
    const char *bufs[TG_OPTIM_MAX_STATE];
    int nb = tg_optim_state_names(o, bufs);
    add_meta(l, fmt("optim.type"), fmt("%s", tg_optim_name(o)));
    add_meta(l, fmt("optim.lr"), fmt("%.17g", tg_optim_get_lr(o)));
    add_meta(l, fmt("optim.steps"), fmt("%lld", (long long)tg_optim_steps(o)));
    for (int i = 0; i < tg_params_count(ps); i++) {
        const tg_tensor *p = tg_params_at(ps, i);
        add_meta(l, fmt("optim.step.%s", p->name),
                 fmt("%lld", (long long)tg_optim_param_step(o, p->name)));
        for (int b = 0; b < nb; b++) /* made as on a first step if the parameter has none */
            add_tensor(l, fmt("optim.state.%s.%s", p->name, bufs[b]),
                       own_copy(l, tg_optim_state(o, p->name, bufs[b]), (int)p->size));
    }
}

static void save_scaler(lists *l, const char *name, const tg_scaler *s)
{
    int nf = s->nfeat;
    const double *u = s->kind == TG_SCALER_MINMAX ? s->min : s->mean;
    const double *v = s->kind == TG_SCALER_MINMAX ? s->max : s->std;
    char *a = doubles_text(nf, u), *b = doubles_text(nf, v);
    add_meta(l, fmt("scaler.%s", name),
             fmt("%d %.17g %.17g %d | %s | %s", (int)s->kind, s->a, s->b, nf, a, b));
    tg_free(a), tg_free(b);
}

static void save_history(lists *l, const tg_history *h)
{
    float *sec = tg_malloc(sizeof(float) * (size_t)(h->epochs + 1));
    for (int e = 0; e < h->epochs; e++) sec[e] = (float)h->seconds[e];
    add_tensor(l, fmt("history.loss"), own_copy(l, h->loss, h->epochs));
    add_tensor(l, fmt("history.val_loss"), own_copy(l, h->val_loss, h->epochs));
    add_tensor(l, fmt("history.seconds"), own_copy(l, sec, h->epochs));
    tg_free(sec);
    add_meta(l, fmt("history.best_epoch"), fmt("%d", h->best_epoch));
    add_meta(l, fmt("history.stopped_early"), fmt("%d", h->stopped_early ? 1 : 0));
}

tg_status tg_checkpoint_save(const char *path, const tg_checkpoint *c)
{
    if (!c || !c->params) return tg_fail(TG_ERR_ARG, "tg_checkpoint_save: no parameters");
    tg_status fin = tg__params_finite("tg_checkpoint_save", c->params);
    if (fin != TG_OK) return fin;
    lists l = {0};
    add_meta(&l, fmt("tapegrad.checkpoint"), fmt("1"));
    add_meta(&l, fmt("epoch"), fmt("%lld", (long long)c->epoch));
    add_meta(&l, fmt("step"), fmt("%lld", (long long)c->step));
    for (int i = 0; i < tg_params_count(c->params); i++)
        add_tensor(&l, fmt("%s", tg_params_at(c->params, i)->name), tg_params_at(c->params, i));
    if (c->optim) save_optim(&l, c->params, c->optim);
    if (c->plateau) {
        const tg_plateau *p = c->plateau;
        const tg_plateau_opts *o = &p->opts;
        add_meta(&l, fmt("plateau"),
                 fmt("%.17g %.17g %d %d %d | %d %.17g %d %.17g %d %d %.17g %.17g", p->lr, p->best,
                     p->bad_epochs, p->cooldown_left, p->epoch, o->maximize ? 1 : 0, o->factor,
                     o->patience, o->threshold, o->threshold_abs ? 1 : 0, o->cooldown,
                     o->min_lr, o->eps));
    }
    for (int i = 0; i < c->n_rngs; i++)
        add_meta(&l, fmt("rng.%s", c->rng_names[i]),
                 fmt("%016" PRIx64 ":%016" PRIx64, c->rngs[i]->state, c->rngs[i]->inc));
    for (int i = 0; i < c->n_scalers; i++) save_scaler(&l, c->scaler_names[i], c->scalers[i]);
    for (int i = 0; i < c->n_values; i++)
        add_meta(&l, fmt("value.%s", c->value_names[i]), fmt("%.17g", *c->values[i]));
    for (int i = 0; i < c->n_tensors; i++)
        add_tensor(&l, fmt("tensor.%s", c->tensor_names[i]), c->tensors[i]);
    if (c->history) save_history(&l, c->history);
    tg_status st = tg__st_save(path, l.nt, (const char *const *)l.tnames, l.ts, l.nm,
                               (const char *const *)l.keys, (const char *const *)l.vals);
    free_lists(&l);
    return st;
}

/* ---- load: parse and check everything, then apply ------------------------------------------ */

static bool parse_i64(const char *s, int64_t *v)
{
    char *end;
    if (!s || !*s) return false;
    long long x = strtoll(s, &end, 10);
    *v = x;
    return *end == 0;
}

/* n doubles separated by spaces from *s, which is advanced past them. */
static bool parse_doubles(const char **s, int n, double *v)
{
    for (int i = 0; i < n; i++) {
        char *end;
        v[i] = strtod(*s, &end);
        if (end == *s) return false;
        *s = end;
    }
    return true;
}

static tg_status bad(const char *path, const char *what)
{
    return tg_fail(TG_ERR_FORMAT, "%s: %s", path, what);
}

/* A tensor entry named `name` holding exactly `size` elements, or NULL with a message. */
static const tg__st_entry *need_tensor(const tg__st_file *f, const char *name, int64_t size,
                                       tg_status *st)
{
    const tg__st_entry *e = tg__st_find(f, name);
    int64_t n = 1;
    for (int d = 0; e && d < e->ndim; d++) n *= e->shape[d];
    if (!e || n != size) {
        *st = tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\" %s (%lld values expected)", f->path,
                      name, e ? "has the wrong size" : "is missing", (long long)size);
        return NULL;
    }
    return e;
}

static tg_status check_params(const tg__st_file *f, tg_params *ps)
{
    tg_status st = TG_OK;
    for (int i = 0; i < tg_params_count(ps) && st == TG_OK; i++) {
        const tg_tensor *p = tg_params_at(ps, i);
        const tg__st_entry *e = need_tensor(f, p->name, p->size, &st);
        bool same = e && e->ndim == p->ndim;
        for (int d = 0; same && d < p->ndim; d++) same = e->shape[d] == p->shape[d];
        if (e && !same)
            st = tg_fail(TG_ERR_FORMAT, "%s: parameter \"%s\" has another shape in the file",
                         f->path, p->name);
    }
    return st;
}

static tg_status check_optim(const tg__st_file *f, tg_params *ps, tg_optim *o)
{
    const char *type = tg__st_meta(f, "optim.type");
    if (!type) return bad(f->path, "the checkpoint holds no optimizer state");
    if (strcmp(type, tg_optim_name(o)) != 0)
        return tg_fail(TG_ERR_FORMAT, "%s: the checkpoint's optimizer is %s, this one is %s",
                       f->path, type, tg_optim_name(o));
    const char *bufs[TG_OPTIM_MAX_STATE];
    int nb = tg_optim_state_names(o, bufs);
    tg_status st = TG_OK;
    int64_t t;
    char key[600];
    for (int i = 0; i < tg_params_count(ps) && st == TG_OK; i++) {
        const tg_tensor *p = tg_params_at(ps, i);
        snprintf(key, sizeof key, "optim.step.%s", p->name);
        if (!parse_i64(tg__st_meta(f, key), &t) || t < 0)
            return tg_fail(TG_ERR_FORMAT, "%s: %s is missing or not a count", f->path, key);
        for (int b = 0; b < nb && st == TG_OK; b++) {
            snprintf(key, sizeof key, "optim.state.%s.%s", p->name, bufs[b]);
            need_tensor(f, key, p->size, &st);
        }
    }
    double lr;
    const char *s = tg__st_meta(f, "optim.lr");
    if (st == TG_OK && (!s || !parse_doubles(&s, 1, &lr) || !(lr >= 0) ||
                        !parse_i64(tg__st_meta(f, "optim.steps"), &t)))
        st = bad(f->path, "optim.lr or optim.steps is missing or malformed");
    return st;
}

static void apply_optim(const tg__st_file *f, tg_params *ps, tg_optim *o)
{
    const char *bufs[TG_OPTIM_MAX_STATE], *s = tg__st_meta(f, "optim.lr");
    int nb = tg_optim_state_names(o, bufs);
    char key[600];
    int64_t t = 0;
    double lr;
    for (int i = 0; i < tg_params_count(ps); i++) {
        const tg_tensor *p = tg_params_at(ps, i);
        snprintf(key, sizeof key, "optim.step.%s", p->name);
        parse_i64(tg__st_meta(f, key), &t);
        tg_optim_set_param_step(o, p->name, t);
        for (int b = 0; b < nb; b++) {
            snprintf(key, sizeof key, "optim.state.%s.%s", p->name, bufs[b]);
            tg__st_read_f32(f, tg__st_find(f, key), tg_optim_state(o, p->name, bufs[b]));
        }
    }
    parse_doubles(&s, 1, &lr);
    tg_optim_set_lr(o, lr);
    parse_i64(tg__st_meta(f, "optim.steps"), &t);
    tg_optim_set_steps(o, t);
}

static bool parse_plateau(const char *s, tg_plateau *p)
{
    if (!s) return false;
    int bad_epochs, cooldown_left, epoch, maximize, patience, abs_mode, cooldown;
    double v[7];
    int used = 0;
    if (sscanf(s, "%lf %lf %d %d %d | %d %lf %d %lf %d %d %lf %lf%n", &v[0], &v[1], &bad_epochs,
               &cooldown_left, &epoch, &maximize, &v[2], &patience, &v[3], &abs_mode,
               &cooldown, &v[4], &v[5], &used) != 13 || s[used] != 0)
        return false;
    *p = (tg_plateau){.opts = {.maximize = maximize != 0, .factor = v[2], .patience = patience,
                               .threshold = v[3], .threshold_abs = abs_mode != 0,
                               .cooldown = cooldown, .min_lr = v[4], .eps = v[5]},
                      .lr = v[0], .best = v[1], .bad_epochs = bad_epochs,
                      .cooldown_left = cooldown_left, .epoch = epoch};
    return true;
}

/* "kind a b nfeat | u... | v..." into a fitted scaler of freshly allocated arrays. */
static bool parse_scaler(const char *s, tg_scaler *out)
{
    int kind, nf, used = 0;
    double a, b;
    if (!s || sscanf(s, "%d %lf %lf %d |%n", &kind, &a, &b, &nf, &used) != 4 || nf < 0 ||
        nf > (1 << 24) || (kind != TG_SCALER_MINMAX && kind != TG_SCALER_STANDARD))
        return false;
    double *u = tg_malloc(sizeof(double) * (size_t)(nf + 1)),
           *v = tg_malloc(sizeof(double) * (size_t)(nf + 1));
    const char *p = s + used;
    bool ok = parse_doubles(&p, nf, u);
    while (ok && *p == ' ') p++;
    ok = ok && *p++ == '|' && parse_doubles(&p, nf, v);
    while (ok && *p == ' ') p++;
    if (!ok || *p) {
        tg_free(u), tg_free(v);
        return false;
    }
    *out = (tg_scaler){.kind = (tg_scaler_kind)kind, .a = a, .b = b, .nfeat = nf};
    if (kind == TG_SCALER_MINMAX)
        out->min = u, out->max = v;
    else
        out->mean = u, out->std = v;
    return true;
}

/* Everything the load reads besides tensors, parsed before anything is applied. */
typedef struct parsed {
    int64_t epoch, step;
    tg_plateau plateau;
    tg_rng *rngs;
    tg_scaler *scalers;
    double *values;
    int n_scalers_parsed;
    int best_epoch, stopped_early;
} parsed;

static void free_parsed(parsed *p)
{
    for (int i = 0; i < p->n_scalers_parsed; i++) tg_scaler_free(&p->scalers[i]);
    tg_free(p->rngs), tg_free(p->scalers), tg_free(p->values);
}

static tg_status parse_small(const tg__st_file *f, const tg_checkpoint *c, parsed *p)
{
    char key[600];
    if (!parse_i64(tg__st_meta(f, "epoch"), &p->epoch) ||
        !parse_i64(tg__st_meta(f, "step"), &p->step))
        return bad(f->path, "epoch or step is missing or not a number");
    if (c->plateau && !parse_plateau(tg__st_meta(f, "plateau"), &p->plateau))
        return bad(f->path, "the plateau schedule's state is missing or malformed");
    p->rngs = tg_malloc(sizeof *p->rngs * (size_t)(c->n_rngs + 1));
    for (int i = 0; i < c->n_rngs; i++) {
        snprintf(key, sizeof key, "rng.%s", c->rng_names[i]);
        const char *s = tg__st_meta(f, key);
        int used = 0;
        if (!s || sscanf(s, "%16" SCNx64 ":%16" SCNx64 "%n", &p->rngs[i].state, &p->rngs[i].inc,
                         &used) != 2 || s[used] != 0)
            return tg_fail(TG_ERR_FORMAT, "%s: random stream \"%s\" is missing or malformed",
                           f->path, c->rng_names[i]);
    }
    p->scalers = tg_calloc(sizeof *p->scalers * (size_t)(c->n_scalers + 1));
    for (int i = 0; i < c->n_scalers; i++, p->n_scalers_parsed++) {
        snprintf(key, sizeof key, "scaler.%s", c->scaler_names[i]);
        if (!parse_scaler(tg__st_meta(f, key), &p->scalers[i]))
            return tg_fail(TG_ERR_FORMAT, "%s: scaler \"%s\" is missing or malformed", f->path,
                           c->scaler_names[i]);
    }
    p->values = tg_malloc(sizeof *p->values * (size_t)(c->n_values + 1));
    for (int i = 0; i < c->n_values; i++) {
        snprintf(key, sizeof key, "value.%s", c->value_names[i]);
        const char *s = tg__st_meta(f, key);
        if (!s || !parse_doubles(&s, 1, &p->values[i]) || *s)
            return tg_fail(TG_ERR_FORMAT, "%s: value \"%s\" is missing or malformed", f->path,
                           c->value_names[i]);
    }
    if (c->history) {
        int64_t be, se;
        if (!parse_i64(tg__st_meta(f, "history.best_epoch"), &be) ||
            !parse_i64(tg__st_meta(f, "history.stopped_early"), &se) ||
            !tg__st_find(f, "history.loss"))
            return bad(f->path, "the checkpoint holds no history");
        p->best_epoch = (int)be, p->stopped_early = (int)se;
    }
    return TG_OK;
}

/* The program's tensors ("tensor.<name>", same shapes) and the history's three arrays. */
static tg_status check_rest(const tg__st_file *f, const tg_checkpoint *c, int *epochs)
{
    tg_status st = TG_OK;
    char key[600];
    for (int i = 0; i < c->n_tensors && st == TG_OK; i++) {
        snprintf(key, sizeof key, "tensor.%s", c->tensor_names[i]);
        need_tensor(f, key, c->tensors[i]->size, &st);
    }
    *epochs = 0;
    if (st == TG_OK && c->history) {
        const tg__st_entry *e = tg__st_find(f, "history.loss");
        *epochs = e->ndim == 1 ? e->shape[0] : -1;
        if (*epochs < 0) return bad(f->path, "history.loss is not a vector");
        need_tensor(f, "history.val_loss", *epochs, &st);
        if (st == TG_OK) need_tensor(f, "history.seconds", *epochs, &st);
    }
    return st;
}

static void apply_history(const tg__st_file *f, const parsed *p, int epochs, tg_history *h)
{
    tg_history_free(h);
    h->epochs = epochs;
    h->loss = tg_malloc(sizeof(float) * (size_t)(epochs + 1));
    h->val_loss = tg_malloc(sizeof(float) * (size_t)(epochs + 1));
    h->seconds = tg_malloc(sizeof(double) * (size_t)(epochs + 1));
    float *sec = tg_malloc(sizeof(float) * (size_t)(epochs + 1));
    tg__st_read_f32(f, tg__st_find(f, "history.loss"), h->loss);
    tg__st_read_f32(f, tg__st_find(f, "history.val_loss"), h->val_loss);
    tg__st_read_f32(f, tg__st_find(f, "history.seconds"), sec);
    for (int e = 0; e < epochs; e++) h->seconds[e] = sec[e];
    tg_free(sec);
    h->best_epoch = p->best_epoch;
    h->stopped_early = p->stopped_early != 0;
}

/* Writes everything parsed and checked into the caller's objects. */
static void apply(const tg__st_file *f, tg_checkpoint *c, parsed *p, int epochs)
{
    char key[600];
    for (int i = 0; i < tg_params_count(c->params); i++) {
        tg_tensor *w = tg_params_at(c->params, i);
        tg__st_read_f32(f, tg__st_find(f, w->name), w->data);
    }
    if (c->optim) apply_optim(f, c->params, c->optim);
    if (c->plateau) *c->plateau = p->plateau;
    for (int i = 0; i < c->n_rngs; i++) *c->rngs[i] = p->rngs[i];
    for (int i = 0; i < c->n_scalers; i++) { /* the parsed arrays move into the scaler */
        tg_scaler_free(c->scalers[i]);
        *c->scalers[i] = p->scalers[i];
        memset(&p->scalers[i], 0, sizeof p->scalers[i]);
    }
    for (int i = 0; i < c->n_values; i++) *c->values[i] = p->values[i];
    for (int i = 0; i < c->n_tensors; i++) {
        snprintf(key, sizeof key, "tensor.%s", c->tensor_names[i]);
        tg__st_read_f32(f, tg__st_find(f, key), c->tensors[i]->data);
    }
    if (c->history) apply_history(f, p, epochs, c->history);
    c->epoch = p->epoch, c->step = p->step;
}

tg_status tg_checkpoint_load(const char *path, tg_checkpoint *c)
{
    if (!c || !c->params) return tg_fail(TG_ERR_ARG, "tg_checkpoint_load: no parameters");
    tg__st_file f;
    tg_status st = tg__st_open(path, &f);
    if (st != TG_OK) return st;
    parsed p = {0};
    int epochs = 0;
    if (!tg__st_meta(&f, "tapegrad.checkpoint"))
        st = bad(path, "not a tapegrad checkpoint (a plain safetensors file: load it with "
                       "tg_params_load)");
    if (st == TG_OK) st = check_params(&f, c->params);
    if (st == TG_OK && c->optim) st = check_optim(&f, c->params, c->optim);
    if (st == TG_OK) st = parse_small(&f, c, &p);
    if (st == TG_OK) st = check_rest(&f, c, &epochs);
    if (st == TG_OK) apply(&f, c, &p, epochs); /* nothing was written before this line */
    free_parsed(&p);
    tg__st_close(&f);
    return st;
}

/* ---- a scaler on its own ------------------------------------------------------------------ */

tg_status tg_scaler_save(const tg_scaler *s, const char *path)
{
    if (!s || s->nfeat < 1) return tg_fail(TG_ERR_ARG, "tg_scaler_save: the scaler is not fitted");
    tg_params *none = tg_params_new();
    tg_checkpoint c = {.params = none, .n_scalers = 1, .scaler_names = (const char *[]){"scaler"},
                       .scalers = (tg_scaler *[]){(tg_scaler *)s}};
    tg_status st = tg_checkpoint_save(path, &c);
    tg_params_free(none);
    return st;
}

tg_status tg_scaler_load(tg_scaler *s, const char *path)
{
    if (!s) return tg_fail(TG_ERR_ARG, "tg_scaler_load: the scaler is NULL");
    tg_params *none = tg_params_new();
    tg_checkpoint c = {.params = none, .n_scalers = 1, .scaler_names = (const char *[]){"scaler"},
                       .scalers = (tg_scaler *[]){s}};
    tg_status st = tg_checkpoint_load(path, &c);
    tg_params_free(none);
    return st;
}
