import CriticalityCore
import CriticalityIO
import Foundation

/// `metrics.csv` read back by column name (its writer is `MetricsLog`): a file with extra or reordered
/// columns reads the same, one without a needed column is refused with the columns it has.
public struct MetricsTable: Sendable {
    /// The header's column names, in the order `MetricsLog` writes them.
    public static let columns = ["step", "epoch", "train_loss", "train_batch_accuracy", "test_loss", "test_accuracy"]

    /// Step index t of each row.
    public var steps: [Double] = []
    /// Mini-batch loss at θ_t of each row.
    public var trainLoss: [Double] = []
    /// Steps after which the test set was evaluated (t + 1: the evaluation follows update t).
    public var evaluationSteps: [Double] = []
    /// Test accuracy at those steps.
    public var testAccuracy: [Double] = []
    /// Test loss at those steps.
    public var testLoss: [Double] = []

    public init() {}

    /// Reads `path`. Rows whose step or train loss is empty are refused (MetricsLog always writes them).
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "\(path): cannot read the metrics file (missing or unreadable)")
        }
        let c = try CSVColumn.parse(data, name: path, columns: ["step", "train_loss", "test_loss", "test_accuracy"])
        for r in c[0].indices {
            guard let s = c[0][r], let l = c[1][r] else {
                throw CriticalityError(.corruptFile, "\(path): line \(r + 2) has no step or train_loss; the file is damaged")
            }
            steps.append(s); trainLoss.append(l)
            if let a = c[3][r] { evaluationSteps.append(s + 1); testAccuracy.append(a); testLoss.append(c[2][r] ?? .nan) }
        }
    }
}
