import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityEngine

/// Criticality's Transformer against PyTorch's on the same weights and batch (llm.c style): loss, logits
/// and every gradient, bidirectional and causal, dropout off. The fixture Reference/transformer_reference.json
/// was written by Reference/transformer_reference.py (PyTorch 2.13 CPU) from the weights
/// `testExportForPyTorch` exported; the default suite needs no PyTorch.
///
/// Tolerance: both sides compute in Float32 with different summation orders (OpenBLAS GEMMs against
/// PyTorch's kernels, Double against Float moments in the layer norms), about 10⁻⁷ relative per operation
/// over a few hundred operations deep; each tensor must agree within 1e-5 + 2e-4 × its largest reference
/// magnitude (a wrong term — a missing residual, a mask off by one, a transposed head — is of order the
/// values themselves).
final class TransformerReferenceTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Reference/transformer_reference.json")

    /// The fixture's model: vocabulary 6, d 8, 2 heads, 2 independent layers, feed-forward 12, context 4.
    func spec(causal: Bool) -> TransformerSpec {
        var s = TransformerSpec()
        s.dModel = 8; s.heads = 2; s.layers = 2; s.feedForward = 12; s.context = 4
        s.dropout = 0; s.causal = causal; s.identicalLayers = false
        return s
    }
    let vocabulary = 6, batch = 2

    static func floats(_ text: String) -> [Float] {
        let data = Data(base64Encoded: text)!
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }

    static func base64(_ values: [Float]) -> String {
        var data = Data()
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data.base64EncodedString()
    }

    /// Writes the weights and batch for the script (only when CRITICALITY_TRANSFORMER_EXPORT names a file).
    func testExportForPyTorch() throws {
        guard let path = ProcessInfo.processInfo.environment["CRITICALITY_TRANSFORMER_EXPORT"] else {
            throw XCTSkip("set CRITICALITY_TRANSFORMER_EXPORT=FILE to export the reference model's weights")
        }
        let s = spec(causal: false)
        let net = try s.makeNetwork(sampleShape: [s.context], vocabulary: vocabulary, maxBatch: batch, pair: .callerOnly)
        net.initialize(.pytorchDefault, seed: 3)
        var rng = RNG(seed: 4, stream: .sampling)
        let tokens = (0..<(batch * s.context)).map { _ in rng.uniformInt(below: vocabulary) }
        let targets = (0..<(batch * s.context)).map { _ in rng.uniformInt(below: vocabulary) }
        let export: [String: Any] = [
            "spec": ["vocabulary": vocabulary, "d_model": s.dModel, "heads": s.heads, "layers": s.layers,
                     "feed_forward": s.feedForward, "context": s.context],
            "batch": batch, "tokens": tokens, "targets": targets,
            "segments": net.layout.segments.map { ["name": $0.name, "offset": $0.offset, "count": $0.count, "shape": $0.shape] },
            "parameters": Self.base64(net.parameters.array),
        ]
        try JSONSerialization.data(withJSONObject: export, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
    }

    func testMatchesPyTorch() throws {
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixture)) as? [String: Any])
        let tokens = (json["tokens"] as! [Int]).map(Float.init)
        let targets = (json["targets"] as! [Int]).map(Int32.init)
        let theta = Self.floats(json["parameters"] as! String)
        for causal in [false, true] {
            let reference = json[causal ? "causal" : "bidirectional"] as! [String: Any]
            let s = spec(causal: causal)
            let net = try s.makeNetwork(sampleShape: [s.context], vocabulary: vocabulary, maxBatch: batch, pair: .callerOnly)
            XCTAssertEqual(theta.count, net.parameters.count)
            for i in theta.indices { net.parameters[i] = theta[i] }
            let rows = batch * s.context
            let loss = Loss(kind: .crossEntropy, classCount: vocabulary, maxBatch: rows)
            let z = tokens.withUnsafeBufferPointer { net.forward($0.baseAddress!, batch: batch, training: true) }
            let logits = Array(UnsafeBufferPointer(start: z, count: rows * vocabulary))
            var correct = 0
            let l = targets.withUnsafeBufferPointer { loss.evaluate(logits: z, labels: $0.baseAddress!, batch: rows, computeGradient: true, correct: &correct) }
            net.backward(loss.gradient.pointer, batch: batch)
            let what = causal ? "causal" : "bidirectional"
            XCTAssertEqual(l, reference["loss"] as! Double, accuracy: 1e-5, "\(what) loss")
            assertClose(logits, Self.floats(reference["logits"] as! String), "\(what) logits")
            let grads = Self.floats(reference["gradients"] as! String), mine = net.gradients.array
            for segment in net.layout.segments {
                let r = segment.offset..<(segment.offset + segment.count)
                assertClose(Array(mine[r]), Array(grads[r]), "\(what) ∂L/∂\(segment.name)")
            }
        }
    }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = b.map { abs($0) }.max() ?? 0
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5 + 2e-4 * scale, "\(what): max |Δ| \(worst) at scale \(scale)", file: file, line: line)
    }
}
