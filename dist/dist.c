/* dist/dist.c — MPI data parallelism (dist.h): start and stop, rank and size, rank 0's
 * parameters to every rank, and gradients averaged in a fixed rank order.
 *
 * The gradient average gathers every rank's gradients (MPI_Iallgather, in buckets) and
 * adds the ranks' copies in order 0, 1, ... on each rank: MPI_Allreduce would be cheaper
 * but leaves the order of the sum to the library and the network, and the bits with it.
 * tg_dist_average_grads is the overlap's machinery with every bucket started at the end.
 * The buffers are kept between calls (grown, never shrunk), so a training step allocates
 * nothing once warm (up to 64 ranks; beyond, the per-rank scratch comes from the heap).
 *
 * What this is not: a communication library. Without MPI (TG_HAVE_MPI undefined) every
 * function is the one-process case.
 */
#include "dist/dist.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "autograd/op.h" /* tg_node, tg_tape_last, tg_tape_set_backward_hook */
#include "tensor/tensor.h"

/* The argument checks of tg_dist_average_grads and tg_dist_overlap_begin (need_tape) for
 * one process alone, where nothing is sent. */
static tg_status check_alone(const char *fn, const tg_params *ps, bool need_tape,
                             const tg_tape *t, double weight)
{
    if (!ps || (need_tape && !t))
        return tg_fail(TG_ERR_ARG, "%s: the parameters%s are NULL", fn,
                       need_tape ? " or the tape" : "");
    if (!(weight > 0.0 && isfinite(weight)))
        return tg_fail(TG_ERR_ARG, "%s: weight %g must be finite and > 0", fn, weight);
    return TG_OK;
}

#ifdef TG_HAVE_MPI
#include <mpi.h>

static bool started; /* by tg_dist_init: tg_dist_finalize ends MPI only then */
static void overlap_free(void); /* the overlap's kept buffers (below) */
static bool overlap_cut;        /* tg_dist_finalize ran between begin and end */
static void overlap_abandon(void);
static float *flat, *gathered;
static int64_t flat_cap, gathered_cap;

static tg_status mpi_fail(int code, const char *fn, const char *call)
{
    char why[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(code, why, &len);
    return tg_fail(TG_ERR_IO, "%s: %s failed: %s", fn, call, why);
}

static bool mpi_on(void)
{
    int on = 0, off = 0;
    MPI_Initialized(&on);
    MPI_Finalized(&off);
    return on && !off;
}

tg_status tg_dist_init(int *argc, char ***argv)
{
    if (mpi_on()) return TG_OK;
    int provided = 0;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, "tg_dist_init", "MPI_Init_thread");
    /* failures come back as codes, never as a job abort from inside the library */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    started = true;
    return TG_OK;
}

void tg_dist_finalize(void)
{
    overlap_abandon(); /* gradients in flight: let them land, then say so at end */
    if (started && mpi_on()) MPI_Finalize();
    started = false;
    tg_free(flat), tg_free(gathered);
    flat = gathered = NULL;
    flat_cap = gathered_cap = 0;
    overlap_free();
}

int tg_dist_rank(void)
{
    int r = 0;
    if (mpi_on()) MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int tg_dist_size(void)
{
    int n = 1;
    if (mpi_on()) MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

bool tg_dist_available(void) { return true; }

/* Grows a kept buffer to hold n floats. */
static float *reserve(float **buf, int64_t *cap, int64_t n)
{
    if (n > *cap) {
        tg_free(*buf);
        *buf = tg_malloc((size_t)n * sizeof(float));
        *cap = n;
    }
    return *buf;
}

/* The sizes of every parameter in order, folded into one number (FNV-1a over the shapes):
 * stores with the same count and total but other sizes (or order) differ here. */
static long long shapes_hash(const tg_params *ps)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < tg_params_count(ps); i++) {
        const tg_tensor *t = tg_params_at(ps, i);
        for (int d = -1; d < t->ndim; d++) {
            h ^= (uint64_t)(d < 0 ? t->ndim : t->shape[d]);
            h *= 1099511628211ull;
        }
    }
    return (long long)(h >> 1);
}

/* Every rank's store must match (count, values, the sizes in order) and, when need_grad,
 * have grads: checked together before any data moves. bad_arg: 3 when the caller's other
 * argument (the tape) is NULL on this rank. */
