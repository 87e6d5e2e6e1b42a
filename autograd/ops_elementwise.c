/* autograd/ops_elementwise.c — differentiable elementwise ops.
 *
 * Binary ops (add, sub, mul, div) broadcast numpy-style both ways; their backward computes
 * the gradient at the output's shape and sums it back to each input's shape
 * (tg_kernel_reduce_to). Unary ops (neg, scale, add_scalar, one_minus, sigmoid, tanh, relu,
 * exp, log, sqrt, square, abs) each sit in one block: math, forward, backward, record,
 * builder. slice_act / chunk_act apply an activation to a slice in one op (a cell's gates).
 * Backward always accumulates (+=).
 * Not here: reductions (ops_reduce.c), shape ops (ops_shape.c), matmul (ops_matmul.c).
 */
#include "autograd/internal.h"
#include "tensor/parallel.h" /* TG_PAR_MIN, TG_PAR_VMATH */

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* The loops below are written out per op so that gcc vectorizes each one. */
#define UNARY_LOOP(count, body)                                                        \
    {                                                                                   \
        const int64_t n_ = (count);                                                     \
        TG_PAR_FOR(int64_t, i, n_, n_ > TG_PAR_MIN, body);                              \
    }

/* ---- binary ops with broadcasting ---------------------------------------------------- */

/* Scratch of the output's size on the tape, for a gradient before reduction. */
static float *scratch(tg_tape *t, const tg_tensor *y)
{
    return tg_tape_alloc(t, (size_t)y->size * sizeof(float));
}

/* Adds g (output-shaped), negated when `negate`, into x's gradient, summing broadcast
 * axes. Same shape: straight into the gradient; broadcast: through tg_kernel_reduce_to
 * (after negating into a scratch when asked). */
static void add_reduced(tg_tape *t, tg_tensor *x, const tg_tensor *y, const float *g,
                        bool negate)
{
    float *gx = tg_grad_of(t, x);
    if (!gx) return;
    if (x->size == y->size) {
        if (negate)
            UNARY_LOOP(y->size, gx[i] -= g[i])
        else
            tg__grad_add(gx, g, y->size);
        return;
    }
    if (negate) {
        float *ng = scratch(t, y);
        for (int64_t i = 0; i < y->size; i++) ng[i] = -g[i];
        g = ng;
    }
    tg_kernel_reduce_to(g, y->ndim, y->shape, gx, x->ndim, x->shape);
}

/* y = a + b;  da = dy, db = dy (each summed to its shape) */
static void add_backward(tg_tape *t, tg_node *n)
{
    tg_tensor *a = n->in[0], *b = n->in[1], *y = n->out;
    if (tg__grad_take(t, a, y)) { /* da is dy itself: a takes y's buffer */
        add_reduced(t, b, y, a->grad, false);
    } else if (tg__grad_take(t, b, y)) {
        add_reduced(t, a, y, b->grad, false);
    } else {
        add_reduced(t, a, y, y->grad, false);
        add_reduced(t, b, y, y->grad, false);
    }
}

/* y = a - b;  da = dy, db = -dy */
static void sub_backward(tg_tape *t, tg_node *n)
{
    tg_tensor *a = n->in[0], *b = n->in[1], *y = n->out;
    if (tg__grad_take(t, a, y)) {
        add_reduced(t, b, y, a->grad, true);
    } else {
        add_reduced(t, a, y, y->grad, false);
        add_reduced(t, b, y, y->grad, true);
    }
}

/* dy * other, with `other` broadcast to y's shape. */
static float *times_other(tg_tape *t, const tg_tensor *y, const tg_tensor *other)
{
    float *g = scratch(t, y);
    tg_kernel_binary(TG_BIN_MUL, y->grad, y->ndim, y->shape, other->data, other->ndim,
                     other->shape, g, y->ndim, y->shape);
    return g;
}

/* y = a * b;  da = dy * b, db = dy * a. Without broadcasting the products go straight into
 * the gradients; with it they are formed at y's shape and then summed down. */
