// CPU dispatch shared by the kernels (private to CKernels).
//
// The hot kernels are compiled twice, for the baseline x86-64 target and for AVX2, and dispatched once
// by CPUID: the package builds for any x86-64 (no -march), and AVX2 halves the log-histogram kernel's time
// (0.58 → 0.29 ns per value on this machine). Both versions compute identical results: the same 8-lane
// Float32 arithmetic in the same order, and no FMA contraction ("fma" is not among the target features).
#ifndef CRITICALITY_DISPATCH_H
#define CRITICALITY_DISPATCH_H

/// The widest instruction set the kernels may use (2 AVX-512, 1 AVX2, 0 baseline); only tests lower it
/// (`crit_set_isa_limit`), to compare every path's bits on one machine.
extern int crit_isa_limit;

static inline int have_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx2") ? 1 : 0;
    return cached && crit_isa_limit >= 1;
#else
    return 0;
#endif
}

#if defined(__x86_64__) || defined(__i386__)
#define CRIT_AVX2 __attribute__((target("avx2")))
#else
#define CRIT_AVX2
#endif

// AVX-512 where the CPU has it (the convolution's copies, batch norm's passes). Code compiled for it
// keeps the fixed 16-lane order of the other copies; `#pragma STDC FP_CONTRACT OFF` in those files
// keeps FMA (which avx512f implies) from fusing a multiply into an add.
static inline int have_avx512f(void) {
#if defined(__x86_64__) || defined(__i386__)
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return cached && crit_isa_limit >= 2;
#else
    return 0;
#endif
}

#if defined(__x86_64__) || defined(__i386__)
#define CRIT_AVX512 __attribute__((target("avx512f")))
#else
#define CRIT_AVX512
#endif

#endif
