/* tests/test_plot_render.c — Criterion suite `raster` for the PNG renderer (plot/render_png.c)
 * through its renderer table, on small white canvases.
 *
 * What is checked, against values computed here from the geometry: exact-area polygon
 * coverage (a square on a quarter-pixel edge, a triangle's total ink against its shoelace
 * area, a fractional clip edge), alpha blending to the byte, the fill rule (a
 * self-intersecting band fills both lobes, a reversed inner ring is a hole, overlapping
 * rings paint once); markers (circle centroid and area, square and diamond areas, plus and
 * x symmetric); strokes (total ink of a thick line against length x width, a polyline
 * retracing itself painted once, NaN breaking a line, a lone point as a dot); dash run
 * lengths against the pattern, dotted patterns as dots; clipping (nothing outside the
 * clip rectangle); crisp lines covering exactly the documented rows and columns; huge,
 * infinite and NaN coordinates (fast, no write outside the buffer: guard bytes around
 * every canvas); the PNG file decoding back to the buffer and its errors. Text only as
 * far as no particular font is assumed: it inks something and respects the clip.
 *
 * What this is not: a look at the pictures (write one to /tmp and view it for that).
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stb_image.h>

#include "plot/render.h"
#include "plot_helpers.h"

/* ---- helpers -------------------------------------------------------------------------- */

#define GUARD 256
#define PI 3.14159265358979323846

typedef struct canvas {
    uint8_t *mem, *px;
    int w, h;
    tg_plot_renderer R;
    tg_plot_raster *r;
} canvas;

static void canvas_open(canvas *c, int w, int h)
{
    c->w = w, c->h = h;
    c->mem = malloc((size_t)w * h * 3 + 2 * GUARD);
    cr_assert_not_null(c->mem);
    memset(c->mem, 0xa5, (size_t)w * h * 3 + 2 * GUARD);
    c->px = c->mem + GUARD;
    memset(c->px, 255, (size_t)w * h * 3);
    c->r = tg_plot_raster_begin(c->px, w, h, &c->R);
    cr_assert_not_null(c->r);
}

static void canvas_close(canvas *c)
{
    tg_plot_raster_end(c->r);
    size_t n = (size_t)c->w * c->h * 3;
    for (int k = 0; k < GUARD; k++) {
        cr_assert_eq(c->mem[k], 0xa5, "write before the buffer");
        cr_assert_eq(c->mem[GUARD + n + k], 0xa5, "write after the buffer");
    }
    free(c->mem);
}

static const uint8_t *at(const canvas *c, int i, int j)
{
    return c->px + ((size_t)j * c->w + i) * 3;
}

/* Ink of black on white at (i, j): 0 white .. 1 black. */
static double ink(const canvas *c, int i, int j) { return (255 - at(c, i, j)[0]) / 255.0; }

static bool white(const canvas *c, int i, int j)
{
    const uint8_t *p = at(c, i, j);
    return p[0] == 255 && p[1] == 255 && p[2] == 255;
}

static double ink_sum(const canvas *c, int i0, int j0, int i1, int j1)
{
    double s = 0;
    for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++) s += ink(c, i, j);
    return s;
}

static void polyline(canvas *c, const tg_plot_gc *gc, const double *xy, int n)
{
    c->R.polyline(c->R.ctx, gc, xy, n);
}

static void polygon(canvas *c, const tg_plot_gc *gc, const double *xy, int n)
{
    c->R.polygon(c->R.ctx, gc, xy, n);
}

/* ---- polygons ------------------------------------------------------------------------- */

Test(raster, polygon_square_exact_coverage)
{
    canvas c;
    canvas_open(&c, 40, 30);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    double sq[] = {10.25, 10, 20.25, 10, 20.25, 20, 10.25, 20};
    polygon(&c, &gc, sq, 4);
    for (int j = 0; j < c.h; j++)
        for (int i = 0; i < c.w; i++) {
            double want = 0; /* area of the square inside pixel (i, j) */
            if (j >= 10 && j < 20)
                want = fmax(0, fmin(i + 1.0, 20.25) - fmax((double)i, 10.25));
            cr_assert(fabs(at(&c, i, j)[0] - 255.0 * (1 - want)) <= 1.0,
                      "pixel (%d, %d) = %d, coverage %.2f", i, j, at(&c, i, j)[0], want);
        }
    cr_assert(fabs(at(&c, 10, 15)[0] - 255 * 0.25) <= 1.0);
    canvas_close(&c);
}

