/* examples/gate_zoo.c — a workbench for gate research: every built-in cell and every
 * variant, plus one written right here, trained on the same tasks with the same budget.
 *
 * Tasks:
 *   sunspots  yearly sunspot numbers 1700-2008 (datasets/sunspots-yearly-1700-2008.csv,
 *             public domain, via statsmodels), 20 years in -> the next year, MinMax-scaled
 *             on the training years, the first 80% of windows train and the rest validate
 *             (chronological).
 *   adding    the adding problem (Hochreiter & Schmidhuber 1997, as in Le et al. 2015):
 *             T steps of (value in [0, 1), marker), two markers set, one in each half; the
 *             target is the sum of the two marked values. Predicting the mean (1) scores an
 *             MSE of about 1/6: a cell below it has learned to remember across the sequence.
 * Budget, for every cell: Cell(H) -> Dense(1), MSE, Adam (lr 5e-3), batch 32, the same
 * epochs and the same seed. It prints a table (task, cell, parameters, s/epoch, best
 * validation loss and its epoch) and writes one validation-loss chart per task
 * (gate_zoo_sunspots.png/.svg, gate_zoo_adding.png/.svg).
 *
 * Add your own cell: write its step (see li_gru below, or README's "Write your own gate")
 * and add a line to the zoo[] table. It then trains exactly like the others.
 *
 * Usage: gate_zoo [--epochs N] [--hidden H] [--adding-T T] [--adding-n N] [--seed S]
 *                 [--out DIR] [--data CSV]
 * Not a benchmark of cells in general: one seed, two small tasks, one learning rate.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tapegrad.h"

/* ---- a cell written here: Li-GRU (Ravanelli et al. 2018), no reset gate, ReLU candidate.
 * Gate rows z | n;  h' = z h + (1 - z) relu(n). */
static void li_gru_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                        tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    tg_tensor *q[2];
    tg_chunk(t, tg_linear_add(t, s[0], w->weight_hh, w->bias_hh, xw[0]), 2, 1, q);
    tg_tensor *z = tg_sigmoid(t, q[0]);
    out[0] = tg_lerp(t, tg_relu(t, q[1]), s[0], z); /* relu(n) + z (h - relu(n)) */
}
static const tg_cell_type li_gru = {.name = "li_gru", .gates = 2, .n_state = 1,
                                    .step = li_gru_step};

/* ---- the zoo ------------------------------------------------------------------------------ */

typedef struct entry {
    const char *name;
    const tg_cell_type *cell;
    bool no_bias; /* Ba et al.'s layer-normalized LSTM has its biases in the norms */
} entry;

static const entry zoo[] = {
    {"rnn_tanh", &tg_cell_rnn_tanh, false},
    {"lstm", &tg_cell_lstm, false},
    {"gru", &tg_cell_gru, false},
    {"gru_reset_before", &tg_cell_gru_reset_before, false},
    {"cifg", &tg_cell_cifg, false},
    {"mgu", &tg_cell_mgu, false},
    {"peephole_lstm", &tg_cell_peephole_lstm, false},
    {"ln_lstm", &tg_cell_ln_lstm, true},
    {"zoneout_lstm", &tg_cell_zoneout_lstm, false},
    {"li_gru (this file)", &li_gru, false},
};
enum { N_ZOO = sizeof zoo / sizeof zoo[0] };

typedef struct task {
    const char *name, *title;
    tg_tensor *xtr, *ytr, *xva, *yva;
} task;

typedef struct result {
    int64_t params;
    double s_per_epoch;
    float best;
    int best_epoch;
    tg_history hist;
} result;

typedef struct config {
    int epochs, hidden, adding_T, adding_n;
    uint64_t seed;
    const char *out, *data;
} config;

/* ---- the tasks ----------------------------------------------------------------------------- */

#define WINDOW 20

