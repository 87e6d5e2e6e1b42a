/* tests/test_plot_figure.c — figures looked at: each test renders a figure, decodes or
 * scans the pixels, and checks a property a reader would check by eye (the band carries
 * the blended colour, a marker sits on its data point, text is as tall as its point size
 * asks, frames of a grid line up, the SVG agrees with the PNG). Positions are recovered
 * from the picture itself (the frame colour), never from the library's layout.
 *
 * What this is not: golden-image comparisons; a font update must not break it.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image.h>

#include "plot/plot.h"
#include "tapegrad.h"
#include "plot_helpers.h"

#define FRAME 0x4d4d4du
#define DEJAVU "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

typedef struct image {
    uint8_t *px;
    int w, h;
} image;

static image render(tg_figure *f)
{
    image im;
    tg_figure_size_px(f, &im.w, &im.h);
    im.px = malloc((size_t)im.w * im.h * 3);
    cr_assert_eq(tg_figure_render_rgb(f, im.px), TG_OK, "%s", tg_last_error());
    return im;
}

static uint32_t at(const image *im, int x, int y)
{
    const uint8_t *p = im->px + ((size_t)y * im->w + x) * 3;
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static int channel_diff(uint32_t a, uint32_t b)
{
    int d = 0;
    for (int s = 0; s < 24; s += 8) d = fmax(d, abs((int)(a >> s & 255) - (int)(b >> s & 255)));
    return d;
}

/* The frame of the axes that contains pixel (cx, cy): the nearest frame-coloured columns
 * and rows around it. */
typedef struct box { int x0, y0, x1, y1; } box;
static box frame_around(const image *im, int cx, int cy)
{
    box b = {-1, -1, -1, -1};
    for (int x = cx; x >= 0 && b.x0 < 0; x--) if (at(im, x, cy) == FRAME) b.x0 = x;
    for (int x = cx; x < im->w && b.x1 < 0; x++) if (at(im, x, cy) == FRAME) b.x1 = x;
    for (int y = cy; y >= 0 && b.y0 < 0; y--) if (at(im, cx, y) == FRAME) b.y0 = y;
    for (int y = cy; y < im->h && b.y1 < 0; y++) if (at(im, cx, y) == FRAME) b.y1 = y;
    cr_assert(b.x0 >= 0 && b.x1 > b.x0 && b.y0 >= 0 && b.y1 > b.y0, "no frame around (%d, %d)",
              cx, cy);
    return b;
}

/* Data -> pixel centre with fixed limits: the frame lines are the range's ends. */
static double px_x(box b, double lo, double hi, double x) { return b.x0 + 0.5 + (x - lo) / (hi - lo) * (b.x1 - b.x0); }
static double px_y(box b, double lo, double hi, double y) { return b.y1 + 0.5 - (y - lo) / (hi - lo) * (b.y1 - b.y0); }

static bool dark(uint32_t c) { return channel_diff(c, 0xffffff) > 120; }

Test(figure, band_pixels_carry_the_blended_colour)
{
    tg_figure *f = tg_figure_new(NULL);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double x[3] = {0, 1, 2}, lo[3] = {-1, -1, -1}, hi[3] = {2, 2, 2};
    cr_assert_eq(tg_axes_fill_between(ax, x, lo, hi, 3, &(tg_style){.color = TG_RGB(0xff0000),
                                                                     .alpha = 0.25f}), TG_OK);
    tg_axes_set_xlim(ax, 0.2, 1.8);
    tg_axes_set_ylim(ax, 0.0, 1.0);
    image im = render(f);
    box b = frame_around(&im, im.w / 2, im.h / 2);
    /* white under 25% red: (255, 191, 191); grid lines are below the band and darker */
    int same = 0, total = 0;
    for (int y = b.y0 + 3; y < b.y1 - 2; y += 3)
        for (int x = b.x0 + 3; x < b.x1 - 2; x += 3, total++)
            same += channel_diff(at(&im, x, y), 0xffbfbf) <= 2;
    cr_assert_gt(same, total * 9 / 10, "%d of %d interior pixels carry the blend", same, total);
    free(im.px);
    tg_figure_free(f);
}

