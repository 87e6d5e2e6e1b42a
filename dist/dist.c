/* dist/dist.c — MPI data parallelism (dist.h): start and stop, rank and size, rank 0's
 * parameters to every rank, and gradients averaged in a fixed rank order.
 *
 * The gradient average gathers every rank's flat gradient (MPI_Allgather) and adds the
 * ranks' copies in order 0, 1, ... on each rank: MPI_Allreduce would be cheaper but leaves
 * the order of the sum to the library and the network, and the bits with it. The flat
 * buffers are kept between calls (grown, never shrunk), so a training step allocates
 * nothing once warm.
 *
 * What this is not: a communication library. Without MPI (TG_HAVE_MPI undefined) every
 * function is the one-process case.
 */
#include "dist/dist.h"

#include <math.h>
#include <string.h>

#include "tensor/tensor.h"

#ifdef TG_HAVE_MPI
#include <mpi.h>

static bool started; /* by tg_dist_init: tg_dist_finalize ends MPI only then */
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
    if (started && mpi_on()) MPI_Finalize();
    started = false;
    tg_free(flat), tg_free(gathered);
    flat = gathered = NULL;
    flat_cap = gathered_cap = 0;
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

/* Every rank's (count, numel) must match: checked together before any data moves. */
static tg_status check_same(const tg_params *ps, bool need_grad, const char *fn)
{
    /* a NULL store still takes part in the exchange, so no other rank waits forever */
    int count = ps ? tg_params_count(ps) : -1, bad = ps ? 0 : 2;
    for (int i = 0; i < count && need_grad; i++)
        if (!tg_params_at(ps, i)->grad) bad = 1;
    long long mine[3] = {count, ps ? (long long)tg_params_numel(ps) : -1, bad};
    int size = tg_dist_size();
    long long all[3 * 64], *v = size <= 64 ? all : tg_malloc((size_t)size * 3 * sizeof *v);
    int rc = MPI_Allgather(mine, 3, MPI_LONG_LONG, v, 3, MPI_LONG_LONG, MPI_COMM_WORLD);
    tg_status st = TG_OK;
    if (rc != MPI_SUCCESS) st = mpi_fail(rc, fn, "MPI_Allgather");
    for (int r = 0; st == TG_OK && r < size; r++) {
        if (v[3 * r + 2])
            st = tg_fail(TG_ERR_ARG, "%s: rank %d %s", fn, r,
                         v[3 * r + 2] == 2 ? "passed NULL parameters"
                                           : "has a parameter without a grad");
        else if (v[3 * r] != mine[0] || v[3 * r + 1] != mine[1])
            st = tg_fail(TG_ERR_ARG, "%s: rank %d has %lld parameters of %lld values, rank %d "
                         "%lld of %lld: every rank must build the same model", fn, r,
                         v[3 * r], v[3 * r + 1], tg_dist_rank(), mine[0], mine[1]);
    }
    if (v != all) tg_free(v);
    return st;
}

/* Copies every parameter's data (or grad) into, or back out of, one flat buffer. */
static void flatten(tg_params *ps, bool grads, float *buf, bool out)
{
    int64_t off = 0;
    for (int i = 0; i < tg_params_count(ps); i++) {
        tg_tensor *t = tg_params_at(ps, i);
        float *src = grads ? t->grad : t->data;
        if (out)
            memcpy(buf + off, src, (size_t)t->size * sizeof(float));
        else
            memcpy(src, buf + off, (size_t)t->size * sizeof(float));
        off += t->size;
    }
}

tg_status tg_dist_broadcast_params(tg_params *ps)
{
    const char *fn = "tg_dist_broadcast_params";
    if (!mpi_on()) return ps ? TG_OK : tg_fail(TG_ERR_ARG, "%s: parameters are NULL", fn);
    /* (check_same below is collective: a NULL store fails on every rank together) */
    tg_status st = check_same(ps, false, fn);
    if (st != TG_OK) return st;
    int64_t n = tg_params_numel(ps);
    float *buf = reserve(&flat, &flat_cap, n > 0 ? n : 1);
    flatten(ps, false, buf, true);
    for (int64_t off = 0; off < n;) { /* counts are ints: in pieces of 1 Gi floats */
        int piece = (int)(n - off < (1 << 30) ? n - off : (1 << 30));
        int rc = MPI_Bcast(buf + off, piece, MPI_FLOAT, 0, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, fn, "MPI_Bcast");
        off += piece;
    }
    flatten(ps, false, buf, false);
    return TG_OK;
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

tg_status tg_dist_average_grads(tg_params *ps, double weight)
{
    const char *fn = "tg_dist_average_grads";
    if (!mpi_on()) {
        if (!ps) return tg_fail(TG_ERR_ARG, "%s: parameters are NULL", fn);
        if (!(weight > 0.0 && isfinite(weight)))
            return tg_fail(TG_ERR_ARG, "%s: weight %g must be finite and > 0", fn, weight);
        return TG_OK;
    }
    tg_status st = check_same(ps, true, fn);
    if (st != TG_OK) return st;
    int64_t n = tg_params_numel(ps);
    int size = tg_dist_size();
    if (n > (int64_t)1 << 30)
        return tg_fail(TG_ERR_ARG, "%s: %lld gradient values: more than 2^30 per rank is not "
                       "supported", fn, (long long)n);
    double wall[64], *w = size <= 64 ? wall : tg_malloc((size_t)size * sizeof(double));
    st = gather_weights(weight, w, size, fn);
    float *buf = reserve(&flat, &flat_cap, n > 0 ? n : 1);
    float *all = reserve(&gathered, &gathered_cap, n * size > 0 ? n * size : 1);
    int rc = MPI_SUCCESS;
    if (st == TG_OK) {
        flatten(ps, true, buf, true);
        rc = MPI_Allgather(buf, (int)n, MPI_FLOAT, all, (int)n, MPI_FLOAT, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) st = mpi_fail(rc, fn, "MPI_Allgather");
    }
    if (st == TG_OK) {
        /* w_r / sum w in float, then the sum in rank order on every rank: the same bits
         * everywhere, run after run (equal weights: exactly the plain mean's factors) */
        double total = 0.0;
        for (int r = 0; r < size; r++) total += w[r];
        float f[64], *fr = size <= 64 ? f : tg_malloc((size_t)size * sizeof(float));
        for (int r = 0; r < size; r++) fr[r] = (float)(w[r] / total);
        for (int64_t i = 0; i < n; i++) {
            float s = fr[0] * all[i];
            for (int r = 1; r < size; r++) s += fr[r] * all[(int64_t)r * n + i];
            buf[i] = s;
        }
        if (fr != f) tg_free(fr);
        flatten(ps, true, buf, false);
    }
    if (w != wall) tg_free(w);
    return st;
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
    if (!ps) return tg_fail(TG_ERR_ARG, "tg_dist_average_grads: parameters are NULL");
    if (!(weight > 0.0 && isfinite(weight)))
        return tg_fail(TG_ERR_ARG, "tg_dist_average_grads: weight %g must be finite and > 0",
                       weight);
    return TG_OK;
}

tg_status tg_dist_average(double *value)
{
    return value ? TG_OK : tg_fail(TG_ERR_ARG, "tg_dist_average: value is NULL");
}
#endif
