// The convolution's patch matrix and its adjoint (Conv2D, issue 14), in C.
//
// For stride 1 every patch row is the input row shifted by j − padding with zeros at its ends. The
// Swift loops copied each run with memmove and zeroed the ends with memset: for the CNN's conv2 that
// is ~300,000 calls on 16-float runs per pass, and im2col, col2im and those calls took ~16 % of a
// one-thread step. Here a run is one or two 16-lane masked loads and stores (AVX-512, whose masked
// stores are cheap), else 8-lane ones (AVX2: masked loads, and masked stores only where a row ends),
// and masked-off lanes read nothing, so padding costs no branch. col2im adds each contribution in the same order as the scalar
// loops (input element by element: kernel row i, then column j, ascending), with no FMA, so both paths
// give the same bits. Other strides take the scalar loops.
#include "criticality_kernels.h"
#include <string.h>

#include "dispatch.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CRIT_HAVE_X86 1
#endif

/// Output columns [lo, hi) of a stride-1 row read input column ow − padding + j; the rest are padding.
static inline void run_bounds(int width, int out_width, int padding, int j, int *lo, int *hi) {
    int l = padding - j;
    if (l < 0) l = 0;
    if (l > out_width) l = out_width;
    int h = width + padding - j;
    if (h > out_width) h = out_width;
    if (h < l) h = l;
    *lo = l; *hi = h;
}

static void im2col_scalar(const float *x, long sample_stride, long channel_stride, long samples, int channels,
                          int height, int width, int kernel, int stride, int padding, float *col) {
    const int out_h = (height + 2 * padding - kernel) / stride + 1, out_w = (width + 2 * padding - kernel) / stride + 1;
    const long p = (long)out_h * out_w, n = samples * p;
    for (long b = 0; b < samples; b++) {
        for (int c = 0; c < channels; c++) {
            const float *plane = x + b * sample_stride + c * channel_stride;
            for (int i = 0; i < kernel; i++) {
                for (int j = 0; j < kernel; j++) {
                    float *row = col + ((long)(c * kernel + i) * kernel + j) * n + b * p;
                    for (int oh = 0; oh < out_h; oh++) {
                        const int ih = oh * stride - padding + i;
                        float *dst = row + (long)oh * out_w;
                        if (ih < 0 || ih >= height) { memset(dst, 0, sizeof(float) * (size_t)out_w); continue; }
                        const float *src = plane + (long)ih * width;
                        for (int ow = 0; ow < out_w; ow++) {
                            const int iw = ow * stride - padding + j;
                            dst[ow] = (iw >= 0 && iw < width) ? src[iw] : 0.0f;
                        }
                    }
                }
            }
        }
    }
}

static void col2im_scalar(const float *col, long sample_stride, long channel_stride, long samples, int channels,
                          int height, int width, int kernel, int stride, int padding, float *dx) {
    const int out_h = (height + 2 * padding - kernel) / stride + 1, out_w = (width + 2 * padding - kernel) / stride + 1;
    const long p = (long)out_h * out_w, n = samples * p;
    for (long b = 0; b < samples; b++) {
        for (int c = 0; c < channels; c++) {
            float *plane = dx + b * sample_stride + c * channel_stride;
            memset(plane, 0, sizeof(float) * (size_t)height * (size_t)width);
            for (int i = 0; i < kernel; i++) {
                for (int j = 0; j < kernel; j++) {
                    const float *row = col + ((long)(c * kernel + i) * kernel + j) * n + b * p;
                    for (int oh = 0; oh < out_h; oh++) {
                        const int ih = oh * stride - padding + i;
                        if (ih < 0 || ih >= height) continue;
                        float *dst = plane + (long)ih * width;
                        const float *src = row + (long)oh * out_w;
                        for (int ow = 0; ow < out_w; ow++) {
                            const int iw = ow * stride - padding + j;
                            if (iw >= 0 && iw < width) dst[iw] += src[ow];
                        }
                    }
                }
            }
        }
    }
}

#ifdef CRIT_HAVE_X86
/// Lanes t of the 8 starting at column `at` with lo ≤ at + t < hi.
CRIT_AVX2 static inline __m256i lanes_in(int at, int lo, int hi) {
    const __m256i t = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(at));
    const __m256i above = _mm256_cmpgt_epi32(t, _mm256_set1_epi32(lo - 1));
    const __m256i below = _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), t);
    return _mm256_and_si256(above, below);
}

