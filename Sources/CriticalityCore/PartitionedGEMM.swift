import CBLAS

/// How `PartitionedGEMM` cuts an m×n×k product C = op(A)·op(B) (row-major) into parts: blocks of C's
/// rows, of its columns, or of the inner dimension k (each part then writes a partial product to
/// scratch, and the partials are added in part order). The plan depends on (m, n, k) alone — never
/// on how many threads run it — so a product is bit-identical whichever thread computes which part and
/// whether one or two do.
public struct GEMMPartition: Equatable, Sendable {
    public enum Axis: Equatable, Sendable { case rows, columns, depth }
    public var axis: Axis
    public var parts: Int
    /// Rows, columns or depth per part (a multiple of `alignment`, except the last part's).
    public var size: Int

    /// Parts are not cut below this many FLOPs: a part then costs tens of µs, so the claim (~0.1 µs) and
    /// the repeated packing of the operand all parts share stay small beside it.
    public static let minimumPartFLOPs = 6.0e6
    /// At most this many parts: two threads balance with 2–4, and more parts pack the shared operand
    /// more often. Chosen, not tuned: `mlp-large` (4 column parts per product) runs on two threads at
    /// the old OpenBLAS-threaded rate (docs/benchmarks.md, issue 14).
    public static let maximumParts = 4
    /// Block edges fall on multiples of this (the AVX-512 sgemm kernels' 16-float tile width).
    public static let alignment = 16
    /// The inner dimension is cut instead of C when it is at least this many times C's longer side
    /// (a convolution's ∂W: C is C_out × C_in·9, k is the batch's B·H·W positions): C is then too small
    /// to cut, and each of its blocks would pack the whole of a long operand again.
    public static let depthRatio = 8

    /// The partition of an m×n×k product: the longer of C's sides (or k, see `depthRatio`) is cut into
    /// the largest power-of-two count of parts ≤ `maximumParts` whose FLOPs stay ≥ `minimumPartFLOPs`
    /// and whose extent stays ≥ `alignment`; one part when the product is small.
    public static func plan(m: Int, n: Int, k: Int) -> GEMMPartition {
        let side = max(m, n)
        let axis: Axis = k >= depthRatio * side ? .depth : (m > n ? .rows : .columns)
        let extent = axis == .depth ? k : side
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        var parts = 1
        while parts < maximumParts && flops / Double(parts * 2) >= minimumPartFLOPs && extent >= parts * 2 * alignment {
            parts *= 2
        }
        if parts == 1 { return GEMMPartition(axis: axis == .depth ? .columns : axis, parts: 1, size: extent) }
        let size = ((extent + parts - 1) / parts + alignment - 1) / alignment * alignment
        return GEMMPartition(axis: axis, parts: (extent + size - 1) / size, size: size)
    }
}

/// C = α·op(A)·op(B) + β·C (row-major Float32, `BLAS.sgemm`'s arguments) on a `WorkerPair`: C is cut by
/// `GEMMPartition.plan` and each part is one single-threaded backend GEMM, claimed by whichever thread
/// is free; an optional bias (one value per row or per column of C) is written into each part of C
/// before its GEMM adds to it, while the block is in cache. Creating one sets the backend to one
/// thread: its own threading would cut each part again, by the thread count, and make the numbers
/// depend on it.
///
/// Not reentrant: one caller at a time (a training step is one thread of control). The scratch for
/// depth-cut products grows on first use, so a network's first step allocates and later ones do not.
public final class PartitionedGEMM {
    /// What C holds before the product is added: its old value times β, or a bias broadcast.
    public enum Start {
        /// β·C (β = 0: nothing).
        case scaled(Float)
        /// C[i][j] = bias[i] (one value per row of C), then + α·op(A)·op(B).
        case rowBias(UnsafePointer<Float>)
        /// C[i][j] = bias[j] (one value per column of C), then + α·op(A)·op(B).
        case columnBias(UnsafePointer<Float>)
    }

