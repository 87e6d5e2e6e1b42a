/* plot/render.h — what the files of plot/ share below the figure model: the renderer
 * interface (a table of drawing functions, one table per output format), the text engine
 * (TrueType through stb_truetype, with the bitmap font as fallback) and date ticks.
 *
 * The split, as in matplotlib: draw.c walks a figure, decides every position in pixels
 * (y down, pixel (i, j) covers [i, i+1) x [j, j+1), so the centre of pixel i is i + 0.5)
 * and calls a tg_plot_renderer; png.c draws into an RGB buffer, svg.c writes SVG
 * elements. Both receive identical calls, so the PNG and the SVG of one figure lay out
 * alike. A new output format is a new table of the same functions.
 *
 * This header is not installed and is not an API: it may change with the module.
 */
#ifndef TG_PLOT_RENDER_H
#define TG_PLOT_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "plot/plot.h"

/* ---- graphics context: how a path, a fill, a marker or a text is painted ------------- */

#define TG_PLOT_MAX_DASHES 8

typedef struct tg_plot_gc {
    uint32_t color;     /* 0xRRGGBB */
    float alpha;        /* 0..1, multiplies coverage */
    float linewidth;    /* stroke width in px (polyline, marker outlines of + and x) */
    int ndashes;        /* 0: solid; else on/off lengths in px, alternating, starting "on" */
    float dashes[TG_PLOT_MAX_DASHES];
    /* Clip rectangle in px, [x0, x1) x [y0, y1) in continuous coordinates; everything
     * outside is not drawn. has_clip false: the whole canvas. */
    bool has_clip;
    double clip_x0, clip_y0, clip_x1, clip_y1;
    /* Crisp: the polyline is made of horizontal and vertical segments (axes frame, ticks,
     * grid, reference lines) and is drawn aligned to the pixel grid, round(linewidth)
     * (at least 1) px wide, not anti-aliased. The caller places such a line on pixel
     * centres (x = i + 0.5) for odd widths. */
    bool crisp;
} tg_plot_gc;

typedef enum {
    TG_PLOT_HALIGN_LEFT,
    TG_PLOT_HALIGN_CENTER,
    TG_PLOT_HALIGN_RIGHT,
} tg_plot_halign;

/* ---- renderer: the drawing table ----------------------------------------------------- */

/* Coordinates are px as above. `xy` holds n points as x0, y0, x1, y1, ...; a point with a
 * NaN coordinate separates pieces (a polyline breaks there; a polygon starts a new ring).
 * Every function must accept any finite or NaN input (huge coordinates included: clip
 * first) and must never write outside the canvas. */
typedef struct tg_plot_renderer {
    void *ctx;
    /* Strokes each piece as an anti-aliased line of gc->linewidth with round joins and
     * caps, dashed by gc->dashes with the pattern running on along the piece; a piece of
     * one point is a dot. A polyline's own overlaps are painted once (coverage is the
     * maximum over its segments, then blended with gc->alpha). */
    void (*polyline)(void *ctx, const tg_plot_gc *gc, const double *xy, int n);
    /* Fills the polygon (rings closed implicitly), non-zero winding, anti-aliased by
     * exact area coverage, blended with gc->alpha. Overlapping rings paint once. */
    void (*polygon)(void *ctx, const tg_plot_gc *gc, const double *xy, int n);
    /* One marker of `shape` (tg_marker, never TG_MARKER_NONE) centred at each of the n
     * points, `size` px across (matplotlib's markersize converted to px). Filled shapes
     * (circle, square, triangles, diamond) are filled with gc->color; plus and x are
     * strokes of gc->linewidth. Each marker blends on its own (overlaps darken). */
    void (*markers)(void *ctx, const tg_plot_gc *gc, tg_marker shape, double size,
                    const double *xy, int n);
    /* One line of UTF-8 text, `size` px (the font's em), bold or not, in gc->color with
     * gc->alpha. (x, y) is a point on the baseline: the text's left end, centre or right
     * end by `halign`. rot90: the text reads bottom to top, turned 90 degrees counter-
     * clockwise about (x, y); the baseline is then the vertical line through x and
     * `halign` applies along it (LEFT: the text starts at y and goes up). */
    void (*text)(void *ctx, const tg_plot_gc *gc, const char *utf8, double x, double y,
                 double size, bool bold, tg_plot_halign halign, bool rot90);
} tg_plot_renderer;

/* ---- text engine (text.c) -------------------------------------------------------------
 * One process-wide font, chosen on first use and kept until exit (thread-safe):
 *   1. the environment variable TG_PLOT_FONT: a .ttf path, or "bitmap" for the fallback
 *      (a path that cannot be used goes on to 2);
 *   2. the standard Debian path /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf;
 *   3. DejaVu Sans through fontconfig (when built with it). After the standard path, as
 *      fontconfig 2.14 leaks a parse of its stock configuration on first use, which the
 *      leak checkers of the test suite would report in every process that draws text;
 *   4. the built-in bitmap font (font.c), announced once through tg_warn.
 * Bold is DejaVuSans-Bold.ttf beside the regular file (synthesized by the fallback).
 * Sizes are the em in px (points x dpi / 72). All metrics are in px at that size. */

/* stroke.c: gc's dash pattern as both renderers draw it: NaN or negative lengths are 0,
 * huge ones 1e6, an odd list runs twice; n = 0 (solid) for no length or no gap. */
