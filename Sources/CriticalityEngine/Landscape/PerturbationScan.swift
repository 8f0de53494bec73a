import CriticalityCore
import CriticalityData
import Foundation

/// Exact single-parameter perturbation responses of the loss over a whole data set (Fig. 4; the paper's
/// "Multiscale Ruggedness" and Methods): for each parameter k and shift d (±δ),
///
///     ΔL_k(d) = L(θ + d·e_k) − L(θ),   L(θ) = (1/N) Σ_n ℓ(f_θ(x_n), y_n),
///
/// in Double, formed as a compensated sum of the per-sample changes ℓ_n(θ + d e_k) − ℓ_n(θ) over the
/// samples whose output the perturbation changes — never as the difference of two rounded totals.
///
/// The speed comes from structure, not approximation:
/// - every stage's output on a block of samples is computed once (`Block`);
/// - a change of weight W_ij of a linear stage changes unit i's pre-activation by d·x_nj, so only the
///   samples with x_nj ≠ 0 are touched (a bias: every sample); the unit's new value passes through the
///   elementwise stage alone, and a sample whose value is unchanged there (ReLU at 0 before and after)
///   drops out; the next linear stage gets a rank-one change, z' = z + W[:, i]·Δa; from there on the
///   stages run as matrix products over the touched samples only;
/// - a change in the last stage touches one logit;
/// - a parameter of a convolution or batch norm is recomputed from its stage on (the whole block).
///
/// Loss of one sample from logits z (label y, K classes): cross-entropy ℓ = lse(z) − z_y, whose change is
/// log1p(Σ_k p_k·expm1(Δz_k)) − Δz_y with p = softmax(z) (exact for small Δz, where lse(z') − lse(z)
/// would cancel; for max Δz_k > 20 the two log-sum-exps are subtracted directly); MSE on one-hot
/// targets ℓ = (1/K) Σ_k (z_k − t_k)², whose change is (1/K) Σ_k Δz_k (z'_k + z_k − 2t_k).
///
/// Parameters are split between the `pair`'s threads; each (parameter, shift) is summed by one thread in
/// sample order, so the results do not depend on the thread count.
public final class PerturbationScan {
    public let network: EvaluationNetwork
    public let loss: LossKind
    public let set: Dataset
    /// Samples whose stage outputs are held at once (the memory bound).
    public let blockRows: Int
    let pair: WorkerPair
    /// Rows of a dense tail computed at once.
    let chunkRows: Int
    let maxWidth: Int

    /// Bytes held per sample of a block: every stage's output, the inputs of linear stages transposed,
    /// the input, the sample's loss and class probabilities, and each thread's slopes of the
    /// piecewise-linear path (`TailWork`: at most every linear stage's width plus the widest; Double each).
    public static func bytesPerSample(_ network: EvaluationNetwork) -> Int {
        var doubles = network.inputSize + network.classCount + 1
        var linearWidths = 0, widest = 0
        for s in network.stages.indices {
            doubles += network.outputSize(s)
            if case .linear(let inputs, let outputs, _, _) = network.stages[s] {
                doubles += inputs
                linearWidths += outputs
                widest = max(widest, outputs)
            }
        }
        return 8 * (doubles + WorkerPair.maximumThreads * (linearWidths + widest))
    }

    /// A scan of `set` through `network`; at most `memoryBytes` of stage outputs are held at once (the
    /// set is cut into blocks of samples when they would not fit).
    public init(network: EvaluationNetwork, loss: LossKind, set: Dataset, memoryBytes: Int, pair: WorkerPair = .callerOnly) throws {
        guard set.featureCount == network.inputSize, set.classCount == network.classCount, set.count >= 1 else {
            throw CriticalityError(.invalidArgument, "the data set \(set.name) (\(set.count) samples of \(set.featureCount) values, \(set.classCount) classes) does not fit the model (\(network.inputSize) inputs, \(network.classCount) outputs)")
        }
        self.network = network
        self.loss = loss
        self.set = set
        self.pair = pair
        let perSample = PerturbationScan.bytesPerSample(network)
        guard memoryBytes >= perSample else {
            throw CriticalityError(.invalidArgument, "a memory bound of \(memoryBytes) bytes holds no sample (one needs \(perSample) bytes); give more memory")
        }
        blockRows = min(set.count, memoryBytes / perSample)
        var width = network.inputSize
        for s in network.stages.indices { width = max(width, network.outputSize(s)) }
        maxWidth = width
        chunkRows = max(1, min(512, (1 << 19) / width))
    }

