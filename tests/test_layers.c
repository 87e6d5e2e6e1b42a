/* tests/test_layers.c — the linear layer, dropout, embedding and the losses of layers.h:
 * parity with PyTorch (tests/fixtures/losses.txt, from tools/make_fixtures_losses.py),
 * finite-difference gradient checks, dropout statistics and determinism, parameter names
 * and initialization, and contract messages.
 * What this is not: the recurrent layers (tests/test_rnn.c, linked into the same
 * executable, which is why every helper here is static and prefixed lt_).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "contract.h"
#include "tapegrad.h"

#define LT_EXPECT_MSG_HAS(text) \
    cr_expect(strstr(contract_msg, (text)) != NULL, "message lacks \"%s\": %s", (text), contract_msg)

/* ---- fixture access ------------------------------------------------------------------- */

static const fx_tensor *lt_get(const fixture *f, const char *name)
{
    const fx_tensor *t = fx_get(f, name);
    cr_assert_not_null(t, "fixture tensor %s is missing", name);
    return t;
}

static tg_tensor *lt_load(const fixture *f, const char *name)
{
    return fx_tensor_new(lt_get(f, name));
}

static fixture *lt_fixture(void)
{
    fixture *f = fx_load("losses.txt");
    cr_assert_not_null(f, "cannot load tests/fixtures/losses.txt");
    return f;
}

/* ---- the losses, behind one signature for the tables ----------------------------------- */

typedef enum { LT_MSE, LT_L1, LT_HUBER, LT_SMOOTH_L1, LT_CE, LT_BCE } lt_kind;

typedef struct lt_loss_ctx {
    lt_kind kind;
    float param;            /* delta or beta */
    tg_reduction r;
    const int32_t *classes; /* cross-entropy */
} lt_loss_ctx;

static tg_tensor *lt_loss(tg_tape *t, const lt_loss_ctx *c, tg_tensor *pred, tg_tensor *target)
{
    switch (c->kind) {
    case LT_MSE: return tg_mse_loss(t, pred, target, c->r);
    case LT_L1: return tg_l1_loss(t, pred, target, c->r);
    case LT_HUBER: return tg_huber_loss(t, pred, target, c->param, c->r);
    case LT_SMOOTH_L1: return tg_smooth_l1_loss(t, pred, target, c->param, c->r);
    case LT_CE: return tg_cross_entropy_loss(t, pred, c->classes, c->r);
    case LT_BCE: return tg_bce_with_logits_loss(t, pred, target, c->r);
    }
    return NULL;
}

/* ---- parity with PyTorch ------------------------------------------------------------- */

typedef struct lt_parity_case {
    const char *name;  /* fixture prefix */
    lt_kind kind;
    const char *pred;  /* "pred" or "logits" */
    const char *param; /* fixture scalar holding delta/beta, or NULL */
} lt_parity_case;

static const lt_parity_case lt_parity_cases[] = {
    {"mse", LT_MSE, "pred", NULL},
    {"l1", LT_L1, "pred", NULL},
    {"huber", LT_HUBER, "pred", "huber.delta"},
    {"smooth_l1", LT_SMOOTH_L1, "pred", "smooth_l1.beta"},
    {"ce", LT_CE, "logits", NULL},
    {"bce", LT_BCE, "logits", NULL},
};

