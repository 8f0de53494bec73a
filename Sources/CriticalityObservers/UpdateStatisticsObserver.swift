// Over 400 lines on purpose: the observer's working memory (allocated once, shared by the first pass and
// the replay) and the passes that use it are one unit; split into files, its private buffers would
// have to become visible to the whole module. Settings: UpdateStatisticsSettings.swift; outputs and
// checkpoint state: the +Output and +State files.
import CKernels
import CriticalityCore
import CriticalityEngine
import CriticalityIO
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// Every |Δθ| of every step inside the windows, for every segment, layer and all parameters, in memory
/// that does not grow with the number of steps.
///
/// First pass (while training; steps outside every window cost nothing):
/// - per step and segment, one fused kernel adds |Δθ| to a `LogGrid` histogram with exact zeros, min,
///   max, Σ and Σ² (`crit_abs_log_histogram`; chunks counted on up to `StepChunks.maximumThreads` threads into per-thread tables with
///   per-chunk statistics, combined in chunk order at the step's end), and the values are offered to a
///   uniform sample of the window planned when it opens (`UniformSample`: only the ~k/steps selected
///   values per step are touched);
/// - per step: training loss, ‖Δθ‖₂, max |Δθ| and the Shannon entropy (nats) of the step's |Δθ|
///   over the grid's bins, exact zeros as one more bin (SI Fig. S12);
/// - at a window's last step: the same statistics of |θ| after that step's update.
///
/// Replay (a deterministic second pass over each window of the same seeded run, see ARCHITECTURE.md;
/// chunks on several threads, like the first pass, into per-thread counts summed at the window's end):
/// - the paper-style linear histogram (100 bins from 0 to the window's maximum — known only after
///   the first pass) counted exactly (`crit_linear_table`), and
/// - large-update timing (Fig. 5) with the threshold at the window's q-quantile (`IntervalLadder`).
///   The replay checks itself against the first pass: its exceedance counts at the ladder's ends must
///   equal the first pass's histogram counts, or it stops with an error.
public final class UpdateStatisticsObserver: ChunkedTrainingObserver {
    public let name = UpdateStatisticsFolder.observerName
    public let settings: UpdateStatisticsSettings
    public let layout: ParameterLayout
    public let scopes: [Scope]
    public var replayWindows: [Range<Int>] { settings.windows.ranges }

    /// First-pass state of one window.
    struct WindowRecord {
        var range: Range<Int>
        var updateHistograms: [LogHistogram]
        var updateReservoirs: [UniformSample]
        var losses: [Double] = []
        var updateNorms: [Double] = []
        var updateMaxima: [Double] = []
        var entropies: [Double] = []
        /// |θ| after the window's last update (nil until then, or when θ is not available).
        var parameterHistograms: [LogHistogram]?
        var parameterReservoirs: [UniformSample]?
        var parameterLinear: [LinearHistogram]?
    }

    /// Replay results of one window.
    struct ReplayRecord {
        var updateLinear: [LinearHistogram]
        var timing: [TimingResult]
    }

    struct TimingResult {
        var q: Double
        var threshold: Float
        var level: Int
        var largeUpdates: UInt64
        var total: UInt64
        var intervals: [[UInt64]]  // per scope
        var realizedFraction: Double { Double(largeUpdates) / Double(total) }
    }

    var records: [WindowRecord] = []
    var replays: [Int: ReplayRecord] = [:]

