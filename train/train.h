/* train/train.h — training helpers on top of the low-level API: saving and loading
 * parameters as safetensors, a sequential model container, and fit / evaluate / predict
 * with a History, progress output and early stopping.
 *
 * Everything here is built from the public modules (tensor, autograd, layers, optim,
 * data); a program may use the low-level API directly and never touch this header.
 * What this is not: a graph compiler, a distributed trainer or a callback zoo.
 */
#ifndef TG_TRAIN_H
#define TG_TRAIN_H

#include <stdio.h>

#include "autograd/autograd.h"
#include "layers/layers.h"
#include "optim/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- safetensors -----------------------------------------------------------------------
 * The format PyTorch's `safetensors` package reads: names are the store's names (PyTorch
 * state_dict keys), dtype F32, little-endian. Writes are atomic (temp file, fsync,
 * rename); a failed save keeps the previous file. Loads validate the whole file (header,
 * sizes, bounds, overlaps, tapegrad's CRC-32 when present) before copying anything. */

/* Saves n named tensors. */
tg_status tg_safetensors_save(const char *path, int n, const char *const *names,
                              const tg_tensor *const *tensors);
/* Every parameter of the store under its name. TG_ERR_NUMERIC (nothing written) when a
 * parameter holds NaN or Inf: diverged weights never replace a good file. */
tg_status tg_params_save(const tg_params *ps, const char *path);

/* Strict load into an existing store: the file must hold exactly the store's names with the
 * same shapes; on any error nothing in the store changes. */
tg_status tg_params_load(tg_params *ps, const char *path);

/* Loads every tensor of a file as new heap tensors (free with tg_named_tensors_free). */
typedef struct tg_named_tensors {
    int n;
    char **names;
    tg_tensor **tensors;
} tg_named_tensors;
tg_status tg_safetensors_load(const char *path, tg_named_tensors *out);
void tg_named_tensors_free(tg_named_tensors *nt);

/* ---- checkpoints ---------------------------------------------------------------------------
 * Everything a training program needs to continue exactly where it stopped, in one
 * safetensors file written atomically: the parameters, the optimizer's state (buffers by
 * PyTorch's names, per-parameter step counts, lr), a ReduceLROnPlateau schedule, random
 * streams, fitted scalers, the program's counters, numbers and tensors, and a history.
 * Resuming from it gives the same bits as not stopping (tests/test_train.c checks 5 + 5
 * epochs against 10). Fill in what you have; NULL pointers and zero counts are skipped:
 *
 *     tg_checkpoint ck = {.params = ps, .optim = opt, .epoch = epoch + 1,
 *                         .n_rngs = 1, .rng_names = (const char *[]){"dropout"},
 *                         .rngs = (tg_rng *[]){&drop_rng}};
 *     tg_checkpoint_save("run.ckpt", &ck);          // after each epoch
 *     ... a new process builds the same objects, then:
 *     if (tg_checkpoint_load("run.ckpt", &ck) == TG_OK) first_epoch = (int)ck.epoch;
 *
 * Loading checks every part against the objects it fills (names, shapes, the optimizer's
 * type) before it writes anything: TG_ERR_FORMAT (or TG_ERR_IO) with a message, and nothing
 * changed. The file also loads as plain safetensors (its parameters keep their names). */
typedef struct tg_scaler tg_scaler;
typedef struct tg_history tg_history;

typedef struct tg_checkpoint {
    tg_params *params;                /* required */
    tg_optim *optim;                  /* or NULL */
    tg_plateau *plateau;              /* or NULL */
    int64_t epoch, step;              /* the program's counters (save writes, load reads) */
    int n_rngs;                       /* named random streams (dropout, shuffling, ...) */
    const char *const *rng_names;
    tg_rng *const *rngs;
    int n_scalers;                    /* named fitted scalers */
    const char *const *scaler_names;
    tg_scaler *const *scalers;
    int n_values;                     /* named numbers of the program's own */
    const char *const *value_names;
    double *const *values;
    int n_tensors;                    /* named tensors of the program's own (their shapes
                                         must match at load) */
    const char *const *tensor_names;
    tg_tensor *const *tensors;
    tg_history *history;              /* or NULL; load replaces its arrays */
} tg_checkpoint;

tg_status tg_checkpoint_save(const char *path, const tg_checkpoint *c);
tg_status tg_checkpoint_load(const char *path, tg_checkpoint *c);

/* A fitted scaler alone (scikit-learn users dump theirs with joblib): the same file format,
 * exact to the bit. load replaces s's fit (an unfitted or fitted scaler); on an error s is
 * unchanged. */
tg_status tg_scaler_save(const tg_scaler *s, const char *path);
tg_status tg_scaler_load(tg_scaler *s, const char *path);

/* ---- a sequential model ------------------------------------------------------------------
 * Layers in order, Keras style, each named like Keras' defaults ("gru", "gru_1",
 * "dense", ...) so its parameters are "gru.weight_ih_l0", "dense.weight", ... The seed
 * study's model:
 *
 *     tg_model *m = tg_model_new(42);                 // seed for init, dropout, shuffling
 *     tg_model_input(m, 60, 1);                       // per sample: 60 steps of 1 feature
 *     tg_model_rnn(m, &tg_cell_gru, 50, true);        // returns sequences
 *     tg_model_dropout(m, 0.2f);
 *     tg_model_rnn(m, &tg_cell_gru, 100, false);      // last step only
 *     tg_model_dropout(m, 0.2f);
 *     tg_model_dense(m, 1, TG_ACT_NONE);
 *     tg_model_compile(m, TG_LOSS_MSE, tg_optim_rmsprop_keras(tg_model_params(m), NULL));
 *     tg_history h;
 *     tg_status st = tg_model_fit(m, x_train, y_train, NULL, &h);   // defaults: see below
 *
 * Each layer's input size comes from the layer before it. The model owns its parameters,
 * its tape and (after compile) the optimizer. */

typedef enum tg_loss_kind { TG_LOSS_MSE, TG_LOSS_MAE, TG_LOSS_HUBER } tg_loss_kind;

typedef struct tg_model tg_model;

tg_model *tg_model_new(uint64_t seed);
void tg_model_free(tg_model *m);
tg_params *tg_model_params(tg_model *m);
/* The random stream of the model's dropout (for a checkpoint of your own). */
tg_rng *tg_model_dropout_rng(tg_model *m);
/* Initializers for the layers added after this call: TG_INIT_TORCH (the default) or
 * TG_INIT_KERAS (Glorot uniform kernels, orthogonal recurrent kernels, zero biases, and
 * an LSTM forget-gate bias of 1, as Keras' defaults). */
void tg_model_set_init(tg_model *m, tg_rnn_init init);

/* The shape of one sample: (timesteps, features), or timesteps = 0 for plain vectors. */
#define tg_model_input(...) tg_model_input_at(__VA_ARGS__, TG_HERE)
void tg_model_input_at(tg_model *m, int timesteps, int features, tg_loc loc);
/* A recurrent layer (batch-first). return_sequences as Keras. */
void tg_model_rnn(tg_model *m, const tg_cell_type *cell, int units, bool return_sequences);
/* The same with every runner option (layers, bidirectional, ...). */
#define tg_model_rnn_opts(...) tg_model_rnn_opts_at(__VA_ARGS__, TG_HERE)
void tg_model_rnn_opts_at(tg_model *m, const tg_cell_type *cell, int units,
                          const tg_rnn_opts *o, tg_loc loc);
#define tg_model_dropout(...) tg_model_dropout_at(__VA_ARGS__, TG_HERE)
void tg_model_dropout_at(tg_model *m, float p, tg_loc loc);
/* A linear layer on the last axis, then the activation. */
#define tg_model_dense(...) tg_model_dense_at(__VA_ARGS__, TG_HERE)
void tg_model_dense_at(tg_model *m, int units, tg_activation act, tg_loc loc);
/* The loss and the optimizer (built on tg_model_params(m)); the model frees the optimizer. */
#define tg_model_compile(...) tg_model_compile_at(__VA_ARGS__, TG_HERE)
void tg_model_compile_at(tg_model *m, tg_loss_kind loss, tg_optim *opt, tg_loc loc);
tg_optim *tg_model_optimizer(tg_model *m);

/* Prints one line per layer (name, output shape, parameters) and the total, like Keras'
 * summary(). */
void tg_model_summary(const tg_model *m, FILE *f);
int64_t tg_model_param_count(const tg_model *m);

/* The forward pass on a tape: x (B, T, F) or (B, F) -> (B, ...). training turns dropout on. */
#define tg_model_forward(...) tg_model_forward_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_model_forward_at(tg_tape *t, tg_model *m, tg_tensor *x, bool training,
                               tg_loc loc);
