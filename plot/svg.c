/* plot/svg.c — writes a chart's layout as an SVG 1.1 document: the same margins, ticks,
 * grid and legend as the PNG, with each series as one <path> (a missing value starts a
 * new subpath), clipped to the axes, and text as <text> in a sans-serif font sized to
 * the bitmap font's metrics.
 *
 * Segments are clipped to a slightly enlarged axes box before they are printed, so a
 * fixed axis range far inside the data does not write coordinates in the millions.
 *
 * What this is not: an SVG library. One flat document, no styles sheet, no scripts.
 */
#include "plot/internal.h"

#include <math.h>
#include <stdbool.h>

static void color_hex(uint32_t rgb, char out[8])
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '#';
    for (int i = 0; i < 6; i++) out[1 + i] = hex[(rgb >> (20 - 4 * i)) & 15];
    out[7] = '\0';
}

static void put_escaped(tg_atomic_file *pf, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': tg_atomic_file_printf(pf, "&amp;"); break;
        case '<': tg_atomic_file_printf(pf, "&lt;"); break;
        case '>': tg_atomic_file_printf(pf, "&gt;"); break;
        case '"': tg_atomic_file_printf(pf, "&quot;"); break;
        default:
            if ((unsigned char)*s < 32) /* control characters are not XML */
                tg_atomic_file_printf(pf, " ");
            else
                tg_atomic_file_write(pf, s, 1);
        }
    }
}

/* A sans-serif size whose capitals (about 0.72 em) come close to the bitmap font's 7 rows
 * at `scale` and whose text is no wider than the bitmap text the layout measured. */
static double font_px(int scale) { return 9.0 * scale; }

static void put_text(tg_atomic_file *pf, const tg_plot_text *t)
{
    static const char *anchors[] = {"start", "middle", "end"};
    double size = font_px(t->scale);
    if (!t->vertical) {
        tg_atomic_file_printf(pf,
                              "<text x=\"%d\" y=\"%d\" font-size=\"%.1f\" "
                              "text-anchor=\"%s\"%s>",
                              t->x, t->y + TG_FONT_CAP * t->scale, size, anchors[t->anchor],
                              t->bold ? " font-weight=\"bold\"" : "");
    } else {
        int bx = t->x + TG_FONT_CAP * t->scale; /* the baseline, rotated */
        tg_atomic_file_printf(pf,
                              "<text x=\"%d\" y=\"%d\" font-size=\"%.1f\" text-anchor=\"%s\" "
                              "transform=\"rotate(-90 %d %d)\">",
                              bx, t->y, size, anchors[t->anchor], bx, t->y);
    }
    put_escaped(pf, t->text);
    tg_atomic_file_printf(pf, "</text>\n");
}

static void put_rules(tg_atomic_file *pf, const tg_plot_rule *r, int n)
{
    /* One path per colour run; rules sit on pixel centres so 1-px strokes stay sharp. */
    for (int i = 0; i < n;) {
        char col[8];
        color_hex(r[i].color, col);
        tg_atomic_file_printf(pf, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1\" d=\"", col);
        int j = i;
        for (; j < n && r[j].color == r[i].color; j++) {
            bool horiz = r[j].y0 == r[j].y1;
            double x0 = r[j].x0 + (horiz ? 0.0 : 0.5), y0 = r[j].y0 + (horiz ? 0.5 : 0.0);
            double x1 = r[j].x1 + (horiz ? 1.0 : 0.5), y1 = r[j].y1 + (horiz ? 0.5 : 1.0);
            tg_atomic_file_printf(pf, "%sM%g %gL%g %g", j > i ? " " : "", x0, y0, x1, y1);
        }
        tg_atomic_file_printf(pf, "\"/>\n");
        i = j;
    }
}

/* Liang-Barsky: clips a-b to the box; false when nothing is left. */
static bool clip_segment(double box[4], double *ax, double *ay, double *bx, double *by)
{
    double t0 = 0.0, t1 = 1.0, dx = *bx - *ax, dy = *by - *ay;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {*ax - box[0], box[2] - *ax, *ay - box[1], box[3] - *ay};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0) return false;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0.0) {
            if (t > t1) return false;
            if (t > t0) t0 = t;
        } else {
            if (t < t0) return false;
            if (t < t1) t1 = t;
        }
    }
    double x0 = *ax + t0 * dx, y0 = *ay + t0 * dy;
    *bx = *ax + t1 * dx;
    *by = *ay + t1 * dy;
    *ax = x0;
    *ay = y0;
    return true;
}

static void dash_attr(tg_atomic_file *pf, const tg_plot_series *s, float w)
{
    if (!s->dashed) return;
    float on, off;
    tg_plot_dash(w, &on, &off);
    /* Round caps add w/2 at both ends of every dash: take them out of the pattern. */
    tg_atomic_file_printf(pf, " stroke-dasharray=\"%.2f %.2f\"", fmax(on - w, 0.5),
                          (double)(off + w));
}

