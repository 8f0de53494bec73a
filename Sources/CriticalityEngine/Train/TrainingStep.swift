import CriticalityCore
import CriticalityData
import Foundation

/// One step of training on one flat parameter buffer, top to bottom (Methods: SGD on mini-batches):
///
///     batch   ← next seeded mini-batch                        (`sampler`)
///     z       ← forward(θ_t, batch);   L, ∂L/∂z ← loss(z, labels)
///     ∂L/∂θ   ← backward(∂L/∂z)
///     Δθ_t    ← optimizer(∂L/∂θ)       ┐
///     chunked observers see Δθ_t, θ_t  ├ the fused elementwise pass (`ElementwisePass`)
///     θ_{t+1} ← θ_t + Δθ_t             ┘ (after the plain observers when any is active)
///     check L and Δθ_t are finite; plain observers see (t, L, Δθ_t, θ_t)
///
/// It owns the network, loss, optimizer and buffers, and allocates nothing per step. It knows nothing
/// of run directories: the trainer (CriticalityRun) drives it, checkpoints it and writes the outputs.
public final class TrainingStep {
    public let network: Network
    public let loss: Loss
    public let optimizer: Optimizer
    /// Δθ of the current step, in the parameter layout.
    public let update: FloatBuffer
    public let batchSize: Int
    /// Where the next mini-batch comes from (restored from a checkpoint by the trainer).
    public var sampler: BatchSampler
    public let data: DatasetPair
    public let pass: ElementwisePass
    /// The current batch's activations and labels, shown to observers in `StepContext.activations`.
    public let activations: StepActivations
    private let batchInput: FloatBuffer
    private var batchLabels: [Int32]
    private let evaluationBatch: Int
    /// Loss terms per sample: 1, or the context length for a text (one next-token target per position).
    public let targetsPerSample: Int

    /// What a step measured.
    public struct Result {
        public var epoch: Int
        /// Mini-batch loss at θ_t.
        public var loss: Double
        public var batchAccuracy: Double
    }

    /// Observers of a pass, split once (not per step) into those that take chunks and the others.
    public final class Observers {
        public let chunked: [ChunkedTrainingObserver]
        public let plain: [TrainingObserver]
        /// Per chunked observer: whether it wanted the current step (`beginStep`), for its `endStep`.
        fileprivate var wants: [Bool]
        public init(_ all: [TrainingObserver]) {
            chunked = all.compactMap { $0 as? ChunkedTrainingObserver }
            plain = all.filter { !($0 is ChunkedTrainingObserver) }
            wants = [Bool](repeating: false, count: chunked.count)
        }
        public var count: Int { chunked.count + plain.count }
    }

    /// A step is refused because a value is not finite; `what` says which.
    public struct NonFinite: Error {
        public var what: String
        public var epoch: Int
    }

    /// Builds the model of `config` for `data` (refusing one that would not fit in memory), computing on
    /// `passThreads` threads (2: the shared `WorkerPair`; 1: the caller alone) — its GEMMs, layer loops
    /// and elementwise pass alike. The results do not depend on it.
    /// Observers, made once the layout is known, need room in the pass (`pass.reserve`).
    public init(config: TrainConfig, data: DatasetPair, passThreads: Int) throws {
        precondition((1...ElementwisePass.maximumThreads).contains(passThreads))
        self.data = data
        batchSize = config.batchSize.resolved(datasetSize: data.train.count)
        targetsPerSample = data.train.targetsPerSample
        // A text's sample is a whole window: 256 windows would be 12,800 tokens, so evaluate in batches of
        // about 2,048 tokens' worth.
        let evaluationFloor = targetsPerSample > 1 ? max(1, 2048 / targetsPerSample) : 256
        evaluationBatch = min(max(batchSize, evaluationFloor), data.test.count)
        let maxBatch = max(batchSize, evaluationBatch)
        try TrainingStep.checkMemory(config: config, data: data, maxBatch: maxBatch)
        let pair = WorkerPair.forThreads(passThreads)
        network = try config.model.makeNetwork(sampleShape: data.train.sampleShape, classCount: data.train.classCount,
                                               maxBatch: maxBatch, pair: pair)
        loss = Loss(kind: config.loss, classCount: data.train.classCount, maxBatch: maxBatch * targetsPerSample)
        optimizer = Optimizer(settings: config.optimizer, parameterCount: network.layout.parameterCount)
        update = FloatBuffer(count: network.layout.parameterCount)
        batchInput = FloatBuffer(count: maxBatch * data.train.featureCount)
        batchLabels = [Int32](repeating: 0, count: maxBatch * targetsPerSample)
        sampler = BatchSampler(datasetSize: data.train.count, batchSize: batchSize, seed: config.seed)
        activations = StepActivations(network: network, trainingSet: data.train)
        pass = ElementwisePass(layout: network.layout, optimizer: optimizer, update: update, parameters: network.parameters,
                               gradients: network.gradients, pair: pair,
                               observerCapacity: 0)
    }