/* The same for sequences padded to T with lengths[b] real steps each (NULL: all T): x's
 * padded steps are zeroed first (so their values, NaN included, reach no layer and no
 * gradient), and every recurrent layer runs as tg_rnn_forward_padded, whose outputs past
 * a length are 0; a Dense layer after it maps those zeros to its bias (fit and evaluate
 * leave such steps out of the loss). */
#define tg_model_forward_padded(...) tg_model_forward_padded_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_model_forward_padded_at(tg_tape *t, tg_model *m, tg_tensor *x,
                                      const int32_t *lengths, bool training, tg_loc loc);

/* Data parallelism (dist/) in a program's own loop: the batches given to the forward
 * calls from now on are rows [start, start + B) of global batches of `total` rows, as a
 * rank's batcher gives them (tg_batcher_slice); 0, 0 (the default) means whole batches.
 * Dropout layers, and the dropout between stacked recurrent layers, then drop exactly the
 * elements one process holding the global batch would (tg_dropout_slice), so N ranks
 * train as one process does up to float rounding. tg_model_fit with `distributed` sets
 * this itself at every step. Contract: 0 <= start < total, or both 0. */
#define tg_model_batch_slice(...) tg_model_batch_slice_at(__VA_ARGS__, TG_HERE)
void tg_model_batch_slice_at(tg_model *m, int start, int total, tg_loc loc);

