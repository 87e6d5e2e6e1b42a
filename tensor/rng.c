/* tensor/rng.c — PCG32 random numbers, random fills and the weight initializers.
 *
 * PCG32 (O'Neill 2014), XSH-RR output on a 64-bit LCG, seeded exactly as the reference
 * pcg32_srandom_r, so seed 42 / stream 54 reproduces the reference demo's numbers. All
 * derived values (uniform, normal) are computed from the integer stream in a fixed way so
 * a seed gives the same tensors on every platform and at every thread count.
 *
 * What this file is not: a cryptographic RNG, or a parallel one (fills are serial on
 * purpose: the sequence must not depend on the number of threads). Initializers are not
 * hot, so they may use scratch memory from tg_malloc.
 */
#include "tensor/tensor.h"

#include <math.h>

#define PCG32_MULT 6364136223846793005ULL

/* ---- the generator ------------------------------------------------------------------- */

uint32_t tg_rng_u32(tg_rng *r)
{
    uint64_t old = r->state;
    r->state = old * PCG32_MULT + r->inc;
    /* XSH-RR: xorshift the high bits down, then rotate by the top 5 bits. */
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

/* The LCG's state after delta steps is A s + C with A = mult^delta and
 * C = inc (mult^(delta-1) + ... + mult + 1), both mod 2^64. Walking the bits of delta,
 * (m, c) is the map of 2^i steps and (A, C) collects the maps of the set bits. */
void tg_rng_advance_at(tg_rng *r, uint64_t delta, tg_loc loc)
{
    if (!r) tg_contract_fail(loc, "tg_rng_advance", "rng is NULL");
    uint64_t m = PCG32_MULT, c = r->inc, A = 1, C = 0;
    for (; delta; delta >>= 1) {
        if (delta & 1) A *= m, C = C * m + c;
        c = (m + 1) * c; /* two applications of (m, c): m (m s + c) + c */
        m *= m;
    }
    r->state = A * r->state + C;
}

void tg_rng_seed_at(tg_rng *r, uint64_t seed, uint64_t stream, tg_loc loc)
{
    if (!r) tg_contract_fail(loc, "tg_rng_seed", "rng is NULL");
    r->state = 0;
    r->inc = (stream << 1) | 1u; /* the increment must be odd */
    tg_rng_u32(r);
    r->state += seed;
    tg_rng_u32(r);
}

/* Unbiased: reject the lowest (2^32 mod n) values so the remaining range is a multiple of
 * n. The rejected fraction is below 1/2, so the expected number of draws is under 2. */
uint32_t tg_rng_below_at(tg_rng *r, uint32_t n, tg_loc loc)
{
    if (n == 0) tg_contract_fail(loc, "tg_rng_below", "n must be > 0");
    uint32_t threshold = (uint32_t)(-n) % n; /* == 2^32 mod n */
    for (;;) {
        uint32_t x = tg_rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

/* The top 24 bits scaled by 2^-24: every value is exact in float and lies in [0, 1). */
float tg_rng_uniform(tg_rng *r)
{
    return (float)(tg_rng_u32(r) >> 8) * 0x1p-24f;
}

/* Box-Muller with the cosine branch only (no cached second value). 1 - u1 lies in (0, 1],
 * so the logarithm is finite. Computed in double, rounded once. */
float tg_rng_normal(tg_rng *r)
{
    double u1 = (double)tg_rng_uniform(r);
    double u2 = (double)tg_rng_uniform(r);
    const double two_pi = 6.283185307179586476925286766559;
    double radius = sqrt(-2.0 * log(1.0 - u1));
    return (float)(radius * cos(two_pi * u2));
}
void tg_rng_shuffle(tg_rng *r, int32_t *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)tg_rng_below(r, (uint32_t)i + 1);
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* ---- fills --------------------------------------------------------------------------- */

/* U[lo, hi): computed in double; the rare value that rounds up to hi is pulled back to
 * the float just below it, so the half-open interval holds exactly. */
void tg_fill_uniform_at(tg_tensor *t, tg_rng *r, float lo, float hi, tg_loc loc)
{
    if (!t || !r) tg_contract_fail(loc, "tg_fill_uniform", "tensor or rng is NULL");
    if (!(lo <= hi))
        tg_contract_fail(loc, "tg_fill_uniform", "need lo <= hi, got [%g, %g)", (double)lo,
                         (double)hi);
    double width = (double)hi - (double)lo;
    float below_hi = nextafterf(hi, lo);
    for (int64_t i = 0; i < t->size; i++) {
        float v = (float)((double)lo + width * (double)tg_rng_uniform(r));
        if (v >= hi && lo < hi) v = below_hi;
        t->data[i] = v;
    }
}

void tg_fill_normal_at(tg_tensor *t, tg_rng *r, float mean, float std, tg_loc loc)
{
    if (!t || !r) tg_contract_fail(loc, "tg_fill_normal", "tensor or rng is NULL");
    for (int64_t i = 0; i < t->size; i++)
        t->data[i] = (float)((double)mean + (double)std * (double)tg_rng_normal(r));
}

/* ---- initializers -------------------------------------------------------------------- */

void tg_init_uniform_fan_at(tg_tensor *t, tg_rng *r, int fan_in, tg_loc loc)
{
    if (!t || !r) tg_contract_fail(loc, "tg_init_uniform_fan", "tensor or rng is NULL");
    if (fan_in <= 0)
        tg_contract_fail(loc, "tg_init_uniform_fan", "fan_in must be > 0, got %d", fan_in);
    float bound = (float)(1.0 / sqrt((double)fan_in));
    tg_fill_uniform(t, r, -bound, bound);
}

/* Views a weight of rank >= 2 as the matrix (shape[0], size / shape[0]). */
static void matrix_view(const tg_tensor *t, const char *fn, int *rows, int *cols, tg_loc loc)
{
    if (!t) tg_contract_fail(loc, fn, "tensor is NULL");
    if (t->ndim < 2) {
        char s[64];
        tg_contract_fail(loc, fn, "needs a weight of rank >= 2 (out, in), got %s",
                         tg_shape_str(t, s, sizeof s));
    }
    *rows = t->shape[0];
    *cols = t->shape[0] > 0 ? (int)(t->size / t->shape[0]) : 0;
}

void tg_init_glorot_uniform_at(tg_tensor *t, tg_rng *r, float gain, tg_loc loc)
{
    int fan_out, fan_in;
    matrix_view(t, "tg_init_glorot_uniform", &fan_out, &fan_in, loc);
    if (!r) tg_contract_fail(loc, "tg_init_glorot_uniform", "rng is NULL");
    if (t->size == 0) return;
    float a = (float)((double)gain * sqrt(6.0 / ((double)fan_in + (double)fan_out)));
    if (a < 0) a = -a; /* a negative gain gives the same interval */
    tg_fill_uniform(t, r, -a, a);
}

/* Modified Gram-Schmidt on `count` vectors of length `len`, stored one after another in
 * v (count, len). Each vector is projected against the earlier ones twice ("twice is
 * enough", Giraud et al.), which keeps the result orthonormal to double rounding even
 * when the random matrix is badly conditioned. A vector that collapses (probability ~0
 * for a normal matrix with count <= len) is redrawn. Requires count <= len. */
static void gram_schmidt(double *v, int count, int len, tg_rng *r)
{
    for (int i = 0; i < count; i++) {
        double *vi = v + (size_t)i * (size_t)len; /* (len) */
        for (int attempt = 0;; attempt++) {
            for (int pass = 0; pass < 2; pass++) {
                for (int j = 0; j < i; j++) {
                    const double *vj = v + (size_t)j * (size_t)len;
                    double dot = 0.0;
                    for (int k = 0; k < len; k++) dot += vi[k] * vj[k];
                    for (int k = 0; k < len; k++) vi[k] -= dot * vj[k];
                }
            }
            double norm = 0.0;
            for (int k = 0; k < len; k++) norm += vi[k] * vi[k];
            norm = sqrt(norm);
            if (norm > 1e-10 || attempt >= 8) {
                if (norm == 0.0) norm = 1.0; /* cannot happen for count <= len in practice */
                for (int k = 0; k < len; k++) vi[k] /= norm;
                break;
            }
            for (int k = 0; k < len; k++) vi[k] = (double)tg_rng_normal(r);
        }
    }
}

void tg_init_orthogonal_at(tg_tensor *t, tg_rng *r, float gain, tg_loc loc)
{
    int rows, cols;
    matrix_view(t, "tg_init_orthogonal", &rows, &cols, loc);
    if (!r) tg_contract_fail(loc, "tg_init_orthogonal", "rng is NULL");
    if (t->size == 0) return;

    /* The normal matrix is drawn in t's row-major order, (rows, cols). */
    size_t n = (size_t)rows * (size_t)cols;
    double *m = tg_malloc(n * sizeof(double)); /* (rows, cols) or its transpose */
    bool by_rows = rows <= cols;               /* orthonormalize the fewer vectors */
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            double g = (double)tg_rng_normal(r);
            if (by_rows) m[(size_t)i * (size_t)cols + (size_t)j] = g;  /* (rows, cols) */
            else m[(size_t)j * (size_t)rows + (size_t)i] = g;          /* (cols, rows) */
        }
    }
    if (by_rows) gram_schmidt(m, rows, cols, r);
    else gram_schmidt(m, cols, rows, r);

    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            double q = by_rows ? m[(size_t)i * (size_t)cols + (size_t)j]
                               : m[(size_t)j * (size_t)rows + (size_t)i];
            t->data[(size_t)i * (size_t)cols + (size_t)j] = (float)((double)gain * q);
        }
    }
    tg_free(m);
}