Test(figure, markers_sit_at_their_data_coordinates)
{
    tg_figure *f = tg_figure_new(NULL);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double x[3] = {1, 4, 8}, y[3] = {2, 7, 4};
    tg_axes_scatter(ax, x, y, 3, &(tg_style){.color = TG_RGB(0x00c000), .markersize = 8});
    tg_axes_set_xlim(ax, 0, 10);
    tg_axes_set_ylim(ax, 0, 10);
    image im = render(f);
    box b = frame_around(&im, im.w / 2, im.h / 2);
    for (int k = 0; k < 3; k++) {
        double ex = px_x(b, 0, 10, x[k]), ey = px_y(b, 0, 10, y[k]), sx = 0, sy = 0, n = 0;
        for (int py = (int)ey - 15; py <= (int)ey + 15; py++)
            for (int px = (int)ex - 15; px <= (int)ex + 15; px++) {
                uint32_t c = at(&im, px, py);
                double g = (c >> 8 & 255) - fmax(c >> 16 & 255, c & 255); /* green excess */
                if (g > 40) sx += g * (px + 0.5), sy += g * (py + 0.5), n += g;
            }
        cr_assert_gt(n, 0, "marker %d not found", k);
        cr_assert_lt(fabs(sx / n - ex), 1.0, "marker %d x %.2f, expected %.2f", k, sx / n, ex);
        cr_assert_lt(fabs(sy / n - ey), 1.0, "marker %d y %.2f, expected %.2f", k, sy / n, ey);
    }
    free(im.px);
    tg_figure_free(f);
}

/* Height in px of the ink of a text in `color` (its capitals: "HHH"). */
static int ink_height(const image *im, uint32_t color)
{
    int top = -1, bottom = -1;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            if (channel_diff(at(im, x, y), color) < 100 && channel_diff(at(im, x, y), 0xffffff) > 100) {
                if (top < 0) top = y;
                bottom = y;
            }
    return top < 0 ? 0 : bottom - top + 1;
}

Test(figure, text_renders_at_the_requested_point_size_at_100_and_200_dpi)
{
    if (access(DEJAVU, R_OK) != 0) cr_skip_test("DejaVu Sans not installed");
    for (int k = 1; k <= 2; k++) {
        tg_figure_opts o = tg_figure_defaults();
        o.dpi = 100.0 * k;
        tg_figure *f = tg_figure_new(&o);
        tg_axes *ax = tg_figure_axes(f, 0, 0);
        double x[2] = {0, 1}, y[2] = {0, 1};
        tg_axes_plot(ax, x, y, 2, &(tg_style){.color = TG_RGB(0xdddddd)});
        tg_axes_text(ax, 0.2, 0.5, "HHH", &(tg_text_style){.size = 20, .color = TG_RGB(0xff00ff)});
        image im = render(f);
        /* DejaVu Sans capitals are 0.729 em tall: 20 pt = 20/72 in */
        double want = 0.729 * 20.0 / 72.0 * o.dpi;
        int got = ink_height(&im, 0xff00ff);
        cr_assert_lt(fabs(got - want), 1.6, "%g dpi: capitals %d px, want %.1f", o.dpi, got, want);
        /* The title ("HH", bold, 1.2 x the 10 pt font: 12 pt) above the frame. */
        tg_axes_set_title(ax, "HH");
        free(im.px);
        im = render(f);
        box b = frame_around(&im, im.w / 2, im.h / 2);
        int top = -1, bottom = -1;
        for (int yy = 0; yy < b.y0 - 1; yy++)
            for (int xx = b.x0; xx <= b.x1; xx++)
                if (dark(at(&im, xx, yy))) bottom = yy, top = top < 0 ? yy : top;
        double title = 0.729 * 12.0 / 72.0 * o.dpi;
        cr_assert_lt(fabs(bottom - top + 1 - title), 1.6, "%g dpi: title %d px, want %.1f",
                     o.dpi, bottom - top + 1, title);
        free(im.px);
        tg_figure_free(f);
    }
}