Test(raster, polygon_alpha_blends_to_the_byte)
{
    canvas c;
    canvas_open(&c, 40, 30);
    tg_plot_gc gc = plot_gc(0xff0000, 1);
    gc.alpha = 0.25f;
    double band[] = {5, 8, 35, 8, 35, 20, 5, 20};
    polygon(&c, &gc, band, 4);
    for (int j = 8; j < 20; j++)
        for (int i = 5; i < 35; i++) {
            const uint8_t *p = at(&c, i, j);
            cr_assert_eq(p[0], 255);
            cr_assert(abs(p[1] - 191) <= 1 && abs(p[2] - 191) <= 1, "(%d, %d, %d)", p[0], p[1],
                      p[2]);
        }
    cr_assert(white(&c, 4, 10) && white(&c, 35, 10) && white(&c, 10, 7) && white(&c, 10, 20));
    canvas_close(&c);
}

Test(raster, polygon_triangle_area)
{
    canvas c;
    canvas_open(&c, 64, 64);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    double t[] = {10.3, 10.7, 50.9, 15.2, 20.1, 45.6};
    polygon(&c, &gc, t, 3);
    double area = 0.5 * fabs((t[2] - t[0]) * (t[5] - t[1]) - (t[4] - t[0]) * (t[3] - t[1]));
    double got = ink_sum(&c, 0, 0, 63, 63);
    cr_assert(fabs(got - area) < 0.002 * area, "ink %.3f, area %.3f", got, area);
    canvas_close(&c);
}

Test(raster, self_intersecting_band_fills_both_lobes)
{
    /* fill_between of y1 = 20 + (x - 10) / 2 and y2 = 60 - (x - 10) / 2, crossing at x = 50:
     * two triangles of base 40 and height 40. */
    canvas c;
    canvas_open(&c, 100, 80);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    double xy[2 * 18];
    for (int k = 0; k < 9; k++) {
        double x = 10 + 10 * k;
        xy[2 * k] = x, xy[2 * k + 1] = 20 + (x - 10) / 2;
        xy[2 * (17 - k)] = x, xy[2 * (17 - k) + 1] = 60 - (x - 10) / 2;
    }
    polygon(&c, &gc, xy, 18);
    for (int j = 36; j <= 43; j++) {
        cr_assert(ink(&c, 20, j) > 0.99 && ink(&c, 25, j) > 0.99, "left lobe, row %d", j);
        cr_assert(ink(&c, 75, j) > 0.99 && ink(&c, 79, j) > 0.99, "right lobe, row %d", j);
    }
    cr_assert(white(&c, 50, 25) && white(&c, 50, 55) && white(&c, 5, 40) && white(&c, 95, 40));
    double got = ink_sum(&c, 0, 0, 99, 79);
    cr_assert(fabs(got - 1600) < 0.01 * 1600, "ink %.2f, two lobes of 800", got);
    canvas_close(&c);
}

Test(raster, rings_hole_and_overlap)
{
    canvas c;
    canvas_open(&c, 60, 40);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    /* An outer square and a reversed inner one: a hole. */
    double holed[] = {5, 5, 25, 5, 25, 25, 5, 25, NAN, NAN, 10, 10, 10, 20, 20, 20, 20, 10};
    polygon(&c, &gc, holed, 9);
    cr_assert(white(&c, 15, 15) && ink(&c, 7, 15) > 0.99 && ink(&c, 22, 15) > 0.99);
    cr_assert(fabs(ink_sum(&c, 0, 0, 29, 39) - 300) < 0.5);
    /* Two overlapping squares of the same orientation at alpha 1/2: painted once. */
    gc.alpha = 0.5f;
    double two[] = {32, 5, 48, 5, 48, 21, 32, 21, NAN, 0, 40, 13, 56, 13, 56, 29, 40, 29};
    polygon(&c, &gc, two, 9);
    cr_assert_eq(at(&c, 44, 17)[0], at(&c, 35, 8)[0], "overlap %d, single %d",
                 at(&c, 44, 17)[0], at(&c, 35, 8)[0]);
    cr_assert(abs(at(&c, 35, 8)[0] - 128) <= 1);
    canvas_close(&c);
}

