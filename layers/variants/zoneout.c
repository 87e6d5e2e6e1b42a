/* layers/variants/zoneout.c — the LSTM with zoneout (Krueger et al. 2017, "Zoneout:
 * Regularizing RNNs by Randomly Preserving Hidden Activations"), written as a user would:
 * ops only, no backward code. It shows the step's context: the training flag, the random
 * stream and the user pointer (the rates). */
#include "layers/variants/variants.h"

#include <math.h>

static const tg_activation zo_acts[4] = {TG_ACT_SIGMOID, TG_ACT_SIGMOID, TG_ACT_TANH,
                                         TG_ACT_SIGMOID};

/* Masks (B, H), constants (no gradient): keep[k] = 1 with probability p, else 0, and
 * take = 1 - keep, so that x' = take x~ + keep x picks one of the two exactly. Each 32-bit
 * draw gives two 16-bit uniforms (p is used to the nearest 2^-16), half the rng calls. */
static void zoneout_masks(tg_tape *t, tg_rng *rng, int B, int H, float p, tg_tensor **keep,
                          tg_tensor **take)
{
    *keep = tg_tape_tensor(t, 2, (int[]){B, H}, NULL);
    *take = tg_tape_tensor(t, 2, (int[]){B, H}, NULL);
    uint32_t below = (uint32_t)lrintf(p * 65536.0f), r = 0; /* keep when u16 < below */
    for (int64_t k = 0; k < (*keep)->size; k++) {
        r = k % 2 ? r >> 16 : tg_rng_u32(rng);
        bool kept = (r & 0xffffu) < below;
        (*keep)->data[k] = kept ? 1.0f : 0.0f;
        (*take)->data[k] = kept ? 0.0f : 1.0f;
    }
}

/* The LSTM's c~, h~ (tg_cell_lstm's equations), then each unit keeps its old value with
 * probability z: in training x' = take x~ + keep x with fresh random masks per step, in
 * evaluation the expectation x' = (1 - z) x~ + z x. Rates from ctx->user
 * (tg_zoneout_rates), else 0.15 for c and 0.05 for h (Krueger et al.'s character-level Penn
 * Treebank setting). */
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
    if (ctx->training) {
        tg_tensor *keep, *take;
        zoneout_masks(t, ctx->rng, h->shape[0], h->shape[1], zc, &keep, &take);
        out[1] = tg_addcmul(t, tg_mul(t, c, take), s[1], keep);
        zoneout_masks(t, ctx->rng, h->shape[0], h->shape[1], zh, &keep, &take);
        out[0] = tg_addcmul(t, tg_mul(t, h, take), s[0], keep);
    } else {
        out[1] = tg_add(t, tg_scale(t, c, 1.0f - zc), tg_scale(t, s[1], zc));
        out[0] = tg_add(t, tg_scale(t, h, 1.0f - zh), tg_scale(t, s[0], zh));
    }
}

const tg_cell_type tg_cell_zoneout_lstm = {
    .name = "zoneout_lstm", .gates = 4, .n_state = 2, .step = zoneout_step, .uses_rng = true};
