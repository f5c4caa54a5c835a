import Foundation
import TollgateJSON
import TollgatePolicy

/// Reads a JSON input file, with errors that name the file.
enum InputFile {
    static func read(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read input file '\(path)'")
        }
        do {
            return try JSONValue.parse(Array(data))
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }

    /// The phase to evaluate: the option if given, else the input's `event` field.
    static func phase(option: String?, input: JSONValue, path: String) throws -> PolicyPhase {
        if let option {
            guard let phase = PolicyPhase(rawValue: option) else {
                throw CLIError(PolicyEngineError.unknownPhase(option).description)
            }
            return phase
        }
        guard let event = input["event"]?.stringValue else {
            throw CLIError("\(path): no --phase given and the input has no \"event\" field naming the phase")
        }
        guard let phase = PolicyPhase(rawValue: event) else {
            throw CLIError("\(path): \(PolicyEngineError.unknownPhase(event).description)")
        }
        return phase
    }
}

/// An error for people: printed as is, exit code 2.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
