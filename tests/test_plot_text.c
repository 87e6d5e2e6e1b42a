/* tests/test_plot_text.c — the plots' text engine (plot/text.c): font choice and its one
 * warning, metrics against the rasterized ink, anchors, rotation, Unicode, invalid input.
 *
 * The font is chosen once per process and Criterion runs each test in its own process, so
 * a test picks its font by setting TG_PLOT_FONT before its first text call. Tests that need
 * DejaVu Sans point TG_PLOT_FONT at the Debian file and skip when it is not installed.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot/render.h"
#include "tensor/error.h"

#define DEJAVU "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define GRID 512 /* the grid the tests draw into: pixels (0..GRID-1)^2 */

/* ---- helpers ----------------------------------------------------------------------------- */

static atomic_int nwarnings;
static char warning_text[1024];

static void count_warning(const char *message, void *user)
{
    (void)user;
    if (atomic_fetch_add(&nwarnings, 1) == 0)
        snprintf(warning_text, sizeof warning_text, "%s", message);
}

/* Picks the font for this test's process and counts the warnings from now on. */
static void use_font(const char *value)
{
    if (value) setenv("TG_PLOT_FONT", value, 1);
    else unsetenv("TG_PLOT_FONT");
    tg_set_warning_handler(count_warning, NULL);
}

static void use_dejavu(void)
{
    if (access(DEJAVU, R_OK) != 0)
        cr_skip_test("needs " DEJAVU " (Debian fonts-dejavu-core)");
    use_font(DEJAVU);
}

/* What a rasterization put: bounding box, coverage-weighted centre, and (inside the grid)
 * the largest coverage per pixel. */
typedef struct ink {
    int n, bad;         /* pixels put; puts with a coverage outside 1..255 */
    int x0, y0, x1, y1; /* bounding box, inclusive */
    double mass, cx, cy;
    unsigned char (*grid)[GRID];
} ink;

static void put(void *ctx, int px, int py, int coverage)
{
    ink *k = ctx;
    if (coverage < 1 || coverage > 255) k->bad++;
    if (k->n++ == 0) k->x0 = k->x1 = px, k->y0 = k->y1 = py;
    if (px < k->x0) k->x0 = px;
    if (px > k->x1) k->x1 = px;
    if (py < k->y0) k->y0 = py;
    if (py > k->y1) k->y1 = py;
    k->mass += coverage;
    k->cx += coverage * (px + 0.5);
    k->cy += coverage * (py + 0.5);
    if (k->grid && px >= 0 && py >= 0 && px < GRID && py < GRID && k->grid[py][px] < coverage)
        k->grid[py][px] = (unsigned char)coverage;
}

static unsigned char grid_a[GRID][GRID], grid_b[GRID][GRID];

static ink draw(const char *s, double size, bool bold, double x, double y,
                tg_plot_halign halign, bool rot90, unsigned char (*grid)[GRID])
{
    ink k = {.grid = grid};
    if (grid) memset(grid, 0, sizeof grid_a);
    tg_plot_text_raster(s, size, bold, x, y, halign, rot90, put, &k);
    cr_assert_eq(k.bad, 0, "coverage outside 1..255 for \"%s\"", s);
    if (k.mass > 0) k.cx /= k.mass, k.cy /= k.mass;
    return k;
}

static double width(const char *s, double size) { return tg_plot_text_width(s, size, false); }

/* ---- font choice ------------------------------------------------------------------------- */

TestSuite(text);

Test(text, default_font_is_dejavu_without_warning)
{
    if (access(DEJAVU, R_OK) != 0) cr_skip_test("needs " DEJAVU);
    use_font(NULL);
    cr_assert(tg_plot_text_truetype());
    cr_assert_str_eq(tg_plot_text_family(), "DejaVu Sans");
    cr_assert_neq(strstr(tg_plot_text_path(), "DejaVuSans"), NULL, "%s", tg_plot_text_path());
    cr_assert_gt(width("Hello", 12), 0);
    cr_assert_eq(nwarnings, 0, "%s", warning_text);
}

