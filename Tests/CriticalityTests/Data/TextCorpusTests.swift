import Foundation
import XCTest
@testable import CriticalityCore
@testable import CriticalityData

/// The character datasets (SI S5): the authors' pangram exactly, and text files with their errors.
final class TextCorpusTests: XCTestCase {
    /// 3,500 characters → 3,450 windows of 50 (stride 1), a…z as 0…25 in a vocabulary of 50; targets are
    /// the inputs shifted by one; batches of 8 end with a short one of 2 (3450 mod 8), as PyTorch's.
    func testPangramIsTheAuthorsDataset() throws {
        let pair = try TextCorpus.pangram(context: 50)
        XCTAssertEqual(pair.train.count, 3450)
        XCTAssertEqual(pair.train.classCount, 50)
        XCTAssertEqual(pair.train.sampleShape, [50])
        let w = try XCTUnwrap(pair.train.windows)
        XCTAssertEqual(w.tokens.count, 3500)
        XCTAssertEqual(Array(w.tokens.prefix(3)), [19, 7, 4])  // "the"
        XCTAssertEqual(Set(w.tokens).count, 26)
        var x = [Float](repeating: 0, count: 100), y = [Int32](repeating: 0, count: 100)
        pair.train.gather(([0, 3449] as [Int32])[...], inputs: &x, targets: &y)
        XCTAssertEqual(x[1], Float(w.tokens[1]))
        XCTAssertEqual(y[0], w.tokens[1])
        XCTAssertEqual(y[99], w.tokens[3499], "the last window's last target is the text's last character")
        var sampler = BatchSampler(datasetSize: pair.train.count, batchSize: 8, seed: 1)
        XCTAssertEqual(sampler.batchesPerEpoch, 432)
        var sizes: [Int] = []
        for _ in 0..<432 { sizes.append(sampler.nextBatch().indices.count) }
        XCTAssertEqual(sizes.last, 2)
        XCTAssertEqual(pair.test.count, 69, "non-overlapping windows of the same text")
        try pair.validate()
    }

    func write(_ bytes: [UInt8]) -> String {
        let path = temporaryDirectory(self) + "/text.txt"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Characters of the file in scalar order; the last 10 % is validation in non-overlapping windows.
    func testTextFileVocabularyAndSplit() throws {
        let text = String(repeating: "the cat sat on the mat; é ", count: 100)
        let pair = try TextCorpus.load(path: write(Array(text.utf8)), context: 10, vocabulary: .characters)
        let alphabet = Set(text.unicodeScalars)
        XCTAssertEqual(pair.train.classCount, alphabet.count)
        let n = text.unicodeScalars.count, validation = n / 10
        XCTAssertEqual(pair.train.windows?.tokens.count, n - validation)
        XCTAssertEqual(pair.test.count, (validation - 11) / 10 + 1)
        let bytes = try TextCorpus.load(path: write(Array(text.utf8)), context: 10, vocabulary: .bytes)
        XCTAssertEqual(bytes.train.classCount, 256)
        XCTAssertEqual(bytes.train.windows!.tokens.count + bytes.test.windows!.tokens.count, text.utf8.count)
    }

    func testBadTextsAreRefusedWithWhatToDo() throws {
        XCTAssertThrowsError(try TextCorpus.load(path: write([]), context: 50, vocabulary: .characters)) {
            XCTAssertTrue("\($0)".contains("is empty"), "\($0)")
        }
        var bad = Array("hello world ".utf8)
        bad += [0xC3, 0x28] + Array(String(repeating: "x", count: 1000).utf8)
        XCTAssertThrowsError(try TextCorpus.load(path: write(bad), context: 50, vocabulary: .characters)) {
            XCTAssertTrue("\($0)".contains("not valid UTF-8 (first bad byte at offset 12)"), "\($0)")
        }
        XCTAssertNoThrow(try TextCorpus.load(path: write(bad), context: 50, vocabulary: .bytes), "bytes take any file")
        XCTAssertThrowsError(try TextCorpus.load(path: write(Array("short text".utf8)), context: 50, vocabulary: .characters)) {
            XCTAssertTrue("\($0)".contains("has 10 characters") && "\($0)".contains("at least 510"), "\($0)")
        }
        XCTAssertThrowsError(try TextCorpus.load(path: "/nonexistent/file.txt", context: 50, vocabulary: .characters)) {
            XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
        }
    }

    /// The default corpus, when installed (scripts/install.sh installs Debian's fortunes): 43 files joined.
    func testDefaultCorpusLoadsWhenInstalled() throws {
        guard FileManager.default.fileExists(atPath: TextCorpus.defaultTextPath) else {
            throw XCTSkip("Debian's fortunes is not installed")
        }
        let pair = try DatasetCatalog.load(name: "text", directory: nil)
        XCTAssertGreaterThan(pair.train.count, 2_000_000)
        XCTAssertEqual(pair.test.count, (TextCorpus.validationCap - 51) / 50 + 1, "the validation cap of 100,000 characters")
        XCTAssertGreaterThan(pair.train.classCount, 60)
    }
}
