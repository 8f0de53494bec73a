import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityStats
/// The observers a `RunConfig` asks for, built once the layout and step count are known.
public enum StandardObservers {
    public static func make(for config: RunConfig) -> (ParameterLayout, Int) throws -> [TrainingObserver] {
        { layout, totalSteps in
            var observers: [TrainingObserver] = []
            if var settings = config.updates {
                settings.windows = settings.windows.clipped(to: totalSteps)
                settings.seed = config.seed
                if !settings.windows.ranges.isEmpty {
                    observers.append(UpdateStatisticsObserver(layout: layout, settings: settings))
                }
            }
            return observers
        }
    }
}
