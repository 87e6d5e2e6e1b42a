/* layers/layers.h — layers built from autograd ops: linear, dropout, embedding, losses, and
 * recurrent layers (RNN, LSTM, GRU, and your own cells) unrolled by one sequence runner.
 *
 *     tg_params *ps = tg_params_new();
 *     tg_rng rng;  tg_rng_seed(&rng, 42, 0);
 *     tg_rnn_opts o = tg_rnn_defaults();             // batch-first, 1 layer, PyTorch init
 *     o.return_sequences = false;                     // only the last step's output
 *     tg_rnn *gru = tg_rnn_new(ps, "gru", &tg_cell_gru, 1, 50, &o, &rng);
 *     tg_linear_layer fc = tg_linear_layer_new(ps, "fc", 50, 1, true, &rng);
 *     ...per step:
 *     tg_tensor *h = tg_rnn_forward(tp, gru, x, NULL, NULL);        // x (B, T, 1) -> (B, 50)
 *     tg_tensor *loss = tg_mse_loss(tp, tg_linear_layer_forward(tp, &fc, h), y, TG_MEAN);
 *
 * A cell is a step function written with ops (no backward code): LSTM, GRU and the Elman
 * RNN below are defined exactly as a user's cell is, and all go through tg_rnn_forward.
 * Names, layouts and equations follow PyTorch (state_dict keys such as
 * "gru.weight_ih_l0", "gru.bias_hh_l1_reverse").
 *
 * What this is not: a model container or training loop (a later module), or a fused
 * kernel library: speed comes from how the runner composes ops.
 */
#ifndef TG_LAYERS_H
#define TG_LAYERS_H

#include "autograd/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- linear ---------------------------------------------------------------------------
 * y = x W^T + b, W (out, in), b (out). PyTorch init: W and b ~ U(-1/sqrt(in), 1/sqrt(in)).
 * Parameters "<prefix>.weight" and "<prefix>.bias" in the store. */
typedef struct tg_linear_layer {
    tg_tensor *weight; /* (out, in) */
    tg_tensor *bias;   /* (out) or NULL */
} tg_linear_layer;

#define tg_linear_layer_new(...) tg_linear_layer_new_at(__VA_ARGS__, TG_HERE)
tg_linear_layer tg_linear_layer_new_at(tg_params *ps, const char *prefix, int in, int out,
                                       bool bias, tg_rng *rng, tg_loc loc);
#define tg_linear_layer_forward(...) tg_linear_layer_forward_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_linear_layer_forward_at(tg_tape *t, const tg_linear_layer *l, tg_tensor *x,
                                      tg_loc loc);

/* ---- layer norm -------------------------------------------------------------------------
 * PyTorch's nn.LayerNorm(n, elementwise_affine = affine, bias = bias) over the last axis:
 * "<prefix>.weight" (n) starts at 1 and "<prefix>.bias" (n) at 0 (NULL without affine, or
 * bias without bias); eps is 1e-5 (PyTorch's; Keras' LayerNormalization uses 1e-3: set
 * .eps after making the layer). Forward is tg_layer_norm (autograd/autograd.h). */
typedef struct tg_layer_norm_layer {
    tg_tensor *weight; /* (n) gain, or NULL */
    tg_tensor *bias;   /* (n) or NULL */
    float eps;         /* 1e-5 */
} tg_layer_norm_layer;

#define tg_layer_norm_layer_new(...) tg_layer_norm_layer_new_at(__VA_ARGS__, TG_HERE)
tg_layer_norm_layer tg_layer_norm_layer_new_at(tg_params *ps, const char *prefix, int n,
                                               bool affine, bool bias, tg_loc loc);
#define tg_layer_norm_layer_forward(...) tg_layer_norm_layer_forward_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_layer_norm_layer_forward_at(tg_tape *t, const tg_layer_norm_layer *l,
                                          tg_tensor *x, tg_loc loc);

/* ---- dropout --------------------------------------------------------------------------
 * Inverted dropout: in training each element is zeroed with probability p and the rest are
 * scaled by 1/(1-p), so evaluation is the identity (training == false returns x itself).
 * The mask comes from `rng`, so a seeded run is reproducible. p in [0, 1). */
#define tg_dropout(...) tg_dropout_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_dropout_at(tg_tape *t, tg_tensor *x, float p, bool training, tg_rng *rng,
                         tg_loc loc);