Test(figure, labels_leave_ink_where_they_belong)
{
    tg_figure *f = tg_figure_new(NULL);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double y[5] = {1, 3, 2, 5, 4};
    tg_axes_plot(ax, NULL, y, 5, NULL);
    tg_axes_set_title(ax, "Title");
    tg_axes_set_xlabel(ax, "x label");
    tg_axes_set_ylabel(ax, "y label");
    image im = render(f);
    box b = frame_around(&im, im.w / 2, im.h / 2);
    int above = 0, below = 0, left = 0;
    for (int y = 0; y < b.y0 - 1; y++)
        for (int x = b.x0; x <= b.x1; x++) above += dark(at(&im, x, y));
    for (int y = b.y1 + 2; y < im.h; y++)
        for (int x = b.x0; x <= b.x1; x++) below += dark(at(&im, x, y));
    for (int y = b.y0; y <= b.y1; y++)
        for (int x = 0; x < b.x0 - 1; x++) left += dark(at(&im, x, y));
    cr_assert_gt(above, 30, "title ink above the frame: %d", above);
    cr_assert_gt(below, 60, "tick labels and x label below: %d", below);
    cr_assert_gt(left, 60, "tick labels and y label left: %d", left);
    free(im.px);
    tg_figure_free(f);
}

Test(figure, a_grid_aligns_frames_across_rows_and_columns)
{
    tg_figure_opts o = tg_figure_defaults();
    o.width = 8, o.height = 6, o.nrows = 2, o.ncols = 2;
    tg_figure *f = tg_figure_new(&o);
    double small[3] = {0.1, 0.2, 0.3}, big[3] = {10000, 25000, 990000};
    tg_axes_plot(tg_figure_axes(f, 0, 0), NULL, small, 3, NULL);
    tg_axes_plot(tg_figure_axes(f, 1, 0), NULL, big, 3, NULL);   /* wider labels */
    tg_axes_plot(tg_figure_axes(f, 0, 1), NULL, big, 3, NULL);
    tg_axes_set_xlabel(tg_figure_axes(f, 0, 1), "with an x label"); /* taller margin */
    tg_axes_plot(tg_figure_axes(f, 1, 1), NULL, small, 3, NULL);
    image im = render(f);
    box tl = frame_around(&im, im.w / 4, im.h / 4), tr = frame_around(&im, 3 * im.w / 4, im.h / 4);
    box bl = frame_around(&im, im.w / 4, 3 * im.h / 4), br = frame_around(&im, 3 * im.w / 4, 3 * im.h / 4);
    cr_assert_eq(tl.x0, bl.x0, "left column: %d vs %d", tl.x0, bl.x0);
    cr_assert_eq(tl.x1, bl.x1);
    cr_assert_eq(tr.x0, br.x0);
    cr_assert_eq(tl.y0, tr.y0, "top row: %d vs %d", tl.y0, tr.y0);
    cr_assert_eq(tl.y1, tr.y1);
    cr_assert_eq(bl.y1, br.y1);
    free(im.px);
    tg_figure_free(f);
}

