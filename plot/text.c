/* plot/text.c — the plots' text engine: one process-wide font, measured and rasterized for
 * the renderers as render.h ("text engine") describes.
 *
 * The font is chosen once per process (pthread_once): the file TG_PLOT_FONT names (or the
 * bitmap font when it says "bitmap"), the standard Debian file of DejaVu Sans, DejaVu Sans
 * through fontconfig when that file is missing (when built with fontconfig), and last the
 * bitmap font of font.c. Bold is the "-Bold" file beside the regular one (fontconfig: its
 * bold match), else the regular face; the bitmap font draws bold twice, 1 px apart.
 * A TrueType file is read
 * whole into memory and kept until exit; stb_truetype (whose implementation lives in
 * Debian's libstb) gives advance widths, kerning and anti-aliased glyphs, placed with
 * sub-pixel precision. Whatever goes wrong on the way (a missing or broken file, no
 * TrueType font at all) is told once through tg_warn, and the next choice is taken:
 * choosing a font never aborts.
 *
 * What this is not: a text layout engine. One line, one font, left to right: no shaping
 * (ligatures, combining marks, right-to-left scripts), no fallback font for characters the
 * font lacks (they draw as its missing-glyph box), no hinting, no line breaking. Nor is it
 * a font validator: the tables stb_truetype indexes blindly (directory, metrics, glyph
 * locations, character map, kerning pairs) are checked against the file, so a truncated
 * or random file is refused, but the glyph outlines and the GPOS table of a file crafted
 * to mislead stb_truetype are trusted like the system's own fonts.
 */
#include "plot/render.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_truetype.h> /* declarations only: the implementation is in libstb */

#ifdef TG_HAVE_FONTCONFIG
#include <fontconfig/fontconfig.h>
#endif

#include "tensor/error.h"

#define STANDARD_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define MAX_FONT_BYTES ((size_t)32 << 20)
#define MAX_GLYPH_PIXELS ((int64_t)16 << 20) /* a glyph with a larger box is not drawn */
#define MAX_COORD 1e9                        /* text anchored farther out is not drawn */
#define MAX_RASTER_SIZE 1e5                  /* nor text larger than this (px per em) */
#define PATH_LEN 4096
#define PROBLEM_LEN 480

/* DejaVu Sans' cap height is 0.729 em: the bitmap font's 7-row capitals are scaled to it. */
#define CAP_EM 0.729
/* The em (px) at which DejaVu Sans sets the ASCII letters and digits as wide as the bitmap
 * font does at scale 1 (359 columns against 38.48 em): the SVG of a bitmap-font layout
 * asks for this times the scale, so that its text is about as wide. */
#define BITMAP_SVG_EM 9.3

typedef struct face {
    unsigned char *data; /* the whole file; NULL: no face */
    size_t size;
    int offset;          /* of the font in the file (collections hold several) */
    int nglyphs;
    stbtt_fontinfo info;
} face;

static struct {
    bool truetype;
    face regular, bold; /* bold.data NULL: bold text uses the regular face */
    char path[PATH_LEN];
    char family[64];
} font;

static pthread_once_t font_once = PTHREAD_ONCE_INIT;

/* ---- reading and checking a font file ---------------------------------------------------- */

static unsigned u16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t u32(const unsigned char *p) { return (uint32_t)u16(p) << 16 | u16(p + 2); }

/* Appends "; "-separated text to the problem list (truncated when full). */
static void note(char *problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(char *problems, const char *fmt, ...)
{
    size_t len = strlen(problems);
    if (len + 3 >= PROBLEM_LEN) return;
    if (len) len += (size_t)snprintf(problems + len, PROBLEM_LEN - len, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problems + len, PROBLEM_LEN - len, fmt, ap);
    va_end(ap);
}

/* The whole file, at most MAX_FONT_BYTES; NULL with errno-like *err (EFBIG: too large). */
static unsigned char *read_file(const char *path, size_t *size, int *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *err = errno;
        return NULL;
    }
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    *err = 0;
    errno = 0;
    for (;;) {
        if (len > MAX_FONT_BYTES) {
            *err = EFBIG;
            break;
        }
        if (len == cap) { /* grows up to one byte past the limit, to see it exceeded */
            size_t ncap = cap ? cap * 2 : (size_t)1 << 16;
            if (ncap > MAX_FONT_BYTES + 1) ncap = MAX_FONT_BYTES + 1;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                *err = ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp)) *err = errno ? errno : EIO;
            break;
        }
    }
    fclose(fp);
    if (*err) {
        free(buf);
        return NULL;
    }
    *size = len;
    return buf;
}

