import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityStats
import Foundation

/// Settings of the quadratic KL check (Fig. 3B–C, SI S8).
public struct QuadraticKLSettings: Codable, Equatable, Sendable {
    /// Steps between checks (a check at every step t with t % every == 0).
    public var every: Int = 500
    /// Training images in the fixed probe set (drawn once from the run's seed, without replacement);
    /// nil: `defaultProbe`, or the whole training set when it is smaller. A value given is checked
    /// against the training set (`check`).
    public var probe: Int?
    public static let defaultProbe = 512

    /// The probe size for a training set of `n` images.
    public func probeSize(trainingSetSize n: Int) -> Int { probe ?? min(QuadraticKLSettings.defaultProbe, n) }
    public var seed: UInt64 = 1

    public init() {}
    enum CodingKeys: String, CodingKey { case every, probe, seed }

    public func validate() throws {
        guard every >= 1 else { throw CriticalityError(.invalidArgument, "'kl-every' must be at least 1 step; got \(every)") }
        if let probe, !(1...100_000).contains(probe) {
            throw CriticalityError(.invalidArgument, "'kl-probe' must be in 1…100000 training images; got \(probe)")
        }
    }

    /// Refuses a probe set larger than the training set.
    public func check(trainingSetSize n: Int) throws {
        guard let probe else { return }
        guard probe <= n else {
            throw CriticalityError(.invalidArgument, "the KL check's probe set (--kl-probe \(probe)) is larger than the training set (\(n) images); use at most \(n)")
        }
    }
}

/// The local quadratic approximation of the KL divergence (Fig. 3B–C, SI S8; authors-code-notes.md §5):
/// at every `every`-th step t, on a fixed probe set of training images, in Float64 from the run's
/// Float32 θ_t and Δθ_t,
///
///     D_KL = mean_x KL(softmax z(x; θ_t) ‖ softmax z(x; θ_t + Δθ_t))
///     Q    = ½ mean_x vᵀ(diag p − ppᵀ)v = ½ mean_x Var_p(v),   v = J_z(x)·Δθ_t
///
/// with p = softmax z(x; θ_t) and v the exact directional derivative of the logits along the step's
/// actual (signed) update, by forward-mode differentiation through the network (`EvaluationNetwork`'s
/// stages: ẏ = ẋWᵀ + xΔWᵀ + Δb for a linear layer, ẋ·[x > 0] for ReLU, ẋ·y(1 − y) for sigmoid). Q is
/// the second-order Taylor term of D_KL in Δθ (the categorical Fisher, i.e. the Gauss–Newton form), so
/// D_KL/Q → 1 as Δθ → 0. D_KL is evaluated without cancellation: with Δz = z' − z,
/// s = Σ p (e^{Δz} − 1) and m = Σ p Δz, D_KL = [log1p(s) − s] + Σ p (expm1(Δz) − Δz), each bracket by
/// its series where its argument is small.
///
/// Limitations: fully connected networks only (a model with convolutions records nothing and says so
/// in its summary); "a" of the paper's p(a|θ) is taken to be the network's output distribution.
public final class QuadraticKLObserver: ChunkedTrainingObserver {
    public static let observerName = "kl"
    public let name = QuadraticKLObserver.observerName
    public let settings: QuadraticKLSettings
    public let layout: ParameterLayout

    /// One check.
    public struct Record: Codable, Equatable, Sendable {
        public var step: Int
        public var kl: Double
        public var quadratic: Double
        /// mean_x max_i |v_i|: the size of the logit change the approximation is tested at.
        public var tangentSize: Double
        enum CodingKeys: String, CodingKey { case step, kl, quadratic, tangentSize = "tangent_size" }
    }
    public internal(set) var records: [Record] = []
    public internal(set) var unsupported: String?

