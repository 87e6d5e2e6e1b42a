/* tests/test_plot_dates.c — Criterion suite `dates` for plot/dates.c: the proleptic
 * Gregorian calendar both ways and the ticks of a date axis.
 *
 * What is checked: the calendar against a day-by-day walk with the test's own leap rule
 * (every day from year -1000 to 3000), against glibc's timegm/gmtime_r (every day of
 * 1900..2100), round trips of random days within +-1e8 years and no trouble at the int64
 * extremes, and known facts (the epoch, 2000-03-01, 1900 not leap, 2000 leap, month and
 * day overflow). The ticks: chosen steps and concise labels for a 500-day forecast, a
 * 10-day, a 36-hour, a 100-year, a seconds-long and a before-Christ range; the seconds unit
 * giving the days unit's ticks times 86400; the choice of step against the rule of plot.h
 * written the slow way (ticks found by looking at every day) on random ranges of a second
 * to three years; max_ticks, order and range respected over many random ranges; bad
 * input returning 0, and huge ranges or max_ticks returning quickly.
 *
 * Expected values come from the calendar rules written out here (month lengths, leap
 * years, month names), never from what the code printed.
 */
#define _DEFAULT_SOURCE /* timegm, gmtime_r */
#include <criterion/criterion.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "plot/plot.h"
#include "plot/render.h"

/* ---- helpers: the calendar as the test knows it ------------------------------------------ */

