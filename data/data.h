/* data/data.h — getting a time series from a CSV file into training batches: a CSV reader,
 * scalers (MinMax, standard), sliding windows, train/test splits and a seeded mini-batch
 * iterator. Depends on tensor/ only.
 *
 * The Bitcoin study: daily Close prices, 60 days in -> day 61 out, 80% of the windows for
 * training (chronologically), batches of 32 reshuffled every epoch.
 *
 *     tg_csv *csv;
 *     tg_csv_opts co = {.columns = (const char *[]){"Close"}, .ncolumns = 1,
 *                       .text_column = "Date", .missing = TG_MISSING_INTERPOLATE};
 *     if (tg_csv_read("datasets/btc-usd-daily-2014-2021.csv", &co, &csv) != TG_OK) {
 *         fprintf(stderr, "%s\n", tg_last_error());   // "btc.csv:1234:5: 'abc' is not ..."
 *         return 1;
 *     }
 *     tg_tensor *series = tg_csv_tensor(csv);                // (2534, 1); csv->text[i]: date
 *     int W = 60, H = 1;
 *     int n_win = tg_window_count(series->shape[0], W, H);  // 2474 windows
 *     int n_train = tg_split_train_count(n_win, 0.8);       // 1979 train windows
 *     tg_scaler sc = tg_scaler_minmax(0.0f, 1.0f);
 *     tg_scaler_fit(&sc, series, 0, n_train + W + H - 1);   // only the rows train windows see
 *     tg_scaler_transform(&sc, series, series);              // in place
 *     tg_tensor *X, *y, *x_train, *x_test, *y_train, *y_test;
 *     tg_make_windows(series, &(tg_window_opts){.window = W, .horizon = H}, &X, &y);
 *                                                             // X (2474, 60, 1), y (2474, 1)
 *     tg_train_test_split(X, y, 0.8, TG_SPLIT_CHRONO, 0, &x_train, &x_test, &y_train, &y_test);
 *     tg_batcher *b;
 *     tg_batcher_new(n_train, 32, &(tg_batcher_opts){.shuffle = true, .seed = 42}, &b);
 *     tg_tensor *xb = tg_batcher_attach(b, x_train);        // (32, 60, 1), owned by b
 *     tg_tensor *yb = tg_batcher_attach(b, y_train);        // (32, 1)
 *     for (int epoch = 0; epoch < 20; epoch++)
 *         while (tg_batcher_next(b)) {                        // fills xb, yb; the last batch
 *             ...forward(xb), loss against yb, backward, step // of an epoch has 27 rows
 *         }
 *     ...predict x_test into pred (n, 1), then back to dollars:
 *     tg_scaler_inverse_transform(&sc, pred, pred);
 *     tg_batcher_free(b);  tg_scaler_free(&sc);  tg_csv_free(csv);
 *     ...tg_tensor_free each of series, X, y, x_train, x_test, y_train, y_test.
 *
 * Errors follow tensor/error.h. Anything that comes from the outside world (the file, its
 * contents, sizes and fractions a program reads from its configuration) returns a
 * tg_status with a message in tg_last_error() that names the file, line and column;
 * nothing here exits, aborts or crashes on bad input, and no bad cell silently becomes 0.
 * Programming errors (NULL pointers, a tensor of the wrong rank, indices a program
 * computed wrongly) are contract violations (tg_contract_fail). On error every output
 * pointer is set to NULL and nothing leaks.
 *
 * Ownership: every tensor returned here is a heap tensor the caller frees with
 * tg_tensor_free(), except the batch tensors from tg_batcher_attach(), which the batcher
 * owns.
 *
 * What this is not: a data-frame library (no date arithmetic, no column types beyond
 * numbers and one text column, no writing), a streaming reader (a file is read whole, up
 * to 2 GiB), or a multi-threaded loader: a batch is a gather of rows already in memory.
 */