Test(layers_parity, losses_match_pytorch)
{
    fixture *f = lt_fixture();
    tg_tape *tp = tg_tape_new();
    const char *rname[2] = {"mean", "sum"};
    printf("%-22s %12s %12s\n", "loss parity case", "value err", "grad err");
    for (size_t k = 0; k < sizeof lt_parity_cases / sizeof lt_parity_cases[0]; k++) {
        const lt_parity_case *pc = &lt_parity_cases[k];
        char key[96];
        snprintf(key, sizeof key, "%s.%s", pc->name, pc->pred);
        const fx_tensor *fpred = lt_get(f, key);
        snprintf(key, sizeof key, "%s.target", pc->name);
        tg_tensor *target = pc->kind == LT_CE ? NULL : lt_load(f, key);
        int32_t classes[64];
        if (pc->kind == LT_CE) {
            const fx_tensor *fc = lt_get(f, "ce.classes");
            cr_assert_leq(fc->size, 64);
            for (int64_t i = 0; i < fc->size; i++) classes[i] = (int32_t)fc->data[i];
        }
        lt_loss_ctx c = {pc->kind, pc->param ? (float)lt_get(f, pc->param)->data[0] : 0.0f,
                         TG_MEAN, classes};
        for (int ri = 0; ri < 2; ri++) {
            c.r = ri == 0 ? TG_MEAN : TG_SUM;
            tg_tensor *pred = fx_tensor_new(fpred);
            tg_requires_grad(pred);
            tg_tape_reset(tp);
            tg_tensor *loss = lt_loss(tp, &c, pred, target);
            cr_expect_eq(loss->size, 1);
            tg_backward(tp, loss);
            snprintf(key, sizeof key, "%s.%s.loss", pc->name, rname[ri]);
            double ev = fx_rel_err(loss->data, lt_get(f, key));
            snprintf(key, sizeof key, "%s.%s.grad", pc->name, rname[ri]);
            double eg = fx_rel_err(pred->grad, lt_get(f, key));
            char label[64];
            snprintf(label, sizeof label, "%s %s", pc->name, rname[ri]);
            printf("%-22s %12.2e %12.2e\n", label, ev, eg);
            cr_expect_lt(ev, 1e-5, "%s: loss value off by %.3g (relative)", label, ev);
            cr_expect_lt(eg, 1e-5, "%s: gradient off by %.3g (relative)", label, eg);
            tg_tensor_free(pred);
        }
        tg_tensor_free(target);
    }
    tg_tape_free(tp);
    fx_free(f);
}

Test(layers_parity, linear_layer_matches_pytorch)
{
    fixture *f = lt_fixture();
    const fx_tensor *fw = lt_get(f, "linear.weight");
    int out = fw->shape[0], in = fw->shape[1];
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 1, 0);
    tg_linear_layer fc = tg_linear_layer_new(ps, "fc", in, out, true, &rng);
    fx_copy_into(fw, fc.weight);
    fx_copy_into(lt_get(f, "linear.bias"), fc.bias);
    tg_tensor *x = lt_load(f, "linear.x");   /* (B, in) */
    tg_tensor *gout = lt_load(f, "linear.gout"); /* (B, out) */
    tg_requires_grad(x);
    tg_tape *tp = tg_tape_new();
    tg_tensor *y = tg_linear_layer_forward(tp, &fc, x); /* (B, out) */
    cr_assert_eq(y->size, gout->size);
    tg_backward_from(tp, y, gout->data);
    double e[4] = {fx_rel_err(y->data, lt_get(f, "linear.out")),
                   fx_rel_err(x->grad, lt_get(f, "linear.grad_x")),
                   fx_rel_err(fc.weight->grad, lt_get(f, "linear.grad_weight")),
                   fx_rel_err(fc.bias->grad, lt_get(f, "linear.grad_bias"))};
    const char *what[4] = {"linear out", "linear grad x", "linear grad weight",
                           "linear grad bias"};
    for (int i = 0; i < 4; i++) {
        printf("%-22s %12.2e\n", what[i], e[i]);
        cr_expect_lt(e[i], 1e-5, "%s off by %.3g (relative)", what[i], e[i]);
    }
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_tensor_free(gout);
    tg_params_free(ps);
    fx_free(f);
}

/* ---- gradient checks ---------------------------------------------------------------- */

static tg_tensor *lt_gc_loss(tg_tape *t, tg_tensor **x, void *ctx)
{
    const lt_loss_ctx *c = ctx;
    return lt_loss(t, c, x[0], c->kind == LT_CE ? NULL : x[1]);
}

/* target ~ U(-1, 1); pred = target + d with |d| in [0.1, 2] but at least 0.1 away from
 * `kink` (delta or beta), so central differences with eps = 1e-2 never straddle a kink. */
static void lt_fill_residuals(tg_tensor *pred, tg_tensor *target, float kink, tg_rng *r)
{
    for (int64_t i = 0; i < pred->size; i++) {
        float m;
        do {
            m = 0.1f + 1.9f * tg_rng_uniform(r);
        } while (fabsf(m - kink) < 0.1f);
        target->data[i] = 2.0f * tg_rng_uniform(r) - 1.0f;
        pred->data[i] = target->data[i] + (tg_rng_below(r, 2) ? m : -m);
    }
}