static const char *const MON[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool is_leap(long y)
{
    return y % 400 == 0 || (y % 4 == 0 && y % 100 != 0);
}

static int mlen(long y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

static void next_day(int *y, int *m, int *d)
{
    if (++*d > mlen(*y, *m)) {
        *d = 1;
        if (++*m > 12) {
            *m = 1;
            ++*y;
        }
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
static double rnd_unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int64_t days_of(int y, int m, int d)
{
    return tg_plot_days_from_civil(y, m, d);
}

/* The civil date and the second of the day of a tick given in days. */
static void tick_date(double v_days, int *y, int *m, int *d, long *sec)
{
    double day = floor(v_days);
    tg_plot_civil_from_days((int64_t)day, y, m, d);
    *sec = lround((v_days - day) * 86400.0);
}

#define CAP 64

/* ---- calendar ---------------------------------------------------------------------------- */

Test(dates, known_days)
{
    cr_assert_eq(days_of(1970, 1, 1), 0);
    cr_assert_eq(days_of(1969, 12, 31), -1);
    cr_assert_eq(days_of(1970, 1, 2), 1);
    cr_assert_eq(days_of(1971, 1, 1), 365);
    /* 2000-01-01: 30 years, 7 leap days (72, 76, ..., 96) */
    cr_assert_eq(days_of(2000, 1, 1), 30 * 365 + 7);
    cr_assert_eq(days_of(2000, 3, 1), 30 * 365 + 7 + 31 + 29);
    /* 1900 is not a leap year, 2000 and 1600 are, 2100 is not */
    cr_assert_eq(days_of(1900, 3, 1) - days_of(1900, 2, 28), 1);
    cr_assert_eq(days_of(2000, 3, 1) - days_of(2000, 2, 28), 2);
    cr_assert_eq(days_of(1600, 3, 1) - days_of(1600, 2, 28), 2);
    cr_assert_eq(days_of(2100, 3, 1) - days_of(2100, 2, 28), 1);
    cr_assert_eq(days_of(1901, 1, 1) - days_of(1900, 1, 1), 365);
    cr_assert_eq(days_of(2001, 1, 1) - days_of(2000, 1, 1), 366);
    /* 400 Gregorian years are 146097 days, also across year 0 */
    cr_assert_eq(days_of(2000, 1, 1) - days_of(1600, 1, 1), 146097);
    cr_assert_eq(days_of(200, 5, 7) - days_of(-200, 5, 7), 146097);
    int y, m, d;
    tg_plot_civil_from_days(days_of(2000, 2, 28) + 1, &y, &m, &d);
    cr_assert(y == 2000 && m == 2 && d == 29);
    tg_plot_civil_from_days(days_of(1900, 2, 28) + 1, &y, &m, &d);
    cr_assert(y == 1900 && m == 3 && d == 1);
    tg_plot_civil_from_days(0, &y, &m, &d);
    cr_assert(y == 1970 && m == 1 && d == 1);
    tg_plot_civil_from_days(-1, &y, &m, &d);
    cr_assert(y == 1969 && m == 12 && d == 31);
    /* year 0 (1 BC) is a leap year */
    cr_assert_eq(days_of(0, 3, 1) - days_of(0, 2, 28), 2);
    /* the month wraps into the year, the day is an offset from the 1st */
    cr_assert_eq(days_of(2020, 13, 1), days_of(2021, 1, 1));
    cr_assert_eq(days_of(2020, 0, 1), days_of(2019, 12, 1));
    cr_assert_eq(days_of(2020, -11, 1), days_of(2019, 1, 1));
    cr_assert_eq(days_of(2021, 3, 0), days_of(2021, 2, 28));
    cr_assert_eq(days_of(2021, 1, 32), days_of(2021, 2, 1));
    /* NULL outputs are fine */
    tg_plot_civil_from_days(12345, NULL, NULL, NULL);
}

Test(dates, every_day_from_minus_1000_to_3000)
{
    int y = -1000, m = 1, d = 1;
    int64_t first = days_of(-1000, 1, 1), last = days_of(3001, 1, 1);
    /* -1000..3000 is 4001 years: ten 400-year cycles of 146097 days plus year 3000 */
    cr_assert_eq(last - first, 10 * 146097 + 365);
    for (int64_t t = first; t < last; t++) {
        int cy, cm, cd;
        tg_plot_civil_from_days(t, &cy, &cm, &cd);
        if (cy != y || cm != m || cd != d)
            cr_assert_fail("day %lld: %d-%d-%d, expected %d-%d-%d", (long long)t, cy, cm, cd,
                           y, m, d);
        if (days_of(y, m, d) != t) cr_assert_fail("days_from_civil(%d-%d-%d)", y, m, d);
        next_day(&y, &m, &d);
    }
    cr_assert(y == 3001 && m == 1 && d == 1);
}

Test(dates, agrees_with_glibc_1900_to_2100)
{
    int64_t first = days_of(1900, 1, 1), last = days_of(2101, 1, 1);
    for (int64_t t = first; t < last; t++) {
        time_t s = (time_t)(t * 86400 + 3600 * 7);
        struct tm tm;
        cr_assert_not_null(gmtime_r(&s, &tm));
        int y, m, d;
        tg_plot_civil_from_days(t, &y, &m, &d);
        if (y != tm.tm_year + 1900 || m != tm.tm_mon + 1 || d != tm.tm_mday)
            cr_assert_fail("day %lld: %d-%d-%d, gmtime %d-%d-%d", (long long)t, y, m, d,
                           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        struct tm in = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
        time_t back = timegm(&in);
        if ((int64_t)back != days_of(y, m, d) * 86400)
            cr_assert_fail("timegm(%d-%d-%d) = %lld", y, m, d, (long long)back);
    }
}

Test(dates, random_days_round_trip)
{
    const int64_t span = (int64_t)(1e8 * 365.2425); /* +-1e8 years */
    for (int i = 0; i < 200000; i++) {
        int64_t t = (int64_t)(rnd() % (uint64_t)(2 * span + 1)) - span;
        int y, m, d;
        tg_plot_civil_from_days(t, &y, &m, &d);
        cr_assert(m >= 1 && m <= 12 && d >= 1 && d <= mlen(y, m), "%d-%d-%d", y, m, d);
        cr_assert(y > -100002000 && y < 100002000);
        cr_assert_eq(days_of(y, m, d), t, "day %lld", (long long)t);
        /* the next day is the calendar's next day */
        int y2, m2, d2;
        tg_plot_civil_from_days(t + 1, &y2, &m2, &d2);
        next_day(&y, &m, &d);
        cr_assert(y2 == y && m2 == m && d2 == d, "after day %lld", (long long)t);
    }
    /* the ends of int64: no overflow (UBSan watches), a valid month and day, the year
     * saturated */
    int y, m, d;
    tg_plot_civil_from_days(INT64_MAX, &y, &m, &d);
    cr_assert(y == INT_MAX && m >= 1 && m <= 12 && d >= 1 && d <= 31);
    tg_plot_civil_from_days(INT64_MIN, &y, &m, &d);
    cr_assert(y == INT_MIN && m >= 1 && m <= 12 && d >= 1 && d <= 31);
    /* and the extreme int years */
    cr_assert_eq(days_of(INT_MAX, 1, 1) - days_of(INT_MAX - 400, 1, 1), 146097);
    cr_assert_eq(days_of(INT_MIN + 400, 1, 1) - days_of(INT_MIN, 1, 1), 146097);
    tg_plot_civil_from_days(days_of(INT_MIN, 12, 31), &y, &m, &d);
    cr_assert(y == INT_MIN && m == 12 && d == 31);
}

/* ---- ticks ------------------------------------------------------------------------------- */

Test(dates, forecast_500_days_monthly)
{
    double lo = (double)days_of(2021, 1, 15), hi = lo + 499.0;
    double t[CAP];
    char lab[CAP][TG_PLOT_LABEL_CAP];
    int n = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, 8, t, CAP, lab);
    cr_assert(n >= 2 && n <= 8, "%d ticks", n);
    int gap = 0, prev = 0;
    bool saw_year = false, saw_mar = false;
    for (int i = 0; i < n; i++) {
        cr_assert(t[i] >= lo && t[i] <= hi);
        cr_assert_eq(t[i], floor(t[i]), "whole days");
        int y, m, d;
        tg_plot_civil_from_days((int64_t)t[i], &y, &m, &d);
        cr_assert_eq(d, 1, "on the 1st");
        int idx = y * 12 + m - 1;
        if (i > 0) {
            if (gap == 0) gap = idx - prev;
            cr_assert_eq(idx - prev, gap, "evenly spaced");
        }
        prev = idx;
        char want[TG_PLOT_LABEL_CAP];
        if (m == 1)
            snprintf(want, sizeof want, "%d", y);
        else if (i == 0) /* the first tick names its year */
            snprintf(want, sizeof want, "%s %d", MON[m - 1], y);
        else
            snprintf(want, sizeof want, "%s", MON[m - 1]);
        cr_assert_str_eq(lab[i], want);
        saw_year |= strcmp(lab[i], "2022") == 0;
        saw_mar |= strcmp(lab[i], "Mar") == 0;
    }
    cr_assert(gap == 2 || gap == 3, "every %d months", gap);
    cr_assert(saw_year && saw_mar);
}

static void check_days(double lo, double hi, int max_ticks, int want_step)
{
    double t[CAP];
    char lab[CAP][TG_PLOT_LABEL_CAP];
    int n = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, max_ticks, t, CAP, lab);
    cr_assert(n >= 2 && n <= max_ticks, "%d ticks", n);
    for (int i = 0; i < n; i++) {
        cr_assert(t[i] >= lo && t[i] <= hi && t[i] == floor(t[i]));
        int y, m, d;
        tg_plot_civil_from_days((int64_t)t[i], &y, &m, &d);
        cr_assert_eq((d - 1) % want_step, 0, "day %d of the month", d);
        char want[TG_PLOT_LABEL_CAP];
        if (i == 0) /* the first tick names its year */
            snprintf(want, sizeof want, "%s %d, %d", MON[m - 1], d, y);
        else
            snprintf(want, sizeof want, "%s %d", MON[m - 1], d);
        cr_assert_str_eq(lab[i], want);
        /* every day of the month 1, 1 + k, ... inside the range is a tick */
        if (i > 0) {
            int py, pm, pd;
            tg_plot_civil_from_days((int64_t)t[i - 1], &py, &pm, &pd);
            bool restart = d == 1 && pm != m;
            cr_assert(restart || t[i] - t[i - 1] == want_step, "%s after %s", lab[i],
                      lab[i - 1]);
        }
    }
}

Test(dates, ten_days_daily)
{
    double lo = (double)days_of(2021, 3, 10) + 0.3, hi = lo + 10.0;
    /* March 11..20: ten daily ticks when they fit ... */
    double t[CAP];
    char lab[CAP][TG_PLOT_LABEL_CAP];
    int n = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, 12, t, CAP, lab);
    cr_assert_eq(n, 10);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(t[i], (double)days_of(2021, 3, 11 + i));
        char want[TG_PLOT_LABEL_CAP];
        snprintf(want, sizeof want, i == 0 ? "Mar %d, 2021" : "Mar %d", 11 + i);
        cr_assert_str_eq(lab[i], want);
    }
    check_days(lo, hi, 12, 1);
    /* ... every 2nd day (11, 13, ..., 19) with at most 8 */
    check_days(lo, hi, 8, 2);
    /* across a month end the days restart on the 1st: Jan 25 .. Feb 20, at most 12 */
    check_days((double)days_of(2021, 1, 25), (double)days_of(2021, 2, 20), 12, 3);
}

Test(dates, thirty_six_hours_hourly)
{
    double lo = (double)days_of(2021, 3, 14) + 0.5, hi = lo + 1.5; /* Mar 14 12:00 .. 16 00:00 */
    double t[CAP];
    char lab[CAP][TG_PLOT_LABEL_CAP];
    int n = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, 8, t, CAP, lab);
    cr_assert(n >= 2 && n <= 8, "%d ticks", n);
    bool saw_midnight = false;
    double step = 0.0;
    for (int i = 0; i < n; i++) {
        cr_assert(t[i] >= lo - 1e-12 && t[i] <= hi + 1e-12);
        int y, m, d;
        long sec;
        tick_date(t[i], &y, &m, &d, &sec);
        cr_assert_eq(sec % 3600, 0, "on the hour");
        char want[TG_PLOT_LABEL_CAP];
        if (sec == 0 || sec == 86400) {
            snprintf(want, sizeof want, "%s %d", MON[m - 1], d + (sec == 86400));
            saw_midnight = true;
        } else {
            snprintf(want, sizeof want, "%02ld:00", sec / 3600);
        }
        cr_assert_str_eq(lab[i], want);
        if (i == 1) step = t[1] - t[0];
        if (i > 1) cr_assert_float_eq(t[i] - t[i - 1], step, 1e-9);
    }
    int hours = (int)lround(step * 24.0);
    cr_assert(hours == 6 || hours == 12, "every %d hours", hours);
    cr_assert(saw_midnight);
    /* the exact ticks with every 6 hours: 12:00, 18:00, Mar 15, 06:00, ..., Mar 16 */
    static const char *const want6[7] = {"12:00", "18:00", "Mar 15", "06:00",
                                         "12:00", "18:00", "Mar 16"};
    n = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, 7, t, CAP, lab);
    cr_assert_eq(n, 7);
    for (int i = 0; i < 7; i++) {
        cr_assert_str_eq(lab[i], want6[i]);
        cr_assert_float_eq(t[i], lo + i * 0.25, 1e-9);
    }
    cr_assert_eq(t[0], lo, "a tick exactly at lo counts");
    cr_assert_eq(t[6], hi, "a tick exactly at hi counts");
}