/* Windows of the scaled sunspot series, 80% train, 20% validation (chronological). */
static tg_status sunspots(const char *path, task *tk)
{
    tg_csv *csv;
    tg_csv_opts co = tg_csv_defaults();
    co.columns = (const char *[]){"SUNACTIVITY"}, co.ncolumns = 1, co.text_column = "YEAR";
    tg_status st = tg_csv_read(path, &co, &csv);
    if (st != TG_OK) return st;
    tg_tensor *series = tg_csv_tensor(csv), *scaled = tg_tensor_copy(series), *X = NULL,
              *y = NULL;
    int n_train = tg_split_train_count(tg_window_count(series->shape[0], WINDOW, 1), 0.8);
    tg_scaler sc = tg_scaler_minmax(0.0f, 1.0f);
    tg_window_opts wo = tg_window_defaults();
    wo.window = WINDOW;
    st = tg_scaler_fit(&sc, series, 0, n_train + WINDOW); /* the training years only */
    if (st == TG_OK) tg_scaler_transform(&sc, series, scaled);
    if (st == TG_OK) st = tg_make_windows(scaled, &wo, &X, &y);
    if (st == TG_OK)
        st = tg_train_test_split(X, y, 0.8, TG_SPLIT_CHRONO, 0, &tk->xtr, &tk->xva, &tk->ytr,
                                 &tk->yva);
    tg_tensor_free(X), tg_tensor_free(y), tg_tensor_free(scaled), tg_tensor_free(series);
    tg_scaler_free(&sc);
    tg_csv_free(csv);
    return st;
}

/* n sequences of the adding problem: x (n, T, 2), y (n, 1). */
static void adding(int n, int T, tg_rng *r, tg_tensor **x, tg_tensor **y)
{
    *x = tg_tensor_new(3, (int[]){n, T, 2});
    *y = tg_tensor_new(2, (int[]){n, 1});
    for (int i = 0; i < n; i++) {
        float *xi = (*x)->data + (int64_t)i * T * 2;
        for (int k = 0; k < T; k++) xi[2 * k] = tg_rng_uniform(r), xi[2 * k + 1] = 0.0f;
        int a = (int)tg_rng_below(r, (uint32_t)(T / 2));
        int b = T / 2 + (int)tg_rng_below(r, (uint32_t)(T - T / 2));
        xi[2 * a + 1] = xi[2 * b + 1] = 1.0f;
        (*y)->data[i] = xi[2 * a] + xi[2 * b];
    }
}

/* ---- one cell on one task -------------------------------------------------------------------- */

static tg_status train(const config *cf, const entry *e, const task *tk, result *res)
{
    tg_model *m = tg_model_new(cf->seed);
    tg_model_input(m, tk->xtr->shape[1], tk->xtr->shape[2]);
    tg_rnn_opts ro = tg_rnn_defaults();
    ro.return_sequences = false;
    ro.bias = !e->no_bias;
    tg_model_rnn_opts(m, e->cell, cf->hidden, &ro);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_adam_opts ao = tg_adam_defaults();
    ao.lr = 5e-3;
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_adam(tg_model_params(m), &ao));
    res->params = tg_model_param_count(m);
    tg_fit_opts fo = tg_fit_defaults();
    fo.epochs = cf->epochs, fo.batch_size = 32, fo.verbose = 0;
    fo.val_x = tk->xva, fo.val_y = tk->yva; /* watched, never trained on */
    tg_status st = tg_model_fit(m, tk->xtr, tk->ytr, &fo, &res->hist);
    double s = 0;
    for (int k = 0; k < res->hist.epochs; k++) s += res->hist.seconds[k];
    res->s_per_epoch = res->hist.epochs ? s / res->hist.epochs : 0;
    res->best = INFINITY;
    for (int k = 0; k < res->hist.epochs; k++)
        if (res->hist.val_loss[k] < res->best) res->best = res->hist.val_loss[k], res->best_epoch = k;
    tg_model_free(m);
    return st;
}

/* Validation loss per epoch of every cell on one task: the twenty-colour palette, the
 * legend beside the axes so that it never covers a curve, and the mean predictor's loss
 * as a reference line where the task has one. */
static tg_status chart(const config *cf, const task *tk, const result *res)
{
    tg_figure_opts fo = tg_figure_defaults();
    fo.width = 11, fo.height = 5.5;
    tg_figure *f = tg_figure_new(&fo);
    tg_axes *ax = tg_figure_axes(f, 0, 0);
    char title[160], path[1024];
    snprintf(title, sizeof title, "%s: validation MSE, H %d", tk->title, cf->hidden);
    tg_axes_set_title(ax, title);
    tg_axes_set_xlabel(ax, "epoch");
    tg_axes_set_ylabel(ax, "validation MSE (log)");
    tg_axes_set_ylog(ax, true);
    for (int k = 0; k < N_ZOO; k++) {
        int n = res[k].hist.epochs;
        double *ep = malloc(sizeof(double) * (size_t)n), *v = malloc(sizeof(double) * (size_t)n);
        for (int e = 0; e < n; e++) ep[e] = e + 1, v[e] = res[k].hist.val_loss[e];
        tg_axes_plot(ax, ep, v, n, &(tg_style){.label = zoo[k].name, .linewidth = 1.8f});
        free(ep), free(v);
    }
    tg_axes_legend(ax, &(tg_legend_opts){.loc = TG_LEGEND_OUTSIDE_RIGHT});
    snprintf(path, sizeof path, "%s/gate_zoo_%s.png", cf->out, tk->name);
    tg_status st = tg_figure_write_png(f, path);
    snprintf(path, sizeof path, "%s/gate_zoo_%s.svg", cf->out, tk->name);
    if (st == TG_OK) st = tg_figure_write_svg(f, path);
    tg_figure_free(f);
    return st;
}

