import CKernels
import XCTest
@testable import CriticalityCore

/// The C kernels behind Conv2D and BatchNorm2D (conv.c, batchnorm.c): each against its definition
/// written out in Swift, and each CPU path (AVX-512, AVX2, baseline; `crit_set_isa_limit`) against the
/// others bit for bit, on shapes whose rows are not a whole number of vectors.
final class ConvKernelTests: XCTestCase {
    override func tearDown() { _ = crit_set_isa_limit(2) }

    /// The instruction-set levels this machine can run (a level it lacks falls back to a lower one).
    private var levels: [Int32] {
        var seen: [Int32] = []
        for level: Int32 in [2, 1, 0] {
            let ran = crit_set_isa_limit(level)
            if !seen.contains(ran) { seen.append(ran) }
        }
        _ = crit_set_isa_limit(2)
        return seen
    }

    /// Fails with the first differing index and the number of differences (not the whole arrays).
    private func assertSameBits<T: Equatable>(_ a: [T], _ b: [T], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let differing = (0..<min(a.count, b.count)).filter { a[$0] != b[$0] }
        if let first = differing.first {
            XCTFail("\(what): \(differing.count) of \(a.count) differ, the first at \(first) (\(a[first]) against \(b[first]))", file: file, line: line)
        }
    }

