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
#include "dist/dist.h"

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

/* ---- faults named at their source -------------------------------------------------------- */

/* The first NaN or Inf in a batch tensor bt (rows gathered from the caller's array by idx,
 * offset row0 into it): which array, the sample, and for (B, T, F) the step and feature.
 * Padded steps (lb) are skipped. */
static tg_status check_batch(const char *fn, const char *what, const tg_tensor *bt,
                             const int32_t *idx, int row0, const int32_t *lb)
{
    int B = bt->shape[0];
    int64_t per = B ? bt->size / B : 0;
    int T = bt->ndim == 3 ? bt->shape[1] : 1, F = bt->ndim >= 2 ? bt->shape[bt->ndim - 1] : 1;
    for (int b = 0; b < B; b++) {
        const float *r = bt->data + b * per;
        int64_t real = lb && bt->ndim == 3 ? (int64_t)lb[b] * F : per;
        for (int64_t i = 0; i < real; i++) {
            if (isfinite(r[i])) continue;
            int sample = row0 + (idx ? idx[b] : b);
            if (bt->ndim == 3)
                return tg_fail(TG_ERR_NUMERIC, "%s: %s holds %s at sample %d, step %d, feature "
                               "%d", fn, what, isnan(r[i]) ? "NaN" : "Inf", sample,
                               (int)(i / F), (int)(i % F));
            return tg_fail(TG_ERR_NUMERIC, "%s: %s holds %s at sample %d, element %lld", fn,
                           what, isnan(r[i]) ? "NaN" : "Inf", sample, (long long)i);
        }
        (void)T;
    }
    return TG_OK;
}

