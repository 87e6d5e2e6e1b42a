/* tests/test_variants.c — tg_layer_norm and the gate variants against PyTorch
 * (tests/fixtures/variants.txt, made by tools/make_fixtures_variants.py), the layer-norm
 * kernels on every SIMD path against their naive twin, cells' own parameters (names, store,
 * gradients through batch shards) and the step context (training flag, rng, user pointer,
 * time steps). Part of the test_layers executable; static names here start with vt_. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "fixture.h"
#include "tapegrad.h"

static fixture *vt_fx;
static void vt_load(void) { vt_fx = fx_load("variants.txt"); }
static void vt_unload(void) { fx_free(vt_fx); }

static const fx_tensor *vt_get(const char *case_name, const char *what, bool required)
{
    char key[160];
    snprintf(key, sizeof key, "%s.%s", case_name, what);
    const fx_tensor *t = fx_get(vt_fx, key);
    if (required) cr_assert_not_null(t, "fixture tensor %s is missing", key);
    return t;
}

/* sum(a * w) for a fixture weight w of a's size. */
static tg_tensor *vt_weighted(tg_tape *t, tg_tensor *a, const fx_tensor *w)
{
    tg_tensor *wt = tg_tape_tensor(t, a->ndim, a->shape, NULL);
    for (int64_t i = 0; i < wt->size; i++) wt->data[i] = (float)w->data[i];
    return tg_sum(t, tg_mul(t, a, wt));
}

static void vt_check(const char *c, const char *label, const float *got, const fx_tensor *want,
                     double *worst)
{
    double e = fx_rel_err(got, want);
    cr_expect(e < 1e-5, "%s %s: relative error %.3g", c, label, e);
    if (e > *worst) *worst = e;
}

/* ---- layer norm -------------------------------------------------------------------------- */

Test(layer_norm, matches_pytorch_on_every_simd_path, .init = vt_load, .fini = vt_unload)
{
    cr_assert_not_null(vt_fx, "tests/fixtures/variants.txt did not load");
    static const char *cases[] = {"ln_affine", "ln_gain", "ln_plain", "ln_bias", "ln_wide"};
    tg_simd_path saved = tg_simd_get_path();
    for (int p = TG_SIMD_PORTABLE; p <= TG_SIMD_AVX512; p++) {
        if (!tg_simd_cpu_supports((tg_simd_path)p)) continue;
        tg_simd_set_path((tg_simd_path)p);
        double worst = 0.0;
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            const char *c = cases[k];
            const fx_tensor *fg = vt_get(c, "gain", false), *fb = vt_get(c, "bias", false);
            tg_tensor *x = fx_tensor_new(vt_get(c, "x", true));
            tg_tensor *g = fg ? fx_tensor_new(fg) : NULL, *b = fb ? fx_tensor_new(fb) : NULL;
            tg_requires_grad(x);
            if (g) tg_requires_grad(g);
            if (b) tg_requires_grad(b);
            tg_tape *tp = tg_tape_new();
            tg_tensor *y = tg_layer_norm(tp, x, g, b, 1e-5f);
            tg_backward(tp, vt_weighted(tp, y, vt_get(c, "w_y", true)));
            vt_check(c, "y", y->data, vt_get(c, "y", true), &worst);
            vt_check(c, "dx", x->grad, vt_get(c, "grad.x", true), &worst);
            if (g) vt_check(c, "dgain", g->grad, vt_get(c, "grad.gain", true), &worst);
            if (b) vt_check(c, "dbias", b->grad, vt_get(c, "grad.bias", true), &worst);
            tg_tape_free(tp);
            tg_tensor_free(x), tg_tensor_free(g), tg_tensor_free(b);
        }
        printf("layer_norm, path %-8s worst relative error vs PyTorch float64: %.2e\n",
               tg_simd_name((tg_simd_path)p), worst);
    }
    tg_simd_set_path(saved);
}

