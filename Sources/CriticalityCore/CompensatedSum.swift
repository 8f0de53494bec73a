/// A running sum of Doubles with Neumaier's compensation: the error of n additions stays at a few ulps
/// of the result instead of growing as n·ε·Σ|x|. Used wherever many small terms of either sign are
/// added (the per-sample loss changes of a perturbation scan, whose total is 10⁻⁷ of the terms' size).
public struct CompensatedSum: Sendable {
    public private(set) var sum = 0.0
    private var compensation = 0.0

    public init() {}

    /// sum += x, keeping the low-order bits lost in the addition.
    @inline(__always)
    public mutating func add(_ x: Double) {
        let t = sum + x
        if abs(sum) >= abs(x) { compensation += (sum - t) + x } else { compensation += (x - t) + sum }
        sum = t
    }

    /// The compensated total.
    public var value: Double { sum + compensation }
}