Test(raster, polygon_fractional_clip_is_exact)
{
    canvas c;
    canvas_open(&c, 40, 30);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    gc.has_clip = true;
    gc.clip_x0 = 10.5, gc.clip_y0 = 5, gc.clip_x1 = 30.25, gc.clip_y1 = 25;
    double big[] = {-100, -100, 200, -100, 200, 200, -100, 200};
    polygon(&c, &gc, big, 4);
    for (int j = 0; j < c.h; j++)
        for (int i = 0; i < c.w; i++) {
            double fx = fmax(0, fmin(i + 1.0, 30.25) - fmax((double)i, 10.5));
            double want = (j >= 5 && j < 25) ? fx : 0;
            cr_assert(fabs(ink(&c, i, j) - want) <= 1.0 / 255, "(%d, %d): %.3f, want %.3f", i,
                      j, ink(&c, i, j), want);
        }
    canvas_close(&c);
}

/* ---- markers -------------------------------------------------------------------------- */

static void centroid(const canvas *c, int i0, int j0, int i1, int j1, double *x, double *y,
                     double *mass)
{
    double m = 0, sx = 0, sy = 0;
    for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++) {
            double v = ink(c, i, j);
            m += v, sx += v * (i + 0.5), sy += v * (j + 0.5);
        }
    *x = sx / m, *y = sy / m, *mass = m;
}

Test(raster, circle_markers_centroid_and_area)
{
    canvas c;
    canvas_open(&c, 120, 40);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    double pts[] = {15.3, 20.8, 45.5, 20.5, 75.0, 19.0, 104.71, 21.13};
    double size = 12;
    c.R.markers(c.R.ctx, &gc, TG_MARKER_CIRCLE, size, pts, 4);
    for (int k = 0; k < 4; k++) {
        int i0 = (int)pts[2 * k] - 12, j0 = (int)pts[2 * k + 1] - 12;
        double x, y, m;
        centroid(&c, i0, j0, i0 + 24, j0 + 24, &x, &y, &m);
        cr_assert(hypot(x - pts[2 * k], y - pts[2 * k + 1]) < 0.3, "marker %d at (%.2f, %.2f)",
                  k, x, y);
        double area = PI * size * size / 4;
        cr_assert(fabs(m - area) < 0.03 * area, "marker %d: ink %.2f, area %.2f", k, m, area);
    }
    canvas_close(&c);
}

Test(raster, filled_marker_areas)
{
    canvas c;
    canvas_open(&c, 120, 40);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    double s = 11, sq[] = {20.3, 19.8}, di[] = {60.6, 20.2}, tr[] = {100.1, 20.45};
    c.R.markers(c.R.ctx, &gc, TG_MARKER_SQUARE, s, sq, 1);
    c.R.markers(c.R.ctx, &gc, TG_MARKER_DIAMOND, s, di, 1);
    c.R.markers(c.R.ctx, &gc, TG_MARKER_TRIANGLE, s, tr, 1);
    double x, y, m;
    centroid(&c, 0, 0, 39, 39, &x, &y, &m);
    cr_assert(fabs(m - s * s) < 0.05 * s * s, "square: %.2f", m);
    cr_assert(hypot(x - sq[0], y - sq[1]) < 0.3);
    centroid(&c, 40, 0, 79, 39, &x, &y, &m);
    cr_assert(fabs(m - s * s / 2) < 0.05 * s * s / 2, "diamond: %.2f", m);
    cr_assert(hypot(x - di[0], y - di[1]) < 0.3);
    centroid(&c, 80, 0, 119, 39, &x, &y, &m);
    cr_assert(fabs(m - s * s / 2) < 0.05 * s * s / 2, "triangle: %.2f", m);
    /* Apex s/2 above the point, base s/2 below: the centroid is s/6 below the point. */
    cr_assert(hypot(x - tr[0], y - (tr[1] + s / 6)) < 0.3, "triangle centroid (%.2f, %.2f)", x,
              y);
    canvas_close(&c);
}

