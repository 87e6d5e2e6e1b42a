/* data/scale.c — MinMax and standard scalers: fit per feature on a range of rows,
 * transform and inverse_transform, in place or into another buffer.
 *
 * Formulas are scikit-learn's (MinMaxScaler, StandardScaler with ddof 0), including its
 * rule for a constant feature: the range (or std) is taken as 1 instead of dividing by
 * zero. Statistics and the arithmetic of every element are in double; results are
 * rounded to float once.
 *
 * What this file is not: a general preprocessing library (no robust or power scalers,
 * no partial_fit, no NaN-aware statistics: fitting on a NaN is an error).
 */
#include "data/data.h"

#include <math.h>
#include <string.h>

tg_scaler tg_scaler_minmax(float a, float b)
{
    return (tg_scaler){.kind = TG_SCALER_MINMAX, .a = a, .b = b};
}

tg_scaler tg_scaler_standard(void) { return (tg_scaler){.kind = TG_SCALER_STANDARD}; }

void tg_scaler_free(tg_scaler *s)
{
    if (!s) return;
    tg_free(s->min);
    tg_free(s->max);
    tg_free(s->mean);
    tg_free(s->std);
    s->min = s->max = s->mean = s->std = NULL;
    s->nfeat = 0;
}

/* Rows and features of x as the scalers see it: (N,) is N rows of one feature. */
static void rows_features(const tg_tensor *x, int *rows, int *feat)
{
    *rows = x->ndim >= 1 ? x->shape[0] : 1;
    *feat = x->ndim == 2 ? x->shape[1] : 1;
}

