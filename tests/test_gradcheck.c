/* tests/test_gradcheck.c — finite-difference gradient check of every differentiable op,
 * table-driven, broadcasting cases included, plus a user-defined op written through
 * autograd/op.h. Part of the test_autograd executable. Prints the worst relative error of
 * each case. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>

#include "tapegrad.h"

/* ---- a user's own op, written only against autograd/op.h ------------------------------ */

/* y = softplus(x) = log(1 + e^x);  dy/dx = sigmoid(x) */
static void softplus_backward(tg_tape *t, tg_node *n)
{
    tg_tensor *x = n->in[0], *y = n->out;
    float *gx = tg_grad_of(t, x);
    if (!gx) return;
    for (int64_t i = 0; i < x->size; i++) gx[i] += y->grad[i] / (1.0f + expf(-x->data[i]));
}
static const tg_op softplus_op = {"softplus", softplus_backward};

static tg_tensor *softplus(tg_tape *t, tg_tensor *x)
{
    tg_tensor *y = tg_tape_empty(t, x->ndim, x->shape);
    for (int64_t i = 0; i < x->size; i++) y->data[i] = log1pf(expf(x->data[i]));
    tg_record(t, &softplus_op, y, 1, (tg_tensor *[]){x});
    return y;
}

/* ---- the functions under check: f(tape, inputs) -> tensor ------------------------------ */

#define F1(name, expr) \
    static tg_tensor *name(tg_tape *t, tg_tensor **x, void *c) { (void)c; return expr; }

F1(f_add, tg_add(t, x[0], x[1]))
F1(f_sub, tg_sub(t, x[0], x[1]))
F1(f_mul, tg_mul(t, x[0], x[1]))
F1(f_div, tg_div(t, x[0], x[1]))
F1(f_addcmul, tg_addcmul(t, x[0], x[1], x[2]))
F1(f_addcmul_aliased, tg_addcmul(t, x[0], x[1], x[1]))
F1(f_lerp, tg_lerp(t, x[0], x[1], x[2]))
F1(f_lerp_aliased, tg_lerp(t, x[0], x[1], x[0]))
F1(f_neg, tg_neg(t, x[0]))
F1(f_scale, tg_scale(t, x[0], -1.7f))
F1(f_add_scalar, tg_add_scalar(t, x[0], 0.3f))
F1(f_one_minus, tg_one_minus(t, x[0]))
F1(f_sigmoid, tg_sigmoid(t, x[0]))
F1(f_tanh, tg_tanh(t, x[0]))
F1(f_relu, tg_relu(t, x[0]))
F1(f_exp, tg_exp(t, x[0]))
F1(f_log, tg_log(t, x[0]))
F1(f_sqrt, tg_sqrt(t, x[0]))
F1(f_square, tg_square(t, x[0]))
F1(f_abs, tg_abs(t, x[0]))
F1(f_matmul, tg_matmul(t, x[0], x[1]))
F1(f_matmul_nt, tg_matmul_t(t, x[0], x[1], false, true))
F1(f_matmul_tn, tg_matmul_t(t, x[0], x[1], true, false))
F1(f_matmul_tt, tg_matmul_t(t, x[0], x[1], true, true))
F1(f_linear, tg_linear(t, x[0], x[1], x[2]))
F1(f_linear_nobias, tg_linear(t, x[0], x[1], NULL))
F1(f_sum, tg_sum(t, x[0]))
F1(f_mean, tg_mean(t, x[0]))
F1(f_max, tg_max(t, x[0]))
F1(f_sum_axis0, tg_sum_axis(t, x[0], 0, false))
F1(f_sum_axis1_keep, tg_sum_axis(t, x[0], 1, true))
F1(f_mean_axis_last, tg_mean_axis(t, x[0], -1, false))
F1(f_max_axis1, tg_max_axis(t, x[0], 1, false))
F1(f_softmax, tg_softmax(t, x[0]))
F1(f_log_softmax, tg_log_softmax(t, x[0]))
F1(f_reshape, tg_reshape(t, x[0], TG_SHAPE(3, -1)))
F1(f_transpose, tg_transpose(t, x[0]))
F1(f_swap01, tg_swapaxes(t, x[0], 0, 1))
F1(f_swap_last, tg_swapaxes(t, x[0], -1, 1))
F1(f_slice0, tg_slice(t, x[0], 0, 1, 2))
F1(f_slice1, tg_slice(t, x[0], 1, 2, 3))
F1(f_concat, tg_concat(t, 3, x, 1))
F1(f_stack0, tg_stack(t, 2, x, 0))
F1(f_stack_last, tg_stack(t, 2, x, -1))
F1(f_index_select, tg_index_select(t, x[0], ((int32_t[]){2, 0, 2, 3}), 4))
F1(f_softplus, softplus(t, x[0]))
F1(f_linear_add, tg_linear_add(t, x[0], x[1], x[2], x[3]))
F1(f_slice_act_sig, tg_slice_act(t, x[0], 1, 1, 3, TG_ACT_SIGMOID))
F1(f_slice_act_tanh0, tg_slice_act(t, x[0], 0, 1, 2, TG_ACT_TANH))
F1(f_layer_norm, tg_layer_norm(t, x[0], x[1], x[2], 1e-5f))
F1(f_layer_norm_plain, tg_layer_norm(t, x[0], NULL, NULL, 1e-5f))
F1(f_layer_norm_gain, tg_layer_norm(t, x[0], x[1], NULL, 1e-5f))

