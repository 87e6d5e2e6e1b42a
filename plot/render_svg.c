/* plot/render_svg.c — the SVG renderer: the tg_plot_renderer table of plot/render.h
 * written out as SVG 1.1 elements, so that a figure's SVG draws what its PNG draws.
 *
 * Mapping of the calls (the PNG renderer, render_png.c, paints the same calls; where SVG
 * has a choice, it follows the PNG):
 *   polyline  one <path> (NaN points start a new subpath), fill none, stroke-width
 *             gc->linewidth. Solid: round caps and joins, and a piece of one point is a
 *             zero-length subpath, which the round caps paint as a dot. Dashed: the
 *             stroke-dasharray of gc->dashes (read as the PNG reads them) with butt dash
 *             ends, and a piece of one point as a <circle> of the line's width after the
 *             path. Crisp: shape-rendering crispEdges, width round(linewidth) >= 1, square
 *             caps (half the width, so a frame's corners close) and miter joins.
 *   polygon   one <path>, rings as subpaths closed with Z, fill-rule nonzero.
 *   markers   one element per marker inside a <g> carrying the paint: <circle>, <rect>,
 *             <path> (triangle, diamond; plus and x as round-capped strokes of
 *             gc->linewidth), each `size` across (render.h).
 *   text      <text> at the baseline point, text-anchor from halign, rot90 as
 *             transform="rotate(-90 x y)", font-family from the text engine + sans-serif,
 *             font-size tg_plot_text_svg_size(size).
 * Paint: gc->color as #rrggbb, gc->alpha as stroke-opacity / fill-opacity (left out at 1).
 * gc->has_clip: the element refers to a <clipPath id="cN"> of the rectangle, defined once
 * per distinct rectangle and reused. Independently, geometry is clipped (Liang–Barsky for
 * segments, Sutherland–Hodgman for rings) to the visible box enlarged by a margin, so a
 * fixed axis range far inside the data never prints coordinates in the millions, and
 * infinite or huge input never prints inf, nan or 1e300. A dashed line cut by that box
 * keeps its dash phase: the cut subpath starts with an invisible lead-in outside the box.
 * Markers and texts whose anchor is far outside the box are left out. (The clipped part
 * of a segment whose both ends lie beyond ~1e15 px is only as exact as doubles allow.)
 * Nothing is written for a call that shows nothing (no visible point, alpha 0, width 0,
 * an empty or NaN clip rectangle).
 *
 * Numbers are formatted here (at most 2 decimals, 3 for opacities, trailing zeros
 * trimmed), not by printf, so the file does not depend on LC_NUMERIC.
 *
 * What this is not: a general SVG writer. No styles, no scripts, no text layout (the
 * viewer's font shapes the text; text.c only picks family and size), no embedded fonts.
 */
#include "plot/render.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/file.h"

struct tg_plot_svg {
    tg_atomic_file *f;
    int w, h;
    double (*clips)[4]; /* clip rectangles defined so far; clip id = index + 1 */
    int nclips, capclips, nextid;
    char family[96];    /* the font-family attribute value, "" until the first text */
};

/* Coordinates beyond this are clamped (infinity included) so differences stay finite. */
#define HUGE_COORD 1e300

/* ---- output helpers ----------------------------------------------------------------- */

static void put(tg_plot_svg *s, const char *str)
{
    tg_atomic_file_write(s->f, str, strlen(str));
}

static void no_memory(tg_plot_svg *s)
{
    if (!s->f->err) s->f->err = ENOMEM; /* the commit then fails instead of a partial picture */
}

/* v with at most `dec` (1..3) decimals, trailing zeros trimmed, '.' whatever the locale.
 * NaN prints 0; |v| is clamped to 1e9 (callers clip long before that). */
