/* bench/train_bench.c — times tapegrad training steps and inference on fixed recurrent
 * configurations, LSTM and GRU each, with nothing but the library's public API.
 *
 *   train_bench [--config seed|medium|large|all] [--cell lstm|gru|plainlstm|peephole|lnlstm|zoneout|both] [--threads N]
 *               [--steps N] [--warmup N] [--json] [--train-only | --infer-only]
 *               [--dist [--overlap]]
 *
 * --dist (under mpirun, dist/dist.h): each rank trains on its B / ranks rows of the batch
 * and the gradients are averaged (tg_dist_average_grads, counted in the backward phase)
 * before the step; rank 0 reports, with samples/s and GFLOP/s of the whole batch B.
 * --overlap: the average is sent in buckets during backward (tg_dist_overlap_begin/end).
 *
 * Configurations (batch-first input x (B, T, I), target y (B, 1), both random and fixed):
 *   seed    the Bitcoin study's model: rnn(1 -> 50, sequences) -> dropout 0.2 ->
 *           rnn(50 -> 100, last step) -> dropout 0.2 -> linear(100 -> 1); MSE;
 *           RMSprop with Keras' formula (lr 1e-3, rho 0.9, eps 1e-7); T 60, B 64
 *   medium  rnn(64 -> 256, last step) -> linear(256 -> 1); MSE; Adam; T 60, B 64
 *   large   rnn(256 -> 512, last step) -> linear(512 -> 1); MSE; Adam; T 100, B 32
 *
 * A training step is exactly what a user's loop does:
 *   tg_tape_reset, tg_optim_zero_grad, forward, loss, tg_backward, tg_optim_step.
 * An inference pass is tg_tape_reset and the forward with grad mode off and dropout off.
 *
 * Reported per configuration and cell, after the warm-up steps:
 *   train_ms      median wall time of one training step (CLOCK_MONOTONIC)
 *   fwd/bwd/upd   medians of its phases: reset + zero_grad + forward + loss | tg_backward |
 *                 tg_optim_step (medians of parts need not add up to the median step)
 *   samples/s     B / (median step time)
 *   GFLOP/s       effective: only the recurrent GEMMs are counted, per layer
 *                   forward  2 T B G H (I + H)   (input projection + hidden projection)
 *                   backward 2 x forward         (data gradient + weight gradient)
 *                 so a training step counts 3 x forward and an inference pass 1 x forward;
 *                 gate elementwise math, the dense head, the loss and the optimizer are
 *                 real work that is not counted.
 *   rss_mb        getrusage(RUSAGE_SELF).ru_maxrss: the PEAK of the whole process so far.
 *                 With several configurations in one process it is the peak of all of
 *                 them up to this one; measure one configuration per process (run.sh does)
 *   allocs/step   tg_heap_alloc_count() delta over the timed training steps / steps:
 *                 allocations through tapegrad's allocator (tensors, tape chunks,
 *                 optimizer state, GEMM packing buffers), not libc's own or OpenMP's
 *   first_allocs  the same count for the very first training step (builds the arena,
 *                 gradients and optimizer state)
 *   arena_mb      tape bytes handed out by one training step (tg_tape_stats_get
 *                 bytes_used) and the arena bytes held (bytes_reserved)
 *   infer_ms      median wall time of one inference forward pass
 *   others%       CPU used by OTHER processes during the timed training steps, as a share
 *                 of the whole machine (/proc/stat busy time, steal included, minus this
 *                 process's own CPU time): above a few percent the timings are disturbed
 *
 * What this is not: a correctness test (the loss is printed only as a sanity check), or
 * the PyTorch comparison (bench/torch_bench.py and bench/run.sh do that).
 */
#include "tapegrad.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- configurations ------------------------------------------------------------------- */

