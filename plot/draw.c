/* plot/draw.c — draws a laid-out figure through a renderer, in matplotlib's order: per
 * axes the grid, the marks by z-order (patches, then lines, then text; in the order added
 * within one z-order), the twin's marks, the frame, ticks and their labels, the axis
 * labels, the title and the legend; the figure's suptitle last.
 *
 * Every position comes from layout.c; nothing is measured here except where a text's
 * baseline goes relative to its box.
 *
 * What this is not: a renderer (render_png.c, render_svg.c) or the layout.
 */
#include "plot/figure.h"

#include <math.h>
#include <string.h>

static tg_plot_gc ink_gc(uint32_t color)
{
    return (tg_plot_gc){.color = color, .alpha = 1.0f};
}

/* A crisp line from (x0, y0) to (x1, y1) (horizontal or vertical). */
static void rule(const tg_plot_renderer *r, double x0, double y0, double x1, double y1,
                 uint32_t color, double lw)
{
    tg_plot_gc gc = ink_gc(color);
    gc.linewidth = (float)lw;
    gc.crisp = true;
    double xy[4] = {x0, y0, x1, y1};
    r->polyline(r->ctx, &gc, xy, 2);
}

/* px position of a tick on a pixel centre, or NaN when outside the box. */
static double tick_px(const tg_plot_view *v, double at, bool x)
{
    double p = x ? tg_plot_view_x(v, at) : tg_plot_view_y(v, at);
    double lo = x ? v->x0 : v->y0, hi = x ? v->x1 : v->y1;
    if (!(p >= lo - 0.5 && p <= hi + 0.5)) return NAN;
    return floor(p) + 0.5;
}

static void draw_grid(const tg_plot_axes_layout *al, const tg_plot_metrics *m,
                      const tg_plot_renderer *r)
{
    const tg_plot_view *v = &al->view;
    for (int i = 0; i < al->xt.n; i++) {
        double p = tick_px(v, al->xt.at[i], true);
        if (isfinite(p) && p > v->x0 + 1 && p < v->x1 - 1)
            rule(r, p, v->y0, p, v->y1, TG_PLOT_GRID, m->grid_lw);
    }
    for (int i = 0; i < al->yt.n; i++) {
        double p = tick_px(v, al->yt.at[i], false);
        if (isfinite(p) && p > v->y0 + 1 && p < v->y1 - 1)
            rule(r, v->x0, p, v->x1, p, TG_PLOT_GRID, m->grid_lw);
    }
}

static void draw_marks(const tg_axes *ax, const tg_plot_view *v, const tg_plot_renderer *r)
{
    for (int z = 0; z <= 3; z++)
        for (int i = 0; i < ax->nmarks; i++)
            if (ax->marks[i].type->zorder == z) ax->marks[i].type->draw(&ax->marks[i], v, r);
}

static void text_at(const tg_plot_renderer *r, const char *s, double x, double y, double size,
                    bool bold, tg_plot_halign ha, bool rot90)
{
    if (!s || !*s) return;
    tg_plot_gc gc = ink_gc(TG_PLOT_INK);
    r->text(r->ctx, &gc, s, x, y, size, bold, ha, rot90);
}

/* The y tick marks and labels of one side: left (the axes) or right (its twin). */
static void draw_yaxis(const tg_plot_view *v, const tg_plot_axis_ticks *t, bool right,
                       const tg_plot_metrics *m, const tg_plot_renderer *r)
{
    double edge = right ? v->x1 : v->x0, dir = right ? 1.0 : -1.0;
    for (int i = 0; i < t->n; i++) {
        double p = tick_px(v, t->at[i], false);
        if (!isfinite(p)) continue;
        rule(r, edge, p, edge + dir * m->ticklen, p, TG_PLOT_FRAME, m->frame_lw);
        text_at(r, tg_plot_tick_label(t, i), edge + dir * (m->ticklen + m->tickpad),
                p + 0.5 * m->cap, m->font, false,
                right ? TG_PLOT_HALIGN_LEFT : TG_PLOT_HALIGN_RIGHT, false);
    }
    for (int i = 0; i < t->nminor; i++) {
        double p = tick_px(v, t->minor[i], false);
        if (isfinite(p)) rule(r, edge, p, edge + dir * 0.55 * m->ticklen, p, TG_PLOT_FRAME,
                              m->frame_lw);
    }
}

static void draw_xaxis(const tg_plot_axes_layout *al, const tg_plot_metrics *m,
                       const tg_plot_renderer *r)
{
    const tg_plot_view *v = &al->view;
    const tg_plot_axis_ticks *t = &al->xt;
    for (int i = 0; i < t->n; i++) {
        double p = tick_px(v, t->at[i], true);
        if (!isfinite(p)) continue;
        rule(r, p, v->y1, p, v->y1 + m->ticklen, TG_PLOT_FRAME, m->frame_lw);
        if (al->show_xlabels)
            text_at(r, tg_plot_tick_label(t, i), p, v->y1 + m->ticklen + m->tickpad + m->asc,
                    m->font, false, TG_PLOT_HALIGN_CENTER, false);
    }
    for (int i = 0; i < t->nminor; i++) {
        double p = tick_px(v, t->minor[i], true);
        if (isfinite(p)) rule(r, p, v->y1, p, v->y1 + 0.55 * m->ticklen, TG_PLOT_FRAME,
                              m->frame_lw);
    }
}

