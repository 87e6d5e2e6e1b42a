/* plot/plot.h — figures of line, scatter, band, bar, histogram and error-bar charts,
 * written as PNG (stb_image_write) and SVG; the model and names follow matplotlib.
 *
 * A forecast over dates with its test period shaded, a prediction band and a residual
 * panel under it, as PNG and SVG:
 *
 *     tg_figure_opts fo = tg_figure_defaults();      // 6.4 x 4.8 in at 100 dpi, 1 x 1
 *     fo.width = 10, fo.height = 6, fo.nrows = 2, fo.sharex = true;
 *     fo.height_ratios[0] = 3, fo.height_ratios[1] = 1;
 *     tg_figure *fig = tg_figure_new(&fo);
 *     tg_axes *ax = tg_figure_axes(fig, 0, 0), *res = tg_figure_axes(fig, 1, 0);
 *     tg_axes_xaxis_date(ax, TG_DATE_DAYS);          // x in days since 1970-01-01
 *     tg_axes_axvspan(ax, t_split, t_end, &(tg_style){.label = "test period"});
 *     tg_axes_fill_between(ax, day, lo, hi, n, &(tg_style){.label = "90% interval"});
 *     tg_axes_plot(ax, day, truth, n, &(tg_style){.label = "true"});
 *     tg_axes_plot(ax, day, pred, n, &(tg_style){.label = "predicted",
 *                                                .linestyle = TG_LINE_DASHED});
 *     tg_axes_set_title(ax, "BTC close");
 *     tg_axes_set_ylabel(ax, "price (USD)");
 *     tg_axes_legend(ax, &(tg_legend_opts){.loc = TG_LEGEND_UPPER_LEFT});
 *     tg_axes_plot(res, day, residual, n, NULL);
 *     tg_axes_axhline(res, 0.0, &(tg_style){.color = TG_RGB(0x444444), .linewidth = 0.8f});
 *     if (tg_figure_write_png(fig, "forecast.png") != TG_OK ||
 *         tg_figure_write_svg(fig, "forecast.svg") != TG_OK)
 *         fprintf(stderr, "%s\n", tg_last_error());
 *     tg_figure_free(fig);                            // frees its axes too
 *
 * Units, as matplotlib: a figure is width x height inches at dpi pixels per inch; text
 * sizes, line widths and marker sizes are in points (1/72 in), so a figure written at
 * 200 dpi is the same picture at twice the pixels. Data are doubles (x may be days or
 * seconds since the Unix epoch on a date axis); tg_axes_plot_f takes floats.
 *
 * What a figure draws: a grid of axes whose frames line up across rows and columns (the
 * margins come from the labels that are really there, like matplotlib's constrained
 * layout); per axes "nice" ticks (1-2-5 x 10^k, decades on log axes, days/months/years
 * on date axes, or the program's own), a light grid, the title and axis labels, the marks
 * in the order added, and a legend. Text is DejaVu Sans through stb_truetype, antialiased,
 * UTF-8 (σ, μ, ±, — and the rest of the font); a title too wide for its axes shrinks and
 * then wraps. On a machine without DejaVu fonts text falls back to a built-in bitmap font
 * (ASCII only) and a warning says so once (tg_set_warning_handler); TG_PLOT_FONT=<file.ttf>
 * picks another font, TG_PLOT_FONT=bitmap forces the fallback.
 *
 * Missing values: a NaN or infinite coordinate breaks a line or band (the next finite
 * point starts a new piece), drops a marker or bar, and is ignored for the axis ranges;
 * so is a value <= 0 on a log axis.
 *
 * Errors. Bad arguments return a status with a message in tg_last_error(), never abort:
 * TG_ERR_ARG for a NULL figure, axes or path, sizes out of range, n <= 0, NULL data,
 * text that is not UTF-8, bad limits; TG_ERR_NUMERIC for marks with no finite point (not
 * added); TG_ERR_IO for the file system, naming the path and the reason. Files are
 * written to "<path>.tmp", flushed, synced and renamed over <path>: a failure leaves a
 * previous file intact and removes the temporary file. A figure is not thread-safe; two
 * figures may be drawn on two threads.
 *
 * What this module is not: matplotlib. No images, contours, 3-D, polar axes or
 * interactive windows, no multi-line labels, no path simplification: an SVG holds every
 * point, so a million-point line makes a file of tens of MB that some viewers (librsvg)
 * refuse; decimate such series first. Numbers in the SVG are printed with printf: a program that
 * switched LC_NUMERIC to a comma-decimal locale must switch it back before writing.
 * It depends on tensor/ only (tg_chart_add_tensor), never on autograd.
 */
