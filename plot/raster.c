/* plot/raster.c — draws a chart's layout into an RGB buffer and writes it as PNG through
 * stb_image_write (Debian's libstb provides the implementation; none is compiled here).
 *
 * Lines are anti-aliased by coverage: a pixel's coverage is how far its centre lies inside
 * a capsule of the line's half width around each segment (plus half a pixel of ramp),
 * which gives round joins and caps. Coverage of a whole series is first collected in a
 * byte mask as the maximum over its segments and only then blended over the image, so
 * the joints of a polyline are not painted twice and a line keeps one even weight. Text
 * is the bitmap font of font.c at an integer scale: crisp, so never smoothed.
 *
 * What this is not: a general 2-D rasterizer. Colours are blended in sRGB values (as
 * most plotting libraries do), shapes are lines, rules, boxes and glyphs only.
 */
#include "plot/internal.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <stb_image_write.h>

typedef struct canvas {
    uint8_t *px;            /* w * h * 3 */
    uint8_t *mask;          /* w * h coverage, 0..255, zero between series */
    int w, h;
    int cx0, cy0, cx1, cy1; /* clip rectangle of the current line, inclusive */
    int bx0, by0, bx1, by1; /* part of the mask touched since the last flush */
} canvas;

static void blend(canvas *cv, int x, int y, uint32_t rgb, int a255)
{
    if (x < 0 || y < 0 || x >= cv->w || y >= cv->h || a255 <= 0) return;
    uint8_t *p = cv->px + ((size_t)y * cv->w + x) * 3;
    int src[3] = {(int)(rgb >> 16) & 255, (int)(rgb >> 8) & 255, (int)rgb & 255};
    if (a255 >= 255) {
        for (int k = 0; k < 3; k++) p[k] = (uint8_t)src[k];
        return;
    }
    for (int k = 0; k < 3; k++)
        p[k] = (uint8_t)((p[k] * (255 - a255) + src[k] * a255 + 127) / 255);
}

static void fill_rect(canvas *cv, int x0, int y0, int x1, int y1, uint32_t rgb, int a255)
{
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) blend(cv, x, y, rgb, a255);
}

static void draw_rule(canvas *cv, const tg_plot_rule *r)
{
    fill_rect(cv, r->x0 < r->x1 ? r->x0 : r->x1, r->y0 < r->y1 ? r->y0 : r->y1,
              r->x0 > r->x1 ? r->x0 : r->x1, r->y0 > r->y1 ? r->y0 : r->y1, r->color, 255);
}

static void draw_text(canvas *cv, const tg_plot_text *t, uint32_t rgb)
{
    int s = t->scale, w = tg_font_width(t->text, s) + (t->bold ? 1 : 0);
    int start = t->anchor == TG_ANCHOR_LEFT ? 0 : t->anchor == TG_ANCHOR_CENTER ? w / 2 : w;
    int u0 = 0; /* position along the run, in pixels */
    const char *p = t->text;
    int code;
    tg_glyph g;
    while ((code = tg_font_next(&p)) != 0) {
        tg_font_glyph(code, &g);
        for (int r = 0; r < TG_FONT_ROWS; r++)
            for (int col = 0; col < g.width; col++) {
                if (!(g.rows[r] >> col & 1)) continue;
                int u = u0 + col * s, v = r * s, du = s + (t->bold ? 1 : 0);
                if (!t->vertical) {
                    int x = t->x - start + u, y = t->y + v;
                    fill_rect(cv, x, y, x + du - 1, y + s - 1, rgb, 255);
                } else { /* reads bottom to top: along the run is up, down the glyph right */
                    int bottom = t->y + start, x = t->x + v;
                    fill_rect(cv, x, bottom - u - du, x + s - 1, bottom - u - 1, rgb, 255);
                }
            }
        u0 += g.advance * s;
    }
}

/* ---- anti-aliased lines --------------------------------------------------------------- */

typedef struct dash {
    bool on;             /* dashed at all */
    float len_on, period;
} dash;

/* Coverage of the segment a-b (half width hw) into the mask. s0 is the arc length at a,
 * for the dash pattern. */
