/* layers/rnn.c — the sequence runner: unrolls any cell over time, for stacked layers and
 * both directions, with PyTorch's parameter names and layouts.
 *
 * Per layer and direction (all ops, so backward comes from the tape):
 *   proj = linear(x, W_ih, b_ih)          one GEMM over all T*B rows      (T, B, G*H)
 *                                         (or one per part: xw_parts)
 *   for each step t (reversed for the backward direction):
 *       xw = proj[t]                      a view, no copy                 (B, G*H)
 *       state = cell.step(xw, state)      the cell adds h W_hh^T + b_hh itself
 *   out = stack(h_t over t)                                               (T, B, H)
 * Inside, time is the leading axis so that each step's slice is contiguous; batch-first
 * input is swapped once on the way in and once on the way out.
 * Batch shards (opts.shard_rows, at the end of this file): a large enough batch is cut
 * into row shards that each run all of the above on a tape and a thread of their own.
 * Not here: the cells (cells.c and users' files), losses, training loops.
 */
#include "layers/internal.h"
#include "autograd/internal.h" /* tg_tape_alloc, tg_check_tensor, tg_tape_pack_* */
#include "tensor/trap.h"      /* contract failures on shard threads */

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct tg_rnn {
    const tg_cell_type *cell;
    int input_size, hidden, layers, dirs;
    tg_rnn_opts opts;
    bool training;
    tg_rng *rng;        /* tg_rnn_train's: dropout between layers, stochastic cells */
    int slice_start, slice_total; /* tg_rnn_batch_slice's; total 0: the batch is whole */
    tg_cell_weights *w; /* layers * dirs, index l * dirs + d */
};

tg_rnn_opts tg_rnn_defaults(void)
{
    return (tg_rnn_opts){
        .num_layers = 1,
        .bidirectional = false,
        .bias = true,
        .batch_first = true,
        .return_sequences = true,
        .dropout = 0.0f,
        .init = TG_INIT_TORCH,
        .unit_forget_bias = false,
        .shard_rows = 32,
    };
}

/* "<prefix>.<what>_l<layer>[_reverse]", or without "<prefix>." when prefix is empty. */
static tg_tensor *add_param(tg_params *ps, const char *prefix, const char *what, int layer,
                            int dir, int rows, int cols, tg_loc loc)
{
    char leaf[64], name[256];
    snprintf(leaf, sizeof leaf, "%s_l%d%s", what, layer, dir ? "_reverse" : "");
    tg__param_name(name, sizeof name, prefix, leaf, "tg_rnn_new", loc);
    return cols ? tg_params_add_at(ps, name, TG_SHAPE(rows, cols), loc)
                : tg_params_add_at(ps, name, TG_SHAPE(rows), loc);
}

static void init_weights(tg_cell_weights *w, const tg_rnn_opts *o, int H, tg_rng *rng)
{
    if (o->init == TG_INIT_TORCH) {
        tg_init_uniform_fan(w->weight_ih, rng, H); /* PyTorch: all U(+-1/sqrt(hidden)) */
        tg_init_uniform_fan(w->weight_hh, rng, H);
        if (w->bias_ih) tg_init_uniform_fan(w->bias_ih, rng, H);
        if (w->bias_hh) tg_init_uniform_fan(w->bias_hh, rng, H);
    } else {
        tg_init_glorot_uniform(w->weight_ih, rng, 1.0f);
        tg_init_orthogonal(w->weight_hh, rng, 1.0f);
        if (w->bias_ih) tg_tensor_fill(w->bias_ih, 0.0f);
        if (w->bias_hh) tg_tensor_fill(w->bias_hh, 0.0f);
    }
}

/* Size of one dim of a cell's own parameter for a layer of input I and hidden H. */
static int64_t param_dim(tg_cell_dim d, int I, int H)
{
    return (int64_t)d.hidden * H + (int64_t)d.input * I + d.n;
}

/* The cell type's declarations: a step, sane gate and state counts, parts summing to the
 * gates, parameter names that are unique identifiers. */
