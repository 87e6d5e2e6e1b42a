/* plot/marks.c — the public functions that add marks to an axes: they check the
 * arguments, resolve the style against matplotlib's defaults, copy the data and append a
 * mark of the right type (mark_types.c draws them). Also numpy.histogram's counting.
 *
 * What this is not: drawing or layout. A failed call leaves the axes as they were (no
 * palette colour is used up).
 */
#include "plot/figure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

tg_plot_mark *tg_plot_add_mark(tg_axes *ax, const tg_plot_mark_type *type)
{
    ax->marks = tg_grow(ax->marks, ax->nmarks, &ax->cap, 4, sizeof *ax->marks);
    tg_plot_mark *m = &ax->marks[ax->nmarks++];
    memset(m, 0, sizeof *m);
    m->type = type;
    return m;
}

void tg_plot_mark_free(tg_plot_mark *m)
{
    tg_free(m->label);
    tg_free(m->x);
    tg_free(m->y);
    tg_free(m->z);
    tg_free(m->text);
    memset(m, 0, sizeof *m);
}

static double *copy_d(const double *v, int n)
{
    if (!v) return NULL;
    double *d = tg_malloc((size_t)n * sizeof(double));
    memcpy(d, v, (size_t)n * sizeof(double));
    return d;
}

/* Defaults a mark takes where the style leaves 0. */
typedef struct defaults {
    float alpha, linewidth, markersize;
    tg_marker marker;
    tg_linestyle linestyle;
    uint32_t color;        /* 0: the palette */
} defaults;

static tg_status check_style(const tg_style *s, const char *fn)
{
    if (!(s->alpha >= 0.0f && s->alpha <= 1.0f))
        return tg_fail(TG_ERR_ARG, "%s: alpha %g outside [0, 1]", fn, (double)s->alpha);
    if (!(s->linewidth >= 0.0f && s->linewidth <= 100.0f))
        return tg_fail(TG_ERR_ARG, "%s: linewidth %g pt outside [0, 100]", fn,
                       (double)s->linewidth);
    if (!(s->markersize >= 0.0f && s->markersize <= 200.0f))
        return tg_fail(TG_ERR_ARG, "%s: markersize %g pt outside [0, 200]", fn,
                       (double)s->markersize);
    if ((int)s->linestyle < 0 || s->linestyle > TG_LINE_NONE)
        return tg_fail(TG_ERR_ARG, "%s: linestyle %d is not a tg_linestyle", fn,
                       (int)s->linestyle);
    if ((int)s->marker < 0 || s->marker >= TG_MARKER_COUNT)
        return tg_fail(TG_ERR_ARG, "%s: marker %d is not a tg_marker", fn, (int)s->marker);
    return tg_plot_check_text(s->label, "the label", fn);
}

/* Appends a mark with the style resolved; the data are set by the caller. */
static tg_plot_mark *add_styled(tg_axes *ax, const tg_plot_mark_type *type,
                                const tg_style *s, defaults d)
{
    uint32_t color = s->color ? (s->color & 0xffffffu) : d.color ? d.color
                                                                 : tg_plot_next_color(ax);
    if (s->label && *s->label) {
        tg_axes *owner = ax->parent ? ax->parent : ax;
        int n = 0;
        for (const tg_axes *a = owner; a; a = a == owner ? owner->twin : NULL)
            for (int i = 0; i < a->nmarks; i++) n += a->marks[i].label[0] != '\0';
        if (n == TG_PLOT_MAX_LEGEND) /* this one is the first left out: say so once */
            tg_warn(TG_NOWHERE, "plot", "more than %d labelled marks in one axes: the legend "
                    "shows the first %d", TG_PLOT_MAX_LEGEND, TG_PLOT_MAX_LEGEND);
    }
    tg_plot_mark *m = tg_plot_add_mark(ax, type);
    m->label = tg_plot_strdup(s->label);
    m->color = color;
    m->alpha = s->alpha > 0.0f ? s->alpha : d.alpha;
    m->linewidth = s->linewidth > 0.0f ? s->linewidth : d.linewidth;
    m->linestyle = s->linestyle ? s->linestyle : d.linestyle;
    m->marker = s->marker ? s->marker : d.marker;
    m->markersize = s->markersize > 0.0f ? s->markersize : d.markersize;
    return m;
}

