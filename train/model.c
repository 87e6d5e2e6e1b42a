/* train/model.c — the sequential model container: a list of layers (recurrent, dropout,
 * dense) that owns their parameters, builds their names the way Keras does and runs them
 * in order on a tape.
 *
 * It is a convenience over layers/: tg_model_forward is just the layers' own forward calls
 * one after the other, so anything it does a program can do by hand.
 * Not here: the training loop (fit.c), saving (safetensors.c), branching graphs.
 */
#include "train/internal.h"
#include "layers/internal.h" /* tg__check_batch_slice */

#include <string.h>

typedef enum layer_kind { LAYER_RNN, LAYER_DROPOUT, LAYER_DENSE } layer_kind;

typedef struct layer {
    layer_kind kind;
    char name[48];
    tg_rnn *rnn;          /* LAYER_RNN */
    float p;              /* LAYER_DROPOUT */
    tg_linear_layer fc;   /* LAYER_DENSE */
    tg_activation act;
    int out_ndim;         /* per-sample output: (steps, units) or (units) */
    int out_shape[2];
    int64_t n_params;
} layer;

struct tg_model {
    tg_params *ps;
    tg_rng init_rng, dropout_rng;
    uint64_t seed;
    tg_rnn_init init;
    int in_ndim, in_shape[2]; /* per sample; in_ndim 0 until tg_model_input */
    layer *layers;
    int n, cap;
    tg_loss_kind loss;
    tg_optim *opt;
    tg_tape *tape;
    int slice_start, slice_total; /* tg_model_batch_slice's; total 0: batches are whole */
};

tg_model *tg_model_new(uint64_t seed)
{
    tg_model *m = tg_calloc(sizeof *m);
    m->ps = tg_params_new();
    m->seed = seed;
    tg_rng_seed(&m->init_rng, seed, 1);
    tg_rng_seed(&m->dropout_rng, seed, 2);
    m->init = TG_INIT_TORCH;
    m->loss = TG_LOSS_MSE;
    m->tape = tg_tape_new();
    return m;
}

void tg_model_free(tg_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n; i++) tg_rnn_free(m->layers[i].rnn);
    tg_free(m->layers);
    tg_optim_free(m->opt);
    tg_tape_free(m->tape);
    tg_params_free(m->ps);
    tg_free(m);
}

tg_params *tg_model_params(tg_model *m) { return m->ps; }
tg_optim *tg_model_optimizer(tg_model *m) { return m->opt; }
void tg_model_set_init(tg_model *m, tg_rnn_init init) { m->init = init; }

/* The internal state fit.c needs (train/internal.h). */
tg_tape *tg__model_tape(tg_model *m) { return m->tape; }
tg_loss_kind tg__model_loss(const tg_model *m) { return m->loss; }
uint64_t tg__model_seed(const tg_model *m) { return m->seed; }
tg_rng *tg_model_dropout_rng(tg_model *m) { return m ? &m->dropout_rng : NULL; }

void tg_model_batch_slice_at(tg_model *m, int start, int total, tg_loc loc)
{
    if (!m) tg_contract_fail(loc, "tg_model_batch_slice", "the model is NULL");
    tg__check_batch_slice("tg_model_batch_slice", start, total, loc);
    m->slice_start = start;
    m->slice_total = total;
}

void tg_model_input_at(tg_model *m, int timesteps, int features, tg_loc loc)
{
    if (m->n > 0)
        tg_contract_fail(loc, "tg_model_input", "call it before adding layers");
    if (timesteps < 0 || features < 1)
        tg_contract_fail(loc, "tg_model_input", "timesteps %d and features %d", timesteps,
                         features);
    m->in_ndim = timesteps ? 2 : 1;
    m->in_shape[0] = timesteps ? timesteps : features;
    m->in_shape[1] = features;
}

