/* tests/test_plot.c — Criterion suite for plot/: line charts as PNG and SVG.
 *
 * What is checked: a PNG decodes (stb_image) at the requested size with every series'
 * colour present on a mostly white background; an SVG starts with <svg, has exactly one
 * <path> per series in its colour and the (escaped) title, and ends with </svg>; the nice
 * tick values and their labels (linear, log decades, 1-2-5, compact k/M/e forms; exact
 * labels for custom steps and log ticks between decades, "0" on a k/M axis, plain labels
 * for NaN, infinite or non-positive log ticks, a lone log tick); NaN
 * breaking a line; log-y skipping non-positive values; the legend moving away from the
 * data; bad input returning statuses; and the file safety promise: a missing directory is
 * TG_ERR_IO naming the path, and a write that fails midway (simulated with RLIMIT_FSIZE)
 * or a rename that fails leaves the previous file intact and no temporary file behind.
 *
 * What this file is not: a look at the pictures. Whether a chart reads well is judged by
 * eye on sample PNGs; these tests pin down the properties that can be counted.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image.h>

#include "plot/plot.h"
#include "plot_helpers.h"

/* ---- helpers -------------------------------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/tg-plot-XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp");
}

/* Removes the test directory and the files in it (it holds no subdirectories that the
 * tests leave, except the one a test makes and removes itself). */
static void remove_dir(void)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (remove(p) != 0) rmdir(p);
    }
    closedir(d);
    rmdir(dir);
}

