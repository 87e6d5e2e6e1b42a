/* tensor/kernels.c — broadcast elementwise arithmetic and reductions on raw float arrays.
 *
 * Shapes follow numpy: right-aligned, a dimension of 1 stretches. Internally every shape
 * is padded on the left to rank 4 ("aligned"), so one code path serves ranks 0..4.
 * tg_kernel_binary picks the cheapest loop for the shapes at hand (same shape, scalar
 * operand, row broadcast such as a bias (N) on (M, N), or a general strided walk whose
 * innermost loop is still contiguous); tg_kernel_binary_naive is its one-element-at-a-time
 * twin, used by the tests as the reference.
 *
 * Determinism: OpenMP splits only over the elements being written, above a size
 * threshold, and every output element is computed by the same arithmetic in the same order
 * whatever the thread count. Reductions over an axis accumulate in a fixed index order.
 *
 * Aliasing: `out` may be the very same array as `a` or `b` (in-place update, as backward
 * passes do), but must not partially overlap them. That is why the loops do not mark `out`
 * restrict: gcc -O3 still vectorizes them, guarded by a runtime overlap check that admits
 * exact aliasing.
 *
 * What this file is not: GEMM (gemm.c), unary math (the autograd ops loop themselves), or
 * an allocator: no kernel here allocates.
 */
#include "tensor/tensor.h"
#include "tensor/parallel.h" /* TG_PAR_MIN */

#include <string.h>

/* Columns per parallel task in the axis reductions. */
#define REDUCE_COL_BLOCK 1024

/* ---- shape plumbing ------------------------------------------------------------------ */

/* Pads (n, s) on the left with 1s to rank 4: (3, 5) -> (1, 1, 3, 5). */
static void align4(int n, const int *s, int out[TG_MAX_DIMS])
{
    int pad = TG_MAX_DIMS - n;
    for (int d = 0; d < TG_MAX_DIMS; d++) out[d] = d < pad ? 1 : s[d - pad];
}

/* Element strides of an aligned shape, with 0 on size-1 dims so that reading it with the
 * index of a larger broadcast shape repeats the element. */
static void bcast_strides(const int s4[TG_MAX_DIMS], int64_t st[TG_MAX_DIMS])
{
    int64_t acc = 1;
    for (int d = TG_MAX_DIMS - 1; d >= 0; d--) {
        st[d] = s4[d] == 1 ? 0 : acc;
        acc *= s4[d];
    }
}

static int64_t prod4(const int s4[TG_MAX_DIMS])
{
    return (int64_t)s4[0] * s4[1] * s4[2] * s4[3];
}

static bool same4(const int x[TG_MAX_DIMS], const int y[TG_MAX_DIMS])
{
    return memcmp(x, y, TG_MAX_DIMS * sizeof(int)) == 0;
}

/* "(2, 3)" for error messages. */
static const char *shape_str(int n, const int *s, char *buf, size_t cap)
{
    tg_tensor t = {0};
    t.ndim = n < 0 ? 0 : (n > TG_MAX_DIMS ? TG_MAX_DIMS : n);
    for (int i = 0; i < t.ndim; i++) t.shape[i] = s ? s[i] : 0;
    return tg_shape_str(&t, buf, cap);
}

static void check_rank(const char *fn, const char *what, int n, const int *s, tg_loc loc)
{
    if (n < 0 || n > TG_MAX_DIMS || (n > 0 && !s))
        tg_contract_fail(loc, fn, "%s: rank must be 0..%d with a shape, got rank %d", what,
                         TG_MAX_DIMS, n);
    for (int i = 0; i < n; i++)
        if (s[i] < 0)
            tg_contract_fail(loc, fn, "%s: negative dimension %d", what, s[i]);
}

