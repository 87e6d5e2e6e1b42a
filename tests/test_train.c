/* tests/test_train.c — saving and loading parameters as safetensors: bit-exact round
 * trips, atomic writes, and rejection of truncated, malformed or mismatched files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tapegrad.h"
#include "contract.h"

static char tt_dir[256];

static void tt_setup(void)
{
    snprintf(tt_dir, sizeof tt_dir, "/tmp/tapegrad-test-%d", (int)getpid());
    mkdir(tt_dir, 0700);
}

static void tt_teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tt_dir);
    if (tt_dir[0] && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tt_dir);
}

static void tt_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tt_dir, name);
}

static tg_params *tt_model(uint64_t seed)
{
    tg_params *ps = tg_params_new();
    tg_rng rng;
    tg_rng_seed(&rng, seed, 0);
    tg_rnn_opts o = tg_rnn_defaults();
    o.num_layers = 2;
    tg_rnn *r = tg_rnn_new(ps, "gru", &tg_cell_gru, 3, 5, &o, &rng);
    tg_rnn_free(r); /* the weights stay in the store */
    tg_linear_layer_new(ps, "fc", 5, 1, true, &rng);
    return ps;
}

static long tt_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static unsigned char *tt_read(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    *n = tt_size(path);
    unsigned char *b = malloc((size_t)*n);
    cr_assert_eq(fread(b, 1, (size_t)*n, f), (size_t)*n);
    fclose(f);
    return b;
}

static void tt_write(const char *path, const void *b, long n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(b, 1, (size_t)n, f);
    fclose(f);
}

Test(safetensors, round_trip_is_bit_exact, .init = tt_setup, .fini = tt_teardown)
{
    char path[512];
    tt_path(path, sizeof path, "model.safetensors");
    tg_params *a = tt_model(1), *b = tt_model(2);
    tg_params_at(a, 0)->data[1] = -0.0f; /* odd values survive too */
    tg_params_at(a, 0)->data[2] = 1e-40f; /* subnormal */
    cr_assert_eq(tg_params_save(a, path), TG_OK, "%s", tg_last_error());
    cr_assert_eq(tg_params_load(b, path), TG_OK, "%s", tg_last_error());
    for (int i = 0; i < tg_params_count(a); i++) {
        tg_tensor *x = tg_params_at(a, i), *y = tg_params_at(b, i);
        cr_expect(memcmp(x->data, y->data, sizeof(float) * (size_t)x->size) == 0, "%s", x->name);
    }
    /* The generic writer keeps even NaN (tg_params_save refuses it: see below); the generic
     * loader sees the same names and shapes, in order. */
    tg_params_at(a, 0)->data[0] = NAN;
    const char *names[1] = {tg_params_at(a, 0)->name};
    const tg_tensor *ts[1] = {tg_params_at(a, 0)};
    cr_assert_eq(tg_safetensors_save(path, 1, names, ts), TG_OK, "%s", tg_last_error());
    tg_named_tensors one;
    cr_assert_eq(tg_safetensors_load(path, &one), TG_OK, "%s", tg_last_error());
    cr_expect(memcmp(one.tensors[0]->data, ts[0]->data, sizeof(float) * (size_t)ts[0]->size) == 0);
    tg_named_tensors_free(&one);
    tg_params_at(a, 0)->data[0] = 0.5f;
    cr_assert_eq(tg_params_save(a, path), TG_OK, "%s", tg_last_error());
    tg_named_tensors nt;
    cr_assert_eq(tg_safetensors_load(path, &nt), TG_OK, "%s", tg_last_error());
    cr_expect_eq(nt.n, tg_params_count(a));
    cr_expect_str_eq(nt.names[0], "gru.weight_ih_l0");
    cr_expect(tg_shape_equal(nt.tensors[0], tg_params_at(a, 0)));
    tg_named_tensors_free(&nt);
    tg_params_free(a);
    tg_params_free(b);
}

Test(safetensors, header_is_json_with_pytorch_names, .init = tt_setup, .fini = tt_teardown)
{
    char path[512];
    tt_path(path, sizeof path, "h.safetensors");
    tg_params *a = tt_model(1);
    cr_assert_eq(tg_params_save(a, path), TG_OK);
    long n;
    unsigned char *b = tt_read(path, &n);
    uint64_t hl = 0;
    for (int k = 7; k >= 0; k--) hl = (hl << 8) | b[k];
    cr_expect_eq(hl % 8, 0, "header padded to 8 bytes");
    char *h = strndup((char *)b + 8, (size_t)hl);
    cr_expect(strstr(h, "\"gru.weight_hh_l1\":{\"dtype\":\"F32\",\"shape\":[15,5]"), "%s", h);
    cr_expect(strstr(h, "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[1]"), "%s", h);
    cr_expect(strstr(h, "\"__metadata__\":{\"format\":\"pt\""), "%s", h);
    free(h);
    free(b);
    tg_params_free(a);
}

Test(safetensors, failed_save_keeps_the_previous_file, .init = tt_setup, .fini = tt_teardown)
{
    char path[512], tmp[600];
    tt_path(path, sizeof path, "keep.safetensors");
    tg_params *a = tt_model(1);
    cr_assert_eq(tg_params_save(a, path), TG_OK);
    long before = tt_size(path);
    /* Block the temporary file: a directory sits where <path>.tmp would be written. */
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_assert_eq(mkdir(tmp, 0700), 0);
    cr_expect_eq(tg_params_save(a, path), TG_ERR_IO);
    cr_expect(strstr(tg_last_error(), "keep.safetensors"), "%s", tg_last_error());
    cr_expect_eq(tt_size(path), before);
    tg_params *b = tt_model(3);
    cr_expect_eq(tg_params_load(b, path), TG_OK, "the old file still loads: %s", tg_last_error());
    rmdir(tmp);
    tg_params_free(a);
    tg_params_free(b);
}

/* Loads `bytes` into a fresh model and expects TG_ERR_FORMAT with nothing changed. */
static void tt_expect_rejected(const char *path, const char *why_substring)
{
    tg_params *b = tt_model(9);
    tg_params *ref = tt_model(9);
    tg_status st = tg_params_load(b, path);
    cr_expect_eq(st, TG_ERR_FORMAT, "status %d for a bad file: %s", st, tg_last_error());
    if (why_substring)
        cr_expect(strstr(tg_last_error(), why_substring), "want \"%s\" in: %s", why_substring,
                  tg_last_error());
    for (int i = 0; i < tg_params_count(b); i++)
        cr_expect(memcmp(tg_params_at(b, i)->data, tg_params_at(ref, i)->data,
                         sizeof(float) * (size_t)tg_params_at(b, i)->size) == 0,
                  "a rejected load changed %s", tg_params_at(b, i)->name);
    tg_params_free(b);
    tg_params_free(ref);
}