/* Each path's kernels against the naive twin (double sums) on awkward row lengths. */
Test(layer_norm, kernels_match_their_naive_twin_on_every_path)
{
    static const int lens[] = {1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 100, 257};
    tg_rng r;
    tg_rng_seed(&r, 5, 5);
    tg_simd_path saved = tg_simd_get_path();
    enum { ROWS = 5, MAXN = 257 };
    float *x = malloc(sizeof(float) * ROWS * MAXN), *dy = malloc(sizeof(float) * ROWS * MAXN);
    float *y[2], *dx[2], *dg[2], *db[2], mean[2][2 * ROWS], rstd[2][ROWS];
    for (int v = 0; v < 2; v++) {
        y[v] = malloc(sizeof(float) * ROWS * MAXN), dx[v] = calloc(ROWS * MAXN, sizeof(float));
        dg[v] = calloc(MAXN, sizeof(float)), db[v] = calloc(MAXN, sizeof(float));
    }
    float gain[MAXN], bias[MAXN];
    for (int p = TG_SIMD_PORTABLE; p <= TG_SIMD_AVX512; p++) {
        if (!tg_simd_cpu_supports((tg_simd_path)p)) continue;
        tg_simd_set_path((tg_simd_path)p);
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            int n = lens[k];
            for (int i = 0; i < ROWS * n; i++) x[i] = 4.0f * tg_rng_normal(&r) + 2.0f;
            for (int i = 0; i < ROWS * n; i++) dy[i] = tg_rng_normal(&r);
            for (int j = 0; j < n; j++) gain[j] = 1.0f + 0.3f * tg_rng_normal(&r);
            for (int j = 0; j < n; j++) bias[j] = 0.3f * tg_rng_normal(&r);
            for (int v = 0; v < 2; v++) {
                memset(dx[v], 0, sizeof(float) * ROWS * n);
                memset(dg[v], 0, sizeof(float) * n), memset(db[v], 0, sizeof(float) * n);
            }
            tg_kernel_layer_norm(x, gain, bias, y[0], mean[0], rstd[0], ROWS, n, 1e-5f);
            tg_kernel_layer_norm_naive(x, gain, bias, y[1], mean[1], rstd[1], ROWS, n, 1e-5f);
            tg_kernel_layer_norm_backward(x, dy, gain, mean[1], rstd[1], dx[0], ROWS, n);
            tg_kernel_layer_norm_backward_naive(x, dy, gain, mean[1], rstd[1], dx[1], ROWS, n);
            tg_kernel_layer_norm_param_grads(x, dy, mean[1], rstd[1], dg[0], db[0], ROWS, n, 0, n);
            tg_kernel_layer_norm_param_grads_naive(x, dy, mean[1], rstd[1], dg[1], db[1], ROWS,
                                                   n, 0, n);
            for (int i = 0; i < ROWS * n; i++) {
                cr_expect(fabsf(y[0][i] - y[1][i]) <= 2e-6f * (1.0f + fabsf(y[1][i])),
                          "%s n %d y[%d]: %g vs %g", tg_simd_name(p), n, i, y[0][i], y[1][i]);
                cr_expect(fabsf(dx[0][i] - dx[1][i]) <= 1e-5f * (1.0f + fabsf(dx[1][i])),
                          "%s n %d dx[%d]: %g vs %g", tg_simd_name(p), n, i, dx[0][i],
                          dx[1][i]);
            }
            for (int j = 0; j < n; j++) {
                cr_expect(fabsf(dg[0][j] - dg[1][j]) <= 1e-5f * (1.0f + fabsf(dg[1][j])),
                          "%s n %d dgain[%d]", tg_simd_name(p), n, j);
                cr_expect(fabsf(db[0][j] - db[1][j]) <= 1e-5f * (1.0f + fabsf(db[1][j])),
                          "%s n %d dbias[%d]", tg_simd_name(p), n, j);
            }
            for (int i = 0; i < ROWS; i++) {
                cr_expect(fabsf(rstd[0][i] - rstd[1][i]) <= 1e-6f * rstd[1][i], "rstd");
                double m0 = (double)mean[0][2 * i] + mean[0][2 * i + 1];
                double m1 = (double)mean[1][2 * i] + mean[1][2 * i + 1];
                cr_expect(fabs(m0 - m1) <= 1e-6 * (1 + fabs(m1)), "mean %g vs %g", m0, m1);
            }
        }
    }
    tg_simd_set_path(saved);
    free(x), free(dy);
    for (int v = 0; v < 2; v++) free(y[v]), free(dx[v]), free(dg[v]), free(db[v]);
}

