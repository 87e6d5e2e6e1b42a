/* plot/figure.h — the figure model that plot/ shares and users do not see: figures,
 * axes, marks and the table of mark types, and the layout that draw.c computes.
 *
 * A mark (a line, a band, bars, a span...) is data plus a pointer to its type: a table of
 * what every kind of mark must do (extend the axis ranges, draw itself, draw its legend
 * swatch), like the op and cell tables of the rest of the library. A new kind of mark is
 * a new table; nothing switches on a kind.
 *
 * This header is not installed and is not an API: it may change with the module.
 */
#ifndef TG_PLOT_FIGURE_H
#define TG_PLOT_FIGURE_H

#include <stdbool.h>
#include <stdint.h>

#include "plot/plot.h"
#include "plot/render.h"

/* Colours of the furniture, shared by every figure. */
#define TG_PLOT_INK 0x262626u        /* titles, labels, tick labels */
#define TG_PLOT_FRAME 0x4d4d4du      /* the axes box and tick marks */
#define TG_PLOT_GRID 0xe3e3e3u       /* light grid on major ticks */
#define TG_PLOT_LEGEND_EDGE 0xcccccc /* legend frame */
#define TG_PLOT_REFLINE 0x3a3a3au    /* axhline / axvline default */
#define TG_PLOT_SPAN 0x9a9a9au       /* axhspan / axvspan default */

#define TG_PLOT_MAX_TICKS 32
#define TG_PLOT_MAX_MINOR 128

/* ---- the view: data -> pixels of one axes -------------------------------------------- */

typedef struct tg_plot_view {
    double x0, y0, x1, y1;   /* the axes box in px: left, top, right, bottom edges */
    double xlo, xhi;         /* visible x range; log10 of data on a log axis */
    double ylo, yhi;
    bool xlog, ylog;
    double pt;               /* px per point: dpi / 72 */
    double font;             /* the figure's font size in px */
    tg_plot_gc clip;         /* clip rectangle of the axes interior, other fields zero */
} tg_plot_view;

/* Data -> px; NaN when the value cannot be shown (non-finite, <= 0 on a log axis). */
double tg_plot_view_x(const tg_plot_view *v, double x);
double tg_plot_view_y(const tg_plot_view *v, double y);

/* ---- marks ---------------------------------------------------------------------------- */

typedef struct tg_plot_mark tg_plot_mark;

/* What a data range accumulates: finite data extents (transformed units are not used
 * here: data units, log axes skip values <= 0). has_* false until a value arrives. */
typedef struct tg_plot_extent {
    bool xlog, ylog;               /* in: which values count */
    double xmin, xmax, ymin, ymax;
    bool has_x, has_y;
    bool y_sticky_zero;            /* bars: the y range stops at 0 without padding */
    /* in: restrict y to marks' points whose x lies in [xlim0, xlim1] (NaN: no limit) */
    double xlim0, xlim1;
} tg_plot_extent;

void tg_plot_extent_x(tg_plot_extent *e, double x);
void tg_plot_extent_y(tg_plot_extent *e, double y);
/* Adds the point to both ranges when x is inside the x limit (or there is none). */
void tg_plot_extent_xy(tg_plot_extent *e, double x, double y);
/* The ranges of every mark of ax (not its twin), x as on a log axis when xlog; y only of
 * the points with x in [xlim0, xlim1] (NaN: all). layout.c. */
tg_plot_extent tg_plot_axes_extent(const tg_axes *ax, bool xlog, double xlim0, double xlim1);

typedef struct tg_plot_mark_type {
    const char *name;                    /* "line", "fill_between", ... */
    int zorder;                          /* matplotlib's: patches 1, lines 2, text 3 */
    /* The second data array (m->z) the mark takes: none, a second y that each point needs
     * finite too (fill_between's y2), or a spread around y that does not count for which
     * points are finite (errorbar's errors). */
    enum { TG_PLOT_Z_NONE, TG_PLOT_Z_BOUND, TG_PLOT_Z_SPREAD } second;
    /* Adds the mark's data to the axis ranges. */
    void (*extent)(const tg_plot_mark *m, tg_plot_extent *e);
    /* Draws the mark into the axes view. */
    void (*draw)(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r);
    /* Draws the legend swatch in the box [x0, x1] x [y0, y1] px (NULL: a line). */
    void (*swatch)(const tg_plot_mark *m, const tg_plot_view *v, const tg_plot_renderer *r,
                   double x0, double y0, double x1, double y1);
    /* Pixel points the mark covers, for the legend's "best" corner: calls hit(ctx, px, py)
     * for points along the mark (NULL: none). */
    void (*points)(const tg_plot_mark *m, const tg_plot_view *v,
                   void (*hit)(void *ctx, double px, double py), void *ctx);
} tg_plot_mark_type;

struct tg_plot_mark {
    const tg_plot_mark_type *type;
    char *label;             /* "" when not in the legend */
    uint32_t color;          /* resolved 0xRRGGBB */
    float alpha;             /* resolved, (0, 1] */
    float linewidth;         /* points, resolved (0 allowed for bars: no edge) */
    tg_linestyle linestyle;
    tg_marker marker;
    float markersize;        /* points, resolved */
    int n;
    double *x, *y, *z;       /* n values each (z: y2 of a band, yerr, bar heights); x may
                              * be NULL (x[i] = i); y and z by mark */
    double a, b;             /* scalars: bar width, span or line positions */
    char *text;              /* text marks */
    float size;              /* text size in points */
    tg_align ha;
    bool bold;
};

/* Dash pattern in px for a style at a line width (px) and px per point. */
int tg_plot_dashes(tg_linestyle ls, double lw_px, double pt, float *out);
/* The gc of a mark: its colour, alpha, width in px and dashes, clipped to the view. */
tg_plot_gc tg_plot_mark_gc(const tg_plot_mark *m, const tg_plot_view *v);