    let theta: UnsafeMutablePointer<Double>
    let delta: UnsafeMutablePointer<Double>
    let shifted: UnsafeMutablePointer<Double>
    var evaluation: EvaluationNetwork?
    /// Probe inputs (probe × features), each stage's output and tangent, two buffers for the pass at
    /// θ + Δθ, and the stages' scratch: allocated once, at the first check.
    var probe: UnsafeMutablePointer<Double>?
    var primal: [UnsafeMutablePointer<Double>] = [], tangent: [UnsafeMutablePointer<Double>] = []
    var ping: UnsafeMutablePointer<Double>?, pong: UnsafeMutablePointer<Double>?
    var scratch: UnsafeMutablePointer<Double> = .allocate(capacity: 1)
    var allocatedDoubles = 0
    var probeRows = 0

    public init(layout: ParameterLayout, settings: QuadraticKLSettings) throws {
        try settings.validate()
        self.settings = settings
        self.layout = layout
        let n = max(layout.parameterCount, 1)
        theta = .allocate(capacity: n); delta = .allocate(capacity: n); shifted = .allocate(capacity: n)
        theta.initialize(repeating: 0, count: n); delta.initialize(repeating: 0, count: n); shifted.initialize(repeating: 0, count: n)
    }

    deinit {
        theta.deallocate(); delta.deallocate(); shifted.deallocate(); scratch.deallocate()
        probe?.deallocate(); ping?.deallocate(); pong?.deallocate()
        for p in primal + tangent { p.deallocate() }
    }

    /// θ, Δθ and θ + Δθ in Double, and (after the first check) the probe's buffers.
    public var memoryBytes: Int { 3 * 8 * layout.parameterCount + 8 * allocatedDoubles }

    public func beginStep(step: Int) -> Bool { unsupported == nil && step % settings.every == 0 }

    public func observeChunk(_ index: Int, _ chunk: StepChunk, thread: Int, update: UnsafePointer<Float>, parameters: UnsafePointer<Float>?) {
        guard let parameters else { return }
        for i in chunk.offset..<(chunk.offset + chunk.count) {
            theta[i] = Double(parameters[i]); delta[i] = Double(update[i])
        }
    }

    public func endStep(_ context: StepContext) {
        guard let acts = context.activations else { return }
        if evaluation == nil { prepare(acts) }
        guard let net = evaluation, unsupported == nil else { return }
        let rows = probeRows
        let classes = net.classCount
        for i in 0..<layout.parameterCount { shifted[i] = theta[i] + delta[i] }
        // Primal and tangent at θ_t, stage by stage; then the logits at θ_t + Δθ_t, ping-ponged.
        var x = UnsafePointer(probe!), xd: UnsafePointer<Double>? = nil  // the input's tangent is 0
        for s in net.stages.indices {
            forwardTangent(net, stage: s, x, xd, rows: rows, primal[s], tangent[s], scratch)
            x = UnsafePointer(primal[s]); xd = UnsafePointer(tangent[s])
        }
        let last = net.stages.count - 1
        let logits = primal[last], v = tangent[last]
        var src = UnsafePointer(probe!)
        for s in net.stages.indices {
            let out = s % 2 == 0 ? ping! : pong!
            net.forward(stage: s, src, rows: rows, out, scratch: scratch, theta: shifted)
            src = UnsafePointer(out)
        }
        let after = src
        var kl = CompensatedSum(), quadratic = CompensatedSum(), size = 0.0
        for r in 0..<rows {
            let o = r * classes
            let (d, q, m) = QuadraticKLObserver.divergence(logits: Array(UnsafeBufferPointer(start: logits + o, count: classes)),
                                                           shifted: Array(UnsafeBufferPointer(start: after + o, count: classes)),
                                                           tangent: Array(UnsafeBufferPointer(start: v + o, count: classes)))
            kl.add(d); quadratic.add(q); size += m
        }
        records.append(Record(step: context.step, kl: kl.value / Double(rows), quadratic: quadratic.value / Double(rows),
                              tangentSize: size / Double(rows)))
    }

