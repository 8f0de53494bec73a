// Elementwise and row kernels of the Transformer layer (issue 17). See criticality_kernels.h.
//
// Each kernel is one body compiled for the baseline target and for AVX2 (dispatch.h). Reductions keep
// eight lanes in a fixed order and add them in a fixed order at the end, with no FMA contraction, so
// both versions give the same bits; elementwise kernels have no order to keep.
#include "criticality_kernels.h"
#include <math.h>
#include <string.h>

#include "dispatch.h"

typedef float crit_f8 __attribute__((vector_size(32)));
typedef int32_t crit_i8 __attribute__((vector_size(32)));

#define CRIT_BODY static inline __attribute__((always_inline))
// Defines name(args) dispatching to an AVX2 and a baseline copy of name##_body.
#define CRIT_DISPATCH(name, params, args)                                   \
    CRIT_AVX2 static void name##_avx2 params { name##_body args; }          \
    static void name##_base params { name##_body args; }                    \
    void name params {                                                      \
        if (have_avx2()) name##_avx2 args; else name##_base args;           \
    }

static inline crit_f8 load8(const float *p) { crit_f8 v; memcpy(&v, p, 32); return v; }
static inline void store8(float *p, crit_f8 v) { memcpy(p, &v, 32); }
static inline crit_f8 splat8(float x) { return (crit_f8){x, x, x, x, x, x, x, x}; }
static inline float sum8(crit_f8 v) {  // fixed order: pairs, then quads
    float a = (v[0] + v[1]) + (v[2] + v[3]), b = (v[4] + v[5]) + (v[6] + v[7]);
    return a + b;
}

CRIT_BODY void crit_relu_dropout_forward_body(float *h, const float *mask, float *kept, long n) {
    long i = 0;
    crit_f8 zero = splat8(0);
    for (; i + 8 <= n; i += 8) {
        crit_f8 v = __builtin_elementwise_max(load8(h + i), zero);
        store8(h + i, v);
        if (mask) store8(kept + i, v * load8(mask + i));
    }
    for (; i < n; i++) {
        float v = h[i] > 0 ? h[i] : 0;
        h[i] = v;
        if (mask) kept[i] = v * mask[i];
    }
}
CRIT_DISPATCH(crit_relu_dropout_forward, (float *h, const float *mask, float *kept, long n), (h, mask, kept, n))

CRIT_BODY void crit_relu_dropout_backward_body(float *dh, const float *h, const float *mask, long n) {
    long i = 0;
    crit_f8 zero = splat8(0);
    for (; i + 8 <= n; i += 8) {
        crit_f8 g = load8(dh + i);
        if (mask) g = g * load8(mask + i);
        crit_i8 on = load8(h + i) > zero;
        store8(dh + i, (crit_f8)((crit_i8)g & on));
    }
    for (; i < n; i++) dh[i] = h[i] > 0 ? (mask ? dh[i] * mask[i] : dh[i]) : 0;
}
CRIT_DISPATCH(crit_relu_dropout_backward, (float *dh, const float *h, const float *mask, long n), (dh, h, mask, n))

CRIT_BODY void crit_residual_body(const float *x, const float *a, const float *mask, float *s, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        crit_f8 v = load8(a + i);
        if (mask) v = v * load8(mask + i);
        store8(s + i, load8(x + i) + v);
    }
    for (; i < n; i++) s[i] = x[i] + (mask ? a[i] * mask[i] : a[i]);
}
CRIT_DISPATCH(crit_residual, (const float *x, const float *a, const float *mask, float *s, long n), (x, a, mask, s, n))

CRIT_BODY void crit_multiply_body(const float *x, const float *m, float *out, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) store8(out + i, load8(x + i) * load8(m + i));
    for (; i < n; i++) out[i] = x[i] * m[i];
}
CRIT_DISPATCH(crit_multiply, (const float *x, const float *m, float *out, long n), (x, m, out, n))

CRIT_BODY void crit_column_sums_body(const float *x, long rows, long cols, float *out) {
    memset(out, 0, (size_t)cols * sizeof(float));
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * cols;
        long j = 0;
        for (; j + 8 <= cols; j += 8) store8(out + j, load8(out + j) + load8(row + j));
        for (; j < cols; j++) out[j] += row[j];
    }
}
CRIT_DISPATCH(crit_column_sums, (const float *x, long rows, long cols, float *out), (x, rows, cols, out))

