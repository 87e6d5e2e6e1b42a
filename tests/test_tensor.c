/* tests/test_tensor.c — Criterion suite for the tensor module: creation and shapes,
 * broadcast kernels, reductions, GEMM, the RNG and the initializers, and contract checks.
 *
 * Tier 1 of DESIGN.md: tiny hand-computed values (written out by hand below, never
 * recomputed with the code under test), then every fast kernel against its naive twin on
 * random odd shapes, then identical bits at 1 and 2 threads.
 *
 * Helpers (value checks, scratch buffers, EXPECT_CONTRACT) are in tests/tensor_helpers.h.
 *
 * What this file is not: a benchmark (no timings) or an autograd test (tests/test_autograd.c).
 */
#include "tensor_helpers.h"

/* ---- creation, fill, copy, reshape ---------------------------------------------------- */

Test(create, zeros_is_an_aligned_heap_tensor_of_zeros)
{
    uint64_t allocs = tg_heap_alloc_count();
    tg_tensor *t = tg_tensor_zeros(TG_SHAPE(2, 3, 4));
    cr_assert_gt(tg_heap_alloc_count(), allocs, "made through the counted allocator");
    expect_shape(t, TG_SHAPE(2, 3, 4));
    cr_assert(t->flags & TG_OWNS_DATA);
    cr_assert_null(t->grad);
    cr_assert_null(t->node);
    cr_assert_eq((uintptr_t)t->data % 64, 0);
    for (int i = 0; i < 24; i++) cr_assert_eq(t->data[i], 0.0f);
    tg_tensor_free(t);
}

Test(create, ones_full_and_fill_set_every_element)
{
    tg_tensor *o = tg_tensor_ones(TG_SHAPE(3, 2));
    tg_tensor *f = tg_tensor_full(TG_SHAPE(5), -2.5f);
    tg_tensor *g = tg_tensor_new(TG_SHAPE(7));
    tg_tensor_fill(g, 0.25f);
    for (int i = 0; i < 6; i++) cr_assert_eq(o->data[i], 1.0f);
    for (int i = 0; i < 5; i++) cr_assert_eq(f->data[i], -2.5f);
    for (int i = 0; i < 7; i++) cr_assert_eq(g->data[i], 0.25f);
    FREE_ALL(o, f, g);
}

Test(create, from_copies_the_values)
{
    float v[] = {1, 2, 3, 4, 5, 6};
    tg_tensor *t = tg_tensor_from(TG_SHAPE(2, 3), v);
    v[0] = 100.0f; /* the tensor holds its own copy */
    expect_shape(t, TG_SHAPE(2, 3));
    expect_values(t->data, (float[]){1, 2, 3, 4, 5, 6}, 6, 0.0f);
    tg_tensor_free(t);
}

Test(create, arange_counts_from_zero)
{
    tg_tensor *t = tg_tensor_arange(5), *e = tg_tensor_arange(0);
    expect_shape(t, TG_SHAPE(5));
    expect_values(t->data, (float[]){0, 1, 2, 3, 4}, 5, 0.0f);
    expect_shape(e, TG_SHAPE(0));
    FREE_ALL(t, e);
}

Test(create, rank_zero_is_a_scalar_and_zero_dims_are_empty)
{
    tg_tensor *s = tg_tensor_full(0, NULL, 7.0f), *e = tg_tensor_zeros(TG_SHAPE(0, 3));
    expect_shape(s, 0, NULL);
    cr_assert_eq(s->size, 1);
    cr_assert_eq(s->data[0], 7.0f);
    expect_shape(e, TG_SHAPE(0, 3));
    FREE_ALL(s, e);
}

Test(create, copy_is_deep_and_has_no_grad)
{
    tg_tensor *a = tg_tensor_arange(4);
    a->grad = tg_calloc(4 * sizeof(float)); /* as autograd does for heap leaves */
    tg_tensor *c = tg_tensor_copy(a);
    cr_assert(tg_shape_equal(a, c));
    cr_assert_null(c->grad);
    cr_assert_neq(c->data, a->data);
    c->data[0] = 42.0f;
    cr_assert_eq(a->data[0], 0.0f);
    cr_assert_eq(c->data[3], 3.0f);
    FREE_ALL(a, c); /* frees a->grad too: ASan would report a leak otherwise */
    tg_tensor_free(NULL);
}

Test(create, reshape_changes_the_shape_and_keeps_the_data)
{
    tg_tensor *t = tg_tensor_arange(6), *s = tg_tensor_ones(TG_SHAPE(1, 1));
    tg_tensor_reshape(t, TG_SHAPE(2, 3));
    expect_shape(t, TG_SHAPE(2, 3));
    cr_assert_eq(t->data[5], 5.0f);
    tg_tensor_reshape(t, TG_SHAPE(3, 1, 2));
    expect_shape(t, TG_SHAPE(3, 1, 2));
    tg_tensor_reshape(s, 0, NULL); /* (1, 1) -> scalar */
    expect_shape(s, 0, NULL);
    FREE_ALL(t, s);
}

Test(create, shape_equal_compares_rank_and_dims)
{
    tg_tensor *a = tg_tensor_zeros(TG_SHAPE(2, 3)), *b = tg_tensor_ones(TG_SHAPE(2, 3));
    tg_tensor *c = tg_tensor_zeros(TG_SHAPE(3, 2)), *d = tg_tensor_zeros(TG_SHAPE(2, 3, 1));
    cr_assert(tg_shape_equal(a, b));
    cr_assert_not(tg_shape_equal(a, c));
    cr_assert_not(tg_shape_equal(a, d), "(2, 3) and (2, 3, 1) differ in rank");
    FREE_ALL(a, b, c, d);
}

/* ---- shape helpers and printing -------------------------------------------------------- */

Test(shape, shape_str_formats_every_rank_and_truncates)
{
    char buf[64], small[5];
    tg_tensor *t = tg_tensor_zeros(TG_SHAPE(2, 3, 4)), *s = tg_tensor_zeros(0, NULL);
    cr_assert_str_eq(tg_shape_str(t, buf, sizeof buf), "(2, 3, 4)");
    cr_assert_str_eq(tg_shape_str(t, small, sizeof small), "(2, ");
    cr_assert_str_eq(tg_shape_str(s, buf, sizeof buf), "()");
    tg_tensor_reshape(t, TG_SHAPE(24));
    cr_assert_str_eq(tg_shape_str(t, buf, sizeof buf), "(24)");
    FREE_ALL(t, s);
}

