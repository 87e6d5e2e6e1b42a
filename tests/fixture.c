/* tests/fixture.c — the parity-fixture reader described in tests/fixture.h. */
#include "fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TG_FIXTURE_DIR
#error "TG_FIXTURE_DIR must name tests/fixtures (set by tests/meson.build)"
#endif

fixture *fx_load(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TG_FIXTURE_DIR, file);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "fixture: cannot open %s\n", path);
        return NULL;
    }
    fixture *f = calloc(1, sizeof *f);
    int cap = 0;
    char word[32];
    while (fscanf(fp, " %31s", word) == 1) {
        if (word[0] == '#') { /* comment: skip the rest of the line */
            int c;
            while ((c = fgetc(fp)) != EOF && c != '\n') {}
            continue;
        }
        fx_tensor t = {0};
        if (strcmp(word, "tensor") != 0 || fscanf(fp, " %95s %d", t.name, &t.ndim) != 2 ||
            t.ndim < 0 || t.ndim > TG_MAX_DIMS)
            goto bad;
        t.size = 1;
        for (int i = 0; i < t.ndim; i++) {
            if (fscanf(fp, " %d", &t.shape[i]) != 1 || t.shape[i] < 0) goto bad;
            t.size *= t.shape[i];
        }
        t.data = malloc((size_t)(t.size ? t.size : 1) * sizeof(double));
        for (int64_t i = 0; i < t.size; i++)
            if (fscanf(fp, " %lf", &t.data[i]) != 1) {
                free(t.data);
                goto bad;
            }
        if (f->n == cap) {
            cap = cap ? 2 * cap : 64;
            f->items = realloc(f->items, (size_t)cap * sizeof *f->items);
        }
        f->items[f->n++] = t;
    }
    fclose(fp);
    return f;
bad:
    fprintf(stderr, "fixture: %s is malformed near tensor %d\n", path, f->n);
    fclose(fp);
    fx_free(f);
    return NULL;
}

void fx_free(fixture *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->items[i].data);
    free(f->items);
    free(f);
}

const fx_tensor *fx_get(const fixture *f, const char *name)
{
    for (int i = 0; f && i < f->n; i++)
        if (strcmp(f->items[i].name, name) == 0) return &f->items[i];
    return NULL;
}

tg_tensor *fx_tensor_new(const fx_tensor *t)
{
    tg_tensor *x = tg_tensor_new(t->ndim, t->shape);
    for (int64_t i = 0; i < t->size; i++) x->data[i] = (float)t->data[i];
    return x;
}

void fx_copy_into(const fx_tensor *t, tg_tensor *dst)
{
    if (dst->size != t->size) {
        fprintf(stderr, "fixture: %s has %lld values, the tensor %lld\n", t->name,
                (long long)t->size, (long long)dst->size);
        abort();
    }
    for (int64_t i = 0; i < t->size; i++) dst->data[i] = (float)t->data[i];
}

double fx_rel_err(const float *got, const fx_tensor *want)
{
    double max_want = 0.0, max_diff = 0.0;
    for (int64_t i = 0; i < want->size; i++) {
        max_want = fmax(max_want, fabs(want->data[i]));
        double d = fabs((double)got[i] - want->data[i]);
        max_diff = isnan(d) ? INFINITY : fmax(max_diff, d);
    }
    return max_diff / fmax(max_want, 1e-12);
}
