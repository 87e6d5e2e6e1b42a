/* autograd/ops_shape.c — ops that move elements without arithmetic: reshape, transpose,
 * swapaxes, slice, chunk, concat, stack, index_select.
 *
 * reshape, and a slice that is one contiguous run of its parent (slicing the first axis,
 * or any axis whose leading axes have size 1), are views: the output points into the
 * input's data and nothing is copied. Tensors are never written after they are made, so
 * sharing is safe. A view's gradient is likewise its region of the parent's gradient
 * (tensor->grad_base), so its backward has nothing to do. The other ops add into their
 * region of the parent's gradient.
 * Not here: broadcasting (ops_elementwise.c).
 */
#include "autograd/internal.h"

#include <string.h>

/* ---- reshape: y = x with another shape; dx += dy ----------------------------------- */

/* Every recorded reshape is a view (grad_base = x): its gradient already landed in x's
 * buffer, so there is nothing to do. */
static void reshape_backward(tg_tape *t, tg_node *nd) { (void)t, (void)nd; }
static const tg_op reshape_op = {"reshape", reshape_backward};

/* A tape tensor struct that shares `data` (a view). */
static tg_tensor *view(tg_tape *t, float *data, int ndim, const int *shape)
{
    tg_tensor *y = tg__tape_header(t);
    y->data = data;
    y->ndim = ndim;
    y->size = 1;
    for (int i = 0; i < TG_MAX_DIMS; i++) {
        y->shape[i] = i < ndim ? shape[i] : 1;
        if (i < ndim) y->size *= shape[i];
    }
    y->flags = TG_ON_TAPE;
    tg__tape_stamp(t, y);
    return y;
}

tg_tensor *tg_reshape_at(tg_tape *t, tg_tensor *x, int ndim, const int *shape, tg_loc loc)
{
    tg_check_tensor(x, "tg_reshape", "x", loc);
    if (ndim < 0 || ndim > TG_MAX_DIMS || (ndim > 0 && !shape))
        tg_contract_fail(loc, "tg_reshape", "rank %d is outside 0..%d", ndim, TG_MAX_DIMS);
    int s[TG_MAX_DIMS], infer = -1;
    int64_t known = 1;
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i];
        if (s[i] == -1 && infer < 0) {
            infer = i;
        } else if (s[i] < 0) {
            tg_contract_fail(loc, "tg_reshape", "bad size %d in axis %d (one -1 allowed)",
                             s[i], i);
        } else {
            known *= s[i];
        }
    }
    if (infer >= 0) s[infer] = known ? (int)(x->size / known) : 0;
    int64_t total = 1;
    for (int i = 0; i < ndim; i++) total *= s[i];
    if (total != x->size) {
        char want[64];
        int n = snprintf(want, sizeof want, "(");
        for (int i = 0; i < ndim && n < (int)sizeof want; i++)
            n += snprintf(want + n, sizeof want - (size_t)n, "%s%d", i ? ", " : "", shape[i]);
        if (n < (int)sizeof want) snprintf(want + n, sizeof want - (size_t)n, ")");
        tg_contract_fail(loc, "tg_reshape", "cannot view %s (%lld elements) as %s", SHAPE(x),
                         (long long)x->size, want);
    }
    tg_tensor *y = view(t, x->data, ndim, s);
    if (tg_record(t, &reshape_op, y, 1, (tg_tensor *[]){x})) y->grad_base = x;
    return y;
}

/* ---- transpose of the last two axes: y[b, j, i] = x[b, i, j] ------------------------- */

static void transpose_copy(const float *src, float *dst, int batch, int M, int N, bool add)
{
    for (int b = 0; b < batch; b++) {
        const float *s = src + (int64_t)b * M * N;
        float *d = dst + (int64_t)b * M * N;
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                if (add)
                    d[(int64_t)j * M + i] += s[(int64_t)i * N + j];
                else
                    d[(int64_t)j * M + i] = s[(int64_t)i * N + j];
            }
    }
}