static void mul_backward(tg_tape *t, tg_node *n)
{
    tg_tensor *a = n->in[0], *b = n->in[1];
    const tg_tensor *y = n->out;
    const float *gy = y->grad;
    int64_t m = y->size;
    if (a->size == m && b->size == m) {
        float *ga = tg_grad_of(t, a), *gb = tg_grad_of(t, b);
        const float *av = a->data, *bv = b->data;
        if (ga) UNARY_LOOP(m, ga[i] += gy[i] * bv[i])
        if (gb) UNARY_LOOP(m, gb[i] += gy[i] * av[i])
        return;
    }
    if (a->flags & TG_REQUIRES_GRAD) add_reduced(t, a, y, times_other(t, y, b), false);
    if (b->flags & TG_REQUIRES_GRAD) add_reduced(t, b, y, times_other(t, y, a), false);
}

/* y = a / b;  da = dy / b, db = -dy * a / b^2 = -dy * y / b */
static void div_backward(tg_tape *t, tg_node *n)
{
    tg_tensor *a = n->in[0], *b = n->in[1];
    const tg_tensor *y = n->out;
    if (a->flags & TG_REQUIRES_GRAD) {
        float *g = scratch(t, y);
        tg_kernel_binary(TG_BIN_DIV, y->grad, y->ndim, y->shape, b->data, b->ndim, b->shape,
                         g, y->ndim, y->shape);
        add_reduced(t, a, y, g, false);
    }
    if (b->flags & TG_REQUIRES_GRAD) {
        float *g = scratch(t, y);
        for (int64_t i = 0; i < y->size; i++) g[i] = -y->grad[i] * y->data[i];
        tg_kernel_binary(TG_BIN_DIV, g, y->ndim, y->shape, b->data, b->ndim, b->shape, g,
                         y->ndim, y->shape);
        add_reduced(t, b, y, g, false);
    }
}

static const tg_op add_op = {"add", add_backward};
static const tg_op sub_op = {"sub", sub_backward};
static const tg_op mul_op = {"mul", mul_backward};
static const tg_op div_op = {"div", div_backward};

static tg_tensor *binary(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_binop kind,
                         const tg_op *op, tg_loc loc)
{
    tg_check_tensor(a, op->name, "a", loc);
    tg_check_tensor(b, op->name, "b", loc);
    int nd, shape[TG_MAX_DIMS];
    if (!tg_broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, &nd, shape))
        tg_contract_fail(loc, op->name,
                         "shapes %s and %s do not broadcast (sizes must match or be 1, "
                         "aligned from the last axis)",
                         SHAPE(a), SHAPE(b));
    tg_tensor *y = tg_tape_empty(t, nd, shape);
    tg_kernel_binary(kind, a->data, a->ndim, a->shape, b->data, b->ndim, b->shape, y->data,
                     nd, shape);
    tg_record(t, op, y, 2, (tg_tensor *[]){a, b});
    return y;
}

tg_tensor *tg_add_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_loc loc)
{
    return binary(t, a, b, TG_BIN_ADD, &add_op, loc);
}
tg_tensor *tg_sub_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_loc loc)
{
    return binary(t, a, b, TG_BIN_SUB, &sub_op, loc);
}
tg_tensor *tg_mul_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_loc loc)
{
    return binary(t, a, b, TG_BIN_MUL, &mul_op, loc);
}
tg_tensor *tg_div_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_loc loc)
{
    return binary(t, a, b, TG_BIN_DIV, &div_op, loc);
}

/* ---- ternary ops: addcmul, lerp ---------------------------------------------------------
 * Two multiply-adds that gated cells spend most of their elementwise time on, as one pass
 * and one tape record each instead of two or three (PyTorch's torch.addcmul, torch.lerp).
 * With equal shapes they run fused; otherwise the builders compose add/sub/mul, which
 * broadcast, and give the same values (C11 does not contract a + b * c into an FMA). */

/* Checks the three inputs; true when their shapes are equal (the fused path). Else they
 * must broadcast together, or the contract fails naming the op and all three shapes. */
static bool check3(const tg_tensor *a, const tg_tensor *b, const tg_tensor *c, const char *op,
                   const char *names, tg_loc loc)
{
    tg_check_tensor(a, op, "first input", loc);
    tg_check_tensor(b, op, "second input", loc);
    tg_check_tensor(c, op, "third input", loc);
    if (tg_shape_equal(a, b) && tg_shape_equal(a, c)) return true;
    int nd, shape[TG_MAX_DIMS], nd2, shape2[TG_MAX_DIMS];
    if (!tg_broadcast_shape(b->ndim, b->shape, c->ndim, c->shape, &nd, shape) ||
        !tg_broadcast_shape(a->ndim, a->shape, nd, shape, &nd2, shape2))
        tg_contract_fail(loc, op, "shapes %s, %s and %s (%s) do not broadcast together",
                         SHAPE(a), SHAPE(b), SHAPE(c), names);
    return false;
}