/* TG_ERR_NUMERIC naming the first parameter with a NaN or Inf. */
static tg_status check_weights(const char *fn, tg_params *ps, int epoch)
{
    for (int i = 0; i < tg_params_count(ps); i++) {
        const tg_tensor *p = tg_params_at(ps, i);
        for (int64_t j = 0; j < p->size; j++)
            if (!isfinite(p->data[j]))
                return tg_fail(TG_ERR_NUMERIC, "%s: after epoch %d the weights of \"%s\" "
                               "are no longer finite (element %lld is %g): training diverged; "
                               "a lower learning rate or clip_norm may help", fn, epoch,
                               p->name ? p->name : "?", (long long)j, (double)p->data[j]);
    }
    return TG_OK;
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

/* Where a pass's batches come from, for messages: the function, the arrays' names, and
 * the index in the caller's x of the pass's first sample. */
typedef struct pass_names {
    const char *fn, *x, *y;
    int row0;
} pass_names;

/* One pass over batcher b (its attached xb, yb, lengths lenb) without dropout or
 * gradients: the mean loss into *loss and/or the predictions into out. */
static tg_status eval_batches(tg_model *m, tg_batcher *b, tg_tensor *xb, tg_tensor *yb,
                              tg_tensor *lenb, pass_names pn, float *loss, tg_tensor *out)
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
        const int32_t *idx = tg_batcher_indices(b);
        st = check_batch(pn.fn, pn.x, xb, idx, pn.row0, lb);
        if (st == TG_OK && yb) st = check_batch(pn.fn, pn.y, yb, idx, pn.row0, lb);
        if (st != TG_OK) continue;
        tg_tensor *pred = tg_model_forward_padded(tp, m, xb, lb, false);
        double wt = 0;
        if (yb) {
            float lv = batch_loss(tp, m, pred, yb, lb, &wt)->data[0];
            if (!isfinite(lv)) {
                st = tg_fail(TG_ERR_NUMERIC, "%s: the loss is %s on the batch of samples %d.."
                             "%d (finite inputs: the model's weights or outputs overflow)",
                             pn.fn, isnan(lv) ? "NaN" : "infinite", pn.row0 + (int)done,
                             pn.row0 + (int)done + xb->shape[0] - 1);
                continue;
            }
            sum += (double)lv * wt;
        }
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
                          const tg_tensor *lengths, int batch_size, float *loss, tg_tensor *out,
                          const char *fn)
{
    tg_batcher *b;
    tg_status st = tg_batcher_new(x->shape[0], batch_size, NULL, &b);
    if (st != TG_OK) return st;
    tg_tensor *xb = tg_batcher_attach(b, x);
    tg_tensor *yb = y ? tg_batcher_attach(b, y) : NULL;
    tg_tensor *lenb = lengths ? tg_batcher_attach(b, lengths) : NULL;
    st = eval_batches(m, b, xb, yb, lenb, (pass_names){fn, "x", "y", 0}, loss, out);
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
    if (st == TG_OK)
        st = run_eval(m, x, y, lt, batch_size > 0 ? batch_size : 32, loss, NULL,
                      "tg_model_evaluate");
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
    st = run_eval(m, x, NULL, lt, batch_size > 0 ? batch_size : 32, NULL, res,
                  "tg_model_predict");
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

/* ---- fit ----------------------------------------------------------------------------------
 * Split into: the parts and batchers (fit_prepare), one epoch (fit_epoch), the loop with
 * early stopping and the best weights (tg_model_fit), and the release (fit_release). */

/* A loss this many times the fit's first batch loss means the fit diverged. */
#define DIVERGED 1e12

typedef struct fit_state {
    int n;                           /* training samples */
    double first_loss;               /* the first batch's loss (-1 before it) */
    tg_tensor *xt, *yt, *xv, *yv;    /* copies made by validation_split, else NULL */
    tg_tensor *lt, *lv;              /* lengths of the training and validation samples */
    const tg_tensor *val_x, *val_y;  /* validation data, or NULL */
    int val_row0;                    /* index in x of the first validation sample */
    tg_batcher *b, *vb;              /* made once: epochs after the first allocate nothing */
    tg_tensor *xb, *yb, *lenb, *vxb, *vyb, *vlenb;
} fit_state;

static void fit_release(fit_state *fs)
{
    tg_batcher_free(fs->b);
    tg_batcher_free(fs->vb);
    tg_tensor_free(fs->xt), tg_tensor_free(fs->yt), tg_tensor_free(fs->xv);
    tg_tensor_free(fs->yv), tg_tensor_free(fs->lt), tg_tensor_free(fs->lv);
}

static tg_status check_opts(const tg_fit_opts *o)
{
    if (o->epochs < 1 || o->batch_size < 1)
        return tg_fail(TG_ERR_ARG, "tg_model_fit: epochs %d and batch_size %d must be >= 1",
                       o->epochs, o->batch_size);
    if (!(o->validation_split >= 0.0 && o->validation_split < 1.0))
        return tg_fail(TG_ERR_ARG, "tg_model_fit: validation_split %g is outside [0, 1)",
                       o->validation_split);
    if (!(o->min_delta >= 0.0) || !(o->clip_norm >= 0.0) || !(o->clip_value >= 0.0))
        return tg_fail(TG_ERR_ARG, "tg_model_fit: min_delta %g, clip_norm %g and clip_value "
                       "%g must be >= 0 (0: off)", o->min_delta, o->clip_norm, o->clip_value);
    if (o->patience < 0)
        return tg_fail(TG_ERR_ARG, "tg_model_fit: patience %d is negative", o->patience);
    if (o->initial_epoch < 0 || o->initial_epoch > o->epochs)
        return tg_fail(TG_ERR_ARG, "tg_model_fit: initial_epoch %d is outside 0..%d (epochs)",
                       o->initial_epoch, o->epochs);
    return TG_OK;
}

/* The training and validation parts (Keras: the last fraction, taken before shuffling),
 * their lengths, and a batcher for each (the training one shuffled from shuffle_seed). */
static tg_status fit_prepare(const tg_tensor *x, const tg_tensor *y, const tg_fit_opts *o,
                             uint64_t shuffle_seed, fit_state *fs)
{
    memset(fs, 0, sizeof *fs);
    fs->first_loss = -1;
    int n = x->shape[0];
    tg_status st = TG_OK;
    fs->val_x = o->val_x, fs->val_y = o->val_y;
    if (o->lengths && o->val_x && !o->val_lengths)
        return tg_fail(TG_ERR_ARG, "tg_model_fit: lengths are given for x but val_x has no "
                       "val_lengths (its padding would count as data)");
    if (fs->val_x || fs->val_y) {
        if ((st = check_xy("tg_model_fit (validation data)", fs->val_x, fs->val_y)) != TG_OK)
            return st;
    } else if (o->validation_split > 0) {
        /* Keras: the first floor(n (1 - split)) samples train, the rest validate */
        int n_val = n - tg_split_train_count(n, 1.0 - o->validation_split);
        if (n_val < 1 || n_val >= n)
            return tg_fail(TG_ERR_ARG, "tg_model_fit: validation_split %g of %d samples "
                           "leaves an empty part", o->validation_split, n);
        n -= n_val;
        fs->xt = rows(x, 0, n), fs->yt = rows(y, 0, n);
        fs->val_x = fs->xv = rows(x, n, n_val), fs->val_y = fs->yv = rows(y, n, n_val);
        fs->val_row0 = n;
    }
    fs->n = n;
    st = lengths_tensor("tg_model_fit", o->lengths, x, 0, n, &fs->lt);
    if (st == TG_OK && fs->val_x)
        st = o->val_x ? lengths_tensor("tg_model_fit (val_lengths)", o->val_lengths, fs->val_x,
                                       0, fs->val_x->shape[0], &fs->lv)
                      : lengths_tensor("tg_model_fit", o->lengths, x, n,
                                       fs->val_x->shape[0], &fs->lv);
    tg_batcher_opts bo = {.shuffle = o->shuffle, .seed = shuffle_seed};
    if (o->distributed) bo.rank = tg_dist_rank(), bo.nranks = tg_dist_size();
    if (st == TG_OK) st = tg_batcher_new(n, o->batch_size, &bo, &fs->b);
    if (st != TG_OK) return st;
    fs->xb = tg_batcher_attach(fs->b, fs->xt ? fs->xt : x);
    fs->yb = tg_batcher_attach(fs->b, fs->yt ? fs->yt : y);
    fs->lenb = fs->lt ? tg_batcher_attach(fs->b, fs->lt) : NULL;
    if (fs->val_x &&
        (st = tg_batcher_new(fs->val_x->shape[0], o->batch_size, NULL, &fs->vb)) == TG_OK) {
        fs->vxb = tg_batcher_attach(fs->vb, fs->val_x);
        fs->vyb = tg_batcher_attach(fs->vb, fs->val_y);
        fs->vlenb = fs->lv ? tg_batcher_attach(fs->vb, fs->lv) : NULL;
    }
    return st;
}

/* Forward of the current batch and its loss (the checks of its data and loss too): the
 * loss into *lv and *loss, its weight into *wt. */
static tg_status forward_loss(tg_model *m, fit_state *fs, int epoch, int batch, float *lv,
                              double *wt, tg_tensor **loss_out)
{
    tg_tape *tp = tg__model_tape(m);
    const int32_t *lb = batch_lengths(tp, fs->lenb), *idx = tg_batcher_indices(fs->b);
    tg_status st = check_batch("tg_model_fit", "x", fs->xb, idx, 0, lb);
    if (st == TG_OK) st = check_batch("tg_model_fit", "y", fs->yb, idx, 0, lb);
    if (st != TG_OK) return st;
    tg_tensor *pred = tg_model_forward_padded(tp, m, fs->xb, lb, true);
    tg_tensor *loss = batch_loss(tp, m, pred, fs->yb, lb, wt);
    *lv = loss->data[0];
    if (isfinite(*lv) && fs->first_loss < 0) fs->first_loss = *lv;
    if (isfinite(*lv) && *lv > DIVERGED * fmax(fs->first_loss, 1e-12))
        return tg_fail(TG_ERR_NUMERIC, "tg_model_fit: the loss grew from %g (first batch) to "
                       "%g at epoch %d, batch %d: training diverged (a lower learning rate or "
                       "clip_norm may help)", fs->first_loss, (double)*lv, epoch + 1,
                       batch + 1);
    if (!isfinite(*lv))
        return tg_fail(TG_ERR_NUMERIC, "tg_model_fit: the loss is %s at epoch %d, batch %d, "
                       "with finite inputs: training diverged (a lower learning rate or "
                       "clip_norm may help)", isnan(*lv) ? "NaN" : "infinite", epoch + 1,
                       batch + 1);
    *loss_out = loss;
    return TG_OK;
}

/* With ranks: whether every rank's step went well (collective). A rank that failed keeps
 * its own message; the others say which rank failed. */
static tg_status dist_agree(tg_status mine)
{
    double any = mine != TG_OK;
    char why[512];
    snprintf(why, sizeof why, "%s", tg_last_error());
    if (tg_dist_average(&any) != TG_OK) return TG_ERR_IO;
    if (any == 0.0) return TG_OK;
    if (mine != TG_OK) return tg_fail(mine, "%s", why);
    return tg_fail(TG_ERR_NUMERIC, "tg_model_fit: another rank failed at this step (its "
                   "message is on its output); every rank stops");
}

/* With ranks, before anything else (collective, also on a rank whose own checks failed):
 * every rank must have been called with the same number of samples and the options that
 * set the steps, or all stop with TG_ERR_ARG instead of waiting for each other at
 * different steps; every rank then shuffles with rank 0's seed, whatever seeds their
 * models were built with. A last batch of fewer rows than ranks is skipped (every rank
 * takes part in every step): said once, as the run then differs from one process's. */
static tg_status dist_same_run(tg_status st, const tg_tensor *x, const tg_fit_opts *o,
                               uint64_t *shuffle_seed)
{
    long long mine[8] = {x && x->ndim > 0 ? x->shape[0] : -1, o->batch_size, o->epochs,
                         o->initial_epoch, llround(o->validation_split * 1e9),
                         o->val_x && o->val_x->ndim > 0 ? o->val_x->shape[0] : -1, o->shuffle,
                         (long long)*shuffle_seed};
    long long first[8];
    memcpy(first, mine, sizeof first);
    if (tg_dist_broadcast_bytes(first, sizeof first) != TG_OK) return TG_ERR_IO;
    bool differs = memcmp(first, mine, 7 * sizeof first[0]) != 0;
    double any = differs; /* whether any rank differs from rank 0, known to every rank */
    if (tg_dist_average(&any) != TG_OK) return TG_ERR_IO;
    if (differs)
        return tg_fail(TG_ERR_ARG, "tg_model_fit: rank %d has %lld samples, batch_size %lld, "
                       "epochs %lld, initial_epoch %lld, validation %lld/1e9 (%lld rows), "
                       "shuffle %lld; rank 0 %lld, %lld, %lld, %lld, %lld (%lld), %lld: every "
                       "rank needs the same data size and options", tg_dist_rank(), mine[0],
                       mine[1], mine[2], mine[3], mine[4], mine[5], mine[6], first[0],
                       first[1], first[2], first[3], first[4], first[5], first[6]);
    if (any > 0.0)
        return tg_fail(TG_ERR_ARG, "tg_model_fit: another rank has a data size or options "
                       "other than rank 0's (its message is on its output); every rank stops");
    if ((st = dist_agree(st)) != TG_OK) return st;
    *shuffle_seed = (uint64_t)first[7];
    return TG_OK;
}

/* One training step on the current batch; its loss into *lv and weight into *wt. */
static tg_status fit_step(tg_model *m, fit_state *fs, const tg_fit_opts *o, int epoch,
                          int batch, float *lv, double *wt)
{
    tg_tape *tp = tg__model_tape(m);
    tg_params *ps = tg_model_params(m);
    tg_tape_reset(tp);
    tg_params_zero_grad(ps);
    if (o->distributed) { /* dropout draws the global batch's masks, keeps this rank's rows */
        int start, total = tg_batcher_slice(fs->b, &start);
        tg_model_batch_slice(m, start, total);
    }
    tg_tensor *loss = NULL;
    tg_status st = forward_loss(m, fs, epoch, batch, lv, wt, &loss);
    tg_model_batch_slice(m, 0, 0);
    if (!o->distributed) {
        if (st == TG_OK) tg_backward(tp, loss);
    } else { /* every rank stops at the same step, or every rank goes on; the averaged
              * gradients leave in buckets while backward runs (dist/dist.h) */
        st = dist_agree(st);
        /* weighted as the loss is: rows, or with lengths the real steps (batch_loss) */
        if (st == TG_OK) st = tg_dist_overlap_begin(ps, tp, *wt);
        if (st == TG_OK) {
            tg_backward(tp, loss);
            st = tg_dist_overlap_end();
        }
    }
    if (st != TG_OK) return st;
    if (o->clip_value > 0) tg_clip_grad_value(ps, o->clip_value);
    if (o->clip_norm > 0 && tg_clip_grad_norm(ps, o->clip_norm, NULL) != TG_OK)
        return tg_fail(TG_ERR_NUMERIC, "tg_model_fit: epoch %d, batch %d: %s", epoch + 1,
                       batch + 1, tg_last_error());
    tg_optim_step(tg_model_optimizer(m));
    return TG_OK;
}

/* One epoch: every training batch, then the validation pass and the weights' check. */
static tg_status fit_epoch(tg_model *m, fit_state *fs, const tg_fit_opts *o, int epoch,
                           tg_epoch_info *e)
{
    bool tty = isatty(fileno(stdout));
    int batches = tg_batcher_batches_per_epoch(fs->b), batch = 0;
    if (o->verbose == 1 && tty) printf("Epoch %d/%d\n", epoch + 1, o->epochs);
    double t0 = now(), sum = 0, seen = 0;
    tg_status st = TG_OK;
    while (tg_batcher_next(fs->b)) {
        if (st != TG_OK) continue; /* finish the pass so the batcher ends its epoch */
        float lv = 0.0f;
        double wt = 0.0;
        if ((st = fit_step(m, fs, o, epoch, batch, &lv, &wt)) != TG_OK) continue;
        sum += (double)lv * wt;
        seen += wt;
        batch++;
        progress(tty, o->verbose, batch, batches, now() - t0, (float)(sum / seen));
    }
    if (o->distributed && st == TG_OK) { /* the loss over every rank's rows */
        if (tg_dist_average(&sum) != TG_OK || tg_dist_average(&seen) != TG_OK) st = TG_ERR_IO;
    }
    *e = (tg_epoch_info){.epoch = epoch, .epochs = o->epochs, .loss = (float)(sum / seen),
                         .val_loss = NAN};
    if (st == TG_OK && fs->vb)
        st = eval_batches(m, fs->vb, fs->vxb, fs->vyb, fs->vlenb,
                          (pass_names){"tg_model_fit", "validation x", "validation y",
                                       fs->val_x == fs->xv ? fs->val_row0 : 0},
                          &e->val_loss, NULL);
    if (st == TG_OK) st = check_weights("tg_model_fit", tg_model_params(m), epoch + 1);
    e->seconds = now() - t0;
    if (st == TG_OK) epoch_line(tty, o->verbose, e, batches);
    return st;
}

/* Early stopping's state, which the backup holds too (doubles: checkpoint values). */
typedef struct fit_track {
    double best, since_best, have_best; /* best monitored loss; epochs since; 1 once written */
    tg_tensor *best_w;                  /* (numel) the best epoch's weights (restore_best) */
} fit_track;

/* The backup: a checkpoint of the model, the optimizer, the dropout stream, the plateau,
 * the tracking and the history, with `epoch` epochs done. */
static tg_checkpoint backup_of(tg_model *m, const tg_fit_opts *o, fit_track *tr, tg_history *h,
                               int64_t epoch, tg_rng **rng, double **vals, tg_tensor **ts)
{
    static const char *const rng_names[1] = {"dropout"};
    static const char *const val_names[3] = {"fit.best", "fit.since_best", "fit.have_best"};
    static const char *const t_names[1] = {"fit.best_weights"};
    rng[0] = tg_model_dropout_rng(m);
    vals[0] = &tr->best, vals[1] = &tr->since_best, vals[2] = &tr->have_best;
    ts[0] = tr->best_w;
    return (tg_checkpoint){.params = tg_model_params(m), .optim = tg_model_optimizer(m),
                           .plateau = o->plateau, .epoch = epoch, .n_rngs = 1,
                           .rng_names = rng_names, .rngs = rng, .n_values = 3,
                           .value_names = val_names, .values = vals,
                           .n_tensors = tr->best_w ? 1 : 0, .tensor_names = t_names,
                           .tensors = ts, .history = h};
}

/* A backup that exists is resumed from: *first becomes its epoch and h its history (grown
 * back to `epochs` entries). */
static tg_status resume(tg_model *m, const tg_fit_opts *o, fit_track *tr, tg_history *h,
                        int *first)
{
    if (!o->backup_path || access(o->backup_path, F_OK) != 0) return TG_OK;
    tg_rng *rng[1];
    double *vals[3];
    tg_tensor *ts[1];
    tg_checkpoint ck = backup_of(m, o, tr, h, 0, rng, vals, ts);
    tg_status st = tg_checkpoint_load(o->backup_path, &ck);
    if (st != TG_OK)
        return tg_fail(st, "tg_model_fit: cannot resume from the backup: %s (remove it to "
                       "start over)", tg_last_error());
    if (ck.epoch < 0 || ck.epoch > o->epochs || h->epochs != ck.epoch)
        return tg_fail(TG_ERR_FORMAT, "tg_model_fit: the backup %s is at epoch %lld of a fit "
                       "of %d epochs", o->backup_path, (long long)ck.epoch, o->epochs);
    *first = (int)ck.epoch;
    tg_history g = {.epochs = h->epochs, .best_epoch = h->best_epoch,
                    .stopped_early = h->stopped_early};
    g.loss = tg_malloc(sizeof(float) * (size_t)o->epochs);
    g.val_loss = tg_malloc(sizeof(float) * (size_t)o->epochs);
    g.seconds = tg_malloc(sizeof(double) * (size_t)o->epochs);
    for (int e = 0; e < o->epochs; e++) g.loss[e] = g.val_loss[e] = NAN, g.seconds[e] = 0;
    memcpy(g.loss, h->loss, sizeof(float) * (size_t)h->epochs);
    memcpy(g.val_loss, h->val_loss, sizeof(float) * (size_t)h->epochs);
    memcpy(g.seconds, h->seconds, sizeof(double) * (size_t)h->epochs);
    tg_history_free(h);
    *h = g;
    if (o->verbose) printf("Resuming from %s after epoch %d\n", o->backup_path, *first);
    return TG_OK;
}

/* After an epoch: early stopping's bookkeeping and the plateau schedule. */
static void track(tg_model *m, const tg_fit_opts *o, fit_track *tr, tg_history *h,
                  float monitored, int epoch)
{
    if (isfinite(monitored) && monitored < tr->best - (float)o->min_delta) {
        tr->best = monitored, h->best_epoch = epoch, tr->since_best = 0;
        if (tr->best_w) copy_params(tg_model_params(m), tr->best_w->data, true), tr->have_best = 1;
    } else if (o->patience > 0 && ++tr->since_best >= o->patience) {
        h->stopped_early = true;
        if (o->verbose) printf("Early stopping after epoch %d (best: epoch %d)\n", epoch + 1,
                               h->best_epoch + 1);
    }
    if (o->plateau && isfinite(monitored))
        tg_optim_set_lr(tg_model_optimizer(m), tg_plateau_step(o->plateau, monitored));
}

tg_status tg_model_fit(tg_model *m, const tg_tensor *x, const tg_tensor *y,
                       const tg_fit_opts *opts, tg_history *history)
{
    tg_fit_opts o = opts ? *opts : tg_fit_defaults();
    if (history) memset(history, 0, sizeof *history);
    bool lead = !o.distributed || tg_dist_rank() == 0; /* prints and writes the backup */
    if (!lead) o.verbose = 0;
    if (!tg_model_optimizer(m)) return tg_fail(TG_ERR_ARG, "tg_model_fit: compile the model first");
    tg_status st = check_xy("tg_model_fit", x, y);
    if (st == TG_OK) st = check_opts(&o);
    uint64_t shuffle_seed = o.seed ? o.seed : tg__model_seed(m);
    if (o.distributed) st = dist_same_run(st, x, &o, &shuffle_seed);
    if (st != TG_OK) return st;
    fit_state fs;
    st = fit_prepare(x, y, &o, shuffle_seed, &fs);
    int ranks = o.distributed ? tg_dist_size() : 1, rest = fs.n % o.batch_size;
    if (st == TG_OK && lead && rest > 0 && rest < ranks) /* see dist_same_run */
        tg_warn(TG_NOWHERE, "tg_model_fit", "the last batch of every epoch has %d row%s, "
                "fewer than the %d ranks: it is skipped, so this run differs from one "
                "process's (a batch_size that leaves 0 or at least %d rows avoids it)", rest,
                rest == 1 ? "" : "s", ranks, ranks);
    tg_params *ps = tg_model_params(m);
    fit_track tr = {.best = INFINITY};
    if (o.restore_best) tr.best_w = tg_tensor_new(1, (int[]){(int)tg_params_numel(ps)});
    tg_history h = {0};
    h.loss = tg_malloc(sizeof(float) * (size_t)o.epochs);
    h.val_loss = tg_malloc(sizeof(float) * (size_t)o.epochs);
    h.seconds = tg_malloc(sizeof(double) * (size_t)o.epochs);
    for (int e = 0; e < o.epochs; e++) h.loss[e] = h.val_loss[e] = NAN, h.seconds[e] = 0;
    int first = o.initial_epoch;
    if (st == TG_OK) st = resume(m, &o, &tr, &h, &first);
    if (o.distributed) { /* every rank starts from rank 0's weights, or none starts */
        st = dist_agree(st);
        if (st == TG_OK) st = tg_dist_broadcast_params(ps);
        if (st == TG_OK) st = tg_dist_broadcast_bytes(tg_model_dropout_rng(m), sizeof(tg_rng));
    }
    if (st == TG_OK) tg_batcher_set_epoch(fs.b, first);
    bool stopped_by_user = false;
    for (int epoch = first; st == TG_OK && epoch < o.epochs; epoch++) {
        tg_epoch_info e;
        if ((st = fit_epoch(m, &fs, &o, epoch, &e)) != TG_OK) {
            if (o.verbose) printf("\n%s\n", tg_last_error());
            break;
        }
        h.loss[epoch] = e.loss, h.val_loss[epoch] = e.val_loss, h.seconds[epoch] = e.seconds;
        h.epochs = epoch + 1;
        track(m, &o, &tr, &h, fs.val_x ? e.val_loss : e.loss, epoch);
        stopped_by_user = o.on_epoch && !o.on_epoch(&e, o.user);
        if (o.distributed && o.on_epoch) { /* one rank's stop stops every rank */
            double any = stopped_by_user;
            if (tg_dist_average(&any) != TG_OK) st = TG_ERR_IO;
            stopped_by_user = any > 0.0;
        }
        if (o.backup_path && lead) {
            tg_rng *rng[1];
            double *vals[3];
            tg_tensor *ts[1];
            tg_checkpoint ck = backup_of(m, &o, &tr, &h, epoch + 1, rng, vals, ts);
            st = tg_checkpoint_save(o.backup_path, &ck);
        }
        if (o.distributed && o.backup_path) st = dist_agree(st);
        if (stopped_by_user || h.stopped_early) break;
    }
    if (tr.have_best) copy_params(ps, tr.best_w->data, false); /* Keras 3: however it ended */
    if (st == TG_OK && o.backup_path && !stopped_by_user && lead) remove(o.backup_path);
    tg_tensor_free(tr.best_w);
    fit_release(&fs);
    if (history)
        *history = h;
    else
        tg_history_free(&h);
    return st;
}