/* dx = dy transposed back: dy is (B, N, M), dx (B, M, N). */
static void transpose_backward(tg_tape *t, tg_node *nd)
{
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    const tg_tensor *y = nd->out;
    int N = y->shape[y->ndim - 2], M = y->shape[y->ndim - 1];
    int batch = y->ndim == 3 ? y->shape[0] : 1;
    transpose_copy(y->grad, gx, batch, N, M, true);
}
static const tg_op transpose_op = {"transpose", transpose_backward};

tg_tensor *tg_transpose_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    tg_check_tensor(x, "tg_transpose", "x", loc);
    if (x->ndim != 2 && x->ndim != 3)
        tg_contract_fail(loc, "tg_transpose", "needs (M, N) or (B, M, N), got %s", SHAPE(x));
    int batch = x->ndim == 3 ? x->shape[0] : 1;
    int M = x->shape[x->ndim - 2], N = x->shape[x->ndim - 1];
    int shape[3] = {batch, N, M};
    tg_tensor *y = x->ndim == 3 ? tg_tape_empty(t, 3, shape) : tg_tape_empty(t, 2, shape + 1);
    transpose_copy(x->data, y->data, batch, M, N, false);
    tg_record(t, &transpose_op, y, 1, (tg_tensor *[]){x});
    return y;
}

/* ---- swapaxes: y = x with axes a0 and a1 exchanged ----------------------------------
 * Both tensors are padded to rank 4 with leading 1s; y[i0, i1, i2, i3] reads x at the
 * same index with the two positions exchanged. dx is the same walk with += in reverse.
 * iarg: [0] a0, [1] a1 (in the padded rank-4 numbering). */

/* Copies (or adds) between a tensor of padded shape `ys` and one whose axes a0 and a1 are
 * exchanged; `to_y` picks the direction. */
static void swap_walk(const int *ys, int a0, int a1, const float *src, float *dst, bool to_y,
                      bool add)
{
    int xs[4] = {ys[0], ys[1], ys[2], ys[3]};
    xs[a0] = ys[a1];
    xs[a1] = ys[a0];
    int64_t xstride[4] = {(int64_t)xs[1] * xs[2] * xs[3], (int64_t)xs[2] * xs[3], xs[3], 1};
    int64_t st[4] = {xstride[0], xstride[1], xstride[2], xstride[3]}; /* x stride per y axis */
    st[a0] = xstride[a1];
    st[a1] = xstride[a0];
    int64_t yi = 0;
    if (a0 != 3 && a1 != 3) { /* the last axis stays: contiguous rows of ys[3] both sides */
        int64_t run = ys[3];
        for (int i0 = 0; i0 < ys[0]; i0++)
            for (int i1 = 0; i1 < ys[1]; i1++)
                for (int i2 = 0; i2 < ys[2]; i2++, yi += run) {
                    int64_t xi = i0 * st[0] + i1 * st[1] + i2 * st[2];
                    if (to_y)
                        memcpy(dst + yi, src + xi, (size_t)run * sizeof(float));
                    else if (add)
                        for (int64_t k = 0; k < run; k++) dst[xi + k] += src[yi + k];
                    else
                        memcpy(dst + xi, src + yi, (size_t)run * sizeof(float));
                }
        return;
    }
    for (int i0 = 0; i0 < ys[0]; i0++)
        for (int i1 = 0; i1 < ys[1]; i1++)
            for (int i2 = 0; i2 < ys[2]; i2++)
                for (int i3 = 0; i3 < ys[3]; i3++, yi++) {
                    int64_t xi = i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3];
                    if (to_y)
                        dst[yi] = src[xi];
                    else if (add)
                        dst[xi] += src[yi];
                    else
                        dst[xi] = src[yi];
                }
}

static void padded_shape(const tg_tensor *x, int *s4)
{
    int pad = 4 - x->ndim;
    for (int i = 0; i < 4; i++) s4[i] = i < pad ? 1 : x->shape[i - pad];
}

static void swapaxes_backward(tg_tape *t, tg_node *nd)
{
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    int ys[4];
    padded_shape(nd->out, ys);
    swap_walk(ys, nd->iarg[0], nd->iarg[1], nd->out->grad, gx, false, true);
}
static const tg_op swapaxes_op = {"swapaxes", swapaxes_backward};