Test(layers_gradcheck, every_loss_matches_finite_differences)
{
    tg_rng r;
    tg_rng_seed(&r, 77, 3);
    int32_t classes[5] = {2, 0, 3, 3, 1};
    struct {
        const char *name;
        lt_loss_ctx c;
    } cases[] = {
        {"mse mean", {LT_MSE, 0, TG_MEAN, NULL}},
        {"mse sum", {LT_MSE, 0, TG_SUM, NULL}},
        {"l1 mean", {LT_L1, 0, TG_MEAN, NULL}},
        {"l1 sum", {LT_L1, 0, TG_SUM, NULL}},
        {"huber(0.8) mean", {LT_HUBER, 0.8f, TG_MEAN, NULL}},
        {"huber(1.3) sum", {LT_HUBER, 1.3f, TG_SUM, NULL}},
        {"smooth_l1(0.5) mean", {LT_SMOOTH_L1, 0.5f, TG_MEAN, NULL}},
        {"smooth_l1(1.5) sum", {LT_SMOOTH_L1, 1.5f, TG_SUM, NULL}},
        {"cross_entropy mean", {LT_CE, 0, TG_MEAN, classes}},
        {"cross_entropy sum", {LT_CE, 0, TG_SUM, classes}},
        {"bce_with_logits mean", {LT_BCE, 0, TG_MEAN, NULL}},
        {"bce_with_logits sum", {LT_BCE, 0, TG_SUM, NULL}},
    };
    double worst = 0.0;
    printf("%-22s %s\n", "loss gradcheck", "worst relative error per input");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lt_loss_ctx *c = &cases[k].c;
        tg_tensor *in[2] = {tg_tensor_new(TG_SHAPE(5, 4)), tg_tensor_new(TG_SHAPE(5, 4))};
        int n_in = 2;
        if (c->kind == LT_CE) {
            n_in = 1;
            tg_fill_uniform(in[0], &r, -2.0f, 2.0f);
        } else if (c->kind == LT_BCE) {
            tg_fill_uniform(in[0], &r, -3.0f, 3.0f);
            tg_fill_uniform(in[1], &r, 0.0f, 1.0f);
            in[0]->data[0] = 0.0f; /* the kink of max(x, 0) and |x| */
            in[0]->data[1] = 30.0f;
            in[0]->data[2] = -30.0f;
        } else {
            lt_fill_residuals(in[0], in[1], c->kind == LT_MSE || c->kind == LT_L1 ? 0.0f : c->param,
                              &r);
        }
        tg_gradcheck_opts opts = tg_gradcheck_defaults();
        opts.tol = 2e-3;
        tg_gradcheck_result res = tg_gradcheck(lt_gc_loss, c, n_in, in, &opts);
        printf("%-22s", cases[k].name);
        for (int j = 0; j < n_in; j++) printf(" %.2e", res.err[j]);
        printf("\n");
        cr_expect(res.ok, "%s: input %d element %lld has relative error %.3g", cases[k].name,
                  res.worst_input, (long long)res.worst_index, res.worst);
        if (res.worst > worst) worst = res.worst;
        tg_tensor_free(in[0]);
        tg_tensor_free(in[1]);
    }
    printf("loss gradcheck worst relative error %.2e\n", worst);
}

/* Dropout under gradcheck: the rng is reseeded identically in every evaluation, so each
 * finite-difference forward uses the same mask as the analytic one. */
static tg_tensor *lt_gc_dropout(tg_tape *t, tg_tensor **x, void *ctx)
{
    (void)ctx;
    tg_rng rng;
    tg_rng_seed(&rng, 99, 1);
    return tg_dropout(t, x[0], 0.4f, true, &rng);
}

static tg_tensor *lt_gc_layers(tg_tape *t, tg_tensor **x, void *ctx)
{
    (void)ctx;
    tg_linear_layer l = {x[1], x[2]};
    tg_embedding e = {x[3]};
    tg_tensor *h = tg_embedding_forward(t, &e, ((int32_t[]){1, 4, 1}), 3); /* (3, 5) */
    return tg_tanh(t, tg_add(t, tg_linear_layer_forward(t, &l, x[0]),
                             tg_linear_layer_forward(t, &l, h))); /* (3, 2) */
}

