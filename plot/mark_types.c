/* plot/mark_types.c — the table of mark types: for each kind of mark (line, scatter,
 * band, bars, error bars, reference lines, spans, text) what it adds to the axis ranges,
 * how it draws itself through a renderer, its legend swatch and the pixel points the
 * legend should avoid.
 *
 * Sizes follow matplotlib's rcParams: dash patterns scale with the line width
 * (lines.scale_dashes), error-bar caps are 2.5 pt to each side, marker outlines of + and x
 * are 1 pt. Everything is in data units until a tg_plot_view maps it to pixels.
 *
 * What this is not: argument checking (marks.c) or layout (draw.c).
 */
#include "plot/figure.h"

#include <math.h>
#include <string.h>

/* ---- shared --------------------------------------------------------------------------- */

int tg_plot_dashes(tg_linestyle ls, double lw_px, double pt, float *out)
{
    /* matplotlib's lines.*_pattern in units of the line width. */
    static const float dashed[] = {3.7f, 1.6f}, dotted[] = {1.0f, 1.65f},
                       dashdot[] = {6.4f, 1.6f, 1.0f, 1.6f};
    const float *p = NULL;
    int n = 0;
    if (ls == TG_LINE_DASHED) p = dashed, n = 2;
    if (ls == TG_LINE_DOTTED) p = dotted, n = 2;
    if (ls == TG_LINE_DASHDOT) p = dashdot, n = 4;
    double unit = fmax(lw_px, 0.5 * pt); /* hairlines still get visible gaps */
    for (int i = 0; i < n; i++) out[i] = (float)(p[i] * unit); /* butt-ended dashes */
    return n;
}

tg_plot_gc tg_plot_mark_gc(const tg_plot_mark *m, const tg_plot_view *v)
{
    tg_plot_gc gc = v->clip;
    gc.color = m->color;
    gc.alpha = m->alpha;
    gc.linewidth = (float)(m->linewidth * v->pt);
    gc.ndashes = tg_plot_dashes(m->linestyle, gc.linewidth, v->pt, gc.dashes);
    return gc;
}

static double mx(const tg_plot_mark *m, int i) { return m->x ? m->x[i] : (double)i; }

/* The mark's points in px into a new array (2n doubles); missing points are NaN. */
static double *map_points(const tg_plot_mark *m, const double *y, const tg_plot_view *v)
{
    double *xy = tg_malloc((size_t)(2 * m->n) * sizeof(double));
    for (int i = 0; i < m->n; i++) {
        double px = tg_plot_view_x(v, mx(m, i)), py = tg_plot_view_y(v, y[i]);
        bool ok = isfinite(px) && isfinite(py);
        xy[2 * i] = ok ? px : NAN;
        xy[2 * i + 1] = ok ? py : NAN;
    }
    return xy;
}

static void draw_markers(const tg_plot_mark *m, const tg_plot_view *v,
                         const tg_plot_renderer *r, const double *xy, int n)
{
    if (m->marker == TG_MARKER_NONE) return;
    tg_plot_gc gc = tg_plot_mark_gc(m, v);
    gc.ndashes = 0;
    gc.linewidth = (float)fmax(1.0, v->pt);
    r->markers(r->ctx, &gc, m->marker, m->markersize * v->pt, xy, n);
}

static void rect_ring(double *xy, double x0, double y0, double x1, double y1)
{
    double p[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    memcpy(xy, p, sizeof p);
}

/* Sample points along a px polyline (NaN breaks), every 3 px, for the legend. */
static void hit_polyline(const double *xy, int n, void (*hit)(void *, double, double),
                         void *ctx)
{
    bool have = false;
    double qx = 0, qy = 0;
    for (int i = 0; i < n; i++) {
        double px = xy[2 * i], py = xy[2 * i + 1];
        if (!isfinite(px)) {
            have = false;
            continue;
        }
        int steps = have ? (int)fmin(200.0, ceil(hypot(px - qx, py - qy) / 3.0)) : 1;
        if (steps < 1) steps = 1;
        for (int j = 1; j <= steps; j++) {
            double t = (double)j / steps;
            hit(ctx, have ? qx + (px - qx) * t : px, have ? qy + (py - qy) * t : py);
        }
        qx = px, qy = py, have = true;
    }
}

/* ---- line and scatter ------------------------------------------------------------------ */

static void xy_extent(const tg_plot_mark *m, tg_plot_extent *e)
{
    for (int i = 0; i < m->n; i++) tg_plot_extent_xy(e, mx(m, i), m->y[i]);
}

static void line_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r)
{
    double *xy = map_points(m, m->y, v);
    if (m->linestyle != TG_LINE_NONE) {
        tg_plot_gc gc = tg_plot_mark_gc(m, v);
        r->polyline(r->ctx, &gc, xy, m->n);
    }
    draw_markers(m, v, r, xy, m->n);
    tg_free(xy);
}