CRIT_BODY void crit_layer_norm_forward_body(const float *x, long r0, long r1, long d, const float *gamma, const float *beta,
                                            float *xhat, float *rstd, float *y, double eps) {
    for (long r = r0; r < r1; r++) {
        const float *xr = x + r * d;
        float *hr = xhat + r * d, *yr = y + r * d;
        double s[8] = {0}, v[8] = {0};
        long j = 0;
        for (; j + 8 <= d; j += 8)
            for (int l = 0; l < 8; l++) s[l] += (double)xr[j + l];
        double sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (; j < d; j++) sum += (double)xr[j];
        double mean = sum / (double)d;
        for (j = 0; j + 8 <= d; j += 8)
            for (int l = 0; l < 8; l++) { double c = (double)xr[j + l] - mean; v[l] += c * c; }
        double var = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
        for (; j < d; j++) { double c = (double)xr[j] - mean; var += c * c; }
        float m = (float)mean, ri = (float)(1.0 / sqrt(var / (double)d + eps));
        rstd[r] = ri;
        for (j = 0; j < d; j++) {
            float h = (xr[j] - m) * ri;
            hr[j] = h;
            yr[j] = h * gamma[j] + beta[j];
        }
    }
}
CRIT_DISPATCH(crit_layer_norm_forward,
              (const float *x, long r0, long r1, long d, const float *gamma, const float *beta, float *xhat, float *rstd, float *y, double eps),
              (x, r0, r1, d, gamma, beta, xhat, rstd, y, eps))

CRIT_BODY void crit_layer_norm_backward_body(const float *dy, long r0, long r1, long d, const float *gamma, const float *xhat,
                                             const float *rstd, float *dx) {
    float invd = 1.0f / (float)d;
    for (long r = r0; r < r1; r++) {
        const float *g = dy + r * d, *h = xhat + r * d;
        float *out = dx + r * d;
        crit_f8 sg = splat8(0), sgh = splat8(0);
        long j = 0;
        for (; j + 8 <= d; j += 8) {
            crit_f8 gj = load8(g + j) * load8(gamma + j);
            sg += gj;
            sgh += gj * load8(h + j);
        }
        float a = sum8(sg), b = sum8(sgh);
        for (; j < d; j++) { float gj = g[j] * gamma[j]; a += gj; b += gj * h[j]; }
        float mg = a * invd, mgh = b * invd, ri = rstd[r];
        for (j = 0; j < d; j++) out[j] = ri * (g[j] * gamma[j] - mg - h[j] * mgh);
    }
}
CRIT_DISPATCH(crit_layer_norm_backward,
              (const float *dy, long r0, long r1, long d, const float *gamma, const float *xhat, const float *rstd, float *dx),
              (dy, r0, r1, d, gamma, xhat, rstd, dx))

CRIT_BODY void crit_layer_norm_parameter_gradients_body(const float *dy, const float *xhat, long rows, long d, float *dgamma, float *dbeta) {
    memset(dgamma, 0, (size_t)d * sizeof(float));
    memset(dbeta, 0, (size_t)d * sizeof(float));
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * d, *h = xhat + r * d;
        long j = 0;
        for (; j + 8 <= d; j += 8) {
            crit_f8 gj = load8(g + j);
            store8(dgamma + j, load8(dgamma + j) + gj * load8(h + j));
            store8(dbeta + j, load8(dbeta + j) + gj);
        }
        for (; j < d; j++) { dgamma[j] += g[j] * h[j]; dbeta[j] += g[j]; }
    }
}
CRIT_DISPATCH(crit_layer_norm_parameter_gradients, (const float *dy, const float *xhat, long rows, long d, float *dgamma, float *dbeta),
              (dy, xhat, rows, d, dgamma, dbeta))

// e^x for x ≤ 0 (softmax arguments after the max is subtracted), Cephes' expf: x = n·ln2 + r with
// |r| ≤ ln2/2, a degree-6 polynomial for e^r, and 2^n from the exponent bits; about 1 ulp. Arguments
// below −87.3 (where 2^n would be subnormal) give 0.
static inline crit_f8 exp8(crit_f8 x) {
    crit_i8 tiny = x < splat8(-87.3f);
    x = __builtin_elementwise_max(x, splat8(-87.3f));
    crit_f8 n = __builtin_elementwise_floor(x * splat8(1.44269504088896341f) + splat8(0.5f));
    crit_f8 r = x - n * splat8(0.693359375f) - n * splat8(-2.12194440e-4f);
    crit_f8 p = splat8(1.9875691500e-4f);
    p = p * r + splat8(1.3981999507e-3f);
    p = p * r + splat8(8.3334519073e-3f);
    p = p * r + splat8(4.1665795894e-2f);
    p = p * r + splat8(1.6666665459e-1f);
    p = p * r + splat8(5.0000001201e-1f);
    p = p * r * r + r + splat8(1.0f);
    crit_i8 bits = (__builtin_convertvector(n, crit_i8) + 127) << 23;
    crit_f8 e = p * (crit_f8)bits;
    return (crit_f8)((crit_i8)e & ~tiny);
}