/* The output shape must be exactly the broadcast of the two input shapes. */
static void check_binary(const char *fn, const float *a, int na, const int *sa,
                         const float *b, int nb, const int *sb, const float *out, int nout,
                         const int *sout, tg_loc loc)
{
    check_rank(fn, "a", na, sa, loc);
    check_rank(fn, "b", nb, sb, loc);
    check_rank(fn, "out", nout, sout, loc);
    int nexp, sexp[TG_MAX_DIMS];
    char s1[64], s2[64], s3[64], s4[64];
    if (!tg_broadcast_shape(na, sa, nb, sb, &nexp, sexp))
        tg_contract_fail(loc, fn, "shapes %s and %s do not broadcast",
                         shape_str(na, sa, s1, sizeof s1), shape_str(nb, sb, s2, sizeof s2));
    bool ok = nexp == nout;
    for (int i = 0; ok && i < nout; i++) ok = sexp[i] == sout[i];
    if (!ok)
        tg_contract_fail(loc, fn, "out has shape %s but %s and %s broadcast to %s",
                         shape_str(nout, sout, s1, sizeof s1), shape_str(na, sa, s2, sizeof s2),
                         shape_str(nb, sb, s3, sizeof s3), shape_str(nexp, sexp, s4, sizeof s4));
    int o4[TG_MAX_DIMS];
    align4(nout, sout, o4);
    if (prod4(o4) > 0 && (!a || !b || !out))
        tg_contract_fail(loc, fn, "NULL data pointer");
}

/* ---- binary: contiguous loops ---------------------------------------------------------
 * The switch on the op sits outside each loop so the loops are plain and vectorizable.
 * `par` asks for OpenMP splitting (ignored when built without OpenMP). */

static void loop_vv(tg_binop op, const float *a, const float *b, float *out, int64_t n,
                    bool par)
{
    switch (op) {
    case TG_BIN_ADD:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = a[i] + b[i]);
        break;
    case TG_BIN_SUB:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = a[i] - b[i]);
        break;
    case TG_BIN_MUL:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = a[i] * b[i]);
        break;
    case TG_BIN_DIV:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = a[i] / b[i]);
        break;
    }
}

/* out = a (op) s: the right operand is one number. */
static void loop_vs(tg_binop op, const float *a, float s, float *out, int64_t n, bool par)
{
    switch (op) {
    case TG_BIN_ADD:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = a[i] + s);
        break;
    case TG_BIN_SUB:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = a[i] - s);
        break;
    case TG_BIN_MUL:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = a[i] * s);
        break;
    case TG_BIN_DIV:
        /* a / s, not a * (1/s): the naive twin divides, and so must we. */
        TG_PAR_FOR(int64_t, i, n, par, out[i] = a[i] / s);
        break;
    }
}

/* out = s (op) b: the left operand is one number. */
static void loop_sv(tg_binop op, float s, const float *b, float *out, int64_t n, bool par)
{
    switch (op) {
    case TG_BIN_ADD:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = s + b[i]);
        break;
    case TG_BIN_SUB:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = s - b[i]);
        break;
    case TG_BIN_MUL:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = s * b[i]);
        break;
    case TG_BIN_DIV:
        TG_PAR_FOR(int64_t, i, n, par, out[i] = s / b[i]);
        break;
    }
}

static inline float apply(tg_binop op, float x, float y)
{
    switch (op) {
    case TG_BIN_ADD: return x + y;
    case TG_BIN_SUB: return x - y;
    case TG_BIN_MUL: return x * y;
    case TG_BIN_DIV: return x / y;
    }
    return 0.0f;
}

/* If s4 is 1s followed by the trailing dims of o4 (a row that repeats along the leading
 * dims, e.g. a bias (1, 1, 1, N) against (1, 1, M, N)), returns the row length; else 0. */
static int64_t trailing_row(const int s4[TG_MAX_DIMS], const int o4[TG_MAX_DIMS])
{
    int k = 0;
    while (k < TG_MAX_DIMS && s4[k] == 1) k++;
    int64_t row = 1;
    for (int d = k; d < TG_MAX_DIMS; d++) {
        if (s4[d] != o4[d]) return 0;
        row *= s4[d];
    }
    return row;
}

/* a (rows, row) with a row of b (row) when b_is_row, or the mirror: one contiguous loop
 * per row; rows are independent, so they are what the threads split. */
static void binary_rows(tg_binop op, const float *a, const float *b, float *out, int64_t rows,
                        int64_t row, bool b_is_row)
{
    bool par = rows > 1 && rows * row >= TG_PAR_MIN;
    TG_PAR_FOR(int64_t, r, rows, par,
        const float *ar = b_is_row ? a + r * row : a; /* (row) */
        const float *br = b_is_row ? b : b + r * row; /* (row) */
        loop_vv(op, ar, br, out + r * row, row, false);
    );
}

/* Any broadcast: the output viewed as (d0 * d1 * d2, d3) rows; each input is read through
 * strides that are 0 on its broadcast dims. The innermost loop is contiguous or scalar in
 * each input (stride 1 or 0), so it reuses the flat loops. */
