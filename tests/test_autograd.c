/* tests/test_autograd.c — the tape, the parameter store, contract errors, forward values
 * of the ops by hand, an MLP that learns XOR, and thread determinism.
 * The gradient check of every op is in tests/test_gradcheck.c. */
#include <criterion/criterion.h>
#include <signal.h>
#include <math.h>
#include <string.h>

#include "contract.h"
#include "tapegrad.h"


static void expect_floats(const float *got, const float *want, int n, float tol)
{
    for (int i = 0; i < n; i++)
        cr_expect(fabsf(got[i] - want[i]) <= tol, "element %d: got %.7g, want %.7g", i,
                  (double)got[i], (double)want[i]);
}

/* ---- tape -------------------------------------------------------------------------------- */

Test(tape, gradient_accumulates_when_a_tensor_is_used_twice)
{
    /* y = sum(x * x + x): dy/dx = 2x + 1 */
    tg_tensor *x = tg_tensor_from(TG_SHAPE(3), (float[]){1, -2, 0.5f});
    tg_requires_grad(x);
    tg_tape *tp = tg_tape_new();
    tg_tensor *y = tg_sum(tp, tg_add(tp, tg_mul(tp, x, x), x));
    cr_expect_float_eq(y->data[0], 1 + 4 + 0.25f + 1 - 2 + 0.5f, 1e-6);
    tg_backward(tp, y);
    expect_floats(x->grad, (float[]){3, -3, 2}, 3, 1e-6f);
    tg_tape_free(tp);
    tg_tensor_free(x);
}

Test(tape, grads_accumulate_across_backward_calls_until_zeroed)
{
    tg_params *ps = tg_params_new();
    tg_tensor *w = tg_params_add(ps, "w", TG_SHAPE(2));
    tg_tensor_fill(w, 3.0f);
    tg_tape *tp = tg_tape_new();
    for (int k = 0; k < 2; k++) {
        tg_tape_reset(tp);
        tg_backward(tp, tg_sum(tp, tg_scale(tp, w, 2.0f)));
    }
    expect_floats(w->grad, (float[]){4, 4}, 2, 0);
    tg_params_zero_grad(ps);
    expect_floats(w->grad, (float[]){0, 0}, 2, 0);
    tg_tape_free(tp);
    tg_params_free(ps);
}

Test(tape, inputs_without_grad_get_no_gradient_buffer)
{
    tg_tensor *frozen = tg_tensor_full(TG_SHAPE(2, 2), 1.0f);
    tg_tensor *x = tg_tensor_full(TG_SHAPE(3, 2), 2.0f);
    tg_requires_grad(x);
    tg_tape *tp = tg_tape_new();
    tg_backward(tp, tg_sum(tp, tg_matmul(tp, x, frozen)));
    cr_expect_null(frozen->grad, "a tensor that does not require grad got a gradient");
    expect_floats(x->grad, (float[]){2, 2, 2, 2, 2, 2}, 6, 0);
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_tensor_free(frozen);
}

Test(tape, no_grad_mode_records_nothing)
{
    tg_params *ps = tg_params_new();
    tg_tensor *w = tg_params_add(ps, "w", TG_SHAPE(4));
    tg_tape *tp = tg_tape_new();
    cr_expect(tg_tape_set_grad(tp, false) == true);
    tg_tensor *y = tg_tanh(tp, tg_add_scalar(tp, w, 1.0f));
    cr_expect_eq(tg_tape_stats_get(tp).nodes, 0);
    cr_expect_eq(y->flags & TG_REQUIRES_GRAD, 0);
    cr_expect_float_eq(y->data[0], tanhf(1.0f), 1e-6);
    tg_tape_set_grad(tp, true);
    tg_tanh(tp, w);
    cr_expect_eq(tg_tape_stats_get(tp).nodes, 1);
    tg_tape_free(tp);
    tg_params_free(ps);
}

/* One SGD step of a 2-layer MLP: the loop a training program runs. */
typedef struct mlp {
    tg_params *ps;
    tg_tensor *w1, *b1, *w2, *b2;
    tg_tensor *x, *y;
} mlp;

static mlp mlp_new(int in, int hidden, int batch)
{
    mlp m;
    m.ps = tg_params_new();
    m.w1 = tg_params_add(m.ps, "fc1.weight", TG_SHAPE(hidden, in));
    m.b1 = tg_params_add(m.ps, "fc1.bias", TG_SHAPE(hidden));
    m.w2 = tg_params_add(m.ps, "fc2.weight", TG_SHAPE(1, hidden));
    m.b2 = tg_params_add(m.ps, "fc2.bias", TG_SHAPE(1));
    tg_rng r;
    tg_rng_seed(&r, 7, 0);
    tg_init_uniform_fan(m.w1, &r, in);
    tg_init_uniform_fan(m.b1, &r, in);
    tg_init_uniform_fan(m.w2, &r, hidden);
    tg_init_uniform_fan(m.b2, &r, hidden);
    m.x = tg_tensor_new(TG_SHAPE(batch, in));
    m.y = tg_tensor_new(TG_SHAPE(batch, 1));
    return m;
}