static tg_tensor *f_chunk_act(tg_tape *t, tg_tensor **x, void *c)
{
    (void)c;
    tg_tensor *p[4];
    tg_chunk_act(t, x[0], 4, 1,
                 (tg_activation[]){TG_ACT_SIGMOID, TG_ACT_TANH, TG_ACT_RELU, TG_ACT_NONE}, p);
    return tg_concat(t, 4, p, 0);
}

/* chunk: the parts weighted differently so a mixed-up region shows. */
static tg_tensor *f_chunk(tg_tape *t, tg_tensor **x, void *c)
{
    (void)c;
    tg_tensor *p[3];
    tg_chunk(t, x[0], 3, 1, p);
    return tg_add(t, tg_mul(t, p[0], p[1]), tg_tanh(t, p[2]));
}

/* An LSTM step written from ops: gates from one linear, chunked i|f|g|o. */
static tg_tensor *f_lstm_step(tg_tape *t, tg_tensor **x, void *c)
{
    (void)c;
    tg_tensor *in = x[0], *h = x[1], *cell = x[2], *w = x[3], *u = x[4], *b = x[5];
    tg_tensor *gates = tg_add(t, tg_linear(t, in, w, b), tg_linear(t, h, u, NULL));
    tg_tensor *g[4];
    tg_chunk(t, gates, 4, 1, g);
    tg_tensor *c2 = tg_add(t, tg_mul(t, tg_sigmoid(t, g[1]), cell),
                           tg_mul(t, tg_sigmoid(t, g[0]), tg_tanh(t, g[2])));
    tg_tensor *h2 = tg_mul(t, tg_sigmoid(t, g[3]), tg_tanh(t, c2));
    return tg_concat(t, 2, (tg_tensor *[]){h2, c2}, 1);
}

/* ---- the table ------------------------------------------------------------------------- */

typedef enum {
    UNIFORM,  /* U(-1, 1) */
    POSITIVE, /* U(0.5, 2): log, sqrt, divisors */
    AWAY,     /* |x| in [0.2, 1], random sign: away from the kinks of relu and abs */
    SPACED,   /* distinct values 0.1 apart, shuffled: no ties within eps for max */
} gen;

#define MAXIN 6
typedef struct gc_case {
    const char *name;
    tg_gradcheck_fn f;
    int n;
    int shape[MAXIN][5]; /* {ndim, dims...} */
    gen g[MAXIN];
} gc_case;

