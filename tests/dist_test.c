/* tests/dist_test.c — dist/ on real ranks: run as `mpirun -np 2 dist_test` (meson test
 * does, when MPI was found). Not Criterion: MPI cannot start in Criterion's forked test
 * processes. Every rank runs every check; a failure prints the rank and exits 1.
 *
 * Checks: rank and size; rank 0's parameters reach every rank; gradients average in rank
 * order to the exact float mean; 2 ranks x half a batch train like 1 process x the whole
 * batch (20 SGD steps, within 1e-6), also through a sharded, shuffled batcher whose last
 * batch splits unevenly; a rerun is bit-identical; ranks with different models, and bad
 * weights, are refused on every rank before any data moves; tg_model_fit with
 * .distributed on 2 ranks (a GRU, 20 SGD steps, rank 1 built from another seed) ends
 * within 1e-6 of one process with the same global batch, bit-identically on a rerun, with
 * dropout masks of the global batch; gradients sent during backward in buckets
 * (tg_dist_overlap_*) are tg_dist_average_grads' bits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "tapegrad.h"

static int rank, failures;

#define CHECK(cond, ...)                                                            \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "rank %d: %s:%d: ", rank, __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                           \
            fprintf(stderr, "\n");                                                  \
            failures++;                                                             \
        }                                                                           \
    } while (0)

enum { IN = 3, OUT = 2, B = 8 };

static tg_params *model(void)
{
    tg_params *ps = tg_params_new();
    tg_params_add(ps, "weight", 2, (int[]){OUT, IN});
    tg_params_add(ps, "bias", 1, (int[]){OUT});
    return ps;
}

/* The fixed global batch: x (B, IN), y (B, OUT). */
static void batch(float *x, float *y)
{
    for (int i = 0; i < B * IN; i++) x[i] = (float)sin(0.7 * i + 0.3);
    for (int i = 0; i < B * OUT; i++) y[i] = (float)cos(0.4 * i);
}

/* One SGD step of the mean squared error over rows [r0, r1) of the batch; with dist the
 * gradients are averaged over the ranks first. */
static void step(tg_tape *t, tg_params *ps, tg_optim *opt, int r0, int r1, bool dist)
{
    float x[B * IN], y[B * OUT];
    batch(x, y);
    tg_tape_reset(t);
    tg_params_zero_grad(ps);
    tg_tensor *xs = tg_tape_tensor(t, 2, (int[]){r1 - r0, IN}, x + r0 * IN);
    tg_tensor *ys = tg_tape_tensor(t, 2, (int[]){r1 - r0, OUT}, y + r0 * OUT);
    tg_tensor *p = tg_linear(t, xs, tg_params_get(ps, "weight"), tg_params_get(ps, "bias"));
    tg_backward(t, tg_mse_loss(t, p, ys, TG_MEAN));
    if (dist) CHECK(tg_dist_average_grads(ps, r1 - r0) == TG_OK, "%s", tg_last_error());
    tg_optim_step(opt);
}

/* Trains 20 steps; returns the final parameters flattened into out (OUT*IN + OUT). */
static void train(bool dist, int r0, int r1, float *out)
{
    tg_params *ps = model();
    for (int i = 0; i < tg_params_count(ps); i++) { /* the same start on every rank */
        tg_tensor *w = tg_params_at(ps, i);
        for (int k = 0; k < w->size; k++) w->data[k] = (float)(0.1 * (k + 1) * (i ? -1 : 1));
    }
    tg_sgd_opts so = tg_sgd_defaults();
    so.lr = 0.1;
    tg_optim *opt = tg_optim_sgd(ps, &so);
    tg_tape *t = tg_tape_new();
    for (int s = 0; s < 20; s++) step(t, ps, opt, r0, r1, dist);
    memcpy(out, tg_params_get(ps, "weight")->data, sizeof(float) * OUT * IN);
    memcpy(out + OUT * IN, tg_params_get(ps, "bias")->data, sizeof(float) * OUT);
    tg_tape_free(t);
    tg_optim_free(opt);
    tg_params_free(ps);
}