static void mlp_free(mlp *m)
{
    tg_params_free(m->ps);
    tg_tensor_free(m->x);
    tg_tensor_free(m->y);
}

static float mlp_step(mlp *m, tg_tape *tp, float lr)
{
    tg_tape_reset(tp);
    tg_params_zero_grad(m->ps);
    tg_tensor *h = tg_tanh(tp, tg_linear(tp, m->x, m->w1, m->b1));      /* (B, H) */
    tg_tensor *p = tg_sigmoid(tp, tg_linear(tp, h, m->w2, m->b2));      /* (B, 1) */
    tg_tensor *loss = tg_mean(tp, tg_square(tp, tg_sub(tp, p, m->y)));
    tg_backward(tp, loss);
    for (int i = 0; i < tg_params_count(m->ps); i++) {
        tg_tensor *w = tg_params_at(m->ps, i);
        for (int64_t j = 0; j < w->size; j++) w->data[j] -= lr * w->grad[j];
    }
    return loss->data[0];
}

/* Steps whose tensor headers are not a multiple of a header block (256): the steps after
 * the first must still allocate nothing, however many steps run (a step once continued
 * the last step's block, so the blocks a step touched drifted and the ring grew again at
 * some later step). */
Test(tape, header_blocks_stop_growing_after_the_first_step)
{
    static const int headers[] = {300, 700, 1000};
    tg_tensor *x = tg_tensor_full(TG_SHAPE(4), 1.0f);
    for (int c = 0; c < 3; c++) {
        tg_tape *tp = tg_tape_new();
        for (int step = 0; step < 40; step++) {
            uint64_t before = tg_heap_alloc_count();
            tg_tape_reset(tp);
            tg_tensor *h = x;
            for (int k = 0; k < headers[c]; k++) h = tg_add(tp, h, x);
            if (step > 0)
                cr_assert_eq(tg_heap_alloc_count(), before, "%d headers a step: step %d made "
                             "%llu heap allocations", headers[c], step + 1,
                             (unsigned long long)(tg_heap_alloc_count() - before));
            cr_assert_eq(h->data[0], (float)(headers[c] + 1));
        }
        tg_tape_free(tp);
    }
    tg_tensor_free(x);
}

Test(tape, repeated_step_makes_no_heap_allocation_after_the_first)
{
    mlp m = mlp_new(8, 64, 32);
    tg_fill_uniform(m.x, &(tg_rng){1, 3}, -1, 1);
    tg_tensor_fill(m.y, 0.5f);
    tg_tape *tp = tg_tape_new();
    mlp_step(&m, tp, 0.1f);
    uint64_t before = tg_heap_alloc_count();
    tg_tape_stats s1 = tg_tape_stats_get(tp);
    for (int k = 0; k < 5; k++) mlp_step(&m, tp, 0.1f);
    tg_tape_stats s2 = tg_tape_stats_get(tp);
    cr_expect_eq(tg_heap_alloc_count(), before, "steps 2..6 made %llu heap allocations",
                 (unsigned long long)(tg_heap_alloc_count() - before));
    cr_expect_eq(s2.heap_allocs, s1.heap_allocs);
    cr_expect_eq(s2.bytes_used, s1.bytes_used, "each step uses the same arena bytes");
    cr_expect_gt(s1.nodes, 5);
    tg_tape_free(tp);
    mlp_free(&m);
}

Test(tape, reset_keeps_memory_and_forgets_records)
{
    tg_tape *tp = tg_tape_new();
    for (int i = 0; i < 100; i++) tg_tape_tensor(tp, TG_SHAPE(256, 64), NULL); /* ~6.5 MB */
    tg_tape_stats s = tg_tape_stats_get(tp);
    cr_expect_geq(s.bytes_reserved, s.bytes_used);
    cr_expect_gt(s.chunks, 1, "the arena grew by chaining chunks");
    cr_expect_leq(s.chunks, 5, "chunks grow geometrically");
    tg_tape_reset(tp);
    tg_tape_stats r = tg_tape_stats_get(tp);
    cr_expect_eq(r.bytes_used, 0);
    cr_expect_eq(r.nodes, 0);
    cr_expect_eq(r.bytes_reserved, s.bytes_reserved);
    uint64_t before = tg_heap_alloc_count();
    for (int i = 0; i < 100; i++) tg_tape_tensor(tp, TG_SHAPE(256, 64), NULL);
    cr_expect_eq(tg_heap_alloc_count(), before);
    tg_tape_free(tp);
}

