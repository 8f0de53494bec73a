import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine

final class PerturbationScanTests: XCTestCase {
    /// ΔL of the scan may differ from the naive reference by 10⁻⁹ of |ΔL| (the bound), plus
    /// what the naive reference itself cannot resolve: each of its per-sample losses is rounded to
    /// ~10⁻¹⁶ of itself, so a response below ~10⁻¹³·L is noise in it (the scan, which never forms
    /// ℓ(θ+δe_k) − ℓ(θ) from rounded totals, is the more accurate of the two there).
    static func assertExact(_ fast: Double, _ naive: Double, loss: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let tolerance = 1e-9 * abs(naive) + 1e-13 * loss
        XCTAssert(abs(fast - naive) <= tolerance, "\(what): scan \(fast), naive \(naive) (difference \(fast - naive), tolerance \(tolerance))", file: file, line: line)
    }

    /// A data set whose inputs are zero about a third of the time (as MNIST's background), so the
    /// scan's skipping of untouched samples is exercised.
    static func sparseData(count: Int, shape: [Int], classes: Int, seed: UInt64) -> Dataset {
        var d = Dataset.synthetic(count: count, sampleShape: shape, classCount: classes, seed: seed)
        var rng = RNG(seed: seed, stream: .probe)
        for i in d.inputs.indices where rng.uniformDouble() < 0.35 { d.inputs[i] = 0 }
        return d
    }

    /// Every parameter of every stage kind, or `perLayer` of each segment (first, last and spread).
    static func someParameters(_ layout: ParameterLayout, perSegment: Int) -> [Int] {
        layout.segments.flatMap { s -> [Int] in
            let n = min(perSegment, s.count)
            return (0..<n).map { s.offset + (n == 1 ? 0 : $0 * (s.count - 1) / (n - 1)) }
        }
    }

    func check(model: ModelSpec, shape: [Int], classes: Int, loss: LossKind, samples: Int, blockSamples: Int,
               perSegment: Int, scale: Float = 1.5, file: StaticString = #filePath, line: UInt = #line) throws {
        let net = try model.makeNetwork(sampleShape: shape, classCount: classes, maxBatch: samples)
        net.initialize(.pytorchDefault, seed: 7)
        for i in 0..<net.parameters.count { net.parameters[i] *= scale }  // sharper outputs than at initialization
        var rng = RNG(seed: 3, stream: .probe)
        for b in net.stateBuffers.enumerated() {
            for i in 0..<b.element.count { b.element[i] = b.offset % 2 == 0 ? Float(rng.uniformDouble() - 0.5) : Float(0.5 + rng.uniformDouble()) }
        }
        let data = Self.sparseData(count: samples, shape: shape, classes: classes, seed: 11)
        let eval = try EvaluationNetwork(net)
        let scan = try PerturbationScan(network: eval, loss: loss, set: data,
                                        memoryBytes: PerturbationScan.bytesPerSample(eval) * blockSamples)
        XCTAssertEqual(scan.blockRows, min(blockSamples, samples))
        let parameters = Self.someParameters(net.layout, perSegment: perSegment)
        let shifts = [0.01, -0.01, 1, -1]
        let result = try scan.run(parameters: parameters, shifts: shifts)
        XCTAssertEqual(result.lossBefore, scan.meanLoss(), accuracy: 1e-15 * result.lossBefore)
        var nonzero = 0
        for (t, k) in parameters.enumerated() {
            let segment = net.layout.segments.first { $0.range.contains(k) }!
            for (d, shift) in shifts.enumerated() {
                let naive = scan.naiveChange(parameter: k, shift: shift)
                if naive != 0 { nonzero += 1 }
                Self.assertExact(result.changes[t * shifts.count + d], naive, loss: result.lossBefore,
                                 "\(segment.name)[\(k - segment.offset)] shift \(shift)", file: file, line: line)
            }
        }
        XCTAssertGreaterThan(nonzero, parameters.count * 2, "most responses should be non-zero", file: file, line: line)
    }

    /// The MLP's linear, ReLU and last layers, cross-entropy, four blocks of samples.
    func testMLPScanEqualsNaiveReference() throws {
        try check(model: try ModelSpec(model: "mlp", widths: [12, 9, 7, 5, 4]), shape: [1, 3, 4], classes: 4,
                  loss: .crossEntropy, samples: 37, blockSamples: 10, perSegment: 8)
    }

