/* plot/render_png.c — the PNG renderer: the tg_plot_renderer table (render.h) drawing into a
 * caller's RGB buffer, and the PNG file writer (stb_image_write, whose implementation comes
 * from Debian's libstb; none is compiled here).
 *
 * How each call is painted:
 * - Strokes (polylines, the + and x markers): a pixel's coverage is how far its centre lies
 *   inside a capsule of half the line width around each segment, with a one pixel ramp,
 *   which gives round joins and caps. Lines thinner than 1 px are drawn 1 px wide at
 *   linewidth times the intensity. Dashes are box-filtered along the line (a pixel takes
 *   the part of [s - 1/2, s + 1/2] that is "on", s its arc position), so dash ends are
 *   butt ends. Crisp lines (gc->crisp) are described at crisp_segment.
 * - Fills (polygons, the filled markers): an exact-area scanline rasterizer. Every edge,
 *   clipped to the clip rectangle, adds its signed area and cover to the cells it crosses
 *   (one float row per canvas row); a running sum along each row then gives the winding
 *   area of each pixel and the coverage is min(1, |sum|). This equals the non-zero rule
 *   wherever the winding in a pixel is 0 or of one sign and magnitude 1 or more: holes of
 *   opposite orientation, same-orientation overlaps (painted once) and the lobes of a
 *   self-intersecting band are right. It differs only in a pixel an edge crosses where
 *   the winding changes between values other than 0 and +-1 (such a pixel may come out
 *   lighter or darker than its true non-zero area, e.g. where a band crosses itself).
 * - Text: tg_plot_text_raster (text.c) gives coverage per pixel.
 * A call collects its coverage first (the maximum, in a byte mask, for strokes and text;
 * the sums above for fills) and blends it once: a shape never darkens itself. Blending is
 * in sRGB byte values, as most plotting libraries do: out = dst (1 - a) + src a, rounded,
 * with a = gc->alpha x coverage. Clipping: fills are clipped exactly; strokes and text
 * take the part of each pixel inside the clip rectangle as a factor (exact for a clip on
 * pixel edges).
 *
 * Robustness: any input, NaN, infinite and huge values included, draws what it can in
 * time bounded by the canvas: coordinates are clamped to +-1e300 (an infinite one keeps
 * its sign only) and every segment or edge is clipped before its pixels are visited (a
 * segment with both ends astronomically far away may land imprecisely, never outside).
 *
 * What this is not: a general 2-D library. No gamma-correct blending, no curves (circles
 * are polygons), no miter joins, no gradients; thin dashes and dots follow the box filter,
 * not a stroker's outline.
 */
#include "plot/render.h"
#include "tensor/file.h"
#include "tensor/tensor.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <stb_image_write.h>

#define HUGE_COORD 1e300
#define PI 3.14159265358979323846

typedef struct clip_rect {
    double x0, y0, x1, y1; /* continuous, inside the canvas */
    int i0, j0, i1, j1;    /* pixels it overlaps, inclusive; i0 > i1 when empty */
} clip_rect;