Test(raster, plus_and_x_markers)
{
    canvas c;
    canvas_open(&c, 60, 30);
    tg_plot_gc gc = plot_gc(0x000000, 1.5f);
    double p[] = {15.5, 15.5}, q[] = {45.5, 15.5}, s = 12;
    c.R.markers(c.R.ctx, &gc, TG_MARKER_PLUS, s, p, 1);
    c.R.markers(c.R.ctx, &gc, TG_MARKER_X, s, q, 1);
    double x, y, m;
    centroid(&c, 0, 0, 29, 29, &x, &y, &m);
    cr_assert(hypot(x - p[0], y - p[1]) < 0.1 && m > 2 * s, "plus (%.2f, %.2f) %.1f", x, y, m);
    cr_assert(ink(&c, 15, 10) > 0.9 && ink(&c, 10, 15) > 0.9 && ink(&c, 11, 11) < 0.05);
    centroid(&c, 30, 0, 59, 29, &x, &y, &m);
    cr_assert(hypot(x - q[0], y - q[1]) < 0.1 && m > 2 * s, "x (%.2f, %.2f) %.1f", x, y, m);
    cr_assert(ink(&c, 41, 11) > 0.9 && ink(&c, 49, 11) > 0.9 && ink(&c, 45, 10) < 0.05);
    canvas_close(&c);
}

Test(raster, markers_blend_on_their_own)
{
    canvas c;
    canvas_open(&c, 40, 20);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    gc.alpha = 0.5f;
    double pts[] = {15, 10, 19, 10, NAN, 3};
    c.R.markers(c.R.ctx, &gc, TG_MARKER_SQUARE, 8, pts, 3);
    cr_assert(abs(at(&c, 12, 10)[0] - 128) <= 1);
    cr_assert(abs(at(&c, 17, 10)[0] - 64) <= 1, "overlap darkens: %d", at(&c, 17, 10)[0]);
    canvas_close(&c);
}

/* ---- strokes -------------------------------------------------------------------------- */

Test(raster, thick_line_ink_is_length_times_width)
{
    canvas c;
    canvas_open(&c, 100, 100);
    tg_plot_gc gc = plot_gc(0x000000, 3);
    double xy[] = {12.3, 15.1, 83.7, 71.9};
    polyline(&c, &gc, xy, 2);
    double len = hypot(xy[2] - xy[0], xy[3] - xy[1]);
    double want = len * 3 + PI * 1.5 * 1.5; /* two round caps make one disc */
    double got = ink_sum(&c, 0, 0, 99, 99);
    cr_assert(fabs(got - want) < 0.03 * want, "ink %.2f, want %.2f", got, want);
    canvas_close(&c);
}

Test(raster, polyline_paints_itself_once_and_breaks_at_nan)
{
    canvas c, d;
    canvas_open(&c, 60, 30);
    canvas_open(&d, 60, 30);
    tg_plot_gc gc = plot_gc(0x0000ff, 2);
    gc.alpha = 0.5f;
    double once[] = {5.5, 10.5, 50.5, 10.5};
    double thrice[] = {5.5, 10.5, 50.5, 10.5, 5.5, 10.5, 50.5, 10.5};
    polyline(&c, &gc, once, 2);
    polyline(&d, &gc, thrice, 4);
    cr_assert_eq(memcmp(c.px, d.px, (size_t)60 * 30 * 3), 0, "a retraced polyline darkens");
    double broken[] = {5.5, 20.5, 20.5, 20.5, NAN, 20.5, 35.5, 20.5, 50.5, 20.5, NAN, NAN,
                       55.5, 25.5};
    gc = plot_gc(0x000000, 1);
    polyline(&c, &gc, broken, 7);
    cr_assert(ink(&c, 10, 20) > 0.99 && ink(&c, 40, 20) > 0.99);
    cr_assert(white(&c, 25, 20) && white(&c, 30, 20), "NaN must break the line");
    cr_assert(ink(&c, 55, 25) > 0.99, "a lone point is a dot");
    canvas_close(&c);
    canvas_close(&d);
}

