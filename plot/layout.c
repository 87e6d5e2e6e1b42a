/* plot/layout.c — where everything of a figure goes: the axis ranges the marks imply
 * (padded, log-aware, shared x, bars sticking to zero), the ticks that fit, the margins
 * the labels need, and a grid in which every row's frames share their top and bottom and
 * every column's their left and right (matplotlib's constrained layout, simplified: one
 * margin per row and column, the largest its axes need).
 *
 * All lengths are px, from points at the figure's dpi; text is measured with the text
 * engine (text.c), so the layout is the one both renderers draw.
 *
 * What this is not: drawing (draw.c). The legend's place is chosen here too
 * (legend_place), as it depends on where the data are drawn.
 */
#include "plot/figure.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- mapping and extents -------------------------------------------------------------- */

double tg_plot_view_x(const tg_plot_view *v, double x)
{
    if (v->xlog) x = x > 0.0 ? log10(x) : NAN;
    if (!isfinite(x)) return NAN;
    return v->x0 + (x - v->xlo) / (v->xhi - v->xlo) * (v->x1 - v->x0);
}

double tg_plot_view_y(const tg_plot_view *v, double y)
{
    if (v->ylog) y = y > 0.0 ? log10(y) : NAN;
    if (!isfinite(y)) return NAN;
    return v->y1 - (y - v->ylo) / (v->yhi - v->ylo) * (v->y1 - v->y0);
}

void tg_plot_extent_x(tg_plot_extent *e, double x)
{
    if (!isfinite(x) || (e->xlog && !(x > 0.0))) return;
    e->xmin = e->has_x ? fmin(e->xmin, x) : x;
    e->xmax = e->has_x ? fmax(e->xmax, x) : x;
    e->has_x = true;
}

void tg_plot_extent_y(tg_plot_extent *e, double y)
{
    if (!isfinite(y) || (e->ylog && !(y > 0.0))) return;
    e->ymin = e->has_y ? fmin(e->ymin, y) : y;
    e->ymax = e->has_y ? fmax(e->ymax, y) : y;
    e->has_y = true;
}

void tg_plot_extent_xy(tg_plot_extent *e, double x, double y)
{
    if (!isfinite(x) || !isfinite(y) || (e->xlog && !(x > 0.0)) || (e->ylog && !(y > 0.0)))
        return;
    tg_plot_extent_x(e, x);
    if (isnan(e->xlim0) || (x >= e->xlim0 && x <= e->xlim1)) tg_plot_extent_y(e, y);
}

tg_plot_extent tg_plot_axes_extent(const tg_axes *ax, bool xlog, double xlim0, double xlim1)
{
    tg_plot_extent e = {.xlog = xlog, .ylog = ax->ylog, .xlim0 = xlim0, .xlim1 = xlim1};
    for (int i = 0; i < ax->nmarks; i++) ax->marks[i].type->extent(&ax->marks[i], &e);
    return e;
}

/* [lo, hi] padded by frac of its span; a flat range (a single value, within what a double
 * resolves) gets a span of its own: flat x its magnitude, or 1 around 0. */
static void pad_range(double *lo, double *hi, double frac, double flat)
{
    double mag = fmax(fabs(*lo), fabs(*hi));
    if (*hi - *lo <= 1e-13 * mag || *hi - *lo <= 1e-300) {
        double d = mag > 0.0 ? fmax(mag * flat, 1e-300) : 1.0;
        *lo -= d, *hi += d;
        return;
    }
    double d = (*hi - *lo) * frac;
    *lo -= d, *hi += d;
}

/* The visible range of one axis (transformed units): fixed, or the data padded. */
static void axis_range(bool has, double dmin, double dmax, const double *lim, bool log,
                       double frac, bool sticky, double *lo, double *hi)
{
    /* margins as matplotlib's axes.xmargin / ymargin */
    if (!isnan(lim[0])) {
        *lo = log ? log10(lim[0]) : lim[0];
        *hi = log ? log10(lim[1]) : lim[1];
        return;
    }
    if (!has) {
        *lo = 0.0, *hi = 1.0;
        return;
    }
    double a = log ? log10(dmin) : dmin, b = log ? log10(dmax) : dmax;
    *lo = a, *hi = b;
    if (log && b - a < 1e-6) {
        *lo -= 0.5, *hi += 0.5;
        return;
    }
    pad_range(lo, hi, frac, log ? 0.0 : 0.1);
    /* bars stand on 0: no margin below them (unless all are 0: the range then stays) */
    if (sticky && !log && a >= 0.0 && *lo < 0.0 && b > 0.0) *lo = 0.0;
    if (sticky && !log && b <= 0.0 && *hi > 0.0 && a < 0.0) *hi = 0.0;
}