static void expect_split(int axis, int outer, int n, int inner)
{
    int o = -1, k = -1, i = -1;
    tg_axis_split(4, (int[]){2, 3, 4, 5}, axis, &o, &k, &i);
    cr_assert(o == outer && k == n && i == inner, "axis %d: got (%d, %d, %d)", axis, o, k, i);
}

Test(shape, axis_split_gives_outer_n_inner)
{
    expect_split(0, 1, 2, 60);
    expect_split(1, 2, 3, 20);
    expect_split(3, 24, 5, 1);
    expect_split(-1, 24, 5, 1);
}

static void expect_broadcast(int na, const int *sa, int nb, const int *sb, int nwant,
                             const int *swant)
{
    int n = -1, s[TG_MAX_DIMS];
    cr_assert(tg_broadcast_shape(na, sa, nb, sb, &n, s));
    cr_assert_eq(n, nwant);
    for (int i = 0; i < n; i++) cr_assert_eq(s[i], swant[i], "axis %d", i);
}

Test(shape, broadcast_shape_follows_numpy_rules)
{
    expect_broadcast(TG_SHAPE(2, 1), TG_SHAPE(1, 3), TG_SHAPE(2, 3));
    expect_broadcast(TG_SHAPE(3, 5, 7), TG_SHAPE(5, 1), TG_SHAPE(3, 5, 7));
    expect_broadcast(TG_SHAPE(7), TG_SHAPE(3, 5, 7), TG_SHAPE(3, 5, 7));
    expect_broadcast(0, NULL, TG_SHAPE(4), TG_SHAPE(4));
    expect_broadcast(0, NULL, 0, NULL, 0, NULL);
    expect_broadcast(TG_SHAPE(2, 1, 4, 1), TG_SHAPE(3, 1, 5), TG_SHAPE(2, 3, 4, 5));
    expect_broadcast(TG_SHAPE(0, 3), TG_SHAPE(1, 3), TG_SHAPE(0, 3));
}

Test(shape, broadcast_shape_rejects_mismatched_dims)
{
    int n = 99, s[TG_MAX_DIMS] = {9, 9, 9, 9};
    cr_assert_not(tg_broadcast_shape(TG_SHAPE(2, 3), TG_SHAPE(2), &n, s));
    cr_assert_not(tg_broadcast_shape(TG_SHAPE(4), TG_SHAPE(3), &n, s));
    cr_assert_not(tg_broadcast_shape(TG_SHAPE(0), TG_SHAPE(2), &n, s));
    cr_assert_not(tg_broadcast_shape(TG_SHAPE(2, 3, 4), TG_SHAPE(3, 1, 1), &n, s));
    cr_assert_eq(n, 99, "outputs untouched on failure");
    cr_assert_eq(s[0], 9);
}

Test(shape, print_shows_label_shape_and_values)
{
    tg_tensor *t = tg_tensor_from(TG_SHAPE(2, 3), (float[]){1, 2, 3, 4, 5, 6.5f});
    tg_tensor *s = tg_tensor_full(0, NULL, 3.0f);
    char *text = print_to_string(t, "x");
    EXPECT_IN(text, "x (2, 3)");
    EXPECT_IN(text, "[[1, 2, 3],");
    EXPECT_IN(text, "[4, 5, 6.5]]");
    free(text);
    text = print_to_string(s, "s");
    EXPECT_IN(text, "s () = 3");
    free(text);
    FREE_ALL(t, s);
}

Test(shape, print_abbreviates_long_runs_with_an_ellipsis)
{
    tg_tensor *t = tg_tensor_arange(20);
    char *text = print_to_string(t, "r");
    EXPECT_IN(text, "[0, 1, 2, ..., 17, 18, 19]");
    cr_assert_null(strstr(text, "10"), "middle values are elided: %s", text);
    free(text);
    tg_tensor_reshape(t, TG_SHAPE(10, 2));
    text = print_to_string(t, "m");
    EXPECT_IN(text, "...");
    EXPECT_IN(text, "[18, 19]]");
    cr_assert_null(strstr(text, "[8, 9]"), "middle rows are elided: %s", text);
    free(text);
    tg_tensor_free(t);
}

/* ---- contract violations ------------------------------------------------------------- */

Test(contract, reshape_with_another_size_names_the_op_and_both_shapes)
{
    tg_tensor *t = tg_tensor_zeros(TG_SHAPE(2, 3));
    EXPECT_CONTRACT(tg_tensor_reshape(t, TG_SHAPE(4, 2)));
    EXPECT_IN(contract_msg, "reshape");
    EXPECT_IN(contract_msg, "(2, 3)");
    EXPECT_IN(contract_msg, "(4, 2)");
    cr_assert_eq(t->shape[0], 2, "the tensor is left unchanged");
    cr_assert_eq(t->shape[1], 3);
    tg_tensor_free(t);
}

Test(contract, bad_shapes_are_rejected_naming_the_function_and_shape)
{
    EXPECT_CONTRACT(tg_tensor_zeros(TG_SHAPE(1, 2, 3, 4, 5))); /* rank above 4 */
    EXPECT_IN(contract_msg, "tg_tensor_zeros");
    EXPECT_IN(contract_msg, "(1, 2, 3, 4, 5)");
    EXPECT_CONTRACT(tg_tensor_new(TG_SHAPE(3, -1))); /* negative dimension */
    EXPECT_IN(contract_msg, "tg_tensor_new");
    EXPECT_IN(contract_msg, "(3, -1)");
}

Test(contract, binary_kernel_rejects_a_wrong_output_shape)
{
    float a[6] = {0}, b[3] = {0}, out[6];
    EXPECT_CONTRACT(tg_kernel_binary(TG_BIN_ADD, a, TG_SHAPE(2, 3), b, TG_SHAPE(3), out,
                                     TG_SHAPE(3, 2)));
    EXPECT_IN(contract_msg, "(3, 2)");
    EXPECT_CONTRACT(tg_kernel_binary(TG_BIN_ADD, a, TG_SHAPE(2, 3), b, TG_SHAPE(2), out,
                                     TG_SHAPE(2, 3)));
    EXPECT_IN(contract_msg, "broadcast");
}

