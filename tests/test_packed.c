/* tests/test_packed.c — variable-length sequences (tg_rnn_forward_padded) against PyTorch's
 * packed sequences (tests/fixtures/packed.txt, made by tools/make_fixtures_packed.py): LSTM
 * and GRU, 1 and 2 layers, one and both directions; then the same through batch shards, the
 * last-step output, NaN in the padding, full lengths, bad lengths, and the masked losses.
 * Part of the test_layers executable; static names here start with pk_. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "fixture.h"
#include "tapegrad.h"

static fixture *pk_fx;
static void pk_load(void) { pk_fx = fx_load("packed.txt"); }
static void pk_unload(void) { fx_free(pk_fx); }

static const fx_tensor *pk_get(const char *c, const char *what)
{
    char key[160];
    snprintf(key, sizeof key, "%s.%s", c, what);
    const fx_tensor *t = fx_get(pk_fx, key);
    cr_assert_not_null(t, "fixture tensor %s is missing", key);
    return t;
}

static tg_tensor *pk_weighted(tg_tape *t, tg_tensor *a, const fx_tensor *w)
{
    tg_tensor *wt = tg_tape_tensor(t, a->ndim, a->shape, NULL);
    for (int64_t i = 0; i < wt->size; i++) wt->data[i] = (float)w->data[i];
    return tg_sum(t, tg_mul(t, a, wt));
}

static void pk_check(const char *c, const char *label, const float *got, const fx_tensor *want,
                     double *worst)
{
    double e = fx_rel_err(got, want);
    cr_expect(e < 1e-5, "%s %s: relative error %.3g", c, label, e);
    if (e > *worst) *worst = e;
}

Test(packed, matches_pytorch_packed_sequences_in_every_combination, .init = pk_load,
     .fini = pk_unload)
{
    cr_assert_not_null(pk_fx, "tests/fixtures/packed.txt did not load");
    static const char *cells[] = {"lstm", "gru"};
    const fx_tensor *fl = fx_get(pk_fx, "lengths");
    cr_assert_not_null(fl);
    int32_t lengths[16];
    for (int b = 0; b < fl->size; b++) lengths[b] = (int32_t)fl->data[b];
    printf("%-12s %10s %10s %10s %10s  (max relative error vs PyTorch float64)\n", "case",
           "output", "states", "d input", "d params");
    for (int ci = 0; ci < 2; ci++)
        for (int layers = 1; layers <= 2; layers++)
            for (int bi = 0; bi < 2; bi++) {
                char c[32];
                snprintf(c, sizeof c, "%s_l%d%s", cells[ci], layers, bi ? "_bi" : "");
                bool lstm = ci == 0;
                const fx_tensor *fx_x = pk_get(c, "x");
                int I = fx_x->shape[2], H = pk_get(c, "h0")->shape[2];
                tg_params *ps = tg_params_new();
                tg_rng rng;
                tg_rng_seed(&rng, 1, 0);
                tg_rnn_opts o = tg_rnn_defaults();
                o.num_layers = layers, o.bidirectional = bi;
                tg_rnn *r = tg_rnn_new(ps, "", lstm ? &tg_cell_lstm : &tg_cell_gru, I, H, &o,
                                       &rng);
                for (int i = 0; i < tg_params_count(ps); i++) {
                    tg_tensor *p = tg_params_at(ps, i);
                    char key[128];
                    snprintf(key, sizeof key, "param.%s", p->name);
                    fx_copy_into(pk_get(c, key), p);
                }
                tg_tensor *x = fx_tensor_new(fx_x);
                tg_tensor *init[2] = {fx_tensor_new(pk_get(c, "h0")),
                                      lstm ? fx_tensor_new(pk_get(c, "c0")) : NULL};
                tg_requires_grad(x);
                for (int s = 0; s < (lstm ? 2 : 1); s++) tg_requires_grad(init[s]);
                tg_tape *tp = tg_tape_new();
                tg_tensor *final[2];
                tg_tensor *out = tg_rnn_forward_padded(tp, r, x, lengths, init, final);
                tg_tensor *loss = tg_add(tp, pk_weighted(tp, out, pk_get(c, "w_out")),
                                         pk_weighted(tp, final[0], pk_get(c, "w_h")));
                if (lstm) loss = tg_add(tp, loss, pk_weighted(tp, final[1], pk_get(c, "w_c")));
                tg_backward(tp, loss);
                double wo = 0, ws = 0, wi = 0, wp = 0;
                pk_check(c, "output", out->data, pk_get(c, "out"), &wo);
                pk_check(c, "h_n", final[0]->data, pk_get(c, "h_n"), &ws);
                pk_check(c, "d x", x->grad, pk_get(c, "grad.x"), &wi);
                pk_check(c, "d h0", init[0]->grad, pk_get(c, "grad.h0"), &wi);
                if (lstm) {
                    pk_check(c, "c_n", final[1]->data, pk_get(c, "c_n"), &ws);
                    pk_check(c, "d c0", init[1]->grad, pk_get(c, "grad.c0"), &wi);
                }
                for (int i = 0; i < tg_params_count(ps); i++) {
                    tg_tensor *p = tg_params_at(ps, i);
                    char key[128];
                    snprintf(key, sizeof key, "grad.%s", p->name);
                    pk_check(c, p->name, p->grad, pk_get(c, key), &wp);
                }
                printf("%-12s %10.2e %10.2e %10.2e %10.2e\n", c, wo, ws, wi, wp);
                tg_tape_free(tp);
                tg_tensor_free(x), tg_tensor_free(init[0]), tg_tensor_free(init[1]);
                tg_rnn_free(r);
                tg_params_free(ps);
            }
}

/* ---- the runner's other paths with lengths ---------------------------------------------- */

