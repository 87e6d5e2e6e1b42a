/* data/csv.c — the CSV reader: a tokenizer (quotes, "" escapes, LF/CRLF/CR, BOM, blank
 * lines), header lookup, number parsing in the C locale, and the missing-value policies.
 *
 * The whole input is in memory. The tokenizer copies the fields of one record, unescaped
 * and NUL-terminated, into a scratch buffer it reuses, so a record costs no allocation
 * once the buffers have grown. Kept rows go into growable arrays (values as double, a
 * missing flag per cell, the line, the text cell); missing cells are filled at the end,
 * when both neighbours of every gap are known.
 *
 * What this file is deliberately not: a general CSV library. It does not guess
 * delimiters or headers, infer types, write CSV, or read column types other than numbers
 * and one text column. Bad input is reported (tg_fail), never repaired silently.
 */
#include "data/data.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable memory through tapegrad's allocator --------------------------------------- */

/* Makes room for `need` elements of `elem` bytes in *p (capacity *cap). false when the
 * byte count would overflow. */
static bool reserve(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return false;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem) return false;
    void *np = tg_malloc(ncap * elem);
    if (*p) {
        memcpy(np, *p, *cap * elem);
        tg_free(*p);
    }
    *p = np;
    *cap = ncap;
    return true;
}

/* ---- the tokenizer ---------------------------------------------------------------------- */

typedef struct reader {
    const char *src; /* the input */
    size_t len, pos;
    int line; /* line of src[pos], 1-based */
    char delim;
    const char *name; /* for messages */
    /* the current record */
    int rec_line; /* line it starts on */
    int nfields;
    size_t fcap;
    size_t *fofs; /* [nfields] start of each field in buf */
    size_t *flen; /* [nfields] length of each field */
    bool *fquoted;
    size_t fquoted_cap, flen_cap;
    char *buf; /* field text, each NUL-terminated */
    size_t bcap, blen;
} reader;

static void reader_free(reader *r)
{
    tg_free(r->fofs);
    tg_free(r->flen);
    tg_free(r->fquoted);
    tg_free(r->buf);
}

static bool is_blank(char c, char delim) { return (c == ' ' || c == '\t') && c != delim; }

static bool append(reader *r, const char *s, size_t n)
{
    if (!reserve((void **)&r->buf, &r->bcap, r->blen + n + 1, 1)) return false;
    memcpy(r->buf + r->blen, s, n);
    r->blen += n;
    return true;
}

static bool begin_field(reader *r)
{
    size_t n = (size_t)r->nfields + 1;
    if (!reserve((void **)&r->fofs, &r->fcap, n, sizeof(size_t)) ||
        !reserve((void **)&r->flen, &r->flen_cap, n, sizeof(size_t)) ||
        !reserve((void **)&r->fquoted, &r->fquoted_cap, n, sizeof(bool)))
        return false;
    r->fofs[r->nfields] = r->blen;
    r->fquoted[r->nfields] = false;
    return true;
}

static bool end_field(reader *r)
{
    size_t start = r->fofs[r->nfields];
    if (!r->fquoted[r->nfields]) /* trim the right end of an unquoted field */
        while (r->blen > start && is_blank(r->buf[r->blen - 1], r->delim)) r->blen--;
    r->flen[r->nfields] = r->blen - start;
    if (!append(r, "", 1)) return false; /* the NUL */
    r->nfields++;
    return true;
}

static const char *field(const reader *r, int i) { return r->buf + r->fofs[i]; }

