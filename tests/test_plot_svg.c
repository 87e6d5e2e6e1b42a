/* tests/test_plot_svg.c — Criterion suite `svg`: the SVG renderer of plot/render_svg.c,
 * driven directly through its tg_plot_renderer table, documents written with
 * tg_atomic_file to a temporary directory.
 *
 * What is checked: the document frame (XML declaration, <svg> with size and viewBox, white
 * background, closing tag); well-formedness by xmllint (the dedicated test is skipped when
 * /usr/bin/xmllint is missing, the others then just do not run it); huge, infinite and
 * far-away coordinates printing only small numbers and never nan/inf while the visible
 * part still crosses the canvas; text escaping (& < > ", UTF-8 kept, control characters
 * and invalid UTF-8 replaced), font attributes and anchors; rot90 as a rotate transform;
 * dashes (read as the PNG reads them), widths, caps, joins and alpha reaching the
 * attributes; crisp lines; a one-point piece as a zero-length subpath (a disc when
 * dashed); the dash phase surviving the geometry clip; clip paths
 * defined once per rectangle and every reference defined; one marker element per finite
 * point at the right centre and size; polygon rings closed with Z; nothing written for
 * invisible input; numbers independent of LC_NUMERIC (skipped when no locale with a
 * decimal comma is installed). The atomic writer (tensor/file.c) and what lies at the
 * path: a symlink (relative, absolute, chained, into another directory, dangling) stays a
 * link and its target gets the bytes; a FIFO, a directory and /dev/null are refused with
 * TG_ERR_IO naming the path and stay what they were.
 *
 * What this file is not: a look at the rendering. Whether the SVG and the PNG of a figure
 * look alike is judged by eye.
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <dirent.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot/render.h"
#include "tensor/file.h"
#include "plot_helpers.h"

#define XMLLINT "/usr/bin/xmllint"

/* ---- helpers -------------------------------------------------------------------------- */

static char svg_dir[64];

static void svg_setup(void)
{
    snprintf(svg_dir, sizeof svg_dir, "/tmp/tg-svg-XXXXXX");
    cr_assert_not_null(mkdtemp(svg_dir), "mkdtemp");
}

static void svg_teardown(void)
{
    DIR *d = opendir(svg_dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", svg_dir, e->d_name);
        remove(p);
    }
    closedir(d);
    rmdir(svg_dir);
}

TestSuite(svg, .init = svg_setup, .fini = svg_teardown);

/* A skipped test ends without the suite's .fini: remove the directory first. */
#define SKIP(...) do { svg_teardown(); cr_skip_test(__VA_ARGS__); } while (0)

/* One document being written. */
typedef struct {
    tg_atomic_file af;
    tg_plot_svg *s;
    tg_plot_renderer r;
    char path[256];
} doc;

static void doc_open(doc *d, const char *name, int w, int h)
{
    snprintf(d->path, sizeof d->path, "%s/%s", svg_dir, name);
    cr_assert_eq(tg_atomic_file_open(&d->af, d->path), TG_OK);
    d->s = tg_plot_svg_begin(&d->af, w, h, &d->r);
    cr_assert_not_null(d->s);
    cr_assert(d->r.polyline && d->r.polygon && d->r.markers && d->r.text);
}

static bool have_xmllint(void) { return access(XMLLINT, X_OK) == 0; }

static void check_xml(const char *path)
{
    if (!have_xmllint()) return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, XMLLINT " --noout '%s'", path);
    cr_assert_eq(system(cmd), 0, "xmllint rejects %s", path);
}

/* Ends and commits the document, checks it with xmllint, returns its text (free it). */
static char *doc_close(doc *d)
{
    tg_plot_svg_end(d->s);
    cr_assert_eq(tg_atomic_file_commit(&d->af), TG_OK);
    char *text = plot_slurp(d->path, NULL);
    check_xml(d->path);
    return text;
}

static void gc_clip(tg_plot_gc *gc, double x0, double y0, double x1, double y1)
{
    gc->has_clip = true;
    gc->clip_x0 = x0;
    gc->clip_y0 = y0;
    gc->clip_x1 = x1;
    gc->clip_y1 = y1;
}

/* The value of attribute `name` of the element starting at elem (NULL if absent). */
static const char *attr(const char *elem, const char *name, char *out, size_t cap)
{
    const char *end = strchr(elem, '>');
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *p = strstr(elem, key);
    if (!p || (end && p > end)) return NULL;
    p += strlen(key);
    const char *q = strchr(p, '"');
    size_t n = (size_t)(q - p) < cap - 1 ? (size_t)(q - p) : cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static double attr_num(const char *elem, const char *name)
{
    char v[64];
    cr_assert_not_null(attr(elem, name, v, sizeof v), "attribute %s missing", name);
    return strtod(v, NULL);
}

/* The points of a path's d attribute (commands M and L only), count returned. */
static int path_points(const char *elem, double *xy, int cap, char *cmds)
{
    static char d[1 << 16];
    cr_assert_not_null(attr(elem, "d", d, sizeof d));
    int n = 0;
    for (char *p = d; *p && n < cap;) {
        cr_assert(*p == 'M' || *p == 'L' || *p == 'Z', "unexpected path command '%c'", *p);
        if (*p == 'Z') {
            p++;
            continue;
        }
        cmds[n] = *p++;
        xy[2 * n] = strtod(p, &p);
        xy[2 * n + 1] = strtod(p, &p);
        n++;
    }
    return n;
}

/* Every number in the document is small and nothing says nan or inf. */
static void check_small_numbers(const char *text)
{
    for (const char *p = text; *p; p++) {
        cr_assert(strncasecmp(p, "nan", 3) != 0, "nan at ...%.40s", p);
        cr_assert(strncasecmp(p, "inf", 3) != 0, "inf at ...%.40s", p);
    }
    for (const char *p = text; *p;) {
        bool start = isdigit((unsigned char)*p) ||
                     ((*p == '-' || *p == '.') && isdigit((unsigned char)p[1]));
        if (!start || (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '.'))) {
            p++;
            continue;
        }
        char *end;
        double v = strtod(p, &end);
        cr_assert(fabs(v) < 1e5, "number %g at ...%.40s", v, p);
        p = end > p ? end : p + 1;
    }
}

