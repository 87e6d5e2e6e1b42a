/* layers/cells.c — PyTorch's recurrent cells written as graph ops: Elman RNN (tanh, relu),
 * LSTM and GRU. Each step is a handful of ops and no backward code; the tape
 * differentiates it. The sequence runner (rnn.c) treats these exactly like a user's cell.
 *
 * Every step receives xw = x_t W_ih^T + b_ih (B, G*H), computed for all time steps at once
 * by the runner, and adds the hidden projection h W_hh^T + b_hh: one linear with all gates
 * in its rows, then chunk. The GRUs take xw in parts (xw_parts), so that their gate blocks
 * are views rather than copies.
 * Not here: the unrolling over time, stacking, directions (rnn.c); variants users write
 * (layers/variants/).
 */
#include "layers/layers.h"

/* ---- Elman RNN: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh) --------------------------- */

static void rnn_tanh_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                          tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    out[0] = tg_tanh(t, tg_linear_add(t, s[0], w->weight_hh, w->bias_hh, xw[0]));
}

static void rnn_relu_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                          tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    out[0] = tg_relu(t, tg_linear_add(t, s[0], w->weight_hh, w->bias_hh, xw[0]));
}

const tg_cell_type tg_cell_rnn_tanh = {
    .name = "rnn_tanh", .gates = 1, .n_state = 1, .step = rnn_tanh_step};
const tg_cell_type tg_cell_rnn_relu = {
    .name = "rnn_relu", .gates = 1, .n_state = 1, .step = rnn_relu_step};

/* ---- LSTM (gate rows i | f | g | o, as PyTorch) ----------------------------------------
 *   [i f g o] = xw + h W_hh^T + b_hh            (B, 4H), one linear_add
 *   c' = sigmoid(f) * c + sigmoid(i) * tanh(g)  the activations read the gate blocks in
 *   h' = sigmoid(o) * tanh(c')                  place (chunk_act); state = (h, c) */

static const tg_activation lstm_acts[4] = {TG_ACT_SIGMOID, TG_ACT_SIGMOID, TG_ACT_TANH,
                                           TG_ACT_SIGMOID};

static void lstm_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                      tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    tg_tensor *gates = tg_linear_add(t, s[0], w->weight_hh, w->bias_hh, xw[0]);
    tg_tensor *q[4]; /* sigmoid(i), sigmoid(f), tanh(g), sigmoid(o): (B, H) each */
    tg_chunk_act(t, gates, 4, 1, lstm_acts, q);
    tg_tensor *c = tg_addcmul(t, tg_mul(t, q[1], s[1]), q[0], q[2]); /* f c + i g */
    out[0] = tg_mul(t, q[3], tg_tanh(t, c));
    out[1] = c;
}

/* Keras' unit_forget_bias: the forget gate starts open. Keras has one bias, which maps to
 * bias_ih; bias_hh's forget block is zeroed so the sum is exactly 1. */
static void lstm_after_init(tg_cell_weights *w, const tg_rnn_opts *o)
{
    if (!o->unit_forget_bias || !w->bias_ih) return;
    int H = w->hidden;
    for (int j = H; j < 2 * H; j++) {
        w->bias_ih->data[j] = 1.0f;
        w->bias_hh->data[j] = 0.0f;
    }
}

const tg_cell_type tg_cell_lstm = {
    .name = "lstm", .gates = 4, .n_state = 2, .step = lstm_step, .after_init = lstm_after_init};

/* ---- GRU (gate rows r | z | n, as PyTorch; reset applied after the matmul) ------------
 *   [r z] = sigmoid(xw_rz + h W_hrz^T + b_hrz)        one linear_add on the first 2H rows
 *   n = tanh(xw_n + r * (h W_hn^T + b_hn))            the last H rows (views of weight_hh)
 *   h' = (1 - z) * n + z * h  =  n + z * (h - n)
 * This is Keras' GRU with reset_after=True (its default) once the gate blocks of its
 * kernels are reordered from z|r|h to r|z|n. */

static const tg_activation gru_acts[2] = {TG_ACT_SIGMOID, TG_ACT_SIGMOID};

/* weight_hh and bias_hh of both GRUs split into the [r z] rows and the n rows: views. */
typedef struct gru_hh {
    tg_tensor *w_rz, *w_n; /* (2H, H), (H, H) */
    tg_tensor *b_rz, *b_n; /* (2H), (H), or NULL without bias */
} gru_hh;

static gru_hh gru_hh_views(tg_tape *t, const tg_cell_weights *w)
{
    int H = w->hidden;
    gru_hh u = {tg_slice(t, w->weight_hh, 0, 0, 2 * H), tg_slice(t, w->weight_hh, 0, 2 * H, H),
                NULL, NULL};
    if (w->bias_hh) {
        u.b_rz = tg_slice(t, w->bias_hh, 0, 0, 2 * H);
        u.b_n = tg_slice(t, w->bias_hh, 0, 2 * H, H);
    }
    return u;
}

static void gru_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                     tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    gru_hh u = gru_hh_views(t, w);
    tg_tensor *rz = tg_linear_add(t, s[0], u.w_rz, u.b_rz, xw[0]); /* (B, 2H) */
    tg_tensor *q[2];                                           /* r, z */
    tg_chunk_act(t, rz, 2, 1, gru_acts, q);
    tg_tensor *hn = tg_linear(t, s[0], u.w_n, u.b_n);          /* (B, H) */
    tg_tensor *n = tg_tanh(t, tg_addcmul(t, xw[1], q[0], hn)); /* xn + r hn */
    out[0] = tg_lerp(t, n, s[0], q[1]);                        /* n + z (h - n) */
}

/* xw in parts [r z] | [n]: every slice above is a view. */
const tg_cell_type tg_cell_gru = {
    .name = "gru", .gates = 3, .n_state = 1, .xw_parts = {2, 1}, .step = gru_step};

/* ---- GRU with the reset gate before the matmul (Cho et al. 2014; Keras reset_after=False)
 *   [hr hz] = h W_{hr,hz}^T + b_{hr,hz},  r, z as above
 *   n = tanh(xn + (r * h) W_hn^T + b_hn)
 * Not PyTorch's GRU: the candidate's recurrent matmul waits for r, so it is its own GEMM
 * on the last H rows of weight_hh (a view of the parameter). */

static void gru_reset_before_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                                  tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    gru_hh u = gru_hh_views(t, w);
    tg_tensor *q[2]; /* r, z */
    tg_chunk_act(t, tg_linear_add(t, s[0], u.w_rz, u.b_rz, xw[0]), 2, 1, gru_acts, q);
    tg_tensor *n = tg_tanh(t, tg_linear_add(t, tg_mul(t, q[0], s[0]), u.w_n, u.b_n, xw[1]));
    out[0] = tg_lerp(t, n, s[0], q[1]); /* (1 - z) n + z h */
}

const tg_cell_type tg_cell_gru_reset_before = {.name = "gru_reset_before",
                                               .gates = 3,
                                               .n_state = 1,
                                               .xw_parts = {2, 1},
                                               .step = gru_reset_before_step};
