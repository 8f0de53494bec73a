import CriticalityCore

/// Settings of the information observer (Fig. 3D–E, SI S9–S11): the interval of the mutual information
/// and of the β* blocks, the histogram, the shuffle null and the memory budget.
public struct InformationSettings: Codable, Equatable, Sendable {
    /// Steps per interval (the authors': 200). One MI value and one principal component per interval.
    public var interval: Int = 200
    /// Bins per axis of the joint histogram (the authors': 50).
    public var bins: Int = 50
    /// Permutations of the shuffle null per interval (activations permuted across the interval's steps).
    public var nullPermutations: Int = 3
    /// Largest memory the observer may hold, in MiB. Beyond it the observer keeps a fixed random subset
    /// of the weights (the same for every interval), documented in its summary.
    public var budgetMiB: Int = 1024
    public var seed: UInt64 = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case interval, bins, nullPermutations = "null_permutations", budgetMiB = "budget_mib", seed
    }

    /// 2 ≤ interval ≤ 100,000; 2 ≤ bins ≤ 1,000; 0 ≤ permutations ≤ 1,000; budget ≥ 1 MiB.
    public func validate() throws {
        guard (2...100_000).contains(interval) else {
            throw CriticalityError(.invalidArgument, "'information-interval' must be in 2…100000 steps; got \(interval)")
        }
        guard (2...1000).contains(bins) else {
            throw CriticalityError(.invalidArgument, "'information-bins' must be in 2…1000; got \(bins)")
        }
        guard (0...1000).contains(nullPermutations) else {
            throw CriticalityError(.invalidArgument, "'information-null' must be in 0…1000 permutations; got \(nullPermutations)")
        }
        guard budgetMiB >= 1 else {
            throw CriticalityError(.invalidArgument, "'information-budget' must be at least 1 MiB; got \(budgetMiB)")
        }
    }
}