Test(contract, gemm_rejects_a_short_leading_dimension)
{
    float a[6] = {0}, b[6] = {0}, c[4] = {0};
    EXPECT_CONTRACT(tg_gemm(false, false, 2, 2, 3, 1.0f, a, 2, b, 2, 0.0f, c, 2));
    EXPECT_IN(contract_msg, "lda");
}

Test(contract, initializers_need_a_matrix)
{
    tg_rng r;
    tg_rng_seed(&r, 1, 1);
    tg_tensor *v = tg_tensor_zeros(TG_SHAPE(5));
    EXPECT_CONTRACT(tg_init_orthogonal(v, &r, 1.0f));
    EXPECT_IN(contract_msg, "(5)");
    tg_tensor_free(v);
}

/* ---- binary kernels: hand values ------------------------------------------------------- */

static void binary_case(tg_binop op, const float *a, int na, const int *sa, const float *b,
                        int nb, const int *sb, const float *want, int nout, const int *sout)
{
    float out[64], out_naive[64];
    int64_t n = shape_size(nout, sout);
    tg_kernel_binary(op, a, na, sa, b, nb, sb, out, nout, sout);
    tg_kernel_binary_naive(op, a, na, sa, b, nb, sb, out_naive, nout, sout);
    expect_values(out, want, n, 1e-6f);
    expect_values(out_naive, want, n, 1e-6f);
}

/* a = [[1, 2, 3], [4, 5, 6]] (2, 3) with a row b = [10, 20, 30] (3). */
Test(binary, row_broadcast_all_four_ops_by_hand)
{
    const float a[] = {1, 2, 3, 4, 5, 6}, b[] = {10, 20, 30};
    binary_case(TG_BIN_ADD, a, TG_SHAPE(2, 3), b, TG_SHAPE(3),
                (float[]){11, 22, 33, 14, 25, 36}, TG_SHAPE(2, 3));
    binary_case(TG_BIN_SUB, a, TG_SHAPE(2, 3), b, TG_SHAPE(3),
                (float[]){-9, -18, -27, -6, -15, -24}, TG_SHAPE(2, 3));
    binary_case(TG_BIN_MUL, a, TG_SHAPE(2, 3), b, TG_SHAPE(3),
                (float[]){10, 40, 90, 40, 100, 180}, TG_SHAPE(2, 3));
    binary_case(TG_BIN_DIV, a, TG_SHAPE(2, 3), b, TG_SHAPE(3),
                (float[]){0.1f, 0.1f, 0.1f, 0.4f, 0.25f, 0.2f}, TG_SHAPE(2, 3));
    /* the row on the left: b - a */
    binary_case(TG_BIN_SUB, b, TG_SHAPE(3), a, TG_SHAPE(2, 3),
                (float[]){9, 18, 27, 6, 15, 24}, TG_SHAPE(2, 3));
}

/* (2, 1) with (1, 3): both operands stretch. */
Test(binary, column_with_row_broadcasts_both_ways)
{
    const float col[] = {1, 2}, row[] = {10, 20, 30};
    binary_case(TG_BIN_ADD, col, TG_SHAPE(2, 1), row, TG_SHAPE(1, 3),
                (float[]){11, 21, 31, 12, 22, 32}, TG_SHAPE(2, 3));
    binary_case(TG_BIN_SUB, col, TG_SHAPE(2, 1), row, TG_SHAPE(1, 3),
                (float[]){-9, -19, -29, -8, -18, -28}, TG_SHAPE(2, 3));
    binary_case(TG_BIN_SUB, row, TG_SHAPE(1, 3), col, TG_SHAPE(2, 1),
                (float[]){9, 19, 29, 8, 18, 28}, TG_SHAPE(2, 3));
    binary_case(TG_BIN_MUL, col, TG_SHAPE(2, 1), row, TG_SHAPE(1, 3),
                (float[]){10, 20, 30, 20, 40, 60}, TG_SHAPE(2, 3));
    binary_case(TG_BIN_DIV, row, TG_SHAPE(1, 3), col, TG_SHAPE(2, 1),
                (float[]){10, 20, 30, 5, 10, 15}, TG_SHAPE(2, 3));
}

Test(binary, keepdim_column_subtracts_per_row)
{
    const float a[] = {1, 2, 3, 4, 5, 6}, m[] = {1, 4};
    binary_case(TG_BIN_SUB, a, TG_SHAPE(2, 3), m, TG_SHAPE(2, 1),
                (float[]){0, 1, 2, 0, 1, 2}, TG_SHAPE(2, 3));
    binary_case(TG_BIN_DIV, a, TG_SHAPE(2, 3), m, TG_SHAPE(2, 1),
                (float[]){1, 2, 3, 1, 1.25f, 1.5f}, TG_SHAPE(2, 3));
}

Test(binary, scalar_operand_on_either_side)
{
    const float a[] = {1, 2, 3}, s[] = {12};
    binary_case(TG_BIN_MUL, a, TG_SHAPE(3), s, 0, NULL, (float[]){12, 24, 36}, TG_SHAPE(3));
    binary_case(TG_BIN_SUB, s, 0, NULL, a, TG_SHAPE(3), (float[]){11, 10, 9}, TG_SHAPE(3));
    binary_case(TG_BIN_DIV, s, 0, NULL, a, TG_SHAPE(3), (float[]){12, 6, 4}, TG_SHAPE(3));
    binary_case(TG_BIN_DIV, a, TG_SHAPE(3), s, TG_SHAPE(1, 1),
                (float[]){1.0f / 12, 2.0f / 12, 0.25f}, TG_SHAPE(1, 3));
    binary_case(TG_BIN_ADD, s, 0, NULL, s, 0, NULL, (float[]){24}, 0, NULL);
}