static tg_status check_same(const tg_params *ps, bool need_grad, const char *fn, int bad_arg)
{
    /* a NULL store still takes part in the exchange, so no other rank waits forever */
    int count = ps ? tg_params_count(ps) : -1, bad = bad_arg ? bad_arg : ps ? 0 : 2;
    for (int i = 0; i < count && need_grad; i++)
        if (!tg_params_at(ps, i)->grad) bad = 1;
    long long mine[4] = {count, ps ? (long long)tg_params_numel(ps) : -1, bad,
                         ps ? shapes_hash(ps) : -1};
    int size = tg_dist_size();
    long long all[4 * 64], *v = size <= 64 ? all : tg_malloc((size_t)size * 4 * sizeof *v);
    int rc = MPI_Allgather(mine, 4, MPI_LONG_LONG, v, 4, MPI_LONG_LONG, MPI_COMM_WORLD);
    tg_status st = TG_OK;
    if (rc != MPI_SUCCESS) st = mpi_fail(rc, fn, "MPI_Allgather");
    static const char *why[] = {"", "has a parameter without a grad", "passed NULL parameters",
                                "passed a NULL tape"};
    for (int r = 0; st == TG_OK && r < size; r++) /* a rank's own mistake first, */
        if (v[4 * r + 2] > 0 && v[4 * r + 2] < 4)
            st = tg_fail(TG_ERR_ARG, "%s: rank %d %s", fn, r, why[v[4 * r + 2]]);
    for (int r = 0; st == TG_OK && r < size; r++) /* then the differences between ranks */
        if (v[4 * r] != mine[0] || v[4 * r + 1] != mine[1])
            st = tg_fail(TG_ERR_ARG, "%s: rank %d has %lld parameters of %lld values, rank %d "
                         "%lld of %lld: every rank must build the same model", fn, r,
                         v[4 * r], v[4 * r + 1], tg_dist_rank(), mine[0], mine[1]);
        else if (v[4 * r + 3] != mine[3])
            st = tg_fail(TG_ERR_ARG, "%s: rank %d's parameters have other sizes (or another "
                         "order) than rank %d's, with the same count and total: every rank "
                         "must build the same model", fn, r, tg_dist_rank());
    if (v != all) tg_free(v);
    return st;
}

tg_status tg_dist_broadcast_params(tg_params *ps)
{
    const char *fn = "tg_dist_broadcast_params";
    if (!mpi_on()) return ps ? TG_OK : tg_fail(TG_ERR_ARG, "%s: parameters are NULL", fn);
    /* (check_same below is collective: a NULL store fails on every rank together) */
    tg_status st = check_same(ps, false, fn, 0);
    for (int i = 0; st == TG_OK && i < tg_params_count(ps); i++) { /* each in place */
        tg_tensor *t = tg_params_at(ps, i);
        for (int64_t off = 0; st == TG_OK && off < t->size;) { /* int counts: 1 Gi pieces */
            int piece = (int)(t->size - off < (1 << 30) ? t->size - off : (1 << 30));
            int rc = MPI_Bcast(t->data + off, piece, MPI_FLOAT, 0, MPI_COMM_WORLD);
            if (rc != MPI_SUCCESS) st = mpi_fail(rc, fn, "MPI_Bcast");
            off += piece;
        }
    }
    return st;
}

tg_status tg_dist_broadcast_bytes(void *data, size_t bytes)
{
    const char *fn = "tg_dist_broadcast_bytes";
    bool bad = !data && bytes;
    if (!mpi_on()) return bad ? tg_fail(TG_ERR_ARG, "%s: data is NULL", fn) : TG_OK;
    /* (bytes, NULL flag) of every rank first: a mismatch fails every rank, none waits */
    long long mine[2] = {(long long)bytes, bad}, all[128];
    int size = tg_dist_size();
    long long *v = size <= 64 ? all : tg_malloc((size_t)size * 2 * sizeof *v);
    int rc = MPI_Allgather(mine, 2, MPI_LONG_LONG, v, 2, MPI_LONG_LONG, MPI_COMM_WORLD);
    tg_status st = rc == MPI_SUCCESS ? TG_OK : mpi_fail(rc, fn, "MPI_Allgather");
    for (int r = 0; st == TG_OK && r < size; r++)
        if (v[2 * r + 1] || v[2 * r] != mine[0])
            st = tg_fail(TG_ERR_ARG, "%s: rank %d passes %s, rank %d %lld bytes", fn, r,
                         v[2 * r + 1] ? "NULL" : "another byte count", tg_dist_rank(),
                         mine[0]);
    if (v != all) tg_free(v);
    for (size_t off = 0; st == TG_OK && off < bytes;) { /* int counts: pieces of 1 GiB */
        int piece = (int)(bytes - off < ((size_t)1 << 30) ? bytes - off : ((size_t)1 << 30));
        rc = MPI_Bcast((char *)data + off, piece, MPI_BYTE, 0, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) st = mpi_fail(rc, fn, "MPI_Bcast");
        off += (size_t)piece;
    }
    return st;
}

