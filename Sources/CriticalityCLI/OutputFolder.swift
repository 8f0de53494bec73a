import Criticality

/// `RunDirectory.prepare` for a command's `--out`, with the flags that decide it named in its errors
/// (the library's messages name no flags).
func prepareOutput(_ path: String, force: Bool) throws -> RunLock {
    do {
        return try RunDirectory(path).prepare(replace: force)
    } catch let e as CriticalityError where e.kind == .invalidArgument && !e.message.contains("in use by another") {
        throw CriticalityError(e.kind, e.message + " (--out chooses the folder; --force replaces it)")
    }
}