typedef struct span {
    size_t at, len;
} span;

/* The table `tag` of the font at `off` in d ({0, 0} when absent); the directory is known
 * to lie in the file. */
static span find_table(const unsigned char *d, size_t off, const char *tag)
{
    unsigned nt = u16(d + off + 4);
    for (unsigned i = 0; i < nt; i++) {
        const unsigned char *r = d + off + 12 + 16 * (size_t)i;
        if (memcmp(r, tag, 4) == 0) return (span){u32(r + 8), u32(r + 12)};
    }
    return (span){0, 0};
}

/* Glyph locations: in order, each glyph inside glyf and at least a header long. */
static const char *check_loca(const unsigned char *d, span loca, span glyf, unsigned nglyphs,
                              unsigned format)
{
    if (format > 1) return "bad glyph location format";
    size_t step = format ? 4 : 2;
    if (loca.len / step < (size_t)nglyphs + 1) return "short glyph location table";
    uint64_t prev = 0;
    for (unsigned i = 0; i <= nglyphs; i++) {
        const unsigned char *p = d + loca.at + i * step;
        uint64_t o = format ? u32(p) : 2 * (uint64_t)u16(p);
        if (o < prev || o > glyf.len || (i > 0 && o > prev && o - prev < 10))
            return "bad glyph locations";
        prev = o;
    }
    return NULL;
}

/* What is wrong with the tables stb_truetype reads without bounds checks, or NULL. */
static const char *check_tables(const unsigned char *d, size_t n, size_t off)
{
    if (off > n || n - off < 12 || (n - off - 12) / 16 < u16(d + off + 4))
        return "truncated table directory";
    for (unsigned i = 0, nt = u16(d + off + 4); i < nt; i++) {
        const unsigned char *r = d + off + 12 + 16 * (size_t)i;
        uint64_t at = u32(r + 8), len = u32(r + 12);
        if (at > n || len > n - at) return "a table lies past the end of the file";
    }
    span head = find_table(d, off, "head"), hhea = find_table(d, off, "hhea");
    span maxp = find_table(d, off, "maxp"), hmtx = find_table(d, off, "hmtx");
    span cmap = find_table(d, off, "cmap"), kern = find_table(d, off, "kern");
    span loca = find_table(d, off, "loca"), glyf = find_table(d, off, "glyf");
    if (head.len < 54 || hhea.len < 36 || maxp.len < 6 || cmap.len < 4)
        return "a required table is missing or short";
    unsigned upem = u16(d + head.at + 18), nglyphs = u16(d + maxp.at + 4);
    unsigned nlong = u16(d + hhea.at + 34);
    if (upem < 16 || upem > 16384) return "bad units per em";
    if (nglyphs == 0 || nlong == 0 || nlong > nglyphs ||
        hmtx.len < 4 * (size_t)nlong + 2 * (size_t)(nglyphs - nlong))
        return "bad horizontal metrics";
    if ((cmap.len - 4) / 8 < u16(d + cmap.at + 2)) return "bad character map";
    if (kern.len && (kern.len < 18 || (kern.len - 18) / 6 < u16(d + kern.at + 10)))
        return "bad kerning table";
    if (loca.len || glyf.len) return check_loca(d, loca, glyf, nglyphs, u16(d + head.at + 50));
    return find_table(d, off, "CFF ").len ? NULL : "no glyph outlines";
}