static const char *in_dir(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static bool tmp_exists(const char *path)
{
    char t[300];
    snprintf(t, sizeof t, "%s.tmp", path);
    return exists(t);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* Pixels within `tol` per channel of 0xRRGGBB, in rows [y0, y1) and columns [x0, x1). */
static long count_colour_in(const unsigned char *px, int w, int channels, int x0, int y0,
                            int x1, int y1, uint32_t rgb, int tol)
{
    int r = (int)(rgb >> 16) & 255, g = (int)(rgb >> 8) & 255, b = (int)rgb & 255;
    long count = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const unsigned char *p = px + ((size_t)y * w + x) * channels;
            if (abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol) count++;
        }
    return count;
}

static long count_colour(const unsigned char *px, int w, int h, int channels, uint32_t rgb,
                         int tol)
{
    return count_colour_in(px, w, channels, 0, 0, w, h, rgb, tol);
}

/* Number of <path ...> elements whose attributes mention `colour`. */
static int paths_with_colour(const char *svg, const char *colour)
{
    int n = 0;
    for (const char *p = svg; (p = strstr(p, "<path")) != NULL; p++) {
        const char *end = strchr(p, '>');
        cr_assert_not_null(end, "unterminated <path");
        const char *c = strstr(p, colour);
        if (c && c < end) n++;
    }
    return n;
}

/* A noisy rising and a falling series around 30000-50000, as a price chart has. */
static tg_chart *price_chart(int w, int h)
{
    enum { N = 300 };
    float up[N], down[N];
    for (int i = 0; i < N; i++) {
        up[i] = 30000.0f + 60.0f * (float)i + 900.0f * sinf(0.3f * (float)i);
        down[i] = 50000.0f - 50.0f * (float)i + 400.0f * cosf(0.7f * (float)i);
    }
    tg_chart *c = tg_chart_new(w, h);
    cr_assert_not_null(c, "%s", tg_last_error());
    cr_assert_eq(tg_chart_set_title(c, "Bitcoin close"), TG_OK);
    cr_assert_eq(tg_chart_set_xlabel(c, "day"), TG_OK);
    cr_assert_eq(tg_chart_set_ylabel(c, "price (USD)"), TG_OK);
    cr_assert_eq(tg_chart_add_series(c, "true", NULL, up, N), TG_OK, "%s", tg_last_error());
    cr_assert_eq(tg_chart_add_series(c, "predicted", NULL, down, N), TG_OK);
    return c;
}

static unsigned char *render(const tg_chart *c, int w, int h)
{
    unsigned char *px = malloc((size_t)w * h * 3);
    cr_assert_eq(tg_chart_render_rgb(c, px), TG_OK, "%s", tg_last_error());
    return px;
}

TestSuite(plot, .init = make_dir, .fini = remove_dir);

/* ---- PNG ------------------------------------------------------------------------------ */

Test(plot, png_decodes_at_the_size_with_each_series_colour_on_white)
{
    const char *path = in_dir("price.png");
    tg_chart *c = price_chart(900, 400);
    cr_assert_eq(tg_chart_write_png(c, path), TG_OK, "%s", tg_last_error());
    tg_chart_free(c);
    int w, h, ch;
    unsigned char *px = stbi_load(path, &w, &h, &ch, 0);
    cr_assert_not_null(px, "stb_image cannot decode %s", path);
    cr_expect_eq(w, 900);
    cr_expect_eq(h, 400);
    cr_expect(ch == 3 || ch == 4, "%d channels", ch);
    long n = (long)w * h;
    cr_expect_gt(count_colour(px, w, h, ch, tg_plot_palette(0), 10), 400, "first series");
    cr_expect_gt(count_colour(px, w, h, ch, tg_plot_palette(1), 10), 400, "second series");
    cr_expect_gt(count_colour(px, w, h, ch, 0xffffff, 0), n * 7 / 10, "mostly white");
    cr_expect_gt(count_colour(px, w, h, ch, 0x262626, 40), 300, "dark text and axes");
    /* the title is dark ink in the top band, centred */
    cr_expect_gt(count_colour_in(px, w, ch, 300, 0, 600, 40, 0x262626, 40), 50, "title");
    stbi_image_free(px);
    cr_expect_not(tmp_exists(path), "the temporary file is gone");
}

Test(plot, explicit_colour_dash_and_width_are_used)
{
    float y[100];
    for (int i = 0; i < 100; i++) y[i] = (float)(i % 20);
    tg_chart *solid = tg_chart_new(600, 300), *dashed = tg_chart_new(600, 300);
    tg_series_style st = {.color = TG_RGB(0x00aa00), .width = 3.0f};
    cr_assert_eq(tg_chart_add_series_style(solid, "s", NULL, y, 100, st), TG_OK);
    st.dashed = true;
    cr_assert_eq(tg_chart_add_series_style(dashed, "s", NULL, y, 100, st), TG_OK);
    unsigned char *a = render(solid, 600, 300), *b = render(dashed, 600, 300);
    long na = count_colour(a, 600, 300, 3, 0x00aa00, 8);
    long nb = count_colour(b, 600, 300, 3, 0x00aa00, 8);
    cr_expect_gt(na, 1000, "a 3 px line in the given colour (%ld px)", na);
    cr_expect(nb < na * 8 / 10 && nb > na * 3 / 10, "dashed %ld of solid %ld", nb, na);
    free(a);
    free(b);
    tg_chart_free(solid);
    tg_chart_free(dashed);
}

Test(plot, writing_twice_gives_the_same_bytes)
{
    tg_chart *c = price_chart(500, 300);
    const char *p1 = in_dir("a.png"), *p2 = in_dir("b.png");
    cr_assert_eq(tg_chart_write_png(c, p1), TG_OK);
    cr_assert_eq(tg_chart_write_png(c, p2), TG_OK);
    size_t l1, l2;
    char *a = plot_slurp(p1, &l1), *b = plot_slurp(p2, &l2);
    cr_expect(l1 == l2 && memcmp(a, b, l1) == 0);
    free(a);
    free(b);
    tg_chart_free(c);
}

Test(plot, nan_breaks_the_line_and_leaves_the_range_alone)
{
    enum { N = 100, W = 600, H = 300 };
    float y[N];
    for (int i = 0; i < N; i++) y[i] = (i >= 40 && i < 60) ? NAN : 1.0f + 0.001f * (float)i;
    y[70] = INFINITY;
    tg_chart *c = tg_chart_new(W, H);
    cr_assert_eq(tg_chart_add_series(c, NULL, NULL, y, N), TG_OK); /* no name: no legend */
    unsigned char *px = render(c, W, H);
    /* Columns holding the line: one run for 0..39, one for 60..99 (split once more at 70),
     * with a wide empty stretch where the NaNs were. */
    int first = -1, last = -1, widest_gap = 0, prev = -1;
    for (int x = 0; x < W; x++) {
        if (count_colour_in(px, W, 3, x, 0, x + 1, H, tg_plot_palette(0), 10) == 0) continue;
        if (first < 0) first = x;
        if (prev >= 0 && x - prev > widest_gap) widest_gap = x - prev;
        prev = last = x;
    }
    cr_assert(first >= 0, "the line is drawn");
    cr_expect_gt(widest_gap, (last - first) / 6, "gap of %d px over %d px", widest_gap,
                 last - first);
    /* The y range comes from the finite values only: the line spans a good part of the
     * height (its values 1.0..1.1 are not squashed by an infinite range). */
    int top = H, bottom = -1;
    for (int y = 0; y < H; y++)
        if (count_colour_in(px, W, 3, 0, y, W, y + 1, tg_plot_palette(0), 10) > 0) {
            if (y < top) top = y;
            bottom = y;
        }
    cr_expect_gt(bottom - top, H / 3, "line spans rows %d..%d", top, bottom);
    free(px);
    tg_chart_free(c);
}

Test(plot, constant_series_and_a_single_point_get_an_axis)
{
    float flat[20], one = 7.0f;
    for (int i = 0; i < 20; i++) flat[i] = 3.0f;
    tg_chart *c = tg_chart_new(400, 300);
    cr_assert_eq(tg_chart_add_series(c, "flat", NULL, flat, 20), TG_OK);
    cr_expect_eq(tg_chart_write_png(c, in_dir("flat.png")), TG_OK, "%s", tg_last_error());
    cr_expect_eq(tg_chart_write_svg(c, in_dir("flat.svg")), TG_OK, "%s", tg_last_error());
    unsigned char *px = render(c, 400, 300);
    cr_expect_gt(count_colour(px, 400, 300, 3, tg_plot_palette(0), 10), 200);
    free(px);
    tg_chart_free(c);
    c = tg_chart_new(400, 300);
    cr_assert_eq(tg_chart_add_series(c, "dot", NULL, &one, 1), TG_OK);
    px = render(c, 400, 300);
    cr_expect_gt(count_colour(px, 400, 300, 3, tg_plot_palette(0), 10), 2, "a lone point");
    free(px);
    tg_chart_free(c);
}

Test(plot, legend_goes_to_the_corner_without_data)
{
    enum { W = 800, H = 400 };
    float rising[50];
    for (int i = 0; i < 50; i++) rising[i] = (float)i;
    tg_chart *c = tg_chart_new(W, H);
    cr_assert_eq(tg_chart_add_series(c, "rising", NULL, rising, 50), TG_OK);
    unsigned char *px = render(c, W, H);
    /* The line runs from lower left to upper right: the legend's light edge should be in
     * the upper left quarter, away from the line. */
    uint32_t edge = 0xcccccc;
    long ul = count_colour_in(px, W, 3, 0, 0, W / 2, H / 2, edge, 2);
    long ur = count_colour_in(px, W, 3, W / 2, 0, W, H / 2, edge, 2);
    /* (above the x tick labels, whose anti-aliased greys can match the edge colour) */
    long lr = count_colour_in(px, W, 3, W / 2, H / 2, W, H * 85 / 100, edge, 2);
    cr_expect(ul > 50 && ur == 0 && lr == 0, "legend edge pixels: UL %ld, UR %ld, LR %ld", ul,
              ur, lr);
    free(px);
    tg_chart_free(c);
}

Test(plot, log_y_skips_non_positive_values)
{
    float y[40];
    for (int i = 0; i < 40; i++) y[i] = (i % 10 == 3) ? 0.0f : (i % 10 == 7 ? -1.0f : expf(-0.2f * (float)i));
    tg_chart *c = tg_chart_new(600, 300);
    cr_assert_eq(tg_chart_set_log_y(c, true), TG_OK);
    cr_assert_eq(tg_chart_add_series(c, "loss", NULL, y, 40), TG_OK);
    cr_expect_eq(tg_chart_write_png(c, in_dir("log.png")), TG_OK, "%s", tg_last_error());
    cr_expect_eq(tg_chart_write_svg(c, in_dir("log.svg")), TG_OK, "%s", tg_last_error());
    /* The skipped points break the line: the series' SVG path restarts (several M
     * commands in the one path of its colour that is not the legend's sample). */
    char *svg = plot_slurp(in_dir("log.svg"), NULL);
    char colour[16];
    snprintf(colour, sizeof colour, "\"#%06x\"", tg_plot_palette(0));
    int most = 0;
    for (const char *p = strstr(svg, colour); p; p = strstr(p + 1, colour)) {
        const char *d = strstr(p, " d=\""), *end = d ? strchr(d + 4, '"') : NULL;
        int m = 0;
        for (const char *q = d; q && q < end; q++) m += *q == 'M';
        if (m > most) most = m;
    }
    cr_expect_geq(most, 5, "pieces between the skipped points");
    free(svg);
    /* A fixed range must be positive on a log axis: refused when it is set. */
    cr_expect_eq(tg_chart_set_ylim(c, -1.0, 1.0), TG_ERR_ARG);
    cr_expect(strstr(tg_last_error(), "log"), "%s", tg_last_error());
    tg_chart_free(c);
    /* Nothing positive at all: nothing to draw. */
    float neg[3] = {-1.0f, 0.0f, -2.0f};
    c = tg_chart_new(300, 200);
    tg_chart_set_log_y(c, true);
    cr_assert_eq(tg_chart_add_series(c, "neg", NULL, neg, 3), TG_OK);
    cr_expect_eq(tg_chart_write_png(c, in_dir("neg.png")), TG_ERR_NUMERIC);
    cr_expect(strstr(tg_last_error(), "log"), "%s", tg_last_error());
    cr_expect_not(exists(in_dir("neg.png")));
    tg_chart_free(c);
}

/* ---- SVG ------------------------------------------------------------------------------ */

Test(plot, svg_has_one_path_per_series_in_its_colour_and_the_title)
{
    const char *path = in_dir("price.svg");
    tg_chart *c = price_chart(800, 400);
    float third[5] = {40000, 41000, 39000, 42000, 40500};
    cr_assert_eq(tg_chart_add_series_style(c, "fixed", NULL, third, 5,
                                           (tg_series_style){.color = TG_RGB(0x123456)}),
                 TG_OK);
    cr_assert_eq(tg_chart_write_svg(c, path), TG_OK, "%s", tg_last_error());
    tg_chart_free(c);
    size_t len;
    char *svg = plot_slurp(path, &len);
    cr_expect(strncmp(svg, "<?xml", 5) == 0, "starts with the XML declaration");
    cr_expect(strstr(svg, "<svg") && strstr(svg, "<svg") - svg < 100, "then <svg");
    while (len > 0 && (svg[len - 1] == '\n' || svg[len - 1] == ' ')) svg[--len] = '\0';
    cr_expect(len > 6 && strcmp(svg + len - 6, "</svg>") == 0, "ends with </svg>");
    cr_expect_not_null(strstr(svg, ">Bitcoin close</text>"), "title text");
    cr_expect_not_null(strstr(svg, ">price (USD)</text>"), "y label");
    char colour[16];
    /* each named series: its line and its legend sample */
    for (int s = 0; s < 2; s++) {
        snprintf(colour, sizeof colour, "\"#%06x\"", tg_plot_palette(s));
        cr_expect_eq(paths_with_colour(svg, colour), 2, "two <path>s in %s", colour);
    }
    cr_expect_eq(paths_with_colour(svg, "\"#123456\""), 2, "the explicit colour");
    cr_expect_eq(plot_count(svg, "<svg"), 1);
    cr_expect_eq(plot_count(svg, "<text"), plot_count(svg, "</text>"));
    free(svg);
    cr_expect_not(tmp_exists(path));
}

Test(plot, svg_escapes_text_and_keeps_utf8)
{
    float y[3] = {1, 2, 3};
    tg_chart *c = tg_chart_new(400, 300);
    tg_chart_set_title(c, "a < b & \"c\" \xce\x94 loss");
    cr_assert_eq(tg_chart_add_series(c, "x<y", NULL, y, 3), TG_OK);
    cr_assert_eq(tg_chart_write_svg(c, in_dir("esc.svg")), TG_OK);
    cr_assert_eq(tg_chart_write_png(c, in_dir("esc.png")), TG_OK, "non-ASCII in the PNG");
    char *svg = plot_slurp(in_dir("esc.svg"), NULL);
    cr_expect_not_null(strstr(svg, "a &lt; b &amp; &quot;c&quot; \xce\x94 loss"));
    cr_expect_not_null(strstr(svg, ">x&lt;y</text>"));
    free(svg);
    tg_chart_free(c);
}

Test(plot, svg_coordinates_stay_small_with_a_fixed_range)
{
    float y[200];
    for (int i = 0; i < 200; i++) y[i] = (float)i * (float)i;
    tg_chart *c = tg_chart_new(600, 300);
    cr_assert_eq(tg_chart_add_series(c, "sq", NULL, y, 200), TG_OK);
    cr_assert_eq(tg_chart_set_xlim(c, 10, 11), TG_OK); /* data reaches 190 x-units beyond */
    cr_assert_eq(tg_chart_set_ylim(c, 100, 121), TG_OK);
    cr_assert_eq(tg_chart_write_svg(c, in_dir("zoom.svg")), TG_OK, "%s", tg_last_error());
    char *svg = plot_slurp(in_dir("zoom.svg"), NULL);
    const char *d = strstr(strstr(svg, "clip-path=\"url"), "d=\"");
    cr_assert_not_null(d);
    /* every number of the path is within a few hundred pixels of the canvas */
    for (const char *p = d + 3; *p && *p != '"';) {
        if (*p == 'M' || *p == 'L' || *p == ' ') {
            p++;
            continue;
        }
        char *end;
        double v = strtod(p, &end);
        cr_assert(end > p, "a number at '%.10s'", p);
        cr_expect(fabs(v) < 1000.0, "coordinate %g", v);
        p = end;
    }
    free(svg);
    tg_chart_free(c);
}

/* ---- ticks ----------------------------------------------------------------------------- */

static void expect_ticks(const double *got, int n, const double *want, int nwant)
{
    cr_assert_eq(n, nwant, "%d ticks, want %d", n, nwant);
    for (int i = 0; i < n; i++)
        cr_expect(fabs(got[i] - want[i]) <= 1e-9 * fmax(1.0, fabs(want[i])), "tick %d: %.17g, want %g",
                  i, got[i], want[i]);
}

Test(ticks, linear_ticks_are_multiples_of_1_2_5_steps)
{
    double t[32], step;
    int n = tg_plot_nice_ticks(0.0, 1.0, 6, t, 32, &step);
    expect_ticks(t, n, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1.0}, 6);
    cr_expect_float_eq(step, 0.2, 1e-12);
    n = tg_plot_nice_ticks(3.7, 97.0, 6, t, 32, &step);
    expect_ticks(t, n, (double[]){20, 40, 60, 80}, 4);
    n = tg_plot_nice_ticks(3.7, 97.0, 10, t, 32, &step);
    expect_ticks(t, n, (double[]){10, 20, 30, 40, 50, 60, 70, 80, 90}, 9);
    n = tg_plot_nice_ticks(28500.0, 61500.0, 8, t, 32, &step);
    expect_ticks(t, n, (double[]){30000, 35000, 40000, 45000, 50000, 55000, 60000}, 7);
    n = tg_plot_nice_ticks(-0.35, 0.35, 5, t, 32, &step);
    expect_ticks(t, n, (double[]){-0.2, 0, 0.2}, 3);
    cr_expect(!signbit(t[1]), "zero is +0");
    /* Any range: a 1-2-5 step and ticks that are exact multiples of it. */
    double ranges[][2] = {{-0.003, 0.012}, {1e-7, 3e-7}, {123456, 123999}, {-5e9, 7e9}};
    for (int r = 0; r < 4; r++) {
        n = tg_plot_nice_ticks(ranges[r][0], ranges[r][1], 7, t, 32, &step);
        cr_expect(n >= 2 && n <= 7, "range %d: %d ticks", r, n);
        double m = step / pow(10, floor(log10(step) + 1e-12));
        cr_expect(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9, "step %g", step);
        for (int i = 0; i < n; i++) {
            cr_expect(t[i] >= ranges[r][0] - 1e-9 * step && t[i] <= ranges[r][1] + 1e-9 * step);
            cr_expect(fabs(t[i] / step - round(t[i] / step)) < 1e-6);
        }
    }
    cr_expect_eq(tg_plot_nice_ticks(1.0, 1.0, 5, t, 32, &step), 0, "empty range");
    cr_expect_eq(tg_plot_nice_ticks(NAN, 1.0, 5, t, 32, &step), 0);
}

