/* plot/plot.h — line charts written as PNG (through stb_image_write) and as SVG.
 *
 * Predictions against truth, with a title and axis labels, as PNG and SVG:
 *
 *     float truth[300], pred[300];             // filled by the program
 *     tg_chart *c = tg_chart_new(1200, 500);   // size in pixels
 *     tg_chart_set_title(c, "BTC close, test set");
 *     tg_chart_set_xlabel(c, "day");
 *     tg_chart_set_ylabel(c, "price (USD)");
 *     tg_chart_add_series(c, "true", NULL, truth, 300);      // x = NULL: 0, 1, ..., n-1
 *     tg_chart_add_series(c, "predicted", NULL, pred, 300);  // next palette colour
 *     if (tg_chart_write_png(c, "pred.png") != TG_OK ||
 *         tg_chart_write_svg(c, "pred.svg") != TG_OK)
 *         fprintf(stderr, "%s\n", tg_last_error());
 *     tg_chart_free(c);
 *
 * A loss curve on a log scale, the validation line dashed and red:
 *
 *     tg_chart *c = tg_chart_new(900, 500);
 *     tg_chart_set_log_y(c, true);
 *     tg_chart_add_series(c, "train", epochs, train_loss, n);
 *     tg_chart_add_series_style(c, "val", epochs, val_loss, n,
 *                               (tg_series_style){.color = TG_RGB(0xd62728), .dashed = true});
 *
 * What a chart draws: each series as an anti-aliased polyline in the order given (x need
 * not be sorted), distinct colours from a ten-colour palette, a legend of the named series
 * in the corner of the axes that hides the fewest data points, "nice" ticks (1-2-5 x 10^k
 * steps; decades on a log axis) with compact labels (0.001, 25k, 1e-4), a light grid, the
 * axes box, a title and axis labels. Text comes from a built-in 5x7 bitmap font scaled by
 * an integer factor that grows with the chart (the title one step larger), so it stays
 * readable from 400x300 to 2400x1200. The SVG has the same layout with real text.
 *
 * Missing values: a NaN or infinite x or y breaks the line (the next finite point starts
 * a new piece) and is ignored for the axis ranges. On a log-y chart, points with y <= 0
 * are treated the same way (skipped, breaking the line); writing fails with
 * TG_ERR_NUMERIC only when no series has a single positive, finite point.
 *
 * Errors. Bad arguments return a status with a message in tg_last_error(), never abort:
 * TG_ERR_ARG for a NULL chart or path, a size outside [TG_PLOT_MIN_SIZE, TG_PLOT_MAX_SIZE]
 * (tg_chart_new then returns NULL), n <= 0, NULL y, a chart without series, bad limits;
 * TG_ERR_NUMERIC for a series with no finite point (it is not added); TG_ERR_IO for the
 * file system, naming the path and the reason. Files are written to "<path>.tmp",
 * flushed, synced and renamed over <path>: a failure or a crash mid-save leaves a previous
 * file at <path> intact, and a failed write removes its temporary file.
 *
 * What this module is not: a general plotting library. No scatter or bar charts, no
 * subplots, no second y axis, no Unicode text (non-ASCII characters show as '?' in the
 * PNG; the SVG keeps them). Numbers in the SVG are printed with printf: a program that
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

typedef struct tg_chart tg_chart;

#define TG_PLOT_MIN_SIZE 32
#define TG_PLOT_MAX_SIZE 10000

/* A colour as 0xRRGGBB, marked as set: TG_RGB(0x1f77b4). A colour of 0 means "the next
 * palette colour", so a zeroed tg_series_style is all defaults. */
#define TG_RGB(hex) (0x1000000u | ((uint32_t)(hex) & 0xffffffu))

typedef struct tg_series_style {
    uint32_t color; /* TG_RGB(...), or 0: the palette */
    float width;    /* line width in pixels; 0: the default (about 2 px, more on big charts) */
    bool dashed;
} tg_series_style;

/* A chart of width x height pixels (each in [TG_PLOT_MIN_SIZE, TG_PLOT_MAX_SIZE]); NULL
 * with TG_ERR_ARG in tg_last_error() otherwise. */
tg_chart *tg_chart_new(int width, int height);
void tg_chart_free(tg_chart *c); /* NULL is fine */

/* Text is copied; NULL or "" removes it. TG_ERR_ARG for a NULL chart, or text that is not
 * valid UTF-8 or holds a control character other than tab (an SVG could not hold it); the
 * chart then keeps its old text. Series names are checked the same way. */
tg_status tg_chart_set_title(tg_chart *c, const char *title);
tg_status tg_chart_set_xlabel(tg_chart *c, const char *label);
tg_status tg_chart_set_ylabel(tg_chart *c, const char *label);
/* Log-scale y (base 10, decade ticks): the usual view of a loss curve. */
tg_status tg_chart_set_log_y(tg_chart *c, bool log_y);
/* Fixed axis ranges instead of the data's (lo < hi, finite; positive for a log y axis);
 * lines leaving the range are clipped. With only x fixed, y fits the points inside it.
 * NAN, NAN returns to automatic. */
tg_status tg_chart_set_xlim(tg_chart *c, double lo, double hi);
tg_status tg_chart_set_ylim(tg_chart *c, double lo, double hi);

/* Adds a series of n points (x[i], y[i]); x == NULL means x[i] = i. The values are copied.
 * name (may be NULL or "") is its legend entry. The palette gives the colour. */
tg_status tg_chart_add_series(tg_chart *c, const char *name, const float *x, const float *y,
                              int n);
tg_status tg_chart_add_series_style(tg_chart *c, const char *name, const float *x,
                                    const float *y, int n, tg_series_style style);
/* The same from tensors of any shape (flattened); x may be NULL, else of y's size. */
tg_status tg_chart_add_tensor(tg_chart *c, const char *name, const tg_tensor *x,
                              const tg_tensor *y);

/* Draws the chart into rgb (width * height * 3 bytes, row-major, no padding). */
tg_status tg_chart_render_rgb(const tg_chart *c, uint8_t *rgb);
/* Writes the chart atomically (see Errors above). */
tg_status tg_chart_write_png(const tg_chart *c, const char *path);
tg_status tg_chart_write_svg(const tg_chart *c, const char *path);

/* The palette colour i (0xRRGGBB, without the TG_RGB mark), cycling after ten. */
uint32_t tg_plot_palette(int i);

/* ---- ticks: what the axes use, exposed for tests and for programs with own drawing ---- */

#define TG_PLOT_LABEL_CAP 16

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
/* Labels for n ticks of one axis. step > 0: a linear axis with that step (decimals from
 * the step: 0.2 -> "0.2"; thousands as 25k, millions as 1.5M; tiny values as 2e-5);
 * step == 0: a log axis ("0.01", or "1e-4" style for all when a tick leaves 1e-3..1e3). */
void tg_plot_tick_labels(const double *ticks, int n, double step,
                         char (*labels)[TG_PLOT_LABEL_CAP]);

#ifdef __cplusplus
}
#endif
#endif /* TG_PLOT_H */