/* ---- tests ---------------------------------------------------------------------------- */

Test(svg, document_frame)
{
    doc d;
    doc_open(&d, "empty.svg", 200, 100);
    char *t = doc_close(&d);
    cr_expect(!strncmp(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39), "%.60s", t);
    cr_expect_not_null(strstr(t, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    cr_expect_not_null(strstr(t, " width=\"200\" height=\"100\" viewBox=\"0 0 200 100\""));
    cr_expect_not_null(strstr(t, "<rect width=\"200\" height=\"100\" fill=\"#ffffff\"/>"));
    size_t n = strlen(t);
    cr_expect(n > 7 && !strcmp(t + n - 7, "</svg>\n"));
    free(t);
}

Test(svg, begin_rejects_bad_arguments)
{
    tg_plot_renderer r;
    tg_atomic_file af;
    char path[256];
    snprintf(path, sizeof path, "%s/bad.svg", svg_dir);
    cr_assert_eq(tg_atomic_file_open(&af, path), TG_OK);
    cr_expect_null(tg_plot_svg_begin(NULL, 10, 10, &r));
    cr_expect_null(tg_plot_svg_begin(&af, 0, 10, &r));
    cr_expect_null(tg_plot_svg_begin(&af, 10, -1, &r));
    cr_expect_null(tg_plot_svg_begin(&af, 10, 10, NULL));
    /* The table is filled anyway and draws nothing. */
    cr_assert(r.polyline && r.polygon && r.markers && r.text);
    cr_expect_null(r.ctx);
    tg_plot_gc gc = plot_gc(0, 1.0f);
    double xy[] = {1, 2, 3, 4, 5, 1};
    r.polyline(r.ctx, &gc, xy, 3);
    r.polygon(r.ctx, &gc, xy, 3);
    r.markers(r.ctx, &gc, TG_MARKER_CIRCLE, 3, xy, 3);
    r.text(r.ctx, &gc, "x", 1, 2, 10, false, TG_PLOT_HALIGN_LEFT, false);
    tg_plot_svg_end(NULL);
    tg_atomic_file_abort(&af);
}

/* Everything at once, nasty input included: xmllint must accept the document. */
Test(svg, well_formed_by_xmllint)
{
    if (!have_xmllint()) SKIP(XMLLINT " is missing (Debian libxml2-utils)");
    doc d;
    doc_open(&d, "all.svg", 320, 240);
    tg_plot_gc gc = plot_gc(0xff7f0e, 2.0f);
    gc.alpha = 0.5f;
    gc.ndashes = 2;
    gc.dashes[0] = 5.0f;
    gc.dashes[1] = 3.0f;
    gc_clip(&gc, 40, 20, 300, 200);
    double line[] = {10, 10, 100, 150, NAN, NAN, 200, 50, 1e9, -1e9, 250, 60};
    d.r.polyline(d.r.ctx, &gc, line, 6);
    double ring[] = {50, 50, 150, 60, 100, 180, NAN, 0, 60, 60, 1e300, 80, 70, 90};
    d.r.polygon(d.r.ctx, &gc, ring, 7);
    for (int m = TG_MARKER_CIRCLE; m < TG_MARKER_COUNT; m++)
        d.r.markers(d.r.ctx, &gc, (tg_marker)m, 7.0, line, 6);
    const char *texts[] = {"a < b & \"c\" > d", "tab\there\x01\x1f\x7f", "bad \xff\xc3 utf8",
                           "overlong \xc0\xaf surrogate \xed\xa0\x80 nonchar \xef\xbf\xbe",
                           "truncated \xe2\x82", "σ± 温度 \xf0\x9f\x93\x88"};
    for (int i = 0; i < 6; i++)
        d.r.text(d.r.ctx, &gc, texts[i], 50 + 10 * i, 100, 12, i % 2, (tg_plot_halign)(i % 3),
                 i % 2);
    free(doc_close(&d));
}

Test(svg, huge_coordinates_print_small_numbers)
{
    doc d;
    doc_open(&d, "huge.svg", 200, 100);
    tg_plot_gc gc = plot_gc(0x1f77b4, 1.5f);
    double horiz[] = {-1e300, 50, 1e300, 50};
    d.r.polyline(d.r.ctx, &gc, horiz, 2);
    double inf[] = {INFINITY, 30, -INFINITY, 30, NAN, NAN, 1e300, 1e300, NAN, NAN,
                    100, -DBL_MAX, 100, DBL_MAX, -1e20, -1e20, 1e20, 1e20, 3e25, -7e24};
    d.r.polyline(d.r.ctx, &gc, inf, 10);
    gc.ndashes = 2;
    gc.dashes[0] = 3.7f;
    gc.dashes[1] = 1.1f;
    gc_clip(&gc, 20, 10, 180, 90);
    d.r.polyline(d.r.ctx, &gc, inf, 10);
    double poly[] = {-INFINITY, 10, 50, INFINITY, 1e300, -1e300, NAN, NAN,
                     -DBL_MAX, -DBL_MAX, DBL_MAX, -DBL_MAX, DBL_MAX, DBL_MAX, -DBL_MAX, DBL_MAX};
    d.r.polygon(d.r.ctx, &gc, poly, 8);
    double far[] = {1e300, 1e300, -1e12, 50, INFINITY, 5};
    d.r.markers(d.r.ctx, &gc, TG_MARKER_CIRCLE, 5, far, 3);
    d.r.text(d.r.ctx, &gc, "far away", 1e300, 20, 12, false, TG_PLOT_HALIGN_LEFT, false);
    d.r.text(d.r.ctx, &gc, "far away", 20, -INFINITY, 12, false, TG_PLOT_HALIGN_LEFT, true);
    char *t = doc_close(&d);
    check_small_numbers(t);
    /* The first line still crosses the whole canvas at y = 50. */
    const char *p = strstr(t, "<path ");
    cr_assert_not_null(p);
    double xy[8];
    char cmds[4];
    cr_assert_eq(path_points(p, xy, 4, cmds), 2);
    cr_expect(cmds[0] == 'M' && cmds[1] == 'L');
    cr_expect(xy[0] <= 0.0 && xy[2] >= 200.0, "from %g to %g", xy[0], xy[2]);
    cr_expect(xy[1] == 50.0 && xy[3] == 50.0);
    /* The polygon covering the plane is one clipped ring. */
    cr_expect_eq(plot_count(t, "fill-rule=\"nonzero\""), 1);
    cr_expect_eq(plot_count(t, "<circle"), 0, "markers far away are left out");
    cr_expect_eq(plot_count(t, "<text"), 0, "texts far away are left out");
    free(t);
}

Test(svg, text_escaped_and_placed)
{
    doc d;
    doc_open(&d, "text.svg", 200, 100);
    tg_plot_gc gc = plot_gc(0x262626, 1.0f);
    d.r.text(d.r.ctx, &gc, "a<b & c>\"d\" σ±", 100, 50, 13.5, true, TG_PLOT_HALIGN_RIGHT,
             false);
    d.r.text(d.r.ctx, &gc, "ctl\x01\x1b|\xff|", 10, 20, 10, false, TG_PLOT_HALIGN_LEFT, false);
    char *t = doc_close(&d);
    cr_expect_not_null(strstr(t, ">a&lt;b &amp; c&gt;&quot;d&quot; σ±</text>"), "%s", t);
    cr_expect_not_null(strstr(t, ">ctl\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd|</text>"));
    for (const char *p = t; *p; p++)
        cr_assert(*p == '\n' || (unsigned char)*p >= 0x20, "control byte %d written", *p);
    const char *e = strstr(t, "<text");
    cr_assert_not_null(e);
    cr_expect_eq(attr_num(e, "x"), 100.0);
    cr_expect_eq(attr_num(e, "y"), 50.0);
    cr_expect(fabs(attr_num(e, "font-size") - tg_plot_text_svg_size(13.5)) < 0.006);
    char v[128];
    cr_expect_str_eq(attr(e, "text-anchor", v, sizeof v), "end");
    cr_expect_str_eq(attr(e, "font-weight", v, sizeof v), "bold");
    cr_expect_str_eq(attr(e, "fill", v, sizeof v), "#262626");
    cr_assert_not_null(attr(e, "font-family", v, sizeof v));
    cr_expect_not_null(strstr(v, tg_plot_text_family()), "%s", v);
    cr_expect_not_null(strstr(v, "sans-serif"), "%s", v);
    cr_expect_null(attr(e, "transform", v, sizeof v));
    e = strstr(e + 1, "<text");
    cr_assert_not_null(e);
    cr_expect_str_eq(attr(e, "text-anchor", v, sizeof v), "start");
    cr_expect_null(attr(e, "font-weight", v, sizeof v));
    free(t);
}

Test(svg, rot90_text_rotates_about_its_anchor)
{
    doc d;
    doc_open(&d, "rot.svg", 200, 100);
    tg_plot_gc gc = plot_gc(0, 1.0f);
    gc.alpha = 0.25f;
    d.r.text(d.r.ctx, &gc, "loss", 30.5, 40, 12, false, TG_PLOT_HALIGN_CENTER, true);
    char *t = doc_close(&d);
    const char *e = strstr(t, "<text");
    cr_assert_not_null(e);
    char v[128];
    cr_expect_str_eq(attr(e, "transform", v, sizeof v), "rotate(-90 30.5 40)");
    cr_expect_str_eq(attr(e, "text-anchor", v, sizeof v), "middle");
    cr_expect_str_eq(attr(e, "fill-opacity", v, sizeof v), "0.25");
    cr_expect_eq(attr_num(e, "x"), 30.5);
    cr_expect_eq(attr_num(e, "y"), 40.0);
    free(t);
}

Test(svg, dashes_width_and_alpha_reach_the_attributes)
{
    doc d;
    doc_open(&d, "dash.svg", 200, 100);
    tg_plot_gc gc = plot_gc(0x1f77b4, 1.5f);
    gc.alpha = 0.5f;
    gc.ndashes = 2;
    gc.dashes[0] = 6.0f;
    gc.dashes[1] = 2.5f;
    double line[] = {10, 10, 190, 90};
    d.r.polyline(d.r.ctx, &gc, line, 2);
    tg_plot_gc odd = plot_gc(0x1f77b4, 1.0f);
    odd.ndashes = 3;
    odd.dashes[0] = 3.0f;
    odd.dashes[1] = 1.0f;
    odd.dashes[2] = -2.0f; /* read as 0, as the PNG does */
    d.r.polyline(d.r.ctx, &odd, line, 2);
    odd.ndashes = 2; /* 3 on, 0 off: no gap */
    odd.dashes[1] = 0.0f;
    d.r.polyline(d.r.ctx, &odd, line, 2);
    tg_plot_gc fill = plot_gc(0x2ca02c, 1.0f);
    fill.alpha = 0.2f;
    double tri[] = {10, 90, 100, 10, 190, 90};
    d.r.polygon(d.r.ctx, &fill, tri, 3);
    char *t = doc_close(&d);
    const char *e = strstr(t, "<path ");
    cr_assert_not_null(e);
    char v[128];
    cr_expect_str_eq(attr(e, "stroke", v, sizeof v), "#1f77b4");
    cr_expect_str_eq(attr(e, "fill", v, sizeof v), "none");
    cr_expect_str_eq(attr(e, "stroke-width", v, sizeof v), "1.5");
    cr_expect_str_eq(attr(e, "stroke-dasharray", v, sizeof v), "6 2.5");
    cr_expect_str_eq(attr(e, "stroke-opacity", v, sizeof v), "0.5");
    cr_expect_str_eq(attr(e, "stroke-linecap", v, sizeof v), "butt", "dash ends as the PNG's");
    cr_expect_str_eq(attr(e, "stroke-linejoin", v, sizeof v), "round");
    cr_expect_null(attr(e, "shape-rendering", v, sizeof v));
    cr_expect_null(attr(e, "clip-path", v, sizeof v));
    e = strstr(e + 1, "<path ");
    cr_assert_not_null(e);
    cr_expect_str_eq(attr(e, "stroke-dasharray", v, sizeof v), "3 1 0 3 1 0", "odd: twice");
    cr_expect_null(attr(e, "stroke-opacity", v, sizeof v));
    e = strstr(e + 1, "<path ");
    cr_assert_not_null(e);
    cr_expect_null(attr(e, "stroke-dasharray", v, sizeof v), "no gap: solid");
    cr_expect_str_eq(attr(e, "stroke-linecap", v, sizeof v), "round");
    e = strstr(e + 1, "<path ");
    cr_assert_not_null(e);
    cr_expect_str_eq(attr(e, "fill", v, sizeof v), "#2ca02c");
    cr_expect_str_eq(attr(e, "fill-opacity", v, sizeof v), "0.2");
    cr_expect_str_eq(attr(e, "fill-rule", v, sizeof v), "nonzero");
    cr_expect_str_eq(attr(e, "d", v, sizeof v), "M10 90L100 10L190 90Z");
    free(t);
}

Test(svg, crisp_lines_round_their_width)
{
    doc d;
    doc_open(&d, "crisp.svg", 100, 100);
    tg_plot_gc gc = plot_gc(0x4d4d4d, 1.4f);
    gc.crisp = true;
    double frame[] = {10.5, 10.5, 90.5, 10.5, 90.5, 90.5};
    d.r.polyline(d.r.ctx, &gc, frame, 3);
    char *t = doc_close(&d);
    const char *e = strstr(t, "<path ");
    cr_assert_not_null(e);
    char v[128];
    cr_expect_str_eq(attr(e, "shape-rendering", v, sizeof v), "crispEdges");
    cr_expect_str_eq(attr(e, "stroke-width", v, sizeof v), "1");
    cr_expect_str_eq(attr(e, "stroke-linecap", v, sizeof v), "square", "frame corners close");
    cr_expect_str_eq(attr(e, "stroke-linejoin", v, sizeof v), "miter");
    cr_expect_str_eq(attr(e, "d", v, sizeof v), "M10.5 10.5L90.5 10.5L90.5 90.5");
    free(t);
}

Test(svg, one_point_piece_is_a_dot)
{
    doc d;
    doc_open(&d, "dot.svg", 100, 100);
    tg_plot_gc gc = plot_gc(0xd62728, 3.0f);
    double xy[] = {10, 10, NAN, NAN, 40, 50, NAN, 3, 60, 60, 70, 70};
    d.r.polyline(d.r.ctx, &gc, xy, 6);
    char *t = doc_close(&d);
    cr_expect_eq(plot_count(t, "<path "), 1, "one path per call");
    const char *e = strstr(t, "<path ");
    char v[256];
    cr_expect_str_eq(attr(e, "d", v, sizeof v), "M10 10L10 10M40 50L40 50M60 60L70 70");
    cr_expect_str_eq(attr(e, "stroke-linecap", v, sizeof v), "round");
    free(t);
}

/* Butt dash ends would hide a zero-length subpath: dashed dots are discs after the path. */
Test(svg, one_point_piece_of_a_dashed_line_is_a_disc)
{
    doc d;
    doc_open(&d, "dashdot.svg", 100, 100);
    tg_plot_gc gc = plot_gc(0xd62728, 3.0f);
    gc.alpha = 0.5f;
    gc.ndashes = 2;
    gc.dashes[0] = 2.0f;
    gc.dashes[1] = 2.0f;
    double xy[] = {10, 10, NAN, NAN, 40, 50, NAN, 3, 60, 60, 70, 70, NAN, NAN, 500, 500};
    d.r.polyline(d.r.ctx, &gc, xy, 8);
    char *t = doc_close(&d);
    cr_expect_eq(plot_count(t, "<path "), 1, "one path per call");
    char v[256];
    cr_expect_str_eq(attr(strstr(t, "<path "), "d", v, sizeof v), "M60 60L70 70");
    cr_expect_eq(plot_count(t, "<circle"), 2, "%s", t);
    cr_expect_not_null(strstr(t, "<g fill=\"#d62728\" fill-opacity=\"0.5\">\n"
                                 "<circle cx=\"10\" cy=\"10\" r=\"1.5\"/>\n"
                                 "<circle cx=\"40\" cy=\"50\" r=\"1.5\"/>\n</g>\n"));
    free(t);
}

Test(svg, dash_phase_survives_the_geometry_clip)
{
    doc d;
    doc_open(&d, "phase.svg", 200, 100);
    tg_plot_gc gc = plot_gc(0, 1.0f);
    gc.ndashes = 2;
    gc.dashes[0] = 4.0f;
    gc.dashes[1] = 6.0f;
    double xy[] = {-1003, 50, 500, 50};
    d.r.polyline(d.r.ctx, &gc, xy, 2);
    char *t = doc_close(&d);
    check_small_numbers(t);
    double p[8];
    char cmds[4];
    int n = path_points(strstr(t, "<path "), p, 4, cmds);
    cr_assert_geq(n, 2);
    /* The subpath starts a whole number of periods (10 px) from the input's start. */
    double from_start = p[0] + 1003.0;
    cr_expect(fabs(from_start - 10.0 * round(from_start / 10.0)) < 0.011, "starts at %g", p[0]);
    cr_expect(p[0] < -2.0 && p[0] > -30.0, "starts at %g, just outside the canvas", p[0]);
    cr_expect(p[2 * (n - 1)] > 200.0 && p[2 * (n - 1)] < 230.0);
    free(t);
}

Test(svg, clip_paths_defined_once_and_referenced)
{
    doc d;
    doc_open(&d, "clip.svg", 200, 100);
    tg_plot_gc gc = plot_gc(0x9467bd, 1.0f);
    gc_clip(&gc, 10, 20, 110, 70);
    double line[] = {0, 0, 200, 100};
    for (int i = 0; i < 3; i++) d.r.polyline(d.r.ctx, &gc, line, 2);
    double tri[] = {0, 100, 100, 0, 200, 100};
    d.r.polygon(d.r.ctx, &gc, tri, 3);
    tg_plot_gc other = gc;
    gc_clip(&other, 0, 0, 50.5, 60);
    d.r.markers(d.r.ctx, &other, TG_MARKER_SQUARE, 4, line, 2);
    d.r.text(d.r.ctx, &gc, "clipped", 50, 50, 10, false, TG_PLOT_HALIGN_LEFT, true);
    tg_plot_gc none = plot_gc(0, 1.0f);
    d.r.polyline(d.r.ctx, &none, line, 2);
    char *t = doc_close(&d);
    cr_expect_eq(plot_count(t, "<clipPath "), 2);
    cr_expect_eq(plot_count(t, "<clipPath id=\"c1\"><rect x=\"10\" y=\"20\" width=\"100\" "
                          "height=\"50\"/></clipPath>"), 1);
    cr_expect_eq(plot_count(t, "<clipPath id=\"c2\"><rect x=\"0\" y=\"0\" width=\"50.5\" "
                          "height=\"60\"/></clipPath>"), 1);
    cr_expect_eq(plot_count(t, "clip-path=\"url(#c1)\""), 5);
    cr_expect_eq(plot_count(t, "clip-path=\"url(#c2)\""), 1);
    cr_expect_eq(plot_count(t, "<path "), 5);
    /* Every reference comes after its definition. */
    for (const char *p = strstr(t, "url(#"); p; p = strstr(p + 1, "url(#")) {
        char id[32], def[64];
        sscanf(p + 5, "%31[^)]", id);
        snprintf(def, sizeof def, "<clipPath id=\"%s\">", id);
        const char *q = strstr(t, def);
        cr_expect(q && q < p, "clip %s used before it is defined", id);
    }
    /* The rotated text is clipped through a group, outside its rotation. */
    cr_expect_not_null(strstr(t, "<g clip-path=\"url(#c1)\"><text"));
    free(t);
}

Test(svg, markers_once_per_finite_point)
{
    doc d;
    doc_open(&d, "markers.svg", 200, 100);
    tg_plot_gc gc = plot_gc(0x8c564b, 1.5f);
    gc.alpha = 0.75f;
    double xy[] = {10, 20, NAN, 5, 30.5, 40.25, 50, NAN, 170, 80};
    const double cx[] = {10, 30.5, 170}, cy[] = {20, 40.25, 80};
    d.r.markers(d.r.ctx, &gc, TG_MARKER_CIRCLE, 6, xy, 5);
    d.r.markers(d.r.ctx, &gc, TG_MARKER_SQUARE, 6, xy, 5);
    for (int m = TG_MARKER_TRIANGLE; m < TG_MARKER_COUNT; m++)
        d.r.markers(d.r.ctx, &gc, (tg_marker)m, 6, xy, 5);
    char *t = doc_close(&d);
    cr_expect_eq(plot_count(t, "<circle"), 3);
    cr_expect_eq(plot_count(t, "<rect x="), 3);
    cr_expect_eq(plot_count(t, "<path "), 4 * 3);
    cr_expect_eq(plot_count(t, "<g fill=\"#8c564b\" fill-opacity=\"0.75\">"), 4);
    cr_expect_eq(plot_count(t, "<g fill=\"none\" stroke=\"#8c564b\" stroke-width=\"1.5\" "
                          "stroke-linecap=\"round\" stroke-opacity=\"0.75\">"), 2);
    const char *e = t;
    for (int i = 0; i < 3; i++) {
        e = strstr(e + 1, "<circle");
        cr_assert_not_null(e);
        cr_expect_eq(attr_num(e, "cx"), cx[i]);
        cr_expect_eq(attr_num(e, "cy"), cy[i]);
        cr_expect_eq(attr_num(e, "r"), 3.0);
    }
    for (int i = 0; i < 3; i++) {
        e = strstr(e + 1, "<rect x=");
        cr_assert_not_null(e);
        cr_expect_eq(attr_num(e, "x"), cx[i] - 3.0);
        cr_expect_eq(attr_num(e, "y"), cy[i] - 3.0);
        cr_expect_eq(attr_num(e, "width"), 6.0);
        cr_expect_eq(attr_num(e, "height"), 6.0);
    }
    /* Triangle, diamond, plus, x: each spans exactly the size x size box. */
    for (int k = 0; k < 12; k++) {
        e = strstr(e + 1, "<path ");
        cr_assert_not_null(e);
        double p[16];
        char cmds[8];
        int n = path_points(e, p, 8, cmds);
        double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
        for (int j = 0; j < n; j++) {
            x0 = fmin(x0, p[2 * j]);
            x1 = fmax(x1, p[2 * j]);
            y0 = fmin(y0, p[2 * j + 1]);
            y1 = fmax(y1, p[2 * j + 1]);
        }
        int i = k % 3;
        cr_expect(x0 == cx[i] - 3 && x1 == cx[i] + 3 && y0 == cy[i] - 3 && y1 == cy[i] + 3,
                  "marker %d: [%g, %g] x [%g, %g]", k, x0, x1, y0, y1);
    }
    free(t);
}

Test(svg, polygon_rings_closed_and_clipped)
{
    doc d;
    doc_open(&d, "rings.svg", 100, 100);
    tg_plot_gc gc = plot_gc(0x17becf, 1.0f);
    double xy[] = {10, 10, 90, 10, 90, 90, 10, 90, NAN, NAN, 30, 30, 30, 70, 70, 70, 70, 30,
                   NAN, NAN, -500, 50, 50, -500, 600, 50, 50, 600};
    d.r.polygon(d.r.ctx, &gc, xy, 14);
    char *t = doc_close(&d);
    cr_expect_eq(plot_count(t, "<path "), 1);
    const char *e = strstr(t, "<path ");
    char v[1024];
    cr_assert_not_null(attr(e, "d", v, sizeof v));
    cr_expect_eq(plot_count(v, "M"), 3);
    cr_expect_eq(plot_count(v, "Z"), 3);
    double p[64];
    char cmds[32];
    int n = path_points(e, p, 32, cmds);
    for (int i = 0; i < 2 * n; i++)
        cr_expect(p[i] >= -2.0 && p[i] <= 102.0, "coordinate %g beyond the clip box", p[i]);
    free(t);
}

Test(svg, nothing_written_for_invisible_input)
{
    doc d;
    doc_open(&d, "none.svg", 100, 100);
    tg_plot_gc gc = plot_gc(0, 1.0f);
    double out[] = {-50, -50, -40, 300, NAN, NAN, 500, 500};
    d.r.polyline(d.r.ctx, &gc, out, 4);
    d.r.polygon(d.r.ctx, &gc, out, 4);
    double in[] = {10, 10, 50, 50, 90, 10};
    tg_plot_gc clear = gc;
    clear.alpha = 0.0f;
    d.r.polyline(d.r.ctx, &clear, in, 3);
    d.r.markers(d.r.ctx, &clear, TG_MARKER_CIRCLE, 4, in, 3);
    tg_plot_gc empty = gc;
    gc_clip(&empty, 50, 50, 50, 80);
    d.r.polygon(d.r.ctx, &empty, in, 3);
    d.r.text(d.r.ctx, &empty, "x", 50, 50, 10, false, TG_PLOT_HALIGN_LEFT, false);
    tg_plot_gc nanclip = gc;
    gc_clip(&nanclip, NAN, 0, 100, 100);
    d.r.polyline(d.r.ctx, &nanclip, in, 3);
    tg_plot_gc thin = gc;
    thin.linewidth = 0.0f;
    d.r.polyline(d.r.ctx, &thin, in, 3);
    d.r.markers(d.r.ctx, &thin, TG_MARKER_X, 4, in, 3);
    d.r.markers(d.r.ctx, &gc, TG_MARKER_NONE, 4, in, 3);
    d.r.polyline(d.r.ctx, &gc, NULL, 0);
    d.r.text(d.r.ctx, &gc, "", 50, 50, 10, false, TG_PLOT_HALIGN_LEFT, false);
    d.r.text(d.r.ctx, &gc, NULL, 50, 50, 10, false, TG_PLOT_HALIGN_LEFT, false);
    char *t = doc_close(&d);
    cr_expect_eq(plot_count(t, "<path"), 0, "%s", t);
    cr_expect_eq(plot_count(t, "<circle"), 0);
    cr_expect_eq(plot_count(t, "<text"), 0);
    cr_expect_eq(plot_count(t, "<g"), 0);
    cr_expect_eq(plot_count(t, "<clipPath"), 0);
    free(t);
}

Test(svg, numbers_ignore_lc_numeric)
{
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
                           "nl_NL.UTF-8", "ru_RU.UTF-8"};
    bool comma = false;
    for (int i = 0; i < 6 && !comma; i++)
        comma = setlocale(LC_NUMERIC, names[i]) && localeconv()->decimal_point[0] == ',';
    if (!comma) SKIP("no locale with a decimal comma is installed");
    doc d;
    doc_open(&d, "locale.svg", 100, 100);
    tg_plot_gc gc = plot_gc(0, 1.25f);
    gc.alpha = 0.125f;
    double xy[] = {12.25, 40.5, 60.75, 80};
    d.r.polyline(d.r.ctx, &gc, xy, 2);
    char *t = doc_close(&d);
    setlocale(LC_NUMERIC, "C");
    cr_expect_not_null(strstr(t, "d=\"M12.25 40.5L60.75 80\""), "%s", t);
    cr_expect_not_null(strstr(t, "stroke-width=\"1.25\""));
    cr_expect_not_null(strstr(t, "stroke-opacity=\"0.125\""));
    free(t);
}

/* ---- the atomic writer and what lies at the path (tensor/file.c) ------------------------ */

/* Writes `text` to path through tg_atomic_file; the status of open or commit. */
static tg_status atomic_write(const char *path, const char *text)
{
    tg_atomic_file af;
    tg_status st = tg_atomic_file_open(&af, path);
    if (st != TG_OK) return st;
    tg_atomic_file_printf(&af, "%s", text);
    return tg_atomic_file_commit(&af);
}

/* Writes `text` to a new regular file with plain stdio (the test's own setup). */
static void plain_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "creating %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* The whole content of path (at most 255 bytes) into buf; false when unreadable. */
static bool read_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
    return true;
}

