/* plot/dates.c — calendar arithmetic and the ticks of a date axis.
 *
 * What this is:
 *
 * - tg_plot_days_from_civil / tg_plot_civil_from_days: dates of the proleptic Gregorian
 *   calendar (the Gregorian rules extended backwards before 1582) as days since
 *   1970-01-01, both ways, in exact integer arithmetic. Years are astronomical: year 0 is
 *   1 BC, year -1 is 2 BC. The calendar repeats every 400 years (146097 days), so a date
 *   splits into a 400-year era and a day inside it; inside an era, years are counted from
 *   March 1 so that the leap day closes the year. Nothing overflows for any int year
 *   (days_from_civil) or any int64 day (civil_from_days; beyond the years an int holds,
 *   about +-7.8e11 days, the year saturates at INT_MIN / INT_MAX).
 *   days_from_civil takes the month modulo 12 into the year (month 13 of 2020 is January
 *   2021, month 0 December of the year before) and the day as an offset from the 1st
 *   (day 0 is the last day of the month before, day 32 of January is February 1).
 *
 * - tg_plot_date_ticks: where the ticks of a date axis go and what they say, in the
 *   manner of matplotlib's AutoDateLocator and ConciseDateFormatter (our own code, the
 *   behaviour as plot.h documents it). Candidate steps, finest first: every 1, 5, 10, 15,
 *   30 seconds; every 1, 5, 10, 15, 30 minutes; every 1, 2, 3, 4, 6, 12 hours (all of
 *   them multiples of the step since midnight, which are multiples since the epoch);
 *   days 1, 1 + k, 1 + 2k, ... of every month for k = 1, 2, 3, 7, 14 (restarting on the
 *   1st, so a step may be shorter at a month's end); the 1st of months 1, 1 + k, ... for
 *   k = 1, 2, 3, 4, 6; January 1 of the years that are multiples of k for k = 1, 2, 4, 5
 *   x 10^e up to 5 x 10^7. Ticks are counted exactly (not estimated from the span as
 *   matplotlib does): the first step whose count in [lo, hi] is between 2 and max_ticks
 *   wins; when none gives at least 2, the first that gives at most max_ticks (0 or 1
 *   tick). So a narrow range or a small max_ticks may get a single tick: 1.5 s holding
 *   one whole second, or 7 minutes with max_ticks 6 (8 minute ticks, and one multiple of
 *   5 minutes); with max_ticks >= 10 any range holding two whole seconds gets two. A tick counts as inside [lo, hi] when it is within 1e-9 x (hi - lo) +
 *   4 x DBL_EPSILON x max(|lo|, |hi|) of it, so a tick at lo or hi is kept even when the
 *   caller's arithmetic rounded the end a few units in the last place the other way.
 *
 *   Edge cases: NULL out, cap <= 0, an unknown unit, non-finite ends, lo >= hi, or an end
 *   farther than 10 million years (3652425000 days) from 1970 return 0. max_ticks below
 *   2 counts as 2, above TG_DATE_MAX_TICKS (10000) as that: the work is bounded by the
 *   number of candidate steps times that, whatever the range (counting stops one past
 *   max_ticks, and steps that must give more are skipped unwalked).
 *
 *   Labels, in the C locale with English month abbreviations, always shorter than
 *   TG_PLOT_LABEL_CAP: yearly "2021" ("-500" for negative years); monthly "Mar", January
 *   as its year "2021"; daily "Mar 15" (no zero padding, no year); hourly and minutely
 *   "06:30"; secondly "06:30:15"; a sub-daily tick at midnight as its day "Mar 15".
 *
 * What this is not: a date library. No time zones, daylight saving or leap seconds (UTC
 * with 86400-second days, as POSIX time), no Julian calendar before 1582, no parsing,
 * no locale. The tick choice is not matplotlib's code: no microsecond ticks, no
 * interval_multiples switch, no offset text ("2021-Mar") beside the axis, and the
 * labels are the short forms listed above, not strftime formats.
 */
#include "plot/render.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>

/* ---- calendar --------------------------------------------------------------------------- */