/* Lengths of the runs of inked (> 1/2) and clear pixels along row j from i0 to i1. */
static int runs(const canvas *c, int j, int i0, int i1, int *len, bool *on, int max)
{
    int n = 0;
    for (int i = i0; i <= i1; i++) {
        bool v = ink(c, i, j) > 0.5;
        if (n > 0 && on[n - 1] == v) {
            len[n - 1]++;
        } else if (n < max) {
            on[n] = v, len[n] = 1, n++;
        }
    }
    return n;
}

static void check_pattern(const float *pat, int np, float lw)
{
    canvas c;
    canvas_open(&c, 200, 20);
    tg_plot_gc gc = plot_gc(0x000000, lw);
    gc.ndashes = np;
    memcpy(gc.dashes, pat, sizeof(float) * (size_t)np);
    double xy[] = {10, 10.5, 190, 10.5};
    polyline(&c, &gc, xy, 2);
    int len[200];
    bool on[200];
    int n = runs(&c, 10, 0, 199, len, on, 200);
    cr_assert(n > 6, "only %d runs", n);
    /* Runs 1 .. n-2 lie inside the line (run 0 is the paper before it, the last one may
     * be cut by the end). The pattern starts "on" at x = 10. */
    cr_assert(!on[0] && len[0] == 10);
    int period = np % 2 ? 2 * np : np;
    for (int k = 1; k < n - 2; k++) {
        float want = pat[(k - 1) % period % np];
        cr_assert_eq(on[k], (k - 1) % 2 == 0);
        cr_assert(fabs(len[k] - want) <= 1.0, "run %d: %d px, pattern %.1f", k, len[k], want);
    }
    canvas_close(&c);
}

Test(raster, dashes_follow_the_pattern)
{
    check_pattern((const float[]){6, 4}, 2, 1);
    check_pattern((const float[]){8, 3, 2, 3}, 4, 1);
    check_pattern((const float[]){5}, 1, 2);
    check_pattern((const float[]){7.4f, 3.2f, 1.5f, 3.2f, 12, 2, 3, 4}, 8, 1.5f);
}

Test(raster, dotted_gives_dots)
{
    canvas c;
    canvas_open(&c, 200, 20);
    tg_plot_gc gc = plot_gc(0x000000, 2);
    gc.ndashes = 2, gc.dashes[0] = 2, gc.dashes[1] = 3.3f; /* matplotlib ':' at width 2 */
    double xy[] = {10.3, 10, 180.3, 10};
    polyline(&c, &gc, xy, 2);
    int dots = 0, run = 0;
    for (int i = 0; i < 200; i++) {
        double v = fmax(ink(&c, i, 9), ink(&c, i, 10));
        if (v > 0.3) {
            run++;
        } else {
            if (run > 0) dots++;
            cr_assert(run <= 3, "a dot of %d px at %d", run, i);
            run = 0;
        }
    }
    double want = 170 / 5.3;
    cr_assert(fabs(dots - want) <= 1.5, "%d dots, want about %.1f", dots, want);
    canvas_close(&c);
}

/* ---- clipping and crisp lines --------------------------------------------------------- */

Test(raster, nothing_outside_the_clip)
{
    tg_plot_gc gc = plot_gc(0x000000, 5);
    gc.has_clip = true;
    gc.clip_x0 = 20, gc.clip_y0 = 15, gc.clip_x1 = 60, gc.clip_y1 = 45;
    double line[] = {-10, -10, 90, 70, 5, 60, 75, 5};
    double poly[] = {0, 20, 80, 0, 70, 60};
    double pts[] = {20, 15, 40, 30, 60, 45, 20, 45, 60, 15, 10, 30};
    for (int what = 0; what < 4; what++) {
        canvas c;
        canvas_open(&c, 80, 60);
        if (what == 0) polyline(&c, &gc, line, 4);
        if (what == 1) polygon(&c, &gc, poly, 3);
        if (what == 2) c.R.markers(c.R.ctx, &gc, TG_MARKER_CIRCLE, 14, pts, 6);
        if (what == 3) c.R.markers(c.R.ctx, &gc, TG_MARKER_X, 14, pts, 6);
        double inside = 0;
        for (int j = 0; j < 60; j++)
            for (int i = 0; i < 80; i++) {
                if (i >= 20 && i < 60 && j >= 15 && j < 45) inside += ink(&c, i, j);
                else cr_assert(white(&c, i, j), "case %d: (%d, %d) drawn", what, i, j);
            }
        cr_assert(inside > 20, "case %d: nothing inside the clip", what);
        canvas_close(&c);
    }
}

