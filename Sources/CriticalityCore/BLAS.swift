import CBLAS

/// The one wrapper through which every matrix product passes (row-major, Float32 for training,
/// Float64 for statistics). The backend is chosen at build time; see `Package.swift`.
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, row-major. `op(X)` is Xᵀ when the matching flag is set.
    /// Shapes: op(A) is m×k, op(B) is k×n, C is m×n; `lda`, `ldb`, `ldc` are row strides.
    @inline(__always)
    public static func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        crit_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
                   a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The lower triangle of C = A·Aᵀ (A n×k row-major with row stride `lda`; C n×n with stride `ldc`);
    /// C's upper triangle is not written (`cblas_ssyrk`).
    @inline(__always)
    public static func ssyrkLower(n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        crit_ssyrk_lower(Int32(n), Int32(k), a, Int32(lda), c, Int32(ldc))
    }

    /// Double-precision counterpart of `sgemm`.
    public static func dgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Double = 1,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        crit_dgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
                   a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Eigen-decomposition of the symmetric n×n row-major matrix `a` (LAPACK dsyevd): on return the rows
    /// of `a` are the eigenvectors and `eigenvalues` ascend. Returns LAPACK's info (0 on success).
    public static func symmetricEigen(_ a: inout [Double], n: Int, eigenvalues: inout [Double]) -> Int {
        precondition(a.count == n * n && eigenvalues.count == n)
        return Int(crit_dsyevd(Int32(n), &a, Int32(n), &eigenvalues))
    }

    /// Number of threads the backend uses for one call.
    public static var threads: Int {
        get { Int(crit_blas_get_threads()) }
        set { crit_blas_set_threads(Int32(max(1, newValue))) }
    }

    /// What the manifest and `criticality bench` record about the backend.
    public struct Info: Codable, Equatable, Sendable {
        /// "scipy-openblas32" or "debian-openblas".
        public var name: String
        /// The OpenBLAS version, e.g. "0.3.34".
        public var version: String
        /// The kernel family OpenBLAS selected at run time (`openblas_get_corename()`), e.g. "SkylakeX".
        public var core: String
        /// The full `openblas_get_config()` string.
        public var config: String
        /// The backend's own thread count (1 while training: `PartitionedGEMM` does the threading).
        public var threads: Int
    }

    public static var info: Info {
        let config = String(cString: crit_blas_config())
        // The config string starts "OpenBLAS 0.3.34 ..." (sometimes prefixed); pick the first version-like word.
        let version = config.split(separator: " ").first { word in
            word.first?.isNumber == true && word.contains(".")
        }.map(String.init) ?? "unknown"
        return Info(name: String(cString: crit_blas_name()), version: version,
                    core: String(cString: crit_blas_corename()), config: config, threads: threads)
    }
}
