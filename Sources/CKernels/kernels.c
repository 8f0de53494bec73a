#include "criticality_kernels.h"
#include <stdlib.h>
#include <string.h>

typedef float f8 __attribute__((vector_size(32)));
typedef uint32_t u8 __attribute__((vector_size(32)));
typedef int32_t i8 __attribute__((vector_size(32)));

#include "dispatch.h"

int crit_isa_limit = 2;

int crit_set_isa_limit(int level) {
    crit_isa_limit = level;
    if (level >= 2 && have_avx512f()) return 2;
    return have_avx2() ? 1 : 0;
}

static inline __attribute__((always_inline)) void log_histogram_body(const float *x, long n, uint32_t *c, crit_abs_stats *s) {
    const uint32_t *b = (const uint32_t *)x;
    const u8 absmask = {0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu,
                        0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu};
    f8 sa = {0}, sq = {0};
    u8 mx = {0}, mn = ~(u8){0};
    i8 z = {0};
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        u8 v;
        memcpy(&v, b + i, 32);
        v &= absmask;
        c[v[0] >> 19]++; c[4096 + (v[1] >> 19)]++; c[8192 + (v[2] >> 19)]++; c[12288 + (v[3] >> 19)]++;
        c[v[4] >> 19]++; c[4096 + (v[5] >> 19)]++; c[8192 + (v[6] >> 19)]++; c[12288 + (v[7] >> 19)]++;
        f8 a;
        memcpy(&a, &v, 32);
        sa += a;
        sq += a * a;
        mx = __builtin_elementwise_max(mx, v);
        mn = __builtin_elementwise_min(mn, v | (u8)(v == 0));  // a zero becomes all-ones: never the minimum
        z -= (i8)(v == 0);
    }
    float tsum = 0, tsq = 0;
    uint32_t MX = s->max_bits, MN = s->min_bits;
    uint64_t Z = 0;
    for (int l = 0; l < 8; l++) {
        tsum += sa[l]; tsq += sq[l];
        if (mx[l] > MX) MX = mx[l];
        if (mn[l] < MN) MN = mn[l];
        Z += (uint64_t)z[l];
    }
    for (; i < n; i++) {
        uint32_t v = b[i] & 0x7fffffffu;
        c[v >> 19]++;
        float a;
        memcpy(&a, &v, 4);
        tsum += a; tsq += a * a;
        if (v > MX) MX = v;
        if (v != 0 && v < MN) MN = v;
        Z += (v == 0);
    }
    if (__builtin_isinf(tsq) || __builtin_isinf(tsum)) {
        // Float32 partial sums overflow for |x| beyond ~1.8e19 (x finite; NaN and Inf have their own
        // bins): redo this chunk's sums in double, the rare slow path
        double dsum = 0, dsq = 0;
        for (long k = 0; k < n; k++) {
            uint32_t v = b[k] & 0x7fffffffu;
            float a;
            memcpy(&a, &v, 4);
            dsum += a; dsq += (double)a * a;
        }
        s->sum += dsum;
        s->sum_squares += dsq;
    } else {
        s->sum += tsum;
        s->sum_squares += tsq;
    }
    s->max_bits = MX;
    s->min_bits = MN;
    s->zeros += Z;
}

CRIT_AVX2 static void log_histogram_avx2(const float *x, long n, uint32_t *c, crit_abs_stats *s) { log_histogram_body(x, n, c, s); }
static void log_histogram_generic(const float *x, long n, uint32_t *c, crit_abs_stats *s) { log_histogram_body(x, n, c, s); }

void crit_abs_log_histogram(const float *x, long n, uint32_t *c, crit_abs_stats *s) {
    if (have_avx2()) log_histogram_avx2(x, n, c, s);
    else log_histogram_generic(x, n, c, s);
}

static inline __attribute__((always_inline)) void drain_body(uint32_t *c, long first, long last, uint64_t *into, uint64_t *also) {
    const long B = CRIT_LOG_GRID_BINS;
    if (also) {
        for (long b = first; b <= last; b++) {
            uint64_t v = (uint64_t)c[b] + c[B + b] + c[2 * B + b] + c[3 * B + b];
            into[b] += v; also[b] += v;
        }
    } else {
        for (long b = first; b <= last; b++) into[b] += (uint64_t)c[b] + c[B + b] + c[2 * B + b] + c[3 * B + b];
    }
    for (int t = 0; t < 4; t++) memset(c + t * B + first, 0, (size_t)(last - first + 1) * 4);
}
CRIT_AVX2 static void drain_avx2(uint32_t *c, long first, long last, uint64_t *into, uint64_t *also) { drain_body(c, first, last, into, also); }
static void drain_generic(uint32_t *c, long first, long last, uint64_t *into, uint64_t *also) { drain_body(c, first, last, into, also); }