struct tg_plot_raster {
    uint8_t *rgb;
    int w, h;
    uint8_t *mask;          /* w * h stroke/text coverage, 0..255, zero between calls */
    float *acc;             /* h rows of w + 2 cells: fill accumulation, zero between calls */
    int mx0, my0, mx1, my1; /* mask pixels touched, inclusive (empty when mx0 > mx1) */
    int ax0, ay0, ax1, ay1; /* acc cells touched, inclusive */
    clip_rect clip;         /* of the call being drawn */
    uint8_t src[3];         /* colour of the call being drawn */
    double alpha;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static int clampi(double v, int lo, int hi)
{
    if (!(v > lo)) return lo; /* NaN too */
    return v > hi ? hi : (int)v;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static double san(double v) { return clampd(v, -HUGE_COORD, HUGE_COORD); }

static bool point_ok(const double *xy, int i) { return !isnan(xy[2 * i]) && !isnan(xy[2 * i + 1]); }

/* The next piece of xy from *i on: points [*i, *j] with no NaN between; false at the end.
 * The caller continues from *j + 1. */
static bool next_piece(const double *xy, int n, int *i, int *j)
{
    while (*i < n && !point_ok(xy, *i)) (*i)++;
    if (*i >= n) return false;
    for (*j = *i; *j + 1 < n && point_ok(xy, *j + 1);) (*j)++;
    return true;
}

/* v at u on the line through (u0, v0) and (u1, v1), u0 != u1, from the endpoint nearer in u
 * (precise when the other is far away), kept between v0 and v1. */
static double cross_at(double u0, double v0, double u1, double v1, double u)
{
    double v = fabs(u - u0) <= fabs(u - u1) ? v0 + (u - u0) / (u1 - u0) * (v1 - v0)
                                            : v1 + (u - u1) / (u0 - u1) * (v0 - v1);
    return clampd(v, fmin(v0, v1), fmax(v0, v1));
}

static void reset_boxes(tg_plot_raster *r)
{
    r->mx0 = r->my0 = r->ax0 = r->ay0 = 1 << 30;
    r->mx1 = r->my1 = r->ax1 = r->ay1 = -1;
}

/* Sets the clip, colour and alpha of a call; false when nothing can be drawn. */
static bool begin_call(tg_plot_raster *r, const tg_plot_gc *gc)
{
    clip_rect *c = &r->clip;
    c->x0 = 0.0, c->y0 = 0.0, c->x1 = r->w, c->y1 = r->h;
    if (gc->has_clip) {
        if (isnan(gc->clip_x0) || isnan(gc->clip_y0) || isnan(gc->clip_x1) ||
            isnan(gc->clip_y1))
            return false;
        c->x0 = fmax(c->x0, gc->clip_x0), c->y0 = fmax(c->y0, gc->clip_y0);
        c->x1 = fmin(c->x1, gc->clip_x1), c->y1 = fmin(c->y1, gc->clip_y1);
    }
    if (!(c->x1 > c->x0 && c->y1 > c->y0)) return false;
    c->i0 = (int)floor(c->x0), c->j0 = (int)floor(c->y0);
    c->i1 = clampi(ceil(c->x1) - 1.0, 0, r->w - 1), c->j1 = clampi(ceil(c->y1) - 1.0, 0, r->h - 1);
    r->src[0] = (uint8_t)(gc->color >> 16), r->src[1] = (uint8_t)(gc->color >> 8);
    r->src[2] = (uint8_t)gc->color;
    r->alpha = isnan(gc->alpha) ? 0.0 : clampd(gc->alpha, 0.0, 1.0);
    return r->alpha > 0.0;
}

/* The part of pixel (i, j) inside the clip rectangle. */
static double clip_frac(const tg_plot_raster *r, int i, int j)
{
    const clip_rect *c = &r->clip;
    double fx = fmin(i + 1.0, c->x1) - fmax((double)i, c->x0);
    double fy = fmin(j + 1.0, c->y1) - fmax((double)j, c->y0);
    return clampd(fx, 0.0, 1.0) * clampd(fy, 0.0, 1.0);
}

static void blend(tg_plot_raster *r, int i, int j, double a)
{
    if ((unsigned)i >= (unsigned)r->w || (unsigned)j >= (unsigned)r->h || !(a > 0.0)) return;
    if (a > 1.0) a = 1.0;
    uint8_t *p = r->rgb + ((size_t)j * r->w + i) * 3;
    for (int k = 0; k < 3; k++) p[k] = (uint8_t)(p[k] * (1.0 - a) + r->src[k] * a + 0.5);
}

/* Coverage cov (0..1) of pixel (i, j) for the current stroke or text: the maximum wins. */
static void mask_put(tg_plot_raster *r, int i, int j, double cov)
{
    if ((unsigned)i >= (unsigned)r->w || (unsigned)j >= (unsigned)r->h || !(cov > 0.0)) return;
    int c = (int)(fmin(cov, 1.0) * 255.0 + 0.5);
    uint8_t *m = &r->mask[(size_t)j * r->w + i];
    if (c <= *m) return;
    *m = (uint8_t)c;
    if (i < r->mx0) r->mx0 = i;
    if (i > r->mx1) r->mx1 = i;
    if (j < r->my0) r->my0 = j;
    if (j > r->my1) r->my1 = j;
}

/* Blends the collected mask with the call's colour and alpha, and clears it. */
static void mask_flush(tg_plot_raster *r)
{
    for (int j = r->my0; j <= r->my1; j++) {
        uint8_t *m = r->mask + (size_t)j * r->w;
        for (int i = r->mx0; i <= r->mx1; i++) {
            if (!m[i]) continue;
            blend(r, i, j, r->alpha * (m[i] / 255.0));
            m[i] = 0;
        }
    }
    r->mx0 = r->my0 = 1 << 30;
    r->mx1 = r->my1 = -1;
}

/* ---- dashes ----------------------------------------------------------------------------- */

typedef tg_plot_dash_pattern dashes; /* stroke.c */

/* Length of the "on" part of the pattern between arc position 0 and s (any real s). */
static double dash_measure(const dashes *d, double s)
{
    double q = floor(s / d->period), rem = s - q * d->period, on = q * d->on_total, b = 0.0;
    for (int k = 0; k < d->n && b < rem; k++) {
        double e = b + d->len[k];
        if (k % 2 == 0) on += fmin(e, rem) - b;
        b = e;
    }
    return on;
}

/* The "on" fraction of the one pixel long stretch of line centred on arc position s. */
static double dash_factor(const dashes *d, double s)
{
    if (d->n == 0) return 1.0;
    return clampd(dash_measure(d, s + 0.5) - dash_measure(d, s - 0.5), 0.0, 1.0);
}

/* ---- strokes ---------------------------------------------------------------------------- */

typedef struct stroke {
    double hw;    /* half width of the capsule, at least 1/2 */
    double inten; /* min(1, linewidth): a thinner line is a fainter 1 px line */
    int crisp_w;  /* crisp width in px, 0 for anti-aliased */
    dashes d;
    double arc;   /* arc position of the current point, in [0, period) when dashed */
} stroke;

/* False when the line is invisible (width 0, NaN or negative). */
static bool stroke_init(const tg_plot_raster *r, const tg_plot_gc *gc, bool use_style,
                        stroke *st)
{
    double lw = gc->linewidth;
    if (!(lw > 0.0)) return false;
    lw = fmin(lw, 4.0 * ((double)r->w + r->h)); /* wider only costs time */
    st->hw = fmax(lw, 1.0) / 2.0;
    st->inten = fmin(lw, 1.0);
    st->crisp_w = use_style && gc->crisp ? (int)fmax(1.0, floor(lw + 0.5)) : 0;
    if (use_style) tg_plot_dash_pattern_of(gc, &st->d);
    else st->d.n = 0;
    st->arc = 0.0;
    return true;
}

/* Anti-aliased capsule a-b into the mask (a == b: a dot). s0 is the arc position at a. The
 * segment must be clipped already: its pixels are bounded by the clip. */
static void aa_segment(tg_plot_raster *r, const stroke *st, double ax, double ay, double bx,
                       double by, double s0)
{
    const clip_rect *c = &r->clip;
    double rad = st->hw + 1.0;
    int x0 = clampi(floor(fmin(ax, bx) - rad), c->i0, c->i1 + 1);
    int x1 = clampi(ceil(fmax(ax, bx) + rad), c->i0 - 1, c->i1);
    int y0 = clampi(floor(fmin(ay, by) - rad), c->j0, c->j1 + 1);
    int y1 = clampi(ceil(fmax(ay, by) + rad), c->j0 - 1, c->j1);
    double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy, len = sqrt(len2);
    for (int y = y0; y <= y1; y++) {
        double cy = y + 0.5;
        int xa = x0, xb = x1;
        if (fabs(dy) > 1e-6 * (len + 1.0)) { /* only the band around the line */
            double xc = ax + (cy - ay) * dx / dy, half = rad * len / fabs(dy);
            xa = clampi(floor(xc - half), x0, x1 + 1);
            xb = clampi(ceil(xc + half), x0 - 1, x1);
        }
        for (int x = xa; x <= xb; x++) {
            double cx = x + 0.5;
            double t = len2 > 0.0 ? ((cx - ax) * dx + (cy - ay) * dy) / len2 : 0.0;
            double tc = clampd(t, 0.0, 1.0);
            double cov = st->hw + 0.5 - hypot(ax + tc * dx - cx, ay + tc * dy - cy);
            if (cov <= 0.0) continue;
            cov = fmin(cov, 1.0) * st->inten * dash_factor(&st->d, s0 + t * len);
            if (x == c->i0 || x == c->i1 || y == c->j0 || y == c->j1) cov *= clip_frac(r, x, y);
            mask_put(r, x, y, cov);
        }
    }
}

/* Crisp: a horizontal or vertical segment (or a dot) drawn with full coverage on whole
 * pixels. Across the line, width W covers the W pixels whose centres lie in
 * [c - W/2, c + W/2), c the line's coordinate: W odd and c on pixel centres is centred
 * exactly; W even is centred on a pixel edge c = k (on a centre the extra row or column is
 * on the lower-coordinate side). Along the line the pixels whose centres lie in
 * [lo - (W-1)/2, hi + (W-1)/2] are covered (a square cap of (W-1)/2, so that the corners
 * of a frame close); a dot covers the W pixels centred in [c - W/2, c + W/2) both ways. A
 * dashed crisp line covers the pixels whose box-filtered dash factor is at least 1/2. */
static void crisp_segment(tg_plot_raster *r, const stroke *st, double ax, double ay,
                          double bx, double by, double s0)
{
    const clip_rect *c = &r->clip;
    bool horiz = fabs(ay - by) <= fabs(ax - bx);
    double u0 = horiz ? ax : ay, u1 = horiz ? bx : by, v = horiz ? ay : ax;
    double W = st->crisp_w, ext = (W - 1.0) / 2.0, lo = fmin(u0, u1), hi = fmax(u0, u1);
    double dir = u1 >= u0 ? 1.0 : -1.0, eps = 1e-9;
    int ulo = horiz ? c->i0 : c->j0, uhi = horiz ? c->i1 : c->j1;
    int vlo = horiz ? c->j0 : c->i0, vhi = horiz ? c->j1 : c->i1;
    int p0, p1;
    if (u0 == u1) { /* a dot */
        p0 = clampi(ceil(lo - W / 2.0 - 0.5 - eps), ulo, uhi + 1);
        p1 = clampi(ceil(lo - W / 2.0 - 0.5 - eps) + W - 1.0, ulo - 1, uhi);
    } else {
        p0 = clampi(ceil(lo - ext - 0.5 - eps), ulo, uhi + 1);
        p1 = clampi(floor(hi + ext - 0.5 + eps), ulo - 1, uhi);
    }
    double q = ceil(v - W / 2.0 - 0.5 - eps);
    int q0 = clampi(q, vlo, vhi + 1), q1 = clampi(q + W - 1.0, vlo - 1, vhi);
    for (int p = p0; p <= p1; p++) {
        if (dash_factor(&st->d, s0 + (p + 0.5 - u0) * dir) < 0.5) continue;
        for (int k = q0; k <= q1; k++) {
            int x = horiz ? p : k, y = horiz ? k : p;
            mask_put(r, x, y, clip_frac(r, x, y));
        }
    }
}

/* Liang-Barsky: the parameter range [t0, t1] of a-b inside [X0, X1] x [Y0, Y1]. */
static bool clip_params(const double a[2], const double b[2], const double box[4], double *t0,
                        double *t1)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], lo = 0.0, hi = 1.0;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {a[0] - box[0], box[2] - a[0], a[1] - box[1], box[3] - a[1]};
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0.0) {
            if (q[k] < 0.0) return false;
        } else if (p[k] < 0.0) {
            lo = fmax(lo, q[k] / p[k]);
        } else {
            hi = fmin(hi, q[k] / p[k]);
        }
    }
    *t0 = lo, *t1 = hi;
    return lo <= hi;
}

