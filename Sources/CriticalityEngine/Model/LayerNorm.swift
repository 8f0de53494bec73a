import CKernels
import CriticalityCore

/// Layer normalization over the last dimension (PyTorch's `nn.LayerNorm(d, eps=1e-5)`), row by row:
///
///     μ = mean(x),  σ² = mean((x − μ)²)  (biased),  r = 1/√(σ² + ε),  x̂ = (x − μ)·r,  y = γ ⊙ x̂ + β
///
/// Moments are accumulated in Double (a row of 128 Float32 values loses nothing), then rounded.
/// Backward, with g = ∂L/∂y ⊙ γ:  ∂L/∂x = r·(g − mean(g) − x̂·mean(g ⊙ x̂)),  ∂L/∂γ = Σ_rows ∂L/∂y ⊙ x̂,
/// ∂L/∂β = Σ_rows ∂L/∂y. Rows are independent (a caller may split them across threads); the row sums
/// for γ and β run in row order on one thread, so nothing depends on the thread count. The loops are
/// C kernels (`crit_layer_norm_*`, Sources/CKernels/transformer.c).
public enum LayerNorm {
    /// PyTorch's default ε.
    public static let epsilon = 1e-5

    /// Normalizes rows `rows` of `d` values of `x` into `y`, keeping x̂ and r for `backward`.
    @inline(__always)
    public static func forward(_ x: UnsafePointer<Float>, rows: Range<Int>, d: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                               normalized xhat: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        crit_layer_norm_forward(x, rows.lowerBound, rows.upperBound, d, gamma, beta, xhat, rstd, y, epsilon)
    }

    /// ∂L/∂x of rows `rows` into `dx` (distinct from `dy`).
    @inline(__always)
    public static func backwardInput(_ dy: UnsafePointer<Float>, rows: Range<Int>, d: Int, gamma: UnsafePointer<Float>,
                                     normalized xhat: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        crit_layer_norm_backward(dy, rows.lowerBound, rows.upperBound, d, gamma, xhat, rstd, dx)
    }

    /// ∂L/∂γ and ∂L/∂β (overwritten) over `rows` rows, in row order.
    @inline(__always)
    public static func backwardParameters(_ dy: UnsafePointer<Float>, rows: Int, d: Int, normalized xhat: UnsafePointer<Float>,
                                          gradGamma: UnsafeMutablePointer<Float>, gradBeta: UnsafeMutablePointer<Float>) {
        crit_layer_norm_parameter_gradients(dy, xhat, rows, d, gradGamma, gradBeta)
    }
}