    /// The result of `run`.
    public struct Result: Sendable {
        /// L(θ) over the set.
        public var lossBefore: Double
        /// ΔL of parameter `parameters[t]` under `shifts[d]` at [t · shifts.count + d] (signed).
        public var changes: [Double]
        public var sampleCount: Int
    }

    /// L(θ) and ΔL for every parameter of `parameters` (indices into θ) and every shift. `progress` is
    /// called on the calling thread with the fraction done.
    public func run(parameters: [Int], shifts: [Double], progress: ((Double) -> Void)? = nil) throws -> Result {
        let stageOf = try parameters.map { k -> Int in
            guard let s = network.stage(ofParameter: k) else {
                throw CriticalityError(.invalidArgument, "parameter \(k) is not a parameter of the model (it has \(network.theta.count))")
            }
            return s
        }
        guard shifts.allSatisfy(\.isFinite) else { throw CriticalityError(.invalidArgument, "every shift must be finite; got \(shifts)") }
        let generic = stageOf.contains { s in if case .linear = network.stages[s] { return false } else { return true } }
        let threads = pair.threads
        let scratch = (0..<threads).map { _ in Scratch(self, copyTheta: generic) }
        // Work items: the parameters of one unit with a piecewise-linear tail together (they share the
        // traced function of every sample), every other parameter alone. A unit with fewer than
        // `minimumGroup` drawn parameters runs them alone: a trace of every sample costs about as much as
        // a couple of dense trials (both are exact; this only chooses the faster).
        var byUnit: [Int: UnitTrials] = [:], order: [Int] = []
        var items: [WorkItem] = []
        for (t, k) in parameters.enumerated() {
            let l = stageOf[t]
            if case .linear(let inputs, _, let w, let b) = network.stages[l], piecewiseLinearTail(after: l) != nil {
                let unit = k >= b ? k - b : (k - w) / inputs
                let key = l * (1 << 32) + unit
                if byUnit[key] == nil { byUnit[key] = UnitTrials(stage: l, unit: unit, trials: []); order.append(key) }
                byUnit[key]!.trials.append((t, k >= b ? nil : (k - w) % inputs))
            } else {
                items.append(.single(t))
            }
        }
        for key in order {
            let g = byUnit[key]!
            if g.trials.count >= PerturbationScan.minimumGroup { items.append(.unit(g)) } else { items += g.trials.map { .single($0.index) } }
        }
        var sums = [CompensatedSum](repeating: CompensatedSum(), count: parameters.count * shifts.count)
        var lossSum = CompensatedSum()
        let block = Block(self)
        var start = 0
        // Batches of items between progress reports: enough items in each for both threads to stay busy.
        let batches = max(1, min(64, items.count / 32))
        while start < set.count {
            let rows = min(blockRows, set.count - start)
            block.fill(start: start, rows: rows)
            for n in 0..<rows { lossSum.add(block.sampleLoss[n]) }
            for batch in 0..<batches {
                let range = (batch * items.count / batches)..<((batch + 1) * items.count / batches)
                sums.withUnsafeMutableBufferPointer { out in
                    let out = out
                    pair.forEach(range.count) { item, thread in
                        let s = scratch[thread]
                        switch items[range.lowerBound + item] {
                        case .single(let t):
                            s.clear(shifts.count)
                            self.trial(parameter: parameters[t], stage: stageOf[t], shifts: shifts, block: block, rows: rows, scratch: s)
                            for d in shifts.indices { out[t * shifts.count + d].add(s.sums[d].value) }
                        case .unit(let g):
                            let count = g.trials.count * shifts.count
                            s.clear(count)
                            s.sums.withUnsafeMutableBufferPointer { groupSums in
                                self.unitGroup(g, shifts: shifts, block: block, rows: rows, scratch: s, sums: groupSums.baseAddress!)
                            }
                            for (c, trial) in g.trials.enumerated() {
                                for d in shifts.indices { out[trial.index * shifts.count + d].add(s.sums[c * shifts.count + d].value) }
                            }
                        }
                    }
                }
                progress?((Double(start) + Double(rows) * Double(batch + 1) / Double(batches)) / Double(set.count))
            }
            start += rows
        }
        let n = Double(set.count)
        return Result(lossBefore: lossSum.value / n, changes: sums.map { $0.value / n }, sampleCount: set.count)
    }