/* A printable excerpt of a cell for messages: at most 40 bytes, control bytes as '?'. */
static const char *excerpt(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0, max = cap > 4 ? cap - 4 : 0;
    if (max > 40) max = 40;
    for (; k < n && k < max; k++) {
        unsigned char c = (unsigned char)s[k];
        out[k] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (k < n && cap >= 4) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}

/* Reads one record. Returns 1 for a record, 0 at the end of input, -1 for an error
 * (message set, status TG_ERR_FORMAT or TG_ERR_NOMEM in *st). */
static int read_record(reader *r, tg_status *st)
{
    if (r->pos >= r->len) return 0;
    r->rec_line = r->line;
    r->nfields = 0;
    r->blen = 0;
    const char *s = r->src;
    for (;;) {
        if (!begin_field(r)) goto nomem;
        while (r->pos < r->len && is_blank(s[r->pos], r->delim)) r->pos++;
        if (r->pos < r->len && s[r->pos] == '"') {
            int open_line = r->line;
            r->fquoted[r->nfields] = true;
            r->pos++;
            for (;;) {
                if (r->pos >= r->len) {
                    *st = tg_fail(TG_ERR_FORMAT,
                                  "%s:%d:%d: quoted field is never closed (missing '\"')",
                                  r->name, open_line, r->nfields + 1);
                    return -1;
                }
                char c = s[r->pos];
                if (c == '"') {
                    if (r->pos + 1 < r->len && s[r->pos + 1] == '"') {
                        if (!append(r, "\"", 1)) goto nomem;
                        r->pos += 2;
                        continue;
                    }
                    r->pos++;
                    break;
                }
                /* a line break inside quotes belongs to the field */
                if (c == '\n' || (c == '\r' && !(r->pos + 1 < r->len && s[r->pos + 1] == '\n')))
                    r->line++;
                if (!append(r, &c, 1)) goto nomem;
                r->pos++;
            }
            while (r->pos < r->len && is_blank(s[r->pos], r->delim)) r->pos++;
            if (r->pos < r->len && s[r->pos] != r->delim && s[r->pos] != '\n' &&
                s[r->pos] != '\r') {
                char ex[48];
                *st = tg_fail(TG_ERR_FORMAT,
                              "%s:%d:%d: unexpected '%s' after a closing quote (a quote "
                              "inside a quoted field is written \"\")",
                              r->name, r->line, r->nfields + 1,
                              excerpt(s + r->pos, 1, ex, sizeof ex));
                return -1;
            }
        } else {
            size_t start = r->pos;
            while (r->pos < r->len && s[r->pos] != r->delim && s[r->pos] != '\n' &&
                   s[r->pos] != '\r')
                r->pos++;
            if (!append(r, s + start, r->pos - start)) goto nomem;
        }
        if (!end_field(r)) goto nomem;
        if (r->pos >= r->len) return 1; /* no final newline */
        char c = s[r->pos++];
        if (c == r->delim) continue;
        if (c == '\r' && r->pos < r->len && s[r->pos] == '\n') r->pos++;
        r->line++;
        return 1;
    }
nomem:
    *st = tg_fail(TG_ERR_NOMEM, "%s: a record near line %d is too large", r->name,
                  r->rec_line);
    return -1;
}

static bool record_is_blank(const reader *r)
{
    return r->nfields == 1 && !r->fquoted[0] && r->flen[0] == 0;
}

/* Next non-blank record: 1, 0 at the end, -1 on error. */
static int next_record(reader *r, tg_status *st)
{
    int k;
    while ((k = read_record(r, st)) == 1 && record_is_blank(r)) {
    }
    return k;
}

/* ---- cells --------------------------------------------------------------------------- */

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return false;
    }
    return *a == *b;
}

static bool is_missing(const char *s, size_t n)
{
    static const char *const words[] = {"null", "nan", "na", "n/a", "none"};
    if (n == 0) return true;
    if (n > 4) return false;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (ieq(s, words[i])) return true;
    return false;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A decimal number, the whole of s[0..n): [+-] digits [. digits] [e [+-] digits], with
 * at least one digit in the mantissa. The cell of a quoted field is not trimmed, so
 * blanks around it are allowed here. */
static bool is_decimal(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && is_digit(s[i])) i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) i++, digits++;
    }
    if (digits == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = 0;
        while (i < n && is_digit(s[i])) i++, e++;
        if (e == 0) return false;
    }
    return i == n;
}

/* ---- the table under construction -------------------------------------------------------- */