static bool is_link_to(const char *link, const char *want)
{
    struct stat st;
    char buf[256];
    if (lstat(link, &st) != 0 || !S_ISLNK(st.st_mode)) return false;
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n < 0) return false;
    buf[n] = 0;
    return strcmp(buf, want) == 0;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

Test(svg, atomic_writer_writes_through_a_symlink)
{
    char target[256], link[256], link2[256], buf[256];
    snprintf(target, sizeof target, "%s/real.txt", svg_dir);
    snprintf(link, sizeof link, "%s/link.txt", svg_dir);
    snprintf(link2, sizeof link2, "%s/link2.txt", svg_dir);
    plain_write(target, "old content");
    cr_assert_eq(symlink("real.txt", link), 0);
    cr_assert_eq(atomic_write(link, "new bytes"), TG_OK, "%s", tg_last_error());
    cr_expect(is_link_to(link, "real.txt"), "the link stays a link to the same name");
    cr_expect(read_text(target, buf, sizeof buf));
    cr_expect_str_eq(buf, "new bytes");
    cr_expect(!exists(strcat(strcpy(buf, target), ".tmp")), "no temporary left");
    cr_expect(!exists(strcat(strcpy(buf, link), ".tmp")));
    /* A chain: link2 -> link.txt -> real.txt; both links stay. */
    cr_assert_eq(symlink("link.txt", link2), 0);
    cr_assert_eq(atomic_write(link2, "third"), TG_OK, "%s", tg_last_error());
    cr_expect(is_link_to(link2, "link.txt"));
    cr_expect(is_link_to(link, "real.txt"));
    cr_expect(read_text(target, buf, sizeof buf));
    cr_expect_str_eq(buf, "third");
    /* An absolute link. */
    remove(link);
    cr_assert_eq(symlink(target, link), 0);
    cr_assert_eq(atomic_write(link, "absolute"), TG_OK, "%s", tg_last_error());
    cr_expect(is_link_to(link, target));
    cr_expect(read_text(target, buf, sizeof buf));
    cr_expect_str_eq(buf, "absolute");
}