/* True when three gradient regions of m floats are pairwise the same or disjoint, so one
 * loop may update all three: iteration i touches element i of each and nothing else.
 * Overlapping views of one base at different offsets would have two threads adding into
 * the same float; those take one loop per input instead. */
static bool fusable(const float *ga, const float *gb, const float *gc, int64_t m)
{
    const float *p[3] = {ga, gb, gc};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++) {
            uintptr_t x = (uintptr_t)p[i], y = (uintptr_t)p[j], bytes = (uintptr_t)m * 4;
            if (x != y && x < y + bytes && y < x + bytes) return false;
        }
    return true;
}

/* y = a + b * c;  da = dy, db = dy * c, dc = dy * b */
static void addcmul_backward(tg_tape *t, tg_node *n)
{
    const float *gy = n->out->grad, *bv = n->in[1]->data, *cv = n->in[2]->data;
    float *ga = tg_grad_of(t, n->in[0]);
    float *gb = tg_grad_of(t, n->in[1]);
    float *gc = tg_grad_of(t, n->in[2]);
    int64_t m = n->out->size;
    if (ga && gb && gc && fusable(ga, gb, gc, m)) { /* one pass; may alias (a, b, b) */
        UNARY_LOOP(m, ga[i] += gy[i]; gb[i] += gy[i] * cv[i]; gc[i] += gy[i] * bv[i])
        return;
    }
    if (ga) UNARY_LOOP(m, ga[i] += gy[i])
    if (gb) UNARY_LOOP(m, gb[i] += gy[i] * cv[i])
    if (gc) UNARY_LOOP(m, gc[i] += gy[i] * bv[i])
}
static const tg_op addcmul_op = {"addcmul", addcmul_backward};

tg_tensor *tg_addcmul_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_tensor *c, tg_loc loc)
{
    if (!check3(a, b, c, "tg_addcmul", "a, b, c", loc))
        return tg_add_at(t, a, tg_mul_at(t, b, c, loc), loc);
    tg_tensor *y = tg_tape_empty(t, a->ndim, a->shape);
    const float *av = a->data, *bv = b->data, *cv = c->data;
    float *yv = y->data;
    UNARY_LOOP(y->size, yv[i] = av[i] + bv[i] * cv[i])
    tg_record(t, &addcmul_op, y, 3, (tg_tensor *[]){a, b, c});
    return y;
}

/* y = a + w * (b - a);  da = dy * (1 - w), db = dy * w, dw = dy * (b - a) */
static void lerp_backward(tg_tape *t, tg_node *n)
{
    const float *gy = n->out->grad, *av = n->in[0]->data, *bv = n->in[1]->data,
                *wv = n->in[2]->data;
    float *ga = tg_grad_of(t, n->in[0]);
    float *gb = tg_grad_of(t, n->in[1]);
    float *gw = tg_grad_of(t, n->in[2]);
    int64_t m = n->out->size;
    if (ga && gb && gw && fusable(ga, gb, gw, m)) {
        UNARY_LOOP(m, float g = gy[i]; float wg = wv[i] * g; ga[i] += g - wg; gb[i] += wg;
                   gw[i] += g * (bv[i] - av[i]))
        return;
    }
    if (ga) UNARY_LOOP(m, ga[i] += gy[i] - wv[i] * gy[i])
    if (gb) UNARY_LOOP(m, gb[i] += wv[i] * gy[i])
    if (gw) UNARY_LOOP(m, gw[i] += gy[i] * (bv[i] - av[i]))
}
static const tg_op lerp_op = {"lerp", lerp_backward};

