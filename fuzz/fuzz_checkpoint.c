/* fuzz/fuzz_checkpoint.c — libFuzzer harness for the checkpoint loader, with every part a
 * checkpoint can fill (parameters, Adam's state, a plateau, a random stream, a scaler, a
 * value, a tensor, a history). A failed load must leave all of them as they were. Not
 * part of the library or of meson test. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapegrad.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) snprintf(path, sizeof path, "/dev/shm/tg_fuzz_ck_%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
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
    if (tg_checkpoint_load(path, &c) != TG_OK) {
        for (int i = 0; i < 6; i++)
            if (w->data[i] != 0.0f) abort(); /* a failed load wrote a parameter */
        if (v != 1.5 || sc.nfeat != 0 || h.loss) abort();
    }
    tg_history_free(&h);
    tg_scaler_free(&sc);
    tg_tensor_free(t);
    tg_optim_free(opt);
    tg_params_free(ps);
    return 0;
}