static bool any_finite(const double *x, const double *y, const double *z, int n)
{
    for (int i = 0; i < n; i++)
        if ((!x || isfinite(x[i])) && isfinite(y[i]) && (!z || isfinite(z[i]))) return true;
    return false;
}

/* The checks shared by the functions that take arrays. */
static tg_status check_data(const tg_axes *ax, const double *y, const double *z, bool need_z,
                            int n, const tg_style *s, const char *fn)
{
    const char *lab = s->label && *s->label ? s->label : "(no label)";
    if (!ax) return tg_fail(TG_ERR_ARG, "%s: axes is NULL", fn);
    if (!y || (need_z && !z))
        return tg_fail(TG_ERR_ARG, "%s: mark '%s': %s is NULL", fn, lab,
                       !y ? "y (the first data array)" : "the second data array");
    if (n <= 0) return tg_fail(TG_ERR_ARG, "%s: mark '%s' has %d points", fn, lab, n);
    return check_style(s, fn);
}

static const defaults line_defaults = {1.0f, 1.5f, 6.0f, TG_MARKER_NONE, TG_LINE_SOLID, 0};

/* A mark of arrays after the checks (the type says what z is); the new mark in *out (may
 * be NULL) when it was added. */
static tg_status add_xy(tg_axes *ax, const tg_plot_mark_type *type, const double *x,
                        const double *y, const double *z, int n, const tg_style *style,
                        defaults d, const char *fn, tg_plot_mark **out)
{
    tg_style s = style ? *style : (tg_style){0};
    tg_status st = check_data(ax, y, z, type->second != TG_PLOT_Z_NONE, n, &s, fn);
    if (st != TG_OK) return st;
    if (!any_finite(x, y, type->second == TG_PLOT_Z_BOUND ? z : NULL, n))
        return tg_fail(TG_ERR_NUMERIC, "%s: '%s' has no finite point (of %d)", fn,
                       s.label ? s.label : "", n);
    tg_plot_mark *m = add_styled(ax, type, &s, d);
    m->n = n;
    m->x = copy_d(x, n);
    m->y = copy_d(y, n);
    m->z = copy_d(z, n);
    if (out) *out = m;
    return TG_OK;
}

tg_status tg_axes_plot(tg_axes *ax, const double *x, const double *y, int n,
                       const tg_style *style)
{
    return add_xy(ax, &tg_plot_mark_line, x, y, NULL, n, style, line_defaults, "tg_axes_plot",
                  NULL);
}

tg_status tg_axes_plot_f(tg_axes *ax, const float *x, const float *y, int n,
                         const tg_style *style)
{
    if (!y || n <= 0) return tg_axes_plot(ax, NULL, NULL, n, style); /* its message */
    double *xd = x ? tg_malloc((size_t)n * sizeof(double)) : NULL;
    double *yd = tg_malloc((size_t)n * sizeof(double));
    for (int i = 0; i < n; i++) {
        if (xd) xd[i] = x[i];
        yd[i] = y[i];
    }
    tg_status st = add_xy(ax, &tg_plot_mark_line, xd, yd, NULL, n, style, line_defaults,
                          "tg_axes_plot_f", NULL);
    tg_free(xd);
    tg_free(yd);
    return st;
}

tg_status tg_axes_scatter(tg_axes *ax, const double *x, const double *y, int n,
                          const tg_style *style)
{
    defaults d = {1.0f, 1.0f, 5.0f, TG_MARKER_CIRCLE, TG_LINE_NONE, 0};
    return add_xy(ax, &tg_plot_mark_line, x, y, NULL, n, style, d, "tg_axes_scatter", NULL);
}

tg_status tg_axes_fill_between(tg_axes *ax, const double *x, const double *y1,
                               const double *y2, int n, const tg_style *style)
{
    defaults d = {0.25f, 0.0f, 6.0f, TG_MARKER_NONE, TG_LINE_SOLID, 0};
    return add_xy(ax, &tg_plot_mark_fill_between, x, y1, y2, n, style, d,
                  "tg_axes_fill_between", NULL);
}