/* 5 epochs over N = 11 shuffled samples in global batches of 4 (4, 4, 3 rows): with
 * ranks, each takes its rows of every batch from the same shuffle (2 + 2, 2 + 2, 1 + 2)
 * and the grads are averaged weighted by rows: the whole batch's gradient. */
static void train_batches(bool dist, float *out)
{
    enum { N = 11 };
    float xs[N * IN], ys[N * OUT];
    for (int i = 0; i < N * IN; i++) xs[i] = (float)sin(1.3 * i);
    for (int i = 0; i < N * OUT; i++) ys[i] = (float)cos(0.9 * i);
    tg_tensor *x = tg_tensor_from(2, (int[]){N, IN}, xs), *y = tg_tensor_from(2, (int[]){N, OUT}, ys);
    tg_batcher *b;
    tg_batcher_opts bo = {.shuffle = true, .seed = 5, .rank = dist ? rank : 0,
                          .nranks = dist ? tg_dist_size() : 1};
    CHECK(tg_batcher_new(N, 4, &bo, &b) == TG_OK, "%s", tg_last_error());
    tg_tensor *xb = tg_batcher_attach(b, x), *yb = tg_batcher_attach(b, y);
    tg_params *ps = model();
    for (int i = 0; i < tg_params_count(ps); i++) {
        tg_tensor *w = tg_params_at(ps, i);
        for (int k = 0; k < w->size; k++) w->data[k] = (float)(0.05 * (k + 2));
    }
    tg_sgd_opts so = tg_sgd_defaults();
    so.lr = 0.2;
    tg_optim *opt = tg_optim_sgd(ps, &so);
    tg_tape *t = tg_tape_new();
    for (int epoch = 0; epoch < 5; epoch++)
        while (tg_batcher_next(b)) {
            tg_tape_reset(t);
            tg_params_zero_grad(ps);
            tg_tensor *p = tg_linear(t, xb, tg_params_get(ps, "weight"), tg_params_get(ps, "bias"));
            tg_backward(t, tg_mse_loss(t, p, yb, TG_MEAN));
            if (dist) CHECK(tg_dist_average_grads(ps, tg_batcher_size(b)) == TG_OK, "%s",
                            tg_last_error());
            tg_optim_step(opt);
        }
    memcpy(out, tg_params_get(ps, "weight")->data, sizeof(float) * OUT * IN);
    memcpy(out + OUT * IN, tg_params_get(ps, "bias")->data, sizeof(float) * OUT);
    tg_tape_free(t), tg_optim_free(opt), tg_params_free(ps);
    tg_batcher_free(b), tg_tensor_free(x), tg_tensor_free(y);
}

static void compare(const float *got, const float *want, const float *again, const char *what)
{
    for (int i = 0; i < OUT * IN + OUT; i++) {
        CHECK(fabsf(got[i] - want[i]) <= 1e-6f * fmaxf(1.0f, fabsf(want[i])),
              "%s: param %d: 2 ranks %.9g, 1 process %.9g", what, i, (double)got[i],
              (double)want[i]);
        CHECK(memcmp(&got[i], &again[i], sizeof(float)) == 0, "%s: rerun differs at %d", what,
              i);
    }
}

/* tg_model_fit of a small model shaped like the study's (GRU with sequences, dropout, GRU,
 * dropout, dense), 21 steps (15 samples, batch 5 split 2 + 3 over the ranks, 7 epochs,
 * shuffled): the flattened weights into out (cap values); returns their count. The
 * dropout masks must be the one process's (tg_model_batch_slice) for the runs to agree. */
