/* plot/figure.c — figures and axes as objects: creation with checked options, the grid
 * of axes and their twins, titles, labels, limits, scales, date axes, custom ticks and
 * legend options, the palette, and the file writers that hand a figure to a renderer.
 *
 * What this is not: layout or drawing (draw.c) or the marks (marks.c, mark_types.c).
 */
#include "plot/figure.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tensor/file.h"

/* ---- text ----------------------------------------------------------------------------- */

/* Byte offset of the first invalid UTF-8 sequence in s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or -1 when s is valid. Control characters other than tab
 * count as invalid too: SVG (XML 1.0) cannot hold them. */
long tg_plot_bad_utf8(const char *s)
{
    for (long i = 0; s[i];) {
        uint32_t cp;
        int len = tg_plot_utf8_next(s + i, &cp);
        if ((cp == 0xFFFD && len == 1) || (cp < 0x20 && cp != '\t') || cp == 0x7F) return i;
        i += len;
    }
    return -1;
}

tg_status tg_plot_check_text(const char *text, const char *what, const char *fn)
{
    long bad = text ? tg_plot_bad_utf8(text) : -1;
    if (bad < 0) return TG_OK;
    return tg_fail(TG_ERR_ARG, "%s: %s is not valid UTF-8 (or holds a control character) at "
                   "byte %ld; nothing was changed", fn, what, bad);
}

tg_status tg_plot_fail_prefixed(tg_status st, const char *fn)
{
    char why[768]; /* tg_last_error() is the buffer tg_fail writes: copied first */
    snprintf(why, sizeof why, "%s", tg_last_error());
    return tg_fail(st, "%s: %s", fn, why);
}

char *tg_plot_strdup(const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s) + 1;
    char *d = tg_malloc(n);
    memcpy(d, s, n);
    return d;
}

tg_status tg_plot_set_text(char **field, const char *text, const char *fn)
{
    tg_status st = tg_plot_check_text(text, "the text", fn);
    if (st != TG_OK) return st;
    tg_free(*field);
    *field = text && *text ? tg_plot_strdup(text) : NULL;
    return TG_OK;
}

/* ---- palette -------------------------------------------------------------------------- */

/* Ten strong colours in the spirit of matplotlib's tab10, then a lighter companion of
 * each (the layout of tab20); our own values. */
static const uint32_t palette[20] = {
    0x2b6cb0, 0xe8772e, 0x2f9e44, 0xd63a3a, 0x8456c0, /* blue orange green red purple */
    0x8c5a3c, 0xd65fb0, 0x6b6b6b, 0xa8a82a, 0x1fb0c4, /* brown pink grey olive cyan */
    0x93b9e3, 0xf5b98a, 0x94d39a, 0xf09a98, 0xc3aee0,
    0xc9a38f, 0xefb3da, 0xbdbdbd, 0xd8d88a, 0x94dbe6,
};

uint32_t tg_plot_palette(int i)
{
    if (i < 0) i = -(i + 1);
    return palette[i % 20];
}

uint32_t tg_plot_next_color(tg_axes *ax)
{
    tg_axes *owner = ax->parent ? ax->parent : ax;
    return tg_plot_palette(owner->ncolors++);
}

/* ---- figures -------------------------------------------------------------------------- */

tg_figure_opts tg_figure_defaults(void)
{
    return (tg_figure_opts){.width = 6.4, .height = 4.8, .dpi = 100.0, .nrows = 1,
                            .ncols = 1, .font_size = 10.0};
}

static bool size_ok(double inches, double dpi, int *px)
{
    double v = inches * dpi;
    if (!(isfinite(v) && v >= TG_PLOT_MIN_SIZE - 0.5 && v < TG_PLOT_MAX_SIZE + 0.5))
        return false;
    *px = (int)lround(v);
    return true;
}

