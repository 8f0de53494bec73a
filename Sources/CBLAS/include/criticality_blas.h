// One small C surface over the BLAS/LAPACK backend, so Swift never sees the backend's symbol prefix.
// The backend is chosen at build time (Package.swift): scipy-openblas32 (symbols `scipy_*`) by default,
// Debian's libopenblas with CRITICALITY_DEBIAN_OPENBLAS.
#ifndef CRITICALITY_BLAS_H
#define CRITICALITY_BLAS_H

#ifdef __cplusplus
extern "C" {
#endif

/// Row-major single-precision C = alpha * op(A) op(B) + beta * C; transA/transB are 0 (no) or 1 (transpose).
void crit_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// Row-major C = A Aᵀ (A n×k, row stride lda), lower triangle only (cblas_ssyrk); the upper triangle of C
/// is left as it was.
void crit_ssyrk_lower(int n, int k, const float *a, int lda, float *c, int ldc);

/// Row-major double-precision counterpart of crit_sgemm.
void crit_dgemm(int transA, int transB, int m, int n, int k, double alpha,
                const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc);

/// Symmetric eigen-decomposition (LAPACK dsyevd) of the n×n symmetric matrix `a`. On return the rows
/// of `a` (row-major) are the eigenvectors and `w` holds the eigenvalues in ascending order.
/// Returns LAPACK's info (0 on success).
int crit_dsyevd(int n, double *a, int lda, double *w);

/// The backend's name ("scipy-openblas32" or "debian-openblas").
const char *crit_blas_name(void);
/// openblas_get_config(): build configuration string, beginning with the version.
const char *crit_blas_config(void);
/// openblas_get_corename(): the kernel family chosen at run time (e.g. "SkylakeX", "Haswell").
const char *crit_blas_corename(void);
void crit_blas_set_threads(int n);
int crit_blas_get_threads(void);

/// Hands OpenBLAS's multithreading to `callback` (an `openblas_threads_callback`, OpenBLAS ≥ 0.3.27:
/// `openblas_set_threads_callback_function`). Returns 1 if installed, 0 if this backend has no such hook.
int crit_blas_install_threads_callback(void *callback);

#ifdef __cplusplus
}
#endif
#endif