Test(dates, hundred_years_yearly)
{
    double lo = (double)days_of(1950, 6, 1), hi = (double)days_of(2050, 6, 1);
    int max_ticks[3] = {8, 11, 6};
    for (int j = 0; j < 3; j++) {
        double t[CAP];
        char lab[CAP][TG_PLOT_LABEL_CAP];
        int n = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, max_ticks[j], t, CAP, lab);
        cr_assert(n >= 2 && n <= max_ticks[j]);
        int years[CAP];
        for (int i = 0; i < n; i++) {
            int m, d;
            tg_plot_civil_from_days((int64_t)t[i], &years[i], &m, &d);
            cr_assert(m == 1 && d == 1 && t[i] == floor(t[i]), "January 1");
            char want[TG_PLOT_LABEL_CAP];
            snprintf(want, sizeof want, "%d", years[i]);
            cr_assert_str_eq(lab[i], want);
        }
        int step = years[1] - years[0];
        cr_assert(step == 10 || step == 20, "every %d years", step);
        for (int i = 0; i < n; i++) {
            cr_assert_eq(years[i] % step, 0);
            if (i > 0) cr_assert_eq(years[i] - years[i - 1], step);
        }
        /* every multiple inside is there */
        cr_assert_eq(n, (2040 - 1960) / step + 1 + (step == 10));
    }
}