/* The character map subtable stb_truetype chose (absolute offset im) lies in cmap. */
static const char *check_cmap(const unsigned char *d, size_t off, size_t im)
{
    span cmap = find_table(d, off, "cmap");
    size_t end = cmap.at + cmap.len;
    if (im < cmap.at || im > end || end - im < 16) return "bad character map";
    uint64_t len, need;
    switch (u16(d + im)) {
    case 0: len = need = 262; break;
    case 4: { /* its 16-bit length is wrong in some large fonts: the room left is used */
        unsigned seg2 = u16(d + im + 6);
        len = end - im;
        need = 16 + 4 * (uint64_t)seg2;
        if (u16(d + im + 8) > seg2 || u16(d + im + 12) > seg2) return "bad character map";
        break;
    }
    case 6: len = need = 10 + 2 * (uint64_t)u16(d + im + 8); break;
    case 12:
    case 13: len = u32(d + im + 4); need = 16 + 12 * (uint64_t)u32(d + im + 12); break;
    default: return NULL; /* stb_truetype maps nothing through other formats */
    }
    return need <= len && len <= end - im ? NULL : "bad character map";
}

/* Loads the font `index` of the file at path into f. On failure *err is an errno (ENOENT:
 * no such file) or -1 with *why saying what is wrong with the file. */
static bool load_face(face *f, const char *path, int index, int *err, const char **why)
{
    size_t n = 0;
    unsigned char *d = read_file(path, &n, err);
    *why = NULL;
    if (!d) return false;
    int off = -1;
    if (n >= 12 + 4 * ((size_t)index + 1)) off = stbtt_GetFontOffsetForIndex(d, index);
    if (off < 0) *why = "not a TrueType or OpenType font";
    if (!*why) *why = check_tables(d, n, (size_t)off);
    if (!*why && !stbtt_InitFont(&f->info, d, off)) *why = "stb_truetype cannot read it";
    if (!*why) *why = check_cmap(d, (size_t)off, (size_t)f->info.index_map);
    if (*why) {
        *err = -1;
        free(d);
        return false;
    }
    f->data = d;
    f->size = n;
    f->offset = off;
    f->nglyphs = (int)u16(d + find_table(d, (size_t)off, "maxp").at + 4);
    return true;
}

/* Describes a failed load_face into the problem list. */
static void note_failure(char *problems, const char *what, const char *path, int err,
                         const char *why)
{
    note(problems, "%s%s: %s", what, path,
         err == -1 ? why : err == EFBIG ? "larger than 32 MB" : strerror(err));
}

/* The family name in the font's name table; "" when none. */
static void read_family(const face *f, char *out, size_t cap)
{
    static const int ids[2][3] = {{3, 1, 0x409}, {1, 0, 0}}; /* Windows Unicode, Mac Roman */
    span nm = find_table(f->data, (size_t)f->offset, "name");
    out[0] = '\0';
    if (nm.len < 6 || (nm.len - 6) / 12 < u16(f->data + nm.at + 2)) return;
    for (int k = 0; k < 2 && !out[0]; k++) {
        int len = 0;
        const char *s = stbtt_GetFontNameString(&f->info, &len, ids[k][0], ids[k][1],
                                                ids[k][2], 1);
        uintptr_t lo = (uintptr_t)f->data, p = (uintptr_t)s;
        if (!s || len <= 0 || p < lo || p - lo > f->size || (size_t)len > f->size - (p - lo))
            continue;
        size_t o = 0;
        int step = k == 0 ? 2 : 1;
        for (int i = step - 1; i < len && o + 1 < cap; i += step)
            if (k == 1 || s[i - 1] == 0) out[o++] = s[i]; /* UTF-16: its ASCII only */
        out[o] = '\0';
    }
}

/* ---- choosing the font ------------------------------------------------------------------- */

/* path with "-Bold" before its extension (DejaVuSans.ttf -> DejaVuSans-Bold.ttf). */
static bool bold_sibling(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash)) dot = path + strlen(path);
    int n = snprintf(out, cap, "%.*s-Bold%s", (int)(dot - path), path, dot);
    return n > 0 && (size_t)n < cap;
}

/* Loads the bold face from path; a missing file is no problem (bold uses the regular). */
static void try_bold(const char *path, int index, char *problems)
{
    int err;
    const char *why;
    if (strcmp(path, font.path) == 0) return;
    if (!load_face(&font.bold, path, index, &err, &why) && err != ENOENT)
        note_failure(problems, "bold face ", path, err, why);
}

