/* autograd/internal.h — helpers shared by the built-in ops; not installed, not public.
 * User ops need only autograd/op.h. */
#ifndef TG_AUTOGRAD_INTERNAL_H
#define TG_AUTOGRAD_INTERNAL_H

#include "autograd/op.h"

/* Elementwise loops above this many elements are split across OpenMP threads. Below it,
 * waking threads costs more than the loop. A cell step's (64, 256) tensors are above it:
 * their loops run mostly from memory (backward reads what forward wrote long before), and
 * two threads finish them sooner even with the fork (1 << 15 was 5-7% slower per training
 * step on the benchmarks, 1 << 11 no better than this). Each thread writes its own
 * elements, so the bits do not depend on the thread count. */
#define TG_PAR_MIN ((int64_t)1 << 12)

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
