/* plot/ticks.c — where the ticks of an axis go and how their labels read: 1-2-5 x 10^k
 * steps on linear axes, decades (or 1-2-5 values) on log axes, and compact labels that
 * share one format along an axis (0.2, 25k, 1.5M, 2e-5, 1e-4).
 *
 * Pure functions of numbers: no chart, no pixels. The caller (chart.c) decides how many
 * ticks fit and asks again with fewer when labels would collide.
 *
 * Labels are exact: a linear axis shares one number of decimals, the step's (0.2 ->
 * "0.0", "0.2") or more when a tick needs them (custom ticks 0, 0.25 -> "0.00", "0.25"),
 * as matplotlib's ScalarFormatter does; a log axis gives each tick the decimals it needs
 * ("0.25", "2.5", "2.5e-5"). Both stop at six significant digits.
 *
 * What this is not: a general number formatter. Ticks it cannot place (NaN, infinite,
 * <= 0 on a log axis) get printf's %g, so nothing here is undefined for any double.
 */
#include "plot/figure.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Multiples of step in [lo, hi] (with a tolerance of a millionth of a step at both ends,
 * so 0.1 * 10 still counts as 1). */
static int multiples(double lo, double hi, double step, double *out, int cap)
{
    double eps = step * 1e-6;
    double k0 = ceil((lo - eps) / step), k1 = floor((hi + eps) / step);
    int n = 0;
    for (double k = k0; k <= k1 && n < cap; k += 1.0) {
        double v = k * step;
        if (fabs(v) < eps) v = 0.0; /* never "-0" */
        out[n++] = v;
    }
    return n;
}

static double count_multiples(double lo, double hi, double step)
{
    double eps = step * 1e-6;
    return floor((hi + eps) / step) - ceil((lo - eps) / step) + 1.0;
}

int tg_plot_nice_ticks(double lo, double hi, int max_ticks, double *out, int cap,
                       double *step)
{
    if (step) *step = 0.0;
    if (!(isfinite(lo) && isfinite(hi) && lo < hi) || !out || cap <= 0) return 0;
    if (max_ticks < 2) max_ticks = 2;
    double span = hi - lo;
    /* Start one decade below the step that gives max_ticks intervals; walk up. */
    double e = floor(log10(span / max_ticks)) - 1.0;
    static const double mant[3] = {1.0, 2.0, 5.0};
    double chosen = 0.0;
    for (int iter = 0; iter < 12 && chosen == 0.0; iter++, e += 1.0)
        for (int m = 0; m < 3; m++) {
            double s = mant[m] * pow(10.0, e);
            if (count_multiples(lo, hi, s) <= max_ticks) {
                chosen = s;
                break;
            }
        }
    if (chosen == 0.0) return 0;
    if (step) *step = chosen;
    return multiples(lo, hi, chosen, out, cap);
}

int tg_plot_log_ticks(double lo, double hi, int max_ticks, double *out, int cap,
                      double *step)
{
    if (step) *step = 0.0;
    if (!(isfinite(lo) && isfinite(hi) && lo > 0.0 && lo < hi) || !out || cap <= 0) return 0;
    if (max_ticks < 2) max_ticks = 2;
    double a = log10(lo), b = log10(hi);
    int k0 = (int)ceil(a - 1e-9), k1 = (int)floor(b + 1e-9);
    int ndec = k1 - k0 + 1;
    if (ndec >= 2) {
        static const int strides[] = {1, 2, 3, 4, 5, 10, 20, 50, 100};
        int d = 100;
        for (size_t i = 0; i < sizeof strides / sizeof strides[0]; i++) {
            int s = strides[i];
            /* multiples of s in [k0, k1] */
            int first = (int)ceil((double)k0 / s) * s;
            int cnt = first > k1 ? 0 : (k1 - first) / s + 1;
            if (cnt <= max_ticks && cnt >= 1) {
                d = s;
                break;
            }
        }
        int n = 0;
        for (int k = (int)ceil((double)k0 / d) * d; k <= k1 && n < cap; k += d)
            out[n++] = pow(10.0, k);
        return n;
    }
    /* Less than two decades inside: 1, 2, 5 x 10^k. */
    int n = 0;
    for (int k = k0 - 1; k <= k1 && n < cap; k++) {
        static const double mant[3] = {1.0, 2.0, 5.0};
        for (int m = 0; m < 3 && n < cap; m++) {
            double v = mant[m] * pow(10.0, k);
            if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out[n++] = v;
        }
    }
    if (n >= 2 && n <= max_ticks) return n;
    /* A narrow range (less than a factor 2.5): linear ticks read best. */
    return tg_plot_nice_ticks(lo, hi, max_ticks, out, cap, step);
}

/* Labels show every tick exactly when that takes at most this many decimals beyond those
 * of the leading digit of the step (linear axes) or of the tick (log axes): six
 * significant digits. A tick that needs more (a custom 1/3) is rounded there. */
