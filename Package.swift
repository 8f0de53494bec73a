// swift-tools-version:6.0
import PackageDescription
import Foundation

// BLAS backend, chosen at build time (see README "BLAS"):
//   default            OpenBLAS 0.3.34 from PyPI's `scipy-openblas32` wheel (symbols prefixed `scipy_`),
//                      installed into /usr/local/lib by scripts/install.sh; selects its fast kernels by itself.
//   CRITICALITY_BLAS=debian   Debian's libopenblas-dev (0.3.21), the fallback.
let debianBLAS = ProcessInfo.processInfo.environment["CRITICALITY_BLAS"] == "debian"
// The libFuzzer targets (Sources/CriticalityFuzz) exist only for scripts/fuzz.sh, which builds them
// with --sanitize=fuzzer: their entry point is libFuzzer's main.
let fuzz = ProcessInfo.processInfo.environment["CRITICALITY_FUZZ"] == "1"
// `swift build --sanitize=fuzzer --sanitize=address` hands swiftc two -sanitize flags and swiftc keeps only
// the last (address), which left every Swift target without libFuzzer's coverage counters — the fuzzer
// blind to our code. One combined flag after them restores both (clang accumulates, C needs nothing).
let fuzzSettings: [SwiftSetting] = fuzz ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []

let package = Package(
    name: "Criticality",
    products: [
        .library(name: "Criticality", targets: ["Criticality"]),
        .executable(name: "criticality", targets: ["criticality"]),
    ] + (fuzz ? [Product.executable(name: "criticality-fuzz", targets: ["CriticalityFuzz"])] : []),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    // The dependency graph is the architecture (docs/architecture.md): a target imports only those
    // below it, so an arrow the wrong way does not build.
    targets: [
        .target(
            name: "CBLAS",
            cSettings: debianBLAS ? [.define("CRITICALITY_DEBIAN_OPENBLAS")] : [],
            linkerSettings: debianBLAS
                ? [.linkedLibrary("openblas")]
                // gold does not search /usr/local/lib by itself; the loader finds it through ldconfig.
                : [.linkedLibrary("scipy_openblas"), .unsafeFlags(["-L/usr/local/lib"])]
        ),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // the histogram kernels of the update statistics
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // the caller + worker thread pair shared by BLAS and the trainer's elementwise pass
        .target(name: "CThreads", cSettings: [.unsafeFlags(["-O3"])]),
        swift("CriticalityCore", ["CBLAS", "CThreads"]),
        swift("CriticalityIO", ["CriticalityCore", "CZlib"]),
        swift("CriticalityStats", ["CriticalityCore", "CKernels"]),
        swift("CriticalityData", ["CriticalityCore", "CZlib"]),
        swift("CriticalityEngine", ["CriticalityCore", "CriticalityData", "CKernels"]),
        // the names of every file of a run directory, its lock and schema versions
        swift("CriticalityRunDirectory", ["CriticalityCore", "CriticalityIO"]),
        swift("CriticalityObservers", ["CriticalityEngine", "CriticalityStats", "CriticalityIO", "CriticalityRunDirectory", "CKernels"]),
        swift("CriticalityRun", ["CriticalityEngine", "CriticalityObservers", "CriticalityStats", "CriticalityIO", "CriticalityData",
                                 "CriticalityRunDirectory", "CZlib"]),
        swift("CriticalityReport", ["CriticalityRun", "CriticalityRunDirectory", "CriticalityStats"]),
        swift("CriticalityBench", ["CriticalityRun", "CKernels"]),
        .target(name: "Criticality", dependencies: ["CriticalityCore", "CriticalityIO", "CriticalityStats", "CriticalityData",
                                                    "CriticalityEngine", "CriticalityRunDirectory", "CriticalityObservers", "CriticalityRun",
                                                    "CriticalityReport", "CriticalityBench"],
                swiftSettings: fuzzSettings),
        // The command line as a library (its commands, flags and the YAML config), so that tests and
        // the fuzzer reach it; `criticality` is its three-line executable.
        .target(
            name: "CriticalityCLI",
            dependencies: [
                "Criticality",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: fuzzSettings
        ),
        .executableTarget(name: "criticality", dependencies: ["CriticalityCLI"]),
    ] + (fuzz ? [Target.executableTarget(name: "CriticalityFuzz", dependencies: ["Criticality", "CriticalityCLI"], swiftSettings: fuzzSettings)] : []) + [
        .testTarget(name: "CriticalityTests", dependencies: ["Criticality", "CriticalityCLI"], exclude: ["Stats/Fixtures", "Stats/Reference", "Observe/Reference", "Model/Reference", "CLI/Golden"],
                    resources: [.copy("Report/Golden")]),
    ],
    swiftLanguageModes: [.v5]
)

/// A Swift library target of ours. Release builds compile Core, Engine and Observers -Ounchecked (their
/// per-element loops; measured in docs/benchmarks.md, "-O against -Ounchecked, per target" — Stats did
/// not gain and is -O) and every other target -O; the fuzzer builds everything with checks on.
/// `CRITICALITY_CHECKED=A,B` (or `all`) builds those targets -O as well, for the measurement of what
/// -Ounchecked buys per target (docs/benchmarks.md).
func swift(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    let checked = Set((ProcessInfo.processInfo.environment["CRITICALITY_CHECKED"] ?? "").split(separator: ",").map(String.init))
    let unchecked: Set<String> = checked.contains("all") ? [] :
        Set(["CriticalityCore", "CriticalityEngine", "CriticalityObservers"]).subtracting(checked)
    guard !fuzz else { return .target(name: name, dependencies: dependencies, swiftSettings: fuzzSettings) }
    let flags = unchecked.contains(name) ? ["-wmo", "-Ounchecked"] : ["-wmo"]
    return .target(name: name, dependencies: dependencies,
                   swiftSettings: [.unsafeFlags(flags, .when(configuration: .release))])
}