Test(safetensors, every_truncation_is_rejected_without_changes, .init = tt_setup, .fini = tt_teardown)
{
    char path[512], cut[512];
    tt_path(path, sizeof path, "full.safetensors");
    tt_path(cut, sizeof cut, "cut.safetensors");
    tg_params *a = tt_model(1);
    cr_assert_eq(tg_params_save(a, path), TG_OK);
    long n;
    unsigned char *b = tt_read(path, &n);
    for (long len = 0; len < n; len += (len < 600 ? 1 : 97)) {
        tt_write(cut, b, len);
        tt_expect_rejected(cut, NULL);
    }
    free(b);
    tg_params_free(a);
}

Test(safetensors, malformed_headers_wrong_shapes_and_names_are_rejected, .init = tt_setup, .fini = tt_teardown)
{
    char path[512];
    tt_path(path, sizeof path, "bad.safetensors");
    struct {
        const char *header;
        const char *why;
        int data; /* bytes of data after the header */
    } cases[] = {
        {"not json at all!", "not valid JSON", 16},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "not valid JSON", 4},
        {"{\"gru.weight_ih_l0\":{\"dtype\":\"I64\",\"shape\":[15,3],\"data_offsets\":[0,360]}}",
         "dtype I64", 360},
        {"{\"gru.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[15,3],\"data_offsets\":[0,400]}}",
         "45 elements of F32 do not fill", 400},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "an overlap", 12},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", "a hole", 12},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "duplicate", 8},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
         "trailing bytes", 16},
        {"{\"unknown.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
         "not a parameter", 8},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
         "shape (2) in the file but (1)", 8},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
         "missing from the file", 4},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}",
         "5 dimensions", 4},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1073741824,1073741824,4],"
         "\"data_offsets\":[0,0]}}", "overflows 64 bits", 0},
        {"{\"__metadata__\":{\"k\":3}}", "metadata \"k\" is not a string", 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t hl = strlen(cases[k].header);
        unsigned char buf[1024] = {0};
        for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
        memcpy(buf + 8, cases[k].header, hl);
        tt_write(path, buf, (long)(8 + hl + (size_t)cases[k].data));
        tt_expect_rejected(path, cases[k].why);
    }
}

Test(safetensors, a_flipped_data_byte_fails_the_checksum, .init = tt_setup, .fini = tt_teardown)
{
    char path[512];
    tt_path(path, sizeof path, "flip.safetensors");
    tg_params *a = tt_model(1);
    cr_assert_eq(tg_params_save(a, path), TG_OK);
    long n;
    unsigned char *b = tt_read(path, &n);
    b[n - 3] ^= 0x10;
    tt_write(path, b, n);
    tt_expect_rejected(path, "CRC-32");
    free(b);
    tg_params_free(a);
}

Test(safetensors, missing_file_is_an_io_error)
{
    tg_params *a = tt_model(1);
    cr_expect_eq(tg_params_load(a, "/nonexistent/dir/x.safetensors"), TG_ERR_IO);
    cr_expect(strstr(tg_last_error(), "/nonexistent/dir/x.safetensors"), "%s", tg_last_error());
    tg_params_free(a);
}

/* ---- the sequential model and fit -------------------------------------------------------- */

/* Sine windows: x (n, T, 1) = sin(0.3 (i + t)), y (n, 1) = the next value. */
static void tt_sine(int n, int T, tg_tensor **x, tg_tensor **y)
{
    *x = tg_tensor_new(TG_SHAPE(n, T, 1));
    *y = tg_tensor_new(TG_SHAPE(n, 1));
    for (int i = 0; i < n; i++) {
        for (int t = 0; t < T; t++) (*x)->data[i * T + t] = sinf(0.3f * (float)(i + t));
        (*y)->data[i] = sinf(0.3f * (float)(i + T));
    }
}

static tg_model *tt_small_model(const tg_cell_type *cell, double lr)
{
    tg_model *m = tg_model_new(7);
    tg_model_input(m, 12, 1);
    tg_model_rnn(m, cell, 8, false);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_adam_opts ao = tg_adam_defaults();
    ao.lr = lr;
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_adam(tg_model_params(m), &ao));
    return m;
}

/* Rows of a batch run apart with tg_model_batch_slice (as the ranks of dist/ run them)
 * get the rows the whole batch gets, dropout included: the dropout layers' masks and the
 * dropout between stacked recurrent layers are the global batch's, and the dropout stream
 * ends where the whole batch leaves it. Without MPI, in one process. */
Test(model, batch_slices_drop_what_the_whole_batch_drops)
{
    enum { B = 7, T = 4, F = 2 };
    tg_model *m = tg_model_new(5);
    tg_model_input(m, T, F);
    tg_rnn_opts ro = tg_rnn_defaults();
    ro.num_layers = 2, ro.dropout = 0.3f, ro.return_sequences = true;
    tg_model_rnn_opts(m, &tg_cell_gru, 6, &ro);
    tg_model_dropout(m, 0.4f);
    tg_model_rnn(m, &tg_cell_lstm, 5, false);
    tg_model_dropout(m, 0.4f);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_tensor *x = tg_tensor_new(TG_SHAPE(B, T, F));
    for (int64_t i = 0; i < x->size; i++) x->data[i] = sinf(0.7f * (float)i);
    tg_tape *tp = tg_tape_new();
    tg_rng *rng = tg_model_dropout_rng(m), start = *rng;
    float whole[B];
    tg_tensor *y = tg_model_forward(tp, m, x, true); /* (B, 1) */
    memcpy(whole, y->data, sizeof whole);
    tg_rng end = *rng;
    static const int cuts[][2] = {{0, 3}, {3, 7}, {0, 1}, {6, 7}, {2, 6}};
    for (int c = 0; c < 5; c++) {
        int r0 = cuts[c][0], r1 = cuts[c][1];
        tg_tensor *xs = tg_tensor_new(TG_SHAPE(r1 - r0, T, F));
        memcpy(xs->data, x->data + r0 * T * F, sizeof(float) * (size_t)xs->size);
        *rng = start;
        tg_tape_reset(tp);
        tg_model_batch_slice(m, r0, B);
        tg_tensor *ys = tg_model_forward(tp, m, xs, true);
        tg_model_batch_slice(m, 0, 0);
        for (int r = r0; r < r1; r++)
            cr_expect(ys->data[r - r0] == whole[r], "rows [%d, %d): row %d %.9g, whole %.9g",
                      r0, r1, r, (double)ys->data[r - r0], (double)whole[r]);
        cr_expect(rng->state == end.state, "rows [%d, %d): the dropout stream", r0, r1);
        tg_tensor_free(xs);
    }
    /* without the slice the same rows drop other elements: the check above can fail */
    tg_tensor *xs = tg_tensor_new(TG_SHAPE(4, T, F));
    memcpy(xs->data, x->data + 3 * T * F, sizeof(float) * (size_t)xs->size);
    *rng = start;
    tg_tape_reset(tp);
    tg_tensor *ys = tg_model_forward(tp, m, xs, true);
    int same = 0;
    for (int r = 0; r < 4; r++) same += ys->data[r] == whole[3 + r];
    cr_expect(same < 4, "rows 3..6 without the slice matched the whole batch");
    EXPECT_RAISES(tg_model_batch_slice(m, 7, 7));
    EXPECT_MSG_HAS("tg_model_batch_slice");
    EXPECT_MSG_HAS("rows from 7 of a batch of 7");
    EXPECT_RAISES(tg_model_batch_slice(m, 1, 0));
    EXPECT_MSG_HAS("test_train.c:");
    tg_model_batch_slice(m, 5, 7); /* rows 5..8 of 7: the forward says so, in its words */
    EXPECT_RAISES(tg_model_forward(tp, m, xs, true));
    EXPECT_MSG_HAS("tg_model_forward: the batch's 4 rows from row 5 do not fit");
    tg_model_batch_slice(m, 0, 0);
    tg_tensor_free(xs);
    tg_tensor_free(x);
    tg_tape_free(tp);
    tg_model_free(m);
}