typedef struct builder {
    int ncols;
    size_t nrows, vcap, mcap, lcap, tcap, scap, slen;
    double *values;   /* [nrows * ncols] */
    unsigned char *miss; /* [nrows * ncols] 1 = missing */
    int *lines;       /* [nrows] */
    size_t *text_ofs; /* [nrows] offsets into strs, when there is a text column */
    char *strs;       /* header names and text cells, NUL-terminated */
} builder;

static void builder_free(builder *b)
{
    tg_free(b->values);
    tg_free(b->miss);
    tg_free(b->lines);
    tg_free(b->text_ofs);
    tg_free(b->strs);
}

static bool add_string(builder *b, const char *s, size_t n, size_t *ofs)
{
    if (!reserve((void **)&b->strs, &b->scap, b->slen + n + 1, 1)) return false;
    *ofs = b->slen;
    memcpy(b->strs + b->slen, s, n);
    b->strs[b->slen + n] = '\0';
    b->slen += n + 1;
    return true;
}

/* "Date, Open, High" into out (cut with "..." when long): for messages that list the
 * header. */
static const char *list_columns(const reader *hdr, int nhdr, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < nhdr; i++) {
        int k = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", field(hdr, i));
        if (k < 0 || (size_t)k >= cap - used) {
            if (cap > 4) memcpy(out + cap - 4, "...", 4);
            break;
        }
        used += (size_t)k;
    }
    return out;
}

/* The column named want: its index, -1 when absent, -2 when two columns have that name
 * (a name cannot say which one is meant). */
static int find_header(char *const *names, int n, const char *want)
{
    int found = -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], want) != 0) continue;
        if (found >= 0) return -2;
        found = i;
    }
    return found;
}

/* The message for a name find_header could not resolve. */
static tg_status header_error(const char *file, char *const *names, int n, const char *want,
                              const char *cols)
{
    int at[2] = {-1, -1}, k = 0;
    for (int i = 0; i < n && k < 2; i++)
        if (strcmp(names[i], want) == 0) at[k++] = i;
    if (k == 2)
        return tg_fail(TG_ERR_FORMAT, "%s: two columns are named '%s' (columns %d and %d): "
                       "select one by index (column_indices)", file, want, at[0], at[1]);
    return tg_fail(TG_ERR_ARG, "%s: no column named '%s' (the columns are: %s)", file, want,
                   cols);
}

/* Fills the missing cells of column j (nrows >= 1) by the policy. false when the column
 * has no value at all. */
static bool fill_column(builder *b, int j, tg_missing policy, int *nfilled)
{
    size_t n = b->nrows, w = (size_t)b->ncols, first = n, prev = n;
    for (size_t i = 0; i < n; i++)
        if (!b->miss[i * w + j]) {
            first = i;
            break;
        }
    if (first == n) return false;
    for (size_t i = 0; i < first; i++) { /* leading gap: the first value (both policies) */
        b->values[i * w + j] = b->values[first * w + j];
        (*nfilled)++;
    }
    prev = first;
    for (size_t i = first + 1; i < n; i++) {
        if (!b->miss[i * w + j]) {
            if (policy == TG_MISSING_INTERPOLATE && i > prev + 1) {
                double va = b->values[prev * w + j], vb = b->values[i * w + j];
                for (size_t k = prev + 1; k < i; k++)
                    b->values[k * w + j] =
                        va + (vb - va) * (double)(k - prev) / (double)(i - prev);
            }
            prev = i;
            continue;
        }
        (*nfilled)++;
        /* carry forward now; interpolation overwrites the gap when its end is found,
         * and a trailing gap keeps the last value (the nearest one) */
        b->values[i * w + j] = b->values[(i - 1) * w + j];
    }
    return true;
}

/* ---- the reader ------------------------------------------------------------------------- */

static const char *policy_hint =
    "choose a missing-value policy: skip the row, carry forward or interpolate";

