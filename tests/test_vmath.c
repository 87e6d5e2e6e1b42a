/* tests/test_vmath.c — the vectorized exp, sigmoid and tanh against their libm twins over
 * their whole range, including the saturated ends, zero, subnormal inputs and NaN. Part of
 * the test_tensor executable. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "tapegrad.h"

typedef void (*vm_kernel)(const float *, float *, int64_t);

/* Worst relative error of fast against naive on n points spread over [lo, hi], plus the
 * special values; n odd so that 0 is a sample of symmetric ranges. */
static double vm_worst(vm_kernel fast, vm_kernel naive, float lo, float hi)
{
    enum { N = 200001 };
    float *x = malloc(sizeof(float) * (N + 6)), *a = malloc(sizeof(float) * (N + 6)),
          *b = malloc(sizeof(float) * (N + 6));
    for (int i = 0; i < N; i++) x[i] = lo + (hi - lo) * (float)i / (N - 1);
    float special[6] = {0.0f, -0.0f, 1e-40f, -1e-40f, 1e-6f, -3e-5f};
    for (int i = 0; i < 6; i++) x[N + i] = special[i];
    fast(x, a, N + 6); /* odd length: the vector loops have a tail */
    naive(x, b, N + 6);
    double worst = 0;
    for (int i = 0; i < N + 6; i++) {
        double e = fabs((double)a[i] - b[i]) / fmax(fabs((double)b[i]), 1e-37);
        if (e > worst) worst = e;
    }
    free(x), free(a), free(b);
    return worst;
}

Test(vmath, exp_sigmoid_tanh_within_a_few_ulps_of_libm)
{
    /* float ulp is 2^-23 = 1.19e-7 relative: allow 4 ulps */
    double e = vm_worst(tg_kernel_exp, tg_kernel_exp_naive, -80.0f, 80.0f);
    cr_expect_lt(e, 4.8e-7, "exp: %g", e);
    double s = vm_worst(tg_kernel_sigmoid, tg_kernel_sigmoid_naive, -80.0f, 80.0f);
    cr_expect_lt(s, 4.8e-7, "sigmoid: %g", s);
    double t = vm_worst(tg_kernel_tanh, tg_kernel_tanh_naive, -20.0f, 20.0f);
    cr_expect_lt(t, 4.8e-7, "tanh: %g", t);
}

Test(vmath, saturates_without_inf_and_keeps_nan)
{
    float x[5] = {-1000.0f, 1000.0f, INFINITY, -INFINITY, NAN}, y[5];
    tg_kernel_sigmoid(x, y, 5);
    cr_expect(y[0] >= 0.0f && y[0] < 1e-37f && y[1] == 1.0f && y[2] == 1.0f && y[3] < 1e-37f);
    cr_expect(isnan(y[4]));
    tg_kernel_tanh(x, y, 5);
    cr_expect(y[0] == -1.0f && y[1] == 1.0f && y[2] == 1.0f && y[3] == -1.0f);
    cr_expect(isnan(y[4]));
    tg_kernel_exp(x, y, 5);
    cr_expect(isfinite(y[1]) && y[1] > 1e38f && y[0] >= 0.0f && isnan(y[4]));
}