/* A date axis with a single instant shows two days to each side (matplotlib's choice). */
static void date_span(const tg_axes *ax, double *lo, double *hi, double dmin, double dmax,
                      bool has)
{
    if (!ax->xdate || !has || !isnan(ax->xlim[0])) return;
    double day = ax->xdate == TG_DATE_SECONDS ? 86400.0 : 1.0;
    if (dmax - dmin < 1e-9 * day) *lo = dmin - 2.0 * day, *hi = dmax + 2.0 * day;
}

/* Widens u's x range by t's. */
static void x_union(tg_plot_extent *u, tg_plot_extent t)
{
    if (t.has_x) tg_plot_extent_x(u, t.xmin), tg_plot_extent_x(u, t.xmax);
}

/* x ranges: an axes and its twin share one; with sharex every axes shows the union (or
 * the first fixed range found). */
static void x_ranges(const tg_figure *f, tg_plot_figure_layout *L)
{
    bool share = f->opts.sharex;
    /* the union of every axes' x, once over all values (for linear axes) and once over
     * the positive ones (for log axes) */
    tg_plot_extent all[2] = {{.xlog = false}, {.xlog = true}};
    const double *fixed = NULL;
    for (int i = 0; share && i < L->n; i++) {
        const tg_axes *ax = L->axes[i].ax;
        for (const tg_axes *a = ax; a; a = a == ax ? ax->twin : NULL)
            for (int lg = 0; lg < 2; lg++)
                x_union(&all[lg], tg_plot_axes_extent(a, lg, NAN, NAN));
        if (!fixed && !isnan(ax->xlim[0])) fixed = ax->xlim;
    }
    for (int i = 0; i < L->n; i++) {
        tg_plot_axes_layout *al = &L->axes[i];
        const tg_axes *ax = al->ax;
        tg_plot_extent e = {.xlog = ax->xlog};
        if (share)
            e = all[ax->xlog];
        else
            for (const tg_axes *a = ax; a; a = a == ax ? ax->twin : NULL)
                x_union(&e, tg_plot_axes_extent(a, ax->xlog, NAN, NAN));
        const double *lim = share && fixed && (!ax->xlog || fixed[0] > 0.0) ? fixed : ax->xlim;
        al->view.xlog = ax->xlog;
        axis_range(e.has_x, e.xmin, e.xmax, lim, ax->xlog, 0.05, false, &al->view.xlo,
                   &al->view.xhi);
        date_span(ax, &al->view.xlo, &al->view.xhi, e.xmin, e.xmax, e.has_x);
    }
}

/* The y range of `ax` over the points inside the x range shown. */
static void y_range(const tg_axes *ax, tg_plot_view *v)
{
    double x0 = v->xlog ? pow(10.0, v->xlo) : v->xlo, x1 = v->xlog ? pow(10.0, v->xhi) : v->xhi;
    tg_plot_extent e = tg_plot_axes_extent(ax, ax->xlog, x0, x1);
    if (!e.has_y) e = tg_plot_axes_extent(ax, ax->xlog, NAN, NAN);
    v->ylog = ax->ylog;
    axis_range(e.has_y, e.ymin, e.ymax, ax->ylim, ax->ylog, 0.05, e.y_sticky_zero, &v->ylo,
               &v->yhi);
}

/* ---- ticks ------------------------------------------------------------------------------ */

