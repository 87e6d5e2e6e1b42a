/* autograd/autograd.h — the reverse-mode tape, the parameter store and the differentiable ops.
 *
 *     tg_tape *tp = tg_tape_new();
 *     tg_params *ps = tg_params_new();
 *     tg_tensor *W = tg_params_add(ps, "fc.weight", TG_SHAPE(1, 2));   // (out, in)
 *     tg_tensor *b = tg_params_add(ps, "fc.bias", TG_SHAPE(1));
 *     for (int step = 0; step < 100; step++) {
 *         tg_tape_reset(tp);                          // frees last step's activations, O(1)
 *         tg_params_zero_grad(ps);
 *         tg_tensor *y = tg_linear(tp, x, W, b);      // x: (B, 2) heap tensor -> (B, 1)
 *         tg_tensor *loss = tg_mean(tp, tg_square(tp, tg_sub(tp, y, target)));
 *         tg_backward(tp, loss);                      // fills W->grad, b->grad
 *         ... update W->data, b->data from the grads ...
 *     }
 *
 * Every tensor an op returns is owned by the tape: valid until tg_tape_reset() or
 * tg_tape_free(); copy out what must survive. A tape tensor kept across a reset and given to
 * an op (a final state reused as the next batch's initial state, say) is a contract
 * violation naming the op and the step it came from, instead of silently reading the next
 * step's data (for tensors up to two resets old; checked in every build). Ops record
 * themselves only when one input requires grad and grad mode is on. Backward walks the
 * records in reverse order.
 * Gradients accumulate (+=): a weight used at every time step sums its contributions.
 *
 * Each builder is a variadic macro that appends the caller's file:line, so a shape error
 * names the line in your program: tg_add(t, a, b) is tg_add_at(t, a, b, TG_HERE). The
 * arguments are those of the *_at prototype without the location. (Variadic, so compound
 * literals such as (tg_tensor *[]){a, b} and TG_SHAPE(2, 3) pass through unparenthesized.)
 *
 * What this is not: a lazy graph compiler, a second-order autodiff, or thread-safe per
 * tape (use one tape per thread).
 */
#ifndef TG_AUTOGRAD_H
#define TG_AUTOGRAD_H

#include "tensor/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_tape tg_tape;

/* ---- tape --------------------------------------------------------------------------- */
tg_tape *tg_tape_new(void);
void tg_tape_free(tg_tape *t);
/* Forgets every record and tensor on the tape in O(1), keeping the arena's memory, and
 * starts the tape's next step (its tensors from before are then refused by ops, see
 * above); also lets the thread team follow the machine's load (tg_threads_tick, tensor.h). */
void tg_tape_reset(tg_tape *t);
/* Grad mode: when off, ops compute but record nothing (inference). Returns the old mode. */
bool tg_tape_set_grad(tg_tape *t, bool enabled);
bool tg_tape_grad_enabled(const tg_tape *t);
/* Weight packing (on by default): the recurrent runner and backward pack each recurrent
 * weight once per pass instead of once per time step (a cache inside the tape). Off,
 * every GEMM packs its own operands; the results are the same bits either way. For
 * tests, and to rule it out when hunting a problem. */
#define tg_tape_set_packing(...) tg_tape_set_packing_at(__VA_ARGS__, TG_HERE)
void tg_tape_set_packing_at(tg_tape *t, bool on, tg_loc loc);

/* Counts include the tape's batch-shard tapes (tg_rnn_opts.shard_rows), whose records run
 * on their own threads. */
typedef struct tg_tape_stats {
    int nodes;             /* records on the tape now */
    int chunks;            /* arena chunks held */
    size_t bytes_used;     /* arena bytes handed out since the last reset */
    size_t bytes_reserved; /* arena bytes held */
    uint64_t heap_allocs;  /* chunk mallocs over the tape's life */
} tg_tape_stats;
tg_tape_stats tg_tape_stats_get(const tg_tape *t);
/* One line per record: index, op, output shape, inputs (record index or "leaf"). */
void tg_tape_print(const tg_tape *t, FILE *f);

/* A tape-owned tensor (zeros, or a copy of `values` when not NULL): for inputs built per
 * step without touching the heap. */
tg_tensor *tg_tape_tensor(tg_tape *t, int ndim, const int *shape, const float *values);

/* Marks a heap tensor as a leaf that wants a gradient (allocates its zeroed grad). */
#define tg_requires_grad(...) tg_requires_grad_at(__VA_ARGS__, TG_HERE)
void tg_requires_grad_at(tg_tensor *x, tg_loc loc);

/* Backward from a scalar (size 1) loss: d loss / d x accumulates into x->grad of every
 * tensor the loss depends on that requires grad. Once per tape between resets. */