static void put_num_dec(tg_plot_svg *s, double v, int dec)
{
    static const long long scales[] = {1, 10, 100, 1000};
    if (v != v) v = 0.0;
    v = fmin(fmax(v, -1e9), 1e9);
    long long scale = scales[dec];
    long long r = llround(v * (double)scale);
    unsigned long long u = r < 0 ? (unsigned long long)-r : (unsigned long long)r;
    unsigned long long ip = u / (unsigned long long)scale, frac = u % (unsigned long long)scale;
    char buf[32], *p = buf + sizeof buf;
    *--p = '\0';
    int fd = dec;
    while (fd > 0 && frac % 10 == 0) {
        frac /= 10;
        fd--;
    }
    for (int i = 0; i < fd; i++, frac /= 10) *--p = (char)('0' + frac % 10);
    if (fd > 0) *--p = '.';
    do {
        *--p = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (r < 0) *--p = '-';
    put(s, p);
}

static void put_num(tg_plot_svg *s, double v) { put_num_dec(s, v, 2); }

/* ` name="v"` */
static void put_attr(tg_plot_svg *s, const char *name, double v)
{
    put(s, " ");
    put(s, name);
    put(s, "=\"");
    put_num(s, v);
    put(s, "\"");
}

static void put_color(tg_plot_svg *s, const char *name, uint32_t rgb)
{
    static const char hex[] = "0123456789abcdef";
    char col[8];
    col[0] = '#';
    for (int i = 0; i < 6; i++) col[1 + i] = hex[(rgb >> (20 - 4 * i)) & 15];
    col[7] = '\0';
    put(s, " ");
    put(s, name);
    put(s, "=\"");
    put(s, col);
    put(s, "\"");
}

/* ` name="alpha"`, left out when opaque. */
static void put_opacity(tg_plot_svg *s, const char *name, double alpha)
{
    if (alpha >= 0.9995) return;
    put(s, " ");
    put(s, name);
    put(s, "=\"");
    put_num_dec(s, alpha, 3);
    put(s, "\"");
}

/* A path command and its point, e.g. "M12.5 3". */
static void put_cmd(tg_plot_svg *s, const char *cmd, double x, double y)
{
    put(s, cmd);
    put_num(s, x);
    put(s, " ");
    put_num(s, y);
}

/* ---- paint and clip ------------------------------------------------------------------- */

static double gc_alpha(const tg_plot_gc *gc)
{
    double a = gc->alpha;
    return a != a ? 1.0 : fmin(fmax(a, 0.0), 1.0);
}

static double clampd(double v, double lo, double hi) { return fmin(fmax(v, lo), hi); }

static double sane(double v) { return clampd(v, -HUGE_COORD, HUGE_COORD); }

/* The visible box: the canvas, cut to gc's clip rectangle. False when it is empty (or the
 * clip rectangle is NaN), in which case nothing is drawn. */
static bool visible_box(const tg_plot_svg *s, const tg_plot_gc *gc, double box[4])
{
    box[0] = 0.0;
    box[1] = 0.0;
    box[2] = s->w;
    box[3] = s->h;
    if (gc->has_clip) {
        box[0] = fmax(box[0], gc->clip_x0); /* fmax/fmin drop a NaN operand: check below */
        box[1] = fmax(box[1], gc->clip_y0);
        box[2] = fmin(box[2], gc->clip_x1);
        box[3] = fmin(box[3], gc->clip_y1);
        if (isnan(gc->clip_x0) || isnan(gc->clip_y0) || isnan(gc->clip_x1) ||
            isnan(gc->clip_y1))
            return false;
    }
    return box[2] > box[0] && box[3] > box[1];
}

static void grow(double box[4], double m)
{
    box[0] -= m;
    box[1] -= m;
    box[2] += m;
    box[3] += m;
}

/* The id of the <clipPath> of rectangle r, writing its definition the first time. */
static int clip_id(tg_plot_svg *s, const double r[4])
{
    double key[4];
    for (int k = 0; k < 4; k++) key[k] = round(r[k] * 100.0) / 100.0; /* as printed */
    for (int i = s->nclips - 1; i >= 0; i--)
        if (s->clips[i][0] == key[0] && s->clips[i][1] == key[1] && s->clips[i][2] == key[2] &&
            s->clips[i][3] == key[3])
            return i + 1;
    if (s->nclips == s->capclips) {
        int cap = s->capclips ? 2 * s->capclips : 8;
        double(*p)[4] = realloc(s->clips, (size_t)cap * sizeof *p);
        if (!p) {
            no_memory(s);
            return 0;
        }
        s->clips = p;
        s->capclips = cap;
    }
    memcpy(s->clips[s->nclips++], key, sizeof key);
    tg_atomic_file_printf(s->f, "<defs><clipPath id=\"c%d\"><rect", s->nclips);
    put_attr(s, "x", key[0]);
    put_attr(s, "y", key[1]);
    put_attr(s, "width", key[2] - key[0]);
    put_attr(s, "height", key[3] - key[1]);
    put(s, "/></clipPath></defs>\n");
    return s->nclips;
}

static void put_clip_ref(tg_plot_svg *s, int id)
{
    if (id > 0) tg_atomic_file_printf(s->f, " clip-path=\"url(#c%d)\"", id);
}

/* ---- polyline ------------------------------------------------------------------------- */

typedef struct {
    tg_plot_svg *s;
    const tg_plot_gc *gc;
    double vis[4], box[4]; /* visible box; box: enlarged, the geometry clip */
    double lw, period;     /* stroke width; dash period (0: solid) */
    double dash[2 * TG_PLOT_MAX_DASHES];
    int ndash;
    bool open;             /* the <path> has been started */
    bool cont;             /* the current subpath ends at the previous input point */
} line_ctx;

static bool line_setup(line_ctx *c, tg_plot_svg *s, const tg_plot_gc *gc)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->gc = gc;
    c->lw = fmin((double)gc->linewidth, 1e4);
    if (gc->crisp) c->lw = fmax(1.0, round(c->lw));
    if (!(c->lw > 0.0) || !(gc_alpha(gc) > 0.0) || !visible_box(s, gc, c->vis)) return false;
    tg_plot_dash_pattern d;
    tg_plot_dash_pattern_of(gc, &d); /* stroke.c: as the PNG renderer reads it */
    c->ndash = d.n;
    c->period = d.n ? d.period : 0.0;
    memcpy(c->dash, d.len, sizeof c->dash);
    memcpy(c->box, c->vis, sizeof c->box);
    grow(c->box, 2.0 * c->lw + 4.0);
    return true;
}