/* Makes the file at path (font `index` in it) the font; `family` NULL: read it from the
 * file. bold_path NULL: the "-Bold" sibling. */
static bool try_font(const char *path, int index, const char *family, const char *bold_path,
                     int bold_index, const char *what, char *problems)
{
    int err;
    const char *why;
    if (strlen(path) >= sizeof font.path) {
        note(problems, "%s%.64s...: path too long", what, path);
        return false;
    }
    if (!load_face(&font.regular, path, index, &err, &why)) {
        note_failure(problems, what, path, err, why);
        return false;
    }
    font.truetype = true;
    snprintf(font.path, sizeof font.path, "%s", path);
    if (family) snprintf(font.family, sizeof font.family, "%s", family);
    else read_family(&font.regular, font.family, sizeof font.family);
    /* The name goes into SVG attributes: printable ASCII without markup characters. */
    char *o = font.family;
    for (const char *c = font.family; *c; c++)
        if (*c >= 32 && *c < 127 && !strchr("<>&\"'\\", *c)) *o++ = *c;
    *o = '\0';
    if (!font.family[0]) snprintf(font.family, sizeof font.family, "sans-serif");
    char sibling[PATH_LEN];
    if (bold_path) try_bold(bold_path, bold_index, problems);
    else if (bold_sibling(path, sibling, sizeof sibling)) try_bold(sibling, 0, problems);
    return true;
}

#ifdef TG_HAVE_FONTCONFIG
typedef struct fc_match {
    char file[PATH_LEN];
    char family[64];
    int index, weight;
} fc_match;

/* The font fontconfig picks for `family` at `weight`, upright and of normal width. */
static bool fc_find(const char *family, int weight, fc_match *out)
{
    FcPattern *pat = FcPatternCreate(), *m = NULL;
    FcResult res;
    FcChar8 *s;
    bool ok = false;
    if (!pat) return false;
    FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)family);
    FcPatternAddInteger(pat, FC_WEIGHT, weight);
    FcPatternAddInteger(pat, FC_SLANT, FC_SLANT_ROMAN);
    FcPatternAddInteger(pat, FC_WIDTH, FC_WIDTH_NORMAL);
    if (FcConfigSubstitute(NULL, pat, FcMatchPattern)) {
        FcDefaultSubstitute(pat);
        m = FcFontMatch(NULL, pat, &res);
    }
    if (m && FcPatternGetString(m, FC_FILE, 0, &s) == FcResultMatch &&
        strlen((const char *)s) < sizeof out->file) {
        snprintf(out->file, sizeof out->file, "%s", (const char *)s);
        out->family[0] = '\0';
        if (FcPatternGetString(m, FC_FAMILY, 0, &s) == FcResultMatch)
            snprintf(out->family, sizeof out->family, "%s", (const char *)s);
        if (FcPatternGetInteger(m, FC_INDEX, 0, &out->index) != FcResultMatch) out->index = 0;
        if (FcPatternGetInteger(m, FC_WEIGHT, 0, &out->weight) != FcResultMatch)
            out->weight = FC_WEIGHT_REGULAR;
        out->index &= 0xffff; /* the high bits name a variable font's instance */
        ok = true;
    }
    if (m) FcPatternDestroy(m);
    FcPatternDestroy(pat);
    return ok;
}

/* DejaVu Sans (or what fontconfig offers for it) and its bold. */
static bool try_fontconfig(char *problems)
{
    fc_match reg, bold;
    if (!fc_find("DejaVu Sans", FC_WEIGHT_REGULAR, &reg)) {
        note(problems, "fontconfig matches no font for DejaVu Sans");
        return false;
    }
    if (strcmp(reg.file, STANDARD_FONT) == 0) return false; /* tried already */
    const char *family = reg.family[0] ? reg.family : NULL;
    bool has_bold = fc_find(family ? family : "DejaVu Sans", FC_WEIGHT_BOLD, &bold) &&
                    bold.weight >= FC_WEIGHT_DEMIBOLD && strcmp(bold.file, reg.file) != 0 &&
                    (!family || strcmp(bold.family, family) == 0);
    return try_font(reg.file, reg.index, family, has_bold ? bold.file : NULL,
                    has_bold ? bold.index : 0, "fontconfig's ", problems);
}
#endif