static void minor_log(tg_plot_axis_ticks *t, double lo, double hi)
{
    t->nminor = 0;
    bool dense = t->n >= 2 && t->at[1] / t->at[0] < 10.5;
    if (!dense && t->n >= 2) return;
    for (int k = (int)floor(lo) - 1; k <= (int)ceil(hi); k++)
        for (int m = 2; m <= 9; m++) {
            double v = m * pow(10.0, k), lv = log10(v);
            if (lv < lo || lv > hi || t->nminor >= TG_PLOT_MAX_MINOR) continue;
            bool major = false;
            for (int i = 0; i < t->n; i++)
                if (fabs(t->at[i] - v) <= 1e-9 * v) major = true;
            if (!major) t->minor[t->nminor++] = v;
        }
}

/* Ticks of one axis over [lo, hi] (transformed units) with at most max_ticks. */
static void make_ticks(tg_plot_axis_ticks *t, double lo, double hi, bool log,
                       tg_date_unit date, const tg_plot_ticks_spec *spec, int max_ticks)
{
    memset(t, 0, sizeof *t);
    if (spec && spec->n > 0) {
        double step = 0.0;
        for (int i = 0; i < spec->n; i++) {
            t->at[t->n] = spec->at[i];
            t->custom[t->n] = spec->labels ? spec->labels[i] : NULL;
            if (i > 0 && (step == 0.0 || fabs(spec->at[i] - spec->at[i - 1]) < step))
                step = fabs(spec->at[i] - spec->at[i - 1]);
            t->n++;
        }
        tg_plot_tick_labels(t->at, t->n, log ? 0.0 : step > 0.0 ? step : 1.0, t->labels);
        return;
    }
    double step = 0.0;
    if (date) {
        t->n = tg_plot_date_ticks(lo, hi, date, max_ticks, t->at, TG_PLOT_MAX_TICKS, t->labels);
        return;
    }
    if (log) {
        t->n = tg_plot_log_ticks(pow(10.0, lo), pow(10.0, hi), max_ticks, t->at,
                                 TG_PLOT_MAX_TICKS, &step);
        tg_plot_tick_labels(t->at, t->n, step, t->labels);
        if (step == 0.0) minor_log(t, lo, hi);
        return;
    }
    t->n = tg_plot_nice_ticks(lo, hi, max_ticks, t->at, TG_PLOT_MAX_TICKS, &step);
    tg_plot_tick_labels(t->at, t->n, step, t->labels);
}

const char *tg_plot_tick_label(const tg_plot_axis_ticks *t, int i)
{
    return t->custom[i] ? t->custom[i] : t->labels[i];
}

static double widest(const tg_plot_axis_ticks *t, double size)
{
    double w = 0.0;
    for (int i = 0; i < t->n; i++) w = fmax(w, tg_plot_text_width(tg_plot_tick_label(t, i), size, false));
    return w;
}

/* Whether neighbouring x tick labels leave at least 1.2 em of air between them (date
 * ticks are not evenly spaced: every pair is checked). */
static bool labels_fit(const tg_plot_axes_layout *al, const tg_plot_metrics *m)
{
    const tg_plot_axis_ticks *t = &al->xt;
    double prev_x = 0.0, prev_w = 0.0;
    for (int i = 0; i < t->n; i++) {
        double x = tg_plot_view_x(&al->view, t->at[i]);
        double w = tg_plot_text_width(tg_plot_tick_label(t, i), m->font, false);
        if (i > 0 && fabs(x - prev_x) < 0.5 * (w + prev_w) + 1.2 * m->font) return false;
        prev_x = x, prev_w = w;
    }
    return true;
}

/* Y ticks of view v, about ymax of them: at least two labelled ones, even on a short axis,
 * so that it has a scale (unless the program set its own). */
static void y_ticks(tg_plot_axis_ticks *t, const tg_plot_view *v,
                    const tg_plot_ticks_spec *spec, int ymax)
{
    for (int k = ymax; k <= ymax + 4; k++) {
        make_ticks(t, v->ylo, v->yhi, v->ylog, 0, spec, k);
        if (t->n >= 2 || spec->n > 0) break;
    }
}