static const gc_case cases[] = {
    {"add same shape", f_add, 2, {{2, 3, 4}, {2, 3, 4}}, {0}},
    {"add (2,3,4)+(4)", f_add, 2, {{3, 2, 3, 4}, {1, 4}}, {0}},
    {"add (2,1,4)+(3,1)", f_add, 2, {{3, 2, 1, 4}, {2, 3, 1}}, {0}},
    {"add scalar+(2,3)", f_add, 2, {{0}, {2, 2, 3}}, {0}},
    {"sub (3,1)-(1,4)", f_sub, 2, {{2, 3, 1}, {2, 1, 4}}, {0}},
    {"sub (4)-(2,4)", f_sub, 2, {{1, 4}, {2, 2, 4}}, {0}},
    {"mul same shape", f_mul, 2, {{2, 3, 5}, {2, 3, 5}}, {0}},
    {"mul (4,1,3)*(2,3)", f_mul, 2, {{3, 4, 1, 3}, {2, 2, 3}}, {0}},
    {"mul (2,3)*scalar", f_mul, 2, {{2, 2, 3}, {0}}, {0}},
    {"div same shape", f_div, 2, {{2, 3, 4}, {2, 3, 4}}, {UNIFORM, POSITIVE}},
    {"div (2,3)/(3)", f_div, 2, {{2, 2, 3}, {1, 3}}, {UNIFORM, POSITIVE}},
    {"div (3)/(2,3)", f_div, 2, {{1, 3}, {2, 2, 3}}, {UNIFORM, POSITIVE}},
    {"addcmul same shape", f_addcmul, 3, {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, {0}},
    {"addcmul (3)+(2,1)*(2,3)", f_addcmul, 3, {{1, 3}, {2, 2, 1}, {2, 2, 3}}, {0}},
    {"addcmul a + b*b", f_addcmul_aliased, 2, {{2, 3, 4}, {2, 3, 4}}, {0}},
    {"lerp same shape", f_lerp, 3, {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, {0}},
    {"lerp (2,3),(3),(2,1)", f_lerp, 3, {{2, 2, 3}, {1, 3}, {2, 2, 1}}, {0}},
    {"lerp a, b, w = a", f_lerp_aliased, 2, {{2, 3, 4}, {2, 3, 4}}, {0}},
    {"neg", f_neg, 1, {{2, 3, 4}}, {0}},
    {"scale", f_scale, 1, {{2, 3, 4}}, {0}},
    {"add_scalar", f_add_scalar, 1, {{2, 3, 4}}, {0}},
    {"one_minus", f_one_minus, 1, {{2, 3, 4}}, {0}},
    {"sigmoid", f_sigmoid, 1, {{2, 3, 4}}, {0}},
    {"tanh", f_tanh, 1, {{2, 3, 4}}, {0}},
    {"relu", f_relu, 1, {{2, 3, 4}}, {AWAY}},
    {"exp", f_exp, 1, {{2, 3, 4}}, {0}},
    {"log", f_log, 1, {{2, 3, 4}}, {POSITIVE}},
    {"sqrt", f_sqrt, 1, {{2, 3, 4}}, {POSITIVE}},
    {"square", f_square, 1, {{2, 3, 4}}, {0}},
    {"abs", f_abs, 1, {{2, 3, 4}}, {AWAY}},
    {"matmul (3,4)@(4,5)", f_matmul, 2, {{2, 3, 4}, {2, 4, 5}}, {0}},
    {"matmul a@b^T", f_matmul_nt, 2, {{2, 3, 4}, {2, 5, 4}}, {0}},
    {"matmul a^T@b", f_matmul_tn, 2, {{2, 4, 3}, {2, 4, 5}}, {0}},
    {"matmul a^T@b^T", f_matmul_tt, 2, {{2, 4, 3}, {2, 5, 4}}, {0}},
    {"matmul batched", f_matmul, 2, {{3, 2, 3, 4}, {3, 2, 4, 5}}, {0}},
    {"matmul batched a^T@b^T", f_matmul_tt, 2, {{3, 2, 4, 3}, {3, 2, 5, 4}}, {0}},
    {"matmul (2,3,4)@(4,5) shared", f_matmul, 2, {{3, 2, 3, 4}, {2, 4, 5}}, {0}},
    {"matmul (2,4,3)^T@(4,5) shared", f_matmul_tn, 2, {{3, 2, 4, 3}, {2, 4, 5}}, {0}},
    {"linear", f_linear, 3, {{2, 5, 4}, {2, 3, 4}, {1, 3}}, {0}},
    {"linear 3-D x, no bias", f_linear_nobias, 2, {{3, 2, 3, 4}, {2, 6, 4}}, {0}},
    {"sum", f_sum, 1, {{3, 2, 3, 4}}, {0}},
    {"mean", f_mean, 1, {{3, 2, 3, 4}}, {0}},
    {"max", f_max, 1, {{2, 3, 4}}, {SPACED}},
    {"sum_axis 0", f_sum_axis0, 1, {{3, 2, 3, 4}}, {0}},
    {"sum_axis 1 keepdim", f_sum_axis1_keep, 1, {{3, 2, 3, 4}}, {0}},
    {"mean_axis -1", f_mean_axis_last, 1, {{3, 2, 3, 4}}, {0}},
    {"max_axis 1", f_max_axis1, 1, {{3, 2, 5, 3}}, {SPACED}},
    {"softmax", f_softmax, 1, {{2, 3, 5}}, {0}},
    {"softmax 3-D", f_softmax, 1, {{3, 2, 2, 4}}, {0}},
    {"log_softmax", f_log_softmax, 1, {{2, 3, 5}}, {0}},
    {"reshape", f_reshape, 1, {{2, 2, 6}}, {0}},
    {"transpose 2-D", f_transpose, 1, {{2, 3, 5}}, {0}},
    {"transpose 3-D", f_transpose, 1, {{3, 2, 3, 5}}, {0}},
    {"swapaxes 0,1 of (2,3,4)", f_swap01, 1, {{3, 2, 3, 4}}, {0}},
    {"swapaxes -1,1 of (2,3,2,4)", f_swap_last, 1, {{4, 2, 3, 2, 4}}, {0}},
    {"slice axis 0 (view)", f_slice0, 1, {{2, 4, 3}}, {0}},
    {"slice axis 1 (copy)", f_slice1, 1, {{3, 2, 6, 2}}, {0}},
    {"chunk", f_chunk, 1, {{2, 2, 6}}, {0}},
    {"concat", f_concat, 3, {{2, 2, 1}, {2, 2, 3}, {2, 2, 2}}, {0}},
    {"stack axis 0", f_stack0, 2, {{2, 2, 3}, {2, 2, 3}}, {0}},
    {"stack axis -1", f_stack_last, 2, {{2, 2, 3}, {2, 2, 3}}, {0}},
    {"index_select repeated", f_index_select, 1, {{2, 4, 3}}, {0}},
    {"custom op softplus (op.h)", f_softplus, 1, {{2, 3, 4}}, {0}},
    {"linear_add", f_linear_add, 4, {{2, 5, 4}, {2, 3, 4}, {1, 3}, {2, 5, 3}}, {0}},
    {"slice_act sigmoid axis 1", f_slice_act_sig, 1, {{3, 2, 5, 2}}, {0}},
    {"slice_act tanh axis 0", f_slice_act_tanh0, 1, {{2, 4, 3}}, {0}},
    {"chunk_act sig|tanh|relu|none", f_chunk_act, 1, {{2, 3, 8}}, {AWAY}},
    {"layer_norm gain, bias", f_layer_norm, 3, {{2, 3, 5}, {1, 5}, {1, 5}}, {0}},
    /* 19 = 16 + 3 (16 + 2 + 1 for SSE): whole vectors and a scalar tail on every path */
    {"layer_norm n 19, gain", f_layer_norm_gain, 2, {{3, 2, 2, 19}, {1, 19}}, {0}},
    {"layer_norm plain 3-D", f_layer_norm_plain, 1, {{3, 2, 3, 4}}, {0}},
    {"lstm step from ops", f_lstm_step, 6,
     {{2, 2, 3}, {2, 2, 4}, {2, 2, 4}, {2, 16, 3}, {2, 16, 4}, {1, 16}}, {0}},
};

static void fill(tg_tensor *x, gen g, tg_rng *r)
{
    for (int64_t i = 0; i < x->size; i++) {
        float u = tg_rng_uniform(r);
        switch (g) {
        case UNIFORM: x->data[i] = 2.0f * u - 1.0f; break;
        case POSITIVE: x->data[i] = 0.5f + 1.5f * u; break;
        case AWAY: x->data[i] = (0.2f + 0.8f * u) * (tg_rng_uniform(r) < 0.5f ? -1.0f : 1.0f); break;
        case SPACED: x->data[i] = 0.1f * (float)i - 0.05f * (float)x->size; break;
        }
    }
    if (g == SPACED) /* Fisher-Yates shuffle */
        for (int64_t i = x->size - 1; i > 0; i--) {
            int64_t j = tg_rng_below(r, (uint32_t)(i + 1));
            float tmp = x->data[i];
            x->data[i] = x->data[j];
            x->data[j] = tmp;
        }
}

Test(gradcheck, every_op_matches_finite_differences)
{
    int n_cases = (int)(sizeof cases / sizeof cases[0]);
    tg_rng r;
    tg_rng_seed(&r, 2024, 5);
    double worst = 0.0;
    printf("%-34s %s\n", "gradcheck case", "worst relative error per input");
    for (int k = 0; k < n_cases; k++) {
        const gc_case *c = &cases[k];
        tg_tensor *in[MAXIN];
        for (int j = 0; j < c->n; j++) {
            in[j] = tg_tensor_new(c->shape[j][0], c->shape[j] + 1);
            fill(in[j], c->g[j], &r);
        }
        tg_gradcheck_opts opts = tg_gradcheck_defaults();
        opts.tol = 2e-3; /* tighter than the default: these are small, smooth cases */
        tg_gradcheck_result res = tg_gradcheck(c->f, NULL, c->n, in, &opts);
        printf("%-34s", c->name);
        for (int j = 0; j < c->n; j++) printf(" %.2e", res.err[j]);
        printf("\n");
        cr_expect(res.ok, "%s: input %d element %lld has relative error %.3g", c->name,
                  res.worst_input, (long long)res.worst_index, res.worst);
        if (res.worst > worst) worst = res.worst;
        for (int j = 0; j < c->n; j++) tg_tensor_free(in[j]);
    }
    printf("gradcheck: %d cases, worst relative error %.2e\n", n_cases, worst);
}

/* y = x^3 with a deliberately wrong backward (2x^2 instead of 3x^2). */
static void cube_wrong_backward(tg_tape *t, tg_node *n)
{
    float *gx = tg_grad_of(t, n->in[0]);
    const float *x = n->in[0]->data;
    for (int64_t i = 0; gx && i < n->out->size; i++) gx[i] += n->out->grad[i] * 2 * x[i] * x[i];
}
static const tg_op cube_wrong_op = {"cube_wrong", cube_wrong_backward};
static tg_tensor *f_cube_wrong(tg_tape *t, tg_tensor **x, void *c)
{
    (void)c;
    tg_tensor *y = tg_tape_empty(t, x[0]->ndim, x[0]->shape);
    for (int64_t i = 0; i < y->size; i++) y->data[i] = x[0]->data[i] * x[0]->data[i] * x[0]->data[i];
    tg_record(t, &cube_wrong_op, y, 1, x);
    return y;
}

Test(gradcheck, catches_a_wrong_backward)
{
    /* The checker is not vacuous: a backward off by a factor fails it. */
    tg_tensor *x = tg_tensor_new(TG_SHAPE(5));
    tg_rng r;
    tg_rng_seed(&r, 3, 0);
    fill(x, AWAY, &r);
    tg_gradcheck_result res = tg_gradcheck(f_cube_wrong, NULL, 1, &x, NULL);
    cr_expect(!res.ok, "a wrong backward passed with error %.3g", res.worst);
    cr_expect_gt(res.worst, 0.1);
    cr_expect_eq(x->flags & TG_REQUIRES_GRAD, 0, "gradcheck restores the input's flags");
    tg_tensor_free(x);
}
