import CKernels
import CriticalityCore
import CriticalityEngine
import CriticalityIO
import CriticalityStats
import Foundation

/// The mutual information I(|Δw|; a) and the β* direction proxy of Fig. 3D (SI S9–S10), streamed per
/// interval of `settings.interval` steps, in the authors' recipe (authors-code-notes.md §2–3).
///
/// **What is paired.** The weights (not the biases) of every fully connected layer, in layout order
/// (`fc1.weight` row-major [out, in], then `fc2.weight`, …): one block row per step of |Δw|. Weight
/// w_ji is paired with the activation of its post-synaptic unit j in the step's mini-batch, averaged per
/// class and then over the classes present in the batch (`nanmean` over digits). The activation is the
/// output of the elementwise nonlinearity after the layer (post-ReLU), and for the output layer its
/// logits (the authors' code leaves this open; `StepActivations.postSynapticLayer`).
///
/// **Per interval k** (steps [kI, (k+1)I); a last, incomplete interval is dropped):
/// - MI_k: both paired blocks standardised globally ((v − mean)/(std + 10⁻¹⁰), population std), a
///   `bins` × `bins` histogram over each axis's [min, max] with NumPy's edges, 10⁻¹⁰ added after the
///   marginals, natural log (`PluginMutualInformation.fromJointCounts`); beside it the plain plug-in,
///   its Miller–Madow correction, and a shuffle null: the same estimator with the interval's activation
///   rows permuted across its steps (`nullPermutations` permutations; mean and standard deviation).
///   The update axis is binned exactly: each bin edge is mapped to the smallest Float32 |Δw| whose
///   standardised value reaches it, so the bins are those of the Double formula.
/// - The leading principal component v_k of the column-centred block (scikit-learn's
///   `PCA().components_[0]` up to sign) from the I × I Gram matrix: rows are shifted by the interval's
///   first row (which removes the common magnitude before the Float32 product), the Gram matrix is
///   centred exactly in Double (H G H, H = I − 11ᵀ/I: any row shift cancels), its top eigenvector u
///   (LAPACK) gives v = X̃ᵀHu, normalised, sign fixed by its largest entry; the explained-variance
///   ratio λ₁/tr(HGH).
/// - β*_k = |cos(v_k, v_{k+1})| for adjacent intervals (written at k = 0…K−2). The authors plot β*_k
///   and MI at step (k+2)·I, i.e. MI of interval k+1 with β* of the pair (k, k+1); `stability` uses
///   that pairing.
///
/// **Memory.** Two blocks (I × weights Float32: one filled, one analysed), the per-unit bin counts (I × units × bins UInt32), the
/// activations (I × units Double) and two components. When that exceeds `budgetMiB`, the block keeps a
/// fixed random subset of the weights (drawn once from the run's seed, sorted, the same in every
/// interval); MI and β* are then computed on the subset (`subsetColumns` in the summary).
public final class InformationObserver: ChunkedTrainingObserver {
    public let name = "information"
    public let settings: InformationSettings
    public let layout: ParameterLayout

    /// A fully connected layer whose weights are in the block.
    struct Layer {
        var name: String
        var outputs: Int, inputs: Int
        /// First parameter of the weight in the layout.
        var parameterOffset: Int
        /// First unit of this layer among all units.
        var unitOffset: Int
    }
    let layers: [Layer]
    /// Block columns (weights kept) and post-synaptic units.
    public let columns: Int
    public let units: Int
    /// Kept weights' layout indices when the budget forced a subset (sorted); nil: every weight.
    public let subset: [Int]?
    let interval: Int, bins: Int
    /// Per chunk of `StepChunks.table(layout)`: the block column of its first value (every-weight mode)
    /// or −1, and in subset mode the range of `subset` inside the chunk.
    let chunkColumn: [Int]
    let chunkSubset: [Range<Int>]
    /// The block row's runs by unit (for `crit_bin_row_by_unit`) and the values per unit n_u.
    let runUnits: [Int32], runLengths: [Int32]
    let valuesPerUnit: [Int]

