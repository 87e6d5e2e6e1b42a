/* tensor/tensor.c — heap tensors: creation, copies, fill, reshape, shape helpers, printing.
 *
 * A heap tensor is two tg_malloc blocks: the struct and its data (size floats, 64-byte
 * aligned). TG_OWNS_DATA marks that tg_tensor_free releases the data (and the grad buffer,
 * which autograd allocates with tg_calloc for heap leaves). Every shape a caller passes
 * is checked here (rank 0..4, no negative dimension) and a bad one is a contract
 * violation naming the function and the shape.
 *
 * What this file is not: the compute kernels (kernels.c, gemm.c), the RNG and initializers
 * (rng.c), or anything that knows about the tape. Tape tensors are made by autograd/ and
 * never pass through tg_tensor_free.
 */
#include "tensor/tensor.h"

#include <stdint.h>
#include <string.h>

/* Largest element count we agree to allocate: the byte count must fit in size_t and
 * int64_t without overflow. */
#define TG_MAX_ELEMS ((int64_t)(PTRDIFF_MAX / (ptrdiff_t)sizeof(float)))

/* "(2, 3, 4)" for a raw (ndim, shape) pair. Used in error messages, where ndim may itself
 * be the bad value: negative ranks print "()", very large ones are cut after 8 entries. */
static char *raw_shape_str(int ndim, const int *shape, char *buf, size_t cap)
{
    if (cap == 0) return buf;
    size_t used = 0;
    buf[0] = '\0';
    int shown = ndim < 0 ? 0 : (ndim > 8 ? 8 : ndim);
    int n = snprintf(buf, cap, "(");
    if (n > 0) used = (size_t)n < cap ? (size_t)n : cap - 1;
    for (int i = 0; i < shown && used + 1 < cap; i++) {
        n = snprintf(buf + used, cap - used, "%s%d", i ? ", " : "", shape ? shape[i] : 0);
        if (n > 0) used += (size_t)n < cap - used ? (size_t)n : cap - used - 1;
    }
    if (used + 1 < cap)
        snprintf(buf + used, cap - used, "%s)", ndim > shown ? ", ..." : "");
    return buf;
}

/* Validates a shape passed to `fn` and returns its element count. */
static int64_t checked_size(const char *fn, int ndim, const int *shape, tg_loc loc)
{
    char s[96];
    if (ndim < 0 || ndim > TG_MAX_DIMS)
        tg_contract_fail(loc, fn, "rank must be 0..%d, got %d for shape %s", TG_MAX_DIMS,
                         ndim, raw_shape_str(ndim, shape, s, sizeof s));
    if (ndim > 0 && !shape)
        tg_contract_fail(loc, fn, "shape is NULL for rank %d", ndim);
    int64_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            tg_contract_fail(loc, fn, "negative dimension %d at axis %d in shape %s",
                             shape[i], i, raw_shape_str(ndim, shape, s, sizeof s));
        if (shape[i] > 0 && size > TG_MAX_ELEMS / shape[i])
            tg_contract_fail(loc, fn, "shape %s has too many elements",
                             raw_shape_str(ndim, shape, s, sizeof s));
        size *= shape[i];
    }
    return size;
}

static void check_tensor(const tg_tensor *t, const char *fn, tg_loc loc)
{
    if (!t) tg_contract_fail(loc, fn, "tensor is NULL");
}