Test(figure, a_date_axis_over_500_days_labels_months_in_png_and_svg)
{
    tg_figure_opts o = tg_figure_defaults();
    o.width = 10, o.height = 4;
    tg_figure *f = tg_figure_new(&o);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double d0 = tg_plot_date(2021, 1, 15), day[500], y[500];
    for (int i = 0; i < 500; i++) day[i] = d0 + i, y[i] = sin(i / 30.0);
    tg_axes_xaxis_date(ax, TG_DATE_DAYS);
    tg_axes_plot(ax, day, y, 500, NULL);
    char svg[] = "/tmp/tg_figure_dates_XXXXXX";
    int fd = mkstemp(svg);
    close(fd);
    cr_assert_eq(tg_figure_write_svg(f, svg), TG_OK, "%s", tg_last_error());
    char *s = plot_slurp(svg, NULL);
    int months = 0;
    static const char *names[] = {">Feb<", ">Mar<", ">Apr<", ">May<", ">Jun<", ">Jul<",
                                  ">Aug<", ">Sep<", ">Oct<", ">Nov<", ">Dec<"};
    for (int i = 0; i < 11; i++) months += strstr(s, names[i]) != NULL;
    cr_assert_geq(months, 3, "month labels in the SVG: %d", months);
    cr_assert(strstr(s, ">2022<"), "January 2022 labelled by its year");
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "/usr/bin/xmllint --noout %s", svg);
        cr_assert_eq(system(cmd), 0, "xmllint rejects %s", svg);
    }
    free(s);
    unlink(svg);
    tg_figure_free(f);
}

/* The frame's left and right columns in the SVG (its crisp path in the frame colour)
 * equal the PNG's. */
Test(figure, svg_and_png_agree_on_the_frame)
{
    tg_figure *f = tg_figure_new(NULL);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double y[4] = {3, 1, 4, 1};
    tg_axes_plot(ax, NULL, y, 4, &(tg_style){.label = "pi"});
    tg_axes_set_title(ax, "π digits");
    image im = render(f);
    box b = frame_around(&im, im.w / 2, im.h / 2);
    char svg[] = "/tmp/tg_figure_frame_XXXXXX";
    int fd = mkstemp(svg);
    close(fd);
    cr_assert_eq(tg_figure_write_svg(f, svg), TG_OK, "%s", tg_last_error());
    char *s = plot_slurp(svg, NULL);
    char want[64];
    snprintf(want, sizeof want, "%d.5", b.x0);
    const char *p = strstr(s, "#4d4d4d");
    cr_assert(p, "no frame colour in the SVG");
    cr_assert(strstr(p, want), "frame at x = %s in the PNG, not in the SVG", want);
    snprintf(want, sizeof want, "%d.5", b.x1);
    cr_assert(strstr(p, want), "frame right edge %s missing from the SVG", want);
    free(s);
    unlink(svg);
    free(im.px);
    tg_figure_free(f);
}

static int warnings;
static void count_warning(const char *msg, void *user)
{
    (void)msg, (void)user;
    warnings++;
}

Test(figure, without_truetype_fonts_text_falls_back_and_says_so_once)
{
    setenv("TG_PLOT_FONT", "bitmap", 1);
    tg_set_warning_handler(count_warning, NULL);
    for (int k = 0; k < 2; k++) {
        tg_figure *f = tg_figure_new(NULL);
        tg_axes *ax = tg_figure_axes(f, 0, 0);
        double y[3] = {1, 2, 3};
        tg_axes_plot(ax, NULL, y, 3, NULL);
        tg_axes_set_title(ax, "Fallback");
        image im = render(f);
        box b = frame_around(&im, im.w / 2, im.h / 2);
        int above = 0;
        for (int yy = 0; yy < b.y0 - 1; yy++)
            for (int x = b.x0; x <= b.x1; x++) above += dark(at(&im, x, yy));
        cr_assert_gt(above, 20, "the bitmap title has ink");
        free(im.px);
        tg_figure_free(f);
    }
    cr_assert_eq(warnings, 1, "warned %d times", warnings);
}

