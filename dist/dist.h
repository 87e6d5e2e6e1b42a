/* dist/dist.h — data-parallel training across processes with MPI (Open MPI from Debian:
 * libopenmpi-dev, openmpi-bin), after PyTorch's DistributedDataParallel: every process
 * (rank) holds a replica of the model, computes gradients on its shard of each global
 * batch, and the gradients are averaged over the ranks before the optimizer step.
 *
 *     tg_dist_init(&argc, &argv);                  // once, before anything else
 *     ... build the model and its parameters ps on every rank ...
 *     tg_dist_broadcast_params(ps);                // rank 0's initial weights everywhere
 *     for each step:
 *         forward / backward on this rank's rows of the global batch
 *         tg_dist_average_grads(ps, rows);         // grads := mean over the global batch
 *         tg_optim_step(opt);                      // identical on every rank
 *     tg_dist_finalize();
 *
 * Run with `mpirun -np 2 ./train` (in a container as root add --allow-run-as-root and
 * --oversubscribe).
 *
 * Determinism: gradients are summed in rank order 0, 1, ..., size-1 on every rank (each
 * rank gathers all ranks' gradients and adds them itself), so every rank holds the same
 * bits and a run is bit-identical to a rerun with the same number of ranks, whatever the
 * network's timing. The price is size x the gradient bytes of memory and traffic per step
 * (an allreduce moves about 2x); fine for the models this library trains.
 *
 * Without MPI (built with -Dmpi=disabled, or no MPI found), every function works as one
 * process alone: rank 0 of size 1, and averaging or broadcasting changes nothing, so one
 * program runs either way.
 *
 * Errors: TG_ERR_ARG for NULL arguments, a parameter without a grad, a bad weight, or
 * parameter stores that differ between ranks (count, total, or the sizes in order). The checks are collective:
 * every rank gets the error, before any data moves, and none waits forever. TG_ERR_IO when
 * MPI reports a failure (the message names the MPI call and its error string). The
 * library never aborts the job itself.
 *
 * What this is not: model parallelism (every rank holds the whole model) or a
 * fault-tolerant job (a rank that dies ends the job, as MPI does).
 */
#ifndef TG_DIST_H
#define TG_DIST_H

#include <stdbool.h>

#include "autograd/autograd.h"
#include "tensor/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts MPI (MPI_Init_thread asking for MPI_THREAD_FUNNELED: OpenMP threads inside a
 * rank never call MPI); argc/argv may be NULL. A second call does nothing. TG_ERR_IO when
 * MPI fails to start. */
tg_status tg_dist_init(int *argc, char ***argv);
/* Ends MPI (only if tg_dist_init started it). */
void tg_dist_finalize(void);
/* This process's rank in [0, size) and the number of ranks: 0 and 1 without MPI or before
 * tg_dist_init. */
int tg_dist_rank(void);
int tg_dist_size(void);
/* True when built with MPI. */
bool tg_dist_available(void);

/* Copies rank 0's parameter values into every rank's (grads untouched). Collective: every
 * rank must call it with a store of the same names' sizes in the same order. */
tg_status tg_dist_broadcast_params(tg_params *ps);
/* Replaces each parameter's grad by the weighted mean over the ranks, sum_r w_r g_r /
 * sum_r w_r, summed in rank order (see above). weight is this rank's share of the global
 * batch, its rows (tg_batcher_size): with each rank's loss a mean over its own rows, this
 * is the gradient of the mean over the whole batch, also when the ranks' shares differ
 * (a last, short batch). Equal weights give the plain mean. weight must be finite and
 * >= 0, and the weights' sum > 0 (TG_ERR_ARG on every rank otherwise). Collective, as
 * tg_dist_broadcast_params. */
tg_status tg_dist_average_grads(tg_params *ps, double weight);
/* Copies rank 0's `bytes` bytes at data into every rank's (a seed, an rng's state, a
 * config). Collective; every rank must pass the same byte count, and data may be NULL
 * only when bytes is 0 (TG_ERR_ARG on every rank otherwise). */
tg_status tg_dist_broadcast_bytes(void *data, size_t bytes);
/* The mean of one double over the ranks (for losses and metrics), summed in rank order. */
tg_status tg_dist_average(double *value);

/* tg_dist_average_grads with the communication overlapped with backward, as DDP does:
 *
 *     loss = forward(tape, ...);                   // this rank's rows
 *     tg_dist_overlap_begin(ps, tape, rows);       // after the forward, before backward
 *     tg_backward(tape, loss);                     // buckets leave as they become final
 *     tg_dist_overlap_end();                       // grads := the weighted mean
 *
 * The parameters are sent in buckets of about 256 KiB, newest registered first; a bucket
 * starts (MPI_Iallgather) during tg_backward as soon as the records that read its
 * parameters have run (tg_tape_set_backward_hook, autograd/op.h) and the buckets before it
 * have started. end starts what is left, waits, and writes every grad with the same
 * rank-order sum as tg_dist_average_grads: the same bits. Collective, as that function
 * (begin exchanges the checks and the weights, TG_ERR_ARG on every rank when they fail);
 * after a successful begin every rank must call end, also when its backward did not run.
 * The parameters and the tape must live, and the parameters keep their sizes, until end.
 * A hook the tape already had still runs (first, at each record) and is put back at end.
 * One overlap at a time per process; a second begin first ends the one in flight; end
 * after tg_dist_finalize is TG_ERR_ARG (nothing averaged). Without MPI: the checks only. */
tg_status tg_dist_overlap_begin(tg_params *ps, tg_tape *t, double weight);
tg_status tg_dist_overlap_end(void);

#ifdef __cplusplus
}
#endif
#endif /* TG_DIST_H */