Test(fit, lowers_the_loss_and_keeps_a_history)
{
    tg_tensor *x, *y;
    tt_sine(200, 12, &x, &y);
    tg_model *m = tt_small_model(&tg_cell_gru, 1e-2);
    tg_fit_opts o = tg_fit_defaults();
    o.epochs = 15;
    o.verbose = 0;
    o.validation_split = 0.2;
    tg_history h;
    cr_assert_eq(tg_model_fit(m, x, y, &o, &h), TG_OK, "%s", tg_last_error());
    cr_expect_eq(h.epochs, 15);
    cr_expect_lt(h.loss[14], h.loss[0] / 10, "loss %g -> %g", (double)h.loss[0], (double)h.loss[14]);
    cr_expect_lt(h.loss[14], 0.01f);
    cr_expect(isfinite(h.val_loss[14]) && h.val_loss[14] < 0.01f, "val_loss %g", (double)h.val_loss[14]);
    /* evaluate agrees with the mean squared error of predict */
    tg_tensor *pred;
    cr_assert_eq(tg_model_predict(m, x, 64, &pred), TG_OK);
    cr_expect(pred->ndim == 2 && pred->shape[0] == 200 && pred->shape[1] == 1);
    double mse = 0;
    for (int i = 0; i < 200; i++) mse += pow(pred->data[i] - y->data[i], 2) / 200;
    float ev;
    cr_assert_eq(tg_model_evaluate(m, x, y, 64, &ev), TG_OK);
    cr_expect(fabs(ev - mse) < 1e-6 + 1e-4 * mse, "evaluate %g vs %g", (double)ev, mse);
    tg_tensor_free(pred);
    tg_history_free(&h);
    tg_model_free(m);
    tg_tensor_free(x);
    tg_tensor_free(y);
}

static bool tt_no_progress(const tg_epoch_info *e, void *user)
{
    ((uint64_t *)user)[e->epoch < 8 ? e->epoch : 7] = tg_heap_alloc_count();
    return true;
}

Test(fit, steps_after_the_first_epoch_allocate_nothing)
{
    tg_tensor *x, *y;
    tt_sine(100, 12, &x, &y);
    tg_model *m = tt_small_model(&tg_cell_lstm, 1e-3);
    tg_fit_opts o = tg_fit_defaults();
    o.epochs = 4;
    o.verbose = 0;
    o.validation_split = 0.25; /* the validation pass allocates nothing either */
    uint64_t at[8] = {0};
    o.on_epoch = tt_no_progress;
    o.user = at;
    cr_assert_eq(tg_model_fit(m, x, y, &o, NULL), TG_OK, "%s", tg_last_error());
    cr_expect_eq(at[3], at[1], "epochs 3 and 4 made %llu heap allocations",
                 (unsigned long long)(at[3] - at[1]));
    tg_model_free(m);
    tg_tensor_free(x);
    tg_tensor_free(y);
}

Test(fit, early_stopping_restores_the_best_epoch)
{
    tg_tensor *x, *y;
    tt_sine(64, 12, &x, &y);
    /* lr = 0: the loss never improves after the first epoch. */
    tg_model *m = tt_small_model(&tg_cell_gru, 0.0);
    tg_fit_opts o = tg_fit_defaults();
    o.epochs = 50;
    o.verbose = 0;
    o.patience = 2;
    o.restore_best = true;
    tg_history h;
    cr_assert_eq(tg_model_fit(m, x, y, &o, &h), TG_OK, "%s", tg_last_error());
    cr_expect(h.stopped_early);
    cr_expect_eq(h.epochs, 3);
    cr_expect_eq(h.best_epoch, 0);
    tg_history_free(&h);
    tg_model_free(m);
    tg_tensor_free(x);
    tg_tensor_free(y);
}

Test(fit, a_nan_in_the_data_is_named_at_its_source)
{
    tg_tensor *x, *y;
    tt_sine(64, 12, &x, &y);
    y->data[40] = NAN; /* in the second batch of 32 */
    tg_model *m = tt_small_model(&tg_cell_gru, 1e-3);
    tg_fit_opts o = tg_fit_defaults();
    o.epochs = 5;
    o.verbose = 0; /* shuffled: the message still names the sample's index in y */
    tg_history h;
    cr_expect_eq(tg_model_fit(m, x, y, &o, &h), TG_ERR_NUMERIC);
    cr_expect(strstr(tg_last_error(), "y holds NaN at sample 40"), "%s", tg_last_error());
    cr_expect_eq(h.epochs, 0);
    tg_history_free(&h);
    y->data[40] = 0.5f;
    x->data[7 * 12 + 5] = INFINITY; /* sample 7, step 5 */
    float loss;
    cr_expect_eq(tg_model_evaluate(m, x, y, 16, &loss), TG_ERR_NUMERIC);
    cr_expect(strstr(tg_last_error(), "x holds Inf at sample 7, step 5, feature 0"), "%s",
              tg_last_error());
    o.validation_split = 0.25; /* the last 16 samples validate: sample 60 is one of them */
    x->data[7 * 12 + 5] = 0.0f;
    x->data[60 * 12 + 2] = NAN;
    cr_expect_eq(tg_model_fit(m, x, y, &o, &h), TG_ERR_NUMERIC);
    cr_expect(strstr(tg_last_error(), "validation x holds NaN at sample 60, step 2"), "%s",
              tg_last_error());
    tg_history_free(&h);
    tg_model_free(m);
    tg_tensor_free(x);
    tg_tensor_free(y);
}

