/* plot/internal.h — what the files of plot/ share and users do not see: the chart's
 * storage, the computed layout (every pixel position the two renderers need), the bitmap
 * font's metrics and the atomic file writer.
 *
 * The split: chart.c turns a chart into a tg_plot_layout (ranges, ticks, margins, legend);
 * raster.c and svg.c only draw a layout, so the PNG and the SVG of one chart agree.
 * Coordinates are in pixels, y down; pixel (i, j) covers [i, i+1) x [j, j+1).
 *
 * This header is not installed and is not an API: it may change with the module.
 */
#ifndef TG_PLOT_INTERNAL_H
#define TG_PLOT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "plot/plot.h"
#include "plot/render.h"
#include "tensor/file.h" /* atomic chart files */

/* ---- the chart -------------------------------------------------------------------------- */

typedef struct tg_plot_series {
    char *name;     /* "" when the series stays out of the legend */
    float *x;       /* n values, or NULL for 0, 1, ..., n-1 */
    float *y;       /* n values */
    int n;
    uint32_t color; /* 0xRRGGBB, resolved (palette or user) */
    float width;    /* line width in px; 0: the default for the chart's size */
    bool dashed;
} tg_plot_series;

struct tg_chart {
    int width, height;
    char *title, *xlabel, *ylabel; /* NULL when unset */
    bool log_y;
    double xlim[2], ylim[2];       /* NAN, NAN: automatic */
    tg_plot_series *series;
    int nseries, cap, nauto;       /* nauto: series coloured from the palette so far */
};

/* ---- the layout ------------------------------------------------------------------------- */

#define TG_PLOT_MAX_TICKS 24
#define TG_PLOT_MAX_MINOR 96
#define TG_PLOT_MAX_TEXTS (2 * TG_PLOT_MAX_TICKS + 8)
#define TG_PLOT_MAX_RULES (2 * TG_PLOT_MAX_TICKS + 2 * TG_PLOT_MAX_MINOR + 8)

/* Text colours and line greys, shared so the PNG and the SVG look alike. */
#define TG_PLOT_INK 0x262626u    /* titles, labels, tick labels */
#define TG_PLOT_FRAME 0x4d4d4du  /* the axes box and tick marks */
#define TG_PLOT_GRID 0xe3e3e3u   /* light grid on major ticks */
#define TG_PLOT_LEGEND_EDGE 0xc8c8c8u

typedef enum { TG_ANCHOR_LEFT, TG_ANCHOR_CENTER, TG_ANCHOR_RIGHT } tg_plot_anchor;

/* One line of text. Horizontal: (x, y) is the anchor point on the top of the capitals
 * (left end, centre or right end by `anchor`). Vertical text reads bottom to top (rotated
 * 90 degrees counter-clockwise): x is the left edge of its capitals, y the middle of the
 * run. */
typedef struct tg_plot_text {
    const char *text;
    int x, y;
    int scale;             /* integer factor of the bitmap font */
    tg_plot_anchor anchor;
    bool vertical;
    bool bold;
} tg_plot_text;

/* A 1-px wide horizontal or vertical run of pixels from (x0, y0) to (x1, y1) inclusive. */
typedef struct tg_plot_rule {
    int x0, y0, x1, y1;
    uint32_t color;
} tg_plot_rule;

typedef struct tg_plot_axis {
    double lo, hi;     /* the visible range, log10 of data units on a log axis */
    bool log;
    int nticks;
    double ticks[TG_PLOT_MAX_TICKS]; /* data units */
    char labels[TG_PLOT_MAX_TICKS][TG_PLOT_LABEL_CAP];
    int nminor;
    double minor[TG_PLOT_MAX_MINOR];  /* unlabelled ticks (log axes), data units */
} tg_plot_axis;

/* v rounded toward zero and clamped to [lo, hi] (pixel bounds from doubles). */
static inline int tg_plot_clampi(double v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : (int)v;
}

typedef struct tg_plot_layout {
    int scale;                 /* text scale of labels; the title uses scale + 1 */
    int px0, py0, px1, py1;    /* the axes box: frame pixels, inclusive */
    tg_plot_axis x, y;
    tg_plot_rule grid[2 * TG_PLOT_MAX_TICKS]; /* drawn under the series */
    int ngrid;
    tg_plot_rule rules[TG_PLOT_MAX_RULES];    /* frame and tick marks, over the series */
    int nrules;
    tg_plot_text texts[TG_PLOT_MAX_TEXTS];    /* title, axis labels, tick labels */
    int ntexts;
    float line_width;          /* default series width */
    /* Legend: a box (lx0, ly0)-(lx1, ly1) inclusive; entry i has a sample line from
     * (sample_x0, row_y[i]) to (sample_x1, row_y[i]) and its name in texts_legend[i];
     * no legend when nlegend is 0. */
    int lx0, ly0, lx1, ly1;
    int sample_x0, sample_x1;
    int nlegend;
    int *legend_series;        /* index into chart->series, nlegend entries */
    float *row_y;
    tg_plot_text *legend_texts;
} tg_plot_layout;

/* Computes the layout of `c`; TG_ERR_ARG / TG_ERR_NUMERIC (with tg_last_error) when the
 * chart has nothing drawable. Free with tg_plot_layout_free. */
tg_status tg_plot_layout_make(const tg_chart *c, tg_plot_layout *L);
void tg_plot_layout_free(tg_plot_layout *L);

/* Data -> pixel coordinates (continuous, pixel centres at +0.5). NaN for points that a
 * log axis cannot show (y <= 0). */
double tg_plot_map_x(const tg_plot_layout *L, double x);
double tg_plot_map_y(const tg_plot_layout *L, double y);
/* Value i of series s as a pixel point; false when the point is missing (NaN/Inf, or
 * y <= 0 on a log axis), which breaks the line. */
bool tg_plot_point(const tg_plot_layout *L, const tg_plot_series *s, int i, double *px,
                   double *py);
float tg_plot_series_width(const tg_plot_layout *L, const tg_plot_series *s);
/* Dash pattern of a dashed line of width w: `on` px drawn, `off` px skipped. */
void tg_plot_dash(float w, float *on, float *off);

#endif /* TG_PLOT_INTERNAL_H */