Test(tape, print_lists_each_record)
{
    tg_params *ps = tg_params_new();
    tg_tensor *w = tg_params_add(ps, "fc.weight", TG_SHAPE(3, 2));
    tg_tensor *x = tg_tensor_ones(TG_SHAPE(4, 2));
    tg_tape *tp = tg_tape_new();
    tg_sum(tp, tg_relu(tp, tg_linear(tp, x, w, NULL)));
    char buf[2048] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    tg_tape_print(tp, f);
    fclose(f);
    cr_expect(strstr(buf, "#0") && strstr(buf, "linear") && strstr(buf, "fc.weight"), "%s", buf);
    cr_expect(strstr(buf, "#1") && strstr(buf, "relu") && strstr(buf, "<- #0"), "%s", buf);
    cr_expect(strstr(buf, "#2") && strstr(buf, "sum") && strstr(buf, "<- #1"), "%s", buf);
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_params_free(ps);
}

Test(tape, tape_tensor_copies_values)
{
    tg_tape *tp = tg_tape_new();
    float v[] = {1, 2, 3, 4, 5, 6};
    tg_tensor *x = tg_tape_tensor(tp, TG_SHAPE(2, 3), v);
    cr_expect_eq(x->size, 6);
    cr_expect(x->flags & TG_ON_TAPE);
    expect_floats(x->data, v, 6, 0);
    tg_tape_free(tp);
}

/* ---- parameter store ----------------------------------------------------------------- */

Test(params, add_lookup_count_and_numel)
{
    tg_params *ps = tg_params_new();
    tg_tensor *a = tg_params_add(ps, "gru.weight_ih_l0", TG_SHAPE(150, 1));
    tg_tensor *b = tg_params_add(ps, "gru.bias_ih_l0", TG_SHAPE(150));
    cr_expect_eq(tg_params_get(ps, "gru.weight_ih_l0"), a);
    cr_expect_eq(tg_params_get(ps, "gru.bias_ih_l0"), b);
    cr_expect_null(tg_params_get(ps, "gru.bias_hh_l0"));
    cr_expect_eq(tg_params_count(ps), 2);
    cr_expect_eq(tg_params_at(ps, 1), b);
    cr_expect_eq(tg_params_numel(ps), 300);
    cr_expect_str_eq(a->name, "gru.weight_ih_l0");
    cr_expect(a->flags & TG_REQUIRES_GRAD);
    cr_expect_float_eq(a->data[0], 0.0f, 0);
    cr_expect_float_eq(a->grad[149], 0.0f, 0);
    for (int i = 0; i < 40; i++) { /* grow past the first capacity */
        char name[32];
        snprintf(name, sizeof name, "extra.%d", i);
        tg_params_add(ps, name, TG_SHAPE(1));
    }
    cr_expect_eq(tg_params_get(ps, "gru.bias_ih_l0"), b);
    cr_expect_eq(tg_params_count(ps), 42);
    tg_params_free(ps);
}

Test(params, duplicate_name_is_a_contract_violation)
{
    tg_params *ps = tg_params_new();
    tg_params_add(ps, "w", TG_SHAPE(1));
    EXPECT_RAISES(tg_params_add(ps, "w", TG_SHAPE(2)));
    cr_expect(strstr(contract_msg, "\"w\" exists already"), "%s", contract_msg);
    cr_expect_eq(tg_params_count(ps), 1);
    tg_params_free(ps);
}

/* ---- contract violations name the op, the shapes and the caller ---------------------- */

Test(contract, broadcast_mismatch_names_op_shapes_and_line)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *a = tg_tape_tensor(tp, TG_SHAPE(3, 4), NULL);
    tg_tensor *b = tg_tape_tensor(tp, TG_SHAPE(5), NULL);
    int line = __LINE__ + 1;
    EXPECT_RAISES(tg_add(tp, a, b));
    char where[64];
    snprintf(where, sizeof where, "test_autograd.c:%d", line);
    cr_expect(strstr(contract_msg, "add"), "%s", contract_msg);
    cr_expect(strstr(contract_msg, "(3, 4)") && strstr(contract_msg, "(5)"), "%s", contract_msg);
    cr_expect(strstr(contract_msg, where), "want %s in: %s", where, contract_msg);
    tg_tape_free(tp);
}

Test(contract, addcmul_and_lerp_name_all_three_shapes)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *a = tg_tape_tensor(tp, TG_SHAPE(2, 3), NULL);
    tg_tensor *b = tg_tape_tensor(tp, TG_SHAPE(3), NULL);
    tg_tensor *c = tg_tape_tensor(tp, TG_SHAPE(4), NULL);
    EXPECT_RAISES(tg_addcmul(tp, a, b, c));
    cr_expect(strstr(contract_msg, "tg_addcmul") && strstr(contract_msg, "(2, 3)") &&
                  strstr(contract_msg, "(3)") && strstr(contract_msg, "(4)"),
              "%s", contract_msg);
    EXPECT_RAISES(tg_lerp(tp, c, b, b));
    cr_expect(strstr(contract_msg, "tg_lerp") && strstr(contract_msg, "(4)"), "%s",
              contract_msg);
    EXPECT_RAISES(tg_lerp(tp, a, NULL, b));
    cr_expect(strstr(contract_msg, "tg_lerp") && strstr(contract_msg, "NULL"), "%s",
              contract_msg);
    tg_tape_free(tp);
}