typedef struct bench_config {
    const char *name;
    int input, batch, time;
    int n_rnn;          /* recurrent layers in a row: 2 for seed, 1 otherwise */
    int hidden[2];      /* units of each */
    float dropout;      /* after each recurrent layer (seed only) */
    bool keras_rmsprop; /* seed: RMSprop (Keras); else Adam (PyTorch) */
} bench_config;

static const bench_config configs[] = {
    {"seed", 1, 64, 60, 2, {50, 100}, 0.2f, true},
    {"medium", 64, 64, 60, 1, {256, 0}, 0.0f, false},
    {"large", 256, 32, 100, 1, {512, 0}, 0.0f, false},
};
enum { N_CONFIGS = sizeof configs / sizeof configs[0] };

typedef struct bench_cell {
    const char *name;
    const tg_cell_type *type;
} bench_cell;

/* An LSTM as a researcher writes one from the README's general ops only (linear, add,
 * chunk, sigmoid, tanh, mul): the same equations and parameters as tg_cell_lstm, which uses
 * linear_add, chunk_act and addcmul. Timed beside it to show what a user's variant pays. */
static void plain_lstm_step(tg_tape *t, const tg_cell_ctx *ctx, tg_tensor *const *xw,
                            tg_tensor *const *s, tg_tensor **out)
{
    const tg_cell_weights *w = ctx->w;
    tg_tensor *g = tg_add(t, xw[0], tg_linear(t, s[0], w->weight_hh, w->bias_hh)); /* (B, 4H) */
    tg_tensor *q[4];
    tg_chunk(t, g, 4, 1, q); /* i | f | g | o, (B, H) each */
    tg_tensor *i = tg_sigmoid(t, q[0]), *f = tg_sigmoid(t, q[1]);
    tg_tensor *c = tg_add(t, tg_mul(t, f, s[1]), tg_mul(t, i, tg_tanh(t, q[2])));
    out[0] = tg_mul(t, tg_sigmoid(t, q[3]), tg_tanh(t, c));
    out[1] = c;
}
static const tg_cell_type plain_lstm = {.name = "plainlstm", .gates = 4, .n_state = 2,
                                        .step = plain_lstm_step};

/* "both" runs the first two (the ones PyTorch has); the others only when asked for: the
 * plain-op LSTM and the variants of layers/variants/ (their training mode: zoneout draws
 * its masks, at its default rates). */
static const bench_cell cells[] = {
    {"lstm", &tg_cell_lstm},           {"gru", &tg_cell_gru},
    {"plainlstm", &plain_lstm},        {"peephole", &tg_cell_peephole_lstm},
    {"lnlstm", &tg_cell_ln_lstm},      {"zoneout", &tg_cell_zoneout_lstm}};
enum { N_CELLS = sizeof cells / sizeof cells[0], N_BOTH = 2 };

/* FLOPs of the recurrent GEMMs in one forward pass: per layer 2 T B G H (I + H). */
static double forward_flops(const bench_config *c, const tg_cell_type *cell)
{
    double f = 0;
    int in = c->input;
    for (int l = 0; l < c->n_rnn; l++) {
        int H = c->hidden[l];
        f += 2.0 * c->time * c->batch * cell->gates * H * (double)(in + H);
        in = H;
    }
    return f;
}

/* ---- the model ------------------------------------------------------------------------ */

typedef struct model {
    tg_params *ps;
    tg_rnn *rnn[2];
    tg_linear_layer fc;
    tg_optim *opt;
    tg_rng dropout_rng;
    const bench_config *cfg;
} model;