Test(layer_norm, layer_has_pytorch_names_and_defaults_and_rejects_bad_eps)
{
    tg_params *ps = tg_params_new();
    tg_layer_norm_layer l = tg_layer_norm_layer_new(ps, "ln", 6, true, true);
    cr_expect_eq(tg_params_get(ps, "ln.weight"), l.weight);
    cr_expect_eq(tg_params_get(ps, "ln.bias"), l.bias);
    cr_expect_float_eq(l.eps, 1e-5f, 0.0f);
    for (int j = 0; j < 6; j++) {
        cr_expect_eq(l.weight->data[j], 1.0f);
        cr_expect_eq(l.bias->data[j], 0.0f);
    }
    tg_layer_norm_layer plain = tg_layer_norm_layer_new(ps, "ln2", 6, false, true);
    cr_expect_null(plain.weight);
    cr_expect_null(plain.bias);
    tg_tape *tp = tg_tape_new();
    tg_tensor *x = tg_tape_tensor(tp, 2, (int[]){2, 6}, NULL);
    l.eps = 0.0f;
    EXPECT_RAISES(tg_layer_norm_layer_forward(tp, &l, x));
    EXPECT_MSG_HAS("eps must be finite and > 0");
    tg_tensor *x5 = tg_tape_tensor(tp, 2, (int[]){2, 5}, NULL);
    EXPECT_RAISES(tg_layer_norm(tp, x5, l.weight, NULL, 1e-5f));
    EXPECT_MSG_HAS("gain must be (5)");
    tg_tape_free(tp);
    tg_params_free(ps);
}

/* ---- the variants against their PyTorch references ------------------------------------- */

typedef struct vt_case {
    const char *name;
    const tg_cell_type *cell;
    int layers;
    bool bidirectional, bias;
} vt_case;

static const vt_case vt_cases[] = {
    {"peephole", &tg_cell_peephole_lstm, 1, false, true},
    {"peephole_stacked_bi", &tg_cell_peephole_lstm, 2, true, true},
    {"ln_lstm", &tg_cell_ln_lstm, 1, false, true},
    {"ln_lstm_nobias", &tg_cell_ln_lstm, 1, false, false},
    {"ln_lstm_stacked_bi", &tg_cell_ln_lstm, 2, true, true},
    {"zoneout_eval", &tg_cell_zoneout_lstm, 1, false, true},
    {"zoneout_eval_stacked_bi", &tg_cell_zoneout_lstm, 2, true, true},
};

Test(variants, match_their_pytorch_references_outputs_and_every_gradient, .init = vt_load,
     .fini = vt_unload)
{
    cr_assert_not_null(vt_fx, "tests/fixtures/variants.txt did not load");
    const fx_tensor *rates = fx_get(vt_fx, "zoneout.rates");
    cr_assert_not_null(rates);
    tg_zoneout_rates zr = {(float)rates->data[0], (float)rates->data[1]};
    printf("%-24s %10s %10s %10s  (max relative error vs PyTorch float64)\n", "case", "output",
           "d input", "d params");
    for (size_t k = 0; k < sizeof vt_cases / sizeof vt_cases[0]; k++) {
        const vt_case *c = &vt_cases[k];
        const fx_tensor *fx_x = vt_get(c->name, "x", true);
        int I = fx_x->shape[2], H = vt_get(c->name, "out", true)->shape[2] /
                                    (c->bidirectional ? 2 : 1);
        tg_params *ps = tg_params_new();
        tg_rng rng;
        tg_rng_seed(&rng, 1, 0);
        tg_rnn_opts o = tg_rnn_defaults();
        o.num_layers = c->layers;
        o.bidirectional = c->bidirectional;
        o.bias = c->bias;
        o.user = &zr; /* read by the zoneout cell only */
        tg_rnn *r = tg_rnn_new(ps, "", c->cell, I, H, &o, &rng);
        /* every parameter the reference has, by the same name, and no other */
        cr_expect_eq(tg_params_count(ps), (int)vt_get(c->name, "nparams", true)->data[0], "%s",
                     c->name);
        for (int i = 0; i < tg_params_count(ps); i++) {
            tg_tensor *p = tg_params_at(ps, i);
            char key[128];
            snprintf(key, sizeof key, "param.%s", p->name);
            fx_copy_into(vt_get(c->name, key, true), p);
        }
        tg_tensor *x = fx_tensor_new(fx_x);
        tg_requires_grad(x);
        tg_tape *tp = tg_tape_new();
        tg_tensor *out = tg_rnn_forward(tp, r, x, NULL, NULL);
        tg_backward(tp, vt_weighted(tp, out, vt_get(c->name, "w_out", true)));
        double w_out = 0, w_in = 0, w_par = 0;
        vt_check(c->name, "output", out->data, vt_get(c->name, "out", true), &w_out);
        vt_check(c->name, "d x", x->grad, vt_get(c->name, "grad.x", true), &w_in);
        for (int i = 0; i < tg_params_count(ps); i++) {
            tg_tensor *p = tg_params_at(ps, i);
            char key[128];
            snprintf(key, sizeof key, "grad.%s", p->name);
            vt_check(c->name, p->name, p->grad, vt_get(c->name, key, true), &w_par);
        }
        printf("%-24s %10.2e %10.2e %10.2e\n", c->name, w_out, w_in, w_par);
        tg_tape_free(tp);
        tg_tensor_free(x);
        tg_rnn_free(r);
        tg_params_free(ps);
    }
}