Test(figure, histogram_counts_like_numpy)
{
    double v[8] = {0, 0.5, 1, 1.5, 2, 2.5, 3, NAN};
    long counts[3];
    double edges[4];
    /* numpy.histogram([0, .5, 1, 1.5, 2, 2.5, 3], bins=3, range=(0, 3)) -> [2, 2, 3] */
    cr_assert_eq(tg_plot_histogram(v, 8, 3, 0, 3, counts, edges), 7);
    cr_assert_eq(counts[0], 2);
    cr_assert_eq(counts[1], 2);
    cr_assert_eq(counts[2], 3);
    cr_assert_float_eq(edges[1], 1.0, 1e-12);
    cr_assert_eq(tg_plot_histogram(v, 8, 0, 0, 3, counts, NULL), -1);
}

Test(figure, bad_arguments_are_statuses)
{
    tg_figure_opts o = tg_figure_defaults();
    o.dpi = 0;
    cr_assert_null(tg_figure_new(&o));
    cr_assert(strstr(tg_last_error(), "dpi"));
    o = tg_figure_defaults();
    o.nrows = 9;
    cr_assert_null(tg_figure_new(&o));
    tg_figure *f = tg_figure_new(NULL);
    cr_assert_null(tg_figure_axes(f, 1, 0));
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double y[2] = {NAN, INFINITY};
    cr_assert_eq(tg_axes_plot(ax, NULL, y, 2, NULL), TG_ERR_NUMERIC);
    cr_assert_eq(tg_axes_plot(ax, NULL, NULL, 2, NULL), TG_ERR_ARG);
    cr_assert_eq(tg_axes_plot(ax, NULL, y, 0, NULL), TG_ERR_ARG);
    cr_assert_eq(tg_axes_plot(ax, NULL, y, 2, &(tg_style){.alpha = 2}), TG_ERR_ARG);
    cr_assert_eq(tg_axes_set_title(ax, "\xff"), TG_ERR_ARG);
    cr_assert_eq(tg_axes_set_xlim(ax, 1, 0), TG_ERR_ARG);
    cr_assert_eq(tg_axes_xaxis_date(ax, 7), TG_ERR_ARG);
    cr_assert_eq(tg_axes_errorbar(ax, NULL, (double[]){1}, (double[]){-1}, 1, NULL), TG_ERR_ARG);
    cr_assert_eq(tg_axes_legend(ax, &(tg_legend_opts){.ncol = -1}), TG_ERR_ARG);
    /* nothing was added: the axes still render, empty, with default ranges */
    image im = render(f);
    free(im.px);
    tg_figure_free(f);
}

/* A figure with every kind of mark, for the PNG/SVG comparison. */
static tg_figure *every_mark(double dpi)
{
    tg_figure_opts o = tg_figure_defaults();
    o.width = 8, o.height = 5, o.dpi = dpi, o.nrows = 2, o.height_ratios[0] = 2,
    o.height_ratios[1] = 1;
    tg_figure *f = tg_figure_new(&o);
    tg_axes *ax = tg_figure_axes(f, 0, 0), *low = tg_figure_axes(f, 1, 0);
    double d0 = tg_plot_date(2021, 1, 15), x[120], y[120], lo[120], hi[120], e[120], t[120];
    for (int i = 0; i < 120; i++) {
        x[i] = d0 + 3 * i, y[i] = 50 + 20 * sin(i / 9.0), lo[i] = y[i] - 5 - i / 20.0;
        hi[i] = y[i] + 5 + i / 20.0, e[i] = 2 + (i % 5), t[i] = 3 + cos(i / 15.0);
    }
    tg_axes_xaxis_date(ax, TG_DATE_DAYS);
    tg_axes_axvspan(ax, x[80], x[119], &(tg_style){.label = "test"});
    tg_axes_fill_between(ax, x, lo, hi, 120, &(tg_style){.label = "band"});
    tg_axes_plot(ax, x, y, 120, &(tg_style){.label = "line", .linestyle = TG_LINE_DASHDOT});
    tg_axes_scatter(ax, x, hi, 120, &(tg_style){.label = "σ marks", .marker = TG_MARKER_DIAMOND});
    tg_axes_errorbar(ax, x + 100, y + 100, e, 20, &(tg_style){.label = "± error"});
    tg_axes_text(ax, x[10], 30, "note — μ", NULL);
    tg_axes *tw = tg_axes_twinx(ax);
    tg_axes_plot(tw, x, t, 120, &(tg_style){.label = "twin", .linestyle = TG_LINE_DOTTED});
    tg_axes_set_title(ax, "Every mark: PNG against SVG");
    tg_axes_legend(ax, &(tg_legend_opts){.loc = TG_LEGEND_OUTSIDE_RIGHT});
    tg_axes_bar(low, NULL, e, 30, 0, &(tg_style){.label = "bars"});
    tg_axes_axhline(low, 4, &(tg_style){.linestyle = TG_LINE_DASHED});
    tg_axes_set_ylog(low, true);
    tg_axes_set_xlabel(low, "index");
    return f;
}