tg_tensor *tg_lerp_at(tg_tape *t, tg_tensor *a, tg_tensor *b, tg_tensor *w, tg_loc loc)
{
    if (!check3(a, b, w, "tg_lerp", "a, b, w", loc))
        return tg_add_at(t, a, tg_mul_at(t, w, tg_sub_at(t, b, a, loc), loc), loc);
    tg_tensor *y = tg_tape_empty(t, a->ndim, a->shape);
    const float *av = a->data, *bv = b->data, *wv = w->data;
    float *yv = y->data;
    UNARY_LOOP(y->size, yv[i] = av[i] + wv[i] * (bv[i] - av[i]))
    tg_record(t, &lerp_op, y, 3, (tg_tensor *[]){a, b, w});
    return y;
}

/* ---- unary ops ------------------------------------------------------------------------
 * A unary op is a forward loop over (x -> y, with scalar s) and a backward loop adding
 * dy * dy/dx into dx, where dy/dx may use x, y or s. */

typedef void (*unary_fwd)(const float *x, float *y, int64_t n, float s);

/* Pointers a unary backward needs; false when x wants no gradient. */
typedef struct unary_grad {
    const float *x, *y, *gy;
    float *gx;
    int64_t n;
    float s;
} unary_grad;

static bool unary_begin(tg_tape *t, tg_node *nd, unary_grad *u)
{
    u->gx = tg_grad_of(t, nd->in[0]);
    u->x = nd->in[0]->data;
    u->y = nd->out->data;
    u->gy = nd->out->grad;
    u->n = nd->out->size;
    u->s = nd->farg[0];
    return u->gx != NULL;
}

static tg_tensor *unary(tg_tape *t, tg_tensor *x, float s, unary_fwd fwd, const tg_op *op,
                        tg_loc loc)
{
    tg_check_tensor(x, op->name, "x", loc);
    tg_tensor *y = tg_tape_empty(t, x->ndim, x->shape);
    fwd(x->data, y->data, x->size, s);
    tg_node *n = tg_record(t, op, y, 1, (tg_tensor *[]){x});
    if (n) n->farg[0] = s;
    return y;
}

/* y = -x;  dx = -dy */
static void neg_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    UNARY_LOOP(n, y[i] = -x[i])
}
static void neg_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] -= u.gy[i])
}
static const tg_op neg_op = {"neg", neg_backward};
tg_tensor *tg_neg_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, neg_fwd, &neg_op, loc);
}

/* y = s * x;  dx = s * dy */
static void scale_fwd(const float *x, float *y, int64_t n, float s)
{
    UNARY_LOOP(n, y[i] = s * x[i])
}
static void scale_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] += u.s * u.gy[i])
}
static const tg_op scale_op = {"scale", scale_backward};
tg_tensor *tg_scale_at(tg_tape *t, tg_tensor *x, float s, tg_loc loc)
{
    return unary(t, x, s, scale_fwd, &scale_op, loc);
}

/* y = x + s;  dx = dy */
static void add_scalar_fwd(const float *x, float *y, int64_t n, float s)
{
    UNARY_LOOP(n, y[i] = x[i] + s)
}
static void pass_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] += u.gy[i])
}
static const tg_op add_scalar_op = {"add_scalar", pass_backward};
tg_tensor *tg_add_scalar_at(tg_tape *t, tg_tensor *x, float s, tg_loc loc)
{
    return unary(t, x, s, add_scalar_fwd, &add_scalar_op, loc);
}

/* y = 1 - x;  dx = -dy  (GRU's (1 - z) and coupled gates) */
static void one_minus_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    UNARY_LOOP(n, y[i] = 1.0f - x[i])
}
static const tg_op one_minus_op = {"one_minus", neg_backward};
tg_tensor *tg_one_minus_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, one_minus_fwd, &one_minus_op, loc);
}

/* Applies a vectorized kernel over x, split into contiguous per-thread ranges above a size
 * threshold (elementwise, so the bits do not depend on the split). */
static void par_apply(void (*kernel)(const float *, float *, int64_t), const float *x, float *y,
                      int64_t n)
{
    if (!tg_par_go(n > TG_PAR_VMATH)) {
        kernel(x, y, n);
        return;
    }
#pragma omp parallel
    {
        int nt = 1, id = 0;
#ifdef _OPENMP
        nt = omp_get_num_threads();
        id = omp_get_thread_num();
#endif
        int64_t per = (n + nt - 1) / nt, lo = id * per, hi = lo + per < n ? lo + per : n;
        if (lo < hi) kernel(x + lo, y + lo, hi - lo);
    }
}