static void line_swatch(const tg_plot_mark *m, const tg_plot_view *v,
                        const tg_plot_renderer *r, double x0, double y0, double x1, double y1)
{
    double ym = 0.5 * (y0 + y1);
    if (m->linestyle != TG_LINE_NONE) {
        tg_plot_gc gc = tg_plot_mark_gc(m, v);
        gc.has_clip = false;
        double lw = gc.linewidth;
        double xy[4] = {x0 + 0.5 * lw, ym, x1 - 0.5 * lw, ym};
        r->polyline(r->ctx, &gc, xy, 2);
    }
    if (m->marker != TG_MARKER_NONE) {
        tg_plot_view u = *v;
        u.clip.has_clip = false;
        double c[2] = {0.5 * (x0 + x1), ym};
        draw_markers(m, &u, r, c, 1);
    }
}

static void line_points(const tg_plot_mark *m, const tg_plot_view *v,
                        void (*hit)(void *, double, double), void *ctx)
{
    double *xy = map_points(m, m->y, v);
    if (m->linestyle != TG_LINE_NONE) {
        hit_polyline(xy, m->n, hit, ctx);
    } else {
        for (int i = 0; i < m->n; i++)
            if (isfinite(xy[2 * i])) hit(ctx, xy[2 * i], xy[2 * i + 1]);
    }
    tg_free(xy);
}

const tg_plot_mark_type tg_plot_mark_line = {"line", 2, TG_PLOT_Z_NONE, xy_extent, line_draw, line_swatch,
                                             line_points};

/* ---- fill_between ------------------------------------------------------------------------ */

static void band_extent(const tg_plot_mark *m, tg_plot_extent *e)
{
    for (int i = 0; i < m->n; i++)
        if (isfinite(m->y[i]) && isfinite(m->z[i])) {
            tg_plot_extent_xy(e, mx(m, i), m->y[i]);
            tg_plot_extent_xy(e, mx(m, i), m->z[i]);
        }
}

static void band_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r)
{
    /* Each run of complete points becomes one ring: along y1, back along y2. */
    double *xy = tg_malloc((size_t)(4 * m->n + 2 * (m->n + 1)) * sizeof(double));
    int k = 0;
    for (int i = 0; i < m->n;) {
        int j = i;
        while (j < m->n && isfinite(tg_plot_view_x(v, mx(m, j))) &&
               isfinite(tg_plot_view_y(v, m->y[j])) && isfinite(tg_plot_view_y(v, m->z[j])))
            j++;
        if (j > i) {
            if (k > 0) xy[k++] = NAN, xy[k++] = NAN;
            for (int t = i; t < j; t++)
                xy[k++] = tg_plot_view_x(v, mx(m, t)), xy[k++] = tg_plot_view_y(v, m->y[t]);
            for (int t = j - 1; t >= i; t--)
                xy[k++] = tg_plot_view_x(v, mx(m, t)), xy[k++] = tg_plot_view_y(v, m->z[t]);
        }
        i = j + 1;
    }
    tg_plot_gc gc = tg_plot_mark_gc(m, v);
    if (k > 0) r->polygon(r->ctx, &gc, xy, k / 2);
    tg_free(xy);
}

static void patch_swatch(const tg_plot_mark *m, const tg_plot_view *v,
                         const tg_plot_renderer *r, double x0, double y0, double x1, double y1)
{
    tg_plot_gc gc = tg_plot_mark_gc(m, v);
    gc.has_clip = false;
    double xy[8];
    rect_ring(xy, x0, y0, x1, y1);
    r->polygon(r->ctx, &gc, xy, 4);
}

static void band_points(const tg_plot_mark *m, const tg_plot_view *v,
                        void (*hit)(void *, double, double), void *ctx)
{
    double *a = map_points(m, m->y, v), *b = map_points(m, m->z, v);
    hit_polyline(a, m->n, hit, ctx);
    hit_polyline(b, m->n, hit, ctx);
    tg_free(a);
    tg_free(b);
}

const tg_plot_mark_type tg_plot_mark_fill_between = {"fill_between", 1, TG_PLOT_Z_BOUND, band_extent,
                                                     band_draw, patch_swatch, band_points};

/* ---- bars ------------------------------------------------------------------------------- */

