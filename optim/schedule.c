/* optim/schedule.c — learning-rate schedules: closed forms of PyTorch's StepLR,
 * ExponentialLR and CosineAnnealingLR, and ReduceLROnPlateau as a small value type.
 *
 * The closed forms are pure functions of the epoch, so a program may jump to any epoch
 * (resuming from a checkpoint) and get the same lr as an uninterrupted run.
 *
 * What this file deliberately is not: an object that owns or steps an optimizer. The
 * caller passes the returned lr to tg_optim_set_lr; nothing here allocates.
 */
#include "optim/internal.h"

#include <math.h>

static const double PI = 3.14159265358979323846;

static void check_lr0(tg_loc loc, const char *op, double lr0, int epoch)
{
    optim_need_nonneg(loc, op, "lr0", lr0);
    if (epoch < 0) tg_contract_fail(loc, op, "epoch must be >= 0 (got %d)", epoch);
}

double tg_lr_step_at(double lr0, int epoch, int step_size, double gamma, tg_loc loc)
{
    check_lr0(loc, "tg_lr_step", lr0, epoch);
    if (step_size < 1)
        tg_contract_fail(loc, "tg_lr_step", "step_size must be >= 1 (got %d)", step_size);
    optim_need_nonneg(loc, "tg_lr_step", "gamma", gamma);
    return lr0 * pow(gamma, (double)(epoch / step_size));
}

double tg_lr_exponential_at(double lr0, int epoch, double gamma, tg_loc loc)
{
    check_lr0(loc, "tg_lr_exponential", lr0, epoch);
    optim_need_nonneg(loc, "tg_lr_exponential", "gamma", gamma);
    return lr0 * pow(gamma, (double)epoch);
}

double tg_lr_cosine_at(double lr0, int epoch, int t_max, double eta_min, tg_loc loc)
{
    check_lr0(loc, "tg_lr_cosine", lr0, epoch);
    if (t_max < 1)
        tg_contract_fail(loc, "tg_lr_cosine", "t_max must be >= 1 (got %d)", t_max);
    optim_need_nonneg(loc, "tg_lr_cosine", "eta_min", eta_min);
    return eta_min + (lr0 - eta_min) * (1 + cos(PI * epoch / t_max)) / 2;
}

/* ---- ReduceLROnPlateau ------------------------------------------------------------- */

tg_plateau_opts tg_plateau_defaults(void)
{
    return (tg_plateau_opts){.maximize = false, .factor = 0.1, .patience = 10,
                             .threshold = 1e-4, .threshold_abs = false, .cooldown = 0,
                             .min_lr = 0, .eps = 1e-8};
}

tg_plateau tg_plateau_new_at(double lr, const tg_plateau_opts *opts, tg_loc loc)
{
    const char *op = "tg_plateau_new";
    tg_plateau_opts c = opts ? *opts : tg_plateau_defaults();
    optim_need_nonneg(loc, op, "lr", lr);
    if (!(c.factor >= 0 && c.factor < 1))
        tg_contract_fail(loc, op, "factor must be in [0, 1) (got %g)", c.factor);
    if (c.patience < 0 || c.cooldown < 0)
        tg_contract_fail(loc, op, "patience and cooldown must be >= 0 (got %d, %d)",
                         c.patience, c.cooldown);
    if (!(c.threshold >= 0) || !(c.min_lr >= 0) || !(c.eps >= 0))
        tg_contract_fail(loc, op, "threshold, min_lr and eps must be >= 0 (got %g, %g, %g)",
                         c.threshold, c.min_lr, c.eps);
    return (tg_plateau){.opts = c, .lr = lr, .best = c.maximize ? -INFINITY : INFINITY};
}

static bool improves(const tg_plateau *s, double metric)
{
    const tg_plateau_opts *c = &s->opts;
    if (c->maximize)
        return c->threshold_abs ? metric > s->best + c->threshold
                                : metric > s->best * (1 + c->threshold);
    return c->threshold_abs ? metric < s->best - c->threshold
                            : metric < s->best * (1 - c->threshold);
}

double tg_plateau_step_at(tg_plateau *s, double metric, tg_loc loc)
{
    if (!s) tg_contract_fail(loc, "tg_plateau_step", "the schedule is NULL");
    s->epoch++;
    if (improves(s, metric)) { /* a NaN metric never improves: it counts as bad */
        s->best = metric;
        s->bad_epochs = 0;
    } else {
        s->bad_epochs++;
    }
    if (s->cooldown_left > 0) { /* bad epochs in cooldown are forgiven */
        s->cooldown_left--;
        s->bad_epochs = 0;
    }
    if (s->bad_epochs > s->opts.patience) {
        double lower = fmax(s->lr * s->opts.factor, s->opts.min_lr);
        if (s->lr - lower > s->opts.eps) s->lr = lower;
        s->cooldown_left = s->opts.cooldown;
        s->bad_epochs = 0;
    }
    return s->lr;
}