static void model_init(model *m, const bench_config *c, const tg_cell_type *cell)
{
    memset(m, 0, sizeof *m);
    m->cfg = c;
    tg_rng rng;
    tg_rng_seed(&rng, 42, 1);
    tg_rng_seed(&m->dropout_rng, 42, 2);
    m->ps = tg_params_new();
    int in = c->input;
    for (int l = 0; l < c->n_rnn; l++) {
        tg_rnn_opts o = tg_rnn_defaults(); /* batch-first, PyTorch init */
        o.return_sequences = l + 1 < c->n_rnn;
        char prefix[16];
        snprintf(prefix, sizeof prefix, "rnn%d", l);
        m->rnn[l] = tg_rnn_new(m->ps, prefix, cell, in, c->hidden[l], &o, &rng);
        in = c->hidden[l];
    }
    m->fc = tg_linear_layer_new(m->ps, "fc", in, 1, true, &rng);
    if (c->keras_rmsprop)
        m->opt = tg_optim_rmsprop_keras(m->ps, NULL); /* lr 1e-3, rho 0.9, eps 1e-7 */
    else
        m->opt = tg_optim_adam(m->ps, NULL); /* lr 1e-3, betas (0.9, 0.999), eps 1e-8 */
}

static void model_free(model *m)
{
    tg_optim_free(m->opt);
    for (int l = 0; l < m->cfg->n_rnn; l++) tg_rnn_free(m->rnn[l]);
    tg_params_free(m->ps);
}

/* x (B, T, I) -> prediction (B, 1). */
static tg_tensor *model_forward(tg_tape *tp, model *m, tg_tensor *x, bool training)
{
    const bench_config *c = m->cfg;
    tg_tensor *h = x;
    for (int l = 0; l < c->n_rnn; l++) {
        tg_rnn_train(m->rnn[l], training, &m->dropout_rng); /* as tg_model does */
        h = tg_rnn_forward(tp, m->rnn[l], h, NULL, NULL); /* (B, T, H) or (B, H) */
        if (c->dropout > 0.0f) h = tg_dropout(tp, h, c->dropout, training, &m->dropout_rng);
    }
    return tg_linear_layer_forward(tp, &m->fc, h); /* (B, 1) */
}

/* Wall time of the phases of one training step, in ms. */
typedef struct phases {
    double forward;  /* tape reset, zero_grad, forward and loss */
    double backward; /* tg_backward */
    double update;   /* tg_optim_step */
    double comm;     /* --dist: the gradient average's time not hidden by backward (all of
                        tg_dist_average_grads; tg_dist_overlap_end's wait with --overlap) */
} phases;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static bool dist_mode; /* --dist with more than one rank */
static bool overlap;   /* --overlap: gradients sent during backward (tg_dist_overlap_*) */
static bool infer_only; /* --infer-only: one timed training step (profiles of inference) */

static float train_step(tg_tape *tp, model *m, tg_tensor *x, tg_tensor *y, phases *ph)
{
    double t0 = now_ms();
    tg_tape_reset(tp);
    tg_optim_zero_grad(m->opt);
    tg_tensor *loss = tg_mse_loss(tp, model_forward(tp, m, x, true), y, TG_MEAN);
    double t1 = now_ms();
    tg_status st = TG_OK;
    double tc;
    if (dist_mode && overlap) {
        st = tg_dist_overlap_begin(m->ps, tp, x->shape[0]);
        tg_backward(tp, loss);
        tc = now_ms();
        if (st == TG_OK) st = tg_dist_overlap_end();
    } else {
        tg_backward(tp, loss);
        tc = now_ms();
        if (dist_mode) st = tg_dist_average_grads(m->ps, x->shape[0]);
    }
    double comm = now_ms() - tc;
    if (st != TG_OK) fprintf(stderr, "train_bench: %s\n", tg_last_error());
    double t2 = now_ms();
    tg_optim_step(m->opt);
    if (ph) *ph = (phases){t1 - t0, t2 - t1, now_ms() - t2, comm};
    return loss->data[0];
}

static void infer_pass(tg_tape *tp, model *m, tg_tensor *x)
{
    tg_tape_reset(tp);
    tg_tensor *p = model_forward(tp, m, x, false);
    (void)p;
}

/* ---- measurement helpers -------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n-1] (sorts v). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Busy ticks of the whole machine (all CPUs) from /proc/stat: user, nice, system, irq,
 * softirq and steal (time the hypervisor gave to someone else); 0 when unreadable. */
