/* autograd/params.c — the parameter store: named persistent tensors with grad buffers.
 *
 * A model owns one store; layers add their weights under PyTorch state_dict names, and
 * optimizers walk the store in insertion order. Lookup by name is a linear scan: stores
 * hold tens of tensors and lookups happen at set-up, not per step.
 * Not here: optimizer state (optim/), saving and loading (a later module).
 */
#include "autograd/autograd.h"

#include <string.h>

typedef struct entry {
    char *name;
    tg_tensor *t;
} entry;

struct tg_params {
    entry *items;
    int n, cap;
};

tg_params *tg_params_new(void) { return tg_calloc(sizeof(tg_params)); }

void tg_params_free(tg_params *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) {
        tg_tensor_free(p->items[i].t); /* frees its grad too */
        tg_free(p->items[i].name);
    }
    tg_free(p->items);
    tg_free(p);
}

tg_tensor *tg_params_add_at(tg_params *p, const char *name, int ndim, const int *shape,
                            tg_loc loc)
{
    if (!p) tg_contract_fail(loc, "tg_params_add", "the store is NULL");
    if (!name || !*name)
        tg_contract_fail(loc, "tg_params_add", "a parameter needs a non-empty name");
    if (tg_params_get(p, name))
        tg_contract_fail(loc, "tg_params_add", "a parameter named \"%s\" exists already",
                         name);
    p->items = tg_grow(p->items, p->n, &p->cap, 16, sizeof *p->items);
    size_t len = strlen(name) + 1;
    char *copy = tg_malloc(len);
    memcpy(copy, name, len);

    tg_tensor *t = tg_tensor_zeros(ndim, shape);
    t->grad = tg_calloc((size_t)t->size * sizeof(float));
    t->flags |= TG_REQUIRES_GRAD | TG_PARAM;
    t->name = copy;
    p->items[p->n++] = (entry){copy, t};
    return t;
}

tg_tensor *tg_params_get(const tg_params *p, const char *name)
{
    for (int i = 0; p && name && i < p->n; i++)
        if (strcmp(p->items[i].name, name) == 0) return p->items[i].t;
    return NULL;
}

int tg_params_count(const tg_params *p) { return p ? p->n : 0; }

tg_tensor *tg_params_at_at(const tg_params *p, int i, tg_loc loc)
{
    if (!p || i < 0 || i >= p->n)
        tg_contract_fail(loc, "tg_params_at", "index %d is outside 0..%d", i, p ? p->n - 1 : -1);
    return p->items[i].t;
}

/* The plain function under the public name (the parentheses keep the macro out). */
tg_tensor *(tg_params_at)(const tg_params *p, int i) { return tg_params_at_at(p, i, TG_HERE); }

int64_t tg_params_numel(const tg_params *p)
{
    int64_t n = 0;
    for (int i = 0; p && i < p->n; i++) n += p->items[i].t->size;
    return n;
}

void tg_params_zero_grad(tg_params *p)
{
    for (int i = 0; p && i < p->n; i++)
        memset(p->items[i].t->grad, 0, (size_t)p->items[i].t->size * sizeof(float));
}