/* ---- the cell's own parameters ------------------------------------------------------- */

Test(variants, own_parameters_are_named_per_layer_and_direction_and_initialized)
{
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 3, 0);
    tg_rnn_opts o = tg_rnn_defaults();
    o.num_layers = 2;
    o.bidirectional = true;
    tg_rnn *r = tg_rnn_new(ps, "lnl", &tg_cell_ln_lstm, 5, 8, &o, &rng);
    static const char *names[] = {"lnl.weight_ln_ih_l0", "lnl.bias_ln_ih_l0_reverse",
                                  "lnl.weight_ln_c_l1", "lnl.bias_ln_c_l1_reverse"};
    static const int sizes[] = {32, 32, 8, 8};
    for (int k = 0; k < 4; k++) {
        tg_tensor *p = tg_params_get(ps, names[k]);
        cr_assert_not_null(p, "%s is not in the store", names[k]);
        cr_expect_eq(p->ndim, 1);
        cr_expect_eq(p->size, sizes[k], "%s", names[k]);
        float want = strstr(names[k], "weight") ? 1.0f : 0.0f;
        for (int64_t i = 0; i < p->size; i++) cr_expect_eq(p->data[i], want);
    }
    /* 4 directions x (4 LSTM tensors + 6 of its own) */
    cr_expect_eq(tg_params_count(ps), 40);
    cr_expect_eq(tg_rnn_weights(r, 1, 1)->param[5], tg_params_get(ps, "lnl.bias_ln_c_l1_reverse"));
    cr_expect_null(tg_rnn_weights(r, 0, 0)->param[6]);
    tg_rnn_free(r);

    /* a 2-D parameter sized from the layer's input: layer 1 of a bidirectional layer sees 2H */
    static const tg_cell_param wide[1] = {
        {.name = "weight_extra", .shape = {{.hidden = 1}, {.input = 1, .n = 1}}}};
    tg_cell_type cell = tg_cell_lstm;
    memcpy(cell.params, wide, sizeof wide);
    tg_params *ps2 = tg_params_new();
    tg_rnn *r2 = tg_rnn_new(ps2, "x", &cell, 5, 8, &o, &rng);
    tg_tensor *e0 = tg_params_get(ps2, "x.weight_extra_l0");
    tg_tensor *e1 = tg_params_get(ps2, "x.weight_extra_l1");
    cr_assert(e0 && e1);
    cr_expect(e0->ndim == 2 && e0->shape[0] == 8 && e0->shape[1] == 6);
    cr_expect(e1->ndim == 2 && e1->shape[0] == 8 && e1->shape[1] == 17);
    float bound = 1.0f / sqrtf(8.0f); /* the default init: U(-1/sqrt(H), 1/sqrt(H)) */
    for (int64_t i = 0; i < e1->size; i++) cr_expect(fabsf(e1->data[i]) <= bound);
    tg_rnn_free(r2);
    tg_params_free(ps2);
    tg_params_free(ps);
}

/* A batch of 64 runs in shards; every parameter of the cell's own gets the same gradient
 * (up to the order of the per-shard sums) as in one unsharded run. */
