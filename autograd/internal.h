/* autograd/internal.h — helpers shared by the built-in ops; not installed, not public.
 * User ops need only autograd/op.h. */
#ifndef TG_AUTOGRAD_INTERNAL_H
#define TG_AUTOGRAD_INTERNAL_H

#include "autograd/op.h"

/* TG_PAR_MIN (tensor/tensor.h): the size from which elementwise loops use the threads. */

/* dst[i] += src[i] for a gradient region: the accumulation every op's backward ends in. */
static inline void tg__grad_add(float *dst, const float *src, int64_t n)
{
#pragma omp parallel for if (n > TG_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}

/* A slice [start, start + len) of x along an axis, as a walk: `outer` runs of len * inner
 * floats, run o starting at x + (o * n + start) * inner; shape is the slice's shape. */
typedef struct tg__slice_geom {
    int axis, outer, n, inner, start, len;
    int shape[TG_MAX_DIMS];
} tg__slice_geom;

/* Checks x, the axis and the range (contract failures name `op`) and fills the walk. */
tg__slice_geom tg__slice_check(const tg_tensor *x, int axis, int start, int len, const char *op,
                               tg_loc loc);
/* Stores the walk in a record's iarg: [0] outer, [1] n, [2] inner, [3] start. */
void tg__slice_record(tg_node *r, const tg__slice_geom *g);

/* A shape as text for messages: SHAPE(x) is valid for the enclosing statement only. */
typedef struct shape_text {
    char s[64];
} shape_text;
static inline shape_text tg__shape_text(const tg_tensor *x)
{
    shape_text t;
    tg_shape_str(x, t.s, sizeof t.s);
    return t;
}
#define SHAPE(x) (tg__shape_text(x).s)

/* Output shape of x with `axis` removed (or kept as 1). */
static inline int tg__drop_axis(const tg_tensor *x, int axis, bool keepdim, int *shape)
{
    int nd = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (i != axis)
            shape[nd++] = x->shape[i];
        else if (keepdim)
            shape[nd++] = 1;
    }
    return nd;
}

#endif /* TG_AUTOGRAD_INTERNAL_H */