static void bar_extent(const tg_plot_mark *m, tg_plot_extent *e)
{
    for (int i = 0; i < m->n; i++) {
        double x = mx(m, i);
        if (!isfinite(x) || !isfinite(m->y[i])) continue;
        tg_plot_extent_xy(e, x - 0.5 * m->a, m->y[i]);
        tg_plot_extent_xy(e, x + 0.5 * m->a, m->y[i]);
        if (!e->ylog) tg_plot_extent_xy(e, x, 0.0);
    }
    e->y_sticky_zero = true;
}

/* The bottom of a bar in px: y = 0, or below the axes on a log axis. */
static double bar_base(const tg_plot_view *v)
{
    return v->ylog ? v->y1 + 2.0 : tg_plot_view_y(v, 0.0);
}

static void bar_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r)
{
    double *xy = tg_malloc((size_t)(10 * m->n) * sizeof(double));
    int k = 0;
    double base = bar_base(v);
    for (int i = 0; i < m->n; i++) {
        double xa = tg_plot_view_x(v, mx(m, i) - 0.5 * m->a);
        double xb = tg_plot_view_x(v, mx(m, i) + 0.5 * m->a);
        double top = tg_plot_view_y(v, m->y[i]);
        if (!isfinite(xa) || !isfinite(xb) || !isfinite(top) || !isfinite(base)) continue;
        if (k > 0) xy[k++] = NAN, xy[k++] = NAN;
        rect_ring(xy + k, xa, top, xb, base);
        k += 8;
    }
    tg_plot_gc gc = tg_plot_mark_gc(m, v);
    if (k > 0) r->polygon(r->ctx, &gc, xy, k / 2);
    tg_free(xy);
}

static void bar_points(const tg_plot_mark *m, const tg_plot_view *v,
                       void (*hit)(void *, double, double), void *ctx)
{
    double base = bar_base(v);
    for (int i = 0; i < m->n; i++) {
        double xa = tg_plot_view_x(v, mx(m, i) - 0.5 * m->a);
        double xb = tg_plot_view_x(v, mx(m, i) + 0.5 * m->a);
        double top = tg_plot_view_y(v, m->y[i]);
        if (!isfinite(xa) || !isfinite(xb) || !isfinite(top)) continue;
        for (double y = fmin(top, base); y <= fmax(top, base); y += 6.0)
            for (double x = xa; x <= xb; x += 6.0) hit(ctx, x, y);
    }
}

const tg_plot_mark_type tg_plot_mark_bar = {"bar", 1, TG_PLOT_Z_NONE, bar_extent, bar_draw, patch_swatch,
                                            bar_points};

/* ---- error bars ------------------------------------------------------------------------- */

static void err_extent(const tg_plot_mark *m, tg_plot_extent *e)
{
    for (int i = 0; i < m->n; i++) {
        double x = mx(m, i), y = m->y[i], d = m->z[i];
        tg_plot_extent_xy(e, x, y);
        if (isfinite(d) && isfinite(y)) {
            tg_plot_extent_xy(e, x, y - d);
            tg_plot_extent_xy(e, x, y + d);
        }
    }
}

static void err_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r)
{
    double *xy = tg_malloc((size_t)(18 * m->n) * sizeof(double)), cap = 2.5 * v->pt;
    int k = 0;
    for (int i = 0; i < m->n; i++) {
        double px = tg_plot_view_x(v, mx(m, i)), d = m->z[i];
        double ya = tg_plot_view_y(v, m->y[i] - d), yb = tg_plot_view_y(v, m->y[i] + d);
        if (!isfinite(px) || !isfinite(ya) || !isfinite(yb)) continue;
        double seg[18] = {px, ya, px, yb, NAN, NAN, px - cap, ya, px + cap, ya,
                          NAN, NAN, px - cap, yb, px + cap, yb, NAN, NAN};
        memcpy(xy + k, seg, sizeof seg);
        k += 18;
    }
    tg_plot_gc gc = tg_plot_mark_gc(m, v);
    gc.ndashes = 0;
    if (k > 0) r->polyline(r->ctx, &gc, xy, k / 2);
    tg_free(xy);
    double *pts = map_points(m, m->y, v);
    draw_markers(m, v, r, pts, m->n);
    tg_free(pts);
}

static void err_swatch(const tg_plot_mark *m, const tg_plot_view *v,
                       const tg_plot_renderer *r, double x0, double y0, double x1, double y1)
{
    tg_plot_gc gc = tg_plot_mark_gc(m, v);
    gc.has_clip = false;
    gc.ndashes = 0;
    double xc = 0.5 * (x0 + x1), xy[4] = {xc, y0 - 2.0, xc, y1 + 2.0};
    r->polyline(r->ctx, &gc, xy, 2);
    line_swatch(m, v, r, xc, y0, xc, y1);
}