    // Working memory, allocated once.
    /// The chunks of a step (`StepChunks.table(layout)`).
    private let chunks: [StepChunk]
    /// Threads that may count chunks at once (per-thread tables for each).
    private let threads = StepChunks.maximumThreads
    /// Shared table for one-off histograms (|θ| at a window's end).
    private let scratch: UnsafeMutablePointer<UInt32>
    /// Per thread and segment, four interleaved tables of this step's counts (filled chunk by chunk).
    private let segmentTables: UnsafeMutablePointer<UInt32>
    /// Per chunk: the kernel's statistics, the thread that counted it into its tables, whether θ was seen.
    private let chunkStats: UnsafeMutablePointer<crit_abs_stats>
    private let chunkThread: UnsafeMutablePointer<Int>
    private let chunkSawParameters: UnsafeMutablePointer<Bool>
    /// endStep's sums over chunks: per segment, and per thread and segment (the tables' touched bins).
    private let segmentStats: UnsafeMutablePointer<crit_abs_stats>
    private let tableStats: UnsafeMutablePointer<crit_abs_stats>
    private let stepCounts: UnsafeMutablePointer<UInt64>
    /// Window of the current step (set by beginStep).
    private var currentWindow = -1
    private var currentStep = -1
    private var currentIsLastOfWindow = false
    private let theta: FloatBuffer
    /// Per thread: the indices of a chunk's values at or above the ladders' lowest threshold.
    private let selection: UnsafeMutablePointer<Int32>
    // Replay working state.
    private var activeReplay: (index: Int, linear: [LinearHistogram], ladders: [IntervalLadder])?
    /// Window-relative step t of the step being replayed.
    private var replayStep = 0
    /// During a replay, the linear histograms' counts live in one block (per thread, then scope-major;
    /// summed over threads at the window's end: integer counts, so the sum does not depend on the split),
    /// each scope's bins are tabled by bit pattern (`crit_linear_table`), and each thread and segment has
    /// tables of pointers to the counts and bin tables of its scopes (segment, layer, all), so that one
    /// kernel pass bins a value into all of them.
    private var replayCounts: UnsafeMutablePointer<UInt64>?
    private var linearTables: [OpaquePointer] = []
    private var segmentScopeCounts: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>?
    private var segmentScopeTables: UnsafeMutablePointer<OpaquePointer?>?
    private var segmentScopeNumber: [Int] = []

    public init(layout: ParameterLayout, settings: UpdateStatisticsSettings) {
        self.layout = layout
        self.settings = settings
        scopes = Scope.all(for: layout)
        chunks = StepChunks.table(layout)
        scratch = .allocate(capacity: 4 * LogGrid.binCount)
        scratch.initialize(repeating: 0, count: 4 * LogGrid.binCount)
        let segments = max(layout.segments.count, 1), chunkCount = max(chunks.count, 1)
        segmentTables = .allocate(capacity: threads * segments * UpdateStatisticsObserver.tableSize)
        segmentTables.initialize(repeating: 0, count: threads * segments * UpdateStatisticsObserver.tableSize)
        chunkStats = .allocate(capacity: chunkCount)
        chunkStats.initialize(repeating: .empty, count: chunkCount)
        chunkThread = .allocate(capacity: chunkCount)
        chunkThread.initialize(repeating: 0, count: chunkCount)
        chunkSawParameters = .allocate(capacity: chunkCount)
        chunkSawParameters.initialize(repeating: false, count: chunkCount)
        segmentStats = .allocate(capacity: segments)
        segmentStats.initialize(repeating: .empty, count: segments)
        tableStats = .allocate(capacity: threads * segments)
        tableStats.initialize(repeating: .empty, count: threads * segments)
        stepCounts = .allocate(capacity: LogGrid.binCount)
        stepCounts.initialize(repeating: 0, count: LogGrid.binCount)
        theta = FloatBuffer(count: layout.parameterCount)
        selection = .allocate(capacity: threads * StepChunks.size)
    }

    deinit {
        scratch.deallocate(); segmentTables.deallocate(); stepCounts.deallocate(); selection.deallocate()
        chunkStats.deallocate(); chunkThread.deallocate(); chunkSawParameters.deallocate()
        segmentStats.deallocate(); tableStats.deallocate()
        releaseReplayBlocks()
    }

    /// UInt32 counts in one kernel table set (four interleaved tables of the grid).
    static let tableSize = 4 * LogGrid.binCount

    /// The table set of `thread` for segment `s`.
    @inline(__always)
    private func table(thread: Int, segment s: Int) -> UnsafeMutablePointer<UInt32> {
        segmentTables + (thread * layout.segments.count + s) * UpdateStatisticsObserver.tableSize
    }

    /// Bytes held: the first pass's state for every window (histograms, samples, per-step series)
    /// plus working buffers, the open window's sample plans (8 bytes per planned position, released when
    /// the window ends), and the largest replay's ladder and histograms (allocated only during replay).
    public var memoryBytes: Int {
        let segments = layout.segments.count
        let perWindowFixed = 2 * segments * (LogGrid.finiteBinCount * 8 + settings.reservoirSize * 4)
        let series = settings.windows.ranges.reduce(0) { $0 + 4 * 8 * $1.count }
        let working = (1 + threads * segments) * UpdateStatisticsObserver.tableSize * 4 + LogGrid.binCount * 8 + layout.parameterCount * 4 + threads * StepChunks.size * 4
        let replay = settings.windows.ranges.map {
            settings.quantiles.count * IntervalLadder.memoryBytes(parameterCount: layout.parameterCount, segmentCount: segments, windowLength: $0.count)
        }.max() ?? 0
        let plans = segments * settings.reservoirSize * 8
        return settings.windows.ranges.count * perWindowFixed + series + working + plans + replay
    }