#define tg_backward(...) tg_backward_at(__VA_ARGS__, TG_HERE)
void tg_backward_at(tg_tape *t, tg_tensor *loss, tg_loc loc);
/* Vector-Jacobian product: backward from y with the seed gradient dy (y's shape). */
#define tg_backward_from(...) tg_backward_from_at(__VA_ARGS__, TG_HERE)
void tg_backward_from_at(tg_tape *t, tg_tensor *y, const float *dy, tg_loc loc);

/* ---- parameter store ----------------------------------------------------------------
 * Named persistent tensors with grad buffers, in insertion order. Names follow PyTorch
 * state_dict keys ("gru.weight_ih_l0"). The store owns them. */
typedef struct tg_params tg_params;
tg_params *tg_params_new(void);
void tg_params_free(tg_params *p);
/* New zero-filled parameter (requires grad, grad zeroed). Duplicate names are a contract
 * violation. */
#define tg_params_add(...) tg_params_add_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_params_add_at(tg_params *p, const char *name, int ndim, const int *shape,
                            tg_loc loc);
tg_tensor *tg_params_get(const tg_params *p, const char *name); /* NULL when absent */
int tg_params_count(const tg_params *p);
tg_tensor *tg_params_at(const tg_params *p, int i); /* also a plain function (pointers) */
#define tg_params_at(...) tg_params_at_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_params_at_at(const tg_params *p, int i, tg_loc loc);
int64_t tg_params_numel(const tg_params *p);                     /* total scalars */
void tg_params_zero_grad(tg_params *p);

/* ---- differentiable ops -------------------------------------------------------------
 * Shapes in comments; axis arguments may be negative (counted from the end). */

/* Elementwise with numpy broadcasting both ways; gradients are summed back to each
 * input's shape. */
#define tg_add(...) tg_add_at(__VA_ARGS__, TG_HERE)
#define tg_sub(...) tg_sub_at(__VA_ARGS__, TG_HERE)
#define tg_mul(...) tg_mul_at(__VA_ARGS__, TG_HERE)
#define tg_div(...) tg_div_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_add_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_loc loc);
tg_tensor *tg_sub_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_loc loc);
tg_tensor *tg_mul_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_loc loc);
tg_tensor *tg_div_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_loc loc);

/* Fused multiply-adds (PyTorch's addcmul and lerp): one pass and one record instead of
 * two or three ops. addcmul: a + b * c. lerp: a + w * (b - a), i.e. (1 - w) * a + w * b
 * (a GRU's h' = lerp(n, h, z)). Equal shapes run fused; other shapes broadcast like
 * add/mul (through those ops) and give the same values. */
#define tg_addcmul(...) tg_addcmul_at(__VA_ARGS__, TG_HERE) /* (t, a, b, c) */
#define tg_lerp(...) tg_lerp_at(__VA_ARGS__, TG_HERE)       /* (t, a, b, w) */
tg_tensor *tg_addcmul_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_tensor *c, tg_loc loc);
tg_tensor *tg_lerp_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_tensor *w, tg_loc loc);

/* where: y = cond ? a : b elementwise (b NULL: 0), as torch.where. A choice, not a blend: a
 * NaN or inf on the side not taken reaches neither y nor a gradient. cond has a's shape, or
 * a's shape with the last axis 1 (one flag per row); nonzero is true; it gets no gradient.
 * b has a's shape. */
#define tg_where(...) tg_where_at(__VA_ARGS__, TG_HERE) /* (t, cond, a, b) */
tg_tensor *tg_where_at(tg_tape *t, tg_tensor *cond, tg_tensor *a, tg_tensor *b, tg_loc loc);

/* Unary elementwise. */
#define tg_neg(...) tg_neg_at(__VA_ARGS__, TG_HERE)
#define tg_scale(...) tg_scale_at(__VA_ARGS__, TG_HERE)           /* (t, x, s): s * x */
#define tg_add_scalar(...) tg_add_scalar_at(__VA_ARGS__, TG_HERE) /* (t, x, s): x + s */
#define tg_one_minus(...) tg_one_minus_at(__VA_ARGS__, TG_HERE)   /* (t, x): 1 - x */
#define tg_sigmoid(...) tg_sigmoid_at(__VA_ARGS__, TG_HERE)
#define tg_tanh(...) tg_tanh_at(__VA_ARGS__, TG_HERE)
#define tg_relu(...) tg_relu_at(__VA_ARGS__, TG_HERE)
#define tg_exp(...) tg_exp_at(__VA_ARGS__, TG_HERE)
#define tg_log(...) tg_log_at(__VA_ARGS__, TG_HERE)
#define tg_sqrt(...) tg_sqrt_at(__VA_ARGS__, TG_HERE)
#define tg_square(...) tg_square_at(__VA_ARGS__, TG_HERE)
#define tg_abs(...) tg_abs_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_neg_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_scale_at(tg_tape *t, tg_tensor *x, float s, tg_loc loc);
tg_tensor *tg_add_scalar_at(tg_tape *t, tg_tensor *x, float s, tg_loc loc);
tg_tensor *tg_one_minus_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_sigmoid_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_tanh_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_relu_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_exp_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_log_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_sqrt_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_square_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_abs_at(tg_tape *t, tg_tensor *x, tg_loc loc);

