import CriticalityCore
import Foundation

/// A minimal little-endian binary container for observer checkpoint state: a sequence of tagged
/// arrays and scalars written and read back in the same order. Not an interchange format (outputs are
/// `.npy`); it exists so that large state (histograms, reservoirs) is saved fast and exactly.
public struct BinaryWriter {
    /// The format tag at the start of every state file. Version 2 (2026-11-29): update samples are
    /// `UniformSample`s (planned positions) instead of Algorithm L reservoirs.
    static let magic = "CRITSTATE2"
    public private(set) var data = Data()
    public init() { data.append(contentsOf: Array(BinaryWriter.magic.utf8)) }

    public mutating func write<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    public mutating func write(_ v: Double) { write(v.bitPattern) }
    public mutating func write(_ v: Float) { write(v.bitPattern) }
    public mutating func write(_ v: Bool) { write(UInt8(v ? 1 : 0)) }
    public mutating func write<T: FixedWidthInteger>(_ a: [T]) {
        write(UInt64(a.count))
        for v in a { write(v) }
    }
    public mutating func write(_ a: [Double]) { write(UInt64(a.count)); for v in a { write(v) } }
    public mutating func write(_ a: [Float]) { write(UInt64(a.count)); for v in a { write(v) } }
    public mutating func write(_ r: RNG) { write(r.s0); write(r.s1); write(r.s2); write(r.s3) }
}

public struct BinaryReader {
    let bytes: [UInt8]
    var offset = 10
    public let name: String

    public init(data: Data, name: String) throws {
        bytes = [UInt8](data)
        self.name = name
        if bytes.count >= 10, Array(bytes[0..<10]) == Array("CRITSTATE1".utf8) {
            throw CriticalityError(.corruptFile, "\(name): observer state written by an earlier version of Criticality (format 1, reservoir samples), which this version cannot continue; train the run again")
        }
        guard bytes.count >= 10, Array(bytes[0..<10]) == Array(BinaryWriter.magic.utf8) else {
            throw CriticalityError(.corruptFile, "\(name): not an observer state file")
        }
    }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard offset + n <= bytes.count else {
            throw CriticalityError(.corruptFile, "\(name): truncated observer state at byte \(offset) (needs \(n) more bytes); the checkpoint is damaged")
        }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let s = try take(MemoryLayout<T>.size)
        var v: T = 0
        withUnsafeMutableBytes(of: &v) { $0.copyBytes(from: s) }
        return T(littleEndian: v)
    }
    public mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }
    public mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
    public mutating func readBool() throws -> Bool { try read(UInt8.self) != 0 }
    /// An array written by `write(_:)`; its announced length is checked against the bytes left before
    /// anything is allocated.
    public mutating func readArray<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
        let announced = try read(UInt64.self)
        let left = UInt64(bytes.count - offset) / UInt64(MemoryLayout<T>.size)
        guard announced <= left else {
            throw CriticalityError(.corruptFile, "\(name): an array at byte \(offset - 8) announces \(announced) elements but only \(left) fit in the rest of the file; the checkpoint is damaged")
        }
        return try (0..<Int(announced)).map { _ in try read(T.self) }
    }

    /// A count written as UInt64, at most `limit`.
    public mutating func readCount(atMost limit: Int, what: String) throws -> Int {
        let v = try read(UInt64.self)
        guard v <= UInt64(limit) else {
            throw CriticalityError(.corruptFile, "\(name): \(what) \(v) at byte \(offset - 8) is more than \(limit); the checkpoint is damaged")
        }
        return Int(v)
    }
    public mutating func readDoubles() throws -> [Double] { try readArray(UInt64.self).map(Double.init(bitPattern:)) }
    public mutating func readFloats() throws -> [Float] { try readArray(UInt32.self).map(Float.init(bitPattern:)) }
    public mutating func readRNG() throws -> RNG {
        var r = RNG(seed: 0, stream: .sampling)
        r.s0 = try read(); r.s1 = try read(); r.s2 = try read(); r.s3 = try read()
        // xoshiro256**'s one forbidden state: it yields zeros forever (a restored sample's plan would
        // then draw the same position without end — found by the fuzzer, Fuzz/corpus/observer-state).
        guard r.s0 | r.s1 | r.s2 | r.s3 != 0 else {
            throw CriticalityError(.corruptFile, "\(name): a random-generator state of all zeros, which no run writes; the file is damaged")
        }
        return r
    }
}