Test(model, seed_study_models_have_keras_names_and_parameter_counts)
{
    /* GRU(50, seq) -> Dropout -> GRU(100) -> Dropout -> Dense(1) on 60 x 1.
     * A GRU layer has 3 (H I + H H + 2 H) parameters (two biases: PyTorch, and Keras'
     * reset_after=True): 3 (50 + 2500 + 100) = 7950 and 3 (5000 + 10000 + 200) = 45600;
     * dense 101. An LSTM layer has 4 (H I + H H + 2 H): 10600 + 60800 + 101. */
    const tg_cell_type *cells[2] = {&tg_cell_gru, &tg_cell_lstm};
    int64_t want[2] = {7950 + 45600 + 101, 10600 + 60800 + 101};
    for (int k = 0; k < 2; k++) {
        tg_model *m = tg_model_new(42);
        tg_model_set_init(m, TG_INIT_KERAS);
        tg_model_input(m, 60, 1);
        tg_model_rnn(m, cells[k], 50, true);
        tg_model_dropout(m, 0.2f);
        tg_model_rnn(m, cells[k], 100, false);
        tg_model_dropout(m, 0.2f);
        tg_model_dense(m, 1, TG_ACT_NONE);
        cr_expect_eq(tg_model_param_count(m), want[k]);
        char second[64];
        snprintf(second, sizeof second, "%s_1.weight_hh_l0", cells[k]->name);
        cr_expect_not_null(tg_params_get(tg_model_params(m), second), "%s", second);
        cr_expect_not_null(tg_params_get(tg_model_params(m), "dense.weight"));
        char buf[1024] = {0};
        FILE *f = fmemopen(buf, sizeof buf - 1, "w");
        tg_model_summary(m, f);
        fclose(f);
        cr_expect(strstr(buf, "(None, 60, 50)") && strstr(buf, "(None, 100)") &&
                      strstr(buf, "dropout_1"),
                  "%s", buf);
        tg_model_free(m);
    }
}

/* ---- variable-length sequences through the model ------------------------------------------ */

/* x (N, T, 1): sample i has lengths[i] real steps of a sine, NaN past them; y (N, T, 1) the
 * next value of the sine, NaN past the length too. */
static void tt_padded_data(int N, int T, int32_t *lengths, tg_tensor **x, tg_tensor **y)
{
    *x = tg_tensor_new(3, (int[]){N, T, 1});
    *y = tg_tensor_new(3, (int[]){N, T, 1});
    for (int i = 0; i < N; i++) {
        lengths[i] = 2 + (i * 5) % (T - 1);
        for (int k = 0; k < T; k++) {
            bool real = k < lengths[i];
            (*x)->data[i * T + k] = real ? sinf(0.3f * (float)(i + k)) : NAN;
            (*y)->data[i * T + k] = real ? sinf(0.3f * (float)(i + k + 1)) : NAN;
        }
    }
}

Test(fit, variable_lengths_train_evaluate_and_predict_with_nan_padding)
{
    enum { N = 48, T = 10 };
    int32_t lengths[N];
    tg_tensor *x, *y;
    tt_padded_data(N, T, lengths, &x, &y);
    tg_model *m = tg_model_new(3);
    tg_model_input(m, T, 1);
    tg_model_rnn(m, &tg_cell_gru, 12, true); /* (B, T, 12) */
    tg_model_dense(m, 1, TG_ACT_NONE);       /* (B, T, 1) */
    tg_adam_opts ao = tg_adam_defaults();
    ao.lr = 1e-2;
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_adam(tg_model_params(m), &ao));
    tg_fit_opts fo = tg_fit_defaults();
    fo.epochs = 30, fo.batch_size = 16, fo.verbose = 0, fo.lengths = lengths;
    fo.validation_split = 0.25;
    tg_history h;
    cr_assert_eq(tg_model_fit(m, x, y, &fo, &h), TG_OK, "%s", tg_last_error());
    cr_expect(isfinite(h.loss[h.epochs - 1]) && isfinite(h.val_loss[h.epochs - 1]));
    cr_expect_lt(h.loss[h.epochs - 1], 0.5f * h.loss[0], "%g -> %g", h.loss[0],
                 h.loss[h.epochs - 1]);
    /* evaluate = the mean squared error over the real steps of predict's outputs */
    tg_tensor *pred;
    cr_assert_eq(tg_model_predict_padded(m, x, lengths, 16, &pred), TG_OK);
    double sum = 0;
    int64_t count = 0;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < T; k++) {
            float p = pred->data[i * T + k];
            if (k >= lengths[i]) {
                cr_expect(isfinite(p), "a padded step's output should be finite");
                continue;
            }
            double d = (double)p - y->data[i * T + k];
            sum += d * d, count++;
        }
    float loss;
    cr_assert_eq(tg_model_evaluate_padded(m, x, y, lengths, 16, &loss), TG_OK);
    cr_expect(fabs(loss - sum / (double)count) < 1e-5 * (1 + sum / count), "%g vs %g",
              (double)loss, sum / (double)count);
    lengths[3] = T + 1;
    cr_expect_eq(tg_model_evaluate_padded(m, x, y, lengths, 16, &loss), TG_ERR_ARG);
    cr_expect(strstr(tg_last_error(), "lengths[3] = 11 is outside 1..10"), "%s", tg_last_error());
    tg_tensor_free(pred);
    tg_history_free(&h);
    tg_model_free(m);
    tg_tensor_free(x), tg_tensor_free(y);
}

/* A last-step model on padded samples predicts what it predicts for each sample alone,
 * cut to its length. */
Test(model, padded_last_step_predictions_equal_each_sample_alone)
{
    enum { N = 6, T = 7 };
    int32_t lengths[N];
    tg_tensor *x, *y;
    tt_padded_data(N, T, lengths, &x, &y);
    tg_model *m = tg_model_new(9);
    tg_model_input(m, T, 1);
    tg_model_rnn(m, &tg_cell_lstm, 8, false);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_tensor *pred;
    cr_assert_eq(tg_model_predict_padded(m, x, lengths, 4, &pred), TG_OK);
    tg_tape *tp = tg_tape_new();
    tg_tape_set_grad(tp, false);
    for (int i = 0; i < N; i++) {
        tg_tape_reset(tp);
        tg_tensor *xi = tg_tape_tensor(tp, 3, (int[]){1, lengths[i], 1}, x->data + i * T);
        float alone = tg_model_forward(tp, m, xi, false)->data[0];
        cr_expect(fabsf(pred->data[i] - alone) <= 1e-6f * (1 + fabsf(alone)), "sample %d: %g vs %g",
                  i, pred->data[i], alone);
    }
    tg_tape_free(tp);
    tg_tensor_free(pred);
    tg_model_free(m);
    tg_tensor_free(x), tg_tensor_free(y);
}

/* ---- restore_best as Keras 3: however the fit ends, from a buffer that was written --------- */

typedef struct tt_snap {
    tg_model *m;
    float w[8][512];
    int64_t n;
    int stop_after;
} tt_snap;

static bool tt_snapshot(const tg_epoch_info *e, void *user)
{
    tt_snap *s = user;
    tg_params *ps = tg_model_params(s->m);
    int64_t k = 0;
    for (int i = 0; i < tg_params_count(ps); i++) {
        const tg_tensor *p = tg_params_at(ps, i);
        memcpy(s->w[e->epoch] + k, p->data, sizeof(float) * (size_t)p->size);
        k += p->size;
    }
    s->n = k;
    return e->epoch + 1 < s->stop_after;
}

static void tt_weights(tg_model *m, float *out)
{
    tg_params *ps = tg_model_params(m);
    for (int i = 0, k = 0; i < tg_params_count(ps); i++) {
        const tg_tensor *p = tg_params_at(ps, i);
        memcpy(out + k, p->data, sizeof(float) * (size_t)p->size);
        k += (int)p->size;
    }
}

