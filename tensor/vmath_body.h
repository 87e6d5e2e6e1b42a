/* tensor/vmath_body.h — the body of the vector math kernels, written once on GCC vector
 * types and included by tensor/vmath.c once per code path with
 *   VM_W        floats per vector (4: SSE2, the x86-64 baseline; 8: AVX2; 16: AVX-512F),
 *   VM(name)    the path's name for a symbol (exp_avx2, ...),
 *   VM_TARGET   the target attribute string, or nothing for the baseline.
 * Each arithmetic line below is one vector instruction on its path: the kernels are
 * vectorized by construction, not by the auto-vectorizer (which left gcc 12's AVX2 clones
 * scalar). The AVX2 and AVX-512 instances let gcc contract a * b + c into FMAs, in the
 * same places on both, so those two give the same bits; the portable one rounds twice.
 *
 * Method (Cephes single precision, S. L. Moshier: polynomial coefficients of expf, logf
 * and tanhf; the range reductions are the textbook ones):
 *   exp(x) = 2^n e^r, n = round(x log2 e), r = x - n ln 2 (ln 2 in two parts), e^r by a
 *            degree-6 polynomial; 2^n applied as 2^(n/2) 2^(n - n/2) so that results in the
 *            subnormal range and overflow to inf come out as libm's do.
 *   log(x) = e ln 2 + log(m), x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(1 + f) by
 *            f - f^2/2 + f^3 P(f) (degree 8); subnormal x scaled by 2^23 first.
 *   sigmoid(x) = 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0, with e = exp(-|x|);
 *   tanh(x) = x + x^3 P(x^2) for |x| < 0.625, else sign(x) (1 - 2 / (exp(2|x|) + 1)).
 * Not a header for anyone else: only tensor/vmath.c includes it.
 */

typedef float VM(vf) __attribute__((vector_size(VM_W * 4)));
typedef int32_t VM(vi) __attribute__((vector_size(VM_W * 4)));
typedef uint32_t VM(vu) __attribute__((vector_size(VM_W * 4)));

#define VM_INLINE static inline __attribute__((always_inline VM_TARGET))
#define VM_FN static __attribute__((unused VM_TARGET))

/* mask ? a : b, with mask lanes all ones or all zeros (a vector comparison's result) */
VM_INLINE VM(vf) VM(sel)(VM(vi) mask, VM(vf) a, VM(vf) b)
{
    return (VM(vf))((mask & (VM(vi))a) | (~mask & (VM(vi))b));
}

/* e^r by the polynomial, for x already clamped; *ti gets the bits of t = n + magic, from
 * which the callers take n (t's bits minus magic's, 0x4B400000). */
VM_INLINE VM(vf) VM(vexp_poly)(VM(vf) x, VM(vi) *ti)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    VM(vf) t = x * 1.44269504088896341f + magic;
    VM(vf) n = t - magic;
    VM(vf) r = x - n * 0.693359375f + n * 2.12194440e-4f; /* x - n ln2, ln2 in two parts */
    VM(vf) p = (VM(vf)){0} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    *ti = (VM(vi))t;
    return p * r * r + r + 1.0f;
}

VM_INLINE VM(vf) VM(vexp)(VM(vf) x)
{
    /* Clamp so that n stays in [-150, 129] (both halves of 2^n normal numbers); beyond,
     * the result is 0 or inf anyway. Comparisons are false for NaN, which passes through. */
    x = VM(sel)(x > 89.0f, (VM(vf)){0} + 89.0f, x);
    x = VM(sel)(x < -104.0f, (VM(vf)){0} - 104.0f, x);
    VM(vi) ti;
    VM(vf) p = VM(vexp_poly)(x, &ti);
    VM(vi) ni = ti - 0x4B400000;
    VM(vi) n1 = ni >> 1, n2 = ni - n1; /* arithmetic shift: n1 = floor(n / 2) */
    VM(vf) s1 = (VM(vf))((n1 + 127) << 23), s2 = (VM(vf))((n2 + 127) << 23);
    return p * s1 * s2;
}

/* exp(x) for x <= 0 (or NaN): sigmoid's. n is in [-150, 0], so 2^(n + 64) is normal: p
 * times it is exact and the product with 2^-64 rounds once, to the bits vexp gives (which
 * also rounds p 2^n once), with half its scaling work. */
VM_INLINE VM(vf) VM(vexp_nonpos)(VM(vf) x)
{
    x = VM(sel)(x < -104.0f, (VM(vf)){0} - 104.0f, x);
    VM(vi) ti;
    VM(vf) p = VM(vexp_poly)(x, &ti);
    VM(vf) s = (VM(vf))((ti + (127 + 64 - 0x4B400000)) << 23);
    return p * s * 0x1p-64f;
}

/* exp(x) for x >= 0 (or NaN), clamped to exp(88) < FLT_MAX: tanh's, which is 1 there
 * anyway. n <= 127, so one normal 2^n scales exactly, as in vexp. */
VM_INLINE VM(vf) VM(vexp_nonneg88)(VM(vf) x)
{
    x = VM(sel)(x > 88.0f, (VM(vf)){0} + 88.0f, x);
    VM(vi) ti;
    VM(vf) p = VM(vexp_poly)(x, &ti);
    return p * (VM(vf))((ti + (127 - 0x4B400000)) << 23);
}