static double machine_busy_s(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 8) return 0;
    long hz = sysconf(_SC_CLK_TCK);
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)(hz > 0 ? hz : 100);
}

/* CPU seconds used by this process (all its threads, OpenMP spinning included). */
static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

/* ---- one configuration and cell ------------------------------------------------------- */

typedef struct result {
    double train_ms, train_min_ms, train_max_ms, infer_ms;
    double fwd_ms, bwd_ms, update_ms; /* medians of the phases of a training step */
    double samples_s, gflops_train, gflops_infer;
    double rss_mb, arena_used_mb, arena_reserved_mb;
    double allocs_per_step, infer_allocs_per_pass;
    double foreign_cpu_pct; /* other processes' share of the machine during timed steps */
    uint64_t first_allocs;
    int64_t params;
    float loss_first, loss_last;
} result;

static result run_one(const bench_config *c, const bench_cell *cell, int steps, int warmup,
                      bool infer)
{
    result r = {0};
    model m;
    model_init(&m, c, cell->type);
    r.params = tg_params_numel(m.ps);

    tg_rng rng;
    tg_rng_seed(&rng, 7, 3);
    int rows = dist_mode ? c->batch / tg_dist_size() : c->batch; /* this rank's share */
    tg_tensor *x = tg_tensor_new(TG_SHAPE(rows, c->time, c->input));
    tg_tensor *y = tg_tensor_new(TG_SHAPE(rows, 1));
    tg_fill_uniform(x, &rng, -1.0f, 1.0f);
    tg_fill_uniform(y, &rng, -1.0f, 1.0f);
    tg_tape *tp = tg_tape_new();
    double *ms = malloc(sizeof(double) * (size_t)steps * 5); /* step, fwd, bwd, update, comm */
    double *fwd = ms + steps, *bwd = ms + 2 * steps, *upd = ms + 3 * steps, *com = ms + 4 * steps;

    /* First step: everything is allocated here (arena chunks, grads, optimizer state). */
    uint64_t a0 = tg_heap_alloc_count();
    r.loss_first = train_step(tp, &m, x, y, NULL);
    r.first_allocs = tg_heap_alloc_count() - a0;
    for (int i = 1; i < warmup; i++) train_step(tp, &m, x, y, NULL);

    a0 = tg_heap_alloc_count();
    double busy0 = machine_busy_s(), self0 = self_cpu_s(), wall0 = now_ms();
    int tsteps = infer_only ? 1 : steps; /* --infer-only: one timed training step */
    for (int i = 0; i < tsteps; i++) {
        double t0 = now_ms();
        phases ph;
        r.loss_last = train_step(tp, &m, x, y, &ph);
        ms[i] = now_ms() - t0;
        fwd[i] = ph.forward, bwd[i] = ph.backward, upd[i] = ph.update, com[i] = ph.comm;
    }
    if (dist_mode)
        printf("%s %s: gradient average after backward %.3f ms (median; %s)\n", c->name,
               cell->name, median(com, tsteps), overlap ? "what --overlap leaves" : "blocking");
    r.fwd_ms = median(fwd, tsteps);
    r.bwd_ms = median(bwd, tsteps);
    r.update_ms = median(upd, tsteps);
    r.allocs_per_step = (double)(tg_heap_alloc_count() - a0) / tsteps;
    double wall_s = (now_ms() - wall0) * 1e-3;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    double foreign = (machine_busy_s() - busy0) - (self_cpu_s() - self0);
    if (ncpu < 1) ncpu = 1;
    r.foreign_cpu_pct = foreign > 0 && wall_s > 0 ? 100.0 * foreign / (wall_s * ncpu) : 0;
    tg_tape_stats st = tg_tape_stats_get(tp); /* the last training step, before a reset */
    r.arena_used_mb = st.bytes_used / 1048576.0;
    r.arena_reserved_mb = st.bytes_reserved / 1048576.0;
    r.train_ms = median(ms, tsteps);
    r.train_min_ms = ms[0];
    r.train_max_ms = ms[tsteps - 1];

    /* Inference: grad mode off (nothing recorded), dropout off. */
    bool old = tg_tape_set_grad(tp, false);
    int isteps = infer ? steps : 1, iwarmup = infer ? warmup : 0; /* --train-only: 1 pass */
    for (int i = 0; i < iwarmup; i++) infer_pass(tp, &m, x);
    a0 = tg_heap_alloc_count();
    for (int i = 0; i < isteps; i++) {
        double t0 = now_ms();
        infer_pass(tp, &m, x);
        ms[i] = now_ms() - t0;
    }
    r.infer_allocs_per_pass = (double)(tg_heap_alloc_count() - a0) / isteps;
    r.infer_ms = median(ms, isteps);
    tg_tape_set_grad(tp, old);

    double f = forward_flops(c, cell->type);
    r.samples_s = c->batch / (r.train_ms * 1e-3);
    r.gflops_train = 3.0 * f / (r.train_ms * 1e-3) * 1e-9;
    r.gflops_infer = infer ? f / (r.infer_ms * 1e-3) * 1e-9 : 0;
    if (!infer) r.infer_ms = 0;
    r.rss_mb = peak_rss_mb();

    free(ms);
    tg_tape_free(tp);
    tg_tensor_free(x);
    tg_tensor_free(y);
    model_free(&m);
    return r;
}