Test(text, env_path_is_used_and_named)
{
    use_dejavu();
    cr_assert(tg_plot_text_truetype());
    cr_assert_str_eq(tg_plot_text_path(), DEJAVU);
    cr_assert_str_eq(tg_plot_text_family(), "DejaVu Sans"); /* from the file's name table */
    cr_assert_eq(nwarnings, 0, "%s", warning_text);
}

Test(text, bitmap_forced_warns_once)
{
    use_font("bitmap");
    for (int i = 0; i < 50; i++) {
        cr_assert_not(tg_plot_text_truetype());
        cr_assert_gt(width("Loss 0.25", 14), 0);
        draw("Epoch", 14, i % 2, 10, 40, TG_PLOT_HALIGN_LEFT, i % 3 == 0, NULL);
    }
    cr_assert_str_eq(tg_plot_text_family(), "sans-serif");
    cr_assert_str_eq(tg_plot_text_path(), "");
    cr_assert_eq(nwarnings, 1);
    cr_assert_neq(strstr(warning_text, "bitmap"), NULL, "%s", warning_text);
}

/* A missing TG_PLOT_FONT falls back to the next choice (DejaVu here) with one warning. */
Test(text, missing_env_font_falls_back_with_one_warning)
{
    use_font("/nonexistent/font.ttf");
    for (int i = 0; i < 10; i++) cr_assert_gt(width("abc", 12), 0);
    cr_assert_eq(nwarnings, 1);
    cr_assert_neq(strstr(warning_text, "/nonexistent/font.ttf"), NULL, "%s", warning_text);
    if (access(DEJAVU, R_OK) == 0) cr_assert_str_eq(tg_plot_text_path(), DEJAVU);
    else cr_assert_not(tg_plot_text_truetype());
}

/* Writes n bytes (header first, then pseudo-random bytes) to a temporary file. */
static void write_font_file(char *path, const void *header, size_t hn, size_t n)
{
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *fp = fdopen(fd, "wb");
    cr_assert_not_null(fp);
    srand(12345);
    for (size_t i = 0; i < n; i++)
        fputc(i < hn ? ((const unsigned char *)header)[i] : rand() & 0xff, fp);
    fclose(fp);
}

static void check_refused(const char *path)
{
    use_font(path);
    double w = width("Garbage in, text out", 16);
    ink k = draw("Garbage", 16, true, 20, 50, TG_PLOT_HALIGN_LEFT, false, NULL);
    cr_assert_gt(w, 0);
    cr_assert_gt(k.n, 0);
    cr_assert_eq(nwarnings, 1);
    cr_assert_neq(strstr(warning_text, path), NULL, "%s", warning_text);
    cr_assert_str_neq(tg_plot_text_path(), path);
}

Test(text, random_bytes_are_refused)
{
    char path[] = "/tmp/tg_text_random_XXXXXX";
    write_font_file(path, NULL, 0, 20000);
    check_refused(path);
    unlink(path);
}

/* A TrueType signature and a table directory pointing anywhere. */
Test(text, random_tables_are_refused)
{
    static const unsigned char sfnt[] = {0, 1, 0, 0, 0, 12};
    char path[] = "/tmp/tg_text_tables_XXXXXX";
    write_font_file(path, sfnt, sizeof sfnt, 20000);
    check_refused(path);
    unlink(path);
}

/* The first part of DejaVu Sans: its tables reach past the end of the file. */
Test(text, truncated_font_is_refused)
{
    FILE *in = fopen(DEJAVU, "rb");
    if (!in) cr_skip_test("needs " DEJAVU);
    static unsigned char head[60000];
    size_t n = fread(head, 1, sizeof head, in);
    fclose(in);
    cr_assert_eq(n, sizeof head);
    char path[] = "/tmp/tg_text_trunc_XXXXXX";
    write_font_file(path, head, n, n);
    check_refused(path);
    unlink(path);
}

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)be16(p) << 16 | be16(p + 2);
}

/* The table `tag` of a TrueType file in memory: its offset (0 when absent). */
static unsigned long table_at(const unsigned char *d, const char *tag)
{
    for (unsigned i = 0; i < be16(d + 4); i++)
        if (memcmp(d + 12 + 16 * i, tag, 4) == 0) return be32(d + 12 + 16 * i + 8);
    return 0;
}

/* DejaVu Sans whole, but one glyph's location points far past the glyph table: drawing
 * that glyph would read outside the file. */
