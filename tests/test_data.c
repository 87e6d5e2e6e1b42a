/* tests/test_data.c — data/: the CSV reader (edge cases from tests/data/, in-memory
 * inputs, the shipped Bitcoin file, random garbage), scalers, sliding windows, splits and
 * the mini-batch iterator.
 *
 * Every bad input must come back as a status with a message naming the place; contract
 * violations are caught by a handler that longjmps back. Paths derive from
 * TG_FIXTURE_DIR (tests/fixtures), which tests/meson.build passes to every suite. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "tapegrad.h"

#define CASE(file) TG_FIXTURE_DIR "/../data/" file
#define BTC_PATH TG_FIXTURE_DIR "/../../datasets/btc-usd-daily-2014-2021.csv"

/* ---- helpers ------------------------------------------------------------------------------ */

#define EXPECT_IN(text, part) cr_expect(strstr(text, part), "no \"%s\" in: %s", part, text)

static void expect_floats(const float *got, const float *want, int n, float tol)
{
    for (int i = 0; i < n; i++)
        cr_expect(fabsf(got[i] - want[i]) <= tol, "element %d: got %.9g, want %.9g", i,
                  (double)got[i], (double)want[i]);
}

static void expect_doubles(const double *got, const double *want, int n, double tol)
{
    for (int i = 0; i < n; i++)
        cr_expect(fabs(got[i] - want[i]) <= tol, "element %d: got %.12g, want %.12g", i,
                  got[i], want[i]);
}

static void expect_shape(const tg_tensor *t, int ndim, const int *shape)
{
    cr_assert_eq(t->ndim, ndim, "rank %d, want %d", t->ndim, ndim);
    for (int i = 0; i < ndim; i++)
        cr_assert_eq(t->shape[i], shape[i], "axis %d: %d, want %d", i, t->shape[i], shape[i]);
}

/* Parses a string; on success returns the table, otherwise NULL and the status in *st. */
static tg_csv *parse(const char *text, const tg_csv_opts *o, tg_status *st)
{
    tg_csv *csv = NULL;
    *st = tg_csv_parse(text, strlen(text), "mem.csv", o, &csv);
    if (*st != TG_OK) cr_expect_null(csv, "a failed parse returned a table");
    return csv;
}

/* Expects the parse of `text` to fail with `status` and a message containing `part`. */
static void expect_parse_error(const char *text, const tg_csv_opts *o, tg_status status,
                               const char *part)
{
    tg_status st;
    tg_csv *csv = parse(text, o, &st);
    cr_expect_eq(st, status, "status %d, want %d for input:\n%s", st, status, text);
    EXPECT_IN(tg_last_error(), part);
    tg_csv_free(csv);
}

/* ---- CSV: the edge-case files ------------------------------------------------------------- */

Test(csv, quoted_fields_with_commas_escapes_and_line_breaks)
{
    tg_csv *csv;
    tg_csv_opts o = {.columns = (const char *[]){"value"}, .ncolumns = 1, .text_column = "name"};
    cr_assert_eq(tg_csv_read(CASE("quoted.csv"), &o, &csv), TG_OK, "%s", tg_last_error());
    cr_assert_eq(csv->nrows, 3);
    cr_expect_str_eq(csv->names[0], "value");
    cr_expect_str_eq(csv->text_name, "name");
    expect_doubles(csv->values, (double[]){1.5, 2, 3}, 3, 0);
    cr_expect_str_eq(csv->text[0], "Smith, John");
    cr_expect_str_eq(csv->text[1], "plain");
    cr_expect_str_eq(csv->text[2], "");
    /* the second row's quoted note spans lines 3-4, so the third row is on line 5 */
    cr_expect_eq(csv->lines[0], 2);
    cr_expect_eq(csv->lines[1], 3);
    cr_expect_eq(csv->lines[2], 5);
    tg_csv_free(csv);

    tg_csv_opts n = {.column_indices = (int[]){1}, .ncolumns = 1, .text_column = "note"};
    cr_assert_eq(tg_csv_read(CASE("quoted.csv"), &n, &csv), TG_OK, "%s", tg_last_error());
    cr_expect_str_eq(csv->text[0], "said \"hi\"");
    cr_expect_str_eq(csv->text[1], "multi\nline");
    cr_expect_str_eq(csv->text[2], "x");
    tg_csv_free(csv);
}

Test(csv, crlf_and_no_final_newline)
{
    tg_csv *csv;
    cr_assert_eq(tg_csv_read(CASE("crlf.csv"), NULL, &csv), TG_OK, "%s", tg_last_error());
    cr_assert_eq(csv->nrows, 2);
    cr_assert_eq(csv->ncols, 2);
    cr_expect_str_eq(csv->names[1], "b"); /* no '\r' left in the last header name */
    expect_doubles(csv->values, (double[]){1, 2, 3, 4}, 4, 0);
    cr_expect_eq(csv->lines[1], 4);
    tg_csv_free(csv);
}

Test(csv, blank_lines_are_skipped)
{
    tg_csv *csv;
    cr_assert_eq(tg_csv_read(CASE("blank_lines.csv"), NULL, &csv), TG_OK, "%s", tg_last_error());
    cr_assert_eq(csv->nrows, 2);
    expect_doubles(csv->values, (double[]){1, 2, 3, 4}, 4, 0);
    cr_expect_eq(csv->lines[0], 4);
    cr_expect_eq(csv->lines[1], 6);
    tg_csv_free(csv);
}

Test(csv, utf8_bom_is_skipped)
{
    tg_csv *csv;
    tg_csv_opts o = {.columns = (const char *[]){"Close"}, .ncolumns = 1, .text_column = "Date"};
    cr_assert_eq(tg_csv_read(CASE("bom.csv"), &o, &csv), TG_OK, "%s", tg_last_error());
    cr_expect_str_eq(csv->text_name, "Date");
    cr_expect_str_eq(csv->text[1], "2020-01-02");
    expect_doubles(csv->values, (double[]){1.25, 2.5}, 2, 0);
    tg_csv_free(csv);
}

static tg_csv *load_missing(tg_missing policy, tg_status *st)
{
    tg_csv *csv = NULL;
    tg_csv_opts o = {.columns = (const char *[]){"a", "b"}, .ncolumns = 2, .text_first = true,
                     .missing = policy};
    *st = tg_csv_read(CASE("missing.csv"), &o, &csv);
    return csv;
}

/* missing.csv, columns a and b (- is missing):
 *   a: 1  -  3  -  -  11 12
 *   b: -  20 30 -  -  50 -  */
Test(csv, missing_value_is_an_error_by_default)
{
    tg_status st;
    tg_csv *csv = load_missing(TG_MISSING_ERROR, &st);
    cr_expect_eq(st, TG_ERR_FORMAT);
    cr_expect_null(csv);
    EXPECT_IN(tg_last_error(), "missing.csv:2:3:");
    EXPECT_IN(tg_last_error(), "column b");
}

Test(csv, missing_skip_row)
{
    tg_status st;
    tg_csv *csv = load_missing(TG_MISSING_SKIP_ROW, &st);
    cr_assert_eq(st, TG_OK, "%s", tg_last_error());
    cr_assert_eq(csv->nrows, 2);
    cr_expect_eq(csv->nskipped, 5);
    expect_doubles(csv->values, (double[]){3, 30, 11, 50}, 4, 0);
    cr_expect_str_eq(csv->text[0], "2");
    cr_expect_str_eq(csv->text[1], "5");
    cr_expect_eq(csv->lines[0], 4);
    cr_expect_eq(csv->lines[1], 7);
    tg_csv_free(csv);
}

Test(csv, missing_carry_forward_copies_the_previous_value)
{
    tg_status st;
    tg_csv *csv = load_missing(TG_MISSING_CARRY_FORWARD, &st);
    cr_assert_eq(st, TG_OK, "%s", tg_last_error());
    cr_assert_eq(csv->nrows, 7);
    cr_expect_eq(csv->nfilled, 7);
    /* b's leading gap takes the first value (backfill) */
    expect_doubles(csv->values,
                   (double[]){1, 20, 1, 20, 3, 30, 3, 30, 3, 30, 11, 50, 12, 50}, 14, 0);
    tg_csv_free(csv);
}