/* Ticks for the axes' current box: y by height, x as many as fit with air between. */
static void axes_ticks(tg_plot_axes_layout *al, const tg_plot_metrics *m)
{
    const tg_axes *ax = al->ax;
    tg_plot_view *v = &al->view;
    double pw = fmax(8.0, v->x1 - v->x0), ph = fmax(8.0, v->y1 - v->y0);
    int ymax = (int)fmin(12.0, fmax(2.0, ph / (2.6 * m->font) + 1.0));
    y_ticks(&al->yt, v, &ax->yticks, ymax);
    if (ax->twin) y_ticks(&al->tyt, &al->tview, &ax->twin->yticks, ymax);
    /* With sharex the x axis is one axis: a date unit or custom ticks set on any of the
     * axes hold for all (the first one in row-major order that sets them). */
    tg_date_unit xdate = ax->xdate;
    const tg_plot_ticks_spec *xspec = &ax->xticks;
    const tg_figure *f = ax->fig;
    for (int i = 0; f->opts.sharex && i < f->opts.nrows * f->opts.ncols; i++) {
        if (!xdate && f->axes[i]->xdate && !v->xlog) xdate = f->axes[i]->xdate;
        if (xspec->n == 0 && f->axes[i]->xticks.n > 0) xspec = &f->axes[i]->xticks;
    }
    int maxt = (int)fmin(14.0, fmax(2.0, pw / (3.5 * m->font) + 1.0));
    for (;; maxt--) {
        make_ticks(&al->xt, v->xlo, v->xhi, v->xlog, xdate, xspec, maxt);
        if (maxt <= 2 || al->xt.n < 2 || xspec->n > 0 || labels_fit(al, m)) break;
    }
}

/* ---- titles ------------------------------------------------------------------------------ */

/* A title too wide for `width` shrinks down to 80% of its size, then wraps at spaces. */
static void fit_title(tg_plot_axes_layout *al, const tg_plot_metrics *m, double width)
{
    const char *t = al->ax->title;
    al->title_lines = 0;
    al->title_size = m->title;
    if (!t) return;
    double w = tg_plot_text_width(t, m->title, true);
    if (w > width) al->title_size = fmax(0.8 * m->title, m->title * width / w);
    const char *p = t;
    char line[512];
    while (*p && al->title_lines < TG_PLOT_MAX_TITLE_LINES) {
        /* the longest run of words from p that fits (at least one word) */
        int best = 0, len = 0, n = (int)strlen(p);
        while (len < n) {
            int next = len;
            while (next < n && p[next] == ' ') next++;
            while (next < n && p[next] != ' ') next++;
            int k = next < (int)sizeof line ? next : (int)sizeof line - 1;
            memcpy(line, p, (size_t)k);
            line[k] = '\0';
            bool last = al->title_lines == TG_PLOT_MAX_TITLE_LINES - 1;
            if (best > 0 && !last &&
                tg_plot_text_width(line, al->title_size, true) > width + 0.5)
                break;
            best = len = next;
        }
        al->title_start[al->title_lines] = p;
        al->title_len[al->title_lines++] = best;
        p += best;
        while (*p == ' ') p++;
    }
}

/* ---- margins ------------------------------------------------------------------------------ */

static void legend_measure(tg_plot_axes_layout *al, const tg_plot_metrics *m);

static void axes_needs(tg_plot_axes_layout *al, const tg_plot_metrics *m)
{
    const tg_axes *ax = al->ax;
    double lh = m->asc + m->desc, tick = m->ticklen + m->tickpad;
    al->ylab_w = widest(&al->yt, m->font);
    al->need_l = tick + al->ylab_w + (ax->ylabel ? m->labelpad + lh : 0.0);
    al->need_r = 0.6 * m->font;
    if (ax->twin) {
        al->tylab_w = widest(&al->tyt, m->font);
        al->need_r = tick + al->tylab_w + (ax->twin->ylabel ? m->labelpad + lh : 0.0);
    }
    /* x labels under the ends of the axis may stick out to the sides (only ticks that
     * are drawn: inside the range) */
    for (int i = 0; al->show_xlabels && i < al->xt.n; i++) {
        double x = tg_plot_view_x(&al->view, al->xt.at[i]);
        if (!(x >= al->view.x0 - 0.5 && x <= al->view.x1 + 0.5)) continue;
        double half = 0.5 * tg_plot_text_width(tg_plot_tick_label(&al->xt, i), m->font, false);
        al->need_r = fmax(al->need_r, x + half - al->view.x1 + 0.3 * m->font);
        al->need_l = fmax(al->need_l, al->view.x0 - (x - half) + 0.3 * m->font);
    }
    al->need_t = al->title_lines > 0
                     ? al->title_lines * (m->tasc + m->tdesc) * al->title_size / m->title +
                           m->titlepad
                     : 0.6 * m->font;
    al->need_b = m->ticklen + (al->show_xlabels ? m->tickpad + lh : 0.0) +
                 (ax->xlabel ? m->labelpad + lh : 0.0);
    legend_measure(al, m);
    tg_plot_legend_layout *lg = &al->legend;
    if (lg->n > 0 && ax->legend.loc == TG_LEGEND_OUTSIDE_RIGHT)
        al->need_r += m->pad + lg->w;
    if (lg->n > 0 && ax->legend.loc == TG_LEGEND_BELOW) al->need_b += m->pad + lg->h;
}