    /// Sigmoid units (no sample ever drops out) and the MSE loss.
    func testSigmoidMSEScanEqualsNaiveReference() throws {
        try check(model: try ModelSpec(model: "mlp", widths: [12, 6, 5, 3], activation: .sigmoid), shape: [1, 3, 4], classes: 3,
                  loss: .mse, samples: 23, blockSamples: 23, perSegment: 6)
    }

    /// The paper's CNN on 1×4×4 images: convolution, evaluation-mode batch norm (with its ReLU),
    /// pooling, the flatten and the fully connected head, two blocks.
    func testCNNScanEqualsNaiveReference() throws {
        try check(model: try ModelSpec(model: "cnn"), shape: [1, 4, 4], classes: 3, loss: .crossEntropy,
                  samples: 9, blockSamples: 5, perSegment: 3, scale: 1)
    }

    /// The double-precision network is the trained model: its logits equal the Float32 network's in
    /// evaluation mode to Float32 rounding (CNN: batch norm with running statistics, PyTorch's flatten order).
    func testEvaluationNetworkIsTheModel() throws {
        for (spec, shape) in [(try ModelSpec(model: "mlp", widths: [12, 8, 3]), [1, 3, 4]), (try ModelSpec(model: "cnn"), [2, 4, 4])] {
            let net = try spec.makeNetwork(sampleShape: shape, classCount: 3, maxBatch: 5)
            net.initialize(.pytorchDefault, seed: 2)
            for b in net.stateBuffers { for i in 0..<b.count { b[i] = 0.5 + Float(i % 3) * 0.25 } }
            let data = Self.sparseData(count: 5, shape: shape, classes: 3, seed: 4)
            let logits = Array(UnsafeBufferPointer(start: net.forward(data.inputs, batch: 5, training: false), count: 15))
            let eval = try EvaluationNetwork(net)
            let scan = try PerturbationScan(network: eval, loss: .crossEntropy, set: data, memoryBytes: 1 << 24)
            let block = PerturbationScan.Block(scan)
            block.fill(start: 0, rows: 5)
            let z = block.outputs[eval.stages.count - 1]
            for i in 0..<15 { XCTAssertEqual(z[i], Double(logits[i]), accuracy: 1e-5 * max(1, abs(Double(logits[i]))), "\(spec.model) logit \(i)") }
        }
    }

    /// Two threads give the same responses, bit for bit, as one.
    func testThreadsDoNotChangeTheResponses() throws {
        let net = try ModelSpec(model: "mlp", widths: [12, 9, 4]).makeNetwork(sampleShape: [1, 3, 4], classCount: 4, maxBatch: 1)
        net.initialize(.pytorchDefault, seed: 5)
        let data = Self.sparseData(count: 300, shape: [1, 3, 4], classes: 4, seed: 6)
        let eval = try EvaluationNetwork(net)
        let parameters = Array(0..<net.layout.parameterCount)
        let one = try PerturbationScan(network: eval, loss: .crossEntropy, set: data, memoryBytes: 1 << 24).run(parameters: parameters, shifts: [0.01, -1])
        let pair = WorkerPair(withWorker: true)
        let two = try PerturbationScan(network: eval, loss: .crossEntropy, set: data, memoryBytes: 1 << 24, pair: pair).run(parameters: parameters, shifts: [0.01, -1])
        XCTAssertEqual(one.changes, two.changes)
        XCTAssertEqual(one.lossBefore, two.lossBefore)
    }

    /// Bad requests are refused with what to do.
    func testRefusals() throws {
        let net = try ModelSpec(model: "mlp", widths: [12, 4]).makeNetwork(sampleShape: [1, 3, 4], classCount: 4, maxBatch: 1)
        let eval = try EvaluationNetwork(net)
        let data = Self.sparseData(count: 3, shape: [1, 3, 4], classes: 4, seed: 1)
        assertThrowsMessage(["holds no sample"]) { _ = try PerturbationScan(network: eval, loss: .crossEntropy, set: data, memoryBytes: 10) }
        let scan = try PerturbationScan(network: eval, loss: .crossEntropy, set: data, memoryBytes: 1 << 20)
        assertThrowsMessage(["not a parameter"]) { _ = try scan.run(parameters: [52], shifts: [1]) }
        assertThrowsMessage(["finite"]) { _ = try scan.run(parameters: [0], shifts: [.nan]) }
        let other = Self.sparseData(count: 3, shape: [1, 2, 4], classes: 4, seed: 1)
        assertThrowsMessage(["does not fit the model"]) { _ = try PerturbationScan(network: eval, loss: .crossEntropy, set: other, memoryBytes: 1 << 20) }
    }
}
