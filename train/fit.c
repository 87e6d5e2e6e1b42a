/* train/fit.c — fit, evaluate and predict for a tg_model: mini-batches from data/'s
 * batcher, one tape reused for every step, a History of train and validation loss, a
 * Keras-like progress line on a terminal (one plain line per epoch otherwise), early
 * stopping, and a clean stop with a message when the loss stops being finite.
 *
 * A step after the first allocates nothing: the batcher gathers rows into its own
 * tensors and the model's tape keeps its arena.
 * Not here: the layers (model.c), multi-output models, metrics beyond the loss.
 */
#include "train/train.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "autograd/op.h" /* tg_tape_alloc */
#include "data/data.h"
#include "train/internal.h"

tg_fit_opts tg_fit_defaults(void)
{
    return (tg_fit_opts){
        .epochs = 1,
        .batch_size = 32,
        .shuffle = true,
        .verbose = 1,
    };
}

void tg_history_free(tg_history *h)
{
    if (!h) return;
    tg_free(h->loss);
    tg_free(h->val_loss);
    tg_free(h->seconds);
    memset(h, 0, sizeof *h);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static tg_tensor *loss_of(tg_tape *t, tg_loss_kind k, tg_tensor *pred, tg_tensor *y)
{
    switch (k) {
    case TG_LOSS_MAE: return tg_l1_loss(t, pred, y, TG_MEAN);
    case TG_LOSS_HUBER: return tg_huber_loss(t, pred, y, 1.0f, TG_MEAN);
    case TG_LOSS_MSE: break;
    }
    return tg_mse_loss(t, pred, y, TG_MEAN);
}

/* Rows [begin, begin + count) of x as a new heap tensor. */
static tg_tensor *rows(const tg_tensor *x, int begin, int count)
{
    int shape[TG_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[0] = count;
    tg_tensor *r = tg_tensor_new(x->ndim, shape);
    int64_t per = x->shape[0] ? x->size / x->shape[0] : 0;
    memcpy(r->data, x->data + (int64_t)begin * per, sizeof(float) * (size_t)(per * count));
    return r;
}

/* Every parameter's values, in store order, into buf (to_buf) or back from it. */
static void copy_params(tg_params *ps, float *buf, bool to_buf)
{
    for (int i = 0; i < tg_params_count(ps); i++) {
        tg_tensor *p = tg_params_at(ps, i);
        size_t bytes = sizeof(float) * (size_t)p->size;
        if (to_buf)
            memcpy(buf, p->data, bytes);
        else
            memcpy(p->data, buf, bytes);
        buf += p->size;
    }
}

static tg_status check_xy(const char *fn, const tg_tensor *x, const tg_tensor *y)
{
    if (!x || !y || x->ndim < 1 || y->ndim < 1)
        return tg_fail(TG_ERR_ARG, "%s: x and y are needed", fn);
    if (x->shape[0] != y->shape[0])
        return tg_fail(TG_ERR_ARG, "%s: x has %d samples but y has %d", fn, x->shape[0],
                       y->shape[0]);
    if (x->shape[0] < 1) return tg_fail(TG_ERR_ARG, "%s: no samples", fn);
    return TG_OK;
}

/* ---- variable lengths ---------------------------------------------------------------------
 * Lengths travel with their samples as a float tensor (N) attached to the same batcher, so
 * shuffling and splitting keep them with their rows; each batch's are turned back into
 * int32 in the tape's memory. */

/* lengths[begin .. begin + count) as a new (count) tensor, each checked against T (x's
 * axis 1). NULL lengths: NULL and TG_OK. */
static tg_status lengths_tensor(const char *fn, const int32_t *lengths, const tg_tensor *x,
                                int begin, int count, tg_tensor **out)
{
    *out = NULL;
    if (!lengths) return TG_OK;
    if (x->ndim != 3)
        return tg_fail(TG_ERR_ARG, "%s: lengths need x of (samples, T, features)", fn);
    int T = x->shape[1];
    for (int i = begin; i < begin + count; i++)
        if (lengths[i] < 1 || lengths[i] > T)
            return tg_fail(TG_ERR_ARG, "%s: lengths[%d] = %d is outside 1..%d", fn, i,
                           (int)lengths[i], T);
    *out = tg_tensor_new(1, (int[]){count});
    for (int i = 0; i < count; i++) (*out)->data[i] = (float)lengths[begin + i];
    return TG_OK;
}

/* The current batch's lengths as int32 on the tape, or NULL. */
static const int32_t *batch_lengths(tg_tape *tp, const tg_tensor *lenb)
{
    if (!lenb) return NULL;
    int32_t *lb = tg_tape_alloc(tp, sizeof(int32_t) * (size_t)lenb->shape[0]);
    for (int i = 0; i < lenb->shape[0]; i++) lb[i] = (int32_t)lenb->data[i];
    return lb;
}

/* The model's loss; for sequence outputs (B, T, F) with lengths, padded steps of both the
 * prediction and the target are set to 0 (where: no loss, no gradient, NaN-proof) and the
 * mean is rescaled from all B T F elements to the real ones. *weight: what this batch
 * counts for in an epoch's mean (its samples, or its real steps / T), so that the mean over
 * batches is the mean over every real element. */
static tg_tensor *batch_loss(tg_tape *tp, tg_model *m, tg_tensor *pred, tg_tensor *yb,
                             const int32_t *lb, double *weight)
{
    *weight = pred->shape[0]; /* samples; with lengths, the real steps of their samples / T */
    if (!lb || pred->ndim != 3 || yb->ndim != 3) return loss_of(tp, tg__model_loss(m), pred, yb);
    int B = pred->shape[0], T = pred->shape[1];
    int64_t real = 0;
    for (int b = 0; b < B; b++) real += lb[b] < T ? lb[b] : T;
    *weight = (double)real / T;
    tg_tensor *mask = tg_length_mask(tp, lb, B, T); /* (B, T, 1) */
    tg_tensor *loss = loss_of(tp, tg__model_loss(m), tg_where(tp, mask, pred, NULL),
                              tg_where(tp, mask, yb, NULL));
    return tg_scale(tp, loss, (float)((double)B * T / (double)real));
}

/* One pass over batcher b (its attached xb, yb, lengths lenb) without dropout or
 * gradients: the mean loss into *loss and/or the predictions into out. */
static tg_status eval_batches(tg_model *m, tg_batcher *b, tg_tensor *xb, tg_tensor *yb,
                              tg_tensor *lenb, float *loss, tg_tensor *out)
{
    tg_tape *tp = tg__model_tape(m);
    bool grad = tg_tape_set_grad(tp, false);
    tg_status st = TG_OK;
    double sum = 0, weights = 0;
    int64_t done = 0;
    while (tg_batcher_next(b)) {
        if (st != TG_OK) continue; /* finish the pass so the batcher ends its epoch */
        tg_tape_reset(tp);
        const int32_t *lb = batch_lengths(tp, lenb);
        tg_tensor *pred = tg_model_forward_padded(tp, m, xb, lb, false);
        double wt = 0;
        if (yb) sum += (double)batch_loss(tp, m, pred, yb, lb, &wt)->data[0] * wt;
        weights += wt;
        if (out) {
            int64_t row = pred->size / pred->shape[0];
            if (row != out->size / out->shape[0])
                st = tg_fail(TG_ERR_ARG, "tg_model_predict: output rows differ in size");
            else
                memcpy(out->data + done * row, pred->data, sizeof(float) * (size_t)pred->size);
        }
        done += xb->shape[0];
    }
    tg_tape_set_grad(tp, grad);
    if (loss && st == TG_OK) *loss = (float)(sum / weights);
    return st;
}

/* The same over x/y (lengths: a (N) tensor or NULL) with a batcher made for this pass. */
static tg_status run_eval(tg_model *m, const tg_tensor *x, const tg_tensor *y,
                          const tg_tensor *lengths, int batch_size, float *loss, tg_tensor *out)
{
    tg_batcher *b;
    tg_status st = tg_batcher_new(x->shape[0], batch_size, NULL, &b);
    if (st != TG_OK) return st;
    tg_tensor *xb = tg_batcher_attach(b, x);
    tg_tensor *yb = y ? tg_batcher_attach(b, y) : NULL;
    tg_tensor *lenb = lengths ? tg_batcher_attach(b, lengths) : NULL;
    st = eval_batches(m, b, xb, yb, lenb, loss, out);
    tg_batcher_free(b);
    return st;
}

tg_status tg_model_evaluate_padded(tg_model *m, const tg_tensor *x, const tg_tensor *y,
                                   const int32_t *lengths, int batch_size, float *loss)
{
    tg_status st = check_xy("tg_model_evaluate", x, y);
    tg_tensor *lt = NULL;
    if (st == TG_OK)
        st = lengths_tensor("tg_model_evaluate", lengths, x, 0, x->shape[0], &lt);
    if (st == TG_OK) st = run_eval(m, x, y, lt, batch_size > 0 ? batch_size : 32, loss, NULL);
    tg_tensor_free(lt);
    return st;
}

tg_status tg_model_evaluate(tg_model *m, const tg_tensor *x, const tg_tensor *y,
                            int batch_size, float *loss)
{
    return tg_model_evaluate_padded(m, x, y, NULL, batch_size, loss);
}

tg_status tg_model_predict(tg_model *m, const tg_tensor *x, int batch_size, tg_tensor **out)
{
    return tg_model_predict_padded(m, x, NULL, batch_size, out);
}

tg_status tg_model_predict_padded(tg_model *m, const tg_tensor *x, const int32_t *lengths,
                                  int batch_size, tg_tensor **out)
{
    *out = NULL;
    if (!x || x->ndim < 1 || x->shape[0] < 1)
        return tg_fail(TG_ERR_ARG, "tg_model_predict: x has no samples");
    tg_tensor *lt = NULL;
    tg_status st = lengths_tensor("tg_model_predict", lengths, x, 0, x->shape[0], &lt);
    if (st != TG_OK) return st;
    /* One sample through the model gives the per-sample output shape. */
    tg_tape *tp = tg__model_tape(m);
    tg_tape_reset(tp);
    bool grad = tg_tape_set_grad(tp, false);
    tg_tensor *one = rows(x, 0, 1);
    tg_tensor *p1 = tg_model_forward(tp, m, one, false);
    int shape[TG_MAX_DIMS];
    memcpy(shape, p1->shape, sizeof shape);
    shape[0] = x->shape[0];
    tg_tape_set_grad(tp, grad);
    tg_tensor_free(one);
    tg_tensor *res = tg_tensor_new(p1->ndim, shape);
    st = run_eval(m, x, NULL, lt, batch_size > 0 ? batch_size : 32, NULL, res);
    tg_tensor_free(lt);
    if (st != TG_OK) {
        tg_tensor_free(res);
        return st;
    }
    *out = res;
    return TG_OK;
}

/* ---- progress output -------------------------------------------------------------------- */

static void progress(bool tty, int verbose, int batch, int batches, double elapsed, float loss)
{
    if (verbose != 1 || !tty) return;
    int width = 30, done = batches ? batch * width / batches : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < done ? '=' : '.';
    if (done < width) bar[done] = '>';
    bar[width] = 0;
    double eta = batch ? elapsed / batch * (batches - batch) : 0;
    printf("\r%*d/%d [%s] - ETA: %.0fs - loss: %.4g   ", (int)snprintf(NULL, 0, "%d", batches),
           batch, batches, bar, eta, (double)loss);
    fflush(stdout);
}

static void epoch_line(bool tty, int verbose, const tg_epoch_info *e, int batches)
{
    if (verbose == 0) return;
    char val[48] = "";
    if (!isnan(e->val_loss)) snprintf(val, sizeof val, " - val_loss: %.4g", (double)e->val_loss);
    if (verbose == 1 && tty) {
        char bar[31];
        memset(bar, '=', 30);
        bar[30] = 0;
        printf("\r%d/%d [%s] - %.1fs %.0fms/step - loss: %.4g%s\n", batches, batches, bar,
               e->seconds, 1e3 * e->seconds / (batches ? batches : 1), (double)e->loss, val);
    } else {
        printf("Epoch %d/%d - %.2fs - loss: %.6g%s\n", e->epoch + 1, e->epochs, e->seconds,
               (double)e->loss, val);
    }
    fflush(stdout);
}

/* ---- fit ---------------------------------------------------------------------------------- */

tg_status tg_model_fit(tg_model *m, const tg_tensor *x, const tg_tensor *y,
                       const tg_fit_opts *opts, tg_history *history)
{
    tg_fit_opts o = opts ? *opts : tg_fit_defaults();
    tg_optim *opt = tg_model_optimizer(m);
    if (history) memset(history, 0, sizeof *history);
    if (!opt) return tg_fail(TG_ERR_ARG, "tg_model_fit: compile the model first");
    tg_status st = check_xy("tg_model_fit", x, y);
    if (st != TG_OK) return st;
    if (o.epochs < 1 || o.batch_size < 1)
        return tg_fail(TG_ERR_ARG, "tg_model_fit: epochs %d and batch_size %d must be >= 1",
                       o.epochs, o.batch_size);
    if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
        return tg_fail(TG_ERR_ARG, "tg_model_fit: validation_split %g is outside [0, 1)",
                       o.validation_split);

    /* Training and validation parts (Keras: the last fraction, taken before shuffling). */
    int n = x->shape[0];
    tg_tensor *xt = NULL, *yt = NULL, *xv = NULL, *yv = NULL;
    const tg_tensor *val_x = o.val_x, *val_y = o.val_y;
    if (val_x || val_y) {
        if ((st = check_xy("tg_model_fit (validation data)", val_x, val_y)) != TG_OK) return st;
    } else if (o.validation_split > 0) {
        /* Keras: the first floor(n (1 - split)) samples train, the rest validate */
        int n_val = n - tg_split_train_count(n, 1.0 - o.validation_split);
        if (n_val < 1 || n_val >= n)
            return tg_fail(TG_ERR_ARG, "tg_model_fit: validation_split %g of %d samples "
                           "leaves an empty part", o.validation_split, n);
        n -= n_val;
        xt = rows(x, 0, n);
        yt = rows(y, 0, n);
        val_x = xv = rows(x, n, n_val);
        val_y = yv = rows(y, n, n_val);
    }
    const tg_tensor *train_x = xt ? xt : x, *train_y = yt ? yt : y;
    tg_tensor *lt = NULL, *lv = NULL; /* lengths of the training and validation samples */
    st = lengths_tensor("tg_model_fit", o.lengths, x, 0, n, &lt);
    if (st == TG_OK && val_x)
        st = o.val_x ? lengths_tensor("tg_model_fit (val_lengths)", o.val_lengths, val_x, 0,
                                      val_x->shape[0], &lv)
                     : lengths_tensor("tg_model_fit", o.lengths, x, n, val_x->shape[0], &lv);

    tg_batcher *b = NULL, *vb = NULL; /* made once: epochs after the first allocate nothing */
    tg_batcher_opts bo = {.shuffle = o.shuffle, .seed = o.seed ? o.seed : tg__model_seed(m)};
    if (st == TG_OK) st = tg_batcher_new(n, o.batch_size, &bo, &b);
    tg_tensor *xb = st == TG_OK ? tg_batcher_attach(b, train_x) : NULL;
    tg_tensor *yb = st == TG_OK ? tg_batcher_attach(b, train_y) : NULL;
    tg_tensor *lenb = st == TG_OK && lt ? tg_batcher_attach(b, lt) : NULL;
    tg_tensor *vxb = NULL, *vyb = NULL, *vlenb = NULL;
    if (st == TG_OK && val_x &&
        (st = tg_batcher_new(val_x->shape[0], o.batch_size, NULL, &vb)) == TG_OK) {
        vxb = tg_batcher_attach(vb, val_x);
        vyb = tg_batcher_attach(vb, val_y);
        vlenb = lv ? tg_batcher_attach(vb, lv) : NULL;
    }

    tg_params *ps = tg_model_params(m);
    float *best_weights = NULL;
    if (st == TG_OK && o.patience > 0 && o.restore_best)
        best_weights = tg_malloc(sizeof(float) * (size_t)(tg_params_numel(ps) + 1));
    tg_history h = {0};
    h.loss = tg_malloc(sizeof(float) * (size_t)o.epochs);
    h.val_loss = tg_malloc(sizeof(float) * (size_t)o.epochs);
    h.seconds = tg_malloc(sizeof(double) * (size_t)o.epochs);
    bool tty = isatty(fileno(stdout));
    float best = INFINITY;
    int since_best = 0, batches = st == TG_OK ? tg_batcher_batches_per_epoch(b) : 0;
    tg_tape *tp = tg__model_tape(m);

    for (int epoch = 0; st == TG_OK && epoch < o.epochs; epoch++) {
        if (o.verbose == 1 && tty) printf("Epoch %d/%d\n", epoch + 1, o.epochs);
        double t0 = now(), sum = 0, seen = 0;
        int batch = 0;
        while (tg_batcher_next(b)) {
            tg_tape_reset(tp);
            tg_params_zero_grad(ps);
            const int32_t *lb = batch_lengths(tp, lenb);
            tg_tensor *pred = tg_model_forward_padded(tp, m, xb, lb, true);
            double wt;
            tg_tensor *loss = batch_loss(tp, m, pred, yb, lb, &wt);
            float lv = loss->data[0];
            if (!isfinite(lv)) {
                st = tg_fail(TG_ERR_NUMERIC,
                             "tg_model_fit: the loss is %s at epoch %d, batch %d: training "
                             "stopped (a lower learning rate or gradient clipping may help)",
                             isnan(lv) ? "NaN" : "infinite", epoch + 1, batch + 1);
                break;
            }
            tg_backward(tp, loss);
            tg_optim_step(opt);
            sum += (double)lv * wt;
            seen += wt;
            batch++;
            progress(tty, o.verbose, batch, batches, now() - t0, (float)(sum / (double)seen));
        }
        if (st != TG_OK) {
            if (o.verbose) printf("\n%s\n", tg_last_error());
            break;
        }
        tg_epoch_info e = {.epoch = epoch, .epochs = o.epochs, .loss = (float)(sum / (double)seen),
                           .val_loss = NAN};
        if (vb && (st = eval_batches(m, vb, vxb, vyb, vlenb, &e.val_loss, NULL)) != TG_OK)
            break;
        e.seconds = now() - t0;
        h.loss[epoch] = e.loss;
        h.val_loss[epoch] = e.val_loss;
        h.seconds[epoch] = e.seconds;
        h.epochs = epoch + 1;
        epoch_line(tty, o.verbose, &e, batches);

        float monitored = val_x ? e.val_loss : e.loss;
        if (monitored < best - (float)o.min_delta) {
            best = monitored;
            h.best_epoch = epoch;
            since_best = 0;
            if (best_weights) copy_params(ps, best_weights, true);
        } else if (o.patience > 0 && ++since_best >= o.patience) {
            h.stopped_early = true;
            if (o.verbose) printf("Early stopping after epoch %d (best: epoch %d)\n", epoch + 1,
                                  h.best_epoch + 1);
        }
        if (o.on_epoch && !o.on_epoch(&e, o.user)) break;
        if (h.stopped_early) break;
    }
    if (best_weights && h.stopped_early) copy_params(ps, best_weights, false);
    tg_free(best_weights);
    tg_batcher_free(b);
    tg_batcher_free(vb);
    tg_tensor_free(xt);
    tg_tensor_free(yt);
    tg_tensor_free(xv);
    tg_tensor_free(yv);
    tg_tensor_free(lt);
    tg_tensor_free(lv);
    if (history)
        *history = h;
    else
        tg_history_free(&h);
    return st;
}