    // Working state (the block and its statistics belong to the current interval). Two blocks: one
    // filled by the steps, the other analysed on a background thread (`analysis`) meanwhile.
    var block: UnsafeMutablePointer<Float>
    var spareBlock: UnsafeMutablePointer<Float>
    let counts: UnsafeMutablePointer<UInt32>
    var activationRows: [Double]
    var spareActivations: [Double]
    /// The analysis of the previous interval runs here, serially, while training goes on: at most one
    /// at a time (an interval's end waits for the one before), so its buffers are its own.
    let analysis = DispatchQueue(label: "criticality.information", qos: .utility)
    let pending = DispatchGroup()
    /// Per chunk of the current step: Σ|Δw|, Σ|Δw|² and min/max |Δw| (merged in chunk order in `endStep`).
    let chunkSums: UnsafeMutablePointer<Double>
    let chunkRange: UnsafeMutablePointer<Float>
    var sum = 0.0, sumSquares = 0.0
    var minimum = Float.infinity, maximum: Float = 0
    var row = 0, filled = 0
    var currentInterval = -1
    var previousComponent: [Float] = []
    var previousInterval = -2
    var classSums: [Double], classCounts: [Int]
    var missingActivations = false
    let gemm: PartitionedGEMM
    let gram: UnsafeMutablePointer<Float>
    let projection: UnsafeMutablePointer<Float>

    /// One value per completed interval.
    public struct Record: Codable, Equatable, Sendable {
        public var intervalStart: Int
        public var mi: PluginMutualInformation
        /// Mean and standard deviation of the shuffle null (nil without permutations; SD needs two).
        public var nullMean: Double?, nullSD: Double?
        /// nil when the block is constant in every column (no principal component).
        public var explainedVarianceRatio: Double?
        /// β* of this interval and the previous one (nil for the first, or after a gap).
        public var beta: Double?
        enum CodingKeys: String, CodingKey {
            case intervalStart = "interval_start", mi, nullMean = "null_mean", nullSD = "null_sd"
            case explainedVarianceRatio = "explained_variance_ratio", beta
        }
    }
    var completed: [Record] = []
    /// Every completed interval's values (waits for an analysis in progress).
    public var records: [Record] {
        drain()
        return completed
    }

    /// Waits until the interval handed to the background thread has been analysed.
    public func drain() { pending.wait() }
    /// Per paired layer, the network layer whose output supplies the activations (resolved at the first step).
    public internal(set) var activationSources: [String] = []