#ifndef TG_PLOT_H
#define TG_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor/error.h"
#include "tensor/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_figure tg_figure;
typedef struct tg_axes tg_axes;

/* A colour as 0xRRGGBB, marked as set: TG_RGB(0x1f77b4). A colour of 0 means "the next
 * palette colour", so a zeroed style is all defaults. */
#define TG_RGB(hex) (0x1000000u | ((uint32_t)(hex) & 0xffffffu))

/* ---- figures -------------------------------------------------------------------------- */

#define TG_FIGURE_MAX_GRID 8     /* rows and columns of subplots */
#define TG_PLOT_MIN_SIZE 32      /* px, each side */
#define TG_PLOT_MAX_SIZE 10000

typedef struct tg_figure_opts {
    double width, height;  /* inches (matplotlib's figsize); defaults 6.4 x 4.8 */
    double dpi;            /* pixels per inch; default 100. The pixel size, width * dpi by
                            * height * dpi rounded, must be in [TG_PLOT_MIN_SIZE,
                            * TG_PLOT_MAX_SIZE] */
    int nrows, ncols;      /* subplot grid, 1..TG_FIGURE_MAX_GRID; default 1 x 1 */
    bool sharex;           /* every axes shows one x range, and one kind of x axis (a date
                            * unit or custom ticks set on any axes hold for all); only
                            * the bottom row labels x */
    double height_ratios[TG_FIGURE_MAX_GRID]; /* relative row heights; all 0: equal */
    double width_ratios[TG_FIGURE_MAX_GRID];  /* relative column widths; all 0: equal */
    double font_size;      /* points, tick labels, axis labels and legend; default 10 */
} tg_figure_opts;

/* matplotlib's defaults: 6.4 x 4.8 in, 100 dpi, one axes, 10 pt text. */
tg_figure_opts tg_figure_defaults(void);
/* A new figure; opts NULL means the defaults. NULL with TG_ERR_ARG in tg_last_error() for
 * options out of range (the message names the field). */
tg_figure *tg_figure_new(const tg_figure_opts *opts);
void tg_figure_free(tg_figure *f); /* frees its axes; NULL is fine */
/* The axes in row `row`, column `col` of the grid (0-based), owned by the figure; NULL
 * with TG_ERR_ARG outside the grid. */
tg_axes *tg_figure_axes(tg_figure *f, int row, int col);
/* A title over the whole grid (matplotlib's suptitle); NULL or "" removes it. */
tg_status tg_figure_suptitle(tg_figure *f, const char *title);
/* Changes the resolution only: the same picture at more or fewer pixels. */
tg_status tg_figure_set_dpi(tg_figure *f, double dpi);
/* The pixel size the figure renders at. */
void tg_figure_size_px(const tg_figure *f, int *width, int *height);

/* Draws the figure into rgb (width * height * 3 bytes from tg_figure_size_px, row-major,
 * no padding). Every figure draws: an axes without marks (or with no point a log axis
 * can show) gets the range 0..1 (1..10 on a log axis) and its frame. */
tg_status tg_figure_render_rgb(const tg_figure *f, uint8_t *rgb);
/* Writes the figure atomically (see Errors above). The SVG asks for the same font
 * (font-family "DejaVu Sans") at the same pixel sizes, so it lays out like the PNG. */