static void lerp_point(const double a[2], const double b[2], double t, const double box[4],
                       double out[2])
{
    tg_plot_segment_point(a, b, t, out);
    for (int k = 0; k < 2; k++) out[k] = clampd(out[k], box[k], box[k + 2]);
}

/* An arc position reduced to the pattern's period (precise however far it ran). */
static double dash_phase(const stroke *st, double s)
{
    if (st->d.n == 0) return 0.0;
    s = fmod(s, st->d.period);
    return isfinite(s) ? s : 0.0;
}

/* One segment of a piece (a == b for a lone point), advancing st->arc. */
static void stroke_line(tg_plot_raster *r, stroke *st, double ax, double ay, double bx,
                        double by)
{
    double a[2] = {san(ax), san(ay)}, b[2] = {san(bx), san(by)};
    double len = hypot(b[0] - a[0], b[1] - a[1]), s0 = st->arc;
    st->arc = dash_phase(st, st->arc + len);
    if (st->crisp_w > 0 && (fabs(a[0] - b[0]) < 1e-6 || fabs(a[1] - b[1]) < 1e-6)) {
        double pad = st->crisp_w + 2.0, t0, t1, p[2], q[2];
        const clip_rect *c = &r->clip;
        double box[4] = {c->x0 - pad, c->y0 - pad, c->x1 + pad, c->y1 + pad};
        if (!clip_params(a, b, box, &t0, &t1)) return;
        lerp_point(a, b, t0, box, p), lerp_point(a, b, t1, box, q);
        if (len > 0.0 && p[0] == q[0] && p[1] == q[1]) return; /* grazes a corner */
        crisp_segment(r, st, p[0], p[1], q[0], q[1], dash_phase(st, s0 + t0 * len));
        return;
    }
    const clip_rect *c = &r->clip;
    double pad = st->hw + 2.0, t0, t1, p[2], q[2];
    double box[4] = {c->x0 - pad, c->y0 - pad, c->x1 + pad, c->y1 + pad};
    if (!clip_params(a, b, box, &t0, &t1)) return;
    lerp_point(a, b, t0, box, p), lerp_point(a, b, t1, box, q);
    aa_segment(r, st, p[0], p[1], q[0], q[1], dash_phase(st, s0 + t0 * len));
}

