import CriticalityCore
import Foundation

/// The fast path of the scan for a unit whose downstream network is piecewise linear (linear stages
/// with ReLUs between them, as every MLP and the CNN's head): every parameter that feeds unit i of a
/// linear stage (its weights W_ij and bias b_i) changes only that unit, so all of them, for every
/// shift, share one function per sample: the logits as a function of the change t of the unit's
/// (post-ReLU) value,
///
///     z_out(t) = z_out + D(t),   D piecewise linear in t with breakpoints where a downstream unit's
///                               pre-activation crosses 0.
///
/// For each sample the scan traces D from t = 0 outward in both directions (`trace`) up to the largest
/// |t| any of the unit's trials needs: on each segment it keeps every downstream pre-activation and its
/// slope; the next breakpoint is the nearest zero crossing; there the unit's ReLU flips, and the slopes of
/// the later stages are recomputed. The logits change of a trial is then D(t) at its t — the value the
/// naive forward pass computes, to rounding (the function is continuous, so a crossing decided a rounding
/// error early changes D by a rounding error). The slopes at t = 0 for all samples are matrix products,
/// (mask ⊙ V)·Wᵀ per stage.
extension PerturbationScan {
    /// The unit-change point and tail of linear stage l: the stage after which a trial's change is a
    /// single number t (the ReLU after l, or l itself), and whether everything after it is piecewise
    /// linear and ends in a linear stage (nil otherwise: the general path).
    func piecewiseLinearTail(after l: Int) -> (changeStage: Int, linears: [Int])? {
        let stages = network.stages
        guard case .linear = stages[l], l < stages.count - 1 else { return nil }
        var s = l
        if case .activation(.relu, _) = stages[l + 1] { s = l + 1 }
        var linears: [Int] = []
        var expectLinear = true
        for m in (s + 1)..<stages.count {
            switch stages[m] {
            case .linear where expectLinear: linears.append(m); expectLinear = false
            case .activation(.relu, _) where !expectLinear: expectLinear = true
            default: return nil
            }
        }
        // The tail must end in a linear stage (the logits), with a ReLU after every other.
        guard !linears.isEmpty, linears.last == stages.count - 1 else { return nil }
        return (s, linears)
    }

    /// The trials of one unit: parameter t of `parameters` (θ index k; `input` = j for a weight, nil for
    /// the bias) for every shift.
    struct UnitTrials {
        var stage: Int
        var unit: Int
        var trials: [(index: Int, input: Int?)]
    }

    /// Adds Σ_n Δℓ_n of every trial of `group` and every shift to `sums` (trial-major, shift-minor).
    func unitGroup(_ group: UnitTrials, shifts: [Double], block: Block, rows: Int, scratch sc: Scratch,
                   sums: UnsafeMutablePointer<CompensatedSum>) {
        let net = network, theta = UnsafePointer(net.theta.baseAddress!)
        guard case .linear(let inputs, let width, _, _) = net.stages[group.stage],
              let (s, linears) = piecewiseLinearTail(after: group.stage) else { preconditionFailure() }
        let i = group.unit, l = group.stage
        let x = l == 0 ? block.input : block.outputs[l - 1]
        let z = block.outputs[l], relu = s != l, a = block.outputs[s]
        let k = net.classCount, logits = block.outputs[net.stages.count - 1]
        let tw = sc.tail
        tw.prepare(linears: linears, network: net, unit: i, rows: rows, block: block)
        let trialCount = group.trials.count * shifts.count
        tw.ensure(trials: trialCount)
        let inputOf = group.trials.map { $0.input ?? -1 }, shiftValues = shifts
        for n in 0..<rows {
            // The change t of the unit's value for every trial at sample n, and the extent to trace.
            let zn = z[n * width + i], an = a[n * net.outputSize(s) + i]
            var upper = 0.0, lower = 0.0, any = false
            for g in 0..<group.trials.count {
                let j = inputOf[g]
                let xj = j >= 0 ? x[n * inputs + j] : 1
                for d in 0..<shifts.count {
                    let u = zn + shiftValues[d] * xj
                    let t = relu ? max(u, 0) - an : u - zn
                    tw.t[g * shifts.count + d] = t
                    if t != 0 { any = true; upper = max(upper, t); lower = min(lower, t) }
                }
            }
            guard any else { continue }
            tw.trace(sample: n, upper: upper, lower: lower, network: net, theta: theta, block: block)
            let p = block.probabilities + n * k, old = logits + n * k, y = Int(block.labels[n])
            // Trials often share a t (weights from pixels of equal value): a small cache of the last
            // values, keyed by t's bits.
            tw.resetCache()
            for c in 0..<trialCount {
                let t = tw.t[c]
                guard t != 0 else { continue }
                let key = Int(truncatingIfNeeded: (t.bitPattern ^ (t.bitPattern >> 29)) & UInt64(TailWork.cacheSize - 1))
                if tw.cacheKey[key] == t { sums[c].add(tw.cacheValue[key]); continue }
                tw.change(at: t, into: tw.delta)
                let v = lossChange(probabilities: p, logits: old, change: tw.delta, label: y)
                tw.cacheKey[key] = t
                tw.cacheValue[key] = v
                sums[c].add(v)
            }
        }
    }

