/// Elementwise kernels over Float32 buffers with explicit 16-wide SIMD (one AVX-512 register),
/// for the passes a training step makes over all parameters. Results are independent of the thread
/// count; reductions use a fixed order (16 lanes, then a tree), so they are deterministic.
public enum VectorMath {
    /// Σ xᵢ² accumulated in Float32 lanes (16 partial sums, then summed in Double).
    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int) -> Double {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 32 <= n {
            let a = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let b = raw.loadUnaligned(fromByteOffset: 4 * (i + 16), as: SIMD16<Float>.self)
            acc0 += a * a  // not addProduct: without FMA in the target it becomes a call per lane
            acc1 += b * b
            i += 32
        }
        var total = 0.0
        let acc = acc0 + acc1
        for l in 0..<16 { total += Double(acc[l]) }
        while i < n { total += Double(x[i] * x[i]); i += 1 }
        return total
    }

    /// Σ xᵢ² accumulated in Double: exact where the Float32 lanes of `sumOfSquares` overflow
    /// (|x| ≳ 1.8·10¹⁹ with finite x). The slow path, for the rare step whose fast sum is not finite.
    public static func sumOfSquaresInDouble(_ x: UnsafePointer<Float>, count n: Int) -> Double {
        var total = 0.0
        for i in 0..<n { total += Double(x[i]) * Double(x[i]) }
        return total
    }

    /// Σ xᵢ accumulated in Double (8 + 8 lanes, then across them): a fixed order, a few ulps of Double.
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, count n: Int) -> Double {
        var acc0 = SIMD8<Double>(), acc1 = SIMD8<Double>()
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            acc0 += SIMD8<Double>(v.lowHalf)
            acc1 += SIMD8<Double>(v.highHalf)
            i += 16
        }
        var total = (acc0 + acc1).sum()
        while i < n { total += Double(x[i]); i += 1 }
        return total
    }

    /// Whether every xᵢ is finite (no NaN, no ±Inf).
    public static func allFinite(_ x: UnsafePointer<Float>, count n: Int) -> Bool {
        for i in 0..<n where !x[i].isFinite { return false }
        return true
    }

    /// y ← y + x.
    @inline(__always)
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 16 <= n {
            let a = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let b = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            ry.storeBytes(of: a + b, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// dx ← dy where y > 0, else 0 (ReLU backward from its output).
    @inline(__always)
    public static func reluBackward(output y: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>,
                                    gradInput dx: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let ry = UnsafeRawPointer(y), rdy = UnsafeRawPointer(dy), rdx = UnsafeMutableRawPointer(dx)
        let zero = SIMD16<Float>()
        while i + 16 <= n {
            let v = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let g = rdy.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            rdx.storeBytes(of: zero.replacing(with: g, where: v .> zero), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { dx[i] = y[i] > 0 ? dy[i] : 0; i += 1 }
    }

    /// y ← a·x and returns Σ yᵢ², in one pass (plain SGD's update and its squared norm).
    @inline(__always)
    public static func scaleAndSumSquares(_ x: UnsafePointer<Float>, by a: Float, into y: UnsafeMutablePointer<Float>,
                                          count n: Int) -> Double {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let va = SIMD16<Float>(repeating: a)
        while i + 32 <= n {
            let v0 = va * rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let v1 = va * rx.loadUnaligned(fromByteOffset: 4 * (i + 16), as: SIMD16<Float>.self)
            ry.storeBytes(of: v0, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            ry.storeBytes(of: v1, toByteOffset: 4 * (i + 16), as: SIMD16<Float>.self)
            acc0 += v0 * v0
            acc1 += v1 * v1
            i += 32
        }
        var total = 0.0
        let acc = acc0 + acc1
        for l in 0..<16 { total += Double(acc[l]) }
        while i < n { y[i] = a * x[i]; total += Double(y[i] * y[i]); i += 1 }
        return total
    }
}