#define EXTRA_DECIMALS 5
/* fixed() never prints more decimals than this (the label must fit TG_PLOT_LABEL_CAP). */
#define MAX_DECIMALS 12
/* sci() never prints more mantissa decimals than this. */
#define MAX_SCI_DECIMALS 6

/* Decimals that show multiples of `step` exactly: 0.2 -> 1, 0.05 -> 2, 20 -> 0. */
static int decimals_for(double step)
{
    int d = (int)-floor(log10(step) + 1e-9);
    return d < 0 ? 0 : d;
}

/* The decade of v (finite, nonzero): 2.5e-5 -> -5. */
static int decade_exp(double v)
{
    return (int)floor(log10(fabs(v)) + 1e-9);
}

/* v / 10^e, in two factors so that neither overflows nor underflows to zero for any
 * decade of a double (5e-324 -> 4.9 with e = -324). */
static double scale_down(double v, int e)
{
    return v / pow(10.0, e / 2) / pow(10.0, e - e / 2);
}

/* True when x printed with d decimals is x, within tol (in x's units). */
static bool exact_at(double x, int d, double tol)
{
    double p = pow(10.0, d);
    return fabs(x * p - round(x * p)) <= tol * p;
}

/* decimals_to_show's `e` for "each value's own decade". */
#define OWN_DECADE INT_MIN

/* The fewest decimals from d0 on (at most d0 + EXTRA_DECIMALS and cap) with which every
 * finite nonzero t[i] / 10^e reads exactly, within tol (in t's units); e == OWN_DECADE
 * divides each value by its own decade (the mantissas of "2.5e-5"). Ticks on the step's
 * own digits need only d0: the labels of nice 1-2-5 steps keep the step's decimals. */
static int decimals_to_show(const double *t, int n, int e, int d0, int cap, double tol)
{
    int dmax = d0 + EXTRA_DECIMALS < cap ? d0 + EXTRA_DECIMALS : cap;
    if (d0 >= dmax) return dmax;
    for (int d = d0; d < dmax; d++) {
        bool ok = true;
        for (int i = 0; i < n && ok; i++) {
            if (!isfinite(t[i]) || t[i] == 0.0) continue;
            int ei = e == OWN_DECADE ? decade_exp(t[i]) : e;
            ok = exact_at(scale_down(t[i], ei), d, scale_down(tol, ei));
        }
        if (ok) return d;
    }
    return dmax;
}

/* True when a printed number is a zero ("0", "0.00", "-0.0"). */
static bool zero_text(const char *buf)
{
    const char *p = buf + (buf[0] == '-');
    return strspn(p, "0.") == strlen(p);
}

static void fixed(char *buf, double v, int decimals)
{
    if (decimals > MAX_DECIMALS) decimals = MAX_DECIMALS;
    snprintf(buf, TG_PLOT_LABEL_CAP, "%.*f", decimals, v);
    if (buf[0] == '-' && zero_text(buf))
        memmove(buf, buf + 1, strlen(buf)); /* "-0.0" -> "0.0" */
}

/* A tick no axis format applies to (NaN, infinite, <= 0 on a log axis, or a bad step):
 * printf's %g, "-0" as "0". */
static void plain(char *buf, double v)
{
    snprintf(buf, TG_PLOT_LABEL_CAP, "%.6g", v == 0.0 ? 0.0 : v);
}

/* "2.5e-5", "1e-4", "3e6": mantissa with `mdec` decimals, exponent without padding.
 * v finite. */
static void sci(char *buf, double v, int mdec)
{
    if (v == 0.0) {
        snprintf(buf, TG_PLOT_LABEL_CAP, "0");
        return;
    }
    if (mdec > MAX_SCI_DECIMALS) mdec = MAX_SCI_DECIMALS;
    int e = decade_exp(v);
    double m = scale_down(v, e);
    if (fabs(m) >= 10.0 - 0.5 * pow(10.0, -mdec)) { /* rounding carried into a digit */
        m /= 10.0;
        e += 1;
    }
    snprintf(buf, TG_PLOT_LABEL_CAP, "%.*fe%d", mdec, m, e);
}

/* 1.5M, 25k (a zero tick as "0"): when the ticks are large and the step is at least a
 * tenth of the unit; false otherwise. 1000..9999 stay plain. */
static bool unit_labels(const double *t, int n, double step, double amax,
                        char (*labels)[TG_PLOT_LABEL_CAP])
{
    static const struct {
        double unit;
        int e;
        const char *suffix;
    } units[] = {{1e12, 12, "T"}, {1e9, 9, "G"}, {1e6, 6, "M"}, {1e3, 3, "k"}};
    if (!(amax >= 1e4 && amax < 1e15)) return false;
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        double unit = units[u].unit;
        if (amax < unit || step < unit / 10.0) continue;
        int d = decimals_to_show(t, n, units[u].e, decimals_for(step / unit), MAX_DECIMALS,
                                 step * 1e-6);
        for (int i = 0; i < n; i++) {
            if (!isfinite(t[i])) {
                plain(labels[i], t[i]);
                continue;
            }
            fixed(labels[i], t[i] / unit, d);
            if (zero_text(labels[i])) /* a zero is a zero of any unit: "0", not "0.0k" */
                snprintf(labels[i], TG_PLOT_LABEL_CAP, "0");
            else
                strncat(labels[i], units[u].suffix, TG_PLOT_LABEL_CAP - 1 - strlen(labels[i]));
        }
        return true;
    }
    return false;
}