tg_status tg_figure_write_png(const tg_figure *f, const char *path);
tg_status tg_figure_write_svg(const tg_figure *f, const char *path);

/* ---- styles ---------------------------------------------------------------------------- */

typedef enum {
    TG_LINE_SOLID = 0, /* '-' */
    TG_LINE_DASHED,    /* '--' */
    TG_LINE_DOTTED,    /* ':' */
    TG_LINE_DASHDOT,   /* '-.' */
    TG_LINE_NONE,      /* no line: markers only */
} tg_linestyle;

typedef enum {
    TG_MARKER_NONE = 0,
    TG_MARKER_CIRCLE,   /* 'o' */
    TG_MARKER_SQUARE,   /* 's' */
    TG_MARKER_TRIANGLE, /* '^' */
    TG_MARKER_DIAMOND,  /* 'D' */
    TG_MARKER_PLUS,     /* '+' */
    TG_MARKER_X,        /* 'x' */
    TG_MARKER_COUNT
} tg_marker;

/* How a mark looks; zero fields take the defaults (matplotlib's rcParams), so
 * `&(tg_style){.label = "train"}` or NULL are complete styles. */
typedef struct tg_style {
    const char *label;     /* legend entry (copied); NULL or "": not in the legend */
    uint32_t color;        /* TG_RGB(...); 0: the axes' next palette colour */
    float alpha;           /* opacity in (0, 1]; 0: 1 for lines, markers, bars and error
                            * bars, 0.25 for fill_between and spans */
    float linewidth;       /* points; 0: 1.5 (bars: no edge) */
    tg_linestyle linestyle;
    tg_marker marker;      /* plot: none by default; scatter: circle */
    float markersize;      /* points across; 0: 6 (scatter: 5) */
} tg_style;

/* ---- marks ----------------------------------------------------------------------------- *
 * Every function copies its data; x == NULL means x[i] = i. The mark takes the next palette
 * colour of its axes unless style->color is set (fill_between, bars and histograms too;
 * reference lines and spans default to grey-black and grey). n >= 1. */

/* A line through (x[i], y[i]) in order (x need not be sorted), with optional markers. */
tg_status tg_axes_plot(tg_axes *ax, const double *x, const double *y, int n,
                       const tg_style *style);
tg_status tg_axes_plot_f(tg_axes *ax, const float *x, const float *y, int n,
                         const tg_style *style);
/* Markers only at (x[i], y[i]) (matplotlib's scatter with one size and colour). */
tg_status tg_axes_scatter(tg_axes *ax, const double *x, const double *y, int n,
                          const tg_style *style);
/* The band between y1[i] and y2[i] over x[i] (matplotlib's fill_between), x sorted. */
tg_status tg_axes_fill_between(tg_axes *ax, const double *x, const double *y1,
                               const double *y2, int n, const tg_style *style);
/* Bars of height[i] centred on x[i], `width` data units wide (0: 0.8 x the smallest gap
 * between neighbouring x, or 0.8), from y = 0 (matplotlib's bar). */
tg_status tg_axes_bar(tg_axes *ax, const double *x, const double *height, int n,
                      double width, const tg_style *style);
/* A histogram of the n values in `bins` equal bins over [lo, hi] (lo == hi == 0: the
 * finite values' range), drawn as touching bars (matplotlib's hist; the counting is
 * tg_plot_histogram's). */
tg_status tg_axes_hist(tg_axes *ax, const double *values, int n, int bins, double lo,
                       double hi, const tg_style *style);
/* Points with vertical error bars y[i] - yerr[i] .. y[i] + yerr[i] and caps (matplotlib's
 * errorbar; yerr[i] >= 0 or NaN for none). Markers by style->marker (default circle). */
tg_status tg_axes_errorbar(tg_axes *ax, const double *x, const double *y,
                           const double *yerr, int n, const tg_style *style);
/* Reference lines across the axes at y (axhline) or x (axvline); spans shade the strip
 * between two values (axhspan, axvspan) over the whole other axis. */