    /// The observer for `layout`'s fully connected weights (2-D `weight` tensors). Each interval is
    /// analysed on a background thread of its own while the next is recorded (single-threaded BLAS
    /// there; the results do not depend on timing). Throws when the layout has no fully connected layer.
    public init(layout: ParameterLayout, settings: InformationSettings) throws {
        try settings.validate()
        self.settings = settings
        self.layout = layout
        interval = settings.interval
        bins = settings.bins
        var ls: [Layer] = []
        var u = 0
        for seg in layout.segments where seg.kind == "weight" && seg.shape.count == 2 {
            ls.append(Layer(name: seg.layer, outputs: seg.shape[0], inputs: seg.shape[1], parameterOffset: seg.offset, unitOffset: u))
            u += seg.shape[0]
        }
        guard !ls.isEmpty else {
            throw CriticalityError(.invalidArgument, "the information observer needs fully connected layers (2-D weights); this model has none")
        }
        layers = ls
        units = u
        let weights = ls.reduce(0) { $0 + $1.outputs * $1.inputs }
        let budget = Double(settings.budgetMiB) * 1_048_576
        let fixed = Double(Self.memoryBytes(interval: interval, units: u, bins: bins, columns: 0, subset: false))
        let perColumn = Double(Self.memoryBytes(interval: interval, units: u, bins: bins, columns: 1, subset: true)) - fixed
        var kept: [Int]? = nil
        if Double(Self.memoryBytes(interval: interval, units: u, bins: bins, columns: weights, subset: false)) > budget {
            let n = Int((budget - fixed) / perColumn)
            guard n >= 2 else {
                throw CriticalityError(.invalidArgument, String(format: "the information observer needs %.0f MiB for its counts alone (%d steps × %d units × %d bins); raise --information-budget or lower --information-interval",
                                                                fixed / 1_048_576, interval, u, settings.bins))
            }
            // A fixed subset of the weights: partial Fisher–Yates over all weight indices, sorted.
            var all = Array(0..<weights)
            var rng = RNG(seed: settings.seed, stream: .information, index: 0)
            for i in 0..<n { all.swapAt(i, i + rng.uniformInt(below: weights - i)) }
            let chosen = all[0..<n].sorted()
            // Map weight index (concatenated) → layout index.
            var out: [Int] = []
            out.reserveCapacity(n)
            var li = 0, base = 0
            for w in chosen {
                while w >= base + ls[li].outputs * ls[li].inputs { base += ls[li].outputs * ls[li].inputs; li += 1 }
                out.append(ls[li].parameterOffset + (w - base))
            }
            kept = out
        }
        subset = kept
        columns = kept?.count ?? weights

        // Runs by unit: consecutive kept weights of one unit.
        var ru: [Int32] = [], rl: [Int32] = []
        var perUnit = [Int](repeating: 0, count: u)
        func unitOf(_ k: Int) -> Int {
            for l in ls where k >= l.parameterOffset && k < l.parameterOffset + l.outputs * l.inputs {
                return l.unitOffset + (k - l.parameterOffset) / l.inputs
            }
            preconditionFailure("parameter \(k) is not a fully connected weight")
        }
        if let kept {
            for k in kept {
                let unit = unitOf(k)
                perUnit[unit] += 1
                if let last = ru.last, Int(last) == unit { rl[rl.count - 1] += 1 } else { ru.append(Int32(unit)); rl.append(1) }
            }
        } else {
            for l in ls {
                for j in 0..<l.outputs { ru.append(Int32(l.unitOffset + j)); rl.append(Int32(l.inputs)); perUnit[l.unitOffset + j] = l.inputs }
            }
        }
        runUnits = ru; runLengths = rl; valuesPerUnit = perUnit

        let table = StepChunks.table(layout)
        var cc = [Int](repeating: -1, count: table.count), cs = [Range<Int>](repeating: 0..<0, count: table.count)
        var column = 0
        var columnStart: [Int: Int] = [:]
        for l in ls { columnStart[l.parameterOffset] = column; column += l.outputs * l.inputs }
        for (i, chunk) in table.enumerated() {
            let seg = layout.segments[chunk.segment]
            guard let start = columnStart[seg.offset] else { continue }
            if let kept {
                let lo = kept.partitionIndex(chunk.offset), hi = kept.partitionIndex(chunk.offset + chunk.count)
                cs[i] = lo..<hi
            } else {
                cc[i] = start + (chunk.offset - seg.offset)
            }
        }
        chunkColumn = cc; chunkSubset = cs

        block = .allocate(capacity: interval * columns)
        block.initialize(repeating: 0, count: interval * columns)
        spareBlock = .allocate(capacity: interval * columns)
        spareBlock.initialize(repeating: 0, count: interval * columns)
        counts = .allocate(capacity: interval * u * bins)
        activationRows = [Double](repeating: 0, count: interval * u)
        spareActivations = activationRows
        chunkSums = .allocate(capacity: 2 * table.count)
        chunkSums.initialize(repeating: 0, count: 2 * table.count)
        chunkRange = .allocate(capacity: 2 * table.count)
        chunkRange.initialize(repeating: 0, count: 2 * table.count)
        classSums = []; classCounts = []
        gemm = PartitionedGEMM(pair: .callerOnly)  // the background thread alone: never the training's pair
        gram = .allocate(capacity: Self.gramSlices * interval * interval)
        projection = .allocate(capacity: max(columns, interval))
    }

    deinit {
        drain()
        block.deallocate(); spareBlock.deallocate(); counts.deallocate(); chunkSums.deallocate(); chunkRange.deallocate()
        gram.deallocate(); projection.deallocate()
    }

    public var memoryBytes: Int {
        Self.memoryBytes(interval: interval, units: units, bins: bins, columns: columns, subset: subset != nil)
    }

