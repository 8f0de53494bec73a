import CriticalityCore
import CriticalityData

/// The current mini-batch's activations, as the step's own forward pass left them, for observers that
/// ask (`StepContext.activations`): no copy and no allocation per step — the trainer owns one of these
/// and updates its batch size and labels in place; the pointers are the network's layer outputs.
///
/// Valid only during `observe`/`endStep` of the step that produced it (the next forward overwrites it).
public final class StepActivations {
    public let network: Network
    /// Samples in the mini-batch (≤ `network.maxBatch`).
    public internal(set) var batch = 0
    /// The batch's labels, `batch` of them (`batch × context` next-token targets for a text).
    public internal(set) var labels: UnsafePointer<Int32>
    public let classCount: Int
    /// The training set the batches are drawn from (shared storage, not a copy): observers draw their
    /// probe sets from it.
    public let trainingSet: Dataset
    private let labelStorage: UnsafeMutablePointer<Int32>

    init(network: Network, trainingSet: Dataset) {
        self.network = network
        self.trainingSet = trainingSet
        classCount = trainingSet.classCount
        let capacity = max(network.maxBatch * trainingSet.targetsPerSample, 1)
        labelStorage = .allocate(capacity: capacity)
        labelStorage.initialize(repeating: 0, count: capacity)
        labels = UnsafePointer(labelStorage)
    }

    deinit { labelStorage.deallocate() }

    func set(batch: Int, labels source: UnsafePointer<Int32>, count: Int) {
        self.batch = batch
        labelStorage.update(from: source, count: count)
    }

    /// Layer `index`'s output for the batch: `batch` rows of `network.layers[index].outputSize` values.
    /// Batch-major for fully connected layers and their activations (row b is sample b).
    public func output(ofLayer index: Int) -> UnsafePointer<Float> {
        UnsafePointer(network.outputs[index]!)
    }

    /// The post-synaptic activation of fully connected layer `index`'s units, as the information observer
    /// pairs them with the layer's weights (authors-code-notes.md §2.3): the output of the elementwise
    /// activation that follows the layer (post-ReLU, post-sigmoid), or, for a layer that no activation
    /// follows (the output layer), the layer's own output — the logits.
    public static func postSynapticLayer(of index: Int, in layers: [Layer]) -> Int {
        if index + 1 < layers.count, let next = layers[index + 1] as? Activation, next.inputSize == layers[index].outputSize {
            return index + 1
        }
        return index
    }
}