Test(fit, restore_best_acts_however_the_fit_ends)
{
    tg_tensor *x, *y;
    tt_sine(64, 12, &x, &y);
    static tt_snap snap;
    static float now_w[512];
    for (int how = 0; how < 2; how++) { /* 0: the epochs run out; 1: on_epoch says stop */
        tg_model *m = tt_small_model(&tg_cell_gru, 0.3); /* a large lr: the loss wanders */
        tg_fit_opts o = tg_fit_defaults();
        o.epochs = how == 0 ? 8 : 50, o.verbose = 0, o.restore_best = true;
        o.validation_split = 0.25;
        snap = (tt_snap){.m = m, .stop_after = how == 0 ? 100 : 6};
        o.on_epoch = tt_snapshot, o.user = &snap;
        tg_history h;
        cr_assert_eq(tg_model_fit(m, x, y, &o, &h), TG_OK, "%s", tg_last_error());
        cr_assert_leq(snap.n, 512);
        cr_expect_eq(h.epochs, how == 0 ? 8 : 6);
        float lowest = INFINITY;
        int best = -1;
        for (int e = 0; e < h.epochs; e++)
            if (h.val_loss[e] < lowest) lowest = h.val_loss[e], best = e;
        cr_expect_eq(h.best_epoch, best);
        cr_expect_neq(best, h.epochs - 1, "the test needs a best epoch before the last");
        tt_weights(m, now_w);
        cr_expect_arr_eq(now_w, snap.w[best], sizeof(float) * (size_t)snap.n,
                         "case %d: the weights are not the best epoch's (%d)", how, best);
        tg_history_free(&h);
        tg_model_free(m);
    }
    tg_tensor_free(x), tg_tensor_free(y);
}

/* A validation loss that is never finite: an error naming it, and no restore from a buffer
 * that was never written (the weights stay the trained, finite ones). */
Test(fit, never_finite_validation_loss_restores_nothing)
{
    tg_tensor *x, *y;
    tt_sine(64, 12, &x, &y);
    for (int i = 48; i < 64; i++) y->data[i] = 1e30f; /* the validation part: loss overflows */
    tg_model *m = tt_small_model(&tg_cell_gru, 1e-2);
    tg_fit_opts o = tg_fit_defaults();
    o.epochs = 3, o.verbose = 0, o.restore_best = true, o.patience = 1;
    o.validation_split = 0.25;
    tg_history h;
    cr_expect_eq(tg_model_fit(m, x, y, &o, &h), TG_ERR_NUMERIC);
    cr_expect(strstr(tg_last_error(), "the loss is infinite on the batch of samples 48"), "%s",
              tg_last_error());
    static float w[512];
    tt_weights(m, w);
    bool finite = true, nonzero = false;
    for (int64_t i = 0; i < tg_params_numel(tg_model_params(m)); i++)
        finite &= isfinite(w[i]), nonzero |= w[i] != 0.0f;
    cr_expect(finite && nonzero, "the weights were overwritten");
    o.min_delta = NAN;
    cr_expect_eq(tg_model_fit(m, x, y, &o, NULL), TG_ERR_ARG);
    cr_expect(strstr(tg_last_error(), "min_delta nan"), "%s", tg_last_error());
    tg_history_free(&h);
    tg_model_free(m);
    tg_tensor_free(x), tg_tensor_free(y);
}

/* fit's clipping options, seen through SGD with lr 1 on one batch: the weights move by the
 * clipped gradient itself. clip_norm bounds the step's norm, clip_value each element. */
static tg_model *tt_sgd_model(void)
{
    tg_model *m = tg_model_new(7);
    tg_model_input(m, 12, 1);
    tg_model_rnn(m, &tg_cell_gru, 8, false);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_sgd_opts so = tg_sgd_defaults();
    so.lr = 1.0;
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_sgd(tg_model_params(m), &so));
    return m;
}

Test(fit, clip_options_are_validated_and_applied)
{
    tg_tensor *x, *y;
    tt_sine(64, 12, &x, &y);
    static float before[512], after[512];
    for (int which = 0; which < 2; which++) {
        tg_model *m = tt_sgd_model();
        int64_t n = tg_params_numel(tg_model_params(m));
        tg_fit_opts o = tg_fit_defaults();
        o.epochs = 1, o.batch_size = 64, o.verbose = 0, o.clip_norm = -1;
        cr_expect_eq(tg_model_fit(m, x, y, &o, NULL), TG_ERR_ARG);
        o.clip_norm = which == 0 ? 1e-3 : 0, o.clip_value = which == 1 ? 1e-4 : 0;
        tt_weights(m, before);
        cr_expect_eq(tg_model_fit(m, x, y, &o, NULL), TG_OK, "%s", tg_last_error());
        tt_weights(m, after);
        double sq = 0, biggest = 0;
        for (int64_t i = 0; i < n; i++) {
            double d = (double)after[i] - before[i];
            sq += d * d, biggest = fmax(biggest, fabs(d));
        }
        if (which == 0) /* the raw gradient is far larger: the step's norm is max_norm */
            cr_expect(fabs(sqrt(sq) - 1e-3) < 1e-5, "step norm %g, clip_norm 1e-3", sqrt(sq));
        else
            cr_expect(biggest <= 1e-4 + 1e-7 && biggest > 0.5e-4, "largest step %g", /* + ulps */
                      biggest);
        tg_model_free(m);
    }
    tg_tensor_free(x), tg_tensor_free(y);
}

/* ---- safetensors that every reader reads ------------------------------------------------- */

/* 8-byte length, header, data: a file as another writer would make it. */
static void tt_write_st(const char *path, const char *header, const void *data, size_t n)
{
    size_t hl = strlen(header);
    unsigned char *buf = calloc(1, 8 + hl + n + 1);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, header, hl);
    if (n) memcpy(buf + 8 + hl, data, n);
    tt_write(path, buf, (long)(8 + hl + n));
    free(buf);
}

/* F16, BF16 and F64 load as float32; escapes in names (\u00e9, \n, \") and long metadata
 * values from other writers are fine. */
Test(safetensors, other_writers_dtypes_escapes_and_long_metadata_load,
     .init = tt_setup, .fini = tt_teardown)
{
    char path[512];
    tt_path(path, sizeof path, "other.safetensors");
    unsigned char data[4 * 2 + 2 * 2 + 8] = {0};
    uint16_t f16[4] = {0x3c00, 0xc000, 0x0001, 0x7c00}; /* 1, -2, 2^-24, inf */
    uint16_t bf16[2] = {0x3f80, 0x4049};                 /* 1, 3.140625 */
    double f64 = -0.1;
    memcpy(data, f16, 8), memcpy(data + 8, bf16, 4), memcpy(data + 12, &f64, 8);
    char header[1024];
    char longv[400];
    memset(longv, 'v', sizeof longv - 1);
    longv[sizeof longv - 1] = 0;
    snprintf(header, sizeof header,
             "{\"__metadata__\":{\"note\":\"%s\"},"
             "\"caf\\u00e9\\n\\\"q\\\"\":"
             "{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
             "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[12,20]}}", longv);
    tt_write_st(path, header, data, sizeof data);
    tg_named_tensors nt;
    cr_assert_eq(tg_safetensors_load(path, &nt), TG_OK, "%s", tg_last_error());
    cr_assert_eq(nt.n, 3);
    cr_expect_str_eq(nt.names[0], "caf\xc3\xa9\n\"q\"");
    float want16[4] = {1.0f, -2.0f, 5.9604645e-8f, INFINITY};
    cr_expect_arr_eq(nt.tensors[0]->data, want16, sizeof want16);
    cr_expect(nt.tensors[1]->data[0] == 1.0f && nt.tensors[1]->data[1] == 3.140625f);
    cr_expect_eq(nt.tensors[2]->ndim, 0);
    cr_expect_eq(nt.tensors[2]->data[0], (float)-0.1);
    tg_named_tensors_free(&nt);
}