static void line_head(line_ctx *c)
{
    tg_plot_svg *s = c->s;
    const tg_plot_gc *gc = c->gc;
    int id = gc->has_clip ? clip_id(s, c->vis) : 0;
    put(s, "<path fill=\"none\"");
    put_color(s, "stroke", gc->color);
    put_attr(s, "stroke-width", c->lw);
    /* As the PNG: dash ends are butt ends; crisp lines have square caps of half their
     * width, so a frame's corners close; otherwise round caps and joins. */
    put(s, c->period > 0.0 ? " stroke-linecap=\"butt\""
           : gc->crisp     ? " stroke-linecap=\"square\""
                           : " stroke-linecap=\"round\"");
    put(s, gc->crisp ? " stroke-linejoin=\"miter\"" : " stroke-linejoin=\"round\"");
    if (c->period > 0.0) {
        put(s, " stroke-dasharray=\"");
        for (int i = 0; i < c->ndash; i++) {
            if (i) put(s, " ");
            put_num(s, c->dash[i]);
        }
        put(s, "\"");
    }
    put_opacity(s, "stroke-opacity", gc_alpha(gc));
    if (gc->crisp) put(s, " shape-rendering=\"crispEdges\"");
    put_clip_ref(s, id);
    put(s, " d=\"");
    c->open = true;
}

/* Clipped points lie in the box up to rounding, which is large for huge input: clamp. */
static void line_to(line_ctx *c, const char *cmd, double x, double y)
{
    if (!c->open) line_head(c);
    put_cmd(c->s, cmd, clampd(x, c->box[0], c->box[2]), clampd(y, c->box[1], c->box[3]));
}

/* The point at t of a -> b, on edge k of box (0: x = x0, 1: x = x1, 2: y = y0, 3: y = y1;
 * -1: none): the edge's coordinate exactly, the other one from the nearer end. So an
 * axis-parallel segment from -1e300 to 1e300 still clips exactly. */
static void point_at(const double box[4], const double a[2], const double b[2], double t,
                     int k, double out[2])
{
    static const int edge[4] = {0, 2, 1, 3};
    tg_plot_segment_point(a, b, t, out);
    if (k >= 0) out[k / 2] = box[edge[k]];
}

/* Liang–Barsky: the part [t0, t1] of a -> b inside box; k0, k1: the edges cutting it
 * (-1: the segment's own end). */
static bool clip_lb(const double box[4], const double a[2], const double b[2], double t[2],
                    int k[2])
{
    double dx = b[0] - a[0], dy = b[1] - a[1];
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {a[0] - box[0], box[2] - a[0], a[1] - box[1], box[3] - a[1]};
    t[0] = 0.0;
    t[1] = 1.0;
    k[0] = k[1] = -1;
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0) return false;
            continue;
        }
        double r = q[i] / p[i];
        int j = p[i] < 0.0 ? 0 : 1; /* entering or leaving */
        if (j == 0 ? r > t[1] : r < t[0]) return false;
        if (j == 0 ? r > t[0] : r < t[1]) {
            t[j] = r;
            k[j] = i;
        }
    }
    return true;
}