#define DAYS_PER_ERA 146097 /* 400 Gregorian years */
#define DAYS_PER_CENTURY 36524 /* 100 years of an era's first three centuries */
#define DAYS_PER_4Y 1461
/* Days from 0000-03-01 (the start of era 0) to 1970-01-01. */
#define EPOCH_SHIFT 719468

/* Days before the 1st of each month of a year that starts on March 1 (index 0 = March,
 * 10 = January, 11 = February, which ends the year and takes the leap day). */
static const int march_start[12] = {0, 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337};

static int64_t floor_div(int64_t a, int64_t b) /* b > 1: no overflow for any a */
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

int64_t tg_plot_days_from_civil(int year, int month, int day)
{
    int64_t m0 = (int64_t)month - 1;
    int64_t y = (int64_t)year + floor_div(m0, 12);
    int64_t m = m0 - floor_div(m0, 12) * 12; /* 0 = January .. 11 = December */
    int64_t mar = (m + 10) % 12;             /* 0 = March .. 11 = February */
    if (mar >= 10) y -= 1;                   /* January, February close the March year */
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400; /* 0..399 */
    /* Leap days in the March years before yoe: those whose next calendar year is leap. */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + march_start[mar];
    return era * DAYS_PER_ERA + doe - EPOCH_SHIFT + ((int64_t)day - 1);
}

void tg_plot_civil_from_days(int64_t days, int *year, int *month, int *day)
{
    /* days + EPOCH_SHIFT = era * DAYS_PER_ERA + doe, computed without overflow even at
     * INT64_MIN / INT64_MAX: truncating division, then the remainder moved into range. */
    int64_t era = days / DAYS_PER_ERA;
    int64_t doe = days % DAYS_PER_ERA + EPOCH_SHIFT; /* in (573371, 865565) */
    while (doe >= DAYS_PER_ERA) {
        doe -= DAYS_PER_ERA;
        era++;
    }
    /* Centuries of 36524 days, the last one of 36525 (it ends with Feb 29 of year 400). */
    int64_t c = doe / DAYS_PER_CENTURY;
    if (c > 3) c = 3;
    int64_t doc = doe - c * DAYS_PER_CENTURY;
    /* Four-year groups of 1461 days (the last of a century may lack its leap day). */
    int64_t q = doc / DAYS_PER_4Y, doq = doc - q * DAYS_PER_4Y;
    int64_t yy = doq / 365;
    if (yy > 3) yy = 3; /* the leap day, Feb 29, ends the group */
    int64_t doy = doq - yy * 365;
    int mar = 11;
    while (march_start[mar] > doy) mar--;
    int m = mar < 10 ? mar + 3 : mar - 9;
    int64_t y = era * 400 + c * 100 + q * 4 + yy + (m <= 2);
    if (y > INT_MAX) y = INT_MAX;
    if (y < INT_MIN) y = INT_MIN;
    if (year) *year = (int)y;
    if (month) *month = m;
    if (day) *day = (int)(doy - march_start[mar]) + 1;
}

int tg_plot_month_length(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : len[m - 1];
}

/* ---- date ticks ------------------------------------------------------------------------- */

#define TG_DATE_MAX_TICKS 10000
#define TG_DATE_LIMIT_DAYS 3652425000.0 /* 10 million Gregorian years */

enum { F_SECOND, F_MINUTE, F_HOUR, F_DAY, F_MONTH, F_YEAR };

typedef struct {
    int freq;  /* F_SECOND .. F_YEAR */
    int64_t k; /* every k seconds, minutes, ... */
} date_step;

/* The range being ticked, in the caller's unit. */
typedef struct {
    double lo, hi, eps;
    bool seconds;   /* unit TG_DATE_SECONDS (else days) */
    double lo_s;    /* lo in seconds */
    double span_s;  /* hi - lo in seconds */
    int64_t day0;   /* a day at or before lo's day */
} date_range;

/* A walk over one step's ticks: t in seconds since the epoch; (y, m, d) its date for
 * daily, monthly and yearly steps. */
typedef struct {
    date_step st;
    int64_t t;
    int64_t y;
    int m, d;
} date_cursor;

static int64_t unit_seconds(int freq)
{
    return freq == F_SECOND ? 1 : freq == F_MINUTE ? 60 : 3600;
}