static int fit_gru(bool distributed, uint64_t init_seed, float *out, int cap)
{
    enum { N = 15, T = 6 };
    float xs[N * T], ys[N];
    for (int i = 0; i < N * T; i++) xs[i] = (float)sin(0.37 * i);
    for (int i = 0; i < N; i++) ys[i] = (float)cos(0.5 * i);
    tg_tensor *x = tg_tensor_from(3, (int[]){N, T, 1}, xs), *y = tg_tensor_from(2, (int[]){N, 1}, ys);
    tg_model *m = tg_model_new(init_seed); /* rank 1 may start elsewhere: fit broadcasts */
    tg_model_input(m, T, 1);
    tg_model_rnn(m, &tg_cell_gru, 5, true);
    tg_model_dropout(m, 0.2f);
    tg_model_rnn(m, &tg_cell_gru, 4, false);
    tg_model_dropout(m, 0.2f);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_sgd_opts so = tg_sgd_defaults();
    so.lr = 0.1;
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_sgd(tg_model_params(m), &so));
    tg_fit_opts fo = tg_fit_defaults();
    fo.epochs = 7, fo.batch_size = 5, fo.seed = 11, fo.verbose = 0;
    fo.distributed = distributed;
    tg_history h;
    CHECK(tg_model_fit(m, x, y, &fo, &h) == TG_OK, "fit: %s", tg_last_error());
    tg_params *ps = tg_model_params(m);
    int k = 0;
    for (int i = 0; i < tg_params_count(ps); i++) {
        tg_tensor *w = tg_params_at(ps, i);
        for (int j = 0; j < w->size && k < cap; j++) out[k++] = w->data[j];
    }
    tg_history_free(&h);
    tg_model_free(m);
    tg_tensor_free(x), tg_tensor_free(y);
    return k;
}

/* Padded sequences with their lengths and a model that returns sequences: each rank's
 * loss is a mean over its real steps, so the gradients must be weighted by those (not by
 * rows) for 2 ranks to train as 1 process. 12 samples, batch 6 (3 + 3 rows, unequal real
 * steps), 4 epochs. */
static int fit_padded(bool distributed, float *out, int cap)
{
    enum { N = 12, T = 5 };
    float xs[N * T], ys[N * T];
    int32_t len[N];
    for (int i = 0; i < N * T; i++) xs[i] = (float)sin(0.3 * i), ys[i] = (float)cos(0.2 * i);
    for (int i = 0; i < N; i++) len[i] = 1 + (i * 7) % T;
    tg_tensor *x = tg_tensor_from(3, (int[]){N, T, 1}, xs);
    tg_tensor *y = tg_tensor_from(3, (int[]){N, T, 1}, ys);
    tg_model *m = tg_model_new(4);
    tg_model_input(m, T, 1);
    tg_model_rnn(m, &tg_cell_gru, 4, true);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_sgd_opts so = tg_sgd_defaults();
    so.lr = 0.2;
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_sgd(tg_model_params(m), &so));
    tg_fit_opts fo = tg_fit_defaults();
    fo.epochs = 4, fo.batch_size = 6, fo.shuffle = false, fo.verbose = 0, fo.lengths = len;
    fo.distributed = distributed;
    tg_history h;
    CHECK(tg_model_fit(m, x, y, &fo, &h) == TG_OK, "padded fit: %s", tg_last_error());
    int k = 0;
    for (int i = 0; i < tg_params_count(tg_model_params(m)); i++) {
        tg_tensor *w = tg_params_at(tg_model_params(m), i);
        for (int j = 0; j < w->size && k < cap; j++) out[k++] = w->data[j];
    }
    tg_history_free(&h);
    tg_model_free(m);
    tg_tensor_free(x), tg_tensor_free(y);
    return k;
}

