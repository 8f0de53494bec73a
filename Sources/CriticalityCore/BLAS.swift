import CBLAS
import CThreads

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

    /// Whether BLAS's threads are the process's shared pair (`crit_pair_shared`): OpenBLAS's jobs run on
    /// the caller and one worker thread, the same worker that takes half of the trainer's fused
    /// elementwise pass. Set up once by `shareWorker()`; false where the backend has no threading hook
    /// (Debian's OpenBLAS 0.3.21) or the platform has no worker threads.
    public private(set) nonisolated(unsafe) static var sharesWorker = false
    nonisolated(unsafe) private static var sharingDecided = false

    /// Routes OpenBLAS's multithreading through the shared pair (once per process; later calls return
    /// the first answer). With OpenBLAS's own threads, a second idle thread would spin on the other core
    /// while the trainer's worker needs it (measured: the fused pass then gained nothing and GEMMs lost
    /// up to 10%). Must be called before BLAS runs on two threads at once.
    @discardableResult
    public static func shareWorker() -> Bool {
        if sharingDecided { return sharesWorker }
        sharingDecided = true
        guard crit_pair_blas_supported() != 0, crit_pair_has_worker(crit_pair_shared()) != 0 else { return false }
        sharesWorker = crit_blas_install_threads_callback(unsafeBitCast(crit_pair_blas_threads as @convention(c) (Int32, (@convention(c) (Int32, UnsafeMutableRawPointer?, Int32) -> Void)?, Int32, Int, UnsafeMutableRawPointer?, Int32) -> Void, to: UnsafeMutableRawPointer.self)) != 0
        // OpenBLAS's own threads, now without work, must reach their sleep first (once per process).
        if sharesWorker { _ = crit_pair_wait_for_idle_threads(1.0) }
        return sharesWorker
    }

    /// The most threads OpenBLAS is built for (its NUM_THREADS: 64 in both builds we link); a request
    /// above it would be cut to it silently.
    public static let maximumThreads = 64

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
        public var threads: Int
        /// True when BLAS's threads are Criticality's shared worker (`shareWorker()`), false when they are
        /// OpenBLAS's own; nil in records written before this was recorded.
        public var sharedWorker: Bool?

        enum CodingKeys: String, CodingKey { case name, version, core, config, threads, sharedWorker = "shared_worker" }
    }

    public static var info: Info {
        let config = String(cString: crit_blas_config())
        // The config string starts "OpenBLAS 0.3.34 ..." (sometimes prefixed); pick the first version-like word.
        let version = config.split(separator: " ").first { word in
            word.first?.isNumber == true && word.contains(".")
        }.map(String.init) ?? "unknown"
        return Info(name: String(cString: crit_blas_name()), version: version,
                    core: String(cString: crit_blas_corename()), config: config, threads: threads, sharedWorker: sharesWorker)
    }
}