Test(csv, missing_interpolate_is_linear_between_neighbours)
{
    tg_status st;
    tg_csv *csv = load_missing(TG_MISSING_INTERPOLATE, &st);
    cr_assert_eq(st, TG_OK, "%s", tg_last_error());
    cr_assert_eq(csv->nrows, 7);
    cr_expect_eq(csv->nfilled, 7);
    double a[7], b[7];
    for (int i = 0; i < 7; i++) a[i] = csv->values[2 * i], b[i] = csv->values[2 * i + 1];
    /* a: midpoint 2 between 1 and 3; thirds between 3 and 11 */
    expect_doubles(a, (double[]){1, 2, 3, 3 + 8.0 / 3, 3 + 16.0 / 3, 11, 12}, 7, 1e-12);
    /* b: leading and trailing gaps take the nearest value */
    expect_doubles(b, (double[]){20, 20, 30, 30 + 20.0 / 3, 30 + 40.0 / 3, 50, 50}, 7, 1e-12);
    tg_csv_free(csv);
}

Test(csv, ragged_row_names_the_line)
{
    tg_csv *csv = NULL;
    cr_expect_eq(tg_csv_read(CASE("ragged.csv"), NULL, &csv), TG_ERR_FORMAT);
    cr_expect_null(csv);
    EXPECT_IN(tg_last_error(), "ragged.csv:3:");
    EXPECT_IN(tg_last_error(), "2 fields, expected 3");
    /* too many fields as well */
    expect_parse_error("a,b\n1,2\n3,4,5\n", NULL, TG_ERR_FORMAT, "mem.csv:3: 3 fields");
}

Test(csv, non_numeric_text_names_line_and_column)
{
    tg_csv *csv = NULL;
    cr_expect_eq(tg_csv_read(CASE("not_a_number.csv"), NULL, &csv), TG_ERR_FORMAT);
    cr_expect_null(csv);
    EXPECT_IN(tg_last_error(), "not_a_number.csv:3:3: 'abc' is not a number in column Close");
}

Test(csv, empty_file_and_header_only_are_errors)
{
    tg_csv *csv = NULL;
    cr_expect_eq(tg_csv_read(CASE("empty.csv"), NULL, &csv), TG_ERR_FORMAT);
    EXPECT_IN(tg_last_error(), "empty.csv: empty file");
    cr_expect_eq(tg_csv_read(CASE("header_only.csv"), NULL, &csv), TG_ERR_FORMAT);
    EXPECT_IN(tg_last_error(), "header_only.csv: no data rows");
    cr_expect_null(csv);
    expect_parse_error("\n\n  \n", NULL, TG_ERR_FORMAT, "empty file");
    expect_parse_error("\xEF\xBB\xBF", NULL, TG_ERR_FORMAT, "empty file");
    expect_parse_error("a,b\n\n\n", NULL, TG_ERR_FORMAT, "no data rows");
}

Test(csv, unknown_column_lists_the_columns)
{
    tg_csv *csv = NULL;
    tg_csv_opts o = {.columns = (const char *[]){"close"}, .ncolumns = 1};
    cr_expect_eq(tg_csv_read(BTC_PATH, &o, &csv), TG_ERR_ARG);
    cr_expect_null(csv);
    EXPECT_IN(tg_last_error(), "no column named 'close'");
    EXPECT_IN(tg_last_error(), "Date, Open, High, Low, Close, Adj Close, Volume");
    tg_csv_opts t = {.text_column = "Day"};
    expect_parse_error("a,b\n1,2\n", &t, TG_ERR_ARG,
                       "no column named 'Day' (the columns are: a, b)");
    tg_csv_opts i = {.column_indices = (int[]){2}, .ncolumns = 1};
    expect_parse_error("a,b\n1,2\n", &i, TG_ERR_ARG, "column index 2 is out of range");
}

Test(csv, file_not_found_is_an_io_error_with_the_path)
{
    tg_csv *csv = (tg_csv *)&csv; /* any non-NULL value: it must be reset */
    cr_expect_eq(tg_csv_read(CASE("no-such-file.csv"), NULL, &csv), TG_ERR_IO);
    cr_expect_null(csv);
    EXPECT_IN(tg_last_error(), "no-such-file.csv");
    /* a directory opens on Linux but cannot be read */
    cr_expect_eq(tg_csv_read(TG_FIXTURE_DIR, NULL, &csv), TG_ERR_IO);
    EXPECT_IN(tg_last_error(), TG_FIXTURE_DIR);
}

/* ---- CSV: in memory ----------------------------------------------------------------------- */

Test(csv, columns_by_index_and_default_selection)
{
    tg_status st;
    const char *text = "d, x ,y\nmon,1,2\ntue, 3 ,\"4\"\n";
    tg_csv *csv = parse(text, &(tg_csv_opts){.column_indices = (int[]){2, 1}, .ncolumns = 2}, &st);
    cr_assert_eq(st, TG_OK, "%s", tg_last_error());
    cr_expect_str_eq(csv->names[0], "y");
    cr_expect_str_eq(csv->names[1], "x"); /* unquoted names are trimmed */
    expect_doubles(csv->values, (double[]){2, 1, 4, 3}, 4, 0);
    cr_expect_eq(tg_csv_find(csv, "x"), 1);
    cr_expect_eq(tg_csv_find(csv, "d"), -1);
    tg_csv_free(csv);
    /* neither names nor indices: every column but the text one */
    csv = parse(text, &(tg_csv_opts){.text_first = true}, &st);
    cr_assert_eq(st, TG_OK, "%s", tg_last_error());
    cr_expect_eq(csv->ncols, 2);
    cr_expect_str_eq(csv->text[1], "tue");
    tg_tensor *t = tg_csv_tensor(csv);
    expect_shape(t, 2, (int[]){2, 2});
    expect_floats(t->data, (float[]){1, 2, 3, 4}, 4, 0);
    tg_tensor_free(t);
    tg_csv_free(csv);
    /* every column, the text one included, must then be numeric */
    expect_parse_error(text, NULL, TG_ERR_FORMAT, "mem.csv:2:1: 'mon' is not a number in column d");
}

Test(csv, numbers_are_decimal_and_finite_float32)
{
    tg_status st;
    tg_csv *csv = parse("v\n-1.5e2\n+.25\n7.\n1E-3\n", NULL, &st);
    cr_assert_eq(st, TG_OK, "%s", tg_last_error());
    expect_doubles(csv->values, (double[]){-150, 0.25, 7, 0.001}, 4, 0);
    tg_csv_free(csv);
    expect_parse_error("v\n0x10\n", NULL, TG_ERR_FORMAT, "mem.csv:2:1: '0x10' is not a number");
    expect_parse_error("v\ninf\n", NULL, TG_ERR_FORMAT, "'inf' is not a number");
    expect_parse_error("v\n1,234\n", NULL, TG_ERR_FORMAT, "mem.csv:2: 2 fields");
    expect_parse_error("v\n\"1,234\"\n", NULL, TG_ERR_FORMAT, "'1,234' is not a number");
    expect_parse_error("v\n1e\n", NULL, TG_ERR_FORMAT, "'1e' is not a number");
    expect_parse_error("v\n.\n", NULL, TG_ERR_FORMAT, "'.' is not a number");
    expect_parse_error("v\n1 2\n", NULL, TG_ERR_FORMAT, "'1 2' is not a number");
    expect_parse_error("v\n1e39\n", NULL, TG_ERR_FORMAT,
                       "mem.csv:2:1: '1e39' is out of float32 range");
    expect_parse_error("v\n1e999\n", NULL, TG_ERR_FORMAT, "out of float32 range");
}

Test(csv, malformed_quotes_are_errors)
{
    expect_parse_error("a,b\n1,\"2\n3,4\n", NULL, TG_ERR_FORMAT,
                       "mem.csv:2:2: quoted field is never closed");
    expect_parse_error("a,b\n1,\"2\"x\n", NULL, TG_ERR_FORMAT,
                       "mem.csv:2:2: unexpected 'x' after a closing quote");
}

Test(csv, missing_tokens_and_all_missing_columns)
{
    tg_status st;
    tg_csv_opts skip = {.missing = TG_MISSING_SKIP_ROW};
    tg_csv *csv = parse("v\nNULL\nnan\nN/A\nnone\n\"\"\nNa\n5\n", &skip, &st);
    cr_assert_eq(st, TG_OK, "%s", tg_last_error());
    cr_expect_eq(csv->nrows, 1);
    cr_expect_eq(csv->nskipped, 6);
    tg_csv_free(csv);
    expect_parse_error("v\nnull\n\"\"\n", &skip, TG_ERR_FORMAT, "every one of the 2 data rows");
    tg_csv_opts interp = {.missing = TG_MISSING_INTERPOLATE};
    expect_parse_error("u,v\n1,null\n2,\"\"\n", &interp, TG_ERR_FORMAT,
                       "column v has no value");
    tg_csv_opts carry = {.missing = TG_MISSING_CARRY_FORWARD};
    expect_parse_error("u,v\n1,null\n2,nan\n", &carry, TG_ERR_FORMAT, "column v has no value");
}