/* What the writer refuses, and what a directory or a huge sparse file give. */
Test(safetensors, writer_refusals_directories_and_sparse_files,
     .init = tt_setup, .fini = tt_teardown)
{
    char path[512];
    tt_path(path, sizeof path, "w.safetensors");
    tg_tensor *t = tg_tensor_zeros(1, (int[]){2});
    const tg_tensor *ts[2] = {t, t};
    const char *reserved[1] = {"__metadata__"}, *twice[2] = {"a", "a"}, *bad[1] = {"x\xff"};
    cr_expect_eq(tg_safetensors_save(path, 1, reserved, ts), TG_ERR_ARG);
    cr_expect(strstr(tg_last_error(), "is reserved"), "%s", tg_last_error());
    cr_expect_eq(tg_safetensors_save(path, 2, twice, ts), TG_ERR_ARG);
    cr_expect(strstr(tg_last_error(), "appears twice"), "%s", tg_last_error());
    cr_expect_eq(tg_safetensors_save(path, 1, bad, ts), TG_ERR_ARG);
    cr_expect(strstr(tg_last_error(), "not valid UTF-8"), "%s", tg_last_error());
    tg_named_tensors nt;
    cr_expect_eq(tg_safetensors_load(tt_dir, &nt), TG_ERR_IO);
    cr_expect(strstr(tg_last_error(), "a directory"), "%s", tg_last_error());
    /* a valid small file grown to 1 TiB of holes: refused (trailing bytes) before any
     * allocation, in no time */
    const char *one[1] = {"w"};
    cr_assert_eq(tg_safetensors_save(path, 1, one, ts), TG_OK);
    cr_assert_eq(truncate(path, (off_t)1 << 40), 0);
    cr_expect_eq(tg_safetensors_load(path, &nt), TG_ERR_FORMAT);
    cr_expect(strstr(tg_last_error(), "trailing bytes"), "%s", tg_last_error());
    remove(path);
    tg_tensor_free(t);
}

/* Property: every name the writer accepts loads back, byte for byte; random UTF-8 with
 * quotes, backslashes, control characters, multi-byte and 4-byte code points, long names. */
Test(safetensors, every_accepted_name_loads_back, .init = tt_setup, .fini = tt_teardown)
{
    char path[512];
    tt_path(path, sizeof path, "names.safetensors");
    tg_rng r;
    tg_rng_seed(&r, 99, 0);
    static const char *pieces[] = {"a", "Z", "0", "\"", "\\", "\n", "\t", "\x01", "/", " ",
                                   "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x93\x88", "{", "}",
                                   ":", ",", "\x7f", "__metadata_"};
    enum { N = 40 };
    static char names[N][1200];
    const char *np[N];
    tg_tensor *ts[N];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < N; i++) {
            int len = (int)tg_rng_below(&r, i == 0 ? 300 : 12) + 1;
            names[i][0] = 0;
            snprintf(names[i], sizeof names[i], "%d_", i); /* unique */
            for (int k = 0; k < len; k++)
                strcat(names[i], pieces[tg_rng_below(&r, sizeof pieces / sizeof pieces[0])]);
            np[i] = names[i];
            ts[i] = tg_tensor_new(1, (int[]){1 + i % 3});
            for (int k = 0; k < ts[i]->size; k++) ts[i]->data[k] = tg_rng_normal(&r);
        }
        cr_assert_eq(tg_safetensors_save(path, N, np, (const tg_tensor *const *)ts), TG_OK,
                     "%s", tg_last_error());
        tg_named_tensors nt;
        cr_assert_eq(tg_safetensors_load(path, &nt), TG_OK, "%s", tg_last_error());
        cr_assert_eq(nt.n, N);
        for (int i = 0; i < N; i++) {
            cr_expect_str_eq(nt.names[i], names[i]);
            cr_expect_arr_eq(nt.tensors[i]->data, ts[i]->data, sizeof(float) * (size_t)ts[i]->size);
            tg_tensor_free(ts[i]);
        }
        tg_named_tensors_free(&nt);
    }
}

/* ---- checkpoints: resume gives the same bits --------------------------------------------- */

/* A low-level training program: GRU(8) -> dropout 0.2 -> linear on a sine, Adam, shuffled
 * batches, a plateau schedule; run epochs [first, last) from a checkpoint if `load` and
 * save one to `save`; the final weights go to `out`. */
typedef struct tt_low {
    tg_params *ps;
    tg_rnn *rnn;
    tg_linear_layer fc;
    tg_optim *opt;
    tg_plateau plateau;
    tg_rng drop;
    tg_batcher *b;
    tg_tensor *xb, *yb;
} tt_low;

static void tt_low_run(const tg_tensor *x, const tg_tensor *y, int first, int last,
                       const char *load, const char *save, const char *out, uint64_t init_seed)
{
    tt_low t = {0};
    tg_rng init;
    tg_rng_seed(&init, init_seed, 0); /* a resumed run starts from other weights: load fixes */
    t.ps = tg_params_new();
    tg_rnn_opts ro = tg_rnn_defaults();
    ro.return_sequences = false;
    t.rnn = tg_rnn_new(t.ps, "gru", &tg_cell_gru, 1, 8, &ro, &init);
    t.fc = tg_linear_layer_new(t.ps, "fc", 8, 1, true, &init);
    tg_adam_opts ao = tg_adam_defaults();
    ao.lr = 2e-2;
    t.opt = tg_optim_adam(t.ps, &ao);
    tg_plateau_opts po = tg_plateau_defaults();
    po.patience = 1, po.factor = 0.5;
    t.plateau = tg_plateau_new(2e-2, &po);
    tg_rng_seed(&t.drop, 5, 1);
    tg_batcher_new(x->shape[0], 16, &(tg_batcher_opts){.shuffle = true, .seed = 11}, &t.b);
    t.xb = tg_batcher_attach(t.b, x), t.yb = tg_batcher_attach(t.b, y);
    tg_checkpoint ck = {.params = t.ps, .optim = t.opt, .plateau = &t.plateau, .n_rngs = 1,
                        .rng_names = (const char *[]){"dropout"}, .rngs = (tg_rng *[]){&t.drop}};
    if (load) {
        cr_assert_eq(tg_checkpoint_load(load, &ck), TG_OK, "%s", tg_last_error());
        cr_assert_eq(ck.epoch, first);
    }
    tg_batcher_set_epoch(t.b, first);
    tg_tape *tp = tg_tape_new();
    for (int epoch = first; epoch < last; epoch++) {
        double sum = 0;
        int nb = 0;
        while (tg_batcher_next(t.b)) {
            tg_tape_reset(tp);
            tg_optim_zero_grad(t.opt);
            tg_tensor *h = tg_dropout(tp, tg_rnn_forward(tp, t.rnn, t.xb, NULL, NULL), 0.2f, true,
                                      &t.drop);
            tg_tensor *loss = tg_mse_loss(tp, tg_linear_layer_forward(tp, &t.fc, h), t.yb, TG_MEAN);
            tg_backward(tp, loss);
            tg_optim_step(t.opt);
            sum += loss->data[0], nb++;
        }
        tg_optim_set_lr(t.opt, tg_plateau_step(&t.plateau, sum / nb));
    }
    ck.epoch = last;
    if (save) cr_assert_eq(tg_checkpoint_save(save, &ck), TG_OK, "%s", tg_last_error());
    if (out) cr_assert_eq(tg_checkpoint_save(out, &ck), TG_OK, "%s", tg_last_error());
    tg_tape_free(tp);
    tg_batcher_free(t.b);
    tg_optim_free(t.opt);
    tg_rnn_free(t.rnn);
    tg_params_free(t.ps);
}