Test(variants, own_parameters_get_gradients_through_batch_shards)
{
    const tg_cell_type *cells[2] = {&tg_cell_peephole_lstm, &tg_cell_ln_lstm};
    for (int k = 0; k < 2; k++) {
        float *grads[2][8];
        float *out[2];
        int64_t n_out = 0, sizes[8];
        int np = 0;
        for (int v = 0; v < 2; v++) {
            tg_params *ps = tg_params_new();
            tg_rng rng;
            tg_rng_seed(&rng, 11, 0);
            tg_rnn_opts o = tg_rnn_defaults();
            o.shard_rows = v == 0 ? 0 : 32;
            o.return_sequences = false;
            tg_rnn *r = tg_rnn_new(ps, "c", cells[k], 3, 16, &o, &rng);
            tg_tensor *x = tg_tensor_new(3, (int[]){64, 7, 3});
            tg_fill_normal(x, &rng, 0.0f, 1.0f);
            tg_tape *tp = tg_tape_new();
            tg_tensor *y = tg_rnn_forward(tp, r, x, NULL, NULL);
            tg_backward(tp, tg_sum(tp, tg_square(tp, y)));
            n_out = y->size;
            out[v] = malloc(sizeof(float) * (size_t)n_out);
            memcpy(out[v], y->data, sizeof(float) * (size_t)n_out);
            np = 0;
            for (int i = 0; i < TG_CELL_MAX_PARAMS && cells[k]->params[i].name; i++, np++) {
                tg_tensor *p = tg_rnn_weights(r, 0, 0)->param[i];
                cr_assert_not_null(p->grad);
                sizes[i] = p->size;
                grads[v][i] = malloc(sizeof(float) * (size_t)p->size);
                memcpy(grads[v][i], p->grad, sizeof(float) * (size_t)p->size);
            }
            tg_tape_free(tp);
            tg_tensor_free(x);
            tg_rnn_free(r);
            tg_params_free(ps);
        }
        cr_expect(np > 0);
        cr_expect_arr_eq(out[0], out[1], sizeof(float) * (size_t)n_out,
                         "%s: sharded outputs differ", cells[k]->name);
        for (int i = 0; i < np; i++) {
            double big = 0.0, err = 0.0;
            for (int64_t j = 0; j < sizes[i]; j++) {
                big = fmax(big, fabs(grads[0][i][j]));
                err = fmax(err, fabs(grads[0][i][j] - grads[1][i][j]));
            }
            cr_expect(big > 0.0 && err <= 1e-5 * big, "%s param %d: %g of %g", cells[k]->name,
                      i, err, big);
            free(grads[0][i]), free(grads[1][i]);
        }
        free(out[0]), free(out[1]);
    }
}

/* ---- the step's context ---------------------------------------------------------------- */

typedef struct vt_log {
    int n;
    int layer[64], direction[64], step[64];
    bool training[64], has_rng[64];
} vt_log;

static void vt_logging_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                            tg_tensor *const *s, tg_tensor **out)
{
    vt_log *lg = ctx->user;
    int k = lg->n++;
    lg->layer[k] = ctx->layer, lg->direction[k] = ctx->direction, lg->step[k] = ctx->step;
    lg->training[k] = ctx->training, lg->has_rng[k] = ctx->rng != NULL;
    out[0] = tg_tanh(t, tg_linear_add(t, s[0], ctx->w->weight_hh, ctx->w->bias_hh, xw[0]));
}

Test(variants, the_step_context_has_layer_direction_step_training_rng_and_user)
{
    const tg_cell_type logging = {.name = "logging", .gates = 1, .n_state = 1,
                                  .step = vt_logging_step, .uses_rng = true};
    vt_log lg = {0};
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 2, 0);
    tg_rnn_opts o = tg_rnn_defaults();
    o.num_layers = 2, o.bidirectional = true, o.user = &lg, o.shard_rows = 0;
    tg_rnn *r = tg_rnn_new(ps, "l", &logging, 2, 3, &o, &rng);
    tg_tensor *x = tg_tensor_new(3, (int[]){2, 4, 2});
    tg_tape *tp = tg_tape_new();
    tg_rnn_forward(tp, r, x, NULL, NULL); /* evaluation mode: no training, no rng */
    cr_assert_eq(lg.n, 16);
    for (int k = 0; k < 16; k++) {
        int l = k / 8, d = (k / 4) % 2, i = k % 4;
        cr_expect_eq(lg.layer[k], l);
        cr_expect_eq(lg.direction[k], d);
        cr_expect_eq(lg.step[k], d ? 3 - i : i, "call %d", k);
        cr_expect(!lg.training[k] && !lg.has_rng[k]);
    }
    EXPECT_RAISES(tg_rnn_train(r, true, NULL));
    EXPECT_MSG_HAS("cell \"logging\" draws random numbers");
    tg_rnn_train(r, true, &rng);
    lg.n = 0;
    tg_tape_reset(tp);
    tg_rnn_forward(tp, r, x, NULL, NULL);
    for (int k = 0; k < 16; k++) cr_expect(lg.training[k] && lg.has_rng[k]);
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_rnn_free(r);
    tg_params_free(ps);
}