Test(dates, seconds_and_minutes)
{
    double base = (double)days_of(2021, 3, 15) * 86400.0;
    double t[CAP];
    char lab[CAP][TG_PLOT_LABEL_CAP];
    /* 06:29:50 .. 06:30:40: every 10 s (06:29:50, 06:30:00, ...) with at most 6 */
    double lo = base + 6 * 3600 + 29 * 60 + 50, hi = lo + 50;
    int n = tg_plot_date_ticks(lo, hi, TG_DATE_SECONDS, 6, t, CAP, lab);
    cr_assert_eq(n, 6);
    static const char *const want_s[6] = {"06:29:50", "06:30:00", "06:30:10",
                                          "06:30:20", "06:30:30", "06:30:40"};
    for (int i = 0; i < n; i++) {
        cr_assert_eq(t[i], lo + 10.0 * i);
        cr_assert_str_eq(lab[i], want_s[i]);
    }
    /* across midnight, the midnight tick shows its day */
    lo = base - 20, hi = base + 20;
    n = tg_plot_date_ticks(lo, hi, TG_DATE_SECONDS, 5, t, CAP, lab);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(lab[0], "23:59:40");
    cr_assert_str_eq(lab[2], "Mar 15");
    cr_assert_eq(t[2], base);
    /* 06:00 .. 08:00 with at most 9: every 15 minutes */
    lo = base + 6 * 3600, hi = base + 8 * 3600;
    n = tg_plot_date_ticks(lo, hi, TG_DATE_SECONDS, 9, t, CAP, lab);
    cr_assert_eq(n, 9);
    cr_assert_str_eq(lab[1], "06:15");
    cr_assert_str_eq(lab[8], "08:00");
    /* a range with a single whole second gets that tick */
    n = tg_plot_date_ticks(base + 0.2, base + 1.7, TG_DATE_SECONDS, 8, t, CAP, lab);
    cr_assert_eq(n, 1);
    cr_assert_eq(t[0], base + 1.0);
    cr_assert_str_eq(lab[0], "00:00:01");
}

