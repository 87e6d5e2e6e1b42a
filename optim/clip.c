/* optim/clip.c — gradient clipping over a whole parameter store: by global norm (as
 * torch.nn.utils.clip_grad_norm_) and by value (as clip_grad_value_).
 *
 * The global norm is summed in double in a fixed order: below a size threshold one pass,
 * above it 64 fixed parts (their bounds depend on the size only) summed in parallel and
 * then added in order, so the norm has the same bits at any thread count.
 *
 * What this file deliberately is not: a per-tensor clip, an infinity-norm or p-norm
 * clip, or an optimizer: it only rewrites grads and allocates nothing.
 */
#include "optim/internal.h"
#include "tensor/parallel.h" /* TG_PAR_OPTIM */

#include <math.h>

static double sum_squares(const float *g, int64_t n)
{
    if (n < TG_PAR_OPTIM) {
        double s = 0;
        for (int64_t i = 0; i < n; i++) s += (double)g[i] * g[i];
        return s;
    }
    enum { PARTS = 64 };
    double part[PARTS];
    TG_PAR_FOR(int, c, PARTS, true,
        int64_t lo = n * c / PARTS, hi = n * (c + 1) / PARTS;
        double s = 0;
        for (int64_t i = lo; i < hi; i++) s += (double)g[i] * g[i];
        part[c] = s;
    );
    double s = 0;
    for (int c = 0; c < PARTS; c++) s += part[c];
    return s;
}

/* The global norm of the store's gradients; on a non-finite norm, a TG_ERR_NUMERIC
 * message naming the first parameter whose gradient holds NaN or Inf. */
static tg_status global_norm(tg_params *ps, const char *op, double *total)
{
    int np = tg_params_count(ps);
    double sq = 0;
    const char *bad = NULL; /* the first parameter with a non-finite gradient */
    for (int i = 0; i < np; i++) {
        tg_tensor *w = tg_params_at(ps, i);
        if (!optim_active(w)) continue; /* frozen: left alone */
        double s = sum_squares(w->grad, w->size);
        if (!bad && !isfinite(s)) bad = w->name ? w->name : "(unnamed)";
        sq += s;
    }
    *total = sqrt(sq);
    if (!isfinite(*total))
        return tg_fail(TG_ERR_NUMERIC,
                       "%s: the gradient norm is %g (the gradient of \"%s\" holds NaN or "
                       "Inf); gradients left unscaled",
                       op, *total, bad ? bad : "?");
    return TG_OK;
}

tg_status tg_grad_norm_at(tg_params *ps, double *total_norm, tg_loc loc)
{
    if (!ps) tg_contract_fail(loc, "tg_grad_norm", "the parameter store is NULL");
    double total;
    tg_status st = global_norm(ps, "tg_grad_norm", &total);
    if (total_norm) *total_norm = total;
    return st;
}

tg_status tg_clip_grad_norm_at(tg_params *ps, double max_norm, double *total_norm,
                               tg_loc loc)
{
    const char *op = "tg_clip_grad_norm";
    if (!ps) tg_contract_fail(loc, op, "the parameter store is NULL");
    if (!(max_norm > 0)) /* +inf is fine: it reads the norm and scales nothing (PyTorch) */
        tg_contract_fail(loc, op, "max_norm must be > 0 (got %g)", max_norm);
    double total;
    tg_status st = global_norm(ps, op, &total);
    if (total_norm) *total_norm = total;
    if (st != TG_OK) return st;
    double coef = max_norm / (total + 1e-6);
    if (coef >= 1) return TG_OK;
    const float c = (float)coef;
    for (int i = 0; i < tg_params_count(ps); i++) {
        tg_tensor *w = tg_params_at(ps, i);
        if (!optim_active(w)) continue;
        float *g = w->grad;
        int64_t n = w->size;
        TG_PAR_FOR(int64_t, j, n, n >= TG_PAR_OPTIM, g[j] *= c);
    }
    return TG_OK;
}

void tg_clip_grad_value_at(tg_params *ps, double clip_value, tg_loc loc)
{
    const char *op = "tg_clip_grad_value";
    if (!ps) tg_contract_fail(loc, op, "the parameter store is NULL");
    if (!(clip_value >= 0))
        tg_contract_fail(loc, op, "clip_value must be >= 0 (got %g)", clip_value);
    const float hi = (float)clip_value, lo = -hi;
    for (int i = 0; i < tg_params_count(ps); i++) {
        tg_tensor *w = tg_params_at(ps, i);
        if (!optim_active(w)) continue;
        float *g = w->grad;
        int64_t n = w->size;
        /* comparisons, so a NaN passes through */
        TG_PAR_FOR(int64_t, j, n, n >= TG_PAR_OPTIM, g[j] = g[j] > hi ? hi : g[j] < lo ? lo : g[j]);
    }
}
