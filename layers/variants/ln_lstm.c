/* layers/variants/ln_lstm.c — the layer-normalized LSTM of Ba, Kiros & Hinton 2016 ("Layer
 * Normalization", section 3.2 and its LSTM equations), written as a user would: ops only,
 * no backward code, six layer-norm parameters declared in the cell type. */
#include "layers/variants/variants.h"

static const tg_activation ln_lstm_acts[4] = {TG_ACT_SIGMOID, TG_ACT_SIGMOID, TG_ACT_TANH,
                                              TG_ACT_SIGMOID};

/* [i f g o] = LN(xw; a_ih, b_ih') + LN(h W_hh^T + b_hh; a_hh, b_hh')   (B, 4H)
 * c' = sigmoid(f) * c + sigmoid(i) * tanh(g)                           c' is the state
 * h' = sigmoid(o) * tanh(LN(c'; a_c, b_c))
 * Each LN normalizes over its last axis (4H or H), eps 1e-5. Ba et al. have no bias inside
 * the norms (their biases are the LN shifts): run the layer with tg_rnn_opts.bias = false
 * for exactly their equations (as PyTorch's benchmarks/fastrnns LayerNormLSTMCell); with
 * bias, xw and the hidden projection carry b_ih and b_hh into their LN. */
static void ln_lstm_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                         tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    tg_tensor *const *p = w->param;
    tg_tensor *hh = tg_linear(t, s[0], w->weight_hh, w->bias_hh);
    tg_tensor *gates = tg_add(t, tg_layer_norm(t, xw[0], p[0], p[1], 1e-5f),
                              tg_layer_norm(t, hh, p[2], p[3], 1e-5f));
    tg_tensor *q[4]; /* sigmoid(i), sigmoid(f), tanh(g), sigmoid(o): (B, H) each */
    tg_chunk_act(t, gates, 4, 1, ln_lstm_acts, q);
    tg_tensor *c = tg_addcmul(t, tg_mul(t, q[1], s[1]), q[0], q[2]);
    out[0] = tg_mul(t, q[3], tg_tanh(t, tg_layer_norm(t, c, p[4], p[5], 1e-5f)));
    out[1] = c;
}

/* Gains start at 1 and shifts at 0, as nn.LayerNorm's. */
const tg_cell_type tg_cell_ln_lstm = {
    .name = "ln_lstm",
    .gates = 4,
    .n_state = 2,
    .step = ln_lstm_step,
    .params = {{.name = "weight_ln_ih", .shape = {{.hidden = 4}}, .init = tg_cell_init_ones},
               {.name = "bias_ln_ih", .shape = {{.hidden = 4}}, .init = tg_cell_init_zeros},
               {.name = "weight_ln_hh", .shape = {{.hidden = 4}}, .init = tg_cell_init_ones},
               {.name = "bias_ln_hh", .shape = {{.hidden = 4}}, .init = tg_cell_init_zeros},
               {.name = "weight_ln_c", .shape = {{.hidden = 1}}, .init = tg_cell_init_ones},
               {.name = "bias_ln_c", .shape = {{.hidden = 1}}, .init = tg_cell_init_zeros}},
};
