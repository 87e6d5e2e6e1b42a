/* tests/test_plot.c — line charts: the PNG decodes at the requested size with each series'
 * colour present on a mostly white background, the SVG holds a line per series in its
 * colour and the title, nice ticks, and bad input and file errors come back as statuses. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <math.h>
#include <stb_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot/plot.h"

static char pt_dir[128];

static void pt_setup(void)
{
    snprintf(pt_dir, sizeof pt_dir, "/tmp/tapegrad-plot-%d", (int)getpid());
    mkdir(pt_dir, 0700);
}

static void pt_teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", pt_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", pt_dir);
}

/* A chart with a rising and a falling series. */
static tg_chart *pt_chart(int w, int h)
{
    enum { N = 200 };
    float up[N], down[N];
    for (int i = 0; i < N; i++) {
        up[i] = 30000.0f + 100.0f * (float)i + 800.0f * sinf(0.2f * (float)i);
        down[i] = 50000.0f - 80.0f * (float)i;
    }
    tg_chart *c = tg_chart_new(w, h);
    cr_assert_not_null(c, "%s", tg_last_error());
    cr_assert_eq(tg_chart_set_title(c, "Bitcoin close"), TG_OK);
    tg_chart_set_xlabel(c, "day");
    tg_chart_set_ylabel(c, "price (USD)");
    cr_assert_eq(tg_chart_add_series(c, "true", NULL, up, N), TG_OK);
    cr_assert_eq(tg_chart_add_series(c, "predicted", NULL, down, N), TG_OK);
    return c;
}

/* Pixels within `tol` per channel of 0xRRGGBB. */
static int pt_count(const unsigned char *px, int n, int channels, uint32_t rgb, int tol)
{
    int r = (int)(rgb >> 16) & 255, g = (int)(rgb >> 8) & 255, b = (int)rgb & 255, count = 0;
    for (int i = 0; i < n; i++) {
        const unsigned char *p = px + (size_t)i * channels;
        if (abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol) count++;
    }
    return count;
}

Test(plot, png_decodes_at_the_requested_size_with_each_series_colour, .init = pt_setup,
     .fini = pt_teardown)
{
    char path[256];
    snprintf(path, sizeof path, "%s/chart.png", pt_dir);
    tg_chart *c = pt_chart(900, 400);
    cr_assert_eq(tg_chart_write_png(c, path), TG_OK, "%s", tg_last_error());
    tg_chart_free(c);
    int w, h, ch;
    unsigned char *px = stbi_load(path, &w, &h, &ch, 0);
    cr_assert_not_null(px, "stb_image cannot decode %s", path);
    cr_expect_eq(w, 900);
    cr_expect_eq(h, 400);
    cr_expect(ch == 3 || ch == 4);
    int n = w * h;
    cr_expect_gt(pt_count(px, n, ch, tg_plot_palette(0), 12), 300, "first series colour");
    cr_expect_gt(pt_count(px, n, ch, tg_plot_palette(1), 12), 300, "second series colour");
    cr_expect_gt(pt_count(px, n, ch, 0xffffff, 2), n / 2, "mostly white background");
    cr_expect_gt(pt_count(px, n, ch, 0x000000, 90), 200, "dark text and axes");
    stbi_image_free(px);
    cr_expect(access(path, F_OK) == 0);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_expect(access(tmp, F_OK) != 0, "the temporary file is gone");
}