/* Labels of a linear axis (step > 0, finite): one number of decimals shared by all. */
static void linear_labels(const double *t, int n, double step,
                          char (*labels)[TG_PLOT_LABEL_CAP])
{
    double amax = 0.0; /* over the finite ticks: a NaN or infinity gets its own label */
    for (int i = 0; i < n; i++)
        if (isfinite(t[i]) && fabs(t[i]) > amax) amax = fabs(t[i]);
    if (unit_labels(t, n, step, amax, labels)) return;
    bool tiny = step < 1e-4 && amax < 1e-3;
    if (amax > 0.0 && (tiny || amax >= 1e15)) {
        int mdec = decade_exp(amax) - decade_exp(step);
        if (mdec < 0) mdec = 0;
        mdec = decimals_to_show(t, n, OWN_DECADE, mdec, MAX_SCI_DECIMALS, step * 1e-6);
        for (int i = 0; i < n; i++) {
            if (isfinite(t[i])) sci(labels[i], t[i], mdec);
            else plain(labels[i], t[i]);
        }
        return;
    }
    int d = decimals_to_show(t, n, 0, decimals_for(step), MAX_DECIMALS, step * 1e-6);
    for (int i = 0; i < n; i++) {
        if (isfinite(t[i])) fixed(labels[i], t[i], d);
        else plain(labels[i], t[i]);
    }
}

/* A tick a log axis can place: finite and positive. */
static bool log_ok(double v)
{
    return isfinite(v) && v > 0.0;
}

/* Decimals that show v / 10^e exactly, from d0 on (log ticks: each its own). */
static int own_decimals(double v, int e, int d0, int cap)
{
    return decimals_to_show(&v, 1, e, d0, cap, fabs(v) * 1e-9);
}

/* A log axis of large values (1 .. 1e13, e.g. prices or throughputs) reads like the
 * linear axes of the same values: "1", "10", "100", "1k", "10k", "2M", "2.5k". */
static bool suffix_labels(const double *t, int n, char (*labels)[TG_PLOT_LABEL_CAP])
{
    for (int i = 0; i < n; i++)
        if (log_ok(t[i]) && (t[i] < 1.0 - 1e-9 || t[i] > 1e13 * (1 + 1e-9))) return false;
    static const char *suffix[5] = {"", "k", "M", "G", "T"};
    for (int i = 0; i < n; i++) {
        if (!log_ok(t[i])) {
            plain(labels[i], t[i]);
            continue;
        }
        int k = (int)floor(log10(t[i]) / 3.0 + 1e-9);
        if (k < 0) k = 0; /* 1 - 1e-9 */
        fixed(labels[i], t[i] / pow(10.0, 3 * k), own_decimals(t[i], 3 * k, 0, MAX_DECIMALS));
        strncat(labels[i], suffix[k], TG_PLOT_LABEL_CAP - 1 - strlen(labels[i]));
    }
    return true;
}

/* Labels of a log axis: each tick with the decimals it needs, in the style all ticks
 * together choose (plain, k/M, or scientific). */
static void log_labels(const double *t, int n, char (*labels)[TG_PLOT_LABEL_CAP])
{
    bool plain_style = true;
    for (int i = 0; i < n; i++)
        if (log_ok(t[i]) && (t[i] < 1e-3 * (1 - 1e-9) || t[i] > 1e3 * (1 + 1e-9)))
            plain_style = false;
    if (!plain_style && suffix_labels(t, n, labels)) return;
    for (int i = 0; i < n; i++) {
        if (!log_ok(t[i])) {
            plain(labels[i], t[i]);
            continue;
        }
        int e = decade_exp(t[i]);
        if (plain_style)
            fixed(labels[i], t[i], own_decimals(t[i], 0, e < 0 ? -e : 0, MAX_DECIMALS));
        else
            sci(labels[i], t[i], own_decimals(t[i], OWN_DECADE, 0, MAX_SCI_DECIMALS));
    }
}

void tg_plot_tick_labels(const double *ticks, int n, double step,
                         char (*labels)[TG_PLOT_LABEL_CAP])
{
    if (!ticks || !labels || n <= 0) return;
    if (step > 0.0 && isfinite(step)) {
        linear_labels(ticks, n, step, labels);
    } else if (step == 0.0) {
        log_labels(ticks, n, labels);
    } else { /* negative, infinite or NaN: no axis format fits */
        for (int i = 0; i < n; i++) plain(labels[i], ticks[i]);
    }
}