/* y = sigmoid(x) = 1 / (1 + e^-x);  dx = dy * y * (1 - y).
 * Vectorized (tensor/vmath.c): saturates to 0 and 1 without overflow. */
static void sigmoid_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    par_apply(tg_kernel_sigmoid, x, y, n);
}
static void sigmoid_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] += u.gy[i] * u.y[i] * (1.0f - u.y[i]))
}
static const tg_op sigmoid_op = {"sigmoid", sigmoid_backward};
tg_tensor *tg_sigmoid_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, sigmoid_fwd, &sigmoid_op, loc);
}

/* y = tanh(x);  dx = dy * (1 - y^2)  (vectorized, tensor/vmath.c) */
static void tanh_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    par_apply(tg_kernel_tanh, x, y, n);
}
static void tanh_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] += u.gy[i] * (1.0f - u.y[i] * u.y[i]))
}
static const tg_op tanh_op = {"tanh", tanh_backward};
tg_tensor *tg_tanh_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, tanh_fwd, &tanh_op, loc);
}

/* y = max(x, 0);  dx = dy where x > 0 (0 at the kink, as PyTorch) */
static void relu_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    UNARY_LOOP(n, y[i] = x[i] > 0.0f ? x[i] : 0.0f)
}
static void relu_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] += u.x[i] > 0.0f ? u.gy[i] : 0.0f)
}
static const tg_op relu_op = {"relu", relu_backward};
tg_tensor *tg_relu_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, relu_fwd, &relu_op, loc);
}

/* y = e^x;  dx = dy * y  (vectorized, tensor/vmath.c; overflows to inf as libm's expf) */
static void exp_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    par_apply(tg_kernel_exp, x, y, n);
}
static void exp_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] += u.gy[i] * u.y[i])
}
static const tg_op exp_op = {"exp", exp_backward};
tg_tensor *tg_exp_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, exp_fwd, &exp_op, loc);
}

/* y = ln x;  dx = dy / x  (x <= 0 gives -inf/NaN, as in IEEE arithmetic; vectorized,
 * tensor/vmath.c) */
static void log_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    par_apply(tg_kernel_log, x, y, n);
}
static void log_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] += u.gy[i] / u.x[i])
}
static const tg_op log_op = {"log", log_backward};
tg_tensor *tg_log_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, log_fwd, &log_op, loc);
}

/* y = sqrt(x);  dx = dy / (2 y) */
static void sqrt_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    UNARY_LOOP(n, y[i] = sqrtf(x[i]))
}
static void sqrt_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] += u.gy[i] * 0.5f / u.y[i])
}
static const tg_op sqrt_op = {"sqrt", sqrt_backward};
tg_tensor *tg_sqrt_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, sqrt_fwd, &sqrt_op, loc);
}

/* y = x^2;  dx = 2 x dy */
static void square_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    UNARY_LOOP(n, y[i] = x[i] * x[i])
}
static void square_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u)) UNARY_LOOP(u.n, u.gx[i] += 2.0f * u.x[i] * u.gy[i])
}
static const tg_op square_op = {"square", square_backward};
tg_tensor *tg_square_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, square_fwd, &square_op, loc);
}

/* y = |x|;  dx = sign(x) dy  (0 at x = 0, as PyTorch) */
static void abs_fwd(const float *x, float *y, int64_t n, float s)
{
    (void)s;
    UNARY_LOOP(n, y[i] = fabsf(x[i]))
}
static void abs_backward(tg_tape *t, tg_node *nd)
{
    unary_grad u;
    if (unary_begin(t, nd, &u))
        UNARY_LOOP(u.n, u.gx[i] += u.x[i] > 0.0f ? u.gy[i] : (u.x[i] < 0.0f ? -u.gy[i] : 0.0f))
}
static const tg_op abs_op = {"abs", abs_backward};
tg_tensor *tg_abs_at(tg_tape *t, tg_tensor *x, tg_loc loc)
{
    return unary(t, x, 0.0f, abs_fwd, &abs_op, loc);
}

/* ---- activation of a slice: y = act(x[o, start .. start+len, i]) -------------------------
 * One op for a cell's gate activations: reads the slice in place and writes only y, so no
 * copy of the slice is kept. dx[region] += dy * act'(y).
 * iarg: [0] outer, [1] n (x's size on the axis), [2] inner, [3] start; farg[0] = act. */

