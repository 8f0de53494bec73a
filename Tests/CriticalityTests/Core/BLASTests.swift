import XCTest
@testable import CriticalityBench
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityReport
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityStats

final class BLASTests: XCTestCase {
    /// Every transpose combination of sgemm against a naive triple loop, with alpha and beta.
    func testSgemmMatchesNaiveProduct() {
        var rng = RNG(seed: 5, stream: .sampling)
        let m = 7, n = 5, k = 9
        for transA in [false, true] {
            for transB in [false, true] {
                let a = (0..<(m * k)).map { _ in rng.uniformFloat() - 0.5 }
                let b = (0..<(k * n)).map { _ in rng.uniformFloat() - 0.5 }
                var c = (0..<(m * n)).map { _ in rng.uniformFloat() }
                var expected = c
                for i in 0..<m {
                    for j in 0..<n {
                        var s: Float = 0
                        for p in 0..<k {
                            let av = transA ? a[p * m + i] : a[i * k + p]
                            let bv = transB ? b[j * k + p] : b[p * n + j]
                            s += av * bv
                        }
                        expected[i * n + j] = 2 * s + 0.5 * expected[i * n + j]
                    }
                }
                BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 2, a: a, lda: transA ? m : k,
                           b: b, ldb: transB ? k : n, beta: 0.5, c: &c, ldc: n)
                for i in 0..<(m * n) { XCTAssertEqual(c[i], expected[i], accuracy: 1e-5, "transA \(transA) transB \(transB)") }
            }
        }
    }

    func testInfoNamesBackendVersionAndCore() {
        let info = BLAS.info
        XCTAssert(["scipy-openblas32", "debian-openblas"].contains(info.name))
        XCTAssert(info.version.first?.isNumber == true, "version \(info.version)")
        XCTAssertFalse(info.core.isEmpty)
        XCTAssertGreaterThanOrEqual(info.threads, 1)
    }
}

final class EigenTests: XCTestCase {
    /// dsyevd on a known symmetric matrix: [[2,1],[1,2]] has eigenvalues 1 and 3 with eigenvectors
    /// (1,−1)/√2 and (1,1)/√2; each returned row v satisfies A v = λ v.
    func testSymmetricEigenDecomposition() {
        var a: [Double] = [2, 1, 0, 1, 2, 0, 0, 0, 5]
        var w = [Double](repeating: 0, count: 3)
        let original = a
        XCTAssertEqual(BLAS.symmetricEigen(&a, n: 3, eigenvalues: &w), 0)
        XCTAssertEqual(w[0], 1, accuracy: 1e-12); XCTAssertEqual(w[1], 3, accuracy: 1e-12); XCTAssertEqual(w[2], 5, accuracy: 1e-12)
        for k in 0..<3 {
            for i in 0..<3 {
                let av = (0..<3).reduce(0.0) { $0 + original[i * 3 + $1] * a[k * 3 + $1] }
                XCTAssertEqual(av, w[k] * a[k * 3 + i], accuracy: 1e-12)
            }
        }
    }
}
