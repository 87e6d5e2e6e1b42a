/* autograd/op.h — writing your own differentiable op.
 *
 * Every op in tapegrad, built-in or yours, is written the same way, in one place:
 *
 *     // y = softplus(x) = log(1 + exp(x));  dy/dx = sigmoid(x)
 *     static void softplus_backward(tg_tape *t, tg_node *n) {
 *         tg_tensor *x = n->in[0], *y = n->out;
 *         float *gx = tg_grad_of(t, x);            // NULL: x needs no gradient
 *         if (!gx) return;
 *         for (int64_t i = 0; i < x->size; i++)
 *             gx[i] += y->grad[i] / (1.0f + expf(-x->data[i]));   // accumulate, never assign
 *     }
 *     static const tg_op softplus_op = {"softplus", softplus_backward};
 *
 *     tg_tensor *softplus(tg_tape *t, tg_tensor *x) {
 *         tg_tensor *y = tg_tape_empty(t, x->ndim, x->shape);  // every element written below
 *         for (int64_t i = 0; i < x->size; i++)
 *             y->data[i] = log1pf(expf(x->data[i]));
 *         tg_record(t, &softplus_op, y, 1, (tg_tensor *[]){x});
 *         return y;
 *     }
 *
 * The builder checks shapes (tg_contract_fail on a violation), allocates its output on the
 * tape, computes the forward and records itself; tg_record does nothing when no input
 * requires grad or grad mode is off. Backward receives the record: out->grad holds
 * d loss / d out, and the op adds its contribution into each input's buffer from
 * tg_grad_of (zeroed on first use). Values a backward needs beyond inputs and output go in
 * node->iarg / node->farg or in tape memory from tg_tape_alloc, pointed to by node->saved.
 *
 * What this is not: a way to mutate tensors in place (the tape assumes inputs never change
 * after they are recorded).
 */
#ifndef TG_OP_H
#define TG_OP_H

#include "autograd/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_node tg_node;

typedef struct tg_op {
    const char *name;
    void (*backward)(tg_tape *t, tg_node *n);
} tg_op;

/* One tape record. */
struct tg_node {
    const tg_op *op;
    tg_tensor *out;
    tg_tensor **in;      /* n_in inputs, stored on the tape */
    int n_in;
    int index;           /* position on the tape, from 0 */
    tg_node *prev;       /* the record before this one (backward walks these) */
    int iarg[4];         /* small op arguments (axis, sizes, flags) */
    float farg[2];       /* scalar op arguments */
    void *saved;         /* op-specific tape memory, or NULL */
};

/* Records out = op(in[0..n_in-1]) when grad mode is on and an input requires grad; then
 * out requires grad and out->node is the record, which is returned. Else returns NULL.
 * The input array is copied, so a compound literal is fine. */
tg_node *tg_record(tg_tape *t, const tg_op *op, tg_tensor *out, int n_in, tg_tensor **in);

/* In a backward: x's gradient buffer, allocated and zeroed on first use; NULL when x does
 * not require grad (skip its work). Gradients of intermediate (tape) tensors are recycled
 * once their producer's backward has run: after tg_backward, read gradients only from
 * leaves (parameters, tg_requires_grad tensors) and from the tensor backward started at. */
float *tg_grad_of(tg_tape *t, tg_tensor *x);

/* Tape memory, 64-byte aligned, uninitialized; freed by tg_tape_reset. */
void *tg_tape_alloc(tg_tape *t, size_t bytes);
/* An output tensor on the tape with uninitialized data, for a builder that writes every
 * element (tg_tape_tensor zero-fills instead). */
#define tg_tape_empty(...) tg_tape_empty_at(__VA_ARGS__, TG_HERE)
tg_tensor *tg_tape_empty_at(tg_tape *t, int ndim, const int *shape, tg_loc loc);

/* The newest record on the tape, or NULL when it has none; the older ones follow through
 * n->prev (indices descending). For tools that read a recorded graph. */
const tg_node *tg_tape_last(const tg_tape *t);

/* A hook into the next tg_backward on t: fn(user, n) runs after the backward of every
 * record n, newest first (also for records that no gradient reached), on the calling
 * thread. When it runs for n, every record with an index >= n->index has run, so the
 * gradient of a leaf that only records >= n->index read (in[], views resolved through
 * grad_base) is final: what lets dist/ send gradients while backward goes on. Every op
 * must therefore list in in[] each tensor its backward writes a gradient into. fn NULL
 * removes the hook; tg_tape_reset removes it too. */
typedef void (*tg_backward_hook)(void *user, const tg_node *n);
void tg_tape_set_backward_hook(tg_tape *t, tg_backward_hook fn, void *user);
/* The tape's hook and its user pointer (*user may be NULL to skip), or NULL: what a tool
 * that sets its own hook calls on from it and puts back afterwards (dist/ does). */
tg_backward_hook tg_tape_backward_hook(const tg_tape *t, void **user);

/* Contract check helpers for builders. */
void tg_check_tensor(const tg_tensor *x, const char *op, const char *what, tg_loc loc);
/* Normalizes a possibly negative axis, or fails naming the op. */
int tg_check_axis(const tg_tensor *x, int axis, const char *op, tg_loc loc);

#ifdef __cplusplus
}
#endif
#endif /* TG_OP_H */