#ifndef TG_DATA_H
#define TG_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CSV ------------------------------------------------------------------------------
 * The first non-blank line is the header. Fields are separated by `delimiter` (','),
 * may be quoted ("a, b" with "" for a quote; a quoted field may span lines), and
 * unquoted fields are trimmed of spaces and tabs. LF, CRLF and CR line endings, a missing
 * final newline and a UTF-8 byte-order mark are accepted; blank lines are skipped (in
 * every file, one-column files included, as pandas does). Every row must have as many
 * fields as the header.
 *
 * Numbers are decimal ("12", "-0.5", "1.5e-3", ".5"), read in the C locale whatever the
 * program's locale, and must fit in float32. Hexadecimal, "inf" and thousands
 * separators are not numbers. A cell that is empty, or reads null, NaN, NA, N/A or None
 * (any case) is missing, and the `missing` policy decides what happens. */

typedef enum tg_missing {
    TG_MISSING_ERROR = 0,     /* default: an error naming line, column and the cell */
    TG_MISSING_SKIP_ROW,      /* drop every row with a missing cell in a loaded column */
    TG_MISSING_CARRY_FORWARD, /* the previous row's value; missing values before the
                                 first present one take that first value (backfill) */
    TG_MISSING_INTERPOLATE,   /* linear in the row position between the nearest present
                                 values above and below; missing values before the first
                                 or after the last present value take that nearest value */
} tg_missing;

/* Zero-initialized options are the defaults: every column, comma, TG_MISSING_ERROR. */
typedef struct tg_csv_opts {
    /* Numeric columns to load, in this order: by header name or by 0-based index (at
     * most one of the two). Neither: every column except the text column. */
    const char *const *columns;
    const int *column_indices;
    int ncolumns;
    /* One column kept as text (e.g. dates): by name, or the first column. */
    const char *text_column;
    bool text_first;
    tg_missing missing;
    char delimiter; /* 0 means ',' */
} tg_csv_opts;
/* The zeros above, for code that starts every options struct from its defaults. */
tg_csv_opts tg_csv_defaults(void);

typedef struct tg_csv {
    int nrows;             /* data rows kept */
    int ncols;             /* numeric columns loaded */
    const char **names;    /* [ncols] their header names */
    double *values;        /* [nrows * ncols] row-major, as read (filled cells included) */
    int *lines;            /* [nrows] 1-based line of each row in the file */
    const char *text_name; /* header name of the text column, or NULL */
    const char **text;     /* [nrows] its cells, or NULL */
    int nfilled;           /* cells filled by CARRY_FORWARD or INTERPOLATE */
    int nskipped;          /* rows dropped by SKIP_ROW */
    char *strings_;        /* private: storage of names and text */
} tg_csv;

/* Reads `path`. Errors: TG_ERR_IO (cannot open or read; the message has the path),
 * TG_ERR_FORMAT ("path:line:column: ..." for a bad cell, "path:line: ..." for a ragged
 * row; an empty file, a header with no rows), TG_ERR_ARG (a column name that is not in
 * the header, listing the columns; an index out of range). */
#define tg_csv_read(...) tg_csv_read_at(__VA_ARGS__, TG_HERE)
tg_status tg_csv_read_at(const char *path, const tg_csv_opts *opts, tg_csv **out, tg_loc loc);
/* The same from `len` bytes in memory; `name` (may be NULL) stands for the file name in
 * messages. */
#define tg_csv_parse(...) tg_csv_parse_at(__VA_ARGS__, TG_HERE)
tg_status tg_csv_parse_at(const char *text, size_t len, const char *name, const tg_csv_opts *opts,
                          tg_csv **out, tg_loc loc);
void tg_csv_free(tg_csv *csv); /* NULL is fine */

/* The loaded columns as a (nrows, ncols) float tensor. */
#define tg_csv_tensor(...) tg_csv_tensor_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_csv_tensor_at(const tg_csv *csv, tg_loc loc);
/* Index of a loaded column by name, -1 when none, -2 when two loaded columns have it. */
#define tg_csv_find(...) tg_csv_find_at(__VA_ARGS__, TG_HERE)
int tg_csv_find_at(const tg_csv *csv, const char *name, tg_loc loc);

