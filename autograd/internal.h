/* autograd/internal.h — helpers shared by the built-in ops, and the tape's packing cache
 * that the sequence runner (layers/rnn.c) also opens; not installed, not public. User ops
 * need only autograd/op.h. */
#ifndef TG_AUTOGRAD_INTERNAL_H
#define TG_AUTOGRAD_INTERNAL_H

#include "autograd/op.h"
#include "tensor/parallel.h" /* TG_PAR_MIN for tg__grad_add */

/* The packing cache (autograd/tape.c): right-hand GEMM operands packed once and reused
 * (tensor.h tg_gemm_packed) while a packing scope is open. Internal: only tg_backward, the
 * sequence runner and linear (ops_matmul.c) use it; users can only switch it off
 * (tg_tape_set_packing, autograd.h). The opener vouches that the memory [lo, hi) does not
 * change until the scope closes; lo = hi = NULL vouches for all tensor data (tg_backward
 * does, since no tensor's data changes during backward). The sequence runner opens one
 * around its time loop with weight_hh's memory. tg_tape_packed_b returns the packed
 * operand on its second lookup in a scope, NULL outside a scope, for memory outside
 * [lo, hi), on the first lookup, when packing is off (tg_tape_set_packing) or when its
 * slots are used up; the caller then runs tg_gemm. Ask only for operands that are tensor
 * data, never for gradient buffers (those are recycled during backward). Scopes do not
 * nest: begin closes an open scope. After a contract failure left through a longjmp, reset
 * the tape. */
void tg_tape_pack_begin(tg_tape *t, const float *lo, const float *hi);
void tg_tape_pack_end(tg_tape *t);
const tg_gemm_packed_b *tg_tape_packed_b(tg_tape *t, bool trans_b, int K, int N,
                                         const float *B, int ldb);

/* Batch shards (autograd/tape.c, used by layers/rnn.c). tg__tape_shard hands out the
 * parent's next child tape for this step (made on first use and kept, reset when handed
 * out, with the parent's grad mode and packing switch). On a child, gradients of tensors
 * that are not tape tensors (parameters and other leaves, and views of them) go to
 * buffers of the child's own, so shards on different threads never write one buffer;
 * tg__shard_grads_add adds them into the parent's gradients (tg_grad_of(parent, leaf)).
 * Tape tensors of a child must not be used on another tape. */
tg_tape *tg__tape_shard(tg_tape *parent);
void tg__shard_grads_add(tg_tape *parent, tg_tape *shard);

/* In a backward whose op passes dy on unchanged to x (add, sub's first input): hands y's
 * gradient buffer to x instead of zeroing one for x and adding dy into it, when that is the
 * same thing: x is a tape tensor of y's size, not a view, with no gradient yet, and y owns
 * its buffer and is not where backward started. x's later contributions then add into it;
 * y->grad becomes NULL (y's gradient is dead once its record has run). Returns whether it
 * did; on false, accumulate as usual. */
bool tg__grad_take(tg_tape *t, tg_tensor *x, tg_tensor *y);

/* dst[i] += src[i] for a gradient region: the accumulation every op's backward ends in. */
static inline void tg__grad_add(float *dst, const float *src, int64_t n)
{
    TG_PAR_FOR(int64_t, i, n, n > TG_PAR_MIN, dst[i] += src[i]);
}

/* A slice [start, start + len) of x along an axis, as a walk: `outer` runs of len * inner
 * floats, run o starting at x + (o * n + start) * inner; shape is the slice's shape. */
typedef struct tg__slice_geom {
    int axis, outer, n, inner, start, len;
    int shape[TG_MAX_DIMS];
} tg__slice_geom;

/* Checks x, the axis and the range (contract failures name `op`) and fills the walk. */
tg__slice_geom tg__slice_check(const tg_tensor *x, int axis, int start, int len, const char *op,
                               tg_loc loc);
/* Stores the walk in a record's iarg: [0] outer, [1] n, [2] inner, [3] start. */
void tg__slice_record(tg_node *r, const tg__slice_geom *g);

/* A shape as text for messages: SHAPE(x) is valid for the enclosing statement only. */
typedef struct shape_text {
    char s[64];
} shape_text;
static inline shape_text tg__shape_text(const tg_tensor *x)
{
    shape_text t;
    tg_shape_str(x, t.s, sizeof t.s);
    return t;
}
#define SHAPE(x) (tg__shape_text(x).s)

/* Output shape of x with `axis` removed (or kept as 1). */
static inline int tg__drop_axis(const tg_tensor *x, int axis, bool keepdim, int *shape)
{
    int nd = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (i != axis)
            shape[nd++] = x->shape[i];
        else if (keepdim)
            shape[nd++] = 1;
    }
    return nd;
}

/* A zeroed tensor header that outlives tg_tape_reset by HDR_KEEP steps (tape.c), for every
 * tensor a tape makes. */
tg_tensor *tg__tape_header(tg_tape *t);
/* Marks x as made by t in its current step (tape.c, "tape generations"). */
void tg__tape_stamp(const tg_tape *t, tg_tensor *x);

#endif /* TG_AUTOGRAD_INTERNAL_H */
