import CriticalityCore
import Foundation

/// NumPy's `.npy` format, versions 1.0–3.0 (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
/// magic `\x93NUMPY`, major/minor version bytes, a little-endian header length (UInt16 for 1.0,
/// UInt32 for 2.0/3.0), an ASCII Python-dict header `{'descr': '<f4', 'fortran_order': False, 'shape': (…), }`
/// padded with spaces and a newline so the data starts at a multiple of 64, then the raw data.
/// We write version 1.0, little-endian, C order; we read the numeric dtypes below in either byte order.
public struct NpyDType: Equatable, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Character, Sendable { case float = "f", signed = "i", unsigned = "u", bool = "b" }
    public var kind: Kind
    /// Bytes per element.
    public var size: Int
    public var bigEndian: Bool

    public static let float32 = NpyDType(kind: .float, size: 4, bigEndian: false)
    public static let float64 = NpyDType(kind: .float, size: 8, bigEndian: false)
    public static let int64 = NpyDType(kind: .signed, size: 8, bigEndian: false)
    public static let int32 = NpyDType(kind: .signed, size: 4, bigEndian: false)
    public static let uint64 = NpyDType(kind: .unsigned, size: 8, bigEndian: false)
    public static let uint8 = NpyDType(kind: .unsigned, size: 1, bigEndian: false)

    /// The `descr` we write: `<f4`, `<f8`, `<i8`, `<i4`, `<u8`, `|u1`.
    public var rawValue: String { (size == 1 ? "|" : bigEndian ? ">" : "<") + "\(kind.rawValue)\(size)" }
    public var description: String { rawValue }

    /// Parses a `descr`: byte order `<` (little), `>` (big), `=` or `|` (native: little on every machine
    /// Criticality runs on), then f4, f8, i1/i2/i4/i8, u1/u2/u4/u8 or b1. nil if unsupported.
    public init?(descr: String) {
        var text = Substring(descr)
        var big = false
        if let first = text.first, "<>=|".contains(first) { big = first == ">"; text = text.dropFirst() }
        guard let k = text.first.flatMap(Kind.init(rawValue:)), let n = Int(text.dropFirst()) else { return nil }
        let valid: Set<Int> = k == .float ? [4, 8] : k == .bool ? [1] : [1, 2, 4, 8]
        guard valid.contains(n) else { return nil }
        self.init(kind: k, size: n, bigEndian: big && n > 1)
    }

    init(kind: Kind, size: Int, bigEndian: Bool) { self.kind = kind; self.size = size; self.bigEndian = bigEndian }
}

/// Element types that can be written to `.npy`.
public protocol NpyElement { static var npyDType: NpyDType { get } }
extension Float: NpyElement { public static var npyDType: NpyDType { .float32 } }
extension Double: NpyElement { public static var npyDType: NpyDType { .float64 } }
extension Int64: NpyElement { public static var npyDType: NpyDType { .int64 } }
extension Int32: NpyElement { public static var npyDType: NpyDType { .int32 } }
extension UInt8: NpyElement { public static var npyDType: NpyDType { .uint8 } }
extension UInt64: NpyElement { public static var npyDType: NpyDType { .uint64 } }

/// The header of a `.npy` file: what it holds and where its data starts.
public struct NpyHeader: Equatable, Sendable {
    public var dtype: NpyDType
    public var shape: [Int]
    public var fortranOrder: Bool
    /// Byte offset of the first element.
    public var dataOffset: Int
    /// Π shape and Π shape × element size, checked when the header is parsed (no overflow).
    public var elementCount: Int
    public var dataBytes: Int

    public init(dtype: NpyDType, shape: [Int], fortranOrder: Bool, dataOffset: Int) throws {
        self.dtype = dtype; self.shape = shape; self.fortranOrder = fortranOrder; self.dataOffset = dataOffset
        var n = 1
        for d in shape {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw CriticalityError(.corruptFile, "shape \(shape) has more elements than any file can hold") }
            n = m
        }
        let (bytes, o) = n.multipliedReportingOverflow(by: dtype.size)
        guard !o else { throw CriticalityError(.corruptFile, "shape \(shape) of \(dtype) needs more bytes than any file can hold") }
        elementCount = n
        dataBytes = bytes
    }
}