    /// ℓ(z + Δ) − ℓ(z) for logits z with softmax p, label y.
    @inline(__always)
    func lossChange(probabilities p: UnsafePointer<Double>, logits z: UnsafePointer<Double>, change delta: UnsafePointer<Double>, label y: Int) -> Double {
        let k = network.classCount
        switch loss {
        case .crossEntropy:
            var largest = 0.0
            for j in 0..<k { largest = max(largest, abs(delta[j])) }
            var s = 0.0
            if largest < 1e-3 {
                // expm1 by its series to x⁶/720 (relative error below x⁶/5040 < 2·10⁻²²).
                for j in 0..<k {
                    let v = delta[j]
                    s += p[j] * (v * (1 + v * (0.5 + v * (1.0 / 6 + v * (1.0 / 24 + v * (1.0 / 120 + v * (1.0 / 720)))))))
                }
            } else if largest <= 20 {
                // exp(v) − 1 for |v| ≥ 10⁻³ has relative error ≤ 10⁻¹³ (an ulp of e^v over |v|), far inside
                // the 10⁻⁹ the scan promises, and exp costs a third of expm1.
                for j in 0..<k { let v = delta[j]; s += p[j] * (abs(v) < 1e-3 ? expm1(v) : exp(v) - 1) }
            } else {
                var m = -Double.infinity
                for j in 0..<k { m = max(m, z[j] + delta[j]) }
                var e = 0.0
                for j in 0..<k { e += exp(z[j] + delta[j] - m) }
                return m + log(e) - PerturbationScan.logSumExp(z, k) - delta[y]
            }
            return (abs(s) < 1e-3 ? log1p(s) : log(1 + s)) - delta[y]
        case .mse:
            var s = 0.0
            for j in 0..<k { s += delta[j] * (2 * (z[j] - (j == y ? 1 : 0)) + delta[j]) }
            return s / Double(k)
        }
    }

    /// A thread's working memory for `unitGroup`: the slopes at t = 0 of every sample of the block, and
    /// one sample's trace.
    final class TailWork {
        var linears: [Int] = []
        /// Per tail linear stage m: its width, and (from the second on) the slopes at t = 0 of every
        /// row, rows × width.
        var widths: [Int] = []
        var initialSlopes: [UnsafeMutablePointer<Double>?] = []
        /// Column i of the first tail stage's W: its slope at t = 0, the same for every row.
        var firstSlope: UnsafeMutablePointer<Double>
        var masked: UnsafeMutablePointer<Double>
        var capacityRows: Int
        /// One sample's trace: per tail stage its current pre-activation and slope.
        var current: [UnsafeMutablePointer<Double>] = [], slope: [UnsafeMutablePointer<Double>] = []
        /// Per ReLU'd tail stage, 1 where the unit is active and 0 where not; and a masked slope, for
        /// the matrix–vector products of a recompute.
        var activeMask: [UnsafeMutablePointer<Double>] = []
        var maskedSlope: UnsafeMutablePointer<Double>
        /// Segments per direction (0: t > 0, 1: t < 0): start |t|, logits change there and logits slope
        /// per unit of |t| (K each), `segments[d]` of them in buffers of `segmentCapacity`.
        var segStart: [UnsafeMutablePointer<Double>], segChange: [UnsafeMutablePointer<Double>], segSlope: [UnsafeMutablePointer<Double>]
        var segments = [0, 0]
        var segmentCapacity = 16
        var t: UnsafeMutablePointer<Double>
        var trialCapacity: Int
        let delta: UnsafeMutablePointer<Double>
        /// Loss changes of recent t's of the sample (`cacheKey` NaN: empty).
        static let cacheSize = 32
        let cacheKey: UnsafeMutablePointer<Double>, cacheValue: UnsafeMutablePointer<Double>
        let classes: Int