    /// L(θ + shift·e_k) − L(θ) the naive way: two full forward passes over the set (in blocks), the
    /// per-sample differences summed with compensation. The reference the scan is tested against.
    public func naiveChange(parameter k: Int, shift: Double) -> Double {
        let s = Scratch(self, copyTheta: false)
        let block = Block(self)
        let original = network.theta[k]
        var sum = CompensatedSum()
        var start = 0
        while start < set.count {
            let rows = min(blockRows, set.count - start)
            block.fill(start: start, rows: rows)
            network.theta[k] = original + shift
            block.fill(start: start, rows: rows, into: s.perturbedLoss)
            network.theta[k] = original
            for n in 0..<rows { sum.add(s.perturbedLoss[n] - block.sampleLoss[n]) }
            start += rows
        }
        return sum.value / Double(set.count)
    }

    /// L(θ + shift·e_k) the naive way: one plain full forward pass over the set in Float64 (blocks of
    /// 1,024 samples through every stage, nothing cached) — what a script that re-evaluates the loss per
    /// trial does; the benchmark's reference for the scan's speed.
    public func naiveLoss(parameter k: Int, shift: Double) -> Double {
        let original = network.theta[k]
        network.theta[k] = original + shift
        defer { network.theta[k] = original }
        let rows = 1024, net = network, d = net.inputSize, kc = net.classCount
        var width = d
        for s in net.stages.indices { width = max(width, net.outputSize(s)) }
        let threads = pair.threads
        let buffers = (0..<threads).map { _ in (UnsafeMutablePointer<Double>.allocate(capacity: rows * width),
                                                UnsafeMutablePointer<Double>.allocate(capacity: rows * width),
                                                UnsafeMutablePointer<Double>.allocate(capacity: net.scratchSize)) }
        defer { buffers.forEach { $0.0.deallocate(); $0.1.deallocate(); $0.2.deallocate() } }
        let blocks = (set.count + rows - 1) / rows
        var partial = [Double](repeating: 0, count: blocks)
        let theta = UnsafePointer(net.theta.baseAddress!)
        set.inputs.withUnsafeBufferPointer { x in
            partial.withUnsafeMutableBufferPointer { out in
                let out = out
                pair.forEach(blocks) { b, thread in
                    let (one, two, scratch) = buffers[thread]
                    let start = b * rows, count = min(rows, set.count - start)
                    for i in 0..<(count * d) { one[i] = Double(x[start * d + i]) }
                    var (from, to) = (one, two)
                    for s in net.stages.indices {
                        net.forward(stage: s, from, rows: count, to, scratch: scratch, theta: theta)
                        swap(&from, &to)
                    }
                    var sum = 0.0
                    for n in 0..<count {
                        let z = from + n * kc, y = Int(set.labels[start + n])
                        switch loss {
                        case .crossEntropy: sum += PerturbationScan.logSumExp(z, kc) - z[y]
                        case .mse: for j in 0..<kc { let e = z[j] - (j == y ? 1 : 0); sum += e * e / Double(kc) }
                        }
                    }
                    out[b] = sum
                }
            }
        }
        var total = CompensatedSum()
        for v in partial { total.add(v) }
        return total.value / Double(set.count)
    }

    /// L(θ) over the set.
    public func meanLoss() -> Double {
        let block = Block(self)
        var sum = CompensatedSum()
        var start = 0
        while start < set.count {
            let rows = min(blockRows, set.count - start)
            block.fill(start: start, rows: rows)
            for n in 0..<rows { sum.add(block.sampleLoss[n]) }
            start += rows
        }
        return sum.value / Double(set.count)
    }

    /// Fewest parameters of one unit scanned through the shared trace (`unitGroup`).
    static let minimumGroup = 3

    /// What one thread does at a time in `run`.
    enum WorkItem {
        case single(Int)
        case unit(UnitTrials)
    }

    // MARK: - One parameter on one block