Test(ticks, log_ticks_are_decades_or_1_2_5)
{
    double t[32], step;
    int n = tg_plot_log_ticks(1e-4, 1.0, 8, t, 32, &step);
    expect_ticks(t, n, (double[]){1e-4, 1e-3, 1e-2, 1e-1, 1}, 5);
    cr_expect_eq(step, 0.0);
    /* 13 decades, at most 7 ticks: every other decade */
    n = tg_plot_log_ticks(1e-8, 1e4, 7, t, 32, &step);
    expect_ticks(t, n, (double[]){1e-8, 1e-6, 1e-4, 1e-2, 1, 1e2, 1e4}, 7);
    /* less than two decades inside: 1-2-5 */
    n = tg_plot_log_ticks(0.04, 0.9, 8, t, 32, &step);
    expect_ticks(t, n, (double[]){0.05, 0.1, 0.2, 0.5}, 4);
    cr_expect_eq(step, 0.0);
    /* narrower still: linear ticks, with their step */
    n = tg_plot_log_ticks(0.3, 0.45, 6, t, 32, &step);
    cr_expect_gt(n, 1);
    cr_expect_gt(step, 0.0);
    cr_expect_eq(tg_plot_log_ticks(0.0, 1.0, 5, t, 32, &step), 0, "log of 0");
}