tg_status tg_axes_axhline(tg_axes *ax, double y, const tg_style *style);
tg_status tg_axes_axvline(tg_axes *ax, double x, const tg_style *style);
tg_status tg_axes_axhspan(tg_axes *ax, double y0, double y1, const tg_style *style);
tg_status tg_axes_axvspan(tg_axes *ax, double x0, double x1, const tg_style *style);

typedef enum { TG_ALIGN_LEFT = 0, TG_ALIGN_CENTER, TG_ALIGN_RIGHT } tg_align;
typedef struct tg_text_style {
    uint32_t color;   /* TG_RGB(...); 0: the text colour */
    float size;       /* points; 0: the figure's font size */
    tg_align ha;      /* horizontal alignment at (x, y) */
    bool bold;
} tg_text_style;
/* Text with its baseline's left end (or centre, right end) at data point (x, y)
 * (matplotlib's Axes.text). style may be NULL. */
tg_status tg_axes_text(tg_axes *ax, double x, double y, const char *text,
                       const tg_text_style *style);

/* ---- axes ------------------------------------------------------------------------------ */

tg_status tg_axes_set_title(tg_axes *ax, const char *title);
tg_status tg_axes_set_xlabel(tg_axes *ax, const char *label);
tg_status tg_axes_set_ylabel(tg_axes *ax, const char *label);
/* Fixed ranges (lo < hi, finite; positive on a log axis); NAN, NAN returns to automatic.
 * With only x fixed, y fits the marks inside it. */
tg_status tg_axes_set_xlim(tg_axes *ax, double lo, double hi);
tg_status tg_axes_set_ylim(tg_axes *ax, double lo, double hi);
/* Log scale (base 10, decade ticks with minor ticks) or linear. */
tg_status tg_axes_set_xlog(tg_axes *ax, bool log);
tg_status tg_axes_set_ylog(tg_axes *ax, bool log);

typedef enum { TG_DATE_DAYS = 1, TG_DATE_SECONDS } tg_date_unit;
/* x values are dates: days or seconds since 1970-01-01 00:00 UTC (matplotlib's
 * xaxis_date). Ticks fall on whole years, months, days, hours or minutes as
 * AutoDateLocator places them; labels are concise ("2021", "Mar", "Mar 15", "06:00"; the
 * first tick also names its year). */
tg_status tg_axes_xaxis_date(tg_axes *ax, tg_date_unit unit);
/* Own tick positions and labels (labels NULL: formatted numbers); n == 0 returns to
 * automatic ticks. Copied. Ticks outside the range are not drawn. */
tg_status tg_axes_set_xticks(tg_axes *ax, const double *ticks, const char *const *labels,
                             int n);
tg_status tg_axes_set_yticks(tg_axes *ax, const double *ticks, const char *const *labels,
                             int n);
/* A second y axis on the right sharing this axes' x (matplotlib's twinx); owned by the
 * figure; its marks continue this axes' palette. One twin per axes: a second call, or a
 * call on the twin, returns the same twin. The x axis, the title and the legend are the
 * parent's: tg_axes_set_xlim / set_xlog / set_xticks / xaxis_date / set_xlabel /
 * set_title / legend on the twin act on its parent. */
tg_axes *tg_axes_twinx(tg_axes *ax);

typedef enum {
    TG_LEGEND_BEST = 0,      /* the inside corner that hides the fewest data */
    TG_LEGEND_UPPER_RIGHT,
    TG_LEGEND_UPPER_LEFT,
    TG_LEGEND_LOWER_LEFT,
    TG_LEGEND_LOWER_RIGHT,
    TG_LEGEND_OUTSIDE_RIGHT, /* beside the axes, top aligned; the axes shrink */
    TG_LEGEND_BELOW,         /* under the axes (and their x label), centred */
    TG_LEGEND_NONE,          /* no legend even with labelled marks */
} tg_legend_loc;
typedef struct tg_legend_opts {
    tg_legend_loc loc;
    int ncol;                /* columns, filled row by row; 0: 1 */
} tg_legend_opts;
/* Where the legend goes (by default TG_LEGEND_BEST, one column). A twin's labelled marks
 * join the legend of the axes it came from. */