/* ---- scalers --------------------------------------------------------------------------
 * Per feature, fitted on a range of rows (the training part only, so nothing about the
 * test part leaks into training), then applied to anything. Formulas as scikit-learn:
 *   MinMax    y = (x - min) / (max - min) * (b - a) + a     (default [a, b] = [0, 1])
 *   standard  y = (x - mean) / std                          (population std, ddof 0)
 * A constant feature (max == min, or std == 0) is not divided by zero: as in sklearn its
 * range (or std) is taken as 1, so MinMax maps the training value to a and standard to 0.
 * Values outside the fitted rows may map outside [a, b]: that is expected.
 * Arithmetic is in double, results rounded once to float. */

typedef enum tg_scaler_kind { TG_SCALER_MINMAX, TG_SCALER_STANDARD } tg_scaler_kind;

typedef struct tg_scaler {
    tg_scaler_kind kind;
    double a, b;         /* MinMax target range */
    int nfeat;           /* 0 until fitted */
    double *min, *max;   /* MinMax: [nfeat] over the fitted rows */
    double *mean, *std;  /* standard: [nfeat] over the fitted rows */
} tg_scaler;

tg_scaler tg_scaler_minmax(float a, float b); /* unfitted; (0, 1) is the usual range */
tg_scaler tg_scaler_standard(void);
/* Fits on rows [row_begin, row_end) of x, which is (N, F) or (N,) for one feature.
 * TG_ERR_ARG for an empty range or a MinMax range without a < b; TG_ERR_NUMERIC for a
 * NaN or Inf in those rows (the message names row and feature). A range outside [0, N)
 * is a contract violation. Refitting replaces the old fit; a failed fit keeps it. */
#define tg_scaler_fit(...) tg_scaler_fit_at(__VA_ARGS__, TG_HERE)
tg_status tg_scaler_fit_at(tg_scaler *s, const tg_tensor *x, int row_begin, int row_end,
                           tg_loc loc);
/* out = transform(x) / inverse(x); out may be x, and has x's size. With one fitted
 * feature every element is that feature; otherwise x's last axis has nfeat entries. */
#define tg_scaler_transform(...) tg_scaler_transform_at(__VA_ARGS__, TG_HERE)
void tg_scaler_transform_at(const tg_scaler *s, const tg_tensor *x, tg_tensor *out, tg_loc loc);
#define tg_scaler_inverse_transform(...) tg_scaler_inverse_transform_at(__VA_ARGS__, TG_HERE)
void tg_scaler_inverse_transform_at(const tg_scaler *s, const tg_tensor *x, tg_tensor *out,
                                    tg_loc loc);
/* The same for n floats that all belong to one feature (e.g. predictions of the target
 * column of a multi-feature scaler); out may be x. */
#define tg_scaler_transform_feature(...) tg_scaler_transform_feature_at(__VA_ARGS__, TG_HERE)
void tg_scaler_transform_feature_at(const tg_scaler *s, int feature, const float *x, float *out,
                                    int64_t n, tg_loc loc);
#define tg_scaler_inverse_feature(...) tg_scaler_inverse_feature_at(__VA_ARGS__, TG_HERE)
void tg_scaler_inverse_feature_at(const tg_scaler *s, int feature, const float *x, float *out,
                                  int64_t n, tg_loc loc);
void tg_scaler_free(tg_scaler *s); /* releases the fit; the struct can be fitted again */

/* ---- sliding windows ------------------------------------------------------------------
 * From a series (N, F) (or (N,): F = 1), sample i (0 <= i < n = N - W - h + 1) is
 *   X[i] = series[i .. i+W-1, inputs]            X (n, W, F_in)
 *   y[i] = series[i+W .. i+W+h-1, targets]       y (n, h) for one target, else (n, h, F_out)
 * so y[i][h-1] = series[i+W+h-1] is the value h steps after the window. h = 1 is
 * next-step prediction. */