Test(binary, same_shapes_elementwise)
{
    const float a[] = {1, 2, 3, 4}, b[] = {4, 3, 2, 1};
    binary_case(TG_BIN_ADD, a, TG_SHAPE(2, 2), b, TG_SHAPE(2, 2), (float[]){5, 5, 5, 5},
                TG_SHAPE(2, 2));
    binary_case(TG_BIN_DIV, a, TG_SHAPE(2, 2), b, TG_SHAPE(2, 2),
                (float[]){0.25f, 2.0f / 3, 1.5f, 4}, TG_SHAPE(2, 2));
}

Test(binary, output_may_be_an_input_for_in_place_updates)
{
    float a[] = {1, 2, 3, 4, 5, 6};
    const float b[] = {10, 20, 30};
    tg_kernel_binary(TG_BIN_ADD, a, TG_SHAPE(2, 3), b, TG_SHAPE(3), a, TG_SHAPE(2, 3));
    expect_values(a, (float[]){11, 22, 33, 14, 25, 36}, 6, 0.0f);
}

/* ---- binary kernels: fast vs naive on random shapes ----------------------------------- */

typedef struct {
    int na, sa[TG_MAX_DIMS], nb, sb[TG_MAX_DIMS];
} shape_pair;

static const shape_pair binary_pairs[] = {
    {3, {3, 5, 7}, 2, {5, 1}},          {3, {3, 5, 7}, 2, {1, 7}},
    {3, {3, 5, 7}, 0, {0}},             {0, {0}, 3, {3, 5, 7}},
    {3, {3, 5, 7}, 3, {3, 5, 7}},       {2, {5, 1}, 3, {3, 5, 7}},
    {1, {7}, 3, {3, 5, 7}},             {4, {2, 3, 4, 5}, 3, {3, 1, 5}},
    {4, {2, 1, 4, 1}, 3, {3, 1, 5}},    {3, {4, 1, 6}, 3, {1, 5, 1}},
    {4, {2, 3, 4, 5}, 4, {2, 3, 4, 5}}, {4, {1, 1, 1, 1}, 4, {2, 3, 4, 5}},
    /* above the threading threshold: row loop, general walk, scalar, flat, column */
    {2, {64, 1031}, 1, {1031}},         {3, {2, 130, 257}, 3, {2, 1, 257}},
    {2, {300, 300}, 0, {0}},            {2, {300, 300}, 2, {300, 300}},
    {2, {300, 300}, 2, {300, 1}},
};

static void binary_matches_naive(tg_binop op, const shape_pair *p, tg_rng *r)
{
    int nout, sout[TG_MAX_DIMS];
    cr_assert(tg_broadcast_shape(p->na, p->sa, p->nb, p->sb, &nout, sout));
    int64_t sa = shape_size(p->na, p->sa), sb = shape_size(p->nb, p->sb);
    int64_t so = shape_size(nout, sout);
    float *a = scratch(sa), *b = scratch(sb), *fast = scratch(so), *slow = scratch(so);
    fill_random(a, sa, r, -2.0f, 2.0f);
    fill_divisors(b, sb, r);
    tg_kernel_binary(op, a, p->na, p->sa, b, p->nb, p->sb, fast, nout, sout);
    tg_kernel_binary_naive(op, a, p->na, p->sa, b, p->nb, p->sb, slow, nout, sout);
    cr_assert(memcmp(fast, slow, (size_t)so * sizeof(float)) == 0,
              "op %d, a rank %d, b rank %d: fast and naive differ", (int)op, p->na, p->nb);
    scratch_release();
}

Test(binary, fast_paths_match_the_naive_twin_bit_for_bit)
{
    tg_rng r;
    tg_rng_seed(&r, 7, 3);
    for (size_t i = 0; i < sizeof binary_pairs / sizeof binary_pairs[0]; i++)
        for (int op = TG_BIN_ADD; op <= TG_BIN_DIV; op++)
            binary_matches_naive((tg_binop)op, &binary_pairs[i], &r);
}

/* ---- reductions ------------------------------------------------------------------------ */

static void reduce_case(int nd, const int *sd, const float *want)
{
    const float src[] = {1, 2, 3, 4, 5, 6}; /* (2, 3) */
    float dst[6] = {100, 0, 0, 0, 0, 0};    /* dst += ..., so dst[0] starts at 100 */
    tg_kernel_reduce_to(src, TG_SHAPE(2, 3), dst, nd, sd);
    expect_values(dst, want, shape_size(nd, sd), 0.0f);
}

Test(reduce, reduce_to_sums_broadcast_axes_by_hand)
{
    reduce_case(TG_SHAPE(3), (float[]){105, 7, 9});
    reduce_case(TG_SHAPE(1, 3), (float[]){105, 7, 9});
    reduce_case(TG_SHAPE(2, 1), (float[]){106, 15});
    reduce_case(0, NULL, (float[]){121});
    reduce_case(TG_SHAPE(1, 1), (float[]){121});
    reduce_case(TG_SHAPE(2, 3), (float[]){101, 2, 3, 4, 5, 6});
}

/* The obvious loop: every src element added into its dst element, in double. */
static void reduce_naive(const float *src, int ns, const int *ss, double *acc, int nd,
                         const int *sd)
{
    int s4[4], d4[4];
    for (int d = 0; d < 4; d++) {
        s4[d] = d < 4 - ns ? 1 : ss[d - (4 - ns)];
        d4[d] = d < 4 - nd ? 1 : sd[d - (4 - nd)];
    }
    for (int64_t i = 0; i < shape_size(4, s4); i++) {
        int64_t rest = i, di = 0, mul = 1;
        for (int d = 3; d >= 0; d--) {
            if (d4[d] != 1) di += (rest % s4[d]) * mul;
            rest /= s4[d];
            mul *= d4[d];
        }
        acc[di] += src[i];
    }
}