tg_status tg_axes_errorbar(tg_axes *ax, const double *x, const double *y,
                           const double *yerr, int n, const tg_style *style)
{
    const char *fn = "tg_axes_errorbar";
    for (int i = 0; yerr && i < n; i++)
        if (yerr[i] < 0.0)
            return tg_fail(TG_ERR_ARG, "%s: yerr[%d] = %g is negative", fn, i, yerr[i]);
    defaults d = {1.0f, 1.5f, 6.0f, TG_MARKER_CIRCLE, TG_LINE_NONE, 0};
    return add_xy(ax, &tg_plot_mark_errorbar, x, y, yerr, n, style, d, fn, NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Bar width by default: 0.8 of the smallest gap between distinct finite x (sorted), or 0.8
 * (x == NULL: positions 0, 1, ..., a gap of 1). */
static double default_width(const double *x, int n)
{
    if (!x) return 0.8;
    double *v = tg_malloc((size_t)n * sizeof(double)), gap = INFINITY;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) v[m++] = x[i];
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    for (int i = 1; i < m; i++)
        if (v[i] > v[i - 1] && v[i] - v[i - 1] < gap) gap = v[i] - v[i - 1];
    tg_free(v);
    return isfinite(gap) ? 0.8 * gap : 0.8;
}

tg_status tg_axes_bar(tg_axes *ax, const double *x, const double *height, int n,
                      double width, const tg_style *style)
{
    const char *fn = "tg_axes_bar";
    if (!(width >= 0.0 && isfinite(width)))
        return tg_fail(TG_ERR_ARG, "%s: width %g is not finite and >= 0", fn, width);
    defaults d = {1.0f, 0.0f, 6.0f, TG_MARKER_NONE, TG_LINE_SOLID, 0};
    tg_plot_mark *m;
    tg_status st = add_xy(ax, &tg_plot_mark_bar, x, height, NULL, n, style, d, fn, &m);
    if (st == TG_OK) m->a = width > 0.0 ? width : default_width(x, n);
    return st;
}

long tg_plot_histogram(const double *values, int n, int bins, double lo, double hi,
                       long *counts, double *edges)
{
    if (!values || n < 0 || bins < 1 || !counts || !(isfinite(lo) && isfinite(hi) && lo < hi))
        return -1;
    for (int b = 0; b < bins; b++) counts[b] = 0;
    for (int b = 0; edges && b <= bins; b++)
        edges[b] = b == bins ? hi : lo + (hi - lo) * b / bins;
    long total = 0;
    for (int i = 0; i < n; i++) {
        double v = values[i];
        if (!(v >= lo && v <= hi)) continue;
        long b = (long)floor((v - lo) / (hi - lo) * bins);
        if (b >= bins) b = bins - 1; /* hi itself, and rounding at the top edge */
        if (b < 0) b = 0;
        counts[b]++;
        total++;
    }
    return total;
}

tg_status tg_axes_hist(tg_axes *ax, const double *values, int n, int bins, double lo,
                       double hi, const tg_style *style)
{
    const char *fn = "tg_axes_hist";
    if (!ax) return tg_fail(TG_ERR_ARG, "%s: axes is NULL", fn);
    if (!values) return tg_fail(TG_ERR_ARG, "%s: values is NULL", fn);
    if (n <= 0) return tg_fail(TG_ERR_ARG, "%s: %d values (at least 1)", fn, n);
    if (bins < 1 || bins > 100000)
        return tg_fail(TG_ERR_ARG, "%s: %d bins outside 1..100000", fn, bins);
    if (lo == 0.0 && hi == 0.0) {
        lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++)
            if (isfinite(values[i])) lo = fmin(lo, values[i]), hi = fmax(hi, values[i]);
        if (!isfinite(lo)) return tg_fail(TG_ERR_NUMERIC, "%s: no finite value", fn);
        if (lo == hi) lo -= 0.5, hi += 0.5; /* numpy's choice for a constant sample */
    }
    if (!(isfinite(lo) && isfinite(hi) && lo < hi))
        return tg_fail(TG_ERR_ARG, "%s: range [%g, %g] is not finite with lo < hi", fn, lo, hi);
    long *counts = tg_malloc((size_t)bins * sizeof(long));
    double *centre = tg_malloc((size_t)bins * sizeof(double));
    double *height = tg_malloc((size_t)bins * sizeof(double));
    tg_plot_histogram(values, n, bins, lo, hi, counts, NULL);
    for (int b = 0; b < bins; b++) {
        centre[b] = lo + (hi - lo) * (b + 0.5) / bins;
        height[b] = (double)counts[b];
    }
    defaults d = {1.0f, 0.0f, 6.0f, TG_MARKER_NONE, TG_LINE_SOLID, 0};
    tg_plot_mark *m;
    tg_status st = add_xy(ax, &tg_plot_mark_bar, centre, height, NULL, bins, style, d, fn, &m);
    if (st == TG_OK) m->a = (hi - lo) / bins;
    tg_free(counts);
    tg_free(centre);
    tg_free(height);
    return st;
}