static void expect_labels(const double *t, int n, double step, const char *const *want)
{
    char labels[16][TG_PLOT_LABEL_CAP];
    tg_plot_tick_labels(t, n, step, labels);
    for (int i = 0; i < n; i++)
        cr_expect_str_eq(labels[i], want[i], "tick %g (step %g)", t[i], step);
}

Test(ticks, labels_are_compact_and_consistent_along_an_axis)
{
    expect_labels((double[]){0, 0.2, 1.0}, 3, 0.2, (const char *[]){"0.0", "0.2", "1.0"});
    expect_labels((double[]){0, 50, 100}, 3, 50, (const char *[]){"0", "50", "100"});
    expect_labels((double[]){-0.5, 0, 0.5}, 3, 0.5, (const char *[]){"-0.5", "0.0", "0.5"});
    expect_labels((double[]){0.001, 0.002}, 2, 0.001, (const char *[]){"0.001", "0.002"});
    expect_labels((double[]){1000, 2000, 3000}, 3, 1000, (const char *[]){"1000", "2000", "3000"});
    expect_labels((double[]){30000, 35000}, 2, 5000, (const char *[]){"30k", "35k"});
    expect_labels((double[]){0, 25000, 50000}, 3, 25000, (const char *[]){"0", "25k", "50k"});
    expect_labels((double[]){1e6, 1.5e6}, 2, 5e5, (const char *[]){"1.0M", "1.5M"});
    expect_labels((double[]){1e-5, 2e-5}, 2, 1e-5, (const char *[]){"1e-5", "2e-5"});
    expect_labels((double[]){1.2e-5, 1.4e-5}, 2, 2e-6, (const char *[]){"1.2e-5", "1.4e-5"});
    /* log axes: plain decimals inside 1e-3..1e3, else 1eK for every label */
    expect_labels((double[]){0.01, 0.1, 1, 10}, 4, 0.0,
                  (const char *[]){"0.01", "0.1", "1", "10"});
    expect_labels((double[]){1e-4, 1e-3, 1e-2}, 3, 0.0, (const char *[]){"1e-4", "1e-3", "1e-2"});
    expect_labels((double[]){0.05, 0.1, 0.2}, 3, 0.0, (const char *[]){"0.05", "0.1", "0.2"});
}