/// Lanes t of the 16 starting at column `at` with lo ≤ at + t < hi.
CRIT_AVX512 static inline __mmask16 lanes16(int at, int lo, int hi) {
    const int from = lo - at, to = hi - at;  // lanes [from, to) ∩ [0, 16)
    if (to <= 0 || from >= 16 || to <= from) return 0;
    const unsigned below = to >= 16 ? 0xFFFFu : ((1u << to) - 1u);
    const unsigned above = from <= 0 ? 0xFFFFu : (0xFFFFu << from) & 0xFFFFu;
    return (__mmask16)(below & above);
}

CRIT_AVX512 static void im2col_s1_avx512(const float *x, long sample_stride, long channel_stride, long samples, int channels,
                                         int height, int width, int kernel, int padding, float *col) {
    const int out_h = height + 2 * padding - kernel + 1, out_w = width + 2 * padding - kernel + 1;
    const long p = (long)out_h * out_w, n = samples * p;
    const int chunks = (out_w + 15) / 16;
    for (int i = 0; i < kernel; i++) {
        // Output rows [oh_lo, oh_hi) read input row oh − padding + i; the others are padding.
        int oh_lo = padding - i, oh_hi = height + padding - i;
        if (oh_lo < 0) oh_lo = 0;
        if (oh_hi > out_h) oh_hi = out_h;
        if (oh_hi < oh_lo) oh_hi = oh_lo;
        for (int j = 0; j < kernel; j++) {
            int lo, hi;
            run_bounds(width, out_w, padding, j, &lo, &hi);
            const int shift = j - padding;
            for (int q = 0; q < chunks; q++) {
                const int ow = 16 * q;
                const __mmask16 take = lanes16(ow, lo, hi), put = lanes16(ow, 0, out_w);
                for (long b = 0; b < samples; b++) {
                    for (int c = 0; c < channels; c++) {
                        const float *src = x + b * sample_stride + c * channel_stride + ow + shift + (long)(oh_lo - padding + i) * width;
                        float *dst = col + ((long)(c * kernel + i) * kernel + j) * n + b * p + ow;
                        int oh = 0;
                        for (; oh < oh_lo; oh++) _mm512_mask_storeu_ps(dst + (long)oh * out_w, put, _mm512_setzero_ps());
                        for (; oh < oh_hi; oh++, src += width)
                            _mm512_mask_storeu_ps(dst + (long)oh * out_w, put, _mm512_maskz_loadu_ps(take, src));
                        for (; oh < out_h; oh++) _mm512_mask_storeu_ps(dst + (long)oh * out_w, put, _mm512_setzero_ps());
                    }
                }
            }
        }
    }
}

CRIT_AVX512 static void col2im_s1_avx512(const float *col, long sample_stride, long channel_stride, long samples, int channels,
                                         int height, int width, int kernel, int padding, float *dx) {
    const int out_h = height + 2 * padding - kernel + 1, out_w = width + 2 * padding - kernel + 1;
    const long p = (long)out_h * out_w, n = samples * p;
    for (long b = 0; b < samples; b++) {
        for (int c = 0; c < channels; c++) {
            float *plane = dx + b * sample_stride + c * channel_stride;
            memset(plane, 0, sizeof(float) * (size_t)height * (size_t)width);
            for (int i = 0; i < kernel; i++) {
                for (int j = 0; j < kernel; j++) {
                    int lo, hi;
                    run_bounds(width, out_w, padding, j, &lo, &hi);
                    const int shift = j - padding;
                    const float *row = col + ((long)(c * kernel + i) * kernel + j) * n + b * p;
                    for (int oh = 0; oh < out_h; oh++) {
                        const int ih = oh - padding + i;
                        if (ih < 0 || ih >= height) continue;
                        float *dst = plane + (long)ih * width;
                        const float *src = row + (long)oh * out_w;
                        for (int ow = lo; ow < hi; ow += 16) {
                            const __mmask16 take = lanes16(ow, lo, hi);
                            const __m512 d = _mm512_maskz_loadu_ps(take, dst + ow + shift);
                            const __m512 v = _mm512_maskz_loadu_ps(take, src + ow);
                            _mm512_mask_storeu_ps(dst + ow + shift, take, _mm512_add_ps(d, v));
                        }
                    }
                }
            }
        }
    }
}