static tg_status check_ratios(const double *r, int n, const char *what, const char *fn)
{
    bool any = false;
    for (int i = 0; i < TG_FIGURE_MAX_GRID; i++) {
        if (!(r[i] >= 0.0 && isfinite(r[i])))
            return tg_fail(TG_ERR_ARG, "%s: %s[%d] = %g is not a finite value >= 0", fn,
                           what, i, r[i]);
        if (r[i] > 0.0) any = true;
    }
    for (int i = 0; any && i < TG_FIGURE_MAX_GRID; i++) {
        if (i < n && !(r[i] > 0.0))
            return tg_fail(TG_ERR_ARG, "%s: %s[%d] is 0 while others are set: give all %d "
                           "(one per %s) or none", fn, what, i, n,
                           what[0] == 'h' ? "row" : "column");
        if (i >= n && r[i] > 0.0)
            return tg_fail(TG_ERR_ARG, "%s: %s[%d] is set but the grid has only %d %s", fn,
                           what, i, n, what[0] == 'h' ? "rows" : "columns");
    }
    return TG_OK;
}

static tg_status check_opts(const tg_figure_opts *o, int *w, int *h, const char *fn)
{
    if (!(o->dpi >= 1.0 && o->dpi <= 2400.0))
        return tg_fail(TG_ERR_ARG, "%s: dpi %g outside [1, 2400] (start from "
                       "tg_figure_defaults())", fn, o->dpi);
    if (!size_ok(o->width, o->dpi, w) || !size_ok(o->height, o->dpi, h))
        return tg_fail(TG_ERR_ARG, "%s: %g x %g in at %g dpi is not in [%d, %d] pixels a "
                       "side (start from tg_figure_defaults())", fn, o->width, o->height,
                       o->dpi, TG_PLOT_MIN_SIZE, TG_PLOT_MAX_SIZE);
    if (o->nrows < 1 || o->nrows > TG_FIGURE_MAX_GRID || o->ncols < 1 ||
        o->ncols > TG_FIGURE_MAX_GRID)
        return tg_fail(TG_ERR_ARG, "%s: grid %d x %d outside 1..%d", fn, o->nrows, o->ncols,
                       TG_FIGURE_MAX_GRID);
    if (!(o->font_size >= 1.0 && o->font_size <= 200.0))
        return tg_fail(TG_ERR_ARG, "%s: font_size %g pt outside [1, 200]", fn, o->font_size);
    tg_status st = check_ratios(o->height_ratios, o->nrows, "height_ratios", fn);
    return st != TG_OK ? st : check_ratios(o->width_ratios, o->ncols, "width_ratios", fn);
}

static tg_axes *axes_new(tg_figure *f, int row, int col)
{
    tg_axes *ax = tg_calloc(sizeof *ax);
    ax->fig = f;
    ax->row = row;
    ax->col = col;
    ax->xlim[0] = ax->xlim[1] = ax->ylim[0] = ax->ylim[1] = NAN;
    return ax;
}

tg_figure *tg_figure_new(const tg_figure_opts *opts)
{
    tg_figure_opts o = opts ? *opts : tg_figure_defaults();
    int w = 0, h = 0;
    if (check_opts(&o, &w, &h, "tg_figure_new") != TG_OK) return NULL;
    tg_figure *f = tg_calloc(sizeof *f);
    f->opts = o;
    f->width = w;
    f->height = h;
    f->axes = tg_calloc((size_t)(o.nrows * o.ncols) * sizeof *f->axes);
    for (int r = 0; r < o.nrows; r++)
        for (int c = 0; c < o.ncols; c++) f->axes[r * o.ncols + c] = axes_new(f, r, c);
    return f;
}

static void ticks_free(tg_plot_ticks_spec *t)
{
    for (int i = 0; t->labels && i < t->n; i++) tg_free(t->labels[i]);
    tg_free(t->labels);
    tg_free(t->at);
    memset(t, 0, sizeof *t);
}

