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

final class LossAndInitTests: XCTestCase {
    /// Known values: uniform logits give log K; huge logits stay finite (stable log-sum-exp).
    func testCrossEntropyKnownValuesAndStability() {
        let loss = Loss(kind: .crossEntropy, classCount: 4, maxBatch: 2)
        var c = 0
        let z: [Float] = [0, 0, 0, 0, 1000, 0, 0, -1000]
        let labels: [Int32] = [2, 0]
        let l = loss.evaluate(logits: z, labels: labels, batch: 2, computeGradient: true, correct: &c)
        XCTAssertEqual(l, (log(4.0) + 0) / 2, accuracy: 1e-6)
        XCTAssertEqual(c, 1)  // row 0 ties resolve to class 0 ≠ 2; row 1 is right
        XCTAssertEqual(loss.gradient[0], 0.25 / 2, accuracy: 1e-7)
        XCTAssertEqual(loss.gradient[2], (0.25 - 1) / 2, accuracy: 1e-7)
        XCTAssertTrue((0..<8).allSatisfy { loss.gradient[$0].isFinite })
    }

    /// MSE on one-hot targets: mean over batch and outputs, as PyTorch's MSELoss().
    func testMSEKnownValue() {
        let loss = Loss(kind: .mse, classCount: 2, maxBatch: 1)
        var c = 0
        let l = loss.evaluate(logits: [0.5, 2], labels: [Int32(1)], batch: 1, computeGradient: true, correct: &c)
        XCTAssertEqual(l, (0.25 + 1) / 2, accuracy: 1e-7)
        XCTAssertEqual(loss.gradient[0], 2 * 0.5 / 2, accuracy: 1e-7)
        XCTAssertEqual(loss.gradient[1], 2 * 1 / 2, accuracy: 1e-7)
    }

    /// Each scheme's bound or variance, measured on a 300×200 weight matrix.
    func testInitializationSchemes() {
        let fanIn = 200, fanOut = 300, n = fanIn * fanOut
        let w = FloatBuffer(count: n)
        for scheme in Initialization.allCases {
            var rng = RNG(seed: 1, stream: .initialization)
            scheme.fillWeights(w.pointer, count: n, fanIn: fanIn, fanOut: fanOut, rng: &rng)
            let v = w.array.map(Double.init)
            let maxAbs = v.map(abs).max()!
            let variance = v.reduce(0) { $0 + $1 * $1 } / Double(n)
            switch scheme {
            case .pytorchDefault:
                let bound = 1 / Double(fanIn).squareRoot()
                XCTAssertLessThanOrEqual(maxAbs, bound); XCTAssertGreaterThan(maxAbs, 0.99 * bound)
                XCTAssertEqual(variance, bound * bound / 3, accuracy: 0.02 * bound * bound / 3)
            case .kaimingUniform:
                let bound = (6 / Double(fanIn)).squareRoot()
                XCTAssertLessThanOrEqual(maxAbs, bound); XCTAssertGreaterThan(maxAbs, 0.99 * bound)
                XCTAssertEqual(variance, 2 / Double(fanIn), accuracy: 0.02 * 2 / Double(fanIn))
            case .xavierNormal:
                XCTAssertEqual(variance, 2 / Double(fanIn + fanOut), accuracy: 0.02 * 2 / Double(fanIn + fanOut))
            }
        }
    }

    func testUnknownModelAndMismatchedWidthsAreClearErrors() throws {
        assertThrowsMessage(["unknown model 'mlp7'", "mlp5", "--widths"]) { _ = try ModelSpec(model: "mlp7") }
        let spec = try ModelSpec(model: "mlp", widths: [100, 10])
        assertThrowsMessage(["784 features", "'widths'"]) { _ = try spec.makeNetwork(inputSize: 784, classCount: 10, maxBatch: 1) }
    }
}