/* The per-sample shape entering the next layer. */
static void current_shape(const tg_model *m, int *ndim, int *shape, const char *op,
                          tg_loc loc)
{
    if (m->n == 0) {
        if (!m->in_ndim)
            tg_contract_fail(loc, op, "declare the input shape first (tg_model_input)");
        *ndim = m->in_ndim;
        shape[0] = m->in_shape[0];
        shape[1] = m->in_shape[1];
    } else {
        *ndim = m->layers[m->n - 1].out_ndim;
        shape[0] = m->layers[m->n - 1].out_shape[0];
        shape[1] = m->layers[m->n - 1].out_shape[1];
    }
}

/* Appends a layer named base, base_1, base_2, ... (Keras' naming). */
static layer *push(tg_model *m, layer_kind kind, const char *base, tg_loc loc)
{
    if (m->opt)
        tg_contract_fail(loc, "tg_model", "add layers before tg_model_compile");
    m->layers = tg_grow(m->layers, m->n, &m->cap, 8, sizeof *m->layers);
    int same = 0;
    size_t len = strlen(base);
    for (int i = 0; i < m->n; i++)
        if (strncmp(m->layers[i].name, base, len) == 0 &&
            (m->layers[i].name[len] == 0 || m->layers[i].name[len] == '_'))
            same++;
    layer *l = &m->layers[m->n++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    if (same)
        snprintf(l->name, sizeof l->name, "%s_%d", base, same);
    else
        snprintf(l->name, sizeof l->name, "%s", base);
    return l;
}

void tg_model_rnn_opts_at(tg_model *m, const tg_cell_type *cell, int units,
                          const tg_rnn_opts *o, tg_loc loc)
{
    int nd, shape[2];
    current_shape(m, &nd, shape, "tg_model_rnn", loc);
    if (nd != 2)
        tg_contract_fail(loc, "tg_model_rnn",
                         "a recurrent layer needs (timesteps, features) input; the layer "
                         "before gives one vector per sample (return_sequences is off?)");
    tg_rnn_opts ro = o ? *o : tg_rnn_defaults();
    ro.batch_first = true;
    int64_t before = tg_params_numel(m->ps);
    layer *l = push(m, LAYER_RNN, cell->name, loc);
    l->rnn = tg_rnn_new_at(m->ps, l->name, cell, shape[1], units, &ro, &m->init_rng, loc);
    l->n_params = tg_params_numel(m->ps) - before;
    int out = tg_rnn_output_size(l->rnn);
    l->out_ndim = ro.return_sequences ? 2 : 1;
    l->out_shape[0] = ro.return_sequences ? shape[0] : out;
    l->out_shape[1] = out;
}

void tg_model_rnn(tg_model *m, const tg_cell_type *cell, int units, bool return_sequences)
{
    tg_rnn_opts o = tg_rnn_defaults();
    o.return_sequences = return_sequences;
    o.init = m->init;
    o.unit_forget_bias = m->init == TG_INIT_KERAS;
    tg_model_rnn_opts_at(m, cell, units, &o, TG_HERE);
}

void tg_model_dropout_at(tg_model *m, float p, tg_loc loc)
{
    if (!(p >= 0.0f && p < 1.0f))
        tg_contract_fail(loc, "tg_model_dropout", "p = %g is outside [0, 1)", (double)p);
    int nd, shape[2];
    current_shape(m, &nd, shape, "tg_model_dropout", loc);
    layer *l = push(m, LAYER_DROPOUT, "dropout", loc);
    l->p = p;
    l->out_ndim = nd;
    l->out_shape[0] = shape[0];
    l->out_shape[1] = shape[1];
}

void tg_model_dense_at(tg_model *m, int units, tg_activation act, tg_loc loc)
{
    int nd, shape[2];
    current_shape(m, &nd, shape, "tg_model_dense", loc);
    if (units < 1) tg_contract_fail(loc, "tg_model_dense", "units = %d", units);
    int in = nd == 2 ? shape[1] : shape[0];
    int64_t before = tg_params_numel(m->ps);
    layer *l = push(m, LAYER_DENSE, "dense", loc);
    l->fc = tg_linear_layer_new(m->ps, l->name, in, units, true, &m->init_rng);
    if (m->init == TG_INIT_KERAS) {
        tg_init_glorot_uniform(l->fc.weight, &m->init_rng, 1.0f);
        tg_tensor_fill(l->fc.bias, 0.0f);
    }
    l->act = act;
    l->n_params = tg_params_numel(m->ps) - before;
    l->out_ndim = nd;
    l->out_shape[0] = nd == 2 ? shape[0] : units;
    l->out_shape[1] = units;
}

void tg_model_compile_at(tg_model *m, tg_loss_kind loss, tg_optim *opt, tg_loc loc)
{
    if (!opt) tg_contract_fail(loc, "tg_model_compile", "the optimizer is NULL");
    if (m->opt && m->opt != opt) tg_optim_free(m->opt);
    m->loss = loss;
    m->opt = opt;
}

int64_t tg_model_param_count(const tg_model *m) { return tg_params_numel(m->ps); }

void tg_model_summary(const tg_model *m, FILE *f)
{
    fprintf(f, "%-16s %-20s %10s\n", "Layer", "Output shape", "Params");
    for (int i = 0; i < m->n; i++) {
        const layer *l = &m->layers[i];
        char shape[48];
        if (l->out_ndim == 2)
            snprintf(shape, sizeof shape, "(None, %d, %d)", l->out_shape[0], l->out_shape[1]);
        else
            snprintf(shape, sizeof shape, "(None, %d)", l->out_shape[0]);
        fprintf(f, "%-16s %-20s %10lld\n", l->name, shape, (long long)l->n_params);
    }
    fprintf(f, "Total params: %lld\n", (long long)tg_params_numel(m->ps));
}

static tg_tensor *activate(tg_tape *t, tg_tensor *x, tg_activation a, tg_loc loc)
{
    switch (a) {
    case TG_ACT_RELU: return tg_relu_at(t, x, loc);
    case TG_ACT_TANH: return tg_tanh_at(t, x, loc);
    case TG_ACT_SIGMOID: return tg_sigmoid_at(t, x, loc);
    case TG_ACT_NONE: break;
    }
    return x;
}

tg_tensor *tg_model_forward_at(tg_tape *t, tg_model *m, tg_tensor *x, bool training, tg_loc loc)
{
    return tg_model_forward_padded_at(t, m, x, NULL, training, loc);
}

tg_tensor *tg_model_forward_padded_at(tg_tape *t, tg_model *m, tg_tensor *x,
                                      const int32_t *lengths, bool training, tg_loc loc)
{
    if (!m || m->n == 0) tg_contract_fail(loc, "tg_model_forward", "the model has no layers");
    if (m->slice_total && x && x->ndim > 0 && (int64_t)m->slice_start + x->shape[0] > m->slice_total)
        tg_contract_fail(loc, "tg_model_forward", "the batch's %d rows from row %d do not fit "
                         "in the global batch of %d rows set by tg_model_batch_slice",
                         x->shape[0], m->slice_start, m->slice_total);
    tg_tensor *h = x;
    if (lengths && x && x->ndim == 3) /* padding zeroed first: no layer sees its values */
        h = tg_where_at(t, tg_length_mask_at(t, lengths, x->shape[0], x->shape[1], loc), x,
                        NULL, loc);
    for (int i = 0; i < m->n; i++) {
        layer *l = &m->layers[i];
        switch (l->kind) {
        case LAYER_RNN:
            tg_rnn_train_at(l->rnn, training, &m->dropout_rng, loc);
            tg_rnn_batch_slice_at(l->rnn, m->slice_start, m->slice_total, loc);
            h = tg_rnn_forward_padded_at(t, l->rnn, h, lengths, NULL, NULL, loc);
            break;
        case LAYER_DROPOUT: /* h (B, ...): the batch's rows are dim 0 */
            h = tg_dropout_slice_at(t, h, l->p, training, &m->dropout_rng, 0, m->slice_start,
                                    m->slice_total, loc);
            break;
        case LAYER_DENSE:
            h = activate(t, tg_linear_layer_forward_at(t, &l->fc, h, loc), l->act, loc);
            break;
        }
    }
    return h;
}
