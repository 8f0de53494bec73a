// Hot loops of the streaming observers and the CNN, in C so that clang vectorizes them at any -march.
#ifndef CRITICALITY_KERNELS_H
#define CRITICALITY_KERNELS_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Number of bins of the Float32 log grid: bin b holds |x| whose IEEE-754 bit pattern (sign cleared)
/// lies in [b·2¹⁹, (b+1)·2¹⁹): 16 equal-width bins per octave (≈ 53 per decade). Bins ≥ 4080 are Inf/NaN.
#define CRIT_LOG_GRID_BINS 4096
#define CRIT_LOG_GRID_SHIFT 19

/// Running statistics of |x| over many calls.
typedef struct {
    double sum;          ///< Σ|x| (each call accumulates in Float32 lanes, then adds in Double)
    double sum_squares;  ///< Σ x²
    uint32_t min_bits;   ///< smallest non-zero |x| as bits (0xFFFFFFFF when none)
    uint32_t max_bits;   ///< largest |x| as bits (0 when none)
    uint64_t zeros;      ///< count of x == ±0
} crit_abs_stats;

/// Adds |x[0..n)| to `counts4` (four interleaved tables of CRIT_LOG_GRID_BINS UInt32 counts, summed by
/// the caller; four copies avoid store-to-load stalls on repeated bins) and to `stats`.
void crit_abs_log_histogram(const float *x, long n, uint32_t *counts4, crit_abs_stats *stats);

/// Moves bins first...last of `counts4` (four interleaved tables, as filled by crit_abs_log_histogram) into
/// `into` (UInt64 per bin) and, when `also` is not NULL, into `also` too; zeroes those bins of the four
/// tables. Nothing happens when last < first.
void crit_log_table_drain(uint32_t *counts4, long first, long last, uint64_t *into, uint64_t *also);

/// Paper-style linear histogram: adds |x[0..n)| to `counts` (`bins` UInt64) with edges
/// `edges[j]` = max·j/bins (Double, bins + 1 of them, precomputed by the caller); value v goes to the j
/// with e_j ≤ v < e_{j+1}, the last bin also holding v = max. Values above max (which the caller rules
/// out) are clamped into the last bin.
void crit_abs_linear_histogram(const float *x, long n, double max, int bins, const double *edges, uint64_t *counts);

/// A linear histogram's bins (maximum `max`, `bins` bins, edges as above) tabled by the values' bit
/// patterns, so that binning takes one lookup and one integer comparison, with exactly the result of
/// the definition. NULL only when memory runs out. Free with `crit_linear_table_free`.
typedef struct crit_linear_table crit_linear_table;
crit_linear_table *crit_linear_table_create(double max, int bins, const double *edges);
void crit_linear_table_free(crit_linear_table *table);

/// Adds |x[0..n)| to `count` linear histograms at once (one pass over x for all the scopes a value
/// belongs to: segment, layer, all): histogram h is binned by `tables[h]` into `counts[h]`. Counts equal
/// `crit_abs_linear_histogram`'s.
void crit_abs_linear_histograms(const float *x, long n, int count, const crit_linear_table *const *tables,
                                uint64_t *const *counts);

/// Indices i in [0, n) with |x[i]| bits ≥ threshold_bits, written to `out` (capacity n); returns the count.
long crit_abs_select_at_least(const float *x, long n, uint32_t threshold_bits, int32_t *out);

/// 2×2 max pooling, stride 2, over `planes` planes of height×width (both even): y is each window's
/// first maximum in scan order (strict >, as PyTorch) and `winner` its position in the window
/// (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right), one byte per output.
void crit_maxpool2_forward(const float *x, float *y, uint8_t *winner, long planes, int height, int width);

/// The backward of crit_maxpool2_forward: each window's dy goes to its winner, the other three get 0.
/// Writes every element of dx.
void crit_maxpool2_backward(const uint8_t *winner, const float *dy, float *dx, long planes, int height, int width);