Test(dates, negative_years)
{
    double lo = (double)days_of(-620, 3, 1), hi = (double)days_of(-380, 3, 1);
    double t[CAP];
    char lab[CAP][TG_PLOT_LABEL_CAP];
    /* every 40 years would give 6 (-600, ..., -400), every 50 years 5 */
    int n = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, 5, t, CAP, lab);
    cr_assert_eq(n, 5);
    for (int i = 0; i < n; i++) {
        char want[TG_PLOT_LABEL_CAP];
        snprintf(want, sizeof want, "%d", -600 + 50 * i);
        cr_assert_str_eq(lab[i], want);
        cr_assert_eq(t[i], (double)days_of(-600 + 50 * i, 1, 1));
    }
}

/* A random range: lo within +-3000 years of 1970, span from a second to 5000 years. */
static void random_range(double *lo, double *hi)
{
    double span = exp(log(1.0 / 86400.0) + rnd_unit() * (log(5000.0 * 365.25) -
                                                          log(1.0 / 86400.0)));
    *lo = (rnd_unit() * 2.0 - 1.0) * 3000.0 * 365.25;
    *hi = *lo + span;
}

Test(dates, seconds_unit_matches_days_unit)
{
    for (int i = 0; i < 3000; i++) {
        double lo, hi;
        random_range(&lo, &hi);
        int max_ticks = 2 + (int)(rnd() % 12);
        double td[CAP], ts[CAP];
        char ld[CAP][TG_PLOT_LABEL_CAP], ls[CAP][TG_PLOT_LABEL_CAP];
        int nd = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, max_ticks, td, CAP, ld);
        int ns = tg_plot_date_ticks(lo * 86400.0, hi * 86400.0, TG_DATE_SECONDS, max_ticks,
                                    ts, CAP, ls);
        cr_assert_eq(nd, ns, "[%.9f, %.9f] max %d", lo, hi, max_ticks);
        for (int k = 0; k < nd; k++) {
            cr_assert_eq(ts[k], round(ts[k]), "whole seconds");
            cr_assert_float_eq(td[k] * 86400.0, ts[k], 1e-9 * fmax(1.0, fabs(ts[k])));
            cr_assert_str_eq(ld[k], ls[k]);
        }
    }
}