// Row i of the t×t block a: softmax over columns 0..<visible (visible = i + 1 when causal, else t),
// zeros beyond. Padded to 8 lanes with −∞ (e^−∞ = 0) through a stack row.
CRIT_BODY void crit_softmax_rows_body(float *a, long t, int causal, float scale) {
    float buf[4096 + 8];
    for (long i = 0; i < t; i++) {
        float *row = a + i * t;
        long visible = causal ? i + 1 : t, padded = (visible + 7) & ~7L;
        for (long j = 0; j < visible; j++) row[j] *= scale;
        float m = row[0];
        for (long j = 1; j < visible; j++) m = row[j] > m ? row[j] : m;
        for (long j = 0; j < visible; j++) buf[j] = row[j] - m;
        for (long j = visible; j < padded; j++) buf[j] = -INFINITY;
        crit_f8 s = splat8(0);
        for (long j = 0; j < padded; j += 8) {
            crit_f8 e = exp8(load8(buf + j));
            store8(buf + j, e);
            s += e;
        }
        float inv = 1.0f / sum8(s);
        for (long j = 0; j < visible; j++) row[j] = buf[j] * inv;
        for (long j = visible; j < t; j++) row[j] = 0;
    }
}
CRIT_DISPATCH(crit_softmax_rows, (float *a, long t, int causal, float scale), (a, t, causal, scale))

CRIT_BODY void crit_softmax_backward_rows_body(float *dp, const float *p, long t, float scale) {
    for (long i = 0; i < t; i++) {
        float *row = dp + i * t;
        const float *pr = p + i * t;
        crit_f8 acc = splat8(0);
        long j = 0;
        for (; j + 8 <= t; j += 8) acc += load8(row + j) * load8(pr + j);
        float dot = sum8(acc);
        for (; j < t; j++) dot += row[j] * pr[j];
        for (j = 0; j < t; j++) row[j] = pr[j] * (row[j] - dot) * scale;
    }
}
CRIT_DISPATCH(crit_softmax_backward_rows, (float *dp, const float *p, long t, float scale), (dp, p, t, scale))

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef uint64_t crit_u4 __attribute__((vector_size(32)));
static inline crit_u4 rotl4(crit_u4 x, int k) { return (x << k) | (x >> (64 - k)); }

// Eight xoshiro256** generators side by side (two vectors of four lanes), each seeded by SplitMix64 from
// one draw of the caller's generator; every step gives 8 × 64 bits, i.e. 16 factors (lane k's low 32 bits
// for factor 16·s + k, its high 32 bits for 16·s + 8 + k). ×5 and ×9 are shifts and adds, so the AVX2
// and baseline copies compute the same integers.
CRIT_BODY void crit_dropout_fill_body(uint64_t *state, float *mask, long n, uint64_t threshold, float keep) {
    uint64_t g0 = state[0], g1 = state[1], g2 = state[2], g3 = state[3];
    crit_u4 s[2][4];
    for (int k = 0; k < 8; k++) {
        uint64_t draw = rotl64(g1 * 5, 7) * 9, t = g1 << 17;  // the caller's generator, one step
        g2 ^= g0; g3 ^= g1; g1 ^= g2; g0 ^= g3; g2 ^= t; g3 = rotl64(g3, 45);
        uint64_t sm = draw;
        for (int w = 0; w < 4; w++) s[k / 4][w][k % 4] = splitmix64(&sm);
    }
    state[0] = g0; state[1] = g1; state[2] = g2; state[3] = g3;
    const crit_u4 th = {threshold, threshold, threshold, threshold}, low = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    float out[16];
    for (long i = 0; i < n; i += 16) {
        for (int h = 0; h < 2; h++) {
            crit_u4 s0 = s[h][0], s1 = s[h][1], s2 = s[h][2], s3 = s[h][3];
            crit_u4 m5 = (s1 << 2) + s1, r = rotl4(m5, 7), result = (r << 3) + r, t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl4(s3, 45);
            s[h][0] = s0; s[h][1] = s1; s[h][2] = s2; s[h][3] = s3;
            crit_u4 lo = result & low, hi = result >> 32;
            for (int l = 0; l < 4; l++) {
                out[4 * h + l] = lo[l] < th[l] ? 0.0f : keep;
                out[8 + 4 * h + l] = hi[l] < th[l] ? 0.0f : keep;
            }
        }
        long m = n - i < 16 ? n - i : 16;
        memcpy(mask + i, out, (size_t)m * sizeof(float));
    }
}
CRIT_DISPATCH(crit_dropout_fill, (uint64_t *state, float *mask, long n, uint64_t threshold, float keep), (state, mask, n, threshold, keep))