/* Every tensor of two files, bit for bit (weights and the optimizer's buffers), and every
 * metadata value (step counts, lr, plateau, rng) except the CRC. */
static void tt_same_files(const char *a, const char *b)
{
    tg_named_tensors ta, tb;
    cr_assert_eq(tg_safetensors_load(a, &ta), TG_OK);
    cr_assert_eq(tg_safetensors_load(b, &tb), TG_OK);
    cr_assert_eq(ta.n, tb.n);
    for (int i = 0; i < ta.n; i++) {
        cr_expect_str_eq(ta.names[i], tb.names[i]);
        cr_expect_arr_eq(ta.tensors[i]->data, tb.tensors[i]->data,
                         sizeof(float) * (size_t)ta.tensors[i]->size, "%s differs",
                         ta.names[i]);
    }
    tg_named_tensors_free(&ta), tg_named_tensors_free(&tb);
}

Test(checkpoint, low_level_loop_resumed_in_a_new_process_gives_the_same_bits,
     .init = tt_setup, .fini = tt_teardown)
{
    tg_tensor *x, *y;
    tt_sine(64, 12, &x, &y);
    char straight[512], half[512], resumed[512];
    tt_path(straight, sizeof straight, "straight.ckpt");
    tt_path(half, sizeof half, "half.ckpt");
    tt_path(resumed, sizeof resumed, "resumed.ckpt");
    tt_low_run(x, y, 0, 10, NULL, NULL, straight, 1);
    tt_low_run(x, y, 0, 5, NULL, half, NULL, 1);
    pid_t pid = fork(); /* a new process: nothing survives but the file */
    cr_assert(pid >= 0);
    if (pid == 0) {
        tt_low_run(x, y, 5, 10, half, NULL, resumed, 999);
        tg_tensor_free(x), tg_tensor_free(y); /* the child's copies: valgrind counts leaks */
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tt_same_files(straight, resumed);
    tg_tensor_free(x), tg_tensor_free(y);
}

/* fit: 10 epochs straight against 5, a stop (on_epoch), a new process with a model of other
 * initial weights, and fit again from the backup: the same weights, bit for bit, and the
 * same history; with shuffling, dropout, Adam, a plateau schedule and a validation split. */
typedef struct tt_stop {
    int after;
} tt_stop;
static bool tt_stop_after(const tg_epoch_info *e, void *user)
{
    return e->epoch + 1 < ((tt_stop *)user)->after;
}

static void tt_fit_run(const tg_tensor *x, const tg_tensor *y, uint64_t model_seed,
                       const char *backup, int stop_after, const char *out)
{
    tg_model *m = tg_model_new(model_seed);
    tg_model_input(m, 12, 1);
    tg_model_rnn(m, &tg_cell_gru, 8, true);
    tg_model_dropout(m, 0.2f);
    tg_model_rnn(m, &tg_cell_lstm, 8, false);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_adam_opts ao = tg_adam_defaults();
    ao.lr = 2e-2;
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_adam(tg_model_params(m), &ao));
    tg_plateau_opts po = tg_plateau_defaults();
    po.patience = 1, po.factor = 0.5;
    tg_plateau pl = tg_plateau_new(2e-2, &po);
    tg_fit_opts o = tg_fit_defaults();
    o.epochs = 10, o.batch_size = 16, o.verbose = 0, o.seed = 123, o.validation_split = 0.25;
    o.plateau = &pl, o.backup_path = backup;
    tt_stop stop = {stop_after};
    if (stop_after) o.on_epoch = tt_stop_after, o.user = &stop;
    tg_history h;
    cr_assert_eq(tg_model_fit(m, x, y, &o, &h), TG_OK, "%s", tg_last_error());
    if (out) { /* the weights and the history's losses, to compare */
        tg_tensor *hl = tg_tensor_new(1, (int[]){h.epochs});
        memcpy(hl->data, h.val_loss, sizeof(float) * (size_t)h.epochs);
        tg_checkpoint ck = {.params = tg_model_params(m), .optim = tg_model_optimizer(m),
                            .epoch = h.epochs, .n_tensors = 1,
                            .tensor_names = (const char *[]){"val_loss"},
                            .tensors = (tg_tensor *[]){hl}};
        cr_assert_eq(tg_checkpoint_save(out, &ck), TG_OK, "%s", tg_last_error());
        tg_tensor_free(hl);
    }
    tg_history_free(&h);
    tg_model_free(m);
}

Test(checkpoint, fit_resumed_from_its_backup_in_a_new_process_gives_the_same_bits,
     .init = tt_setup, .fini = tt_teardown)
{
    tg_tensor *x, *y;
    tt_sine(80, 12, &x, &y);
    char straight[512], backup[512], resumed[512];
    tt_path(straight, sizeof straight, "straight.ckpt");
    tt_path(backup, sizeof backup, "backup.ckpt");
    tt_path(resumed, sizeof resumed, "resumed.ckpt");
    tt_fit_run(x, y, 7, NULL, 0, straight);
    tt_fit_run(x, y, 7, backup, 5, NULL); /* stops after epoch 5: the backup stays */
    cr_assert_eq(access(backup, F_OK), 0, "the backup should be kept after a stop");
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        tt_fit_run(x, y, 999, backup, 0, resumed); /* other initial weights: the backup wins */
        tg_tensor_free(x), tg_tensor_free(y);       /* the child's copies: valgrind counts leaks */
        _exit(access(backup, F_OK) == 0 ? 3 : 0);   /* a finished fit removes its backup */
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    tt_same_files(straight, resumed);
    tg_tensor_free(x), tg_tensor_free(y);
}

