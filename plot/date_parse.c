/* plot/date_parse.c — calendar dates a program gives the plot module: tg_plot_date from
 * year, month and day, and tg_plot_parse_date from ISO 8601 text ("2021-03-15",
 * "2021-03-15T06:30", "2021-03-15 06:30:15Z"), both as days since 1970-01-01 UTC.
 *
 * What this is not: a time-zone library. Only UTC ('Z' or nothing) is understood; a date
 * axis shows UTC days.
 */
#include "plot/render.h"

#include <stdio.h>
#include <string.h>

double tg_plot_date(int year, int month, int day)
{
    /* tg_plot_days_from_civil already rolls months outside 1..12 into neighbouring years
     * and days through the calendar, in int64 for every int argument (folding the month
     * here first would overflow at INT_MIN and cut a year beyond INT_MAX back to an int).
     * Its result stays below 1e12 days in magnitude, so the double is exact. */
    return (double)tg_plot_days_from_civil(year, month, day);
}

/* Reads exactly `n` digits at *p; false when one is missing. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool days_in_month_ok(int y, int m, int d)
{
    return m >= 1 && m <= 12 && d >= 1 && d <= tg_plot_month_length(y, m);
}

tg_status tg_plot_parse_date(const char *text, double *days)
{
    if (!text || !days) return tg_fail(TG_ERR_ARG, "tg_plot_parse_date: NULL argument");
    const char *p = text;
    int y, mo, d, h = 0, mi = 0, s = 0;
    bool ok = digits(&p, 4, &y) && *p++ == '-' && digits(&p, 2, &mo) && *p++ == '-' &&
              digits(&p, 2, &d) && days_in_month_ok(y, mo, d);
    if (ok && (*p == 'T' || *p == ' ')) {
        p++;
        ok = digits(&p, 2, &h) && *p++ == ':' && digits(&p, 2, &mi) && h < 24 && mi < 60;
        if (ok && *p == ':') {
            p++;
            ok = digits(&p, 2, &s) && s < 60;
        }
    }
    if (ok && *p == 'Z') p++;
    if (!ok || *p != '\0')
        return tg_fail(TG_ERR_FORMAT, "tg_plot_parse_date: '%.40s' is not an ISO 8601 date "
                       "(YYYY-MM-DD, optionally with THH:MM[:SS] and Z)", text);
    *days = (double)tg_plot_days_from_civil(y, mo, d) + (h * 3600 + mi * 60 + s) / 86400.0;
    return TG_OK;
}