const tg_plot_mark_type tg_plot_mark_errorbar = {"errorbar", 2, TG_PLOT_Z_SPREAD, err_extent, err_draw,
                                                 err_swatch, line_points};

/* ---- reference lines and spans ---------------------------------------------------------- */

static void hline_extent(const tg_plot_mark *m, tg_plot_extent *e) { tg_plot_extent_y(e, m->a); }
static void vline_extent(const tg_plot_mark *m, tg_plot_extent *e) { tg_plot_extent_x(e, m->a); }
static void hspan_extent(const tg_plot_mark *m, tg_plot_extent *e)
{
    tg_plot_extent_y(e, m->a);
    tg_plot_extent_y(e, m->b);
}
static void vspan_extent(const tg_plot_mark *m, tg_plot_extent *e)
{
    tg_plot_extent_x(e, m->a);
    tg_plot_extent_x(e, m->b);
}

/* A crisp line at a px position: on the pixel centre for odd widths, a pixel edge for
 * even ones, so it covers whole pixels. */
static double snap(double p, double w)
{
    long iw = lround(fmax(1.0, w));
    return iw % 2 ? floor(p) + 0.5 : floor(p + 0.5);
}

static void ref_line(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r,
                     bool horizontal)
{
    tg_plot_gc gc = tg_plot_mark_gc(m, v);
    double p = horizontal ? tg_plot_view_y(v, m->a) : tg_plot_view_x(v, m->a);
    if (!isfinite(p)) return;
    gc.crisp = gc.ndashes == 0;
    if (gc.crisp) p = snap(p, gc.linewidth);
    double xy[4] = {v->x0, p, v->x1, p};
    if (!horizontal) xy[0] = p, xy[1] = v->y0, xy[2] = p, xy[3] = v->y1;
    r->polyline(r->ctx, &gc, xy, 2);
}

static void hline_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r)
{
    ref_line(m, v, r, true);
}

static void vline_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r)
{
    ref_line(m, v, r, false);
}

static void span_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r,
                      bool horizontal)
{
    double a, b, xy[8];
    if (horizontal) {
        a = tg_plot_view_y(v, m->a), b = tg_plot_view_y(v, m->b);
        if (v->ylog && !(m->a > 0.0)) a = v->y1 + 2.0; /* a span from 0 on a log axis */
    } else {
        a = tg_plot_view_x(v, m->a), b = tg_plot_view_x(v, m->b);
        if (v->xlog && !(m->a > 0.0)) a = v->x0 - 2.0;
    }
    if (!isfinite(a) || !isfinite(b)) return;
    if (horizontal)
        rect_ring(xy, v->x0, a, v->x1, b);
    else
        rect_ring(xy, a, v->y0, b, v->y1);
    tg_plot_gc gc = tg_plot_mark_gc(m, v);
    r->polygon(r->ctx, &gc, xy, 4);
}

static void hspan_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r)
{
    span_draw(m, v, r, true);
}

static void vspan_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r)
{
    span_draw(m, v, r, false);
}

const tg_plot_mark_type tg_plot_mark_axhline = {"axhline", 2, TG_PLOT_Z_NONE, hline_extent, hline_draw,
                                                line_swatch, NULL};
const tg_plot_mark_type tg_plot_mark_axvline = {"axvline", 2, TG_PLOT_Z_NONE, vline_extent, vline_draw,
                                                line_swatch, NULL};
const tg_plot_mark_type tg_plot_mark_axhspan = {"axhspan", 1, TG_PLOT_Z_NONE, hspan_extent, hspan_draw,
                                                patch_swatch, NULL};
const tg_plot_mark_type tg_plot_mark_axvspan = {"axvspan", 1, TG_PLOT_Z_NONE, vspan_extent, vspan_draw,
                                                patch_swatch, NULL};

/* ---- text ------------------------------------------------------------------------------- */

static void text_extent(const tg_plot_mark *m, tg_plot_extent *e)
{
    (void)m, (void)e; /* matplotlib does not grow the axes for text either */
}

static void text_draw(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r)
{
    double px = tg_plot_view_x(v, m->a), py = tg_plot_view_y(v, m->b);
    if (!isfinite(px) || !isfinite(py)) return;
    tg_plot_gc gc = v->clip;
    gc.has_clip = false; /* text may leave the axes, as matplotlib's does by default */
    gc.color = m->color;
    gc.alpha = m->alpha;
    double size = m->size > 0.0f ? m->size * v->pt : v->font;
    r->text(r->ctx, &gc, m->text, px, py, size, m->bold, (tg_plot_halign)m->ha, false);
}

const tg_plot_mark_type tg_plot_mark_text = {"text", 3, TG_PLOT_Z_NONE, text_extent, text_draw, NULL, NULL};
