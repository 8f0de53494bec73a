import CriticalityCore
import CriticalityIO
import Foundation

/// The `schema_version` of the documents of a run directory: `manifest.json`, a checkpoint's
/// `state.json` and `observers/updates/summary.json` (fits.json has its own `fits_version`, which says
/// how the fits were made rather than how the file is laid out).
///
/// A version counts incompatible layout changes. Documents written before versions existed
/// (before 2026-12-01) have none and are version 1: their layout is today's. A document of a newer
/// version than this build knows is refused (fields would be lost or misread); one of an older
/// version that cannot be read is refused with what to do.
public enum SchemaVersion {
    /// The layout this build writes and reads.
    public static let current = 1

    /// Reads a versioned JSON document: its `schema_version` is checked first, so that a newer layout
    /// is refused as newer rather than as "not valid JSON" when its fields have changed.
    public static func readJSON<T: Decodable>(_ type: T.Type, from file: String, document: String) throws -> T {
        if let data = FileManager.default.contents(atPath: file), let v = try? JSONDecoder().decode(Versioned.self, from: data) {
            try check(v.schemaVersion, in: file, document: document)
        }
        return try FileOutput.readJSON(T.self, from: file)
    }

    /// Checks the version found in `file` (nil: written before versions existed, i.e. version 1).
    public static func check(_ found: Int?, in file: String, document: String) throws {
        let v = found ?? 1
        if v > current {
            throw CriticalityError(.corruptFile, "\(file): \(document) of schema version \(v), newer than this Criticality's \(current); read it with the version that wrote it (its manifest's versions.criticality) or a later one")
        }
        if v < 1 {
            throw CriticalityError(.corruptFile, "\(file): \(document) of schema version \(v), which no Criticality writes; the file is damaged")
        }
    }
}

/// Just the `schema_version` of a document.
private struct Versioned: Decodable {
    var schemaVersion: Int?
    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }
}
