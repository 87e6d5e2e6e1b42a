/* layers/variants/peephole.c — the LSTM with peephole connections (Gers & Schmidhuber 2000;
 * the form of Graves 2013 and TensorFlow's LSTMCell(use_peepholes=True)), written as a user
 * would: ops only, no backward code, its own parameter declared in the cell type. */
#include "layers/variants/variants.h"

/* [i f g o] = xw + h W_hh^T + b_hh                      (B, 4H)
 * i = sigmoid(i + p_i * c),  f = sigmoid(f + p_f * c)   the gates see the old cell
 * c' = f * c + i * tanh(g)
 * o = sigmoid(o + p_o * c'),  h' = o * tanh(c')         the output gate sees the new one
 * p = weight_peephole (3H): p_i | p_f | p_o, each (H) broadcast over the batch. */
static void peephole_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                          tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    tg_tensor *q[4], *p[3];
    tg_chunk(t, tg_linear_add(t, s[0], w->weight_hh, w->bias_hh, xw[0]), 4, 1, q);
    tg_chunk(t, w->param[0], 3, 0, p); /* (H) each, views */
    tg_tensor *i = tg_sigmoid(t, tg_addcmul(t, q[0], p[0], s[1]));
    tg_tensor *f = tg_sigmoid(t, tg_addcmul(t, q[1], p[1], s[1]));
    tg_tensor *c = tg_addcmul(t, tg_mul(t, f, s[1]), i, tg_tanh(t, q[2]));
    tg_tensor *o = tg_sigmoid(t, tg_addcmul(t, q[3], p[2], c));
    out[0] = tg_mul(t, o, tg_tanh(t, c));
    out[1] = c;
}

const tg_cell_type tg_cell_peephole_lstm = {
    .name = "peephole_lstm",
    .gates = 4,
    .n_state = 2,
    .step = peephole_step,
    .params = {{.name = "weight_peephole", .shape = {{.hidden = 3}}}}, /* (3H), U(+-1/sqrt(H)) */
};
