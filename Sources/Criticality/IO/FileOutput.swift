import Foundation

/// Writes files so that no reader ever sees half of one: data goes to a temporary name in the same
/// folder and is renamed into place.
public enum FileOutput {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw CriticalityError(.io, "\(path): could not write (\(error.localizedDescription)); check that the folder is writable and the disk has space")
        }
    }

    public static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }

    /// Pretty-printed JSON with sorted keys (stable bytes for the same value).
    public static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        try write(try encodeJSON(value), to: path)
    }

    public static func encodeJSON<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var data = try encoder.encode(value)
        data.append(0x0a)
        return data
    }

    public static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "\(path): cannot read the file")
        }
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try decoder.decode(T.self, from: data)
        } catch {
            throw CriticalityError(.corruptFile, "\(path): not valid \(T.self) JSON (\(error))")
        }
    }

    public static func writeNpy<T: NpyElement>(_ values: [T], shape: [Int]? = nil, to path: String) throws {
        try write(Npy.encode(values, shape: shape), to: path)
    }

    public static func writeNpy<T: NpyElement>(_ values: UnsafeBufferPointer<T>, shape: [Int]? = nil, to path: String) throws {
        try write(Npy.encode(values, shape: shape), to: path)
    }
}