typedef struct tg_window_opts {
    int window;        /* W >= 1 */
    int horizon;       /* h >= 1 */
    const int *inputs; /* feature indices in X, or NULL for all */
    int ninputs;
    const int *targets; /* feature indices in y, or NULL for all */
    int ntargets;
} tg_window_opts;
/* window 1, horizon 1, every feature in and out: set window to your look-back. */
tg_window_opts tg_window_defaults(void);

/* N - W - h + 1, the number of samples (may be <= 0 when the series is too short). */
int tg_window_count(int n, int window, int horizon);
/* TG_ERR_ARG when W or h < 1, a feature index is out of range, or the series is shorter
 * than W + h. */
#define tg_make_windows(...) tg_make_windows_at(__VA_ARGS__, TG_HERE)
tg_status tg_make_windows_at(const tg_tensor *series, const tg_window_opts *opts, tg_tensor **X,
                             tg_tensor **y, tg_loc loc);

/* ---- train/test split -----------------------------------------------------------------
 * Splits along axis 0: ntrain = floor(train_frac * n) samples for training, the rest for
 * testing. TG_SPLIT_CHRONO keeps order: train is the first ntrain samples, test the rest.
 * For windows made by tg_make_windows this keeps every test window after every train
 * window: with horizon 1, every test target comes after every train target (test inputs
 * overlap the last train steps, which is fine: they are inputs, not answers). With
 * horizon h > 1 the last h - 1 train windows' later target steps are also the first test
 * windows' earlier ones; for a strict separation, drop those h - 1 train samples. Use
 * CHRONO for forecasting; TG_SPLIT_RANDOM (a seeded permutation, as sklearn's
 * shuffle=True, kept in permutation order) lets future values leak into training. */

typedef enum tg_split_mode { TG_SPLIT_CHRONO, TG_SPLIT_RANDOM } tg_split_mode;

/* floor(train_frac * n), tolerant of decimal fractions (0.29 * 100 is 29), no checks. */
int tg_split_train_count(int n, double train_frac);
/* Writes the n sample indices to order[n]: order[0 .. ntrain) are train samples,
 * the rest test. CHRONO: 0, 1, ..., n-1. RANDOM: a permutation from `seed` (the same seed
 * gives the same split). TG_ERR_ARG unless 0 < train_frac < 1 leaves both parts
 * non-empty. */
#define tg_split_indices(...) tg_split_indices_at(__VA_ARGS__, TG_HERE)
tg_status tg_split_indices_at(int n, double train_frac, tg_split_mode mode, uint64_t seed,
                              int32_t *order, int *ntrain, tg_loc loc);
/* Splits X, and y alongside it when y is not NULL (same shape[0]), into new tensors.
 * y_train and y_test may be NULL when y is. */
#define tg_train_test_split(...) tg_train_test_split_at(__VA_ARGS__, TG_HERE)
tg_status tg_train_test_split_at(const tg_tensor *X, const tg_tensor *y, double train_frac,
                                 tg_split_mode mode, uint64_t seed, tg_tensor **X_train,
                                 tg_tensor **X_test, tg_tensor **y_train, tg_tensor **y_test,
                                 tg_loc loc);
/* dst[k] = src[idx[k]] for k < count, rows along axis 0. dst has at least count rows and
 * src's other dimensions. No allocation. */
#define tg_gather_rows(...) tg_gather_rows_at(__VA_ARGS__, TG_HERE)
void tg_gather_rows_at(const tg_tensor *src, const int32_t *idx, int count, tg_tensor *dst,
                       tg_loc loc);

/* ---- mini-batches ---------------------------------------------------------------------
 * Iterates over n samples in batches of batch_size. Each call of tg_batcher_next() moves
 * to the next batch and gathers its rows into every attached tensor; it returns false at
 * the end of an epoch, and the following call starts the next epoch:
 *     for (epoch...) while (tg_batcher_next(b)) {...}
 * With shuffle, epoch e visits the samples in a permutation drawn from (seed, e) alone,
 * so runs repeat exactly and every epoch has its own order. The last batch of an epoch
 * has n % batch_size samples, unless drop_last drops it. No heap allocation happens
 * after tg_batcher_attach(). */