/* Activations by name, for the fused ops below and for layers that take one. */
typedef enum tg_activation { TG_ACT_NONE, TG_ACT_RELU, TG_ACT_TANH, TG_ACT_SIGMOID } tg_activation;

/* act(slice of x): elements [start, start+len) along axis, through the activation, in one
 * op (no copy of the slice is kept). chunk_act: k equal parts, part i through acts[i] —
 * the gate activations of a recurrent cell: sigmoid(i), sigmoid(f), tanh(g), ... */
#define tg_slice_act(...) tg_slice_act_at(__VA_ARGS__, TG_HERE)
#define tg_chunk_act(...) tg_chunk_act_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_slice_act_at(tg_tape *t, tg_tensor *x, int axis, int start, int len,
                           tg_activation act, tg_loc loc);
void tg_chunk_act_at(tg_tape *t, tg_tensor *x, int k, int axis, const tg_activation *acts,
                     tg_tensor **out, tg_loc loc);

/* Matrix products.
 * matmul: (M, K) @ (K, N) -> (M, N); (B, M, K) @ (B, K, N) -> (B, M, N);
 *         (B, M, K) @ (K, N) -> (B, M, N) (shared right operand).
 * matmul_t: the same with either operand transposed in its last two axes.
 * linear: x (..., I), w (O, I), bias (O) or NULL -> (..., O) = x w^T + bias. */
#define tg_matmul(...) tg_matmul_t_at(__VA_ARGS__, false, false, TG_HERE) /* (t, a, b) */
#define tg_matmul_t(...) tg_matmul_t_at(__VA_ARGS__, TG_HERE) /* (t, a, b, trans_a, trans_b) */
#define tg_linear(...) tg_linear_at(__VA_ARGS__, TG_HERE)
#define tg_linear_add(...) tg_linear_add_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_matmul_t_at(tg_tape *t, tg_tensor *a, tg_tensor *b, bool trans_a,
                          bool trans_b, tg_loc loc);
tg_tensor *tg_linear_at(tg_tape *t, tg_tensor *x, tg_tensor *w, tg_tensor *bias,
                        tg_loc loc);
/* linear_add: c + x w^T + bias in one op, c of the output's shape (a recurrent cell's
 * input projection plus its hidden projection, without a separate sum tensor). */
tg_tensor *tg_linear_add_at(tg_tape *t, tg_tensor *x, tg_tensor *w, tg_tensor *bias,
                            tg_tensor *c, tg_loc loc);

/* Reductions. sum/mean/max of all elements give a scalar (rank 0). The *_axis forms
 * reduce one axis, keeping it with size 1 when keepdim. max routes the gradient to the
 * first maximal element. */
#define tg_sum(...) tg_sum_at(__VA_ARGS__, TG_HERE)
#define tg_mean(...) tg_mean_at(__VA_ARGS__, TG_HERE)
#define tg_max(...) tg_max_at(__VA_ARGS__, TG_HERE)
#define tg_sum_axis(...) tg_sum_axis_at(__VA_ARGS__, TG_HERE)
#define tg_mean_axis(...) tg_mean_axis_at(__VA_ARGS__, TG_HERE)
#define tg_max_axis(...) tg_max_axis_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_sum_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_mean_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_max_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_sum_axis_at(tg_tape *t, tg_tensor *x, int axis, bool keepdim, tg_loc loc);
tg_tensor *tg_mean_axis_at(tg_tape *t, tg_tensor *x, int axis, bool keepdim, tg_loc loc);
tg_tensor *tg_max_axis_at(tg_tape *t, tg_tensor *x, int axis, bool keepdim, tg_loc loc);

/* Softmax and log-softmax over the last axis (max-subtracted, stable). */
#define tg_softmax(...) tg_softmax_at(__VA_ARGS__, TG_HERE)
#define tg_log_softmax(...) tg_log_softmax_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_softmax_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_log_softmax_at(tg_tape *t, tg_tensor *x, tg_loc loc);

/* Layer normalization over the last axis (Ba et al. 2016), as PyTorch's
 * torch.nn.functional.layer_norm(x, (n,), gain, bias, eps): per row of n,
 * y = (x - mean) / sqrt(var + eps) * gain + bias with the biased variance. gain and bias
 * are (n) or NULL (1 and 0); eps > 0 (PyTorch's default 1e-5). One op: a fused forward
 * and a fused backward (autograd/ops_norm.c); the layer that owns gain and bias is
 * tg_layer_norm_layer (layers/layers.h). */
