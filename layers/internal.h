/* layers/internal.h — what the layer files share; not installed, not public.
 * Not here: anything a user's cell needs (layers/layers.h). */
#ifndef TG_LAYERS_INTERNAL_H
#define TG_LAYERS_INTERNAL_H

#include <stddef.h>

#include "layers/layers.h"

/* buf = "<prefix>.<leaf>", or the bare leaf when prefix is NULL or "" (PyTorch's naming of
 * a module's parameters). A name that does not fit in cap is a contract failure of fn, reported at loc. */
void tg__param_name(char *buf, size_t cap, const char *prefix, const char *leaf,
                    const char *fn, tg_loc loc);

/* The contract of tg_rnn_batch_slice and tg_model_batch_slice: 0 <= start < total, or
 * both 0 (whole batches); fails naming fn otherwise. */
void tg__check_batch_slice(const char *fn, int start, int total, tg_loc loc);

#endif /* TG_LAYERS_INTERNAL_H */
