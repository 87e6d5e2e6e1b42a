/* layers/variants/variants.h — gate variants written the way a user writes a cell: a step
 * function of ops (no backward code) and a tg_cell_type, run by the same tg_rnn_forward as
 * LSTM and GRU. Each lives in its own file of about 20 lines; copy one to start your own.
 *
 *     tg_rnn *cifg = tg_rnn_new(ps, "cifg", &tg_cell_cifg, 1, 50, &opts, &rng);
 *
 * Not PyTorch modules: their parameter names follow the same pattern (weight_ih_l0, ...)
 * but no PyTorch class loads them.
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

#endif
