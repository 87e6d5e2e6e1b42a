/* plot/ticks.c — where the ticks of an axis go and how their labels read: 1-2-5 x 10^k
 * steps on linear axes, decades (or 1-2-5 values) on log axes, and compact labels that
 * share one format along an axis (0.2, 25k, 1.5M, 2e-5, 1e-4).
 *
 * Pure functions of numbers: no chart, no pixels. The caller (chart.c) decides how many
 * ticks fit and asks again with fewer when labels would collide.
 *
 * What this is not: a general number formatter. Tick values are assumed to be multiples
 * of their step, so labels are exact at the decimals the step implies.
 */
#include "plot/figure.h"

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

/* Decimals that show multiples of `step` exactly: 0.2 -> 1, 0.05 -> 2, 20 -> 0. */
static int decimals_for(double step)
{
    int d = (int)-floor(log10(step) + 1e-9);
    return d < 0 ? 0 : d;
}

static void fixed(char *buf, double v, int decimals)
{
    if (decimals > 12) decimals = 12;
    snprintf(buf, TG_PLOT_LABEL_CAP, "%.*f", decimals, v);
    if (strcmp(buf, "-0") == 0 || (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)))
        memmove(buf, buf + 1, strlen(buf)); /* "-0.0" -> "0.0" */
}

/* "2.5e-5", "1e-4", "3e6": mantissa with `mdec` decimals, exponent without padding. */
static void sci(char *buf, double v, int mdec)
{
    if (v == 0.0) {
        snprintf(buf, TG_PLOT_LABEL_CAP, "0");
        return;
    }
    int e = (int)floor(log10(fabs(v)) + 1e-9);
    double m = v / pow(10.0, e);
    if (fabs(m) >= 10.0 - 0.5 * pow(10.0, -mdec)) { /* rounding carried into a digit */
        m /= 10.0;
        e += 1;
    }
    if (mdec > 6) mdec = 6;
    snprintf(buf, TG_PLOT_LABEL_CAP, "%.*fe%d", mdec, m, e);
}

static void linear_labels(const double *t, int n, double step,
                          char (*labels)[TG_PLOT_LABEL_CAP])
{
    double amax = 0.0;
    for (int i = 0; i < n; i++)
        if (fabs(t[i]) > amax) amax = fabs(t[i]);
    static const struct {
        double unit;
        const char *suffix;
    } units[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    if (amax >= 1e4 && amax < 1e15) {
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
            /* 1.5M, 25k; but 1000..9999 stay plain */
            if (amax < units[u].unit || step < units[u].unit / 10.0) continue;
            int d = decimals_for(step / units[u].unit);
            for (int i = 0; i < n; i++) {
                fixed(labels[i], t[i] / units[u].unit, d);
                if (strcmp(labels[i], "0") != 0)
                    strncat(labels[i], units[u].suffix,
                            TG_PLOT_LABEL_CAP - 1 - strlen(labels[i]));
            }
            return;
        }
    }
    bool tiny = step < 1e-4 && amax < 1e-3;
    if (tiny || amax >= 1e15) {
        int e = (int)floor(log10(amax) + 1e-9);
        int mdec = e - (int)floor(log10(step) + 1e-9);
        if (mdec < 0) mdec = 0;
        for (int i = 0; i < n; i++) sci(labels[i], t[i], mdec);
        return;
    }
    int d = decimals_for(step);
    for (int i = 0; i < n; i++) fixed(labels[i], t[i], d);
}

/* A log axis of large values (1 .. 1e13, e.g. prices or throughputs) reads like the
 * linear axes of the same values: "1", "10", "100", "1k", "10k", "2M". */
static bool suffix_labels(const double *t, int n, char (*labels)[TG_PLOT_LABEL_CAP])
{
    for (int i = 0; i < n; i++)
        if (t[i] < 1.0 - 1e-9 || t[i] > 1e13 * (1 + 1e-9)) return false;
    static const char *suffix[5] = {"", "k", "M", "G", "T"};
    for (int i = 0; i < n; i++) {
        int k = (int)floor(log10(t[i]) / 3.0 + 1e-9);
        double v = t[i] / pow(10.0, 3 * k);
        fixed(labels[i], v, fabs(v - round(v)) < 1e-6 ? 0 : 1);
        strncat(labels[i], suffix[k], TG_PLOT_LABEL_CAP - 1 - strlen(labels[i]));
    }
    return true;
}

static void log_labels(const double *t, int n, char (*labels)[TG_PLOT_LABEL_CAP])
{
    bool plain = true;
    for (int i = 0; i < n; i++)
        if (t[i] < 1e-3 * (1 - 1e-9) || t[i] > 1e3 * (1 + 1e-9)) plain = false;
    if (!plain && suffix_labels(t, n, labels)) return;
    for (int i = 0; i < n; i++) {
        int e = (int)floor(log10(t[i]) + 1e-9);
        double m = t[i] / pow(10.0, e);
        bool decade = fabs(m - 1.0) < 1e-6;
        if (plain)
            fixed(labels[i], t[i], e < 0 ? -e : 0);
        else if (decade)
            snprintf(labels[i], TG_PLOT_LABEL_CAP, "1e%d", e);
        else
            sci(labels[i], t[i], 0);
    }
}

void tg_plot_tick_labels(const double *ticks, int n, double step,
                         char (*labels)[TG_PLOT_LABEL_CAP])
{
    if (!ticks || !labels || n <= 0) return;
    if (step > 0.0)
        linear_labels(ticks, n, step, labels);
    else
        log_labels(ticks, n, labels);
}