static void check_fit(void)
{
    float whole[512], split[512], again[512];
    int np = fit_padded(false, whole, 512);
    fit_padded(true, split, 512);
    for (int i = 0; i < np; i++)
        CHECK(fabsf(split[i] - whole[i]) <= 1e-6f * fmaxf(1.0f, fabsf(whole[i])),
              "padded fit: weight %d: 2 ranks %.9g, 1 process %.9g", i, (double)split[i],
              (double)whole[i]);
    int n = fit_gru(false, 7, whole, 512);
    fit_gru(true, rank == 0 ? 7 : 99, split, 512);
    fit_gru(true, rank == 0 ? 7 : 99, again, 512);
    for (int i = 0; i < n; i++) {
        CHECK(fabsf(split[i] - whole[i]) <= 1e-6f * fmaxf(1.0f, fabsf(whole[i])),
              "fit: weight %d: 2 ranks %.9g, 1 process %.9g", i, (double)split[i],
              (double)whole[i]);
        CHECK(memcmp(&split[i], &again[i], sizeof(float)) == 0, "fit: rerun differs at %d", i);
    }
}

static void check_broadcast_and_average(int size)
{
    tg_params *ps = model();
    for (int i = 0; i < tg_params_count(ps); i++) {
        tg_tensor *w = tg_params_at(ps, i);
        for (int k = 0; k < w->size; k++) {
            w->data[k] = (float)(100 * rank + 10 * i + k);   /* differs by rank */
            w->grad[k] = (float)(rank + 1) / (float)(3 + k); /* rank r: (r+1)/(3+k) */
        }
    }
    CHECK(tg_dist_broadcast_params(ps) == TG_OK, "%s", tg_last_error());
    CHECK(tg_dist_average_grads(ps, 4.0) == TG_OK, "%s", tg_last_error());
    for (int i = 0; i < tg_params_count(ps); i++) {
        tg_tensor *w = tg_params_at(ps, i);
        for (int k = 0; k < w->size; k++) {
            CHECK(w->data[k] == (float)(10 * i + k), "param %d[%d] = %g, rank 0 has %d", i, k,
                  (double)w->data[k], 10 * i + k);
            float sum = 0.0f; /* in rank order, in float, as documented */
            for (int r = 0; r < size; r++) sum += (float)(r + 1) / (float)(3 + k);
            CHECK(w->grad[k] == sum / (float)size, "grad %d[%d] = %.9g, want %.9g", i, k,
                  (double)w->grad[k], (double)(sum / (float)size));
        }
    }
    double v = rank + 1.0;
    CHECK(tg_dist_average(&v) == TG_OK && v == (size + 1) / 2.0, "average %g", v);
    tg_params_free(ps);
}