static void raster_polyline(void *ctx, const tg_plot_gc *gc, const double *xy, int n)
{
    tg_plot_raster *r = ctx;
    stroke st;
    if (!r || !gc || !xy || n <= 0 || !begin_call(r, gc) || !stroke_init(r, gc, true, &st))
        return;
    for (int i = 0, j; next_piece(xy, n, &i, &j); i = j + 1) {
        st.arc = 0.0; /* each piece starts its pattern afresh */
        if (j == i) { /* a dot, whatever the dash pattern */
            int nd = st.d.n;
            st.d.n = 0;
            stroke_line(r, &st, xy[2 * i], xy[2 * i + 1], xy[2 * i], xy[2 * i + 1]);
            st.d.n = nd;
        }
        for (int k = i; k < j; k++)
            stroke_line(r, &st, xy[2 * k], xy[2 * k + 1], xy[2 * k + 2], xy[2 * k + 3]);
    }
    mask_flush(r);
}

/* ---- fills ------------------------------------------------------------------------------ */

/* Integral of clamp(v, 0, 1) for v from -inf to u. */
static double ramp_integral(double u) { return u <= 0.0 ? 0.0 : u >= 1.0 ? u - 0.5 : 0.5 * u * u; }

/* The part of an edge inside one row, from x0 to x1 (0 <= x <= w), of signed height d:
 * pixel i gets the winding area d x (the mean over the edge of how much of [i, i + 1) lies
 * right of it), stored as differences so that the row's running sum restores it. */