    private func windowIndex(of step: Int) -> Int? {
        settings.windows.ranges.firstIndex { $0.contains(step) }
    }

    private func startRecord(_ w: Int) {
        let range = settings.windows.ranges[w]
        let reservoirs = layout.segments.enumerated().map { s, seg in
            UniformSample(capacity: settings.reservoirSize, streamLength: UInt64(range.count) * UInt64(seg.count),
                          rng: RNG(seed: settings.seed, stream: .reservoir, index: UInt64(w * 100_000 + s)))
        }
        var r = WindowRecord(range: range, updateHistograms: layout.segments.map { _ in LogHistogram() },
                             updateReservoirs: reservoirs)
        let reserve = min(range.count, 1 << 20)  // grows past this by doubling (amortized, rare)
        r.losses.reserveCapacity(reserve); r.updateNorms.reserveCapacity(reserve)
        r.updateMaxima.reserveCapacity(reserve); r.entropies.reserveCapacity(reserve)
        records.append(r)
    }

    // MARK: - First pass

    public func observe(_ c: StepContext) {
        guard beginStep(step: c.step) else { return }
        for (i, chunk) in chunks.enumerated() {
            observeChunk(i, chunk, thread: 0, update: c.update, parameters: c.parameters)
        }
        endStep(c)
    }

    public func beginStep(step: Int) -> Bool {
        guard let w = windowIndex(of: step) else { return false }
        if records.count <= w { startRecord(w) }
        currentWindow = w
        currentStep = step
        currentIsLastOfWindow = step == settings.windows.ranges[w].upperBound - 1
        return true
    }

    /// Counts the chunk's |Δθ| into this thread's tables for its segment, with the chunk's own statistics
    /// (may run on several threads at once: writes only per-chunk and per-thread state).
    public func observeChunk(_ i: Int, _ c: StepChunk, thread: Int, update: UnsafePointer<Float>,
                             parameters: UnsafePointer<Float>?) {
        chunkStats[i] = .empty
        crit_abs_log_histogram(update + c.offset, c.count, table(thread: thread, segment: c.segment), chunkStats + i)
        chunkThread[i] = thread
        chunkSawParameters[i] = false
        if let p = parameters, currentIsLastOfWindow {
            // θ_{t+1} = θ_t + Δθ_t, the same Float32 addition the trainer makes.
            let t = theta.pointer
            for k in c.offset..<(c.offset + c.count) { t[k] = p[k] + update[k] }
            chunkSawParameters[i] = true
        }
    }

    /// Combines the chunks in chunk order (so nothing depends on the threads' split): the tables' counts
    /// into each segment's window histogram and this step's all-parameter counts, the statistics per
    /// segment; then the reservoirs (in stream order), the per-step series and the entropy.
    public func endStep(_ c: StepContext) {
        let w = currentWindow
        let segments = layout.segments.count
        for s in 0..<segments { segmentStats[s] = .empty }
        for k in 0..<(threads * segments) { tableStats[k] = .empty }
        var sawParameters = false
        for (i, chunk) in chunks.enumerated() {
            segmentStats[chunk.segment].combine(chunkStats[i])
            tableStats[chunkThread[i] * segments + chunk.segment].combine(chunkStats[i])
            sawParameters = sawParameters || chunkSawParameters[i]
        }
        var step = crit_abs_stats.empty
        records[w].updateHistograms.withUnsafeMutableBufferPointer { hists in
            for s in 0..<segments {
                for thread in 0..<threads {
                    hists[s].absorbCounts(scratch: table(thread: thread, segment: s), touched: tableStats[thread * segments + s],
                                          alsoInto: stepCounts)
                }
                hists[s].absorbStatistics(segmentStats[s])
                step.combine(segmentStats[s])
            }
        }
        records[w].updateReservoirs.withUnsafeMutableBufferPointer { reservoirs in
            for (s, seg) in layout.segments.enumerated() {
                reservoirs[s].offerMagnitudes(c.update + seg.offset, count: seg.count)
            }
        }
        // Entropy of this step's |Δθ| over the grid (zeros as their own bin), then clear the step counts
        // (over the bins they can occupy: bin 0 for zeros, and the range of the non-zero values).
        var entropy = 0.0
        if let touched = LogGrid.touchedBins(step) {
            var n: UInt64 = touched.zeroBinAlone ? stepCounts[0] : 0
            for b in touched.range { n += stepCounts[b] }
            entropy = EntropyTable.shared.entropy(counts: stepCounts, range: touched.range, zeros: step.zeros, total: n)
            if touched.zeroBinAlone { stepCounts[0] = 0 }
            for b in touched.range { stepCounts[b] = 0 }
        }
        records[w].losses.append(c.loss)
        records[w].updateNorms.append(c.updateSquaredNorm.squareRoot())
        records[w].updateMaxima.append(Double(Float(bitPattern: step.max_bits)))
        records[w].entropies.append(entropy)
        if sawParameters { recordParameters(window: w) }
    }

