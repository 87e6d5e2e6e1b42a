/* tests/test_corpus.c — the malformed-input corpus (tests/data/malformed/, written by
 * tools/make_malformed.py, plus any input fuzzing ever found to crash): every file is
 * refused with a status and a message by the loader its extension names, nothing crashes
 * (ASan and UBSan in .ci/run), and a failed load leaves its target exactly as it was. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tapegrad.h"

#define CORPUS TG_FIXTURE_DIR "/../data/malformed"

/* The store fuzz_safetensors.c and tools/fuzz_seeds.c use: gru 3 -> 5 and fc 5 -> 1. */
static tg_params *cp_model(void)
{
    tg_params *ps = tg_params_new();
    tg_rng r;
    tg_rng_seed(&r, 1, 0);
    tg_rnn_free(tg_rnn_new(ps, "gru", &tg_cell_gru, 3, 5, NULL, &r));
    tg_linear_layer_new(ps, "fc", 5, 1, true, &r);
    return ps;
}

static bool cp_same_store(tg_params *a, tg_params *b)
{
    for (int i = 0; i < tg_params_count(a); i++)
        if (memcmp(tg_params_at(a, i)->data, tg_params_at(b, i)->data,
                   sizeof(float) * (size_t)tg_params_at(a, i)->size) != 0)
            return false;
    return true;
}

static tg_status cp_csv(const char *path)
{
    tg_csv *csv = NULL;
    tg_status st = tg_csv_read(path, NULL, &csv);
    if (st == TG_OK) tg_csv_free(csv);
    cr_expect_null(st == TG_OK ? NULL : csv, "%s: a failed read returned a table", path);
    return st;
}

static tg_status cp_safetensors(const char *path)
{
    tg_named_tensors nt;
    tg_status st = tg_safetensors_load(path, &nt);
    if (st == TG_OK) tg_named_tensors_free(&nt);
    tg_params *ps = cp_model(), *ref = cp_model();
    tg_status st2 = tg_params_load(ps, path);
    cr_expect(st2 == TG_OK || cp_same_store(ps, ref), "%s: a failed load changed the store",
              path);
    tg_params_free(ps), tg_params_free(ref);
    return st != TG_OK ? st : st2;
}

/* The objects of fuzz_checkpoint.c / tools/fuzz_seeds.c's full.ckpt. */
static tg_status cp_checkpoint(const char *path)
{
    tg_params *ps = tg_params_new();
    tg_tensor *w = tg_params_add(ps, "w", TG_SHAPE(2, 3));
    tg_optim *opt = tg_optim_adam(ps, NULL);
    tg_plateau pl = tg_plateau_new(1e-3, NULL);
    tg_rng rng;
    tg_rng_seed(&rng, 3, 0);
    tg_scaler sc = tg_scaler_minmax(0.0f, 1.0f);
    double v = 1.5;
    tg_tensor *t = tg_tensor_new(1, (int[]){4});
    tg_history h = {0};
    tg_checkpoint c = {.params = ps, .optim = opt, .plateau = &pl, .n_rngs = 1,
                       .rng_names = (const char *[]){"r"}, .rngs = (tg_rng *[]){&rng},
                       .n_scalers = 1, .scaler_names = (const char *[]){"s"},
                       .scalers = (tg_scaler *[]){&sc}, .n_values = 1,
                       .value_names = (const char *[]){"v"}, .values = (double *[]){&v},
                       .n_tensors = 1, .tensor_names = (const char *[]){"t"},
                       .tensors = (tg_tensor *[]){t}, .history = &h};
    tg_rng rng0 = rng;
    tg_status st = tg_checkpoint_load(path, &c);
    if (st != TG_OK) {
        bool same = v == 1.5 && sc.nfeat == 0 && !h.loss && rng.state == rng0.state &&
                    tg_optim_param_step(opt, "w") == 0 && pl.epoch == 0;
        for (int i = 0; i < 6; i++) same = same && w->data[i] == 0.0f;
        cr_expect(same, "%s: a failed load changed something", path);
    }
    tg_history_free(&h), tg_scaler_free(&sc), tg_tensor_free(t);
    tg_optim_free(opt), tg_params_free(ps);
    return st;
}

Test(corpus, every_malformed_file_is_refused_with_a_message)
{
    DIR *d = opendir(CORPUS);
    cr_assert_not_null(d, "no corpus at %s", CORPUS);
    int n = 0, by_kind[3] = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *dot = strrchr(e->d_name, '.');
        if (!dot || e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", CORPUS, e->d_name);
        tg_status st;
        if (!strcmp(dot, ".csv"))
            st = cp_csv(path), by_kind[0]++;
        else if (!strcmp(dot, ".safetensors"))
            st = cp_safetensors(path), by_kind[1]++;
        else if (!strcmp(dot, ".ckpt"))
            st = cp_checkpoint(path), by_kind[2]++;
        else
            continue;
        n++;
        cr_expect_neq(st, TG_OK, "%s was accepted", e->d_name);
        cr_expect(st == TG_OK || tg_last_error()[0], "%s: no message", e->d_name);
    }
    closedir(d);
    printf("malformed corpus: %d files (%d CSV, %d safetensors, %d checkpoints), all refused\n",
           n, by_kind[0], by_kind[1], by_kind[2]);
    cr_expect_geq(n, 100, "the corpus holds %d cases", n);
}