/* Dropout of a slice: x holds entries [start, start + x->shape[dim]) along `dim` of a
 * larger tensor that has `total` along dim (and x's other sizes). x gets exactly the mask
 * that tg_dropout would draw for the whole tensor, restricted to x's part, and rng ends
 * where that draw would leave it (tg_rng_advance skips the other parts). How the ranks of
 * a data-parallel run (dist/) that each hold rows of one global batch drop the same
 * elements as one process holding it all. start = 0 and total = x->shape[dim] is
 * tg_dropout, and so is start = total = 0 (no slice: what tg_model_batch_slice and
 * tg_rnn_batch_slice hold for whole batches). Contract: dim < x->ndim, 0 <= start,
 * start + x->shape[dim] <= total (unless both are 0). */
#define tg_dropout_slice(...) tg_dropout_slice_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_dropout_slice_at(tg_tape *t, tg_tensor *x, float p, bool training, tg_rng *rng,
                               int dim, int start, int total, tg_loc loc);

/* ---- embedding --------------------------------------------------------------------------
 * A (num, dim) table "<prefix>.weight", initialized N(0, 1) like PyTorch. Forward picks
 * rows: idx of n entries -> (n, dim). */
typedef struct tg_embedding {
    tg_tensor *weight; /* (num, dim) */
} tg_embedding;

#define tg_embedding_new(...) tg_embedding_new_at(__VA_ARGS__, TG_HERE)
tg_embedding tg_embedding_new_at(tg_params *ps, const char *prefix, int num, int dim,
                                 tg_rng *rng, tg_loc loc);
#define tg_embedding_forward(...) tg_embedding_forward_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_embedding_forward_at(tg_tape *t, const tg_embedding *e, const int32_t *idx,
                                   int n, tg_loc loc);

/* ---- losses ----------------------------------------------------------------------------
 * Built from ops, so they differentiate like anything else. Reduction over all elements
 * (TG_MEAN, as PyTorch's default) or their sum. pred and target have the same shape. */
typedef enum tg_reduction { TG_MEAN, TG_SUM } tg_reduction;

#define tg_mse_loss(...) tg_mse_loss_at(__VA_ARGS__, TG_HERE)
#define tg_l1_loss(...) tg_l1_loss_at(__VA_ARGS__, TG_HERE)
#define tg_huber_loss(...) tg_huber_loss_at(__VA_ARGS__, TG_HERE)
#define tg_smooth_l1_loss(...) tg_smooth_l1_loss_at(__VA_ARGS__, TG_HERE)
#define tg_cross_entropy_loss(...) tg_cross_entropy_loss_at(__VA_ARGS__, TG_HERE)
#define tg_bce_with_logits_loss(...) tg_bce_with_logits_loss_at(__VA_ARGS__, TG_HERE)
/* (pred - target)^2 */
tg_tensor *tg_mse_loss_at(tg_tape *t, tg_tensor *pred, tg_tensor *target, tg_reduction r,
                          tg_loc loc);
/* |pred - target| (MAE) */
tg_tensor *tg_l1_loss_at(tg_tape *t, tg_tensor *pred, tg_tensor *target, tg_reduction r,
                         tg_loc loc);
/* PyTorch HuberLoss(delta): 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta). */
tg_tensor *tg_huber_loss_at(tg_tape *t, tg_tensor *pred, tg_tensor *target, float delta,
                            tg_reduction r, tg_loc loc);
/* PyTorch SmoothL1Loss(beta) = HuberLoss(beta) / beta. */
tg_tensor *tg_smooth_l1_loss_at(tg_tape *t, tg_tensor *pred, tg_tensor *target, float beta,
                                tg_reduction r, tg_loc loc);
/* logits (N, C), classes[N] in 0..C-1: -log softmax(logits)[n, classes[n]]. A row whose
 * class is TG_IGNORE_INDEX (-100, PyTorch's ignore_index) is skipped, and TG_MEAN averages
 * over the rest (padded positions of a sequence); all rows skipped: 0 with no gradient. */
enum { TG_IGNORE_INDEX = -100 };
tg_tensor *tg_cross_entropy_loss_at(tg_tape *t, tg_tensor *logits, const int32_t *classes,
                                    tg_reduction r, tg_loc loc);
/* (pred - target)^2 where mask is nonzero (Keras' masking; PyTorch: loss * mask summed and
 * divided by the selected count). mask has pred's shape, or pred's with the last axis 1 (one
 * flag per row, e.g. tg_length_mask's (B, T, 1) for outputs (B, T, F)). TG_MEAN divides by
 * the number of selected elements; none selected: 0. Values outside the mask, NaN included,
 * reach neither the loss nor a gradient. */
