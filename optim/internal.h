/* optim/internal.h — what optim.c (the optimizer object) and update.c (the per-formula
 * update loops) share. Not installed, not public.
 *
 * Each update function updates one parameter of n elements in place, given its gradient,
 * its state block (nbuf * n floats, zeroed when first allocated; the buffers follow one
 * another) and t, the 1-based count of steps this parameter has taken including this one.
 * They allocate nothing and do not look at the store.
 */
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

void optim_sgd_update(const tg_sgd_opts *o, double lr, int64_t t, float *p, const float *g,
                      float *state, int64_t n);
void optim_rmsprop_update(const tg_rmsprop_opts *o, double lr, float *p, const float *g,
                          float *state, int64_t n);
void optim_rmsprop_keras_update(const tg_rmsprop_keras_opts *o, double lr, float *p,
                                const float *g, float *state, int64_t n);
/* decoupled: AdamW (weight decay multiplies p first) rather than Adam's L2 term. */
void optim_adam_update(const tg_adam_opts *o, bool decoupled, double lr, int64_t t,
                       float *p, const float *g, float *state, int64_t n);
void optim_adam_keras_update(const tg_adam_keras_opts *o, double lr, int64_t t, float *p,
                             const float *g, float *state, int64_t n);
void optim_adagrad_update(const tg_adagrad_opts *o, double lr, int64_t t, float *p,
                          const float *g, float *state, int64_t n);

#endif /* TG_OPTIM_INTERNAL_H */