/* ---- command line and output ---------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: train_bench [--config seed|medium|large|all]\n"
               "                   [--cell lstm|gru|plainlstm|peephole|lnlstm|zoneout|both] [--threads N] [--dist [--overlap]]\n"
               "                   [--steps N] [--warmup N] [--json]\n"
               "                   [--train-only]   (skip the inference timing, for profiles)\n"
               "                   [--infer-only]   (one timed training step, for profiles of inference)\n");
}

static int parse_int(const char *s, const char *what, int min)
{
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || *end || v < min || v > 1000000) {
        fprintf(stderr, "train_bench: %s needs an integer >= %d, got %s\n", what, min,
                s ? s : "nothing");
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    const char *config = "all", *cell = "both";
    int threads = 0, steps = 20, warmup = 3;
    bool json = false, infer = true, dist = false;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--dist")) tg_dist_init(&argc, &argv); /* before anything */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--config") && v) config = argv[++i];
        else if (!strcmp(a, "--cell") && v) cell = argv[++i];
        else if (!strcmp(a, "--threads")) threads = parse_int(v, a, 1), i++;
        else if (!strcmp(a, "--steps")) steps = parse_int(v, a, 1), i++;
        else if (!strcmp(a, "--warmup")) warmup = parse_int(v, a, 1), i++;
        else if (!strcmp(a, "--json")) json = true;
        else if (!strcmp(a, "--train-only")) infer = false;
        else if (!strcmp(a, "--infer-only")) infer_only = true;
        else if (!strcmp(a, "--dist")) dist = true;
        else if (!strcmp(a, "--overlap")) overlap = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else { usage(stderr); return 2; }
    }
    bool any_cfg = !strcmp(config, "all"), any_cell = !strcmp(cell, "both");
    int n_match = 0;
    for (int k = 0; k < N_CONFIGS; k++) n_match += any_cfg || !strcmp(config, configs[k].name);
    bool known_cell = any_cell;
    for (int j = 0; j < N_CELLS; j++) known_cell |= !strcmp(cell, cells[j].name);
    if (!n_match || !known_cell) {
        usage(stderr);
        return 2;
    }
    if (threads > 0) tg_set_num_threads(threads);
    int nt = tg_num_threads();
    dist_mode = dist && tg_dist_size() > 1;
    if (dist_mode && tg_dist_rank() != 0 && !freopen("/dev/null", "w", stdout))
        return 1; /* rank 0 reports */

    if (!json) {
        printf("tapegrad train_bench: %d thread%s, %d warm-up + %d timed steps; medians.\n",
               nt, nt == 1 ? "" : "s", warmup, steps);
        printf("GFLOP/s counts the recurrent GEMMs only (fwd 2*T*B*G*H*(I+H) per layer, "
               "bwd 2x fwd). RSS is the process peak so far.\n\n");
        printf("%-7s %-5s %9s %9s %17s %9s %10s %9s %9s %8s %9s %8s %10s %9s %8s\n",
               "config", "cell", "params", "train_ms", "fwd/bwd/upd ms", "infer_ms",
               "samples/s", "GF/s trn", "GF/s inf", "rss_MB", "arena_MB", "allocs",
               "1st_allocs", "loss", "others%");
    }
    int bad = 0;
    for (int k = 0; k < N_CONFIGS; k++) {
        const bench_config *c = &configs[k];
        if (!any_cfg && strcmp(config, c->name)) continue;
        for (int j = 0; j < N_CELLS; j++) {
            if (any_cell ? j >= N_BOTH : strcmp(cell, cells[j].name) != 0) continue;
            result r = run_one(c, &cells[j], steps, warmup, infer);
            if (!isfinite(r.loss_last)) bad = 1;
            if (json) {
                printf("{\"impl\":\"tapegrad\",\"config\":\"%s\",\"cell\":\"%s\","
                       "\"threads\":%d,\"batch\":%d,\"time\":%d,\"input\":%d,"
                       "\"params\":%lld,\"steps\":%d,\"warmup\":%d,"
                       "\"train_ms\":%.4f,\"train_min_ms\":%.4f,\"train_max_ms\":%.4f,"
                       "\"fwd_ms\":%.4f,\"bwd_ms\":%.4f,\"update_ms\":%.4f,"
                       "\"infer_ms\":%.4f,\"samples_per_s\":%.1f,"
                       "\"gflops_train\":%.3f,\"gflops_infer\":%.3f,\"rss_mb\":%.2f,"
                       "\"allocs_per_step\":%.3f,\"first_step_allocs\":%llu,"
                       "\"infer_allocs_per_pass\":%.3f,"
                       "\"arena_used_mb\":%.3f,\"arena_reserved_mb\":%.3f,"
                       "\"foreign_cpu_pct\":%.1f,"
                       "\"loss_first\":%.6g,\"loss_last\":%.6g,"
                       "\"simd\":\"%s\",\"gemm_path\":\"%s\"}\n",
                       c->name, cells[j].name, nt, c->batch, c->time, c->input,
                       (long long)r.params, steps, warmup, r.train_ms, r.train_min_ms,
                       r.train_max_ms, r.fwd_ms, r.bwd_ms, r.update_ms, r.infer_ms,
                       r.samples_s, r.gflops_train,
                       r.gflops_infer, r.rss_mb, r.allocs_per_step,
                       (unsigned long long)r.first_allocs, r.infer_allocs_per_pass,
                       r.arena_used_mb, r.arena_reserved_mb, r.foreign_cpu_pct,
                       (double)r.loss_first, (double)r.loss_last,
                       tg_simd_name(tg_simd_get_path()), tg_gemm_path_name());
            } else {
                printf("%-7s %-5s %9lld %9.2f %5.1f/%5.1f/%5.2f %9.2f %10.0f %9.2f %9.2f %8.1f "
                       "%9.1f %8.2f %10llu %9.5f %8.1f\n",
                       c->name, cells[j].name, (long long)r.params, r.train_ms, r.fwd_ms,
                       r.bwd_ms, r.update_ms, r.infer_ms,
                       r.samples_s, r.gflops_train, r.gflops_infer, r.rss_mb,
                       r.arena_used_mb, r.allocs_per_step,
                       (unsigned long long)r.first_allocs, (double)r.loss_last,
                       r.foreign_cpu_pct);
            }
            fflush(stdout);
        }
    }
    if (bad) fprintf(stderr, "train_bench: a loss is not finite\n");
    tg_dist_finalize();
    return bad;
}
