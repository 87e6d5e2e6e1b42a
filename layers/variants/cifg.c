/* layers/variants/cifg.c — the coupled input-forget gate LSTM, written as a user would:
 * ops only, no backward code. See variants.h. */
#include "layers/variants/variants.h"

/* [i g o] = xw + h W_hh^T + b_hh;  c' = (1 - i) * c + i * tanh(g);  h' = o * tanh(c') */
static void cifg_step(tg_tape *t, const tg_cell_weights *w, tg_tensor *xw,
                      tg_tensor *const *s, tg_tensor **out)
{
    tg_tensor *gates = tg_add(t, xw, tg_linear(t, s[0], w->weight_hh, w->bias_hh)); /* (B, 3H) */
    tg_tensor *q[3];
    tg_chunk(t, gates, 3, 1, q);
    tg_tensor *i = tg_sigmoid(t, q[0]);
    tg_tensor *c = tg_add(t, tg_mul(t, tg_one_minus(t, i), s[1]), tg_mul(t, i, tg_tanh(t, q[1])));
    out[0] = tg_mul(t, tg_sigmoid(t, q[2]), tg_tanh(t, c));
    out[1] = c;
}

const tg_cell_type tg_cell_cifg = {.name = "cifg", .gates = 3, .n_state = 2, .step = cifg_step};
