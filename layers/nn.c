/* layers/nn.c — the linear layer, dropout and the embedding table.
 *
 * The linear layer and the embedding own named parameters in a tg_params store (PyTorch
 * state_dict names and initializations) and forward through existing ops (tg_linear,
 * tg_index_select). Dropout is its own op, written with autograd/op.h: the mask is drawn
 * from the caller's rng in the forward and kept on the tape for the backward.
 * What this is not: a module system (no train/eval state lives here: dropout takes the
 * flag per call), nor the losses (layers/losses.c) or the recurrent layers (rnn.c).
 */
#include "autograd/op.h"
#include "layers/internal.h"

#include <stdio.h>
#include <string.h>

void tg__param_name(char *buf, size_t cap, const char *prefix, const char *leaf,
                    const char *fn, tg_loc loc)
{
    int n = (prefix && *prefix) ? snprintf(buf, cap, "%s.%s", prefix, leaf)
                                : snprintf(buf, cap, "%s", leaf);
    if (n < 0 || (size_t)n >= cap)
        tg_contract_fail(loc, fn, "parameter name \"%s.%s\" is longer than %zu characters",
                         prefix ? prefix : "", leaf, cap - 1);
}

/* ---- linear -----------------------------------------------------------------------------
 * y = x W^T + b:  x (..., in), W (out, in), b (out) -> y (..., out). */

tg_linear_layer tg_linear_layer_new_at(tg_params *ps, const char *prefix, int in, int out,
                                       bool bias, tg_rng *rng, tg_loc loc)
{
    const char *fn = "tg_linear_layer_new";
    if (!ps || !rng) tg_contract_fail(loc, fn, "the store or the rng is NULL");
    if (in <= 0 || out <= 0)
        tg_contract_fail(loc, fn, "in and out must be > 0, got in = %d, out = %d", in, out);
    char name[256];
    tg_linear_layer l = {0};
    tg__param_name(name, sizeof name, prefix, "weight", fn, loc);
    l.weight = tg_params_add(ps, name, TG_SHAPE(out, in)); /* (out, in) */
    tg_init_uniform_fan(l.weight, rng, in);
    if (bias) {
        tg__param_name(name, sizeof name, prefix, "bias", fn, loc);
        l.bias = tg_params_add(ps, name, TG_SHAPE(out)); /* (out) */
        tg_init_uniform_fan(l.bias, rng, in);            /* PyTorch: bound 1/sqrt(fan_in) */
    }
    return l;
}

tg_tensor *tg_linear_layer_forward_at(tg_tape *t, const tg_linear_layer *l, tg_tensor *x,
                                      tg_loc loc)
{
    const char *fn = "tg_linear_layer_forward";
    if (!l || !l->weight) tg_contract_fail(loc, fn, "the layer (or its weight) is NULL");
    tg_check_tensor(x, fn, "x", loc);
    int in = l->weight->shape[1];
    if (x->ndim < 1 || x->shape[x->ndim - 1] != in) {
        char xs[64], ws[64];
        tg_contract_fail(loc, fn, "x %s must end in the layer's %d inputs (weight %s)",
                         tg_shape_str(x, xs, sizeof xs), in,
                         tg_shape_str(l->weight, ws, sizeof ws));
    }
    return tg_linear_at(t, x, l->weight, l->bias, loc); /* (..., out) */
}

/* ---- layer norm --------------------------------------------------------------------------
 * PyTorch's nn.LayerNorm(n): "<prefix>.weight" (gain, ones) and "<prefix>.bias" (zeros). */

tg_layer_norm_layer tg_layer_norm_layer_new_at(tg_params *ps, const char *prefix, int n,
                                               bool affine, bool bias, tg_loc loc)
{
    const char *fn = "tg_layer_norm_layer_new";
    if (!ps) tg_contract_fail(loc, fn, "the store is NULL");
    if (n <= 0) tg_contract_fail(loc, fn, "n must be > 0, got %d", n);
    char name[256];
    tg_layer_norm_layer l = {.eps = 1e-5f};
    if (!affine) return l;
    tg__param_name(name, sizeof name, prefix, "weight", fn, loc);
    l.weight = tg_params_add(ps, name, TG_SHAPE(n));
    tg_tensor_fill(l.weight, 1.0f);
    if (bias) {
        tg__param_name(name, sizeof name, prefix, "bias", fn, loc);
        l.bias = tg_params_add(ps, name, TG_SHAPE(n)); /* zeros */
    }
    return l;
}

tg_tensor *tg_layer_norm_layer_forward_at(tg_tape *t, const tg_layer_norm_layer *l,
                                          tg_tensor *x, tg_loc loc)
{
    if (!l) tg_contract_fail(loc, "tg_layer_norm_layer_forward", "the layer is NULL");
    return tg_layer_norm_at(t, x, l->weight, l->bias, l->eps, loc);
}

/* ---- dropout ----------------------------------------------------------------------------
 * Inverted dropout, as torch.nn.functional.dropout:
 *   m_i = 1/(1-p) with probability 1-p, else 0   (u_i ~ U[0, 1) from rng, kept when u_i >= p)
 *   y_i = x_i * m_i;   dx_i += dy_i * m_i
 * (a multiply, not a select, so a NaN or Inf in x propagates as in PyTorch).
 * saved: the keep mask, one byte per element, on the tape; farg[0] = 1/(1-p).
 * One uniform is drawn per element in order, so the mask depends only on the rng state. */

static void dropout_backward(tg_tape *t, tg_node *nd)
{
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    const unsigned char *keep = nd->saved;
    const float *gy = nd->out->grad;
    const float scale = nd->farg[0];
    for (int64_t i = 0; i < nd->out->size; i++) gx[i] += gy[i] * (keep[i] ? scale : 0.0f);
}
static const tg_op dropout_op = {"dropout", dropout_backward};

