import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine

/// The character Transformer's layers (SI S5): finite-difference gradients of every layer (embedding,
/// attention with and without the causal mask, layer norms, feed-forward, dropout with its masks held
/// fixed, the per-position linear layer), and the properties the authors' run depends on.
///
/// Finite differences as `GradientCheckTests`: central differences of the Float32 token-mean
/// cross-entropy, h = 1e-3, agreement within 2 % relative + 5e-4 absolute; a coordinate whose one-sided
/// differences disagree crossed a ReLU kink and is skipped (at most 5 %); a coordinate outside the bound
/// is measured again at h/4, where a kink closer than h to θ no longer lies inside the step (at most 5 %
/// of coordinates take this second look).
final class TransformerTests: XCTestCase {
    /// A small model: vocabulary 7, d 8, 2 heads, feed-forward 12, context 5, two layers.
    func smallSpec(causal: Bool = false, dropout: Double = 0, identical: Bool = false) -> TransformerSpec {
        var s = TransformerSpec()
        s.dModel = 8; s.heads = 2; s.feedForward = 12; s.context = 5; s.layers = 2
        s.causal = causal; s.dropout = dropout; s.identicalLayers = identical
        return s
    }

    /// ∂L/∂θ of the whole network (and ∂L/∂x when `floatInput`, through a network without the embedding)
    /// against central differences; `beginStep` before every forward holds the dropout masks fixed.
    func checkGradients(layers: [Layer], vocabulary: Int, context: Int, inputSize: Int, floatInput: Bool,
                        batch: Int = 2, seed: UInt64 = 6, file: StaticString = #filePath, line: UInt = #line) {
        let net = Network(layers: layers, maxBatch: batch)
        net.initialize(.pytorchDefault, seed: 5)
        var rng = RNG(seed: seed, stream: .sampling)
        for i in 0..<net.parameters.count { net.parameters[i] += (rng.uniformFloat() - 0.5) * 0.3 }
        var x: [Float] = (0..<(batch * inputSize)).map { _ in
            floatInput ? rng.uniformFloat() * 2 - 1 : Float(rng.uniformInt(below: vocabulary))
        }
        let targets = (0..<(batch * context)).map { _ in Int32(rng.uniformInt(below: vocabulary)) }
        let loss = Loss(kind: .crossEntropy, classCount: vocabulary, maxBatch: batch * context)
        func value(_ input: [Float], gradient: Bool = false) -> Double {
            net.beginStep(seed: 9, step: 3)
            var c = 0
            let z = input.withUnsafeBufferPointer { net.forward($0.baseAddress!, batch: batch, training: true) }
            return targets.withUnsafeBufferPointer {
                loss.evaluate(logits: z, labels: $0.baseAddress!, batch: batch * context, computeGradient: gradient, correct: &c)
            }
        }
        let l0 = value(x, gradient: true)
        var g = UnsafePointer(loss.gradient.pointer)
        var inputGrad: [Float] = []
        for (i, layer) in net.layers.enumerated().reversed() {
            let dx = layer.backward(g, batch: batch, needInputGradient: floatInput || i > 0)
            if i == 0 { if floatInput { inputGrad = Array(UnsafeBufferPointer(start: dx!, count: x.count)) } } else { g = UnsafePointer(dx!) }
        }
        let analytic = net.gradients.array
        let h: Float = 1e-3
        var skipped = 0, checked = 0, rechecked = 0
        /// `at(step)` is (L(+step), L(−step)) for the coordinate.
        func compare(_ a: Double, _ what: String, _ at: (Float) -> (Double, Double)) {
            checked += 1
            let (lp, lm) = at(h)
            let forward = (lp - l0) / Double(h), backward = (l0 - lm) / Double(h)
            if abs(forward - backward) > 0.1 * max(abs(forward), abs(backward)) + 2e-3 { skipped += 1; return }
            var numeric = (lp - lm) / Double(2 * h)
            if abs(a - numeric) > 0.02 * max(abs(a), abs(numeric)) + 5e-4 {
                rechecked += 1
                let (p4, m4) = at(h / 4)
                numeric = (p4 - m4) / Double(h / 2)
            }
            XCTAssertLessThanOrEqual(abs(a - numeric), 0.02 * max(abs(a), abs(numeric)) + 5e-4,
                                     "\(what): analytic \(a) vs numeric \(numeric)", file: file, line: line)
        }
        for k in 0..<net.parameters.count {
            let saved = net.parameters[k]
            let segment = net.layout.segments.first { $0.offset <= k && k < $0.offset + $0.count }!
            compare(Double(analytic[k]), "∂L/∂\(segment.name)[\(k - segment.offset)]") { step in
                net.parameters[k] = saved + step; let lp = value(x)
                net.parameters[k] = saved - step; let lm = value(x)
                net.parameters[k] = saved
                return (lp, lm)
            }
        }
        if floatInput {
            for k in 0..<x.count {
                let saved = x[k]
                compare(Double(inputGrad[k]), "∂L/∂x[\(k)]") { step in
                    x[k] = saved + step; let lp = value(x)
                    x[k] = saved - step; let lm = value(x)
                    x[k] = saved
                    return (lp, lm)
                }
            }
        }
        XCTAssertLessThanOrEqual(skipped * 20, checked, "too many coordinates at a kink", file: file, line: line)
        XCTAssertLessThanOrEqual(rechecked * 20, checked, "too many coordinates needed the second look", file: file, line: line)
    }

