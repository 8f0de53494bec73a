import Foundation
import XCTest
@testable import CriticalityBench
@testable import CriticalityCore
@testable import CriticalityData
@testable import CriticalityEngine
@testable import CriticalityIO
@testable import CriticalityObservers
@testable import CriticalityReport
@testable import CriticalityRun
@testable import CriticalityRunDirectory
@testable import CriticalityStats

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

/// The `criticality` binary built beside the tests (`swift test` builds every product of the package).
let criticalityBinary: String = {
    let dir = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
        ?? Bundle.main.bundleURL
    return dir.appendingPathComponent("criticality").path
}()

/// Runs the real binary with `arguments` (optionally in `directory`), and returns its exit status,
/// standard output and standard error.
@discardableResult
func runCLI(_ arguments: [String], directory: String? = nil, environment: [String: String]? = nil,
            timeout: Double = 120) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: criticalityBinary)
    p.arguments = arguments
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    final class Box: @unchecked Sendable { var data = Data() }
    let outData = Box(), errData = Box()
    let group = DispatchGroup()
    group.enter(); DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter(); DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(10_000) }
    if p.isRunning { p.terminate(); p.waitUntilExit(); group.wait(); return (-1, "", "timed out after \(timeout) s") }
    p.waitUntilExit()
    group.wait()
    return (p.terminationStatus, String(decoding: outData.data, as: UTF8.self), String(decoding: errData.data, as: UTF8.self))
}

/// Asserts that the binary exits with status 1 (not a crash: a signal would give another status),
/// writes an "error:" line containing every fragment, and prints nothing on standard output.
func assertCLIError(_ arguments: [String], _ fragments: [String], directory: String? = nil,
                    file: StaticString = #filePath, line: UInt = #line) {
    do {
        let r = try runCLI(arguments, directory: directory)
        XCTAssertTrue(r.status == 1 || r.status == 64, "exit status \(r.status) for \(arguments): \(r.err)", file: file, line: line)
        for f in fragments where !r.err.contains(f) {
            XCTFail("stderr «\(r.err.prefix(600))» does not mention «\(f)» (\(arguments))", file: file, line: line)
        }
    } catch {
        XCTFail("could not run \(criticalityBinary): \(error)", file: file, line: line)
    }
}