/* Zoneout in training: rates 0 give the LSTM's bits, rates 1 keep the zero initial state
 * forever, rate 0.5 keeps about half the units per step; a seeded run repeats its bits at
 * 1 and 2 threads (per-shard streams). */
static float *vt_zoneout_run(tg_zoneout_rates *zr, const tg_cell_type *cell, int threads,
                             int64_t *n)
{
    tg_set_num_threads(threads);
    tg_params *ps = tg_params_new();
    tg_rng rng, drop;
    tg_rng_seed(&rng, 8, 0);
    tg_rng_seed(&drop, 9, 0);
    tg_rnn_opts o = tg_rnn_defaults();
    o.user = zr;
    tg_rnn *r = tg_rnn_new(ps, "z", cell, 3, 16, &o, &rng);
    tg_rnn_train(r, true, &drop);
    tg_tensor *x = tg_tensor_new(3, (int[]){64, 9, 3});
    tg_fill_normal(x, &rng, 0.0f, 1.0f);
    tg_tape *tp = tg_tape_new();
    tg_tensor *y = tg_rnn_forward(tp, r, x, NULL, NULL); /* (64, 9, 16) */
    tg_backward(tp, tg_sum(tp, y));                      /* the masks' backward runs */
    *n = y->size;
    float *out = malloc(sizeof(float) * (size_t)y->size);
    memcpy(out, y->data, sizeof(float) * (size_t)y->size);
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_rnn_free(r);
    tg_params_free(ps);
    return out;
}

Test(variants, zoneout_in_training_keeps_units_with_its_rates_and_repeats_its_bits)
{
    int64_t n;
    tg_zoneout_rates none = {0.0f, 0.0f}, all = {1.0f, 1.0f}, half = {0.5f, 0.5f};
    float *lstm = vt_zoneout_run(NULL, &tg_cell_lstm, 2, &n);
    float *z0 = vt_zoneout_run(&none, &tg_cell_zoneout_lstm, 2, &n);
    cr_expect_arr_eq(lstm, z0, sizeof(float) * (size_t)n, "rates 0 should be the LSTM");
    float *z1 = vt_zoneout_run(&all, &tg_cell_zoneout_lstm, 2, &n);
    for (int64_t i = 0; i < n; i++) cr_expect_eq(z1[i], 0.0f);
    float *a = vt_zoneout_run(&half, &tg_cell_zoneout_lstm, 1, &n);
    float *b = vt_zoneout_run(&half, &tg_cell_zoneout_lstm, 2, &n);
    cr_expect_arr_eq(a, b, sizeof(float) * (size_t)n, "1 and 2 threads differ");
    int64_t kept = 0, total = 0; /* h_t == h_{t-1}, t >= 1 */
    for (int64_t bt = 0; bt < 64; bt++)
        for (int t = 1; t < 9; t++)
            for (int j = 0; j < 16; j++, total++)
                kept += a[(bt * 9 + t) * 16 + j] == a[(bt * 9 + t - 1) * 16 + j];
    double frac = (double)kept / (double)total;
    cr_expect(frac > 0.45 && frac < 0.55, "kept fraction %.3f at rate 0.5", frac);
    free(lstm), free(z0), free(z1), free(a), free(b);
    tg_set_num_threads(0);
}

/* n = 1: every row is its own mean, so y is the shift and no gradient reaches x. */
Test(layer_norm, rows_of_one_give_the_shift_and_no_input_gradient)
{
    tg_tensor *x = tg_tensor_new(2, (int[]){4, 1}), *b = tg_tensor_new(1, (int[]){1});
    for (int i = 0; i < 4; i++) x->data[i] = (float)i * 1.5f - 2.0f;
    b->data[0] = 0.25f;
    tg_requires_grad(x);
    tg_tape *tp = tg_tape_new();
    tg_tensor *y = tg_layer_norm(tp, x, NULL, b, 1e-5f);
    tg_backward(tp, tg_sum(tp, tg_mul(tp, y, x)));
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(y->data[i], 0.25f);
        cr_expect_eq(x->grad[i], 0.25f); /* d(y x)/dx = y + x dy/dx = 0.25 + 0 */
    }
    tg_tape_free(tp);
    tg_tensor_free(x), tg_tensor_free(b);
}