typedef struct pk_run {
    float *out, *gx, *gw;
    int64_t n_out, n_x, n_w;
} pk_run;

/* An LSTM (I 3, H 8, 2 layers unless given) over x (B, T, 3) with lengths; L = sum(out^2). */
static pk_run pk_train(const tg_tensor *x0, const int32_t *lengths, int shard_rows,
                       bool sequences)
{
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 5, 0);
    tg_rnn_opts o = tg_rnn_defaults();
    o.num_layers = 2, o.shard_rows = shard_rows, o.return_sequences = sequences;
    tg_rnn *r = tg_rnn_new(ps, "p", &tg_cell_lstm, 3, 8, &o, &rng);
    tg_tensor *x = tg_tensor_new(x0->ndim, x0->shape);
    memcpy(x->data, x0->data, sizeof(float) * (size_t)x->size);
    tg_requires_grad(x);
    tg_tape *tp = tg_tape_new();
    tg_tensor *y = tg_rnn_forward_padded(tp, r, x, lengths, NULL, NULL);
    tg_backward(tp, tg_sum(tp, tg_square(tp, y)));
    tg_tensor *w = tg_params_get(ps, "p.weight_ih_l0");
    pk_run run = {malloc(sizeof(float) * (size_t)y->size),
                  malloc(sizeof(float) * (size_t)x->size),
                  malloc(sizeof(float) * (size_t)w->size), y->size, x->size, w->size};
    memcpy(run.out, y->data, sizeof(float) * (size_t)y->size);
    memcpy(run.gx, x->grad, sizeof(float) * (size_t)x->size);
    memcpy(run.gw, w->grad, sizeof(float) * (size_t)w->size);
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_rnn_free(r);
    tg_params_free(ps);
    return run;
}

static void pk_free(pk_run r) { free(r.out), free(r.gx), free(r.gw); }

static double pk_max_diff(const float *a, const float *b, int64_t n, double *big)
{
    double e = 0;
    *big = 0;
    for (int64_t i = 0; i < n; i++) {
        e = fmax(e, fabs((double)a[i] - b[i]));
        *big = fmax(*big, fabs((double)b[i]));
    }
    return e;
}