/* Every rank's weight into w[0..size) (collective); TG_ERR_ARG on every rank when one is
 * negative or not finite, or all are 0. */
static tg_status gather_weights(double weight, double *w, int size, const char *fn)
{
    int rc = MPI_Allgather(&weight, 1, MPI_DOUBLE, w, 1, MPI_DOUBLE, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, fn, "MPI_Allgather");
    double total = 0.0;
    for (int r = 0; r < size; r++) {
        if (!(w[r] >= 0.0 && isfinite(w[r])))
            return tg_fail(TG_ERR_ARG, "%s: rank %d's weight %g is not finite and >= 0", fn,
                           r, w[r]);
        total += w[r];
    }
    if (!(total > 0.0)) return tg_fail(TG_ERR_ARG, "%s: every rank's weight is 0", fn);
    return TG_OK;
}

/* The collective checks before gradients move (every rank gets the same verdict): the
 * stores match and have grads (check_same), at most 2^30 values, every rank's weight into
 * w[0..size) and valid (gather_weights). *n: the values per rank. */
static tg_status grads_checks(const char *fn, tg_params *ps, int bad_arg, double weight,
                              double *w, int size, int64_t *n)
{
    tg_status st = check_same(ps, true, fn, bad_arg);
    if (st != TG_OK) return st;
    *n = tg_params_numel(ps);
    if (*n > (int64_t)1 << 30) /* the same n on every rank: check_same compared them */
        return tg_fail(TG_ERR_ARG, "%s: %lld gradient values: more than 2^30 per rank is not "
                       "supported", fn, (long long)*n);
    return gather_weights(weight, w, size, fn);
}

tg_status tg_dist_average(double *value)
{
    const char *fn = "tg_dist_average";
    if (!mpi_on()) return value ? TG_OK : tg_fail(TG_ERR_ARG, "%s: value is NULL", fn);
    int size = tg_dist_size();
    /* (value, 1 when NULL): a NULL on one rank fails every rank instead of a hang */
    double mine[2] = {value ? *value : 0.0, value ? 0.0 : 1.0};
    double all[128], *v = size <= 64 ? all : tg_malloc((size_t)size * 2 * sizeof(double));
    int rc = MPI_Allgather(mine, 2, MPI_DOUBLE, v, 2, MPI_DOUBLE, MPI_COMM_WORLD);
    tg_status st = rc == MPI_SUCCESS ? TG_OK : mpi_fail(rc, fn, "MPI_Allgather");
    double s = 0.0;
    for (int r = 0; st == TG_OK && r < size; r++) {
        if (v[2 * r + 1] != 0.0) st = tg_fail(TG_ERR_ARG, "%s: rank %d passed NULL", fn, r);
        s += v[2 * r];
    }
    if (st == TG_OK) *value = s / size;
    if (v != all) tg_free(v);
    return st;
}

/* ---- gradients sent while backward runs (tg_dist_overlap_begin / _end) -------------------
 * Buckets: the parameters in reverse registration order (the order in which a backward
 * usually finishes them, as DDP assumes), cut into runs of about OVERLAP_BUCKET floats. The
 * plan depends on the parameter store only, so every rank has the same buckets and starts
 * them in the same order, as non-blocking collectives require. From the tape's records each
 * rank learns when a bucket is final: its ready index is the lowest index of a record that
 * reads one of its parameters. A backward hook starts bucket b's MPI_Iallgather once the
 * backward has passed that record and every bucket before b has started;
 * tg_dist_overlap_end starts the rest, waits, and adds the ranks' copies in rank order
 * (overlap_finish, which tg_dist_average_grads runs too: the same bits either way). */