Test(text, corrupt_glyph_locations_are_refused)
{
    FILE *in = fopen(DEJAVU, "rb");
    if (!in) cr_skip_test("needs " DEJAVU);
    static unsigned char d[1 << 20];
    size_t n = fread(d, 1, sizeof d, in);
    fclose(in);
    cr_assert(n > 100000 && n < sizeof d);
    unsigned long head = table_at(d, "head"), loca = table_at(d, "loca");
    cr_assert(head && loca);
    unsigned char *entry = d + loca + (be16(d + head + 50) ? 4 : 2) * 40;
    memset(entry, 0xff, be16(d + head + 50) ? 4 : 2);
    char path[] = "/tmp/tg_text_loca_XXXXXX";
    write_font_file(path, d, n, n);
    check_refused(path);
    unlink(path);
}

static void *measure_in_thread(void *arg)
{
    *(double *)arg = width("threads", 20);
    return NULL;
}

Test(text, first_use_from_many_threads_warns_once)
{
    use_font("bitmap");
    pthread_t t[8];
    double w[8];
    for (int i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, measure_in_thread, &w[i]), 0);
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    for (int i = 1; i < 8; i++) cr_assert_eq(w[i], w[0]);
    cr_assert_eq(nwarnings, 1);
}

/* ---- TrueType metrics and raster --------------------------------------------------------- */

Test(text, width_scales_with_size)
{
    use_dejavu();
    const char *s = "Validation loss, epoch 12";
    double w1 = width(s, 13.89), w2 = width(s, 27.78);
    cr_assert_gt(w1, 50);
    cr_assert_lt(fabs(w2 / w1 - 2.0), 0.02, "%g %g", w1, w2);
    /* Roughly half an em per character, as for any proportional sans-serif. */
    cr_assert(w1 > 0.4 * 13.89 * strlen(s) && w1 < 0.8 * 13.89 * strlen(s), "%g", w1);
    cr_assert_eq(width("", 12), 0);
    cr_assert_gt(tg_plot_text_width("Hello", 20, true), width("Hello", 20));
}

Test(text, kerning_tightens_av)
{
    use_dejavu();
    double av = width("AV", 100), a = width("A", 100), v = width("V", 100);
    cr_assert_lt(av, a + v - 1.0, "AV %g, A + V %g", av, a + v);
    /* Without a kerning pair, a run is the sum of its parts. */
    cr_assert_float_eq(width("HH", 100), 2 * width("H", 100), 1e-9);
}

/* "I" of DejaVu Sans is a plain bar as tall as "H": down a column through it, coverage is
 * the same in every row but the partly covered top (and bottom) one, so the column's
 * coverage over its largest is the bar's height to a fraction of a pixel. */
typedef struct column {
    int x;       /* the column of most ink */
    int full;    /* its largest coverage */
    double height;
} column;

static column bar_column(unsigned char (*g)[GRID])
{
    column c = {0, 0, 0};
    double best = 0;
    for (int x = 0; x < GRID; x++) {
        double sum = 0;
        for (int y = 0; y < GRID; y++) sum += g[y][x];
        if (sum > best) best = sum, c.x = x;
    }
    for (int y = 0; y < GRID; y++)
        if (g[y][c.x] > c.full) c.full = g[y][c.x];
    c.height = c.full ? best / c.full : 0;
    return c;
}

static void check_cap_height(double size)
{
    double asc, desc, cap;
    tg_plot_text_vmetrics(size, false, &asc, &desc, &cap);
    cr_assert(cap > 0.6 * size && cap < 0.8 * size, "cap %g at %g", cap, size);
    cr_assert(asc > cap && desc > 0 && desc < asc, "%g %g %g", asc, desc, cap);
    ink k = draw("H", size, false, 100, 200, TG_PLOT_HALIGN_LEFT, false, NULL);
    cr_assert_eq(k.y1, 199, "the ink ends just above the baseline y = 200");
    cr_assert_leq(fabs((k.y1 - k.y0 + 1) - cap), 1.0, "box %d rows, cap %g", k.y1 - k.y0 + 1,
                  cap);
    draw("I", size, false, 100, 200, TG_PLOT_HALIGN_LEFT, false, grid_a);
    column c = bar_column(grid_a);
    cr_assert_leq(fabs(c.height - cap), 0.15, "bar %g, cap %g", c.height, cap);
    cr_assert_geq(grid_a[199][c.x], c.full - 2, "the bottom row is fully inked");
    cr_assert_eq(grid_a[200][c.x], 0);
}

