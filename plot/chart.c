/* plot/chart.c — the chart object and its layout: the series a program adds, the axis
 * ranges they imply (NaN-free, padded, log-aware), the ticks that fit, the margins that
 * the labels need, and the legend corner that hides the fewest points.
 *
 * Everything here is measured in pixels with the bitmap font's metrics (font.c), and the
 * result is a tg_plot_layout that raster.c and svg.c draw without further decisions.
 *
 * What this is not: a renderer (no pixel is written here) or a tick algorithm (ticks.c).
 */
#include "plot/internal.h"

#include <math.h>
#include <string.h>

/* ---- the model ---------------------------------------------------------------------- */

/* Ten distinct colours in the spirit of matplotlib's tab10 (our own values). */
static const uint32_t palette[10] = {
    0x2b6cb0, /* blue */
    0xe8772e, /* orange */
    0x2f9e44, /* green */
    0xd63a3a, /* red */
    0x8456c0, /* purple */
    0x8c5a3c, /* brown */
    0xd65fb0, /* pink */
    0x6b6b6b, /* grey */
    0xa8a82a, /* olive */
    0x1fb0c4, /* cyan */
};

uint32_t tg_plot_palette(int i)
{
    if (i < 0) i = -i;
    return palette[i % 10];
}

/* Byte offset of the first invalid UTF-8 sequence in s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or -1 when s is valid. Control characters other than tab
 * count as invalid too: SVG (XML 1.0) cannot hold them. */
static long bad_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (long i = 0; p[i];) {
        unsigned c = p[i];
        int len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                             : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || (c < 0x20 && c != '\t') || c == 0x7f) return i;
        unsigned cp = len == 1 ? c : c & (0x7f >> len);
        for (int k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80) return i;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
        i += len;
    }
    return -1;
}