/* Segment a -> b; *acc is the arc length of the piece before a, modulo the dash period. */
static void line_segment(line_ctx *c, const double a[2], const double b[2], double *acc)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], len = hypot(dx, dy), t[2], e[2];
    int k[2];
    if (clip_lb(c->box, a, b, t, k)) {
        if (!(c->cont && k[0] < 0)) { /* a new subpath: piece start, or back in the box */
            point_at(c->box, a, b, t[0], k[0], e);
            e[0] = clampd(e[0], c->box[0], c->box[2]);
            e[1] = clampd(e[1], c->box[1], c->box[3]);
            double phase = c->period > 0.0 ? fmod(*acc + t[0] * len, c->period) : 0.0;
            if (phase > 1e-6 && len > 0.0) { /* lead-in outside the box: keeps the phase */
                if (!c->open) line_head(c);
                put_cmd(c->s, "M", e[0] - dx / len * phase, e[1] - dy / len * phase);
                line_to(c, "L", e[0], e[1]);
            } else {
                line_to(c, "M", e[0], e[1]);
            }
        }
        point_at(c->box, a, b, t[1], k[1], e);
        line_to(c, "L", e[0], e[1]);
        c->cont = k[1] < 0;
    } else {
        c->cont = false;
    }
    if (c->period > 0.0) {
        *acc = fmod(*acc + len, c->period);
        if (!isfinite(*acc)) *acc = 0.0;
    }
}

/* The pieces of one point of a dashed line, which butt caps would not show: a disc of the
 * line's width (a square when crisp), whatever the dash pattern, as the PNG draws them. */
static void line_dots(line_ctx *c, const double *xy, int n)
{
    tg_plot_svg *s = c->s;
    bool open = false;
    for (int i = 0; i < n; i++) {
        bool alone = (i == 0 || isnan(xy[2 * i - 2]) || isnan(xy[2 * i - 1])) &&
                     (i == n - 1 || isnan(xy[2 * i + 2]) || isnan(xy[2 * i + 3]));
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!alone || !(x >= c->box[0] && x <= c->box[2] && y >= c->box[1] && y <= c->box[3]))
            continue; /* NaN too */
        if (!open) {
            int id = c->gc->has_clip ? clip_id(s, c->vis) : 0;
            put(s, "<g");
            put_color(s, "fill", c->gc->color);
            put_opacity(s, "fill-opacity", gc_alpha(c->gc));
            if (c->gc->crisp) put(s, " shape-rendering=\"crispEdges\"");
            put_clip_ref(s, id);
            put(s, ">\n");
            open = true;
        }
        put(s, c->gc->crisp ? "<rect" : "<circle");
        put_attr(s, c->gc->crisp ? "x" : "cx", c->gc->crisp ? x - c->lw / 2.0 : x);
        put_attr(s, c->gc->crisp ? "y" : "cy", c->gc->crisp ? y - c->lw / 2.0 : y);
        if (c->gc->crisp) {
            put_attr(s, "width", c->lw);
            put_attr(s, "height", c->lw);
        } else {
            put_attr(s, "r", c->lw / 2.0);
        }
        put(s, "/>\n");
    }
    if (open) put(s, "</g>\n");
}

static void svg_polyline(void *ctx, const tg_plot_gc *gc, const double *xy, int n)
{
    line_ctx c;
    if (!ctx || !gc || !xy || n <= 0 || !line_setup(&c, ctx, gc)) return;
    double prev[2] = {0.0, 0.0}, acc = 0.0;
    int k = 0; /* points in the current piece */
    for (int i = 0; i <= n; i++) {
        if (i == n || isnan(xy[2 * i]) || isnan(xy[2 * i + 1])) {
            if (k == 1 && c.period == 0.0 && prev[0] >= c.box[0] && prev[0] <= c.box[2] && prev[1] >= c.box[1] &&
                prev[1] <= c.box[3]) {
                line_to(&c, "M", prev[0], prev[1]); /* a zero-length subpath: a round dot */
                line_to(&c, "L", prev[0], prev[1]);
            }
            k = 0;
            acc = 0.0;
            c.cont = false;
            continue;
        }
        double p[2] = {sane(xy[2 * i]), sane(xy[2 * i + 1])};
        if (k > 0) line_segment(&c, prev, p, &acc);
        memcpy(prev, p, sizeof prev);
        k++;
    }
    if (c.open) put(c.s, "\"/>\n");
    if (c.period > 0.0) line_dots(&c, xy, n);
}

