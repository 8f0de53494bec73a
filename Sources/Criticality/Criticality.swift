// The whole library in one import, for programs that use it (`import Criticality`). The targets behind
// it, and the direction of their dependencies, are in docs/architecture.md.
@_exported import CriticalityBench
@_exported import CriticalityCore
@_exported import CriticalityData
@_exported import CriticalityEngine
@_exported import CriticalityIO
@_exported import CriticalityObservers
@_exported import CriticalityReport
@_exported import CriticalityRun
@_exported import CriticalityRunDirectory
@_exported import CriticalityStats
