/* train/internal.h — the model state fit.c reads from model.c; not installed, not public.
 * Not here: the public model API (train/train.h). */
#ifndef TG_TRAIN_INTERNAL_H
#define TG_TRAIN_INTERNAL_H

#include "train/train.h"

tg_tape *tg__model_tape(tg_model *m);         /* the model's own tape */
tg_loss_kind tg__model_loss(const tg_model *m);
uint64_t tg__model_seed(const tg_model *m);   /* seeds shuffling and dropout */

#endif /* TG_TRAIN_INTERNAL_H */
