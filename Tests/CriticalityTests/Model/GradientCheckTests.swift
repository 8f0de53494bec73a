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

/// Finite-difference checks of every layer, activation and loss: the analytic ∂L/∂θ and ∂L/∂x from
/// `backward` against central differences (L(θ + h) − L(θ − h))/2h of the scalar loss, computed in
/// Float32 with h = 1e-3 and compared within 2% relative plus 5e-4 absolute (Float32 loss rounding).
/// Where the two one-sided differences disagree, the step crossed a ReLU kink and the coordinate is
/// skipped; at most 5% of coordinates may be skipped.
final class GradientCheckTests: XCTestCase {
    /// Builds a network, a batch and labels; returns the max relative error over all parameters and inputs.
    func check(layers: [Layer], loss kind: LossKind, batch: Int = 3, classes: Int, inputSize: Int,
               file: StaticString = #filePath, line: UInt = #line) {
        let net = Network(layers: layers, maxBatch: batch)
        net.initialize(.pytorchDefault, seed: 11)
        var rng = RNG(seed: 12, stream: .sampling)
        // Perturb parameters so biases are not tiny and ReLU kinks are unlikely to be crossed.
        for i in 0..<net.parameters.count { net.parameters[i] += (rng.uniformFloat() - 0.5) * 0.5 }
        var x = (0..<(batch * inputSize)).map { _ in rng.uniformFloat() * 2 - 1 }
        let labels = (0..<batch).map { _ in Int32(rng.uniformInt(below: classes)) }
        let loss = Loss(kind: kind, classCount: classes, maxBatch: batch)

        func lossValue(_ input: [Float]) -> Double {
            var c = 0
            let z = input.withUnsafeBufferPointer { net.forward($0.baseAddress!, batch: batch, training: true) }
            return labels.withUnsafeBufferPointer { loss.evaluate(logits: z, labels: $0.baseAddress!, batch: batch, computeGradient: false, correct: &c) }
        }
        // Analytic gradients, including ∂L/∂x through a leading pass-through layer trick: run backward manually.
        var c = 0
        let z = x.withUnsafeBufferPointer { net.forward($0.baseAddress!, batch: batch, training: true) }
        _ = labels.withUnsafeBufferPointer { loss.evaluate(logits: z, labels: $0.baseAddress!, batch: batch, computeGradient: true, correct: &c) }
        var g = UnsafePointer(loss.gradient.pointer)
        var inputGrad: [Float] = []
        for (i, layer) in net.layers.enumerated().reversed() {
            let dx = layer.backward(g, batch: batch, needInputGradient: true)!
            if i == 0 { inputGrad = Array(UnsafeBufferPointer(start: dx, count: batch * inputSize)) } else { g = UnsafePointer(dx) }
        }
        let analytic = net.gradients.array

        let h: Float = 1e-3
        let l0 = lossValue(x)
        var skipped = 0, checked = 0
        func compare(_ a: Double, _ lp: Double, _ lm: Double, _ what: String) {
            checked += 1
            let forward = (lp - l0) / Double(h), backward = (l0 - lm) / Double(h)
            if abs(forward - backward) > 0.1 * max(abs(forward), abs(backward)) + 2e-3 { skipped += 1; return }
            let numeric = (lp - lm) / Double(2 * h)
            XCTAssertLessThanOrEqual(abs(a - numeric), 0.02 * max(abs(a), abs(numeric)) + 5e-4,
                                     "\(what): analytic \(a) vs numeric \(numeric)", file: file, line: line)
        }
        for k in 0..<net.parameters.count {
            let saved = net.parameters[k]
            net.parameters[k] = saved + h; let lp = lossValue(x)
            net.parameters[k] = saved - h; let lm = lossValue(x)
            net.parameters[k] = saved
            compare(Double(analytic[k]), lp, lm, "∂L/∂θ[\(k)]")
        }
        for k in 0..<x.count {
            let saved = x[k]
            x[k] = saved + h; let lp = lossValue(x)
            x[k] = saved - h; let lm = lossValue(x)
            x[k] = saved
            compare(Double(inputGrad[k]), lp, lm, "∂L/∂x[\(k)]")
        }
        XCTAssertLessThanOrEqual(skipped * 20, checked, "too many coordinates at a kink", file: file, line: line)
    }

    func testLinearWithCrossEntropy() {
        check(layers: [Linear(name: "fc1", inputSize: 5, outputSize: 4)], loss: .crossEntropy, classes: 4, inputSize: 5)
    }

    func testLinearWithMSE() {
        check(layers: [Linear(name: "fc1", inputSize: 5, outputSize: 4)], loss: .mse, classes: 4, inputSize: 5)
    }

    func testReLUNetwork() {
        check(layers: [Linear(name: "fc1", inputSize: 6, outputSize: 8), Activation(name: "r", kind: .relu, size: 8),
                       Linear(name: "fc2", inputSize: 8, outputSize: 3)], loss: .crossEntropy, classes: 3, inputSize: 6)
    }

