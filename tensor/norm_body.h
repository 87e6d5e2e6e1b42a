/* tensor/norm_body.h — the body of the layer-norm row kernels, written once on GCC vector
 * types and included by tensor/norm.c once per code path with
 *   NM_W        floats per vector (4: SSE2, the x86-64 baseline; 8: AVX2; 16: AVX-512F),
 *   NM(name)    the path's name for a symbol (ln_forward_avx2, ...),
 *   NM_TARGET   the target attribute string, or nothing for the baseline.
 * Each row's sums run in NM_W lanes (then added lane 0 first), so the three paths round
 * differently from each other; each is fixed for its path and independent of threads.
 * Rows of fewer than NM_W floats, and the last n % NM_W floats of a row, go one by one.
 * Not a header for anyone else: only tensor/norm.c includes it.
 */

typedef float NM(vf) __attribute__((vector_size(NM_W * 4)));

#define NM_INLINE static inline __attribute__((always_inline NM_TARGET))
#define NM_FN static __attribute__((unused NM_TARGET))

NM_INLINE NM(vf) NM(ld)(const float *p)
{
    NM(vf) v;
    memcpy(&v, p, sizeof v);
    return v;
}

NM_INLINE float NM(hsum)(NM(vf) v)
{
    float s = 0.0f;
    for (int k = 0; k < NM_W; k++) s += v[k];
    return s;
}

/* Per row r of x (rows, n): the mean as a pair mean[2r] + mean[2r+1] (hi + lo), rstd[r] =
 * 1 / sqrt(var + eps) with the biased variance, and y = (x - mean) rstd gain + bias (gain,
 * bias may be NULL: 1 and 0). The sums run on x - x[0] (exact for values near each other)
 * and the deviations are (x - hi) - lo, so a row far from zero (1e7 + {0, 1, 2, 3}) keeps
 * the precision a float row near zero has. */
NM_FN void NM(ln_forward)(const float *x, const float *gain, const float *bias, float *y,
                          float *mean, float *rstd, int64_t rows, int n, float eps)
{
    const int nv = n / NM_W * NM_W;
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        const float shift = xr[0];
        NM(vf) acc = {0};
        for (int j = 0; j < nv; j += NM_W) acc += NM(ld)(xr + j) - shift;
        float s = NM(hsum)(acc);
        for (int j = nv; j < n; j++) s += xr[j] - shift;
        const float dmean = s / (float)n, hi = shift + dmean, lo = (shift - hi) + dmean;
        NM(vf) acc2 = {0};
        for (int j = 0; j < nv; j += NM_W) {
            NM(vf) d = (NM(ld)(xr + j) - hi) - lo;
            acc2 += d * d;
        }
        float s2 = NM(hsum)(acc2);
        for (int j = nv; j < n; j++) s2 += ((xr[j] - hi) - lo) * ((xr[j] - hi) - lo);
        const float rs = 1.0f / sqrtf(s2 / (float)n + eps);
        mean[2 * r] = hi, mean[2 * r + 1] = lo, rstd[r] = rs;
        for (int j = 0; j < nv; j += NM_W) {
            NM(vf) v = ((NM(ld)(xr + j) - hi) - lo) * rs;
            if (gain) v *= NM(ld)(gain + j);
            if (bias) v += NM(ld)(bias + j);
            memcpy(yr + j, &v, sizeof v);
        }
        for (int j = nv; j < n; j++) {
            float v = ((xr[j] - hi) - lo) * rs;
            if (gain) v *= gain[j];
            if (bias) v += bias[j];
            yr[j] = v;
        }
    }
}

/* dx += rstd (g - mean(g) - xhat mean(g xhat)) per row, g = dy gain, xhat = (x - mean) rstd. */
NM_FN void NM(ln_backward)(const float *x, const float *dy, const float *gain,
                           const float *mean, const float *rstd, float *dx, int64_t rows, int n)
{
    const int nv = n / NM_W * NM_W;
    const float inv_n = 1.0f / (float)n;
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n, *gr = dy + r * n;
        float *dr = dx + r * n;
        const float hi = mean[2 * r], lo = mean[2 * r + 1], rs = rstd[r];
        NM(vf) va = {0}, vb = {0};
        for (int j = 0; j < nv; j += NM_W) {
            NM(vf) g = NM(ld)(gr + j);
            if (gain) g *= NM(ld)(gain + j);
            va += g;
            vb += g * (((NM(ld)(xr + j) - hi) - lo) * rs);
        }
        float a = NM(hsum)(va), b = NM(hsum)(vb);
        for (int j = nv; j < n; j++) {
            float g = gain ? gr[j] * gain[j] : gr[j];
            a += g;
            b += g * (((xr[j] - hi) - lo) * rs);
        }
        const float am = a * inv_n, bm = b * inv_n;
        for (int j = 0; j < nv; j += NM_W) {
            NM(vf) g = NM(ld)(gr + j);
            if (gain) g *= NM(ld)(gain + j);
            NM(vf) xh = ((NM(ld)(xr + j) - hi) - lo) * rs;
            NM(vf) d = NM(ld)(dr + j) + rs * (g - am - xh * bm);
            memcpy(dr + j, &d, sizeof d);
        }
        for (int j = nv; j < n; j++) {
            float g = gain ? gr[j] * gain[j] : gr[j];
            float xh = ((xr[j] - hi) - lo) * rs;
            dr[j] += rs * (g - am - xh * bm);
        }
    }
}

/* Columns [j0, j1): dgain[j] += sum_r dy[r, j] xhat[r, j], dbias[j] += sum_r dy[r, j], rows
 * in order (either output may be NULL). */
NM_FN void NM(ln_param_grads)(const float *x, const float *dy, const float *mean,
                              const float *rstd, float *dgain, float *dbias, int64_t rows,
                              int n, int j0, int j1)
{
    const int jv = j0 + (j1 - j0) / NM_W * NM_W;
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n, *gr = dy + r * n;
        const float hi = mean[2 * r], lo = mean[2 * r + 1], rs = rstd[r];
        for (int j = j0; j < jv; j += NM_W) {
            NM(vf) g = NM(ld)(gr + j);
            if (dgain) {
                NM(vf) d = NM(ld)(dgain + j) + g * (((NM(ld)(xr + j) - hi) - lo) * rs);
                memcpy(dgain + j, &d, sizeof d);
            }
            if (dbias) {
                NM(vf) d = NM(ld)(dbias + j) + g;
                memcpy(dbias + j, &d, sizeof d);
            }
        }
        for (int j = jv; j < j1; j++) {
            if (dgain) dgain[j] += gr[j] * (((xr[j] - hi) - lo) * rs);
            if (dbias) dbias[j] += gr[j];
        }
    }
}

#undef NM_INLINE
#undef NM_FN