    public let pair: WorkerPair
    // The running product (the worker reads it only for a part it has claimed).
    private var transA = false, transB = false
    private var m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0
    private var alpha: Float = 1
    private var start = Start.scaled(0)
    private var a: UnsafePointer<Float>?, b: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>?
    private var partition = GEMMPartition(axis: .columns, parts: 1, size: 0)
    private var scratch = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var scratchCount = 1

    public init(pair: WorkerPair) {
        self.pair = pair
        BLAS.threads = 1
    }

    deinit { scratch.deallocate() }

    @inline(__always)
    public func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
              start: .scaled(beta), c: c, ldc: ldc)
    }

    /// C = start + α·op(A)·op(B), `start` one of β·C or a broadcast bias.
    public func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        start: Start, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        self.transA = transA; self.transB = transB
        self.m = m; self.n = n; self.k = k; self.lda = lda; self.ldb = ldb; self.ldc = ldc
        self.alpha = alpha; self.start = start
        self.a = a; self.b = b; self.c = c
        partition = GEMMPartition.plan(m: m, n: n, k: k)
        if partition.parts == 1 { run(part: 0); return }
        if partition.axis == .depth && scratchCount < partition.parts * m * n {
            scratch.deallocate()
            scratchCount = partition.parts * m * n
            scratch = .allocate(capacity: scratchCount)
        }
        pair.run(items: partition.parts, share: true, context: Unmanaged.passUnretained(self).toOpaque()) { context, part, _ in
            Unmanaged<PartitionedGEMM>.fromOpaque(context!).takeUnretainedValue().run(part: part)
        }
        if partition.axis == .depth { addPartials() }
    }

    /// Part `i` of the running product.
    private func run(part i: Int) {
        let first = i * partition.size
        var rows = 0..<m, columns = 0..<n, depth = 0..<k
        switch partition.axis {
        case .rows: rows = first..<min(first + partition.size, m)
        case .columns: columns = first..<min(first + partition.size, n)
        case .depth: depth = first..<min(first + partition.size, k)
        }
        // op(A) is m×k: A[r][l] untransposed, A[l][r] transposed; op(B) is k×n likewise.
        let aPart = a! + (transA ? depth.lowerBound * lda + rows.lowerBound : rows.lowerBound * lda + depth.lowerBound)
        let bPart = b! + (transB ? columns.lowerBound * ldb + depth.lowerBound : depth.lowerBound * ldb + columns.lowerBound)
        if partition.axis == .depth && partition.parts > 1 {
            crit_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(depth.count), alpha, aPart, Int32(lda),
                       bPart, Int32(ldb), 0, scratch + i * m * n, Int32(n))
            return
        }
        let cPart = c! + rows.lowerBound * ldc + columns.lowerBound
        var beta: Float = 1
        switch start {
        case .scaled(let s): beta = s
        case .rowBias(let bias):
            for r in rows { (c! + r * ldc + columns.lowerBound).update(repeating: bias[r], count: columns.count) }
        case .columnBias(let bias):
            for r in rows { (c! + r * ldc + columns.lowerBound).update(from: bias + columns.lowerBound, count: columns.count) }
        }
        crit_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(rows.count), Int32(columns.count), Int32(k), alpha,
                   aPart, Int32(lda), bPart, Int32(ldb), beta, cPart, Int32(ldc))
    }

    /// C = start + Σ_parts partial, the partials added in part order (a depth-cut product's C is small).
    private func addPartials() {
        for r in 0..<m {
            let row = c! + r * ldc
            switch start {
            case .scaled(let beta):
                if beta == 0 { row.update(repeating: 0, count: n) } else if beta != 1 { for j in 0..<n { row[j] *= beta } }
            case .rowBias(let bias): row.update(repeating: bias[r], count: n)
            case .columnBias(let bias): row.update(from: bias, count: n)
            }
            for p in 0..<partition.parts {
                let partial = scratch + p * m * n + r * n
                for j in 0..<n { row[j] += partial[j] }
            }
        }
    }
}