static void acc_strip(tg_plot_raster *r, int row, double x0, double x1, double d)
{
    float *a = r->acc + (size_t)row * ((size_t)r->w + 2);
    if (x0 > x1) {
        double t = x0;
        x0 = x1, x1 = t;
    }
    int i0 = clampi(floor(x0), 0, r->w), i1 = clampi(floor(x1), 0, r->w);
    if (i0 == i1 || x1 - x0 < 1e-6) { /* within a cell: as a vertical edge at the middle */
        double xm = 0.5 * (x0 + x1);
        i0 = i1 = clampi(floor(xm), 0, r->w);
        double f = clampd(xm - i0, 0.0, 1.0);
        a[i0] += (float)(d * (1.0 - f));
        a[i0 + 1] += (float)(d * f);
    } else {
        double inv = 1.0 / (x1 - x0), prev = 0.0;
        for (int i = i0; i <= i1; i++) {
            double cov = d * (ramp_integral(i + 1.0 - x0) - ramp_integral(i + 1.0 - x1)) * inv;
            a[i] += (float)(cov - prev);
            prev = cov;
        }
        a[i1 + 1] += (float)(d - prev);
    }
    if (i0 < r->ax0) r->ax0 = i0;
    if (i1 + 1 > r->ax1) r->ax1 = i1 + 1;
    if (row < r->ay0) r->ay0 = row;
    if (row > r->ay1) r->ay1 = row;
}