tg_tensor *tg_swapaxes_at(tg_tape *t, tg_tensor *x, int axis0, int axis1, tg_loc loc)
{
    tg_check_tensor(x, "tg_swapaxes", "x", loc);
    int a0 = tg_check_axis(x, axis0, "tg_swapaxes", loc);
    int a1 = tg_check_axis(x, axis1, "tg_swapaxes", loc);
    int shape[TG_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[a0] = x->shape[a1];
    shape[a1] = x->shape[a0];
    tg_tensor *y = tg_tape_empty(t, x->ndim, shape);
    int pad = 4 - x->ndim, ys[4];
    padded_shape(y, ys);
    swap_walk(ys, a0 + pad, a1 + pad, x->data, y->data, true, false);
    tg_node *r = tg_record(t, &swapaxes_op, y, 1, (tg_tensor *[]){x});
    if (r) {
        r->iarg[0] = a0 + pad;
        r->iarg[1] = a1 + pad;
    }
    return y;
}

/* ---- slice along an axis: y[o, k, i] = x[o, start + k, i], k < len ------------------
 * iarg: [0] outer, [1] n (x's size on the axis), [2] inner, [3] start. */

static void slice_backward(tg_tape *t, tg_node *nd)
{
    if (nd->out->grad_base) return; /* a view: the gradient is already in x's buffer */
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    int outer = nd->iarg[0], n = nd->iarg[1], inner = nd->iarg[2], start = nd->iarg[3];
    const tg_tensor *y = nd->out;
    int64_t run = y->size / (outer ? outer : 1); /* len * inner */
    for (int o = 0; o < outer; o++) {
        float *g = gx + ((int64_t)o * n + start) * inner;
        tg__grad_add(g, y->grad + o * run, run);
    }
}
static const tg_op slice_op = {"slice", slice_backward};

tg__slice_geom tg__slice_check(const tg_tensor *x, int axis, int start, int len, const char *op,
                               tg_loc loc)
{
    tg_check_tensor(x, op, "x", loc);
    tg__slice_geom g = {.axis = tg_check_axis(x, axis, op, loc), .start = start, .len = len};
    if (start < 0 || len < 0 || start + len > x->shape[g.axis])
        tg_contract_fail(loc, op, "[%d, %d) is outside axis %d of %s", start, start + len,
                         axis, SHAPE(x));
    tg_axis_split(x->ndim, x->shape, g.axis, &g.outer, &g.n, &g.inner);
    memcpy(g.shape, x->shape, sizeof g.shape);
    g.shape[g.axis] = len;
    return g;
}

void tg__slice_record(tg_node *r, const tg__slice_geom *g)
{
    r->iarg[0] = g->outer;
    r->iarg[1] = g->n;
    r->iarg[2] = g->inner;
    r->iarg[3] = g->start;
}

tg_tensor *tg_slice_at(tg_tape *t, tg_tensor *x, int axis, int start, int len, tg_loc loc)
{
    tg__slice_geom g = tg__slice_check(x, axis, start, len, "tg_slice", loc);
    int64_t run = (int64_t)len * g.inner;
    tg_tensor *y;
    if (g.outer == 1) {
        y = view(t, x->data + (int64_t)start * g.inner, x->ndim, g.shape);
    } else {
        y = tg_tape_empty(t, x->ndim, g.shape);
        for (int o = 0; o < g.outer; o++)
            memcpy(y->data + o * run, x->data + ((int64_t)o * g.n + start) * g.inner,
                   (size_t)run * sizeof(float));
    }
    tg_node *r = tg_record(t, &slice_op, y, 1, (tg_tensor *[]){x});
    if (r) {
        tg__slice_record(r, &g);
        if (g.outer == 1) {
            y->grad_base = x;
            y->grad_offset = (int64_t)start * g.inner;
        }
    }
    return y;
}

void tg_chunk_at(tg_tape *t, tg_tensor *x, int k, int axis, tg_tensor **out, tg_loc loc)
{
    tg_check_tensor(x, "tg_chunk", "x", loc);
    int a = tg_check_axis(x, axis, "tg_chunk", loc);
    if (k <= 0 || x->shape[a] % k != 0)
        tg_contract_fail(loc, "tg_chunk", "axis %d of %s does not split into %d equal parts",
                         axis, SHAPE(x), k);
    if (!out) tg_contract_fail(loc, "tg_chunk", "the output array is NULL");
    int len = x->shape[a] / k;
    for (int i = 0; i < k; i++) out[i] = tg_slice_at(t, x, a, i * len, len, loc);
}

/* ---- concat and stack ------------------------------------------------------------------
 * Both write input j as a block of n_j * inner floats in each of `outer` rows of the
 * output, where a row holds total * inner floats. For concat n_j is input j's size on the
 * axis; for stack n_j = 1 and the axis is new.
 * iarg: [0] outer, [1] inner, [2] total; saved: int n_j per input. */

static void concat_backward(tg_tape *t, tg_node *nd)
{
    int outer = nd->iarg[0], inner = nd->iarg[1], total = nd->iarg[2];
    const int *len = nd->saved;
    const float *gy = nd->out->grad;
    int64_t offset = 0; /* start of input j's block inside a row */
    for (int j = 0; j < nd->n_in; j++) {
        int64_t run = (int64_t)len[j] * inner;
        float *gx = tg_grad_of(t, nd->in[j]);
        for (int o = 0; gx && o < outer; o++) {
            tg__grad_add(gx + o * run, gy + (int64_t)o * total * inner + offset, run);
        }
        offset += run;
    }
}
static const tg_op concat_op = {"concat", concat_backward};
static const tg_op stack_op = {"stack", concat_backward};

/* Copies the blocks and records; shape is the output's. */
static tg_tensor *join(tg_tape *t, int n, tg_tensor *const *xs, int outer, int inner,
                       const int *len, int total, int ndim, const int *shape,
                       const tg_op *op)
{
    tg_tensor *y = tg_tape_empty(t, ndim, shape);
    int64_t offset = 0;
    for (int j = 0; j < n; j++) {
        int64_t run = (int64_t)len[j] * inner;
        for (int o = 0; o < outer; o++)
            memcpy(y->data + (int64_t)o * total * inner + offset, xs[j]->data + o * run,
                   (size_t)run * sizeof(float));
        offset += run;
    }
    tg_node *r = tg_record(t, op, y, n, (tg_tensor **)xs);
    if (r) {
        r->iarg[0] = outer;
        r->iarg[1] = inner;
        r->iarg[2] = total;
        int *saved = tg_tape_alloc(t, (size_t)n * sizeof(int));
        memcpy(saved, len, (size_t)n * sizeof(int));
        r->saved = saved;
    }
    return y;
}

/* Checks xs[0..n-1] are non-NULL with the same rank; for same_all, identical shapes;
 * else identical but along `axis`. */
static void check_join(int n, tg_tensor *const *xs, int axis, bool same_all, const char *op,
                       tg_loc loc)
{
    if (n <= 0 || !xs) tg_contract_fail(loc, op, "needs at least one tensor, got %d", n);
    for (int j = 0; j < n; j++) {
        tg_check_tensor(xs[j], op, "an input", loc);
        bool ok = xs[j]->ndim == xs[0]->ndim;
        for (int i = 0; ok && i < xs[0]->ndim; i++)
            if ((same_all || i != axis) && xs[j]->shape[i] != xs[0]->shape[i]) ok = false;
        if (!ok)
            tg_contract_fail(loc, op, "input %d has shape %s, input 0 has %s%s", j,
                             SHAPE(xs[j]), SHAPE(xs[0]),
                             same_all ? " (stack needs equal shapes)"
                                      : " (concat needs equal shapes but along the axis)");
    }
}

tg_tensor *tg_concat_at(tg_tape *t, int n, tg_tensor *const *xs, int axis, tg_loc loc)
{
    if (n <= 0 || !xs || !xs[0])
        tg_contract_fail(loc, "tg_concat", "needs at least one tensor");
    int a = tg_check_axis(xs[0], axis, "tg_concat", loc);
    check_join(n, xs, a, false, "tg_concat", loc);
    int outer, n0, inner, shape[TG_MAX_DIMS];
    tg_axis_split(xs[0]->ndim, xs[0]->shape, a, &outer, &n0, &inner);
    int *len = tg_tape_alloc(t, (size_t)n * sizeof(int)), total = 0;
    for (int j = 0; j < n; j++) total += len[j] = xs[j]->shape[a];
    memcpy(shape, xs[0]->shape, sizeof shape);
    shape[a] = total;
    return join(t, n, xs, outer, inner, len, total, xs[0]->ndim, shape, &concat_op);
}

tg_tensor *tg_stack_at(tg_tape *t, int n, tg_tensor *const *xs, int axis, tg_loc loc)
{
    if (n <= 0 || !xs || !xs[0]) tg_contract_fail(loc, "tg_stack", "needs at least one tensor");
    int nd = xs[0]->ndim;
    int a = axis < 0 ? axis + nd + 1 : axis; /* the new axis may also go last */
    if (a < 0 || a > nd || nd + 1 > TG_MAX_DIMS)
        tg_contract_fail(loc, "tg_stack", "cannot insert axis %d into %s", axis,
                         SHAPE(xs[0]));
    check_join(n, xs, -1, true, "tg_stack", loc);
    int outer = 1, inner = 1, shape[TG_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        if (i < a)
            outer *= xs[0]->shape[i];
        else
            inner *= xs[0]->shape[i];
    }
    for (int i = 0, k = 0; i <= nd; i++) shape[i] = i == a ? n : xs[0]->shape[k++];
    int *len = tg_tape_alloc(t, (size_t)n * sizeof(int));
    for (int j = 0; j < n; j++) len[j] = 1;
    return join(t, n, xs, outer, inner, len, n, nd + 1, shape, &stack_op);
}

/* ---- index_select: y[r] = x[idx[r]] over the first axis ------------------------------
 * dx[idx[r]] += dy[r], in r order (repeated indices add up deterministically).
 * saved: the n indices; iarg[0] = n. */

static void index_select_backward(tg_tape *t, tg_node *nd)
{
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    const int32_t *idx = nd->saved;
    int n = nd->iarg[0];
    int64_t D = n ? nd->out->size / n : 0;
    for (int r = 0; r < n; r++) {
        tg__grad_add(gx + (int64_t)idx[r] * D, nd->out->grad + (int64_t)r * D, D);
    }
}
static const tg_op index_select_op = {"index_select", index_select_backward};

tg_tensor *tg_index_select_at(tg_tape *t, tg_tensor *x, const int32_t *idx, int n, tg_loc loc)
{
    tg_check_tensor(x, "tg_index_select", "x", loc);
    if (x->ndim < 1)
        tg_contract_fail(loc, "tg_index_select", "x must have rows, got %s", SHAPE(x));
    if (n < 0 || (n > 0 && !idx))
        tg_contract_fail(loc, "tg_index_select", "bad index list (n = %d)", n);
    int V = x->shape[0];
    for (int r = 0; r < n; r++)
        if (idx[r] < 0 || idx[r] >= V)
            tg_contract_fail(loc, "tg_index_select", "index %d at position %d is outside "
                             "0..%d of %s", idx[r], r, V - 1, SHAPE(x));
    int shape[TG_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[0] = n;
    tg_tensor *y = tg_tape_empty(t, x->ndim, shape);
    int64_t D = V ? x->size / V : 0;
    for (int r = 0; r < n; r++)
        memcpy(y->data + (int64_t)r * D, x->data + (int64_t)idx[r] * D, (size_t)D * sizeof(float));
    tg_node *rec = tg_record(t, &index_select_op, y, 1, (tg_tensor *[]){x});
    if (rec) {
        int32_t *saved = tg_tape_alloc(t, (size_t)(n ? n : 1) * sizeof(int32_t));
        if (n) memcpy(saved, idx, (size_t)n * sizeof(int32_t));
        rec->saved = saved;
        rec->iarg[0] = n;
    }
    return y;
}
