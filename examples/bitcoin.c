/* examples/bitcoin.c — the study tapegrad grew from: GRU against LSTM on daily Bitcoin
 * closes, reproducing a Keras tutorial.
 *
 *   data     datasets/btc-usd-daily-2014-2021.csv (Yahoo Finance via parsabe/Open-data), the
 *            Close column; its 4 `null` days are filled by linear interpolation so the
 *            calendar stays unbroken
 *   samples  60 days in -> day 61 out; the first 80% of windows train, the last 20% test
 *            (chronological: every test day comes after every training target); the last
 *            10% of the training windows validate (Keras' validation_split)
 *   scaling  MinMax to [0, 1], fitted on the days the training windows see
 *   model    GRU(50, return_sequences) -> Dropout(0.2) -> GRU(100) -> Dropout(0.2) ->
 *            Dense(1), Keras initializers; the same shape with LSTM
 *   training MSE, RMSprop with Keras' formula (lr 1e-3, rho 0.9, eps 1e-7 inside the root),
 *            50 epochs, batch 64
 * It prints a comparison table and writes to the output folder (default out/): each
 * model's predicted vs true price on the test days, both models' loss curves, as PNG and
 * SVG, and the trained weights as safetensors.
 *
 * Usage: bitcoin [--epochs N] [--batch-size N] [--seed N] [--out DIR] [--data CSV]
 *                [--models gru,lstm] [--verbose 0|1|2] [--dist]
 * --dist: data-parallel over the ranks of an MPI job (built with -Dmpi=enabled), e.g.
 *   mpirun -np 2 build/examples/bitcoin --dist
 * Each rank trains on its rows of every global batch of --batch-size rows and the
 * gradients are averaged (dist/dist.h), so the table matches one process's up to float
 * rounding; rank 0 prints and writes the files.
 * Not a trading signal: a one-day-ahead forecast mostly repeats yesterday's price.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/data.h"
#include "plot/plot.h"
#include "tapegrad.h"

#define WINDOW 60

typedef struct config {
    int epochs, batch_size, verbose;
    bool dist;      /* --dist: one of the ranks of an mpirun job (dist/) */
    bool lead;      /* prints and writes files: rank 0, or the only process */
    uint64_t seed;
    const char *out, *data, *models;
} config;

typedef struct result {
    const char *name;
    int64_t params;
    double sec_per_epoch;
    float train_loss, val_loss;
    double rmse, mae;
    tg_history hist;
    float *pred; /* [n_test] dollars */
} result;

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--epochs N] [--batch-size N] [--seed N] [--out DIR] [--data CSV]\n"
            "          [--models gru,lstm] [--verbose 0|1|2] [--dist]\n",
            argv0);
    return 2;
}

static bool parse_int(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return !errno && *s && !*end && *v >= lo && *v <= hi;
}

static int parse_args(int argc, char **argv, config *c)
{
    *c = (config){.epochs = 50, .batch_size = 64, .verbose = 1, .seed = 42, .out = "out",
                  .data = "datasets/btc-usd-daily-2014-2021.csv", .models = "gru,lstm",
                  .lead = true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return usage(argv[0]);
        if (strcmp(a, "--dist") == 0) {
            c->dist = true;
            continue;
        }
        if (!v) return usage(argv[0]);
        if (strcmp(a, "--epochs") == 0 && parse_int(v, 1, 100000, &n))
            c->epochs = (int)n;
        else if (strcmp(a, "--batch-size") == 0 && parse_int(v, 1, 100000, &n))
            c->batch_size = (int)n;
        else if (strcmp(a, "--seed") == 0 && parse_int(v, 0, 1L << 30, &n))
            c->seed = (uint64_t)n;
        else if (strcmp(a, "--verbose") == 0 && parse_int(v, 0, 2, &n))
            c->verbose = (int)n;
        else if (strcmp(a, "--out") == 0)
            c->out = v;
        else if (strcmp(a, "--data") == 0)
            c->data = v;
        else if (strcmp(a, "--models") == 0 && (strstr(v, "gru") || strstr(v, "lstm")))
            c->models = v;
        else {
            fprintf(stderr, "%s: bad option or value: %s %s\n", argv[0], a, v);
            return usage(argv[0]);
        }
        i++;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double *s = malloc(sizeof(double) * (size_t)n);
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return m;
}

/* The seed study's model with `cell`. */
static tg_model *build_model(const tg_cell_type *cell, uint64_t seed)
{
    tg_model *m = tg_model_new(seed);
    tg_model_set_init(m, TG_INIT_KERAS);
    tg_model_input(m, WINDOW, 1);
    tg_model_rnn(m, cell, 50, true);
    tg_model_dropout(m, 0.2f);
    tg_model_rnn(m, cell, 100, false);
    tg_model_dropout(m, 0.2f);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_rmsprop_keras(tg_model_params(m), NULL));
    return m;
}

