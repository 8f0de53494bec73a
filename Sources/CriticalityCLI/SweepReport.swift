import Criticality
import Foundation

/// The end of a sweep (local, or the SLURM report job): analyzes every trained run not yet analyzed,
/// then writes `DIR/report.html` with the sweep's panels, claims and runs.
enum SweepReport {
    static func write(_ folder: SweepFolder) throws {
        let m = try Sweep.read(folder)
        for p in m.points where Sweep.state(of: p, in: folder) == .trained {
            FileHandle.standardError.write(Data("analyze \(p.name)\n".utf8))
            try SweepPointRunner.analyze(folder.run(p.name).path)
        }
        let data = try SweepData(folder: folder)
        try FileOutput.write(HTMLReport.render([], sweeps: [data], title: "Criticality — sweep \(m.name)", command: invocation(), directory: folder.path), to: folder.report)
        print("\(folder.report) written: \(data.runs.count) of \(m.points.count) runs" + (data.missing.isEmpty ? "" : "; not shown: " + data.missing.joined(separator: "; ")))
    }
}