    /// Two blocks (Float32: filled, analysed), two components (Float32), the kept indices (subset), the per-unit bin counts
    /// (UInt32) and activations (Double), and the Gram slices (Float32).
    static func memoryBytes(interval: Int, units: Int, bins: Int, columns: Int, subset: Bool) -> Int {
        2 * interval * columns * 4 + 2 * columns * 4 + (subset ? columns * 8 : 0) + interval * units * (bins * 4 + 8)
            + gramSlices * interval * interval * 4
    }

    // MARK: The step

    public func beginStep(step: Int) -> Bool {
        let k = step / interval
        row = step % interval
        if k != currentInterval || row != filled {
            // A new interval (or a step out of sequence: start over at its interval's next full start).
            currentInterval = k
            filled = 0
            sum = 0; sumSquares = 0; minimum = .infinity; maximum = 0
            if row != 0 { currentInterval = -1; return false }
        }
        return true
    }

    public func observeChunk(_ index: Int, _ chunk: StepChunk, thread: Int, update: UnsafePointer<Float>, parameters: UnsafePointer<Float>?) {
        let s = chunkSums + 2 * index, r = chunkRange + 2 * index
        s[0] = 0; s[1] = 0; r[0] = .infinity; r[1] = 0
        let rowStart = block + row * columns
        if subset == nil {
            let c = chunkColumn[index]
            guard c >= 0 else { return }
            crit_abs_copy_stats(update + chunk.offset, chunk.count, rowStart + c, s, r)
        } else {
            let range = chunkSubset[index]
            guard !range.isEmpty else { return }
            // Gather the kept values into the row, then one pass of the kernel over them in place.
            subset!.withUnsafeBufferPointer { kept in
                for i in range { rowStart[i] = update[kept[i]] }
            }
            crit_abs_copy_stats(rowStart + range.lowerBound, range.count, rowStart + range.lowerBound, s, r)
        }
    }

    public func endStep(_ context: StepContext) {
        guard currentInterval >= 0 else { return }
        for i in 0..<chunkColumn.count where chunkColumn[i] >= 0 || !chunkSubset[i].isEmpty {
            sum += chunkSums[2 * i]; sumSquares += chunkSums[2 * i + 1]
            minimum = min(minimum, chunkRange[2 * i]); maximum = max(maximum, chunkRange[2 * i + 1])
        }
        guard let acts = context.activations else { missingActivations = true; currentInterval = -1; return }
        recordActivations(acts, row: row)
        filled += 1
        if filled == interval { handOver() }
    }

    public func beginReplayStep(step: Int) {}
    public func observeReplayChunk(_ index: Int, _ chunk: StepChunk, thread: Int, update: UnsafePointer<Float>) {}
    public func observe(_ context: StepContext) {}

    /// Row `row` of the activations: per unit, the mean over classes present of the class-mean activation.
    func recordActivations(_ acts: StepActivations, row: Int) {
        let c = acts.classCount, b = acts.batch
        if classCounts.count != c { classCounts = [Int](repeating: 0, count: c) }
        let widest = layers.map(\.outputs).max()!
        if classSums.count != c * widest { classSums = [Double](repeating: 0, count: c * widest) }
        let resolve = activationSources.isEmpty
        for l in layers {
            guard let index = acts.network.layers.firstIndex(where: { $0.name == l.name }) else { continue }
            let sourceIndex = StepActivations.postSynapticLayer(of: index, in: acts.network.layers)
            if resolve {
                activationSources.append(sourceIndex == index ? "\(l.name) output (no activation follows: the logits)"
                                         : "\(acts.network.layers[sourceIndex].name) output (post-activation)")
            }
            let source = acts.output(ofLayer: sourceIndex)
            for i in 0..<c { classCounts[i] = 0 }
            for i in 0..<(c * l.outputs) { classSums[i] = 0 }
            for s in 0..<b {
                let y = Int(acts.labels[s])
                classCounts[y] += 1
                let a = source + s * l.outputs
                for j in 0..<l.outputs { classSums[y * l.outputs + j] += Double(a[j]) }
            }
            var present = 0
            for i in 0..<c where classCounts[i] > 0 { present += 1 }
            for j in 0..<l.outputs {
                var m = 0.0
                for i in 0..<c where classCounts[i] > 0 { m += classSums[i * l.outputs + j] / Double(classCounts[i]) }
                activationRows[row * units + l.unitOffset + j] = m / Double(present)
            }
        }
    }

