/// A descriptor that cannot be used, with the place in it that is wrong.
public struct DescriptorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the descriptor, as a path (`internalComponents.lifecycleInfo.dev[1].service.$href`).
    public var path: String
    /// What is wrong and what to do.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