/* ---- bad input and file errors ------------------------------------------------------- */

Test(plot, bad_arguments_are_statuses)
{
    cr_expect_null(tg_chart_new(0, 100));
    cr_expect(strstr(tg_last_error(), "size"), "%s", tg_last_error());
    cr_expect_null(tg_chart_new(100, -5));
    cr_expect_null(tg_chart_new(TG_PLOT_MAX_SIZE + 1, 100));
    float y[3] = {1, 2, 3}, nan3[3] = {NAN, NAN, INFINITY};
    cr_expect_eq(tg_chart_write_png(NULL, in_dir("x.png")), TG_ERR_ARG);
    cr_expect_eq(tg_chart_write_svg(NULL, in_dir("x.svg")), TG_ERR_ARG);
    cr_expect_eq(tg_chart_add_series(NULL, "a", NULL, y, 3), TG_ERR_ARG);
    cr_expect_eq(tg_chart_set_title(NULL, "t"), TG_ERR_ARG);
    cr_expect_eq(tg_chart_set_log_y(NULL, true), TG_ERR_ARG);
    tg_chart_free(NULL);

    tg_chart *c = tg_chart_new(300, 200);
    cr_expect_eq(tg_chart_write_png(c, in_dir("empty.png")), TG_ERR_ARG, "no series");
    cr_expect(strstr(tg_last_error(), "no series"), "%s", tg_last_error());
    cr_expect_eq(tg_chart_add_series(c, "none", NULL, y, 0), TG_ERR_ARG);
    cr_expect_eq(tg_chart_add_series(c, "null", NULL, NULL, 3), TG_ERR_ARG);
    cr_expect_eq(tg_chart_add_series(c, "nan", NULL, nan3, 3), TG_ERR_NUMERIC);
    cr_expect(strstr(tg_last_error(), "nan"), "names the series: %s", tg_last_error());
    cr_expect_eq(tg_chart_add_series(c, "xnan", nan3, y, 3), TG_ERR_NUMERIC);
    cr_expect_eq(tg_chart_add_series_style(c, "w", NULL, y, 3,
                                           (tg_series_style){.width = -1.0f}),
                 TG_ERR_ARG);
    cr_expect_eq(tg_chart_set_xlim(c, 2.0, 1.0), TG_ERR_ARG);
    cr_expect_eq(tg_chart_set_ylim(c, 0.0, INFINITY), TG_ERR_ARG);
    cr_expect_eq(tg_chart_set_xlim(c, NAN, NAN), TG_OK, "back to automatic");
    cr_expect_eq(tg_chart_write_png(c, in_dir("empty.png")), TG_ERR_ARG, "still no series");
    cr_assert_eq(tg_chart_add_series(c, "ok", NULL, y, 3), TG_OK);
    cr_expect_eq(tg_chart_write_png(c, NULL), TG_ERR_ARG);
    cr_expect_eq(tg_chart_write_svg(c, ""), TG_ERR_ARG);
    cr_expect_eq(tg_chart_render_rgb(c, NULL), TG_ERR_ARG);
    tg_chart_free(c);
}

