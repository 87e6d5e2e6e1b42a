/* train/train.h — training helpers on top of the low-level API: saving and loading
 * parameters as safetensors, a sequential model container, and fit / evaluate / predict
 * with a History, progress output and early stopping.
 *
 * Everything here is built from the public modules (tensor, autograd, layers, optim,
 * data); a program may use the low-level API directly and never touch this header.
 * What this is not: a graph compiler, a distributed trainer or a callback zoo.
 */
#ifndef TG_TRAIN_H
#define TG_TRAIN_H

#include "autograd/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- safetensors -----------------------------------------------------------------------
 * The format PyTorch's `safetensors` package reads: names are the store's names (PyTorch
 * state_dict keys), dtype F32, little-endian. Writes are atomic (temp file, fsync,
 * rename); a failed save keeps the previous file. Loads validate the whole file (header,
 * sizes, bounds, overlaps, tapegrad's CRC-32 when present) before copying anything. */

/* Saves n named tensors. */
tg_status tg_safetensors_save(const char *path, int n, const char *const *names,
                              const tg_tensor *const *tensors);
/* Every parameter of the store under its name. */
tg_status tg_params_save(const tg_params *ps, const char *path);

/* Strict load into an existing store: the file must hold exactly the store's names with the
 * same shapes; on any error nothing in the store changes. */
tg_status tg_params_load(tg_params *ps, const char *path);

/* Loads every tensor of a file as new heap tensors (free with tg_named_tensors_free). */
typedef struct tg_named_tensors {
    int n;
    char **names;
    tg_tensor **tensors;
} tg_named_tensors;
tg_status tg_safetensors_load(const char *path, tg_named_tensors *out);
void tg_named_tensors_free(tg_named_tensors *nt);

#ifdef __cplusplus
}
#endif
#endif /* TG_TRAIN_H */