    /// Adds Σ_n Δℓ_n of parameter k for every shift to `scratch.sums`.
    func trial(parameter k: Int, stage l: Int, shifts: [Double], block: Block, rows: Int, scratch s: Scratch) {
        guard case .linear(let inputs, _, let w, let b) = network.stages[l] else {
            genericTrial(parameter: k, stage: l, shifts: shifts, block: block, rows: rows, scratch: s)
            return
        }
        let z = block.outputs[l], width = network.outputSize(l)
        if k >= b {
            let i = k - b
            for (d, shift) in shifts.enumerated() {
                for n in 0..<rows { s.rows[n] = Int32(n); s.values[n] = z[n * width + i] + shift }
                singleUnit(stage: l, unit: i, count: rows, block: block, scratch: s, shift: d)
            }
        } else {
            let i = (k - w) / inputs, j = (k - w) % inputs
            let column = block.columns[l]! + j * rows
            var touched = 0
            for n in 0..<rows where column[n] != 0 { s.touched[touched] = Int32(n); touched += 1 }
            for (d, shift) in shifts.enumerated() {
                for m in 0..<touched {
                    let n = Int(s.touched[m])
                    s.rows[m] = Int32(n); s.values[m] = z[n * width + i] + shift * column[n]
                }
                singleUnit(stage: l, unit: i, count: touched, block: block, scratch: s, shift: d)
            }
        }
    }

    /// Carries a change of unit `unit` of stage `s0`'s output — new values `scratch.values[m]` for
    /// samples `scratch.rows[m]`, m < count — to the loss.
    func singleUnit(stage s0: Int, unit i: Int, count: Int, block: Block, scratch sc: Scratch, shift d: Int) {
        var s = s0, count = count
        let last = network.stages.count - 1
        while true {
            let old = block.outputs[s], width = network.outputSize(s)
            if s == last {
                for m in 0..<count {
                    let n = Int(sc.rows[m])
                    sc.sums[d].add(singleLogitChange(row: n, unit: i, old: old[n * width + i], new: sc.values[m], block: block))
                }
                return
            }
            switch network.stages[s + 1] {
            case .activation(let kind, _):
                let next = block.outputs[s + 1]
                var kept = 0
                for m in 0..<count {
                    let n = Int(sc.rows[m])
                    let v = sc.values[m]
                    let a = kind == .relu ? max(v, 0) : 1 / (1 + exp(-v))
                    if a != next[n * width + i] { sc.rows[kept] = Int32(n); sc.values[kept] = a; kept += 1 }
                }
                count = kept
                s += 1
            case .linear(let inputs, let outputs, let w, _):
                // Rank one: z'_{s+1} = z_{s+1} + W[:, i]·(a'_i − a_i), then the rest densely.
                let theta = network.theta.baseAddress!, next = block.outputs[s + 1]
                var m0 = 0
                while m0 < count {
                    let rows = min(chunkRows, count - m0)
                    for r in 0..<rows {
                        let n = Int(sc.rows[m0 + r])
                        let delta = sc.values[m0 + r] - old[n * width + i]
                        let src = next + n * outputs, dst = sc.dense[0] + r * outputs
                        for o in 0..<outputs { dst[o] = src[o] + theta[w + o * inputs + i] * delta }
                        sc.denseRows[r] = Int32(n)
                    }
                    denseTail(from: s + 2, rows: rows, scratch: sc, shift: d, block: block, theta: UnsafePointer(theta))
                    m0 += rows
                }
                return
            default:
                // Any other stage: the whole row, with the unit replaced, from the next stage on.
                let theta = network.theta.baseAddress!
                var m0 = 0
                while m0 < count {
                    let rows = min(chunkRows, count - m0)
                    for r in 0..<rows {
                        let n = Int(sc.rows[m0 + r])
                        let dst = sc.dense[0] + r * width
                        dst.update(from: old + n * width, count: width)
                        dst[i] = sc.values[m0 + r]
                        sc.denseRows[r] = Int32(n)
                    }
                    denseTail(from: s + 1, rows: rows, scratch: sc, shift: d, block: block, theta: UnsafePointer(theta))
                    m0 += rows
                }
                return
            }
        }
    }

    /// A parameter of a convolution or batch norm: its stage and every later one recomputed on the whole
    /// block, with θ_k changed in this thread's copy of θ.
    func genericTrial(parameter k: Int, stage l: Int, shifts: [Double], block: Block, rows: Int, scratch sc: Scratch) {
        let theta = sc.theta!
        let original = theta[k]
        let inWidth = network.inputSize(l), input = l == 0 ? block.input : block.outputs[l - 1]
        for (d, shift) in shifts.enumerated() {
            theta[k] = original + shift
            var n0 = 0
            while n0 < rows {
                let count = min(chunkRows, rows - n0)
                for r in 0..<count { sc.denseRows[r] = Int32(n0 + r) }
                sc.dense[0].update(from: input + n0 * inWidth, count: count * inWidth)
                denseTail(from: l, rows: count, scratch: sc, shift: d, block: block, theta: UnsafePointer(theta))
                n0 += count
            }
            theta[k] = original
        }
    }