/* ---- fit, evaluate, predict ------------------------------------------------------------- */

typedef struct tg_epoch_info {
    int epoch, epochs;     /* 0-based epoch, total */
    float loss, val_loss;  /* val_loss NaN without validation data */
    double seconds;        /* this epoch's wall time */
} tg_epoch_info;

typedef struct tg_fit_opts {
    int epochs;               /* 1 */
    int batch_size;           /* 32 */
    double validation_split;  /* 0: the last fraction of x/y (before shuffling), as Keras */
    const tg_tensor *val_x;   /* or explicit validation data (takes precedence) */
    const tg_tensor *val_y;
    bool shuffle;             /* reshuffle the training samples every epoch (true) */
    uint64_t seed;            /* for shuffling (0: the model's seed) */
    int verbose;              /* 0 silent, 1 progress bar on a terminal, one line per
                                 epoch otherwise (default), 2 one line per epoch always */
    int patience;             /* early stopping: epochs without improvement of val_loss (or
                                 loss without validation) before stopping; 0 = off */
    double min_delta;         /* an improvement must exceed this (0; >= 0) */
    bool restore_best;        /* end with the best epoch's weights, whatever ended the fit
                                 (Keras 3's restore_best_weights); kept when no epoch had a
                                 finite monitored loss */
    double clip_norm;         /* > 0: tg_clip_grad_norm before every step (0: off) */
    double clip_value;        /* > 0: tg_clip_grad_value before every step (0: off) */
    /* Called after every epoch; return false to stop training. */
    bool (*on_epoch)(const tg_epoch_info *e, void *user);
    void *user;
    /* Variable-length sequences: x's samples are padded to T and sample i has lengths[i]
     * real steps (1..T); NULL: all T. val_lengths goes with val_x (a validation_split
     * takes its part of lengths). With a model that returns sequences (y (N, T, F)), steps
     * past a length count in neither the loss nor its mean (Keras' masking). */
    const int32_t *lengths;
    const int32_t *val_lengths;
    /* Resuming. initial_epoch: the epoch to start at (0), as Keras' fit(initial_epoch=):
     * epochs before it are skipped, the shuffles and epoch numbers continue from it; use it
     * after tg_checkpoint_load of a checkpoint of your own. backup_path: Keras'
     * BackupAndRestore: after every epoch fit writes a checkpoint there (weights, optimizer,
     * dropout stream, plateau, early-stopping state and best weights, history); when the
     * file exists as fit starts, fit resumes from it (the model must be built the same
     * way); the file is removed when the epochs are done or early stopping ends the fit,
     * and kept when on_epoch stops it or an error does. */
    int initial_epoch;
    const char *backup_path;
    /* ReduceLROnPlateau on the monitored loss (val_loss, else loss), stepped after every
     * epoch and setting the optimizer's lr; NULL: none. */
    tg_plateau *plateau;
    /* Data parallelism over the MPI ranks (dist/dist.h; call tg_dist_init first): every
     * rank calls fit with the same data and options (another sample count, batch_size,
     * epochs, initial_epoch, validation or shuffle on one rank: TG_ERR_ARG on every rank
     * before the first step); rank 0's weights, shuffle seed and dropout stream go to every
     * rank first, each rank trains on its slice of every global batch of batch_size rows
     * (the same shuffle everywhere) with the global batch's dropout masks
     * (tg_model_batch_slice), and the gradients are averaged, weighted by rows, while
     * backward runs (tg_dist_overlap_begin/end) and before clipping and the optimizer step,
     * so the ranks stay identical and the run equals one process with the same global
     * batch up to float rounding. Except: a last batch with fewer rows than ranks is
     * skipped (a warning says so), and stochastic cells draw per rank. Losses are summed
     * over the ranks; every rank validates on the whole validation set (identical
     * results); progress is printed and the backup written by rank 0 only (resuming reads
     * it on every rank: a shared file system across machines). A data or numeric error on
     * one rank stops every rank at the same step, and so does on_epoch returning false
     * on one rank. Without MPI, or with one rank, it changes nothing. */
    bool distributed;
} tg_fit_opts;
tg_fit_opts tg_fit_defaults(void);