Test(contract, matmul_inner_size_mismatch)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *a = tg_tape_tensor(tp, TG_SHAPE(2, 3), NULL);
    tg_tensor *b = tg_tape_tensor(tp, TG_SHAPE(4, 5), NULL);
    EXPECT_RAISES(tg_matmul(tp, a, b));
    cr_expect(strstr(contract_msg, "tg_matmul") && strstr(contract_msg, "(2, 3)") &&
                  strstr(contract_msg, "(4, 5)"),
              "%s", contract_msg);
    tg_tape_free(tp);
}

Test(contract, linear_weight_mismatch_and_null_input)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *x = tg_tape_tensor(tp, TG_SHAPE(8, 3), NULL);
    tg_tensor *w = tg_tape_tensor(tp, TG_SHAPE(4, 5), NULL);
    EXPECT_RAISES(tg_linear(tp, x, w, NULL));
    cr_expect(strstr(contract_msg, "tg_linear") && strstr(contract_msg, "(8, 3)"), "%s",
              contract_msg);
    EXPECT_RAISES(tg_sigmoid(tp, NULL));
    cr_expect(strstr(contract_msg, "sigmoid") && strstr(contract_msg, "NULL"), "%s",
              contract_msg);
    tg_tape_free(tp);
}

Test(contract, backward_of_non_scalar_and_twice)
{
    tg_params *ps = tg_params_new();
    tg_tensor *w = tg_params_add(ps, "w", TG_SHAPE(2, 2));
    tg_tape *tp = tg_tape_new();
    tg_tensor *y = tg_square(tp, w);
    EXPECT_RAISES(tg_backward(tp, y));
    cr_expect(strstr(contract_msg, "scalar") && strstr(contract_msg, "(2, 2)"), "%s",
              contract_msg);
    tg_tensor *l = tg_sum(tp, y);
    tg_backward(tp, l);
    EXPECT_RAISES(tg_backward(tp, l));
    cr_expect(strstr(contract_msg, "tg_tape_reset"), "%s", contract_msg);
    tg_tape_free(tp);
    tg_params_free(ps);
}

Test(contract, bad_axis_slice_chunk_and_index)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *x = tg_tape_tensor(tp, TG_SHAPE(4, 6), NULL);
    tg_tensor *parts[4];
    EXPECT_RAISES(tg_sum_axis(tp, x, 2, false));
    cr_expect(strstr(contract_msg, "axis 2"), "%s", contract_msg);
    EXPECT_RAISES(tg_slice(tp, x, 1, 4, 3));
    cr_expect(strstr(contract_msg, "[4, 7)"), "%s", contract_msg);
    EXPECT_RAISES(tg_chunk(tp, x, 4, 1, parts));
    cr_expect(strstr(contract_msg, "4 equal parts"), "%s", contract_msg);
    EXPECT_RAISES(tg_index_select(tp, x, ((int32_t[]){0, 4}), 2));
    cr_expect(strstr(contract_msg, "index 4"), "%s", contract_msg);
    EXPECT_RAISES(tg_reshape(tp, x, TG_SHAPE(5, 5)));
    cr_expect(strstr(contract_msg, "(4, 6)") && strstr(contract_msg, "(5, 5)"), "%s",
              contract_msg);
    tg_tape_free(tp);
}

Test(contract, default_handler_aborts, .signal = SIGABRT)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *a = tg_tape_tensor(tp, TG_SHAPE(2), NULL);
    tg_tensor *b = tg_tape_tensor(tp, TG_SHAPE(3), NULL);
    tg_add(tp, a, b);
}

/* ---- forward values by hand ------------------------------------------------------------ */