Test(csv, other_delimiters_and_line_endings)
{
    tg_status st;
    tg_csv *csv = parse("a;b\r1;2,5\r3;4\r", &(tg_csv_opts){.columns = (const char *[]){"b"},
                                                              .ncolumns = 1, .delimiter = ';'},
                        &st);
    cr_expect_eq(st, TG_ERR_FORMAT); /* "2,5" is not a number */
    EXPECT_IN(tg_last_error(), "mem.csv:2:2: '2,5'");
    tg_csv_free(csv);
    csv = parse("a\tb\n1\t\t\n", &(tg_csv_opts){.delimiter = '\t'}, &st);
    cr_expect_eq(st, TG_ERR_FORMAT); /* tabs are fields here, not blanks: 3 fields */
    EXPECT_IN(tg_last_error(), "mem.csv:2: 3 fields");
    tg_csv_free(csv);
    csv = parse("a\tb\r\n1\t2\r\n", &(tg_csv_opts){.delimiter = '\t'}, &st);
    cr_assert_eq(st, TG_OK, "%s", tg_last_error());
    expect_doubles(csv->values, (double[]){1, 2}, 2, 0);
    tg_csv_free(csv);
}

Test(csv, nul_bytes_and_long_cells_are_reported_safely)
{
    tg_csv *csv = NULL;
    const char text[] = "v\n1\0002\n";
    cr_expect_eq(tg_csv_parse(text, sizeof text - 1, NULL, NULL, &csv), TG_ERR_FORMAT);
    EXPECT_IN(tg_last_error(), "<memory>:2:1: '1?2' is not a number");
    char big[2000] = "v\n";
    memset(big + 2, 'z', 1500);
    cr_expect_eq(tg_csv_parse(big, strlen(big), "big", NULL, &csv), TG_ERR_FORMAT);
    EXPECT_IN(tg_last_error(), "zzz...' is not a number");
    cr_expect_null(csv);
}

Test(csv, contract_violations)
{
    tg_csv *csv;
    EXPECT_RAISES(tg_csv_read(NULL, NULL, &csv));
    EXPECT_RAISES(tg_csv_read(BTC_PATH, NULL, NULL));
    EXPECT_RAISES(tg_csv_parse("a\n1\n", 4, NULL,
                                 &(tg_csv_opts){.columns = (const char *[]){"a"},
                                                .column_indices = (int[]){0}, .ncolumns = 1},
                                 &csv));
    EXPECT_IN(contract_msg, "not both");
    EXPECT_RAISES(tg_csv_parse("a\n1\n", 4, NULL,
                                 &(tg_csv_opts){.columns = (const char *[]){NULL}, .ncolumns = 1},
                                 &csv));
    EXPECT_RAISES(tg_csv_parse("a\n1\n", 4, NULL, &(tg_csv_opts){.ncolumns = 2}, &csv));
}

/* Random bytes from a small alphabet of CSV troublemakers, under every policy: every call
 * ends in TG_OK with a consistent table, or an error with a message. Never a crash (the
 * sanitizer build checks memory too). */
Test(csv, random_garbage_never_crashes)
{
    static const char alphabet[] = "\",;\n\r\t 0123456789.-+eE aNnul\xEF\xBB\xBF";
    tg_rng r;
    tg_rng_seed(&r, 2024, 0);
    char text[256];
    for (int iter = 0; iter < 4000; iter++) {
        int len = (int)tg_rng_below(&r, sizeof text);
        for (int i = 0; i < len; i++) /* every fifth input: any byte at all */
            text[i] = iter % 5 == 0 ? (char)tg_rng_below(&r, 256)
                                    : alphabet[tg_rng_below(&r, sizeof alphabet - 1)];
        tg_csv_opts o = {.missing = (tg_missing)(iter % 4), .text_first = iter % 3 == 0};
        tg_csv *csv = NULL;
        tg_status st = tg_csv_parse(text, (size_t)len, "fuzz", &o, &csv);
        if (st == TG_OK) {
            cr_assert_not_null(csv);
            cr_assert(csv->nrows >= 1 && csv->ncols >= 1);
            for (int64_t i = 0; i < (int64_t)csv->nrows * csv->ncols; i++)
                cr_assert(isfinite(csv->values[i]));
            tg_csv_free(csv);
        } else {
            cr_assert_null(csv);
            cr_assert(strlen(tg_last_error()) > 0);
        }
    }
}

/* ---- CSV: the shipped Bitcoin file -------------------------------------------------------- */

Test(csv, bitcoin_file_loads)
{
    tg_csv *csv;
    tg_csv_opts o = {.text_column = "Date", .missing = TG_MISSING_SKIP_ROW};
    cr_assert_eq(tg_csv_read(BTC_PATH, &o, &csv), TG_OK, "%s", tg_last_error());
    cr_expect_eq(csv->nrows, 2530);
    cr_expect_eq(csv->nskipped, 4);
    cr_assert_eq(csv->ncols, 6);
    cr_expect_str_eq(csv->names[5], "Volume");
    int close = tg_csv_find(csv, "Close");
    cr_assert_eq(close, 3);
    cr_expect_str_eq(csv->text[0], "2014-09-17");
    cr_expect_eq(csv->values[close], 457.334015); /* first row, exactly as written */
    cr_expect_eq(csv->values[5], 21056800.0);
    cr_expect_str_eq(csv->text[2529], "2021-08-24");
    cr_expect_eq(csv->values[2529 * 6 + close], 48531.832031);
    tg_tensor *t = tg_csv_tensor(csv);
    expect_shape(t, 2, (int[]){2530, 6});
    cr_expect_eq(t->data[close], 457.334015f);
    tg_tensor_free(t);
    tg_csv_free(csv);
}

Test(csv, bitcoin_null_rows_under_each_policy)
{
    tg_csv *csv;
    tg_csv_opts o = {.columns = (const char *[]){"Close"}, .ncolumns = 1};
    cr_expect_eq(tg_csv_read(BTC_PATH, &o, &csv), TG_ERR_FORMAT);
    EXPECT_IN(tg_last_error(), "btc-usd-daily-2014-2021.csv:2041:5: missing value ('null') "
                               "in column Close");
    o.missing = TG_MISSING_INTERPOLATE;
    o.text_first = true;
    cr_assert_eq(tg_csv_read(BTC_PATH, &o, &csv), TG_OK, "%s", tg_last_error());
    cr_assert_eq(csv->nrows, 2534);
    cr_expect_eq(csv->nfilled, 4);
    cr_expect_str_eq(csv->text[2039], "2020-04-17");
    cr_expect_eq(csv->lines[2039], 2041);
    cr_expect(fabs(csv->values[2039] - (7116.804199 + 7257.665039) / 2) < 1e-9);
    cr_expect_str_eq(csv->text[2217], "2020-10-12"); /* 1/3 of the way 10-11 -> 10-14 */
    cr_expect(fabs(csv->values[2217] - (11384.181641 + (11429.506836 - 11384.181641) / 3)) < 1e-9);
    tg_csv_free(csv);
    o.missing = TG_MISSING_CARRY_FORWARD;
    cr_assert_eq(tg_csv_read(BTC_PATH, &o, &csv), TG_OK, "%s", tg_last_error());
    cr_expect_eq(csv->values[2039], 7116.804199);
    cr_expect_eq(csv->values[2218], 11384.181641);
    tg_csv_free(csv);
}

/* ---- scalers ---------------------------------------------------------------------------- */