/* Asserts that exactly the pixels of [i0, i1] x [j0, j1] are black, all others white. */
static void assert_exact_rect(const canvas *c, int i0, int j0, int i1, int j1)
{
    for (int j = 0; j < c->h; j++)
        for (int i = 0; i < c->w; i++) {
            bool in = i >= i0 && i <= i1 && j >= j0 && j <= j1;
            const uint8_t *p = at(c, i, j);
            cr_assert_eq(p[0], in ? 0 : 255, "(%d, %d) = %d, rect [%d, %d] x [%d, %d]", i, j,
                         p[0], i0, i1, j0, j1);
        }
}

Test(raster, crisp_lines_cover_exact_pixels)
{
    struct {
        double xy[4];
        float lw;
        int i0, j0, i1, j1;
    } cases[] = {
        {{10.5, 20.5, 30.5, 20.5}, 1, 10, 20, 30, 20},     /* one row, columns 10..30 */
        {{30.5, 20.5, 10.5, 20.5}, 1.3f, 10, 20, 30, 20},  /* reversed, rounds to 1 */
        {{7.5, 3.5, 7.5, 25.5}, 0.6f, 7, 3, 7, 25},        /* vertical, at least 1 */
        {{10, 20, 30, 20}, 2, 9, 19, 30, 20},              /* even: on a pixel edge */
        {{10.5, 20.5, 30.5, 20.5}, 2, 10, 19, 30, 20},     /* even on a centre: one up */
        {{10.5, 20.5, 30.5, 20.5}, 3, 9, 19, 31, 21},      /* odd: centred, caps of 1 */
        {{12.5, 8.5, 12.5, 8.5}, 3, 11, 7, 13, 9},         /* a dot */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        canvas c;
        canvas_open(&c, 40, 30);
        tg_plot_gc gc = plot_gc(0x000000, cases[k].lw);
        gc.crisp = true;
        polyline(&c, &gc, cases[k].xy, cases[k].xy[0] == cases[k].xy[2] &&
                                                cases[k].xy[1] == cases[k].xy[3] ? 1 : 2);
        assert_exact_rect(&c, cases[k].i0, cases[k].j0, cases[k].i1, cases[k].j1);
        canvas_close(&c);
    }
}

Test(raster, crisp_frame_corners_and_diagonal)
{
    canvas c;
    canvas_open(&c, 50, 40);
    tg_plot_gc gc = plot_gc(0x000000, 2);
    gc.crisp = true;
    gc.alpha = 0.5f;
    double frame[] = {10, 10, 40, 10, 40, 30, 10, 30, 10, 10};
    polyline(&c, &gc, frame, 5);
    int edge = at(&c, 25, 9)[0];
    cr_assert(abs(edge - 128) <= 1);
    int corners[][2] = {{9, 9}, {40, 9}, {40, 30}, {9, 30}, {10, 10}, {39, 29}};
    for (int k = 0; k < 6; k++)
        cr_assert_eq(at(&c, corners[k][0], corners[k][1])[0], edge, "corner (%d, %d)",
                     corners[k][0], corners[k][1]);
    cr_assert(white(&c, 8, 20) && white(&c, 11, 20) && white(&c, 25, 11) && white(&c, 41, 20));
    /* Not axis-aligned: anti-aliased, so some pixels are partly covered. */
    canvas d;
    canvas_open(&d, 50, 40);
    gc.alpha = 1;
    double diag[] = {5.5, 5.5, 40.5, 30.5};
    polyline(&d, &gc, diag, 2);
    int partial = 0;
    for (int j = 0; j < 40; j++)
        for (int i = 0; i < 50; i++) partial += ink(&d, i, j) > 0.1 && ink(&d, i, j) < 0.9;
    cr_assert(partial > 20);
    canvas_close(&c);
    canvas_close(&d);
}

