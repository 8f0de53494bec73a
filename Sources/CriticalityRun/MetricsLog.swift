import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityRunDirectory
import CriticalityStats
import Foundation

/// `metrics.csv`: one row per training step, appended in whole lines.
///
/// Columns: `step` (index t of the update, from 0), `epoch` (from 0), `train_loss` (mini-batch loss at
/// θ_t), `train_batch_accuracy`, and — on rows where the test set was evaluated, after the update
/// θ_{t+1} = θ_t + Δθ_t — `test_loss` and `test_accuracy` (empty otherwise).
///
/// Rows are buffered in memory in preallocated arrays and appended to the file in blocks (when the
/// buffer fills, at checkpoints and at the end), so a training step does no formatting or I/O. The byte
/// length at each checkpoint is saved with it; `resume` truncates the file back to that length, which
/// makes a resumed file identical to an uninterrupted one even after `kill -9`.
public final class MetricsLog {
    public static let header = MetricsTable.columns.joined(separator: ",") + "\n"
    public let path: String
    private var steps: [Int]
    private var epochs: [Int]
    private var losses: [Double]
    private var accuracies: [Double]
    private var testLosses: [Double]
    private var testAccuracies: [Double]
    private var pending = 0
    private let capacity: Int

    /// Opens `path`; creates it with the header when `truncateTo` is nil, else cuts it to that many bytes.
    public init(path: String, truncateTo length: UInt64?, capacity: Int = 1024) throws {
        self.path = path
        self.capacity = capacity
        steps = [Int](repeating: 0, count: capacity); epochs = steps
        losses = [Double](repeating: 0, count: capacity); accuracies = losses
        testLosses = losses; testAccuracies = losses
        if let length = length {
            guard let h = FileHandle(forWritingAtPath: path) else {
                throw CriticalityError(.fileNotFound, "\(path): metrics file is missing; the run directory is damaged")
            }
            defer { try? h.close() }
            let size = try h.seekToEnd()
            // Cutting back to the checkpoint's length drops rows written after it; a file shorter than
            // that has lost rows the checkpoint already counts, which no resume can restore.
            guard size >= length else {
                throw CriticalityError(.corruptFile, "\(path) is \(size) bytes but the checkpoint recorded \(length): rows written before the checkpoint are missing (the file was cut short or replaced). Restore it from a copy, or start the run again with `criticality train --force`")
            }
            try h.truncate(atOffset: length)
        } else {
            try FileOutput.write(MetricsLog.header, to: path)
        }
    }

    /// Records step t (no allocation, no I/O unless the buffer is full).
    @inline(__always)
    public func record(step: Int, epoch: Int, trainLoss: Double, trainBatchAccuracy: Double) throws {
        if pending == capacity { try flush() }
        steps[pending] = step; epochs[pending] = epoch
        losses[pending] = trainLoss; accuracies[pending] = trainBatchAccuracy
        testLosses[pending] = .nan; testAccuracies[pending] = .nan
        pending += 1
    }

    /// Attaches test-set results to the most recent row.
    public func attachTest(loss: Double, accuracy: Double) {
        guard pending > 0 else { return }
        testLosses[pending - 1] = loss
        testAccuracies[pending - 1] = accuracy
    }

    /// Appends buffered rows to the file and returns its new byte length.
    @discardableResult
    public func flush() throws -> UInt64 {
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw CriticalityError(.io, "\(path): cannot open the metrics file for appending")
        }
        defer { try? h.close() }
        var text = ""
        text.reserveCapacity(pending * 64)
        for i in 0..<pending {
            text += "\(steps[i]),\(epochs[i]),\(losses[i]),\(accuracies[i]),"
            text += testLosses[i].isNaN ? "," : "\(testLosses[i]),\(testAccuracies[i])"
            text += "\n"
        }
        let end = try h.seekToEnd()
        if !text.isEmpty { try h.write(contentsOf: Data(text.utf8)) }
        pending = 0
        return end + UInt64(text.utf8.count)
    }
}
