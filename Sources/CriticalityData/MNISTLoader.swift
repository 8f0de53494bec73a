import CriticalityCore
import Foundation

/// Loads MNIST or Fashion-MNIST from the four IDX files as distributed (plain or `.gz`):
/// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`.
public enum MNISTLoader {
    public static let fileStems = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                   "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

    /// Where the built-in default data lives: `$CRITICALITY_DATA` if set, else the Debian package's folder.
    public static func defaultFashionMNISTDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["CRITICALITY_DATA"] ?? "/usr/share/datasets/fashion-mnist"
    }

    /// How to obtain the files, for error messages.
    static func howToGet(_ dataset: String) -> String {
        dataset == "fashion-mnist"
            ? "install them with `apt-get install dataset-fashion-mnist` (files under /usr/share/datasets/fashion-mnist/), or point $CRITICALITY_DATA or 'data-dir' at a folder holding the four IDX files"
            : "pass 'data-dir' with a folder holding the four IDX files as distributed (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])"
    }

    /// Finds `stem` or `stem.gz` in `directory`.
    static func locate(_ stem: String, in directory: String, dataset: String) throws -> String {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw CriticalityError(.fileNotFound, "\(dataset): data folder \(directory) does not exist; \(howToGet(dataset))")
        }
        for candidate in [stem, stem + ".gz"] {
            let p = (directory as NSString).appendingPathComponent(candidate)
            if fm.fileExists(atPath: p) { return p }
        }
        throw CriticalityError(.fileNotFound, "\(dataset): \(stem)[.gz] is missing from \(directory); \(howToGet(dataset))")
    }

    public static func load(dataset: String, directory: String) throws -> DatasetPair {
        let paths = try fileStems.map { try locate($0, in: directory, dataset: dataset) }
        let train = try loadSplit(images: paths[0], labels: paths[1], dataset: dataset, split: "train")
        let test = try loadSplit(images: paths[2], labels: paths[3], dataset: dataset, split: "test")
        return DatasetPair(train: train, test: test)
    }

    static func loadSplit(images: String, labels: String, dataset: String, split: String) throws -> Dataset {
        let img = try IDXArray(contentsOf: images)
        let lab = try IDXArray(contentsOf: labels)
        guard img.dimensions.count == 3 else {
            throw CriticalityError(.corruptFile, "\(images): an image file must have rank 3 (count, rows, columns); it has dimensions \(img.dimensions)")
        }
        guard lab.dimensions.count == 1 else {
            throw CriticalityError(.corruptFile, "\(labels): a label file must have rank 1; it has dimensions \(lab.dimensions)")
        }
        guard img.dimensions[0] == lab.dimensions[0] else {
            throw CriticalityError(.corruptFile, "\(images) holds \(img.dimensions[0]) images but \(labels) holds \(lab.dimensions[0]) labels")
        }
        if let bad = lab.bytes.firstIndex(where: { $0 > 9 }) {
            throw CriticalityError(.corruptFile, "\(labels): label \(lab.bytes[bad]) at index \(bad) (byte \(8 + bad)) is not a class 0…9")
        }
        let inputs = img.bytes.map(Dataset.normalize)
        return Dataset(name: "\(dataset)-\(split)", sampleShape: [1, img.dimensions[1], img.dimensions[2]],
                       classCount: 10, inputs: inputs, labels: lab.bytes.map { Int32($0) })
    }
}