/* The SVG, drawn by librsvg (rsvg-convert), matches the PNG pixel for pixel but for
 * anti-aliasing: same layout, text, marks and colours. */
Test(figure, svg_drawn_by_librsvg_matches_the_png)
{
    if (access("/usr/bin/rsvg-convert", X_OK) != 0) cr_skip_test("rsvg-convert not installed");
    if (access(DEJAVU, R_OK) != 0) cr_skip_test("DejaVu Sans not installed");
    for (int k = 1; k <= 2; k++) {
        tg_figure *f = every_mark(100.0 * k);
        char png[] = "/tmp/tg_agree_png_XXXXXX", svg[] = "/tmp/tg_agree_svg_XXXXXX";
        char back[64], cmd[256];
        close(mkstemp(png)), close(mkstemp(svg));
        snprintf(back, sizeof back, "%s.back.png", svg);
        cr_assert_eq(tg_figure_write_png(f, png), TG_OK, "%s", tg_last_error());
        cr_assert_eq(tg_figure_write_svg(f, svg), TG_OK, "%s", tg_last_error());
        snprintf(cmd, sizeof cmd, "/usr/bin/rsvg-convert -o %s %s", back, svg);
        cr_assert_eq(system(cmd), 0);
        int w1, h1, w2, h2, c;
        uint8_t *a = stbi_load(png, &w1, &h1, &c, 3), *b = stbi_load(back, &w2, &h2, &c, 3);
        cr_assert(a && b);
        cr_assert(w1 == w2 && h1 == h2, "sizes %dx%d and %dx%d", w1, h1, w2, h2);
        long far = 0;
        double sum = 0;
        for (long i = 0; i < (long)w1 * h1; i++) {
            int d = 0;
            for (int ch = 0; ch < 3; ch++) d = fmax(d, abs(a[3 * i + ch] - b[3 * i + ch]));
            far += d > 64;
            sum += d;
        }
        double n = (double)w1 * h1;
        cr_expect_lt(far / n, 0.002, "%g dpi: %.3f%% of pixels differ by more than 64",
                     100.0 * k, 100.0 * far / n);
        cr_expect_lt(sum / n, 1.5, "%g dpi: mean difference %.2f", 100.0 * k, sum / n);
        stbi_image_free(a), stbi_image_free(b);
        unlink(png), unlink(svg), unlink(back);
        tg_figure_free(f);
    }
}

/* ---- layouts a user broke once ---------------------------------------------------------- */

Test(figure, a_custom_tick_beyond_the_data_does_not_squeeze_the_axes)
{
    tg_figure *f = tg_figure_new(NULL);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double y[60], ticks[5] = {0, 25, 50, 75, 100};
    for (int i = 0; i < 60; i++) y[i] = 1.0 / (1 + i);
    tg_axes_plot(ax, NULL, y, 60, NULL); /* training stopped at epoch 59 */
    tg_axes_set_xticks(ax, ticks, NULL, 5);
    image im = render(f);
    box b = frame_around(&im, im.w / 2, im.h / 2);
    cr_assert_gt(b.x1 - b.x0, im.w * 7 / 10, "frame %d..%d of %d px", b.x0, b.x1, im.w);
    free(im.px);
    tg_figure_free(f);
}

