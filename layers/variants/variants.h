/* layers/variants/variants.h — gate variants written the way a user writes a cell: a step
 * function of ops (no backward code) and a tg_cell_type, run by the same tg_rnn_forward as
 * LSTM and GRU. Each lives in its own file of about 20 lines; copy one to start your own.
 *
 *     tg_rnn *cifg = tg_rnn_new(ps, "cifg", &tg_cell_cifg, 1, 50, &opts, &rng);
 *
 * Not PyTorch modules: their parameter names follow the same pattern (weight_ih_l0, ...)
 * but no PyTorch class loads them. Each has a PyTorch reference with the same equations in
 * tools/make_fixtures_variants.py, and tests/test_variants.c checks it.
 */
#ifndef TG_VARIANTS_H
#define TG_VARIANTS_H

#include "layers/layers.h"

/* CIFG: an LSTM whose forget gate is coupled to the input gate, f = 1 - i (Greff et al.
 * 2017, "LSTM: A Search Space Odyssey"). Gates i | g | o; state (h, c). */
extern const tg_cell_type tg_cell_cifg;

/* MGU, the minimal gated unit (Zhou et al. 2016): one forget gate f and
 *   n = tanh(x W_n^T + b_in + (f * h) U_n^T + b_hn),  h' = (1 - f) * h + f * n.
 * Gates f | n; state h. */
extern const tg_cell_type tg_cell_mgu;

/* Peephole LSTM (Gers & Schmidhuber 2000, as Graves 2013): the i and f gates add p * c of
 * the old cell, the o gate p * c' of the new one. Gates i | f | g | o; state (h, c); own
 * parameter "weight_peephole_l<k>" (3H): p_i | p_f | p_o. */
extern const tg_cell_type tg_cell_peephole_lstm;

/* Layer-normalized LSTM (Ba et al. 2016): LN on the input projection, on the hidden
 * projection (each over 4H) and on the cell before its tanh (over H), eps 1e-5. Gates
 * i | f | g | o; state (h, c) with c not normalized. Own parameters (gains 1, shifts 0):
 * weight_ln_ih, bias_ln_ih, weight_ln_hh, bias_ln_hh (4H); weight_ln_c, bias_ln_c (H).
 * Ba et al.'s exact equations: tg_rnn_opts.bias = false (see ln_lstm.c). */
extern const tg_cell_type tg_cell_ln_lstm;

/* Zoneout LSTM (Krueger et al. 2017): an LSTM whose every unit of c and h keeps its
 * previous value with probability z in training (a fresh random mask per step, from the
 * step's rng: call tg_rnn_train(r, true, &rng)), and in evaluation takes the expectation
 * (1 - z) new + z old. Rates: point tg_rnn_opts.user at a tg_zoneout_rates (NULL: cell
 * 0.15, hidden 0.05). Gates i | f | g | o; state (h, c); no parameters of its own. */
typedef struct tg_zoneout_rates {
    float cell;   /* z_c in [0, 1] */
    float hidden; /* z_h in [0, 1] */
} tg_zoneout_rates;
extern const tg_cell_type tg_cell_zoneout_lstm;

#endif