static void check_cell(const tg_cell_type *cell, tg_loc here)
{
    const char *name = cell->name ? cell->name : "(unnamed)";
    if (!cell->name || !cell->name[0])
        tg_contract_fail(here, "tg_rnn_new", "a cell type needs a name (.name = \"...\"): "
                         "messages and the parameters' documentation use it");
    if (!cell->step)
        tg_contract_fail(here, "tg_rnn_new", "cell \"%s\" has no step function", name);
    if (cell->gates < 1 || cell->n_state < 1 || cell->n_state > 4)
        tg_contract_fail(here, "tg_rnn_new", "cell \"%s\" declares %d gates and %d states "
                         "(gates >= 1, states 1..4)", name, cell->gates, cell->n_state);
    int sum = 0, p = 0;
    for (; p < 4 && cell->xw_parts[p] > 0; p++) sum += cell->xw_parts[p];
    if ((p > 0 && sum != cell->gates) || (p < 4 && cell->xw_parts[p] < 0) ||
        (p == 0 && (cell->xw_parts[1] | cell->xw_parts[2] | cell->xw_parts[3])))
        tg_contract_fail(here, "tg_rnn_new",
                         "cell \"%s\": xw_parts must be positive gate counts summing to its "
                         "%d gates (0-terminated), got {%d, %d, %d, %d}",
                         name, cell->gates, cell->xw_parts[0], cell->xw_parts[1],
                         cell->xw_parts[2], cell->xw_parts[3]);
    for (int i = 0; i < TG_CELL_MAX_PARAMS && cell->params[i].name; i++) {
        const char *pn = cell->params[i].name;
        size_t len = strlen(pn);
        bool ok = len > 0 && len < 48;
        for (size_t k = 0; ok && k < len; k++)
            ok = isalnum((unsigned char)pn[k]) || pn[k] == '_';
        for (int j = 0; ok && j < i; j++) ok = strcmp(pn, cell->params[j].name) != 0;
        static const char *const taken[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        for (int j = 0; ok && j < 4; j++) ok = strcmp(pn, taken[j]) != 0;
        if (!ok)
            tg_contract_fail(here, "tg_rnn_new", "cell \"%s\": parameter %d's name \"%s\" "
                             "must be 1 to 47 of [A-Za-z0-9_], unique in the cell and not one of "
                             "weight_ih, weight_hh, bias_ih, bias_hh",
                             name, i, pn);
    }
}

/* The cell's own parameters of one layer and direction: shapes from its dims, added to the
 * store under "<prefix>.<name>_l<layer>[_reverse]" and initialized. check_only: only
 * checks the dims (before anything is allocated). */
static void add_cell_params(tg_params *ps, const char *prefix, const tg_cell_type *cell,
                            tg_cell_weights *w, int layer, int dir, tg_rng *rng,
                            bool check_only, tg_loc here)
{
    for (int i = 0; i < TG_CELL_MAX_PARAMS && cell->params[i].name; i++) {
        const tg_cell_param *cp = &cell->params[i];
        const tg_cell_dim *d1 = &cp->shape[1];
        int nd = d1->hidden || d1->input || d1->n ? 2 : 1;
        int64_t dims[2] = {param_dim(cp->shape[0], w->input, w->hidden),
                           param_dim(cp->shape[1], w->input, w->hidden)};
        if (check_only) {
            for (int k = 0; k < nd; k++)
                if (dims[k] < 1 || dims[k] > (1 << 28))
                    tg_contract_fail(here, "tg_rnn_new", "cell \"%s\": parameter \"%s\" dim "
                                     "%d is %lld for input %d, hidden %d", cell->name, cp->name,
                                     k, (long long)dims[k], w->input, w->hidden);
            continue;
        }
        w->param[i] = add_param(ps, prefix, cp->name, layer, dir, (int)dims[0],
                                nd == 2 ? (int)dims[1] : 0, here);
        (cp->init ? cp->init : tg_cell_init_uniform)(w->param[i], w->hidden, rng);
    }
}

tg_rnn *tg_rnn_new_at(tg_params *ps, const char *prefix, const tg_cell_type *cell,
                      int input_size, int hidden_size, const tg_rnn_opts *opts, tg_rng *rng,
                      tg_loc here)
{
    tg_rnn_opts o = opts ? *opts : tg_rnn_defaults();
    if (!ps || !cell || !rng)
        tg_contract_fail(here, "tg_rnn_new", "the store, the cell type and the rng are needed");
    check_cell(cell, here);
    if (input_size < 1 || hidden_size < 1 || o.num_layers < 1)
        tg_contract_fail(here, "tg_rnn_new",
                         "sizes must be positive: input %d, hidden %d, layers %d", input_size,
                         hidden_size, o.num_layers);
    if (!(o.dropout >= 0.0f && o.dropout < 1.0f))
        tg_contract_fail(here, "tg_rnn_new", "dropout %g is outside [0, 1)", (double)o.dropout);
    if (o.shard_rows < 0)
        tg_contract_fail(here, "tg_rnn_new", "shard_rows %d is negative (0: never shard)",
                         o.shard_rows);
    if (o.dropout > 0.0f && o.num_layers == 1) /* as PyTorch's nn.RNNBase warns */
        tg_warn(here, "tg_rnn_new", "dropout %g acts between stacked layers and this one has "
                "a single layer, so it does nothing; put tg_dropout after the layer instead "
                "(tg_model_dropout in a tg_model)",
                (double)o.dropout);

    for (int l = 0; l < 2 && l < o.num_layers; l++) { /* the inputs of layer 0 and above */
        tg_cell_weights probe = {.hidden = hidden_size,
                                 .input = l == 0 ? input_size
                                                 : hidden_size * (o.bidirectional ? 2 : 1)};
        add_cell_params(ps, "", cell, &probe, l, 0, rng, true, here);
    }
    tg_rnn *r = tg_calloc(sizeof *r);
    r->cell = cell;
    r->input_size = input_size;
    r->hidden = hidden_size;
    r->layers = o.num_layers;
    r->dirs = o.bidirectional ? 2 : 1;
    r->opts = o;
    r->w = tg_calloc((size_t)r->layers * r->dirs * sizeof *r->w);
    const char *pre = prefix ? prefix : "";
    int GH = cell->gates * hidden_size;
    /* PyTorch's order: per layer, per direction: weight_ih, weight_hh, bias_ih, bias_hh;
     * then the cell's own parameters. */
    for (int l = 0; l < r->layers; l++) {
        int in = l == 0 ? input_size : hidden_size * r->dirs;
        for (int d = 0; d < r->dirs; d++) {
            tg_cell_weights *w = &r->w[l * r->dirs + d];
            w->hidden = hidden_size;
            w->input = in;
            w->weight_ih = add_param(ps, pre, "weight_ih", l, d, GH, in, here);
            w->weight_hh = add_param(ps, pre, "weight_hh", l, d, GH, hidden_size, here);
            if (o.bias) {
                w->bias_ih = add_param(ps, pre, "bias_ih", l, d, GH, 0, here);
                w->bias_hh = add_param(ps, pre, "bias_hh", l, d, GH, 0, here);
            }
            init_weights(w, &o, hidden_size, rng);
            add_cell_params(ps, pre, cell, w, l, d, rng, false, here);
            if (cell->after_init) cell->after_init(w, &o);
        }
    }
    return r;
}

void tg_rnn_free(tg_rnn *r)
{
    if (!r) return;
    tg_free(r->w);
    tg_free(r);
}

tg_cell_weights *tg_rnn_weights_at(tg_rnn *r, int layer, int direction, tg_loc loc)
{
    if (!r || layer < 0 || layer >= r->layers || direction < 0 || direction >= r->dirs)
        tg_contract_fail(loc, "tg_rnn_weights", "no layer %d direction %d", layer,
                         direction);
    return &r->w[layer * r->dirs + direction];
}

int tg_rnn_output_size(const tg_rnn *r) { return r->hidden * r->dirs; }

void tg_rnn_train_at(tg_rnn *r, bool training, tg_rng *rng, tg_loc loc)
{
    if (!r) tg_contract_fail(loc, "tg_rnn_train", "the layer is NULL");
    if (training && r->opts.dropout > 0.0f && r->layers > 1 && !rng)
        tg_contract_fail(loc, "tg_rnn_train", "dropout %g between layers needs an rng",
                         (double)r->opts.dropout);
    if (training && r->cell->uses_rng && !rng)
        tg_contract_fail(loc, "tg_rnn_train", "cell \"%s\" draws random numbers in "
                         "training (uses_rng) and needs an rng", r->cell->name);
    r->training = training;
    r->rng = rng;
}

void tg__check_batch_slice(const char *fn, int start, int total, tg_loc loc)
{
    if (start < 0 || total < 0 || (total == 0 && start != 0) || (total > 0 && start >= total))
        tg_contract_fail(loc, fn, "rows from %d of a batch of %d: out of range (0, 0 for a "
                         "whole batch)", start, total);
}

void tg_rnn_batch_slice_at(tg_rnn *r, int start, int total, tg_loc loc)
{
    if (!r) tg_contract_fail(loc, "tg_rnn_batch_slice", "the layer is NULL");
    tg__check_batch_slice("tg_rnn_batch_slice", start, total, loc);
    r->slice_start = start;
    r->slice_total = total;
}

/* ---- the cell's own initializers --------------------------------------------------------- */

void tg_cell_init_uniform(tg_tensor *p, int hidden, tg_rng *rng)
{
    tg_init_uniform_fan(p, rng, hidden);
}
void tg_cell_init_zeros(tg_tensor *p, int hidden, tg_rng *rng)
{
    (void)hidden, (void)rng;
    tg_tensor_fill(p, 0.0f);
}
void tg_cell_init_ones(tg_tensor *p, int hidden, tg_rng *rng)
{
    (void)hidden, (void)rng;
    tg_tensor_fill(p, 1.0f);
}

/* Initial state s of (layer, direction): row l*D+d of the user's (L*D, B, H) tensor, as a
 * (B, H) view, or zeros. */
static tg_tensor *initial_state(tg_tape *t, const tg_rnn *r, tg_tensor *const *init, int s,
                                int row, int B, tg_loc loc)
{
    if (!init) return tg_tape_tensor(t, TG_SHAPE(B, r->hidden), NULL);
    tg_tensor *h0 = init[s];
    int LD = r->layers * r->dirs;
    if (!h0 || h0->ndim != 3 || h0->shape[0] != LD || h0->shape[1] != B ||
        h0->shape[2] != r->hidden) {
        char got[64] = "NULL";
        if (h0) tg_shape_str(h0, got, sizeof got);
        tg_contract_fail(loc, "tg_rnn_forward",
                         "initial state %d of the %s layer must be (%d, %d, %d) "
                         "(layers*directions, batch, hidden), got %s",
                         s, r->cell->name, LD, B, r->hidden, got);
    }
    tg_tensor *v = tg_slice_at(t, h0, 0, row, 1, loc);
    return tg_reshape_at(t, v, 2, (int[]){B, r->hidden}, loc);
}

/* What one forward call passes down to each tape's run: the random streams (seeded once
 * per call from the layer's rng, only for a stochastic cell in training; one stream per
 * shard, layer and direction) and the samples' lengths (NULL: all T). */
typedef struct run_seed {
    bool on;
    uint64_t seed;
    int shard;
    const int32_t *lengths; /* (B) of this tape's rows, 1..T */
} run_seed;

/* Runs one direction of one layer over x (T, B, I). Fills hs[0..T-1] with h_t in time
 * order and last[0..n_state-1] with the state after the final step. A cell with xw_parts
 * gets one projection per part, from the part's rows of W_ih and b_ih (views). */
static void run_direction(tg_tape *t, const tg_rnn *r, int layer, int dir, tg_tensor *x,
                          run_seed rs, tg_tensor *const *active, tg_tensor **state,
                          tg_tensor **hs, tg_loc loc)
{
    const tg_cell_type *cell = r->cell;
    const tg_cell_weights *w = &r->w[layer * r->dirs + dir];
    int T = x->shape[0], B = x->shape[1], H = r->hidden;
    int n_parts = 0, width[4];
    tg_tensor *proj[4]; /* (T, B, width[p]) each */
    if (cell->xw_parts[0] > 0) {
        for (int g0 = 0; n_parts < 4 && cell->xw_parts[n_parts] > 0; n_parts++) {
            int rows = cell->xw_parts[n_parts] * H;
            tg_tensor *wp = tg_slice_at(t, w->weight_ih, 0, g0 * H, rows, loc);
            tg_tensor *bp = w->bias_ih ? tg_slice_at(t, w->bias_ih, 0, g0 * H, rows, loc) : NULL;
            proj[n_parts] = tg_linear_at(t, x, wp, bp, loc);
            width[n_parts] = rows;
            g0 += cell->xw_parts[n_parts];
        }
    } else {
        proj[0] = tg_linear_at(t, x, w->weight_ih, w->bias_ih, loc); /* (T, B, G*H) */
        width[0] = cell->gates * H;
        n_parts = 1;
    }
    tg_cell_ctx c = {.w = w, .training = r->training, .user = r->opts.user, .layer = layer,
                     .direction = dir};
    if (rs.on) {
        c.rng = tg_tape_alloc(t, sizeof *c.rng);
        tg_rng_seed(c.rng, rs.seed, ((uint64_t)rs.shard * (uint64_t)r->layers + layer) * 2 + dir);
    }
    tg_tensor *xw[4], *next[4];
    /* weight_hh stays put during the loop: the cell's GEMMs on it (or on views of it) may
     * use one packed copy for all steps */
    tg_tape_pack_begin(t, w->weight_hh->data, w->weight_hh->data + w->weight_hh->size);
    for (int k = 0; k < T; k++) {
        int step = dir ? T - 1 - k : k;
        for (int p = 0; p < n_parts; p++) /* (B, width[p]), a view */
            xw[p] = tg_reshape_at(t, tg_slice_at(t, proj[p], 0, step, 1, loc), 2,
                                  (int[]){B, width[p]}, loc);
        c.step = step;
        next[0] = next[1] = next[2] = next[3] = NULL;
        cell->step(t, &c, xw, state, next);
        tg_tensor *m = active ? active[step] : NULL; /* (B, 1), or NULL: all rows run */
        for (int s = 0; s < cell->n_state; s++) {
            if (!next[s]) tg_contract_fail(loc, "tg_rnn_forward", "cell \"%s\" left state "
                                           "%d unset at step %d", cell->name, s, step);
            if (next[s]->ndim != 2 || next[s]->shape[0] != B || next[s]->shape[1] != H) {
                char got[64];
                tg_contract_fail(loc, "tg_rnn_forward", "cell \"%s\" returned state %d of "
                                 "shape %s at step %d; a state is (batch, hidden) = (%d, %d)",
                                 cell->name, s, tg_shape_str(next[s], got, sizeof got), step,
                                 B, H);
            }
            /* past its length a sample keeps its state (a choice: padding never leaks) */
            state[s] = m ? tg_where_at(t, m, next[s], state[s], loc) : next[s];
        }
        if (hs) hs[step] = m ? tg_where_at(t, m, state[0], NULL, loc) : state[0]; /* 0 past */
    }
    tg_tape_pack_end(t);
}

/* Per time step t, a (B, 1) flag tensor: 1 where t < lengths[b]. NULL where every sample
 * is still running (t below the shortest length), and NULL altogether without lengths. */
static tg_tensor **active_masks(tg_tape *t, const int32_t *lengths, int T, int B)
{
    if (!lengths) return NULL;
    int shortest = T;
    for (int b = 0; b < B; b++) shortest = lengths[b] < shortest ? lengths[b] : shortest;
    if (shortest == T) return NULL;
    tg_tensor **m = tg_tape_alloc(t, sizeof *m * (size_t)T);
    for (int k = 0; k < T; k++) {
        m[k] = NULL;
        if (k < shortest) continue;
        m[k] = tg_tape_empty(t, 2, (int[]){B, 1});
        for (int b = 0; b < B; b++) m[k]->data[b] = k < lengths[b] ? 1.0f : 0.0f;
    }
    return m;
}

/* The runner on one tape, all rows of x at once. */
static tg_tensor *forward_plain(tg_tape *t, tg_rnn *r, tg_tensor *x, tg_tensor *const *init,
                                tg_tensor **final, run_seed rs, tg_loc loc)
{
    const char *op = "tg_rnn_forward";
    if (!r) tg_contract_fail(loc, op, "the layer is NULL");
    tg_check_tensor(x, op, "x", loc);
    int I = r->input_size;
    if (x->ndim != 3 || x->shape[2] != I) {
        char got[64];
        tg_contract_fail(loc, op, "x must be %s with input size %d for this %s layer, got %s",
                         r->opts.batch_first ? "(batch, time, input)" : "(time, batch, input)",
                         I, r->cell->name, tg_shape_str(x, got, sizeof got));
    }
    tg_tensor *seq = r->opts.batch_first ? tg_swapaxes_at(t, x, 0, 1, loc) : x; /* (T, B, I) */
    int T = seq->shape[0], B = seq->shape[1], D = r->dirs, L = r->layers;
    int n_state = r->cell->n_state;
    if (T < 1) tg_contract_fail(loc, op, "the sequence is empty (T = 0)");
    tg_tensor **active = active_masks(t, rs.lengths, T, B);
    if (active) { /* zero the padding of x: no value there reaches a gradient either */
        tg_tensor *m = tg_tape_empty(t, 3, (int[]){T, B, 1});
        for (int k = 0; k < T; k++)
            for (int b = 0; b < B; b++) m->data[k * B + b] = k < rs.lengths[b] ? 1.0f : 0.0f;
        seq = tg_where_at(t, m, seq, NULL, loc);
    }

    /* Final states in (layer, direction) order: last[s][l * D + d]. */
    tg_tensor **last = tg_tape_alloc(t, sizeof(tg_tensor *) * (size_t)(n_state * L * D));
    tg_tensor **hs = tg_tape_alloc(t, sizeof(tg_tensor *) * (size_t)T);
    tg_tensor *out = NULL;
    for (int l = 0; l < L; l++) {
        bool need_seq = l + 1 < L || r->opts.return_sequences;
        tg_tensor *dir_out[2] = {NULL, NULL};
        for (int d = 0; d < D; d++) {
            tg_tensor *state[4];
            for (int s = 0; s < n_state; s++)
                state[s] = initial_state(t, r, init, s, l * D + d, B, loc);
            run_direction(t, r, l, d, seq, rs, active, state, need_seq ? hs : NULL, loc);
            for (int s = 0; s < n_state; s++) last[s * L * D + l * D + d] = state[s];
            if (need_seq) dir_out[d] = tg_stack_at(t, T, hs, 0, loc); /* (T, B, H) */
        }
        if (!need_seq) break;
        out = D == 2 ? tg_concat_at(t, 2, dir_out, 2, loc) : dir_out[0]; /* (T, B, D*H) */
        if (l + 1 < L && r->training && r->opts.dropout > 0.0f) /* (T, B, D*H): rows dim 1 */
            out = tg_dropout_slice_at(t, out, r->opts.dropout, true, r->rng, 1,
                                      r->slice_start, r->slice_total, loc);
        seq = out;
    }

    if (final)
        for (int s = 0; s < n_state; s++)
            final[s] = tg_stack_at(t, L * D, last + s * L * D, 0, loc); /* (L*D, B, H) */

    if (r->opts.return_sequences)
        return r->opts.batch_first ? tg_swapaxes_at(t, out, 0, 1, loc) : out;
    /* Last step of the top layer: h of each direction after its final step. */
    tg_tensor **top = last + (L - 1) * D; /* s = 0 (h) */
    return D == 2 ? tg_concat_at(t, 2, top, 1, loc) : top[0]; /* (B, D*H) */
}

/* ---- batch shards -----------------------------------------------------------------------
 * Shard k holds batch rows [b0[k], b0[k+1]) of x (B, T, I), contiguous in batch-first
 * layout: a tensor on its own tape (tg__tape_shard) that points into x, run through
 * forward_plain by one thread. The parent gets y (B, ...) with every shard's rows copied in
 * and one record whose backward walks the shard tapes back (in parallel), then adds their
 * parameter gradients and x's rows into the parent's buffers in shard order. */
enum { MAX_SHARDS = 16 };
typedef struct shard_set {
    int n;
    int b0[MAX_SHARDS + 1];
    int64_t x_row, y_row; /* floats per batch row of x and of y */
    tg_tape *tape[MAX_SHARDS];
    tg_tensor *x[MAX_SHARDS], *y[MAX_SHARDS];
} shard_set;

static void shards_backward(tg_tape *t, tg_node *n)
{
    shard_set *s = n->saved;
    const float *dy = n->out->grad;
    TG_PAR_FOR(int, k, s->n, s->n > 1, /* a shard per thread; ops inside do not fork */
        tg_backward_from(s->tape[k], s->y[k], dy + s->b0[k] * s->y_row));
    float *gx = tg_grad_of(t, n->in[0]);
    for (int k = 0; k < s->n; k++) {
        tg__shard_grads_add(t, s->tape[k]);
        if (gx && s->x[k]->grad)
            tg__grad_add(gx + s->b0[k] * s->x_row, s->x[k]->grad, s->x[k]->size);
    }
}
static const tg_op shards_op = {"rnn_shards", shards_backward};

/* Shard k's forward on its own tape, under a trap: false when a contract failed inside
 * (its message is in trap->msg). */
static bool shard_forward(tg_rnn *r, shard_set *s, int k, run_seed rs, tg__trap *trap,
                          tg_loc loc)
{
    tg__contract_trap = trap;
    if (setjmp(trap->jb) != 0) {
        tg__contract_trap = NULL;
        return false;
    }
    s->y[k] = forward_plain(s->tape[k], r, s->x[k], NULL, NULL,
                            (run_seed){rs.on, rs.seed, k,
                                       rs.lengths ? rs.lengths + s->b0[k] : NULL},
                            loc);
    tg__contract_trap = NULL;
    return true;
}

static tg_tensor *forward_sharded(tg_tape *t, tg_rnn *r, tg_tensor *x, int n, run_seed rs,
                                  tg_loc loc)
{
    int B = x->shape[0];
    shard_set *s = tg_tape_alloc(t, sizeof *s);
    s->n = n;
    s->x_row = x->size / B;
    for (int k = 0; k <= n; k++) s->b0[k] = (int)((int64_t)B * k / n);
    for (int k = 0; k < n; k++) { /* rows of x, on the shard's tape */
        s->tape[k] = tg__tape_shard(t);
        int rows = s->b0[k + 1] - s->b0[k];
        tg_tensor *xs = tg__tape_header(s->tape[k]);
        *xs = *x;
        xs->flags = TG_ON_TAPE | (x->flags & TG_REQUIRES_GRAD);
        tg__tape_stamp(s->tape[k], xs);
        xs->shape[0] = rows;
        xs->size = rows * s->x_row;
        xs->data = x->data + s->b0[k] * s->x_row;
        xs->grad = NULL, xs->grad_base = NULL, xs->node = NULL, xs->name = NULL;
        s->x[k] = xs;
    }
    /* a contract failure inside a shard (a user's cell, say) is trapped on its thread and
     * raised here, on the caller's, once */
    tg__trap *trap = tg_tape_alloc(t, sizeof *trap * (size_t)n);
    bool *failed = tg_tape_alloc(t, sizeof *failed * (size_t)n);
    TG_PAR_FOR(int, k, n, n > 1, /* a shard per thread; ops inside do not fork */
        failed[k] = !shard_forward(r, s, k, rs, &trap[k], loc));
    for (int k = 0; k < n; k++)
        if (failed[k]) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s [in batch shard %d of %d: rows %d..%d of %d; set "
                     "tg_rnn_opts.shard_rows = 0 to run unsharded]", trap[k].msg, k + 1, n,
                     s->b0[k], s->b0[k + 1] - 1, B);
            tg__contract_raise(msg);
        }
    tg_tensor *y0 = s->y[0];
    int shape[TG_MAX_DIMS];
    memcpy(shape, y0->shape, sizeof shape);
    shape[0] = B;
    tg_tensor *y = tg_tape_empty(t, y0->ndim, shape); /* (B, T, D*H) or (B, D*H) */
    s->y_row = y->size / B;
    for (int k = 0; k < n; k++)
        memcpy(y->data + s->b0[k] * s->y_row, s->y[k]->data,
               sizeof(float) * (size_t)s->y[k]->size);
    /* inputs: x and every weight, so that y requires grad when any of them does */
    int nw = r->layers * r->dirs, n_in = 1;
    tg_tensor **in = tg_tape_alloc(t, sizeof *in * (size_t)(1 + (4 + TG_CELL_MAX_PARAMS) * nw));
    in[0] = x;
    for (int i = 0; i < nw; i++) {
        tg_cell_weights *w = &r->w[i];
        tg_tensor *ws[4] = {w->weight_ih, w->weight_hh, w->bias_ih, w->bias_hh};
        for (int j = 0; j < 4; j++)
            if (ws[j]) in[n_in++] = ws[j];
        for (int j = 0; j < TG_CELL_MAX_PARAMS && w->param[j]; j++) in[n_in++] = w->param[j];
    }
    tg_node *node = tg_record(t, &shards_op, y, n_in, in);
    if (node) node->saved = s;
    return y;
}