#define OVERLAP_BUCKET ((int64_t)1 << 16) /* floats: 256 KiB of gradient */
#define PROGRESS_EVERY 32                 /* records between MPI_Testall calls */

typedef struct bucket {
    int k0, k1;      /* parameters param_k(k0 .. k1): newest registered first */
    int64_t off, n;  /* its floats in the flat send buffer */
    int ready;       /* lowest record index reading its parameters (INT_MAX: none) */
} bucket;

static struct {
    bool on;             /* between begin and end */
    tg_params *ps;
    tg_tape *tape;
    tg_backward_hook prev; /* the tape's own hook before begin: called on, put back at end */
    void *prev_user;
    int np, nb, next, size, calls;
    tg_status st;
    int *ready;          /* (np) per parameter k (param_k), as bucket.ready */
    bucket *b;           /* (nb) */
    MPI_Request *req;    /* (nb) */
    float *fr;           /* (size): w_r / sum w */
    const void **keys;   /* tensor -> position in order: open addressing, cap a power of 2 */
    int *vals;
    int cap_np, cap_keys, cap_size;
} ov;

/* tg_dist_finalize between begin and end: the gathers in flight complete, the tape gets
 * its own hook back, and end will report that nothing was averaged. */
static void overlap_hook(void *user, const tg_node *n);
static void overlap_abandon(void)
{
    if (!ov.on || !mpi_on()) return;
    MPI_Waitall(ov.next, ov.req, MPI_STATUSES_IGNORE);
    if (tg_tape_backward_hook(ov.tape, NULL) == overlap_hook)
        tg_tape_set_backward_hook(ov.tape, ov.prev, ov.prev_user);
    overlap_cut = true;
}

static void overlap_free(void)
{
    tg_free(ov.ready), tg_free(ov.b), tg_free(ov.req), tg_free(ov.fr);
    tg_free(ov.keys), tg_free(ov.vals);
    memset(&ov, 0, sizeof ov);
}

static unsigned slot_of(const void *x)
{
    return (unsigned)(((uintptr_t)x >> 4) * 2654435761u) & (unsigned)(ov.cap_keys - 1);
}

/* Parameter k of the buckets' order: the newest registered first. */
static tg_tensor *param_k(int k) { return tg_params_at(ov.ps, ov.np - 1 - k); }

/* x's position k (param_k) (a view counts as its base), or -1 when x is no parameter. */
static int param_of(const tg_tensor *x)
{
    while (x && x->grad_base) x = x->grad_base;
    if (!x) return -1;
    for (unsigned h = slot_of(x); ov.keys[h]; h = (h + 1) & (unsigned)(ov.cap_keys - 1))
        if (ov.keys[h] == x) return ov.vals[h];
    return -1;
}

/* Room for np parameters and size ranks (kept between steps, grown only). */
static void overlap_reserve(int np, int size)
{
    if (np > ov.cap_np) {
        tg_free(ov.ready), tg_free(ov.b), tg_free(ov.req);
        ov.ready = tg_malloc((size_t)np * sizeof *ov.ready);
        ov.b = tg_malloc((size_t)np * sizeof *ov.b);
        ov.req = tg_malloc((size_t)np * sizeof *ov.req);
        ov.cap_np = np;
    }
    int cap = 16;
    while (cap < 2 * np) cap *= 2;
    if (cap > ov.cap_keys) {
        tg_free(ov.keys), tg_free(ov.vals);
        ov.keys = tg_malloc((size_t)cap * sizeof *ov.keys);
        ov.vals = tg_malloc((size_t)cap * sizeof *ov.vals);
        ov.cap_keys = cap;
    }
    if (size > ov.cap_size) {
        tg_free(ov.fr);
        ov.fr = tg_malloc((size_t)size * sizeof *ov.fr);
        ov.cap_size = size;
    }
}

