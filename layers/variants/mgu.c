/* layers/variants/mgu.c — the minimal gated unit, written as a user would: ops only, no
 * backward code. The recurrent weights of the candidate see f * h, so the two gate blocks
 * of weight_hh are used separately (row slices of the parameter are views). */
#include "layers/variants/variants.h"

/* f = sigmoid(x_f + h U_f^T + b_f);  n = tanh(x_n + (f * h) U_n^T + b_n);  h' = (1 - f) h + f n
 * xw comes in parts [f] | [n] (xw_parts), so both are contiguous views, and linear_add folds
 * each into its GEMM; lerp(h, n, f) = h + f (n - h). */
static void mgu_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                     tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    int H = w->hidden;
    tg_tensor *u_f = tg_slice(t, w->weight_hh, 0, 0, H), *u_n = tg_slice(t, w->weight_hh, 0, H, H);
    tg_tensor *b_f = w->bias_hh ? tg_slice(t, w->bias_hh, 0, 0, H) : NULL;
    tg_tensor *b_n = w->bias_hh ? tg_slice(t, w->bias_hh, 0, H, H) : NULL;
    tg_tensor *f = tg_sigmoid(t, tg_linear_add(t, s[0], u_f, b_f, xw[0]));       /* (B, H) */
    tg_tensor *n = tg_tanh(t, tg_linear_add(t, tg_mul(t, f, s[0]), u_n, b_n, xw[1]));
    out[0] = tg_lerp(t, s[0], n, f);
}

const tg_cell_type tg_cell_mgu = {
    .name = "mgu", .gates = 2, .n_state = 1, .xw_parts = {1, 1}, .step = mgu_step};
