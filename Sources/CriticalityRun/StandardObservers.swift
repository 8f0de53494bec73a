import CriticalityCore
import CriticalityData
import CriticalityEngine
import CriticalityIO
import CriticalityObservers
import CriticalityStats
import Foundation
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
            if var settings = config.information, !config.model.isTransformer {
                settings.seed = config.seed
                // A model without fully connected layers has nothing to pair; it records no information.
                if layout.segments.contains(where: { $0.kind == "weight" && $0.shape.count == 2 }) {
                    observers.append(try InformationObserver(layout: layout, settings: settings))
                }
            }
            if var settings = config.kl, !config.model.isTransformer, !layout.segments.contains(where: { $0.kind == "weight" && $0.shape.count > 2 }) {
                settings.seed = config.seed
                observers.append(try QuadraticKLObserver(layout: layout, settings: settings))
            }
            return observers
        }
    }
}