#define tg_layer_norm(...) tg_layer_norm_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_layer_norm_at(tg_tape *t, tg_tensor *x, tg_tensor *gain, tg_tensor *bias,
                            float eps, tg_loc loc);

/* Shape ops.
 * reshape: same number of elements; one entry may be -1 (inferred).
 * transpose: (M, N) -> (N, M); (B, M, N) -> (B, N, M).
 * swapaxes: exchanges two axes of any rank, e.g. (B, T, H) <-> (T, B, H).
 * slice: elements [start, start+len) along axis.
 * chunk: k equal parts along axis into out[0..k-1] (the size must divide by k).
 * concat: n tensors equal but along axis. stack: n same-shape tensors along a new axis.
 * index_select: rows of x (V, D...) picked by idx[0..n-1] -> (n, D...); repeated indices
 *   accumulate their gradients (embedding lookup). Out-of-range indices are a contract
 *   violation. */
#define tg_reshape(...) tg_reshape_at(__VA_ARGS__, TG_HERE)
#define tg_transpose(...) tg_transpose_at(__VA_ARGS__, TG_HERE)
#define tg_swapaxes(...) tg_swapaxes_at(__VA_ARGS__, TG_HERE)
#define tg_slice(...) tg_slice_at(__VA_ARGS__, TG_HERE)
#define tg_chunk(...) tg_chunk_at(__VA_ARGS__, TG_HERE)
#define tg_concat(...) tg_concat_at(__VA_ARGS__, TG_HERE)
#define tg_stack(...) tg_stack_at(__VA_ARGS__, TG_HERE)
#define tg_index_select(...) tg_index_select_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_reshape_at(tg_tape *t, tg_tensor *x, int ndim, const int *shape, tg_loc loc);
tg_tensor *tg_transpose_at(tg_tape *t, tg_tensor *x, tg_loc loc);
tg_tensor *tg_swapaxes_at(tg_tape *t, tg_tensor *x, int axis0, int axis1, tg_loc loc);
tg_tensor *tg_slice_at(tg_tape *t, tg_tensor *x, int axis, int start, int len, tg_loc loc);
void tg_chunk_at(tg_tape *t, tg_tensor *x, int k, int axis, tg_tensor **out, tg_loc loc);
tg_tensor *tg_concat_at(tg_tape *t, int n, tg_tensor *const *xs, int axis, tg_loc loc);
tg_tensor *tg_stack_at(tg_tape *t, int n, tg_tensor *const *xs, int axis, tg_loc loc);
tg_tensor *tg_index_select_at(tg_tape *t, tg_tensor *x, const int32_t *idx, int n,
                              tg_loc loc);

/* ---- gradient check -----------------------------------------------------------------
 * Compares backward against central finite differences for a function of heap tensors.
 * f builds its output on the given tape from inputs[0..n-1] (any shape). The check
 * uses the loss L = sum(w * f(inputs)) with fixed random weights w, evaluated in double,
 * so every output element matters. Per input it reports the worst error
 *   max_i |analytic_i - numeric_i| / max(max_i |analytic_i|, max_i |numeric_i|, 1e-3),
 * that is, relative to the input's largest gradient magnitude. */
typedef tg_tensor *(*tg_gradcheck_fn)(tg_tape *t, tg_tensor **inputs, void *ctx);

#define TG_GRADCHECK_MAX_INPUTS 8
typedef struct tg_gradcheck_opts {
    double eps;     /* finite-difference step (default 1e-2) */
    double tol;     /* pass when every input's error is below (default 1e-2) */
    uint64_t seed;  /* for the weights w */
} tg_gradcheck_opts;
tg_gradcheck_opts tg_gradcheck_defaults(void);

typedef struct tg_gradcheck_result {
    bool ok;
    int n_inputs;
    double err[TG_GRADCHECK_MAX_INPUTS]; /* worst relative error per input */
    double worst;                        /* max over inputs */
    int worst_input;
    int64_t worst_index;                 /* element of that input */
} tg_gradcheck_result;

/* Inputs are heap tensors; they are made to require grad for the check. opts may be NULL. */
#define tg_gradcheck(...) tg_gradcheck_at(__VA_ARGS__, TG_HERE)
tg_gradcheck_result tg_gradcheck_at(tg_gradcheck_fn f, void *ctx, int n, tg_tensor **inputs,
                                    const tg_gradcheck_opts *opts, tg_loc loc);

#ifdef __cplusplus
}
#endif
#endif /* TG_AUTOGRAD_H */