typedef struct tg_batcher tg_batcher;

typedef struct tg_batcher_opts {
    bool shuffle;   /* reshuffle every epoch (false: 0, 1, ..., n-1) */
    bool drop_last; /* drop a last batch smaller than batch_size */
    uint64_t seed;
    /* Data parallelism (dist/): with nranks > 1, every rank builds the same batcher (same
     * n, batch_size, seed: the same shuffle) and gets rows [B r / R, B (r + 1) / R) of
     * each global batch of B rows, r = rank, R = nranks; tg_batcher_size is then this
     * rank's share, the weight to give tg_dist_average_grads. batch_size must be >= R; a
     * last batch of fewer than R rows is dropped. 0: one rank. */
    int rank, nranks;
} tg_batcher_opts;
/* No shuffle, keep the last batch, seed 0 (the zeros; also what NULL options mean). */
tg_batcher_opts tg_batcher_defaults(void);

/* opts may be NULL (no shuffle, keep the last batch). TG_ERR_ARG when n < 1,
 * batch_size < 1, or drop_last leaves no batch at all (batch_size > n). */
#define tg_batcher_new(...) tg_batcher_new_at(__VA_ARGS__, TG_HERE)
tg_status tg_batcher_new_at(int n, int batch_size, const tg_batcher_opts *opts, tg_batcher **out,
                            tg_loc loc);
/* A batch tensor for src (shape (n, ...)), owned by the batcher: (batch_size, ...) rows
 * of storage, whose shape[0] becomes the current batch's size at each tg_batcher_next().
 * src must stay alive (and keep its data) while the batcher uses it. At most 8. */
#define tg_batcher_attach(...) tg_batcher_attach_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_batcher_attach_at(tg_batcher *b, const tg_tensor *src, tg_loc loc);
#define tg_batcher_next(...) tg_batcher_next_at(__VA_ARGS__, TG_HERE)
bool tg_batcher_next_at(tg_batcher *b, tg_loc loc);
/* Samples in the current batch and their indices (0 before the first batch). */
#define tg_batcher_size(...) tg_batcher_size_at(__VA_ARGS__, TG_HERE)
int tg_batcher_size_at(const tg_batcher *b, tg_loc loc);
/* The global batch this rank's rows belong to: returns its number of rows (0 before the
 * first batch and after an epoch's last) and puts this rank's first row within it in
 * *start (may be NULL). With one rank: the batch's size and 0. What tg_model_batch_slice
 * and tg_dropout_slice take. */
#define tg_batcher_slice(...) tg_batcher_slice_at(__VA_ARGS__, TG_HERE)
int tg_batcher_slice_at(const tg_batcher *b, int *start, tg_loc loc);
#define tg_batcher_indices(...) tg_batcher_indices_at(__VA_ARGS__, TG_HERE)
const int32_t *tg_batcher_indices_at(const tg_batcher *b, tg_loc loc);
#define tg_batcher_epoch(...) tg_batcher_epoch_at(__VA_ARGS__, TG_HERE)
int tg_batcher_epoch_at(const tg_batcher *b, tg_loc loc); /* 0-based; -1 before the first */
/* The next tg_batcher_next() starts epoch `epoch` (>= 0), with that epoch's order: how a
 * resumed program continues the shuffles it would have seen. */
#define tg_batcher_set_epoch(...) tg_batcher_set_epoch_at(__VA_ARGS__, TG_HERE)
void tg_batcher_set_epoch_at(tg_batcher *b, int epoch, tg_loc loc);
#define tg_batcher_batches_per_epoch(...) tg_batcher_batches_per_epoch_at(__VA_ARGS__, TG_HERE)
int tg_batcher_batches_per_epoch_at(const tg_batcher *b, tg_loc loc);
void tg_batcher_free(tg_batcher *b); /* frees the attached batch tensors; NULL is fine */

#ifdef __cplusplus
}
#endif
#endif /* TG_DATA_H */
