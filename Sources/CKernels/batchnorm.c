// Batch norm's passes over one channel (BatchNorm2D, issue 14), in C. See criticality_kernels.h.
//
// Swift's SIMD types compile to the package's baseline target (SSE2, 4 lanes), so batch norm's Swift
// loops ran a quarter of the vector width this machine has; its passes took ~11 % of the CNN's
// one-thread step. Each body here is written once with fixed 16-lane vector types and compiled for the
// baseline, AVX2 and AVX-512 (dispatch.h): the lanes, the order of every Double sum (16 lanes across
// all of the channel's planes, a tail accumulator, then the lanes added 0…15) and the rounding are the
// same on every path, and FMA contraction is off, so every path gives the same bits.
#include "criticality_kernels.h"

#include "dispatch.h"

#pragma STDC FP_CONTRACT OFF

typedef float crit_f16 __attribute__((vector_size(64)));
typedef double crit_d8 __attribute__((vector_size(64)));
typedef int32_t crit_i16 __attribute__((vector_size(64)));

#define CRIT_BN_BODY static inline __attribute__((always_inline))

CRIT_BN_BODY crit_f16 load16(const float *p) { crit_f16 v; __builtin_memcpy(&v, p, sizeof v); return v; }
CRIT_BN_BODY void store16(float *p, crit_f16 v) { __builtin_memcpy(p, &v, sizeof v); }
CRIT_BN_BODY crit_d8 low8(crit_f16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7), crit_d8); }
CRIT_BN_BODY crit_d8 high8(crit_f16 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15), crit_d8); }
/// Lanes 0…7 of a, then 8…15 of b's halves: (a0 + … + a7) + (b0 + … + b7), each left to right.
CRIT_BN_BODY double lanes_total(crit_d8 a, crit_d8 b) {
    double s = 0;
    for (int l = 0; l < 8; l++) s += a[l];
    for (int l = 0; l < 8; l++) s += b[l];
    return s;
}
/// g where y > 0, else 0 (the fused ReLU's mask), lane by lane.
CRIT_BN_BODY crit_f16 masked(crit_f16 g, crit_f16 y) {
    const crit_f16 zero = {0};
    return (crit_f16)((crit_i16)g & (crit_i16)(y > zero));
}

CRIT_BN_BODY void moments_body(const float *x, long stride, long planes, long n, double *sum, double *ssd) {
    crit_d8 a0 = {0}, a1 = {0};
    double tail = 0;
    for (long b = 0; b < planes; b++) {
        const float *r = x + b * stride;
        long i = 0;
        for (; i + 16 <= n; i += 16) { const crit_f16 v = load16(r + i); a0 += low8(v); a1 += high8(v); }
        for (; i < n; i++) tail += (double)r[i];
    }
    const double s = lanes_total(a0, a1) + tail;
    const double m = s / (double)(planes * n);
    crit_d8 q0 = {0}, q1 = {0};
    const crit_d8 mv = {m, m, m, m, m, m, m, m};
    double qtail = 0;
    for (long b = 0; b < planes; b++) {
        const float *r = x + b * stride;
        long i = 0;
        for (; i + 16 <= n; i += 16) {
            const crit_f16 v = load16(r + i);
            const crit_d8 d0 = low8(v) - mv, d1 = high8(v) - mv;
            q0 += d0 * d0; q1 += d1 * d1;
        }
        for (; i < n; i++) { const double d = (double)r[i] - m; qtail += d * d; }
    }
    *sum = s;
    *ssd = lanes_total(q0, q1) + qtail;
}

CRIT_BN_BODY void normalize_body(const float *x, long stride, long planes, long n, float m, float inv, float g, float bt,
                                 int relu, float *y) {
    const crit_f16 mv = m - (crit_f16){0}, iv = inv - (crit_f16){0}, gv = g - (crit_f16){0}, bv = bt - (crit_f16){0};
    const crit_f16 zero = {0};
    for (long b = 0; b < planes; b++) {
        const float *xr = x + b * stride;
        float *yr = y + b * stride;
        long i = 0;
        for (; i + 16 <= n; i += 16) {
            crit_f16 v = gv * ((load16(xr + i) - mv) * iv) + bv;
            if (relu) v = (crit_f16)((crit_i16)v & ~(crit_i16)(v <= zero));  // v ≤ 0 → +0; NaN stays NaN
            store16(yr + i, v);
        }
        for (; i < n; i++) {
            const float v = g * ((xr[i] - m) * inv) + bt;
            yr[i] = (relu && v <= 0) ? 0.0f : v;
        }
    }
}