Test(scaler, minmax_known_values_and_range)
{
    tg_tensor *x = tg_tensor_from(TG_SHAPE(4, 1), (float[]){1, 2, 3, 5});
    tg_tensor *y = tg_tensor_new(TG_SHAPE(4, 1));
    tg_scaler s = tg_scaler_minmax(0, 1);
    cr_assert_eq(tg_scaler_fit(&s, x, 0, 4), TG_OK);
    cr_expect_eq(s.nfeat, 1);
    cr_expect_eq(s.min[0], 1.0);
    cr_expect_eq(s.max[0], 5.0);
    tg_scaler_transform(&s, x, y);
    expect_floats(y->data, (float[]){0, 0.25f, 0.5f, 1}, 4, 0);
    expect_floats(x->data, (float[]){1, 2, 3, 5}, 4, 0); /* out of place: x unchanged */
    tg_scaler_free(&s);
    s = tg_scaler_minmax(-1, 1);
    cr_assert_eq(tg_scaler_fit(&s, x, 0, 4), TG_OK);
    tg_scaler_transform(&s, x, x);
    expect_floats(x->data, (float[]){-1, -0.5f, 0, 1}, 4, 1e-7f);
    tg_scaler_inverse_transform(&s, x, x);
    expect_floats(x->data, (float[]){1, 2, 3, 5}, 4, 1e-6f);
    tg_scaler_free(&s);
    tg_tensor_free(x);
    tg_tensor_free(y);
}

Test(scaler, standard_known_values)
{
    tg_tensor *x = tg_tensor_from(TG_SHAPE(4), (float[]){1, 2, 3, 4});
    tg_scaler s = tg_scaler_standard();
    cr_assert_eq(tg_scaler_fit(&s, x, 0, 4), TG_OK);
    cr_expect_eq(s.mean[0], 2.5);
    cr_expect(fabs(s.std[0] - sqrt(1.25)) < 1e-12); /* population std, as sklearn */
    tg_scaler_transform(&s, x, x);
    float k = (float)(1 / sqrt(1.25));
    expect_floats(x->data, (float[]){-1.5f * k, -0.5f * k, 0.5f * k, 1.5f * k}, 4, 1e-6f);
    tg_scaler_free(&s);
    tg_tensor_free(x);
}

Test(scaler, fit_on_train_rows_only)
{
    /* train rows 0..2 span [1, 3]; the test rows map outside [0, 1] */
    tg_tensor *x = tg_tensor_from(TG_SHAPE(5, 1), (float[]){1, 2, 3, 5, 0});
    tg_scaler s = tg_scaler_minmax(0, 1);
    cr_assert_eq(tg_scaler_fit(&s, x, 0, 3), TG_OK);
    tg_scaler_transform(&s, x, x);
    expect_floats(x->data, (float[]){0, 0.5f, 1, 2, -0.5f}, 5, 1e-7f);
    tg_scaler_free(&s);
    /* fitting rows 3..4 only sees 5 and 0 */
    tg_tensor *z = tg_tensor_from(TG_SHAPE(5, 1), (float[]){1, 2, 3, 5, 0});
    cr_assert_eq(tg_scaler_fit(&s, z, 3, 5), TG_OK);
    cr_expect_eq(s.min[0], 0.0);
    cr_expect_eq(s.max[0], 5.0);
    tg_scaler_free(&s);
    tg_tensor_free(x);
    tg_tensor_free(z);
}

/* inverse(transform(x)) == x within 1e-6 relative to max(|x|, the feature's spread: its
 * range, or 4 std for the standard scaler): the scaled value is a float32, so its rounding
 * (2^-24 of the scaled value) comes back multiplied by the spread. Where the scaled value is near 0 for small x (MinMax to [0, 1]
 * of positive data, the study's case) the bound is plain relative: `relative` checks it. */
static void round_trip(tg_scaler s, const tg_tensor *x, bool relative)
{
    cr_assert_eq(tg_scaler_fit(&s, x, 0, x->shape[0] * 4 / 5), TG_OK, "%s", tg_last_error());
    tg_tensor *y = tg_tensor_new(x->ndim, x->shape);
    tg_scaler_transform(&s, x, y);
    tg_scaler_inverse_transform(&s, y, y);
    int f = x->shape[1];
    for (int64_t i = 0; i < x->size; i++) {
        int j = (int)(i % f);
        double range = s.kind == TG_SCALER_MINMAX ? s.max[j] - s.min[j] : 4 * s.std[j];
        double scale = relative ? fabsf(x->data[i]) : fmax(fabsf(x->data[i]), range);
        cr_assert(fabsf(y->data[i] - x->data[i]) <= 1e-6 * scale,
                  "element %lld: %.9g -> %.9g", (long long)i, (double)x->data[i],
                  (double)y->data[i]);
    }
    tg_tensor_free(y);
    tg_scaler_free(&s);
}

Test(scaler, round_trip_on_bitcoin_prices_and_volume)
{
    tg_csv *csv;
    tg_csv_opts o = {.columns = (const char *[]){"Close", "Volume"}, .ncolumns = 2,
                     .missing = TG_MISSING_SKIP_ROW};
    cr_assert_eq(tg_csv_read(BTC_PATH, &o, &csv), TG_OK, "%s", tg_last_error());
    tg_tensor *x = tg_csv_tensor(csv);
    round_trip(tg_scaler_minmax(0, 1), x, true);
    round_trip(tg_scaler_minmax(-1, 1), x, false);
    round_trip(tg_scaler_standard(), x, false);
    tg_tensor_free(x);
    tg_csv_free(csv);
}

Test(scaler, features_are_independent_and_one_feature_helpers)
{
    tg_tensor *x = tg_tensor_from(TG_SHAPE(3, 2), (float[]){0, 100, 5, 300, 10, 200});
    tg_scaler s = tg_scaler_minmax(0, 1);
    cr_assert_eq(tg_scaler_fit(&s, x, 0, 3), TG_OK);
    cr_expect_eq(s.nfeat, 2);
    tg_tensor *y = tg_tensor_new(TG_SHAPE(3, 2));
    tg_scaler_transform(&s, x, y);
    expect_floats(y->data, (float[]){0, 0, 0.5f, 1, 1, 0.5f}, 6, 1e-7f);
    /* predictions of feature 1 alone, e.g. a (2, 1) output */
    float pred[2] = {0.25f, 0.75f}, usd[2];
    tg_scaler_inverse_feature(&s, 1, pred, usd, 2);
    expect_floats(usd, (float[]){150, 250}, 2, 1e-4f);
    tg_scaler_transform_feature(&s, 1, usd, usd, 2);
    expect_floats(usd, pred, 2, 1e-7f);
    /* windows (n, W, 2) transform with the last axis as features */
    tg_tensor *w = tg_tensor_from(TG_SHAPE(1, 2, 2), (float[]){5, 300, 10, 100});
    tg_scaler_transform(&s, w, w);
    expect_floats(w->data, (float[]){0.5f, 1, 1, 0}, 4, 1e-7f);
    tg_scaler_free(&s);
    tg_tensor_free(x);
    tg_tensor_free(y);
    tg_tensor_free(w);
}

Test(scaler, constant_feature_does_not_divide_by_zero)
{
    tg_tensor *x = tg_tensor_from(TG_SHAPE(3, 1), (float[]){7, 7, 7});
    tg_tensor *y = tg_tensor_new(TG_SHAPE(3, 1));
    tg_scaler s = tg_scaler_minmax(0.5f, 1);
    cr_assert_eq(tg_scaler_fit(&s, x, 0, 3), TG_OK);
    tg_scaler_transform(&s, x, y);
    expect_floats(y->data, (float[]){0.5f, 0.5f, 0.5f}, 3, 0); /* maps to a, as sklearn */
    tg_scaler_inverse_transform(&s, y, y);
    expect_floats(y->data, x->data, 3, 0);
    tg_scaler_free(&s);
    s = tg_scaler_standard();
    cr_assert_eq(tg_scaler_fit(&s, x, 0, 3), TG_OK);
    tg_scaler_transform(&s, x, y);
    expect_floats(y->data, (float[]){0, 0, 0}, 3, 0);
    tg_scaler_inverse_transform(&s, y, y);
    expect_floats(y->data, x->data, 3, 0);
    tg_scaler_free(&s);
    tg_tensor_free(x);
    tg_tensor_free(y);
}