/* lengths[b] in 1..T for every sample b, with T and B from x's layout. */
static void check_lengths(const tg_rnn *r, const tg_tensor *x, const int32_t *lengths,
                          tg_loc loc)
{
    if (!lengths || !r || !x || x->ndim != 3) return; /* forward_plain reports a bad x */
    int T = x->shape[r->opts.batch_first ? 1 : 0], B = x->shape[r->opts.batch_first ? 0 : 1];
    for (int b = 0; b < B; b++)
        if (lengths[b] < 1 || lengths[b] > T)
            tg_contract_fail(loc, "tg_rnn_forward_padded", "lengths[%d] = %d is outside 1..%d "
                             "(T of x %s)", b, (int)lengths[b], T, SHAPE(x));
}

tg_tensor *tg_rnn_forward_padded_at(tg_tape *t, tg_rnn *r, tg_tensor *x,
                                    const int32_t *lengths, tg_tensor *const *init,
                                    tg_tensor **final, tg_loc loc)
{
    check_lengths(r, x, lengths, loc);
    run_seed rs = {false, 0, 0, lengths};
    if (r && r->training && r->cell->uses_rng) {
        if (!r->rng)
            tg_contract_fail(loc, "tg_rnn_forward", "cell \"%s\" draws random numbers in "
                             "training: give tg_rnn_train an rng", r->cell->name);
        rs.on = true;
        rs.seed = (uint64_t)tg_rng_u32(r->rng) << 32 | tg_rng_u32(r->rng);
    }
    if (r && x && r->opts.batch_first && !init && !final && r->opts.shard_rows > 0 &&
        x->ndim == 3 && x->shape[2] == r->input_size && x->shape[1] > 0 &&
        !(r->training && r->opts.dropout > 0.0f && r->layers > 1)) {
        int B = x->shape[0], n = B / r->opts.shard_rows;
        if (n < 2 && B >= r->opts.shard_rows) n = 2; /* B 32..63: two halves */
        if (n > MAX_SHARDS) n = MAX_SHARDS;
        if (n >= 2) return forward_sharded(t, r, x, n, rs, loc);
    }
    return forward_plain(t, r, x, init, final, rs, loc);
}

tg_tensor *tg_rnn_forward_at(tg_tape *t, tg_rnn *r, tg_tensor *x, tg_tensor *const *init,
                             tg_tensor **final, tg_loc loc)
{
    return tg_rnn_forward_padded_at(t, r, x, NULL, init, final, loc);
}