/* ---- options that cannot act say so, once ------------------------------------------------ */

static int vt_warnings;
static char vt_warning[512];
static void vt_on_warning(const char *message, void *user)
{
    (void)user;
    vt_warnings++;
    snprintf(vt_warning, sizeof vt_warning, "%s", message);
}

Test(rnn_options, dropout_on_one_layer_warns_once_at_construction)
{
    tg_warning_handler old = tg_set_warning_handler(vt_on_warning, NULL);
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 1, 0);
    tg_rnn_opts o = tg_rnn_defaults();
    o.dropout = 0.2f;
    vt_warnings = 0;
    tg_rnn *one = tg_rnn_new(ps, "one", &tg_cell_gru, 3, 4, &o, &rng);
    cr_expect_eq(vt_warnings, 1);
    cr_expect(strstr(vt_warning, "warning: tg_rnn_new: dropout 0.2"), "%s", vt_warning);
    cr_expect(strstr(vt_warning, "test_variants.c:"), "the caller's line: %s", vt_warning);
    tg_rnn_train(one, true, &rng);
    tg_tensor *x = tg_tensor_new(3, (int[]){2, 3, 3});
    tg_tape *tp = tg_tape_new();
    tg_rnn_forward(tp, one, x, NULL, NULL);
    cr_expect_eq(vt_warnings, 1, "forward does not warn again");
    o.num_layers = 2;
    tg_rnn *two = tg_rnn_new(ps, "two", &tg_cell_gru, 3, 4, &o, &rng);
    cr_expect_eq(vt_warnings, 1, "two layers: the dropout acts");
    o.shard_rows = -1;
    EXPECT_RAISES(tg_rnn_new(ps, "bad", &tg_cell_gru, 3, 4, &o, &rng));
    EXPECT_MSG_HAS("shard_rows -1 is negative");
    tg_set_warning_handler(old, NULL);
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_rnn_free(one), tg_rnn_free(two);
    tg_params_free(ps);
}

/* A cell's own parameters save and load with the rest (safetensors, PyTorch-style names). */
Test(variants, own_parameters_save_and_load_with_the_layer)
{
    char path[] = "/tmp/tg_variants_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    tg_rng rng;
    tg_rng_seed(&rng, 12, 0);
    tg_params *a = tg_params_new(), *b = tg_params_new();
    tg_rnn *ra = tg_rnn_new(a, "pp", &tg_cell_peephole_lstm, 3, 5, NULL, &rng);
    tg_rnn *rb = tg_rnn_new(b, "pp", &tg_cell_peephole_lstm, 3, 5, NULL, &rng); /* other values */
    tg_tensor *pa = tg_params_get(a, "pp.weight_peephole_l0");
    tg_tensor *pb = tg_params_get(b, "pp.weight_peephole_l0");
    cr_assert(pa && pb);
    cr_expect(memcmp(pa->data, pb->data, sizeof(float) * 15) != 0);
    cr_assert_eq(tg_params_save(a, path), TG_OK, "%s", tg_last_error());
    cr_assert_eq(tg_params_load(b, path), TG_OK, "%s", tg_last_error());
    cr_expect_arr_eq(pa->data, pb->data, sizeof(float) * 15);
    remove(path);
    tg_rnn_free(ra), tg_rnn_free(rb);
    tg_params_free(a), tg_params_free(b);
}

/* ---- a cell's mistakes are reported on the caller's thread, with what went wrong ------------ */

static void vt_bad_at_step2(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                            tg_tensor *const *s, tg_tensor **out)
{
    /* at step 2, a slice of the wrong width: tg_add fails inside the cell */
    out[0] = tg_add(t, xw[0], tg_slice(t, s[0], 1, 0, 1 + (ctx->step == 2)));
}
static void vt_wide_state(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                          tg_tensor *const *s, tg_tensor **out)
{
    (void)ctx, (void)s;
    out[0] = tg_tanh(t, xw[0]); /* (B, 2H) for a 2-gate cell: not a state */
}

