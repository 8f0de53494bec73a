/// What a training step shows its observers. Pointers are valid only during `observe`.
///
/// The update buffer holds Δθ_t exactly as it will be applied (θ_{t+1} = θ_t + Δθ_t); `parameters`
/// holds θ_t (before the update).
public struct StepContext {
    /// Index t of this update, from 0.
    public var step: Int
    public var epoch: Int
    /// Mini-batch loss at θ_t.
    public var loss: Double
    /// Σ_k Δθ_k², computed once by the trainer.
    public var updateSquaredNorm: Double
    public var update: UnsafePointer<Float>
    public var parameters: UnsafePointer<Float>
    public var layout: ParameterLayout
}

/// A streaming measurement of training. Each observer owns state of bounded size, independent of the
/// number of steps; the trainer knows none of them by name (ARCHITECTURE.md, "Observers").
public protocol TrainingObserver: AnyObject {
    /// Folder name under `observers/` in the run directory.
    var name: String { get }
    /// Bytes of state the observer holds (reported in the manifest; must not grow with steps).
    var memoryBytes: Int { get }
    /// Called once per step, after the update is computed and before it is applied.
    func observe(_ context: StepContext)
    /// Writes its state into `directory` (a checkpoint's folder for this observer).
    func saveState(to directory: String) throws
    /// Restores the state written by `saveState`.
    func restoreState(from directory: String) throws
    /// Writes its outputs into `directory` when training ends; returns the file names written.
    func finish(into directory: String, finalParameters: UnsafePointer<Float>) throws -> [String]
}