    public func beginReplayStep(step: Int) {}
    public func observeReplayChunk(_ index: Int, _ chunk: StepChunk, thread: Int, update: UnsafePointer<Float>) {}
    public func observe(_ context: StepContext) {}

    /// KL(softmax z ‖ softmax z'), ½ Var_p(v) and max |v| for one sample (see the type's notes).
    public static func divergence(logits z: [Double], shifted z2: [Double], tangent v: [Double]) -> (kl: Double, quadratic: Double, size: Double) {
        let top = z.max()!
        var p = z.map { exp($0 - top) }
        let total = p.reduce(0, +)
        for i in p.indices { p[i] /= total }
        var s = 0.0, e2 = 0.0
        for i in z.indices {
            let dz = z2[i] - z[i]
            s += p[i] * expm1(dz)
            e2 += p[i] * expm1MinusIdentity(dz)
        }
        let kl = max(log1pMinusIdentity(s) + e2, 0)
        var mean = 0.0
        for i in v.indices { mean += p[i] * v[i] }
        var variance = 0.0
        for i in v.indices { variance += p[i] * (v[i] - mean) * (v[i] - mean) }
        return (kl, 0.5 * variance, v.map(abs).max() ?? 0)
    }

    /// eˣ − 1 − x without cancellation.
    static func expm1MinusIdentity(_ x: Double) -> Double {
        if abs(x) < 1e-2 {
            // x²/2 + x³/6 + … to x⁸/8! (relative error < 1e-16 for |x| < 0.01).
            var term = x * x / 2, sum = term
            for k in 3...8 { term *= x / Double(k); sum += term }
            return sum
        }
        return expm1(x) - x
    }

    /// log(1 + s) − s without cancellation.
    static func log1pMinusIdentity(_ s: Double) -> Double {
        if abs(s) < 1e-2 {
            // −s²/2 + s³/3 − … to s⁹/9.
            var power = s * s, sum = 0.0
            for k in 2...9 { sum += (k % 2 == 0 ? -1 : 1) * power / Double(k); power *= s }
            return sum
        }
        return log1p(s) - s
    }

    /// The probe set and the evaluation network's buffers, once (the probe drawn without replacement).
    func prepare(_ acts: StepActivations) {
        do {
            let net = try EvaluationNetwork(acts.network)
            for s in net.stages {
                switch s {
                case .linear, .activation: continue
                default:
                    unsupported = "the quadratic KL check differentiates fully connected networks only; this model has convolutional or pooling layers"
                    return
                }
            }
            let set = acts.trainingSet
            let rows = settings.probeSize(trainingSetSize: set.count)
            guard rows <= set.count else {
                unsupported = "the probe set (\(rows)) is larger than the training set (\(set.count))"
                return
            }
            var rng = RNG(seed: settings.seed, stream: .fisher, index: 0)
            var all = Array(0..<set.count)
            for i in 0..<rows { all.swapAt(i, i + rng.uniformInt(below: set.count - i)) }
            probeRows = rows
            let d = set.featureCount
            func buffer(_ n: Int) -> UnsafeMutablePointer<Double> {
                allocatedDoubles += n
                let p = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
                p.initialize(repeating: 0, count: max(n, 1))
                return p
            }
            let input = buffer(rows * d)
            for (r, i) in all[0..<rows].enumerated() {
                for j in 0..<d { input[r * d + j] = Double(set.inputs[i * d + j]) }
            }
            probe = input
            primal = net.stages.indices.map { buffer(rows * net.outputSize($0)) }
            tangent = net.stages.indices.map { buffer(rows * net.outputSize($0)) }
            let widest = net.stages.indices.map { net.outputSize($0) }.max()!
            ping = buffer(rows * widest); pong = buffer(rows * widest)
            scratch.deallocate()
            scratch = buffer(net.scratchSize)
            evaluation = net
        } catch {
            unsupported = "\(error)"
        }
    }