static void check_mismatch_is_refused(void)
{
    tg_params *ps = model();
    if (rank == 1) tg_params_add(ps, "extra", 1, (int[]){5});
    tg_status st = tg_dist_average_grads(ps, 1.0);
    CHECK(st == TG_ERR_ARG, "a different model on rank 1 gave status %d", (int)st);
    CHECK(strstr(tg_last_error(), "same model") != NULL, "message: %s", tg_last_error());
    tg_params_free(ps);
    ps = model();
    st = tg_dist_average_grads(ps, rank == 0 ? -1.0 : 1.0); /* a bad weight, on rank 0 */
    CHECK(st == TG_ERR_ARG, "a negative weight gave status %d", (int)st);
    st = tg_dist_average_grads(rank == 1 ? NULL : ps, 1.0); /* NULL on rank 1 only */
    CHECK(st == TG_ERR_ARG, "NULL parameters on rank 1 gave status %d", (int)st);
    CHECK(strstr(tg_last_error(), "rank 1 passed NULL parameters") != NULL, "message: %s",
          tg_last_error());
    tg_tape *t = tg_tape_new();
    st = tg_dist_overlap_begin(ps, rank == 0 ? NULL : t, 1.0); /* NULL tape on rank 0 */
    CHECK(st == TG_ERR_ARG, "a NULL tape on rank 0 gave status %d", (int)st);
    CHECK(strstr(tg_last_error(), "rank 0 passed a NULL tape") != NULL, "message: %s",
          tg_last_error());
    tg_tape_free(t);
    st = tg_dist_broadcast_params(rank == 1 ? NULL : ps);
    CHECK(st == TG_ERR_ARG, "NULL parameters on rank 1 (broadcast) gave status %d", (int)st);
    double v = 1.0;
    st = tg_dist_average(rank == 1 ? NULL : &v);
    CHECK(st == TG_ERR_ARG, "NULL value on rank 1 (average) gave status %d", (int)st);
    tg_params_free(ps);
    /* the same count and total, other sizes: (4, 1) + (2) on rank 0, (2) + (4, 1) on rank 1 */
    ps = tg_params_new();
    tg_params_add(ps, "a", rank ? 1 : 2, rank ? (int[]){2} : (int[]){4, 1});
    tg_params_add(ps, "b", rank ? 2 : 1, rank ? (int[]){4, 1} : (int[]){2});
    st = tg_dist_average_grads(ps, 1.0);
    CHECK(st == TG_ERR_ARG, "other sizes, same total: status %d", (int)st);
    CHECK(strstr(tg_last_error(), "other sizes") != NULL, "message: %s", tg_last_error());
    t = tg_tape_new();
    st = tg_dist_overlap_begin(ps, t, 1.0);
    CHECK(st == TG_ERR_ARG, "other sizes, same total (overlap): status %d", (int)st);
    tg_tape_free(t);
    tg_params_free(ps);
}

static int warnings;
static char warning[512];
static void count_warning(const char *message, void *user)
{
    (void)user;
    warnings++;
    snprintf(warning, sizeof warning, "%s", message);
}

/* rank 1's callback stops after the first epoch; rank 0's never does */
static bool stop_on_rank1(const tg_epoch_info *e, void *user)
{
    (void)e, (void)user;
    return rank != 1;
}

/* tg_model_fit with other options on one rank stops every rank with TG_ERR_ARG (no rank
 * waits for steps the others do not take), and a last batch of fewer rows than ranks,
 * which is skipped, is said once on rank 0. */
static void check_fit_refuses_different_runs(void)
{
    enum { N = 9, T = 3 };
    float xs[N * T], ys[N];
    for (int i = 0; i < N * T; i++) xs[i] = (float)sin(0.2 * i);
    for (int i = 0; i < N; i++) ys[i] = (float)cos(0.4 * i);
    tg_tensor *x = tg_tensor_from(3, (int[]){N, T, 1}, xs), *y = tg_tensor_from(2, (int[]){N, 1}, ys);
    for (int c = 0; c < 4; c++) {
        tg_model *m = tg_model_new(3);
        tg_model_input(m, T, 1);
        tg_model_rnn(m, &tg_cell_gru, 4, false);
        tg_model_dense(m, 1, TG_ACT_NONE);
        tg_model_compile(m, TG_LOSS_MSE, tg_optim_sgd(tg_model_params(m), NULL));
        tg_fit_opts fo = tg_fit_defaults();
        fo.epochs = 2, fo.batch_size = 4, fo.verbose = 0, fo.distributed = true;
        if (c == 0 && rank == 1) fo.batch_size = 3; /* other steps on rank 1 */
        if (c == 1 && rank == 1) fo.epochs = 3;
        if (c == 3) fo.batch_size = 3, fo.epochs = 3, fo.on_epoch = stop_on_rank1;
        warnings = 0;
        tg_set_warning_handler(count_warning, NULL);
        tg_history h;
        tg_status st = tg_model_fit(m, x, y, &fo, &h);
        tg_set_warning_handler(NULL, NULL);
        if (c < 2) {
            CHECK(st == TG_ERR_ARG, "case %d: other options on rank 1 gave status %d", c,
                  (int)st);
            CHECK(strstr(tg_last_error(), rank ? "same data size and options"
                                               : "options other than rank 0's") != NULL,
                  "case %d: message: %s", c, tg_last_error());
        } else if (c == 3) { /* on_epoch false on rank 1 only: every rank stops there */
            CHECK(st == TG_OK && h.epochs == 1, "case 3: status %d, %d epochs", (int)st,
                  h.epochs);
            tg_history_free(&h);
        } else { /* 9 rows in batches of 4: a last batch of 1 row, below 2 ranks */
            CHECK(st == TG_OK, "case 2: %s", tg_last_error());
            CHECK(warnings == (rank == 0), "case 2: %d warnings on rank %d", warnings, rank);
            if (rank == 0)
                CHECK(strstr(warning, "1 row, fewer than the 2 ranks") != NULL,
                      "case 2: warning: %s", warning);
            tg_history_free(&h);
        }
        tg_model_free(m);
    }
    tg_tensor_free(x), tg_tensor_free(y);
}