CRIT_BN_BODY void backward_sums_body(const float *dy, const float *x, const float *y, long stride, long planes, long n,
                                     float m, float inv, double *sum_g, double *sum_gh) {
    const crit_f16 mv = m - (crit_f16){0}, iv = inv - (crit_f16){0};
    crit_d8 s0 = {0}, s1 = {0}, d0 = {0}, d1 = {0};
    double st = 0, dt = 0;
    for (long b = 0; b < planes; b++) {
        const long o = b * stride;
        long i = 0;
        for (; i + 16 <= n; i += 16) {
            crit_f16 g = load16(dy + o + i);
            if (y) g = masked(g, load16(y + o + i));
            const crit_f16 gh = g * ((load16(x + o + i) - mv) * iv);
            s0 += low8(g); s1 += high8(g);
            d0 += low8(gh); d1 += high8(gh);
        }
        for (; i < n; i++) {
            const float g = (y && !(y[o + i] > 0)) ? 0.0f : dy[o + i];
            st += (double)g;
            dt += (double)(g * ((x[o + i] - m) * inv));
        }
    }
    *sum_g = lanes_total(s0, s1) + st;
    *sum_gh = lanes_total(d0, d1) + dt;
}

CRIT_BN_BODY void input_gradient_body(const float *dy, const float *x, const float *y, long stride, long planes, long n,
                                      float m, float inv, float scale, float mean_g, float mean_gh, float *dx) {
    const crit_f16 mv = m - (crit_f16){0}, iv = inv - (crit_f16){0}, sv = scale - (crit_f16){0};
    const crit_f16 gv = mean_g - (crit_f16){0}, hv = mean_gh - (crit_f16){0};
    for (long b = 0; b < planes; b++) {
        const long o = b * stride;
        long i = 0;
        for (; i + 16 <= n; i += 16) {
            crit_f16 g = load16(dy + o + i);
            if (y) g = masked(g, load16(y + o + i));
            const crit_f16 h = (load16(x + o + i) - mv) * iv;
            store16(dx + o + i, sv * (g - gv - h * hv));
        }
        for (; i < n; i++) {
            const float g = (y && !(y[o + i] > 0)) ? 0.0f : dy[o + i];
            dx[o + i] = scale * (g - mean_g - ((x[o + i] - m) * inv) * mean_gh);
        }
    }
}

// name(params) runs name##_body(args) compiled for AVX-512, AVX2 or the baseline, whichever the CPU has.
#define CRIT_BN_DISPATCH(name, params, args)                                   \
    CRIT_AVX512 static void name##_avx512 params { name##_body args; }         \
    CRIT_AVX2 static void name##_avx2 params { name##_body args; }             \
    static void name##_base params { name##_body args; }                       \
    static void name##_run params {                                            \
        if (have_avx512f()) name##_avx512 args;                                \
        else if (have_avx2()) name##_avx2 args;                                \
        else name##_base args;                                                 \
    }

CRIT_BN_DISPATCH(moments, (const float *x, long stride, long planes, long n, double *sum, double *ssd),
                 (x, stride, planes, n, sum, ssd))
CRIT_BN_DISPATCH(normalize, (const float *x, long stride, long planes, long n, float m, float inv, float g, float bt, int relu, float *y),
                 (x, stride, planes, n, m, inv, g, bt, relu, y))
CRIT_BN_DISPATCH(backward_sums, (const float *dy, const float *x, const float *y, long stride, long planes, long n, float m, float inv, double *sum_g, double *sum_gh),
                 (dy, x, y, stride, planes, n, m, inv, sum_g, sum_gh))
CRIT_BN_DISPATCH(input_gradient, (const float *dy, const float *x, const float *y, long stride, long planes, long n, float m, float inv, float scale, float mean_g, float mean_gh, float *dx),
                 (dy, x, y, stride, planes, n, m, inv, scale, mean_g, mean_gh, dx))

void crit_bn_moments(const float *x, long stride, long planes, long n, double *sum, double *ssd) {
    moments_run(x, stride, planes, n, sum, ssd);
}
void crit_bn_normalize(const float *x, long stride, long planes, long n, float mean, float inverse_std, float gamma,
                       float beta, int relu, float *y) {
    normalize_run(x, stride, planes, n, mean, inverse_std, gamma, beta, relu, y);
}
void crit_bn_backward_sums(const float *dy, const float *x, const float *y, long stride, long planes, long n, float mean,
                           float inverse_std, double *sum_g, double *sum_gh) {
    backward_sums_run(dy, x, y, stride, planes, n, mean, inverse_std, sum_g, sum_gh);
}
void crit_bn_input_gradient(const float *dy, const float *x, const float *y, long stride, long planes, long n, float mean,
                            float inverse_std, float scale, float mean_g, float mean_gh, float *dx) {
    input_gradient_run(dy, x, y, stride, planes, n, mean, inverse_std, scale, mean_g, mean_gh, dx);
}
