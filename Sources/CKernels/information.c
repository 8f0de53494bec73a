// Kernels of the information observer (MI and β*, issue 16). See criticality_kernels.h.
#include "criticality_kernels.h"
#include <math.h>
#include <string.h>

#include "dispatch.h"

typedef int32_t crit_i8 __attribute__((vector_size(32)));

typedef float crit_f8 __attribute__((vector_size(32)));
typedef double crit_d4 __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) void abs_copy_stats_body(const float *x, long n, float *dst, double *acc, float *mm) {
    // Eight Float32 lanes widened to two Double4 sums per statistic; lanes added in a fixed order at the end.
    crit_d4 s0 = {0, 0, 0, 0}, s1 = s0, q0 = s0, q1 = s0;
    crit_f8 lo = {mm[0], mm[0], mm[0], mm[0], mm[0], mm[0], mm[0], mm[0]}, hi = {mm[1], mm[1], mm[1], mm[1], mm[1], mm[1], mm[1], mm[1]};
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        crit_f8 v;
        memcpy(&v, x + i, 32);
        v = (crit_f8)((crit_i8)v & 0x7fffffff);
        memcpy(dst + i, &v, 32);
        crit_d4 a = __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3), crit_d4);
        crit_d4 b = __builtin_convertvector(__builtin_shufflevector(v, v, 4, 5, 6, 7), crit_d4);
        s0 += a; s1 += b; q0 += a * a; q1 += b * b;
        lo = __builtin_elementwise_min(v, lo);
        hi = __builtin_elementwise_max(v, hi);
    }
    double s = 0, q = 0;
    float l = mm[0], h = mm[1];
    for (int k = 0; k < 4; k++) { s += s0[k] + s1[k]; q += q0[k] + q1[k]; }
    for (int k = 0; k < 8; k++) { l = lo[k] < l ? lo[k] : l; h = hi[k] > h ? hi[k] : h; }
    for (; i < n; i++) {
        float v = fabsf(x[i]);
        dst[i] = v;
        s += (double)v;
        q += (double)v * (double)v;
        l = v < l ? v : l;
        h = v > h ? v : h;
    }
    acc[0] += s;
    acc[1] += q;
    mm[0] = l; mm[1] = h;
}
CRIT_AVX2 static void abs_copy_stats_avx2(const float *x, long n, float *dst, double *acc, float *mm) { abs_copy_stats_body(x, n, dst, acc, mm); }
static void abs_copy_stats_generic(const float *x, long n, float *dst, double *acc, float *mm) { abs_copy_stats_body(x, n, dst, acc, mm); }
void crit_abs_copy_stats(const float *x, long n, float *dst, double *acc, float *mm) {
    if (have_avx2()) abs_copy_stats_avx2(x, n, dst, acc, mm);
    else abs_copy_stats_generic(x, n, dst, acc, mm);
}

static inline __attribute__((always_inline)) int row_bin(uint32_t bits, float v, const uint32_t *t, int bins, float lo, float scale) {
    float g = (v - lo) * scale;
    int r = g > 0 ? (int)g : 0;
    r = r < bins - 1 ? r : bins - 1;
    while (bits < t[r]) r--;
    while (bits >= t[r + 1]) r++;
    return r;
}