#define tg_mse_loss_masked(...) tg_mse_loss_masked_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_mse_loss_masked_at(tg_tape *t, tg_tensor *pred, tg_tensor *target,
                                 tg_tensor *mask, tg_reduction r, tg_loc loc);
/* (B, T, 1) on the tape: 1 where step k < lengths[b], else 0 (for tg_mse_loss_masked).
 * lengths in 1..T (a contract); NULL means all T. */
#define tg_length_mask(...) tg_length_mask_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_length_mask_at(tg_tape *t, const int32_t *lengths, int B, int T, tg_loc loc);
/* Binary cross-entropy on logits x with targets y in [0, 1], in the stable form
 * max(x, 0) - x y + log(1 + exp(-|x|)). */
tg_tensor *tg_bce_with_logits_loss_at(tg_tape *t, tg_tensor *logits, tg_tensor *target,
                                      tg_reduction r, tg_loc loc);

/* ---- recurrent cells -------------------------------------------------------------------
 * A cell type says how many gate blocks its input weights have, how many state tensors it
 * carries and which parameters of its own it needs, and gives a step function. The runner
 * owns every weight. The four of every cell, in PyTorch layout:
 *   weight_ih (G*H, I), weight_hh (G*H, H), bias_ih (G*H), bias_hh (G*H)
 * and the cell's own (params below: peephole weights, layer-norm gains, ...). The runner
 * hands the step the input projection of this time step, already computed for all steps
 * in one GEMM:  xw = x_t weight_ih^T + bias_ih   (B, G*H),
 * and the step returns the new state; state[0] is always h, the output of the step. */
enum { TG_CELL_MAX_PARAMS = 8 };

typedef struct tg_cell_weights {
    tg_tensor *weight_ih; /* (G*H, I) */
    tg_tensor *weight_hh; /* (G*H, H) */
    tg_tensor *bias_ih;   /* (G*H) or NULL when the layer has no bias */
    tg_tensor *bias_hh;   /* (G*H) or NULL */
    /* The cell's own parameters, in the order of tg_cell_type.params (NULL past them). */
    tg_tensor *param[TG_CELL_MAX_PARAMS];
    int hidden; /* H */
    int input;  /* I of this layer: the input size for layer 0, D*H above it */
} tg_cell_weights;

/* What a step sees besides its input projection and state. */
typedef struct tg_cell_ctx {
    const tg_cell_weights *w; /* this layer and direction's weights */
    bool training;            /* tg_rnn_train's flag (false until it is called) */
    /* A random stream for stochastic cells (zoneout, recurrent dropout), when the cell type
     * sets uses_rng and the layer is training; else NULL. It is seeded per forward call from
     * tg_rnn_train's rng, one stream per layer, direction and batch shard, so a seeded run
     * gives the same bits at any thread count. */
    tg_rng *rng;
    void *user;               /* tg_rnn_opts.user */
    int layer, direction;     /* direction 1 runs over reversed time */
    int step;                 /* time index of this step, 0..T-1 (T-1 first when reversed) */
} tg_cell_ctx;

/* One step. xw[0] is the whole projection (B, G*H), or with xw_parts one tensor per part,
 * xw[p] (B, n_p * H). Write n_state tensors into next; (B, H) each. */
typedef void (*tg_cell_step_fn)(tg_tape *t, const tg_cell_ctx *c, tg_tensor *const *xw,
                                tg_tensor *const *state, tg_tensor **next);

/* A size that depends on the layer: hidden * H + input * I + n. {.hidden = 3} is 3H. */
typedef struct tg_cell_dim {
    int hidden, input, n;
} tg_cell_dim;

/* Initializer of a cell's own parameter. hidden is H; rng is tg_rnn_new's. */
typedef void (*tg_cell_init_fn)(tg_tensor *p, int hidden, tg_rng *rng);
void tg_cell_init_uniform(tg_tensor *p, int hidden, tg_rng *rng); /* U(-1/sqrt(H), 1/sqrt(H)) */
void tg_cell_init_zeros(tg_tensor *p, int hidden, tg_rng *rng);
void tg_cell_init_ones(tg_tensor *p, int hidden, tg_rng *rng);   /* layer-norm gains */

/* A parameter a cell type declares: the runner adds one per layer and direction to the
 * store as "<prefix>.<name>_l<k>[_reverse]" (PyTorch's pattern, e.g.
 * "lstm.weight_peephole_l0"), so it trains, saves and loads with the rest, and hands it
 * to the step as ctx->w->param[i]. */