static void act_rows(tg_activation act, const float *x, float *y, int64_t n)
{
    switch (act) {
    case TG_ACT_SIGMOID: tg_kernel_sigmoid(x, y, n); break;
    case TG_ACT_TANH: tg_kernel_tanh(x, y, n); break;
    case TG_ACT_RELU: /* a plain loop: callers split rows across threads themselves */
        for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case TG_ACT_NONE: memcpy(y, x, sizeof(float) * (size_t)n); break;
    }
}

/* act_rows over one long run, split across threads for the vectorized activations. */
static void par_apply_act(tg_activation act, const float *x, float *y, int64_t n)
{
    if (act == TG_ACT_SIGMOID)
        par_apply(tg_kernel_sigmoid, x, y, n);
    else if (act == TG_ACT_TANH)
        par_apply(tg_kernel_tanh, x, y, n);
    else
        act_rows(act, x, y, n);
}

static void slice_act_backward(tg_tape *t, tg_node *nd)
{
    float *gx = tg_grad_of(t, nd->in[0]);
    if (!gx) return;
    int outer = nd->iarg[0], n = nd->iarg[1], inner = nd->iarg[2], start = nd->iarg[3];
    tg_activation act = (tg_activation)nd->farg[0];
    const tg_tensor *y = nd->out;
    int64_t run = outer ? y->size / outer : 0; /* len * inner */
    TG_PAR_FOR(int, o, outer, y->size > TG_PAR_MIN && outer > 1,
        float *g = gx + ((int64_t)o * n + start) * inner;
        const float *yv = y->data + o * run, *dy = y->grad + o * run;
        switch (act) {
        case TG_ACT_SIGMOID:
            for (int64_t i = 0; i < run; i++) g[i] += dy[i] * yv[i] * (1.0f - yv[i]);
            break;
        case TG_ACT_TANH:
            for (int64_t i = 0; i < run; i++) g[i] += dy[i] * (1.0f - yv[i] * yv[i]);
            break;
        case TG_ACT_RELU:
            for (int64_t i = 0; i < run; i++) g[i] += yv[i] > 0.0f ? dy[i] : 0.0f;
            break;
        case TG_ACT_NONE:
            for (int64_t i = 0; i < run; i++) g[i] += dy[i];
            break;
        }
    );
}
static const tg_op slice_act_op = {"slice_act", slice_act_backward};

tg_tensor *tg_slice_act_at(tg_tape *t, tg_tensor *x, int axis, int start, int len,
                           tg_activation act, tg_loc loc)
{
    tg__slice_geom g = tg__slice_check(x, axis, start, len, "tg_slice_act", loc);
    if ((int)act < TG_ACT_NONE || (int)act > TG_ACT_SIGMOID)
        tg_contract_fail(loc, "tg_slice_act", "unknown activation %d", (int)act);
    tg_tensor *y = tg_tape_empty(t, x->ndim, g.shape);
    int64_t run = (int64_t)len * g.inner;
    if (g.outer == 1) {
        par_apply_act(act, x->data + (int64_t)start * g.inner, y->data, run);
    } else {
        TG_PAR_FOR(int, o, g.outer, y->size > TG_PAR_MIN,
            act_rows(act, x->data + ((int64_t)o * g.n + start) * g.inner, y->data + o * run,
                     run));
    }
    tg_node *r = tg_record(t, &slice_act_op, y, 1, (tg_tensor *[]){x});
    if (r) {
        tg__slice_record(r, &g);
        r->farg[0] = (float)act;
    }
    return y;
}

void tg_chunk_act_at(tg_tape *t, tg_tensor *x, int k, int axis, const tg_activation *acts,
                     tg_tensor **out, tg_loc loc)
{
    tg_check_tensor(x, "tg_chunk_act", "x", loc);
    int a = tg_check_axis(x, axis, "tg_chunk_act", loc);
    if (k <= 0 || x->shape[a] % k != 0 || !acts || !out)
        tg_contract_fail(loc, "tg_chunk_act",
                         "axis %d of %s does not split into %d equal parts (or no acts/out)",
                         axis, SHAPE(x), k);
    int len = x->shape[a] / k;
    for (int i = 0; i < k; i++) out[i] = tg_slice_act_at(t, x, a, i * len, len, acts[i], loc);
}