void crit_log_table_drain(uint32_t *counts4, long first, long last, uint64_t *into, uint64_t *also) {
    if (last < first) return;
    if (have_avx2()) drain_avx2(counts4, first, last, into, also);
    else drain_generic(counts4, first, last, into, also);
}

/// The bin of v ≥ 0 by the definition: e_j ≤ v < e_{j+1}, clamped to the last bin. v·scale can round
/// across an edge, so the edges themselves decide.
static long exact_linear_bin(double v, double scale, int bins, const double *edges) {
    long j = (long)(v * scale);
    if (j >= bins) j = bins - 1;
    if (j > 0 && v < edges[j]) j--;
    else if (j < bins - 1 && v >= edges[j + 1]) j++;
    return j;
}

void crit_abs_linear_histogram(const float *x, long n, double max, int bins, const double *edges, uint64_t *counts) {
    if (!(max > 0)) {  // all values are zero: everything is in bin 0
        counts[0] += (uint64_t)n;
        return;
    }
    const double scale = (double)bins / max;
    for (long i = 0; i < n; i++) counts[exact_linear_bin((double)(x[i] < 0 ? -x[i] : x[i]), scale, bins, edges)]++;
}

long crit_abs_select_at_least(const float *x, long n, uint32_t threshold_bits, int32_t *out) {
    const uint32_t *b = (const uint32_t *)x;
    long m = 0;
    for (long i = 0; i < n; i++) {
        out[m] = (int32_t)i;
        m += ((b[i] & 0x7fffffffu) >= threshold_bits);
    }
    return m;
}

