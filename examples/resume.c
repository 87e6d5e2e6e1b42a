/* examples/resume.c — stop a training run with Ctrl-C and carry on later, exactly.
 *
 * fit writes a checkpoint after every epoch (tg_fit_opts.backup_path: weights, optimizer
 * state, the dropout stream, the learning-rate schedule, early stopping and the history).
 * Ctrl-C sets a flag; the epoch in progress finishes, fit returns, and the program exits.
 * Run it again and fit starts from that checkpoint: the run ends with the same weights, to
 * the bit, as one that was never stopped. When every epoch has run, the checkpoint is
 * removed.
 *
 * The model: yearly sunspots (datasets/sunspots-yearly-1700-2008.csv), 20 years in -> the
 * next; GRU(32) -> Dropout(0.2) -> Dense(1), Adam with ReduceLROnPlateau, 20% validation.
 *
 * Usage: resume [--epochs N] [--out DIR] [--data CSV] [--stop-after K]
 *   --stop-after K   act as if Ctrl-C came during epoch K (for scripts and tests)
 * Not a benchmark; see examples/gate_zoo for comparing cells.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tapegrad.h"

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1; /* fit finishes the epoch, writes the checkpoint, then returns */
}

typedef struct run {
    int stop_after;
} run;

static bool on_epoch(const tg_epoch_info *e, void *user)
{
    const run *r = user;
    printf("epoch %3d/%d  loss %.5f  val_loss %.5f  (%.2fs)\n", e->epoch + 1, e->epochs,
           (double)e->loss, (double)e->val_loss, e->seconds);
    if (r->stop_after && e->epoch + 1 >= r->stop_after) interrupted = 1;
    return !interrupted;
}

int main(int argc, char **argv)
{
    int epochs = 60;
    run r = {0};
    const char *out = "out", *data = "datasets/sunspots-yearly-1700-2008.csv";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) goto usage;
        if (!strcmp(a, "--epochs")) epochs = atoi(v);
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--stop-after")) r.stop_after = atoi(v);
        else goto usage;
        i++;
    }
    if (epochs < 1) goto usage;
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", out, strerror(errno));
        return 1;
    }
    signal(SIGINT, on_sigint);

    tg_csv *csv;
    tg_csv_opts co = tg_csv_defaults();
    co.columns = (const char *[]){"SUNACTIVITY"}, co.ncolumns = 1, co.text_column = "YEAR";
    tg_tensor *X = NULL, *y = NULL;
    tg_window_opts wo = tg_window_defaults();
    wo.window = 20;
    tg_scaler sc = tg_scaler_minmax(0.0f, 1.0f);
    if (tg_csv_read(data, &co, &csv) != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    tg_tensor *series = tg_csv_tensor(csv);
    tg_status st = tg_scaler_fit(&sc, series, 0, series->shape[0]);
    if (st == TG_OK) tg_scaler_transform(&sc, series, series);
    if (st == TG_OK) st = tg_make_windows(series, &wo, &X, &y);

    tg_model *m = tg_model_new(1);
    tg_model_input(m, 20, 1);
    tg_model_rnn(m, &tg_cell_gru, 32, false);
    tg_model_dropout(m, 0.2f);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_adam_opts ao = tg_adam_defaults();
    ao.lr = 1e-2;
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_adam(tg_model_params(m), &ao));
    tg_plateau_opts po = tg_plateau_defaults();
    po.patience = 5, po.factor = 0.5;
    tg_plateau plateau = tg_plateau_new(1e-2, &po);

    char backup[1024];
    snprintf(backup, sizeof backup, "%s/resume.ckpt", out);
    tg_fit_opts fo = tg_fit_defaults();
    fo.epochs = epochs, fo.batch_size = 16, fo.validation_split = 0.2, fo.verbose = 0;
    fo.backup_path = backup, fo.plateau = &plateau, fo.on_epoch = on_epoch, fo.user = &r;
    tg_history h = {0};
    if (st == TG_OK) st = tg_model_fit(m, X, y, &fo, &h);
    if (st != TG_OK)
        fprintf(stderr, "%s\n", tg_last_error());
    else if (interrupted)
        printf("Stopped after epoch %d; the checkpoint is %s: run again to continue.\n",
               h.epochs, backup);
    else
        printf("Done: %d epochs, best val_loss %.5f at epoch %d (checkpoint removed).\n",
               h.epochs, (double)h.val_loss[h.best_epoch], h.best_epoch + 1);
    tg_history_free(&h);
    tg_model_free(m);
    tg_tensor_free(X), tg_tensor_free(y), tg_tensor_free(series);
    tg_scaler_free(&sc);
    tg_csv_free(csv);
    return st == TG_OK ? 0 : 1;
usage:
    fprintf(stderr, "usage: %s [--epochs N] [--out DIR] [--data CSV] [--stop-after K]\n",
            argv[0]);
    return 2;
}