Test(scaler, bad_fits_are_errors)
{
    tg_tensor *x = tg_tensor_from(TG_SHAPE(3, 1), (float[]){1, NAN, 3});
    tg_scaler s = tg_scaler_minmax(0, 1);
    cr_expect_eq(tg_scaler_fit(&s, x, 0, 3), TG_ERR_NUMERIC);
    EXPECT_IN(tg_last_error(), "row 1, feature 0");
    cr_expect_eq(s.nfeat, 0);
    cr_expect_eq(tg_scaler_fit(&s, x, 2, 2), TG_ERR_ARG);
    EXPECT_IN(tg_last_error(), "no rows");
    tg_scaler bad = tg_scaler_minmax(1, 1);
    cr_expect_eq(tg_scaler_fit(&bad, x, 0, 1), TG_ERR_ARG);
    EXPECT_IN(tg_last_error(), "needs a < b");
    /* a failed fit keeps the previous one */
    cr_assert_eq(tg_scaler_fit(&s, x, 0, 1), TG_OK);
    cr_expect_eq(tg_scaler_fit(&s, x, 0, 2), TG_ERR_NUMERIC);
    cr_expect_eq(s.nfeat, 1);
    cr_expect_eq(s.min[0], 1.0);
    tg_scaler_free(&s);
    tg_tensor_free(x);
}

Test(scaler, contract_violations)
{
    tg_tensor *x = tg_tensor_zeros(TG_SHAPE(4, 2));
    tg_tensor *small = tg_tensor_zeros(TG_SHAPE(4, 1));
    tg_tensor *three = tg_tensor_zeros(TG_SHAPE(2, 3));
    tg_scaler s = tg_scaler_standard();
    EXPECT_RAISES(tg_scaler_transform(&s, x, x));
    EXPECT_IN(contract_msg, "not fitted");
    EXPECT_RAISES(tg_scaler_fit(&s, x, 0, 5));
    EXPECT_RAISES(tg_scaler_fit(&s, x, 3, 1));
    cr_assert_eq(tg_scaler_fit(&s, x, 0, 4), TG_OK);
    EXPECT_RAISES(tg_scaler_transform(&s, x, small));
    EXPECT_RAISES(tg_scaler_transform(&s, three, three));
    EXPECT_IN(contract_msg, "last axis has 3 entries");
    EXPECT_RAISES(tg_scaler_inverse_feature(&s, 2, x->data, x->data, 1));
    tg_scaler_free(&s);
    tg_tensor_free(x);
    tg_tensor_free(small);
    tg_tensor_free(three);
}

/* ---- sliding windows ---------------------------------------------------------------------- */

Test(window, shapes_and_contents_one_feature)
{
    tg_tensor *s = tg_tensor_arange(10); /* (10,): series[t] = t */
    tg_tensor *X, *y;
    cr_assert_eq(tg_make_windows(s, &(tg_window_opts){.window = 3, .horizon = 1}, &X, &y), TG_OK);
    expect_shape(X, 3, (int[]){7, 3, 1});
    expect_shape(y, 2, (int[]){7, 1});
    for (int i = 0; i < 7; i++) {
        for (int t = 0; t < 3; t++) cr_expect_eq(X->data[i * 3 + t], (float)(i + t));
        cr_expect_eq(y->data[i], (float)(i + 3));
    }
    tg_tensor_free(X);
    tg_tensor_free(y);
    /* horizon 2: y[i] = series[i+W .. i+W+1], so y[i][h-1] = series[i+W+h-1] */
    cr_assert_eq(tg_make_windows(s, &(tg_window_opts){.window = 3, .horizon = 2}, &X, &y), TG_OK);
    expect_shape(X, 3, (int[]){6, 3, 1});
    expect_shape(y, 2, (int[]){6, 2});
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(y->data[i * 2 + 0], (float)(i + 3));
        cr_expect_eq(y->data[i * 2 + 1], (float)(i + 3 + 2 - 1));
    }
    tg_tensor_free(X);
    tg_tensor_free(y);
    cr_expect_eq(tg_window_count(10, 3, 2), 6);
    tg_tensor_free(s);
}

Test(window, many_features_select_inputs_and_targets)
{
    /* series (6, 3): row t = (t, 10 t, 100 t) */
    tg_tensor *s = tg_tensor_new(TG_SHAPE(6, 3));
    for (int t = 0; t < 6; t++)
        for (int f = 0; f < 3; f++)
            s->data[t * 3 + f] = (float)(t * (f == 0 ? 1 : f == 1 ? 10 : 100));
    tg_tensor *X, *y;
    tg_window_opts o = {.window = 2, .horizon = 1, .inputs = (int[]){2, 0}, .ninputs = 2,
                        .targets = (int[]){1}, .ntargets = 1};
    cr_assert_eq(tg_make_windows(s, &o, &X, &y), TG_OK);
    expect_shape(X, 3, (int[]){4, 2, 2});
    expect_shape(y, 2, (int[]){4, 1});
    for (int i = 0; i < 4; i++) {
        for (int t = 0; t < 2; t++) {
            cr_expect_eq(X->data[(i * 2 + t) * 2 + 0], (float)(100 * (i + t)));
            cr_expect_eq(X->data[(i * 2 + t) * 2 + 1], (float)(i + t));
        }
        cr_expect_eq(y->data[i], (float)(10 * (i + 2)));
    }
    tg_tensor_free(X);
    tg_tensor_free(y);
    /* all features in and out: y (n, h, F) */
    cr_assert_eq(tg_make_windows(s, &(tg_window_opts){.window = 2, .horizon = 2}, &X, &y), TG_OK);
    expect_shape(X, 3, (int[]){3, 2, 3});
    expect_shape(y, 3, (int[]){3, 2, 3});
    cr_expect_eq(y->data[(2 * 2 + 1) * 3 + 2], 100.0f * (2 + 2 + 1));
    tg_tensor_free(X);
    tg_tensor_free(y);
    tg_tensor_free(s);
}

Test(window, bad_settings_are_errors)
{
    tg_tensor *s = tg_tensor_arange(5);
    tg_tensor *X = (tg_tensor *)s, *y = (tg_tensor *)s;
    cr_expect_eq(tg_make_windows(s, &(tg_window_opts){.window = 5, .horizon = 1}, &X, &y),
                 TG_ERR_ARG);
    EXPECT_IN(tg_last_error(), "5 steps is too short for window 5 + horizon 1");
    cr_expect_null(X);
    cr_expect_null(y);
    cr_expect_eq(tg_make_windows(s, &(tg_window_opts){.window = 2}, &X, &y), TG_ERR_ARG);
    EXPECT_IN(tg_last_error(), "must be >= 1");
    cr_expect_eq(tg_make_windows(s, &(tg_window_opts){.window = 0, .horizon = 1}, &X, &y),
                 TG_ERR_ARG);
    tg_window_opts o = {.window = 2, .horizon = 1, .targets = (int[]){1}, .ntargets = 1};
    cr_expect_eq(tg_make_windows(s, &o, &X, &y), TG_ERR_ARG);
    EXPECT_IN(tg_last_error(), "target feature 1 is out of range");
    EXPECT_RAISES(tg_make_windows(NULL, &o, &X, &y));
    tg_tensor_free(s);
}

Test(window, bitcoin_sixty_days_in_one_day_out)
{
    tg_csv *csv;
    tg_csv_opts co = {.columns = (const char *[]){"Close"}, .ncolumns = 1,
                      .missing = TG_MISSING_INTERPOLATE};
    cr_assert_eq(tg_csv_read(BTC_PATH, &co, &csv), TG_OK, "%s", tg_last_error());
    tg_tensor *series = tg_csv_tensor(csv), *X, *y;
    cr_assert_eq(tg_make_windows(series, &(tg_window_opts){.window = 60, .horizon = 1}, &X, &y),
                 TG_OK);
    expect_shape(X, 3, (int[]){2474, 60, 1});
    expect_shape(y, 2, (int[]){2474, 1});
    cr_expect_eq(X->data[0], 457.334015f);
    cr_expect_eq(y->data[0], series->data[60]);
    cr_expect_eq(y->data[2473], 48531.832031f);
    tg_tensor_free(X);
    tg_tensor_free(y);
    tg_tensor_free(series);
    tg_csv_free(csv);
}

/* ---- splits ------------------------------------------------------------------------------ */

Test(split, train_count)
{
    cr_expect_eq(tg_split_train_count(10, 0.8), 8);
    cr_expect_eq(tg_split_train_count(100, 0.29), 29);
    cr_expect_eq(tg_split_train_count(2474, 0.8), 1979);
    cr_expect_eq(tg_split_train_count(7, 0.5), 3);
}