static void axes_free(tg_axes *ax)
{
    if (!ax) return;
    axes_free(ax->twin);
    for (int i = 0; i < ax->nmarks; i++) tg_plot_mark_free(&ax->marks[i]);
    tg_free(ax->marks);
    tg_free(ax->title);
    tg_free(ax->xlabel);
    tg_free(ax->ylabel);
    ticks_free(&ax->xticks);
    ticks_free(&ax->yticks);
    tg_free(ax);
}

void tg_figure_free(tg_figure *f)
{
    if (!f) return;
    for (int i = 0; i < f->opts.nrows * f->opts.ncols; i++) axes_free(f->axes[i]);
    tg_free(f->axes);
    tg_free(f->suptitle);
    tg_free(f);
}

tg_axes *tg_figure_axes(tg_figure *f, int row, int col)
{
    if (!f) {
        tg_fail(TG_ERR_ARG, "tg_figure_axes: figure is NULL");
        return NULL;
    }
    if (row < 0 || row >= f->opts.nrows || col < 0 || col >= f->opts.ncols) {
        tg_fail(TG_ERR_ARG, "tg_figure_axes: (%d, %d) outside the %d x %d grid", row, col,
                f->opts.nrows, f->opts.ncols);
        return NULL;
    }
    return f->axes[row * f->opts.ncols + col];
}

tg_status tg_figure_suptitle(tg_figure *f, const char *title)
{
    if (!f) return tg_fail(TG_ERR_ARG, "tg_figure_suptitle: figure is NULL");
    return tg_plot_set_text(&f->suptitle, title, "tg_figure_suptitle");
}

tg_status tg_figure_set_dpi(tg_figure *f, double dpi)
{
    if (!f) return tg_fail(TG_ERR_ARG, "tg_figure_set_dpi: figure is NULL");
    tg_figure_opts o = f->opts;
    o.dpi = dpi;
    int w = 0, h = 0;
    tg_status st = check_opts(&o, &w, &h, "tg_figure_set_dpi");
    if (st != TG_OK) return st;
    f->opts = o;
    f->width = w;
    f->height = h;
    return TG_OK;
}

void tg_figure_size_px(const tg_figure *f, int *width, int *height)
{
    if (width) *width = f ? f->width : 0;
    if (height) *height = f ? f->height : 0;
}

/* ---- axes settings -------------------------------------------------------------------- */

#define NEED_AXES(ax, fn) \
    if (!(ax)) return tg_fail(TG_ERR_ARG, "%s: axes is NULL", fn)

tg_status tg_axes_set_title(tg_axes *ax, const char *title)
{
    NEED_AXES(ax, "tg_axes_set_title");
    if (ax->parent) ax = ax->parent; /* a twin shares its x axis and title */
    return tg_plot_set_text(&ax->title, title, "tg_axes_set_title");
}

tg_status tg_axes_set_xlabel(tg_axes *ax, const char *label)
{
    NEED_AXES(ax, "tg_axes_set_xlabel");
    if (ax->parent) ax = ax->parent; /* a twin shares its x axis and title */
    return tg_plot_set_text(&ax->xlabel, label, "tg_axes_set_xlabel");
}

tg_status tg_axes_set_ylabel(tg_axes *ax, const char *label)
{
    NEED_AXES(ax, "tg_axes_set_ylabel");
    return tg_plot_set_text(&ax->ylabel, label, "tg_axes_set_ylabel");
}

static tg_status set_lim(double *lim, bool log, double lo, double hi, const char *fn)
{
    if (isnan(lo) && isnan(hi)) {
        lim[0] = lim[1] = NAN;
        return TG_OK;
    }
    if (!(isfinite(lo) && isfinite(hi) && lo < hi))
        return tg_fail(TG_ERR_ARG, "%s: range [%g, %g] is not finite with lo < hi", fn, lo,
                       hi);
    if (log && !(lo > 0.0))
        return tg_fail(TG_ERR_ARG, "%s: range [%g, %g] on a log axis must be > 0", fn, lo,
                       hi);
    lim[0] = lo;
    lim[1] = hi;
    return TG_OK;
}