/// The Float32 bit pattern of the smallest float ≥ e (e ≥ 0 finite): for a float v ≥ 0,
/// (double)v < e exactly when bits(v) < this.
static uint32_t ceil_float_bits(double e) {
    float f = (float)e;
    if ((double)f < e) f = __builtin_nextafterf(f, __builtin_inff());
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

// A linear histogram's bins as a function of the value's bit pattern: values are grouped by their top
// bits into buckets of 2^shift bit patterns, each narrower than a linear bin (relative width
// 2^(shift−23) ≤ 1/(2·bins), less than a bin's width relative to any v ≤ max), so a bucket holds at most
// one edge: its values are in `bin[k]`, or in `bin[k] + 1` from `next[k]` on. Entry 0 stands for every
// bucket below e_1's (bin 0); values in buckets above the maximum's take the last entry. Binning is
// then branch-free: one clamped index, two loads and an integer comparison, where the definition needs
// a Double multiply, two Double comparisons and branches that mispredict on data near bin 0's edge.
struct crit_linear_table {
    int32_t bins;
    uint32_t shift;
    uint32_t qmin;    // the bucket of e_1 (table entry 1)
    uint32_t qcount;  // entries 1…qcount: buckets qmin … qmin + qcount − 1
    uint32_t *next;
    int32_t *bin;
};

// Fills the entries for buckets of 2^shift bit patterns; returns 0 when a bucket would hold two edges
// (possible only for subnormal maxima, whose bins are a few bit patterns wide), −1 without memory.
static int linear_table_fill(crit_linear_table *t, double max, int bins, const double *edges, uint32_t shift) {
    free(t->next); free(t->bin);
    t->shift = shift;
    uint32_t first = ceil_float_bits(edges[1]), top = ceil_float_bits(max);
    if (top > 0x7f7fffffu) top = 0x7f7fffffu;
    t->qmin = first >> shift;
    t->qcount = (top >> shift) - t->qmin + 1;
    t->next = malloc(sizeof(uint32_t) * (t->qcount + 1));
    t->bin = malloc(sizeof(int32_t) * (t->qcount + 1));
    if (!t->next || !t->bin) return -1;
    t->bin[0] = 0; t->next[0] = 0xffffffffu;
    const double scale = (double)bins / max;
    for (uint32_t k = 1; k <= t->qcount; k++) {
        uint32_t lo = (t->qmin + k - 1) << shift, hi = lo + ((1u << shift) - 1);
        if (hi > 0x7f7fffffu) hi = 0x7f7fffffu;
        float flo, fhi;
        memcpy(&flo, &lo, 4); memcpy(&fhi, &hi, 4);
        long blo = exact_linear_bin((double)flo, scale, bins, edges), bhi = exact_linear_bin((double)fhi, scale, bins, edges);
        if (bhi > blo + 1) return 0;
        t->bin[k] = (int32_t)blo;
        t->next[k] = bhi > blo ? ceil_float_bits(edges[blo + 1]) : 0xffffffffu;
    }
    return 1;
}

crit_linear_table *crit_linear_table_create(double max, int bins, const double *edges) {
    crit_linear_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->bins = bins;
    if (!(max > 0) || bins <= 1) {  // every value in bin 0: one entry, every bucket clamped to it
        t->next = malloc(sizeof(uint32_t)); t->bin = malloc(sizeof(int32_t));
        if (!t->next || !t->bin) { crit_linear_table_free(t); return NULL; }
        t->qmin = 0xffffffffu; t->qcount = 0; t->bin[0] = 0; t->next[0] = 0xffffffffu;
        return t;
    }
    int log2bins = 0;
    while ((1L << log2bins) < bins) log2bins++;
    // Normal floats: a bucket of 2^(22 − ⌈log2 bins⌉) bit patterns is narrower than half a bin. With a
    // subnormal maximum, narrower buckets are tried until each holds at most one edge (one bit pattern
    // per bucket always does).
    for (int shift = log2bins >= 22 ? 0 : 22 - log2bins; shift >= 0; shift--) {
        int ok = linear_table_fill(t, max, bins, edges, (uint32_t)shift);
        if (ok < 0) break;
        if (ok > 0) return t;
    }
    crit_linear_table_free(t);
    return NULL;
}

void crit_linear_table_free(crit_linear_table *t) {
    if (!t) return;
    free(t->next);
    free(t->bin);
    free(t);
}

static inline __attribute__((always_inline)) long table_bin(const crit_linear_table *t, uint32_t bits) {
    int64_t k = (int64_t)(bits >> t->shift) - (int64_t)t->qmin + 1;
    k = k < 0 ? 0 : k;
    k = k > (int64_t)t->qcount ? (int64_t)t->qcount : k;
    return t->bin[k] + (bits >= t->next[k]);
}

// Most values fall in the first few bins, so consecutive increments of one counter would wait on each
// other (store-to-load forwarding); four interleaved local tables, summed at the end, break that chain.
#define CRIT_LINEAR_LOCAL_BINS 1024
static inline __attribute__((always_inline)) void linear_histograms_body(const float *x, long n, int count,
                                                                        const crit_linear_table *const *tables, uint64_t *const *counts) {
    const uint32_t *b = (const uint32_t *)x;
    uint32_t local[4][CRIT_LINEAR_LOCAL_BINS];
    for (int h = 0; h < count; h++) {
        const crit_linear_table *t = tables[h];
        uint64_t *c = counts[h];
        const int bins = t->bins;
        if (bins > CRIT_LINEAR_LOCAL_BINS || n >= 0xffffffffL) {
            for (long i = 0; i < n; i++) c[table_bin(t, b[i] & 0x7fffffffu)]++;
            continue;
        }
        for (int k = 0; k < 4; k++) memset(local[k], 0, sizeof(uint32_t) * (size_t)bins);
        long i = 0;
        for (; i + 4 <= n; i += 4) {
            local[0][table_bin(t, b[i] & 0x7fffffffu)]++;
            local[1][table_bin(t, b[i + 1] & 0x7fffffffu)]++;
            local[2][table_bin(t, b[i + 2] & 0x7fffffffu)]++;
            local[3][table_bin(t, b[i + 3] & 0x7fffffffu)]++;
        }
        for (; i < n; i++) local[0][table_bin(t, b[i] & 0x7fffffffu)]++;
        for (int j = 0; j < bins; j++) c[j] += (uint64_t)local[0][j] + local[1][j] + local[2][j] + local[3][j];
    }
}

CRIT_AVX2 static void linear_histograms_avx2(const float *x, long n, int count, const crit_linear_table *const *tables,
                                             uint64_t *const *counts) {
    linear_histograms_body(x, n, count, tables, counts);
}
static void linear_histograms_generic(const float *x, long n, int count, const crit_linear_table *const *tables,
                                      uint64_t *const *counts) {
    linear_histograms_body(x, n, count, tables, counts);
}

void crit_abs_linear_histograms(const float *x, long n, int count, const crit_linear_table *const *tables,
                                uint64_t *const *counts) {
    if (have_avx2()) linear_histograms_avx2(x, n, count, tables, counts);
    else linear_histograms_generic(x, n, count, tables, counts);
}