    // MARK: The interval

    /// The standardised value of an update magnitude, as `PluginMutualInformation` computes it.
    @inline(__always)
    static func standardised(_ x: Float, mean: Double, sd: Double) -> Double { (Double(x) - mean) / (sd + 1e-10) }

    /// The interval just filled goes to the background thread (after the previous one is done), and
    /// the steps go on filling the other block.
    func handOver() {
        drain()
        swap(&block, &spareBlock)
        swap(&activationRows, &spareActivations)
        let job = Job(block: spareBlock, activations: spareActivations, sum: sum, sumSquares: sumSquares, minimum: minimum, maximum: maximum,
                      interval: currentInterval)
        analysis.async(group: pending) { self.finishInterval(job) }
        currentInterval = -1
        filled = 0
    }

    /// An interval handed to the background thread.
    struct Job {
        var block: UnsafeMutablePointer<Float>
        var activations: [Double]
        var sum: Double, sumSquares: Double
        var minimum: Float, maximum: Float
        var interval: Int
    }

    /// MI, its null and bias correction, the leading component and β* of one filled interval (on the
    /// background thread; `job.block` is overwritten: rows shifted by the first).
    func finishInterval(_ job: Job) {
        let block = job.block, activationRows = job.activations
        let sum = job.sum, sumSquares = job.sumSquares, minimum = job.minimum, maximum = job.maximum
        let currentInterval = job.interval
        let n = Double(interval * columns)
        let mean = sum / n
        let sd = max(sumSquares / n - mean * mean, 0).squareRoot()
        var lo = Self.standardised(minimum, mean: mean, sd: sd), hi = Self.standardised(maximum, mean: mean, sd: sd)
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let step = (hi - lo) / Double(bins)
        // thresholds[r]: the smallest Float32 bit pattern whose standardised value reaches edge r.
        var thresholds = [UInt32](repeating: 0, count: bins + 1)
        thresholds[bins] = 0xFFFF_FFFF
        for r in 1..<bins {
            let edge = lo + Double(r) * step
            var a: UInt32 = 0, b: UInt32 = 0x7F80_0001  // invariant: z(a) < edge ≤ z(b) (b beyond +∞ when none)
            if Self.standardised(0, mean: mean, sd: sd) >= edge { thresholds[r] = 0; continue }
            while b - a > 1 {
                let m = a + (b - a) / 2
                if Self.standardised(Float(bitPattern: m), mean: mean, sd: sd) >= edge { b = m } else { a = m }
            }
            thresholds[r] = b
        }
        let scale = maximum > minimum ? Float(Double(bins) / Double(maximum - minimum)) : 0
        counts.update(repeating: 0, count: interval * units * bins)
        let rowCounts = units * bins
        let cols = columns
        thresholds.withUnsafeBufferPointer { t in
            runUnits.withUnsafeBufferPointer { ru in
                runLengths.withUnsafeBufferPointer { rl in
                    let groups = ru.count
                    let first = block
                    gemm.pair.forEach(interval - 1) { i, _ in
                        let r = i + 1
                        crit_bin_row_by_unit(block + r * cols, groups, ru.baseAddress, rl.baseAddress, t.baseAddress, Int32(bins),
                                             minimum, scale, counts + r * rowCounts, first)
                    }
                    crit_bin_row_by_unit(block, groups, ru.baseAddress, rl.baseAddress, t.baseAddress, Int32(bins), minimum, scale, counts, nil)
                }
            }
        }
        block.update(repeating: 0, count: cols)  // row 0 shifted by itself

        // The activation axis: unit u of step t stands for n_u paired values.
        var aSum = CompensatedSum()
        for t in 0..<interval { for u in 0..<units where valuesPerUnit[u] > 0 { aSum.add(Double(valuesPerUnit[u]) * activationRows[t * units + u]) } }
        let aMean = aSum.value / n
        var aSq = CompensatedSum()
        for t in 0..<interval {
            for u in 0..<units where valuesPerUnit[u] > 0 {
                let d = activationRows[t * units + u] - aMean
                aSq.add(Double(valuesPerUnit[u]) * d * d)
            }
        }
        let aSD = (aSq.value / n).squareRoot()
        var z = [Double](repeating: 0, count: interval * units)
        var alo = Double.infinity, ahi = -Double.infinity
        for t in 0..<interval {
            for u in 0..<units where valuesPerUnit[u] > 0 {
                let v = (activationRows[t * units + u] - aMean) / (aSD + 1e-10)
                z[t * units + u] = v
                alo = min(alo, v); ahi = max(ahi, v)
            }
        }
        if alo == ahi { alo -= 0.5; ahi += 0.5 }
        let astep = (ahi - alo) / Double(bins)
        var abin = [Int](repeating: 0, count: interval * units)
        for i in z.indices { abin[i] = PluginMutualInformation.bin(z[i], lo: alo, step: astep, hi: ahi, bins: bins) }

        let ht = UnsafeMutablePointer<UInt64>.allocate(capacity: bins * bins)  // [c][r]
        defer { ht.deallocate() }
        func joint(_ order: [Int]) -> [Double] {
            // h[r·bins + c] for the pairing of step t's updates with step order[t]'s activations.
            var h = [Double](repeating: 0, count: bins * bins)
            ht.update(repeating: 0, count: bins * bins)
            for t in 0..<interval {
                let c0 = counts + t * rowCounts, a0 = order[t] * units
                for u in 0..<units where valuesPerUnit[u] > 0 {
                    let c = abin[a0 + u] * bins, cu = c0 + u * bins
                    for r in 0..<bins { ht[c + r] &+= UInt64(cu[r]) }
                }
            }
            for c in 0..<bins { for r in 0..<bins { h[r * bins + c] = Double(ht[c * bins + r]) } }
            return h
        }
        let mi = PluginMutualInformation.fromJointCounts(joint(Array(0..<interval)), bins: bins)
        var nulls: [Double] = []
        var rng = RNG(seed: settings.seed, stream: .information, index: UInt64(1 + currentInterval))
        var order = Array(0..<interval)
        for _ in 0..<settings.nullPermutations {
            for i in Swift.stride(from: interval - 1, to: 0, by: -1) { order.swapAt(i, rng.uniformInt(below: i + 1)) }
            nulls.append(PluginMutualInformation.fromJointCounts(joint(order), bins: bins).authors)
        }
        let nullMean: Double? = nulls.isEmpty ? nil : nulls.reduce(0, +) / Double(nulls.count)
        let nullSD: Double? = nulls.count < 2 ? nil
            : (nulls.reduce(0) { $0 + ($1 - nullMean!) * ($1 - nullMean!) } / Double(nulls.count - 1)).squareRoot()

        let (component, ratio) = leadingComponent(block)
        var beta: Double? = nil
        if let component {
            if previousInterval == currentInterval - 1 && !previousComponent.isEmpty {
                var dot = 0.0
                for j in 0..<cols { dot += Double(previousComponent[j]) * Double(component[j]) }
                beta = abs(dot)
            }
            previousComponent = component
            previousInterval = currentInterval
        } else {
            previousInterval = -2
        }
        completed.append(Record(intervalStart: currentInterval * interval, mi: mi, nullMean: nullMean, nullSD: nullSD,
                                explainedVarianceRatio: ratio.isFinite ? ratio : nil, beta: beta))
    }

