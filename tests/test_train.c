/* tests/test_train.c — saving and loading parameters as safetensors: bit-exact round
 * trips, atomic writes, and rejection of truncated, malformed or mismatched files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapegrad.h"

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
    tg_params_at(a, 0)->data[0] = NAN; /* odd values survive too */
    tg_params_at(a, 0)->data[1] = -0.0f;
    tg_params_at(a, 0)->data[2] = 1e-40f; /* subnormal */
    cr_assert_eq(tg_params_save(a, path), TG_OK, "%s", tg_last_error());
    cr_assert_eq(tg_params_load(b, path), TG_OK, "%s", tg_last_error());
    for (int i = 0; i < tg_params_count(a); i++) {
        tg_tensor *x = tg_params_at(a, i), *y = tg_params_at(b, i);
        cr_expect(memcmp(x->data, y->data, sizeof(float) * (size_t)x->size) == 0, "%s", x->name);
    }
    /* The generic loader sees the same names and shapes, in order. */
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
    } cases[] = {
        {"not json at all!", "malformed"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "malformed"},
        {"{\"gru.weight_ih_l0\":{\"dtype\":\"F16\",\"shape\":[15,3],\"data_offsets\":[0,90]}}", "F16"},
        {"{\"gru.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[15,3],\"data_offsets\":[0,400]}}", "truncated"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "overlap"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "twice"},
        {"{\"unknown.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "not a parameter"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "shape (2) in the file but (1)"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "missing from the file"},
        {"{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", "rank 5"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t hl = strlen(cases[k].header);
        unsigned char buf[1024] = {0};
        for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
        memcpy(buf + 8, cases[k].header, hl);
        tt_write(path, buf, (long)(8 + hl + 16)); /* 16 data bytes */
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
    tt_expect_rejected(path, "checksum");
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