typedef struct tg_plot_dash_pattern {
    int n;                              /* lengths in len: on, off, on, ...; 0: solid */
    double len[2 * TG_PLOT_MAX_DASHES];
    double period, on_total;            /* sums of all lengths and of the "on" ones */
} tg_plot_dash_pattern;
void tg_plot_dash_pattern_of(const tg_plot_gc *gc, tg_plot_dash_pattern *d);
/* The point at t in [0, 1] along a -> b, computed from the nearer end. */
void tg_plot_segment_point(const double a[2], const double b[2], double t, double out[2]);

/* One UTF-8 character at s (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF): its length in bytes, and the code point in *cp; an invalid or truncated
 * sequence gives length 1 and U+FFFD (as does the real U+FFFD, with length 3). At the
 * terminating NUL: length 1, *cp = 0. The one decoder of plot/ (text.c). */
int tg_plot_utf8_next(const char *s, uint32_t *cp);
/* tg_fail(st, "<fn>: <the last error>"): a lower layer's message under the caller's name
 * (figure.c). */
tg_status tg_plot_fail_prefixed(tg_status st, const char *fn);

/* True when text is drawn with a TrueType font, false with the bitmap fallback. */
bool tg_plot_text_truetype(void);
/* The family name an SVG should ask for ("DejaVu Sans"), and the font file in use ("" for
 * the bitmap font). */
const char *tg_plot_text_family(void);
const char *tg_plot_text_path(void);
/* Advance width of `utf8` (kerning included), px. Invalid UTF-8 measures as U+FFFD. */
double tg_plot_text_width(const char *utf8, double size, bool bold);
/* Ascent (above the baseline, > 0), descent (below, > 0) and cap height (height of 'H')
 * of the font at `size`, px. */
void tg_plot_text_vmetrics(double size, bool bold, double *ascent, double *descent,
                           double *cap_height);
/* Rasterizes the text as the renderer's text() places it (same (x, y), halign, rot90)
 * by calling put(ctx, px, py, coverage 0..255) for every pixel with ink; a pixel may
 * come more than once (overlapping glyph boxes): the caller takes the maximum or blends
 * each. Glyphs are positioned with sub-pixel precision. */
void tg_plot_text_raster(const char *utf8, double size, bool bold, double x, double y,
                         tg_plot_halign halign, bool rot90,
                         void (*put)(void *ctx, int px, int py, int coverage), void *ctx);
/* The font size the SVG should write for a text of `size` px so that its width matches
 * what tg_plot_text_width measured: `size` for TrueType; a matched size for the bitmap
 * font. */
double tg_plot_text_svg_size(double size);

/* ---- dates (dates.c) -------------------------------------------------------------------
 * Days since 1970-01-01 in the proleptic Gregorian calendar (UTC, no leap seconds). */
int64_t tg_plot_days_from_civil(int year, int month, int day);
void tg_plot_civil_from_days(int64_t days, int *year, int *month, int *day);
/* Days in month m (1..12) of proleptic Gregorian year y. */
int tg_plot_month_length(int64_t y, int m);

/* ---- the bitmap font (font.c), the text engine's fallback ------------------------------
 * Glyphs are 5 columns x 9 rows: rows 0..6 hold the capitals (row 6 is the baseline),
 * rows 7..8 the descenders. Proportional: a glyph advances by its ink width + 1 column,
 * digits by a full 6 so numbers line up. */
#define TG_FONT_ROWS 9
#define TG_FONT_CAP 7

typedef struct tg_glyph {
    uint8_t rows[TG_FONT_ROWS]; /* bit c (from the left, bit 0) set: ink in column c */
    int width;                  /* ink columns drawn (0 for a space) */
    int advance;                /* columns to the next glyph */
} tg_glyph;

/* The next character of UTF-8 text as a glyph code (32..126; '?' for anything else, one
 * per code point); 0 at the end. */
int tg_font_next(const char **s);
void tg_font_glyph(int code, tg_glyph *g);
/* Width in pixels of `text` drawn at integer `scale` (no trailing spacing). */
int tg_font_width(const char *text, int scale);

/* ---- the PNG renderer (render_png.c) ---------------------------------------------------- */

typedef struct tg_plot_raster tg_plot_raster;
/* A renderer drawing into rgb (w * h * 3 bytes, row-major, caller-owned; not cleared
 * here). Fills *out; the returned state (scratch coverage buffers) is released by
 * tg_plot_raster_end. */
tg_plot_raster *tg_plot_raster_begin(uint8_t *rgb, int w, int h, tg_plot_renderer *out);
void tg_plot_raster_end(tg_plot_raster *r); /* NULL is fine */
/* Encodes rgb as PNG and writes it atomically to path; fn names the caller in errors. */
tg_status tg_plot_png_write(const uint8_t *rgb, int w, int h, const char *path,
                            const char *fn);

/* ---- the SVG renderer (render_svg.c) ---------------------------------------------------- */

struct tg_atomic_file;
typedef struct tg_plot_svg tg_plot_svg;
/* A renderer writing SVG 1.1 elements of a w x h px document to f (an open atomic file):
 * writes the XML header, the <svg> element (width, height, viewBox) and a white
 * background now. tg_plot_svg_end writes the closing tag and frees the state; the caller
 * commits or aborts the file. NULL for a NULL file or a size <= 0 (and on out of memory,
 * which also marks the file failed); *out is filled either way, with functions that then
 * draw nothing. */
tg_plot_svg *tg_plot_svg_begin(struct tg_atomic_file *f, int w, int h, tg_plot_renderer *out);
void tg_plot_svg_end(tg_plot_svg *s);

#endif /* TG_PLOT_RENDER_H */