Test(plot, tensors_and_tiny_canvases_work)
{
    tg_tensor *y = tg_tensor_arange(10), *x = tg_tensor_arange(10), *bad = tg_tensor_arange(4);
    tg_chart *c = tg_chart_new(TG_PLOT_MIN_SIZE, TG_PLOT_MIN_SIZE);
    cr_assert_not_null(c);
    cr_expect_eq(tg_chart_add_tensor(c, "t", x, y), TG_OK);
    cr_expect_eq(tg_chart_add_tensor(c, "t", bad, y), TG_ERR_ARG);
    cr_expect_eq(tg_chart_add_tensor(c, "t", NULL, NULL), TG_ERR_ARG);
    tg_chart_set_title(c, "a title far too long for a thirty-two pixel chart");
    tg_chart_set_xlabel(c, "x");
    tg_chart_set_ylabel(c, "y");
    cr_expect_eq(tg_chart_write_png(c, in_dir("tiny.png")), TG_OK, "%s", tg_last_error());
    cr_expect_eq(tg_chart_write_svg(c, in_dir("tiny.svg")), TG_OK, "%s", tg_last_error());
    int w, h, ch;
    unsigned char *px = stbi_load(in_dir("tiny.png"), &w, &h, &ch, 0);
    cr_assert_not_null(px);
    cr_expect(w == TG_PLOT_MIN_SIZE && h == TG_PLOT_MIN_SIZE);
    stbi_image_free(px);
    tg_chart_free(c);
    tg_tensor_free(x);
    tg_tensor_free(y);
    tg_tensor_free(bad);
}

Test(plot, palette_has_twenty_distinct_colours)
{
    for (int i = 0; i < 20; i++) {
        cr_expect_neq(tg_plot_palette(i), 0xffffffu);
        for (int j = 0; j < i; j++) cr_expect_neq(tg_plot_palette(i), tg_plot_palette(j));
    }
    cr_expect_eq(tg_plot_palette(20), tg_plot_palette(0), "cycles");
}

Test(plot, missing_directory_is_an_io_error_naming_the_path)
{
    tg_chart *c = price_chart(300, 200);
    const char *path = in_dir("no-such-dir/chart.png");
    cr_expect_eq(tg_chart_write_png(c, path), TG_ERR_IO);
    cr_expect_not_null(strstr(tg_last_error(), path), "%s", tg_last_error());
    cr_expect_not_null(strstr(tg_last_error(), "No such file"), "%s", tg_last_error());
    const char *svg = in_dir("no-such-dir/chart.svg");
    cr_expect_eq(tg_chart_write_svg(c, svg), TG_ERR_IO);
    cr_expect_not_null(strstr(tg_last_error(), svg), "%s", tg_last_error());
    tg_chart_free(c);
}

/* A write that fails midway: the file-size limit makes the kernel refuse bytes past 1 KiB
 * (EFBIG; SIGXFSZ is ignored so the process lives on). Criterion runs each test in its own
 * process, so the limit stays here. */
Test(plot, a_write_failing_midway_keeps_the_old_file_and_no_temporary)
{
    tg_chart *c = price_chart(1200, 500);
    const char *png = in_dir("keep.png"), *svg = in_dir("keep.svg");
    write_file(png, "previous png");
    write_file(svg, "previous svg");
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 1024;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    tg_status s1 = tg_chart_write_png(c, png);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", tg_last_error());
    tg_status s2 = tg_chart_write_svg(c, svg);
    setrlimit(RLIMIT_FSIZE, &old);
    cr_expect_eq(s1, TG_ERR_IO, "%s", msg);
    cr_expect_not_null(strstr(msg, png), "%s", msg);
    cr_expect_eq(s2, TG_ERR_IO, "%s", tg_last_error());
    char *a = plot_slurp(png, NULL), *b = plot_slurp(svg, NULL);
    cr_expect_str_eq(a, "previous png");
    cr_expect_str_eq(b, "previous svg");
    free(a);
    free(b);
    cr_expect_not(tmp_exists(png), "no temporary PNG left");
    cr_expect_not(tmp_exists(svg), "no temporary SVG left");
    /* With the limit lifted the same chart replaces the old file. */
    cr_expect_eq(tg_chart_write_png(c, png), TG_OK, "%s", tg_last_error());
    int w, h, ch;
    unsigned char *px = stbi_load(png, &w, &h, &ch, 0);
    cr_expect_not_null(px);
    stbi_image_free(px);
    tg_chart_free(c);
}

Test(plot, a_failing_rename_removes_the_temporary)
{
    /* The target is a non-empty directory: the temporary file is written, the rename
     * cannot replace the directory. */
    const char *target = in_dir("occupied");
    cr_assert_eq(mkdir(target, 0700), 0);
    char inner[300];
    snprintf(inner, sizeof inner, "%s/file", target);
    write_file(inner, "x");
    tg_chart *c = price_chart(300, 200);
    cr_expect_eq(tg_chart_write_png(c, target), TG_ERR_IO);
    cr_expect_not_null(strstr(tg_last_error(), target), "%s", tg_last_error());
    cr_expect_not(tmp_exists(target));
    cr_expect(exists(inner), "the directory is untouched");
    remove(inner);
    rmdir(target);
    tg_chart_free(c);
}

/* Text that is not valid UTF-8 (or holds a control character) is refused with its byte
 * offset, so an SVG stays well-formed XML; valid multi-byte text is kept. */
Test(chart, text_must_be_valid_utf8)
{
    tg_chart *c = tg_chart_new(200, 100);
    static const char *bad[] = {"ab\xff", "\xc0\xaf", "x\xed\xa0\x80", "\xf4\x90\x80\x80",
                                "tab\tok but bell\a", "\xe2\x82"};
    static const long at[] = {2, 0, 1, 0, 15, 0};
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(tg_chart_set_title(c, bad[i]), TG_ERR_ARG, "case %d", i);
        char want[32];
        snprintf(want, sizeof want, "at byte %ld", at[i]);
        cr_expect(strstr(tg_last_error(), want), "case %d: %s", i, tg_last_error());
    }
    cr_expect_eq(tg_chart_set_title(c, "prix (€), 日本, \xf0\x9f\x93\x88\tok"), TG_OK);
    float y[2] = {1, 2};
    cr_expect_eq(tg_chart_add_series(c, "bad\x80name", NULL, y, 2), TG_ERR_ARG);
    cr_expect_eq(tg_chart_add_series(c, "good", NULL, y, 2), TG_OK);
    tg_chart_free(c);
}

