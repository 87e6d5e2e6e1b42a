/* fuzz/fuzz_safetensors.c — libFuzzer harness for the safetensors loader: the input is
 * written to a file (the loader reads paths) and loaded both ways, as named tensors and
 * into a small model's store, which must be left untouched by a failed load. Not part of
 * the library or of meson test. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapegrad.h"

static char path[64];

static tg_params *model(void)
{
    tg_params *ps = tg_params_new();
    tg_rng r;
    tg_rng_seed(&r, 1, 0);
    tg_rnn *gru = tg_rnn_new(ps, "gru", &tg_cell_gru, 3, 5, NULL, &r);
    tg_rnn_free(gru); /* the store keeps the parameters */
    tg_linear_layer_new(ps, "fc", 5, 1, true, &r);
    return ps;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) snprintf(path, sizeof path, "/dev/shm/tg_fuzz_st_%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    tg_named_tensors nt;
    if (tg_safetensors_load(path, &nt) == TG_OK) tg_named_tensors_free(&nt);
    tg_params *ps = model(), *ref = model();
    if (tg_params_load(ps, path) != TG_OK)
        for (int i = 0; i < tg_params_count(ps); i++)
            if (memcmp(tg_params_at(ps, i)->data, tg_params_at(ref, i)->data,
                       sizeof(float) * (size_t)tg_params_at(ps, i)->size) != 0)
                abort(); /* a failed load changed a parameter */
    tg_params_free(ps);
    tg_params_free(ref);
    return 0;
}