/* ---- polygon: Sutherland–Hodgman, streamed through the four edges of the box ----------- */

typedef struct {
    double first[2], prev[2];
    bool first_in, prev_in, has;
} sh_stage;

typedef struct {
    tg_plot_svg *s;
    const tg_plot_gc *gc;
    double vis[4], box[4];
    sh_stage st[4]; /* edges x >= x0, x <= x1, y >= y0, y <= y1 */
    bool open;
    int ring; /* points of the current ring written */
} poly_ctx;

static bool sh_inside(const double box[4], int k, const double p[2])
{
    switch (k) {
    case 0: return p[0] >= box[0];
    case 1: return p[0] <= box[2];
    case 2: return p[1] >= box[1];
    default: return p[1] <= box[3];
    }
}

/* Where a -> b (one inside edge k, the other not) crosses the edge. */
static void sh_cross(const double box[4], int k, const double a[2], const double b[2],
                     double out[2])
{
    static const int edge[4] = {0, 2, 1, 3};
    int j = k / 2;
    point_at(box, a, b, (box[edge[k]] - a[j]) / (b[j] - a[j]), k, out);
}

static void poly_head(poly_ctx *c)
{
    tg_plot_svg *s = c->s;
    int id = c->gc->has_clip ? clip_id(s, c->vis) : 0;
    put(s, "<path");
    put_color(s, "fill", c->gc->color);
    put_opacity(s, "fill-opacity", gc_alpha(c->gc));
    put(s, " fill-rule=\"nonzero\"");
    put_clip_ref(s, id);
    put(s, " d=\"");
    c->open = true;
}

static void poly_push(poly_ctx *c, int k, const double p[2]);

static void poly_edge(poly_ctx *c, int k, const double b[2], bool b_in)
{
    if (b_in == c->st[k].prev_in) return;
    double q[2];
    sh_cross(c->box, k, c->st[k].prev, b, q);
    poly_push(c, k + 1, q);
}

static void poly_push(poly_ctx *c, int k, const double p[2])
{
    if (k == 4) {
        if (!c->open) poly_head(c);
        put_cmd(c->s, c->ring++ ? "L" : "M", clampd(p[0], c->box[0], c->box[2]),
                clampd(p[1], c->box[1], c->box[3]));
        return;
    }
    sh_stage *st = &c->st[k];
    bool in = sh_inside(c->box, k, p);
    if (st->has) {
        poly_edge(c, k, p, in);
    } else {
        memcpy(st->first, p, sizeof st->first);
        st->first_in = in;
        st->has = true;
    }
    if (in) poly_push(c, k + 1, p);
    memcpy(st->prev, p, sizeof st->prev);
    st->prev_in = in;
}

/* Ends the ring: the closing edge of each stage, then Z. */
static void poly_close(poly_ctx *c, int k)
{
    if (k == 4) {
        if (c->ring) put(c->s, "Z");
        c->ring = 0;
        return;
    }
    sh_stage *st = &c->st[k];
    if (st->has) poly_edge(c, k, st->first, st->first_in);
    st->has = false;
    poly_close(c, k + 1);
}

static void svg_polygon(void *ctx, const tg_plot_gc *gc, const double *xy, int n)
{
    poly_ctx c;
    memset(&c, 0, sizeof c);
    c.s = ctx;
    c.gc = gc;
    if (!ctx || !gc || !xy || n <= 0 || !(gc_alpha(gc) > 0.0) || !visible_box(c.s, gc, c.vis))
        return;
    memcpy(c.box, c.vis, sizeof c.box);
    grow(c.box, 2.0);
    for (int i = 0; i < n; i++) {
        if (isnan(xy[2 * i]) || isnan(xy[2 * i + 1])) {
            poly_close(&c, 0);
            continue;
        }
        double p[2] = {sane(xy[2 * i]), sane(xy[2 * i + 1])};
        poly_push(&c, 0, p);
    }
    poly_close(&c, 0);
    if (c.open) put(c.s, "\"/>\n");
}

