/// Every failure that user input can reach. Each message says what was wrong, where, and what to do.
public struct CriticalityError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        case invalidArgument, fileNotFound, corruptFile, io, numerical, interrupted
    }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}