extern const tg_plot_mark_type tg_plot_mark_line, tg_plot_mark_fill_between, tg_plot_mark_bar, tg_plot_mark_errorbar,
    tg_plot_mark_axhline, tg_plot_mark_axvline, tg_plot_mark_axhspan, tg_plot_mark_axvspan,
    tg_plot_mark_text;

/* ---- axes and figures ----------------------------------------------------------------- */

typedef struct tg_plot_ticks_spec {
    int n;                   /* 0: automatic */
    double *at;
    char **labels;           /* NULL: formatted numbers */
} tg_plot_ticks_spec;

struct tg_axes {
    tg_figure *fig;
    int row, col;
    tg_axes *twin;           /* the twinx of this axes, or NULL */
    tg_axes *parent;         /* for a twin: the axes it shares x with */
    char *title, *xlabel, *ylabel;
    double xlim[2], ylim[2]; /* NAN, NAN: automatic */
    bool xlog, ylog;
    tg_date_unit xdate;      /* 0: numbers */
    tg_plot_ticks_spec xticks, yticks;
    tg_plot_mark *marks;
    int nmarks, cap;
    int ncolors;             /* palette colours handed out (a twin uses its parent's) */
    tg_legend_opts legend;
};

struct tg_figure {
    tg_figure_opts opts;
    int width, height;       /* px */
    char *suptitle;
    tg_axes **axes;          /* nrows * ncols, row-major; twins hang off their parents */
};

/* Copies text for a title or label after checking it (UTF-8, no control characters
 * but tab); fn names the caller. */
tg_status tg_plot_set_text(char **field, const char *text, const char *fn);
long tg_plot_bad_utf8(const char *s);
/* TG_OK when text is NULL or valid (tg_plot_bad_utf8), else TG_ERR_ARG naming fn, what
 * ("the label", "label 3") and the byte. */
tg_status tg_plot_check_text(const char *text, const char *what, const char *fn);
char *tg_plot_strdup(const char *s);

/* Appends a mark to ax (zeroed, type set); the axes' marks may move. */
tg_plot_mark *tg_plot_add_mark(tg_axes *ax, const tg_plot_mark_type *type);
/* Takes the next palette colour of ax (a twin: of its parent). */
uint32_t tg_plot_next_color(tg_axes *ax);
void tg_plot_mark_free(tg_plot_mark *m);


/* ---- layout (layout.c), drawn by draw.c ----------------------------------------------- */

/* Ticks of one axis: positions in data units and their labels. */
typedef struct tg_plot_axis_ticks {
    int n;
    double at[TG_PLOT_MAX_TICKS];
    char labels[TG_PLOT_MAX_TICKS][TG_PLOT_LABEL_CAP];
    const char *custom[TG_PLOT_MAX_TICKS]; /* a custom label (longer than the cap), or NULL */
    int nminor;
    double minor[TG_PLOT_MAX_MINOR];       /* unlabelled ticks (log axes), data units */
} tg_plot_axis_ticks;

/* Metrics of the figure in px, from its font size and dpi (matplotlib's rcParams). */
typedef struct tg_plot_metrics {
    double pt;                 /* px per point */
    double font, title;        /* text sizes: ticks, labels, legend; axes titles */
    double asc, desc, cap;     /* of `font` */
    double tasc, tdesc;        /* of `title` */
    double ticklen, tickpad, labelpad, titlepad, pad;
    double frame_lw, grid_lw;
} tg_plot_metrics;

#define TG_PLOT_MAX_TITLE_LINES 4

#define TG_PLOT_MAX_LEGEND 64         /* entries a legend shows; more are warned about */

typedef struct tg_plot_legend_layout {
    int n, ncol;
    const tg_plot_mark *entry[TG_PLOT_MAX_LEGEND]; /* labelled marks of the axes and twin */
    bool from_twin[TG_PLOT_MAX_LEGEND];
    double w, h;                      /* box size in px */
    double x0, y0;                    /* box corner, set when placed */
    double colw[16], row_h, handle, textpad, border, colsp;
} tg_plot_legend_layout;

typedef struct tg_plot_axes_layout {
    const tg_axes *ax;
    tg_plot_view view, tview;         /* the axes and its twin (tview valid with a twin) */
    tg_plot_axis_ticks xt, yt, tyt;
    bool show_xlabels;                /* false on inner rows of a sharex grid */
    double need_l, need_r, need_t, need_b; /* margins the labels need, px */
    double ylab_w, tylab_w;           /* widest tick label of each y axis */
    double title_size;
    int title_lines;
    const char *title_start[TG_PLOT_MAX_TITLE_LINES];
    int title_len[TG_PLOT_MAX_TITLE_LINES];
    tg_plot_legend_layout legend;
} tg_plot_axes_layout;

typedef struct tg_plot_figure_layout {
    tg_plot_metrics m;
    int n;                            /* nrows * ncols */
    tg_plot_axes_layout *axes;        /* n, row-major */
} tg_plot_figure_layout;

/* Tick i's label: the program's own, or the formatted one. */
const char *tg_plot_tick_label(const tg_plot_axis_ticks *t, int i);
/* Computes every position of the figure (tg_plot_figure_layout_free releases it). */
void tg_plot_figure_layout_make(const tg_figure *f, tg_plot_figure_layout *L);
void tg_plot_figure_layout_free(tg_plot_figure_layout *L);

/* draw.c: renders a figure through a renderer (the canvas is already white). */
tg_status tg_plot_draw_figure(const tg_figure *f, const tg_plot_renderer *r);

#endif /* TG_PLOT_FIGURE_H */
