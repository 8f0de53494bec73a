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
            let data = try DatasetCatalog.load(name: manifest.config.dataset, directory: manifest.config.dataDirectory)
            try runTraining(config: manifest.config, data: data, runPath: runDirectory, resume: true)
        } catch let e as CriticalityError {
            throw fail(e)
        }
    }
}
