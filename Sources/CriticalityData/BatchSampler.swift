import CriticalityCore
/// Mini-batch order, as PyTorch's `DataLoader(shuffle=True, drop_last=False)`: each epoch is a fresh
/// seeded permutation of the training set cut into batches of `batchSize`; the last, partial batch is
/// kept. The permutation of epoch e comes from its own RNG sub-stream (seed, shuffling, e), so the
/// sampler's whole state is (epoch, position) — which is what a checkpoint stores.
public struct BatchSampler: Sendable {
    public let datasetSize: Int
    public let batchSize: Int
    public let seed: UInt64
    public private(set) var epoch: Int
    /// Index of the next sample within the epoch's permutation.
    public private(set) var position: Int
    public private(set) var permutation: [Int32]

    public init(datasetSize: Int, batchSize: Int, seed: UInt64, epoch: Int = 0, position: Int = 0) {
        precondition(datasetSize > 0 && batchSize > 0)
        self.datasetSize = datasetSize
        self.batchSize = min(batchSize, datasetSize)
        self.seed = seed
        self.epoch = epoch
        self.position = position
        permutation = BatchSampler.permutation(size: datasetSize, seed: seed, epoch: epoch)
    }

    /// Batches per epoch, counting the last partial one.
    public var batchesPerEpoch: Int { (datasetSize + batchSize - 1) / batchSize }

    public static func permutation(size: Int, seed: UInt64, epoch: Int) -> [Int32] {
        var p = (0..<size).map { Int32($0) }
        var rng = RNG(seed: seed, stream: .shuffling, index: UInt64(epoch))
        rng.shuffle(&p)
        return p
    }

    /// The indices of the next batch; advances to the next epoch after the last batch.
    /// Returns the epoch the batch belongs to and its sample indices (a view valid until the next call).
    public mutating func nextBatch() -> (epoch: Int, indices: ArraySlice<Int32>) {
        if position >= datasetSize {
            epoch += 1
            position = 0
            regenerate()
        }
        let end = min(position + batchSize, datasetSize)
        let slice = permutation[position..<end]
        position = end
        return (epoch, slice)
    }

    /// Refills the permutation in place (no allocation after the first epoch).
    private mutating func regenerate() {
        for i in 0..<datasetSize { permutation[i] = Int32(i) }
        var rng = RNG(seed: seed, stream: .shuffling, index: UInt64(epoch))
        rng.shuffle(&permutation)
    }
}
