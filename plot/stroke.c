/* plot/stroke.c — what both renderers (render_png.c, render_svg.c) read the same way from a
 * stroke: its dash pattern, and points along a segment. One copy, so that a PNG and its SVG
 * cannot drift apart. Not the drawing itself: each renderer draws in its own medium. */
#include "plot/render.h"

#include <math.h>

void tg_plot_dash_pattern_of(const tg_plot_gc *gc, tg_plot_dash_pattern *d)
{
    int n = gc->ndashes > TG_PLOT_MAX_DASHES ? TG_PLOT_MAX_DASHES : gc->ndashes;
    d->n = 0, d->period = d->on_total = 0.0;
    if (n <= 0) return;
    int m = n % 2 ? 2 * n : n; /* an odd list runs twice: on and off swap the second time */
    for (int k = 0; k < m; k++) {
        double v = gc->dashes[k % n];
        v = v > 0.0 ? fmin(v, 1e6) : 0.0; /* NaN and negative lengths are 0 */
        d->len[k] = v;
        d->period += v;
        if (k % 2 == 0) d->on_total += v;
    }
    /* A pattern of nothing, or one without gaps, is a solid line. */
    if (d->period >= 1e-3 && d->on_total < d->period) d->n = m;
}

void tg_plot_segment_point(const double a[2], const double b[2], double t, double out[2])
{
    for (int k = 0; k < 2; k++) /* from the nearer end, so that t = 1 gives b exactly */
        out[k] = t <= 0.5 ? a[k] + t * (b[k] - a[k]) : b[k] - (1.0 - t) * (b[k] - a[k]);
}