    /// Runs stages `from`… on `rows` rows held in `scratch.dense[0]` (samples `scratch.denseRows`), then
    /// adds each sample's loss change to `scratch.sums[d]`.
    func denseTail(from first: Int, rows: Int, scratch sc: Scratch, shift d: Int, block: Block, theta: UnsafePointer<Double>) {
        var current = 0
        for s in first..<network.stages.count {
            network.forward(stage: s, sc.dense[current], rows: rows, sc.dense[1 - current], scratch: sc.conv, theta: theta)
            current = 1 - current
        }
        let k = network.classCount, logits = block.outputs[network.stages.count - 1]
        for r in 0..<rows {
            let n = Int(sc.denseRows[r])
            sc.sums[d].add(logitChange(row: n, old: logits + n * k, new: sc.dense[current] + r * k, block: block))
        }
    }

    /// ℓ_n(z') − ℓ_n(z) for new logits `new` of sample n.
    @inline(__always)
    func logitChange(row n: Int, old: UnsafePointer<Double>, new: UnsafePointer<Double>, block: Block) -> Double {
        let k = network.classCount, y = Int(block.labels[n])
        switch loss {
        case .crossEntropy:
            let p = block.probabilities + n * k
            var largest = -Double.infinity
            for j in 0..<k { largest = max(largest, new[j] - old[j]) }
            if largest > 20 {
                return PerturbationScan.logSumExp(new, k) - PerturbationScan.logSumExp(old, k) - (new[y] - old[y])
            }
            var s = 0.0
            for j in 0..<k { s += p[j] * expm1(new[j] - old[j]) }
            return log1p(s) - (new[y] - old[y])
        case .mse:
            var s = 0.0
            for j in 0..<k {
                let t = j == y ? 1.0 : 0.0
                s += (new[j] - old[j]) * (new[j] + old[j] - 2 * t)
            }
            return s / Double(k)
        }
    }

    /// ℓ_n change when only logit `unit` moves from `old` to `new`.
    @inline(__always)
    func singleLogitChange(row n: Int, unit i: Int, old: Double, new: Double, block: Block) -> Double {
        let k = network.classCount, y = Int(block.labels[n])
        let delta = new - old
        switch loss {
        case .crossEntropy:
            let p = block.probabilities[n * k + i]
            let term = delta > 20 ? p * exp(delta) - p : p * expm1(delta)
            return log1p(term) - (i == y ? delta : 0)
        case .mse:
            let t = i == y ? 1.0 : 0.0
            return delta * (new + old - 2 * t) / Double(k)
        }
    }

    static func logSumExp(_ z: UnsafePointer<Double>, _ k: Int) -> Double {
        var m = -Double.infinity
        for j in 0..<k { m = max(m, z[j]) }
        var s = 0.0
        for j in 0..<k { s += exp(z[j] - m) }
        return m + log(s)
    }

    // MARK: - Memory

    /// Every stage's output on a block of samples, the inputs of linear stages transposed (a column per
    /// input unit: the samples a weight touches), and each sample's loss and class probabilities.
    final class Block {
        let scan: PerturbationScan
        let input: UnsafeMutablePointer<Double>
        let outputs: [UnsafeMutablePointer<Double>]
        let columns: [UnsafeMutablePointer<Double>?]
        let sampleLoss: UnsafeMutablePointer<Double>
        let probabilities: UnsafeMutablePointer<Double>
        var labels: UnsafeMutablePointer<Int32>
        var rows = 0

        init(_ scan: PerturbationScan) {
            self.scan = scan
            let net = scan.network, n = scan.blockRows
            input = .allocate(capacity: n * net.inputSize)
            outputs = net.stages.indices.map { .allocate(capacity: n * net.outputSize($0)) }
            columns = net.stages.map { stage in
                if case .linear(let inputs, _, _, _) = stage { return .allocate(capacity: n * inputs) }
                return nil
            }
            sampleLoss = .allocate(capacity: n)
            probabilities = .allocate(capacity: n * net.classCount)
            labels = .allocate(capacity: n)
        }

        deinit {
            input.deallocate(); outputs.forEach { $0.deallocate() }; columns.forEach { $0?.deallocate() }
            sampleLoss.deallocate(); probabilities.deallocate(); labels.deallocate()
        }