    /// y = stage s(x) and its tangent ẏ along (ẋ, Δθ) (`delta`); ẋ nil means 0 (the input).
    func forwardTangent(_ net: EvaluationNetwork, stage s: Int, _ x: UnsafePointer<Double>, _ xd: UnsafePointer<Double>?, rows: Int,
                        _ y: UnsafeMutablePointer<Double>, _ yd: UnsafeMutablePointer<Double>, _ scratch: UnsafeMutablePointer<Double>) {
        net.forward(stage: s, x, rows: rows, y, scratch: scratch, theta: theta)
        switch net.stages[s] {
        case .linear(let inputs, let outputs, let w, _):
            // ẏ = x ΔWᵀ + Δb (the stage with θ = Δθ), then + ẋ Wᵀ.
            net.forward(stage: s, x, rows: rows, yd, scratch: scratch, theta: delta)
            if let xd {
                BLAS.dgemm(transB: true, m: rows, n: outputs, k: inputs, a: xd, lda: inputs, b: theta + w, ldb: inputs,
                           beta: 1, c: yd, ldc: outputs)
            }
        case .activation(let kind, let size):
            let n = rows * size
            guard let xd else { yd.update(repeating: 0, count: n); return }
            switch kind {
            case .relu: for i in 0..<n { yd[i] = x[i] > 0 ? xd[i] : 0 }
            case .sigmoid: for i in 0..<n { yd[i] = xd[i] * y[i] * (1 - y[i]) }
            case .linear: yd.update(from: xd, count: n)
            }
        default:
            preconditionFailure("checked in prepare")
        }
    }
}

/// Checkpoint state and outputs: `observers/kl/kl.npy` ([checks, 4]: step, D_KL, Q, mean max|v|) and
/// `summary.json` (settings, the median of D_KL/Q with its quartiles, the records).
extension QuadraticKLObserver {
    public static let columns = ["step", "kl", "quadratic", "tangent_size"]

    public struct Summary: Codable, Sendable {
        public var settings: QuadraticKLSettings
        public var checks: Int
        /// Images in the probe set (0 when no check ran).
        public var probe: Int
        /// Median, first and third quartile of D_KL/Q over the checks with Q > 0.
        public var medianRatio: Double?, ratioQ1: Double?, ratioQ3: Double?
        public var unsupported: String?
        public var columns: [String]
        public var records: [Record]
        enum CodingKeys: String, CodingKey {
            case settings, checks, probe, medianRatio = "median_ratio", ratioQ1 = "ratio_q1", ratioQ3 = "ratio_q3", unsupported, columns, records
        }
    }

    public static func statePath(in directory: String) -> String { directory + "/state.json" }

    public func saveState(to directory: String) throws {
        try FileOutput.writeJSON(records, to: Self.statePath(in: directory))
    }

    public func restoreState(from directory: String) throws {
        records = try FileOutput.readJSON([Record].self, from: Self.statePath(in: directory))
    }

    public func finish(into directory: String, finalParameters: UnsafePointer<Float>?) throws -> [String] {
        var flat: [Double] = []
        for r in records { flat += [Double(r.step), r.kl, r.quadratic, r.tangentSize] }
        try FileOutput.writeNpy(flat, shape: [records.count, 4], to: directory + "/kl.npy")
        let ratios = records.filter { $0.quadratic > 0 }.map { $0.kl / $0.quadratic }.sorted()
        func quantile(_ q: Double) -> Double? {
            guard !ratios.isEmpty else { return nil }
            let h = q * Double(ratios.count - 1), i = Int(h.rounded(.down)), f = h - Double(i)
            return i + 1 < ratios.count ? ratios[i] * (1 - f) + ratios[i + 1] * f : ratios[i]
        }
        try FileOutput.writeJSON(Summary(settings: settings, checks: records.count, probe: probeRows, medianRatio: quantile(0.5), ratioQ1: quantile(0.25),
                                         ratioQ3: quantile(0.75), unsupported: unsupported, columns: Self.columns, records: records),
                                 to: directory + "/summary.json")
        return ["kl.npy", "summary.json"]
    }
}