    /// The whole model from tokens: embedding (its rows of absent tokens get zero), two layers, fc.
    func testWholeModelGradients() throws {
        let spec = smallSpec()
        let net = try spec.makeNetwork(sampleShape: [5], vocabulary: 7, maxBatch: 2, pair: .callerOnly)
        checkGradients(layers: net.layers, vocabulary: 7, context: 5, inputSize: 5, floatInput: false)
    }

    /// One encoder layer and the per-position linear layer from a real-valued input: ∂L/∂x too
    /// (attention, both norms, the feed-forward block and both residual paths).
    func testEncoderLayerInputGradient() {
        let layer = TransformerEncoderLayer(name: "layers_0", dModel: 8, heads: 2, feedForward: 12, context: 5, dropout: 0, causal: false)
        checkGradients(layers: [layer, Linear(name: "fc", inputSize: 8, outputSize: 7, positions: 5)],
                       vocabulary: 7, context: 5, inputSize: 40, floatInput: true)
    }

    func testCausalEncoderLayerGradient() {
        for seed: UInt64 in [6, 7, 8] {
            let layer = TransformerEncoderLayer(name: "layers_0", dModel: 8, heads: 2, feedForward: 12, context: 5, dropout: 0, causal: true)
            checkGradients(layers: [layer, Linear(name: "fc", inputSize: 8, outputSize: 7, positions: 5)],
                           vocabulary: 7, context: 5, inputSize: 40, floatInput: true, seed: seed)
        }
    }

    /// With dropout at p = 0.3 (masks fixed by the step's generator), at all four places.
    func testEncoderLayerGradientWithDropout() {
        let layer = TransformerEncoderLayer(name: "layers_0", dModel: 8, heads: 2, feedForward: 12, context: 5, dropout: 0.3, causal: false)
        checkGradients(layers: [layer, Linear(name: "fc", inputSize: 8, outputSize: 7, positions: 5)],
                       vocabulary: 7, context: 5, inputSize: 40, floatInput: true)
    }

    /// The authors' configuration has 409,394 parameters (authors-code-notes.md §1.2, matching their
    /// published histogram totals), in PyTorch's `named_parameters()` order.
    func testAuthorsParameterCountAndOrder() throws {
        let spec = try XCTUnwrap(try ModelSpec(model: "transformer").transformer)
        XCTAssertEqual(spec.parameterCount(vocabulary: 50), 409_394)
        let net = try spec.makeNetwork(sampleShape: [50], vocabulary: 50, maxBatch: 1, pair: .callerOnly)
        XCTAssertEqual(net.layout.parameterCount, 409_394)
        let names = net.layout.segments.map(\.name)
        XCTAssertEqual(names.first, "embedding.weight")
        XCTAssertEqual(Array(names[1...4]), ["layers_0.in_proj_weight", "layers_0.in_proj_bias", "layers_0.out_proj_weight", "layers_0.out_proj_bias"])
        XCTAssertEqual(Array(names.suffix(2)), ["fc.weight", "fc.bias"])
        XCTAssertEqual(net.layout.segment(named: "layers_1.norm2_bias")?.count, 128)
    }