static int user_hook_calls;
static void user_hook(void *user, const tg_node *n)
{
    (void)n;
    user_hook_calls += *(int *)user;
}

/* A hook the tape already had runs during an overlapped backward (once per record, as
 * without the overlap) and is the tape's hook again after end. */
static void check_overlap_keeps_a_users_hook(void)
{
    tg_params *ps = model();
    tg_tape *t = tg_tape_new();
    int one = 1;
    float x[B * IN], y[B * OUT];
    batch(x, y);
    int counts[2];
    for (int overlap = 0; overlap < 2; overlap++) {
        tg_tape_reset(t);
        tg_params_zero_grad(ps);
        tg_tape_set_backward_hook(t, user_hook, &one);
        user_hook_calls = 0;
        tg_tensor *xs = tg_tape_tensor(t, 2, (int[]){B, IN}, x);
        tg_tensor *ys = tg_tape_tensor(t, 2, (int[]){B, OUT}, y);
        tg_tensor *p = tg_linear(t, xs, tg_params_get(ps, "weight"), tg_params_get(ps, "bias"));
        tg_tensor *loss = tg_mse_loss(t, p, ys, TG_MEAN);
        if (overlap) CHECK(tg_dist_overlap_begin(ps, t, B) == TG_OK, "%s", tg_last_error());
        tg_backward(t, loss);
        if (overlap) CHECK(tg_dist_overlap_end() == TG_OK, "%s", tg_last_error());
        counts[overlap] = user_hook_calls;
        void *u = NULL;
        CHECK(tg_tape_backward_hook(t, &u) == user_hook && u == &one,
              "the user's hook is not back after end");
    }
    CHECK(counts[0] > 0 && counts[1] == counts[0], "user hook calls: %d alone, %d with overlap",
          counts[0], counts[1]);
    tg_tape_free(t);
    tg_params_free(ps);
}

/* Forward and backward of a two-layer GRU (hidden 160: weight_hh_l0 alone is more than a
 * bucket) and a dense head on this rank's rows; grads left in ps. */
static void gru_backward(tg_tape *t, tg_params *ps, tg_rnn *rnn, tg_linear_layer *fc,
                         int r0, int r1, bool overlap, double weight)
{
    enum { T = 5 };
    int rows = r1 - r0;
    tg_tape_reset(t);
    tg_params_zero_grad(ps);
    tg_tensor *x = tg_tape_tensor(t, 3, (int[]){rows, T, 2}, NULL);
    tg_tensor *y = tg_tape_tensor(t, 2, (int[]){rows, 1}, NULL);
    for (int64_t i = 0; i < x->size; i++) x->data[i] = (float)sin(0.1 * (double)(i + r0 * T * 2));
    for (int i = 0; i < rows; i++) y->data[i] = (float)cos(0.3 * (i + r0));
    tg_tensor *p = tg_linear_layer_forward(t, fc, tg_rnn_forward(t, rnn, x, NULL, NULL));
    tg_tensor *loss = tg_mse_loss(t, p, y, TG_MEAN);
    if (overlap) {
        CHECK(tg_dist_overlap_begin(ps, t, weight) == TG_OK, "%s", tg_last_error());
        tg_backward(t, loss);
        CHECK(tg_dist_overlap_end() == TG_OK, "%s", tg_last_error());
    } else {
        tg_backward(t, loss);
        CHECK(tg_dist_average_grads(ps, weight) == TG_OK, "%s", tg_last_error());
    }
}