/* Reference lines and spans: one or two scalars, no arrays. */
static tg_status add_ref(tg_axes *ax, const tg_plot_mark_type *type, double a, double b,
                         const tg_style *style, defaults d, const char *fn)
{
    tg_style s = style ? *style : (tg_style){0};
    if (!ax) return tg_fail(TG_ERR_ARG, "%s: axes is NULL", fn);
    if (!isfinite(a) || !isfinite(b))
        return tg_fail(TG_ERR_ARG, "%s: position %g, %g is not finite", fn, a, b);
    tg_status st = check_style(&s, fn);
    if (st != TG_OK) return st;
    tg_plot_mark *m = add_styled(ax, type, &s, d);
    m->a = fmin(a, b);
    m->b = fmax(a, b);
    return TG_OK;
}

tg_status tg_axes_axhline(tg_axes *ax, double y, const tg_style *style)
{
    defaults d = {1.0f, 1.0f, 6.0f, TG_MARKER_NONE, TG_LINE_SOLID, TG_PLOT_REFLINE};
    return add_ref(ax, &tg_plot_mark_axhline, y, y, style, d, "tg_axes_axhline");
}

tg_status tg_axes_axvline(tg_axes *ax, double x, const tg_style *style)
{
    defaults d = {1.0f, 1.0f, 6.0f, TG_MARKER_NONE, TG_LINE_SOLID, TG_PLOT_REFLINE};
    return add_ref(ax, &tg_plot_mark_axvline, x, x, style, d, "tg_axes_axvline");
}

tg_status tg_axes_axhspan(tg_axes *ax, double y0, double y1, const tg_style *style)
{
    defaults d = {0.25f, 0.0f, 6.0f, TG_MARKER_NONE, TG_LINE_SOLID, TG_PLOT_SPAN};
    return add_ref(ax, &tg_plot_mark_axhspan, y0, y1, style, d, "tg_axes_axhspan");
}

tg_status tg_axes_axvspan(tg_axes *ax, double x0, double x1, const tg_style *style)
{
    defaults d = {0.25f, 0.0f, 6.0f, TG_MARKER_NONE, TG_LINE_SOLID, TG_PLOT_SPAN};
    return add_ref(ax, &tg_plot_mark_axvspan, x0, x1, style, d, "tg_axes_axvspan");
}

tg_status tg_axes_text(tg_axes *ax, double x, double y, const char *text,
                       const tg_text_style *style)
{
    const char *fn = "tg_axes_text";
    tg_text_style ts = style ? *style : (tg_text_style){0};
    if (!ax) return tg_fail(TG_ERR_ARG, "%s: axes is NULL", fn);
    if (!text) return tg_fail(TG_ERR_ARG, "%s: text is NULL", fn);
    if (!isfinite(x) || !isfinite(y))
        return tg_fail(TG_ERR_ARG, "%s: position (%g, %g) is not finite", fn, x, y);
    tg_status st = tg_plot_check_text(text, "the text", fn);
    if (st != TG_OK) return st;
    if (!(ts.size >= 0.0f && ts.size <= 200.0f))
        return tg_fail(TG_ERR_ARG, "%s: size %g pt outside [0, 200]", fn, (double)ts.size);
    if ((int)ts.ha < 0 || ts.ha > TG_ALIGN_RIGHT)
        return tg_fail(TG_ERR_ARG, "%s: ha %d is not a tg_align", fn, (int)ts.ha);
    tg_plot_mark *m = tg_plot_add_mark(ax, &tg_plot_mark_text);
    m->label = tg_plot_strdup("");
    m->text = tg_plot_strdup(text);
    m->color = ts.color ? ts.color & 0xffffffu : TG_PLOT_INK;
    m->alpha = 1.0f;
    m->size = ts.size;
    m->ha = ts.ha;
    m->bold = ts.bold;
    m->a = x;
    m->b = y;
    return TG_OK;
}