Test(split, chronological_keeps_order)
{
    tg_tensor *X = tg_tensor_arange(10), *y = tg_tensor_arange(10), *xa, *xb, *ya, *yb;
    for (int i = 0; i < 10; i++) y->data[i] = 2.0f * i;
    cr_assert_eq(tg_train_test_split(X, y, 0.8, TG_SPLIT_CHRONO, 0, &xa, &xb, &ya, &yb), TG_OK);
    expect_shape(xa, 1, (int[]){8});
    expect_shape(xb, 1, (int[]){2});
    expect_shape(yb, 1, (int[]){2});
    for (int i = 0; i < 8; i++) cr_expect_eq(xa->data[i], (float)i);
    expect_floats(xb->data, (float[]){8, 9}, 2, 0);
    expect_floats(yb->data, (float[]){16, 18}, 2, 0);
    tg_tensor *bufs[] = {X, y, xa, xb, ya, yb};
    for (int k = 0; k < 6; k++) tg_tensor_free(bufs[k]);
}

Test(split, chronological_windows_put_every_test_target_after_train)
{
    tg_tensor *s = tg_tensor_arange(50), *X, *y, *xa, *xb, *ya, *yb;
    cr_assert_eq(tg_make_windows(s, &(tg_window_opts){.window = 5, .horizon = 3}, &X, &y), TG_OK);
    cr_assert_eq(tg_train_test_split(X, y, 0.7, TG_SPLIT_CHRONO, 0, &xa, &xb, &ya, &yb), TG_OK);
    /* targets are time steps here. Horizon-h targets (y[:, h-1]) of test windows all come
     * after those of train windows; the full 3-step targets overlap by h - 1 = 2 steps:
     * the last train window predicts t+4..t+6 and the first test window t+5..t+7 */
    cr_expect_lt(ya->data[ya->size - 1], yb->data[2]);
    cr_expect_eq(yb->data[0], ya->data[ya->size - 2]);
    cr_expect_eq(yb->data[1], ya->data[ya->size - 1]);
    cr_expect_eq(xb->shape[0] + xa->shape[0], 43);
    cr_expect_eq(xb->data[0], (float)xa->shape[0]); /* windows continue where train stopped */
    tg_tensor *bufs[] = {s, X, y, xa, xb, ya, yb};
    for (int k = 0; k < 7; k++) tg_tensor_free(bufs[k]);
}

Test(split, random_is_a_seeded_permutation)
{
    enum { N = 50 };
    int32_t a[N], b[N], c[N];
    int na, nb, nc;
    cr_assert_eq(tg_split_indices(N, 0.8, TG_SPLIT_RANDOM, 7, a, &na), TG_OK);
    cr_assert_eq(tg_split_indices(N, 0.8, TG_SPLIT_RANDOM, 7, b, &nb), TG_OK);
    cr_assert_eq(tg_split_indices(N, 0.8, TG_SPLIT_RANDOM, 8, c, &nc), TG_OK);
    cr_expect_eq(na, 40);
    cr_expect_arr_eq(a, b, sizeof a, "the same seed gave a different split");
    cr_expect(memcmp(a, c, sizeof a) != 0, "seeds 7 and 8 gave the same split");
    int seen[N] = {0};
    for (int i = 0; i < N; i++) {
        cr_assert(a[i] >= 0 && a[i] < N);
        seen[a[i]]++;
    }
    for (int i = 0; i < N; i++) cr_expect_eq(seen[i], 1, "index %d seen %d times", i, seen[i]);
    int sorted = 1;
    for (int i = 1; i < N; i++) sorted &= a[i] > a[i - 1];
    cr_expect(!sorted, "a random split came out in order");

    /* X rows and y rows stay paired: y = 3 x */
    tg_tensor *X = tg_tensor_new(TG_SHAPE(N, 2)), *y = tg_tensor_new(TG_SHAPE(N));
    for (int i = 0; i < N; i++) {
        X->data[2 * i] = X->data[2 * i + 1] = (float)i;
        y->data[i] = 3.0f * i;
    }
    tg_tensor *xa, *xb, *ya, *yb;
    cr_assert_eq(tg_train_test_split(X, y, 0.8, TG_SPLIT_RANDOM, 7, &xa, &xb, &ya, &yb), TG_OK);
    for (int i = 0; i < 40; i++) {
        cr_expect_eq(xa->data[2 * i], (float)a[i]);
        cr_expect_eq(ya->data[i], 3.0f * xa->data[2 * i + 1]);
    }
    for (int i = 0; i < 10; i++) cr_expect_eq(yb->data[i], 3.0f * (float)a[40 + i]);
    tg_tensor *bufs[] = {X, y, xa, xb, ya, yb};
    for (int k = 0; k < 6; k++) tg_tensor_free(bufs[k]);
}

Test(split, bad_fractions_are_errors)
{
    tg_tensor *X = tg_tensor_arange(10), *xa = X, *xb = X;
    double bad[] = {0.0, 1.0, 1.5, -0.2, 0.05, NAN};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cr_expect_eq(tg_train_test_split(X, NULL, bad[k], TG_SPLIT_CHRONO, 0, &xa, &xb, NULL, NULL),
                     TG_ERR_ARG, "fraction %g", bad[k]);
        cr_expect_null(xa);
        cr_expect_null(xb);
    }
    EXPECT_IN(tg_last_error(), "both need at least one");
    tg_tensor *one = tg_tensor_arange(1);
    cr_expect_eq(tg_train_test_split(one, NULL, 0.5, TG_SPLIT_RANDOM, 0, &xa, &xb, NULL, NULL),
                 TG_ERR_ARG);
    tg_tensor *y = tg_tensor_arange(9);
    EXPECT_RAISES(tg_train_test_split(X, y, 0.5, TG_SPLIT_CHRONO, 0, &xa, &xb, &xa, &xb));
    EXPECT_IN(contract_msg, "X has 10 samples, y has 9");
    tg_tensor_free(X);
    tg_tensor_free(y);
    tg_tensor_free(one);
}

/* ---- mini-batches ---------------------------------------------------------------------------- */

/* Runs one epoch; appends the indices to seen[] and the sizes to sizes[]; returns batches. */
static int run_epoch(tg_batcher *b, int32_t *seen, int *sizes)
{
    int nb = 0, at = 0;
    while (tg_batcher_next(b)) {
        int k = tg_batcher_size(b);
        memcpy(seen + at, tg_batcher_indices(b), (size_t)k * sizeof *seen);
        at += k;
        sizes[nb++] = k;
    }
    return nb;
}

Test(batch, every_sample_once_per_epoch)
{
    enum { N = 103 };
    tg_batcher *b;
    cr_assert_eq(tg_batcher_new(N, 10, &(tg_batcher_opts){.shuffle = true, .seed = 1}, &b), TG_OK);
    cr_expect_eq(tg_batcher_epoch(b), -1);
    cr_expect_eq(tg_batcher_batches_per_epoch(b), 11);
    int32_t seen[N];
    int sizes[16];
    for (int e = 0; e < 3; e++) {
        cr_assert_eq(run_epoch(b, seen, sizes), 11);
        cr_expect_eq(tg_batcher_epoch(b), e);
        for (int k = 0; k < 10; k++) cr_expect_eq(sizes[k], 10);
        cr_expect_eq(sizes[10], 3);
        int count[N] = {0};
        for (int i = 0; i < N; i++) count[seen[i]]++;
        for (int i = 0; i < N; i++) cr_expect_eq(count[i], 1, "epoch %d: sample %d", e, i);
    }
    tg_batcher_free(b);
}

Test(batch, no_shuffle_is_in_order_and_big_batches_are_one)
{
    tg_batcher *b;
    cr_assert_eq(tg_batcher_new(5, 2, NULL, &b), TG_OK);
    int32_t seen[5];
    int sizes[4];
    cr_expect_eq(run_epoch(b, seen, sizes), 3);
    cr_expect_arr_eq(seen, ((int32_t[]){0, 1, 2, 3, 4}), sizeof seen);
    tg_batcher_free(b);
    cr_assert_eq(tg_batcher_new(5, 64, NULL, &b), TG_OK);
    cr_expect_eq(run_epoch(b, seen, sizes), 1);
    cr_expect_eq(sizes[0], 5);
    tg_batcher_free(b);
}

