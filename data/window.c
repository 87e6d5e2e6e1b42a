/* data/window.c — sliding windows over a series, train/test splits (chronological or a
 * seeded permutation) and the row gather both of them and the batcher use.
 *
 * Windows copy: X holds every window as its own rows (n * W * F_in floats), which is
 * what a batch gather and the recurrent layers want; for the data sets this library
 * targets (thousands of steps) the copy is small.
 *
 * What this file is not: a resampler, a date-aware splitter, or a cross-validation
 * toolkit (no k-fold, no walk-forward; a program loops over split points itself).
 */
#include "data/data.h"

#include <math.h>
#include <string.h>

/* ---- windows ------------------------------------------------------------------------- */

int tg_window_count(int n, int window, int horizon)
{
    int64_t k = (int64_t)n - window - horizon + 1;
    return k < INT32_MIN ? INT32_MIN : k > INT32_MAX ? INT32_MAX : (int)k;
}

/* Checks a feature list: TG_ERR_ARG when an index is out of [0, f). */
static tg_status check_features(const char *what, const int *idx, int n, int f)
{
    for (int k = 0; k < n; k++)
        if (idx[k] < 0 || idx[k] >= f)
            return tg_fail(TG_ERR_ARG, "tg_make_windows: %s feature %d is out of range: the "
                           "series has %d feature%s", what, idx[k], f, f == 1 ? "" : "s");
    return TG_OK;
}

tg_window_opts tg_window_defaults(void) { return (tg_window_opts){.window = 1, .horizon = 1}; }

tg_status tg_make_windows_at(const tg_tensor *series, const tg_window_opts *o, tg_tensor **X,
                             tg_tensor **y, tg_loc loc)
{
    if (!X || !y) tg_contract_fail(loc, "tg_make_windows", "X or y is NULL");
    *X = *y = NULL;
    if (!series || !o) tg_contract_fail(loc, "tg_make_windows", "series or opts is NULL");
    if (series->ndim != 1 && series->ndim != 2)
        tg_contract_fail(loc, "tg_make_windows", "series must be (N, F) or (N,), got rank %d",
                         series->ndim);
    if (o->ninputs < 0 || (o->ninputs > 0 && !o->inputs) || o->ntargets < 0 ||
        (o->ntargets > 0 && !o->targets))
        tg_contract_fail(loc, "tg_make_windows", "inputs/targets lists and counts disagree");
    int n = series->shape[0], f = series->ndim == 2 ? series->shape[1] : 1;
    int W = o->window, h = o->horizon;
    if (W < 1 || h < 1)
        return tg_fail(TG_ERR_ARG, "tg_make_windows: window (%d) and horizon (%d) must be >= 1",
                       W, h);
    if (f < 1) return tg_fail(TG_ERR_ARG, "tg_make_windows: the series has no features");
    int count = tg_window_count(n, W, h);
    if (count < 1)
        return tg_fail(TG_ERR_ARG, "tg_make_windows: a series of %d steps is too short for "
                       "window %d + horizon %d (needs at least %lld)",
                       n, W, h, (long long)W + h);
    int nin = o->inputs ? o->ninputs : f, nout = o->targets ? o->ntargets : f;
    if (nin < 1 || nout < 1)
        return tg_fail(TG_ERR_ARG, "tg_make_windows: no input or no target feature selected");
    tg_status st;
    if (o->inputs && (st = check_features("input", o->inputs, nin, f)) != TG_OK) return st;
    if (o->targets && (st = check_features("target", o->targets, nout, f)) != TG_OK) return st;

    tg_tensor *x = tg_tensor_new(TG_SHAPE(count, W, nin));
    tg_tensor *t = nout == 1 ? tg_tensor_new(TG_SHAPE(count, h))
                             : tg_tensor_new(TG_SHAPE(count, h, nout));
    const float *s = series->data;
    for (int i = 0; i < count; i++) {
        float *xi = x->data + (int64_t)i * W * nin;
        for (int step = 0; step < W; step++)
            for (int k = 0; k < nin; k++)
                xi[(int64_t)step * nin + k] =
                    s[(int64_t)(i + step) * f + (o->inputs ? o->inputs[k] : k)];
        float *yi = t->data + (int64_t)i * h * nout;
        for (int step = 0; step < h; step++)
            for (int k = 0; k < nout; k++)
                yi[(int64_t)step * nout + k] =
                    s[(int64_t)(i + W + step) * f + (o->targets ? o->targets[k] : k)];
    }
    *X = x;
    *y = t;
    return TG_OK;
}

/* ---- splits --------------------------------------------------------------------------- */

int tg_split_train_count(int n, double train_frac)
{
    double k = floor(train_frac * n + 1e-9);
    if (!(k >= 0)) return 0; /* negative, or NaN */
    return k > n ? n : (int)k;
}

