/* layers/variants/cifg.c — the coupled input-forget gate LSTM, written as a user would:
 * ops only, no backward code. See variants.h. */
#include "layers/variants/variants.h"

/* [i g o] = xw + h W_hh^T + b_hh;  c' = (1 - i) * c + i * tanh(g);  h' = o * tanh(c')
 * linear_add folds xw into the GEMM, chunk_act reads each gate block in place, and
 * lerp(c, g, i) = c + i (g - c) is the coupled update in one op. */
static const tg_activation cifg_acts[3] = {TG_ACT_SIGMOID, TG_ACT_TANH, TG_ACT_SIGMOID};

static void cifg_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                      tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    tg_tensor *gates = tg_linear_add(t, s[0], w->weight_hh, w->bias_hh, xw[0]); /* (B, 3H) */
    tg_tensor *q[3]; /* sigmoid(i), tanh(g), sigmoid(o): (B, H) each */
    tg_chunk_act(t, gates, 3, 1, cifg_acts, q);
    tg_tensor *c = tg_lerp(t, s[1], q[1], q[0]);
    out[0] = tg_mul(t, q[2], tg_tanh(t, c));
    out[1] = c;
}

const tg_cell_type tg_cell_cifg = {.name = "cifg", .gates = 3, .n_state = 2, .step = cifg_step};