    private func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RNG(seed: seed, stream: .sampling)
        return (0..<n).map { _ in rng.uniformFloat() * 2 - 1 }
    }

    /// (channels, height, width, kernel, stride, padding): the CNN's two shapes at both inputs, and odd ones.
    private let shapes: [(Int, Int, Int, Int, Int, Int)] = [
        (3, 32, 32, 3, 1, 1), (32, 16, 16, 3, 1, 1), (1, 28, 28, 3, 1, 1), (32, 14, 14, 3, 1, 1),
        (2, 5, 37, 3, 1, 1), (3, 7, 19, 5, 1, 2), (2, 6, 9, 3, 1, 0), (2, 9, 11, 3, 2, 1), (1, 3, 3, 3, 1, 2),
    ]

    func testIm2colIsItsDefinitionOnEveryPath() {
        for (channels, h, w, k, s, p) in shapes {
            let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1, positions = oh * ow
            let samples = 3, batch = 5, first = 1  // samples 1...3 of a batch of 5, in both layouts
            for channelMajor in [false, true] {
                let x = random(batch * channels * h * w, seed: UInt64(h * 100 + w))
                let sampleStride = channelMajor ? h * w : channels * h * w
                let channelStride = channelMajor ? batch * h * w : h * w
                let n = samples * positions, rows = channels * k * k
                var expected = [Float](repeating: 0, count: rows * n)
                for b in 0..<samples { for c in 0..<channels { for i in 0..<k { for j in 0..<k {
                    for r in 0..<oh { for q in 0..<ow {
                        let ih = r * s - p + i, iw = q * s - p + j
                        let inside = ih >= 0 && ih < h && iw >= 0 && iw < w
                        expected[((c * k + i) * k + j) * n + b * positions + r * ow + q] =
                            inside ? x[(first + b) * sampleStride + c * channelStride + ih * w + iw] : 0
                    } }
                } } } }
                for level in levels {
                    _ = crit_set_isa_limit(level)
                    var col = [Float](repeating: .nan, count: rows * n)
                    x.withUnsafeBufferPointer { xp in
                        crit_im2col(xp.baseAddress! + first * sampleStride, sampleStride, channelStride, samples, Int32(channels),
                                    Int32(h), Int32(w), Int32(k), Int32(s), Int32(p), &col)
                    }
                    assertSameBits(col.map(\.bitPattern), expected.map(\.bitPattern),
                                   "im2col \(channels)×\(h)×\(w) k\(k) s\(s) p\(p) channel-major \(channelMajor), level \(level)")
                }
            }
        }
    }

    func testCol2imIsTheAdjointWithTheSameBitsOnEveryPath() {
        for (channels, h, w, k, s, p) in shapes {
            let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1, positions = oh * ow
            let samples = 2, planeSize = h * w, sampleStride = channels * planeSize
            let n = samples * positions, rows = channels * k * k
            let col = random(rows * n, seed: UInt64(7 * h + w))
            // The definition: zero, then add every entry in order kernel row, kernel column, output row, column.
            var expected = [Float](repeating: 0, count: samples * sampleStride)
            for b in 0..<samples { for c in 0..<channels { for i in 0..<k { for j in 0..<k {
                for r in 0..<oh { for q in 0..<ow {
                    let ih = r * s - p + i, iw = q * s - p + j
                    if ih >= 0 && ih < h && iw >= 0 && iw < w {
                        expected[b * sampleStride + c * planeSize + ih * w + iw] += col[((c * k + i) * k + j) * n + b * positions + r * ow + q]
                    }
                } }
            } } } }
            for level in levels {
                _ = crit_set_isa_limit(level)
                var dx = [Float](repeating: .nan, count: samples * sampleStride)
                crit_col2im(col, sampleStride, planeSize, samples, Int32(channels), Int32(h), Int32(w), Int32(k), Int32(s), Int32(p), &dx)
                assertSameBits(dx.map(\.bitPattern), expected.map(\.bitPattern),
                               "col2im \(channels)×\(h)×\(w) k\(k) s\(s) p\(p), level \(level)")
            }
        }
    }

    /// Batch norm's four passes on planes of 196 values (12 vectors and a tail of 4) at a stride of
    /// 200: identical bits on every path, the moments within 1e-12 relative of a Double reference, the
    /// fused ReLU's output non-negative with NaN kept.
    func testBatchNormPassesAgreeOnEveryPath() {
        let planes = 7, n = 196, stride = 200
        var x = random(planes * stride, seed: 3).map { $0 * 3 + 0.5 }
        x[5] = .nan  // in a vector; not in the moments below (they read a copy without it)
        let dy = random(planes * stride, seed: 4)
        var clean = x
        clean[5] = 0.25
        var results: [[UInt64]] = []
        for level in levels {
            _ = crit_set_isa_limit(level)
            var sum = 0.0, ssd = 0.0
            crit_bn_moments(clean, stride, planes, n, &sum, &ssd)
            let values = (0..<planes).flatMap { b in (0..<n).map { Double(clean[b * stride + $0]) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let reference = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            XCTAssertEqual(sum / Double(values.count), mean, accuracy: 1e-12 * max(1, abs(mean)))
            XCTAssertEqual(ssd, reference, accuracy: 1e-12 * reference)
            let m = Float(mean), inv = 1 / Float(reference / Double(values.count) + 1e-5).squareRoot()
            var y = [Float](repeating: 7, count: planes * stride)
            crit_bn_normalize(x, stride, planes, n, m, inv, 1.5, -0.25, 1, &y)
            XCTAssertTrue(y[5].isNaN, "the fused ReLU keeps a NaN (as Swift's max)")
            for b in 0..<planes { for i in 0..<n where b * stride + i != 5 { XCTAssertGreaterThanOrEqual(y[b * stride + i], 0) } }
            XCTAssertEqual(y[n], 7, "the gap between planes is not written")
            var sg = 0.0, sgh = 0.0
            crit_bn_backward_sums(dy, clean, y, stride, planes, n, m, inv, &sg, &sgh)
            var dx = [Float](repeating: 7, count: planes * stride)
            crit_bn_input_gradient(dy, clean, y, stride, planes, n, m, inv, 1.5 * inv, Float(sg) / Float(planes * n),
                                   Float(sgh) / Float(planes * n), &dx)
            results.append([sum.bitPattern, ssd.bitPattern, sg.bitPattern, sgh.bitPattern]
                           + y.map { UInt64($0.bitPattern) } + dx.map { UInt64($0.bitPattern) })
        }
        for (i, r) in results.enumerated().dropFirst() { assertSameBits(r, results[0], "level \(levels[i]) against level \(levels[0])") }
    }
}