tg_status tg_axes_legend(tg_axes *ax, const tg_legend_opts *opts);

/* ---- colours and helpers --------------------------------------------------------------- */

/* Palette colour i (0xRRGGBB, without the TG_RGB mark): twenty colours, ten strong ones
 * first and then their lighter companions (the layout of matplotlib's tab20, our own
 * values), cycling after twenty. */
uint32_t tg_plot_palette(int i);

/* numpy.histogram's counting: bins equal bins over [lo, hi] (lo < hi, finite); value v
 * falls in bin floor((v - lo) / (hi - lo) * bins), the last bin including hi; values
 * outside [lo, hi] and non-finite values are not counted. counts has `bins` entries,
 * edges bins + 1 (may be NULL). Returns the number counted, -1 for bad arguments. */
long tg_plot_histogram(const double *values, int n, int bins, double lo, double hi,
                       long *counts, double *edges);

/* ---- the one-axes shorthand ------------------------------------------------------------
 * A tg_chart is a figure of one axes sized in pixels at 100 dpi with float data; what it
 * draws and the errors it returns are the figure's, plus two of its own when writing:
 * TG_ERR_ARG for a chart without series and TG_ERR_NUMERIC for a log-y chart without a
 * positive point (the charts of earlier versions refused both). */
typedef struct tg_chart tg_chart;

typedef struct tg_series_style {
    uint32_t color; /* TG_RGB(...), or 0: the palette */
    float width;    /* line width in pixels; 0: the default (1.5 pt) */
    bool dashed;
} tg_series_style;

/* A chart of width x height pixels (each in [TG_PLOT_MIN_SIZE, TG_PLOT_MAX_SIZE]); NULL
 * with TG_ERR_ARG in tg_last_error() otherwise. */
tg_chart *tg_chart_new(int width, int height);
void tg_chart_free(tg_chart *c); /* NULL is fine */
/* The chart's figure and axes, for everything the shorthand does not cover. */
tg_figure *tg_chart_figure(tg_chart *c);
tg_axes *tg_chart_axes(tg_chart *c);
tg_status tg_chart_set_title(tg_chart *c, const char *title);
tg_status tg_chart_set_xlabel(tg_chart *c, const char *label);
tg_status tg_chart_set_ylabel(tg_chart *c, const char *label);
tg_status tg_chart_set_log_y(tg_chart *c, bool log_y);
tg_status tg_chart_set_xlim(tg_chart *c, double lo, double hi);
tg_status tg_chart_set_ylim(tg_chart *c, double lo, double hi);
tg_status tg_chart_add_series(tg_chart *c, const char *name, const float *x, const float *y,
                              int n);
tg_status tg_chart_add_series_style(tg_chart *c, const char *name, const float *x,
                                    const float *y, int n, tg_series_style style);
/* The same from tensors of any shape (flattened); x may be NULL, else of y's size. */
tg_status tg_chart_add_tensor(tg_chart *c, const char *name, const tg_tensor *x,
                              const tg_tensor *y);
tg_status tg_chart_render_rgb(const tg_chart *c, uint8_t *rgb);
tg_status tg_chart_write_png(const tg_chart *c, const char *path);
tg_status tg_chart_write_svg(const tg_chart *c, const char *path);

/* ---- ticks: what the axes use, exposed for tests and for programs with own drawing ---- */

#define TG_PLOT_LABEL_CAP 24

/* Nice ticks of a linear axis over [lo, hi]: the multiples of step = {1, 2, 5} x 10^k in
 * [lo, hi] for the smallest such step that gives at most max_ticks (>= 2) of them. Writes
 * at most cap values to out and returns their number (0 for a bad range); *step (may be
 * NULL) receives the step. Example: 0..1, 6 -> 0, 0.2, 0.4, 0.6, 0.8, 1. */
int tg_plot_nice_ticks(double lo, double hi, int max_ticks, double *out, int cap,
                       double *step);
