/// A configuration problem, naming the key at fault.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key, as a path (`executors.azure-devops.address`).
    public var key: String
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { key.isEmpty ? message : "\(key): \(message)" }
}