/* ---- markers -------------------------------------------------------------------------- */

static void marker_head(tg_plot_svg *s, const tg_plot_gc *gc, tg_marker shape, double lw, int id)
{
    put(s, "<g");
    if (shape == TG_MARKER_PLUS || shape == TG_MARKER_X) {
        put(s, " fill=\"none\"");
        put_color(s, "stroke", gc->color);
        put_attr(s, "stroke-width", lw);
        put(s, " stroke-linecap=\"round\"");
        put_opacity(s, "stroke-opacity", gc_alpha(gc));
    } else {
        put_color(s, "fill", gc->color);
        put_opacity(s, "fill-opacity", gc_alpha(gc));
    }
    put_clip_ref(s, id);
    put(s, ">\n");
}

static void marker_one(tg_plot_svg *s, tg_marker shape, double x, double y, double r)
{
    switch (shape) {
    case TG_MARKER_CIRCLE:
        put(s, "<circle");
        put_attr(s, "cx", x);
        put_attr(s, "cy", y);
        put_attr(s, "r", r);
        break;
    case TG_MARKER_SQUARE:
        put(s, "<rect");
        put_attr(s, "x", x - r);
        put_attr(s, "y", y - r);
        put_attr(s, "width", 2.0 * r);
        put_attr(s, "height", 2.0 * r);
        break;
    case TG_MARKER_TRIANGLE: /* apex up, base at the bottom of the size x size box */
        put_cmd(s, "<path d=\"M", x, y - r);
        put_cmd(s, "L", x + r, y + r);
        put_cmd(s, "L", x - r, y + r);
        put(s, "Z\"");
        break;
    case TG_MARKER_DIAMOND: /* corners at the middles of the box's sides */
        put_cmd(s, "<path d=\"M", x, y - r);
        put_cmd(s, "L", x + r, y);
        put_cmd(s, "L", x, y + r);
        put_cmd(s, "L", x - r, y);
        put(s, "Z\"");
        break;
    case TG_MARKER_PLUS:
        put_cmd(s, "<path d=\"M", x - r, y);
        put_cmd(s, "L", x + r, y);
        put_cmd(s, "M", x, y - r);
        put_cmd(s, "L", x, y + r);
        put(s, "\"");
        break;
    default: /* TG_MARKER_X: the box's diagonals */
        put_cmd(s, "<path d=\"M", x - r, y - r);
        put_cmd(s, "L", x + r, y + r);
        put_cmd(s, "M", x - r, y + r);
        put_cmd(s, "L", x + r, y - r);
        put(s, "\"");
        break;
    }
    put(s, "/>\n");
}

static void svg_markers(void *ctx, const tg_plot_gc *gc, tg_marker shape, double size,
                        const double *xy, int n)
{
    tg_plot_svg *s = ctx;
    if (!s || !gc || !xy || n <= 0 || shape <= TG_MARKER_NONE || shape >= TG_MARKER_COUNT) return;
    double vis[4], lw = fmin((double)gc->linewidth, 1e4);
    bool stroked = shape == TG_MARKER_PLUS || shape == TG_MARKER_X;
    if (!(size > 0.0 && size <= 1e5) || !(gc_alpha(gc) > 0.0) || (stroked && !(lw > 0.0)))
        return;
    if (!visible_box(s, gc, vis)) return;
    double box[4];
    memcpy(box, vis, sizeof box);
    grow(box, size / 2.0 + (stroked ? lw : 0.0) + 2.0); /* a centre beyond shows nothing */
    bool open = false;
    for (int i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!(x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3])) continue; /* NaN too */
        if (!open) marker_head(s, gc, shape, lw, gc->has_clip ? clip_id(s, vis) : 0);
        open = true;
        marker_one(s, shape, x, y, size / 2.0);
    }
    if (open) put(s, "</g>\n");
}

/* ---- text ----------------------------------------------------------------------------- */

/* Text content: & < > " as entities; control characters (which XML 1.0 forbids), U+FFFE,
 * U+FFFF and invalid UTF-8 as U+FFFD; everything else as is. */