/* ---- hostile input -------------------------------------------------------------------- */

Test(raster, huge_infinite_and_nan_coordinates, .timeout = 20)
{
    canvas c;
    canvas_open(&c, 64, 48);
    tg_plot_gc gc = plot_gc(0x000000, 2);
    double v[] = {1e300, -1e300, INFINITY, -INFINITY, NAN, 1.7e308, -1.7e308, 3, 1e-300, 30};
    enum { N = 2000 };
    static double xy[2 * N];
    for (int k = 0; k < 2 * N; k++) xy[k] = v[(k * 7 + k / 10) % 10];
    clock_t t0 = clock();
    for (int dash = 0; dash < 2; dash++) {
        gc.ndashes = dash ? 2 : 0, gc.dashes[0] = 3, gc.dashes[1] = 2;
        for (int crisp = 0; crisp < 2; crisp++) {
            gc.crisp = crisp;
            polyline(&c, &gc, xy, N);
            polygon(&c, &gc, xy, N);
        }
    }
    for (int s = TG_MARKER_CIRCLE; s < TG_MARKER_COUNT; s++) {
        c.R.markers(c.R.ctx, &gc, (tg_marker)s, 10, xy, N);
        c.R.markers(c.R.ctx, &gc, (tg_marker)s, 1e300, xy, 50);
        c.R.markers(c.R.ctx, &gc, (tg_marker)s, INFINITY, xy, 50);
        c.R.markers(c.R.ctx, &gc, (tg_marker)s, NAN, xy, 50);
    }
    tg_plot_gc odd = gc;
    odd.linewidth = 1e30f, odd.alpha = NAN, odd.ndashes = 99;
    polyline(&c, &odd, xy, 50);
    odd.alpha = 1, odd.linewidth = NAN, odd.has_clip = true, odd.clip_x0 = NAN;
    polyline(&c, &odd, xy, 50);
    odd.linewidth = 1e30f, odd.clip_x0 = -INFINITY, odd.clip_y0 = 1e300, odd.ndashes = 8;
    for (int k = 0; k < 8; k++) odd.dashes[k] = k % 2 ? NAN : -1;
    polyline(&c, &odd, xy, 50);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    cr_assert(secs < 5, "took %.2f s", secs);
    canvas_close(&c);

    /* A square of +-1e300 (or infinite) corners covers the whole canvas, exactly. */
    double big[][8] = {{-1e300, -1e300, 1e300, -1e300, 1e300, 1e300, -1e300, 1e300},
                       {-INFINITY, -INFINITY, INFINITY, -INFINITY, INFINITY, INFINITY,
                        -INFINITY, INFINITY}};
    for (int k = 0; k < 2; k++) {
        canvas_open(&c, 64, 48);
        gc = plot_gc(0x000000, 1);
        polygon(&c, &gc, big[k], 4);
        for (int j = 0; j < 48; j++)
            for (int i = 0; i < 64; i++) cr_assert_eq(at(&c, i, j)[0], 0, "(%d, %d)", i, j);
        canvas_close(&c);
    }
}

Test(raster, line_from_far_away_keeps_its_slope)
{
    /* One end far outside: the visible part lies on the true line. */
    canvas c;
    canvas_open(&c, 64, 48);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    double xy[] = {10.5, 20.5, 10.5 + 1e12, 20.5 + 0.5e12};
    polyline(&c, &gc, xy, 2);
    cr_assert(ink(&c, 50, 40) > 0.9, "(50.5, 40.5) is on the line");
    cr_assert(white(&c, 50, 35) && white(&c, 50, 45));
    canvas_close(&c);
}

