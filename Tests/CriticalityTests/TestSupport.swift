import Foundation
import XCTest
@testable import Criticality

/// A fresh temporary folder, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("criticality-test-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Asserts that `body` throws a `CriticalityError` whose message contains every one of `fragments`.
func assertThrowsMessage(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch let e as CriticalityError {
        for f in fragments where !e.message.contains(f) {
            XCTFail("error message «\(e.message)» does not mention «\(f)»", file: file, line: line)
        }
    } catch {
        XCTFail("expected CriticalityError, got \(error)", file: file, line: line)
    }
}

/// Whether `python3 -c "import numpy"` works here.
let numpyAvailable: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import numpy"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
}()

/// Runs python3 with `script` and returns its standard output.
func runPython(_ script: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// The Fashion-MNIST folder if the dataset is installed here, else nil (tests that need it skip).
var fashionMNISTDirectory: String? {
    let dir = MNISTLoader.defaultFashionMNISTDirectory()
    return FileManager.default.fileExists(atPath: dir + "/train-images-idx3-ubyte.gz")
        || FileManager.default.fileExists(atPath: dir + "/train-images-idx3-ubyte") ? dir : nil
}