Test(layers_gradcheck, dropout_linear_and_embedding)
{
    tg_rng r;
    tg_rng_seed(&r, 5, 5);
    tg_tensor *x = tg_tensor_new(TG_SHAPE(4, 6));
    tg_fill_uniform(x, &r, -1.0f, 1.0f);
    tg_gradcheck_opts opts = tg_gradcheck_defaults();
    opts.tol = 2e-3;
    tg_gradcheck_result res = tg_gradcheck(lt_gc_dropout, NULL, 1, &x, &opts);
    printf("%-22s %.2e\n", "dropout(0.4)", res.worst);
    cr_expect(res.ok, "dropout: relative error %.3g", res.worst);

    tg_tensor *in[4] = {tg_tensor_new(TG_SHAPE(3, 5)), tg_tensor_new(TG_SHAPE(2, 5)),
                        tg_tensor_new(TG_SHAPE(2)), tg_tensor_new(TG_SHAPE(6, 5))};
    for (int j = 0; j < 4; j++) tg_fill_uniform(in[j], &r, -1.0f, 1.0f);
    res = tg_gradcheck(lt_gc_layers, NULL, 4, in, &opts);
    printf("%-22s %.2e %.2e %.2e %.2e\n", "linear + embedding", res.err[0], res.err[1],
           res.err[2], res.err[3]);
    cr_expect(res.ok, "linear + embedding: input %d has relative error %.3g", res.worst_input,
              res.worst);
    for (int j = 0; j < 4; j++) tg_tensor_free(in[j]);
    tg_tensor_free(x);
}

/* ---- dropout ------------------------------------------------------------------------- */

Test(dropout, eval_mode_and_p_zero_return_x_itself)
{
    tg_tensor *x = tg_tensor_from(TG_SHAPE(2, 2), (float[]){1, -2, 3, -4});
    tg_requires_grad(x);
    tg_rng rng;
    tg_rng_seed(&rng, 1, 0);
    tg_rng before = rng;
    tg_tape *tp = tg_tape_new();
    cr_expect_eq(tg_dropout(tp, x, 0.5f, false, &rng), x);
    cr_expect_eq(tg_dropout(tp, x, 0.5f, false, NULL), x, "eval needs no rng");
    cr_expect_eq(tg_dropout(tp, x, 0.0f, true, &rng), x);
    cr_expect_eq(tg_tape_stats_get(tp).nodes, 0, "the identity records nothing");
    cr_expect(rng.state == before.state, "the identity draws nothing from the rng");
    float want[4] = {1, -2, 3, -4};
    cr_expect(memcmp(x->data, want, sizeof want) == 0);
    tg_tape_free(tp);
    tg_tensor_free(x);
}

Test(dropout, drops_about_p_and_scales_survivors_exactly)
{
    const int n = 100000;
    const float ps[3] = {0.1f, 0.3f, 0.75f};
    tg_tensor *x = tg_tensor_new(TG_SHAPE(100, 1000));
    tg_rng r;
    tg_rng_seed(&r, 11, 0);
    tg_fill_uniform(x, &r, 0.5f, 2.0f); /* nonzero, so a zero in y is a drop */
    tg_requires_grad(x);
    tg_tape *tp = tg_tape_new();
    for (int k = 0; k < 3; k++) {
        const float p = ps[k], scale = 1.0f / (1.0f - p);
        tg_tape_reset(tp);
        memset(x->grad, 0, (size_t)n * sizeof(float));
        tg_tensor *y = tg_dropout(tp, x, p, true, &r);
        cr_assert_neq(y, x);
        cr_expect(tg_shape_equal(y, x));
        int dropped = 0, bad = 0;
        for (int i = 0; i < n; i++) {
            if (y->data[i] == 0.0f)
                dropped++;
            else if (y->data[i] != x->data[i] * scale)
                bad++;
        }
        double frac = (double)dropped / n;
        /* sd of the fraction is sqrt(p (1-p) / n) <= 0.0016: 0.01 is over 6 sd */
        cr_expect(fabs(frac - p) < 0.01, "p = %g: dropped fraction %.4f", (double)p, frac);
        cr_expect_eq(bad, 0, "p = %g: %d survivors not scaled by exactly 1/(1-p)", (double)p,
                     bad);
        /* backward: dx = dy * mask / (1 - p), here with dy = 1 */
        tg_backward(tp, tg_sum(tp, y));
        int bad_grad = 0;
        for (int i = 0; i < n; i++)
            if (x->grad[i] != (y->data[i] == 0.0f ? 0.0f : scale)) bad_grad++;
        cr_expect_eq(bad_grad, 0, "p = %g: %d gradients are not mask / (1 - p)", (double)p,
                     bad_grad);
    }
    tg_tape_free(tp);
    tg_tensor_free(x);
}

