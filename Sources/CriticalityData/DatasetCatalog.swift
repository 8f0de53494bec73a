import CriticalityCore
/// Resolves a dataset name (and optional folder) to loaded data.
public enum DatasetCatalog {
    public static let names = ["fashion-mnist", "mnist", "cifar10", "synthetic", "synthetic-cifar", "pangram", "text"]
    /// The datasets that are texts (token windows, for the Transformer).
    public static let textNames: Set<String> = ["pangram", "text"]

    /// Loads `name`: images from `directory` (nil: the dataset's default), or a text cut into windows of
    /// `context` tokens (`textFile` nil: `TextCorpus.defaultTextPath`).
    public static func load(name: String, directory: String?, context: Int = 50, textFile: String? = nil,
                            vocabulary: TextCorpus.Vocabulary = .characters) throws -> DatasetPair {
        let pair = try loadUnchecked(name: name, directory: directory, context: context, textFile: textFile, vocabulary: vocabulary)
        try pair.validate()
        return pair
    }

    static func loadUnchecked(name: String, directory: String?, context: Int, textFile: String?,
                              vocabulary: TextCorpus.Vocabulary) throws -> DatasetPair {
        switch name {
        case "pangram":
            return try TextCorpus.pangram(context: context)
        case "text":
            return try TextCorpus.load(path: textFile ?? TextCorpus.defaultTextPath, context: context, vocabulary: vocabulary)
        case "fashion-mnist":
            return try MNISTLoader.load(dataset: name, directory: directory ?? MNISTLoader.defaultFashionMNISTDirectory())
        case "mnist":
            guard let dir = directory else {
                throw CriticalityError(.invalidArgument, "dataset mnist needs the folder of its files (data-dir): \(MNISTLoader.howToGet("mnist"))")
            }
            return try MNISTLoader.load(dataset: name, directory: dir)
        case "cifar10":
            guard let dir = directory else {
                throw CriticalityError(.invalidArgument, "dataset cifar10 needs the folder of its files (data-dir): \(CIFAR10Loader.howToGet)")
            }
            return try CIFAR10Loader.load(directory: dir)
        case "synthetic-cifar":
            // Random 3×32×32 images: CIFAR-10's shape for benchmarks and tests.
            return DatasetPair(train: .synthetic(count: 2048, sampleShape: [3, 32, 32], classCount: 10, seed: 7),
                               test: .synthetic(count: 512, sampleShape: [3, 32, 32], classCount: 10, seed: 8))
        case "synthetic":
            // Random pixels and labels with MNIST's shapes: for benchmarks and tests, learns nothing.
            return DatasetPair(train: .synthetic(count: 4096, sampleShape: [1, 28, 28], classCount: 10, seed: 7),
                               test: .synthetic(count: 1024, sampleShape: [1, 28, 28], classCount: 10, seed: 8))
        default:
            throw CriticalityError(.invalidArgument, "unknown dataset '\(name)'; choose one of \(names.joined(separator: ", "))")
        }
    }
}
