/* examples/plot_gallery.c — one chart of each kind the plot module draws, as PNG and SVG:
 *
 *   gallery_lines     line styles, widths, markers, a two-column legend
 *   gallery_scatter   a scatter with a fitted line, reference lines and an annotation
 *   gallery_forecast  500 daily dates: a forecast with 80% and 95% bands, the history
 *                     and forecast periods marked (date axis, fill_between, axvspan)
 *   gallery_bars      bars with the program's own tick labels and a mean line
 *   gallery_hist      a histogram of residuals with its mean and ±1σ span
 *   gallery_errorbar  run-to-run spread as error bars over a log x axis, with a twin
 *                     y axis on the right
 *   gallery_subplots  a 2 x 2 grid sharing x, aligned frames, a suptitle, a legend
 *                     beside the axes
 *   gallery_palette   the twenty palette colours, legend in four columns below
 *
 * The data are synthetic (a seeded generator), so the pictures are the same on every run.
 *
 * Usage: plot_gallery [--out DIR] [--dpi N]   (default out/gallery, 100 dpi)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plot/plot.h"
#include "tapegrad.h"

#define PI 3.14159265358979323846

static const char *out_dir = "out/gallery";
static double dpi = 100.0;

static int save(tg_figure *f, const char *stem)
{
    char path[1024];
    int rc = 0;
    snprintf(path, sizeof path, "%s/%s.png", out_dir, stem);
    if (tg_figure_write_png(f, path) != TG_OK) rc = 1;
    snprintf(path, sizeof path, "%s/%s.svg", out_dir, stem);
    if (!rc && tg_figure_write_svg(f, path) != TG_OK) rc = 1;
    if (rc) fprintf(stderr, "%s\n", tg_last_error());
    else printf("wrote %s/%s.png and .svg\n", out_dir, stem);
    tg_figure_free(f);
    return rc;
}

static tg_figure *figure(double w, double h, int rows, int cols)
{
    tg_figure_opts o = tg_figure_defaults();
    o.width = w, o.height = h, o.dpi = dpi, o.nrows = rows, o.ncols = cols;
    return tg_figure_new(&o);
}

static int lines(void)
{
    tg_figure *f = figure(8, 4.5, 1, 1);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double x[60], y[4][60];
    for (int i = 0; i < 60; i++) {
        x[i] = i * 0.2;
        for (int k = 0; k < 4; k++) y[k][i] = sin(x[i] - 0.6 * k) * exp(-0.05 * x[i]) + 0.5 * k;
    }
    const char *names[4] = {"solid", "dashed", "dotted", "dash-dot"};
    for (int k = 0; k < 4; k++)
        tg_axes_plot(ax, x, y[k], 60, &(tg_style){.label = names[k], .linestyle = (tg_linestyle)k,
                                                  .linewidth = 1.0f + 0.5f * k});
    tg_axes_plot(ax, x, y[0], 60, &(tg_style){.label = "markers", .linestyle = TG_LINE_NONE,
                                              .marker = TG_MARKER_SQUARE, .markersize = 4});
    tg_axes_set_title(ax, "Line styles, widths and markers");
    tg_axes_set_xlabel(ax, "time (s)");
    tg_axes_set_ylabel(ax, "amplitude");
    tg_axes_legend(ax, &(tg_legend_opts){.loc = TG_LEGEND_UPPER_RIGHT, .ncol = 2});
    return save(f, "gallery_lines");
}

static int scatter(tg_rng *g)
{
    tg_figure *f = figure(6.4, 4.8, 1, 1);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double x[200], y[200], fx[2] = {0, 10}, fy[2];
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < 200; i++) {
        x[i] = 10.0 * tg_rng_uniform(g);
        y[i] = 1.5 + 0.8 * x[i] + 1.2 * tg_rng_normal(g);
        sx += x[i], sy += y[i], sxx += x[i] * x[i], sxy += x[i] * y[i];
    }
    double b = (200 * sxy - sx * sy) / (200 * sxx - sx * sx), a = (sy - b * sx) / 200;
    fy[0] = a, fy[1] = a + 10 * b;
    tg_axes_scatter(ax, x, y, 200, &(tg_style){.label = "samples", .alpha = 0.6f});
    tg_axes_plot(ax, fx, fy, 2, &(tg_style){.label = "least squares", .linewidth = 2});
    tg_axes_axhline(ax, sy / 200, &(tg_style){.linestyle = TG_LINE_DASHED, .label = "mean"});
    char note[64];
    snprintf(note, sizeof note, "slope %.2f, intercept %.2f", b, a);
    tg_axes_text(ax, 9.8, a - 1.0, note, &(tg_text_style){.ha = TG_ALIGN_RIGHT});
    tg_axes_set_title(ax, "Scatter, fit and annotation");
    tg_axes_set_xlabel(ax, "x");
    tg_axes_set_ylabel(ax, "y");
    return save(f, "gallery_scatter");
}

static int forecast(tg_rng *g)
{
    enum { N = 500, H = 120 };
    tg_figure *f = figure(10, 4.8, 1, 1);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    static double day[N], y[N], lo80[N], hi80[N], lo95[N], hi95[N];
    double start = 0.0;
    tg_plot_parse_date("2021-01-15", &start);
    double level = 100.0;
    for (int i = 0; i < N; i++) {
        day[i] = start + i;
        level += 0.4 * tg_rng_normal(g) + 0.03;
        y[i] = level + 6.0 * sin(2 * PI * i / 91.0);
    }
    int t0 = N - H;
    for (int i = 0; i < N; i++) {
        double s = i < t0 ? NAN : 0.4 * sqrt((double)(i - t0 + 1));
        lo80[i] = y[i] - 1.28 * s, hi80[i] = y[i] + 1.28 * s;
        lo95[i] = y[i] - 1.96 * s, hi95[i] = y[i] + 1.96 * s;
    }
    tg_axes_xaxis_date(ax, TG_DATE_DAYS);
    tg_axes_axvspan(ax, day[t0], day[N - 1], &(tg_style){.label = "forecast period",
                                                           .color = TG_RGB(0xe8e8e8), .alpha = 1});
    tg_axes_fill_between(ax, day, lo95, hi95, N, &(tg_style){.label = "95% interval",
                                                              .color = TG_RGB(0x2b6cb0), .alpha = 0.15f});
    tg_axes_fill_between(ax, day, lo80, hi80, N, &(tg_style){.label = "80% interval",
                                                              .color = TG_RGB(0x2b6cb0), .alpha = 0.3f});
    tg_axes_plot(ax, day, y, t0 + 1, &(tg_style){.label = "history", .color = TG_RGB(0x262626)});
    tg_axes_plot(ax, day + t0, y + t0, H, &(tg_style){.label = "forecast", .color = TG_RGB(0x2b6cb0),
                                                      .linestyle = TG_LINE_DASHED});
    tg_axes_axvline(ax, day[t0], &(tg_style){.color = TG_RGB(0x888888)});
    tg_axes_set_title(ax, "A forecast over 500 daily dates");
    tg_axes_set_ylabel(ax, "value");
    tg_axes_legend(ax, &(tg_legend_opts){.loc = TG_LEGEND_UPPER_LEFT});
    return save(f, "gallery_forecast");
}

static int bars(void)
{
    tg_figure *f = figure(7, 4.2, 1, 1);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    const char *months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    double x[12], h[12], mean = 0;
    for (int i = 0; i < 12; i++) {
        x[i] = i;
        h[i] = 40 + 25 * sin(PI * (i - 2) / 6.0) + 3 * (i % 3);
        mean += h[i] / 12;
    }
    tg_axes_bar(ax, x, h, 12, 0, &(tg_style){.label = "rainfall"});
    tg_axes_axhline(ax, mean, &(tg_style){.label = "mean", .linestyle = TG_LINE_DASHED,
                                          .color = TG_RGB(0xd63a3a)});
    tg_axes_set_xticks(ax, x, months, 12);
    tg_axes_set_title(ax, "Bars with the program's own tick labels");
    tg_axes_set_ylabel(ax, "mm");
    return save(f, "gallery_bars");
}

static int hist(tg_rng *g)
{
    tg_figure *f = figure(6.4, 4.8, 1, 1);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    static double r[5000];
    double mean = 0, var = 0;
    for (int i = 0; i < 5000; i++) r[i] = 0.5 + 2.0 * tg_rng_normal(g), mean += r[i] / 5000;
    for (int i = 0; i < 5000; i++) var += (r[i] - mean) * (r[i] - mean) / 4999;
    double sd = sqrt(var);
    tg_axes_axvspan(ax, mean - sd, mean + sd, &(tg_style){.label = "μ ± 1σ"});
    tg_axes_hist(ax, r, 5000, 40, 0, 0, &(tg_style){.label = "residuals", .alpha = 0.85f});
    tg_axes_axvline(ax, mean, &(tg_style){.label = "mean μ", .linestyle = TG_LINE_DASHED});
    char note[64];
    snprintf(note, sizeof note, "μ = %.2f, σ = %.2f", mean, sd);
    tg_axes_text(ax, mean + 1.3 * sd, 300, note, &(tg_text_style){.size = 11});
    tg_axes_set_title(ax, "Histogram (40 bins) — residuals of 5000 samples");
    tg_axes_set_xlabel(ax, "residual");
    tg_axes_set_ylabel(ax, "count");
    return save(f, "gallery_hist");
}

static int errorbar(tg_rng *g)
{
    tg_figure *f = figure(7, 4.5, 1, 1);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double lr[7], loss[7], sd[7], secs[7];
    for (int i = 0; i < 7; i++) {
        lr[i] = 1e-5 * pow(10.0, i * 0.5 + 0.25 * (i > 3));
        double d = log10(lr[i]) + 3.0;
        loss[i] = 0.02 + 0.01 * d * d + 0.002 * tg_rng_uniform(g);
        sd[i] = 0.002 + 0.004 * fabs(d) / 2;
        secs[i] = 11.0 + 0.3 * i;
    }
    tg_axes_set_xlog(ax, true);
    tg_axes_errorbar(ax, lr, loss, sd, 7, &(tg_style){.label = "val loss, mean ± sd of 5 runs"});
    tg_axes_plot(ax, lr, loss, 7, &(tg_style){.linestyle = TG_LINE_DOTTED,
                                              .color = TG_RGB(0x2b6cb0)});
    tg_axes *tw = tg_axes_twinx(ax);
    tg_axes_plot(tw, lr, secs, 7, &(tg_style){.label = "seconds per epoch",
                                              .marker = TG_MARKER_DIAMOND});
    tg_axes_set_ylabel(tw, "seconds per epoch");
    tg_axes_set_title(ax, "Learning-rate sweep");
    tg_axes_set_xlabel(ax, "learning rate");
    tg_axes_set_ylabel(ax, "validation loss");
    return save(f, "gallery_errorbar");
}

static int subplots(tg_rng *g)
{
    tg_figure_opts o = tg_figure_defaults();
    o.width = 10, o.height = 6, o.dpi = dpi, o.nrows = 2, o.ncols = 2, o.sharex = true;
    tg_figure *f = tg_figure_new(&o);
    double ep[50], v[4][50];
    for (int i = 0; i < 50; i++) {
        ep[i] = i + 1;
        v[0][i] = 1.0 / (1 + 0.2 * i) + 0.01 * tg_rng_uniform(g);
        v[1][i] = 25000.0 * exp(-0.03 * i);
        v[2][i] = 0.5 + 0.45 * (1 - exp(-0.1 * i));
        v[3][i] = 1e-3 * pow(0.95, i);
    }
    const char *names[4] = {"loss", "tokens / s", "accuracy", "learning rate"};
    for (int k = 0; k < 4; k++) {
        tg_axes *ax = tg_figure_axes(f, k / 2, k % 2);
        tg_axes_plot(ax, ep, v[k], 50, &(tg_style){.label = names[k]});
        tg_axes_set_ylabel(ax, names[k]);
        if (k >= 2) tg_axes_set_xlabel(ax, "epoch");
        if (k == 3) tg_axes_set_ylog(ax, true);
    }
    tg_axes_legend(tg_figure_axes(f, 0, 1), &(tg_legend_opts){.loc = TG_LEGEND_OUTSIDE_RIGHT});
    tg_figure_suptitle(f, "Four metrics of one run (shared x, aligned frames)");
    return save(f, "gallery_subplots");
}

static int palette(void)
{
    tg_figure *f = figure(9, 5.5, 1, 1);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    double x[2] = {0, 1};
    for (int k = 0; k < 20; k++) {
        double y[2] = {k, k + 0.6};
        char name[16];
        snprintf(name, sizeof name, "series %d", k + 1);
        tg_axes_plot(ax, x, y, 2, &(tg_style){.label = name, .linewidth = 3});
    }
    tg_axes_set_title(ax, "The twenty palette colours");
    tg_axes_legend(ax, &(tg_legend_opts){.loc = TG_LEGEND_BELOW, .ncol = 5});
    return save(f, "gallery_palette");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (strcmp(argv[i], "--dpi") == 0 && i + 1 < argc) {
            dpi = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--out DIR] [--dpi N]\n", argv[0]);
            return 2;
        }
    }
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", out_dir, strerror(errno));
        return 1;
    }
    tg_rng g;
    tg_rng_seed(&g, 42, 0);
    int rc = lines() | scatter(&g) | forecast(&g) | bars() | hist(&g) | errorbar(&g) |
             subplots(&g) | palette();
    return rc;
}