static void mask_segment(canvas *cv, double ax, double ay, double bx, double by, double hw,
                         const dash *d, double s0)
{
    double r = hw + 1.0;
    int x0 = tg_plot_clampi(floor(fmin(ax, bx) - r), cv->cx0, cv->cx1 + 1);
    int x1 = tg_plot_clampi(ceil(fmax(ax, bx) + r), cv->cx0 - 1, cv->cx1);
    int y0 = tg_plot_clampi(floor(fmin(ay, by) - r), cv->cy0, cv->cy1 + 1);
    int y1 = tg_plot_clampi(ceil(fmax(ay, by) + r), cv->cy0 - 1, cv->cy1);
    if (x0 > x1 || y0 > y1) return;
    double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy, len = sqrt(len2);
    bool touched = false;
    for (int y = y0; y <= y1; y++) {
        double cy = y + 0.5;
        int xa = x0, xb = x1;
        if (fabs(dy) > 1e-6 * (len + 1.0)) { /* only the band around the line */
            double xc = ax + (cy - ay) * dx / dy, half = r * len / fabs(dy);
            xa = tg_plot_clampi(floor(xc - half), x0, x1 + 1);
            xb = tg_plot_clampi(ceil(xc + half), x0 - 1, x1);
        }
        for (int x = xa; x <= xb; x++) {
            double cx = x + 0.5;
            double t = len2 > 0.0 ? ((cx - ax) * dx + (cy - ay) * dy) / len2 : 0.0;
            t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
            double ex = ax + t * dx - cx, ey = ay + t * dy - cy;
            double cov = hw + 0.5 - sqrt(ex * ex + ey * ey);
            if (cov <= 0.0) continue;
            if (cov > 1.0) cov = 1.0;
            if (d->on) {
                double ph = fmod(s0 + t * len, d->period), a;
                if (ph < d->len_on)
                    a = fmin(1.0, fmin(ph + 0.5, d->len_on - ph + 0.5));
                else
                    a = fmax(0.0, 0.5 - fmin(ph - d->len_on, d->period - ph));
                cov *= a;
            }
            int c = (int)(cov * 255.0 + 0.5);
            uint8_t *m = &cv->mask[(size_t)y * cv->w + x];
            if (c > *m) *m = (uint8_t)c;
            touched = true;
        }
    }
    if (!touched) return;
    if (x0 < cv->bx0) cv->bx0 = x0;
    if (x1 > cv->bx1) cv->bx1 = x1;
    if (y0 < cv->by0) cv->by0 = y0;
    if (y1 > cv->by1) cv->by1 = y1;
}

/* Blends the collected coverage in `rgb` and clears the mask. */
static void mask_flush(canvas *cv, uint32_t rgb)
{
    for (int y = cv->by0; y <= cv->by1; y++)
        for (int x = cv->bx0; x <= cv->bx1; x++) {
            uint8_t *m = &cv->mask[(size_t)y * cv->w + x];
            if (*m) blend(cv, x, y, rgb, *m);
            *m = 0;
        }
    cv->bx0 = cv->by0 = 1 << 30;
    cv->bx1 = cv->by1 = -1;
}

static void set_clip(canvas *cv, int x0, int y0, int x1, int y1)
{
    cv->cx0 = x0 < 0 ? 0 : x0;
    cv->cy0 = y0 < 0 ? 0 : y0;
    cv->cx1 = x1 >= cv->w ? cv->w - 1 : x1;
    cv->cy1 = y1 >= cv->h ? cv->h - 1 : y1;
}

static dash dash_of(const tg_plot_series *s, float w)
{
    dash d = {s->dashed, 0.0f, 0.0f};
    if (d.on) {
        float on, off;
        tg_plot_dash(w, &on, &off);
        d.len_on = on;
        d.period = on + off;
    }
    return d;
}

static void draw_series(canvas *cv, const tg_plot_layout *L, const tg_plot_series *s)
{
    float w = tg_plot_series_width(L, s);
    dash d = dash_of(s, w);
    double qx = 0, qy = 0, arc = 0;
    bool have = false;
    for (int i = 0; i < s->n; i++) {
        double px, py;
        if (!tg_plot_point(L, s, i, &px, &py)) {
            have = false; /* a missing value breaks the line */
            continue;
        }
        if (!have) { /* a lone point still shows as a dot */
            mask_segment(cv, px, py, px, py, w / 2.0, &(dash){false, 0, 0}, 0.0);
        } else {
            mask_segment(cv, qx, qy, px, py, w / 2.0, &d, arc);
            arc += hypot(px - qx, py - qy);
        }
        qx = px;
        qy = py;
        have = true;
    }
    mask_flush(cv, s->color);
}