tg_status tg_csv_parse_at(const char *text, size_t len, const char *name, const tg_csv_opts *opts,
                          tg_csv **out, tg_loc loc)
{
    if (!out) tg_contract_fail(loc, "tg_csv_parse", "out is NULL");
    *out = NULL;
    if (!text && len > 0) tg_contract_fail(loc, "tg_csv_parse", "text is NULL");
    static const tg_csv_opts defaults = {0};
    const tg_csv_opts *o = opts ? opts : &defaults;
    if (o->columns && o->column_indices)
        tg_contract_fail(loc, "tg_csv_parse", "give columns by name or by index, not both");
    if (o->ncolumns < 0 || (o->ncolumns > 0 && !o->columns && !o->column_indices))
        tg_contract_fail(loc, "tg_csv_parse", "ncolumns is %d but no columns are given",
                         o->ncolumns);
    if (o->text_column && o->text_first)
        tg_contract_fail(loc, "tg_csv_parse", "text_column and text_first both set");
    for (int j = 0; o->columns && j < o->ncolumns; j++)
        if (!o->columns[j])
            tg_contract_fail(loc, "tg_csv_parse", "column name %d is NULL", j);
    if ((unsigned)o->missing > TG_MISSING_INTERPOLATE)
        tg_contract_fail(loc, "tg_csv_parse", "unknown missing policy %d", (int)o->missing);
    char delim = o->delimiter ? o->delimiter : ',';
    if (delim == '"' || delim == '\n' || delim == '\r')
        tg_contract_fail(loc, "tg_csv_parse", "delimiter cannot be a quote or newline");
    if (!name) name = "<memory>";
    if (len >= (size_t)INT_MAX)
        return tg_fail(TG_ERR_FORMAT, "%s: larger than 2 GiB, which this reader does not take",
                       name);

    tg_status st = TG_OK;
    reader r = {.src = text, .len = len, .line = 1, .delim = delim, .name = name};
    reader hdr = {.delim = delim, .name = name}; /* keeps the header's fields */
    builder b = {0};
    int *sel = NULL;       /* [ncols] file column of each loaded column */
    char **hnames = NULL;  /* [nhdr] header names (pointers into hdr) */
    size_t *name_ofs = NULL;
    int nhdr = 0, text_col = -1, nskipped = 0, nfilled = 0;
    char cols[320], ex[48];
    tg_csv *csv = NULL;
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old_locale = c_locale ? uselocale(c_locale) : (locale_t)0;

    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) r.pos = 3; /* UTF-8 BOM */

    /* header */
    int k = next_record(&r, &st);
    if (k < 0) goto done;
    if (k == 0) {
        st = tg_fail(TG_ERR_FORMAT, "%s: empty file (no header line)", name);
        goto done;
    }
    nhdr = r.nfields;
    /* swap buffers: the header keeps this record's storage */
    {
        reader tmp = hdr;
        hdr = r;
        r.fofs = tmp.fofs, r.flen = tmp.flen, r.fquoted = tmp.fquoted, r.buf = tmp.buf;
        r.fcap = tmp.fcap, r.flen_cap = tmp.flen_cap, r.fquoted_cap = tmp.fquoted_cap;
        r.bcap = tmp.bcap, r.blen = 0;
    }
    hnames = tg_malloc((size_t)nhdr * sizeof *hnames);
    for (int i = 0; i < nhdr; i++) hnames[i] = hdr.buf + hdr.fofs[i];
    list_columns(&hdr, nhdr, cols, sizeof cols);

    /* the text column */
    if (o->text_column) {
        text_col = find_header(hnames, nhdr, o->text_column);
        if (text_col < 0) {
            st = header_error(name, hnames, nhdr, o->text_column, cols);
            goto done;
        }
    } else if (o->text_first) {
        text_col = 0;
    }

    /* the numeric columns */
    int ncols = o->ncolumns;
    if (!o->columns && !o->column_indices) ncols = nhdr - (text_col >= 0);
    if (ncols <= 0) {
        st = tg_fail(TG_ERR_ARG, "%s: no numeric column to load (the columns are: %s)", name,
                     cols);
        goto done;
    }
    sel = tg_malloc((size_t)ncols * sizeof *sel);
    for (int j = 0, next = 0; j < ncols; j++) {
        if (o->columns) {
            sel[j] = find_header(hnames, nhdr, o->columns[j]);
            if (sel[j] < 0) {
                st = header_error(name, hnames, nhdr, o->columns[j], cols);
                goto done;
            }
        } else if (o->column_indices) {
            sel[j] = o->column_indices[j];
            if (sel[j] < 0 || sel[j] >= nhdr) {
                st = tg_fail(TG_ERR_ARG,
                             "%s: column index %d is out of range: the file has %d columns "
                             "(%s)",
                             name, sel[j], nhdr, cols);
                goto done;
            }
        } else {
            if (next == text_col) next++;
            sel[j] = next++;
        }
    }
    b.ncols = ncols;
    name_ofs = tg_malloc((size_t)ncols * sizeof *name_ofs);
    for (int j = 0; j < ncols; j++)
        if (!add_string(&b, hdr.buf + hdr.fofs[sel[j]], hdr.flen[sel[j]], &name_ofs[j]))
            goto nomem;
    size_t text_name_ofs = 0;
    if (text_col >= 0 &&
        !add_string(&b, hdr.buf + hdr.fofs[text_col], hdr.flen[text_col], &text_name_ofs))
        goto nomem;

    /* the rows */
    while ((k = next_record(&r, &st)) == 1) {
        if (r.nfields != nhdr) {
            st = tg_fail(TG_ERR_FORMAT, "%s:%d: %d field%s, expected %d as in the header (%s)",
                         name, r.rec_line, r.nfields, r.nfields == 1 ? "" : "s", nhdr, cols);
            goto done;
        }
        if (b.nrows >= (size_t)INT_MAX) {
            st = tg_fail(TG_ERR_FORMAT, "%s: more than %d rows", name, INT_MAX);
            goto done;
        }
        size_t w = (size_t)ncols, row = b.nrows;
        if (!reserve((void **)&b.values, &b.vcap, (row + 1) * w, sizeof(double)) ||
            !reserve((void **)&b.miss, &b.mcap, (row + 1) * w, 1) ||
            !reserve((void **)&b.lines, &b.lcap, row + 1, sizeof(int)))
            goto nomem;
        bool any_missing = false;
        for (int j = 0; j < ncols; j++) {
            int c = sel[j];
            const char *cell = field(&r, c);
            size_t n = r.flen[c];
            double v = 0.0;
            bool miss = is_missing(cell, n);
            if (miss && o->missing == TG_MISSING_ERROR) {
                st = tg_fail(TG_ERR_FORMAT, "%s:%d:%d: missing value ('%s') in column %s; %s",
                             name, r.rec_line, c + 1, excerpt(cell, n, ex, sizeof ex),
                             hnames[c], policy_hint);
                goto done;
            }
            if (!miss) {
                if (!is_decimal(cell, n) || strlen(cell) != n) {
                    st = tg_fail(TG_ERR_FORMAT, "%s:%d:%d: '%s' is not a number in column %s",
                                 name, r.rec_line, c + 1, excerpt(cell, n, ex, sizeof ex),
                                 hnames[c]);
                    goto done;
                }
                v = strtod(cell, NULL);
                if (!(fabs(v) <= FLT_MAX)) {
                    st = tg_fail(TG_ERR_FORMAT,
                                 "%s:%d:%d: '%s' is out of float32 range in column %s", name,
                                 r.rec_line, c + 1, excerpt(cell, n, ex, sizeof ex), hnames[c]);
                    goto done;
                }
            }
            any_missing |= miss;
            b.values[row * w + (size_t)j] = v;
            b.miss[row * w + (size_t)j] = miss;
        }
        if (any_missing && o->missing == TG_MISSING_SKIP_ROW) {
            nskipped++;
            continue;
        }
        if (text_col >= 0) {
            size_t ofs;
            if (!reserve((void **)&b.text_ofs, &b.tcap, row + 1, sizeof(size_t)) ||
                !add_string(&b, field(&r, text_col), r.flen[text_col], &ofs))
                goto nomem;
            b.text_ofs[row] = ofs;
        }
        b.lines[row] = r.rec_line;
        b.nrows++;
    }
    if (k < 0) goto done;
    if (b.nrows == 0) {
        if (nskipped > 0)
            st = tg_fail(TG_ERR_FORMAT, "%s: every one of the %d data rows has a missing value",
                         name, nskipped);
        else
            st = tg_fail(TG_ERR_FORMAT, "%s: no data rows after the header", name);
        goto done;
    }
    if (o->missing == TG_MISSING_CARRY_FORWARD || o->missing == TG_MISSING_INTERPOLATE)
        for (int j = 0; j < ncols; j++)
            if (!fill_column(&b, j, o->missing, &nfilled)) {
                st = tg_fail(TG_ERR_FORMAT, "%s: column %s has no value to fill in from", name,
                             hnames[sel[j]]);
                goto done;
            }

    /* the result: it takes over the builder's arrays */
    csv = tg_calloc(sizeof *csv);
    csv->nrows = (int)b.nrows;
    csv->ncols = ncols;
    csv->values = b.values, b.values = NULL;
    csv->lines = b.lines, b.lines = NULL;
    csv->strings_ = b.strs, b.strs = NULL;
    csv->nfilled = nfilled;
    csv->nskipped = nskipped;
    csv->names = tg_malloc((size_t)ncols * sizeof *csv->names);
    for (int j = 0; j < ncols; j++) csv->names[j] = csv->strings_ + name_ofs[j];
    if (text_col >= 0) {
        csv->text_name = csv->strings_ + text_name_ofs;
        csv->text = tg_malloc(b.nrows * sizeof *csv->text);
        for (size_t i = 0; i < b.nrows; i++) csv->text[i] = csv->strings_ + b.text_ofs[i];
    }
    *out = csv;
    goto done;