static double tick_value(const date_range *r, int64_t t)
{
    return r->seconds ? (double)t : (double)t / 86400.0;
}

static void cursor_date_to_time(date_cursor *c)
{
    c->t = tg_plot_days_from_civil((int)c->y, c->m, c->d) * 86400;
}

/* Puts the cursor on a tick at or a little before the start of the range. */
static void cursor_start(date_cursor *c, date_step st, const date_range *r)
{
    *c = (date_cursor){.st = st, .m = 1, .d = 1};
    if (st.freq <= F_HOUR) { /* every step divides a day: start from day0's midnight */
        int64_t s = st.k * unit_seconds(st.freq);
        double off = r->lo_s - (double)r->day0 * 86400.0; /* 0 .. 3 days */
        c->t = r->day0 * 86400 + ((int64_t)floor(off / (double)s) - 1) * s;
        return;
    }
    int y, m, d;
    tg_plot_civil_from_days(r->day0, &y, &m, &d);
    c->y = y;
    c->m = m;
    c->d = d;
    if (st.freq == F_DAY) {
        c->d = 1 + (int)((d - 1) / st.k * st.k);
    } else if (st.freq == F_MONTH) {
        c->m = 1 + (int)((m - 1) / st.k * st.k);
        c->d = 1;
    } else {
        c->y = floor_div(y, st.k) * st.k;
        c->m = 1;
        c->d = 1;
    }
    cursor_date_to_time(c);
}

static void cursor_next(date_cursor *c)
{
    switch (c->st.freq) {
    case F_DAY:
        c->d += (int)c->st.k;
        if (c->d > tg_plot_month_length(c->y, c->m)) { /* restart on the 1st of the next month */
            c->d = 1;
            if (++c->m > 12) {
                c->m = 1;
                c->y++;
            }
        }
        break;
    case F_MONTH:
        c->m += (int)c->st.k; /* k divides 12 */
        if (c->m > 12) {
            c->m -= 12;
            c->y++;
        }
        break;
    case F_YEAR:
        c->y += c->st.k;
        break;
    default:
        c->t += c->st.k * unit_seconds(c->st.freq);
        return;
    }
    cursor_date_to_time(c);
}