/* A log-y chart needs something with y > 0 to draw: nothing is refused (TG_ERR_NUMERIC);
 * a horizontal line added through tg_chart_axes counts, as the axes' ranges see it. */
Test(chart, log_y_needs_a_positive_y_from_any_mark)
{
    tg_chart *c = tg_chart_new(200, 100);
    tg_chart_set_log_y(c, true);
    float y[3] = {-1.0f, 0.0f, -2.0f};
    cr_assert_eq(tg_chart_add_series(c, "below", NULL, y, 3), TG_OK);
    uint8_t *rgb = malloc(200 * 100 * 3);
    cr_expect_eq(tg_chart_render_rgb(c, rgb), TG_ERR_NUMERIC);
    cr_expect(strstr(tg_last_error(), "no finite point with y > 0"), "%s", tg_last_error());
    cr_assert_eq(tg_axes_axhline(tg_chart_axes(c), 10.0, NULL), TG_OK);
    cr_expect_eq(tg_chart_render_rgb(c, rgb), TG_OK, "%s", tg_last_error());
    free(rgb);
    tg_chart_free(c);
}

Test(ticks, log_labels_of_large_values_use_k_and_m)
{
    double t[5] = {100, 1000, 10000, 100000, 2e6};
    char lab[5][TG_PLOT_LABEL_CAP];
    tg_plot_tick_labels(t, 5, 0.0, lab);
    const char *want[5] = {"100", "1k", "10k", "100k", "2M"};
    for (int i = 0; i < 5; i++) cr_expect_str_eq(lab[i], want[i]);
    double small[2] = {1e-4, 1e-2}; /* below 1: exponents as before */
    tg_plot_tick_labels(small, 2, 0.0, lab);
    cr_expect_str_eq(lab[0], "1e-4");
}

/* ---- exact tick labels: custom steps, log values between decades, zero, bad ticks --------- */

/* Decimals printed in a label: digits after the '.', 0 without one. */
static int label_decimals(const char *s)
{
    const char *dot = strchr(s, '.');
    return dot ? (int)strspn(dot + 1, "0123456789") : 0;
}

/* Custom ticks need the decimals of their own digits, not only of the step's leading one;
 * all labels of a linear axis share them (matplotlib's ScalarFormatter). */
Test(ticks, linear_labels_show_custom_ticks_exactly)
{
    expect_labels((double[]){0, 0.25, 0.5, 0.75, 1}, 5, 0.25,
                  (const char *[]){"0.00", "0.25", "0.50", "0.75", "1.00"});
    expect_labels((double[]){0, 0.125, 0.25, 0.375}, 4, 0.125,
                  (const char *[]){"0.000", "0.125", "0.250", "0.375"});
    /* half-way ticks with a step of 1: printf alone would round 2.5 to "2" */
    expect_labels((double[]){0.5, 1.5, 2.5}, 3, 1.0, (const char *[]){"0.5", "1.5", "2.5"});
    /* a k axis whose step is 12.5k */
    expect_labels((double[]){0, 12500, 25000}, 3, 12500, (const char *[]){"0", "12.5k", "25.0k"});
    /* tiny values: the mantissas get the decimals too */
    expect_labels((double[]){1.25e-5, 2.5e-5}, 2, 1.25e-5,
                  (const char *[]){"1.25e-5", "2.50e-5"});
    /* thirds are never exact: six significant digits of the step, rounded */
    expect_labels((double[]){0, 1.0 / 3, 2.0 / 3, 1}, 4, 1.0 / 3,
                  (const char *[]){"0.000000", "0.333333", "0.666667", "1.000000"});
}

/* The ticks tg_plot_nice_ticks chooses keep the step's decimals: 0.2 -> 1, 0.05 -> 2, 10 ->
 * 0, and each label reads back as its tick. */