nomem:
    st = tg_fail(TG_ERR_NOMEM, "%s: too large to load", name);
done:
    if (c_locale) {
        uselocale(old_locale);
        freelocale(c_locale);
    }
    reader_free(&r);
    reader_free(&hdr);
    builder_free(&b);
    tg_free(sel);
    tg_free(hnames);
    tg_free(name_ofs);
    return st;
}

tg_csv_opts tg_csv_defaults(void) { return (tg_csv_opts){.delimiter = ','}; }

tg_status tg_csv_read_at(const char *path, const tg_csv_opts *opts, tg_csv **out, tg_loc loc)
{
    if (!out) tg_contract_fail(loc, "tg_csv_read", "out is NULL");
    *out = NULL;
    if (!path) tg_contract_fail(loc, "tg_csv_read", "path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f) return tg_fail(TG_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, len = 0;
    tg_status st = TG_OK;
    for (;;) {
        if (len > (size_t)INT_MAX) {
            st = tg_fail(TG_ERR_FORMAT, "%s: larger than 2 GiB, which this reader does not take",
                         path);
            break;
        }
        if (!reserve((void **)&buf, &cap, len + 65536, 1)) {
            st = tg_fail(TG_ERR_NOMEM, "%s: too large to load", path);
            break;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) st = tg_fail(TG_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (st == TG_OK) st = tg_csv_parse(buf, len, path, opts, out);
    tg_free(buf);
    return st;
}

void tg_csv_free(tg_csv *csv)
{
    if (!csv) return;
    tg_free(csv->names);
    tg_free(csv->values);
    tg_free(csv->lines);
    tg_free(csv->text);
    tg_free(csv->strings_);
    tg_free(csv);
}

tg_tensor *tg_csv_tensor_at(const tg_csv *csv, tg_loc loc)
{
    if (!csv) tg_contract_fail(loc, "tg_csv_tensor", "csv is NULL");
    tg_tensor *t = tg_tensor_new(TG_SHAPE(csv->nrows, csv->ncols));
    for (int64_t i = 0; i < t->size; i++) t->data[i] = (float)csv->values[i];
    return t;
}

int tg_csv_find_at(const tg_csv *csv, const char *name, tg_loc loc)
{
    if (!csv || !name) tg_contract_fail(loc, "tg_csv_find", "csv or name is NULL");
    int found = -1;
    for (int j = 0; j < csv->ncols; j++) {
        if (strcmp(csv->names[j], name) != 0) continue;
        if (found >= 0) return -2; /* loaded twice by index: the name is ambiguous */
        found = j;
    }
    return found;
}
