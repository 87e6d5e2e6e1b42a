/* plot/chart.c — tg_chart, the one-axes shorthand: a figure of one axes sized in pixels
 * at 100 dpi, fed with float series. Every call forwards to the figure API; what is
 * drawn and which errors come back are the figure's, plus the chart's own two: a chart
 * without series, and a log-y chart without a positive point, cannot be written.
 *
 * What this is not: a second implementation of anything.
 */
#include "plot/figure.h"

#include <math.h>
#include <string.h>

struct tg_chart {
    tg_figure *fig;
    tg_axes *ax;
};

#define CHART_DPI 100.0

tg_chart *tg_chart_new(int width, int height)
{
    if (width < TG_PLOT_MIN_SIZE || width > TG_PLOT_MAX_SIZE || height < TG_PLOT_MIN_SIZE ||
        height > TG_PLOT_MAX_SIZE) {
        tg_fail(TG_ERR_ARG, "tg_chart_new: size %d x %d outside [%d, %d] pixels", width,
                height, TG_PLOT_MIN_SIZE, TG_PLOT_MAX_SIZE);
        return NULL;
    }
    tg_figure_opts o = tg_figure_defaults();
    o.width = width / CHART_DPI;
    o.height = height / CHART_DPI;
    o.dpi = CHART_DPI;
    tg_figure *fig = tg_figure_new(&o);
    if (!fig) return NULL;
    tg_chart *c = tg_calloc(sizeof *c);
    c->fig = fig;
    c->ax = tg_figure_axes(fig, 0, 0);
    return c;
}

void tg_chart_free(tg_chart *c)
{
    if (!c) return;
    tg_figure_free(c->fig);
    tg_free(c);
}

tg_figure *tg_chart_figure(tg_chart *c) { return c ? c->fig : NULL; }
tg_axes *tg_chart_axes(tg_chart *c) { return c ? c->ax : NULL; }

#define NEED_CHART(c, fn) \
    if (!(c)) return tg_fail(TG_ERR_ARG, "%s: chart is NULL", fn)

tg_status tg_chart_set_title(tg_chart *c, const char *title)
{
    NEED_CHART(c, "tg_chart_set_title");
    return tg_plot_set_text(&c->ax->title, title, "tg_chart_set_title");
}

tg_status tg_chart_set_xlabel(tg_chart *c, const char *label)
{
    NEED_CHART(c, "tg_chart_set_xlabel");
    return tg_plot_set_text(&c->ax->xlabel, label, "tg_chart_set_xlabel");
}

tg_status tg_chart_set_ylabel(tg_chart *c, const char *label)
{
    NEED_CHART(c, "tg_chart_set_ylabel");
    return tg_plot_set_text(&c->ax->ylabel, label, "tg_chart_set_ylabel");
}

tg_status tg_chart_set_log_y(tg_chart *c, bool log_y)
{
    NEED_CHART(c, "tg_chart_set_log_y");
    return tg_axes_set_ylog(c->ax, log_y);
}

tg_status tg_chart_set_xlim(tg_chart *c, double lo, double hi)
{
    NEED_CHART(c, "tg_chart_set_xlim");
    return tg_axes_set_xlim(c->ax, lo, hi);
}

tg_status tg_chart_set_ylim(tg_chart *c, double lo, double hi)
{
    NEED_CHART(c, "tg_chart_set_ylim");
    return tg_axes_set_ylim(c->ax, lo, hi);
}

tg_status tg_chart_add_series_style(tg_chart *c, const char *name, const float *x,
                                    const float *y, int n, tg_series_style style)
{
    const char *fn = "tg_chart_add_series";
    NEED_CHART(c, fn);
    if (!(style.width >= 0.0f && style.width <= 64.0f))
        return tg_fail(TG_ERR_ARG, "%s: series '%s': line width %g outside [0, 64] px", fn,
                       name ? name : "", (double)style.width);
    tg_style s = {.label = name, .color = style.color,
                  .linewidth = (float)(style.width * 72.0 / CHART_DPI),
                  .linestyle = style.dashed ? TG_LINE_DASHED : TG_LINE_SOLID};
    return tg_axes_plot_f(c->ax, x, y, n, &s);
}

tg_status tg_chart_add_series(tg_chart *c, const char *name, const float *x, const float *y,
                              int n)
{
    return tg_chart_add_series_style(c, name, x, y, n, (tg_series_style){0});
}

tg_status tg_chart_add_tensor(tg_chart *c, const char *name, const tg_tensor *x,
                              const tg_tensor *y)
{
    if (!c) return tg_fail(TG_ERR_ARG, "tg_chart_add_tensor: chart is NULL");
    if (!y)
        return tg_fail(TG_ERR_ARG, "tg_chart_add_tensor: series '%s': y is NULL",
                       name ? name : "");
    if (y->size > INT32_MAX || (x && x->size != y->size))
        return tg_fail(TG_ERR_ARG, "tg_chart_add_tensor: series '%s': x has %lld values, "
                       "y %lld", name ? name : "", x ? (long long)x->size : 0LL,
                       (long long)y->size);
    return tg_chart_add_series(c, name, x ? x->data : NULL, y->data, (int)y->size);
}

/* The chart's own refusals: nothing to draw. */
static tg_status drawable(const tg_chart *c, const char *fn)
{
    if (!c) return tg_fail(TG_ERR_ARG, "%s: chart is NULL", fn);
    if (c->ax->nmarks == 0) return tg_fail(TG_ERR_ARG, "%s: the chart has no series", fn);
    if (!c->ax->ylog || tg_plot_axes_extent(c->ax, c->ax->xlog, NAN, NAN).has_y) return TG_OK;
    return tg_fail(TG_ERR_NUMERIC, "%s: log-y chart has no finite point with y > 0 to draw",
                   fn);
}

tg_status tg_chart_render_rgb(const tg_chart *c, uint8_t *rgb)
{
    tg_status st = drawable(c, "tg_chart_render_rgb");
    return st != TG_OK ? st : tg_figure_render_rgb(c->fig, rgb);
}

tg_status tg_chart_write_png(const tg_chart *c, const char *path)
{
    tg_status st = drawable(c, "tg_chart_write_png");
    return st != TG_OK ? st : tg_figure_write_png(c->fig, path);
}

tg_status tg_chart_write_svg(const tg_chart *c, const char *path)
{
    tg_status st = drawable(c, "tg_chart_write_svg");
    return st != TG_OK ? st : tg_figure_write_svg(c->fig, path);
}