/* Sizes of rows or columns: total minus margins, split by ratios (all 0: equal). */
static void split(double total, const double *ratio, int n, double *out)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += ratio[i] > 0.0 ? ratio[i] : 1.0;
    for (int i = 0; i < n; i++) out[i] = total * (ratio[i] > 0.0 ? ratio[i] : 1.0) / sum;
}

/* One pass: margins per row and column from each axes' needs, then the boxes. */
static void place_boxes(const tg_figure *f, tg_plot_figure_layout *L)
{
    int R = f->opts.nrows, C = f->opts.ncols;
    const tg_plot_metrics *m = &L->m;
    double left[TG_FIGURE_MAX_GRID] = {0}, right[TG_FIGURE_MAX_GRID] = {0};
    double top[TG_FIGURE_MAX_GRID] = {0}, bottom[TG_FIGURE_MAX_GRID] = {0};
    for (int i = 0; i < L->n; i++) {
        const tg_plot_axes_layout *al = &L->axes[i];
        int r = i / C, c = i % C;
        left[c] = fmax(left[c], al->need_l), right[c] = fmax(right[c], al->need_r);
        top[r] = fmax(top[r], al->need_t), bottom[r] = fmax(bottom[r], al->need_b);
    }
    double sup = f->suptitle ? m->tasc + m->tdesc + m->pad : 0.0; /* at the title's size */
    double wsum = 0.0, hsum = 0.0, w[TG_FIGURE_MAX_GRID], h[TG_FIGURE_MAX_GRID];
    for (int c = 0; c < C; c++) wsum += left[c] + right[c];
    for (int r = 0; r < R; r++) hsum += top[r] + bottom[r];
    split(fmax(8.0 * C, f->width - 2.0 * m->pad - wsum - (C - 1) * m->pad),
          f->opts.width_ratios, C, w);
    split(fmax(8.0 * R, f->height - 2.0 * m->pad - sup - hsum - (R - 1) * m->pad),
          f->opts.height_ratios, R, h);
    double y = m->pad + sup;
    for (int r = 0; r < R; r++) {
        double x = m->pad;
        for (int c = 0; c < C; c++) {
            tg_plot_view *v = &L->axes[r * C + c].view;
            /* Frame lines sit on pixel centres: the box edges are at k + 0.5. */
            v->x0 = floor(x + left[c]) + 0.5;
            v->x1 = floor(x + left[c] + w[c]) + 0.5;
            v->y0 = floor(y + top[r]) + 0.5;
            v->y1 = floor(y + top[r] + h[r]) + 0.5;
            x += left[c] + w[c] + right[c] + m->pad;
        }
        y += top[r] + h[r] + bottom[r] + m->pad;
    }
}