Test(batch, shuffle_is_reproducible_and_differs_across_epochs)
{
    enum { N = 40 };
    tg_batcher *a, *b, *c;
    tg_batcher_opts o = {.shuffle = true, .seed = 99};
    cr_assert_eq(tg_batcher_new(N, 8, &o, &a), TG_OK);
    cr_assert_eq(tg_batcher_new(N, 8, &o, &b), TG_OK);
    o.seed = 100;
    cr_assert_eq(tg_batcher_new(N, 8, &o, &c), TG_OK);
    int32_t ea[2][N], eb[2][N], ec[N];
    int sizes[8];
    for (int e = 0; e < 2; e++) {
        run_epoch(a, ea[e], sizes);
        run_epoch(b, eb[e], sizes);
    }
    run_epoch(c, ec, sizes);
    cr_expect_arr_eq(ea[0], eb[0], sizeof ea[0], "epoch 0 differs for the same seed");
    cr_expect_arr_eq(ea[1], eb[1], sizeof ea[1], "epoch 1 differs for the same seed");
    cr_expect(memcmp(ea[0], ea[1], sizeof ea[0]) != 0, "epochs 0 and 1 have the same order");
    cr_expect(memcmp(ea[0], ec, sizeof ec) != 0, "seeds 99 and 100 give the same order");
    tg_batcher_free(a);
    tg_batcher_free(b);
    tg_batcher_free(c);
}

Test(batch, drop_last_sizes)
{
    tg_batcher *b;
    cr_assert_eq(tg_batcher_new(103, 10, &(tg_batcher_opts){.shuffle = true, .drop_last = true},
                                &b), TG_OK);
    cr_expect_eq(tg_batcher_batches_per_epoch(b), 10);
    int32_t seen[103];
    int sizes[16];
    for (int e = 0; e < 2; e++) {
        cr_assert_eq(run_epoch(b, seen, sizes), 10);
        for (int k = 0; k < 10; k++) cr_expect_eq(sizes[k], 10);
    }
    tg_batcher_free(b);
    /* an exact multiple drops nothing */
    cr_assert_eq(tg_batcher_new(30, 10, &(tg_batcher_opts){.drop_last = true}, &b), TG_OK);
    cr_expect_eq(run_epoch(b, seen, sizes), 3);
    tg_batcher_free(b);
}

Test(batch, attached_tensors_hold_the_batch_rows)
{
    enum { N = 23, W = 4 };
    tg_tensor *X = tg_tensor_new(TG_SHAPE(N, W, 1)), *y = tg_tensor_new(TG_SHAPE(N, 1));
    for (int i = 0; i < N; i++) {
        for (int t = 0; t < W; t++) X->data[i * W + t] = (float)(100 * i + t);
        y->data[i] = (float)-i;
    }
    tg_batcher *b;
    cr_assert_eq(tg_batcher_new(N, 5, &(tg_batcher_opts){.shuffle = true, .seed = 3}, &b), TG_OK);
    tg_tensor *xb = tg_batcher_attach(b, X), *yb = tg_batcher_attach(b, y);
    expect_shape(xb, 3, (int[]){5, W, 1});
    for (int e = 0; e < 2; e++) {
        int batches = 0;
        while (tg_batcher_next(b)) {
            int k = tg_batcher_size(b);
            const int32_t *idx = tg_batcher_indices(b);
            expect_shape(xb, 3, (int[]){k, W, 1});
            expect_shape(yb, 2, (int[]){k, 1});
            cr_expect_eq(xb->size, (int64_t)k * W);
            for (int r = 0; r < k; r++) {
                for (int t = 0; t < W; t++)
                    cr_expect_eq(xb->data[r * W + t], (float)(100 * idx[r] + t));
                cr_expect_eq(yb->data[r], (float)-idx[r]);
            }
            batches++;
        }
        cr_expect_eq(batches, 5);
        cr_expect_eq(xb->shape[0], 3); /* the last batch of 23 = 4 * 5 + 3 */
    }
    tg_batcher_free(b);
    tg_tensor_free(X);
    tg_tensor_free(y);
}

Test(batch, no_heap_allocation_per_batch)
{
    tg_tensor *X = tg_tensor_zeros(TG_SHAPE(100, 60, 1)), *y = tg_tensor_zeros(TG_SHAPE(100, 1));
    tg_batcher *b;
    cr_assert_eq(tg_batcher_new(100, 32, &(tg_batcher_opts){.shuffle = true, .seed = 5}, &b),
                 TG_OK);
    tg_tensor *xb = tg_batcher_attach(b, X), *yb = tg_batcher_attach(b, y);
    uint64_t before = tg_heap_alloc_count();
    int batches = 0;
    for (int e = 0; e < 4; e++)
        while (tg_batcher_next(b)) batches++;
    cr_expect_eq(batches, 16);
    cr_expect_eq(tg_heap_alloc_count(), before, "%llu allocations in the loop",
                 (unsigned long long)(tg_heap_alloc_count() - before));
    /* the manual path allocates nothing either */
    tg_tensor *mine = tg_tensor_new(TG_SHAPE(32, 1));
    before = tg_heap_alloc_count();
    while (tg_batcher_next(b))
        tg_gather_rows(y, tg_batcher_indices(b), tg_batcher_size(b), mine);
    cr_expect_eq(tg_heap_alloc_count(), before);
    (void)xb, (void)yb;
    tg_tensor_free(mine);
    tg_batcher_free(b);
    tg_tensor_free(X);
    tg_tensor_free(y);
}

Test(batch, bad_settings_are_errors)
{
    tg_batcher *b = (tg_batcher *)&b;
    cr_expect_eq(tg_batcher_new(0, 4, NULL, &b), TG_ERR_ARG);
    cr_expect_null(b);
    cr_expect_eq(tg_batcher_new(10, 0, NULL, &b), TG_ERR_ARG);
    EXPECT_IN(tg_last_error(), "batch size 0");
    cr_expect_eq(tg_batcher_new(10, 11, &(tg_batcher_opts){.drop_last = true}, &b), TG_ERR_ARG);
    EXPECT_IN(tg_last_error(), "leaves no batch");
    cr_assert_eq(tg_batcher_new(10, 4, NULL, &b), TG_OK);
    tg_tensor *wrong = tg_tensor_zeros(TG_SHAPE(9, 2)), *dst = tg_tensor_zeros(TG_SHAPE(2, 3));
    EXPECT_RAISES(tg_batcher_attach(b, wrong));
    EXPECT_IN(contract_msg, "(10, ...)");
    EXPECT_RAISES(tg_gather_rows(wrong, (int32_t[]){0}, 1, dst));
    EXPECT_RAISES(tg_gather_rows(wrong, (int32_t[]){9}, 1, wrong));
    EXPECT_IN(contract_msg, "index 9");
    tg_tensor_free(wrong);
    tg_tensor_free(dst);
    tg_batcher_free(b);
}

/* The header's example, end to end on the real file. */
Test(pipeline, bitcoin_study_example)
{
    tg_csv *csv;
    tg_csv_opts co = {.columns = (const char *[]){"Close"}, .ncolumns = 1,
                      .text_column = "Date", .missing = TG_MISSING_INTERPOLATE};
    cr_assert_eq(tg_csv_read(BTC_PATH, &co, &csv), TG_OK, "%s", tg_last_error());
    tg_tensor *series = tg_csv_tensor(csv);
    int W = 60, H = 1;
    int n_win = tg_window_count(series->shape[0], W, H);
    int n_train = tg_split_train_count(n_win, 0.8);
    cr_expect_eq(n_win, 2474);
    cr_expect_eq(n_train, 1979);
    tg_scaler sc = tg_scaler_minmax(0.0f, 1.0f);
    cr_assert_eq(tg_scaler_fit(&sc, series, 0, n_train + W + H - 1), TG_OK);
    tg_scaler_transform(&sc, series, series);
    tg_tensor *X, *y, *x_train, *x_test, *y_train, *y_test;
    cr_assert_eq(tg_make_windows(series, &(tg_window_opts){.window = W, .horizon = H}, &X, &y),
                 TG_OK);
    cr_assert_eq(tg_train_test_split(X, y, 0.8, TG_SPLIT_CHRONO, 0, &x_train, &x_test, &y_train,
                                     &y_test), TG_OK);
    cr_expect_eq(x_train->shape[0], n_train);
    float max_train = 0;
    for (int64_t i = 0; i < y_train->size; i++) max_train = fmaxf(max_train, y_train->data[i]);
    cr_expect_leq(max_train, 1.0f); /* the scaler saw every train target */
    tg_batcher *b;
    cr_assert_eq(tg_batcher_new(n_train, 32, &(tg_batcher_opts){.shuffle = true, .seed = 42}, &b),
                 TG_OK);
    tg_tensor *xb = tg_batcher_attach(b, x_train), *yb = tg_batcher_attach(b, y_train);
    int last = 0;
    while (tg_batcher_next(b)) last = xb->shape[0];
    cr_expect_eq(last, 1979 % 32);
    cr_expect_eq(yb->shape[0], 27);
    /* back to dollars */
    tg_scaler_inverse_transform(&sc, y_test, y_test);
    cr_expect(fabsf(y_test->data[y_test->size - 1] - 48531.832031f) < 0.01f);
    tg_batcher_free(b);
    tg_scaler_free(&sc);
    tg_csv_free(csv);
    tg_tensor *bufs[] = {series, X, y, x_train, x_test, y_train, y_test};
    for (int k = 0; k < 7; k++) tg_tensor_free(bufs[k]);
}