/* Ranks that each hold part of a batch: the parts' masks, side by side, are the whole
 * tensor's mask, and every part leaves the rng where the whole draw leaves it. Along dim 0
 * (the model's batch-first rows) and dim 1 (the rows of a (T, B, H) sequence). */
Test(dropout, slices_put_together_are_the_whole_tensors_mask)
{
    enum { T = 3, B = 7, H = 5 };
    tg_tensor *x = tg_tensor_full(TG_SHAPE(T, B, H), 1.0f);
    tg_tape *tp = tg_tape_new();
    for (int dim = 0; dim < 2; dim++) {
        int total = x->shape[dim];
        tg_rng whole_rng;
        tg_rng_seed(&whole_rng, 5, 1);
        tg_tensor *whole = dim == 0 ? tg_dropout(tp, x, 0.3f, true, &whole_rng)
                                    : tg_dropout_slice(tp, x, 0.3f, true, &whole_rng, 1, 0, B);
        /* the same draws as a plain loop of uniforms in row-major order */
        tg_rng check;
        tg_rng_seed(&check, 5, 1);
        for (int64_t i = 0; i < x->size; i++)
            cr_assert_eq(whole->data[i], tg_rng_uniform(&check) >= 0.3f ? 1.0f / 0.7f : 0.0f);
        for (int cut = 1; cut < total; cut++) { /* parts [0, cut) and [cut, total) */
            for (int part = 0; part < 2; part++) {
                int start = part ? cut : 0, n = part ? total - cut : cut;
                int shape[3] = {T, B, H};
                shape[dim] = n;
                tg_tensor *xs = tg_tensor_full(3, shape, 1.0f);
                tg_rng r;
                tg_rng_seed(&r, 5, 1);
                tg_tensor *y = tg_dropout_slice(tp, xs, 0.3f, true, &r, dim, start, total);
                for (int a = 0; a < shape[0]; a++)
                    for (int b = 0; b < shape[1]; b++)
                        for (int h = 0; h < H; h++) {
                            int wa = dim == 0 ? a + start : a, wb = dim == 1 ? b + start : b;
                            cr_assert_eq(y->data[(a * shape[1] + b) * H + h],
                                         whole->data[(wa * B + wb) * H + h],
                                         "dim %d cut %d part %d at (%d, %d, %d)", dim, cut,
                                         part, a, b, h);
                        }
                cr_assert_eq(r.state, whole_rng.state, "dim %d cut %d part %d: rng state",
                             dim, cut, part);
                tg_tensor_free(xs);
            }
        }
    }
    /* a slice outside the whole is a contract violation that says so */
    tg_rng r;
    tg_rng_seed(&r, 1, 0);
    EXPECT_RAISES(tg_dropout_slice(tp, x, 0.3f, true, &r, 1, 3, 9));
    LT_EXPECT_MSG_HAS("tg_dropout_slice");
    LT_EXPECT_MSG_HAS("[3, 10) along dim 1");
    EXPECT_RAISES(tg_dropout_slice(tp, x, 0.3f, true, &r, 3, 0, 5));
    LT_EXPECT_MSG_HAS("dim 3 is out of range for x (3, 7, 5) (3 dims)");
    EXPECT_RAISES(tg_dropout_slice(NULL, x, 0.3f, true, &r, 1, 0, 7));
    LT_EXPECT_MSG_HAS("the tape is NULL");
    tg_tape_free(tp);
    tg_tensor_free(x);
}