    /// |θ_{t+1}| = |θ_t + Δθ_t| at the window's last step (the same Float32 addition the trainer makes).
    private func recordParameters(window w: Int) {
        let t = theta.pointer
        var hists: [LogHistogram] = []
        var reservoirs: [UniformSample] = []
        for (s, seg) in layout.segments.enumerated() {
            var h = LogHistogram()
            h.add(t + seg.offset, count: seg.count, scratch: scratch)
            hists.append(h)
            var r = UniformSample(capacity: settings.reservoirSize, streamLength: UInt64(seg.count),
                                  rng: RNG(seed: settings.seed, stream: .reservoir, index: UInt64(w * 100_000 + 50_000 + s)))
            r.offerMagnitudes(t + seg.offset, count: seg.count)
            reservoirs.append(r)
        }
        let linear = scopes.map { scope -> LinearHistogram in
            let m = scope.segments.compactMap { hists[$0].maximum }.max() ?? 0
            var lh = LinearHistogram(maximum: Double(m), bins: settings.linearBins)
            for s in scope.segments { lh.addMagnitudes(t + layout.segments[s].offset, count: layout.segments[s].count) }
            return lh
        }
        records[w].parameterHistograms = hists
        records[w].parameterReservoirs = reservoirs
        records[w].parameterLinear = linear
    }

    // MARK: - Replay