/// For tests: the kernels use at most AVX-512 (level 2, the default), AVX2 (1) or the baseline (0),
/// so that one machine can check that every path gives the same bits. Returns the level that will
/// actually run (lower when the CPU lacks it).
int crit_set_isa_limit(int level);

/// The patch matrix of a convolution (Conv2D's im2col) for `samples` samples: sample b's channel c is
/// the height×width plane at x + b·sample_stride + c·channel_stride, and col (K × n, K = channels·k·k,
/// n = samples·P, P = H_out·W_out, H_out = (height + 2·padding − k)/stride + 1) gets
/// col[(c·k + i)·k + j][b·P + oh·W_out + ow] = plane[oh·stride − padding + i][ow·stride − padding + j],
/// 0 outside the plane. Stride 1 runs 8-lane masked copies where AVX2 is available.
void crit_im2col(const float *x, long sample_stride, long channel_stride, long samples, int channels,
                 int height, int width, int kernel, int stride, int padding, float *col);

/// The adjoint of crit_im2col: each plane of dx (same strides) is zeroed, then every entry of col is
/// added to the input position it was copied from, in the order kernel row, kernel column, output row
/// (the same bits on every path).
void crit_col2im(const float *col, long sample_stride, long channel_stride, long samples, int channels,
                 int height, int width, int kernel, int stride, int padding, float *dx);

/// Batch norm over one channel's `planes` planes of n values, plane b at x + b·stride (BatchNorm2D):
/// Σx and Σ(x − μ)² with μ = Σx / (planes·n), both in Double (16 lanes over all planes, then a scalar
/// tail, then the lanes in order; the same bits on every CPU path).
void crit_bn_moments(const float *x, long stride, long planes, long n, double *sum, double *ssd);
/// y = γ·((x − μ)·inv) + β, then max(y, 0) when `relu` (+0 where y ≤ 0; NaN stays NaN, as Swift's max), same plane layout as x.
void crit_bn_normalize(const float *x, long stride, long planes, long n, float mean, float inverse_std, float gamma,
                       float beta, int relu, float *y);
/// Σg and Σg·x̂ in Double (order as crit_bn_moments), x̂ = (x − μ)·inv, g = dy, or 0 where y ≤ 0 when
/// y is not NULL (the fused ReLU's mask from its output).
void crit_bn_backward_sums(const float *dy, const float *x, const float *y, long stride, long planes, long n, float mean,
                           float inverse_std, double *sum_g, double *sum_gh);
/// dx = scale·(g − mean_g − x̂·mean_gh), g and x̂ as in crit_bn_backward_sums.
void crit_bn_input_gradient(const float *dy, const float *x, const float *y, long stride, long planes, long n, float mean,
                            float inverse_std, float scale, float mean_g, float mean_gh, float *dx);

/// The single-precision FMA throughput of the calling thread's core in GFLOP/s (2 FLOPs per lane per
/// FMA): the best of repeated ~10 ms bursts of independent FMA chains over `seconds`, with the widest
/// vectors the CPU has (AVX-512, else AVX2 + FMA). `lanes` receives the vector width (16, 8), or 0 when
/// neither is available (the result is then 0).
double crit_fma_peak_gflops(double seconds, int *lanes);

/// The clock the calling thread's core runs at, in GHz: the best rate over `seconds` of a chain of
/// dependent integer adds (one cycle each on every x86-64 core), measured rather than read from
/// /proc/cpuinfo (a hypervisor reports the base clock there). 0 off x86-64.
double crit_core_clock_ghz(double seconds);

/// The information observer's per-step copy (issue 16): dst[i] = |x[i]| for i < n, and the running
/// statistics of those values: acc[0] += Σ|x|, acc[1] += Σx² (each in Double, 4 lanes added in order at
/// the end of the call), mm[0] = min(mm[0], min|x|), mm[1] = max(mm[1], max|x|).
void crit_abs_copy_stats(const float *x, long n, float *dst, double *acc, float *mm);