    func testSigmoidNetwork() {
        check(layers: [Linear(name: "fc1", inputSize: 6, outputSize: 8), Activation(name: "s", kind: .sigmoid, size: 8),
                       Linear(name: "fc2", inputSize: 8, outputSize: 3)], loss: .mse, classes: 3, inputSize: 6)
    }

    func testLinearActivationNetwork() {
        check(layers: [Linear(name: "fc1", inputSize: 4, outputSize: 5), Activation(name: "l", kind: .linear, size: 5),
                       Linear(name: "fc2", inputSize: 5, outputSize: 3)], loss: .crossEntropy, classes: 3, inputSize: 4)
    }

    /// Convolution with padding 1 and stride 2 on 2×5×5 inputs, and with no padding, stride 1.
    func testConv2DWithPaddingAndStride() {
        let conv = Conv2D(name: "conv1", inChannels: 2, outChannels: 3, height: 5, width: 5, kernel: 3, stride: 2, padding: 1)
        XCTAssertEqual(conv.outHeight, 3)
        check(layers: [conv, ChannelsToBatch(name: "flatten", channels: 3, positions: 9),
                       Linear(name: "fc1", inputSize: conv.outputSize, outputSize: 3)],
              loss: .crossEntropy, batch: 2, classes: 3, inputSize: 50)
        let plain = Conv2D(name: "conv1", inChannels: 1, outChannels: 2, height: 4, width: 4, kernel: 3, stride: 1, padding: 0)
        check(layers: [plain, ChannelsToBatch(name: "flatten", channels: 2, positions: 4),
                       Linear(name: "fc1", inputSize: plain.outputSize, outputSize: 2)],
              loss: .mse, batch: 2, classes: 2, inputSize: 16)
    }

    /// A second convolution reading the first one's channel-major output (as the CNN's conv2), with
    /// padding wider than the kernel's reach on one side (padding 2, kernel 3), batch 3.
    func testConv2DOnAChannelMajorInput() {
        let first = Conv2D(name: "conv1", inChannels: 2, outChannels: 3, height: 4, width: 5)
        let second = Conv2D(name: "conv2", inChannels: 3, outChannels: 2, height: 4, width: 5, padding: 2, inputLayout: .channelMajor)
        check(layers: [first, second, ChannelsToBatch(name: "flatten", channels: 2, positions: second.positions),
                       Linear(name: "fc1", inputSize: second.outputSize, outputSize: 3)],
              loss: .crossEntropy, batch: 3, classes: 3, inputSize: 40)
    }

    /// Batch normalization in training mode (batch statistics), between a convolution and a linear layer.
    func testBatchNormTrainingMode() {
        check(layers: [Conv2D(name: "conv1", inChannels: 1, outChannels: 2, height: 4, width: 4),
                       BatchNorm2D(name: "bn1", channels: 2, height: 4, width: 4),
                       ChannelsToBatch(name: "flatten", channels: 2, positions: 16),
                       Linear(name: "fc1", inputSize: 32, outputSize: 3)], loss: .crossEntropy, batch: 3, classes: 3, inputSize: 16)
    }

    /// Batch normalization with its ReLU fused in (the CNN's bn → ReLU), batch 3.
    func testBatchNormWithFusedReLU() {
        check(layers: [Conv2D(name: "conv1", inChannels: 1, outChannels: 2, height: 4, width: 4),
                       BatchNorm2D(name: "bn1", channels: 2, height: 4, width: 4, fusedReLU: true),
                       ChannelsToBatch(name: "flatten", channels: 2, positions: 16),
                       Linear(name: "fc1", inputSize: 32, outputSize: 3)], loss: .crossEntropy, batch: 3, classes: 3, inputSize: 16)
    }

    /// 2×2 max pooling (random inputs: ties have probability zero).
    func testMaxPool() {
        check(layers: [Conv2D(name: "conv1", inChannels: 1, outChannels: 2, height: 4, width: 4),
                       MaxPool2D(name: "pool1", channels: 2, height: 4, width: 4),
                       ChannelsToBatch(name: "flatten", channels: 2, positions: 4),
                       Linear(name: "fc1", inputSize: 8, outputSize: 3)], loss: .crossEntropy, batch: 2, classes: 3, inputSize: 16)
    }

    /// The whole mlp-shaped stack from a ModelSpec (three hidden ReLU layers).
    func testModelSpecStack() throws {
        let spec = try ModelSpec(model: "mlp", widths: [5, 7, 6, 4], activation: .relu)
        let net = try spec.makeNetwork(inputSize: 5, classCount: 4, maxBatch: 2)
        XCTAssertEqual(net.layers.map(\.name), ["fc1", "relu1", "fc2", "relu2", "fc3"])
        check(layers: try spec.makeNetwork(inputSize: 5, classCount: 4, maxBatch: 2).layers, loss: .crossEntropy, batch: 2,
              classes: 4, inputSize: 5)
    }
}