/* Every options struct has a defaults function; here they equal what zeros or NULL mean. */
Test(defaults, data_options_have_defaults_functions)
{
    tg_csv_opts c = tg_csv_defaults();
    cr_expect_eq(c.delimiter, ',');
    cr_expect_null(c.columns);
    cr_expect_eq(c.missing, TG_MISSING_ERROR);
    tg_window_opts w = tg_window_defaults();
    cr_expect(w.window == 1 && w.horizon == 1 && !w.inputs && !w.targets);
    tg_batcher_opts bo = tg_batcher_defaults();
    cr_expect(!bo.shuffle && !bo.drop_last && bo.seed == 0);
    /* the defaults run: windows of a 5-step series, batches of its samples */
    tg_tensor *s = tg_tensor_new(1, (int[]){5});
    for (int i = 0; i < 5; i++) s->data[i] = (float)i;
    tg_tensor *X, *y;
    cr_assert_eq(tg_make_windows(s, &w, &X, &y), TG_OK);
    cr_expect_eq(X->shape[0], 4);
    cr_expect_eq(y->data[3], 4.0f);
    tg_batcher *b;
    cr_assert_eq(tg_batcher_new(4, 3, &bo, &b), TG_OK);
    tg_batcher_free(b);
    tg_tensor_free(X), tg_tensor_free(y), tg_tensor_free(s);
}

/* Two columns with one name: selecting by that name is an error naming both, by index is
 * fine, and tg_csv_find says the name is ambiguous. */
Test(csv, duplicate_column_names_are_an_error_when_selected_by_name)
{
    const char *text = "t,a,b,a\n1,2,3,4\n5,6,7,8\n";
    tg_status st;
    tg_csv_opts o = tg_csv_defaults();
    o.columns = (const char *[]){"a"}, o.ncolumns = 1;
    cr_expect_null(parse(text, &o, &st));
    cr_expect_eq(st, TG_ERR_FORMAT);
    cr_expect(strstr(tg_last_error(), "two columns are named 'a' (columns 1 and 3)"), "%s",
              tg_last_error());
    o = tg_csv_defaults();
    o.column_indices = (int[]){1, 3}, o.ncolumns = 2;
    tg_csv *csv = parse(text, &o, &st);
    cr_assert_eq(st, TG_OK, "%s", tg_last_error());
    cr_expect_eq(csv->values[1], 4.0);
    cr_expect_eq(tg_csv_find(csv, "a"), -2);
    tg_csv_free(csv);
}

/* Contract failures of the data functions name the caller's line, as the ops' do. */
Test(contract, data_functions_report_the_callers_line)
{
    tg_tensor *src = tg_tensor_zeros(2, (int[]){3, 2}), *dst = tg_tensor_zeros(2, (int[]){2, 2});
    EXPECT_RAISES(tg_gather_rows(src, ((int32_t[]){0, 7}), 2, dst));
    EXPECT_MSG_HAS("index 7");
    EXPECT_MSG_HAS("test_data.c:");
    tg_batcher *b;
    cr_assert_eq(tg_batcher_new(4, 2, NULL, &b), TG_OK);
    EXPECT_RAISES(tg_batcher_attach(b, src)); /* 3 rows for 4 samples */
    EXPECT_MSG_HAS("test_data.c:");
    tg_scaler sc = tg_scaler_minmax(0.0f, 1.0f);
    EXPECT_RAISES(tg_scaler_transform(&sc, src, dst));
    EXPECT_MSG_HAS("not fitted");
    EXPECT_MSG_HAS("test_data.c:");
    tg_params *ps = tg_params_new();
    tg_params_add(ps, "w", TG_SHAPE(2));
    EXPECT_RAISES(tg_params_add(ps, "w", TG_SHAPE(2)));
    EXPECT_MSG_HAS("exists already");
    EXPECT_MSG_HAS("test_data.c:");
    tg_params_free(ps);
    tg_batcher_free(b);
    tg_tensor_free(src), tg_tensor_free(dst);
}

Test(batch, ranks_split_every_global_batch_of_the_same_shuffle)
{
    enum { N = 11, BS = 4 };
    tg_batcher *whole, *r0, *r1;
    tg_batcher_opts o = {.shuffle = true, .seed = 3};
    cr_assert_eq(tg_batcher_new(N, BS, &o, &whole), TG_OK);
    o.nranks = 2, o.rank = 0;
    cr_assert_eq(tg_batcher_new(N, BS, &o, &r0), TG_OK);
    o.rank = 1;
    cr_assert_eq(tg_batcher_new(N, BS, &o, &r1), TG_OK);
    for (int epoch = 0; epoch < 3; epoch++) {
        int batches = 0;
        while (tg_batcher_next(whole)) {
            cr_assert(tg_batcher_next(r0) && tg_batcher_next(r1));
            int g = tg_batcher_size(whole), a = tg_batcher_size(r0), b = tg_batcher_size(r1);
            cr_assert_eq(a, g / 2, "rank 0 takes rows [0, %d)", g / 2);
            cr_assert_eq(a + b, g);
            const int32_t *iw = tg_batcher_indices(whole);
            for (int i = 0; i < a; i++) cr_assert_eq(tg_batcher_indices(r0)[i], iw[i]);
            for (int i = 0; i < b; i++) cr_assert_eq(tg_batcher_indices(r1)[i], iw[a + i]);
            /* each rank's place in the global batch, what tg_model_batch_slice takes */
            int s0 = -1, s1 = -1, sw = -1;
            cr_assert_eq(tg_batcher_slice(r0, &s0), g);
            cr_assert_eq(tg_batcher_slice(r1, &s1), g);
            cr_assert_eq(tg_batcher_slice(whole, &sw), g);
            cr_assert(s0 == 0 && s1 == a && sw == 0, "starts %d %d %d", s0, s1, sw);
            batches++;
        }
        cr_assert_not(tg_batcher_next(r0) || tg_batcher_next(r1), "the epochs end together");
        cr_assert_eq(batches, 3); /* 4, 4, 3 rows */
        cr_assert_eq(tg_batcher_slice(r1, NULL), 0, "no batch between epochs");
        cr_assert(tg_batcher_next(r1)); /* mid-epoch, then the next epoch is set */
        tg_batcher_set_epoch(r1, epoch + 1);
        int st = -1;
        cr_assert_eq(tg_batcher_slice(r1, &st), 0, "no batch after tg_batcher_set_epoch");
        cr_assert_eq(st, 0);
        tg_batcher_set_epoch(r1, epoch + 1);
    }
    tg_batcher_free(whole), tg_batcher_free(r0), tg_batcher_free(r1);

    /* a last batch of fewer rows than ranks is dropped on every rank */
    tg_batcher *b3;
    o = (tg_batcher_opts){.nranks = 3, .rank = 2};
    cr_assert_eq(tg_batcher_new(7, 3, &o, &b3), TG_OK); /* 3, 3, then 1 row: dropped */
    int n = 0;
    while (tg_batcher_next(b3)) {
        n++;
        cr_assert_eq(tg_batcher_size(b3), 1);
    }
    cr_assert_eq(n, 2);
    tg_batcher_free(b3);
    o = (tg_batcher_opts){.nranks = 4, .rank = 0};
    cr_assert_eq(tg_batcher_new(10, 3, &o, &b3), TG_ERR_ARG, "batch size below the ranks");
    o = (tg_batcher_opts){.nranks = 2, .rank = 2};
    cr_assert_eq(tg_batcher_new(10, 4, &o, &b3), TG_ERR_ARG, "rank outside the ranks");
}