/// The Python literal of a `.npy` header: a dict of strings, booleans and tuples of integers, as
/// `ast.literal_eval` reads it (a repeated key keeps its last value, as in Python).
struct NpyHeaderLiteral {
    enum Value { case string(String), bool(Bool), tuple([Int]) }
    private let chars: [Character]
    private var i = 0
    let name: String

    /// Parses `text`; throws naming the offset of the first thing that is not part of such a dict.
    static func parse(_ text: String, name: String) throws -> [String: Value] {
        var p = NpyHeaderLiteral(chars: Array(text), name: name)
        return try p.dict()
    }

    private init(chars: [Character], name: String) { self.chars = chars; self.name = name }

    private func fail(_ what: String) -> CriticalityError {
        CriticalityError(.corruptFile, "\(name): .npy header is not a Python dict literal: \(what) at character \(i) of «\(String(chars))»")
    }
    private mutating func space() { while i < chars.count, chars[i].isWhitespace { i += 1 } }
    private mutating func expect(_ c: Character) throws {
        space()
        guard i < chars.count, chars[i] == c else { throw fail("expected '\(c)'") }
        i += 1
    }
    private mutating func string() throws -> String {
        space()
        guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw fail("expected a quoted string") }
        let q = chars[i]; i += 1
        var out = ""
        while i < chars.count, chars[i] != q {
            guard chars[i] != "\\" else { throw fail("escape sequences are not allowed") }
            out.append(chars[i]); i += 1
        }
        guard i < chars.count else { throw fail("unterminated string") }
        i += 1
        return out
    }
    private mutating func value() throws -> Value {
        space()
        guard i < chars.count else { throw fail("expected a value") }
        if chars[i] == "'" || chars[i] == "\"" { return .string(try string()) }
        if chars[i] == "(" {
            i += 1
            var items: [Int] = []
            while true {
                space()
                if i < chars.count, chars[i] == ")" { i += 1; return .tuple(items) }
                var digits = ""
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { digits.append(chars[i]); i += 1 }
                if i < chars.count, chars[i] == "L" { i += 1 }  // Python 2 long suffix (old NumPy files)
                guard let v = Int(digits) else { throw fail("expected a non-negative integer dimension") }
                items.append(v)
                space()
                if i < chars.count, chars[i] == "," { i += 1; continue }
                try expect(")")
                return .tuple(items)
            }
        }
        for (word, b) in [("True", true), ("False", false)] where chars[i...].starts(with: word) {
            i += word.count
            return .bool(b)
        }
        throw fail("expected a string, True/False or a tuple")
    }
    private mutating func dict() throws -> [String: Value] {
        try expect("{")
        var out: [String: Value] = [:]
        while true {
            space()
            if i < chars.count, chars[i] == "}" { i += 1; break }
            let k = try string()
            try expect(":")
            out[k] = try value()
            space()
            if i < chars.count, chars[i] == "," { i += 1; continue }
            try expect("}")
            break
        }
        space()
        guard i == chars.count else { throw fail("text after the dict") }
        return out
    }
}

