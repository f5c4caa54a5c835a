import TollgateJSON

/// Reads a policy declaration from the table a policy file returns.
enum PolicyDeclaration {
    /// Known fields of a policy table.
    static let knownFields: Set<String> = ["name", "description", "phases", "blocking", "filter", "on_error", "evaluate"]

    /// The declared policy, or a problem naming the field at fault.
    static func parse(_ table: JSONValue, file: String, source: String) -> Result<Policy, PolicyProblem> {
        func problem(_ field: String, _ message: String) -> Result<Policy, PolicyProblem> {
            .failure(
                PolicyProblem(
                    kind: .metadata, file: file, line: SourceLines.line(ofField: field, in: source),
                    message: message))
        }
        guard let object = table.objectValue else {
            return problem("return", "the policy file must return a table with name, description, phases, blocking and evaluate")
        }
        guard let name = object["name"]?.stringValue, !name.isEmpty else {
            return problem("name", "the policy needs a name: name = \"stage-order\"")
        }
        guard let description = object["description"]?.stringValue, !description.isEmpty else {
            return problem("description", "policy '\(name)' needs a description: description = \"what it checks\"")
        }
        let phaseNames: [String]
        switch object["phases"] {
        case .string(let one)?: phaseNames = [one]
        case .array(let items)?: phaseNames = items.compactMap(\.stringValue)
        default:
            return problem("phases", "policy '\(name)' needs phases: phases = { \"ACTIVITY_STAGE_TRANSITION\" } (any of \(PolicyPhase.names))")
        }
        var phases: [PolicyPhase] = []
        for phaseName in phaseNames {
            guard let phase = PolicyPhase(rawValue: phaseName) else {
                return problem("phases", "policy '\(name)' names unknown phase '\(phaseName)': expected one of \(PolicyPhase.names)")
            }
            if !phases.contains(phase) { phases.append(phase) }
        }
        if phases.isEmpty {
            return problem("phases", "policy '\(name)' lists no phases: expected one or more of \(PolicyPhase.names)")
        }
        guard let blocking = object["blocking"]?.boolValue else {
            return problem("blocking", "policy '\(name)' must say whether it is blocking: blocking = true or blocking = false")
        }
        var filter = PolicyFilter()
        switch object["filter"] {
        case nil, .null?:
            break
        case .string(PolicyDocumentReader.functionMarker)?:
            filter.hasFunction = true
        case .object(let fields)?:
            for (key, value) in fields {
                let names: [String]
                switch value {
                case .string(let one): names = [one]
                case .array(let items) where items.allSatisfy({ $0.stringValue != nil }): names = items.compactMap(\.stringValue)
                default:
                    return problem("filter", "policy '\(name)': filter.\(key) must be a name or a list of names")
                }
                switch key {
                case "stages": filter.stages = names
                case "products": filter.products = names
                case "executors": filter.executors = names
                default:
                    return problem("filter", "policy '\(name)': unknown filter key '\(key)' (expected stages, products or executors, or a filter function)")
                }
            }
        case .array([])?:
            break
        default:
            return problem("filter", "policy '\(name)': filter must be a table { stages = ..., products = ..., executors = ... } or a function(input)")
        }
        var onError: PolicyErrorMode?
        if let mode = object["on_error"] {
            guard let text = mode.stringValue, let parsed = PolicyErrorMode(rawValue: text) else {
                return problem("on_error", "policy '\(name)': on_error must be \"block\", \"warn\" or \"ignore\"")
            }
            onError = parsed
        }
        guard object["evaluate"]?.stringValue == PolicyDocumentReader.functionMarker else {
            return problem("evaluate", "policy '\(name)' needs an evaluate function: evaluate = function(input) ... end")
        }
        return .success(
            Policy(name: name, description: description, phases: phases, blocking: blocking, filter: filter, onError: onError))
    }

    /// Fields of the policy table that the engine does not know, as warnings.
    static func unknownFields(_ table: JSONValue, file: String, source: String) -> [PolicyProblem] {
        guard let object = table.objectValue else { return [] }
        return object.keys.filter { !knownFields.contains($0) && !$0.hasPrefix("_") }.map { key in
            PolicyProblem(
                kind: .unknownField, file: file, line: SourceLines.line(ofField: key, in: source),
                message: "unknown field '\(key)' in the policy table (known: \(knownFields.sorted().joined(separator: ", "))); "
                    + "prefix private fields with _")
        }
    }

    /// Whatever can still be read of a declaration that failed validation (for fail-closed handling).
    static func partial(_ table: JSONValue) -> Policy? {
        guard let object = table.objectValue, let name = object["name"]?.stringValue else { return nil }
        let phases: [PolicyPhase]
        switch object["phases"] {
        case .string(let one)?: phases = PolicyPhase(rawValue: one).map { [$0] } ?? PolicyPhase.allCases
        case .array(let items)?:
            let known = items.compactMap { $0.stringValue.flatMap(PolicyPhase.init(rawValue:)) }
            phases = known.count == items.count && !known.isEmpty ? known : PolicyPhase.allCases
        default: phases = PolicyPhase.allCases
        }
        let blocking = object["blocking"]?.boolValue ?? true
        return Policy(name: name, description: object["description"]?.stringValue ?? "", phases: phases, blocking: blocking)
    }
}

/// Finds lines in policy sources, so problems point where a person would look.
enum SourceLines {
    /// The first line that assigns `field` (`field = ...`), else the line of the final `return`, else 1.
    static func line(ofField field: String, in source: String) -> Int {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(field) {
                let rest = trimmed.dropFirst(field.count).drop { $0 == " " || $0 == "\t" }
                if rest.hasPrefix("=") && !rest.hasPrefix("==") { return i + 1 }
            }
            if trimmed.hasPrefix("function") && trimmed.contains("." + field + "(") { return i + 1 }
        }
        for (i, line) in lines.enumerated().reversed() where line.drop(while: { $0 == " " }).hasPrefix("return") {
            return i + 1
        }
        return 1
    }

    /// Splits "file:line: message" from Lua into its parts.
    static func split(luaMessage message: String, file: String) -> (line: Int, text: String) {
        let message = expandingTruncatedPath(message, file: file)
        let prefix = file + ":"
        guard message.hasPrefix(prefix) else { return (1, message) }
        let rest = message.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isNumber }
        guard let line = Int(digits), rest.dropFirst(digits.count).hasPrefix(":") else { return (1, message) }
        let text = rest.dropFirst(digits.count + 1).drop { $0 == " " }
        return (line, String(text))
    }

    /// Lua shortens long chunk names to "...tail"; put the whole path back.
    static func expandingTruncatedPath(_ message: String, file: String) -> String {
        guard message.hasPrefix("...") else { return message }
        let rest = message.dropFirst(3)
        guard let colon = rest.firstIndex(of: ":") else { return message }
        let tail = rest[..<colon]
        guard !tail.isEmpty, file.hasSuffix(tail) else { return message }
        return file + rest[colon...]
    }
}