/* Both entry points; fn names the caller's function in messages. A 0-d x is one entry
 * along dim 0. */
static tg_tensor *dropout_slice(const char *fn, tg_tape *t, tg_tensor *x, float p,
                                bool training, tg_rng *rng, int dim, int start, int total,
                                tg_loc loc);

tg_tensor *tg_dropout_at(tg_tape *t, tg_tensor *x, float p, bool training, tg_rng *rng,
                         tg_loc loc)
{
    return dropout_slice("tg_dropout", t, x, p, training, rng, 0, 0, 0, loc);
}

tg_tensor *tg_dropout_slice_at(tg_tape *t, tg_tensor *x, float p, bool training, tg_rng *rng,
                               int dim, int start, int total, tg_loc loc)
{
    return dropout_slice("tg_dropout_slice", t, x, p, training, rng, dim, start, total, loc);
}

static tg_tensor *dropout_slice(const char *fn, tg_tape *t, tg_tensor *x, float p,
                                bool training, tg_rng *rng, int dim, int start, int total,
                                tg_loc loc)
{
    tg_check_tensor(x, fn, "x", loc);
    if (!(p >= 0.0f && p < 1.0f))
        tg_contract_fail(loc, fn, "p must be in [0, 1), got p = %g (p = 1 would drop "
                         "everything; use p < 1)", (double)p);
    bool dim_ok = dim >= 0 && (dim < x->ndim || (dim == 0 && x->ndim == 0));
    int n = dim_ok && x->ndim > 0 ? x->shape[dim] : 1;
    if (start == 0 && total == 0) total = n; /* x is the whole tensor */
    char sh[96];
    if (!dim_ok)
        tg_contract_fail(loc, fn, "dim %d is out of range for x %s (%d dims)", dim,
                         tg_shape_str(x, sh, sizeof sh), x->ndim);
    if (start < 0 || (int64_t)start > (int64_t)total - n)
        tg_contract_fail(loc, fn, "x %s as entries [%d, %lld) along dim %d of a tensor with "
                         "%d there: out of range", tg_shape_str(x, sh, sizeof sh), start,
                         (long long)start + n, dim, total);
    if (!training || p == 0.0f) return x; /* the identity: nothing drawn, nothing recorded */
    if (!rng) tg_contract_fail(loc, fn, "rng is NULL (needed in training with p = %g)", (double)p);
    if (!t) tg_contract_fail(loc, fn, "the tape is NULL (needed in training with p = %g)", (double)p);

    const float scale = 1.0f / (1.0f - p);
    tg_tensor *y = tg_tape_empty(t, x->ndim, x->shape);
    /* Recorded before the loop so that the mask is kept only when a backward will read it;
     * the forward below fills y either way. */
    tg_node *nd = tg_record(t, &dropout_op, y, 1, (tg_tensor *[]){x});
    unsigned char *keep = NULL;
    if (nd) {
        keep = tg_tape_alloc(t, (size_t)(x->size ? x->size : 1));
        nd->saved = keep;
        nd->farg[0] = scale;
    }
    /* The whole tensor is (outer, total, inner) around dim; x is (outer, n, inner). */
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < dim; d++) outer *= x->shape[d];
    for (int d = dim + 1; d < x->ndim; d++) inner *= x->shape[d];
    for (int64_t o = 0, i = 0; o < outer; o++) {
        tg_rng_advance_at(rng, (uint64_t)((int64_t)start * inner), loc);
        for (int64_t e = 0; e < (int64_t)n * inner; e++, i++) {
            bool k = tg_rng_uniform(rng) >= p;
            if (keep) keep[i] = k;
            y->data[i] = x->data[i] * (k ? scale : 0.0f);
        }
        tg_rng_advance_at(rng, (uint64_t)((int64_t)(total - start - n) * inner), loc);
    }
    return y;
}

/* ---- embedding --------------------------------------------------------------------------
 * weight (num, dim) ~ N(0, 1);  forward: idx[n] -> weight rows (n, dim). Repeated indices
 * add their gradients into the same row (tg_index_select's backward). */

tg_embedding tg_embedding_new_at(tg_params *ps, const char *prefix, int num, int dim,
                                 tg_rng *rng, tg_loc loc)
{
    const char *fn = "tg_embedding_new";
    if (!ps || !rng) tg_contract_fail(loc, fn, "the store or the rng is NULL");
    if (num <= 0 || dim <= 0)
        tg_contract_fail(loc, fn, "num and dim must be > 0, got num = %d, dim = %d", num,
                         dim);
    char name[256];
    tg__param_name(name, sizeof name, prefix, "weight", fn, loc);
    tg_embedding e = {tg_params_add(ps, name, TG_SHAPE(num, dim))}; /* (num, dim) */
    tg_fill_normal(e.weight, rng, 0.0f, 1.0f);
    return e;
}

tg_tensor *tg_embedding_forward_at(tg_tape *t, const tg_embedding *e, const int32_t *idx,
                                   int n, tg_loc loc)
{
    const char *fn = "tg_embedding_forward";
    if (!e || !e->weight) tg_contract_fail(loc, fn, "the embedding (or its weight) is NULL");
    if (n < 0 || (n > 0 && !idx))
        tg_contract_fail(loc, fn, "needs n >= 0 indices and a non-NULL list, got n = %d", n);
    int num = e->weight->shape[0];
    for (int i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= num) {
            char ws[64];
            tg_contract_fail(loc, fn, "index %d at position %d is outside 0..%d of the table "
                             "%s", (int)idx[i], i, num - 1,
                             tg_shape_str(e->weight, ws, sizeof ws));
        }
    return tg_index_select_at(t, e->weight, idx, n, loc); /* (n, dim) */
}