typedef struct tg_cell_param {
    const char *name;     /* [A-Za-z0-9_], unique within the cell type */
    tg_cell_dim shape[2]; /* 1 or 2 dims: a vector when shape[1] is all zero */
    tg_cell_init_fn init; /* NULL: tg_cell_init_uniform (as PyTorch's RNN weights) */
} tg_cell_param;

typedef struct tg_rnn_opts tg_rnn_opts;

/* Write a cell type with designated initializers (.name = "...", .gates = 2, ...): fields
 * left out are zero, and later versions may add optional fields at the end. */
typedef struct tg_cell_type {
    const char *name;     /* for messages: "lstm", "gru", "cifg", ... */
    int gates;            /* G: blocks of H rows in weight_ih and weight_hh */
    int n_state;          /* 1 (h) to 4; (h, c) for an LSTM */
    tg_cell_step_fn step;
    /* Optional: adjusts freshly initialized weights (LSTM sets its forget-gate bias under
     * unit_forget_bias). NULL for most cells. */
    void (*after_init)(tg_cell_weights *w, const tg_rnn_opts *opts);
    /* Optional: the projection in parts, each contiguous per step. A cell that uses gate
     * blocks of xw on their own (GRU's n gate adds x W_in^T + b_in apart from r and z) then
     * needs no column slice (a copy) of xw. xw_parts lists the gate blocks per part in
     * weight row order, 0-terminated, summing to G: {2, 1} gives xw[0] = [r z] (B, 2H) and
     * xw[1] = [n] (B, H). All zero: one part, xw[0] (B, G*H). The forward values are those
     * of slicing xw; the input's gradient sums one GEMM per part, so it may round
     * differently. */
    int xw_parts[4];
    /* Optional: the cell's own parameters, up to TG_CELL_MAX_PARAMS, ended by a NULL name. */
    tg_cell_param params[TG_CELL_MAX_PARAMS];
    /* The step draws random numbers in training: it gets ctx->rng, and tg_rnn_train(r, true,
     * rng) must be given an rng. */
    bool uses_rng;
} tg_cell_type;

/* PyTorch's cells. */
extern const tg_cell_type tg_cell_rnn_tanh; /* h' = tanh(xw + h W_hh^T + b_hh) */
extern const tg_cell_type tg_cell_rnn_relu; /* h' = relu(xw + h W_hh^T + b_hh) */
extern const tg_cell_type tg_cell_lstm;     /* gates i|f|g|o; state h, c */
extern const tg_cell_type tg_cell_gru;      /* gates r|z|n; n = tanh(xn + r * (W_hn h + b_hn)) */
/* Not PyTorch: the reset gate applied before the recurrent matmul, as Keras' GRU with
 * reset_after=False (and Cho et al. 2014): n = tanh(xn + (r * h) W_hn^T + b_hn). */
extern const tg_cell_type tg_cell_gru_reset_before;

/* ---- the sequence runner -------------------------------------------------------------- */
typedef enum tg_rnn_init {
    TG_INIT_TORCH, /* every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)) (PyTorch) */
    TG_INIT_KERAS, /* weight_ih Glorot uniform, weight_hh orthogonal, biases 0 (Keras) */
} tg_rnn_init;

struct tg_rnn_opts {
    int num_layers;        /* stacked layers (1) */
    bool bidirectional;    /* a reversed run beside the forward one, outputs concatenated */
    bool bias;             /* bias_ih and bias_hh (true) */
    bool batch_first;      /* x is (B, T, I) (true), else (T, B, I) */
    bool return_sequences; /* output every step (true) or only the last state (false) */
    float dropout;         /* between stacked layers, in training (0) */
    tg_rnn_init init;      /* TG_INIT_TORCH */
    bool unit_forget_bias; /* LSTM: forget-gate bias_ih = 1, bias_hh = 0 at init (Keras) */
    /* Batch shards (32; 0: never). With batch-first input of B >= shard_rows rows, no
     * initial or final states and no dropout between layers in training, the batch is cut
     * into floor(B / shard_rows) shards of (nearly) equal rows, at least 2 (so 32 to 63
     * rows make two halves; measured: a 32-row batch in halves ran large LSTM inference at
     * 62 ms instead of 77, while 64 rows in 4 shards of 16 were slower than in 2 of 32;
     * AVX2, 2 threads, 2026-11-30), at most 16; each runs the whole sequence, forward
     * and backward, on a thread of its own with no synchronization per time step; the
     * shards' weight gradients are then added in shard order. The cut
     * depends on B only, so 1 and N threads give the same bits. Outputs are those of the
     * unsharded run; weight gradients agree with it up to float rounding (summed per
     * shard). Any cell, the library's or a user's, runs this way. */
    int shard_rows;
    void *user; /* handed to every step of the cell as ctx->user (NULL) */
};
tg_rnn_opts tg_rnn_defaults(void);