/* An edge inside the clip rectangle, split into rows. */
static void acc_edge(tg_plot_raster *r, double xa, double ya, double xb, double yb)
{
    double dir = 1.0;
    if (ya > yb) {
        double t = xa;
        xa = xb, xb = t, t = ya, ya = yb, yb = t, dir = -1.0;
    }
    if (!(yb - ya > 1e-12)) return; /* adds no area worth a division */
    double dxdy = (xb - xa) / (yb - ya), xlo = fmin(xa, xb), xhi = fmax(xa, xb);
    int j0 = clampi(floor(ya), 0, r->h - 1), j1 = clampi(ceil(yb) - 1.0, 0, r->h - 1);
    for (int j = j0; j <= j1; j++) {
        double s0 = fmax(ya, (double)j), s1 = fmin(yb, j + 1.0);
        if (s1 <= s0) continue;
        double x0 = clampd(xa + (s0 - ya) * dxdy, xlo, xhi);
        double x1 = clampd(xa + (s1 - ya) * dxdy, xlo, xhi);
        acc_strip(r, j, x0, x1, dir * (s1 - s0));
    }
}

/* A polygon edge, clipped exactly to the clip rectangle. Parts above or below it are
 * dropped: they add no cover to the rows inside. A part left or right of it becomes a
 * vertical edge on that side with the same vertical extent: inside the rectangle every
 * point is still right of (left of) it, so the winding there is unchanged, and since a
 * ring is closed the right-hand edges bring the winding back to zero beyond the right
 * side, exactly at the boundary. */
static void fill_edge(tg_plot_raster *r, double x0, double y0, double x1, double y1)
{
    const clip_rect *c = &r->clip;
    x0 = san(x0), y0 = san(y0), x1 = san(x1), y1 = san(y1);
    if (y0 == y1 || fmax(y0, y1) <= c->y0 || fmin(y0, y1) >= c->y1) return;
    double px[4], py[4];
    px[0] = x0, py[0] = y0, px[3] = x1, py[3] = y1;
    for (int e = 0; e <= 3; e += 3) { /* the ends, onto the top or bottom side */
        if (py[e] >= c->y0 && py[e] <= c->y1) continue;
        double yc = py[e] < c->y0 ? c->y0 : c->y1;
        px[e] = cross_at(y0, x0, y1, x1, yc);
        py[e] = yc;
    }
    int m = 1; /* crossings of the left and right sides, in order from the start */
    double bounds[2] = {c->x0, c->x1};
    for (int k = 0; k < 2; k++) {
        double X = bounds[k];
        if (!((px[0] - X) * (px[3] - X) < 0.0)) continue;
        px[m] = X, py[m] = cross_at(px[0], py[0], px[3], py[3], X);
        if (m == 2 && fabs(py[2] - py[0]) < fabs(py[1] - py[0])) {
            double tx = px[1], ty = py[1];
            px[1] = px[2], py[1] = py[2], px[2] = tx, py[2] = ty;
        }
        m++;
    }
    px[m] = px[3], py[m] = py[3];
    for (int k = 0; k < m; k++)
        acc_edge(r, clampd(px[k], c->x0, c->x1), py[k], clampd(px[k + 1], c->x0, c->x1),
                 py[k + 1]);
}