Test(dropout, same_seed_same_mask_and_no_heap_allocation_per_step)
{
    tg_tensor *x = tg_tensor_full(TG_SHAPE(64, 33), 1.0f);
    tg_requires_grad(x);
    tg_tape *tp = tg_tape_new();
    tg_rng r1, r2, r3;
    tg_rng_seed(&r1, 42, 0);
    tg_rng_seed(&r2, 42, 0);
    tg_rng_seed(&r3, 43, 0);
    float *first = malloc((size_t)x->size * sizeof(float));
    tg_tensor *y = tg_dropout(tp, x, 0.5f, true, &r1);
    memcpy(first, y->data, (size_t)x->size * sizeof(float));
    tg_backward(tp, tg_sum(tp, y));

    /* Second step on the reset tape: same seed, same mask, and no heap allocation. */
    tg_tape_reset(tp);
    uint64_t allocs = tg_heap_alloc_count();
    y = tg_dropout(tp, x, 0.5f, true, &r2);
    tg_backward(tp, tg_sum(tp, y));
    cr_expect_eq(tg_heap_alloc_count(), allocs, "dropout allocated on the heap in a step");
    cr_expect(memcmp(first, y->data, (size_t)x->size * sizeof(float)) == 0,
              "the same seed gave a different mask");

    tg_tape_reset(tp);
    y = tg_dropout(tp, x, 0.5f, true, &r3);
    cr_expect(memcmp(first, y->data, (size_t)x->size * sizeof(float)) != 0,
              "another seed gave the same mask");
    /* Successive calls from one stream draw fresh masks. */
    tg_tensor *y2 = tg_dropout(tp, x, 0.5f, true, &r3);
    cr_expect(memcmp(y2->data, y->data, (size_t)x->size * sizeof(float)) != 0);
    free(first);
    tg_tape_free(tp);
    tg_tensor_free(x);
}

/* ---- embedding ------------------------------------------------------------------------ */

Test(embedding, names_shape_and_normal_init)
{
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 8, 0);
    tg_embedding e = tg_embedding_new(ps, "emb", 1000, 16, &rng);
    cr_expect_eq(tg_params_get(ps, "emb.weight"), e.weight);
    cr_expect_eq(e.weight->ndim, 2);
    cr_expect_eq(e.weight->shape[0], 1000);
    cr_expect_eq(e.weight->shape[1], 16);
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < e.weight->size; i++) {
        s += e.weight->data[i];
        s2 += (double)e.weight->data[i] * e.weight->data[i];
    }
    double mean = s / (double)e.weight->size, var = s2 / (double)e.weight->size - mean * mean;
    cr_expect(fabs(mean) < 0.03 && fabs(sqrt(var) - 1.0) < 0.03, "N(0, 1)? mean %.4f sd %.4f",
              mean, sqrt(var));
    tg_embedding bare = tg_embedding_new(ps, "", 3, 2, &rng);
    cr_expect_eq(tg_params_get(ps, "weight"), bare.weight);
    tg_params_free(ps);
}

Test(embedding, forward_picks_rows_and_repeated_indices_accumulate)
{
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 9, 0);
    tg_embedding e = tg_embedding_new(ps, "emb", 5, 3, &rng);
    tg_tape *tp = tg_tape_new();
    const int32_t idx[4] = {3, 1, 3, 0};
    tg_tensor *y = tg_embedding_forward(tp, &e, idx, 4); /* (4, 3) */
    cr_assert_eq(y->ndim, 2);
    cr_expect_eq(y->shape[0], 4);
    cr_expect_eq(y->shape[1], 3);
    for (int r = 0; r < 4; r++)
        cr_expect(memcmp(y->data + 3 * r, e.weight->data + 3 * idx[r], 3 * sizeof(float)) == 0,
                  "row %d is not weight row %d", r, idx[r]);
    float dy[12];
    for (int i = 0; i < 12; i++) dy[i] = (float)(i + 1);
    tg_backward_from(tp, y, dy);
    float want[15] = {10, 11, 12, /* row 0 <- dy row 3 */
                      4, 5, 6,    /* row 1 <- dy row 1 */
                      0, 0, 0,
                      8, 10, 12,  /* row 3 <- dy rows 0 + 2 */
                      0, 0, 0};
    for (int i = 0; i < 15; i++)
        cr_expect_eq(e.weight->grad[i], want[i], "grad[%d] = %g, want %g", i,
                     (double)e.weight->grad[i], (double)want[i]);
    tg_tape_free(tp);
    tg_params_free(ps);
}

/* ---- linear --------------------------------------------------------------------------- */