/* Writes ndim/shape/size of t; unused trailing shape entries become 1. */
static void set_shape(tg_tensor *t, int ndim, const int *shape, int64_t size)
{
    t->ndim = ndim;
    for (int i = 0; i < TG_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->size = size;
}

/* The one place heap tensors are born: struct + data, data uninitialized. */
static tg_tensor *alloc_tensor(const char *fn, int ndim, const int *shape)
{
    int64_t size = checked_size(fn, ndim, shape, TG_HERE);
    tg_tensor *t = tg_malloc(sizeof *t);
    memset(t, 0, sizeof *t);
    t->data = tg_malloc((size_t)size * sizeof(float));
    set_shape(t, ndim, shape, size);
    t->flags = TG_OWNS_DATA;
    return t;
}

/* ---- creation ------------------------------------------------------------------------ */

tg_tensor *tg_tensor_new(int ndim, const int *shape)
{
    return alloc_tensor("tg_tensor_new", ndim, shape);
}

tg_tensor *tg_tensor_zeros(int ndim, const int *shape)
{
    tg_tensor *t = alloc_tensor("tg_tensor_zeros", ndim, shape);
    memset(t->data, 0, (size_t)t->size * sizeof(float));
    return t;
}

tg_tensor *tg_tensor_ones(int ndim, const int *shape)
{
    tg_tensor *t = alloc_tensor("tg_tensor_ones", ndim, shape);
    tg_tensor_fill(t, 1.0f);
    return t;
}

tg_tensor *tg_tensor_full(int ndim, const int *shape, float value)
{
    tg_tensor *t = alloc_tensor("tg_tensor_full", ndim, shape);
    tg_tensor_fill(t, value);
    return t;
}

tg_tensor *tg_tensor_from_at(int ndim, const int *shape, const float *values, tg_loc loc)
{
    int64_t size = checked_size("tg_tensor_from", ndim, shape, loc);
    if (!values && size > 0) tg_contract_fail(loc, "tg_tensor_from", "values is NULL");
    tg_tensor *t = alloc_tensor("tg_tensor_from", ndim, shape);
    if (size > 0) memcpy(t->data, values, (size_t)size * sizeof(float));
    return t;
}

tg_tensor *tg_tensor_arange_at(int n, tg_loc loc)
{
    if (n < 0) tg_contract_fail(loc, "tg_tensor_arange", "n must be >= 0, got %d", n);
    tg_tensor *t = alloc_tensor("tg_tensor_arange", 1, (int[]){n});
    for (int i = 0; i < n; i++) t->data[i] = (float)i;
    return t;
}

/* Data only: the copy has no grad, no tape node, no name, and owns its data. */
tg_tensor *tg_tensor_copy(const tg_tensor *t)
{
    check_tensor(t, "tg_tensor_copy", TG_HERE);
    tg_tensor *c = alloc_tensor("tg_tensor_copy", t->ndim, t->shape);
    if (t->size > 0) memcpy(c->data, t->data, (size_t)t->size * sizeof(float));
    return c;
}

void tg_tensor_free_at(tg_tensor *t, tg_loc loc)
{
    if (!t) return;
    if (t->flags & TG_ON_TAPE)
        tg_contract_fail(loc, "tg_tensor_free",
                         "tensor lives on a tape; it is released by tg_tape_reset/tg_tape_free");
    if (t->flags & TG_OWNS_DATA) {
        tg_free(t->data);
        tg_free(t->grad); /* NULL is fine */
    }
    tg_free(t);
}

/* ---- in place ------------------------------------------------------------------------ */

void tg_tensor_fill(tg_tensor *t, float value)
{
    check_tensor(t, "tg_tensor_fill", TG_HERE);
    float *d = t->data;
    for (int64_t i = 0; i < t->size; i++) d[i] = value;
}

void tg_tensor_reshape_at(tg_tensor *t, int ndim, const int *shape, tg_loc loc)
{
    check_tensor(t, "tg_tensor_reshape", loc);
    int64_t size = checked_size("tg_tensor_reshape", ndim, shape, loc);
    if (size != t->size) {
        char from[96], to[96];
        tg_contract_fail(loc, "tg_tensor_reshape",
                         "cannot reshape %s into %s: %lld elements vs %lld",
                         tg_shape_str(t, from, sizeof from),
                         raw_shape_str(ndim, shape, to, sizeof to), (long long)t->size,
                         (long long)size);
    }
    set_shape(t, ndim, shape, size);
}

/* ---- shape helpers ------------------------------------------------------------------- */

bool tg_shape_equal(const tg_tensor *a, const tg_tensor *b)
{
    check_tensor(a, "tg_shape_equal", TG_HERE);
    check_tensor(b, "tg_shape_equal", TG_HERE);
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

/* A NULL tensor prints as "NULL" so error messages about a missing tensor still read. */
char *tg_shape_str(const tg_tensor *t, char *buf, size_t cap)
{
    if (!buf || cap == 0) return buf;
    if (!t) {
        snprintf(buf, cap, "NULL");
        return buf;
    }
    return raw_shape_str(t->ndim, t->shape, buf, cap);
}

void tg_axis_split_at(int ndim, const int *shape, int axis, int *outer, int *n, int *inner,
                      tg_loc loc)
{
    if (ndim < 1 || ndim > TG_MAX_DIMS || !shape)
        tg_contract_fail(loc, "tg_axis_split", "rank must be 1..%d, got %d", TG_MAX_DIMS,
                         ndim);
    int ax = axis < 0 ? axis + ndim : axis;
    if (ax < 0 || ax >= ndim) {
        char s[96];
        tg_contract_fail(loc, "tg_axis_split", "axis %d out of range for shape %s", axis,
                         raw_shape_str(ndim, shape, s, sizeof s));
    }
    int64_t o = 1, in = 1;
    for (int i = 0; i < ax; i++) o *= shape[i];
    for (int i = ax + 1; i < ndim; i++) in *= shape[i];
    if (outer) *outer = (int)o;
    if (n) *n = shape[ax];
    if (inner) *inner = (int)in;
}

/* numpy rules: align the shapes on the right; a dimension pair broadcasts when equal or
 * when one of them is 1 (a 1 against 0 gives 0). The result has the larger rank. */
bool tg_broadcast_shape(int na, const int *sa, int nb, const int *sb, int *nout, int *sout)
{
    if (na < 0 || na > TG_MAX_DIMS || nb < 0 || nb > TG_MAX_DIMS) return false;
    if ((na > 0 && !sa) || (nb > 0 && !sb)) return false;
    int n = na > nb ? na : nb;
    int out[TG_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        /* i counts from the right: the last axis is i = 0. */
        int da = i < na ? sa[na - 1 - i] : 1;
        int db = i < nb ? sb[nb - 1 - i] : 1;
        int d;
        if (da == db) d = da;
        else if (da == 1) d = db;
        else if (db == 1) d = da;
        else return false;
        out[n - 1 - i] = d;
    }
    if (nout) *nout = n;
    if (sout) memcpy(sout, out, (size_t)n * sizeof(int));
    return true;
}

/* ---- printing ------------------------------------------------------------------------
 * numpy-like nesting. Any run (a row of numbers, or a list of sub-blocks) longer than
 * PRINT_MAX_ITEMS shows its first and last PRINT_EDGE items around "...". */

enum { PRINT_MAX_ITEMS = 8, PRINT_EDGE = 3 };

static void print_block(FILE *f, const float *x, int ndim, const int *shape, int depth,
                        int indent)
{
    int n = shape[0];
    int64_t stride = 1; /* elements per sub-block */
    for (int i = 1; i < ndim; i++) stride *= shape[i];
    bool cut = n > PRINT_MAX_ITEMS;
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (cut && i == PRINT_EDGE) {
            if (ndim == 1) {
                fputs(", ...", f);
            } else {
                fprintf(f, ",\n%*s...", indent + depth + 1, "");
            }
            i = n - PRINT_EDGE - 1; /* the loop's i++ lands on the tail */
            continue;
        }
        if (ndim == 1) {
            fprintf(f, "%s%g", i ? ", " : "", (double)x[i]);
        } else {
            if (i) {
                fputc(',', f);
                for (int nl = 1; nl < ndim; nl++) fputc('\n', f); /* blank lines between planes */
                fprintf(f, "%*s", indent + depth + 1, "");
            }
            print_block(f, x + (int64_t)i * stride, ndim - 1, shape + 1, depth + 1, indent);
        }
    }
    fputc(']', f);
}

void tg_tensor_print(const tg_tensor *t, const char *label, FILE *f)
{
    if (!f) f = stdout;
    if (!label) label = t && t->name ? t->name : "tensor";
    char s[96];
    if (!t) {
        fprintf(f, "%s = NULL\n", label);
        return;
    }
    fprintf(f, "%s %s =", label, tg_shape_str(t, s, sizeof s));
    if (t->ndim == 0) {
        fprintf(f, " %g\n", (double)t->data[0]);
        return;
    }
    if (t->size == 0) {
        fputs(" []\n", f);
        return;
    }
    fputc('\n', f);
    print_block(f, t->data, t->ndim, t->shape, 0, 0);
    fputc('\n', f);
}

/* Plain functions under the public names (the parentheses keep the macros out): for
 * a pointer to the function; a call through one reports this file's line. */
void (tg_tensor_free)(tg_tensor *t)
{
    tg_tensor_free_at(t, TG_HERE);
}
