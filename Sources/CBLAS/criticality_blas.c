#include "criticality_blas.h"
#include <stdlib.h>
#include <stddef.h>

#ifdef CRITICALITY_DEBIAN_OPENBLAS
#define B(name) name
#define BACKEND_NAME "debian-openblas"
#else
#define B(name) scipy_##name
#define BACKEND_NAME "scipy-openblas32"
#endif

/* Prototypes written out here so that no backend header (and no include path) is needed. */
enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
void B(cblas_sgemm)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                    const float *b, int ldb, float beta, float *c, int ldc);
void B(cblas_dgemm)(int order, int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda,
                    const double *b, int ldb, double beta, double *c, int ldc);
void B(dsyevd_)(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
                const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_len, size_t uplo_len);
void B(cblas_ssyrk)(int order, int uplo, int trans, int n, int k, float alpha, const float *a, int lda, float beta,
                    float *c, int ldc);
char *B(openblas_get_config)(void);
char *B(openblas_get_corename)(void);
void B(openblas_set_num_threads)(int n);
int B(openblas_get_num_threads)(void);
typedef void (*threads_callback)(int sync, void (*dojob)(int, void *, int), int numjobs, size_t elsize, void *jobdata,
                                 int dojob_data);
// Weak: Debian's OpenBLAS 0.3.21 predates the hook, and the program must still link and run there.
__attribute__((weak)) void B(openblas_set_threads_callback_function)(threads_callback callback);

void crit_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    B(cblas_sgemm)(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb,
                   beta, c, ldc);
}

void crit_ssyrk_lower(int n, int k, const float *a, int lda, float *c, int ldc) {
    B(cblas_ssyrk)(RowMajor, 122 /* CblasLower */, NoTrans, n, k, 1.0f, a, lda, 0.0f, c, ldc);
}

void crit_dgemm(int transA, int transB, int m, int n, int k, double alpha,
                const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc) {
    B(cblas_dgemm)(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb,
                   beta, c, ldc);
}

int crit_dsyevd(int n, double *a, int lda, double *w) {
    // Fortran LAPACK (column-major). The matrix is symmetric, so row- and column-major input agree;
    // the eigenvectors come back as the columns of a column-major array = the rows of `a` row-major.
    int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
    double work_query = 0;
    B(dsyevd_)("V", "L", &n, a, &lda, w, &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
    if (info != 0) return info;
    lwork = (int)work_query;
    liwork = iwork_query;
    double *work = malloc(sizeof(double) * (size_t)(lwork > 1 ? lwork : 1));
    int *iwork = malloc(sizeof(int) * (size_t)(liwork > 1 ? liwork : 1));
    if (!work || !iwork) { free(work); free(iwork); return -1000; }
    B(dsyevd_)("V", "L", &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    free(work);
    free(iwork);
    return info;
}

const char *crit_blas_name(void) { return BACKEND_NAME; }
const char *crit_blas_config(void) { return B(openblas_get_config)(); }
const char *crit_blas_corename(void) { return B(openblas_get_corename)(); }
void crit_blas_set_threads(int n) { B(openblas_set_num_threads)(n); }
int crit_blas_get_threads(void) { return B(openblas_get_num_threads)(); }

int crit_blas_install_threads_callback(void *callback) {
    if (!B(openblas_set_threads_callback_function)) return 0;
    B(openblas_set_threads_callback_function)((threads_callback)callback);
    return 1;
}