Test(figure, the_first_x_label_is_not_cut_at_the_left_edge)
{
    tg_figure *f = tg_figure_new(NULL);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double x[3] = {0, 1, 2}, y[3] = {5, 3, 4};
    const char *names[3] = {"Net-50 (baseline) wide", "B", "C"};
    tg_axes_bar(ax, x, y, 3, 0, NULL);
    tg_axes_set_xticks(ax, x, names, 3);
    image im = render(f);
    for (int yy = 0; yy < im.h; yy++) cr_assert_not(dark(at(&im, 0, yy)), "ink in column 0");
    free(im.px);
    tg_figure_free(f);
}

/* Ink in the colour `c` inside the frame around (cx, cy). */
static long ink_in_frame(const image *im, int cx, int cy, uint32_t c)
{
    box b = frame_around(im, cx, cy);
    long n = 0;
    for (int y = b.y0 + 1; y < b.y1; y++)
        for (int x = b.x0 + 1; x < b.x1; x++) n += channel_diff(at(im, x, y), c) < 40;
    return n;
}

Test(figure, sharex_between_a_log_and_a_linear_axes_draws_both)
{
    tg_figure_opts o = tg_figure_defaults();
    o.nrows = 2, o.sharex = true;
    tg_figure *f = tg_figure_new(&o);
    double xa[3] = {-5, 0, 5}, xb[3] = {1, 10, 100}, y[3] = {1, 2, 3};
    tg_axes_plot(tg_figure_axes(f, 0, 0), xa, y, 3, &(tg_style){.color = TG_RGB(0xff0000)});
    tg_axes *lg = tg_figure_axes(f, 1, 0);
    tg_axes_set_xlog(lg, true);
    tg_axes_plot(lg, xb, y, 3, &(tg_style){.color = TG_RGB(0x0000ff)});
    image im = render(f);
    cr_assert_gt(ink_in_frame(&im, im.w / 2, im.h / 4, 0xff0000), 50);
    cr_assert_gt(ink_in_frame(&im, im.w / 2, 3 * im.h / 4, 0x0000ff), 50, "the log panel");
    free(im.px);
    tg_figure_free(f);
}

static int count_texts(const char *svg_path)
{
    char *s = plot_slurp(svg_path, NULL);
    int n = 0;
    for (const char *p = strstr(s, "<text"); p; p = strstr(p + 1, "<text")) n++;
    free(s);
    return n;
}

static int write_and_count_texts(tg_figure *f)
{
    char svg[] = "/tmp/tg_figure_texts_XXXXXX";
    close(mkstemp(svg));
    cr_assert_eq(tg_figure_write_svg(f, svg), TG_OK, "%s", tg_last_error());
    int n = count_texts(svg);
    unlink(svg);
    return n;
}

