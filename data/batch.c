/* data/batch.c — the mini-batch iterator: epochs over n samples in batches, an optional
 * seeded shuffle per epoch, drop_last, and batch tensors that are filled in place.
 *
 * Epoch e's order is the Fisher-Yates shuffle of 0..n-1 by PCG32 seeded with (seed,
 * stream e): it depends on nothing else, so a run repeats exactly and a program that
 * resumes at epoch e sees the same order it would have seen. The batch tensors are
 * allocated once, in tg_batcher_attach(); tg_batcher_next() only copies rows into them
 * and sets their leading dimension, so the training loop allocates nothing here.
 *
 * What this file is not: a DataLoader with worker threads, prefetching or collate
 * functions. Samples are rows of tensors already in memory.
 */
#include "data/data.h"

#include <string.h>

#define MAX_ATTACHED 8

struct tg_batcher {
    int n, batch_size;
    bool shuffle, drop_last;
    uint64_t seed;
    int32_t *order;  /* [n] the current epoch's order */
    int epoch;       /* -1 before the first batch */
    int pos;         /* order[pos ..] starts this rank's rows of the batch; -1 between epochs */
    int count;       /* this rank's samples in the current batch */
    int gpos, gcount; /* the whole (global) batch: order[gpos .. gpos + gcount) */
    int rank, nranks; /* this rank's slice of every global batch (1 rank: all of it) */
    int nattached;
    const tg_tensor *src[MAX_ATTACHED];
    tg_tensor *dst[MAX_ATTACHED];
    int64_t row[MAX_ATTACHED]; /* elements per sample of each attachment */
};

tg_batcher_opts tg_batcher_defaults(void) { return (tg_batcher_opts){.shuffle = false}; }

tg_status tg_batcher_new_at(int n, int batch_size, const tg_batcher_opts *opts, tg_batcher **out,
                            tg_loc loc)
{
    if (!out) tg_contract_fail(loc, "tg_batcher_new", "out is NULL");
    *out = NULL;
    tg_batcher_opts o = opts ? *opts : (tg_batcher_opts){0};
    if (n < 1) return tg_fail(TG_ERR_ARG, "batcher: %d samples; there must be at least one", n);
    if (batch_size < 1)
        return tg_fail(TG_ERR_ARG, "batcher: batch size %d must be >= 1", batch_size);
    if (o.drop_last && batch_size > n)
        return tg_fail(TG_ERR_ARG, "batcher: with drop_last, batch size %d > %d samples leaves "
                       "no batch at all", batch_size, n);
    int nranks = o.nranks > 0 ? o.nranks : 1;
    if (o.nranks < 0 || o.rank < 0 || o.rank >= nranks)
        return tg_fail(TG_ERR_ARG, "batcher: rank %d of %d ranks", o.rank, o.nranks);
    if (batch_size < nranks)
        return tg_fail(TG_ERR_ARG, "batcher: batch size %d is smaller than the %d ranks it is "
                       "split over", batch_size, nranks);
    tg_batcher *b = tg_calloc(sizeof *b);
    b->rank = o.rank;
    b->nranks = nranks;
    b->n = n;
    b->batch_size = batch_size;
    b->shuffle = o.shuffle;
    b->drop_last = o.drop_last;
    b->seed = o.seed;
    b->order = tg_malloc((size_t)n * sizeof *b->order);
    for (int i = 0; i < n; i++) b->order[i] = i;
    b->epoch = -1;
    b->pos = -1;
    *out = b;
    return TG_OK;
}

void tg_batcher_free(tg_batcher *b)
{
    if (!b) return;
    for (int k = 0; k < b->nattached; k++) tg_tensor_free(b->dst[k]);
    tg_free(b->order);
    tg_free(b);
}

int tg_batcher_batches_per_epoch_at(const tg_batcher *b, tg_loc loc)
{
    if (!b) tg_contract_fail(loc, "tg_batcher_batches_per_epoch", "batcher is NULL");
    return b->drop_last ? b->n / b->batch_size : (b->n + b->batch_size - 1) / b->batch_size;
}

/* Copies the current batch's rows into attachment k and sets its leading dimension. The
 * shapes were checked when attaching and the indices are the batcher's own permutation, so
 * this is the copy alone (tg_gather_rows would check them all again every batch). */