/// One row of the information observer's block binned by unit (issue 16): the row is `groups`
/// consecutive runs, run g of `lengths[g]` values belonging to unit `units[g]`; value v (≥ 0, not NaN)
/// goes to bin r of `bins` with bits(v) ≥ thresholds[r] and bits(v) < thresholds[r + 1] (`thresholds`:
/// bins + 1 ascending Float32 bit patterns, thresholds[0] = 0, thresholds[bins] = 0xFFFFFFFF), and
/// counts[units[g]·bins + r] is incremented. The first guess of r is ⌊(v − lo)·scale⌋, corrected
/// against the thresholds (exact whatever the guess, by at most `bins` steps).
/// When `subtract` is not NULL, v − subtract[i] (Float32) is written back over the row's value i after
/// it has been binned.
void crit_bin_row_by_unit(float *row, long groups, const int32_t *units, const int32_t *lengths,
                          const uint32_t *thresholds, int bins, float lo, float scale, uint32_t *counts,
                          const float *subtract);

// ---- The Transformer layer's elementwise and row kernels (transformer.c; issue 17). Identical bits on
// the baseline and AVX2 paths (fixed 8-lane reduction order, no FMA).

/// h ← max(h, 0); when `mask` is not NULL also kept ← h · mask (ReLU, then inverted dropout).
void crit_relu_dropout_forward(float *h, const float *mask, float *kept, long n);
/// dh ← h > 0 ? dh · mask : 0 (mask NULL: 1).
void crit_relu_dropout_backward(float *dh, const float *h, const float *mask, long n);
/// s ← x + a · mask (mask NULL: 1).
void crit_residual(const float *x, const float *a, const float *mask, float *s, long n);
/// out ← x · m elementwise.
void crit_multiply(const float *x, const float *m, float *out, long n);
/// out[j] ← Σ_r x[r·cols + j], rows added in order.
void crit_column_sums(const float *x, long rows, long cols, float *out);
/// Layer norm of rows r0..<r1 of d values: moments in Double (8 lanes), x̂ = (x − μ)·r, y = γ x̂ + β,
/// r = 1/√(σ² + eps) kept in rstd[row].
void crit_layer_norm_forward(const float *x, long r0, long r1, long d, const float *gamma, const float *beta,
                             float *xhat, float *rstd, float *y, double eps);
/// ∂L/∂x of rows r0..<r1: r·(g − mean g − x̂·mean(g x̂)) with g = dy·γ.
void crit_layer_norm_backward(const float *dy, long r0, long r1, long d, const float *gamma, const float *xhat,
                              const float *rstd, float *dx);
/// ∂L/∂γ = Σ_rows dy·x̂, ∂L/∂β = Σ_rows dy (overwritten), rows in order.
void crit_layer_norm_parameter_gradients(const float *dy, const float *xhat, long rows, long d, float *dgamma, float *dbeta);
/// Softmax of each row of scale·a (the t×t block, in place), over its first i + 1 columns when `causal`
/// (zeros after), else all t; e^x by a Cephes polynomial (≈ 1 ulp). t ≤ 4096.
void crit_softmax_rows(float *a, long t, int causal, float scale);
/// Softmax backward in place: row ← p ⊙ (row − ⟨row, p⟩) · scale, for each of t rows of t.
void crit_softmax_backward_rows(float *dp, const float *p, long t, float scale);
/// n dropout factors from eight xoshiro256** lanes seeded (SplitMix64) from eight draws of the
/// xoshiro256** state `state` (CriticalityCore's RNG, advanced by those eight draws): a factor is 0 when
/// its 32 random bits are below `threshold`, else `keep`.
void crit_dropout_fill(uint64_t *state, float *mask, long n, uint64_t threshold, float keep);

#ifdef __cplusplus
}
#endif
#endif