static tg_status chart_files(tg_chart *c, const char *dir, const char *stem)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.png", dir, stem);
    tg_status st = tg_chart_write_png(c, path);
    if (st == TG_OK) {
        snprintf(path, sizeof path, "%s/%s.svg", dir, stem);
        st = tg_chart_write_svg(c, path);
    }
    tg_chart_free(c);
    return st;
}

/* The calendar of the series and its three periods (indices into the days). */
typedef struct period_days {
    int days, window, n_train, n_val, n_test;
    double *day;   /* days since 1970-01-01, one per row */
    double *close; /* dollars */
} period_days;

/* Three panels sharing their frames' left and right edges: the whole history (log price)
 * with the training, validation and test periods shaded and the model's test
 * predictions; the test days close up; and the residual, predicted minus true. */
static tg_status prediction_figure(const config *cfg, const result *r, const period_days *pd,
                                   const float *truth, const char *stem)
{
    tg_figure_opts fo = tg_figure_defaults();
    fo.width = 11, fo.height = 8.5, fo.nrows = 3;
    fo.height_ratios[0] = 2.2, fo.height_ratios[1] = 3, fo.height_ratios[2] = 1.4;
    tg_figure *f = tg_figure_new(&fo);
    int t0 = pd->window + pd->n_train, v0 = t0 - pd->n_val, n = pd->n_test;
    const double *tday = pd->day + t0;
    double *pred = malloc(sizeof(double) * (size_t)n), *res = malloc(sizeof(double) * (size_t)n);
    double *tru = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++)
        pred[i] = r->pred[i], tru[i] = truth[i], res[i] = pred[i] - tru[i];
    char title[160];
    snprintf(title, sizeof title, "Bitcoin close and the %s's one-day-ahead prediction", r->name);
    tg_figure_suptitle(f, title);

    tg_axes *all = tg_figure_axes(f, 0, 0);
    tg_axes_xaxis_date(all, TG_DATE_DAYS);
    tg_axes_set_ylog(all, true);
    tg_axes_axvspan(all, pd->day[pd->window], pd->day[v0], &(tg_style){
        .label = "training", .color = TG_RGB(0x2f9e44), .alpha = 0.12f});
    tg_axes_axvspan(all, pd->day[v0], pd->day[t0], &(tg_style){
        .label = "validation", .color = TG_RGB(0xe8772e), .alpha = 0.18f});
    tg_axes_axvspan(all, pd->day[t0], pd->day[pd->days - 1], &(tg_style){
        .label = "test", .color = TG_RGB(0x8456c0), .alpha = 0.14f});
    tg_axes_plot(all, pd->day, pd->close, pd->days, &(tg_style){
        .label = "true", .color = TG_RGB(0x262626), .linewidth = 1.0f});
    tg_axes_plot(all, tday, pred, n, &(tg_style){.label = "predicted",
                                                  .color = TG_RGB(0xd63a3a), .linewidth = 1.0f});
    tg_axes_set_ylabel(all, "price (USD, log)");
    tg_axes_legend(all, &(tg_legend_opts){.loc = TG_LEGEND_UPPER_LEFT, .ncol = 5});

    tg_axes *test = tg_figure_axes(f, 1, 0);
    tg_axes_xaxis_date(test, TG_DATE_DAYS);
    tg_axes_plot(test, tday, tru, n, &(tg_style){.label = "true", .color = TG_RGB(0x262626)});
    tg_axes_plot(test, tday, pred, n, &(tg_style){.label = "predicted",
                                                   .color = TG_RGB(0xd63a3a)});
    tg_axes_set_title(test, "Test days");
    tg_axes_set_ylabel(test, "price (USD)");
    tg_axes_legend(test, &(tg_legend_opts){.loc = TG_LEGEND_UPPER_LEFT});

    tg_axes *rax = tg_figure_axes(f, 2, 0);
    tg_axes_xaxis_date(rax, TG_DATE_DAYS);
    tg_axes_axhline(rax, 0.0, &(tg_style){.linewidth = 0.8f});
    tg_axes_plot(rax, tday, res, n, &(tg_style){.color = TG_RGB(0xd63a3a), .linewidth = 1.0f});
    tg_axes_set_ylabel(rax, "residual (USD)");
    tg_axes_set_xlabel(rax, "date");
    double lo = tday[0] - 0.01 * (tday[n - 1] - tday[0]), hi = tday[n - 1] + 0.01 * (tday[n - 1] - tday[0]);
    tg_axes_set_xlim(test, lo, hi);
    tg_axes_set_xlim(rax, lo, hi);

    char path[1024];
    snprintf(path, sizeof path, "%s/%s.png", cfg->out, stem);
    tg_status st = tg_figure_write_png(f, path);
    snprintf(path, sizeof path, "%s/%s.svg", cfg->out, stem);
    if (st == TG_OK) st = tg_figure_write_svg(f, path);
    tg_figure_free(f);
    free(pred), free(res), free(tru);
    return st;
}