        init(network: EvaluationNetwork, rows: Int) {
            var width = 1
            for s in network.stages.indices { width = max(width, network.outputSize(s)) }
            capacityRows = rows
            classes = network.classCount
            firstSlope = .allocate(capacity: width)
            maskedSlope = .allocate(capacity: width)
            masked = .allocate(capacity: 1)
            t = .allocate(capacity: 1)
            trialCapacity = 1
            delta = .allocate(capacity: network.classCount)
            segStart = (0..<2).map { _ in .allocate(capacity: 16) }
            segChange = (0..<2).map { _ in .allocate(capacity: 16 * network.classCount) }
            segSlope = (0..<2).map { _ in .allocate(capacity: 16 * network.classCount) }
            cacheKey = .allocate(capacity: TailWork.cacheSize)
            cacheValue = .allocate(capacity: TailWork.cacheSize)
        }

        deinit {
            firstSlope.deallocate(); masked.deallocate(); t.deallocate(); delta.deallocate()
            cacheKey.deallocate(); cacheValue.deallocate(); maskedSlope.deallocate()
            (segStart + segChange + segSlope).forEach { $0.deallocate() }
            activeMask.forEach { $0.deallocate() }
            initialSlopes.forEach { $0?.deallocate() }
            current.forEach { $0.deallocate() }; slope.forEach { $0.deallocate() }
        }

        func resetCache() { cacheKey.update(repeating: .nan, count: TailWork.cacheSize) }

        func ensure(trials: Int) {
            guard trials > trialCapacity else { return }
            t.deallocate()
            t = .allocate(capacity: trials)
            trialCapacity = trials
        }

        /// Sets up the tail `linears` for unit i, and the slopes at t = 0 of every row:
        /// v₁ = W₁[:, i]; v_{m+1} = W_{m+1}(mask_m ⊙ v_m), mask_m = (z_m > 0) from the block.
        func prepare(linears: [Int], network: EvaluationNetwork, unit i: Int, rows: Int, block: Block) {
            let theta = UnsafePointer(network.theta.baseAddress!)
            if self.linears != linears {
                initialSlopes.forEach { $0?.deallocate() }
                current.forEach { $0.deallocate() }; slope.forEach { $0.deallocate() }
                self.linears = linears
                widths = linears.map { network.outputSize($0) }
                initialSlopes = widths.enumerated().map { m, w in m == 0 ? nil : .allocate(capacity: capacityRows * w) }
                masked.deallocate()
                masked = .allocate(capacity: capacityRows * (widths.max() ?? 1))
                current = widths.map { .allocate(capacity: $0) }
                slope = widths.map { .allocate(capacity: $0) }
                activeMask.forEach { $0.deallocate() }
                activeMask = widths.map { .allocate(capacity: $0) }
            }
            guard case .linear(let inputs, let outputs, let w, _) = network.stages[linears[0]] else { return }
            for o in 0..<outputs { firstSlope[o] = theta[w + o * inputs + i] }
            for m in 1..<linears.count {
                guard case .linear(let inputsM, let outputsM, let wM, _) = network.stages[linears[m]] else { return }
                let z = block.outputs[linears[m - 1]]
                let prevWidth = widths[m - 1]
                for n in 0..<rows {
                    let v = m == 1 ? UnsafePointer(firstSlope) : UnsafePointer(initialSlopes[m - 1]! + n * prevWidth)
                    let row = masked + n * prevWidth, zr = z + n * prevWidth
                    for u in 0..<prevWidth { row[u] = zr[u] > 0 ? v[u] : 0 }
                }
                BLAS.dgemm(transB: true, m: rows, n: outputsM, k: inputsM, a: masked, lda: inputsM, b: theta + wM, ldb: inputsM,
                           beta: 0, c: initialSlopes[m]!, ldc: outputsM)
            }
        }

        /// Traces sample n's logits change D(t) on [lower, upper] (lower ≤ 0 ≤ upper).
        func trace(sample n: Int, upper: Double, lower: Double, network: EvaluationNetwork, theta: UnsafePointer<Double>, block: Block) {
            segments = [0, 0]
            if upper > 0 { traceDirection(0, sample: n, extent: upper, network: network, theta: theta, block: block) }
            if lower < 0 { traceDirection(1, sample: n, extent: -lower, network: network, theta: theta, block: block) }
        }