Test(text, cap_height_matches_ink_at_100_and_200_dpi)
{
    use_dejavu();
    check_cap_height(13.89);
    check_cap_height(27.78);
}

Test(text, accents_and_descenders_stay_within_vmetrics)
{
    use_dejavu();
    double asc, desc, cap;
    tg_plot_text_vmetrics(40, false, &asc, &desc, &cap);
    ink up = draw("ÉÀ", 40, false, 10, 200, TG_PLOT_HALIGN_LEFT, false, NULL);
    ink down = draw("gjpqy", 40, false, 10, 200, TG_PLOT_HALIGN_LEFT, false, NULL);
    cr_assert_lt(up.y0, 200 - cap, "accents rise above the capitals");
    cr_assert_geq(up.y0, 200 - asc - 1);
    cr_assert_gt(down.y1, 200 + 0.1 * desc, "descenders go below the baseline");
    cr_assert_lt(down.y1, 200 + desc + 1);
}

/* Half a pixel down, the bottom row of "I" is half inked. */
Test(text, baseline_is_subpixel)
{
    use_dejavu();
    ink k = draw("I", 20, false, 100, 200.5, TG_PLOT_HALIGN_LEFT, false, grid_a);
    column c = bar_column(grid_a);
    cr_assert_eq(k.y1, 200);
    cr_assert(abs(2 * grid_a[200][c.x] - c.full) <= 4, "bottom %d of %d", grid_a[200][c.x],
              c.full);
}

Test(text, glyphs_move_by_fractions_of_a_pixel)
{
    use_dejavu();
    ink a = draw("H", 20, false, 100.0, 100, TG_PLOT_HALIGN_LEFT, false, NULL);
    ink b = draw("H", 20, false, 100.25, 100, TG_PLOT_HALIGN_LEFT, false, NULL);
    ink c = draw("H", 20, false, 100.5, 100, TG_PLOT_HALIGN_LEFT, false, NULL);
    cr_assert_float_eq(b.cx - a.cx, 0.25, 0.03);
    cr_assert_float_eq(c.cx - a.cx, 0.5, 0.03);
    cr_assert_float_eq(b.cy, a.cy, 0.02);
    /* The second H of "HH" is the first moved by the measured advance. */
    ink hh = draw("HH", 20, false, 100.0, 100, TG_PLOT_HALIGN_LEFT, false, NULL);
    cr_assert_float_eq(hh.cx, a.cx + width("H", 20) / 2, 0.03);
}

Test(text, halign_shifts_by_the_measured_width)
{
    use_dejavu();
    double w = width("H", 30);
    ink left = draw("H", 30, false, 200, 100, TG_PLOT_HALIGN_LEFT, false, NULL);
    ink centre = draw("H", 30, false, 200, 100, TG_PLOT_HALIGN_CENTER, false, NULL);
    ink right = draw("H", 30, false, 200, 100, TG_PLOT_HALIGN_RIGHT, false, NULL);
    cr_assert_leq(fabs(centre.cx - 200), 1.0, "H is symmetric: centred on x, %g", centre.cx);
    cr_assert_float_eq(left.cx - centre.cx, w / 2, 0.05);
    cr_assert_float_eq(centre.cx - right.cx, w / 2, 0.05);
    cr_assert_geq(left.x0, 200);
    cr_assert_lt(right.x1, 200);
    ink text = draw("Loss (log scale)", 14, false, 200, 100, TG_PLOT_HALIGN_CENTER, false,
                    NULL);
    double wt = width("Loss (log scale)", 14);
    cr_assert(text.x0 >= 200 - wt / 2 - 1 && text.x1 <= 200 + wt / 2 + 1);
}

/* Turned, the raster is the upright one transposed: upright (x + u, y + v) lands on
 * (x + v, y - u - 1) for whole-pixel anchors. */