    /// Column slices of the Gram product (added in slice order).
    static let gramSlices = 2

    /// The arithmetic of one interval's analysis per training step (FLOPs, counting a binned or copied
    /// value as ten): the Gram product's I·P per step, the component's 2P, binning and copying ~20P, and
    /// the joint histograms' (1 + nulls)·units·bins — for the columns P the budget leaves. The trainer
    /// compares it with the step's own arithmetic to decide whether the analysis deserves a core.
    public static func analysisFLOPsPerStep(layout: ParameterLayout, settings: InformationSettings) -> Double {
        var weights = 0, units = 0
        for seg in layout.segments where seg.kind == "weight" && seg.shape.count == 2 { weights += seg.count; units += seg.shape[0] }
        guard weights > 0 else { return 0 }
        let i = settings.interval, b = settings.bins
        let fixed = Double(memoryBytes(interval: i, units: units, bins: b, columns: 0, subset: false))
        let perColumn = Double(memoryBytes(interval: i, units: units, bins: b, columns: 1, subset: true)) - fixed
        let budget = Double(settings.budgetMiB) * 1_048_576
        var columns = Double(weights)
        if Double(memoryBytes(interval: i, units: units, bins: b, columns: weights, subset: false)) > budget {
            columns = max(0, ((budget - fixed) / perColumn).rounded(.down))
        }
        return columns * (Double(i) + 22) + Double((1 + settings.nullPermutations) * units * b)
    }