static void draw_labels(const tg_plot_axes_layout *al, const tg_plot_metrics *m,
                        const tg_plot_renderer *r)
{
    const tg_axes *ax = al->ax;
    const tg_plot_view *v = &al->view;
    double lh = m->asc + m->desc, tick = m->ticklen + m->tickpad;
    double xl_base = v->y1 + m->ticklen + (al->show_xlabels ? m->tickpad + lh : 0.0) +
                     m->labelpad + m->asc;
    text_at(r, ax->xlabel, 0.5 * (v->x0 + v->x1), xl_base, m->font, false,
            TG_PLOT_HALIGN_CENTER, false);
    /* Turned text: glyph tops point left, so the baseline is the label's right side. */
    double yl_x = v->x0 - tick - al->ylab_w - m->labelpad - m->desc;
    text_at(r, ax->ylabel, yl_x, 0.5 * (v->y0 + v->y1), m->font, false,
            TG_PLOT_HALIGN_CENTER, true);
    if (ax->twin) {
        double ty_x = v->x1 + tick + al->tylab_w + m->labelpad + m->asc;
        text_at(r, ax->twin->ylabel, ty_x, 0.5 * (v->y0 + v->y1), m->font, false,
                TG_PLOT_HALIGN_CENTER, true);
    }
    double scale = al->title_size / m->title, tl = (m->tasc + m->tdesc) * scale;
    for (int i = 0; i < al->title_lines; i++) {
        char line[512];
        int n = al->title_len[i] < (int)sizeof line - 1 ? al->title_len[i] : (int)sizeof line - 1;
        memcpy(line, al->title_start[i], (size_t)n);
        line[n] = '\0';
        double base = v->y0 - m->titlepad - m->tdesc * scale - (al->title_lines - 1 - i) * tl;
        text_at(r, line, 0.5 * (v->x0 + v->x1), base, al->title_size, true,
                TG_PLOT_HALIGN_CENTER, false);
    }
}

static void draw_legend(const tg_plot_axes_layout *al, const tg_plot_metrics *m,
                        const tg_plot_renderer *r)
{
    const tg_plot_legend_layout *lg = &al->legend;
    if (!lg->n) return;
    double x0 = floor(lg->x0) + 0.5, y0 = floor(lg->y0) + 0.5;
    double x1 = floor(lg->x0 + lg->w) + 0.5, y1 = floor(lg->y0 + lg->h) + 0.5;
    tg_plot_gc bg = ink_gc(0xffffff);
    bg.alpha = 0.85f;
    double box[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    r->polygon(r->ctx, &bg, box, 4);
    tg_plot_gc edge = ink_gc(TG_PLOT_LEGEND_EDGE);
    edge.linewidth = (float)m->frame_lw;
    edge.crisp = true;
    double ring[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
    r->polyline(r->ctx, &edge, ring, 5);
    double cx = lg->x0 + lg->border;
    for (int c = 0; c < lg->ncol; c++) {
        for (int i = c, row = 0; i < lg->n; i += lg->ncol, row++) {
            const tg_plot_mark *mk = lg->entry[i];
            double top = lg->y0 + lg->border + row * lg->row_h;
            double mid = top + 0.5 * (m->asc + m->desc);
            const tg_plot_view *v = lg->from_twin[i] ? &al->tview : &al->view;
            double sy0 = mid - 0.35 * m->font, sy1 = mid + 0.35 * m->font;
            if (mk->type->swatch)
                mk->type->swatch(mk, v, r, cx, sy0, cx + lg->handle, sy1);
            text_at(r, mk->label, cx + lg->handle + lg->textpad, mid + 0.5 * m->cap, m->font,
                    false, TG_PLOT_HALIGN_LEFT, false);
        }
        cx += lg->colw[c] + lg->colsp;
    }
}

static void draw_axes(const tg_plot_axes_layout *al, const tg_plot_metrics *m,
                      const tg_plot_renderer *r)
{
    const tg_plot_view *v = &al->view;
    draw_grid(al, m, r);
    draw_marks(al->ax, v, r);
    if (al->ax->twin) draw_marks(al->ax->twin, &al->tview, r);
    double ring[10] = {v->x0, v->y0, v->x1, v->y0, v->x1, v->y1, v->x0, v->y1, v->x0, v->y0};
    tg_plot_gc frame = ink_gc(TG_PLOT_FRAME);
    frame.linewidth = (float)m->frame_lw;
    frame.crisp = true;
    r->polyline(r->ctx, &frame, ring, 5);
    draw_xaxis(al, m, r);
    draw_yaxis(v, &al->yt, false, m, r);
    if (al->ax->twin) draw_yaxis(&al->tview, &al->tyt, true, m, r);
    draw_labels(al, m, r);
    draw_legend(al, m, r);
}

tg_status tg_plot_draw_figure(const tg_figure *f, const tg_plot_renderer *r)
{
    tg_plot_figure_layout L;
    tg_plot_figure_layout_make(f, &L);
    for (int i = 0; i < L.n; i++) draw_axes(&L.axes[i], &L.m, r);
    if (f->suptitle)
        text_at(r, f->suptitle, 0.5 * f->width, L.m.pad + L.m.tasc, L.m.title, true,
                TG_PLOT_HALIGN_CENTER, false);
    tg_plot_figure_layout_free(&L);
    return TG_OK;
}
