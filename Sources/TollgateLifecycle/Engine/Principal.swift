/// Who asked for a change.
public struct Principal: Sendable, Equatable {
    public var name: String
    public var roles: [String]

    public init(name: String, roles: [String] = []) {
        self.name = name
        self.roles = roles
    }

    /// The engine itself (recovery, timeouts).
    public static let system = Principal(name: "tollgate", roles: ["system"])
}