    /// The unit leading component (Float32, columns) of the interval's shifted block and its explained
    /// ratio; nil (ratio NaN) when the block is constant in every column.
    func leadingComponent(_ block: UnsafeMutablePointer<Float>) -> ([Float]?, Double) {
        let t = interval, cols = columns
        // G = Σ over column slices of the slice's A·Aᵀ (lower triangles, `gramSlices` fixed slices on
        // the pair's threads, added in slice order: the same numbers on one thread or two).
        let slices = Self.gramSlices, width = (cols + slices - 1) / slices
        gemm.pair.forEach(slices) { i, _ in
            let first = i * width, n = max(0, min(cols, first + width) - first)
            let c = gram + i * t * t
            if n == 0 { c.update(repeating: 0, count: t * t) } else { BLAS.ssyrkLower(n: t, k: n, a: block + first, lda: cols, c: c, ldc: t) }
        }
        var g = [Double](repeating: 0, count: t * t)
        for i in 0..<t {
            for j in 0...i {
                var v = 0.0
                for p in 0..<slices { v += Double(gram[p * t * t + i * t + j]) }
                g[i * t + j] = v; g[j * t + i] = v
            }
        }
        var rowMean = [Double](repeating: 0, count: t)
        for i in 0..<t { var s = 0.0; for j in 0..<t { s += g[i * t + j] }; rowMean[i] = s / Double(t) }
        let all = rowMean.reduce(0, +) / Double(t)
        for i in 0..<t { for j in 0..<t { g[i * t + j] += all - rowMean[i] - rowMean[j] } }
        var trace = 0.0
        for i in 0..<t { trace += g[i * t + i] }
        guard trace > 0, trace.isFinite else { return (nil, .nan) }
        var eigenvalues = [Double](repeating: 0, count: t)
        guard BLAS.symmetricEigen(&g, n: t, eigenvalues: &eigenvalues) == 0 else { return (nil, .nan) }
        var w = Array(g[((t - 1) * t)..<(t * t)])
        let wm = w.reduce(0, +) / Double(t)
        for i in 0..<t { w[i] -= wm }
        let wf = w.map(Float.init)
        wf.withUnsafeBufferPointer { wp in
            gemm.sgemm(transA: true, m: cols, n: 1, k: t, a: block, lda: cols, b: wp.baseAddress!, ldb: 1, c: projection, ldc: 1)
        }
        var norm = 0.0, big = 0
        for j in 0..<cols {
            let v = Double(projection[j])
            norm += v * v
            if abs(projection[j]) > abs(projection[big]) { big = j }
        }
        norm = norm.squareRoot()
        guard norm > 0 else { return (nil, .nan) }
        let sign: Double = projection[big] < 0 ? -1 : 1
        var component = [Float](repeating: 0, count: cols)
        for j in 0..<cols { component[j] = Float(sign * Double(projection[j]) / norm) }
        return (component, eigenvalues[t - 1] / trace)
    }
}

extension Array where Element == Int {
    /// The first index whose element is ≥ `value` (the array sorted ascending).
    func partitionIndex(_ value: Int) -> Int {
        var lo = 0, hi = count
        while lo < hi { let m = (lo + hi) / 2; if self[m] < value { lo = m + 1 } else { hi = m } }
        return lo
    }
}