static void put_escaped(tg_plot_svg *s, const char *utf8)
{
    const unsigned char *p = (const unsigned char *)utf8;
    while (*p) {
        uint32_t cp;
        int len = tg_plot_utf8_next((const char *)p, &cp);
        if (cp < 0x20 || cp == 0x7F || cp == 0xFFFE || cp == 0xFFFF) cp = 0xFFFD;
        switch (cp) {
        case '&': put(s, "&amp;"); break;
        case '<': put(s, "&lt;"); break;
        case '>': put(s, "&gt;"); break;
        case '"': put(s, "&quot;"); break;
        case 0xFFFD: put(s, "\xEF\xBF\xBD"); break;
        default: tg_atomic_file_write(s->f, p, (size_t)len);
        }
        p += len;
    }
}

/* The font-family value, asked of the text engine once: its family (letters, digits,
 * spaces and hyphens kept), then the generic sans-serif. */
static const char *font_family(tg_plot_svg *s)
{
    if (s->family[0]) return s->family;
    const char *name = tg_plot_text_family();
    size_t n = 0;
    for (; name && *name && n + 16 < sizeof s->family; name++) {
        char ch = *name;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == ' ' || ch == '-')
            s->family[n++] = ch;
    }
    s->family[n] = '\0';
    if (strcmp(s->family, "sans-serif") != 0) /* the generic fallback, unless it is that */
        memcpy(s->family + n, n ? ", sans-serif" : "sans-serif", n ? 13 : 11);
    return s->family;
}

static void svg_text(void *ctx, const tg_plot_gc *gc, const char *utf8, double x, double y,
                     double size, bool bold, tg_plot_halign halign, bool rot90)
{
    static const char *anchors[] = {"start", "middle", "end"};
    tg_plot_svg *s = ctx;
    double vis[4];
    if (!s || !gc || !utf8 || !*utf8 || !(size > 0.0 && size <= 1e5) || !(gc_alpha(gc) > 0.0))
        return;
    if (!visible_box(s, gc, vis)) return;
    double box[4];
    memcpy(box, vis, sizeof box);
    grow(box, 2.0 * size * ((double)strlen(utf8) + 2.0)); /* wider than any such text */
    if (!(x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3])) return; /* NaN too */
    int id = gc->has_clip ? clip_id(s, vis) : 0;
    if (id > 0) { /* on a <g>: a clip-path on the <text> would turn with its transform */
        put(s, "<g");
        put_clip_ref(s, id);
        put(s, ">");
    }
    put(s, "<text");
    put_attr(s, "x", x);
    put_attr(s, "y", y);
    put(s, " font-family=\"");
    put(s, font_family(s));
    put(s, "\"");
    put_attr(s, "font-size", tg_plot_text_svg_size(size));
    if (bold) put(s, " font-weight=\"bold\"");
    put(s, " text-anchor=\"");
    put(s, anchors[halign == TG_PLOT_HALIGN_CENTER ? 1 : halign == TG_PLOT_HALIGN_RIGHT ? 2 : 0]);
    put(s, "\"");
    put_color(s, "fill", gc->color);
    put_opacity(s, "fill-opacity", gc_alpha(gc));
    if (rot90) {
        put_cmd(s, " transform=\"rotate(-90 ", x, y);
        put(s, ")\"");
    }
    put(s, ">");
    put_escaped(s, utf8);
    put(s, id > 0 ? "</text></g>\n" : "</text>\n");
}

/* ---- the document --------------------------------------------------------------------- */

/* On failure (NULL file, size not positive, no memory: the file's error is then ENOMEM, so
 * its commit fails) the table is still filled, with a NULL ctx: it then draws nothing. */
tg_plot_svg *tg_plot_svg_begin(struct tg_atomic_file *f, int w, int h, tg_plot_renderer *out)
{
    if (!out) return NULL;
    *out = (tg_plot_renderer){NULL, svg_polyline, svg_polygon, svg_markers, svg_text};
    if (!f || w <= 0 || h <= 0) return NULL;
    tg_plot_svg *s = calloc(1, sizeof *s);
    if (!s) {
        if (!f->err) f->err = ENOMEM;
        return NULL;
    }
    s->f = f;
    s->w = w;
    s->h = h;
    /* xml:space="preserve": texts keep their spaces, as the PNG draws them. */
    tg_atomic_file_printf(f,
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
                          "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                          "xml:space=\"preserve\">\n"
                          "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
                          w, h, w, h, w, h);
    out->ctx = s;
    return s;
}

void tg_plot_svg_end(tg_plot_svg *s)
{
    if (!s) return;
    put(s, "</svg>\n");
    free(s->clips);
    free(s);
}