/* The buckets of ps and, from the tape's records, the index after which each is final. */
static void overlap_plan(const tg_tape *t)
{
    int np = ov.np;
    memset(ov.keys, 0, (size_t)ov.cap_keys * sizeof *ov.keys);
    for (int k = 0; k < np; k++) {
        ov.ready[k] = INT_MAX;
        const tg_tensor *x = param_k(k);
        unsigned h = slot_of(x);
        while (ov.keys[h]) h = (h + 1) & (unsigned)(ov.cap_keys - 1);
        ov.keys[h] = x, ov.vals[h] = k;
    }
    for (const tg_node *n = tg_tape_last(t); n; n = n->prev)
        for (int j = 0; j < n->n_in; j++) {
            int k = param_of(n->in[j]);
            if (k >= 0 && n->index < ov.ready[k]) ov.ready[k] = n->index;
        }
    ov.nb = 0;
    for (int k = 0; k < np;) {
        bucket *b = &ov.b[ov.nb];
        *b = (bucket){.k0 = k, .off = ov.nb ? ov.b[ov.nb - 1].off + ov.b[ov.nb - 1].n : 0,
                      .ready = INT_MAX};
        do {
            b->n += param_k(k)->size;
            if (ov.ready[k] < b->ready) b->ready = ov.ready[k];
            k++;
        } while (k < np && b->n + param_k(k)->size <= OVERLAP_BUCKET);
        b->k1 = k;
        ov.nb++;
    }
}

/* Starts bucket i: its gradients into the send buffer, then the gather of every rank's. */
static void overlap_launch(int i)
{
    const bucket *b = &ov.b[i];
    float *send = flat + b->off;
    for (int k = b->k0; k < b->k1; k++) {
        const tg_tensor *p = param_k(k);
        memcpy(send, p->grad, (size_t)p->size * sizeof(float));
        send += p->size;
    }
    int rc = MPI_Iallgather(flat + b->off, (int)b->n, MPI_FLOAT, gathered + ov.size * b->off,
                            (int)b->n, MPI_FLOAT, MPI_COMM_WORLD, &ov.req[i]);
    if (rc != MPI_SUCCESS) {
        ov.req[i] = MPI_REQUEST_NULL;
        if (ov.st == TG_OK) ov.st = mpi_fail(rc, "tg_dist_overlap_end", "MPI_Iallgather");
    }
}

/* After record n's backward: start the buckets that are final, in bucket order; now and
 * then let MPI move the ones in flight (Open MPI progresses them only inside its calls). */
static void overlap_hook(void *user, const tg_node *n)
{
    (void)user;
    if (ov.prev) ov.prev(ov.prev_user, n); /* the tape's own hook first, as if alone */
    while (ov.next < ov.nb && ov.b[ov.next].ready >= n->index) overlap_launch(ov.next++);
    if (ov.next > 0 && ++ov.calls % PROGRESS_EVERY == 0) {
        int done = 0;
        MPI_Testall(ov.next, ov.req, &done, MPI_STATUSES_IGNORE);
    }
}

/* Checks (collective, as the header says), weights and the bucket plan; then the buckets
 * may start. t NULL: no tape to learn from, every bucket waits for overlap_finish (the
 * blocking average). bad_arg: 3 when the caller's tape is NULL on this rank. */
static tg_status overlap_start(const char *fn, tg_params *ps, tg_tape *t, int bad_arg,
                               double weight)
{
    if (ov.on) tg_dist_overlap_end(); /* a begin without its end: finish that first */
    int64_t n = 0;
    int size = tg_dist_size();
    double wall[64], *w = size <= 64 ? wall : tg_malloc((size_t)size * sizeof(double));
    tg_status st = grads_checks(fn, ps, bad_arg, weight, w, size, &n);
    if (st == TG_OK) {
        overlap_reserve(tg_params_count(ps), size);
        /* w_r / sum w in float, the same factors on every rank (equal weights: exactly
         * the plain mean's) */
        double total = 0.0;
        for (int r = 0; r < size; r++) total += w[r];
        for (int r = 0; r < size; r++) ov.fr[r] = (float)(w[r] / total);
        reserve(&flat, &flat_cap, n > 0 ? n : 1);
        reserve(&gathered, &gathered_cap, n * size > 0 ? n * size : 1);
        ov.ps = ps, ov.tape = t, ov.size = size, ov.np = tg_params_count(ps);
        ov.next = ov.calls = 0, ov.st = TG_OK;
        overlap_plan(t);
        ov.on = true;
    }
    if (w != wall) tg_free(w);
    return st;
}