// The plain form: one value at a time (the reference the AVX2 form must equal).
static inline __attribute__((always_inline)) void bin_group_scalar(const float *x, long n, const uint32_t *t, int bins, float lo,
                                                                  float scale, uint32_t *c) {
    for (long i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, x + i, 4);
        c[row_bin(b, x[i], t, bins, lo, scale)]++;
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
// Most |Δw| fall in the lowest bins (a heavy tail stretches [min, max]), so a group's counts of the first
// six bins come from vector comparisons with the thresholds — counts of v ≥ t[r], whose differences are
// the bins: no scatter and no store-to-load chain — and only values ≥ t[6] are binned one by one.
// Non-negative floats compare as their bit patterns (signed 32-bit: all thresholds ≤ 0x7F800001).
CRIT_AVX2 static void bin_group_avx2(const float *x, long n, const uint32_t *t, int bins, float lo, float scale, uint32_t *c) {
    if (bins < 8 || n < 16) { bin_group_scalar(x, n, t, bins, lo, scale, c); return; }
    const __m256i e1 = _mm256_set1_epi32((int32_t)t[1] - 1), e2 = _mm256_set1_epi32((int32_t)t[2] - 1);
    const __m256i e3 = _mm256_set1_epi32((int32_t)t[3] - 1), e4 = _mm256_set1_epi32((int32_t)t[4] - 1);
    const __m256i e5 = _mm256_set1_epi32((int32_t)t[5] - 1), e6 = _mm256_set1_epi32((int32_t)t[6] - 1);
    __m256i a1 = _mm256_setzero_si256(), a2 = a1, a3 = a1, a4 = a1, a5 = a1, a6 = a1;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
        a1 = _mm256_sub_epi32(a1, _mm256_cmpgt_epi32(v, e1));
        a2 = _mm256_sub_epi32(a2, _mm256_cmpgt_epi32(v, e2));
        a3 = _mm256_sub_epi32(a3, _mm256_cmpgt_epi32(v, e3));
        a4 = _mm256_sub_epi32(a4, _mm256_cmpgt_epi32(v, e4));
        a5 = _mm256_sub_epi32(a5, _mm256_cmpgt_epi32(v, e5));
        __m256i far = _mm256_cmpgt_epi32(v, e6);
        a6 = _mm256_sub_epi32(a6, far);
        int mask = _mm256_movemask_ps(_mm256_castsi256_ps(far));
        while (mask) {
            int l = __builtin_ctz(mask);
            mask &= mask - 1;
            uint32_t b;
            memcpy(&b, x + i + l, 4);
            c[row_bin(b, x[i + l], t, bins, lo, scale)]++;  // r ≥ 6
        }
    }
    uint32_t at_least[7];
    __m256i acc[6] = {a1, a2, a3, a4, a5, a6};
    at_least[0] = (uint32_t)i;
    for (int j = 0; j < 6; j++) {
        uint32_t lanes[8];
        memcpy(lanes, &acc[j], 32);
        at_least[j + 1] = lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
    }
    for (int r = 0; r < 6; r++) c[r] += at_least[r] - at_least[r + 1];
    bin_group_scalar(x + i, n - i, t, bins, lo, scale, c);
}
#endif

static inline __attribute__((always_inline)) void bin_row_body(float *row, long groups, const int32_t *units, const int32_t *lengths,
                                                               const uint32_t *t, int bins, float lo, float scale, uint32_t *counts,
                                                               const float *subtract, int vector) {
    float *x = row;
    long at = 0;
    for (long g = 0; g < groups; g++) {
        const long n = lengths[g];
#if defined(__x86_64__) || defined(__i386__)
        if (vector) bin_group_avx2(x, n, t, bins, lo, scale, counts + (long)units[g] * bins);
        else
#endif
        bin_group_scalar(x, n, t, bins, lo, scale, counts + (long)units[g] * bins);
        if (subtract) { for (long j = 0; j < n; j++) x[j] -= subtract[at + j]; }
        x += n;
        at += n;
    }
}

CRIT_AVX2 static void bin_row_avx2(float *row, long groups, const int32_t *units, const int32_t *lengths, const uint32_t *t,
                                        int bins, float lo, float scale, uint32_t *counts, const float *subtract) {
    bin_row_body(row, groups, units, lengths, t, bins, lo, scale, counts, subtract, 1);
}
static void bin_row_generic(float *row, long groups, const int32_t *units, const int32_t *lengths, const uint32_t *t,
                            int bins, float lo, float scale, uint32_t *counts, const float *subtract) {
    bin_row_body(row, groups, units, lengths, t, bins, lo, scale, counts, subtract, 0);
}
void crit_bin_row_by_unit(float *row, long groups, const int32_t *units, const int32_t *lengths,
                          const uint32_t *thresholds, int bins, float lo, float scale, uint32_t *counts,
                          const float *subtract) {
    if (have_avx2()) bin_row_avx2(row, groups, units, lengths, thresholds, bins, lo, scale, counts, subtract);
    else bin_row_generic(row, groups, units, lengths, thresholds, bins, lo, scale, counts, subtract);
}