static void check_rotation(tg_plot_halign h)
{
    const char *s = "Loss, j";
    draw(s, 18, false, 200, 200, h, false, grid_a);
    ink r = draw(s, 18, false, 200, 200, h, true, grid_b);
    int mismatches = 0;
    for (int v = -60; v < 60; v++)
        for (int u = -150; u < 150; u++)
            mismatches += grid_a[200 + v][200 + u] != grid_b[200 - u - 1][200 + v];
    cr_assert_eq(mismatches, 0, "halign %d", (int)h);
    cr_assert_gt(r.n, 50);
}

Test(text, rot90_is_the_transposed_raster)
{
    use_dejavu();
    check_rotation(TG_PLOT_HALIGN_LEFT);
    check_rotation(TG_PLOT_HALIGN_CENTER);
    check_rotation(TG_PLOT_HALIGN_RIGHT);
    double asc, desc, cap, w = width("Loss", 18);
    tg_plot_text_vmetrics(18, false, &asc, &desc, &cap);
    ink left = draw("Loss", 18, false, 200, 200, TG_PLOT_HALIGN_LEFT, true, NULL);
    cr_assert_lt(left.y1, 200, "LEFT: the text starts at y and goes up");
    cr_assert_geq(left.y0, 200 - w - 1);
    cr_assert_leq(left.x1, 200, "glyph tops point left; round letters dip below by < 1 px");
    cr_assert_geq(left.x0, 200 - asc - 1);
    ink right = draw("Loss", 18, false, 200, 200, TG_PLOT_HALIGN_RIGHT, true, NULL);
    cr_assert_geq(right.y0, 200, "RIGHT: the text ends at y");
    ink centre = draw("H", 18, false, 200, 200, TG_PLOT_HALIGN_CENTER, true, NULL);
    cr_assert_leq(fabs(centre.cy - 200), 1.0);
}

Test(text, unicode_symbols_have_their_own_glyphs)
{
    use_dejavu();
    const char *symbols[] = {"σ", "μ", "±", "—"};
    double missing = width("\xee\x80\x80", 20); /* U+E000: not in DejaVu Sans */
    for (int i = 0; i < 4; i++) {
        double w = width(symbols[i], 20);
        ink k = draw(symbols[i], 20, false, 50, 50, TG_PLOT_HALIGN_LEFT, false, NULL);
        cr_assert_gt(k.n, 5, "%s has ink", symbols[i]);
        cr_assert_gt(w, 0);
        cr_assert_neq(w, width("?", 20), "%s is not drawn as '?'", symbols[i]);
        cr_assert_neq(w, missing, "%s is not the missing glyph", symbols[i]);
    }
    cr_assert_gt(width("—", 20), width("-", 20) * 2, "an em dash is wider than a hyphen");
    cr_assert_float_eq(width("σ μ ± —", 20),
                       width("σ", 20) + width("μ", 20) + width("±", 20) + width("—", 20) +
                           3 * width(" ", 20),
                       0.5);
}