Test(forward, matmul_linear_and_batched)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *a = tg_tape_tensor(tp, TG_SHAPE(2, 3), (float[]){1, 2, 3, 4, 5, 6});
    tg_tensor *b = tg_tape_tensor(tp, TG_SHAPE(3, 2), (float[]){7, 8, 9, 10, 11, 12});
    expect_floats(tg_matmul(tp, a, b)->data, (float[]){58, 64, 139, 154}, 4, 0);
    /* a^T (3, 2) @ a (2, 3) */
    expect_floats(tg_matmul_t(tp, a, a, true, false)->data,
                  (float[]){17, 22, 27, 22, 29, 36, 27, 36, 45}, 9, 0);
    /* linear: x (2, 3) W^T with W (2, 3) = b^T, plus bias */
    tg_tensor *w = tg_tape_tensor(tp, TG_SHAPE(2, 3), (float[]){7, 9, 11, 8, 10, 12});
    tg_tensor *bias = tg_tape_tensor(tp, TG_SHAPE(2), (float[]){0.5f, -1});
    expect_floats(tg_linear(tp, a, w, bias)->data, (float[]){58.5f, 63, 139.5f, 153}, 4, 0);
    /* batched: two copies of a with b shared, and with b per batch */
    tg_tensor *a2 = tg_stack(tp, 2, ((tg_tensor *[]){a, a}), 0);
    tg_tensor *b2 = tg_stack(tp, 2, ((tg_tensor *[]){b, b}), 0);
    tg_tensor *y1 = tg_matmul(tp, a2, b), *y2 = tg_matmul(tp, a2, b2);
    cr_expect_eq(y1->ndim, 3);
    expect_floats(y1->data, (float[]){58, 64, 139, 154, 58, 64, 139, 154}, 8, 0);
    expect_floats(y2->data, y1->data, 8, 0);
    tg_tape_free(tp);
}

Test(forward, reductions_softmax_and_shapes)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *x = tg_tape_tensor(tp, TG_SHAPE(2, 3), (float[]){1, 5, 3, 4, 2, 6});
    expect_floats(tg_sum(tp, x)->data, (float[]){21}, 1, 0);
    expect_floats(tg_mean(tp, x)->data, (float[]){3.5f}, 1, 0);
    expect_floats(tg_max(tp, x)->data, (float[]){6}, 1, 0);
    expect_floats(tg_sum_axis(tp, x, 0, false)->data, (float[]){5, 7, 9}, 3, 0);
    tg_tensor *m = tg_mean_axis(tp, x, -1, true);
    cr_expect(m->ndim == 2 && m->shape[0] == 2 && m->shape[1] == 1);
    expect_floats(m->data, (float[]){3, 4}, 2, 1e-6f);
    expect_floats(tg_max_axis(tp, x, 1, false)->data, (float[]){5, 6}, 2, 0);
    tg_tensor *s = tg_softmax(tp, x);
    float e0 = expf(1), e1 = expf(5), e2 = expf(3);
    expect_floats(s->data, (float[]){e0 / (e0 + e1 + e2), e1 / (e0 + e1 + e2),
                                     e2 / (e0 + e1 + e2)}, 3, 1e-6f);
    tg_tensor *ls = tg_log_softmax(tp, x);
    cr_expect_float_eq(ls->data[1], logf(e1 / (e0 + e1 + e2)), 1e-5);
    expect_floats(tg_transpose(tp, x)->data, (float[]){1, 4, 5, 2, 3, 6}, 6, 0);
    /* (2, 3, 2) -> swap axes 0 and 1 -> (3, 2, 2): y[j, i, k] = x[i, j, k] */
    tg_tensor *x3 = tg_tape_tensor(tp, TG_SHAPE(2, 3, 2), (float[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    tg_tensor *sw = tg_swapaxes(tp, x3, 0, 1);
    cr_expect(sw->shape[0] == 3 && sw->shape[1] == 2 && sw->shape[2] == 2);
    expect_floats(sw->data, (float[]){0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11}, 12, 0);
    expect_floats(tg_slice(tp, x, 1, 1, 2)->data, (float[]){5, 3, 2, 6}, 4, 0);
    tg_tensor *parts[3];
    tg_chunk(tp, x, 3, 1, parts);
    expect_floats(parts[2]->data, (float[]){3, 6}, 2, 0);
    tg_tensor *c = tg_concat(tp, 2, ((tg_tensor *[]){x, parts[0]}), 1);
    cr_expect(c->shape[0] == 2 && c->shape[1] == 4);
    expect_floats(c->data, (float[]){1, 5, 3, 1, 4, 2, 6, 4}, 8, 0);
    tg_tensor *st = tg_stack(tp, 2, ((tg_tensor *[]){parts[0], parts[1]}), -1);
    cr_expect(st->ndim == 3 && st->shape[2] == 2);
    expect_floats(st->data, (float[]){1, 5, 4, 2}, 4, 0);
    tg_tensor *r = tg_reshape(tp, x, TG_SHAPE(3, -1));
    cr_expect(r->shape[0] == 3 && r->shape[1] == 2 && r->data == x->data, "reshape is a view");
    tg_tensor *rows = tg_index_select(tp, x, ((int32_t[]){1, 1, 0}), 3);
    expect_floats(rows->data, (float[]){4, 2, 6, 4, 2, 6, 1, 5, 3}, 9, 0);
    tg_tape_free(tp);
}

/* addcmul and lerp against add/sub/mul: the same values and gradients, bit for bit, also
 * when only some inputs need a gradient (the fused backward's partial paths), at a size
 * that runs on both threads. */
static void fused_vs_composed(int need_mask, bool lerp)
{
    enum { R = 90, C = 70, N = R * C }; /* above the threading threshold */
    tg_rng r;
    tg_rng_seed(&r, 11, (uint64_t)need_mask);
    tg_tensor *in[2][3];
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 3; j++) in[k][j] = tg_tensor_new(TG_SHAPE(R, C));
    for (int j = 0; j < 3; j++) {
        for (int64_t i = 0; i < N; i++) in[0][j]->data[i] = 2.0f * tg_rng_uniform(&r) - 1.0f;
        memcpy(in[1][j]->data, in[0][j]->data, N * sizeof(float));
        if (need_mask & (1 << j)) tg_requires_grad(in[0][j]), tg_requires_grad(in[1][j]);
    }
    tg_tape *tp = tg_tape_new();
    tg_tensor **f = in[0], **c = in[1];
    tg_tensor *yf = lerp ? tg_lerp(tp, f[0], f[1], f[2]) : tg_addcmul(tp, f[0], f[1], f[2]);
    tg_tensor *yc = lerp ? tg_add(tp, c[0], tg_mul(tp, c[2], tg_sub(tp, c[1], c[0])))
                         : tg_add(tp, c[0], tg_mul(tp, c[1], c[2]));
    cr_expect(memcmp(yf->data, yc->data, N * sizeof(float)) == 0, "%s forward differs",
              lerp ? "lerp" : "addcmul");
    /* weights make every output element's gradient different */
    tg_tensor *wt = tg_tape_tensor(tp, TG_SHAPE(R, C), NULL);
    for (int64_t i = 0; i < N; i++) wt->data[i] = 0.25f * (float)(i % 9) - 1.0f;
    tg_backward(tp, tg_add(tp, tg_sum(tp, tg_mul(tp, yf, wt)), tg_sum(tp, tg_mul(tp, yc, wt))));
    for (int j = 0; j < 3; j++) {
        if (!(need_mask & (1 << j))) {
            cr_expect_null(f[j]->grad);
            continue;
        }
        cr_expect(memcmp(f[j]->grad, c[j]->grad, N * sizeof(float)) == 0,
                  "%s mask %d: gradient of input %d differs from the composed ops",
                  lerp ? "lerp" : "addcmul", need_mask, j);
    }
    tg_tape_free(tp);
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 3; j++) tg_tensor_free(in[k][j]);
}

