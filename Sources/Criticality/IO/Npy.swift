import Foundation

/// NumPy's `.npy` format, versions 1.0–3.0 (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
/// magic `\x93NUMPY`, major/minor version bytes, a little-endian header length (UInt16 for 1.0,
/// UInt32 for 2.0/3.0), an ASCII Python-dict header `{'descr': '<f4', 'fortran_order': False, 'shape': (…), }`
/// padded with spaces and a newline so the data starts at a multiple of 64, then the raw data.
/// We write version 1.0, little-endian, C order; we read any of the dtypes in `NpyDType`.
public enum NpyDType: String, Sendable {
    case float32 = "<f4", float64 = "<f8", int64 = "<i8", int32 = "<i4", uint64 = "<u8", uint8 = "|u1"
    public var size: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64, .uint64: 8
        case .uint8: 1
        }
    }
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
    public var elementCount: Int { shape.reduce(1, *) }
    public var dataBytes: Int { elementCount * dtype.size }
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
        func field(_ key: String) -> String? {
            guard let r = text.range(of: "'\(key)':") else { return nil }
            return String(text[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrField = field("descr"), let q1 = descrField.firstIndex(of: "'"),
              let q2 = descrField[descrField.index(after: q1)...].firstIndex(of: "'") else {
            throw CriticalityError(.corruptFile, "\(name): .npy header has no 'descr': \(text)")
        }
        let descr = String(descrField[descrField.index(after: q1)..<q2])
        let normalized = descr == "<u1" ? "|u1" : descr
        guard let dtype = NpyDType(rawValue: normalized) else {
            throw CriticalityError(.invalidArgument,
                "\(name): dtype '\(descr)' is not supported; save the array as float32 ('<f4') or float64 ('<f8') (e.g. `np.save(path, a.astype(np.float64))`)")
        }
        let fortran = field("fortran_order")?.hasPrefix("True") ?? false
        guard let shapeField = field("shape"), let open = shapeField.firstIndex(of: "("),
              let close = shapeField.firstIndex(of: ")") else {
            throw CriticalityError(.corruptFile, "\(name): .npy header has no 'shape': \(text)")
        }
        let dims = shapeField[shapeField.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for d in dims {
            guard let v = Int(d), v >= 0 else { throw CriticalityError(.corruptFile, "\(name): bad .npy shape \(shapeField)") }
            shape.append(v)
        }
        return NpyHeader(dtype: dtype, shape: shape, fortranOrder: fortran, dataOffset: start + headerLength)
    }

    /// Reads a whole `.npy` file and converts its elements to `Double`.
    public static func readDoubles(path: String) throws -> (values: [Double], shape: [Int]) {
        let (header, data) = try readRaw(path: path)
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
            throw CriticalityError(.corruptFile, "\(path): expected float32 data, found \(header.dtype.rawValue)")
        }
        var out = [Float](repeating: 0, count: header.elementCount)
        data.withUnsafeBytes { raw in
            out.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[header.dataOffset..<(header.dataOffset + header.dataBytes)])) }
        }
        return (out, header.shape)
    }

    static func readRaw(path: String) throws -> (NpyHeader, Data) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "\(path): cannot read the file (missing or unreadable)")
        }
        let header = try parseHeader(data, name: path)
        let available = data.count - header.dataOffset
        guard available >= header.dataBytes else {
            throw CriticalityError(.corruptFile,
                "\(path): truncated .npy: header promises shape \(header.shape) of \(header.dtype.rawValue) = \(header.dataBytes) bytes, but only \(available) bytes follow the header")
        }
        return (header, data)
    }

    /// Converts `count` little-endian elements of `dtype` at `p` (any alignment) to Double.
    public static func convert(_ p: UnsafeRawPointer, dtype: NpyDType, count: Int, into out: UnsafeMutablePointer<Double>) {
        switch dtype {
        case .float32: for i in 0..<count { out[i] = Double(p.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)) }
        case .float64: for i in 0..<count { out[i] = p.loadUnaligned(fromByteOffset: 8 * i, as: Double.self) }
        case .int64: for i in 0..<count { out[i] = Double(p.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
        case .int32: for i in 0..<count { out[i] = Double(p.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        case .uint64: for i in 0..<count { out[i] = Double(p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        case .uint8: for i in 0..<count { out[i] = Double(p.load(fromByteOffset: i, as: UInt8.self)) }
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