/* Adds every ring of xy (separated by NaN points, closed implicitly). */
static void fill_path(tg_plot_raster *r, const double *xy, int n)
{
    for (int i = 0, j; next_piece(xy, n, &i, &j); i = j + 1)
        for (int k = i; k <= j; k++) {
            int l = k < j ? k + 1 : i;
            fill_edge(r, xy[2 * k], xy[2 * k + 1], xy[2 * l], xy[2 * l + 1]);
        }
}

/* Running sums of the accumulated rows: blends min(1, |winding area|) and clears. */
static void fill_resolve(tg_plot_raster *r)
{
    const clip_rect *c = &r->clip;
    int x1 = r->ax1 > r->w + 1 ? r->w + 1 : r->ax1;
    for (int j = r->ay0; j <= r->ay1; j++) {
        float *a = r->acc + (size_t)j * ((size_t)r->w + 2);
        double sum = 0.0;
        for (int i = r->ax0; i <= x1; i++) {
            sum += a[i];
            a[i] = 0.0f;
            double cov = fmin(1.0, fabs(sum));
            if (cov > 1e-4 && i >= c->i0 && i <= c->i1 && j >= c->j0 && j <= c->j1)
                blend(r, i, j, r->alpha * cov);
        }
    }
    r->ax0 = r->ay0 = 1 << 30;
    r->ax1 = r->ay1 = -1;
}

static void raster_polygon(void *ctx, const tg_plot_gc *gc, const double *xy, int n)
{
    tg_plot_raster *r = ctx;
    if (!r || !gc || !xy || n <= 0 || !begin_call(r, gc)) return;
    fill_path(r, xy, n);
    fill_resolve(r);
}

/* ---- markers ---------------------------------------------------------------------------- */

#define CIRCLE_MAX 256

/* The outline of a filled marker of size s at (x, y) into v; returns its point count. */
static int marker_outline(tg_marker shape, double s, double x, double y, double *v)
{
    double h = s / 2.0;
    switch (shape) {
    case TG_MARKER_SQUARE: {
        double p[8] = {x - h, y - h, x + h, y - h, x + h, y + h, x - h, y + h};
        memcpy(v, p, sizeof p);
        return 4;
    }
    case TG_MARKER_TRIANGLE: {
        double p[6] = {x, y - h, x + h, y + h, x - h, y + h};
        memcpy(v, p, sizeof p);
        return 3;
    }
    case TG_MARKER_DIAMOND: {
        double p[8] = {x, y - h, x + h, y, x, y + h, x - h, y};
        memcpy(v, p, sizeof p);
        return 4;
    }
    default: { /* circle: the sagitta stays under 0.05 px, the area is the circle's */
        int n = clampi(ceil(PI * sqrt(10.0 * h)), 8, CIRCLE_MAX);
        double step = 2.0 * PI / n, rad = h * sqrt(step / sin(step));
        for (int k = 0; k < n; k++) {
            v[2 * k] = x + rad * cos(k * step);
            v[2 * k + 1] = y + rad * sin(k * step);
        }
        return n;
    }
    }
}

static void raster_markers(void *ctx, const tg_plot_gc *gc, tg_marker shape, double size,
                           const double *xy, int n)
{
    tg_plot_raster *r = ctx;
    if (!r || !gc || !xy || n <= 0 || !(size > 0.0) || !begin_call(r, gc)) return;
    if (shape <= TG_MARKER_NONE || shape >= TG_MARKER_COUNT) return;
    size = fmin(size, 4.0 * ((double)r->w + r->h));
    bool stroked = shape == TG_MARKER_PLUS || shape == TG_MARKER_X;
    stroke st;
    if (stroked && !stroke_init(r, gc, false, &st)) return;
    double reach = size * 0.75 + (stroked ? st.hw + 2.0 : 1.0), h = size / 2.0;
    /* the outline at (0, 0), once (a circle's costs up to 256 cos/sin), moved to each point */
    double base[2 * CIRCLE_MAX], v[2 * CIRCLE_MAX];
    int nv = stroked ? 0 : marker_outline(shape, size, 0.0, 0.0, base);
    const clip_rect *c = &r->clip;
    for (int i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!(x > c->x0 - reach && x < c->x1 + reach && y > c->y0 - reach &&
              y < c->y1 + reach))
            continue; /* NaN, or nothing of it shows */
        if (shape == TG_MARKER_PLUS) {
            stroke_line(r, &st, x - h, y, x + h, y);
            stroke_line(r, &st, x, y - h, x, y + h);
            mask_flush(r);
        } else if (shape == TG_MARKER_X) {
            stroke_line(r, &st, x - h, y - h, x + h, y + h);
            stroke_line(r, &st, x - h, y + h, x + h, y - h);
            mask_flush(r);
        } else {
            for (int k = 0; k < nv; k++)
                v[2 * k] = base[2 * k] + x, v[2 * k + 1] = base[2 * k + 1] + y;
            fill_path(r, v, nv);
            fill_resolve(r);
        }
    }
}