Test(forward, addcmul_and_lerp_equal_their_composed_ops)
{
    for (int mask = 1; mask < 8; mask++) {
        fused_vs_composed(mask, false);
        fused_vs_composed(mask, true);
    }
}

/* The fused backward with gradient regions that overlap at different offsets (three
 * overlapping views of one tensor): the same bits at 1 and 2 threads, and the values of
 * the composed ops. */
static void overlapping_views(float *grad_out, bool lerp)
{
    enum { N = 12000, L = 9000 };
    tg_tensor *x = tg_tensor_new(TG_SHAPE(N));
    for (int64_t i = 0; i < N; i++) x->data[i] = 0.001f * (float)(i % 1000) - 0.4f;
    tg_requires_grad(x);
    tg_tape *tp = tg_tape_new();
    tg_tensor *a = tg_slice(tp, x, 0, 0, L), *b = tg_slice(tp, x, 0, 1000, L);
    tg_tensor *c = tg_slice(tp, x, 0, 3000, L);
    tg_tensor *y = lerp ? tg_lerp(tp, a, b, c) : tg_addcmul(tp, a, b, c);
    tg_backward(tp, tg_sum(tp, tg_square(tp, y)));
    memcpy(grad_out, x->grad, N * sizeof(float));
    tg_tape_free(tp);
    tg_tensor_free(x);
}

Test(forward, addcmul_and_lerp_on_overlapping_views_are_thread_safe)
{
    enum { N = 12000 };
    static float g1[N], g2[N];
    for (int lerp = 0; lerp < 2; lerp++) {
        tg_set_num_threads(1);
        overlapping_views(g1, lerp);
        tg_set_num_threads(2);
        overlapping_views(g2, lerp);
        cr_expect(memcmp(g1, g2, sizeof g1) == 0, "%s: 1 and 2 threads differ",
                  lerp ? "lerp" : "addcmul");
    }
}