/* A fitted scaler saves and loads alone, exactly; a wrong file leaves it as it was. */
Test(checkpoint, scalers_save_and_load_exactly, .init = tt_setup, .fini = tt_teardown)
{
    char path[512];
    tt_path(path, sizeof path, "scaler.ckpt");
    tg_tensor *x = tg_tensor_new(2, (int[]){5, 2});
    for (int i = 0; i < 10; i++) x->data[i] = 0.1f * (float)(i * i) - 1.0f / 3.0f;
    for (int kind = 0; kind < 2; kind++) {
        tg_scaler s = kind ? tg_scaler_standard() : tg_scaler_minmax(-1.0f, 1.0f);
        cr_assert_eq(tg_scaler_fit(&s, x, 0, 5), TG_OK);
        cr_assert_eq(tg_scaler_save(&s, path), TG_OK, "%s", tg_last_error());
        tg_scaler t = tg_scaler_minmax(0.0f, 1.0f);
        cr_assert_eq(tg_scaler_load(&t, path), TG_OK, "%s", tg_last_error());
        cr_expect_eq(t.kind, s.kind);
        cr_expect(t.a == s.a && t.b == s.b && t.nfeat == 2);
        const double *u = kind ? s.mean : s.min, *v = kind ? s.std : s.max;
        const double *tu = kind ? t.mean : t.min, *tv = kind ? t.std : t.max;
        cr_expect_arr_eq(u, tu, 2 * sizeof(double));
        cr_expect_arr_eq(v, tv, 2 * sizeof(double));
        tg_scaler_free(&s), tg_scaler_free(&t);
    }
    tg_params *ps = tt_model(1); /* a weights file is not a checkpoint */
    cr_assert_eq(tg_params_save(ps, path), TG_OK);
    tg_scaler t = tg_scaler_standard();
    cr_expect_eq(tg_scaler_load(&t, path), TG_ERR_FORMAT);
    cr_expect(strstr(tg_last_error(), "not a tapegrad checkpoint"), "%s", tg_last_error());
    cr_expect_eq(t.nfeat, 0, "a failed load changed the scaler");
    tg_params_free(ps);
    tg_tensor_free(x);
}

/* NaN padding with a Dense layer before the recurrent one: the model zeroes x's padding
 * first, so training stays finite; val_x without val_lengths is refused. */
Test(fit, nan_padding_before_a_dense_layer_stays_out_of_training)
{
    enum { N = 32, T = 8 };
    int32_t lengths[N];
    tg_tensor *x, *y;
    tt_padded_data(N, T, lengths, &x, &y);
    tg_tensor *x2 = tg_tensor_new(3, (int[]){N, T, 2});
    for (int i = 0; i < N * T; i++) x2->data[2 * i] = x2->data[2 * i + 1] = x->data[i];
    tg_model *m = tg_model_new(4);
    tg_model_input(m, T, 2);
    tg_model_dense(m, 3, TG_ACT_TANH); /* sees the padding first */
    tg_model_rnn(m, &tg_cell_gru, 4, true);
    tg_model_dense(m, 1, TG_ACT_NONE);
    tg_model_compile(m, TG_LOSS_MSE, tg_optim_adam(tg_model_params(m), NULL));
    tg_fit_opts fo = tg_fit_defaults();
    fo.epochs = 3, fo.verbose = 0, fo.batch_size = 8, fo.lengths = lengths;
    cr_assert_eq(tg_model_fit(m, x2, y, &fo, NULL), TG_OK, "%s", tg_last_error());
    tg_tensor *pred;
    cr_assert_eq(tg_model_predict_padded(m, x2, lengths, 8, &pred), TG_OK);
    for (int i = 0; i < pred->size; i++) cr_assert(isfinite(pred->data[i]), "prediction %d", i);
    fo.val_x = x2, fo.val_y = y; /* no val_lengths */
    cr_expect_eq(tg_model_fit(m, x2, y, &fo, NULL), TG_ERR_ARG);
    cr_expect(strstr(tg_last_error(), "val_x has no val_lengths"), "%s", tg_last_error());
    tg_tensor_free(pred), tg_tensor_free(x2);
    tg_model_free(m);
    tg_tensor_free(x), tg_tensor_free(y);
}

/* Divergence is named for every optimizer (lr 1e10: the loss jumps by 20 orders while every
 * number stays finite), and weights that are not finite are never saved. */
Test(fit, divergence_is_detected_for_every_optimizer_and_nan_weights_are_not_saved,
     .init = tt_setup, .fini = tt_teardown)
{
    tg_tensor *x, *y;
    tt_sine(64, 12, &x, &y);
    for (int k = 0; k < 7; k++) {
        tg_model *m = tg_model_new(7);
        tg_model_input(m, 12, 1);
        tg_model_rnn(m, &tg_cell_gru, 8, false);
        tg_model_dense(m, 1, TG_ACT_NONE);
        tg_params *ps = tg_model_params(m);
        tg_optim *o = NULL;
        tg_sgd_opts sg = tg_sgd_defaults();
        tg_adam_opts ad = tg_adam_defaults(), aw = tg_adamw_defaults();
        tg_rmsprop_opts rm = tg_rmsprop_defaults();
        tg_rmsprop_keras_opts rk = tg_rmsprop_keras_defaults();
        tg_adam_keras_opts ak = tg_adam_keras_defaults();
        tg_adagrad_opts ag = tg_adagrad_defaults();
        sg.lr = ad.lr = aw.lr = rm.lr = rk.lr = ak.lr = ag.lr = 1e10;
        switch (k) {
        case 0: o = tg_optim_sgd(ps, &sg); break;
        case 1: o = tg_optim_adam(ps, &ad); break;
        case 2: o = tg_optim_adamw(ps, &aw); break;
        case 3: o = tg_optim_rmsprop(ps, &rm); break;
        case 4: o = tg_optim_rmsprop_keras(ps, &rk); break;
        case 5: o = tg_optim_adam_keras(ps, &ak); break;
        default: o = tg_optim_adagrad(ps, &ag); break;
        }
        tg_model_compile(m, TG_LOSS_MSE, o);
        tg_fit_opts fo = tg_fit_defaults();
        fo.epochs = 5, fo.verbose = 0;
        tg_status st = tg_model_fit(m, x, y, &fo, NULL);
        cr_expect_eq(st, TG_ERR_NUMERIC, "%s: status %d", tg_optim_name(o), st);
        cr_expect(strstr(tg_last_error(), "diverged"), "%s: %s", tg_optim_name(o),
                  tg_last_error());
        tg_model_free(m);
    }
    char path[512];
    tt_path(path, sizeof path, "w.safetensors");
    tg_params *ps = tt_model(1);
    cr_assert_eq(tg_params_save(ps, path), TG_OK);
    long before = tt_size(path);
    tg_params_at(ps, 1)->data[2] = NAN;
    cr_expect_eq(tg_params_save(ps, path), TG_ERR_NUMERIC);
    cr_expect(strstr(tg_last_error(), "holds nan at element 2"), "%s", tg_last_error());
    cr_expect_eq(tt_size(path), before, "the good file was replaced");
    tg_params_free(ps);
    tg_tensor_free(x), tg_tensor_free(y);
}