Test(raster, degenerate_canvas_and_arguments)
{
    tg_plot_renderer R;
    cr_assert_null(tg_plot_raster_begin(NULL, 10, 10, &R));
    tg_plot_gc gc = plot_gc(0, 1);
    double xy[] = {1, 1, 5, 5};
    R.polyline(R.ctx, &gc, xy, 2); /* a table with no canvas draws nothing */
    R.polygon(R.ctx, &gc, xy, 2);
    R.text(R.ctx, &gc, "x", 1, 1, 10, false, TG_PLOT_HALIGN_LEFT, false);
    tg_plot_raster_end(NULL);
    canvas c;
    canvas_open(&c, 1, 1);
    c.R.polyline(c.R.ctx, &gc, NULL, 5);
    c.R.polygon(c.R.ctx, NULL, xy, 2);
    c.R.markers(c.R.ctx, &gc, TG_MARKER_NONE, 5, xy, 2);
    c.R.markers(c.R.ctx, &gc, (tg_marker)99, 5, xy, 2);
    c.R.text(c.R.ctx, &gc, NULL, 0, 0, 10, false, TG_PLOT_HALIGN_LEFT, false);
    double dot[] = {0.5, 0.5};
    c.R.polyline(c.R.ctx, &gc, dot, 1);
    cr_assert_eq(at(&c, 0, 0)[0], 0);
    canvas_close(&c);
}

/* ---- text ----------------------------------------------------------------------------- */

Test(raster, text_inks_inside_its_clip)
{
    canvas c;
    canvas_open(&c, 120, 60);
    tg_plot_gc gc = plot_gc(0x000000, 1);
    c.R.text(c.R.ctx, &gc, "Hg 42", 10, 30, 16, false, TG_PLOT_HALIGN_LEFT, false);
    cr_assert(ink_sum(&c, 0, 0, 119, 59) > 5, "no ink");
    canvas_close(&c);

    canvas_open(&c, 120, 60);
    gc.has_clip = true;
    gc.clip_x0 = 0, gc.clip_y0 = 0, gc.clip_x1 = 40, gc.clip_y1 = 60;
    c.R.text(c.R.ctx, &gc, "HHHHHHHHHHHH", 20, 30, 16, true, TG_PLOT_HALIGN_LEFT, false);
    c.R.text(c.R.ctx, &gc, "HHHHHHHHHHHH", 30, 58, 16, false, TG_PLOT_HALIGN_LEFT, true);
    c.R.text(c.R.ctx, &gc, "\xff\xfe bad utf-8", 1e300, NAN, 1e9, false, TG_PLOT_HALIGN_RIGHT,
             true);
    for (int j = 0; j < 60; j++)
        for (int i = 40; i < 120; i++) cr_assert(white(&c, i, j), "(%d, %d) drawn", i, j);
    cr_assert(ink_sum(&c, 0, 0, 39, 59) > 5, "no ink");
    canvas_close(&c);
}

/* ---- the PNG file --------------------------------------------------------------------- */

Test(raster, png_round_trip_and_errors)
{
    char dir[] = "/tmp/tg-raster-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/out.png", dir);
    int w = 37, h = 23;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    uint32_t s = 12345;
    for (int k = 0; k < w * h * 3; k++) {
        s = s * 1103515245u + 12345u;
        rgb[k] = (uint8_t)(s >> 16);
    }
    cr_assert_eq(tg_plot_png_write(rgb, w, h, path, "my_fn"), TG_OK, "%s", tg_last_error());
    int gw, gh, n;
    uint8_t *got = stbi_load(path, &gw, &gh, &n, 3);
    cr_assert_not_null(got);
    cr_assert(gw == w && gh == h);
    cr_assert_eq(memcmp(got, rgb, (size_t)w * h * 3), 0);
    stbi_image_free(got);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_assert_neq(access(tmp, F_OK), 0, "temporary file left behind");

    char bad[160];
    snprintf(bad, sizeof bad, "%s/missing/out.png", dir);
    cr_assert_eq(tg_plot_png_write(rgb, w, h, bad, "my_fn"), TG_ERR_IO);
    cr_assert_not_null(strstr(tg_last_error(), bad), "%s", tg_last_error());
    cr_assert_not_null(strstr(tg_last_error(), "my_fn"), "%s", tg_last_error());
    cr_assert_eq(tg_plot_png_write(rgb, 0, h, path, "my_fn"), TG_ERR_ARG);
    cr_assert_eq(tg_plot_png_write(rgb, w, h, "", "my_fn"), TG_ERR_ARG);
    cr_assert_eq(tg_plot_png_write(NULL, w, h, path, "my_fn"), TG_ERR_ARG);
    free(rgb);
    remove(path);
    rmdir(dir);
}