Test(packed, shards_full_lengths_last_step_and_nan_padding)
{
    enum { B = 64, T = 9 };
    int32_t lengths[B], full[B];
    tg_tensor *x = tg_tensor_new(3, (int[]){B, T, 3});
    tg_rng rng;
    tg_rng_seed(&rng, 6, 0);
    tg_fill_normal(x, &rng, 0.0f, 1.0f);
    for (int b = 0; b < B; b++) lengths[b] = 1 + (b * 7) % T, full[b] = T;

    /* batch shards (64 rows: 2 shards) against one run: the same outputs */
    pk_run one = pk_train(x, lengths, 0, true), sh = pk_train(x, lengths, 32, true);
    cr_expect_arr_eq(one.out, sh.out, sizeof(float) * (size_t)one.n_out, "shards differ");
    double big, e = pk_max_diff(sh.gw, one.gw, one.n_w, &big);
    cr_expect(e <= 1e-5 * big, "weight gradient through shards: %g of %g", e, big);
    /* outputs past each length are 0, and x's gradient there too */
    for (int b = 0; b < B; b++)
        for (int k = lengths[b]; k < T; k++) {
            for (int j = 0; j < 8; j++) cr_expect_eq(one.out[((int64_t)b * T + k) * 8 + j], 0.0f);
            for (int j = 0; j < 3; j++) cr_expect_eq(one.gx[((int64_t)b * T + k) * 3 + j], 0.0f);
        }
    /* the last-step output is each sample's own last real step of the sequence output */
    pk_run last = pk_train(x, lengths, 0, false);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < 8; j++)
            cr_expect_eq(last.out[b * 8 + j],
                         one.out[((int64_t)b * T + lengths[b] - 1) * 8 + j], "sample %d", b);
    /* NaN in the padding changes nothing, gradients included */
    tg_tensor *xn = tg_tensor_new(3, (int[]){B, T, 3});
    memcpy(xn->data, x->data, sizeof(float) * (size_t)x->size);
    for (int b = 0; b < B; b++)
        for (int k = lengths[b]; k < T; k++)
            for (int j = 0; j < 3; j++) xn->data[((int64_t)b * T + k) * 3 + j] = NAN;
    pk_run nan = pk_train(xn, lengths, 32, true);
    cr_expect_arr_eq(nan.out, sh.out, sizeof(float) * (size_t)sh.n_out);
    cr_expect_arr_eq(nan.gw, sh.gw, sizeof(float) * (size_t)sh.n_w, "NaN padding leaked");
    /* all lengths T: the plain forward's bits */
    pk_run all = pk_train(x, full, 32, true), plain = pk_train(x, NULL, 32, true);
    cr_expect_arr_eq(all.out, plain.out, sizeof(float) * (size_t)all.n_out);
    cr_expect_arr_eq(all.gw, plain.gw, sizeof(float) * (size_t)all.n_w);
    pk_free(one), pk_free(sh), pk_free(last), pk_free(nan), pk_free(all), pk_free(plain);
    tg_tensor_free(x), tg_tensor_free(xn);
}

Test(packed, bad_lengths_are_contract_violations)
{
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, 1, 0);
    tg_rnn *r = tg_rnn_new(ps, "g", &tg_cell_gru, 2, 3, NULL, &rng);
    tg_tensor *x = tg_tensor_new(3, (int[]){2, 4, 2});
    tg_tape *tp = tg_tape_new();
    EXPECT_RAISES(tg_rnn_forward_padded(tp, r, x, ((int32_t[]){4, 0}), NULL, NULL));
    EXPECT_MSG_HAS("lengths[1] = 0 is outside 1..4");
    EXPECT_RAISES(tg_rnn_forward_padded(tp, r, x, ((int32_t[]){5, 1}), NULL, NULL));
    EXPECT_MSG_HAS("lengths[0] = 5");
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_rnn_free(r);
    tg_params_free(ps);
}