/* ---- main ------------------------------------------------------------------------------------ */

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--epochs N] [--hidden H] [--adding-T T] [--adding-n N] "
            "[--seed S] [--out DIR] [--data CSV]\n", argv0);
    return 2;
}

static int parse(int argc, char **argv, config *cf)
{
    *cf = (config){.epochs = 40, .hidden = 32, .adding_T = 50, .adding_n = 2000, .seed = 1,
                   .out = "out", .data = "datasets/sunspots-yearly-1700-2008.csv"};
    if (argc % 2 == 0) return usage(argv[0]);
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--epochs")) cf->epochs = atoi(v);
        else if (!strcmp(a, "--hidden")) cf->hidden = atoi(v);
        else if (!strcmp(a, "--adding-T")) cf->adding_T = atoi(v);
        else if (!strcmp(a, "--adding-n")) cf->adding_n = atoi(v);
        else if (!strcmp(a, "--seed")) cf->seed = (uint64_t)strtoull(v, NULL, 10);
        else if (!strcmp(a, "--out")) cf->out = v;
        else if (!strcmp(a, "--data")) cf->data = v;
        else return usage(argv[0]);
    }
    if (cf->epochs < 1 || cf->hidden < 1 || cf->adding_T < 2 || cf->adding_n < 8)
        return usage(argv[0]);
    if (mkdir(cf->out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", cf->out, strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    config cf;
    int rc = parse(argc, argv, &cf);
    if (rc) return rc;
    task tasks[2] = {{.name = "sunspots", .title = "Sunspots, 20 years -> 1"},
                     {.name = "adding", .title = "Adding problem"}};
    if (sunspots(cf.data, &tasks[0]) != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    tg_rng rng;
    tg_rng_seed(&rng, cf.seed, 77);
    adding(cf.adding_n, cf.adding_T, &rng, &tasks[1].xtr, &tasks[1].ytr);
    adding(cf.adding_n / 4, cf.adding_T, &rng, &tasks[1].xva, &tasks[1].yva);
    char title[64];
    snprintf(title, sizeof title, "Adding problem, T = %d", cf.adding_T);
    tasks[1].title = title;

    printf("%d epochs, hidden %d, Adam lr 5e-3, batch 32, seed %llu; adding: T %d, %d train, "
           "%d validation (the mean predictor scores about 0.167)\n\n", cf.epochs, cf.hidden,
           (unsigned long long)cf.seed, cf.adding_T, cf.adding_n, cf.adding_n / 4);
    printf("%-9s %-20s %8s %9s %12s %6s\n", "task", "cell", "params", "s/epoch", "best val MSE",
           "epoch");
    static result res[2][N_ZOO];
    for (int t = 0; t < 2 && !rc; t++) {
        for (int k = 0; k < N_ZOO && !rc; k++) {
            if (train(&cf, &zoo[k], &tasks[t], &res[t][k]) != TG_OK) {
                fprintf(stderr, "%s on %s: %s\n", zoo[k].name, tasks[t].name, tg_last_error());
                rc = 1;
                break;
            }
            printf("%-9s %-20s %8lld %9.3f %12.5f %6d\n", tasks[t].name, zoo[k].name,
                   (long long)res[t][k].params, res[t][k].s_per_epoch, (double)res[t][k].best,
                   res[t][k].best_epoch + 1);
            fflush(stdout);
        }
        if (!rc && chart(&cf, &tasks[t], res[t]) != TG_OK) {
            fprintf(stderr, "%s\n", tg_last_error());
            rc = 1;
        }
    }
    if (!rc)
        printf("\nCharts in %s/: gate_zoo_sunspots.png/.svg, gate_zoo_adding.png/.svg\n",
               cf.out);
    for (int t = 0; t < 2; t++) {
        for (int k = 0; k < N_ZOO; k++) tg_history_free(&res[t][k].hist);
        tg_tensor_free(tasks[t].xtr), tg_tensor_free(tasks[t].ytr);
        tg_tensor_free(tasks[t].xva), tg_tensor_free(tasks[t].yva);
    }
    return rc;
}