/* Tells once what the choice was when it was not the plain one. */
static void announce(bool forced_bitmap, const char *problems)
{
    if (forced_bitmap)
        tg_warn(TG_NOWHERE, "plot",
                "TG_PLOT_FONT=bitmap: text is drawn with the built-in bitmap font "
                "(ASCII only)");
    else if (!font.truetype)
        tg_warn(TG_NOWHERE, "plot",
                "no TrueType font found (%s); install DejaVu Sans (Debian: fonts-dejavu-core) "
                "or set TG_PLOT_FONT to a .ttf file; text falls back to the built-in bitmap "
                "font (ASCII only)",
                problems[0] ? problems : "no candidate");
    else if (problems[0])
        tg_warn(TG_NOWHERE, "plot", "%s; text uses %s", problems, font.path);
}

static void choose_font(void)
{
    char problems[PROBLEM_LEN] = "";
    const char *env = getenv("TG_PLOT_FONT");
    bool forced_bitmap = env && strcmp(env, "bitmap") == 0;
    if (env && env[0] && !forced_bitmap)
        try_font(env, 0, NULL, NULL, 0, "TG_PLOT_FONT=", problems);
    /* The standard file, when it is there, before fontconfig: on Debian fontconfig finds
     * this very file for DejaVu Sans, and fontconfig 2.14 loses ~300 bytes of its parsed
     * configuration on first use, which LeakSanitizer and valgrind report as a leak. */
    bool standard = access(STANDARD_FONT, F_OK) == 0;
    if (!font.truetype && !forced_bitmap && standard)
        try_font(STANDARD_FONT, 0, NULL, NULL, 0, "", problems);
#ifdef TG_HAVE_FONTCONFIG
    if (!font.truetype && !forced_bitmap) try_fontconfig(problems);
#endif
    if (!font.truetype && !forced_bitmap && !standard)
        note(problems, "%s: %s", STANDARD_FONT, strerror(ENOENT));
    if (!font.truetype) snprintf(font.family, sizeof font.family, "sans-serif");
    announce(forced_bitmap, problems);
}

static void ensure_font(void) { pthread_once(&font_once, choose_font); }

/* ---- TrueType text ----------------------------------------------------------------------- */