static void draw_legend(canvas *cv, const tg_chart *c, const tg_plot_layout *L)
{
    /* A white, slightly translucent box with a light edge and clipped corners. */
    fill_rect(cv, L->lx0, L->ly0, L->lx1, L->ly1, 0xffffff, 230);
    tg_plot_rule edges[4] = {
        {L->lx0 + 1, L->ly0, L->lx1 - 1, L->ly0, TG_PLOT_LEGEND_EDGE},
        {L->lx0 + 1, L->ly1, L->lx1 - 1, L->ly1, TG_PLOT_LEGEND_EDGE},
        {L->lx0, L->ly0 + 1, L->lx0, L->ly1 - 1, TG_PLOT_LEGEND_EDGE},
        {L->lx1, L->ly0 + 1, L->lx1, L->ly1 - 1, TG_PLOT_LEGEND_EDGE},
    };
    for (int i = 0; i < 4; i++) draw_rule(cv, &edges[i]);
    set_clip(cv, L->lx0 + 1, L->ly0 + 1, L->lx1 - 1, L->ly1 - 1);
    for (int i = 0; i < L->nlegend; i++) {
        const tg_plot_series *s = &c->series[L->legend_series[i]];
        float w = tg_plot_series_width(L, s);
        dash d = dash_of(s, w);
        double y = L->row_y[i];
        mask_segment(cv, L->sample_x0 + w / 2.0, y, L->sample_x1 - w / 2.0, y, w / 2.0, &d,
                     0.0);
        mask_flush(cv, s->color);
        draw_text(cv, &L->legend_texts[i], TG_PLOT_INK);
    }
}

tg_status tg_chart_render_rgb(const tg_chart *c, uint8_t *rgb)
{
    if (!rgb) return tg_fail(TG_ERR_ARG, "tg_chart_render_rgb: buffer is NULL");
    tg_plot_layout L;
    tg_status st = tg_plot_layout_make(c, &L);
    if (st != TG_OK) return st;
    canvas cv = {.px = rgb, .w = c->width, .h = c->height};
    cv.mask = tg_calloc((size_t)cv.w * cv.h);
    cv.bx0 = cv.by0 = 1 << 30;
    cv.bx1 = cv.by1 = -1;
    memset(rgb, 255, (size_t)cv.w * cv.h * 3);

    for (int i = 0; i < L.ngrid; i++) draw_rule(&cv, &L.grid[i]);
    set_clip(&cv, L.px0 + 1, L.py0 + 1, L.px1 - 1, L.py1 - 1);
    for (int k = 0; k < c->nseries; k++) draw_series(&cv, &L, &c->series[k]);
    for (int i = 0; i < L.nrules; i++) draw_rule(&cv, &L.rules[i]);
    for (int i = 0; i < L.ntexts; i++) draw_text(&cv, &L.texts[i], TG_PLOT_INK);
    if (L.nlegend > 0) draw_legend(&cv, c, &L);

    tg_free(cv.mask);
    tg_plot_layout_free(&L);
    return TG_OK;
}

static void png_sink(void *ctx, void *data, int size)
{
    tg_atomic_file_write(ctx, data, (size_t)size);
}

tg_status tg_chart_write_png(const tg_chart *c, const char *path)
{
    if (!c) return tg_fail(TG_ERR_ARG, "tg_chart_write_png: chart is NULL");
    if (!path || !*path) return tg_fail(TG_ERR_ARG, "tg_chart_write_png: path is NULL or empty");
    uint8_t *rgb = tg_malloc((size_t)c->width * c->height * 3);
    tg_status st = tg_chart_render_rgb(c, rgb);
    if (st != TG_OK) {
        tg_free(rgb);
        return st;
    }
    tg_atomic_file pf;
    st = tg_atomic_file_open(&pf, path);
    if (st != TG_OK) {
        tg_free(rgb);
        return st;
    }
    int ok = stbi_write_png_to_func(png_sink, &pf, c->width, c->height, 3, rgb, c->width * 3);
    tg_free(rgb);
    if (!ok) {
        tg_atomic_file_abort(&pf);
        return tg_fail(TG_ERR_NOMEM, "tg_chart_write_png: PNG encoding of '%s' failed", path);
    }
    return tg_atomic_file_commit(&pf);
}