tg_status tg_split_indices_at(int n, double train_frac, tg_split_mode mode, uint64_t seed,
                              int32_t *order, int *ntrain, tg_loc loc)
{
    if (!order || !ntrain) tg_contract_fail(loc, "tg_split_indices", "order or ntrain is NULL");
    if (mode != TG_SPLIT_CHRONO && mode != TG_SPLIT_RANDOM)
        tg_contract_fail(loc, "tg_split_indices", "unknown split mode %d", (int)mode);
    *ntrain = 0;
    int k = tg_split_train_count(n, train_frac);
    if (!(train_frac > 0.0 && train_frac < 1.0) || k < 1 || k > n - 1)
        return tg_fail(TG_ERR_ARG, "split: train fraction %g of %d samples leaves %d for "
                       "training and %d for testing; both need at least one", train_frac, n,
                       k, n - k);
    for (int i = 0; i < n; i++) order[i] = i;
    if (mode == TG_SPLIT_RANDOM) {
        tg_rng r;
        tg_rng_seed(&r, seed, 0);
        tg_rng_shuffle(&r, order, n);
    }
    *ntrain = k;
    return TG_OK;
}

/* A tensor shaped like src with `rows` rows. */
static tg_tensor *like_rows(const tg_tensor *src, int rows)
{
    int shape[TG_MAX_DIMS];
    memcpy(shape, src->shape, sizeof shape);
    shape[0] = rows;
    return tg_tensor_new(src->ndim, shape);
}

tg_status tg_train_test_split_at(const tg_tensor *X, const tg_tensor *y, double train_frac,
                                 tg_split_mode mode, uint64_t seed, tg_tensor **X_train,
                                 tg_tensor **X_test, tg_tensor **y_train, tg_tensor **y_test,
                                 tg_loc loc)
{
    const char *fn = "tg_train_test_split";
    if (!X || !X_train || !X_test) tg_contract_fail(loc, fn, "X or an X output is NULL");
    if (y && (!y_train || !y_test))
        tg_contract_fail(loc, fn, "y is given but y_train or y_test is NULL");
    *X_train = *X_test = NULL;
    if (y_train) *y_train = NULL;
    if (y_test) *y_test = NULL;
    if (X->ndim < 1) tg_contract_fail(loc, fn, "X must have a sample axis (rank >= 1)");
    if (y && (y->ndim < 1 || y->shape[0] != X->shape[0]))
        tg_contract_fail(loc, fn, "X has %d samples, y has %d", X->shape[0],
                         y->ndim < 1 ? 0 : y->shape[0]);
    int n = X->shape[0], ntrain;
    if (n < 2)
        return tg_fail(TG_ERR_ARG, "split: %d sample%s cannot be split in two", n,
                       n == 1 ? "" : "s");
    int32_t *order = tg_malloc((size_t)n * sizeof *order);
    tg_status st = tg_split_indices(n, train_frac, mode, seed, order, &ntrain);
    if (st == TG_OK) {
        *X_train = like_rows(X, ntrain);
        *X_test = like_rows(X, n - ntrain);
        tg_gather_rows(X, order, ntrain, *X_train);
        tg_gather_rows(X, order + ntrain, n - ntrain, *X_test);
        if (y) {
            *y_train = like_rows(y, ntrain);
            *y_test = like_rows(y, n - ntrain);
            tg_gather_rows(y, order, ntrain, *y_train);
            tg_gather_rows(y, order + ntrain, n - ntrain, *y_test);
        }
    }
    tg_free(order);
    return st;
}

/* ---- gather ----------------------------------------------------------------------------- */

void tg_gather_rows_at(const tg_tensor *src, const int32_t *idx, int count, tg_tensor *dst,
                       tg_loc loc)
{
    const char *fn = "tg_gather_rows";
    if (!src || !dst || (count > 0 && !idx))
        tg_contract_fail(loc, fn, "src, dst or idx is NULL");
    if (src->ndim < 1 || dst->ndim != src->ndim)
        tg_contract_fail(loc, fn, "src (rank %d) and dst (rank %d) need the same rank >= 1",
                         src->ndim, dst->ndim);
    for (int d = 1; d < src->ndim; d++)
        if (src->shape[d] != dst->shape[d])
            tg_contract_fail(loc, fn, "axis %d: src has %d, dst has %d", d, src->shape[d],
                             dst->shape[d]);
    if (count < 0 || count > dst->shape[0])
        tg_contract_fail(loc, fn, "%d rows do not fit in dst's %d", count, dst->shape[0]);
    int rows = src->shape[0];
    int64_t row = rows > 0 ? src->size / rows : 0;
    for (int k = 0; k < count; k++) {
        if (idx[k] < 0 || idx[k] >= rows)
            tg_contract_fail(loc, fn, "index %d (entry %d) is not in [0, %d)", idx[k], k,
                             rows);
        memmove(dst->data + (int64_t)k * row, src->data + (int64_t)idx[k] * row,
               (size_t)row * sizeof(float));
    }
}