Test(forward, unary_values)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *x = tg_tape_tensor(tp, TG_SHAPE(3), (float[]){-2, 0.5f, 4});
    expect_floats(tg_sigmoid(tp, x)->data,
                  (float[]){1 / (1 + expf(2)), 1 / (1 + expf(-0.5f)), 1 / (1 + expf(-4))}, 3,
                  1e-7f);
    expect_floats(tg_relu(tp, x)->data, (float[]){0, 0.5f, 4}, 3, 0);
    expect_floats(tg_one_minus(tp, x)->data, (float[]){3, 0.5f, -3}, 3, 0);
    expect_floats(tg_abs(tp, x)->data, (float[]){2, 0.5f, 4}, 3, 0);
    expect_floats(tg_scale(tp, x, -0.5f)->data, (float[]){1, -0.25f, -2}, 3, 0);
    expect_floats(tg_sqrt(tp, tg_square(tp, x))->data, (float[]){2, 0.5f, 4}, 3, 1e-7f);
    /* sigmoid saturates without overflow */
    tg_tensor *big = tg_tape_tensor(tp, TG_SHAPE(2), (float[]){-200, 200});
    expect_floats(tg_sigmoid(tp, big)->data, (float[]){0, 1}, 2, 1e-37f); /* to the last normal float */
    tg_tape_free(tp);
}

/* ---- end to end: an MLP learns XOR with hand-written SGD ------------------------------- */

Test(learn, mlp_learns_xor_below_0_01_mse)
{
    mlp m = mlp_new(2, 16, 4);
    float xs[] = {0, 0, 0, 1, 1, 0, 1, 1}, ys[] = {0, 1, 1, 0};
    memcpy(m.x->data, xs, sizeof xs);
    memcpy(m.y->data, ys, sizeof ys);
    tg_tape *tp = tg_tape_new();
    float first = mlp_step(&m, tp, 1.0f), last = first;
    for (int step = 0; step < 3000; step++) last = mlp_step(&m, tp, 1.0f);
    cr_expect_gt(first, 0.2f, "starts near chance, got %g", (double)first);
    cr_expect_lt(last, 0.01f, "mse after 3000 steps: %g", (double)last);
    tg_tape_free(tp);
    mlp_free(&m);
}

/* ---- 1 and 2 threads give the same bits ------------------------------------------------ */

static void matmul_forward_backward(float *out, float *ga, float *gb, float *gx)
{
    tg_rng r;
    tg_rng_seed(&r, 99, 1);
    tg_tensor *a = tg_tensor_new(TG_SHAPE(192, 160));
    tg_tensor *b = tg_tensor_new(TG_SHAPE(160, 224));
    tg_tensor *x = tg_tensor_new(TG_SHAPE(4, 48, 224));
    tg_fill_normal(a, &r, 0, 1);
    tg_fill_normal(b, &r, 0, 1);
    tg_fill_normal(x, &r, 0, 1);
    tg_requires_grad(a);
    tg_requires_grad(b);
    tg_requires_grad(x);
    tg_tape *tp = tg_tape_new();
    tg_tensor *y = tg_matmul(tp, a, b);                              /* (192, 224) */
    tg_tensor *z = tg_matmul_t(tp, x, b, false, true);               /* (4, 48, 160) */
    tg_tensor *loss = tg_add(tp, tg_sum(tp, tg_tanh(tp, y)), tg_sum(tp, tg_square(tp, z)));
    tg_backward(tp, loss);
    memcpy(out, y->data, sizeof(float) * 192 * 224);
    memcpy(ga, a->grad, sizeof(float) * 192 * 160);
    memcpy(gb, b->grad, sizeof(float) * 160 * 224);
    memcpy(gx, x->grad, sizeof(float) * 4 * 48 * 224);
    tg_tape_free(tp);
    tg_tensor_free(a);
    tg_tensor_free(b);
    tg_tensor_free(x);
}

Test(threads, one_and_two_threads_give_identical_bits)
{
    size_t ny = 192 * 224, na = 192 * 160, nb = 160 * 224, nx = 4 * 48 * 224;
    float *y1 = malloc(ny * 4), *a1 = malloc(na * 4), *b1 = malloc(nb * 4), *x1 = malloc(nx * 4);
    float *y2 = malloc(ny * 4), *a2 = malloc(na * 4), *b2 = malloc(nb * 4), *x2 = malloc(nx * 4);
    tg_set_num_threads(1);
    matmul_forward_backward(y1, a1, b1, x1);
    tg_set_num_threads(2);
    matmul_forward_backward(y2, a2, b2, x2);
    cr_expect(memcmp(y1, y2, ny * 4) == 0, "matmul forward differs");
    cr_expect(memcmp(a1, a2, na * 4) == 0, "grad of a differs");
    cr_expect(memcmp(b1, b2, nb * 4) == 0, "grad of b differs");
    cr_expect(memcmp(x1, x2, nx * 4) == 0, "grad of x differs");
    free(y1), free(a1), free(b1), free(x1), free(y2), free(a2), free(b2), free(x2);
}

/* add and sub hand their output's gradient buffer to an input that has none yet
 * (tg__grad_take). The gradients must be those of plain accumulation: with an earlier
 * consumer of the same input, with a + a and a - a, with the other input broadcast, and
 * over repeated steps (the buffer is recycled with its new owner). */