Test(figure, flat_data_still_gets_a_scale)
{
    /* bars all 0; a single date; a value far from 0 that varies by a millionth */
    tg_figure_opts o = tg_figure_defaults();
    o.width = 2.5, o.height = 1.6;
    tg_figure *f = tg_figure_new(&o);
    double z[4] = {0, 0, 0, 0};
    tg_axes_bar(tg_figure_axes(f, 0, 0), NULL, z, 4, 0, NULL);
    cr_assert_geq(write_and_count_texts(f), 2 + 2, "x and y tick labels");
    tg_figure_free(f);

    f = tg_figure_new(NULL);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double d = tg_plot_date(2021, 3, 15), one = 1;
    tg_axes_xaxis_date(ax, TG_DATE_DAYS);
    tg_axes_scatter(ax, &d, &one, 1, NULL);
    char svg[] = "/tmp/tg_figure_date1_XXXXXX";
    close(mkstemp(svg));
    cr_assert_eq(tg_figure_write_svg(f, svg), TG_OK);
    char *s = plot_slurp(svg, NULL);
    cr_assert(strstr(s, ">Mar 15<") || strstr(s, ">Mar 15, 2021<"), "days around the date");
    free(s);
    unlink(svg);
    tg_figure_free(f);

    f = tg_figure_new(NULL);
    ax = tg_figure_axes(f, 0, 0);
    double x[2] = {1e9, 1e9 + 0.1}, y[2] = {1, 2};
    tg_axes_plot(ax, x, y, 2, &(tg_style){.color = TG_RGB(0xff0000)});
    image im = render(f);
    box b = frame_around(&im, im.w / 2, im.h / 2);
    int lo = im.w, hi = 0; /* the line spans the axes, not a vertical sliver */
    for (int yy = b.y0 + 1; yy < b.y1; yy++)
        for (int xx = b.x0 + 1; xx < b.x1; xx++)
            if (channel_diff(at(&im, xx, yy), 0xff0000) < 40) lo = fmin(lo, xx), hi = fmax(hi, xx);
    cr_assert_gt(hi - lo, (b.x1 - b.x0) * 8 / 10, "line from %d to %d", lo, hi);
    free(im.px);
    tg_figure_free(f);
}

Test(figure, a_twin_forwards_x_settings_to_its_parent)
{
    tg_figure *f = tg_figure_new(NULL);
    tg_axes *ax = tg_figure_axes(f, 0, 0), *tw = tg_axes_twinx(ax);
    cr_assert_eq(tg_axes_twinx(tw), tw);
    double y[3] = {1, 2, 3};
    tg_axes_plot(ax, NULL, y, 3, NULL);
    tg_axes_plot(tw, NULL, y, 3, NULL);
    cr_assert_eq(tg_axes_set_title(tw, "from the twin"), TG_OK);
    cr_assert_eq(tg_axes_set_xlim(tw, 0, 10), TG_OK);
    char svg[] = "/tmp/tg_figure_twin_XXXXXX";
    close(mkstemp(svg));
    cr_assert_eq(tg_figure_write_svg(f, svg), TG_OK);
    char *s = plot_slurp(svg, NULL);
    cr_assert(strstr(s, ">from the twin<"), "the twin's title is drawn");
    cr_assert(strstr(s, ">10<"), "the x range set through the twin reaches 10");
    free(s);
    unlink(svg);
    tg_figure_free(f);
}

Test(figure, sharex_shares_the_kind_of_x_axis)
{
    tg_figure_opts o = tg_figure_defaults();
    o.nrows = 2, o.sharex = true;
    tg_figure *f = tg_figure_new(&o);
    double d[90], y[90];
    for (int i = 0; i < 90; i++) d[i] = tg_plot_date(2021, 1, 1) + i, y[i] = i;
    tg_axes_xaxis_date(tg_figure_axes(f, 0, 0), TG_DATE_DAYS); /* only the top one */
    tg_axes_plot(tg_figure_axes(f, 0, 0), d, y, 90, NULL);
    tg_axes_plot(tg_figure_axes(f, 1, 0), d, y, 90, NULL);
    char svg[] = "/tmp/tg_figure_sharex_XXXXXX";
    close(mkstemp(svg));
    cr_assert_eq(tg_figure_write_svg(f, svg), TG_OK);
    char *s = plot_slurp(svg, NULL);
    cr_assert(strstr(s, ">Feb<") && strstr(s, ">Mar<"), "the bottom row labels dates");
    cr_assert_null(strstr(s, ">186"), "not day numbers (18628 is 2021-01-01)");
    free(s);
    unlink(svg);
    tg_figure_free(f);
}