/* Starts the buckets not started yet, waits for all, and writes every grad: the ranks'
 * copies summed in rank order (the same bits on every rank, run after run). */
static tg_status overlap_finish(const char *fn)
{
    while (ov.next < ov.nb) overlap_launch(ov.next++);
    int rc = MPI_Waitall(ov.nb, ov.req, MPI_STATUSES_IGNORE);
    if (rc != MPI_SUCCESS && ov.st == TG_OK) ov.st = mpi_fail(rc, fn, "MPI_Waitall");
    ov.on = false;
    if (ov.st != TG_OK) return ov.st;
    for (int i = 0; i < ov.nb; i++) { /* rank r's copy of bucket i: all + r n */
        const bucket *b = &ov.b[i];
        const float *all = gathered + ov.size * b->off;
        int64_t at = 0;
        for (int k = b->k0; k < b->k1; k++) {
            tg_tensor *p = param_k(k);
            for (int64_t e = 0; e < p->size; e++, at++) {
                float s = ov.fr[0] * all[at];
                for (int r = 1; r < ov.size; r++) s += ov.fr[r] * all[(int64_t)r * b->n + at];
                p->grad[e] = s;
            }
        }
    }
    return TG_OK;
}

tg_status tg_dist_average_grads(tg_params *ps, double weight)
{
    const char *fn = "tg_dist_average_grads";
    if (!mpi_on()) return check_alone(fn, ps, false, NULL, weight);
    tg_status st = overlap_start(fn, ps, NULL, 0, weight);
    return st == TG_OK ? overlap_finish(fn) : st;
}

tg_status tg_dist_overlap_begin(tg_params *ps, tg_tape *t, double weight)
{
    const char *fn = "tg_dist_overlap_begin";
    if (!mpi_on()) return check_alone(fn, ps, true, t, weight);
    tg_status st = overlap_start(fn, ps, t, t ? 0 : 3, weight);
    if (st == TG_OK) {
        ov.prev = tg_tape_backward_hook(t, &ov.prev_user);
        tg_tape_set_backward_hook(t, overlap_hook, NULL);
    }
    return st;
}

tg_status tg_dist_overlap_end(void)
{
    const char *fn = "tg_dist_overlap_end";
    if (!mpi_on() && overlap_cut) {
        overlap_cut = false;
        return tg_fail(TG_ERR_ARG, "%s: tg_dist_finalize ran after tg_dist_overlap_begin: "
                       "the gradients were not averaged", fn);
    }
    if (!mpi_on()) return TG_OK;
    if (!ov.on)
        return tg_fail(TG_ERR_ARG, "%s: no tg_dist_overlap_begin before it (or it failed)", fn);
    /* put back the tape's own hook, unless the tape moved on (a reset removed ours) */
    if (ov.tape && tg_tape_backward_hook(ov.tape, NULL) == overlap_hook)
        tg_tape_set_backward_hook(ov.tape, ov.prev, ov.prev_user);
    return overlap_finish(fn);
}

#else /* one process alone */

tg_status tg_dist_init(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return TG_OK;
}
void tg_dist_finalize(void) {}
int tg_dist_rank(void) { return 0; }
int tg_dist_size(void) { return 1; }
bool tg_dist_available(void) { return false; }

tg_status tg_dist_broadcast_params(tg_params *ps)
{
    return ps ? TG_OK : tg_fail(TG_ERR_ARG, "tg_dist_broadcast_params: parameters are NULL");
}

tg_status tg_dist_average_grads(tg_params *ps, double weight)
{
    return check_alone("tg_dist_average_grads", ps, false, NULL, weight);
}

tg_status tg_dist_average(double *value)
{
    return value ? TG_OK : tg_fail(TG_ERR_ARG, "tg_dist_average: value is NULL");
}
tg_status tg_dist_broadcast_bytes(void *data, size_t bytes)
{
    return data || !bytes ? TG_OK
                          : tg_fail(TG_ERR_ARG, "tg_dist_broadcast_bytes: data is NULL");
}
tg_status tg_dist_overlap_begin(tg_params *ps, tg_tape *t, double weight)
{
    return check_alone("tg_dist_overlap_begin", ps, true, t, weight);
}
tg_status tg_dist_overlap_end(void) { return TG_OK; }
#endif