/* ---- text ------------------------------------------------------------------------------- */

static void text_put(void *ctx, int px, int py, int coverage)
{
    tg_plot_raster *r = ctx;
    const clip_rect *c = &r->clip;
    if (px < c->i0 || px > c->i1 || py < c->j0 || py > c->j1 || coverage <= 0) return;
    mask_put(r, px, py, (coverage > 255 ? 255 : coverage) / 255.0 * clip_frac(r, px, py));
}

static void raster_text(void *ctx, const tg_plot_gc *gc, const char *utf8, double x, double y,
                        double size, bool bold, tg_plot_halign halign, bool rot90)
{
    tg_plot_raster *r = ctx;
    if (!r || !gc || !utf8 || !*utf8 || !begin_call(r, gc)) return;
    /* Glyphs many times the canvas could not show and would cost their whole bitmaps. */
    if (!(size > 0.0 && size <= 8.0 * ((double)r->w + r->h)) || !isfinite(x) || !isfinite(y))
        return;
    tg_plot_text_raster(utf8, size, bold, x, y, halign, rot90, text_put, r);
    mask_flush(r);
}

/* ---- the renderer and the file ---------------------------------------------------------- */

tg_plot_raster *tg_plot_raster_begin(uint8_t *rgb, int w, int h, tg_plot_renderer *out)
{
    if (!out) return NULL;
    *out = (tg_plot_renderer){NULL, raster_polyline, raster_polygon, raster_markers,
                              raster_text};
    if (!rgb || w <= 0 || h <= 0) return NULL; /* the table then draws nothing */
    tg_plot_raster *r = tg_calloc(sizeof *r);
    r->rgb = rgb, r->w = w, r->h = h;
    r->mask = tg_calloc((size_t)w * h);
    r->acc = tg_calloc(((size_t)w + 2) * h * sizeof(float));
    reset_boxes(r);
    out->ctx = r;
    return r;
}

void tg_plot_raster_end(tg_plot_raster *r)
{
    if (!r) return;
    tg_free(r->mask);
    tg_free(r->acc);
    tg_free(r);
}

static void png_sink(void *ctx, void *data, int size)
{
    tg_atomic_file_write(ctx, data, (size_t)size);
}

tg_status tg_plot_png_write(const uint8_t *rgb, int w, int h, const char *path, const char *fn)
{
    if (!fn) fn = "tg_plot_png_write";
    if (!path || !*path) return tg_fail(TG_ERR_ARG, "%s: path is NULL or empty", fn);
    if (!rgb) return tg_fail(TG_ERR_ARG, "%s: image of '%s' is NULL", fn, path);
    if (w <= 0 || h <= 0 || w > (1 << 28) / 3)
        return tg_fail(TG_ERR_ARG, "%s: image size %d x %d of '%s' is not writable", fn, w, h,
                       path);
    tg_atomic_file f;
    tg_status st = tg_atomic_file_open(&f, path);
    if (st != TG_OK) return tg_plot_fail_prefixed(st, fn);
    if (!stbi_write_png_to_func(png_sink, &f, w, h, 3, rgb, w * 3)) {
        tg_atomic_file_abort(&f);
        return tg_fail(TG_ERR_NOMEM, "%s: PNG encoding of '%s' failed", fn, path);
    }
    st = tg_atomic_file_commit(&f);
    return st == TG_OK ? st : tg_plot_fail_prefixed(st, fn);
}
