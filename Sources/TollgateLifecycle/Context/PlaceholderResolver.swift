public import TollgateJSON

/// Resolves `${<stage>.results.<taskKey>.<path…>}` placeholders in a task's configurations from
/// the context.
///
/// - Only a `${…}` whose first part names a stage of the descriptor is Tollgate's; every other one
///   (`${HOME}`, `${CI_PROJECT_ID}`, `${FOO:-bar}`) is left as written for the executor's shell.
/// - A string that is exactly one placeholder takes the referenced JSON value, type and all.
/// - A placeholder inside a longer string is replaced by the value's text (strings as they are,
///   other values as compact JSON).
/// - `$${` writes a literal `${`.
/// - The `context` member of the configurations is never touched.
/// - A task may also be named by its template's name (`${prod.results.testPipeline.url}`) when no
///   task of the stage has that key and exactly one task of the stage uses that template.
///
/// A placeholder is a path into the context, so `${dev.finishedAt}` and `${dev.status}` work too.
public struct PlaceholderResolver: Sendable {
    /// What to do with a placeholder that names nothing.
    public enum Mode: String, Sendable {
        /// Fail the task before dispatch with an error naming the placeholder.
        case strict
        /// Leave the placeholder as written.
        case lenient
    }

    public var context: JSONValue
    public var mode: Mode
    /// The descriptor's stages: a `${…}` starting with one of their names is Tollgate's, and their
    /// tasks' template names stand for the tasks.
    public var lifecycle: LifecycleDescriptor
    private let stages: Set<String>

    public init(context: JSONValue, lifecycle: LifecycleDescriptor, mode: Mode = .strict) {
        self.context = context
        self.lifecycle = lifecycle
        self.stages = Set(lifecycle.stageNames)
        self.mode = mode
    }

    /// Resolves every string of `configurations`.
    public func resolve(_ configurations: JSONValue) throws(PlaceholderError) -> JSONValue {
        guard case .object(let object) = configurations else { return try resolve(configurations, at: "") }
        var out = JSONObject()
        for (key, value) in object {
            out[key] = key == "context" ? value : try resolve(value, at: key)
        }
        return .object(out)
    }

    private func resolve(_ value: JSONValue, at location: String) throws(PlaceholderError) -> JSONValue {
        switch value {
        case .string(let text):
            return try resolveString(text, at: location)
        case .array(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() { out.append(try resolve(item, at: "\(location)[\(i)]")) }
            return .array(out)
        case .object(let object):
            var out = JSONObject()
            for (key, member) in object {
                out[key] = try resolve(member, at: location.isEmpty ? key : "\(location).\(key)")
            }
            return .object(out)
        default:
            return value
        }
    }

    private func resolveString(_ text: String, at location: String) throws(PlaceholderError) -> JSONValue {
        guard text.contains("${") else { return .string(text) }
        let pieces = try PlaceholderScanner.scan(text, location: location, stages: stages)
        if pieces.count == 1, case .placeholder(let writtenPath, let written) = pieces[0] {
            let path = try aliasResolved(writtenPath, written: written, location: location)
            guard let value = lookup(path) else {
                if mode == .lenient { return .string(written) }
                throw PlaceholderError(placeholder: written, location: location, reason: missingReason(path))
            }
            return value
        }
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let literal):
                out += literal
            case .placeholder(let writtenPath, let written):
                let path = try aliasResolved(writtenPath, written: written, location: location)
                guard let value = lookup(path) else {
                    if mode == .lenient {
                        out += written
                        continue
                    }
                    throw PlaceholderError(placeholder: written, location: location, reason: missingReason(path))
                }
                out += value.stringValue ?? value.serialized()
            }
        }
        return .string(out)
    }

    /// `path` with its task part replaced by the one task its template name stands for, when the
    /// stage has no task of that key.
    private func aliasResolved(_ path: [String], written: String, location: String) throws(PlaceholderError) -> [String] {
        guard path.count > 2, path[1] == "results", context[path[0]]?["results"]?[path[2]] == nil else { return path }
        let keys = lifecycle.taskKeys(usingTemplate: path[2], inStage: path[0])
        guard !keys.isEmpty else { return path }
        guard keys.count == 1 else {
            throw PlaceholderError(
                placeholder: written, location: location,
                reason: "template '\(path[2])' names more than one task of stage '\(path[0])' (\(keys.joined(separator: ", "))); use the task's key")
        }
        var resolved = path
        resolved[2] = keys[0]
        return resolved
    }

    private func lookup(_ path: [String]) -> JSONValue? {
        var current = context
        for component in path {
            switch current {
            case .object(let object):
                guard let next = object[component] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(component), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Says which part of the path is missing, so a person knows what to fix.
    private func missingReason(_ path: [String]) -> String {
        var current = context
        for (depth, component) in path.enumerated() {
            let prefix = path[..<depth].joined(separator: ".")
            switch current {
            case .object(let object):
                guard let next = object[component] else {
                    if depth == 0 {
                        let known = object.keys.joined(separator: ", ")
                        return "stage '\(component)' is not in the context (it holds: \(known.isEmpty ? "nothing yet" : known))"
                    }
                    if path.count > 1, path[1] == "results", depth == 2 {
                        return "task '\(component)' of stage '\(path[0])' has no results yet"
                    }
                    return "'\(prefix)' has no field '\(component)'"
                }
                current = next
            case .null:
                return "'\(prefix)' is null"
            case .array:
                guard let next = lookup(Array(path[...depth])) else {
                    return "'\(prefix)' has no element \(component)"
                }
                current = next
            default:
                return "'\(prefix)' is a \(current.typeName), not an object"
            }
        }
        return "not found"
    }
}

/// Splits a string into literal text and placeholders.
enum PlaceholderScanner {
    enum Piece: Equatable {
        case text(String)
        case placeholder(path: [String], written: String)
    }

    /// Splits `text`; a `${…}` whose first part is not one of `stages` is literal text.
    static func scan(_ text: String, location: String, stages: Set<String>) throws(PlaceholderError) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            let after = rest[dollar...]
            if after.hasPrefix("$${") {
                literal += "${"
                rest = after.dropFirst(3)
                continue
            }
            guard after.hasPrefix("${") else {
                literal += "$"
                rest = after.dropFirst()
                continue
            }
            let inner = after.dropFirst(2)
            let firstPart = inner.prefix { $0 != "." && $0 != "}" }.trimmingSpaces
            guard stages.contains(firstPart) else {
                literal += "${"
                rest = inner
                continue
            }
            guard let close = inner.firstIndex(of: "}") else {
                throw PlaceholderError(placeholder: String(after), location: location, reason: "it is not closed with '}'")
            }
            let written = String(after[...close])
            let path = inner[..<close].split(separator: ".", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            if path.contains(where: \.isEmpty) {
                throw PlaceholderError(placeholder: written, location: location, reason: "write it as ${stage.results.taskKey.field}")
            }
            if !literal.isEmpty {
                pieces.append(.text(literal))
                literal = ""
            }
            pieces.append(.placeholder(path: path, written: written))
            rest = inner[inner.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty || pieces.isEmpty { pieces.append(.text(literal)) }
        return pieces
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