typedef struct tg_rnn tg_rnn;

/* Adds the weights of every layer and direction to `ps` as "<prefix>.weight_ih_l<k>[_reverse]"
 * etc. (prefix may be "" for bare PyTorch names) and initializes them from rng. */
#define tg_rnn_new(...) tg_rnn_new_at(__VA_ARGS__, TG_HERE)
tg_rnn *tg_rnn_new_at(tg_params *ps, const char *prefix, const tg_cell_type *cell,
                      int input_size, int hidden_size, const tg_rnn_opts *opts, tg_rng *rng,
                      tg_loc loc);
void tg_rnn_free(tg_rnn *r);
/* Weights of layer `layer`, direction 0 (forward) or 1 (reverse). */
#define tg_rnn_weights(...) tg_rnn_weights_at(__VA_ARGS__, TG_HERE)
tg_cell_weights *tg_rnn_weights_at(tg_rnn *r, int layer, int direction, tg_loc loc);
int tg_rnn_output_size(const tg_rnn *r); /* H, or 2H when bidirectional */

/* Training switch (the layer starts in evaluation mode) and the random source of the
 * dropout between layers and of a stochastic cell (tg_cell_type.uses_rng); the rng is
 * needed when training with either, and must outlive the forward calls. */
#define tg_rnn_train(...) tg_rnn_train_at(__VA_ARGS__, TG_HERE)
void tg_rnn_train_at(tg_rnn *r, bool training, tg_rng *rng, tg_loc loc);
/* Data parallelism (dist/): the batches given to the forward calls from now on are rows
 * [start, start + B) of global batches of `total` rows (0, 0: each batch is whole, the
 * default). The dropout between layers then draws the global batch's mask and keeps this
 * slice (tg_dropout_slice), so ranks that split a batch drop what one process would. A
 * stochastic cell's streams (uses_rng) are per batch shard and do not follow the slice:
 * its masks have the same distribution as one process's but not the same bits.
 * Contract: 0 <= start < total, or both 0; start + B <= total is checked by the forward. */
#define tg_rnn_batch_slice(...) tg_rnn_batch_slice_at(__VA_ARGS__, TG_HERE)
void tg_rnn_batch_slice_at(tg_rnn *r, int start, int total, tg_loc loc);

/* Runs the layer over x: (B, T, I) when batch_first, else (T, B, I).
 * Returns (B, T, D*H) / (T, B, D*H) with return_sequences, else the last step (B, D*H)
 * (for bidirectional: the forward run's last state beside the reversed run's, as Keras).
 * init: NULL for zero states, else n_state tensors each (L*D, B, H) as PyTorch's h_0 / c_0.
 * final: NULL, or room for n_state tensors that receive (L*D, B, H) like h_n / c_n. */
#define tg_rnn_forward(...) tg_rnn_forward_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_rnn_forward_at(tg_tape *t, tg_rnn *r, tg_tensor *x, tg_tensor *const *init,
                             tg_tensor **final, tg_loc loc);

/* The same for a batch of sequences padded to T, with lengths[b] in 1..T the real steps of
 * sample b (NULL: all T), as PyTorch's pack_padded_sequence / pad_packed_sequence and
 * Keras' masking. Steps past a sample's length leave its state unchanged and output zeros
 * (choices, not blends: the padding's values, NaN included, reach neither the result nor a
 * gradient, and x gets zero gradient there); its final
 * state (h_n, and the last step when return_sequences is false) is its own last real
 * step's; the reverse direction starts at each sample's last real step. Stacked layers see
 * the same lengths. The cost: one tg_where per state and step past the shortest length. */
#define tg_rnn_forward_padded(...) tg_rnn_forward_padded_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_rnn_forward_padded_at(tg_tape *t, tg_rnn *r, tg_tensor *x,
                                    const int32_t *lengths, tg_tensor *const *init,
                                    tg_tensor **final, tg_loc loc);

#ifdef __cplusplus
}
#endif
#endif /* TG_LAYERS_H */