typedef struct tg_history {
    int epochs;         /* epochs run */
    float *loss;        /* [epochs] mean training loss per epoch */
    float *val_loss;    /* [epochs] validation loss (NaN without validation) */
    double *seconds;    /* [epochs] wall time per epoch */
    int best_epoch;     /* epoch with the lowest monitored loss */
    bool stopped_early;
} tg_history;
void tg_history_free(tg_history *h);

/* Trains on x (N, ...) against y (N, ...). history may be NULL. Errors:
 *   TG_ERR_ARG     sizes that do not fit, options out of range (epochs, batch_size,
 *                  validation_split, min_delta, clip_norm, clip_value, lengths).
 *   TG_ERR_NUMERIC a NaN or Inf in a batch's x or y (named: which array, sample index in x,
 *                  step and feature), checked before the batch trains; a non-finite loss
 *                  or gradient norm (epoch and batch named); divergence: a loss more than
 *                  1e12 times the fit's first batch loss; weights that stopped being
 *                  finite (checked after every epoch; the parameter named). The history
 *                  holds the epochs completed.
 * TG_OK means every epoch ran (or stopped early) and every weight is finite. */
tg_status tg_model_fit(tg_model *m, const tg_tensor *x, const tg_tensor *y,
                       const tg_fit_opts *opts, tg_history *history);
/* Mean loss over x/y in evaluation mode (no dropout, no gradients). TG_ERR_NUMERIC for a
 * NaN or Inf in x or y (named as in fit) or a non-finite loss. */
tg_status tg_model_evaluate(tg_model *m, const tg_tensor *x, const tg_tensor *y,
                            int batch_size, float *loss);
/* Outputs for x in evaluation mode, as a new heap tensor (N, ...) in *out. */
tg_status tg_model_predict(tg_model *m, const tg_tensor *x, int batch_size, tg_tensor **out);
/* evaluate and predict for padded sequences with lengths[N] (see tg_fit_opts.lengths). */
tg_status tg_model_evaluate_padded(tg_model *m, const tg_tensor *x, const tg_tensor *y,
                                   const int32_t *lengths, int batch_size, float *loss);
tg_status tg_model_predict_padded(tg_model *m, const tg_tensor *x, const int32_t *lengths,
                                  int batch_size, tg_tensor **out);

#ifdef __cplusplus
}
#endif
#endif /* TG_TRAIN_H */
