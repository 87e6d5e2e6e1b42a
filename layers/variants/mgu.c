/* layers/variants/mgu.c — the minimal gated unit, written as a user would: ops only, no
 * backward code. The recurrent weights of the candidate see f * h, so the two gate blocks
 * of weight_hh are used separately (row slices of the parameter are views). */
#include "layers/variants/variants.h"

static void mgu_step(tg_tape *t, const tg_cell_weights *w, tg_tensor *xw, tg_tensor *const *s,
                     tg_tensor **out)
{
    tg_tensor *x2[2], *u[2], *b[2] = {NULL, NULL};
    tg_chunk(t, xw, 2, 1, x2);                 /* x W_f^T + b_if, x W_n^T + b_in: (B, H) */
    tg_chunk(t, w->weight_hh, 2, 0, u);        /* U_f, U_n: (H, H) */
    if (w->bias_hh) tg_chunk(t, w->bias_hh, 2, 0, b);
    tg_tensor *f = tg_sigmoid(t, tg_add(t, x2[0], tg_linear(t, s[0], u[0], b[0])));
    tg_tensor *n = tg_tanh(t, tg_add(t, x2[1], tg_linear(t, tg_mul(t, f, s[0]), u[1], b[1])));
    out[0] = tg_add(t, tg_mul(t, tg_one_minus(t, f), s[0]), tg_mul(t, f, n)); /* (B, H) */
}

const tg_cell_type tg_cell_mgu = {.name = "mgu", .gates = 2, .n_state = 1, .step = mgu_step};
