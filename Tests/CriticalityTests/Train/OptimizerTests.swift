import Foundation
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

/// Three steps of each optimizer on two parameters with changing gradients, against PyTorch's update
/// equations written out by hand in Double (torch/optim/{sgd,adam,rmsprop,adagrad}.py, single-tensor path).
final class OptimizerTests: XCTestCase {
    let gradients: [[Double]] = [[0.5, -1.0], [0.25, 2.0], [-0.75, 0.1]]
    let lr = 0.1

    func run(_ settings: OptimizerSettings) -> [[Double]] {
        let opt = Optimizer(settings: settings, parameterCount: 2)
        let u = FloatBuffer(count: 2)
        return gradients.map { g in
            let gf = g.map(Float.init)
            let sq = opt.computeUpdate(gradients: gf, update: u.pointer)
            XCTAssertEqual(sq, Double(u[0]) * Double(u[0]) + Double(u[1]) * Double(u[1]), accuracy: 1e-6 * sq)
            return [Double(u[0]), Double(u[1])]
        }
    }

    func reference(_ kind: OptimizerKind) -> [[Double]] {
        var b = [0.0, 0.0], m = [0.0, 0.0], v = [0.0, 0.0]
        var out: [[Double]] = []
        for (t, g) in gradients.enumerated() {
            var u = [0.0, 0.0]
            for i in 0..<2 {
                switch kind {
                case .sgd: u[i] = -lr * g[i]
                case .momentum, .nesterov:
                    b[i] = t == 0 ? g[i] : 0.9 * b[i] + g[i]
                    u[i] = kind == .momentum ? -lr * b[i] : -lr * (g[i] + 0.9 * b[i])
                case .adam:
                    m[i] = 0.9 * m[i] + 0.1 * g[i]
                    v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
                    let step = Double(t + 1)
                    u[i] = -(lr / (1 - pow(0.9, step))) * m[i] / (v[i].squareRoot() / (1 - pow(0.999, step)).squareRoot() + 1e-8)
                case .rmsprop:
                    v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i]
                    u[i] = -lr * g[i] / (v[i].squareRoot() + 1e-8)
                case .adagrad:
                    v[i] += g[i] * g[i]
                    u[i] = -lr * g[i] / (v[i].squareRoot() + 1e-10)
                }
            }
            out.append(u)
        }
        return out
    }

    func testEveryOptimizerMatchesPyTorchEquations() {
        for kind in OptimizerKind.allCases {
            let got = run(OptimizerSettings(kind: kind, learningRate: lr))
            let want = reference(kind)
            for t in 0..<3 {
                for i in 0..<2 {
                    XCTAssertEqual(got[t][i], want[t][i], accuracy: 1e-6 * max(1, abs(want[t][i])), "\(kind) step \(t + 1) parameter \(i)")
                }
            }
        }
    }

    func testDefaultsArePyTorchs() {
        XCTAssertEqual(OptimizerSettings(kind: .adam, learningRate: 1).resolvedEpsilon, 1e-8)
        XCTAssertEqual(OptimizerSettings(kind: .adagrad, learningRate: 1).resolvedEpsilon, 1e-10)
        let s = OptimizerSettings(kind: .rmsprop, learningRate: 1)
        XCTAssertEqual([s.alpha, s.beta1, s.beta2], [0.99, 0.9, 0.999])
    }
}