/* Gradients sent in buckets during backward are tg_dist_average_grads' bits, with shards
 * (each rank's 37 or 27 rows run as two shards), views of weights and unequal weights;
 * end without begin is refused. */
static void check_overlap(void)
{
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 3, 0);
    tg_rnn_opts ro = tg_rnn_defaults();
    ro.num_layers = 2;
    ro.return_sequences = false;
    tg_rnn *rnn = tg_rnn_new(ps, "gru", &tg_cell_gru, 2, 160, &ro, &rng);
    tg_linear_layer fc = tg_linear_layer_new(ps, "fc", 160, 1, true, &rng);
    tg_tape *t = tg_tape_new();
    int r0 = rank ? 37 : 0, r1 = rank ? 64 : 37;
    int64_t n = tg_params_numel(ps);
    float *blocking = malloc(sizeof(float) * (size_t)n);
    for (int round = 0; round < 2; round++) {
        gru_backward(t, ps, rnn, &fc, r0, r1, false, r1 - r0);
        for (int i = 0, k = 0; i < tg_params_count(ps); i++) {
            tg_tensor *w = tg_params_at(ps, i);
            memcpy(blocking + k, w->grad, sizeof(float) * (size_t)w->size);
            k += (int)w->size;
        }
        gru_backward(t, ps, rnn, &fc, r0, r1, true, r1 - r0);
        for (int i = 0, k = 0; i < tg_params_count(ps); i++) {
            tg_tensor *w = tg_params_at(ps, i);
            CHECK(memcmp(blocking + k, w->grad, sizeof(float) * (size_t)w->size) == 0,
                  "overlap, round %d: %s differs from tg_dist_average_grads", round,
                  w->name ? w->name : "a parameter");
            k += (int)w->size;
        }
    }
    CHECK(tg_dist_overlap_end() == TG_ERR_ARG, "end without begin is refused");
    free(blocking);
    tg_tape_free(t);
    tg_rnn_free(rnn);
    tg_params_free(ps);
}

int main(int argc, char **argv)
{
    if (tg_dist_init(&argc, &argv) != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    rank = tg_dist_rank();
    int size = tg_dist_size();
    CHECK(tg_dist_available(), "built without MPI");
    CHECK(size == 2, "size %d: run with mpirun -np 2", size);
    if (size == 2) {
        check_broadcast_and_average(size);
        float whole[OUT * IN + OUT], split[OUT * IN + OUT], again[OUT * IN + OUT];
        train(false, 0, B, whole);                            /* 1 process, whole batch */
        train(true, rank * B / 2, (rank + 1) * B / 2, split); /* 2 ranks, half each */
        train(true, rank * B / 2, (rank + 1) * B / 2, again);
        compare(split, whole, again, "20 steps");
        train_batches(false, whole);
        train_batches(true, split);
        train_batches(true, again);
        compare(split, whole, again, "sharded batcher");
        check_fit();
        check_overlap();
        check_overlap_keeps_a_users_hook();
        check_fit_refuses_different_runs();
        check_mismatch_is_refused();
    }
    double bad = failures;
    tg_dist_average(&bad); /* every rank learns whether any failed */
    if (rank == 0) printf("dist_test: %d ranks, %s\n", size, bad > 0 ? "FAILED" : "ok");
    tg_dist_finalize();
    return bad > 0 ? 1 : 0;
}