static void fill(tg_batcher *b, int k)
{
    tg_tensor *d = b->dst[k];
    int64_t row = b->row[k];
    const int32_t *idx = b->order + b->pos;
    for (int i = 0; i < b->count; i++)
        memcpy(d->data + i * row, b->src[k]->data + idx[i] * row, sizeof(float) * (size_t)row);
    d->shape[0] = b->count;
    d->size = row * b->count;
}

tg_tensor *tg_batcher_attach_at(tg_batcher *b, const tg_tensor *src, tg_loc loc)
{
    const char *fn = "tg_batcher_attach";
    if (!b || !src) tg_contract_fail(loc, fn, "batcher or src is NULL");
    if (src->ndim < 1 || src->shape[0] != b->n)
        tg_contract_fail(loc, fn, "src must be (%d, ...) for %d samples, got rank %d with "
                         "%d rows", b->n, b->n, src->ndim, src->ndim ? src->shape[0] : 0);
    if (b->nattached == MAX_ATTACHED)
        tg_contract_fail(loc, fn, "at most %d tensors can be attached", MAX_ATTACHED);
    int shape[TG_MAX_DIMS];
    memcpy(shape, src->shape, sizeof shape);
    shape[0] = b->batch_size;
    tg_tensor *d = tg_tensor_zeros(src->ndim, shape);
    int k = b->nattached++;
    b->src[k] = src;
    b->dst[k] = d;
    b->row[k] = d->size / b->batch_size;
    if (b->pos >= 0) fill(b, k);
    return d;
}

static void start_epoch(tg_batcher *b)
{
    b->epoch++;
    for (int i = 0; i < b->n; i++) b->order[i] = i;
    if (b->shuffle) {
        tg_rng r;
        tg_rng_seed(&r, b->seed, (uint64_t)b->epoch);
        tg_rng_shuffle(&r, b->order, b->n);
    }
}

bool tg_batcher_next_at(tg_batcher *b, tg_loc loc)
{
    if (!b) tg_contract_fail(loc, "tg_batcher_next", "batcher is NULL");
    int next;
    if (b->pos < 0) {
        start_epoch(b);
        next = 0;
    } else {
        next = b->gpos + b->gcount;
    }
    int left = b->n - next;
    /* split over ranks, a last batch with fewer rows than ranks is dropped: every rank
     * must take part in every step */
    if (left <= 0 || (b->drop_last && left < b->batch_size) || left < b->nranks) {
        b->pos = -1; /* the next call starts a new epoch */
        b->count = b->gcount = 0;
        return false;
    }
    b->gpos = next;
    b->gcount = left < b->batch_size ? left : b->batch_size;
    /* this rank's rows: [gcount r / R, gcount (r + 1) / R) of the global batch */
    int lo = (int)((int64_t)b->gcount * b->rank / b->nranks);
    int hi = (int)((int64_t)b->gcount * (b->rank + 1) / b->nranks);
    b->pos = next + lo;
    b->count = hi - lo;
    for (int k = 0; k < b->nattached; k++) fill(b, k);
    return true;
}

int tg_batcher_slice_at(const tg_batcher *b, int *start, tg_loc loc)
{
    if (!b) tg_contract_fail(loc, "tg_batcher_slice", "batcher is NULL");
    if (start) *start = b->gcount ? b->pos - b->gpos : 0;
    return b->gcount;
}

int tg_batcher_size_at(const tg_batcher *b, tg_loc loc)
{
    if (!b) tg_contract_fail(loc, "tg_batcher_size", "batcher is NULL");
    return b->count;
}

const int32_t *tg_batcher_indices_at(const tg_batcher *b, tg_loc loc)
{
    if (!b) tg_contract_fail(loc, "tg_batcher_indices", "batcher is NULL");
    return b->pos >= 0 ? b->order + b->pos : b->order;
}

void tg_batcher_set_epoch_at(tg_batcher *b, int epoch, tg_loc loc)
{
    if (!b || epoch < 0)
        tg_contract_fail(loc, "tg_batcher_set_epoch", "needs a batcher and epoch >= 0 "
                         "(got %d)", epoch);
    b->epoch = epoch - 1; /* the next tg_batcher_next starts epoch `epoch` */
    b->pos = -1;
    b->count = b->gcount = 0; /* no batch until the next tg_batcher_next (tg_batcher_slice) */
}

int tg_batcher_epoch_at(const tg_batcher *b, tg_loc loc)
{
    if (!b) tg_contract_fail(loc, "tg_batcher_epoch", "batcher is NULL");
    return b->epoch;
}