VM_INLINE VM(vf) VM(vlog)(VM(vf) x)
{
    VM(vi) bits = (VM(vi))x;
    VM(vi) tiny = (x < 1.17549435e-38f) & (x > 0.0f); /* subnormal: scale into normal range */
    VM(vf) xs = VM(sel)(tiny, x * 8388608.0f, x);
    bits = (VM(vi))xs;
    VM(vf) e = __builtin_convertvector(((bits >> 23) & 0xff) - 126, VM(vf));
    e = VM(sel)(tiny, e - 23.0f, e);
    /* m in [0.5, 1) */
    VM(vf) m = (VM(vf))((bits & 0x807fffff) | 0x3f000000);
    VM(vi) lo = m < 0.707106781186547524f; /* then use 2m - 1 and e - 1 */
    e = VM(sel)(lo, e - 1.0f, e);
    VM(vf) f = VM(sel)(lo, m + m - 1.0f, m - 1.0f);
    VM(vf) z = f * f;
    VM(vf) p = (VM(vf)){0} + 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    VM(vf) y = f * z * p;
    y = y + e * -2.12194440e-4f;
    y = y - z * 0.5f;
    y = f + y + e * 0.693359375f;
    /* IEEE cases: log(+-0) = -inf, log(inf) = inf, log(x < 0) = NaN, NaN stays NaN */
    y = VM(sel)(x == 0.0f, (VM(vf)){0} - __builtin_inff(), y);
    y = VM(sel)(x == __builtin_inff(), x, y);
    y = VM(sel)((x < 0.0f) | (x != x), (VM(vf)){0} + __builtin_nanf(""), y);
    return y;
}

/* With e = exp(-|x|) <= 1: 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0, so that far
 * negative x keeps exp's accuracy down through the subnormals instead of flushing to 0. */
VM_INLINE VM(vf) VM(vsigmoid)(VM(vf) x)
{
    VM(vf) a = (VM(vf))((VM(vu))x & 0x7fffffffu);
    VM(vf) e = VM(vexp_nonpos)(-a);
    VM(vf) r = 1.0f / (1.0f + e);
    return VM(sel)(x < 0.0f, e * r, r); /* NaN: r is NaN */
}

/* Computed on |x|, then given x's sign (so tanh(-0) = -0, as libm). */
VM_INLINE VM(vf) VM(vtanh)(VM(vf) v)
{
    VM(vu) sign = (VM(vu))v & 0x80000000u;
    VM(vf) a = (VM(vf))((VM(vu))v & 0x7fffffffu);
    VM(vf) z = a * a; /* small |x|: odd polynomial (no cancellation) */
    VM(vf) p = (VM(vf)){0} - 5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    VM(vf) small = a + a * z * p;
    VM(vf) big = 1.0f - 2.0f / (VM(vexp_nonneg88)(a + a) + 1.0f); /* large |x|: exp(2|x|) */
    return (VM(vf))((VM(vu))VM(sel)(a < 0.625f, small, big) | sign);
}

/* y[0:n] = f(x[0:n]) a vector at a time. The tail: when x and y do not overlap and n holds
 * a whole vector, the last vector is done again ending at n (f is elementwise, so the
 * elements done twice get the same values); else through one zero-padded vector. The
 * cells call this on rows of 50 to 400 gates, where the padded tail's two variable-size
 * memcpy calls cost about what a vector of work does. */
#define VM_APPLY(name, vfn)                                                                 \
    VM_FN void VM(name)(const float *x, float *y, int64_t n)                                \
    {                                                                                       \
        int64_t i = 0;                                                                      \
        for (; i + VM_W <= n; i += VM_W) {                                                  \
            VM(vf) v;                                                                       \
            memcpy(&v, x + i, sizeof v);                                                    \
            v = vfn(v);                                                                     \
            memcpy(y + i, &v, sizeof v);                                                    \
        }                                                                                   \
        if (i == n) return;                                                                 \
        uintptr_t xa = (uintptr_t)x, ya = (uintptr_t)y, bytes = (uintptr_t)n * 4;          \
        if (n >= VM_W && (xa + bytes <= ya || ya + bytes <= xa)) {                          \
            VM(vf) v;                                                                       \
            memcpy(&v, x + n - VM_W, sizeof v);                                             \
            v = vfn(v);                                                                     \
            memcpy(y + n - VM_W, &v, sizeof v);                                             \
        } else {                                                                            \
            VM(vf) v = {0};                                                                 \
            memcpy(&v, x + i, (size_t)(n - i) * sizeof(float));                             \
            v = vfn(v);                                                                     \
            memcpy(y + i, &v, (size_t)(n - i) * sizeof(float));                             \
        }                                                                                   \
    }

VM_APPLY(exp, VM(vexp))
VM_APPLY(log, VM(vlog))
VM_APPLY(sigmoid, VM(vsigmoid))
VM_APPLY(tanh, VM(vtanh))

#undef VM_APPLY
#undef VM_INLINE
#undef VM_FN
