/* examples/custom_gate.c — a gate variant of your own, trained beside GRU and LSTM.
 *
 * The variant is JANET (van der Westhuizen & Lasenby 2018, "The unreasonable effectiveness
 * of the forget gate"): an LSTM with only its forget gate, whose state is its output.
 * It is written below in about 20 lines of ops with no backward code, and goes through
 * the same sequence runner (and the same model container) as the library's own cells.
 *
 * The task: yearly sunspot numbers 1700-2008 (datasets/sunspots-yearly-1700-2008.csv, public
 * domain, via statsmodels), 20 years in -> the next year out, MinMax-scaled on the
 * training years, the first 80% of windows for training, the rest for testing
 * (chronological). Each model is Cell(32) -> Dense(1), MSE, Adam (lr 1e-2), batch 16.
 * Writes to the output folder (default out/): custom_gate_predictions.png/.svg (all three
 * models against the truth on the test years) and custom_gate_loss.png/.svg.
 *
 * Usage: custom_gate [--epochs N] [--seed N] [--out DIR] [--data CSV]
 * Not a benchmark: one seed, a small series; run a few seeds before you believe a ranking.
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

/* ---- the custom cell: JANET ---------------------------------------------------------------
 *   [f c~] = x W_ih^T + b_ih + h W_hh^T + b_hh        (B, 2H): gate rows f | c~
 *   h' = sigmoid(f) * h + (1 - sigmoid(f)) * tanh(c~)
 * The runner hands each step xw[0] = x W_ih^T + b_ih for that step, computed once for all
 * steps; the cell adds the recurrent part, so it is one GEMM per step. ctx->w holds the
 * weights (ctx also has the training flag, an rng and a user pointer, unused here). */
static void janet_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                       tg_tensor *const *state, tg_tensor **next)
{
    const tg_cell_weights *w = ctx->w;
    tg_tensor *gates = tg_add(t, xw[0], tg_linear(t, state[0], w->weight_hh, w->bias_hh));
    tg_tensor *g[2];
    tg_chunk(t, gates, 2, 1, g); /* (B, H) each */
    tg_tensor *f = tg_sigmoid(t, g[0]);
    next[0] = tg_add(t, tg_mul(t, f, state[0]), tg_mul(t, tg_one_minus(t, f), tg_tanh(t, g[1])));
}

/* Like Keras' unit_forget_bias: the forget gate starts open (bias 1), so the state is
 * remembered from the first epoch on. */
static void janet_init(tg_cell_weights *w, const tg_rnn_opts *o)
{
    (void)o;
    for (int j = 0; j < w->hidden; j++) w->bias_ih->data[j] = 1.0f;
}

static const tg_cell_type janet = {
    .name = "janet", .gates = 2, .n_state = 1, .step = janet_step, .after_init = janet_init};

/* ---- the experiment ------------------------------------------------------------------------ */

#define WINDOW 20

typedef struct run {
    const char *name;
    const tg_cell_type *cell;
    int64_t params;
    double seconds, rmse;
    tg_history hist;
    float *pred;
} run;

