import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityRun
@testable import CriticalityRunDirectory

/// The quadratic KL check: its divergence against a direct evaluation, its Fisher form against finite
/// differences of the exact KL, its tangent against central differences of the logits, and the run.
final class QuadraticKLTests: XCTestCase {
    /// A 5-4-3 ReLU network (and sigmoid, for the other derivative) with PyTorch's initialisation.
    func tinyNetwork(_ kind: ActivationKind = .relu) throws -> EvaluationNetwork {
        let net = Network(layers: [Linear(name: "fc1", inputSize: 5, outputSize: 4), Activation(name: "a1", kind: kind, size: 4),
                                   Linear(name: "fc2", inputSize: 4, outputSize: 3)], maxBatch: 8)
        net.initialize(.pytorchDefault, seed: 3)
        return try EvaluationNetwork(net)
    }

    func logits(_ net: EvaluationNetwork, _ theta: UnsafePointer<Double>, _ x: [Double], rows: Int) -> [Double] {
        var a = x
        var scratch = [Double](repeating: 0, count: max(net.scratchSize, 1))
        for s in net.stages.indices {
            var y = [Double](repeating: 0, count: rows * net.outputSize(s))
            a.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    scratch.withUnsafeMutableBufferPointer { sp in
                        net.forward(stage: s, xp.baseAddress!, rows: rows, yp.baseAddress!, scratch: sp.baseAddress!, theta: theta)
                    }
                }
            }
            a = y
        }
        return a
    }

    /// Against Σ p (log p − log q) evaluated directly where that is accurate (Δz ~ 0.1–1).
    func testDivergenceAgainstTheDirectFormula() {
        let z = [0.3, -1.2, 2.0, 0.5], z2 = [0.1, -0.4, 1.7, 1.5]
        func logSoftmax(_ v: [Double]) -> [Double] { let m = v.max()!; let l = log(v.map { exp($0 - m) }.reduce(0, +)) + m; return v.map { $0 - l } }
        let lp = logSoftmax(z), lq = logSoftmax(z2)
        let direct = zip(lp, lq).map { exp($0) * ($0 - $1) }.reduce(0, +)
        let (kl, _, _) = QuadraticKLObserver.divergence(logits: z, shifted: z2, tangent: [0, 0, 0, 0])
        XCTAssertEqual(kl, direct, accuracy: 1e-14 * direct + 1e-16)
        // The series branches against the closed forms in Float80 (64-bit significand; the difference
        // loses log10(2/|x|) digits of it, so the reference is good to ~10⁻¹⁴ at x = 10⁻⁵).
        for x in [-0.0099, 0.0099, 1e-5] {
            XCTAssertEqual(QuadraticKLObserver.expm1MinusIdentity(x), Double(expm1(Float80(x)) - Float80(x)), accuracy: 1e-13 * x * x)
            XCTAssertEqual(QuadraticKLObserver.log1pMinusIdentity(x), Double(log1p(Float80(x)) - Float80(x)), accuracy: 1e-13 * x * x)
        }
    }

    /// Along a straight line of logits (z + h·v), KL(h)/(h²·Q) = 1 + O(h): the Fisher form is the
    /// second-order term of the exact KL. Checked at h = 10⁻², 10⁻³, 10⁻⁴ — the relative error must
    /// fall about tenfold per step (it is the cubic term) and stay far above rounding.
    func testFisherFormIsTheSecondOrderTermOfTheKL() {
        let z = [0.3, -1.2, 2.0, 0.5, 0.0], v = [0.7, -0.2, 0.1, -1.3, 0.4]
        var errors: [Double] = []
        for h in [1e-2, 1e-3, 1e-4] {
            let (kl, q, _) = QuadraticKLObserver.divergence(logits: z, shifted: zip(z, v).map { $0 + h * $1 }, tangent: v.map { h * $0 })
            errors.append(abs(kl / q - 1))
        }
        XCTAssertLessThan(errors[0], 0.05)
        XCTAssertEqual(errors[1] / errors[0], 0.1, accuracy: 0.03)
        XCTAssertEqual(errors[2] / errors[1], 0.1, accuracy: 0.03)
    }

    /// The forward-mode tangent equals a central difference of the Float64 logits along Δθ (ε = 10⁻⁵:
    /// truncation O(ε²‖Δθ‖²) ~ 10⁻¹¹, rounding ~10⁻¹⁶/ε ~ 10⁻¹¹), for ReLU and sigmoid networks; and the
    /// exact KL between θ and θ + hΔθ over the probe, divided by h²·Q, tends to 1 (its finite differences).
    func testTangentAndKLAgainstFiniteDifferencesOnATinyNetwork() throws {
        for kind in [ActivationKind.relu, .sigmoid] {
            let net = try tinyNetwork(kind)
            let n = net.layout.parameterCount
            let o = try QuadraticKLObserver(layout: net.layout, settings: QuadraticKLSettings())
            var rng = RNG(seed: 9, stream: .probe)
            for i in 0..<n { o.theta[i] = net.theta[i]; o.delta[i] = rng.normal() * 0.05 }
            let rows = 6
            let x = (0..<(rows * 5)).map { _ in rng.normal() }
            // Forward-mode through the stages.
            var primal = x, tangent: [Double]? = nil
            var scratch = [Double](repeating: 0, count: max(net.scratchSize, 1))
            for s in net.stages.indices {
                var y = [Double](repeating: 0, count: rows * net.outputSize(s)), yd = y
                primal.withUnsafeBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer { yp in
                        yd.withUnsafeMutableBufferPointer { ydp in
                            scratch.withUnsafeMutableBufferPointer { sp in
                                if let t = tangent {
                                    t.withUnsafeBufferPointer { tp in
                                        o.forwardTangent(net, stage: s, xp.baseAddress!, tp.baseAddress!, rows: rows, yp.baseAddress!, ydp.baseAddress!, sp.baseAddress!)
                                    }
                                } else {
                                    o.forwardTangent(net, stage: s, xp.baseAddress!, nil, rows: rows, yp.baseAddress!, ydp.baseAddress!, sp.baseAddress!)
                                }
                            }
                        }
                    }
                }
                primal = y; tangent = yd
            }
            func shifted(_ h: Double) -> [Double] {
                let t = UnsafeMutablePointer<Double>.allocate(capacity: n)
                defer { t.deallocate() }
                for i in 0..<n { t[i] = o.theta[i] + h * o.delta[i] }
                return logits(net, t, x, rows: rows)
            }
            let eps = 1e-5
            let plus = shifted(eps), minus = shifted(-eps)
            for i in primal.indices {
                XCTAssertEqual(tangent![i], (plus[i] - minus[i]) / (2 * eps), accuracy: 1e-8 * max(1, abs(tangent![i])), "\(kind) logit \(i)")
            }
            var ratios: [Double] = []
            for h in [1e-2, 1e-3] {
                let after = shifted(h)
                var kl = 0.0, q = 0.0
                for r in 0..<rows {
                    let range = (r * 3)..<(r * 3 + 3)
                    let (d, qq, _) = QuadraticKLObserver.divergence(logits: Array(primal[range]), shifted: Array(after[range]),
                                                                   tangent: tangent![range].map { h * $0 })
                    kl += d; q += qq
                }
                ratios.append(kl / q)
            }
            XCTAssertEqual(ratios[0], 1, accuracy: 0.05, "\(kind)")
            XCTAssertLessThan(abs(ratios[1] - 1), abs(ratios[0] - 1) * 0.2 + 1e-9, "\(kind): the error falls with h")
        }
    }

    /// In a run: one check every `every` steps from step 0, finite, D_KL/Q near 1 for small SGD steps;
    /// the probe set larger than the training set is refused before anything is written.
    func testTheRunRecordsChecksAndRefusesAnOversizedProbe() throws {
        var c = RunConfig(model: try ModelSpec(model: "mlp", widths: [784, 16, 10]), optimizer: OptimizerSettings(kind: .sgd, learningRate: 0.01))
        c.dataset = "synthetic"; c.batchSize = .samples(32); c.steps = 30; c.updates = nil; c.information = nil
        c.kl!.every = 10
        c.kl!.probe = 64
        let data = try DatasetCatalog.load(name: "synthetic", directory: nil)
        let path = temporaryDirectory(self) + "/run"
        try Trainer(config: c, data: data, runPath: path, makeObservers: StandardObservers.make(for: c)).run()
        let s = try FileOutput.readJSON(QuadraticKLObserver.Summary.self, from: RunDirectory(path).observer("kl") + "/summary.json")
        XCTAssertEqual(s.records.map(\.step), [0, 10, 20])
        XCTAssertNil(s.unsupported)
        XCTAssertEqual(s.probe, 64)
        for r in s.records { XCTAssertGreaterThan(r.quadratic, 0); XCTAssertEqual(r.kl / r.quadratic, 1, accuracy: 0.05) }
        let (kl, shape) = try Npy.readDoubles(path: RunDirectory(path).observer("kl") + "/kl.npy")
        XCTAssertEqual(shape, [3, 4])
        XCTAssertEqual(kl[4], 10)
        c.kl!.probe = data.train.count + 1
        XCTAssertThrowsError(try Trainer(config: c, data: data, runPath: temporaryDirectory(self) + "/big",
                                         makeObservers: StandardObservers.make(for: c))) {
            XCTAssertTrue("\($0)".contains("larger than the training set"), "\($0)")
        }
    }
}