Test(reduce, reduce_to_matches_a_naive_loop_on_random_shapes)
{
    static const shape_pair cases[] = {/* src is a, dst is b */
        {3, {3, 5, 7}, 2, {5, 1}},          {3, {3, 5, 7}, 2, {1, 7}},
        {3, {3, 5, 7}, 0, {0}},             {3, {3, 5, 7}, 3, {3, 1, 7}},
        {4, {2, 3, 4, 5}, 3, {3, 1, 5}},    {4, {2, 3, 4, 5}, 4, {1, 1, 4, 1}},
        {4, {2, 3, 4, 5}, 4, {2, 3, 4, 5}}, {2, {333, 257}, 1, {257}},
    };
    tg_rng r;
    tg_rng_seed(&r, 11, 0);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const shape_pair *p = &cases[c];
        int64_t ns = shape_size(p->na, p->sa), nd = shape_size(p->nb, p->sb);
        float *src = scratch(ns), *dst = scratch(nd);
        double *want = calloc((size_t)nd, sizeof(double));
        fill_random(src, ns, &r, -1.0f, 1.0f);
        fill_random(dst, nd, &r, -1.0f, 1.0f);
        for (int64_t i = 0; i < nd; i++) want[i] = dst[i];
        reduce_naive(src, p->na, p->sa, want, p->nb, p->sb);
        tg_kernel_reduce_to(src, p->na, p->sa, dst, p->nb, p->sb);
        for (int64_t i = 0; i < nd; i++)
            cr_assert(fabs((double)dst[i] - want[i]) <= 1e-5 * (1.0 + fabs(want[i])),
                      "case %zu element %lld: %.9g vs %.9g", c, (long long)i, (double)dst[i],
                      want[i]);
        free(want);
        scratch_release();
    }
}

Test(reduce, sum_axis_by_hand)
{
    const float x[] = {1, 2, 3, 4, 5, 6};       /* (2, 3) */
    const float y[] = {1, 2, 3, 4, 5, 6, 7, 8}; /* (2, 2, 2) */
    float out[6];
    tg_kernel_sum_axis(x, 1, 2, 3, out); /* axis 0 */
    expect_values(out, (float[]){5, 7, 9}, 3, 0.0f);
    tg_kernel_sum_axis(x, 2, 3, 1, out); /* axis 1 */
    expect_values(out, (float[]){6, 15}, 2, 0.0f);
    tg_kernel_sum_axis(y, 2, 2, 2, out); /* axis 1 of (2, 2, 2) */
    expect_values(out, (float[]){4, 6, 12, 14}, 4, 0.0f);
    tg_kernel_sum_axis(x, 2, 0, 3, out); /* an empty axis sums to 0: (2, 0, 3) -> (2, 3) */
    expect_values(out, (float[]){0, 0, 0, 0, 0, 0}, 6, 0.0f);
}

Test(reduce, max_axis_returns_the_first_maximum)
{
    const float x[] = {3, 1, 3, 2, 5, 5}, tie[] = {1, 7, 1, 7}, neg[] = {-3, -1, -2};
    float out[3];
    int32_t arg[3];
    tg_kernel_max_axis(x, 2, 3, 1, out, arg); /* (2, 3) axis 1: ties in both rows */
    expect_values(out, (float[]){3, 5}, 2, 0.0f);
    cr_assert(arg[0] == 0 && arg[1] == 1, "argmax (%d, %d)", arg[0], arg[1]);
    tg_kernel_max_axis(x, 1, 2, 3, out, arg); /* (2, 3) axis 0 */
    expect_values(out, (float[]){3, 5, 5}, 3, 0.0f);
    cr_assert(arg[0] == 0 && arg[1] == 1 && arg[2] == 1);
    tg_kernel_max_axis(tie, 1, 2, 2, out, arg); /* (2, 2) equal rows, axis 0 */
    cr_assert(arg[0] == 0 && arg[1] == 0);
    tg_kernel_max_axis(neg, 1, 3, 1, out, NULL); /* argmax may be NULL */
    cr_assert_eq(out[0], -1.0f);
    tg_kernel_max_axis((float[]){1, NAN, 3}, 1, 3, 1, out, arg); /* NaN propagates */
    cr_assert(isnan(out[0]) && arg[0] == 1);
}

Test(reduce, sum_all_accumulates_in_double)
{
    cr_assert_eq(tg_kernel_sum_all((float[]){1, 2, 3, 4.5f}, 4), 10.5f);
    cr_assert_eq(tg_kernel_sum_all(NULL, 0), 0.0f);
    int64_t n = 1000000;
    float *x = scratch(n);
    for (int64_t i = 0; i < n; i++) x[i] = 0.1f;
    /* A float accumulator drifts by about 1% here; double stays on 100000. */
    cr_assert_float_eq(tg_kernel_sum_all(x, n), 100000.0f, 0.01f);
    scratch_release();
}

Test(reduce, kernels_give_identical_bits_at_one_and_two_threads)
{
    enum { OUTER = 40, N = 50, INNER = 70 }; /* 140000 elements, above the threshold */
    int64_t size = (int64_t)OUTER * N * INNER, rows = (int64_t)OUTER * INNER;
    float *x = scratch(size), *y = scratch((int64_t)N * INNER);
    float *out[2], *sum[2], *mx[2], *arg[2]; /* arg holds int32_t, same size as float */
    tg_rng r;
    tg_rng_seed(&r, 5, 5);
    fill_random(x, size, &r, -1.0f, 1.0f);
    fill_random(y, (int64_t)N * INNER, &r, 0.5f, 1.5f);
    for (int t = 0; t < 2; t++) {
        tg_set_num_threads(t + 1);
        out[t] = scratch(size), sum[t] = scratch(rows), mx[t] = scratch(rows);
        arg[t] = scratch(rows);
        tg_kernel_binary(TG_BIN_DIV, x, TG_SHAPE(OUTER, N, INNER), y, TG_SHAPE(N, INNER),
                         out[t], TG_SHAPE(OUTER, N, INNER));
        tg_kernel_sum_axis(x, OUTER, N, INNER, sum[t]);
        tg_kernel_max_axis(x, OUTER, N, INNER, mx[t], (int32_t *)arg[t]);
    }
    cr_assert(memcmp(out[0], out[1], (size_t)size * sizeof(float)) == 0);
    cr_assert(memcmp(sum[0], sum[1], (size_t)rows * sizeof(float)) == 0);
    cr_assert(memcmp(mx[0], mx[1], (size_t)rows * sizeof(float)) == 0);
    cr_assert(memcmp(arg[0], arg[1], (size_t)rows * sizeof(int32_t)) == 0);
    scratch_release();
}

