import CriticalityCore
import Foundation

/// CIFAR-10, binary version: `data_batch_1.bin` … `data_batch_5.bin` (training, 10,000 images each) and
/// `test_batch.bin`. Each record is one label byte (0…9) then 3,072 pixel bytes: the 1,024 red, then
/// green, then blue values of a 32×32 image, row-major — i.e. channel-major [3, 32, 32]. Pixels are
/// normalized per channel as the authors did: (x/255 − 0.5)/0.5.
public enum CIFAR10Loader {
    public static let recordSize = 3073
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFile = "test_batch.bin"
    static let howToGet = "download the CIFAR-10 binary version (cifar-10-binary.tar.gz, \"CIFAR-10 binary version (suitable for C programs)\" on https://www.cs.toronto.edu/~kriz/cifar.html), unpack it and pass the folder cifar-10-batches-bin with 'data-dir'"

    public static func load(directory: String) throws -> DatasetPair {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw CriticalityError(.fileNotFound, "cifar10: data folder \(directory) does not exist; \(howToGet)")
        }
        var train: [Dataset] = []
        for f in trainFiles { train.append(try loadFile((directory as NSString).appendingPathComponent(f), split: "train")) }
        let test = try loadFile((directory as NSString).appendingPathComponent(testFile), split: "test")
        return DatasetPair(train: Dataset(name: "cifar10-train", sampleShape: [3, 32, 32], classCount: 10,
                                          inputs: train.flatMap(\.inputs), labels: train.flatMap(\.labels)),
                           test: test)
    }

    /// One batch file; any whole number of records is accepted (the distributed files hold 10,000).
    public static func loadFile(_ path: String, split: String) throws -> Dataset {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CriticalityError(.fileNotFound, "cifar10: \(path) is missing; \(howToGet)")
        }
        return try parse([UInt8](data), name: path, split: split)
    }

    /// One batch file's bytes; `name` is used in error messages.
    public static func parse(_ bytes: [UInt8], name path: String, split: String) throws -> Dataset {
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw CriticalityError(.corruptFile,
                "\(path): \(bytes.count) bytes is not a whole number of 3,073-byte records (1 label + 3,072 pixels); the file is truncated or not the binary version — \(howToGet)")
        }
        let n = bytes.count / recordSize
        var labels = [Int32](repeating: 0, count: n)
        var inputs = [Float](repeating: 0, count: n * 3072)
        for r in 0..<n {
            let o = r * recordSize
            guard bytes[o] <= 9 else {
                throw CriticalityError(.corruptFile, "\(path): label \(bytes[o]) of record \(r) (byte \(o)) is not a class 0…9")
            }
            labels[r] = Int32(bytes[o])
            for i in 0..<3072 { inputs[r * 3072 + i] = Dataset.normalize(bytes[o + 1 + i]) }
        }
        return Dataset(name: "cifar10-\(split)", sampleShape: [3, 32, 32], classCount: 10, inputs: inputs, labels: labels)
    }
}
