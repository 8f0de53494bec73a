import CriticalityCore
import CriticalityData
import Foundation

/// Training losses over a batch of logits. Each computes the mean loss and ∂L/∂logits in one pass
/// into a buffer allocated once.
public enum LossKind: String, Codable, CaseIterable, Sendable {
    /// L = −(1/b) Σ_n log softmax(z_n)[y_n], with the log-sum-exp shifted by max z (stable).
    case crossEntropy = "cross-entropy"
    /// L = (1/(b·K)) Σ_n Σ_k (z_nk − onehot(y_n)_k)², PyTorch's `MSELoss()` on one-hot targets.
    case mse
}

public final class Loss {
    public let kind: LossKind
    public let classCount: Int
    /// ∂L/∂logits of the last `evaluate` call (batch × classCount).
    public let gradient: FloatBuffer

    public init(kind: LossKind, classCount: Int, maxBatch: Int) {
        self.kind = kind
        self.classCount = classCount
        gradient = FloatBuffer(count: maxBatch * classCount)
    }

    /// Mean loss over the batch; when `computeGradient`, also fills `gradient`.
    /// `correct` receives the number of rows whose arg-max equals the label (first maximum wins).
    public func evaluate(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                         computeGradient: Bool, correct: inout Int) -> Double {
        let k = classCount
        var total = 0.0
        var hits = 0
        let g = gradient.pointer
        for r in 0..<batch {
            let z = logits + r * k
            let y = Int(labels[r])
            var best = 0
            var maxZ = z[0]
            for j in 1..<k where z[j] > maxZ { maxZ = z[j]; best = j }
            if best == y { hits += 1 }
            switch kind {
            case .crossEntropy:
                var sum: Float = 0
                for j in 0..<k { sum += expf(z[j] - maxZ) }
                let logSum = logf(sum)
                total += Double(logSum - (z[y] - maxZ))
                if computeGradient {
                    let scale = 1 / Float(batch)
                    let gr = g + r * k
                    for j in 0..<k { gr[j] = expf(z[j] - maxZ - logSum) * scale }
                    gr[y] -= scale
                }
            case .mse:
                let scale = 2 / Float(batch * k)
                let gr = g + r * k
                for j in 0..<k {
                    let d = z[j] - (j == y ? 1 : 0)
                    total += Double(d * d)
                    if computeGradient { gr[j] = scale * d }
                }
            }
        }
        correct = hits
        return kind == .crossEntropy ? total / Double(batch) : total / Double(batch * k)
    }
}
