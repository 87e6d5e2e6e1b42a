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