int main(int argc, char **argv)
{
    int epochs = 40;
    uint64_t seed = 1;
    const char *out = "out", *data = "datasets/sunspots-yearly-1700-2008.csv";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--epochs") == 0) epochs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0) seed = (uint64_t)atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--out") == 0) out = argv[i + 1];
        else if (strcmp(argv[i], "--data") == 0) data = argv[i + 1];
        else {
            fprintf(stderr, "usage: %s [--epochs N] [--seed N] [--out DIR] [--data CSV]\n", argv[0]);
            return 2;
        }
    }
    if (argc % 2 == 0 || epochs < 1) {
        fprintf(stderr, "usage: %s [--epochs N] [--seed N] [--out DIR] [--data CSV]\n", argv[0]);
        return 2;
    }
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", out, strerror(errno));
        return 1;
    }

    tg_csv *csv;
    tg_csv_opts co = {.columns = (const char *[]){"SUNACTIVITY"}, .ncolumns = 1,
                      .text_column = "YEAR"};
    if (tg_csv_read(data, &co, &csv) != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    tg_tensor *series = tg_csv_tensor(csv); /* (309, 1) */
    int n_win = tg_window_count(series->shape[0], WINDOW, 1);
    int n_train = tg_split_train_count(n_win, 0.8), n_test = n_win - n_train;
    tg_scaler sc = tg_scaler_minmax(0.0f, 1.0f);
    tg_tensor *scaled = tg_tensor_copy(series), *X, *y, *xtr, *xte, *ytr, *yte;
    if (tg_scaler_fit(&sc, series, 0, n_train + WINDOW) != TG_OK ||
        (tg_scaler_transform(&sc, series, scaled),
         tg_make_windows(scaled, &(tg_window_opts){.window = WINDOW, .horizon = 1}, &X, &y)) != TG_OK ||
        tg_train_test_split(X, y, 0.8, TG_SPLIT_CHRONO, 0, &xtr, &xte, &ytr, &yte) != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    const char *first = csv->text[n_train + WINDOW];
    printf("sunspots %s..%s: %d windows of %d years, %d train, %d test (from %s)\n\n",
           csv->text[0], csv->text[series->shape[0] - 1], n_win, WINDOW, n_train, n_test, first);
    float *truth = malloc(sizeof(float) * (size_t)n_test), *years = malloc(sizeof(float) * (size_t)n_test);
    for (int i = 0; i < n_test; i++) {
        truth[i] = series->data[n_train + WINDOW + i];
        years[i] = (float)atof(csv->text[n_train + WINDOW + i]);
    }

    run runs[3] = {{.name = "JANET (custom)", .cell = &janet},
                   {.name = "GRU", .cell = &tg_cell_gru},
                   {.name = "LSTM", .cell = &tg_cell_lstm}};
    for (int k = 0; k < 3; k++) {
        run *r = &runs[k];
        tg_model *m = tg_model_new(seed);
        tg_model_input(m, WINDOW, 1);
        tg_rnn_opts ro = tg_rnn_defaults();
        ro.return_sequences = false;
        ro.unit_forget_bias = true; /* the LSTM's forget gate starts open too */
        tg_model_rnn_opts(m, r->cell, 32, &ro);
        tg_model_dense(m, 1, TG_ACT_NONE);
        tg_adam_opts ao = tg_adam_defaults();
        ao.lr = 1e-2;
        tg_model_compile(m, TG_LOSS_MSE, tg_optim_adam(tg_model_params(m), &ao));
        r->params = tg_model_param_count(m);
        tg_fit_opts fo = tg_fit_defaults();
        fo.epochs = epochs;
        fo.batch_size = 16;
        fo.val_x = xte; /* watched, never trained on */
        fo.val_y = yte;
        fo.verbose = 0;
        if (tg_model_fit(m, xtr, ytr, &fo, &r->hist) != TG_OK) {
            fprintf(stderr, "%s: %s\n", r->name, tg_last_error());
            return 1;
        }
        for (int e = 0; e < r->hist.epochs; e++) r->seconds += r->hist.seconds[e];
        tg_tensor *p;
        if (tg_model_predict(m, xte, 64, &p) != TG_OK) {
            fprintf(stderr, "%s\n", tg_last_error());
            return 1;
        }
        tg_scaler_inverse_transform(&sc, p, p);
        r->pred = malloc(sizeof(float) * (size_t)n_test);
        double se = 0;
        for (int i = 0; i < n_test; i++) {
            r->pred[i] = p->data[i];
            se += pow((double)p->data[i] - truth[i], 2);
        }
        r->rmse = sqrt(se / n_test);
        tg_tensor_free(p);
        tg_model_free(m);
    }

    printf("%-16s %8s %10s %12s %12s\n", "model", "params", "seconds", "final loss", "test RMSE");
    for (int k = 0; k < 3; k++)
        printf("%-16s %8lld %10.2f %12.6f %12.2f\n", runs[k].name, (long long)runs[k].params,
               runs[k].seconds, (double)runs[k].hist.loss[runs[k].hist.epochs - 1], runs[k].rmse);

    char path[1024];
    tg_chart *c = tg_chart_new(1100, 520);
    tg_chart_set_title(c, "Yearly sunspot number: one year ahead on the test years");
    tg_chart_set_xlabel(c, "year");
    tg_chart_set_ylabel(c, "sunspot number");
    tg_chart_add_series_style(c, "true", years, truth, n_test,
                              (tg_series_style){.color = TG_RGB(0x222222), .width = 2.5f});
    for (int k = 0; k < 3; k++) tg_chart_add_series(c, runs[k].name, years, runs[k].pred, n_test);
    snprintf(path, sizeof path, "%s/custom_gate_predictions.png", out);
    tg_status st = tg_chart_write_png(c, path);
    snprintf(path, sizeof path, "%s/custom_gate_predictions.svg", out);
    if (st == TG_OK) st = tg_chart_write_svg(c, path);
    tg_chart_free(c);

    c = tg_chart_new(1000, 520);
    tg_chart_set_title(c, "Loss: training (solid) and test (dashed)");
    tg_chart_set_xlabel(c, "epoch");
    tg_chart_set_ylabel(c, "MSE (scaled)");
    tg_chart_set_log_y(c, true);
    for (int k = 0; k < 3; k++) {
        char name[64];
        uint32_t col = TG_RGB(tg_plot_palette(k));
        snprintf(name, sizeof name, "%s train", runs[k].name);
        tg_chart_add_series_style(c, name, NULL, runs[k].hist.loss, runs[k].hist.epochs,
                                  (tg_series_style){.color = col});
        snprintf(name, sizeof name, "%s test", runs[k].name);
        tg_chart_add_series_style(c, name, NULL, runs[k].hist.val_loss, runs[k].hist.epochs,
                                  (tg_series_style){.color = col, .dashed = true});
    }
    snprintf(path, sizeof path, "%s/custom_gate_loss.png", out);
    if (st == TG_OK) st = tg_chart_write_png(c, path);
    snprintf(path, sizeof path, "%s/custom_gate_loss.svg", out);
    if (st == TG_OK) st = tg_chart_write_svg(c, path);
    tg_chart_free(c);
    if (st != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    printf("\nCharts in %s/: custom_gate_predictions.png/.svg, custom_gate_loss.png/.svg\n", out);

    for (int k = 0; k < 3; k++) {
        tg_history_free(&runs[k].hist);
        free(runs[k].pred);
    }
    free(truth);
    free(years);
    tg_tensor_free(X), tg_tensor_free(y), tg_tensor_free(xtr), tg_tensor_free(xte);
    tg_tensor_free(ytr), tg_tensor_free(yte), tg_tensor_free(scaled), tg_tensor_free(series);
    tg_scaler_free(&sc);
    tg_csv_free(csv);
    return 0;
}