Test(dates, max_ticks_respected_random_ranges)
{
    for (int i = 0; i < 20000; i++) {
        double lo, hi;
        random_range(&lo, &hi);
        int max_ticks = (int)(rnd() % 24) - 2; /* below 2 counts as 2 */
        int eff = max_ticks < 2 ? 2 : max_ticks;
        double t[CAP];
        char lab[CAP][TG_PLOT_LABEL_CAP];
        memset(lab, 0x7f, sizeof lab);
        int n = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, max_ticks, t, CAP, lab);
        cr_assert(n >= 0 && n <= eff, "%d ticks for max %d", n, max_ticks);
        double tol = 1e-8 * (hi - lo) + 1e-13 * fmax(fabs(lo), fabs(hi));
        for (int k = 0; k < n; k++) {
            cr_assert(t[k] >= lo - tol && t[k] <= hi + tol, "[%.9f, %.9f]: %.9f", lo, hi,
                      t[k]);
            if (k > 0) cr_assert_gt(t[k], t[k - 1]);
            size_t len = strnlen(lab[k], TG_PLOT_LABEL_CAP);
            cr_assert(len > 0 && len < TG_PLOT_LABEL_CAP);
        }
        /* Two whole seconds inside and room for ten: never fewer than two ticks. (With
         * fewer allowed, a step may jump from too many to one: 7 minutes with at most 6
         * have 8 minutes, and one multiple of 5 minutes.) */
        if (hi - lo >= 2.0 / 86400.0 && eff >= 10) cr_assert_geq(n, 2, "[%.9f, %.9f]", lo, hi);
    }
}

/* The rule of plot.h written the slow way: the candidate steps, their ticks found by
 * looking at every day (calendar steps) or by multiples of the step (sub-daily), the
 * finest giving 2..max_ticks ticks, else the finest giving at most max_ticks. */
typedef struct {
    char kind; /* 's', 'm', 'h', 'D', 'M', 'Y' */
    long k;
} ref_step;

static int ref_steps(ref_step *st)
{
    static const ref_step fixed[] = {
        {'s', 1}, {'s', 5}, {'s', 10}, {'s', 15}, {'s', 30}, {'m', 1}, {'m', 5}, {'m', 10},
        {'m', 15}, {'m', 30}, {'h', 1}, {'h', 2}, {'h', 3}, {'h', 4}, {'h', 6}, {'h', 12},
        {'D', 1}, {'D', 2}, {'D', 3}, {'D', 7}, {'D', 14}, {'M', 1}, {'M', 2}, {'M', 3},
        {'M', 4}, {'M', 6}};
    int n = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) st[n++] = fixed[i];
    for (long p = 1; p <= 1000; p *= 10) /* enough for ranges of a few years */
        for (int i = 0; i < 4; i++) st[n++] = (ref_step){'Y', (long[]){1, 2, 4, 5}[i] * p};
    return n;
}

/* Ticks of one step in [lo, hi] (days): their number, the first `cap` written. */
static long ref_ticks(double lo, double hi, ref_step st, double *out, int cap)
{
    long n = 0;
    /* plot/dates.c's documented tolerance at the ends */
    double tol = 1e-9 * (hi - lo) + 4.0 * DBL_EPSILON * fmax(fabs(lo), fabs(hi));
    if (st.kind == 's' || st.kind == 'm' || st.kind == 'h') {
        double s = (double)st.k * (st.kind == 's' ? 1 : st.kind == 'm' ? 60 : 3600);
        /* the multiples j * s from the first to the last inside */
        double j0 = ceil(lo * 86400.0 / s) - 1, j1 = floor(hi * 86400.0 / s) + 1;
        while (j0 * s / 86400.0 < lo - tol) j0++;
        while (j1 * s / 86400.0 > hi + tol) j1--;
        for (double j = j0; j <= j1 && n < cap; j++) out[n++] = j * s / 86400.0;
        return j1 >= j0 ? (long)(j1 - j0) + 1 : 0;
    }
    int64_t day = (int64_t)floor(lo);
    int y, m, d;
    tg_plot_civil_from_days(day, &y, &m, &d);
    for (; (double)day <= hi + 1.0; day++, next_day(&y, &m, &d)) {
        bool on = st.kind == 'D'   ? (d - 1) % st.k == 0
                  : st.kind == 'M' ? d == 1 && (m - 1) % st.k == 0
                                   : m == 1 && d == 1 && ((y % st.k) + st.k) % st.k == 0;
        if (on && (double)day >= lo - tol && (double)day <= hi + tol) {
            if (n < cap) out[n] = (double)day;
            n++;
        }
    }
    return n;
}