/* The comparison table of the trained models. */
static void print_table(const config *cfg, const result *res, int nres)
{
    printf("%-6s %10s %10s %12s %12s %15s %14s\n", "model", "params", "s/epoch*", "train loss",
           "val loss", "test RMSE ($)", "test MAE ($)");
    for (int i = 0; i < nres; i++)
        printf("%-6s %10lld %10.2f %12.6f %12.6f %15.2f %14.2f\n", res[i].name,
               (long long)res[i].params, res[i].sec_per_epoch, (double)res[i].train_loss,
               (double)res[i].val_loss, res[i].rmse, res[i].mae);
    printf("* median wall time of an epoch (forward, backward and update of every batch, plus "
           "validation), %d OpenMP threads", tg_num_threads());
    if (cfg->dist) printf(" on each of %d ranks", tg_dist_size());
    printf("\n");
    if (nres == 2)
        printf("GRU has %.0f%% fewer parameters than LSTM and takes %.0f%% of its time per "
               "epoch.\n",
               100.0 * (1.0 - (double)res[0].params / (double)res[1].params),
               100.0 * res[0].sec_per_epoch / res[1].sec_per_epoch);
    printf("Charts and weights are in %s/: ", cfg->out);
    for (int i = 0; i < nres; i++)
        printf("%s_predictions.png/.svg, ", strcmp(res[i].name, "GRU") == 0 ? "gru" : "lstm");
    printf("loss.png/.svg, *.safetensors\n");
}