Test(variants, a_cells_contract_failure_in_a_shard_reaches_the_callers_handler)
{
    const tg_cell_type bad = {.name = "bad", .gates = 1, .n_state = 1, .step = vt_bad_at_step2};
    const tg_cell_type wide = {.name = "wide", .gates = 2, .n_state = 1, .step = vt_wide_state};
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 1, 0);
    tg_rnn *r = tg_rnn_new(ps, "b", &bad, 2, 1, NULL, &rng);
    tg_rnn *w = tg_rnn_new(ps, "w", &wide, 2, 4, NULL, &rng);
    tg_tensor *x = tg_tensor_new(3, (int[]){64, 4, 2}); /* 64 rows: 2 shards on threads */
    tg_tape *tp = tg_tape_new();
    for (int threads = 1; threads <= 2; threads++) {
        tg_set_num_threads(threads);
        EXPECT_RAISES(tg_rnn_forward(tp, r, x, NULL, NULL));
        EXPECT_MSG_HAS("in batch shard 1 of 2: rows 0..31 of 64");
        tg_tape_reset(tp);
        EXPECT_RAISES(tg_rnn_forward(tp, w, x, NULL, NULL));
        EXPECT_MSG_HAS("cell \"wide\" returned state 0 of shape (32, 8) at step 0; a state is "
                       "(batch, hidden) = (32, 4)");
        tg_tape_reset(tp);
    }
    tg_set_num_threads(0);
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_rnn_free(r), tg_rnn_free(w);
    tg_params_free(ps);
}

/* Rows far from zero keep a row near zero's precision: 1e7 + {0, 1, 2, 3} (exact floats)
 * normalizes to what {0, 1, 2, 3} does, on every path (a float mean would be off by 0.5). */
Test(layer_norm, rows_far_from_zero_keep_their_precision)
{
    float far[4] = {1e7f, 1e7f + 1, 1e7f + 2, 1e7f + 3}, near[4] = {0, 1, 2, 3}, y[2][4];
    float mean[2][2], rstd[2][1];
    tg_simd_path saved = tg_simd_get_path();
    for (int p = TG_SIMD_PORTABLE; p <= TG_SIMD_AVX512; p++) {
        if (!tg_simd_cpu_supports((tg_simd_path)p)) continue;
        tg_simd_set_path((tg_simd_path)p);
        tg_kernel_layer_norm(far, NULL, NULL, y[0], mean[0], rstd[0], 1, 4, 1e-5f);
        tg_kernel_layer_norm(near, NULL, NULL, y[1], mean[1], rstd[1], 1, 4, 1e-5f);
        for (int j = 0; j < 4; j++)
            cr_expect(fabsf(y[0][j] - y[1][j]) < 1e-6f, "%s: %g vs %g", tg_simd_name(p),
                      y[0][j], y[1][j]);
        cr_expect_float_eq(y[1][0], -1.3416355f, 1e-5f);
    }
    tg_simd_set_path(saved);
}

/* The runner's names stay its own; a cell needs a name; an optimizer type says what it
 * lacks; tg_length_mask checks its lengths. */
Test(variants, reserved_names_unnamed_cells_and_incomplete_optimizer_types)
{
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 1, 0);
    tg_cell_type taken = tg_cell_lstm;
    taken.params[0] = (tg_cell_param){.name = "weight_ih", .shape = {{.hidden = 1}}};
    EXPECT_RAISES(tg_rnn_new(ps, "a", &taken, 2, 3, NULL, &rng));
    EXPECT_MSG_HAS("\"weight_ih\" must be");
    tg_cell_type unnamed = tg_cell_gru;
    unnamed.name = NULL;
    EXPECT_RAISES(tg_rnn_new(ps, "b", &unnamed, 2, 3, NULL, &rng));
    EXPECT_MSG_HAS("a cell type needs a name");
    tg_optim_type t = tg_optim_adam_type;
    t.update = NULL;
    EXPECT_RAISES(tg_optim_new(ps, &t, NULL));
    EXPECT_MSG_HAS("\"Adam\" lacks an update function");
    t = tg_optim_adam_type;
    t.state_names[1] = "exp_avg";
    EXPECT_RAISES(tg_optim_new(ps, &t, NULL));
    EXPECT_MSG_HAS("state name \"exp_avg\" appears twice");
    tg_tape *tp = tg_tape_new();
    EXPECT_RAISES(tg_length_mask(tp, ((int32_t[]){3, 0}), 2, 3));
    EXPECT_MSG_HAS("lengths[1] = 0 is outside 1..3");
    EXPECT_MSG_HAS("test_variants.c:");
    tg_tensor *all = tg_length_mask(tp, NULL, 2, 3);
    for (int i = 0; i < 6; i++) cr_expect_eq(all->data[i], 1.0f);
    tg_tape_free(tp);
    tg_params_free(ps);
}
