/// The observers a `TrainConfig` asks for, built once the layout and step count are known.
public enum StandardObservers {
    public static func make(for config: TrainConfig) -> (ParameterLayout, Int) throws -> [TrainingObserver] {
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