static void binary_general(tg_binop op, const float *a, const int a4[TG_MAX_DIMS],
                           const float *b, const int b4[TG_MAX_DIMS], float *out,
                           const int o4[TG_MAX_DIMS])
{
    int64_t sa[TG_MAX_DIMS], sb[TG_MAX_DIMS];
    bcast_strides(a4, sa);
    bcast_strides(b4, sb);
    int64_t inner = o4[3];
    int64_t rows = (int64_t)o4[0] * o4[1] * o4[2];
    bool par = rows > 1 && rows * inner >= TG_PAR_MIN;
    TG_PAR_FOR(int64_t, r, rows, par,
        /* r -> (i0, i1, i2) in the output's leading dims. */
        int64_t i2 = r % o4[2];
        int64_t i1 = (r / o4[2]) % o4[1];
        int64_t i0 = r / ((int64_t)o4[2] * o4[1]);
        const float *ar = a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        const float *br = b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        float *orow = out + r * inner; /* (inner) */
        if (sa[3] && sb[3]) loop_vv(op, ar, br, orow, inner, false);
        else if (sa[3]) loop_vs(op, ar, br[0], orow, inner, false);
        else if (sb[3]) loop_sv(op, ar[0], br, orow, inner, false);
        else {
            float v = apply(op, ar[0], br[0]);
            for (int64_t j = 0; j < inner; j++) orow[j] = v;
        }
    );
}

void tg_kernel_binary_at(tg_binop op, const float *a, int na, const int *sa, const float *b,
                         int nb, const int *sb, float *out, int nout, const int *sout, tg_loc loc)
{
    check_binary("tg_kernel_binary", a, na, sa, b, nb, sb, out, nout, sout, loc);
    int a4[TG_MAX_DIMS], b4[TG_MAX_DIMS], o4[TG_MAX_DIMS];
    align4(na, sa, a4);
    align4(nb, sb, b4);
    align4(nout, sout, o4);
    int64_t n = prod4(o4);
    if (n == 0) return;
    bool par = n >= TG_PAR_MIN;
    bool a_full = same4(a4, o4), b_full = same4(b4, o4);

    if (a_full && b_full) { /* same shapes */
        loop_vv(op, a, b, out, n, par);
        return;
    }
    if (a_full && prod4(b4) == 1) { /* (…) op scalar */
        loop_vs(op, a, b[0], out, n, par);
        return;
    }
    if (b_full && prod4(a4) == 1) { /* scalar op (…) */
        loop_sv(op, a[0], b, out, n, par);
        return;
    }
    int64_t row;
    if (a_full && (row = trailing_row(b4, o4)) > 0) { /* (M, N) op (N) */
        binary_rows(op, a, b, out, n / row, row, true);
        return;
    }
    if (b_full && (row = trailing_row(a4, o4)) > 0) { /* (N) op (M, N) */
        binary_rows(op, a, b, out, n / row, row, false);
        return;
    }
    binary_general(op, a, a4, b, b4, out, o4);
}

/* The reference: decompose every output index and read each input through it. */
void tg_kernel_binary_naive_at(tg_binop op, const float *a, int na, const int *sa,
                               const float *b, int nb, const int *sb, float *out, int nout,
                               const int *sout, tg_loc loc)
{
    check_binary("tg_kernel_binary_naive", a, na, sa, b, nb, sb, out, nout, sout, loc);
    int a4[TG_MAX_DIMS], b4[TG_MAX_DIMS], o4[TG_MAX_DIMS];
    align4(na, sa, a4);
    align4(nb, sb, b4);
    align4(nout, sout, o4);
    int64_t n = prod4(o4);
    for (int64_t i = 0; i < n; i++) {
        int64_t rest = i, ia = 0, ib = 0, mul_a = 1, mul_b = 1;
        for (int d = TG_MAX_DIMS - 1; d >= 0; d--) {
            int64_t idx = rest % o4[d];
            rest /= o4[d];
            if (a4[d] != 1) ia += idx * mul_a;
            if (b4[d] != 1) ib += idx * mul_b;
            mul_a *= a4[d];
            mul_b *= b4[d];
        }
        out[i] = apply(op, a[ia], b[ib]);
    }
}

/* ---- reduce_to: the backward of broadcasting ------------------------------------------
 * dst (sd) += src (ss) summed over the axes where sd is 1 and ss is not. src is walked in
 * row-major order, one innermost row at a time, so the summation order is fixed:
 *   - the innermost axis kept:    dst_row[j] += src_row[j]   (vectorizable)
 *   - the innermost axis reduced: dst[k]     += sum(src_row) (row summed in double)
 * A scalar destination gets the whole sum in double, added once. */