/* ---- GEMM ---------------------------------------------------------------------------- */

/* A = [[1, 2, 3], [4, 5, 6]] (2, 3), B = [[7, 8], [9, 10], [11, 12]] (3, 2):
 * A B = [[58, 64], [139, 154]]; with alpha 2, beta 0.5 and C0 = [[1, 2], [3, 4]]:
 * C = [[116.5, 129], [279.5, 310]]. Each operand is also given stored transposed. */
static const float gA[] = {1, 2, 3, 4, 5, 6}, gAt[] = {1, 4, 2, 5, 3, 6};
static const float gB[] = {7, 8, 9, 10, 11, 12}, gBt[] = {7, 9, 11, 8, 10, 12};

typedef void (*gemm_fn)(bool, bool, int, int, int, float, const float *, int, const float *,
                        int, float, float *, int);

static void gemm_hand_case(gemm_fn gemm, bool ta, bool tb)
{
    const float *A = ta ? gAt : gA, *B = tb ? gBt : gB;
    int lda = ta ? 2 : 3, ldb = tb ? 3 : 2;
    float C[4] = {1, 2, 3, 4};
    gemm(ta, tb, 2, 2, 3, 2.0f, A, lda, B, ldb, 0.5f, C, 2);
    expect_values(C, (float[]){116.5f, 129, 279.5f, 310}, 4, 0.0f);
    float D[4] = {NAN, NAN, NAN, NAN}; /* beta = 0 never reads C */
    gemm(ta, tb, 2, 2, 3, 1.0f, A, lda, B, ldb, 0.0f, D, 2);
    expect_values(D, (float[]){58, 64, 139, 154}, 4, 0.0f);
}

Test(gemm, hand_computed_2x3_by_3x2_in_all_transpose_combinations)
{
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            gemm_hand_case(tg_gemm, ta, tb);
            gemm_hand_case(tg_gemm_naive, ta, tb);
        }
}

Test(gemm, zero_depth_scales_c_by_beta_and_empty_c_is_untouched)
{
    float C[4] = {1, 2, 3, 4}, D[4] = {NAN, NAN, NAN, NAN};
    tg_gemm(false, false, 2, 2, 0, 1.0f, NULL, 0, NULL, 2, 0.5f, C, 2);
    expect_values(C, (float[]){0.5f, 1, 1.5f, 2}, 4, 0.0f);
    tg_gemm(false, false, 2, 2, 0, 1.0f, NULL, 0, NULL, 2, 0.0f, D, 2);
    expect_values(D, (float[]){0, 0, 0, 0}, 4, 0.0f);
    tg_gemm_naive(true, true, 2, 2, 0, 1.0f, NULL, 2, NULL, 0, 0.0f, C, 2);
    expect_values(C, (float[]){0, 0, 0, 0}, 4, 0.0f);
    float E[1] = {5};
    tg_gemm(false, false, 0, 3, 4, 1.0f, NULL, 4, NULL, 3, 0.0f, E, 3);
    tg_gemm(false, false, 3, 0, 4, 1.0f, NULL, 4, NULL, 0, 0.0f, E, 0);
    cr_assert_eq(E[0], 5.0f);
}

/* Random op(A) (M, K), op(B) (K, N), C (M, N), rows padded by `pad` floats; fast against
 * naive within 1e-5 of the largest |C|, and the padding is never written. */
static void gemm_vs_naive(int M, int N, int K, bool ta, bool tb, float beta, int pad,
                          tg_rng *r)
{
    int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
    int64_t na = (int64_t)(ta ? K : M) * lda, nb = (int64_t)(tb ? N : K) * ldb;
    int64_t nc = (int64_t)M * ldc;
    float *A = scratch(na), *B = scratch(nb), *C0 = scratch(nc), *C1 = scratch(nc);
    fill_random(A, na, r, -1.0f, 1.0f);
    fill_random(B, nb, r, -1.0f, 1.0f);
    fill_random(C0, nc, r, -1.0f, 1.0f);
    memcpy(C1, C0, (size_t)nc * sizeof(float));
    tg_gemm(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, beta, C0, ldc);
    tg_gemm_naive(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, beta, C1, ldc);
    float scale = fmaxf(max_abs(C1, nc), 1e-30f);
    for (int64_t i = 0; i < nc; i++) {
        float d = fabsf(C0[i] - C1[i]);
        cr_assert(d <= (i % ldc < N ? 1e-5f * scale : 0.0f),
                  "M=%d N=%d K=%d ta=%d tb=%d beta=%g pad=%d: C[%lld][%lld] differs by %g "
                  "(max |C| %g)", M, N, K, ta, tb, (double)beta, pad, (long long)(i / ldc),
                  (long long)(i % ldc), (double)d, (double)scale);
    }
    scratch_release();
}

Test(gemm, fast_matches_naive_at_odd_sizes_in_all_transpose_combinations)
{
    static const int sizes[][3] = {/* M, N, K */
        {1, 1, 1}, {1, 17, 5}, {13, 1, 9}, {7, 33, 65}, {65, 31, 129}, {128, 96, 160},
        {3, 200, 1}};
    tg_rng r;
    tg_rng_seed(&r, 2024, 1);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int beta = 0; beta < 2; beta++)
                    gemm_vs_naive(sizes[s][0], sizes[s][1], sizes[s][2], ta, tb, (float)beta,
                                  (int)(s % 2) * 3, &r);
}

Test(gemm, identical_bits_at_one_and_two_threads)
{
    enum { M = 256, N = 192, K = 320 }; /* M * N * K far above the threading threshold */
    tg_rng r;
    tg_rng_seed(&r, 99, 2);
    float *A = scratch((int64_t)M * K), *B = scratch((int64_t)K * N);
    float *C[2] = {scratch((int64_t)M * N), scratch((int64_t)M * N)};
    fill_random(A, (int64_t)M * K, &r, -1.0f, 1.0f);
    fill_random(B, (int64_t)K * N, &r, -1.0f, 1.0f);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            for (int t = 0; t < 2; t++) {
                tg_set_num_threads(t + 1);
                for (int i = 0; i < M * N; i++) C[t][i] = 0.5f;
                /* A is read as (M, K) or as its transpose (K, M), likewise B. */
                tg_gemm(ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, 1.0f, C[t], N);
            }
            cr_assert(memcmp(C[0], C[1], (size_t)M * N * sizeof(float)) == 0,
                      "ta=%d tb=%d: 1 and 2 threads differ", ta, tb);
        }
    scratch_release();
}

