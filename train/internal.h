/* train/internal.h — the model state fit.c reads from model.c; not installed, not public.
 * Not here: the public model API (train/train.h). */
#ifndef TG_TRAIN_INTERNAL_H
#define TG_TRAIN_INTERNAL_H

#include "train/train.h"

tg_tape *tg__model_tape(tg_model *m);         /* the model's own tape */
tg_loss_kind tg__model_loss(const tg_model *m);
uint64_t tg__model_seed(const tg_model *m);   /* seeds shuffling and dropout */

/* ---- the safetensors reader and writer that checkpoints share (safetensors.c) ----------- */

typedef struct tg__st_entry {
    char *name;
    int dtype; /* an index into safetensors.c's dtype table (F32, F16, BF16, F64) */
    int ndim;
    int shape[TG_MAX_DIMS];
    uint64_t begin, end; /* bytes, from the data section's start */
} tg__st_entry;

typedef struct tg__st_file {
    const char *path;
    unsigned char *data; /* the data section, data_len bytes */
    uint64_t data_len;
    tg__st_entry *e;     /* n entries in header order */
    int n;
    char **meta_keys, **meta_values; /* __metadata__, nmeta pairs */
    int nmeta;
} tg__st_file;

/* TG_ERR_NUMERIC naming the first parameter holding NaN or Inf (saves refuse those). */
tg_status tg__params_finite(const char *fn, const tg_params *ps);
/* Reads and validates a whole file (see safetensors.c); on an error nothing is kept. */
tg_status tg__st_open(const char *path, tg__st_file *f);
void tg__st_close(tg__st_file *f);
const tg__st_entry *tg__st_find(const tg__st_file *f, const char *name);
const char *tg__st_meta(const tg__st_file *f, const char *key); /* NULL when absent */
/* An entry's values as float32 (e's element count of them). */
void tg__st_read_f32(const tg__st_file *f, const tg__st_entry *e, float *out);
/* Writes n F32 tensors and nmeta metadata pairs (besides "format" and the CRC), atomically. */
tg_status tg__st_save(const char *path, int n, const char *const *names,
                      const tg_tensor *const *ts, int nmeta, const char *const *keys,
                      const char *const *values);

#endif /* TG_TRAIN_INTERNAL_H */