Test(plot, svg_has_a_line_per_series_and_the_title, .init = pt_setup, .fini = pt_teardown)
{
    char path[256];
    snprintf(path, sizeof path, "%s/chart.svg", pt_dir);
    tg_chart *c = pt_chart(800, 400);
    cr_assert_eq(tg_chart_write_svg(c, path), TG_OK, "%s", tg_last_error());
    tg_chart_free(c);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    cr_expect(strncmp(buf, "<svg", 4) == 0 || strstr(buf, "<svg") < buf + 200, "starts with <svg");
    cr_expect(strstr(buf, "Bitcoin close"), "title");
    cr_expect(strstr(buf, "</svg>"), "closed");
    for (int s = 0; s < 2; s++) {
        char colour[16];
        snprintf(colour, sizeof colour, "#%06x", tg_plot_palette(s));
        int lines = 0;
        for (const char *p = buf; (p = strstr(p, "<polyline")) || (p = NULL); p++) {
            const char *end = strchr(p, '>');
            if (end && memmem(p, (size_t)(end - p), colour, strlen(colour))) lines++;
            if (!end) break;
        }
        for (const char *p = buf; (p = strstr(p, "<path")); p++) {
            const char *end = strchr(p, '>');
            if (end && memmem(p, (size_t)(end - p), colour, strlen(colour))) lines++;
            if (!end) break;
        }
        cr_expect_geq(lines, 1, "a line in %s", colour);
    }
}

Test(plot, nice_ticks_use_1_2_5_steps)
{
    double t[32], step;
    int n = tg_plot_nice_ticks(0.0, 1.0, 6, t, 32, &step);
    cr_expect_eq(n, 6);
    cr_expect(fabs(step - 0.2) < 1e-12 && fabs(t[0]) < 1e-12 && fabs(t[5] - 1.0) < 1e-12);
    n = tg_plot_nice_ticks(3.7, 97.0, 6, t, 32, &step);
    cr_expect(fabs(step - 20.0) < 1e-9, "step %g", step);
    cr_expect(n == 4 && fabs(t[0] - 20.0) < 1e-9 && fabs(t[3] - 80.0) < 1e-9, "n %d", n);
    n = tg_plot_nice_ticks(-0.003, 0.012, 8, t, 32, &step);
    for (int i = 0; i < n; i++) {
        double k = t[i] / step;
        cr_expect(fabs(k - round(k)) < 1e-9, "tick %g is a multiple of %g", t[i], step);
    }
    double m = step / pow(10, floor(log10(step)));
    cr_expect(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9, "step %g", step);
}

Test(plot, bad_input_and_file_errors_are_statuses, .init = pt_setup, .fini = pt_teardown)
{
    cr_expect_null(tg_chart_new(0, 100));
    cr_expect_eq(tg_chart_write_png(NULL, "x.png"), TG_ERR_ARG);
    tg_chart *c = tg_chart_new(300, 200);
    char path[256];
    snprintf(path, sizeof path, "%s/empty.png", pt_dir);
    cr_expect_eq(tg_chart_write_png(c, path), TG_ERR_ARG, "a chart without series");
    float nan3[3] = {NAN, NAN, NAN};
    cr_expect_eq(tg_chart_add_series(c, "nan", NULL, nan3, 3), TG_ERR_NUMERIC);
    cr_expect_eq(tg_chart_add_series(c, "none", NULL, nan3, 0), TG_ERR_ARG);
    float one[3] = {5, 5, 5}; /* constant: still an axis */
    cr_expect_eq(tg_chart_add_series(c, "flat", NULL, one, 3), TG_OK);
    cr_expect_eq(tg_chart_write_png(c, path), TG_OK, "%s", tg_last_error());
    cr_expect_eq(tg_chart_write_png(c, "/nonexistent-dir/chart.png"), TG_ERR_IO);
    cr_expect(strstr(tg_last_error(), "/nonexistent-dir/chart.png"), "%s", tg_last_error());
    /* log y with only non-positive values has nothing to draw */
    tg_chart *l = tg_chart_new(300, 200);
    float neg[3] = {-1, 0, -2};
    tg_chart_set_log_y(l, true);
    tg_chart_add_series(l, "neg", NULL, neg, 3);
    cr_expect_eq(tg_chart_write_png(l, path), TG_ERR_NUMERIC);
    tg_chart_free(l);
    tg_chart_free(c);
}
