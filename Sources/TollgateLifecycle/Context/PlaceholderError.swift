/// A `${...}` placeholder that could not be resolved before dispatch.
public struct PlaceholderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The placeholder as written, e.g. `${dev.results.task1.vm.ip}`.
    public var placeholder: String
    /// Where in the configurations it was found, e.g. `params.vmIp`.
    public var location: String
    /// Why it could not be resolved.
    public var reason: String

    public init(placeholder: String, location: String, reason: String) {
        self.placeholder = placeholder
        self.location = location
        self.reason = reason
    }

    public var description: String {
        "placeholder \(placeholder) in configurations.\(location) cannot be resolved: \(reason)"
    }
}