    public func beginReplay(of window: Range<Int>) throws {
        guard let w = settings.windows.ranges.firstIndex(of: window), w < records.count else {
            throw CriticalityError(.invalidArgument, "replay of window \(window) that the first pass did not see")
        }
        let rec = records[w]
        let linear = scopes.map { scope -> LinearHistogram in
            let m = scope.segments.compactMap { rec.updateHistograms[$0].maximum }.max() ?? 0
            return LinearHistogram(maximum: Double(m), bins: settings.linearBins)
        }
        let bins = settings.linearBins, scopeCount = scopes.count, segCount = layout.segments.count
        var tables: [OpaquePointer] = []
        for l in linear {
            guard let t = l.edges.withUnsafeBufferPointer({ crit_linear_table_create(l.maximum, Int32(bins), $0.baseAddress!) }) else {
                tables.forEach { crit_linear_table_free($0) }
                throw CriticalityError(.io, "replay of window \(window): out of memory for the bin table of a \(bins)-bin linear histogram")
            }
            tables.append(t)
        }
        linearTables = tables
        var all = LogHistogram()
        for h in rec.updateHistograms { all.merge(h) }
        let ladders = settings.quantiles.map {
            IntervalLadder(q: $0, bin: IntervalLadder.quantileBin(all, q: $0), window: window,
                           parameterCount: layout.parameterCount, segmentCount: layout.segments.count)
        }
        activeReplay = (w, linear, ladders)
        // Flat blocks for the fused linear-histogram kernel.
        let counts = UnsafeMutablePointer<UInt64>.allocate(capacity: threads * scopeCount * bins)
        counts.initialize(repeating: 0, count: threads * scopeCount * bins)
        let perSegment = UpdateStatisticsObserver.scopesPerSegment
        let countTable = UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>.allocate(capacity: threads * segCount * perSegment)
        let binTable = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: segCount * perSegment)
        segmentScopeNumber = []
        for s in 0..<segCount {
            let member = scopes.indices.filter { scopes[$0].segments.contains(s) }.prefix(perSegment)
            segmentScopeNumber.append(member.count)
            for (k, i) in member.enumerated() {
                for thread in 0..<threads {
                    countTable[(thread * segCount + s) * perSegment + k] = counts + (thread * scopeCount + i) * bins
                }
                binTable[s * perSegment + k] = linearTables[i]
            }
        }
        replayCounts = counts
        segmentScopeCounts = countTable; segmentScopeTables = binTable
    }

    private func releaseReplayBlocks() {
        replayCounts?.deallocate(); segmentScopeCounts?.deallocate(); segmentScopeTables?.deallocate()
        linearTables.forEach { crit_linear_table_free($0) }
        replayCounts = nil; segmentScopeCounts = nil; segmentScopeTables = nil; linearTables = []
    }

    /// Room per segment in the replay's pointer tables for the histograms its values belong to
    /// (segment, layer, all: 3 with today's scopes).
    static let scopesPerSegment = 8

    public func observeReplay(_ c: StepContext) throws {
        beginReplayStep(step: c.step)
        for (i, chunk) in chunks.enumerated() { observeReplayChunk(i, chunk, thread: 0, update: c.update) }
    }

    public func beginReplayStep(step: Int) {
        guard let replay = activeReplay else { return }
        replayStep = step - settings.windows.ranges[replay.index].lowerBound
    }

    /// Bins the chunk's |Δθ| into the linear histograms of its scopes and records its large updates on
    /// the ladders, into this thread's counts (may run on several threads at once; the ladders' last-event slots
    /// are per parameter, so disjoint chunks never share one).
    public func observeReplayChunk(_ index: Int, _ c: StepChunk, thread: Int, update: UnsafePointer<Float>) {
        guard let replay = activeReplay else { return }
        let x = update + c.offset
        let perSegment = UpdateStatisticsObserver.scopesPerSegment, segCount = layout.segments.count
        if let counts = segmentScopeCounts, let tables = segmentScopeTables {
            crit_abs_linear_histograms(x, c.count, Int32(segmentScopeNumber[c.segment]), tables + c.segment * perSegment,
                                       counts + (thread * segCount + c.segment) * perSegment)
        }
        var floor = UInt32.max
        for ladder in replay.ladders { floor = min(floor, ladder.thresholdBits[0]) }
        let selected = selection + thread * StepChunks.size
        let m = crit_abs_select_at_least(x, c.count, floor, selected)
        for e in 0..<m {
            let i = Int(selected[e])
            let bits = x[i].bitPattern & 0x7fff_ffff
            for ladder in replay.ladders where bits >= ladder.thresholdBits[0] {
                ladder.record(bits: bits, parameter: c.offset + i, segment: c.segment, t: replayStep, thread: thread)
            }
        }
    }

    public func endReplay(of window: Range<Int>) throws {
        guard var replay = activeReplay else { return }
        defer { activeReplay = nil; releaseReplayBlocks() }
        if let counts = replayCounts {
            let bins = settings.linearBins, scopeCount = scopes.count
            for i in replay.linear.indices {
                replay.linear[i].counts = (0..<bins).map { counts[i * bins + $0] + counts[(scopeCount + i) * bins + $0] }
            }
        }
        let rec = records[replay.index]
        var all = LogHistogram()
        for h in rec.updateHistograms { all.merge(h) }
        let total = all.total
        var timing: [TimingResult] = []
        for ladder in replay.ladders {
            // Self-check against the first pass: T_0 and T_16 are grid edges, whose counts it knows exactly.
            let atLeast = { (b: Int) -> UInt64 in all.counts[b...].reduce(0, +) }
            let expectLow = atLeast(ladder.bin), expectHigh = ladder.bin + 1 < all.counts.count ? atLeast(ladder.bin + 1) : 0
            guard ladder.exceed[0] == expectLow, ladder.exceed[16] == expectHigh else {
                throw CriticalityError(.numerical,
                    "the replay of window \(window) did not reproduce the first pass (counts \(ladder.exceed[0])/\(ladder.exceed[16]) vs \(expectLow)/\(expectHigh)); the run is not deterministic (were Criticality or the BLAS kernels — OPENBLAS_CORETYPE — changed between passes?)")
            }
            let level = ladder.chosenLevel(total: total)
            timing.append(TimingResult(
                q: ladder.q, threshold: Float(bitPattern: ladder.thresholdBits[level]), level: level,
                largeUpdates: ladder.exceed[level], total: total,
                intervals: scopes.map { ladder.intervalCounts(segments: $0.segments, level: level) }))
        }
        replays[replay.index] = ReplayRecord(updateLinear: replay.linear, timing: timing)
    }
}
