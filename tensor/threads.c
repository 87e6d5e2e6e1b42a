/* tensor/threads.c — how many OpenMP threads the kernels use: the user's maximum
 * (tg_set_num_threads, else OMP_NUM_THREADS or the core count), lowered while other
 * processes keep cores busy.
 *
 * Why: a team of N threads on N cores where another process takes a core waits at every
 * barrier for the thread that is not running, and libgomp's default spin-wait then burns
 * the time slice the late thread needed (the study under one busy process: 2.9x its quiet
 * time at 2 threads, 1.9x with OMP_WAIT_POLICY=passive; users do not set that variable).
 * So, at most every TG_ADAPT_PERIOD seconds (from tg_threads_tick, which tg_tape_reset
 * calls once per step), the CPU time other processes used is read from /proc/stat (the
 * machine's busy time minus this process's, from getrusage) and the team shrinks to the
 * cores they leave free; it grows back when they go. Results do not change: every kernel
 * gives the same bits at any thread count.
 * Off with tg_set_adaptive_threads(false) or TG_ADAPTIVE_THREADS=0; without /proc/stat
 * (not Linux) or without OpenMP it does nothing.
 * Not here: the thresholds above which a loop uses threads (tensor/parallel.h).
 */
#include "tensor/tensor.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define TG_ADAPT_PERIOD 0.2 /* seconds between two looks at the machine */

static atomic_int user_max;     /* 0 until first needed: the most threads the user allows */
static atomic_int adaptive = -1; /* -1 until read from TG_ADAPTIVE_THREADS */
static atomic_int in_use;       /* the team size set last (0: none set yet) */

static int max_threads(void)
{
#ifdef _OPENMP
    if (user_max == 0) user_max = omp_get_max_threads();
#else
    user_max = 1;
#endif
    return user_max;
}

static void use_threads(int n)
{
    in_use = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
}

int tg_num_threads(void) { return in_use ? in_use : max_threads(); }

void tg_set_num_threads(int n)
{
#ifdef _OPENMP
    if (n <= 0) return;
    user_max = n;
    use_threads(n);
#else
    (void)n; /* one thread, always */
#endif
}

void tg_set_adaptive_threads(bool on)
{
    adaptive = on;
    if (!on && in_use) use_threads(max_threads());
}

int tg_threads_for_load(int max, int cores, double others)
{
    if (max < 1) return 1;
    if (!(others > 0.0)) return max; /* NaN or nothing measured: all of them */
    double free_cores = (double)cores - others;
    int n = (int)(free_cores + 0.5); /* a core counts when more than half of it is free */
    return n < 1 ? 1 : n > max ? max : n;
}

#ifdef _OPENMP
static atomic_flag ticking = ATOMIC_FLAG_INIT; /* one tick at a time (several tapes) */

/* Busy seconds of the whole machine (user, nice, system, irq, softirq, steal) from the
 * first line of /proc/stat; -1 when it cannot be read. */
static double machine_busy_seconds(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long v[8] = {0};
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                     &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (got != 8) return -1;
    static long hz;
    if (!hz) hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0) return -1;
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
}

static double self_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void tg_threads_tick(void)
{
    if (adaptive < 0) {
        const char *e = getenv("TG_ADAPTIVE_THREADS");
        adaptive = !(e && strcmp(e, "0") == 0);
    }
    if (!adaptive || omp_in_parallel() || max_threads() < 2) return;
    if (atomic_flag_test_and_set(&ticking)) return; /* another thread is looking */
    static double last_wall, last_busy, last_self;  /* guarded by `ticking` */
    double wall = now_seconds();
    if (last_wall == 0 || wall - last_wall >= TG_ADAPT_PERIOD) {
        double busy = machine_busy_seconds(), self = self_seconds();
        if (busy < 0) {
            adaptive = 0; /* no /proc/stat: nothing to adapt to */
        } else {
            if (last_wall > 0) {
                /* cores' worth of CPU that others used since the last look */
                double others = ((busy - last_busy) - (self - last_self)) / (wall - last_wall);
                long cores = sysconf(_SC_NPROCESSORS_ONLN);
                int n = tg_threads_for_load(max_threads(), cores > 0 ? (int)cores : 1, others);
                if (n != tg_num_threads()) use_threads(n);
            }
            last_wall = wall, last_busy = busy, last_self = self;
        }
    }
    atomic_flag_clear(&ticking);
}
#else
void tg_threads_tick(void) {} /* one thread: nothing to adapt */
#endif