tg_status tg_scaler_fit_at(tg_scaler *s, const tg_tensor *x, int row_begin, int row_end,
                           tg_loc loc)
{
    if (!s || !x) tg_contract_fail(loc, "tg_scaler_fit", "scaler or x is NULL");
    if (s->kind != TG_SCALER_MINMAX && s->kind != TG_SCALER_STANDARD)
        tg_contract_fail(loc, "tg_scaler_fit", "unknown scaler kind %d (make it with "
                         "tg_scaler_minmax or tg_scaler_standard)", (int)s->kind);
    if (x->ndim != 1 && x->ndim != 2)
        tg_contract_fail(loc, "tg_scaler_fit", "x must be (N, F) or (N,), got rank %d",
                         x->ndim);
    int n, f;
    rows_features(x, &n, &f);
    if (row_begin < 0 || row_end > n || row_begin > row_end)
        tg_contract_fail(loc, "tg_scaler_fit", "rows [%d, %d) are not within [0, %d)",
                         row_begin, row_end, n);
    if (row_begin == row_end)
        return tg_fail(TG_ERR_ARG, "tg_scaler_fit: no rows to fit on ([%d, %d) is empty)",
                       row_begin, row_end);
    if (f < 1) return tg_fail(TG_ERR_ARG, "tg_scaler_fit: x has no features");
    if (s->kind == TG_SCALER_MINMAX && !(s->a < s->b && isfinite(s->a) && isfinite(s->b)))
        return tg_fail(TG_ERR_ARG, "tg_scaler_fit: MinMax range [%g, %g] needs a < b", s->a,
                       s->b);
    for (int i = row_begin; i < row_end; i++)
        for (int j = 0; j < f; j++)
            if (!isfinite(x->data[(int64_t)i * f + j]))
                return tg_fail(TG_ERR_NUMERIC,
                               "tg_scaler_fit: row %d, feature %d is %g; scalers need finite "
                               "values", i, j, (double)x->data[(int64_t)i * f + j]);

    tg_scaler_free(s);
    double *p = tg_calloc((size_t)f * sizeof(double));
    double *q = tg_calloc((size_t)f * sizeof(double));
    int count = row_end - row_begin;
    for (int j = 0; j < f; j++) {
        const float *col = x->data + (int64_t)row_begin * f + j;
        if (s->kind == TG_SCALER_MINMAX) {
            double lo = col[0], hi = col[0];
            for (int i = 1; i < count; i++) {
                double v = col[(int64_t)i * f];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            p[j] = lo, q[j] = hi;
        } else {
            double sum = 0.0, sq = 0.0;
            for (int i = 0; i < count; i++) sum += col[(int64_t)i * f];
            double mean = sum / count;
            for (int i = 0; i < count; i++) {
                double d = col[(int64_t)i * f] - mean;
                sq += d * d;
            }
            p[j] = mean, q[j] = sqrt(sq / count);
        }
    }
    if (s->kind == TG_SCALER_MINMAX)
        s->min = p, s->max = q;
    else
        s->mean = p, s->std = q;
    s->nfeat = f;
    return TG_OK;
}

/* y = (x - c) / d * m + a and x = (y - a) / m * d + c, with d and m never 0. */
typedef struct affine {
    double c, d, m, a;
} affine;

static affine feature_affine(const tg_scaler *s, int j)
{
    if (s->kind == TG_SCALER_MINMAX) {
        double range = s->max[j] - s->min[j];
        if (range == 0.0) range = 1.0; /* constant feature: sklearn's rule */
        return (affine){s->min[j], range, s->b - s->a, s->a};
    }
    double std = s->std[j] == 0.0 ? 1.0 : s->std[j];
    return (affine){s->mean[j], std, 1.0, 0.0};
}

static void check_fitted(const tg_scaler *s, const char *fn, tg_loc loc)
{
    if (!s) tg_contract_fail(loc, fn, "scaler is NULL");
    if (s->nfeat < 1) tg_contract_fail(loc, fn, "the scaler is not fitted");
}

/* Applies the scaler to n elements laid out as (n / stride, stride), feature j at
 * column j, or all of feature `only` when only >= 0. */
static void apply(const tg_scaler *s, const float *x, float *out, int64_t n, int stride,
                  int only, bool inverse)
{
    for (int j = 0; j < stride; j++) {
        affine t = feature_affine(s, only >= 0 ? only : j);
        for (int64_t i = j; i < n; i += stride)
            out[i] = inverse ? (float)((x[i] - t.a) / t.m * t.d + t.c)
                             : (float)((x[i] - t.c) / t.d * t.m + t.a);
    }
}

static void transform(const tg_scaler *s, const tg_tensor *x, tg_tensor *out, bool inverse,
                      const char *fn, tg_loc loc)
{
    check_fitted(s, fn, loc);
    if (!x || !out) tg_contract_fail(loc, fn, "x or out is NULL");
    if (out->size != x->size)
        tg_contract_fail(loc, fn, "out has %lld elements, x has %lld",
                         (long long)out->size, (long long)x->size);
    if (s->nfeat == 1) {
        apply(s, x->data, out->data, x->size, 1, 0, inverse);
        return;
    }
    int last = x->ndim > 0 ? x->shape[x->ndim - 1] : 1;
    if (last != s->nfeat)
        tg_contract_fail(loc, fn, "x's last axis has %d entries, the scaler has %d "
                         "features (use tg_scaler_%s_feature for one feature)",
                         last, s->nfeat, inverse ? "inverse" : "transform");
    apply(s, x->data, out->data, x->size, s->nfeat, -1, inverse);
}

void tg_scaler_transform_at(const tg_scaler *s, const tg_tensor *x, tg_tensor *out, tg_loc loc)
{
    transform(s, x, out, false, "tg_scaler_transform", loc);
}

void tg_scaler_inverse_transform_at(const tg_scaler *s, const tg_tensor *x, tg_tensor *out,
                                    tg_loc loc)
{
    transform(s, x, out, true, "tg_scaler_inverse_transform", loc);
}

static void one_feature(const tg_scaler *s, int feature, const float *x, float *out,
                        int64_t n, bool inverse, const char *fn, tg_loc loc)
{
    check_fitted(s, fn, loc);
    if (feature < 0 || feature >= s->nfeat)
        tg_contract_fail(loc, fn, "feature %d is not in [0, %d)", feature, s->nfeat);
    if (n < 0 || (n > 0 && (!x || !out)))
        tg_contract_fail(loc, fn, "bad buffer (n = %lld)", (long long)n);
    apply(s, x, out, n, 1, feature, inverse);
}

void tg_scaler_transform_feature_at(const tg_scaler *s, int feature, const float *x, float *out,
                                    int64_t n, tg_loc loc)
{
    one_feature(s, feature, x, out, n, false, "tg_scaler_transform_feature", loc);
}

void tg_scaler_inverse_feature_at(const tg_scaler *s, int feature, const float *x, float *out,
                                  int64_t n, tg_loc loc)
{
    one_feature(s, feature, x, out, n, true, "tg_scaler_inverse_feature", loc);
}