public enum Npy {
    /// Serializes `values` with `shape` (default: 1-D) as `.npy` bytes.
    public static func encode<T: NpyElement>(_ values: UnsafeBufferPointer<T>, shape: [Int]? = nil) -> Data {
        let shape = shape ?? [values.count]
        precondition(shape.reduce(1, *) == values.count, "npy shape \(shape) does not match \(values.count) values")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(T.npyDType.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let len = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(len & 0xff), UInt8(len >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(UnsafeRawBufferPointer(values).bindMemory(to: UInt8.self))
        return data
    }

    public static func encode<T: NpyElement>(_ values: [T], shape: [Int]? = nil) -> Data {
        values.withUnsafeBufferPointer { encode($0, shape: shape) }
    }

    /// Parses the header at the start of `bytes` (which may be only the file's first few kilobytes).
    /// `name` is used in error messages.
    public static func parseHeader(_ bytes: Data, name: String) throws -> NpyHeader {
        let b = [UInt8](bytes.prefix(65_546))
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard b.count >= 10, Array(b[0..<6]) == magic else {
            throw CriticalityError(.corruptFile, "\(name): not a .npy file (no \\x93NUMPY magic at byte 0)")
        }
        let major = b[6]
        let headerLength: Int, start: Int
        switch major {
        case 1: headerLength = Int(b[8]) | Int(b[9]) << 8; start = 10
        case 2, 3:
            guard b.count >= 12 else { throw CriticalityError(.corruptFile, "\(name): truncated .npy header") }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; start = 12
        default:
            throw CriticalityError(.corruptFile, "\(name): unsupported .npy version \(major).\(b[7]) at byte 6")
        }
        guard b.count >= start + headerLength else {
            throw CriticalityError(.corruptFile, "\(name): truncated .npy header (needs \(start + headerLength) bytes, file has \(bytes.count))")
        }
        guard let text = String(bytes: b[start..<(start + headerLength)], encoding: .utf8) else {
            throw CriticalityError(.corruptFile, "\(name): .npy header is not text")
        }
        let d = try NpyHeaderLiteral.parse(text, name: name)
        guard Set(d.keys) == ["descr", "fortran_order", "shape"] else {
            throw CriticalityError(.corruptFile, "\(name): .npy header must have exactly the keys 'descr', 'fortran_order', 'shape' (as NumPy requires); it has \(d.keys.sorted())")
        }
        guard case .string(let descr) = d["descr"]! else {
            throw CriticalityError(.corruptFile, "\(name): .npy header's 'descr' is not a string: \(text)")
        }
        guard let dtype = NpyDType(descr: descr) else {
            throw CriticalityError(.invalidArgument,
                "\(name): dtype '\(descr)' is not supported; save the array as float32 ('<f4') or float64 ('<f8') (e.g. `np.save(path, a.astype(np.float64))`)")
        }
        guard case .bool(let fortran) = d["fortran_order"]! else {
            throw CriticalityError(.corruptFile, "\(name): .npy header's 'fortran_order' is not True or False: \(text)")
        }
        guard case .tuple(let shape) = d["shape"]! else {
            throw CriticalityError(.corruptFile, "\(name): .npy header's 'shape' is not a tuple: \(text)")
        }
        do {
            return try NpyHeader(dtype: dtype, shape: shape, fortranOrder: fortran, dataOffset: start + headerLength)
        } catch let e as CriticalityError {
            throw CriticalityError(.corruptFile, "\(name): .npy \(e.message)")
        }
    }

    /// Reads a whole `.npy` file and converts its elements to `Double`.
    public static func readDoubles(path: String) throws -> (values: [Double], shape: [Int]) {
        let (header, data) = try readRaw(path: path)
        return try decodeDoubles(header: header, data: data, name: path)
    }

    /// The elements of `.npy` bytes as Double; `name` is used in error messages.
    public static func decodeDoubles(_ data: Data, name: String) throws -> (values: [Double], shape: [Int]) {
        let header = try parseHeader(data, name: name)
        try checkLength(header, available: data.count - header.dataOffset, name: name)
        return try decodeDoubles(header: header, data: data, name: name)
    }

    static func checkLength(_ header: NpyHeader, available: Int, name: String) throws {
        guard available >= header.dataBytes else {
            throw CriticalityError(.corruptFile,
                "\(name): truncated .npy: header promises shape \(header.shape) of \(header.dtype.rawValue) = \(header.dataBytes) bytes, but only \(available) bytes follow the header")
        }
    }

    static func decodeDoubles(header: NpyHeader, data: Data, name path: String) throws -> (values: [Double], shape: [Int]) {
        guard !header.fortranOrder || header.shape.count <= 2 else {
            throw CriticalityError(.invalidArgument, "\(path): Fortran-order arrays of more than 2 dimensions are not supported; save with np.ascontiguousarray(a)")
        }
        var out = [Double](repeating: 0, count: header.elementCount)
        data.withUnsafeBytes { raw in
            let p = raw.baseAddress! + header.dataOffset
            convert(p, dtype: header.dtype, count: header.elementCount, into: &out)
        }
        return (header.fortranOrder ? transposeFortran(out, shape: header.shape) : out, header.shape)
    }

    /// Reads a whole `.npy` file of float32 elements (checkpoints).
    public static func readFloats(path: String) throws -> (values: [Float], shape: [Int]) {
        let (header, data) = try readRaw(path: path)
        guard header.dtype == .float32 else {
            throw CriticalityError(.corruptFile, "\(path): expected little-endian float32 data ('<f4'), found '\(header.dtype.rawValue)'")
        }
        var out = [Float](repeating: 0, count: header.elementCount)
        data.withUnsafeBytes { raw in
            out.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[header.dataOffset..<(header.dataOffset + header.dataBytes)])) }
        }
        return (out, header.shape)
    }

    static func readRaw(path: String) throws -> (NpyHeader, Data) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CriticalityError(.invalidArgument, "\(path) is a folder, not a .npy file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "\(path): cannot read the file (missing or unreadable)")
        }
        let header = try parseHeader(data, name: path)
        try checkLength(header, available: data.count - header.dataOffset, name: path)
        return (header, data)
    }

    /// Converts `count` elements of `dtype` at `p` (any alignment, either byte order) to Double.
    public static func convert(_ p: UnsafeRawPointer, dtype: NpyDType, count: Int, into out: UnsafeMutablePointer<Double>) {
        @inline(__always) func load<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            let v = p.loadUnaligned(fromByteOffset: MemoryLayout<T>.size * i, as: T.self)
            return dtype.bigEndian ? T(bigEndian: v) : T(littleEndian: v)
        }
        switch (dtype.kind, dtype.size) {
        case (.float, 4): for i in 0..<count { out[i] = Double(Float(bitPattern: load(i, UInt32.self))) }
        case (.float, 8): for i in 0..<count { out[i] = Double(bitPattern: load(i, UInt64.self)) }
        case (.signed, 1): for i in 0..<count { out[i] = Double(load(i, Int8.self)) }
        case (.signed, 2): for i in 0..<count { out[i] = Double(load(i, Int16.self)) }
        case (.signed, 4): for i in 0..<count { out[i] = Double(load(i, Int32.self)) }
        case (.signed, 8): for i in 0..<count { out[i] = Double(load(i, Int64.self)) }
        case (.unsigned, 1), (.bool, 1): for i in 0..<count { out[i] = Double(load(i, UInt8.self)) }
        case (.unsigned, 2): for i in 0..<count { out[i] = Double(load(i, UInt16.self)) }
        case (.unsigned, 4): for i in 0..<count { out[i] = Double(load(i, UInt32.self)) }
        default: for i in 0..<count { out[i] = Double(load(i, UInt64.self)) }
        }
    }

    static func convert(_ p: UnsafeRawPointer, dtype: NpyDType, count: Int, into out: inout [Double]) {
        out.withUnsafeMutableBufferPointer { convert(p, dtype: dtype, count: count, into: $0.baseAddress!) }
    }

    /// Column-major (Fortran) data to row-major.
    static func transposeFortran(_ v: [Double], shape: [Int]) -> [Double] {
        guard shape.count == 2 else { return v }
        let (r, c) = (shape[0], shape[1])
        var out = v
        for i in 0..<r { for j in 0..<c { out[i * c + j] = v[j * r + i] } }
        return out
    }
}
