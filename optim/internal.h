/* optim/internal.h — what optim.c (the optimizer object), builtins.c (the built-in types)
 * and clip.c share. Not installed, not public. */
#ifndef TG_OPTIM_INTERNAL_H
#define TG_OPTIM_INTERNAL_H

#include "optim/optim.h"

/* A parameter the optimizers update and clipping measures: it has a gradient and wants
 * one (a frozen parameter has TG_REQUIRES_GRAD cleared). */
static inline bool optim_active(const tg_tensor *w)
{
    return w->grad && (w->flags & TG_REQUIRES_GRAD);
}

/* Contract check shared by constructors and schedules: v finite and >= 0, or a failure
 * naming op, the field and its value. */
void optim_need_nonneg(tg_loc loc, const char *op, const char *field, double v);

/* tg_optim_new with the public function's name for messages (the typed constructors). */
tg_optim *optim_make(tg_params *ps, const tg_optim_type *type, const void *opts,
                     const char *fn, tg_loc loc);

#endif /* TG_OPTIM_INTERNAL_H */