Test(dates, matches_slow_reference)
{
    ref_step st[64];
    int nst = ref_steps(st);
    for (int i = 0; i < 3000; i++) {
        /* spans from a second to three years, lo within 300 years of 1970 */
        double span = exp(log(1.0 / 86400.0) + rnd_unit() * (log(1100.0) - log(1.0 / 86400.0)));
        double lo = (rnd_unit() * 2.0 - 1.0) * 300.0 * 365.25, hi = lo + span;
        int max_ticks = 2 + (int)(rnd() % 14);
        int pick = -1, fallback = -1;
        for (int s = 0; s < nst && pick < 0; s++) {
            long c = ref_ticks(lo, hi, st[s], NULL, 0);
            if (c >= 2 && c <= max_ticks) pick = s;
            if (c <= 1 && fallback < 0) fallback = s;
        }
        if (pick < 0) pick = fallback;
        cr_assert_geq(pick, 0);
        double want[CAP], got[CAP];
        long nw = ref_ticks(lo, hi, st[pick], want, CAP);
        int n = tg_plot_date_ticks(lo, hi, TG_DATE_DAYS, max_ticks, got, CAP, NULL);
        cr_assert_eq(n, nw, "[%.9f, %.9f] max %d: %c%ld", lo, hi, max_ticks, st[pick].kind,
                     st[pick].k);
        for (int k = 0; k < n; k++)
            cr_assert_float_eq(got[k], want[k], 1e-9, "[%.9f, %.9f] tick %d", lo, hi, k);
    }
}