Test(linear, names_match_state_dict_and_init_is_bounded)
{
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 3, 0);
    tg_linear_layer fc = tg_linear_layer_new(ps, "fc", 16, 64, true, &rng);
    cr_assert_eq(tg_params_count(ps), 2);
    cr_expect_str_eq(tg_params_at(ps, 0)->name, "fc.weight");
    cr_expect_str_eq(tg_params_at(ps, 1)->name, "fc.bias");
    cr_expect_eq(tg_params_get(ps, "fc.weight"), fc.weight);
    cr_expect_eq(tg_params_get(ps, "fc.bias"), fc.bias);
    cr_expect(fc.weight->ndim == 2 && fc.weight->shape[0] == 64 && fc.weight->shape[1] == 16);
    cr_expect(fc.bias->ndim == 1 && fc.bias->shape[0] == 64);
    const float bound = 0.25f; /* 1 / sqrt(16) */
    tg_tensor *ts[2] = {fc.weight, fc.bias};
    for (int k = 0; k < 2; k++) {
        float mx = 0.0f;
        for (int64_t i = 0; i < ts[k]->size; i++) {
            cr_expect(fabsf(ts[k]->data[i]) < bound, "%s[%lld] = %g outside U(-0.25, 0.25)",
                      ts[k]->name, (long long)i, (double)ts[k]->data[i]);
            mx = fmaxf(mx, fabsf(ts[k]->data[i]));
        }
        cr_expect_gt(mx, 0.8f * bound, "%s spans only +-%g of the bound", ts[k]->name, (double)mx);
    }
    tg_linear_layer bare = tg_linear_layer_new(ps, "", 4, 2, true, &rng);
    cr_expect_eq(tg_params_get(ps, "weight"), bare.weight);
    cr_expect_eq(tg_params_get(ps, "bias"), bare.bias);
    tg_linear_layer nob = tg_linear_layer_new(ps, "head", 4, 2, false, &rng);
    cr_expect_null(nob.bias);
    cr_expect_null(tg_params_get(ps, "head.bias"));
    cr_expect_eq(tg_params_count(ps), 5);
    tg_params_free(ps);
}

Test(linear, a_linear_model_learns_with_mse)
{
    /* y = 2 x0 - x1 + 0.5 from 32 points: plain gradient descent drives MSE near 0. */
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 21, 0);
    tg_linear_layer fc = tg_linear_layer_new(ps, "fc", 2, 1, true, &rng);
    tg_tensor *x = tg_tensor_new(TG_SHAPE(32, 2)), *y = tg_tensor_new(TG_SHAPE(32, 1));
    tg_fill_uniform(x, &rng, -1.0f, 1.0f);
    for (int i = 0; i < 32; i++) y->data[i] = 2 * x->data[2 * i] - x->data[2 * i + 1] + 0.5f;
    tg_tape *tp = tg_tape_new();
    float first = 0, last = 0;
    for (int step = 0; step < 300; step++) {
        tg_tape_reset(tp);
        tg_params_zero_grad(ps);
        tg_tensor *loss = tg_mse_loss(tp, tg_linear_layer_forward(tp, &fc, x), y, TG_MEAN);
        tg_backward(tp, loss);
        if (step == 0) first = loss->data[0];
        last = loss->data[0];
        for (int k = 0; k < tg_params_count(ps); k++) {
            tg_tensor *p = tg_params_at(ps, k);
            for (int64_t i = 0; i < p->size; i++) p->data[i] -= 0.2f * p->grad[i];
        }
    }
    cr_expect(last < 1e-4f * first, "MSE went from %g to %g", (double)first, (double)last);
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_tensor_free(y);
    tg_params_free(ps);
}

/* ---- contract messages ------------------------------------------------------------------ */

Test(layers_contracts, loss_shape_mismatch_names_the_loss_both_shapes_and_the_line)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *pred = tg_tensor_zeros(TG_SHAPE(4, 1)), *target = tg_tensor_zeros(TG_SHAPE(4));
    char where[64];
    snprintf(where, sizeof where, "test_layers.c:%d", __LINE__ + 1);
    EXPECT_RAISES(tg_mse_loss(tp, pred, target, TG_MEAN));
    LT_EXPECT_MSG_HAS("mse");
    LT_EXPECT_MSG_HAS("(4, 1)");
    LT_EXPECT_MSG_HAS("(4)");
    LT_EXPECT_MSG_HAS(where);

    EXPECT_RAISES(tg_l1_loss(tp, pred, NULL, TG_SUM));
    LT_EXPECT_MSG_HAS("tg_l1_loss");
    EXPECT_RAISES(tg_huber_loss(tp, pred, target, 1.0f, TG_MEAN));
    LT_EXPECT_MSG_HAS("tg_huber_loss");
    EXPECT_RAISES(tg_smooth_l1_loss(tp, target, target, -0.5f, TG_MEAN));
    LT_EXPECT_MSG_HAS("beta");
    EXPECT_RAISES(tg_huber_loss(tp, pred, pred, 0.0f, TG_MEAN));
    LT_EXPECT_MSG_HAS("delta");
    EXPECT_RAISES(tg_bce_with_logits_loss(tp, pred, target, TG_MEAN));
    LT_EXPECT_MSG_HAS("tg_bce_with_logits_loss");
    LT_EXPECT_MSG_HAS("(4, 1)");
    EXPECT_RAISES(tg_mse_loss(tp, pred, pred, (tg_reduction)7));
    LT_EXPECT_MSG_HAS("reduction");
    cr_expect_eq(tg_tape_stats_get(tp).bytes_used, 0, "a failed check allocated on the tape");
    tg_tensor_free(pred);
    tg_tensor_free(target);
    tg_tape_free(tp);
}