static const char month_abbr[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The label of tick t; the first tick of a month or day axis also names its year (unless
 * it is a January, which shows the year alone), as ConciseDateFormatter's offset does. */
static void tick_label(char *buf, int freq, int64_t t, bool first)
{
    int64_t day = floor_div(t, 86400);
    int sec = (int)(t - day * 86400);
    int y, m, d;
    tg_plot_civil_from_days(day, &y, &m, &d);
    const char *mon = month_abbr[(m - 1) % 12];
    int hh = (sec / 3600) % 24, mm = (sec / 60) % 60, ss = sec % 60;
    if (freq == F_YEAR || (freq == F_MONTH && m == 1))
        snprintf(buf, TG_PLOT_LABEL_CAP, "%d", y);
    else if (freq == F_MONTH)
        snprintf(buf, TG_PLOT_LABEL_CAP, first ? "%s %d" : "%s", mon, y);
    else if (first && freq == F_DAY)
        snprintf(buf, TG_PLOT_LABEL_CAP, "%s %d, %d", mon, d % 32, y);
    else if (freq == F_DAY || sec == 0)
        snprintf(buf, TG_PLOT_LABEL_CAP, "%s %d", mon, d % 32);
    else if (freq == F_SECOND)
        snprintf(buf, TG_PLOT_LABEL_CAP, "%02d:%02d:%02d", hh, mm, ss);
    else
        snprintf(buf, TG_PLOT_LABEL_CAP, "%02d:%02d", hh, mm);
}

/* Walks the ticks of `st` inside the range: writes the first `cap` (out may be NULL, and
 * labels) and returns their number, stopping at limit + 1. */
static int walk(date_step st, const date_range *r, int limit, double *out, int cap,
                char (*labels)[TG_PLOT_LABEL_CAP])
{
    date_cursor c;
    cursor_start(&c, st, r);
    /* The start is at most a few steps before lo; the guard only bounds the loop. */
    for (int guard = 0; guard < 64 && tick_value(r, c.t) < r->lo - r->eps; guard++)
        cursor_next(&c);
    int n = 0;
    while (n <= limit) {
        double v = tick_value(r, c.t);
        if (v < r->lo - r->eps || v > r->hi + r->eps) break;
        if (out && n < cap) {
            out[n] = v;
            if (labels) tick_label(labels[n], st.freq, c.t, n == 0);
        }
        n++;
        cursor_next(&c);
    }
    return n;
}

/* A number of ticks that `st` gives at least in any range of span_s seconds (possibly
 * negative); used to skip steps that are far too fine without walking them. */
static double min_count(date_step st, double span_s)
{
    double k = (double)st.k, span_d = span_s / 86400.0;
    switch (st.freq) {
    case F_DAY: /* whole months inside, each with days 1, 1 + k, ... up to the 28th */
        return (span_d / 31.0 - 2.0) * ceil(28.0 / k);
    case F_MONTH:
        return span_d / (31.0 * k) - 2.0;
    case F_YEAR:
        return span_d / (366.0 * k) - 2.0;
    default:
        return span_s / (k * (double)unit_seconds(st.freq)) - 2.0;
    }
}

/* The candidate steps, finest first; returns their number. */
static int candidate_steps(date_step *steps)
{
    static const int sub[3][6] = {{1, 5, 10, 15, 30}, {1, 5, 10, 15, 30}, {1, 2, 3, 4, 6, 12}};
    static const int days[5] = {1, 2, 3, 7, 14}, months[5] = {1, 2, 3, 4, 6};
    static const int years[4] = {1, 2, 4, 5};
    int n = 0;
    for (int f = F_SECOND; f <= F_HOUR; f++)
        for (int i = 0; i < 6 && sub[f][i] > 0; i++) steps[n++] = (date_step){f, sub[f][i]};
    for (int i = 0; i < 5; i++) steps[n++] = (date_step){F_DAY, days[i]};
    for (int i = 0; i < 5; i++) steps[n++] = (date_step){F_MONTH, months[i]};
    for (int64_t p = 1; p <= 10000000; p *= 10)
        for (int i = 0; i < 4; i++) steps[n++] = (date_step){F_YEAR, years[i] * p};
    return n;
}

int tg_plot_date_ticks(double lo, double hi, tg_date_unit unit, int max_ticks, double *out,
                       int cap, char (*labels)[TG_PLOT_LABEL_CAP])
{
    if (!out || cap <= 0 || !(isfinite(lo) && isfinite(hi) && lo < hi)) return 0;
    if (unit != TG_DATE_DAYS && unit != TG_DATE_SECONDS) return 0;
    double per_day = unit == TG_DATE_SECONDS ? 86400.0 : 1.0;
    double lo_d = lo / per_day, hi_d = hi / per_day;
    if (fabs(lo_d) > TG_DATE_LIMIT_DAYS || fabs(hi_d) > TG_DATE_LIMIT_DAYS) return 0;
    if (max_ticks < 2) max_ticks = 2;
    if (max_ticks > TG_DATE_MAX_TICKS) max_ticks = TG_DATE_MAX_TICKS;

    double mag = fmax(fabs(lo), fabs(hi));
    date_range r = {
        .lo = lo, .hi = hi, .eps = 1e-9 * (hi - lo) + 4.0 * DBL_EPSILON * mag,
        .seconds = unit == TG_DATE_SECONDS, .lo_s = lo_d * 86400.0,
        .span_s = (hi_d - lo_d) * 86400.0, .day0 = (int64_t)floor(lo_d) - 1,
    };
    date_step steps[64];
    int nsteps = candidate_steps(steps), pick = -1, fallback = -1;
    for (int i = 0; i < nsteps && pick < 0; i++) {
        if (min_count(steps[i], r.span_s) > (double)max_ticks + 1.0) continue;
        int n = walk(steps[i], &r, max_ticks, NULL, 0, NULL);
        if (n > max_ticks) continue;
        if (n >= 2)
            pick = i;
        else if (fallback < 0)
            fallback = i;
    }
    if (pick < 0) pick = fallback;
    if (pick < 0) return 0;
    int n = walk(steps[pick], &r, max_ticks, out, cap, labels);
    return n < cap ? n : cap;
}