CRIT_AVX2 static void im2col_s1_avx2(const float *x, long sample_stride, long channel_stride, long samples, int channels,
                                     int height, int width, int kernel, int padding, float *col) {
    const int out_h = height + 2 * padding - kernel + 1, out_w = width + 2 * padding - kernel + 1;
    const long p = (long)out_h * out_w, n = samples * p;
    for (long b = 0; b < samples; b++) {
        for (int c = 0; c < channels; c++) {
            const float *plane = x + b * sample_stride + c * channel_stride;
            for (int i = 0; i < kernel; i++) {
                for (int j = 0; j < kernel; j++) {
                    int lo, hi;
                    run_bounds(width, out_w, padding, j, &lo, &hi);
                    const int shift = j - padding;
                    float *row = col + ((long)(c * kernel + i) * kernel + j) * n + b * p;
                    for (int oh = 0; oh < out_h; oh++) {
                        const int ih = oh - padding + i;
                        float *dst = row + (long)oh * out_w;
                        const int inside = ih >= 0 && ih < height;
                        // src + ow + shift is touched only in lanes with lo ≤ ow < hi, inside the row.
                        const float *src = plane + (long)(inside ? ih : 0) * width;
                        for (int ow = 0; ow < out_w; ow += 8) {
                            const __m256i take = inside ? lanes_in(ow, lo, hi) : _mm256_setzero_si256();
                            const __m256 v = _mm256_maskload_ps(src + ow + shift, take);
                            if (ow + 8 <= out_w) _mm256_storeu_ps(dst + ow, v);
                            else _mm256_maskstore_ps(dst + ow, lanes_in(ow, 0, out_w), v);
                        }
                    }
                }
            }
        }
    }
}

CRIT_AVX2 static void col2im_s1_avx2(const float *col, long sample_stride, long channel_stride, long samples, int channels,
                                     int height, int width, int kernel, int padding, float *dx) {
    const int out_h = height + 2 * padding - kernel + 1, out_w = width + 2 * padding - kernel + 1;
    const long p = (long)out_h * out_w, n = samples * p;
    for (long b = 0; b < samples; b++) {
        for (int c = 0; c < channels; c++) {
            float *plane = dx + b * sample_stride + c * channel_stride;
            memset(plane, 0, sizeof(float) * (size_t)height * (size_t)width);
            for (int i = 0; i < kernel; i++) {
                for (int j = 0; j < kernel; j++) {
                    int lo, hi;
                    run_bounds(width, out_w, padding, j, &lo, &hi);
                    const int shift = j - padding;
                    const float *row = col + ((long)(c * kernel + i) * kernel + j) * n + b * p;
                    for (int oh = 0; oh < out_h; oh++) {
                        const int ih = oh - padding + i;
                        if (ih < 0 || ih >= height) continue;
                        float *dst = plane + (long)ih * width;
                        const float *src = row + (long)oh * out_w;
                        for (int ow = lo; ow < hi; ow += 8) {
                            const __m256i take = lanes_in(ow, lo, hi);
                            const __m256 d = _mm256_maskload_ps(dst + ow + shift, take);
                            const __m256 s = _mm256_maskload_ps(src + ow, take);
                            _mm256_maskstore_ps(dst + ow + shift, take, _mm256_add_ps(d, s));
                        }
                    }
                }
            }
        }
    }
}
#endif

void crit_im2col(const float *x, long sample_stride, long channel_stride, long samples, int channels,
                 int height, int width, int kernel, int stride, int padding, float *col) {
#ifdef CRIT_HAVE_X86
    if (stride == 1 && have_avx512f()) {
        im2col_s1_avx512(x, sample_stride, channel_stride, samples, channels, height, width, kernel, padding, col);
        return;
    }
    if (stride == 1 && have_avx2()) {
        im2col_s1_avx2(x, sample_stride, channel_stride, samples, channels, height, width, kernel, padding, col);
        return;
    }
#endif
    im2col_scalar(x, sample_stride, channel_stride, samples, channels, height, width, kernel, stride, padding, col);
}

void crit_col2im(const float *col, long sample_stride, long channel_stride, long samples, int channels,
                 int height, int width, int kernel, int stride, int padding, float *dx) {
#ifdef CRIT_HAVE_X86
    if (stride == 1 && have_avx512f()) {
        col2im_s1_avx512(col, sample_stride, channel_stride, samples, channels, height, width, kernel, padding, dx);
        return;
    }
    if (stride == 1 && have_avx2()) {
        col2im_s1_avx2(col, sample_stride, channel_stride, samples, channels, height, width, kernel, padding, dx);
        return;
    }
#endif
    col2im_scalar(col, sample_stride, channel_stride, samples, channels, height, width, kernel, stride, padding, dx);
}