static tg_plot_metrics metrics(const tg_figure *f)
{
    tg_plot_metrics m;
    m.pt = f->opts.dpi / 72.0;
    m.font = f->opts.font_size * m.pt;
    m.title = 1.2 * m.font;
    tg_plot_text_vmetrics(m.font, false, &m.asc, &m.desc, &m.cap);
    double tcap;
    tg_plot_text_vmetrics(m.title, true, &m.tasc, &m.tdesc, &tcap);
    m.ticklen = 3.5 * m.pt;
    m.tickpad = 3.5 * m.pt;
    m.labelpad = 4.0 * m.pt;
    m.titlepad = 6.0 * m.pt;
    m.pad = 0.8 * m.font;
    m.frame_lw = 0.8 * m.pt;
    m.grid_lw = 0.8 * m.pt;
    return m;
}

static void legend_place(tg_plot_axes_layout *al, const tg_plot_metrics *m); /* below */

void tg_plot_figure_layout_make(const tg_figure *f, tg_plot_figure_layout *L)
{
    memset(L, 0, sizeof *L);
    L->m = metrics(f);
    L->n = f->opts.nrows * f->opts.ncols;
    L->axes = tg_calloc((size_t)L->n * sizeof *L->axes);
    for (int i = 0; i < L->n; i++) {
        tg_plot_axes_layout *al = &L->axes[i];
        al->ax = f->axes[i];
        al->show_xlabels = !f->opts.sharex || i / f->opts.ncols == f->opts.nrows - 1;
        /* a first guess of the box: the cell less 15% */
        double cw = (double)f->width / f->opts.ncols, ch = (double)f->height / f->opts.nrows;
        al->view.x0 = 0.15 * cw, al->view.x1 = 0.95 * cw;
        al->view.y0 = 0.1 * ch, al->view.y1 = 0.85 * ch;
    }
    x_ranges(f, L);
    for (int i = 0; i < L->n; i++) {
        tg_plot_axes_layout *al = &L->axes[i];
        y_range(al->ax, &al->view);
        if (al->ax->twin) {
            al->tview = al->view;
            y_range(al->ax->twin, &al->tview);
        }
    }
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < L->n; i++) {
            tg_plot_axes_layout *al = &L->axes[i];
            axes_ticks(al, &L->m);
            fit_title(al, &L->m, al->view.x1 - al->view.x0);
            axes_needs(al, &L->m);
        }
        place_boxes(f, L);
        for (int i = 0; i < L->n; i++) {
            tg_plot_axes_layout *al = &L->axes[i];
            if (al->ax->twin) {
                double ylo = al->tview.ylo, yhi = al->tview.yhi;
                bool ylog = al->tview.ylog;
                al->tview = al->view;
                al->tview.ylo = ylo, al->tview.yhi = yhi, al->tview.ylog = ylog;
            }
        }
    }
    for (int i = 0; i < L->n; i++) {
        tg_plot_axes_layout *al = &L->axes[i];
        tg_plot_view *vs[2] = {&al->view, &al->tview};
        for (int k = 0; k < 2; k++) {
            vs[k]->pt = L->m.pt;
            vs[k]->font = L->m.font;
            vs[k]->clip = (tg_plot_gc){.has_clip = true, .clip_x0 = al->view.x0,
                                       .clip_y0 = al->view.y0, .clip_x1 = al->view.x1,
                                       .clip_y1 = al->view.y1};
        }
        legend_place(al, &L->m);
    }
}

void tg_plot_figure_layout_free(tg_plot_figure_layout *L)
{
    tg_free(L->axes);
    L->axes = NULL;
}

/* ---- legend ------------------------------------------------------------------------------ */

