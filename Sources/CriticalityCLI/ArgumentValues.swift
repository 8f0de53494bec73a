import ArgumentParser
import Criticality

// The library's choices as flag values: `--help` lists each one's values, and a bad value is refused by
// the parser with that list. A config file's value goes through the same `init(argument:)`.
extension ActivationKind: ExpressibleByArgument {}
extension Initialization: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension LossKind: ExpressibleByArgument {}
extension TextCorpus.Vocabulary: ExpressibleByArgument {}
