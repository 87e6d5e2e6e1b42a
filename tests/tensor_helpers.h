/* tests/tensor_helpers.h — helpers for tests/test_tensor.c: value and shape checks, random
 * fills, scratch buffers that a test releases in one call, printing into a string, sample
 * moments, and EXPECT_CONTRACT, which catches a contract violation through a handler that
 * longjmps back into the test.
 *
 * What this is not: a general test framework or part of the library. Included by exactly
 * one translation unit, so everything is static.
 */
#ifndef TG_TENSOR_HELPERS_H
#define TG_TENSOR_HELPERS_H

#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "tensor/tensor.h"

static void expect_values(const float *got, const float *want, int64_t n, float tol)
{
    for (int64_t i = 0; i < n; i++)
        cr_assert(fabsf(got[i] - want[i]) <= tol, "element %lld: got %.9g, want %.9g",
                  (long long)i, (double)got[i], (double)want[i]);
}

static void fill_random(float *x, int64_t n, tg_rng *r, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * tg_rng_uniform(r);
}

/* Nonzero values in [0.5, 2) with random sign: safe divisors. */
static void fill_divisors(float *x, int64_t n, tg_rng *r)
{
    for (int64_t i = 0; i < n; i++) {
        float m = 0.5f + 1.5f * tg_rng_uniform(r);
        x[i] = tg_rng_below(r, 2) ? m : -m;
    }
}

static int64_t shape_size(int n, const int *s)
{
    int64_t size = 1;
    for (int i = 0; i < n; i++) size *= s[i];
    return size;
}

static float max_abs(const float *x, int64_t n)
{
    float m = 0.0f;
    for (int64_t i = 0; i < n; i++) m = fmaxf(m, fabsf(x[i]));
    return m;
}

/* Test buffers: scratch(n) floats, all released by scratch_release(). */
static void *scratch_ptrs[32];
static int scratch_count;

static float *scratch(int64_t n)
{
    cr_assert_lt(scratch_count, 32);
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    cr_assert_not_null(p);
    scratch_ptrs[scratch_count++] = p;
    return p;
}

static void scratch_release(void)
{
    while (scratch_count > 0) free(scratch_ptrs[--scratch_count]);
}

/* Contract violations: tests/contract.h's catcher (message left in contract_msg). */
#define EXPECT_CONTRACT(stmt) EXPECT_RAISES(stmt)

/* Asserts that string `text` contains `part`. */
#define EXPECT_IN(text, part) cr_assert(strstr(text, part), "no \"%s\" in:\n%s", part, text)

/* Rank, dims, trailing 1s and size of t against (ndim, shape). */
static void expect_shape(const tg_tensor *t, int ndim, const int *shape)
{
    cr_assert_eq(t->ndim, ndim);
    for (int i = 0; i < TG_MAX_DIMS; i++)
        cr_assert_eq(t->shape[i], i < ndim ? shape[i] : 1, "axis %d", i);
    cr_assert_eq(t->size, shape_size(ndim, shape));
}

/* FREE_ALL(a, b, c): tg_tensor_free on each. */
static void free_tensors(tg_tensor **ts)
{
    for (; *ts; ts++) tg_tensor_free(*ts);
}
#define FREE_ALL(...) free_tensors((tg_tensor *[]){__VA_ARGS__, NULL})

/* Prints into a memory buffer; returns a malloc'ed string. */
static char *print_to_string(const tg_tensor *t, const char *label)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    tg_tensor_print(t, label, f);
    fclose(f);
    return text;
}

/* Mean and standard deviation of n floats, in double. */
static void moments(const float *x, int64_t n, double *mean, double *std)
{
    double sum = 0.0, sq = 0.0;
    for (int64_t i = 0; i < n; i++) {
        sum += x[i];
        sq += (double)x[i] * x[i];
    }
    *mean = sum / (double)n;
    *std = sqrt(sq / (double)n - *mean * *mean);
}

#endif /* TG_TENSOR_HELPERS_H */