Test(tape, add_and_sub_passing_their_gradient_buffer_on_keep_every_gradient)
{
    tg_tape *t = tg_tape_new();
    tg_tensor *x = tg_tensor_new(TG_SHAPE(2, 3)), *r = tg_tensor_new(TG_SHAPE(3));
    for (int i = 0; i < 6; i++) x->data[i] = 0.5f * (float)i - 1.0f;
    for (int i = 0; i < 3; i++) r->data[i] = (float)i + 1.0f;
    tg_requires_grad(x);
    tg_requires_grad(r);
    for (int step = 0; step < 3; step++) {
        tg_tape_reset(t);
        if (x->grad) memset(x->grad, 0, sizeof(float) * 6);
        if (r->grad) memset(r->grad, 0, sizeof(float) * 3);
        tg_tensor *a = tg_scale(t, x, 2.0f);                 /* a = 2x, a tape tensor */
        tg_tensor *u = tg_scale(t, a, 3.0f);                 /* consumer of a before the add */
        tg_tensor *y = tg_add(t, a, r);                      /* r broadcast over rows */
        tg_tensor *z = tg_add(t, a, a);                      /* a + a */
        tg_tensor *w = tg_sub(t, tg_scale(t, x, 1.0f), r);  /* sub: first input takes dy */
        tg_tensor *v = tg_sub(t, a, a);                      /* a - a: zero gradient */
        tg_tensor *loss = tg_add(t, tg_add(t, tg_sum(t, tg_mul(t, y, y)), tg_sum(t, u)),
                                 tg_add(t, tg_add(t, tg_sum(t, z), tg_sum(t, w)),
                                        tg_sum(t, tg_mul(t, v, v))));
        tg_backward(t, loss);
        /* d/dx: y = 2x + r -> 2 * 2y; u -> 2 * 3; z = 4x -> 4; w = x - r -> 1; v = 0 */
        for (int i = 0; i < 6; i++) {
            float yv = 2.0f * x->data[i] + r->data[i % 3];
            float want = 4.0f * yv + 6.0f + 4.0f + 1.0f;
            cr_expect(fabsf(x->grad[i] - want) < 1e-5f, "step %d dx[%d] = %g, want %g", step,
                      i, (double)x->grad[i], (double)want);
        }
        /* d/dr: y -> sum over rows of 2y; w -> -1 per row */
        for (int j = 0; j < 3; j++) {
            float want = 0;
            for (int i = 0; i < 2; i++) want += 2.0f * (2.0f * x->data[i * 3 + j] + r->data[j]);
            want -= 2.0f;
            cr_expect(fabsf(r->grad[j] - want) < 1e-5f, "step %d dr[%d] = %g, want %g", step,
                      j, (double)r->grad[j], (double)want);
        }
    }
    tg_tape_free(t);
    tg_tensor_free(x);
    tg_tensor_free(r);
}

/* A tape tensor kept across tg_tape_reset is refused by the next op that gets it, with a
 * message saying so (it would read the next step's data). (One whose tape was freed is
 * memory already returned: no check can read it safely.) */
Test(tape, a_tensor_used_after_reset_or_free_is_a_contract_violation)
{
    tg_tape *tp = tg_tape_new();
    tg_tensor *a = tg_tape_tensor(tp, 1, (int[]){3}, (float[]){1, 2, 3});
    tg_tensor *fresh = tg_add(tp, a, a); /* fine within the step */
    (void)fresh;
    tg_tape_reset(tp);
    tg_tensor *b = tg_tape_tensor(tp, 1, (int[]){3}, NULL);
    EXPECT_RAISES(tg_add(tp, b, a));
    EXPECT_MSG_HAS("tapegrad: add:");
    EXPECT_MSG_HAS("was freed by tg_tape_reset: it was made in step 1 of its tape, which is "
                   "now in step 2");
    EXPECT_MSG_HAS("test_autograd.c:");
    tg_tensor *loss = tg_sum(tp, b);
    tg_tape_reset(tp);
    EXPECT_RAISES(tg_backward(tp, loss));
    EXPECT_MSG_HAS("loss was freed by tg_tape_reset");
    /* the recurrent case: a final state kept as the next step's initial state */
    tg_params *ps = tg_params_new();
    tg_rng r;
    tg_rng_seed(&r, 1, 0);
    tg_rnn *gru = tg_rnn_new(ps, "g", &tg_cell_gru, 2, 3, NULL, &r);
    tg_tensor *x = tg_tensor_new(3, (int[]){2, 4, 2});
    tg_tensor *h_n;
    tg_rnn_forward(tp, gru, x, NULL, &h_n);
    tg_tape_reset(tp);
    EXPECT_RAISES(tg_rnn_forward(tp, gru, x, (tg_tensor *const[]){h_n}, NULL));
    EXPECT_MSG_HAS("was freed by tg_tape_reset");
    tg_tensor_free(x);
    tg_rnn_free(gru);
    tg_params_free(ps);
    tg_tape_free(tp);
}
