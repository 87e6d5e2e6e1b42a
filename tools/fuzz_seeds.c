/* tools/fuzz_seeds.c — writes the seed files of fuzz/corpus/safetensors and
 * fuzz/corpus/checkpoint: a model's weights as safetensors (the store fuzz_safetensors.c
 * builds) and a checkpoint with every part fuzz_checkpoint.c fills. Run once; the files
 * are committed. Usage: fuzz_seeds REPO_ROOT */
#include <stdio.h>

#include "tapegrad.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s REPO_ROOT\n", argv[0]);
        return 2;
    }
    char p[1024];
    tg_rng r;
    tg_rng_seed(&r, 1, 0);
    tg_params *ps = tg_params_new();
    tg_rnn *gru = tg_rnn_new(ps, "gru", &tg_cell_gru, 3, 5, NULL, &r);
    tg_linear_layer_new(ps, "fc", 5, 1, true, &r);
    snprintf(p, sizeof p, "%s/fuzz/corpus/safetensors/model.safetensors", argv[1]);
    tg_status st = tg_params_save(ps, p);

    tg_params *cps = tg_params_new();
    tg_tensor *w = tg_params_add(cps, "w", TG_SHAPE(2, 3));
    for (int i = 0; i < 6; i++) w->data[i] = 0.5f * (float)i;
    tg_params_zero_grad(cps);
    tg_optim *opt = tg_optim_adam(cps, NULL);
    tg_optim_step(opt);
    tg_plateau pl = tg_plateau_new(1e-3, NULL);
    tg_plateau_step(&pl, 0.5);
    tg_scaler sc = tg_scaler_minmax(0.0f, 1.0f);
    tg_scaler_fit(&sc, w, 0, 2);
    double v = 2.25;
    tg_tensor *t = tg_tensor_new(1, (int[]){4});
    float loss[2] = {0.5f, 0.25f};
    double secs[2] = {0.1, 0.2};
    tg_history h = {.epochs = 2, .loss = loss, .val_loss = loss, .seconds = secs};
    tg_checkpoint c = {.params = cps, .optim = opt, .plateau = &pl, .epoch = 2, .step = 7,
                       .n_rngs = 1, .rng_names = (const char *[]){"r"},
                       .rngs = (tg_rng *[]){&r}, .n_scalers = 1,
                       .scaler_names = (const char *[]){"s"}, .scalers = (tg_scaler *[]){&sc},
                       .n_values = 1, .value_names = (const char *[]){"v"},
                       .values = (double *[]){&v}, .n_tensors = 1,
                       .tensor_names = (const char *[]){"t"}, .tensors = (tg_tensor *[]){t},
                       .history = &h};
    snprintf(p, sizeof p, "%s/fuzz/corpus/checkpoint/full.ckpt", argv[1]);
    if (st == TG_OK) st = tg_checkpoint_save(p, &c);
    if (st != TG_OK) fprintf(stderr, "%s\n", tg_last_error());
    tg_tensor_free(t);
    tg_scaler_free(&sc);
    tg_optim_free(opt);
    tg_params_free(cps);
    tg_rnn_free(gru);
    tg_params_free(ps);
    return st == TG_OK ? 0 : 1;
}