    /// Step t: trains on the next mini-batch and shows the update to `observers` — in the first pass
    /// (`replay` false: chunked observers that want step t, every plain one through `observe`) or in a
    /// window's replay (chunked ones through their replay chunks, plain ones through `observeReplay`).
    /// Throws `NonFinite` before θ changes when L or Δθ_t is not finite.
    @inline(__always)
    public func run(step t: Int, observers: Observers, replay: Bool) throws -> Result {
        let (epoch, indices) = sampler.nextBatch()
        let b = indices.count, rows = b * targetsPerSample
        let x = batchInput.pointer
        batchLabels.withUnsafeMutableBufferPointer { data.train.gather(indices, inputs: x, targets: $0.baseAddress!) }
        if network.isStochastic { network.beginStep(seed: sampler.seed, step: t) }
        let logits = network.forward(x, batch: b, training: true)
        var correct = 0
        let l = batchLabels.withUnsafeBufferPointer {
            loss.evaluate(logits: logits, labels: $0.baseAddress!, batch: rows, computeGradient: true, correct: &correct)
        }
        guard l.isFinite else { throw NonFinite(what: "the training loss is \(l)", epoch: epoch) }
        batchLabels.withUnsafeBufferPointer { activations.set(batch: b, labels: $0.baseAddress!, count: rows) }
        network.backward(loss.gradient.pointer, batch: b)
        optimizer.beginStep()

        for (k, o) in observers.chunked.enumerated() {
            if replay {
                o.beginReplayStep(step: t)
                pass.activate(o)
            } else {
                observers.wants[k] = o.beginStep(step: t)
                if observers.wants[k] { pass.activate(o) }
            }
        }
        let deferApply = !observers.plain.isEmpty  // plain observers see θ_t after the pass
        let u = update.pointer, theta = network.parameters.pointer
        var sq = pass.run(replay: replay, apply: !deferApply)
        if !sq.isFinite {  // Float32 partial sums overflow beyond ~1.8·10¹⁹; only a NaN or Inf is an error
            guard VectorMath.allFinite(u, count: update.count) else {
                throw NonFinite(what: "the update Δθ contains a non-finite value", epoch: epoch)
            }
            sq = VectorMath.sumOfSquaresInDouble(u, count: update.count)
        }
        let context = StepContext(step: t, epoch: epoch, loss: l, updateSquaredNorm: sq, update: u,
                                  parameters: deferApply ? UnsafePointer(theta) : nil, layout: network.layout,
                                  activations: replay ? nil : activations)
        if !replay { for (k, o) in observers.chunked.enumerated() where observers.wants[k] { o.endStep(context) } }
        if deferApply {
            if replay {
                for o in observers.plain { try o.observeReplay(context) }
            } else {
                for o in observers.plain { o.observe(context) }
            }
            VectorMath.add(u, into: theta, count: update.count)
        }
        return Result(epoch: epoch, loss: l, batchAccuracy: Double(correct) / Double(rows))
    }

    /// Mean loss and accuracy over the whole of `set`, in chunks of `evaluationBatch` samples (per
    /// target: for a text, the mean next-token loss and accuracy over every position of every window).
    public func evaluate(_ set: Dataset) -> (loss: Double, accuracy: Double) {
        var totalLoss = 0.0, totalCorrect = 0
        let d = set.featureCount, perSample = set.targetsPerSample
        var start = 0
        while start < set.count {
            let b = min(evaluationBatch, set.count - start)
            let logits: UnsafeMutablePointer<Float>
            if set.windows == nil {  // images: straight from the set's storage
                logits = set.inputs.withUnsafeBufferPointer { network.forward($0.baseAddress! + start * d, batch: b, training: false) }
                batchLabels.withUnsafeMutableBufferPointer { y in
                    for r in 0..<b { y[r] = set.labels[start + r] }
                }
            } else {
                batchLabels.withUnsafeMutableBufferPointer { set.gather(start..<(start + b), inputs: batchInput.pointer, targets: $0.baseAddress!) }
                logits = network.forward(batchInput.pointer, batch: b, training: false)
            }
            var correct = 0
            let l = batchLabels.withUnsafeBufferPointer {
                loss.evaluate(logits: logits, labels: $0.baseAddress!, batch: b * perSample, computeGradient: false, correct: &correct)
            }
            totalLoss += l * Double(b)
            totalCorrect += correct
            start += b
        }
        return (totalLoss / Double(set.count), Double(totalCorrect) / Double(set.count * perSample))
    }

    /// Refuses a model whose buffers would not fit in this machine's memory, before allocating them:
    /// θ, ∂L/∂θ, Δθ and the optimizer's state (4 bytes per parameter each) and the batch's activations
    /// and their gradients.
    public static func checkMemory(config: TrainConfig, data: DatasetPair, maxBatch: Int) throws {
        let size = try config.model.size(sampleShape: data.train.sampleShape, classCount: data.train.classCount)
        let slots: Double = [OptimizerKind.sgd: 0, .adam: 2][config.optimizer.kind] ?? 1
        let bytes = 4 * Double(size.parameters) * (3 + slots) + 4 * 2 * Double(maxBatch) * Double(size.activationsPerSample)
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes < 0.8 * available else {
            throw CriticalityError(.invalidArgument, String(format: "model %@ has %.3g parameters and needs about %.1f GiB for θ, gradients, updates, optimizer state and activations; this machine has %.1f GiB. Use smaller layer widths or a smaller batch size",
                                                            config.model.model, Double(size.parameters), bytes / 1_073_741_824, available / 1_073_741_824))
        }
    }
}
