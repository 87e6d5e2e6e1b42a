/* tensor/vmath.c — vectorized exp, log, sigmoid and tanh for float32 arrays, their naive
 * twins, and the SIMD code-path choice (TG_SIMD) that these kernels and the GEMM share.
 *
 * glibc's expf, logf and tanhf are called one element at a time; in a recurrent cell they
 * dominated the step. The kernels here are one body (tensor/vmath_body.h, written on GCC
 * vector types) compiled three times: 4 floats a vector for the x86-64 baseline (SSE2, the
 * portable path), 8 with AVX2 and 16 with AVX-512F. The path is chosen once from the CPU
 * (__builtin_cpu_supports), or forced with TG_SIMD=portable|avx2|avx512 or
 * tg_simd_set_path. AVX2 and AVX-512 contract a * b + c into FMAs and give the same bits;
 * the portable path rounds each step and may differ from them by an ulp or two.
 * Why not SLEEF (Debian libsleef-dev): bench/vmath_bench times both. On AVX2, the path most
 * users have, these kernels ran tanh 3.4x and log 1.4x faster than SLEEF's 1-ulp functions,
 * exp at the same speed and sigmoid at 0.8-1.1x of SLEEF's exp-based one (two runs); on
 * AVX-512 SLEEF's exp, log and sigmoid were 1.4-1.6x faster and its tanh 2.8x slower. A
 * recurrent cell spends about as much in tanh as in sigmoid, so these stay (with no new
 * dependency); per-function SLEEF on AVX-512 is the obvious next step.
 * Accuracy: within a few ulps of libm over the whole float range, IEEE special values as
 * libm (exp overflows to inf and underflows through the subnormals; log(0) = -inf,
 * log(x < 0) = NaN); NaN stays NaN. On compilers without GCC's vector extensions the
 * kernels are their libm twins.
 * Not here: a general libm (no double, no other functions), the elementwise ops that call
 * these (autograd/ops_elementwise.c).
 */
#include "tensor/tensor.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define VM(name) name##_portable
#define VM_W 4
#define VM_TARGET
#include "tensor/vmath_body.h"
#undef VM
#undef VM_W
#undef VM_TARGET
#define TG_VMATH_PORTABLE 1
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TG_VMATH_X86 1
#if defined(__clang__)
#define VM_CONTRACT /* clang: -ffp-contract is per file; the kernels then use no FMA */
#else
#define VM_CONTRACT , optimize("fp-contract=fast")
#endif
#define VM(name) name##_avx2
#define VM_W 8
/* fp-contract=fast here only: a * b + c becomes one FMA (the project builds with
 * -ffp-contract=off); measured 1.4-1.5x faster than without (bench/vmath_bench). */
#define VM_TARGET , target("avx2,fma") VM_CONTRACT
#include "tensor/vmath_body.h"
#undef VM
#undef VM_W
#undef VM_TARGET
#define VM(name) name##_avx512
#define VM_W 16
#define VM_TARGET , target("avx512f,avx2,fma") VM_CONTRACT
#include "tensor/vmath_body.h"
#undef VM
#undef VM_W
#undef VM_TARGET
#endif

/* ---- code-path selection (shared with tensor/gemm.c) ------------------------------------ */

bool tg_simd_cpu_supports(tg_simd_path p)
{
#ifdef TG_VMATH_X86
    /* libgcc's checks include the OS saving the vector state (XCR0). */
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (p == TG_SIMD_AVX2) return avx2;
    if (p == TG_SIMD_AVX512) return avx2 && __builtin_cpu_supports("avx512f");
#endif
    return p == TG_SIMD_PORTABLE;
}

tg_simd_path tg_simd_resolve(tg_simd_path p)
{
    if (p == TG_SIMD_AUTO || p > TG_SIMD_AVX512) p = TG_SIMD_AVX512;
    if (p == TG_SIMD_AVX512 && !tg_simd_cpu_supports(TG_SIMD_AVX512)) p = TG_SIMD_AVX2;
    if (p == TG_SIMD_AVX2 && !tg_simd_cpu_supports(TG_SIMD_AVX2)) p = TG_SIMD_PORTABLE;
    return p;
}

tg_simd_path tg_simd_parse(const char *s)
{
    if (!s) return TG_SIMD_AUTO;
    if (strcmp(s, "portable") == 0) return TG_SIMD_PORTABLE;
    if (strcmp(s, "avx2") == 0) return TG_SIMD_AVX2;
    if (strcmp(s, "avx512") == 0) return TG_SIMD_AVX512;
    return TG_SIMD_AUTO;
}

const char *tg_simd_name(tg_simd_path p)
{
    static const char *names[] = {"auto", "portable", "avx2", "avx512"};
    return p >= TG_SIMD_AUTO && p <= TG_SIMD_AVX512 ? names[p] : "auto";
}

/* 0 until the first call decides; then the resolved path of the vector math kernels. */
static atomic_int vmath_path;

tg_simd_path tg_simd_set_path(tg_simd_path p)
{
    tg_simd_path got = tg_simd_resolve(p);
    atomic_store_explicit(&vmath_path, (int)got, memory_order_relaxed);
    return got;
}

tg_simd_path tg_simd_get_path(void)
{
    int p = atomic_load_explicit(&vmath_path, memory_order_relaxed);
    /* first use: every racing thread sets the same answer */
    return p ? (tg_simd_path)p : tg_simd_set_path(tg_simd_parse(getenv("TG_SIMD")));
}

/* ---- dispatch ------------------------------------------------------------------------------ */

typedef void (*vm_fn)(const float *, float *, int64_t);

#ifdef TG_VMATH_X86
#define VM_PICK(name)                                                                       \
    void tg_kernel_##name(const float *x, float *y, int64_t n)                              \
    {                                                                                       \
        tg_simd_path p = tg_simd_get_path();                                                \
        vm_fn f = p == TG_SIMD_AVX512 ? name##_avx512                                       \
                  : p == TG_SIMD_AVX2 ? name##_avx2                                         \
                                      : name##_portable;                                    \
        f(x, y, n);                                                                         \
    }
#elif defined(TG_VMATH_PORTABLE)
#define VM_PICK(name)                                                                       \
    void tg_kernel_##name(const float *x, float *y, int64_t n) { name##_portable(x, y, n); }
#else
#define VM_PICK(name)                                                                       \
    void tg_kernel_##name(const float *x, float *y, int64_t n)                              \
    {                                                                                       \
        tg_kernel_##name##_naive(x, y, n);                                                  \
    }
#endif
VM_PICK(exp)
VM_PICK(log)
VM_PICK(sigmoid)
VM_PICK(tanh)
#undef VM_PICK

/* ---- naive twins: libm, one element at a time ------------------------------------------ */

void tg_kernel_exp_naive(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = expf(x[i]);
}

void tg_kernel_log_naive(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = logf(x[i]);
}

void tg_kernel_sigmoid_naive(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
}

void tg_kernel_tanh_naive(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