        private func traceDirection(_ direction: Int, sample n: Int, extent: Double, network: EvaluationNetwork, theta: UnsafePointer<Double>,
                                    block: Block) {
            let sigma: Double = direction == 0 ? 1 : -1
            let q = linears.count, last = q - 1, k = classes
            for m in 0..<q {
                let w = widths[m]
                let v = m == 0 ? UnsafePointer(firstSlope) : UnsafePointer(initialSlopes[m]! + n * w)
                for u in 0..<w { slope[m][u] = sigma * v[u] }
                if m < last {
                    let z = block.outputs[linears[m]] + n * w
                    for u in 0..<w { current[m][u] = z[u]; activeMask[m][u] = z[u] > 0 ? 1 : 0 }
                }
            }
            var s0 = 0.0
            for j in 0..<k { delta[j] = 0 }
            while true {
                if segments[direction] == segmentCapacity { growSegments() }
                let g = segments[direction]
                segStart[direction][g] = s0
                (segChange[direction] + g * k).update(from: delta, count: k)
                (segSlope[direction] + g * k).update(from: slope[last], count: k)
                segments[direction] = g + 1
                // The nearest zero crossing of a ReLU'd pre-activation, in |t| from s0.
                var best = Double.infinity, bm = -1, bu = -1
                for m in 0..<last {
                    let c = current[m], v = slope[m], on = activeMask[m]
                    for u in 0..<widths[m] {
                        let r: Double
                        if on[u] > 0 { guard v[u] < 0 else { continue }; r = max(c[u], 0) / -v[u] } else { guard v[u] > 0 else { continue }; r = max(-c[u], 0) / v[u] }
                        if r < best { best = r; bm = m; bu = u }
                    }
                }
                guard bm >= 0, s0 + best < extent else { return }
                // Move to the crossing, flip the unit, recompute the slopes after it.
                for m in 0..<last { let c = current[m], v = slope[m]; for u in 0..<widths[m] { c[u] += best * v[u] } }
                for j in 0..<k { delta[j] += best * slope[last][j] }
                s0 += best
                current[bm][bu] = 0
                activeMask[bm][bu] = 1 - activeMask[bm][bu]
                // The next stage changes by rank one (the flipped unit's column, added or removed);
                // the stages after it are recomputed with their masks.
                let on = activeMask[bm][bu] > 0, flipped = slope[bm][bu]
                for m in (bm + 1)..<q {
                    guard case .linear(let inputs, let outputs, let w, _) = network.stages[linears[m]] else { return }
                    let out = slope[m]
                    if m == bm + 1 {
                        let scale = on ? flipped : -flipped
                        for o in 0..<outputs { out[o] += theta[w + o * inputs + bu] * scale }
                    } else {
                        let prev = slope[m - 1], mask = activeMask[m - 1]
                        for u in 0..<inputs { maskedSlope[u] = mask[u] * prev[u] }
                        for o in 0..<outputs {
                            let row = theta + w + o * inputs
                            var acc = 0.0
                            for u in 0..<inputs { acc += row[u] * maskedSlope[u] }
                            out[o] = acc
                        }
                    }
                }
            }
        }

        /// Doubles the segment buffers (a sample with many breakpoints; rare).
        private func growSegments() {
            let k = classes, old = segmentCapacity
            segmentCapacity *= 2
            for d in 0..<2 {
                let start = UnsafeMutablePointer<Double>.allocate(capacity: segmentCapacity)
                let change = UnsafeMutablePointer<Double>.allocate(capacity: segmentCapacity * k)
                let slope = UnsafeMutablePointer<Double>.allocate(capacity: segmentCapacity * k)
                start.update(from: segStart[d], count: old); change.update(from: segChange[d], count: old * k); slope.update(from: segSlope[d], count: old * k)
                segStart[d].deallocate(); segChange[d].deallocate(); segSlope[d].deallocate()
                segStart[d] = start; segChange[d] = change; segSlope[d] = slope
            }
        }

        /// D(t) of the last trace, into `out` (K values).
        @inline(__always)
        func change(at t: Double, into out: UnsafeMutablePointer<Double>) {
            let direction = t > 0 ? 0 : 1, s = abs(t)
            let starts = segStart[direction], count = segments[direction]
            var seg = 0
            while seg + 1 < count && starts[seg + 1] <= s { seg += 1 }
            let ds = s - starts[seg], c = segChange[direction] + seg * classes, v = segSlope[direction] + seg * classes
            for j in 0..<classes { out[j] = c[j] + ds * v[j] }
        }
    }
}
