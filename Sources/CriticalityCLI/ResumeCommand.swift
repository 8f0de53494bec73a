import ArgumentParser
import Criticality
import Foundation

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted run from its last checkpoint; the result is bit-identical to an uninterrupted run.")

    @Argument(help: ArgumentHelp("The run directory (as given to `train --out`).", valueName: "run"))
    var runDirectory: String

    func run() throws {
        do {
            let manifest = try RunManifest.read(RunDirectory(runDirectory))
            if manifest.status == "complete" {
                print("\(runDirectory) is already complete (\(manifest.stepsCompleted) steps); nothing to do.")
                return
            }
            // Bit-identical continuation needs the same arithmetic: the same Criticality (its kernels and
            // partitions) and the same BLAS kernel family. A difference is allowed (the run goes on), and said.
            let then = manifest.versions, now = (criticality: RunManifest.criticalityVersion, core: BLAS.info.core)
            if then.criticality != now.criticality || then.blas.core != now.core {
                FileHandle.standardError.write(Data("note: \(runDirectory) was started with Criticality \(then.criticality) on BLAS kernels \(then.blas.core); this is Criticality \(now.criticality) on \(now.core). The steps from here on round differently in the last bits than an uninterrupted run would, and a window's replay that began before this point will report that it did not reproduce the first pass.\n".utf8))
            }
            let data = try manifest.config.train.loadData()
            try runTraining(config: manifest.config, data: data, runPath: runDirectory, resume: true)
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}