/* ---- RNG ----------------------------------------------------------------------------- */

Test(rng, matches_the_reference_pcg32_stream)
{
    /* pcg32-demo: seed 42, stream 54 */
    static const uint32_t want[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                    0x83d2f293, 0xbfa4784b, 0xcbed606e};
    tg_rng r;
    tg_rng_seed(&r, 42, 54);
    for (int i = 0; i < 6; i++) cr_assert_eq(tg_rng_u32(&r), want[i], "draw %d", i);
}

Test(rng, same_seed_and_stream_repeat_other_streams_differ)
{
    tg_rng a, b, c, d; /* b repeats a; c has another stream, d another seed */
    tg_rng_seed(&a, 123, 0);
    tg_rng_seed(&b, 123, 0);
    tg_rng_seed(&c, 123, 1);
    tg_rng_seed(&d, 124, 0);
    int same_c = 0, same_d = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = tg_rng_u32(&a);
        cr_assert_eq(x, tg_rng_u32(&b));
        same_c += x == tg_rng_u32(&c);
        same_d += x == tg_rng_u32(&d);
    }
    cr_assert_lt(same_c, 5);
    cr_assert_lt(same_d, 5);
}

Test(rng, advance_lands_where_that_many_draws_land)
{
    static const uint64_t deltas[] = {0, 1, 2, 3, 7, 64, 1000, 12345};
    for (size_t i = 0; i < sizeof deltas / sizeof deltas[0]; i++) {
        tg_rng stepped, jumped;
        tg_rng_seed(&stepped, 42, 54 + i);
        jumped = stepped;
        for (uint64_t k = 0; k < deltas[i]; k++) tg_rng_u32(&stepped);
        tg_rng_advance(&jumped, deltas[i]);
        cr_assert_eq(jumped.state, stepped.state, "advance(%llu)", (unsigned long long)deltas[i]);
        cr_assert_eq(tg_rng_u32(&jumped), tg_rng_u32(&stepped));
    }
    /* the LCG's period is 2^64: k draws and then 2^64 - k more come back to the start */
    tg_rng a, start;
    tg_rng_seed(&a, 7, 3);
    start = a;
    tg_rng_advance(&a, 123456789);
    cr_assert_neq(a.state, start.state);
    tg_rng_advance(&a, (uint64_t)0 - 123456789);
    cr_assert_eq(a.state, start.state);
}

Test(rng, shuffle_is_a_seeded_permutation)
{
    enum { N = 1000 };
    int32_t a[N], b[N];
    int seen[N] = {0}, moved = 0;
    for (int i = 0; i < N; i++) a[i] = b[i] = i;
    tg_rng r1, r2;
    tg_rng_seed(&r1, 5, 1);
    tg_rng_seed(&r2, 5, 1);
    tg_rng_shuffle(&r1, a, N);
    tg_rng_shuffle(&r2, b, N);
    cr_expect(memcmp(a, b, sizeof a) == 0, "the same seed gives the same order");
    for (int i = 0; i < N; i++) {
        cr_assert(a[i] >= 0 && a[i] < N);
        seen[a[i]]++;
        moved += a[i] != i;
    }
    for (int i = 0; i < N; i++) cr_expect_eq(seen[i], 1, "value %d appears %d times", i, seen[i]);
    cr_expect_gt(moved, N / 2, "only %d of %d elements moved", moved, N);
    tg_rng_shuffle(&r1, a, 0); /* empty and single arrays are fine */
    tg_rng_shuffle(&r1, a, 1);
}

Test(rng, uniform_lies_in_unit_interval_with_mean_one_half)
{
    enum { N = 100000 };
    float *u = scratch(N);
    double mean, std;
    tg_rng r;
    tg_rng_seed(&r, 1, 0);
    for (int i = 0; i < N; i++) {
        u[i] = tg_rng_uniform(&r);
        cr_assert(u[i] >= 0.0f && u[i] < 1.0f);
    }
    moments(u, N, &mean, &std);
    cr_assert_float_eq(mean, 0.5, 0.01);
    scratch_release();
}

Test(rng, normal_has_mean_zero_and_unit_std)
{
    enum { N = 100000 };
    float *g = scratch(N);
    double mean, std;
    tg_rng r;
    tg_rng_seed(&r, 2, 0);
    for (int i = 0; i < N; i++) {
        g[i] = tg_rng_normal(&r);
        cr_assert(isfinite(g[i]));
    }
    moments(g, N, &mean, &std);
    cr_assert_float_eq(mean, 0.0, 0.02);
    cr_assert_float_eq(std, 1.0, 0.02);
    scratch_release();
}

Test(rng, below_stays_in_range_and_hits_every_value_evenly)
{
    tg_rng r;
    tg_rng_seed(&r, 3, 0);
    int count[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint32_t v = tg_rng_below(&r, 7);
        cr_assert_lt(v, 7u);
        count[v]++;
    }
    for (int v = 0; v < 7; v++) cr_assert(abs(count[v] - 10000) < 500, "%d: %d", v, count[v]);
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(tg_rng_below(&r, 1), 0u);
        cr_assert_lt(tg_rng_below(&r, 0x80000001u), 0x80000001u);
    }
}

Test(rng, fills_respect_range_and_moments)
{
    tg_rng r;
    tg_rng_seed(&r, 4, 0);
    tg_tensor *t = tg_tensor_new(TG_SHAPE(200, 250));
    double mean, std;
    tg_fill_uniform(t, &r, -3.0f, 5.0f);
    for (int64_t i = 0; i < t->size; i++) cr_assert(t->data[i] >= -3.0f && t->data[i] < 5.0f);
    tg_fill_normal(t, &r, 3.0f, 2.0f);
    moments(t->data, t->size, &mean, &std);
    cr_assert_float_eq(mean, 3.0, 0.04);
    cr_assert_float_eq(std, 2.0, 0.04);
    tg_tensor_free(t);
}