tg_status tg_axes_set_xlim(tg_axes *ax, double lo, double hi)
{
    NEED_AXES(ax, "tg_axes_set_xlim");
    if (ax->parent) ax = ax->parent; /* a twin shares its x axis and title */
    return set_lim(ax->xlim, ax->xlog, lo, hi, "tg_axes_set_xlim");
}

tg_status tg_axes_set_ylim(tg_axes *ax, double lo, double hi)
{
    NEED_AXES(ax, "tg_axes_set_ylim");
    return set_lim(ax->ylim, ax->ylog, lo, hi, "tg_axes_set_ylim");
}

tg_status tg_axes_set_xlog(tg_axes *ax, bool log)
{
    NEED_AXES(ax, "tg_axes_set_xlog");
    if (ax->parent) ax = ax->parent; /* a twin shares its x axis and title */
    if (log && ax->xdate)
        return tg_fail(TG_ERR_ARG, "tg_axes_set_xlog: the x axis is a date axis");
    if (log && !isnan(ax->xlim[0]) && !(ax->xlim[0] > 0.0))
        return tg_fail(TG_ERR_ARG, "tg_axes_set_xlog: the fixed x range [%g, %g] is not > 0",
                       ax->xlim[0], ax->xlim[1]);
    ax->xlog = log;
    return TG_OK;
}

tg_status tg_axes_set_ylog(tg_axes *ax, bool log)
{
    NEED_AXES(ax, "tg_axes_set_ylog");
    if (log && !isnan(ax->ylim[0]) && !(ax->ylim[0] > 0.0))
        return tg_fail(TG_ERR_ARG, "tg_axes_set_ylog: the fixed y range [%g, %g] is not > 0",
                       ax->ylim[0], ax->ylim[1]);
    ax->ylog = log;
    return TG_OK;
}

tg_status tg_axes_xaxis_date(tg_axes *ax, tg_date_unit unit)
{
    NEED_AXES(ax, "tg_axes_xaxis_date");
    if (ax->parent) ax = ax->parent; /* a twin shares its x axis and title */
    if (unit != TG_DATE_DAYS && unit != TG_DATE_SECONDS)
        return tg_fail(TG_ERR_ARG, "tg_axes_xaxis_date: unit %d is neither TG_DATE_DAYS nor "
                       "TG_DATE_SECONDS", (int)unit);
    if (ax->xlog) return tg_fail(TG_ERR_ARG, "tg_axes_xaxis_date: the x axis is logarithmic");
    ax->xdate = unit;
    return TG_OK;
}

static tg_status set_ticks(tg_plot_ticks_spec *t, const double *at, const char *const *labels,
                           int n, const char *fn)
{
    if (n < 0 || n > TG_PLOT_MAX_TICKS || (n > 0 && !at))
        return tg_fail(TG_ERR_ARG, "%s: %d ticks (at most %d, positions not NULL)", fn, n,
                       TG_PLOT_MAX_TICKS);
    for (int i = 0; i < n; i++) {
        if (!isfinite(at[i])) return tg_fail(TG_ERR_ARG, "%s: tick %d is not finite", fn, i);
        char what[32];
        snprintf(what, sizeof what, "label %d", i);
        tg_status st = tg_plot_check_text(labels ? labels[i] : NULL, what, fn);
        if (st != TG_OK) return st;
    }
    ticks_free(t);
    if (n == 0) return TG_OK;
    t->n = n;
    t->at = tg_malloc((size_t)n * sizeof(double));
    memcpy(t->at, at, (size_t)n * sizeof(double));
    if (labels) {
        t->labels = tg_calloc((size_t)n * sizeof(char *));
        for (int i = 0; i < n; i++) t->labels[i] = tg_plot_strdup(labels[i]);
    }
    return TG_OK;
}

tg_status tg_axes_set_xticks(tg_axes *ax, const double *ticks, const char *const *labels,
                             int n)
{
    NEED_AXES(ax, "tg_axes_set_xticks");
    if (ax->parent) ax = ax->parent; /* a twin shares its x axis and title */
    return set_ticks(&ax->xticks, ticks, labels, n, "tg_axes_set_xticks");
}

