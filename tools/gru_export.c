/* tools/gru_export.c — writes a GRU's weights and one forward pass to safetensors files,
 * for tools/check_torch_load.py, which loads them into torch.nn.GRU and compares outputs.
 * Usage: gru_export OUTDIR   (writes OUTDIR/gru.safetensors and OUTDIR/io.safetensors)
 * Not a test of its own: the PyTorch side does the comparing. */
#include <stdio.h>
#include <string.h>

#include "tapegrad.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    char wpath[1024], iopath[1024];
    snprintf(wpath, sizeof wpath, "%s/gru.safetensors", argv[1]);
    snprintf(iopath, sizeof iopath, "%s/io.safetensors", argv[1]);

    tg_rng rng;
    tg_rng_seed(&rng, 5, 0);
    tg_params *ps = tg_params_new();
    tg_rnn_opts o = tg_rnn_defaults(); /* batch-first, returns sequences */
    o.num_layers = 2;
    o.bidirectional = true;
    tg_rnn *gru = tg_rnn_new(ps, "", &tg_cell_gru, 3, 8, &o, &rng); /* bare PyTorch names */
    tg_tensor *x = tg_tensor_new(TG_SHAPE(4, 7, 3));                /* (B, T, I) */
    tg_fill_normal(x, &rng, 0, 1);
    tg_tape *tp = tg_tape_new();
    tg_tensor *h_n;
    tg_tensor *y = tg_rnn_forward(tp, gru, x, NULL, &h_n);          /* (4, 7, 16) */

    const char *names[] = {"input", "output", "h_n"};
    const tg_tensor *ts[] = {x, y, h_n};
    /* names another reader must read back: quotes, backslash, control characters, accents,
     * CJK, an emoji and a 300-character name (the same list is in check_torch_load.py) */
    char odd_path[512], long_name[301];
    snprintf(odd_path, sizeof odd_path, "%s/odd_names.safetensors", argv[1]);
    memset(long_name, 'n', 300);
    long_name[300] = 0;
    const char *odd[] = {"quote\"back\\slash", "tab\tnewline\nbell\x07", "caf\xc3\xa9",
                         "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x93\x88", long_name};
    const tg_tensor *ots[] = {h_n, h_n, h_n, h_n, h_n, h_n};
    int rc = 0;
    if (tg_params_save(ps, wpath) != TG_OK || tg_safetensors_save(iopath, 3, names, ts) != TG_OK ||
        tg_safetensors_save(odd_path, 6, odd, ots) != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        rc = 1;
    } else {
        printf("wrote %s and %s\n", wpath, iopath);
    }
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_rnn_free(gru);
    tg_params_free(ps);
    return rc;
}