static char *dup_text(const char *s)
{
    if (!s || !*s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = tg_malloc(n);
    memcpy(d, s, n);
    return d;
}

tg_chart *tg_chart_new(int width, int height)
{
    if (width < TG_PLOT_MIN_SIZE || width > TG_PLOT_MAX_SIZE || height < TG_PLOT_MIN_SIZE ||
        height > TG_PLOT_MAX_SIZE) {
        tg_fail(TG_ERR_ARG, "tg_chart_new: size %d x %d outside [%d, %d] pixels", width,
                height, TG_PLOT_MIN_SIZE, TG_PLOT_MAX_SIZE);
        return NULL;
    }
    tg_chart *c = tg_calloc(sizeof *c);
    c->width = width;
    c->height = height;
    c->xlim[0] = c->xlim[1] = c->ylim[0] = c->ylim[1] = NAN;
    return c;
}

void tg_chart_free(tg_chart *c)
{
    if (!c) return;
    for (int i = 0; i < c->nseries; i++) {
        tg_free(c->series[i].name);
        tg_free(c->series[i].x);
        tg_free(c->series[i].y);
    }
    tg_free(c->series);
    tg_free(c->title);
    tg_free(c->xlabel);
    tg_free(c->ylabel);
    tg_free(c);
}

static tg_status set_text(tg_chart *c, char **field, const char *text, const char *fn)
{
    if (!c) return tg_fail(TG_ERR_ARG, "%s: chart is NULL", fn);
    long bad = text ? bad_utf8(text) : -1;
    if (bad >= 0)
        return tg_fail(TG_ERR_ARG, "%s: the text is not valid UTF-8 (or holds a control "
                       "character) at byte %ld; the chart keeps its old text", fn, bad);
    tg_free(*field);
    *field = dup_text(text);
    return TG_OK;
}

tg_status tg_chart_set_title(tg_chart *c, const char *title)
{
    return set_text(c, c ? &c->title : NULL, title, "tg_chart_set_title");
}

tg_status tg_chart_set_xlabel(tg_chart *c, const char *label)
{
    return set_text(c, c ? &c->xlabel : NULL, label, "tg_chart_set_xlabel");
}

tg_status tg_chart_set_ylabel(tg_chart *c, const char *label)
{
    return set_text(c, c ? &c->ylabel : NULL, label, "tg_chart_set_ylabel");
}

tg_status tg_chart_set_log_y(tg_chart *c, bool log_y)
{
    if (!c) return tg_fail(TG_ERR_ARG, "tg_chart_set_log_y: chart is NULL");
    c->log_y = log_y;
    return TG_OK;
}

static tg_status set_lim(tg_chart *c, double *lim, double lo, double hi, const char *fn)
{
    if (!c) return tg_fail(TG_ERR_ARG, "%s: chart is NULL", fn);
    if (isnan(lo) && isnan(hi)) {
        lim[0] = lim[1] = NAN;
        return TG_OK;
    }
    if (!(isfinite(lo) && isfinite(hi) && lo < hi))
        return tg_fail(TG_ERR_ARG, "%s: range [%g, %g] is not finite with lo < hi", fn, lo,
                       hi);
    lim[0] = lo;
    lim[1] = hi;
    return TG_OK;
}

tg_status tg_chart_set_xlim(tg_chart *c, double lo, double hi)
{
    return set_lim(c, c ? c->xlim : NULL, lo, hi, "tg_chart_set_xlim");
}

tg_status tg_chart_set_ylim(tg_chart *c, double lo, double hi)
{
    return set_lim(c, c ? c->ylim : NULL, lo, hi, "tg_chart_set_ylim");
}

tg_status tg_chart_add_series_style(tg_chart *c, const char *name, const float *x,
                                    const float *y, int n, tg_series_style style)
{
    const char *fn = "tg_chart_add_series";
    if (!c) return tg_fail(TG_ERR_ARG, "%s: chart is NULL", fn);
    if (!y) return tg_fail(TG_ERR_ARG, "%s: series '%s': y is NULL", fn, name ? name : "");
    long bad = name ? bad_utf8(name) : -1;
    if (bad >= 0)
        return tg_fail(TG_ERR_ARG, "%s: the series name is not valid UTF-8 (or holds a control "
                       "character) at byte %ld", fn, bad);
    if (n <= 0)
        return tg_fail(TG_ERR_ARG, "%s: series '%s' has %d points", fn, name ? name : "", n);
    if (!(style.width >= 0.0f && style.width <= 64.0f))
        return tg_fail(TG_ERR_ARG, "%s: series '%s': line width %g outside [0, 64]", fn,
                       name ? name : "", (double)style.width);
    int finite = 0;
    for (int i = 0; i < n && !finite; i++)
        finite = isfinite(y[i]) && (!x || isfinite(x[i]));
    if (!finite)
        return tg_fail(TG_ERR_NUMERIC, "%s: series '%s' has no finite point (of %d)", fn,
                       name ? name : "", n);
    c->series = tg_grow(c->series, c->nseries, &c->cap, 4, sizeof *c->series);
    tg_plot_series *s = &c->series[c->nseries++];
    memset(s, 0, sizeof *s);
    s->name = dup_text(name ? name : "");
    s->n = n;
    s->y = tg_malloc((size_t)n * sizeof(float));
    memcpy(s->y, y, (size_t)n * sizeof(float));
    if (x) {
        s->x = tg_malloc((size_t)n * sizeof(float));
        memcpy(s->x, x, (size_t)n * sizeof(float));
    }
    s->color = style.color ? (style.color & 0xffffffu) : tg_plot_palette(c->nauto++);
    s->width = style.width;
    s->dashed = style.dashed;
    return TG_OK;
}

tg_status tg_chart_add_series(tg_chart *c, const char *name, const float *x, const float *y,
                              int n)
{
    return tg_chart_add_series_style(c, name, x, y, n, (tg_series_style){0});
}

tg_status tg_chart_add_tensor(tg_chart *c, const char *name, const tg_tensor *x,
                              const tg_tensor *y)
{
    if (!y) return tg_fail(TG_ERR_ARG, "tg_chart_add_tensor: series '%s': y is NULL",
                           name ? name : "");
    if (y->size > INT32_MAX || (x && x->size != y->size))
        return tg_fail(TG_ERR_ARG, "tg_chart_add_tensor: series '%s': x has %lld values, y %lld",
                       name ? name : "", x ? (long long)x->size : 0LL, (long long)y->size);
    return tg_chart_add_series(c, name, x ? x->data : NULL, y->data, (int)y->size);
}

/* ---- mapping ------------------------------------------------------------------------- */

double tg_plot_map_x(const tg_plot_layout *L, double x)
{
    return L->px0 + 0.5 + (x - L->x.lo) / (L->x.hi - L->x.lo) * (L->px1 - L->px0);
}

double tg_plot_map_y(const tg_plot_layout *L, double y)
{
    if (L->y.log) {
        if (!(y > 0.0)) return NAN;
        y = log10(y);
    }
    return L->py1 + 0.5 - (y - L->y.lo) / (L->y.hi - L->y.lo) * (L->py1 - L->py0);
}

bool tg_plot_point(const tg_plot_layout *L, const tg_plot_series *s, int i, double *px,
                   double *py)
{
    double x = s->x ? (double)s->x[i] : (double)i, y = s->y[i];
    if (!isfinite(x) || !isfinite(y) || (L->y.log && !(y > 0.0))) return false;
    *px = tg_plot_map_x(L, x);
    *py = tg_plot_map_y(L, y);
    return true;
}

float tg_plot_series_width(const tg_plot_layout *L, const tg_plot_series *s)
{
    return s->width > 0.0f ? s->width : L->line_width;
}

void tg_plot_dash(float w, float *on, float *off)
{
    *on = 3.0f * w + 3.0f;
    *off = 1.5f * w + 2.5f;
}

/* ---- ranges -------------------------------------------------------------------------- */

/* Finite data extent over all series (y > 0 on a log axis); false when there is none.
 * With a fixed x range, y spans the points inside it (all points when none is). */
static bool extent_in(const tg_chart *c, bool use_xlim, double *xmin, double *xmax,
                      double *ymin, double *ymax)
{
    *xmin = *ymin = INFINITY;
    *xmax = *ymax = -INFINITY;
    bool any = false;
    for (int k = 0; k < c->nseries; k++) {
        const tg_plot_series *s = &c->series[k];
        for (int i = 0; i < s->n; i++) {
            double x = s->x ? (double)s->x[i] : (double)i, y = s->y[i];
            if (!isfinite(x) || !isfinite(y) || (c->log_y && !(y > 0.0))) continue;
            if (use_xlim && !(x >= c->xlim[0] && x <= c->xlim[1])) continue;
            any = true;
            if (x < *xmin) *xmin = x;
            if (x > *xmax) *xmax = x;
            if (y < *ymin) *ymin = y;
            if (y > *ymax) *ymax = y;
        }
    }
    return any;
}

static bool extent(const tg_chart *c, double *xmin, double *xmax, double *ymin, double *ymax)
{
    if (!extent_in(c, false, xmin, xmax, ymin, ymax)) return false;
    double x0, x1, y0, y1;
    if (!isnan(c->xlim[0]) && extent_in(c, true, &x0, &x1, &y0, &y1)) {
        *ymin = y0;
        *ymax = y1;
    }
    return true;
}

/* [lo, hi] padded by `frac` of its span; a constant (or nearly) range gets a span of its
 * own so that it still has ticks around it. */
static void pad_range(double *lo, double *hi, double frac, double flat)
{
    double mag = fmax(fabs(*lo), fabs(*hi));
    if (*hi - *lo <= 1e-9 * mag || *hi - *lo <= 1e-300) {
        double d = mag > 0.0 ? fmax(mag * flat, 1e-300) : 1.0;
        *lo -= d;
        *hi += d;
        return;
    }
    double d = (*hi - *lo) * frac;
    *lo -= d;
    *hi += d;
}

/* ---- layout --------------------------------------------------------------------------- */

static int text_scale(int w, int h)
{
    int m = w < 2 * h ? w : 2 * h;
    return m < 720 ? 1 : m < 1600 ? 2 : m < 2800 ? 3 : 4;
}

/* The text added, or NULL when there is none to add (or no room). */
static tg_plot_text *add_text(tg_plot_layout *L, const char *text, int x, int y, int scale,
                              tg_plot_anchor anchor, bool vertical)
{
    if (!text || !*text || L->ntexts >= TG_PLOT_MAX_TEXTS) return NULL;
    L->texts[L->ntexts] = (tg_plot_text){text, x, y, scale, anchor, vertical, false};
    return &L->texts[L->ntexts++];
}

static void add_rule(tg_plot_rule *list, int *n, int cap, int x0, int y0, int x1, int y1,
                     uint32_t color)
{
    if (*n < cap) list[(*n)++] = (tg_plot_rule){x0, y0, x1, y1, color};
}

static int max_label_width(const tg_plot_axis *a, int scale)
{
    int w = 0;
    for (int i = 0; i < a->nticks; i++) {
        int t = tg_font_width(a->labels[i], scale);
        if (t > w) w = t;
    }
    return w;
}

/* Ticks and labels for at most max_ticks ticks. */
static void axis_ticks(tg_plot_axis *a, int max_ticks)
{
    double step = 0.0;
    if (a->log)
        a->nticks = tg_plot_log_ticks(pow(10.0, a->lo), pow(10.0, a->hi), max_ticks, a->ticks,
                                      TG_PLOT_MAX_TICKS, &step);
    else
        a->nticks = tg_plot_nice_ticks(a->lo, a->hi, max_ticks, a->ticks, TG_PLOT_MAX_TICKS,
                                       &step);
    tg_plot_tick_labels(a->ticks, a->nticks, step, a->labels);
    a->nminor = 0;
    if (!a->log || step > 0.0) return;
    /* Unlabelled ticks at 2..9 x 10^k when the major ticks are one decade apart. */
    bool dense = a->nticks >= 2 && a->ticks[1] / a->ticks[0] < 10.5;
    if (!dense && a->nticks >= 2) return;
    for (int k = (int)floor(a->lo) - 1; k <= (int)ceil(a->hi); k++)
        for (int m = 2; m <= 9; m++) {
            double v = m * pow(10.0, k), lv = log10(v);
            if (lv < a->lo || lv > a->hi || a->nminor >= TG_PLOT_MAX_MINOR) continue;
            bool major = false;
            for (int i = 0; i < a->nticks; i++)
                if (fabs(a->ticks[i] - v) <= 1e-9 * v) major = true;
            if (!major) a->minor[a->nminor++] = v;
        }
}

/* Points of every series (and points along their segments) inside each of `nbox` boxes. */
static void count_hidden(const tg_chart *c, const tg_plot_layout *L, const int (*box)[4],
                         int nbox, long *hits)
{
    for (int b = 0; b < nbox; b++) hits[b] = 0;
    for (int k = 0; k < c->nseries; k++) {
        const tg_plot_series *s = &c->series[k];
        double qx = 0, qy = 0;
        bool have = false;
        for (int i = 0; i < s->n; i++) {
            double px, py;
            if (!tg_plot_point(L, s, i, &px, &py)) {
                have = false;
                continue;
            }
            double len = have ? hypot(px - qx, py - qy) : 0.0;
            int steps = have ? tg_plot_clampi(ceil(len / 3.0), 1, 200) : 1;
            for (int j = 1; j <= steps; j++) {
                double t = (double)j / steps;
                double sx = have ? qx + (px - qx) * t : px, sy = have ? qy + (py - qy) * t : py;
                for (int b = 0; b < nbox; b++)
                    if (sx >= box[b][0] && sx <= box[b][2] && sy >= box[b][1] && sy <= box[b][3])
                        hits[b]++;
            }
            qx = px;
            qy = py;
            have = true;
        }
    }
}

static void place_legend(const tg_chart *c, tg_plot_layout *L)
{
    int s = L->scale, n = 0;
    for (int k = 0; k < c->nseries; k++)
        if (c->series[k].name && *c->series[k].name) n++;
    if (!n) return;
    L->nlegend = n;
    L->legend_series = tg_malloc((size_t)n * sizeof(int));
    L->row_y = tg_malloc((size_t)n * sizeof(float));
    L->legend_texts = tg_malloc((size_t)n * sizeof(tg_plot_text));
    int tw = 0;
    for (int k = 0, i = 0; k < c->nseries; k++) {
        if (!c->series[k].name || !*c->series[k].name) continue;
        L->legend_series[i++] = k;
        int w = tg_font_width(c->series[k].name, s);
        if (w > tw) tw = w;
    }
    int pad = 6 * s, sample = 22 * s, gap = 6 * s, pitch = 12 * s, cap = TG_FONT_CAP * s;
    int w = pad + sample + gap + tw + pad + 2 * s, h = 2 * pad + n * cap + (n - 1) * (pitch - cap);
    int inset = 7 * s + 2;
    /* Candidate corners, in the order preferred on ties: upper right, upper left, lower
     * left, lower right. */
    int left = L->px0 + 1 + inset, right = L->px1 - inset - w + 1;
    int top = L->py0 + 1 + inset, bottom = L->py1 - inset - h + 1;
    int corner[4][2] = {{right, top}, {left, top}, {left, bottom}, {right, bottom}};
    int box[4][4];
    int m = 3 * s;
    for (int b = 0; b < 4; b++) {
        box[b][0] = corner[b][0] - m;
        box[b][1] = corner[b][1] - m;
        box[b][2] = corner[b][0] + w - 1 + m;
        box[b][3] = corner[b][1] + h - 1 + m;
    }
    long hits[4];
    count_hidden(c, L, (const int(*)[4])box, 4, hits);
    int best = 0;
    for (int b = 1; b < 4; b++)
        if (hits[b] < hits[best]) best = b;
    L->lx0 = corner[best][0];
    L->ly0 = corner[best][1];
    L->lx1 = L->lx0 + w - 1;
    L->ly1 = L->ly0 + h - 1;
    L->sample_x0 = L->lx0 + pad;
    L->sample_x1 = L->sample_x0 + sample;
    for (int i = 0; i < n; i++) {
        int ytop = L->ly0 + pad + i * pitch;
        L->row_y[i] = (float)(ytop + 0.5 * cap);
        L->legend_texts[i] = (tg_plot_text){c->series[L->legend_series[i]].name,
                                            L->sample_x1 + gap, ytop, s, TG_ANCHOR_LEFT,
                                            false, false};
    }
}

tg_status tg_plot_layout_make(const tg_chart *c, tg_plot_layout *L)
{
    memset(L, 0, sizeof *L);
    if (!c) return tg_fail(TG_ERR_ARG, "plot: chart is NULL");
    if (c->nseries == 0) return tg_fail(TG_ERR_ARG, "plot: the chart has no series");
    if (c->log_y && !isnan(c->ylim[0]) && !(c->ylim[0] > 0.0))
        return tg_fail(TG_ERR_ARG, "plot: log-y chart with y range [%g, %g]: must be > 0",
                       c->ylim[0], c->ylim[1]);
    double xmin, xmax, ymin, ymax;
    if (!extent(c, &xmin, &xmax, &ymin, &ymax))
        return tg_fail(TG_ERR_NUMERIC, "plot: %s", c->log_y
                       ? "log-y chart has no finite point with y > 0 to draw"
                       : "the chart has no finite point to draw");
    L->x.lo = xmin;
    L->x.hi = xmax;
    if (!isnan(c->xlim[0])) {
        L->x.lo = c->xlim[0];
        L->x.hi = c->xlim[1];
    } else {
        pad_range(&L->x.lo, &L->x.hi, 0.02, 0.05);
    }
    L->y.log = c->log_y;
    if (!isnan(c->ylim[0])) {
        L->y.lo = c->log_y ? log10(c->ylim[0]) : c->ylim[0];
        L->y.hi = c->log_y ? log10(c->ylim[1]) : c->ylim[1];
    } else if (c->log_y) {
        L->y.lo = log10(ymin);
        L->y.hi = log10(ymax);
        if (L->y.hi - L->y.lo < 1e-6) {
            L->y.lo -= 0.5;
            L->y.hi += 0.5;
        } else {
            pad_range(&L->y.lo, &L->y.hi, 0.05, 0.0);
        }
    } else {
        L->y.lo = ymin;
        L->y.hi = ymax;
        pad_range(&L->y.lo, &L->y.hi, 0.05, 0.1);
    }

    /* Metrics, all multiples of the text scale. */
    int s = text_scale(c->width, c->height), ts = s + 1;
    L->scale = s;
    L->line_width = 1.25f + 0.5f * (float)s;
    int W = c->width, H = c->height;
    int pad = 5 * s + 2, tick = 2 + 2 * s, gap = 2 * s + 1, cap = TG_FONT_CAP * s;
    int line = TG_FONT_ROWS * s;

    int top = c->title ? pad + TG_FONT_ROWS * ts + pad : pad + cap / 2 + 2;
    int bottom = tick + gap + cap + (c->xlabel ? 3 * gap + line : 0) + pad;
    L->py0 = top;
    L->py1 = H - 1 - bottom;
    if (L->py1 < L->py0 + 8) L->py1 = L->py0 + 8; /* tiny charts: text may overlap */
    int ph = L->py1 - L->py0;
    axis_ticks(&L->y, tg_plot_clampi(ph / (20.0 + 18.0 * s) + 1, 2, 12));

    int ylab_w = max_label_width(&L->y, s);
    int left = pad + (c->ylabel ? line + 2 * gap : 0) + ylab_w + gap + tick;
    int right = pad + 2 * s;
    for (int pass = 0; pass < 2; pass++) {
        L->px0 = left;
        L->px1 = W - 1 - right;
        if (L->px1 < L->px0 + 8) L->px1 = L->px0 + 8;
        int pw = L->px1 - L->px0;
        /* As many x ticks as fit with two glyph cells of air between labels. */
        for (int maxt = tg_plot_clampi(pw / (48.0 * s) + 1, 2, 14);; maxt--) {
            axis_ticks(&L->x, maxt);
            if (maxt <= 2 || L->x.nticks < 2) break;
            double spacing = (L->x.ticks[1] - L->x.ticks[0]) / (L->x.hi - L->x.lo) * pw;
            if (spacing >= max_label_width(&L->x, s) + 12 * s) break;
        }
        if (L->x.nticks == 0) break;
        double last = tg_plot_map_x(L, L->x.ticks[L->x.nticks - 1]);
        int over = (int)ceil(last + tg_font_width(L->x.labels[L->x.nticks - 1], s) / 2.0) -
                   (W - pad);
        if (over <= 0) break;
        right += over;
    }

    /* Grid under the series, on major ticks. */
    for (int i = 0; i < L->x.nticks; i++) {
        int col = (int)floor(tg_plot_map_x(L, L->x.ticks[i]));
        if (col > L->px0 && col < L->px1)
            add_rule(L->grid, &L->ngrid, 2 * TG_PLOT_MAX_TICKS, col, L->py0 + 1, col,
                     L->py1 - 1, TG_PLOT_GRID);
        if (col >= L->px0 && col <= L->px1) {
            add_rule(L->rules, &L->nrules, TG_PLOT_MAX_RULES, col, L->py1 + 1, col,
                     L->py1 + tick, TG_PLOT_FRAME);
            add_text(L, L->x.labels[i], col, L->py1 + tick + gap + 1, s, TG_ANCHOR_CENTER,
                     false);
        }
    }
    for (int i = 0; i < L->y.nticks; i++) {
        int row = (int)floor(tg_plot_map_y(L, L->y.ticks[i]));
        if (row > L->py0 && row < L->py1)
            add_rule(L->grid, &L->ngrid, 2 * TG_PLOT_MAX_TICKS, L->px0 + 1, row, L->px1 - 1,
                     row, TG_PLOT_GRID);
        if (row >= L->py0 && row <= L->py1) {
            add_rule(L->rules, &L->nrules, TG_PLOT_MAX_RULES, L->px0 - tick, row, L->px0 - 1,
                     row, TG_PLOT_FRAME);
            add_text(L, L->y.labels[i], L->px0 - tick - gap, (int)lround(row + 0.5 - cap / 2.0),
                     s, TG_ANCHOR_RIGHT, false);
        }
    }
    for (int i = 0; i < L->y.nminor; i++) {
        int row = (int)floor(tg_plot_map_y(L, L->y.minor[i]));
        if (row >= L->py0 && row <= L->py1)
            add_rule(L->rules, &L->nrules, TG_PLOT_MAX_RULES, L->px0 - (tick + 1) / 2, row,
                     L->px0 - 1, row, TG_PLOT_FRAME);
    }
    /* The axes box. */
    add_rule(L->rules, &L->nrules, TG_PLOT_MAX_RULES, L->px0, L->py0, L->px1, L->py0,
             TG_PLOT_FRAME);
    add_rule(L->rules, &L->nrules, TG_PLOT_MAX_RULES, L->px0, L->py1, L->px1, L->py1,
             TG_PLOT_FRAME);
    add_rule(L->rules, &L->nrules, TG_PLOT_MAX_RULES, L->px0, L->py0, L->px0, L->py1,
             TG_PLOT_FRAME);
    add_rule(L->rules, &L->nrules, TG_PLOT_MAX_RULES, L->px1, L->py0, L->px1, L->py1,
             TG_PLOT_FRAME);

    int mid_x = (L->px0 + L->px1 + 1) / 2, mid_y = (L->py0 + L->py1 + 1) / 2;
    tg_plot_text *title = add_text(L, c->title, mid_x, pad, ts, TG_ANCHOR_CENTER, false);
    if (title) title->bold = true;
    add_text(L, c->xlabel, mid_x, L->py1 + tick + gap + cap + 2 * gap, s, TG_ANCHOR_CENTER,
             false);
    add_text(L, c->ylabel, pad, mid_y, s, TG_ANCHOR_CENTER, true);
    place_legend(c, L);
    return TG_OK;
}

void tg_plot_layout_free(tg_plot_layout *L)
{
    tg_free(L->legend_series);
    tg_free(L->row_y);
    tg_free(L->legend_texts);
    L->legend_series = NULL;
    L->row_y = NULL;
    L->legend_texts = NULL;
}
