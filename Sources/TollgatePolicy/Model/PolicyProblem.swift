/// Why a policy file could not be used, with where to look.
public struct PolicyProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: String, Sendable, Codable {
        /// The file does not compile.
        case syntax
        /// Running the file's top level failed.
        case runtime
        /// The returned table is not a valid policy declaration.
        case metadata
        /// Another file already declares the same name.
        case duplicateName = "duplicate-name"
        /// The file could not be read.
        case unreadable
        /// The policy table has a field the engine does not know (a warning: the policy still loads).
        case unknownField = "unknown-field"
    }

    /// The kind of problem.
    public var kind: Kind
    /// The policy file, as given to the loader.
    public var file: String
    /// 1-based line the problem points at.
    public var line: Int
    /// What is wrong and what to do.
    public var message: String

    public init(kind: Kind, file: String, line: Int, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}