/* ---- initializers -------------------------------------------------------------------- */

/* Every |w| <= bound, and the largest comes close to it (the interval is really used). */
static void expect_spread(const tg_tensor *t, float bound)
{
    float m = max_abs(t->data, t->size);
    cr_assert(m <= bound, "max |w| %g above bound %g", (double)m, (double)bound);
    cr_assert(m > 0.9f * bound, "max |w| %g far below bound %g", (double)m, (double)bound);
}

Test(init, uniform_fan_is_bounded_by_one_over_sqrt_fan_in)
{
    tg_rng r;
    tg_rng_seed(&r, 5, 0);
    tg_tensor *w = tg_tensor_new(TG_SHAPE(32, 16));
    tg_init_uniform_fan(w, &r, 16);
    expect_spread(w, 0.25f);
    tg_tensor_free(w);
}

Test(init, glorot_uniform_is_bounded_by_the_fan_sum)
{
    tg_rng r;
    tg_rng_seed(&r, 6, 0);
    tg_tensor *w = tg_tensor_new(TG_SHAPE(20, 30)); /* (fan_out, fan_in) */
    tg_init_glorot_uniform(w, &r, 1.0f);
    expect_spread(w, sqrtf(6.0f / 50.0f));
    tg_init_glorot_uniform(w, &r, 2.0f);
    expect_spread(w, 2.0f * sqrtf(6.0f / 50.0f));
    tg_tensor *w3 = tg_tensor_new(TG_SHAPE(4, 3, 5)); /* viewed as (4, 15) */
    tg_init_glorot_uniform(w3, &r, 1.0f);
    cr_assert(max_abs(w3->data, w3->size) <= sqrtf(6.0f / 19.0f));
    FREE_ALL(w, w3);
}

/* max |G - gain^2 I| where G is W W^T (rows <= cols) or W^T W, computed in double. */
static double orthogonality_error(const tg_tensor *w, double gain)
{
    int rows = w->shape[0], cols = (int)(w->size / rows);
    bool by_rows = rows <= cols;
    int m = by_rows ? rows : cols, len = by_rows ? cols : rows;
    double worst = 0.0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            double dot = 0.0;
            for (int k = 0; k < len; k++) {
                double x = by_rows ? w->data[i * cols + k] : w->data[k * cols + i];
                double y = by_rows ? w->data[j * cols + k] : w->data[k * cols + j];
                dot += x * y;
            }
            worst = fmax(worst, fabs(dot - (i == j ? gain * gain : 0.0)));
        }
    return worst;
}

Test(init, orthogonal_gives_orthonormal_rows_or_columns)
{
    static const int shapes[][2] = {{4, 4}, {3, 7}, {9, 2}, {64, 64}, {1, 5}, {5, 1}};
    tg_rng r;
    tg_rng_seed(&r, 7, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        tg_tensor *w = tg_tensor_new(TG_SHAPE(shapes[s][0], shapes[s][1]));
        tg_init_orthogonal(w, &r, 1.0f);
        double err = orthogonality_error(w, 1.0);
        cr_assert(err < 1e-5, "(%d, %d): error %g", shapes[s][0], shapes[s][1], err);
        tg_tensor_free(w);
    }
}

Test(init, orthogonal_scales_by_gain_and_flattens_higher_ranks)
{
    tg_rng r;
    tg_rng_seed(&r, 8, 0);
    tg_tensor *w = tg_tensor_new(TG_SHAPE(3, 7));
    tg_init_orthogonal(w, &r, 2.0f);
    cr_assert(orthogonality_error(w, 2.0) < 4e-5);
    tg_tensor *w3 = tg_tensor_new(TG_SHAPE(2, 3, 4)); /* viewed as (2, 12) */
    tg_init_orthogonal(w3, &r, 1.0f);
    cr_assert(orthogonality_error(w3, 1.0) < 1e-5);
    FREE_ALL(w, w3);
}

Test(init, same_seed_gives_the_same_weights)
{
    tg_rng r1, r2;
    tg_rng_seed(&r1, 9, 4);
    tg_rng_seed(&r2, 9, 4);
    tg_tensor *a = tg_tensor_new(TG_SHAPE(6, 5)), *b = tg_tensor_new(TG_SHAPE(6, 5));
    tg_init_orthogonal(a, &r1, 1.0f);
    tg_init_orthogonal(b, &r2, 1.0f);
    cr_assert(memcmp(a->data, b->data, (size_t)a->size * sizeof(float)) == 0);
    FREE_ALL(a, b);
}

/* Adaptive threads: the rule that sizes the team from other processes' load. */
Test(threads, team_takes_the_cores_others_leave_more_than_half_free)
{
    cr_expect_eq(tg_threads_for_load(2, 2, 0.0), 2);   /* quiet machine */
    cr_expect_eq(tg_threads_for_load(2, 2, 0.3), 2);   /* a background blip */
    cr_expect_eq(tg_threads_for_load(2, 2, 1.0), 1);   /* one busy process on 2 cores */
    cr_expect_eq(tg_threads_for_load(2, 2, 2.0), 1);   /* never fewer than 1 */
    cr_expect_eq(tg_threads_for_load(4, 64, 10.0), 4); /* a big machine has room */
    cr_expect_eq(tg_threads_for_load(8, 8, 2.6), 5);
    cr_expect_eq(tg_threads_for_load(2, 2, -0.1), 2);  /* accounting noise below zero */
    cr_expect_eq(tg_threads_for_load(2, 2, NAN), 2);
    cr_expect_eq(tg_threads_for_load(0, 2, 0.0), 1);
}

Test(threads, set_num_threads_sets_the_team_and_ignores_nonpositive)
{
    tg_set_adaptive_threads(false);
    tg_set_num_threads(2);
    int n = tg_num_threads();
#ifdef _OPENMP
    cr_expect_eq(n, 2);
#else
    cr_expect_eq(n, 1);
#endif
    tg_set_num_threads(0);
    tg_set_num_threads(-3);
    cr_expect_eq(tg_num_threads(), n);
    tg_threads_tick(); /* adaptive off: keeps the team */
    cr_expect_eq(tg_num_threads(), n);
}