/* The study, on every rank of a --dist job; files and output from cfg.lead only. */
static int study(config cfg)
{
    if (cfg.lead && mkdir(cfg.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", cfg.out, strerror(errno));
        return 1;
    }

    /* ---- data: Close prices, scaled, windowed, split ---------------------------------- */
    tg_csv *csv;
    tg_csv_opts co = {.columns = (const char *[]){"Close"}, .ncolumns = 1, .text_column = "Date",
                      .missing = TG_MISSING_INTERPOLATE};
    if (tg_csv_read(cfg.data, &co, &csv) != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    tg_tensor *prices = tg_csv_tensor(csv); /* (days, 1) dollars */
    int days = prices->shape[0];
    int n_win = tg_window_count(days, WINDOW, 1);
    int n_train = tg_split_train_count(n_win, 0.8), n_test = n_win - n_train;
    tg_scaler sc = tg_scaler_minmax(0.0f, 1.0f);
    tg_tensor *scaled = tg_tensor_copy(prices);
    tg_tensor *X, *y, *x_train, *x_test, *y_train, *y_test;
    if (tg_scaler_fit(&sc, prices, 0, n_train + WINDOW) != TG_OK ||
        (tg_scaler_transform(&sc, prices, scaled),
         tg_make_windows(scaled, &(tg_window_opts){.window = WINDOW, .horizon = 1}, &X, &y)) !=
            TG_OK ||
        tg_train_test_split(X, y, 0.8, TG_SPLIT_CHRONO, 0, &x_train, &x_test, &y_train,
                            &y_test) != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    const char *first_test_day = csv->text[n_train + WINDOW];
    if (cfg.lead)
        printf("Bitcoin daily close %s .. %s: %d days (%d missing closes interpolated)\n",
           csv->text[0], csv->text[days - 1], days, csv->nfilled);
    if (cfg.lead)
        printf("%d windows of %d days -> next day; train %d (10%% of them validate), test %d "
           "(days %s .. %s)\n\n",
           n_win, WINDOW, n_train, n_test, first_test_day, csv->text[days - 1]);

    /* Calendar days of the series and where its periods start, for the charts. */
    period_days pd = {.days = days, .window = WINDOW, .n_train = n_train, .n_test = n_test};
    pd.n_val = n_train - tg_split_train_count(n_train, 0.9); /* as validation_split 0.1 */
    pd.day = malloc(sizeof(double) * (size_t)days);
    pd.close = malloc(sizeof(double) * (size_t)days);
    for (int i = 0; i < days; i++) {
        pd.close[i] = prices->data[i];
        if (tg_plot_parse_date(csv->text[i], &pd.day[i]) != TG_OK) {
            fprintf(stderr, "%s: row %d: %s\n", cfg.data, i + 2, tg_last_error());
            return 1;
        }
    }

    /* The true test prices in dollars. */
    float *truth = malloc(sizeof(float) * (size_t)n_test);
    for (int i = 0; i < n_test; i++) truth[i] = prices->data[n_train + WINDOW + i];

    /* ---- train each model ------------------------------------------------------------- */
    struct {
        const char *name, *key;
        const tg_cell_type *cell;
    } kinds[] = {{"GRU", "gru", &tg_cell_gru}, {"LSTM", "lstm", &tg_cell_lstm}};
    result res[2];
    int nres = 0;
    for (int k = 0; k < 2; k++) {
        if (!strstr(cfg.models, kinds[k].key)) continue;
        result *r = &res[nres++];
        memset(r, 0, sizeof *r);
        r->name = kinds[k].name;
        tg_model *m = build_model(kinds[k].cell, cfg.seed);
        r->params = tg_model_param_count(m);
        if (cfg.verbose) {
            printf("== %s\n", r->name);
            tg_model_summary(m, stdout);
        }
        tg_fit_opts fo = tg_fit_defaults();
        fo.epochs = cfg.epochs;
        fo.batch_size = cfg.batch_size;
        fo.validation_split = 0.1;
        fo.seed = cfg.seed;
        fo.verbose = cfg.verbose;
        fo.distributed = cfg.dist; /* each rank its rows of every batch, gradients averaged */
        if (tg_model_fit(m, x_train, y_train, &fo, &r->hist) != TG_OK) {
            fprintf(stderr, "%s: %s\n", r->name, tg_last_error());
            return 1;
        }
        r->sec_per_epoch = median(r->hist.seconds, r->hist.epochs); /* robust to warm-up */
        r->train_loss = r->hist.loss[r->hist.epochs - 1];
        r->val_loss = r->hist.val_loss[r->hist.epochs - 1];

        tg_tensor *pred;
        if (tg_model_predict(m, x_test, 256, &pred) != TG_OK) {
            fprintf(stderr, "%s\n", tg_last_error());
            return 1;
        }
        tg_scaler_inverse_transform(&sc, pred, pred); /* back to dollars (every rank alike) */
        r->pred = malloc(sizeof(float) * (size_t)n_test);
        double se = 0, ae = 0;
        for (int i = 0; i < n_test; i++) {
            r->pred[i] = pred->data[i];
            double d = (double)pred->data[i] - truth[i];
            se += d * d;
            ae += fabs(d);
        }
        r->rmse = sqrt(se / n_test);
        r->mae = ae / n_test;
        tg_tensor_free(pred);

        char path[1024], stem[64];
        snprintf(path, sizeof path, "%s/%s.safetensors", cfg.out, kinds[k].key);
        if (cfg.lead && tg_params_save(tg_model_params(m), path) != TG_OK) {
            fprintf(stderr, "%s\n", tg_last_error());
            return 1;
        }
        /* Predicted against true price: the whole history with its periods, the test
         * days, and the residual. */
        snprintf(stem, sizeof stem, "%s_predictions", kinds[k].key);
        if (cfg.lead && prediction_figure(&cfg, r, &pd, truth, stem) != TG_OK) {
            fprintf(stderr, "%s\n", tg_last_error());
            return 1;
        }
        if (cfg.verbose) printf("\n");
        tg_model_free(m);
    }

    /* ---- both loss curves on one chart ---------------------------------------------- */
    tg_chart *lc = tg_chart_new(1000, 550);
    tg_chart_set_title(lc, "Training and validation loss (MSE on scaled prices)");
    tg_chart_set_xlabel(lc, "epoch");
    tg_chart_set_ylabel(lc, "loss");
    tg_chart_set_log_y(lc, true);
    for (int i = 0; i < nres; i++) {
        int ne = res[i].hist.epochs;
        float *ep = malloc(sizeof(float) * (size_t)ne);
        for (int e = 0; e < ne; e++) ep[e] = (float)(e + 1);
        char name[64];
        uint32_t colour = tg_plot_palette(i);
        snprintf(name, sizeof name, "%s train", res[i].name);
        tg_chart_add_series_style(lc, name, ep, res[i].hist.loss, ne,
                                  (tg_series_style){.color = TG_RGB(colour)});
        snprintf(name, sizeof name, "%s validation", res[i].name);
        tg_chart_add_series_style(lc, name, ep, res[i].hist.val_loss, ne,
                                  (tg_series_style){.color = TG_RGB(colour), .dashed = true});
        free(ep);
    }
    if (cfg.lead && nres && chart_files(lc, cfg.out, "loss") != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    if (!cfg.lead || !nres) tg_chart_free(lc);

    /* ---- the comparison table ---------------------------------------------------------- */
    if (cfg.lead) print_table(&cfg, res, nres);
    for (int i = 0; i < nres; i++) {
        tg_history_free(&res[i].hist);
        free(res[i].pred);
    }
    free(truth);
    free(pd.day);
    free(pd.close);
    tg_tensor_free(X);
    tg_tensor_free(y);
    tg_tensor_free(x_train);
    tg_tensor_free(x_test);
    tg_tensor_free(y_train);
    tg_tensor_free(y_test);
    tg_tensor_free(scaled);
    tg_tensor_free(prices);
    tg_scaler_free(&sc);
    tg_csv_free(csv);
    return 0;
}

int main(int argc, char **argv)
{
    config cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc) return rc;
    if (cfg.dist) {
        if (!tg_dist_available()) {
            fprintf(stderr, "%s: --dist needs tapegrad built with MPI (packages libopenmpi-dev "
                    "openmpi-bin, then meson setup -Dmpi=enabled)\n", argv[0]);
            return 2;
        }
        if (tg_dist_init(&argc, &argv) != TG_OK) {
            fprintf(stderr, "%s\n", tg_last_error());
            return 1;
        }
        cfg.lead = tg_dist_rank() == 0;
        if (!cfg.lead) cfg.verbose = 0;
    }
    rc = study(cfg);
    tg_dist_finalize();
    return rc;
}
