import CriticalityCore
import Foundation

/// The leading principal component of a block of |Δw| (rows: steps, columns: parameters) for the β*
/// direction proxy (Fig. 3D; authors-code-notes.md §3): what scikit-learn's `PCA(n_components=1)`
/// returns as `components_[0]`, up to sign, and its `explained_variance_ratio_[0]`.
///
/// The block X (T × P, T ≪ P) is centred per column; the component is the leading eigenvector of the
/// T × T Gram matrix G = X_c X_cᵀ (LAPACK `dsyevd`) mapped back, v = X_cᵀu/‖X_cᵀu‖ — the leading right
/// singular vector of X_c — with the sign that makes its largest-|·| entry positive; the explained
/// ratio is λ₁/trace(G). β*_k = |cos(v_k, v_{k+1})| of adjacent blocks (`cosine`).
public struct LeadingComponent: Sendable {
    public var component: [Double]
    public var explainedVarianceRatio: Double

    /// `block` row-major, `rows` × `columns`.
    public init(block: [Double], rows: Int, columns: Int) throws {
        guard rows >= 2, columns >= 1, block.count == rows * columns else {
            throw CriticalityError(.invalidArgument, "a principal component needs a block of at least 2 rows; got \(block.count) values for \(rows) × \(columns)")
        }
        var x = block
        for j in 0..<columns {
            var s = 0.0
            for t in 0..<rows { s += x[t * columns + j] }
            let m = s / Double(rows)
            for t in 0..<rows { x[t * columns + j] -= m }
        }
        var g = [Double](repeating: 0, count: rows * rows)
        x.withUnsafeBufferPointer { xp in
            g.withUnsafeMutableBufferPointer { gp in
                BLAS.dgemm(transB: true, m: rows, n: rows, k: columns, a: xp.baseAddress!, lda: columns, b: xp.baseAddress!, ldb: columns,
                           c: gp.baseAddress!, ldc: rows)
            }
        }
        var trace = 0.0
        for t in 0..<rows { trace += g[t * rows + t] }
        var eigenvalues = [Double](repeating: 0, count: rows)
        let info = BLAS.symmetricEigen(&g, n: rows, eigenvalues: &eigenvalues)
        guard info == 0 else { throw CriticalityError(.numerical, "the eigen-decomposition of a \(rows) × \(rows) Gram matrix failed (LAPACK info \(info))") }
        guard trace > 0 else { throw CriticalityError(.numerical, "the block is constant in every column: it has no principal component") }
        let u = Array(g[((rows - 1) * rows)..<(rows * rows)])  // rows of g are eigenvectors, ascending
        var v = [Double](repeating: 0, count: columns)
        for t in 0..<rows where u[t] != 0 {
            for j in 0..<columns { v[j] += u[t] * x[t * columns + j] }
        }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let big = v.indices.max { abs(v[$0]) < abs(v[$1]) } ?? 0
        let sign: Double = v[big] < 0 ? -1 : 1
        component = v.map { sign * $0 / norm }
        explainedVarianceRatio = eigenvalues[rows - 1] / trace
    }

    /// |cos| of two components (unit vectors), β* of adjacent blocks.
    public static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
        return abs(dot) / (na * nb).squareRoot()
    }
}