Test(text, invalid_utf8_is_one_replacement_per_byte)
{
    use_dejavu();
#define R "\xef\xbf\xbd" /* U+FFFD */
    cr_assert_float_eq(width("\xff", 20), width(R, 20), 1e-9);
    cr_assert_float_eq(width("\xc0\xaf", 20), width(R R, 20), 1e-9);             /* overlong */
    cr_assert_float_eq(width("a\xe2\x82", 20), width("a" R R, 20), 1e-9);        /* truncated */
    cr_assert_float_eq(width("\xed\xa0\x80", 20), width(R R R, 20), 1e-9);       /* surrogate */
    cr_assert_float_eq(width("\xf4\x90\x80\x80", 20), width(R R R R, 20), 1e-9); /* big */
    cr_assert_lt(width("é€", 20), width(R R, 20) + width(R R R, 20)); /* valid: 2 glyphs */
#undef R
    const char *bad[] = {"\x80", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xfe\xff\xc0", "ab\xf8"};
    for (int i = 0; i < 6; i++) {
        ink k = draw(bad[i], 20, false, 50, 50, TG_PLOT_HALIGN_CENTER, i % 2, NULL);
        cr_assert_gt(k.n, 0);
    }
}

Test(text, degenerate_input_draws_nothing)
{
    use_dejavu();
    const double sizes[] = {0, -5, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(width("abc", sizes[i]), 0);
        cr_assert_eq(draw("abc", sizes[i], false, 10, 10, 0, false, NULL).n, 0);
    }
    cr_assert_eq(width(NULL, 12), 0);
    cr_assert_eq(draw(NULL, 12, false, 10, 10, 0, false, NULL).n, 0);
    cr_assert_eq(draw("far", 12, false, 1e300, 10, 0, false, NULL).n, 0);
    cr_assert_eq(draw("far", 12, false, NAN, 10, 0, true, NULL).n, 0);
    tg_plot_text_raster("x", 12, false, 0, 0, TG_PLOT_HALIGN_LEFT, false, NULL, NULL);
    /* Big is fine: one glyph box of several hundred thousand pixels. */
    ink big = draw("W", 600, true, 0, 500, TG_PLOT_HALIGN_LEFT, false, NULL);
    cr_assert_gt(big.x1 - big.x0, 400);
    cr_assert_eq(tg_plot_text_svg_size(13.89), 13.89);
}

/* ---- the bitmap fallback ----------------------------------------------------------------- */

Test(text, bitmap_metrics_follow_the_integer_scale)
{
    use_font("bitmap");
    /* Scale max(1, round(size * 0.729 / 7)): capitals about DejaVu's cap height. */
    cr_assert_eq(width("Hello 42", 13.89), tg_font_width("Hello 42", 1));
    cr_assert_eq(width("Hello 42", 27.78), tg_font_width("Hello 42", 3));
    cr_assert_eq(width("Hello 42", 2), tg_font_width("Hello 42", 1));
    cr_assert_eq(tg_plot_text_width("Hello", 13.89, true), tg_font_width("Hello", 1) + 1);
    double asc, desc, cap;
    tg_plot_text_vmetrics(27.78, false, &asc, &desc, &cap);
    cr_assert_eq(cap, 7 * 3);
    cr_assert(asc >= cap && desc > 0);
    /* Non-ASCII draws as '?', one per code point. */
    cr_assert_eq(width("σ±", 14), width("??", 14));
    /* The SVG size grows with the bitmap scale, about 9 px of em per bitmap pixel. */
    double s1 = tg_plot_text_svg_size(13.89), s3 = tg_plot_text_svg_size(27.78);
    cr_assert_float_eq(s3, 3 * s1, 1e-9);
    cr_assert(s1 > 7 && s1 < 12, "%g", s1);
}

Test(text, bitmap_raster_sits_on_the_baseline)
{
    use_font("bitmap");
    ink h = draw("H", 20, false, 100, 100, TG_PLOT_HALIGN_LEFT, false, grid_a); /* scale 2 */
    cr_assert_eq(h.y1, 99);
    cr_assert_eq(h.y0, 100 - 14);
    cr_assert_eq(h.x0, 100);
    cr_assert_eq(h.x1 - h.x0 + 1, tg_font_width("H", 2));
    ink bold = draw("H", 20, true, 100, 100, TG_PLOT_HALIGN_LEFT, false, NULL);
    cr_assert_eq(bold.x1, h.x1 + 1, "synthesized bold: drawn again one pixel on");
    cr_assert_gt(bold.n, h.n);
    ink right = draw("HI", 20, false, 100, 100, TG_PLOT_HALIGN_RIGHT, false, NULL);
    cr_assert_eq(right.x1, 99);
    ink centre = draw("HH", 20, false, 100, 100, TG_PLOT_HALIGN_CENTER, false, NULL);
    cr_assert_leq(fabs(centre.cx - 100), 1.0);
    ink up = draw("Hg", 20, false, 100, 100, TG_PLOT_HALIGN_LEFT, true, NULL);
    cr_assert_eq(up.y1, 99, "rot90: starts at y and goes up");
    cr_assert_eq(up.x0, 100 - 14, "glyph tops to the left");
    cr_assert_gt(up.x1, 100, "the descender of g crosses the baseline");
}

Test(text, bitmap_rot90_is_the_transposed_raster)
{
    use_font("bitmap");
    check_rotation(TG_PLOT_HALIGN_LEFT);
    check_rotation(TG_PLOT_HALIGN_RIGHT);
}