Test(layers_contracts, cross_entropy_class_out_of_range_and_null)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *logits = tg_tensor_zeros(TG_SHAPE(3, 4));
    tg_requires_grad(logits);
    EXPECT_RAISES(tg_cross_entropy_loss(tp, logits, ((int32_t[]){0, 4, 1}), TG_MEAN));
    LT_EXPECT_MSG_HAS("tg_cross_entropy_loss");
    LT_EXPECT_MSG_HAS("class 4 of row 1");
    LT_EXPECT_MSG_HAS("(3, 4)");
    LT_EXPECT_MSG_HAS("test_layers.c:");
    EXPECT_RAISES(tg_cross_entropy_loss(tp, logits, ((int32_t[]){0, -1, 1}), TG_MEAN));
    LT_EXPECT_MSG_HAS("class -1");
    EXPECT_RAISES(tg_cross_entropy_loss(tp, logits, NULL, TG_SUM));
    LT_EXPECT_MSG_HAS("classes is NULL");
    tg_tensor *flat = tg_tensor_zeros(TG_SHAPE(12));
    EXPECT_RAISES(tg_cross_entropy_loss(tp, flat, ((int32_t[]){0}), TG_SUM));
    LT_EXPECT_MSG_HAS("(N, C)");
    EXPECT_RAISES(tg_cross_entropy_loss(tp, NULL, ((int32_t[]){0}), TG_SUM));
    LT_EXPECT_MSG_HAS("logits is NULL");
    tg_tensor_free(flat);
    tg_tensor_free(logits);
    tg_tape_free(tp);
}

Test(layers_contracts, dropout_p_embedding_index_and_linear_input)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *x = tg_tensor_zeros(TG_SHAPE(2, 3));
    tg_rng rng;
    tg_rng_seed(&rng, 1, 0);
    EXPECT_RAISES(tg_dropout(tp, x, 1.0f, true, &rng));
    LT_EXPECT_MSG_HAS("tg_dropout");
    LT_EXPECT_MSG_HAS("p = 1");
    EXPECT_RAISES(tg_dropout(tp, x, -0.1f, false, &rng));
    LT_EXPECT_MSG_HAS("p = -0.1");
    EXPECT_RAISES(tg_dropout(tp, x, NAN, true, &rng));
    LT_EXPECT_MSG_HAS("tg_dropout");
    EXPECT_RAISES(tg_dropout(tp, x, 0.5f, true, NULL));
    LT_EXPECT_MSG_HAS("rng is NULL");

    tg_params *ps = tg_params_new();
    tg_embedding e = tg_embedding_new(ps, "emb", 4, 2, &rng);
    EXPECT_RAISES(tg_embedding_forward(tp, &e, ((int32_t[]){0, 4}), 2));
    LT_EXPECT_MSG_HAS("tg_embedding_forward");
    LT_EXPECT_MSG_HAS("index 4 at position 1");
    tg_linear_layer fc = tg_linear_layer_new(ps, "fc", 5, 2, true, &rng);
    EXPECT_RAISES(tg_linear_layer_forward(tp, &fc, x));
    LT_EXPECT_MSG_HAS("tg_linear_layer_forward");
    LT_EXPECT_MSG_HAS("(2, 3)");
    LT_EXPECT_MSG_HAS("(2, 5)");
    tg_params_free(ps);
    tg_tensor_free(x);
    tg_tape_free(tp);
}