static void put_series(tg_atomic_file *pf, const tg_plot_layout *L, const tg_plot_series *s)
{
    char col[8];
    color_hex(s->color, col);
    float w = tg_plot_series_width(L, s);
    tg_atomic_file_printf(pf,
                          "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.2f\" "
                          "stroke-linejoin=\"round\" stroke-linecap=\"round\"",
                          col, (double)w);
    dash_attr(pf, s, w);
    tg_atomic_file_printf(pf, " clip-path=\"url(#tg-axes)\" d=\"");
    double m = w + 2.0;
    double box[4] = {L->px0 - m, L->py0 - m, L->px1 + 1 + m, L->py1 + 1 + m};
    double qx = 0, qy = 0, ex = NAN, ey = NAN; /* previous point; end of the last piece */
    bool have = false;
    int out = 0;
    for (int i = 0; i < s->n; i++) {
        double px, py;
        if (!tg_plot_point(L, s, i, &px, &py)) {
            have = false;
            continue;
        }
        double ax = have ? qx : px, ay = have ? qy : py, bx = px, by = py;
        qx = px;
        qy = py;
        have = true;
        if (!clip_segment(box, &ax, &ay, &bx, &by)) continue;
        if (ax != ex || ay != ey) /* a new piece: after a gap or re-entering the box */
            tg_atomic_file_printf(pf, "%sM%.2f %.2f", out++ ? " " : "", ax, ay);
        if (bx != ax || by != ay || !(ax == ex && ay == ey))
            tg_atomic_file_printf(pf, "L%.2f %.2f", bx, by);
        ex = bx;
        ey = by;
    }
    tg_atomic_file_printf(pf, "\"/>\n");
}

static void put_legend(tg_atomic_file *pf, const tg_chart *c, const tg_plot_layout *L)
{
    char edge[8];
    color_hex(TG_PLOT_LEGEND_EDGE, edge);
    tg_atomic_file_printf(pf,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" rx=\"2\" "
                          "fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"%s\"/>\n",
                          L->lx0 + 0.5, L->ly0 + 0.5, L->lx1 - L->lx0, L->ly1 - L->ly0, edge);
    for (int i = 0; i < L->nlegend; i++) {
        const tg_plot_series *s = &c->series[L->legend_series[i]];
        char col[8];
        color_hex(s->color, col);
        float w = tg_plot_series_width(L, s);
        /* <line>, not <path>: each series has exactly one <path> in the document. */
        tg_atomic_file_printf(pf,
                              "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
                              "stroke-width=\"%.2f\" stroke-linecap=\"round\"",
                              L->sample_x0 + w / 2.0, (double)L->row_y[i], L->sample_x1 - w / 2.0,
                              (double)L->row_y[i], col, (double)w);
        dash_attr(pf, s, w);
        tg_atomic_file_printf(pf, "/>\n");
        put_text(pf, &L->legend_texts[i]);
    }
}

tg_status tg_chart_write_svg(const tg_chart *c, const char *path)
{
    if (!c) return tg_fail(TG_ERR_ARG, "tg_chart_write_svg: chart is NULL");
    if (!path || !*path) return tg_fail(TG_ERR_ARG, "tg_chart_write_svg: path is NULL or empty");
    tg_plot_layout L;
    tg_status st = tg_plot_layout_make(c, &L);
    if (st != TG_OK) return st;
    tg_atomic_file pf;
    st = tg_atomic_file_open(&pf, path);
    if (st != TG_OK) {
        tg_plot_layout_free(&L);
        return st;
    }
    char ink[8];
    color_hex(TG_PLOT_INK, ink);
    tg_atomic_file_printf(&pf,
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
                          "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                          "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
                          c->width, c->height, c->width, c->height);
    tg_atomic_file_printf(&pf,
                          "<defs><clipPath id=\"tg-axes\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
                          "height=\"%d\"/></clipPath></defs>\n",
                          L.px0 + 1, L.py0 + 1, L.px1 - L.px0 - 1, L.py1 - L.py0 - 1);
    tg_atomic_file_printf(&pf, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", c->width,
                          c->height);
    put_rules(&pf, L.grid, L.ngrid);
    for (int k = 0; k < c->nseries; k++) put_series(&pf, &L, &c->series[k]);
    put_rules(&pf, L.rules, L.nrules);
    tg_atomic_file_printf(&pf, "<g fill=\"%s\">\n", ink);
    for (int i = 0; i < L.ntexts; i++) put_text(&pf, &L.texts[i]);
    tg_atomic_file_printf(&pf, "</g>\n");
    if (L.nlegend > 0) {
        tg_atomic_file_printf(&pf, "<g fill=\"%s\">\n", ink);
        put_legend(&pf, c, &L);
        tg_atomic_file_printf(&pf, "</g>\n");
    }
    tg_atomic_file_printf(&pf, "</svg>\n");
    tg_plot_layout_free(&L);
    return tg_atomic_file_commit(&pf);
}