int tg_plot_utf8_next(const char *s, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    static const uint32_t mins[5] = {0, 0, 0x80, 0x800, 0x10000};
    int len = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3
                                : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    *cp = 0xFFFD;
    if (len == 0) return 1; /* a stray continuation byte or 0xF8..0xFF */
    uint32_t v = len == 1 ? p[0] : p[0] & (0x7Fu >> len);
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 1; /* also stops at the terminating NUL */
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (v < mins[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 1;
    *cp = v;
    return len;
}

/* The next code point of *s, advancing it (U+FFFD for an invalid byte); 0 at the end. */
static uint32_t next_codepoint(const char **s)
{
    uint32_t cp = 0;
    if (**s) *s += tg_plot_utf8_next(*s, &cp);
    return cp;
}

static const face *face_for(bool bold)
{
    return bold && font.bold.data ? &font.bold : &font.regular;
}

/* px per font unit at `size` px per em. */
static double em_scale(const face *f, double size)
{
    return size * (double)stbtt_ScaleForMappingEmToPixels(&f->info, 1.0f);
}

/* A line of glyphs: each one's origin on the baseline, in font units from the start. */
typedef struct run {
    const face *f;
    const char *s;
    int prev;    /* the previous glyph, for kerning; -1 at the start */
    int64_t pen; /* font units */
} run;

static bool run_next(run *r, int *glyph, int64_t *origin)
{
    uint32_t cp = next_codepoint(&r->s);
    if (!cp) return false;
    int g = stbtt_FindGlyphIndex(&r->f->info, (int)cp), adv, lsb;
    if (g < 0 || g >= r->f->nglyphs) g = 0; /* the metrics cover nglyphs glyphs only */
    if (r->prev >= 0) r->pen += stbtt_GetGlyphKernAdvance(&r->f->info, r->prev, g);
    stbtt_GetGlyphHMetrics(&r->f->info, g, &adv, &lsb);
    *glyph = g;
    *origin = r->pen;
    r->pen += adv;
    r->prev = g;
    return true;
}

static double tt_width(const face *f, const char *utf8, double size)
{
    run r = {f, utf8, -1, 0};
    int g;
    int64_t origin;
    while (run_next(&r, &g, &origin)) {}
    return (double)r.pen * em_scale(f, size);
}

typedef struct sink {
    void (*put)(void *ctx, int px, int py, int coverage);
    void *ctx;
    unsigned char *buf; /* glyph scratch, grown as needed */
    size_t cap;
} sink;

/* Draws glyph g whose origin is `a` px along the baseline from the anchor (x, y). The
 * glyph is rasterized upright with the pixel grid's phase as sub-pixel shifts: at
 * (x + a, y); turned, at (a - y, x) in an upright frame whose pixel (u, v) is the
 * canvas pixel (v, -u - 1). */
static void tt_glyph(const face *f, int g, float scale, double a, double x, double y,
                     bool rot90, sink *k)
{
    double along = rot90 ? a - y : x + a, across = rot90 ? x : y;
    if (fabs(along) > MAX_COORD || fabs(across) > MAX_COORD) return;
    double u0 = floor(along), v0 = floor(across);
    float sx = (float)(along - u0), sy = (float)(across - v0);
    int ix0, iy0, ix1, iy1;
    stbtt_GetGlyphBitmapBoxSubpixel(&f->info, g, scale, scale, sx, sy, &ix0, &iy0, &ix1, &iy1);
    int w = ix1 - ix0, h = iy1 - iy0;
    if (w <= 0 || h <= 0 || (int64_t)w * h > MAX_GLYPH_PIXELS) return;
    if ((size_t)w * (size_t)h > k->cap) {
        unsigned char *nb = realloc(k->buf, (size_t)w * (size_t)h);
        if (!nb) return;
        k->buf = nb;
        k->cap = (size_t)w * (size_t)h;
    }
    stbtt_MakeGlyphBitmapSubpixel(&f->info, k->buf, w, h, w, scale, scale, sx, sy, g);
    int iu = (int)u0 + ix0, iv = (int)v0 + iy0;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            int c = k->buf[(size_t)j * (size_t)w + (size_t)i];
            if (!c) continue;
            if (!rot90) k->put(k->ctx, iu + i, iv + j, c);
            else k->put(k->ctx, iv + j, -(iu + i) - 1, c);
        }
}

static void tt_raster(const face *f, const char *utf8, double size, double x, double y,
                      tg_plot_halign halign, bool rot90, sink *k)
{
    double sc = em_scale(f, size), w = tt_width(f, utf8, size);
    double start = halign == TG_PLOT_HALIGN_CENTER ? -w / 2
                   : halign == TG_PLOT_HALIGN_RIGHT ? -w : 0.0;
    run r = {f, utf8, -1, 0};
    int g;
    int64_t origin;
    while (run_next(&r, &g, &origin))
        tt_glyph(f, g, (float)sc, start + (double)origin * sc, x, y, rot90, k);
}

/* ---- the bitmap fallback ----------------------------------------------------------------- */

/* Whole-pixel scale of the bitmap font whose capitals come close to `size`'s cap height. */
static int bitmap_scale(double size)
{
    double s = fmin(size, 1e6) * CAP_EM / TG_FONT_CAP;
    long r = lround(s);
    return r < 1 ? 1 : (int)r;
}

static int bitmap_width(const char *utf8, int scale, bool bold)
{
    int w = tg_font_width(utf8, scale);
    return w > 0 && bold ? w + 1 : w;
}

/* Glyph rows 0..6 lie above the baseline (row 6 just above it), 7..8 below. Bold is the
 * regular glyph drawn twice, one pixel apart along the text. */
static void bitmap_raster(const char *utf8, double size, bool bold, double x, double y,
                          tg_plot_halign halign, bool rot90, sink *k)
{
    int s = bitmap_scale(size), w = bitmap_width(utf8, s, bold), du = s + (bold ? 1 : 0);
    if ((int64_t)du * s * TG_FONT_ROWS * 5 > MAX_GLYPH_PIXELS) return;
    double start = halign == TG_PLOT_HALIGN_CENTER ? w / 2.0
                   : halign == TG_PLOT_HALIGN_RIGHT ? (double)w : 0.0;
    /* The anchor in whole pixels; the run's first column and the baseline in the upright
     * frame's pixels (turned, upright (u, v) lands on (v, -u - 1)). */
    long ax = lround(x), ay = lround(y), first = (long)floor(0.5 - start);
    long along = rot90 ? first - ay : ax + first, across = rot90 ? ax : ay;
    long u0 = 0;
    int code;
    tg_glyph g;
    while ((code = tg_font_next(&utf8)) != 0) {
        tg_font_glyph(code, &g);
        for (int r = 0; r < TG_FONT_ROWS; r++)
            for (int c = 0; c < g.width; c++) {
                if (!(g.rows[r] >> c & 1)) continue;
                for (int i = 0; i < du; i++)
                    for (int j = 0; j < s; j++) {
                        long u = along + u0 + (long)c * s + i;
                        long v = across + (long)(r - TG_FONT_CAP) * s + j;
                        if (!rot90) k->put(k->ctx, (int)u, (int)v, 255);
                        else k->put(k->ctx, (int)v, (int)(-u - 1), 255);
                    }
            }
        u0 += (long)g.advance * s;
    }
}

/* ---- the interface ----------------------------------------------------------------------- */

static bool valid_size(double size) { return size > 0 && isfinite(size); }

bool tg_plot_text_truetype(void)
{
    ensure_font();
    return font.truetype;
}

const char *tg_plot_text_family(void)
{
    ensure_font();
    return font.family;
}

const char *tg_plot_text_path(void)
{
    ensure_font();
    return font.path;
}

double tg_plot_text_width(const char *utf8, double size, bool bold)
{
    ensure_font();
    if (!utf8 || !valid_size(size)) return 0.0;
    if (font.truetype) return tt_width(face_for(bold), utf8, size);
    return bitmap_width(utf8, bitmap_scale(size), bold);
}

void tg_plot_text_vmetrics(double size, bool bold, double *ascent, double *descent,
                           double *cap_height)
{
    double asc = 0, desc = 0, cap = 0;
    ensure_font();
    if (valid_size(size) && font.truetype) {
        const face *f = face_for(bold);
        double sc = em_scale(f, size);
        int a, d, gap, x0, y0, x1, y1;
        stbtt_GetFontVMetrics(&f->info, &a, &d, &gap);
        asc = a > 0 ? a * sc : 0.9 * size;
        desc = d < 0 ? -d * sc : 0.0;
        if (stbtt_GetCodepointBox(&f->info, 'H', &x0, &y0, &x1, &y1) && y1 > 0) cap = y1 * sc;
        else cap = CAP_EM * size;
    } else if (valid_size(size)) {
        int s = bitmap_scale(size);
        asc = cap = TG_FONT_CAP * s;
        desc = (TG_FONT_ROWS - TG_FONT_CAP) * s;
    }
    if (ascent) *ascent = asc;
    if (descent) *descent = desc;
    if (cap_height) *cap_height = cap;
}

void tg_plot_text_raster(const char *utf8, double size, bool bold, double x, double y,
                         tg_plot_halign halign, bool rot90,
                         void (*put)(void *ctx, int px, int py, int coverage), void *ctx)
{
    ensure_font();
    if (!utf8 || !put || !valid_size(size) || size > MAX_RASTER_SIZE ||
        !(fabs(x) <= MAX_COORD) || !(fabs(y) <= MAX_COORD))
        return;
    sink k = {put, ctx, NULL, 0};
    if (font.truetype) tt_raster(face_for(bold), utf8, size, x, y, halign, rot90, &k);
    else bitmap_raster(utf8, size, bold, x, y, halign, rot90, &k);
    free(k.buf);
}

double tg_plot_text_svg_size(double size)
{
    ensure_font();
    if (font.truetype || !valid_size(size)) return size;
    return BITMAP_SVG_EM * bitmap_scale(size);
}