void tg_kernel_reduce_to_at(const float *src, int ns, const int *ss, float *dst, int nd,
                            const int *sd, tg_loc loc)
{
    const char *fn = "tg_kernel_reduce_to";
    check_rank(fn, "src", ns, ss, loc);
    check_rank(fn, "dst", nd, sd, loc);
    int s4[TG_MAX_DIMS], d4[TG_MAX_DIMS];
    align4(ns, ss, s4);
    align4(nd, sd, d4);
    bool ok = nd <= ns;
    for (int d = 0; ok && d < TG_MAX_DIMS; d++) ok = d4[d] == s4[d] || d4[d] == 1;
    if (!ok) {
        char s1[64], s2[64];
        tg_contract_fail(loc, fn, "cannot sum %s down to %s: not a broadcast source shape",
                         shape_str(ns, ss, s1, sizeof s1), shape_str(nd, sd, s2, sizeof s2));
    }
    int64_t n = prod4(s4), m = prod4(d4);
    if (n == 0) return;
    if (!src || !dst) tg_contract_fail(loc, fn, "NULL data pointer");

    if (n == m) { /* nothing is reduced */
        bool par = n >= TG_PAR_MIN;
            TG_PAR_FOR(int64_t, i, n, par, dst[i] += src[i]);
        return;
    }
    if (m == 1) { /* everything is reduced */
        double acc = 0.0;
        for (int64_t i = 0; i < n; i++) acc += (double)src[i];
        dst[0] += (float)acc;
        return;
    }

    int64_t st[TG_MAX_DIMS];
    bcast_strides(d4, st);
    int64_t inner = s4[3];
    int64_t rows = (int64_t)s4[0] * s4[1] * s4[2];
    for (int64_t r = 0; r < rows; r++) {
        int64_t i2 = r % s4[2];
        int64_t i1 = (r / s4[2]) % s4[1];
        int64_t i0 = r / ((int64_t)s4[2] * s4[1]);
        const float *srow = src + r * inner;                      /* (inner) */
        float *drow = dst + i0 * st[0] + i1 * st[1] + i2 * st[2]; /* (inner) or (1) */
        if (st[3]) {
            for (int64_t j = 0; j < inner; j++) drow[j] += srow[j];
        } else {
            double acc = 0.0;
            for (int64_t j = 0; j < inner; j++) acc += (double)srow[j];
            drow[0] += (float)acc;
        }
    }
}

/* ---- reductions over one axis ---------------------------------------------------------
 * x is viewed as (outer, n, inner); out is (outer, inner). Work is split into tasks of
 * (one outer index, a block of up to REDUCE_COL_BLOCK inner columns); each task owns its
 * outputs and walks k = 0..n-1 in order, so the bits do not depend on the thread count. */

static void check_axis_args(const char *fn, const float *x, int outer, int n, int inner,
                            const float *out, tg_loc loc)
{
    if (outer < 0 || n < 0 || inner < 0)
        tg_contract_fail(loc, fn, "negative extent (outer %d, n %d, inner %d)", outer, n,
                         inner);
    if ((int64_t)outer * inner > 0 && (!out || (n > 0 && !x)))
        tg_contract_fail(loc, fn, "NULL data pointer");
}

/* Sum in float, k in order: out = ((x_0 + x_1) + x_2) + ... */
void tg_kernel_sum_axis_at(const float *x, int outer, int n, int inner, float *out, tg_loc loc)
{
    check_axis_args("tg_kernel_sum_axis", x, outer, n, inner, out, loc);
    int64_t col_blocks = ((int64_t)inner + REDUCE_COL_BLOCK - 1) / REDUCE_COL_BLOCK;
    int64_t tasks = (int64_t)outer * col_blocks;
    bool par = tasks > 1 && (int64_t)outer * n * inner >= TG_PAR_MIN;
    TG_PAR_FOR(int64_t, t, tasks, par,
        int64_t o = t / col_blocks;
        int64_t j0 = (t % col_blocks) * REDUCE_COL_BLOCK;
        int64_t w = inner - j0 < REDUCE_COL_BLOCK ? inner - j0 : REDUCE_COL_BLOCK;
        const float *xo = x + o * n * inner + j0; /* column block j0.. of x[o] (n, inner) */
        float *oo = out + o * inner + j0;         /* (w) */
        if (n == 0) {
            for (int64_t j = 0; j < w; j++) oo[j] = 0.0f;
            continue;
        }
        for (int64_t j = 0; j < w; j++) oo[j] = xo[j];
        for (int64_t k = 1; k < n; k++) {
            const float *xk = xo + k * inner; /* (w) */
            for (int64_t j = 0; j < w; j++) oo[j] += xk[j];
        }
    );
}