        /// Computes the block of samples start..<start+rows with the network's current θ. With `into`,
        /// only the per-sample losses are written there (the naive reference's perturbed pass).
        func fill(start: Int, rows: Int, into perturbed: UnsafeMutablePointer<Double>? = nil) {
            self.rows = rows
            let net = scan.network, d = net.inputSize, k = net.classCount
            scan.set.inputs.withUnsafeBufferPointer { x in
                for i in 0..<(rows * d) { input[i] = Double(x[start * d + i]) }
            }
            for n in 0..<rows { labels[n] = scan.set.labels[start + n] }
            // Stages over sub-blocks of rows on the pair (each sub-block's rows are independent).
            let sub = 256, parts = (rows + sub - 1) / sub
            let theta = UnsafePointer(net.theta.baseAddress!)
            let scratch = (0..<scan.pair.threads).map { _ in UnsafeMutablePointer<Double>.allocate(capacity: net.scratchSize) }
            defer { scratch.forEach { $0.deallocate() } }
            for s in net.stages.indices {
                let from = s == 0 ? input : outputs[s - 1], inW = net.inputSize(s), outW = net.outputSize(s)
                scan.pair.forEach(parts) { p, thread in
                    let r0 = p * sub, r = min(sub, rows - r0)
                    net.forward(stage: s, from + r0 * inW, rows: r, outputs[s] + r0 * outW, scratch: scratch[thread], theta: theta)
                }
                if let c = columns[s] {
                    for n in 0..<rows { for j in 0..<inW { c[j * rows + n] = from[n * inW + j] } }
                }
            }
            let logits = outputs[net.stages.count - 1]
            for n in 0..<rows {
                let z = logits + n * k, y = Int(labels[n])
                let l: Double
                switch scan.loss {
                case .crossEntropy:
                    let lse = PerturbationScan.logSumExp(z, k)
                    for j in 0..<k { probabilities[n * k + j] = exp(z[j] - lse) }
                    l = lse - z[y]
                case .mse:
                    var s = 0.0
                    for j in 0..<k { let e = z[j] - (j == y ? 1 : 0); s += e * e }
                    l = s / Double(k)
                }
                if let perturbed { perturbed[n] = l } else { sampleLoss[n] = l }
            }
        }
    }

    /// One thread's working memory for a scan.
    final class Scratch {
        let rows: UnsafeMutablePointer<Int32>, touched: UnsafeMutablePointer<Int32>, denseRows: UnsafeMutablePointer<Int32>
        let values: UnsafeMutablePointer<Double>
        let dense: [UnsafeMutablePointer<Double>]
        let conv: UnsafeMutablePointer<Double>
        let perturbedLoss: UnsafeMutablePointer<Double>
        /// This thread's copy of θ for trials that recompute a stage with θ_k changed.
        let theta: UnsafeMutablePointer<Double>?
        var sums: [CompensatedSum] = []
        /// The piecewise-linear path's memory (`unitGroup`).
        let tail: TailWork

        init(_ scan: PerturbationScan, copyTheta: Bool) {
            let n = scan.blockRows
            tail = TailWork(network: scan.network, rows: n)
            rows = .allocate(capacity: n); touched = .allocate(capacity: n); denseRows = .allocate(capacity: scan.chunkRows)
            values = .allocate(capacity: n)
            dense = [.allocate(capacity: scan.chunkRows * scan.maxWidth), .allocate(capacity: scan.chunkRows * scan.maxWidth)]
            conv = .allocate(capacity: scan.network.scratchSize)
            perturbedLoss = .allocate(capacity: n)
            if copyTheta {
                let t = UnsafeMutablePointer<Double>.allocate(capacity: scan.network.theta.count)
                t.initialize(from: scan.network.theta.baseAddress!, count: scan.network.theta.count)
                theta = t
            } else {
                theta = nil
            }
        }

        func clear(_ shifts: Int) {
            if sums.count != shifts { sums = [CompensatedSum](repeating: CompensatedSum(), count: shifts) }
            for d in 0..<shifts { sums[d] = CompensatedSum() }
        }

        deinit {
            rows.deallocate(); touched.deallocate(); denseRows.deallocate(); values.deallocate()
            dense.forEach { $0.deallocate() }; conv.deallocate(); perturbedLoss.deallocate(); theta?.deallocate()
        }
    }
}