static void legend_measure(tg_plot_axes_layout *al, const tg_plot_metrics *m)
{
    tg_plot_legend_layout *lg = &al->legend;
    const tg_axes *ax = al->ax;
    memset(lg, 0, sizeof *lg);
    if (ax->legend.loc == TG_LEGEND_NONE) return;
    int labelled = 0;
    for (const tg_axes *a = ax; a; a = a == ax ? ax->twin : NULL)
        for (int i = 0; i < a->nmarks; i++)
            if (a->marks[i].label && *a->marks[i].label && labelled++ < TG_PLOT_MAX_LEGEND) {
                lg->from_twin[lg->n] = a != ax;
                lg->entry[lg->n++] = &a->marks[i];
            }
    /* (more than TG_PLOT_MAX_LEGEND were warned about when added: marks.c) */
    if (!lg->n) return;
    lg->ncol = ax->legend.ncol > 0 ? ax->legend.ncol : 1;
    if (lg->ncol > lg->n) lg->ncol = lg->n;
    lg->handle = 2.0 * m->font, lg->textpad = 0.8 * m->font, lg->border = 0.5 * m->font;
    lg->colsp = 1.6 * m->font, lg->row_h = m->asc + m->desc + 0.35 * m->font;
    int rows = (lg->n + lg->ncol - 1) / lg->ncol;
    lg->w = 2.0 * lg->border + (lg->ncol - 1) * lg->colsp;
    for (int c = 0; c < lg->ncol; c++) {
        double tw = 0.0;
        for (int i = c; i < lg->n; i += lg->ncol)
            tw = fmax(tw, tg_plot_text_width(lg->entry[i]->label, m->font, false));
        lg->colw[c] = lg->handle + lg->textpad + tw;
        lg->w += lg->colw[c];
    }
    lg->h = 2.0 * lg->border + rows * lg->row_h - 0.35 * m->font;
}

#define NSPOTS 10 /* places the "best" legend may take */

typedef struct hits {
    double box[NSPOTS][4];
    long count[NSPOTS];
} hits;

static void count_hit(void *ctx, double x, double y)
{
    hits *h = ctx;
    for (int b = 0; b < NSPOTS; b++)
        if (x >= h->box[b][0] && x <= h->box[b][2] && y >= h->box[b][1] && y <= h->box[b][3])
            h->count[b]++;
}

static void legend_place(tg_plot_axes_layout *al, const tg_plot_metrics *m)
{
    tg_plot_legend_layout *lg = &al->legend;
    if (!lg->n) return;
    const tg_plot_view *v = &al->view;
    tg_legend_loc loc = al->ax->legend.loc;
    if (loc == TG_LEGEND_OUTSIDE_RIGHT) {
        lg->x0 = v->x1 + al->need_r - lg->w;
        lg->y0 = v->y0;
        return;
    }
    if (loc == TG_LEGEND_BELOW) {
        lg->x0 = 0.5 * (v->x0 + v->x1 - lg->w);
        lg->y0 = v->y1 + al->need_b - lg->h;
        return;
    }
    double in = 0.5 * m->font;
    double l = v->x0 + in, r = v->x1 - in - lg->w, t = v->y0 + in, b = v->y1 - in - lg->h;
    double cx = 0.5 * (v->x0 + v->x1 - lg->w), cy = 0.5 * (v->y0 + v->y1 - lg->h);
    /* matplotlib's order for "best": the corners, then right, centre left, centre right,
     * lower centre, upper centre, centre */
    double corner[NSPOTS][2] = {{r, t}, {l, t}, {l, b}, {r, b}, {r, cy},
                                {l, cy}, {r, cy}, {cx, b}, {cx, t}, {cx, cy}};
    int pick = loc == TG_LEGEND_UPPER_RIGHT ? 0 : loc == TG_LEGEND_UPPER_LEFT ? 1
             : loc == TG_LEGEND_LOWER_LEFT  ? 2 : loc == TG_LEGEND_LOWER_RIGHT ? 3 : -1;
    if (pick < 0) {
        hits h = {0};
        for (int k = 0; k < NSPOTS; k++) {
            h.box[k][0] = corner[k][0] - 0.3 * m->font, h.box[k][1] = corner[k][1] - 0.3 * m->font;
            h.box[k][2] = corner[k][0] + lg->w + 0.3 * m->font;
            h.box[k][3] = corner[k][1] + lg->h + 0.3 * m->font;
        }
        const tg_axes *ax = al->ax;
        for (const tg_axes *a = ax; a; a = a == ax ? ax->twin : NULL) {
            const tg_plot_view *av = a == ax ? &al->view : &al->tview;
            for (int i = 0; i < a->nmarks; i++)
                if (a->marks[i].type->points)
                    a->marks[i].type->points(&a->marks[i], av, count_hit, &h);
        }
        pick = 0;
        for (int k = 1; k < NSPOTS; k++)
            if (h.count[k] < h.count[pick]) pick = k;
    }
    lg->x0 = corner[pick][0];
    lg->y0 = corner[pick][1];
}