Test(dates, bad_input)
{
    double t[CAP];
    char lab[CAP][TG_PLOT_LABEL_CAP];
    cr_assert_eq(tg_plot_date_ticks(NAN, 10, TG_DATE_DAYS, 8, t, CAP, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(0, INFINITY, TG_DATE_DAYS, 8, t, CAP, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(-INFINITY, 0, TG_DATE_SECONDS, 8, t, CAP, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(10, 10, TG_DATE_DAYS, 8, t, CAP, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(11, 10, TG_DATE_DAYS, 8, t, CAP, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(0, 100, TG_DATE_DAYS, 8, NULL, CAP, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(0, 100, TG_DATE_DAYS, 8, t, 0, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(0, 100, TG_DATE_DAYS, 8, t, -3, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(0, 100, (tg_date_unit)0, 8, t, CAP, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(0, 100, (tg_date_unit)7, 8, t, CAP, lab), 0);
    /* beyond 10 million years */
    cr_assert_eq(tg_plot_date_ticks(0, 1e15, TG_DATE_SECONDS, 8, t, CAP, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(-4e9, 0, TG_DATE_DAYS, 8, t, CAP, lab), 0);
    cr_assert_eq(tg_plot_date_ticks(0, 1e300, TG_DATE_DAYS, 8, t, CAP, lab), 0);
    /* labels may be NULL; the same ticks */
    double t2[CAP];
    int n = tg_plot_date_ticks(0, 100, TG_DATE_DAYS, 8, t, CAP, lab);
    cr_assert_eq(tg_plot_date_ticks(0, 100, TG_DATE_DAYS, 8, t2, CAP, NULL), n);
    cr_assert_arr_eq(t, t2, (size_t)n * sizeof t[0]);
    /* max_ticks below 2 counts as 2 */
    cr_assert_eq(tg_plot_date_ticks(0, 1000, TG_DATE_DAYS, -5, t, CAP, lab),
                 tg_plot_date_ticks(0, 1000, TG_DATE_DAYS, 2, t2, CAP, NULL));
    cr_assert_arr_eq(t, t2, 2 * sizeof t[0]);
    /* cap cuts the output, nothing written past it */
    t[3] = -42.0;
    n = tg_plot_date_ticks(0, 100, TG_DATE_DAYS, 12, t, 3, lab);
    cr_assert_eq(n, 3);
    cr_assert_eq(t[3], -42.0);
}

Test(dates, huge_ranges_are_quick, .timeout = 10)
{
    double t[CAP];
    char lab[CAP][TG_PLOT_LABEL_CAP];
    /* 19 million years in seconds with a huge max_ticks: bounded work, at most cap out */
    int n = tg_plot_date_ticks(-3e14, 3e14, TG_DATE_SECONDS, INT_MAX, t, CAP, lab);
    cr_assert(n >= 2 && n <= CAP);
    for (int k = 1; k < n; k++) cr_assert_gt(t[k], t[k - 1]);
    /* -3e14 s is about year -9.5 million: every 2 million years gives 9 ticks (-8e6,
     * ..., 8e6), every 4 million 5 */
    n = tg_plot_date_ticks(-3e14, 3e14, TG_DATE_SECONDS, 8, t, CAP, lab);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(lab[0], "-8000000");
    cr_assert_str_eq(lab[2], "0");
    cr_assert_str_eq(lab[4], "8000000");
    cr_assert_eq(t[4], (double)days_of(8000000, 1, 1) * 86400.0);
    /* tiny ranges far from the epoch */
    double far = 3.6e9;
    n = tg_plot_date_ticks(far, far + 1e-3, TG_DATE_DAYS, 8, t, CAP, lab);
    cr_assert(n >= 0 && n <= 8);
    for (int i = 0; i < 200; i++) /* many calls with INT_MAX stay fast */
        tg_plot_date_ticks(0, 3650.0 * (i + 1), TG_DATE_DAYS, INT_MAX, t, CAP, NULL);
}

/* ---- tg_plot_date at the ends of int ------------------------------------------------------ */

static int64_t floor_div_t(int64_t a, int64_t b) /* b > 0 */
{
    return a / b - (a % b < 0);
}

/* Leap years among the years 1..x (negative for x < 0, so that L(b) - L(a - 1) counts
 * [a, b] for any a <= b): the rule of is_leap summed in closed form. */
static int64_t leaps_upto(int64_t x)
{
    return floor_div_t(x, 4) - floor_div_t(x, 100) + floor_div_t(x, 400);
}

/* Days from 1970-01-01 to January 1 of year y (any int64 year up to a few billion). */
static int64_t jan1(int64_t y)
{
    return 365 * (y - 1970) + leaps_upto(y - 1) - leaps_upto(1969);
}

/* Days from 1970-01-01 to the 1st of the month that is `months` (any int64) after January
 * of year y, by the test's month lengths. */
static int64_t first_of(int64_t y, int64_t months)
{
    int64_t yy = y + floor_div_t(months, 12), mi = months - 12 * floor_div_t(months, 12);
    int64_t days = jan1(yy);
    for (int k = 1; k <= mi; k++) days += mlen((long)yy, k);
    return days;
}

/* tg_plot_date for every extreme of int: no overflow (UBSan watches), exact values from
 * the leap rule, months rolling into years beyond the ints, days offset from the 1st. */
Test(dates, tg_plot_date_is_defined_for_every_int)
{
    /* the test's rule against known facts first */
    cr_assert_eq(jan1(1970), 0);
    cr_assert_eq(jan1(2000), 30 * 365 + 7);
    cr_assert_eq(first_of(2000, 2), 30 * 365 + 7 + 31 + 29);
    cr_assert_eq(first_of(2001, -1), jan1(2001) - 31);
    const int vals[] = {INT_MIN, INT_MIN + 1, -1, 0, 1, 12, 13, INT_MAX - 1, INT_MAX};
    const size_t nv = sizeof vals / sizeof vals[0];
    for (size_t i = 0; i < nv; i++)
        for (size_t j = 0; j < nv; j++)
            for (size_t k = 0; k < nv; k++) {
                int y = vals[i], m = vals[j], d = vals[k];
                double want = (double)(first_of(y, (int64_t)m - 1) + ((int64_t)d - 1));
                double got = tg_plot_date(y, m, d);
                cr_expect_eq(got, want, "tg_plot_date(%d, %d, %d) = %.17g, not %.17g", y, m,
                             d, got, want);
            }
    /* month 13 of INT_MAX is January of a year beyond the ints, one day after Dec 31 */
    cr_expect_eq(tg_plot_date(INT_MAX, 13, 1), tg_plot_date(INT_MAX, 12, 31) + 1.0);
    cr_expect_eq(tg_plot_date(INT_MIN, 0, 31), tg_plot_date(INT_MIN, 1, 1) - 1.0);
    cr_expect_gt(tg_plot_date(INT_MAX, 1, 1), 7.8e11);
    cr_expect_lt(tg_plot_date(INT_MIN, 1, 1), -7.8e11);
}
