// The measured FMA throughput of one core (criticality bench's peak), instead of a clock read from
// /proc/cpuinfo: under a hypervisor that reports the base clock, not the one the core runs at.
#include "criticality_kernels.h"
#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// ACC independent accumulators of W lanes each: enough chains to cover the FMA latency (4 cycles) on
// both pipes (2 per cycle), so the loop runs at the FMA throughput, not its latency.
#define ACC 12
#define ITERATIONS 4096

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
__attribute__((target("avx512f"))) static double burst_avx512(long rounds) {
    __m512 acc[ACC];
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_ps(1.0f + 1e-3f * (float)i);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long r = 0; r < rounds; r++)
        for (int k = 0; k < ITERATIONS; k++)
            for (int i = 0; i < ACC; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    float sink = 0;
    for (int i = 0; i < ACC; i++) sink += _mm512_reduce_add_ps(acc[i]);
    return (double)sink;
}
__attribute__((target("avx2,fma"))) static double burst_avx2(long rounds) {
    __m256 acc[ACC];
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_ps(1.0f + 1e-3f * (float)i);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long r = 0; r < rounds; r++)
        for (int k = 0; k < ITERATIONS; k++)
            for (int i = 0; i < ACC; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    float lanes[8], sink = 0;
    for (int i = 0; i < ACC; i++) {
        _mm256_storeu_ps(lanes, acc[i]);
        for (int l = 0; l < 8; l++) sink += lanes[l];
    }
    return (double)sink;
}
#endif

static volatile double crit_peak_sink;

// A chain of dependent integer adds: each waits for the one before, one cycle apiece on every x86-64
// core, so CHAIN of them per iteration time the clock the core actually runs at (the loop's own
// counter is independent of the chain and runs beside it).
#define CHAIN 64
static unsigned long add_chain(long rounds) {
    unsigned long x = 0;
    for (long r = 0; r < rounds; r++) {
#if defined(__x86_64__)
        __asm__ volatile(
            ".rept 64\n\t"
            "add $1, %0\n\t"
            ".endr"
            : "+r"(x));
#else
        for (int i = 0; i < CHAIN; i++) __asm__ volatile("" : "+r"(x) : : );
        x += CHAIN;
#endif
    }
    return x;
}

static volatile unsigned long crit_clock_sink;

double crit_core_clock_ghz(double seconds) {
#if defined(__x86_64__)
    crit_clock_sink = add_chain(1 << 16);  // warm-up
    long rounds = 1 << 14;
    double best = 0, until = now_seconds() + seconds;
    do {
        double t0 = now_seconds();
        crit_clock_sink = add_chain(rounds);
        double t = now_seconds() - t0;
        double ghz = (double)CHAIN * (double)rounds / t / 1e9;
        if (ghz > best) best = ghz;
        if (t < 0.01) rounds *= 2;
    } while (now_seconds() < until);
    return best;
#else
    (void)seconds;
    return 0;
#endif
}

double crit_fma_peak_gflops(double seconds, int *lanes) {
    int width = 1;
    double (*burst)(long) = 0;
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) { burst = burst_avx512; width = 16; }
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) { burst = burst_avx2; width = 8; }
#endif
    if (lanes) *lanes = burst ? width : 0;
    if (!burst) return 0;
    crit_peak_sink = burst(4);  // warm-up: the core leaves any low-power state
    long rounds = 16;
    double best = 0, until = now_seconds() + seconds;
    do {
        double t0 = now_seconds();
        crit_peak_sink = burst(rounds);
        double t = now_seconds() - t0;
        double rate = 2.0 * width * ACC * (double)ITERATIONS * (double)rounds / t / 1e9;
        if (rate > best) best = rate;
        if (t < 0.01) rounds *= 2;  // each timing at least ~10 ms
    } while (now_seconds() < until);
    return best;
}