Test(ticks, nice_steps_keep_the_decimals_of_their_step)
{
    const double ranges[][2] = {{0, 1}, {-3, 7}, {0.1, 0.37}, {1000, 1003}, {0, 0.0123},
                                {2.5, 9.5}, {-0.05, 0.05}, {0, 9000}, {0.0011, 0.0019}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
        for (int max_ticks = 3; max_ticks <= 10; max_ticks++) {
            double t[32], step;
            char lab[32][TG_PLOT_LABEL_CAP];
            int n = tg_plot_nice_ticks(ranges[r][0], ranges[r][1], max_ticks, t, 32, &step);
            cr_assert_gt(n, 0);
            tg_plot_tick_labels(t, n, step, lab);
            int want = (int)-floor(log10(step) + 1e-9);
            if (want < 0) want = 0;
            for (int i = 0; i < n; i++) {
                cr_expect_eq(label_decimals(lab[i]), want, "'%s' for step %g", lab[i], step);
                cr_expect_lt(fabs(strtod(lab[i], NULL) - t[i]), step * 1e-6, "'%s' for %g",
                             lab[i], t[i]);
            }
        }
}

/* Log ticks between decades (custom ones, or 2.5 from a caller's own locator) read exactly;
 * each label of a log axis has the decimals its tick needs. */
Test(ticks, log_labels_show_values_between_decades_exactly)
{
    expect_labels((double[]){0.25, 1, 2.5, 10}, 4, 0.0,
                  (const char *[]){"0.25", "1", "2.5", "10"});
    expect_labels((double[]){0.2, 0.5, 1, 2, 5}, 5, 0.0,
                  (const char *[]){"0.2", "0.5", "1", "2", "5"});
    expect_labels((double[]){0.0025, 0.01, 0.125}, 3, 0.0,
                  (const char *[]){"0.0025", "0.01", "0.125"});
    expect_labels((double[]){2.5e-5, 1e-4, 1e-3}, 3, 0.0,
                  (const char *[]){"2.5e-5", "1e-4", "1e-3"});
    expect_labels((double[]){1.25e-6, 1e-4, 1e-2, 1}, 4, 0.0,
                  (const char *[]){"1.25e-6", "1e-4", "1e-2", "1e0"});
    expect_labels((double[]){1000, 2250, 2500, 1e4}, 4, 0.0,
                  (const char *[]){"1k", "2.25k", "2.5k", "10k"});
    expect_labels((double[]){2.5e13, 1e14}, 2, 0.0, (const char *[]){"2.5e13", "1e14"});
}

/* A zero on an axis with a k/M suffix is "0", never "0.0k"; the others keep the shared
 * decimals. */
Test(ticks, zero_on_a_suffixed_axis_reads_0)
{
    expect_labels((double[]){0, 5e5, 1e6, 1.5e6}, 4, 5e5,
                  (const char *[]){"0", "0.5M", "1.0M", "1.5M"});
    expect_labels((double[]){-5e5, 0, 5e5, 1e6}, 4, 5e5,
                  (const char *[]){"-0.5M", "0", "0.5M", "1.0M"});
    expect_labels((double[]){0, 2500, 5000, 7500, 10000}, 5, 2500,
                  (const char *[]){"0", "2.5k", "5.0k", "7.5k", "10.0k"});
    /* nice ticks across zero, as an axis asks for them */
    double t[16], step;
    char lab[16][TG_PLOT_LABEL_CAP];
    int n = tg_plot_nice_ticks(-1.5e6, 1.5e6, 7, t, 16, &step);
    cr_assert_eq(step, 5e5);
    tg_plot_tick_labels(t, n, step, lab);
    int zeros = 0;
    for (int i = 0; i < n; i++)
        if (t[i] == 0.0) {
            zeros++;
            cr_expect_str_eq(lab[i], "0");
        } else {
            cr_expect(strchr(lab[i], 'M') != NULL, "'%s'", lab[i]);
        }
    cr_expect_eq(zeros, 1);
}

/* Ticks no axis can show (<= 0 or non-finite on a log axis, non-finite on a linear one, any
 * tick with a negative, infinite or NaN step) get a plain %g label: no crash and, under
 * UBSan, no NaN-to-int cast or division by zero. */
Test(ticks, bad_ticks_get_plain_labels)
{
    expect_labels((double[]){0, -1, 10, 100}, 4, 0.0, (const char *[]){"0", "-1", "10", "100"});
    expect_labels((double[]){-INFINITY, 1e-5, 1}, 3, 0.0,
                  (const char *[]){"-inf", "1e-5", "1e0"});
    expect_labels((double[]){INFINITY, 1e4, 1e5}, 3, 0.0,
                  (const char *[]){"inf", "10k", "100k"});
    char lab[4][TG_PLOT_LABEL_CAP];
    tg_plot_tick_labels((double[]){NAN, 0.5}, 2, 0.0, lab);
    cr_expect(strstr(lab[0], "nan") != NULL, "'%s'", lab[0]);
    cr_expect_str_eq(lab[1], "0.5");
    tg_plot_tick_labels((double[]){NAN, 1, INFINITY}, 3, 1.0, lab);
    cr_expect(strstr(lab[0], "nan") != NULL, "'%s'", lab[0]);
    cr_expect_str_eq(lab[1], "1");
    cr_expect_str_eq(lab[2], "inf");
    expect_labels((double[]){0, 0}, 2, 1e-5, (const char *[]){"0.00000", "0.00000"});
    expect_labels((double[]){INFINITY, 2e20}, 2, 1e20, (const char *[]){"inf", "2e20"});
    const double steps[3] = {-1.0, INFINITY, NAN};
    for (int s = 0; s < 3; s++)
        expect_labels((double[]){1, 2.5}, 2, steps[s], (const char *[]){"1", "2.5"});
    /* the ends of double on a log axis: finite, positive, labelled in the 1eK style; the
     * smallest subnormal (4.9406564584e-324) rounded to six significant digits */
    tg_plot_tick_labels((double[]){5e-324, 1e-300, 1e308}, 3, 0.0, lab);
    cr_expect_str_eq(lab[0], "4.94066e-324");
    cr_expect_str_eq(lab[1], "1e-300");
    cr_expect_str_eq(lab[2], "1e308");
}

/* The style of a log axis comes from all its ticks together: a lone tick reads as an axis
 * of only that tick would (1 is "1"), the same tick beside 1e-5 as "1e0". */
Test(ticks, lone_log_tick_follows_the_same_rule)
{
    expect_labels((double[]){1}, 1, 0.0, (const char *[]){"1"});
    expect_labels((double[]){0.25}, 1, 0.0, (const char *[]){"0.25"});
    expect_labels((double[]){1e-5}, 1, 0.0, (const char *[]){"1e-5"});
    expect_labels((double[]){2.5e-5}, 1, 0.0, (const char *[]){"2.5e-5"});
    expect_labels((double[]){1e4}, 1, 0.0, (const char *[]){"10k"});
    expect_labels((double[]){1e-5, 1}, 2, 0.0, (const char *[]){"1e-5", "1e0"});
    expect_labels((double[]){1, 1e4}, 2, 0.0, (const char *[]){"1", "10k"});
}