    /// Layers start identical by default (PyTorch deep-copies the layer), independent when asked; the
    /// initial values follow PyTorch's recipes (Xavier bound for in_proj, zero attention biases, γ = 1).
    func testInitialisation() throws {
        var spec = try XCTUnwrap(try ModelSpec(model: "transformer").transformer)
        let net = try spec.makeNetwork(sampleShape: [50], vocabulary: 50, maxBatch: 1, pair: .callerOnly)
        net.initialize(.pytorchDefault, seed: 1)
        func values(_ n: Network, _ name: String) -> [Float] {
            let s = n.layout.segment(named: name)!
            return Array(UnsafeBufferPointer(start: n.parameters.pointer + s.offset, count: s.count))
        }
        for kind in ["in_proj_weight", "linear1_weight", "linear2_bias", "norm1_weight"] {
            XCTAssertEqual(values(net, "layers_0.\(kind)"), values(net, "layers_1.\(kind)"), kind)
        }
        let w = values(net, "layers_0.in_proj_weight")
        let bound = Float((6.0 / 512).squareRoot())
        XCTAssertLessThanOrEqual(w.map(abs).max()!, bound)
        XCTAssertGreaterThan(w.map(abs).max()!, 0.95 * bound)
        XCTAssertTrue(values(net, "layers_0.in_proj_bias").allSatisfy { $0 == 0 })
        XCTAssertTrue(values(net, "layers_0.out_proj_bias").allSatisfy { $0 == 0 })
        XCTAssertTrue(values(net, "layers_0.norm2_weight").allSatisfy { $0 == 1 })
        let e = values(net, "embedding.weight").map(Double.init)
        let mean = e.reduce(0, +) / Double(e.count), sd = (e.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(e.count)).squareRoot()
        XCTAssertEqual(sd, 1, accuracy: 0.05, "nn.Embedding draws N(0, 1)")
        spec.identicalLayers = false
        let independent = try spec.makeNetwork(sampleShape: [50], vocabulary: 50, maxBatch: 1, pair: .callerOnly)
        independent.initialize(.pytorchDefault, seed: 1)
        XCTAssertNotEqual(values(independent, "layers_0.in_proj_weight"), values(independent, "layers_1.in_proj_weight"))
    }

    /// With the causal mask, a position's logits do not depend on later tokens; without it they do.
    func testCausalMaskHidesTheFuture() throws {
        for causal in [true, false] {
            let net = try smallSpec(causal: causal).makeNetwork(sampleShape: [5], vocabulary: 7, maxBatch: 1, pair: .callerOnly)
            net.initialize(.pytorchDefault, seed: 2)
            func logits(_ tokens: [Float]) -> [Float] {
                let z = tokens.withUnsafeBufferPointer { net.forward($0.baseAddress!, batch: 1, training: false) }
                return Array(UnsafeBufferPointer(start: z, count: 5 * 7))
            }
            let a = logits([1, 2, 3, 4, 5]), b = logits([1, 2, 3, 4, 0])
            XCTAssertEqual(Array(a[0..<28]) == Array(b[0..<28]), causal, "causal \(causal): the first four positions")
            XCTAssertNotEqual(Array(a[28...]), Array(b[28...]))
        }
    }

    /// Dropout masks depend on (seed, step, layer) only: the same step draws the same loss, another step
    /// a different one; evaluation draws none; the drop rate is p.
    func testDropoutIsSeededByStep() throws {
        let net = try smallSpec(dropout: 0.1).makeNetwork(sampleShape: [5], vocabulary: 7, maxBatch: 2, pair: .callerOnly)
        net.initialize(.pytorchDefault, seed: 2)
        let tokens: [Float] = [1, 2, 3, 4, 5, 6, 0, 1, 2, 3]
        func output(step: Int?, training: Bool) -> [Float] {
            if let step { net.beginStep(seed: 4, step: step) }
            let z = tokens.withUnsafeBufferPointer { net.forward($0.baseAddress!, batch: 2, training: training) }
            return Array(UnsafeBufferPointer(start: z, count: 70))
        }
        let first = output(step: 10, training: true)
        _ = output(step: 11, training: true)
        XCTAssertEqual(output(step: 10, training: true), first)
        XCTAssertNotEqual(output(step: 11, training: true), first)
        XCTAssertEqual(output(step: nil, training: false), output(step: 12, training: false))
        var rng = RNG(seed: 1, stream: .dropout)
        let mask = FloatBuffer(count: 200_000)
        Dropout.fill(mask.pointer, count: mask.count, p: 0.1, rng: &rng)
        let dropped = Double(mask.array.filter { $0 == 0 }.count) / Double(mask.count)
        XCTAssertEqual(dropped, 0.1, accuracy: 0.003)  // ± 4.5 binomial s.d.
        XCTAssertEqual(mask.array.first { $0 != 0 }, Float(1 / 0.9))
    }
}