/* A link in sub/ pointing at ../other/data.bin: the relative target is read from the
 * link's directory, not from the working directory, and the temporary goes to other/. */
Test(svg, atomic_writer_follows_a_relative_link_into_another_directory)
{
    char sub[256], other[256], data[256], link[256], buf[256];
    snprintf(sub, sizeof sub, "%s/sub", svg_dir);
    snprintf(other, sizeof other, "%s/other", svg_dir);
    snprintf(data, sizeof data, "%s/other/data.bin", svg_dir);
    snprintf(link, sizeof link, "%s/sub/link.bin", svg_dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    cr_assert_eq(mkdir(other, 0700), 0);
    plain_write(data, "old");
    cr_assert_eq(symlink("../other/data.bin", link), 0);
    tg_status st = atomic_write(link, "new data");
    cr_expect_eq(st, TG_OK, "%s", tg_last_error());
    cr_expect(is_link_to(link, "../other/data.bin"));
    cr_expect(read_text(data, buf, sizeof buf));
    cr_expect_str_eq(buf, "new data");
    cr_expect(!exists(strcat(strcpy(buf, link), ".tmp")));
    cr_expect(!exists(strcat(strcpy(buf, data), ".tmp")));
    remove(link);
    remove(data);
    rmdir(sub);
    rmdir(other);
}

Test(svg, atomic_writer_creates_the_target_of_a_dangling_link)
{
    char sub[256], target[256], link[256], link2[256], buf[256];
    snprintf(sub, sizeof sub, "%s/dsub", svg_dir);
    snprintf(target, sizeof target, "%s/made.txt", svg_dir);
    snprintf(link, sizeof link, "%s/dangling.txt", svg_dir);
    snprintf(link2, sizeof link2, "%s/dsub/in_sub.txt", svg_dir);
    cr_assert(!exists(target));
    cr_assert_eq(symlink("made.txt", link), 0);
    cr_assert_eq(atomic_write(link, "created"), TG_OK, "%s", tg_last_error());
    cr_expect(is_link_to(link, "made.txt"));
    struct stat st;
    cr_assert_eq(lstat(target, &st), 0, "the target was created");
    cr_expect(S_ISREG(st.st_mode));
    cr_expect(read_text(target, buf, sizeof buf));
    cr_expect_str_eq(buf, "created");
    /* Dangling into another directory, relative to the link's directory. */
    cr_assert_eq(mkdir(sub, 0700), 0);
    remove(target);
    cr_assert_eq(symlink("../made.txt", link2), 0);
    cr_assert_eq(atomic_write(link2, "via sub"), TG_OK, "%s", tg_last_error());
    cr_expect(is_link_to(link2, "../made.txt"));
    cr_expect(read_text(target, buf, sizeof buf));
    cr_expect_str_eq(buf, "via sub");
    /* A link into a directory that does not exist: an error naming the path. */
    remove(link2);
    cr_assert_eq(symlink("nodir/x.txt", link2), 0);
    cr_expect_eq(atomic_write(link2, "x"), TG_ERR_IO);
    cr_expect_not_null(strstr(tg_last_error(), link2), "%s", tg_last_error());
    cr_expect(is_link_to(link2, "nodir/x.txt"));
    remove(link2);
    rmdir(sub);
}

/* Opening a FIFO for writing would block and renaming over it would replace it: refused
 * before anything is opened, directly or through a link; directories likewise. */
Test(svg, atomic_writer_refuses_fifos_and_directories, .timeout = 10)
{
    char fifo[256], link[256], dir[256], buf[256];
    snprintf(fifo, sizeof fifo, "%s/pipe", svg_dir);
    snprintf(link, sizeof link, "%s/to_pipe", svg_dir);
    snprintf(dir, sizeof dir, "%s/adir", svg_dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    tg_atomic_file af;
    cr_expect_eq(tg_atomic_file_open(&af, fifo), TG_ERR_IO);
    cr_expect_not_null(strstr(tg_last_error(), fifo), "names the path: %s", tg_last_error());
    cr_expect_not_null(strstr(tg_last_error(), "not a regular file"), "%s", tg_last_error());
    cr_expect_null(af.f);
    tg_atomic_file_abort(&af); /* harmless after a failed open */
    cr_assert_eq(symlink("pipe", link), 0);
    cr_expect_eq(atomic_write(link, "x"), TG_ERR_IO);
    cr_expect_not_null(strstr(tg_last_error(), link), "%s", tg_last_error());
    cr_expect_not_null(strstr(tg_last_error(), "not a regular file"), "%s", tg_last_error());
    struct stat st;
    cr_assert_eq(lstat(fifo, &st), 0);
    cr_expect(S_ISFIFO(st.st_mode), "still a FIFO");
    cr_expect(is_link_to(link, "pipe"));
    cr_expect(!exists(strcat(strcpy(buf, fifo), ".tmp")));
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_expect_eq(atomic_write(dir, "x"), TG_ERR_IO);
    cr_expect_not_null(strstr(tg_last_error(), "not a regular file"), "%s", tg_last_error());
    cr_expect(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode));
    cr_expect(!exists(strcat(strcpy(buf, dir), ".tmp")));
    remove(link);
    remove(fifo);
    rmdir(dir);
}

/* /dev/null must never be replaced (as root a rename could). Only open is called: even if
 * it wrongly succeeded, abort removes /dev/null.tmp and nothing is renamed. */
Test(svg, atomic_writer_refuses_dev_null)
{
    struct stat before, after;
    if (stat("/dev/null", &before) != 0 || !S_ISCHR(before.st_mode))
        SKIP("/dev/null is not a character device here");
    tg_atomic_file af;
    tg_status st = tg_atomic_file_open(&af, "/dev/null");
    if (st == TG_OK) tg_atomic_file_abort(&af);
    cr_expect_eq(st, TG_ERR_IO);
    cr_expect_not_null(strstr(tg_last_error(), "'/dev/null'"), "%s", tg_last_error());
    cr_expect_not_null(strstr(tg_last_error(), "not a regular file"), "%s", tg_last_error());
    cr_assert_eq(stat("/dev/null", &after), 0);
    cr_expect(S_ISCHR(after.st_mode), "still a character device");
    cr_expect_eq(after.st_rdev, before.st_rdev);
    cr_expect(!exists("/dev/null.tmp"));
}