/* ---- losses that skip padded positions ---------------------------------------------------- */

Test(packed, masked_mse_counts_only_the_selected_elements)
{
    enum { B = 3, T = 4, F = 2 };
    int32_t lengths[B] = {4, 1, 2};
    tg_tensor *p = tg_tensor_new(3, (int[]){B, T, F}), *y = tg_tensor_new(3, (int[]){B, T, F});
    for (int i = 0; i < B * T * F; i++) {
        p->data[i] = 0.1f * (float)i;
        y->data[i] = 0.05f * (float)(i % 5);
    }
    double sum = 0;
    int count = 0;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < lengths[b]; k++)
            for (int f = 0; f < F; f++, count++) {
                int i = (b * T + k) * F + f;
                double d = (double)p->data[i] - y->data[i];
                sum += d * d;
            }
    for (int b = 0; b < B; b++) /* garbage in the padding must not count */
        for (int k = lengths[b]; k < T; k++) p->data[(b * T + k) * F] = NAN;
    tg_requires_grad(p);
    tg_tape *tp = tg_tape_new();
    tg_tensor *m = tg_length_mask(tp, lengths, B, T);
    tg_tensor *mean = tg_mse_loss_masked(tp, p, y, m, TG_MEAN);
    tg_tensor *total = tg_mse_loss_masked(tp, p, y, m, TG_SUM);
    cr_expect(fabs(mean->data[0] - sum / count) < 1e-6, "%g vs %g", mean->data[0], sum / count);
    cr_expect(fabs(total->data[0] - sum) < 1e-5);
    tg_backward(tp, mean);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < T; k++)
            for (int f = 0; f < F; f++) {
                int i = (b * T + k) * F + f;
                double d = (double)p->data[i] - y->data[i];
                double want = k < lengths[b] ? 2.0 * d / count : 0.0;
                cr_expect(fabs(p->grad[i] - want) < 1e-6, "grad %d: %g vs %g", i, p->grad[i], want);
            }
    tg_tape_free(tp);
    tg_tensor_free(p), tg_tensor_free(y);
}

Test(packed, cross_entropy_skips_ignored_rows_like_a_smaller_batch)
{
    enum { N = 5, C = 4 };
    int32_t classes[N] = {2, TG_IGNORE_INDEX, 0, TG_IGNORE_INDEX, 3}, kept[3] = {2, 0, 3};
    tg_tensor *lg = tg_tensor_new(2, (int[]){N, C}), *small = tg_tensor_new(2, (int[]){3, C});
    for (int i = 0; i < N * C; i++) lg->data[i] = sinf((float)i);
    for (int k = 0, n = 0; n < N; n++)
        if (classes[n] != TG_IGNORE_INDEX)
            memcpy(small->data + C * k++, lg->data + C * n, sizeof(float) * C);
    tg_tape *tp = tg_tape_new();
    float a = tg_cross_entropy_loss(tp, lg, classes, TG_MEAN)->data[0];
    float b = tg_cross_entropy_loss(tp, small, kept, TG_MEAN)->data[0];
    cr_expect_float_eq(a, b, 1e-7f);
    int32_t none[2] = {TG_IGNORE_INDEX, TG_IGNORE_INDEX};
    tg_tensor *two = tg_tensor_new(2, (int[]){2, C});
    cr_expect_eq(tg_cross_entropy_loss(tp, two, none, TG_MEAN)->data[0], 0.0f);
    EXPECT_RAISES(tg_cross_entropy_loss(tp, two, ((int32_t[]){0, -1}), TG_MEAN));
    EXPECT_MSG_HAS("class -1 of row 1");
    tg_tape_free(tp);
    tg_tensor_free(lg), tg_tensor_free(small), tg_tensor_free(two);
}