tg_status tg_axes_set_yticks(tg_axes *ax, const double *ticks, const char *const *labels,
                             int n)
{
    NEED_AXES(ax, "tg_axes_set_yticks");
    return set_ticks(&ax->yticks, ticks, labels, n, "tg_axes_set_yticks");
}

tg_axes *tg_axes_twinx(tg_axes *ax)
{
    if (!ax) {
        tg_fail(TG_ERR_ARG, "tg_axes_twinx: axes is NULL");
        return NULL;
    }
    if (ax->parent) return ax; /* the twin of a twin is itself: one right-hand axis */
    if (!ax->twin) {
        ax->twin = axes_new(ax->fig, ax->row, ax->col);
        ax->twin->parent = ax;
    }
    return ax->twin;
}

tg_status tg_axes_legend(tg_axes *ax, const tg_legend_opts *opts)
{
    NEED_AXES(ax, "tg_axes_legend");
    tg_legend_opts o = opts ? *opts : (tg_legend_opts){0};
    if ((int)o.loc < 0 || o.loc > TG_LEGEND_NONE)
        return tg_fail(TG_ERR_ARG, "tg_axes_legend: loc %d is not a tg_legend_loc",
                       (int)o.loc);
    if (o.ncol < 0 || o.ncol > 16)
        return tg_fail(TG_ERR_ARG, "tg_axes_legend: ncol %d outside 0..16", o.ncol);
    if (ax->parent) ax = ax->parent; /* a twin's entries live in its parent's legend */
    ax->legend = o;
    return TG_OK;
}

/* ---- output --------------------------------------------------------------------------- */

tg_status tg_figure_render_rgb(const tg_figure *f, uint8_t *rgb)
{
    if (!f) return tg_fail(TG_ERR_ARG, "tg_figure_render_rgb: figure is NULL");
    if (!rgb) return tg_fail(TG_ERR_ARG, "tg_figure_render_rgb: buffer is NULL");
    memset(rgb, 255, (size_t)f->width * f->height * 3);
    tg_plot_renderer r;
    tg_plot_raster *ras = tg_plot_raster_begin(rgb, f->width, f->height, &r);
    tg_status st = tg_plot_draw_figure(f, &r);
    tg_plot_raster_end(ras);
    return st;
}

tg_status tg_figure_write_png(const tg_figure *f, const char *path)
{
    if (!f) return tg_fail(TG_ERR_ARG, "tg_figure_write_png: figure is NULL");
    if (!path || !*path)
        return tg_fail(TG_ERR_ARG, "tg_figure_write_png: path is NULL or empty");
    uint8_t *rgb = tg_malloc((size_t)f->width * f->height * 3);
    tg_status st = tg_figure_render_rgb(f, rgb);
    if (st == TG_OK)
        st = tg_plot_png_write(rgb, f->width, f->height, path, "tg_figure_write_png");
    tg_free(rgb);
    return st;
}

tg_status tg_figure_write_svg(const tg_figure *f, const char *path)
{
    if (!f) return tg_fail(TG_ERR_ARG, "tg_figure_write_svg: figure is NULL");
    if (!path || !*path)
        return tg_fail(TG_ERR_ARG, "tg_figure_write_svg: path is NULL or empty");
    tg_atomic_file af;
    tg_status st = tg_atomic_file_open(&af, path);
    if (st != TG_OK) { /* name this function too; the message is copied first */
        return tg_plot_fail_prefixed(st, "tg_figure_write_svg");
    }
    tg_plot_renderer r;
    tg_plot_svg *svg = tg_plot_svg_begin(&af, f->width, f->height, &r);
    st = tg_plot_draw_figure(f, &r);
    tg_plot_svg_end(svg);
    if (st != TG_OK) {
        tg_atomic_file_abort(&af);
        return st;
    }
    return tg_atomic_file_commit(&af);
}