/* Ticks of a log axis over [lo, hi] (0 < lo < hi, data units): the decades 10^k inside when
 * there are at least two (every 2nd, 3rd, ... when more than max_ticks), else 1, 2, 5 x 10^k
 * when that gives at least two, else linear nice ticks. *step (may be NULL) receives 0 for
 * decade or 1-2-5 ticks, the linear step otherwise. Example: 1e-4..1 -> 1e-4, ..., 1. */
int tg_plot_log_ticks(double lo, double hi, int max_ticks, double *out, int cap,
                      double *step);
/* Labels for n ticks of one axis, each showing its tick exactly (up to six significant
 * digits). step > 0: a linear axis with that step; all labels share the step's decimals
 * (0.2 -> "0.0", "0.2") or more when a tick needs them (0, 0.25 -> "0.00", "0.25");
 * thousands as 25k, millions as 1.5M (a zero then as "0"); tiny values as 2e-5.
 * step == 0: a log axis, each label with the decimals its tick needs ("0.01", "2.5";
 * "1k", "2.5k", "2M" when every tick is in 1..1e13 and one leaves 1..1e3; else "1e-4",
 * "2.5e-5", "1e0" style for all when a tick leaves 1e-3..1e3). The style comes from all
 * n ticks together, so a lone tick reads as an axis of only that tick: 1 alone is "1",
 * beside 1e-5 "1e0". NaN or infinite ticks, ticks <= 0 on a log axis, and every tick of
 * any other step (negative, infinite, NaN) read as printf's %g ("nan", "-1"). */
void tg_plot_tick_labels(const double *ticks, int n, double step,
                         char (*labels)[TG_PLOT_LABEL_CAP]);
/* Ticks of a date axis over [lo, hi] (in `unit`s since the epoch), as matplotlib's
 * AutoDateLocator places them: the finest of yearly (every 1, 2, 4, 5, 10, 20, 40, 50,
 * 100, ... years, on January 1), monthly (every 1, 2, 3, 4, 6 months, on the 1st), daily (every
 * 1, 2, 3, 7, 14 days, on days 1, 1 + k, ... of each month), hourly (1, 2, 3, 4, 6, 12),
 * minutely and secondly (1, 5, 10, 15, 30) steps that gives at most max_ticks (>= 2)
 * ticks. Labels (may be NULL) are concise like matplotlib's ConciseDateFormatter: years
 * "2021"; months "Mar", January as its year "2021"; days "Mar 15"; hours and minutes
 * "06:30", midnight as its day "Mar 15"; seconds "06:30:15". The first tick of a month or
 * day axis names its year too ("May 2020", "Mar 11, 2021") unless it is a January. The
 * ticks at the ends count when within about 1e-9 of the span. Returns the number of ticks
 * written (at most cap), 0 for a bad range. */
int tg_plot_date_ticks(double lo, double hi, tg_date_unit unit, int max_ticks, double *out,
                       int cap, char (*labels)[TG_PLOT_LABEL_CAP]);

/* Days since 1970-01-01 (UTC, proleptic Gregorian) of a calendar date; month 1..12, day
 * 1..31 (out-of-range days roll over: March 0 is the last day of February; months roll
 * into the years: month 13 is January of the next year). Defined and exact for every int
 * year, month and day, never NaN or clamped: years beyond INT_MIN / INT_MAX reached by
 * rolling are counted like any other (|result| < 1e12 days). */
double tg_plot_date(int year, int month, int day);
/* Parses an ISO 8601 date "YYYY-MM-DD", optionally followed by 'T' or ' ' and "HH:MM"
 * or "HH:MM:SS" (a trailing 'Z' is accepted; no other zones), into days since the epoch
 * (fractional with a time). TG_ERR_FORMAT with a message naming the text otherwise
 * (also for impossible dates such as 2021-02-30). */
tg_status tg_plot_parse_date(const char *text, double *days);

#ifdef __cplusplus
}
#endif
#endif /* TG_PLOT_H */
