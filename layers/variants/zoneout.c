/* layers/variants/zoneout.c — the LSTM with zoneout (Krueger et al. 2017, "Zoneout:
 * Regularizing RNNs by Randomly Preserving Hidden Activations"), written as a user would:
 * ops only, no backward code. It shows the step's context: the training flag, the random
 * stream and the user pointer (the rates). */
#include "layers/variants/variants.h"

static const tg_activation zo_acts[4] = {TG_ACT_SIGMOID, TG_ACT_SIGMOID, TG_ACT_TANH,
                                         TG_ACT_SIGMOID};

/* (B, H) with each element 1 with probability p, else 0: a constant (no gradient). */
static tg_tensor *bernoulli(tg_tape *t, tg_rng *rng, int B, int H, float p)
{
    tg_tensor *m = tg_tape_tensor(t, 2, (int[]){B, H}, NULL);
    for (int64_t k = 0; k < m->size; k++) m->data[k] = tg_rng_uniform(rng) < p ? 1.0f : 0.0f;
    return m;
}

/* The LSTM's c~, h~ (tg_cell_lstm's equations), then each unit keeps its old value with
 * probability z (training: a 0/1 mask m, x' = x~ + m (x - x~)) or in expectation
 * (evaluation: x' = (1 - z) x~ + z x). Rates from ctx->user (tg_zoneout_rates), else
 * 0.15 for c and 0.05 for h (Krueger et al.'s character-level Penn Treebank setting). */
static void zoneout_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                         tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    const tg_zoneout_rates *z = ctx->user;
    float zc = z ? z->cell : 0.15f, zh = z ? z->hidden : 0.05f;
    tg_tensor *q[4]; /* sigmoid(i), sigmoid(f), tanh(g), sigmoid(o) */
    tg_chunk_act(t, tg_linear_add(t, s[0], w->weight_hh, w->bias_hh, xw[0]), 4, 1, zo_acts, q);
    tg_tensor *c = tg_addcmul(t, tg_mul(t, q[1], s[1]), q[0], q[2]);
    tg_tensor *h = tg_mul(t, q[3], tg_tanh(t, c));
    int B = h->shape[0], H = h->shape[1];
    if (ctx->training) {
        out[1] = tg_lerp(t, c, s[1], bernoulli(t, ctx->rng, B, H, zc));
        out[0] = tg_lerp(t, h, s[0], bernoulli(t, ctx->rng, B, H, zh));
    } else {
        out[1] = tg_add(t, tg_scale(t, c, 1.0f - zc), tg_scale(t, s[1], zc));
        out[0] = tg_add(t, tg_scale(t, h, 1.0f - zh), tg_scale(t, s[0], zh));
    }
}

const tg_cell_type tg_cell_zoneout_lstm = {
    .name = "zoneout_lstm", .gates = 4, .n_state = 2, .step = zoneout_step, .uses_rng = true};