/* Max with the first maximal index; a NaN counts as the maximum (the first NaN wins), so
 * NaN propagates like in numpy and PyTorch. */
void tg_kernel_max_axis_at(const float *x, int outer, int n, int inner, float *out,
                           int32_t *argmax, tg_loc loc)
{
    check_axis_args("tg_kernel_max_axis", x, outer, n, inner, out, loc);
    if (n == 0 && (int64_t)outer * inner > 0)
        tg_contract_fail(loc, "tg_kernel_max_axis", "max over an empty axis (n = 0)");
    int64_t col_blocks = ((int64_t)inner + REDUCE_COL_BLOCK - 1) / REDUCE_COL_BLOCK;
    int64_t tasks = (int64_t)outer * col_blocks;
    bool par = tasks > 1 && (int64_t)outer * n * inner >= TG_PAR_MIN;
    TG_PAR_FOR(int64_t, t, tasks, par,
        int64_t o = t / col_blocks;
        int64_t j0 = (t % col_blocks) * REDUCE_COL_BLOCK;
        int64_t w = inner - j0 < REDUCE_COL_BLOCK ? inner - j0 : REDUCE_COL_BLOCK;
        const float *xo = x + o * n * inner + j0;
        float *oo = out + o * inner + j0;                       /* (w) */
        int32_t *ao = argmax ? argmax + o * inner + j0 : NULL; /* (w) or none */
        for (int64_t j = 0; j < w; j++) oo[j] = xo[j];
        if (ao)
            for (int64_t j = 0; j < w; j++) ao[j] = 0;
        for (int64_t k = 1; k < n; k++) {
            const float *xk = xo + k * inner;
            for (int64_t j = 0; j < w; j++) {
                float v = xk[j], best = oo[j];
                /* strictly greater keeps the first maximum; v != v is NaN */
                if (v > best || (v != v && best == best)) {
                    oo[j] = v;
                    if (ao) ao[j] = (int32_t)k;
                }
            }
        }
    );
}

/* One double accumulator, index order: serial on purpose, so the result is the same bits
 * at any thread count. */
float tg_kernel_sum_all_at(const float *x, int64_t n, tg_loc loc)
{
    if (n > 0 && !x) tg_contract_fail(loc, "tg_kernel_sum_all", "NULL data pointer");
    double acc = 0.0;
    for (int64_t i = 0; i < n; i++) acc += (double)x[i];
    return (float)acc;
}

/* Plain functions under the public names (the parentheses keep the macros out): for
 * a pointer to the function; a call through one reports this file's line. */
void (tg_kernel_binary)(tg_binop op, const float *a, int na, const int *sa, const float *b, int nb,
                        const int *sb, float *out, int nout, const int *sout)
{
    tg_kernel_binary_at(op, a, na, sa, b, nb, sb, out, nout, sout, TG_HERE);
}

void (tg_kernel_binary_naive)(tg_binop op, const float *a, int na, const int *sa, const float *b,
                              int nb, const int *sb, float *out, int nout, const int *sout)
{
    tg_kernel_binary_naive_at(op, a, na, sa, b, nb, sb, out, nout, sout, TG_HERE);
}

void (tg_kernel_reduce_to)(const float *src, int ns, const int *ss, float *dst, int nd,
                           const int *sd)
{
    tg_kernel_reduce_to_at(src, ns, ss, dst, nd, sd, TG_HERE);
}

void (tg_kernel_sum_axis)(const float *x, int outer, int n, int inner, float *out)
{
    tg_kernel_sum_axis_at(x, outer, n, inner, out, TG_HERE);
}

void (tg_kernel_max_axis)(const float *x, int outer, int n, int inner, float *out, int32_t *argmax)
{
    tg_kernel_max_axis_at(x, outer, n, inner, out, argmax, TG_HERE);
}

float (tg_kernel_sum_all)(const float *x, int64_t n)
{
    return tg_kernel_sum_all_at(x, n, TG_HERE);
}
